"""A member of the vault's Unix group with no key at all.

Anyone in the group (every technician, and anyone who ever had an account
there) can read, write and rename every file in the vault directory and keep
old copies of them. They cannot decrypt or sign anything. What they can do
is move the vault's own genuine files about: roll a record back, replay an
old version, swap two records, cut the audit log's tail, delete a file, or
swap the lock file under two honest writers (the review's M1).
"""

from __future__ import annotations

import json
import subprocess
import sys
import threading
from pathlib import Path

from tests.support.adversary import (
    DSL,
    HEAD,
    Checks,
    World,
    expect_intact,
    expect_unvouched,
    expect_verify_names,
    incident_files_in_creation_order,
    plain_write,
    rename_over,
)
from ydsi_tui.vault.errors import VaultError
from ydsi_tui.vault.recordfile import RECORD_SUFFIX

REPO = Path(__file__).resolve().parents[2]


def _incident_file(world: World, index: int) -> Path:
    """Which file is which incident, from the keyless audit log alone."""
    record_id = incident_files_in_creation_order(world.path)[index]
    path = world.path / "case" / f"{record_id}{RECORD_SUFFIX}"
    assert path == world.file("case", world.incidents[index])  # the harness's ground truth
    return path


def test_rolled_back_case_file_is_refused(world: World) -> None:
    """Issue item 2: an older copy of an incident copied back over a newer one."""
    ref = world.incidents[0]
    target = _incident_file(world, 0)
    old = target.read_bytes()  # kept by the group member
    world.cases(DSL).note(ref, "Ava's mother called: she knows about the image")  # acknowledged
    before = world.genuine()
    plain_write(target, old)
    checks = Checks("group member", "case file rolled back to an older copy")
    expect_unvouched(world, checks, "case", ref)
    expect_intact(world, checks, before, lost=(ref,))
    checks.finish()


def test_swapped_case_files_are_refused_and_nothing_is_lost(world: World) -> None:
    """The two incidents' files swapped by name: both refused, both intact once put back."""
    before = world.genuine()
    first, second = _incident_file(world, 0), _incident_file(world, 1)
    a, b = first.read_bytes(), second.read_bytes()
    plain_write(first, b)
    plain_write(second, a)
    checks = Checks("group member", "two incidents' files swapped")
    for ref in world.incidents:
        expect_unvouched(world, checks, "case", ref)
    expect_intact(world, checks, before, lost=world.incidents)
    plain_write(first, a)  # the school puts them back: nothing was lost
    plain_write(second, b)
    expect_intact(world, checks, before)
    report = world.verify()
    checks.keep("verify ok once put back", report.ok, "; ".join(report.problems))
    checks.finish()


def test_replayed_custody_record_is_refused(world: World) -> None:
    """An old version of the custody chain copied back after more entries were added."""
    device = world.device
    target = world.file("custody", device)
    old = target.read_bytes()
    log = world.devices(DSL)
    log.record(device, "device.moved", {"to_where": "police station", "reason": "hand-over"})
    log.record(
        device,
        "device.handover",
        {"officer": "PC Example", "crime_ref": "CR-1", "handed_over_by": "Tom Tech"},
    )
    before = world.genuine()
    plain_write(target, old)
    checks = Checks("group member", "custody record replayed after two more entries")
    expect_unvouched(world, checks, "custody", device)
    expect_intact(world, checks, before, lost=(device,))
    checks.finish()


def _log_lines(path: Path) -> list[bytes]:
    return (path / "audit.log").read_bytes().splitlines(keepends=True)


def test_cut_audit_tail_leaves_the_newer_record_unvouched(world: World) -> None:
    """The last entry (a DSL's note) cut off the log; an honest save follows."""
    ref, other = world.incidents
    world.cases(DSL).note(ref, "Ava's mother called: she knows about the image")
    before = world.genuine()
    lines = _log_lines(world.path)
    plain_write(world.path / "audit.log", b"".join(lines[:-1]))
    checks = Checks("group member", "audit log's last entry cut, then an honest save")
    try:  # the re-save: with a witness it is refused, without one it lands
        world.cases(DSL).note(other, "Cara's parents came in")
        resaved = "accepted"
    except VaultError as exc:
        resaved = f"refused ({exc})"
    print(f"\nthe honest save after the cut was {resaved}")
    expect_unvouched(world, checks, "case", ref)
    after = world.genuine((other, world.device))
    checks.same(
        f"{other} keeps every earlier entry",
        after[other].entries[: len(before[other].entries)],
        before[other].entries,
    )
    checks.same("the device reads as before", after[world.device], before[world.device])
    checks.finish()


def test_cut_audit_tail_with_the_file_rolled_back_to_match_is_noticed(world: World) -> None:
    """The note's entry cut and the file put back as it was: consistent, but not current."""
    ref, other = world.incidents
    target = _incident_file(world, 0)
    old_file, old_log = target.read_bytes(), (world.path / "audit.log").read_bytes()
    world.cases(DSL).open(ref)  # the DSL's client has seen the vault up to here ...
    world.cases(DSL).note(ref, "Ava's mother called: she knows about the image")
    world.cases(DSL).open(ref)  # ... and its note acknowledged
    before = world.genuine((other, world.device))
    plain_write(target, old_file)
    plain_write(world.path / "audit.log", old_log)
    checks = Checks("group member", "audit tail cut with the file rolled back to match")

    def next_save() -> object:
        world.close()  # the DSL starts ydsi again: a new unlock, the same user's state
        return world.cases(DSL).note(other, "Cara's parents came in")

    checks.refused("the DSL's next unlock or save notices the lost entry", next_save, damaged=False)
    after = world.genuine((other, world.device))
    checks.same(
        f"{other} keeps every earlier entry",
        after[other].entries[: len(before[other].entries)],
        before[other].entries,
    )
    checks.same("the device reads as before", after[world.device], before[world.device])
    checks.finish()


def test_deleted_case_file_is_named_missing_and_nothing_else_is_lost(world: World) -> None:
    """The file of 2026-002 deleted outright: verify names it; every other record reads."""
    ref = world.incidents[1]
    before = world.genuine()
    target = _incident_file(world, 1)
    target.unlink()
    checks = Checks("group member", "case file deleted outright")
    book = world.cases(DSL)
    checks.refused(f"dsl CaseBook.open({ref})", lambda: book.open(ref), damaged=False)
    report = world.verify()
    checks.attack(
        "verify says it is missing",
        any(target.name in p and "missing" in p for p in report.problems),
        "; ".join(report.problems),
    )
    expect_verify_names(world, checks, f"case/{target.name}")
    expect_intact(world, checks, before, lost=(ref,))
    checks.finish()


def _start_writer(
    world: World, user: str, passphrase: str, label: str, count: int
) -> subprocess.Popen[str]:
    proc = subprocess.Popen(
        [sys.executable, "-m", "tests.support.adversary"],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        cwd=REPO,
        text=True,
    )
    assert proc.stdin is not None and proc.stdout is not None
    config = {
        "vault": str(world.path),
        "user": user,
        "passphrase": passphrase,
        "label": label,
        "count": count,
        "refs": list(world.incidents),
    }
    proc.stdin.write(json.dumps(config) + "\n")
    proc.stdin.flush()
    return proc


def test_replacing_the_lock_loses_no_acknowledged_save(world: World) -> None:
    """M1: a group member renames new files over .lock while the DSL and the Headteacher,
    in two processes, save notes to the same incidents."""
    count = 40
    before = world.genuine()
    procs = [
        _start_writer(world, DSL.login, DSL.passphrase, "A", count),
        _start_writer(world, HEAD.login, HEAD.passphrase, "B", count),
    ]
    for proc in procs:
        assert proc.stdout is not None
        line = proc.stdout.readline().strip()
        assert line == "READY", proc.stderr.read() if proc.stderr else line
    stop = threading.Event()
    renames: dict[str, int] = {}
    renamer = threading.Thread(target=rename_over, args=(world.path / ".lock", stop, renames))
    renamer.start()
    acked: dict[str, set[str]] = {}
    try:
        for proc in procs:
            assert proc.stdin is not None
            proc.stdin.write("GO\n")
            proc.stdin.flush()
        for proc in procs:
            out, err = proc.communicate(timeout=300)
            assert proc.returncode == 0, err
            for line in out.splitlines():
                if line.startswith("ACK "):
                    _, ref, text = line.split()
                    acked.setdefault(ref, set()).add(text)
    finally:
        stop.set()
        renamer.join()
    checks = Checks(
        "group member", f"lock replaced {renames.get('renames', 0)} times under two writers"
    )
    total = sum(len(v) for v in acked.values())
    checks.keep("every save was acknowledged", total == 2 * count, f"{total} acknowledged")
    book = world.cases(DSL)
    lost = 0
    for ref in world.incidents:
        try:
            stored = [n.text("text") for n in book.open(ref).incident.notes]
        except VaultError as exc:
            checks.attack(f"{ref} still reads", False, str(exc))
            lost += len(acked.get(ref, set()))
            continue
        missing = acked.get(ref, set()) - set(stored)
        twice = len(stored) != len(set(stored))
        lost += len(missing)
        checks.attack(
            f"{ref}: every acknowledged note is there", not missing, f"lost {sorted(missing)}"
        )
        checks.attack(f"{ref}: none saved twice", not twice)
    print(f"\n{total} acknowledged saves, {lost} lost")
    report = world.verify()
    checks.attack("verify ok afterwards", report.ok, "; ".join(report.problems))
    after = world.genuine()
    for ref, genuine in before.items():
        checks.same(
            f"{ref} keeps every earlier entry",
            after[ref].entries[: len(genuine.entries)],
            genuine.entries,
        )
    checks.finish()
