"""Reports from staff in a DSL's backup: kept, verifiable, restorable, and still sealed.

A report waits in the spool, outside the vault, until it is taken in; a disk
lost before then lost it. These back up a real spool with real reports, then
lose the vault and the spool, restore, put the files back as root would, and
open them; and tamper with a backup's reports to see the check catch it.
"""

from __future__ import annotations

import io
import json
import os
import shutil
import stat
import tarfile
from pathlib import Path

import pytest

from tests.support.drop import HOSTILE_WORDS, disclose, make_spool, publish
from tests.support.vaults import DSL_PASS, MakeVault
from ydsi_tui.service.staff_reports import open_staff_report
from ydsi_tui.vault.backup import (
    MANIFEST_NAME,
    BackupRefused,
    restore_backup,
    verify_backup,
    write_backup,
)
from ydsi_tui.vault.vault import Vault


def _filed(make_vault: MakeVault, tmp_path: Path) -> tuple[object, Path, list[str]]:
    session, _code, _path = make_vault()
    spool = make_spool(tmp_path)
    _key, pin = publish(session, spool, tmp_path)
    state = tmp_path / "reporter"
    ids = [disclose(spool, pin, state).report_id, disclose(spool, pin, state, "a second").report_id]
    return session, spool, ids


def test_a_backup_holds_the_spools_reports_and_a_restore_gives_them_back(
    make_vault: MakeVault, tmp_path: Path
) -> None:
    session, spool, ids = _filed(make_vault, tmp_path)
    (spool / "planted.report").write_bytes(b"x" * 8192)  # not a report's name: not copied
    os.symlink("/etc/passwd", spool / f"{'A' * 22}.report")  # a link: never followed
    originals = {i: (spool / f"{i}.report").read_bytes() for i in ids}
    backup = tmp_path / "backup.tar"
    manifest = write_backup(session, backup, spool=spool)  # type: ignore[arg-type]
    assert sorted(f.report_id for f in manifest.spool) == sorted(ids)
    # Who filed each is sealed for the case roles: a thief reads no uid in the manifest.
    sealer = session.filer_sealer()  # type: ignore[attr-defined]
    assert all(f.owner(sealer) == os.getuid() for f in manifest.spool)
    assert all(f.owner(None) is None and f.owner_uid == -1 for f in manifest.spool)
    assert manifest.spool_note == ""
    data = backup.read_bytes()
    assert HOSTILE_WORDS.encode() not in data and b"a second" not in data  # sealed, as filed
    assert b"owner_uid" not in data and b'"uid"' not in data
    with tarfile.open(backup) as tar:
        names = tar.getnames()
    assert sorted(n for n in names if n.startswith("spool/")) == sorted(
        f"spool/{i}.report" for i in ids
    )
    check = verify_backup(backup)
    assert check.ok, check.problems
    assert any("2 reports from staff" in note for note in check.notes)
    # The server's disk is lost: the vault and the spool with it.
    vault_path = session.vault.path  # type: ignore[attr-defined]
    session.close()  # type: ignore[attr-defined]
    shutil.rmtree(vault_path)
    shutil.rmtree(spool)
    restored = restore_backup(backup, tmp_path / "restored")
    assert restored.report.ok and restored.staff_reports is not None
    assert stat.S_IMODE(restored.staff_reports.stat().st_mode) == 0o700
    kept = {p.name: p.read_bytes() for p in restored.staff_reports.iterdir()}
    assert kept == {f"{i}.report": originals[i] for i in ids}
    # Root puts them back in a new spool (install -p -m 0440); the DSL opens them.
    (tmp_path / "new").mkdir()
    new_spool = make_spool(tmp_path / "new")
    for name in kept:
        shutil.copy2(restored.staff_reports / name, new_spool / name)
        os.chmod(new_spool / name, 0o440)

    again = Vault.open(tmp_path / "restored").unlock("dsl", DSL_PASS)
    try:
        words = sorted(open_staff_report(again, new_spool, i).words for i in ids)
    finally:
        again.close()
    assert words == sorted([HOSTILE_WORDS, "a second"])


def _rewrite(backup: Path, out: Path, change: object) -> None:
    """Copy a backup member by member through ``change(name, data) -> [(name, data)]``."""
    with tarfile.open(backup) as tar, tarfile.open(out, "w", format=tarfile.PAX_FORMAT) as new:
        for member in tar.getmembers():
            stream = tar.extractfile(member)
            assert stream is not None
            for name, data in change(member.name, stream.read()):  # type: ignore[operator]
                info = tarfile.TarInfo(name)
                info.size, info.mode = len(data), 0o600
                new.addfile(info, io.BytesIO(data))


def test_a_backups_reports_altered_added_or_unlisted_are_caught(
    make_vault: MakeVault, tmp_path: Path
) -> None:
    session, spool, ids = _filed(make_vault, tmp_path)
    backup = tmp_path / "backup.tar"
    write_backup(session, backup, spool=spool)  # type: ignore[arg-type]
    member = f"spool/{ids[0]}.report"

    def flip(name: str, data: bytes) -> list[tuple[str, bytes]]:
        return [(name, data[:-1] + bytes([data[-1] ^ 1]) if name == member else data)]

    def extra(name: str, data: bytes) -> list[tuple[str, bytes]]:
        planted = [(f"spool/{'B' * 22}.report", data)] if name == member else []
        return [(name, data), *planted]

    def unlisted(name: str, data: bytes) -> list[tuple[str, bytes]]:
        """A report taken out of the backup, its manifest entry too: only the signature tells."""
        if name == f"spool/{ids[1]}.report":
            return []
        if name != MANIFEST_NAME:
            return [(name, data)]
        doc = json.loads(data)
        doc["spool"] = [f for f in doc["spool"] if f["report_id"] != ids[1]]
        return [(name, json.dumps(doc).encode())]

    said = {}
    for label, change in (("flip", flip), ("extra", extra), ("unlisted", unlisted)):
        out = tmp_path / f"{label}.tar"
        _rewrite(backup, out, change)
        check = verify_backup(out)
        assert not check.ok
        said[label] = " ".join(check.problems)
        with pytest.raises(BackupRefused):
            restore_backup(out, tmp_path / f"restored-{label}")
        assert not (tmp_path / f"restored-{label}").exists()
        assert not list(tmp_path.glob(f"restored-{label}.staff-reports-*"))
    assert "altered" in said["flip"] and ids[0] in said["flip"]
    assert "not in its manifest" in said["extra"]
    assert "signature does not verify" in said["unlisted"]


def test_no_spool_keeps_the_old_format_and_a_broken_one_is_said(
    make_vault: MakeVault, tmp_path: Path
) -> None:
    session, _code, _path = make_vault()
    plain = tmp_path / "plain.tar"
    manifest = write_backup(session, plain, spool=tmp_path / "no-such-spool")
    assert manifest.spool == () and manifest.spool_note == ""
    with tarfile.open(plain) as tar:
        first = tar.extractfile(MANIFEST_NAME)
        assert first is not None
        assert json.loads(first.read())["version"] == 1  # as every earlier ydsi wrote
    not_a_dir = tmp_path / "spool-file"
    not_a_dir.write_text("not a directory")
    broken = write_backup(session, tmp_path / "broken.tar", spool=not_a_dir)
    assert "reports from staff are not in this backup" in broken.spool_note
    assert verify_backup(tmp_path / "broken.tar").ok  # the vault is backed up all the same
    session.close()


def test_a_manifest_from_before_sealed_filers_still_reads() -> None:
    """Backups made before 12/2026 name each report's owner as a uid in clear."""
    from ydsi_tui.vault.backup import SpoolFile

    old = {"report_id": "A" * 22, "size": 8192, "sha256": "0" * 64, "owner_uid": 1003,
           "filed_at": "2026-12-03T10:00:00+00:00"}  # fmt: skip
    item = SpoolFile.from_doc(old)
    assert item.owner(None) == 1003 and item.to_doc() == old
    sealed = {**{k: v for k, v in old.items() if k != "owner_uid"}, "filer": "c2VhbGVk"}
    assert SpoolFile.from_doc(sealed).owner(None) is None
    for bad in ({**sealed, "filer": ""}, {**sealed, "filer": 7}, {**old, "owner_uid": -1}):
        with pytest.raises(ValueError):
            SpoolFile.from_doc(bad)


def test_sealed_filers_are_manifest_version_4_and_the_version_must_agree(
    make_vault: MakeVault, tmp_path: Path
) -> None:
    """A ydsi that knows version 3 says "upgrade"; a manifest whose version and
    filers disagree is refused (a filer cannot be swapped in for a sealed one)."""
    from ydsi_tui.vault.backup import Manifest

    session, spool, _ids = _filed(make_vault, tmp_path)
    backup = tmp_path / "backup.tar"
    manifest = write_backup(session, backup, spool=spool)  # type: ignore[arg-type]
    doc = json.loads(manifest.to_bytes())
    assert doc["version"] == 4 and all("filer" in f and "owner_uid" not in f for f in doc["spool"])
    for changed in ({**doc, "version": 3},
                    {**doc, "spool": [{**{k: v for k, v in f.items() if k != "filer"},
                                       "owner_uid": 0} for f in doc["spool"]]}):  # fmt: skip
        with pytest.raises(ValueError):
            Manifest.from_bytes(json.dumps(changed).encode())
