"""Every user is a witness: the signed record of the audit log each user's client saw.

Real vaults, real files, the real state directory (``$XDG_STATE_HOME``, set
per test by tests/conftest.py). Each test prints what it counted.
"""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from tests.support.faults import FaultyFileSystem
from tests.support.vaults import DSL_PASS, HEAD_PASS, MakeVault, copy_vault, min_kdf
from ydsi_tui.vault.backup import record_restore, restore_backup, write_backup
from ydsi_tui.vault.errors import AccessDenied, NotSaved, RolledBack, VaultError
from ydsi_tui.vault.session import Session
from ydsi_tui.vault.vault import Vault
from ydsi_tui.vault.verify import verify_vault
from ydsi_tui.vault.witness import KEEP_LINES, Seen, Witness, state_dir

# Real vaults with several users per test (key derivations), seconds each.
pytestmark = pytest.mark.slow

REPO = Path(__file__).resolve().parents[2]


def _note(session: Session, ref: str, text: str, *, create: bool = False) -> None:
    with session.transaction("case", ref, create=create) as db:
        db.table("events").insert({"kind": "note", "text": text})


def _witness(session: Session) -> Witness:
    witness = session._witness  # the test looks at the files the session keeps
    assert witness is not None
    return witness


def _seen(session: Session) -> Seen:
    seen, problem = _witness(session).load()
    assert problem is None and seen is not None, problem
    return seen


def _dsl_with_head(make_vault: MakeVault) -> tuple[Session, Path]:
    session, _code, path = make_vault()
    session.add_user("head", "headteacher", HEAD_PASS, kdf=min_kdf())
    _note(session, "INC-1", "opened", create=True)
    _note(session, "INC-2", "opened", create=True)
    return session, path


def _snapshot(path: Path) -> dict[str, bytes]:
    """The log, the header and every record file, as a group member would copy them."""
    names = ["audit.log", "vault.json"]
    names += [p.relative_to(path).as_posix() for p in path.glob("*/*.ydsr")]
    return {name: (path / name).read_bytes() for name in names}


def _put_back(path: Path, snapshot: dict[str, bytes]) -> None:
    for name, data in snapshot.items():
        tmp = path / f"{name}.adv"
        tmp.write_bytes(data)
        os.replace(tmp, path / name)


def test_witness_is_private_signed_and_moves_only_forwards(make_vault: MakeVault) -> None:
    session, path = _dsl_with_head(make_vault)
    seen = _seen(session)
    head = session.vault.audit.head()
    assert (seen.seq, seen.hash, seen.end) == (head.seq, head.hash, head.length)
    assert seen.header_serial == session.vault.header.serial
    assert seen.epochs == session.vault.header.epochs
    witness = _witness(session)
    assert witness.directory.is_relative_to(state_dir())
    assert stat.S_IMODE(witness.directory.stat().st_mode) == 0o700
    assert stat.S_IMODE(witness.path.stat().st_mode) == 0o600
    lines = witness.witnessed_lines(seen)
    assert lines == (path / "audit.log").read_bytes().split(b"\n")[:-1][-len(lines) :]
    assert len(lines) == head.seq
    # an audited read moves it to the read's own entry
    session.read("case", "INC-1")
    assert _seen(session).seq == head.seq + 1
    # an unaudited read of an older record moves it only up to that record's save: never back
    before = _seen(session)
    session.read("case", "INC-1", log=False)
    assert _seen(session) == before
    # a fresh unlock of the same user finds nothing wrong
    again = Vault.open(path).unlock("dsl", DSL_PASS)
    assert again.rollback is None and again.witness_warnings == []
    print(f"\nwitness at entry {before.seq}, {len(lines) + 1} lines kept, forwards only")


def test_cut_tail_refuses_saves_until_a_dsl_acknowledges(make_vault: MakeVault) -> None:
    session, path = _dsl_with_head(make_vault)
    head_user = Vault.open(path).unlock("head", HEAD_PASS)
    head_user.read("case", "INC-1")
    old = _snapshot(path)
    cut_at = session.vault.audit.head().seq
    for text in ("second", "third", "fourth"):
        _note(session, "INC-1", text)
    head_user.read("case", "INC-1")  # the Headteacher saw the notes too
    saw = session.vault.audit.head().seq
    _put_back(path, old)  # log cut, files rolled back to match: consistent on disk
    assert verify_vault(path).ok
    dsl = Vault.open(path).unlock("dsl", DSL_PASS)
    assert dsl.rollback is not None
    assert f"ends at entry {cut_at}" in dsl.rollback
    assert f"entries {cut_at + 1}-{saw - 1}" in dsl.rollback
    assert any("ROLLED BACK" in w for w in dsl.vault.warnings)
    with pytest.raises(RolledBack, match="ydsi witness ack"):
        _note(dsl, "INC-2", "on top of the rollback")
    assert dsl.read("case", "INC-2", log=False).tables["events"]  # reading still works
    head = Vault.open(path).unlock("head", HEAD_PASS)
    assert head.rollback is not None and f"entries {cut_at + 1}-{saw}" in head.rollback
    with pytest.raises(AccessDenied):
        head.acknowledge_rollback()
    entry = dsl.acknowledge_rollback()
    assert entry.action == "witness.ack" and entry.extra["lost"] == [cut_at + 1, saw - 1]
    _note(dsl, "INC-2", "after the acknowledgement")
    # the Headteacher's witness accepts the DSL's acknowledgement and says so
    head = Vault.open(path).unlock("head", HEAD_PASS)
    assert head.rollback is None
    assert any("acknowledged this" in w for w in head.witness_warnings), head.witness_warnings
    head.read("case", "INC-2")
    assert Vault.open(path).unlock("head", HEAD_PASS).witness_warnings == []
    report = verify_vault(path)
    assert report.ok, report.problems
    with pytest.raises(VaultError, match="nothing to acknowledge"):
        dsl.acknowledge_rollback()
    print(f"\nlost entries {cut_at + 1}-{saw}: refused, acknowledged at {entry.seq}, verify ok")


def test_rollback_while_a_session_runs_is_caught_before_the_next_save(
    make_vault: MakeVault,
) -> None:
    session, path = _dsl_with_head(make_vault)
    old = _snapshot(path)
    _note(session, "INC-1", "second")
    _put_back(path, old)
    with pytest.raises(RolledBack):
        _note(session, "INC-1", "third")
    assert session.rollback is not None


def test_a_tampered_witness_is_ignored_with_a_warning_and_rebuilt(make_vault: MakeVault) -> None:
    session, path = _dsl_with_head(make_vault)
    witness = _witness(session)
    doc = json.loads(witness.path.read_bytes())
    doc["seq"] += 50  # claims more than was seen: would be a false alarm if believed
    doc["end"] += 1
    witness.path.write_bytes(json.dumps(doc).encode())
    dsl = Vault.open(path).unlock("dsl", DSL_PASS)
    assert dsl.rollback is None
    assert any("not trusted" in w for w in dsl.witness_warnings), dsl.witness_warnings
    _note(dsl, "INC-1", "saves go on")
    assert _seen(dsl).seq == dsl.vault.audit.head().seq  # rebuilt, signed again
    witness.path.write_bytes(b"\x00garbage")
    assert any("damaged" in w for w in Vault.open(path).unlock("dsl", DSL_PASS).witness_warnings)


def test_another_users_witness_planted_is_not_trusted(make_vault: MakeVault) -> None:
    session, path = _dsl_with_head(make_vault)
    head = Vault.open(path).unlock("head", HEAD_PASS)
    head.read("case", "INC-1")
    for _ in range(3):
        _note(session, "INC-1", "more")
    old = _snapshot(path)
    _note(session, "INC-1", "lost if the planted witness were believed")
    theirs = _witness(head)
    mine = _witness(session)
    # The Headteacher's (genuine, signed) witness at an older point, renamed to the DSL's.
    mine.path.write_bytes(theirs.path.read_bytes())
    _put_back(path, old)
    dsl = Vault.open(path).unlock("dsl", DSL_PASS)
    assert any("another user" in w for w in dsl.witness_warnings), dsl.witness_warnings


def test_an_undone_save_raises_no_alarm(make_vault: MakeVault) -> None:
    _session, path = _dsl_with_head(make_vault)
    fs = FaultyFileSystem()
    faulty = Vault.open(path, fs=fs).unlock("dsl", DSL_PASS)
    appended_before = faulty.vault.audit.head().seq
    fs.arm(1, op="rename")  # the rename after the append fails: the entry is taken back
    with pytest.raises(NotSaved):
        _note(faulty, "INC-1", "never saved")
    fs.disarm()
    assert faulty.vault.audit.head().seq == appended_before
    assert faulty.rollback is None
    again = Vault.open(path).unlock("dsl", DSL_PASS)
    assert again.rollback is None and again.witness_warnings == []
    _note(again, "INC-1", "saved")


def test_the_per_user_lock_serialises_updates(make_vault: MakeVault) -> None:
    session, _path = _dsl_with_head(make_vault)
    witness = _witness(session)
    started = threading.Event()
    done = threading.Event()

    def save() -> None:
        started.set()
        _note(session, "INC-2", "waits for the witness lock")
        done.set()

    with witness.locked():
        before = _seen(session)
        thread = threading.Thread(target=save)
        thread.start()
        started.wait(5)
        assert not done.wait(0.3), "the update did not wait for the per-user lock"
        assert _seen(session) == before
    thread.join(10)
    assert done.is_set() and _seen(session).seq > before.seq


_WRITER = """
import sys
from ydsi_tui.vault.vault import Vault
session = Vault.open(sys.argv[1]).unlock("dsl", sys.argv[2])
for i in range(int(sys.argv[3])):
    with session.transaction("case", "INC-2") as db:
        db.table("events").insert({"kind": "note", "text": f"cli {i}"})
    session.read("case", "INC-1")
print(session.rollback)
"""


def test_the_cli_and_the_app_of_one_user_update_the_witness_together(
    make_vault: MakeVault,
) -> None:
    session, path = _dsl_with_head(make_vault)
    count = 25
    other = subprocess.Popen(
        [sys.executable, "-c", _WRITER, str(path), DSL_PASS, str(count)],
        cwd=REPO,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    for i in range(count):
        _note(session, "INC-1", f"app {i}")
        session.read("case", "INC-2")
    out, err = other.communicate(timeout=120)
    assert other.returncode == 0, err
    assert out.strip() == "None"
    assert session.rollback is None
    fresh = Vault.open(path).unlock("dsl", DSL_PASS)
    assert fresh.rollback is None and fresh.witness_warnings == []
    fresh.read("case", "INC-1")
    seen = _seen(fresh)
    assert seen.seq == fresh.vault.audit.head().seq
    kept = _witness(fresh).witnessed_lines(seen)
    assert len(kept) == min(seen.seq, KEEP_LINES)
    print(f"\n{4 * count} saves and reads by two programs of one user: witness at {seen.seq}")


def test_a_restore_is_a_note_for_witnesses_not_a_refusal(
    make_vault: MakeVault, tmp_path: Path
) -> None:
    session, path = _dsl_with_head(make_vault)
    backup = tmp_path / "backup.tar"
    write_backup(session, backup)
    head = Vault.open(path).unlock("head", HEAD_PASS)
    for text in ("after the backup 1", "after the backup 2"):
        _note(session, "INC-1", text)
    head.read("case", "INC-1")
    saw = head.vault.audit.head().seq
    kept = copy_vault(path, tmp_path / "kept")
    result = restore_backup(backup, path, force=True)
    assert result.previous == "newer" and result.replaced is not None
    dsl = Vault.open(path).unlock("dsl", DSL_PASS)
    assert dsl.rollback is not None  # until the restore is in the log
    entry = record_restore(dsl, result)
    assert entry.action == "vault.restore" and entry.extra["abandoned"]["seq"] == saw
    assert dsl.rollback is None
    head = Vault.open(path).unlock("head", HEAD_PASS)
    assert head.rollback is None
    notes = [w for w in head.witness_warnings if "restored from a backup by dsl" in w]
    assert notes and "not in the restored vault" in notes[0], head.witness_warnings
    _note(head, "INC-2", "saves go on after a restore")
    assert verify_vault(path).ok
    assert (kept / "audit.log").exists()
