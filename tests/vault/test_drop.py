"""The staff-report drop at the vault layer: sealing, the spool, the drop key, receipt.

Real files, real keys: a vault made at the KDF's lowest cost, a spool with the
real mode, reports sealed and filed by the real client code.
"""

from __future__ import annotations

import errno
import hashlib
import os
import pwd
from pathlib import Path

import pytest

from tests.support.drop import HOSTILE_WORDS, disclose, make_spool, publish
from tests.support.faults import FaultyFileSystem
from tests.support.vaults import DSL_PASS, MakeVault
from ydsi_tui.service.staff_reports import open_staff_report, open_with_named_key
from ydsi_tui.vault.drop import (
    BUCKETS,
    DROP_KEY_NAME,
    DropError,
    DropKey,
    keygen_recipient,
    list_spool,
    parse_recipient,
    pin_text,
)
from ydsi_tui.vault.errors import AccessDenied, DamagedFile
from ydsi_tui.vault.session import Session
from ydsi_tui.vault.vault import Vault
from ydsi_tui.vault.verify import verify_vault

#: (a DSL's session, the spool, the pinned authority file, the reporter's state dir)
Drop = tuple[Session, Path, Path, Path]


@pytest.fixture
def drop(make_vault: MakeVault, tmp_path: Path) -> Drop:
    session, _code, _path = make_vault()
    spool = make_spool(tmp_path)
    _key, pin = publish(session, spool, tmp_path)
    return session, spool, pin, tmp_path / "state"


def test_a_report_filed_is_received_once_and_opens_as_typed(drop: Drop) -> None:
    session, spool, pin, state = drop
    receipt = disclose(spool, pin, state, young_people=("Kid A",))
    path = spool / f"{receipt.report_id}.report"
    assert receipt.digest == hashlib.sha256(path.read_bytes()).hexdigest()
    assert path.stat().st_size in BUCKETS
    assert HOSTILE_WORDS.encode() not in path.read_bytes()
    assert b"Kid A" not in path.read_bytes()
    first = session.receive_reports(spool)
    again = session.receive_reports(spool)
    assert [r.report_id for r in first] == [receipt.report_id] == [r.report_id for r in again]
    received = [e for e in session.vault.audit.entries() if e.action == "drop.received"]
    assert len(received) == 1
    assert received[0].extra["digest"] == receipt.digest
    # Who filed it is sealed for the case roles (the whole vault group reads the log).
    assert "owner_uid" not in received[0].extra and "owner_login" not in received[0].extra
    assert session.received_reports()[receipt.report_id].owner_uid == os.getuid()
    report = open_staff_report(session, spool, receipt.report_id)
    assert report.words == HOSTILE_WORDS
    assert report.young_people == ("Kid A",)
    assert report.owner_uid == os.getuid()
    assert session.receive_reports(spool)[0].opened


def test_the_log_entries_carry_no_content(drop: Drop) -> None:
    session, spool, pin, state = drop
    receipt = disclose(
        spool, pin, state, words="a unique phrase zebra-tango", young_people=("Kid Q",)
    )
    open_staff_report(session, spool, receipt.report_id)
    log = (session.vault.path / "audit.log").read_bytes()
    for word in (b"zebra-tango", b"Kid Q", b"Ann Tutor", b"Form tutor"):
        assert word not in log


def test_sizes_are_padded_to_buckets(drop: Drop) -> None:
    _session, spool, pin, state = drop
    short = disclose(spool, pin, state, words="a")
    longer = disclose(spool, pin, state, words="b" * 3000)
    assert short.size == longer.size == BUCKETS[0]


def test_an_empty_or_huge_report_is_refused_and_nothing_is_filed(drop: Drop) -> None:
    _session, spool, pin, state = drop
    from ydsi_tui.model.errors import ValidationError

    with pytest.raises(ValidationError):
        disclose(spool, pin, state, words="   ")
    with pytest.raises(ValidationError):
        disclose(spool, pin, state, words="x" * 300_000)
    with pytest.raises(ValidationError):
        disclose(spool, pin, state, words="see /home/t/photo.jpg")
    assert [n for n in os.listdir(spool) if n != DROP_KEY_NAME] == []


@pytest.mark.parametrize("op", ["write", "fsync", "chmod"])
def test_a_full_disk_leaves_nothing_half_written(drop: Drop, op: str) -> None:
    session, spool, pin, state = drop
    earlier = disclose(spool, pin, state)  # the reporter's client has seen this key already
    before = sorted(os.listdir(spool))
    fs = FaultyFileSystem(1, op=op, error=errno.ENOSPC)
    with pytest.raises(DropError, match="spool is full"):
        disclose(spool, pin, state, fs=fs)
    assert fs.fired
    assert sorted(os.listdir(spool)) == before
    assert [r.report_id for r in session.receive_reports(spool)] == [earlier.report_id]


def test_the_spool_listing_ignores_what_is_not_a_complete_report(drop: Drop) -> None:
    _session, spool, pin, state = drop
    receipt = disclose(spool, pin, state)
    real = spool / f"{receipt.report_id}.report"
    os.symlink(real, spool / ("A" * 22 + ".report"))
    (spool / "planted.report").write_bytes(real.read_bytes())
    half = spool / ("B" * 22 + ".report")
    half.write_bytes(real.read_bytes())
    os.chmod(half, 0o200)  # still being written
    os.mkfifo(spool / ("C" * 22 + ".report"))
    assert [r.report_id for r in list_spool(spool)] == [receipt.report_id]


def test_a_report_moved_to_another_name_does_not_open(drop: Drop) -> None:
    session, spool, pin, state = drop
    receipt = disclose(spool, pin, state)
    data = (spool / f"{receipt.report_id}.report").read_bytes()
    copy = spool / ("D" * 22 + ".report")
    copy.write_bytes(data)
    os.chmod(copy, 0o440)
    with pytest.raises(DamagedFile, match="does not match its name"):
        open_staff_report(session, spool, "D" * 22)


def test_a_drop_key_from_another_vault_is_refused(drop: Drop, make_vault: MakeVault) -> None:
    _session, spool, pin, state = drop
    other, _code, _path = make_vault()
    forged = other.drop_key()
    (spool / DROP_KEY_NAME).write_bytes(forged.to_bytes())
    with pytest.raises(DropError, match="not signed by this school"):
        disclose(spool, pin, state)
    # Nor with the pin pointed at the other vault's id but the real key (a mixed file).
    mixed = DropKey.from_bytes(forged.to_bytes())
    pin.write_text(pin_text(mixed.vault_id, _session.vault.header.authority[0].public))
    with pytest.raises(DropError, match="not signed by this school"):
        disclose(spool, pin, state)


def test_an_older_drop_key_is_refused_once_a_newer_was_seen(drop: Drop) -> None:
    session, spool, pin, state = drop
    old = (spool / DROP_KEY_NAME).read_bytes()
    session.rotate(["case"])
    session.publish_drop_key(spool)
    assert (
        DropKey.from_bytes((spool / DROP_KEY_NAME).read_bytes()).serial
        > DropKey.from_bytes(old).serial
    )
    disclose(spool, pin, state)  # the reporter sees the new serial
    (spool / DROP_KEY_NAME).write_bytes(old)
    with pytest.raises(DropError, match="older"):
        disclose(spool, pin, state)


def test_after_authority_rotation_the_pinned_first_key_still_vouches(drop: Drop) -> None:
    session, spool, pin, state = drop
    session.rotate(["case", "authority"])
    session.publish_drop_key(spool)
    receipt = disclose(spool, pin, state)
    assert open_staff_report(session, spool, receipt.report_id).words == HOSTILE_WORDS


def test_a_report_filed_before_a_rotation_still_opens_after_it(drop: Drop) -> None:
    session, spool, pin, state = drop
    receipt = disclose(spool, pin, state)
    session.rotate(["case"])
    assert session.vault.header.epochs["case"] == 2
    fresh = Vault.open(session.vault.path).unlock("dsl", DSL_PASS)
    assert "case:1" not in fresh._keys  # the old case key is gone
    assert open_staff_report(fresh, spool, receipt.report_id).words == HOSTILE_WORDS


def test_an_about_staff_report_needs_a_headteacher(drop: Drop) -> None:
    _session, spool, pin, state = drop
    with pytest.raises(DropError, match="no Headteacher"):
        disclose(spool, pin, state, about_staff=True)


def test_an_unsafe_spool_is_refused(drop: Drop) -> None:
    _session, spool, pin, state = drop
    os.chmod(spool, 0o777)
    with pytest.raises(DropError, match="3773"):
        disclose(spool, pin, state)


def test_verify_finds_a_received_report_deleted_or_altered_naming_its_owner(drop: Drop) -> None:
    session, spool, pin, state = drop
    kept = disclose(spool, pin, state)
    gone = disclose(spool, pin, state)
    changed = disclose(spool, pin, state)
    session.receive_reports(spool)
    clean = verify_vault(session.vault.path, spool=spool)
    assert clean.ok, clean.problems
    (spool / f"{gone.report_id}.report").unlink()
    path = spool / f"{changed.report_id}.report"
    data = bytearray(path.read_bytes())
    data[-1] ^= 1
    os.chmod(path, 0o640)
    path.write_bytes(bytes(data))
    os.chmod(path, 0o440)
    report = verify_vault(session.vault.path, spool=spool)
    owner = pwd.getpwuid(os.getuid()).pw_name
    missing = [p for p in report.problems if gone.report_id in p]
    altered = [p for p in report.problems if changed.report_id in p]
    assert len(missing) == 1 and "missing" in missing[0] and owner in missing[0]
    assert len(altered) == 1 and "altered" in altered[0] and owner in altered[0]
    assert not [p for p in report.problems if kept.report_id in p]


def test_a_report_about_the_headteacher_opens_only_with_the_named_key(
    drop: Drop, tmp_path: Path
) -> None:
    session, spool, pin, state = drop
    with pytest.raises(DropError, match="names nobody"):
        disclose(spool, pin, state, about_headteacher=True)
    line = keygen_recipient(tmp_path / "chair.key")
    assert (tmp_path / "chair.key").stat().st_mode & 0o777 == 0o600
    session.publish_drop_key(spool, about_headteacher=parse_recipient(line))
    receipt = disclose(spool, pin, state, about_headteacher=True)
    (row,) = session.receive_reports(spool)
    assert row.sealed_for == "about_headteacher" and row.sealed_to_headteacher_only
    with pytest.raises(AccessDenied, match="about the Headteacher"):
        session.open_report(spool, receipt.report_id)
    opened = open_with_named_key(spool, receipt.report_id, tmp_path / "chair.key")
    assert opened.words == HOSTILE_WORDS and opened.about_headteacher
    keygen_recipient(tmp_path / "other.key")
    with pytest.raises(DamagedFile):
        open_with_named_key(spool, receipt.report_id, tmp_path / "other.key")


def test_a_report_id_never_starts_with_a_dash() -> None:
    """A leading dash reads as an option after 'ydsi inbox take' (1 id in 64 did)."""
    from ydsi_tui.vault.drop import new_report_id

    ids = [new_report_id() for _ in range(5000)]
    assert not [i for i in ids if i.startswith("-")]
    assert all(len(i) == 22 and all(c.isalnum() or c in "-_" for c in i) for i in ids)
    assert len(set(ids)) == len(ids)


def test_a_receipt_written_before_sealed_filers_still_reads(drop: Drop) -> None:
    """Logs from before 12/2026 hold receipts naming the filer and recipient in clear:
    they are read as they were, by everyone's verify and the case roles' inbox."""
    from ydsi_tui.vault.drop_inbox import DROP_COMP, drop_entries
    from ydsi_tui.vault.saving import utc_now

    session, spool, pin, state = drop
    receipt = disclose(spool, pin, state)
    (item,) = list_spool(spool)
    extra = {
        "report_id": receipt.report_id, "digest": receipt.digest, "owner_uid": os.getuid(),
        "owner_login": "old-style-login", "filed_at": item.filed_at.isoformat(),
        "for": "triage",
    }  # fmt: skip
    with session.vault.lock():  # as receive_reports wrote it then
        session.vault.audit.append(session.signer, ts=utc_now(), action="drop.received",
                                   comp=DROP_COMP, rec=receipt.report_id, extra=extra)  # fmt: skip
    got = session.received_reports()[receipt.report_id]
    assert (got.owner_uid, got.owner_login, got.sealed_for) == (
        os.getuid(),
        "old-style-login",
        "triage",
    )
    keyless = drop_entries(list(session.vault.audit.entries()), session.vault.header)
    assert keyless[receipt.report_id].owner_login == "old-style-login"
    assert session.receive_reports(spool)[0].report_id == receipt.report_id  # not again
    assert len([e for e in session.vault.audit.entries() if e.action == "drop.received"]) == 1
    report = verify_vault(session.vault.path, spool=spool)
    assert report.ok, report.problems
    assert open_staff_report(session, spool, receipt.report_id).words == HOSTILE_WORDS
