"""Kill real processes mid-save and check what they leave behind.

Used by ``tests/vault/test_crash.py`` (a few hundred kills) and by the soak
script ``python -m tests.soak_crash`` (thousands). The process under test is
``tests/support/crash_child.py``: a fork server that unlocks once, so each kill
costs a fork rather than a Python start and an Argon2id run.

After every kill the parent checks, on the real files: ``Vault.open`` (which
repairs), no temporary file left, a real unlock, ``verify_vault`` passing, and
every note whose save was acknowledged present exactly once (besides at most
the one note that was in flight).
"""

from __future__ import annotations

import atexit
import json
import os
import queue
import random
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tests.support.faults import WRITE_OPS, SnapshotFileSystem
from tests.support.vaults import (
    DSL_PASS,
    TECH_PASS,
    cached_kdf,
    copy_vault,
    min_kdf,
    restore_vault,
    temp_files,
)
from ydsi_tui.vault.errors import UnknownUser, VaultError, WrongPassphrase
from ydsi_tui.vault.session import Session
from ydsi_tui.vault.vault import Vault
from ydsi_tui.vault.verify import verify_vault

REPO = Path(__file__).resolve().parents[2]
NEW_PASS = "the new passphrase after the change"
ADDED_PASS = "the added user's first passphrase"


class Server:
    """One ``crash_child`` fork server, unlocked as ``user``."""

    def __init__(self, vault: Path, user: str, passphrase: str, log: Path) -> None:
        self._log = log.open("ab")
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "tests.support.crash_child"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=self._log,
            cwd=REPO,
            text=True,
            bufsize=1,
        )
        self._lines: queue.Queue[str] = queue.Queue()
        self._early: list[str] = []
        threading.Thread(target=self._read, daemon=True).start()
        self._send({"vault": str(vault), "user": user, "passphrase": passphrase})
        self._wait("READY", timeout=60)

    def _read(self) -> None:
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            self._lines.put(line.rstrip("\n"))
        self._lines.put("EOF")

    def _send(self, obj: dict[str, Any]) -> None:
        assert self.proc.stdin is not None
        self.proc.stdin.write(json.dumps(obj) + "\n")
        self.proc.stdin.flush()

    def _wait(self, prefix: str, timeout: float = 60) -> tuple[str, list[str]]:
        """The next line starting with ``prefix``, and every other line before it."""
        others: list[str] = []
        deadline = time.monotonic() + timeout
        while True:
            line = self._lines.get(timeout=max(0.01, deadline - time.monotonic()))
            if line.startswith(prefix):
                return line, others
            if line == "EOF":
                raise RuntimeError(f"crash child exited (see {self._log.name})")
            others.append(line)

    def start(self, command: dict[str, Any]) -> int:
        self._send(command)
        # The worker may print before the server prints its pid (the child of a
        # fork can run first, and under load it can save and acknowledge a note
        # by then): those lines are the worker's output too, kept for reap.
        line, self._early = self._wait("PID")
        return int(line.split()[1])

    def kill_and_reap(self, pid: int) -> tuple[int, int, list[str]]:
        """SIGKILL the worker (by its pid); (signal, exit code, its output lines)."""
        os.kill(pid, signal.SIGKILL)
        return self.reap()

    def reap(self) -> tuple[int, int, list[str]]:
        self._send({"cmd": "reap"})
        line, output = self._wait("REAPED")
        early, self._early = self._early, []
        _, sig, code = line.split()
        return int(sig), int(code), early + output

    def close(self) -> None:
        if self.proc.poll() is None:
            self._send({"cmd": "quit"})
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self._log.close()


@dataclass
class NoteStats:
    kills: int = 0
    acknowledged: int = 0
    lost: int = 0
    unexpected: int = 0
    duplicates: int = 0
    in_flight_kept: int = 0
    open_failures: int = 0
    unlock_failures: int = 0
    verify_failures: int = 0
    temp_files_left: int = 0
    rolled_forward: int = 0
    temp_files_removed: int = 0
    torn_lines_cut: int = 0
    worker_errors: int = 0
    problems: list[str] = field(default_factory=list)

    def merge(self, other: NoteStats) -> None:
        for name, value in vars(other).items():
            if name == "problems":
                self.problems.extend(value)
            else:
                setattr(self, name, getattr(self, name) + value)

    def summary(self) -> str:
        return ", ".join(f"{k}={v}" for k, v in vars(self).items() if k != "problems")


def make_notes_vault(path: Path, records: int) -> list[list[str]]:
    """A vault with a DSL and ``records`` records (case and custody) to append to."""
    dsl, _ = Vault.create(path, user="dsl", passphrase=DSL_PASS, kdf=min_kdf())
    refs: list[list[str]] = []
    for n in range(records):
        comp = "custody" if n % 3 == 2 else "case"
        ref = f"{comp.upper()}-{n}"
        with dsl.transaction(comp, ref, create=True) as db:
            db.table("_summary").insert({"title": ref})
        refs.append([comp, ref])
    dsl.close()
    return refs


def _repair_actions(vault: Vault, stats: NoteStats, actions: list[str] | None = None) -> None:
    for action in vault.repair() if actions is None else actions:
        if action.startswith("finished"):
            stats.rolled_forward += 1
        elif action.startswith("removed"):
            stats.temp_files_removed += 1
        elif action.startswith("cut"):
            stats.torn_lines_cut += 1


def run_notes_lane(
    workdir: Path,
    kills: int,
    *,
    seed: int,
    records: int = 3,
    reset_every: int = 20,
    max_delay: float = 0.03,
) -> NoteStats:
    """One vault, one fork server, ``kills`` SIGKILLs during note saves."""
    rng = random.Random(seed)
    stats = NoteStats()
    vault_path = workdir / "vault"
    refs = make_notes_vault(vault_path, records)
    pristine = copy_vault(vault_path, workdir / "pristine")
    expected: dict[str, set[int]] = {ref: set() for _, ref in refs}
    server = Server(vault_path, "dsl", DSL_PASS, workdir / "child.log")
    try:
        for kill in range(kills):
            if kill and kill % reset_every == 0:
                # Keep the log short so each verify stays cheap: start afresh.
                restore_vault(pristine, vault_path)
                expected = {ref: set() for _, ref in refs}
            first_id = (seed % 1000) * 10**9 + (kill + 1) * 10**5
            pid = server.start(
                {"cmd": "notes", "seed": rng.randrange(2**32), "first_id": first_id, "refs": refs}
            )
            time.sleep(rng.uniform(0, max_delay))
            sig, code, output = server.kill_and_reap(pid)
            stats.kills += 1
            if sig != signal.SIGKILL:
                stats.worker_errors += 1
                stats.problems.append(f"kill {kill}: worker ended by itself ({sig}, {code})")
            acked: dict[str, set[int]] = {}
            for line in output:
                if line.startswith("ACK "):
                    _, _, ref, note = line.split()
                    acked.setdefault(ref, set()).add(int(note))
            count = sum(len(v) for v in acked.values())
            stats.acknowledged += count
            for ref, ids in acked.items():
                expected[ref] |= ids
            in_flight = first_id + count
            _check_after_kill(vault_path, refs, expected, in_flight, stats, f"kill {kill}")
    finally:
        server.close()
    return stats


def _check_after_kill(
    path: Path,
    refs: list[list[str]],
    expected: dict[str, set[int]],
    in_flight: int,
    stats: NoteStats,
    label: str,
) -> None:
    try:
        vault = Vault.open(path, repair=False)
        _repair_actions(vault, stats)
    except VaultError as exc:
        stats.open_failures += 1
        stats.problems.append(f"{label}: open failed: {exc}")
        return
    try:
        # Case saves are settled once a case role unlocks: whether the log
        # names a leftover case file is sealed in the log (sealed_entries.py).
        before = len(vault.warnings)
        session = vault.unlock("dsl", DSL_PASS)
        _repair_actions(vault, stats, vault.warnings[before:])
    except VaultError as exc:
        stats.unlock_failures += 1
        stats.problems.append(f"{label}: unlock failed: {exc}")
        return
    left = temp_files(path)
    if left:
        stats.temp_files_left += len(left)
        stats.problems.append(f"{label}: temporary files left after open and unlock: {left}")
    report = verify_vault(path, opener=session.vault.audit.sealer)
    if not report.ok:
        stats.verify_failures += 1
        stats.problems.append(f"{label}: verify: {report.problems}")
    for comp, ref in refs:
        try:
            notes = session.read(comp, ref, log=False).tables.get("notes", {})
        except VaultError as exc:
            stats.problems.append(f"{label}: {ref} unreadable: {exc}")
            stats.lost += len(expected[ref])
            continue
        ids = [doc["id"] for doc in notes.values()]
        present = set(ids)
        if len(ids) != len(present):
            stats.duplicates += len(ids) - len(present)
            stats.problems.append(f"{label}: {ref} holds a note twice")
        missing = expected[ref] - present
        if missing:
            stats.lost += len(missing)
            stats.problems.append(f"{label}: {ref} lost acknowledged notes {sorted(missing)[:5]}")
        extra = present - expected[ref]
        if in_flight in extra:
            # The save in flight at the kill may land (it reached the log): it
            # must then stay, like any other.
            stats.in_flight_kept += 1
            expected[ref].add(in_flight)
            extra.discard(in_flight)
        if extra:
            stats.unexpected += len(extra)
            stats.problems.append(f"{label}: {ref} holds notes never written {sorted(extra)[:5]}")
    session.close()


def run_notes_campaign(
    workdir: Path, kills: int, *, lanes: int = 2, seed: int = 1, **kw: Any
) -> NoteStats:
    """``kills`` SIGKILLs split over ``lanes`` independent vaults run side by side.

    The unlock after each kill is real except for the Argon2id run, memoised
    on identical inputs (see :func:`cached_kdf`): note saves never touch
    vault.json, so it is the same derivation every time.
    """
    shares = [kills // lanes + (1 if i < kills % lanes else 0) for i in range(lanes)]
    total = NoteStats()
    with cached_kdf(), ThreadPoolExecutor(max_workers=lanes) as pool:
        futures = []
        for lane, share in enumerate(shares):
            lane_dir = workdir / f"lane{lane}"
            lane_dir.mkdir(parents=True)
            futures.append(
                pool.submit(run_notes_lane, lane_dir, share, seed=seed * 100 + lane, **kw)
            )
        for future in futures:
            total.merge(future.result())
    return total


# ---------------------------------------------------------------------------
# key changes: add_user, change_passphrase, rotate
# ---------------------------------------------------------------------------

KEY_OPS: dict[str, dict[str, Any]] = {
    "add_user": {"name": "added", "role": "team", "passphrase": ADDED_PASS},
    "change_passphrase": {"old": DSL_PASS, "new": NEW_PASS},
    "remove_user": {"name": "leaver"},
    "rotate": {"targets": ["case", "custody", "authority"]},
}
LEAVER_PASS = "the passphrase of a member of staff who leaves"


@dataclass
class KeyStats:
    op: str
    runs: int = 0
    old_state: int = 0
    new_state: int = 0
    neither: int = 0
    completed_before_kill: int = 0
    rotations_finished_after: int = 0
    problems: list[str] = field(default_factory=list)

    def summary(self) -> str:
        return ", ".join(f"{k}={v}" for k, v in vars(self).items() if k not in ("problems", "op"))


_TEMPLATES: dict[int, Path] = {}
_TEMPLATE_LOCK = threading.Lock()


def make_key_vault(path: Path, records: int = 4) -> None:
    """A DSL, a technician, a team member to remove, and a few records to re-encrypt.

    Made once per process (four Argon2id runs) and copied: every key-change
    test starts from the same kind of vault, and a copy is a whole vault.
    """
    with _TEMPLATE_LOCK:
        template = _TEMPLATES.get(records)
        if template is None or not template.exists():
            template = Path(tempfile.mkdtemp(prefix="ydsi-key-template-")) / "vault"
            atexit.register(shutil.rmtree, template.parent, True)
            _make_key_vault(template, records)
            _TEMPLATES[records] = template
    copy_vault(template, path)


def _make_key_vault(path: Path, records: int) -> None:
    dsl, _ = Vault.create(path, user="dsl", passphrase=DSL_PASS, kdf=min_kdf())
    dsl.add_user("tech", "technician", TECH_PASS)
    dsl.add_user("leaver", "team", LEAVER_PASS)
    for n in range(records):
        comp = "custody" if n % 2 else "case"
        with dsl.transaction(comp, f"K-{n}", create=True) as db:
            db.table("notes").insert({"n": n, "text": "x" * 200})
    dsl.close()


def check_key_state(path: Path, op: str, stats: KeyStats, label: str) -> None:
    """After a crash during ``op``: the old or the new credentials work, never neither."""
    try:
        vault = Vault.open(path)
    except VaultError as exc:
        stats.neither += 1
        stats.problems.append(f"{label}: open failed: {exc}")
        return
    if op == "change_passphrase":
        state = None
        for name, passphrase in (("new", NEW_PASS), ("old", DSL_PASS)):
            try:
                session = vault.unlock("dsl", passphrase)
            except WrongPassphrase:
                continue
            except VaultError as exc:
                stats.problems.append(f"{label}: unlock with the {name} passphrase: {exc}")
                continue
            _check_settled(session, path, stats, label)
            session.close()
            state = name
            break
        _count(stats, state, label)
        return
    try:
        dsl = vault.unlock("dsl", DSL_PASS)
    except VaultError as exc:
        stats.neither += 1
        stats.problems.append(f"{label}: the DSL cannot unlock: {exc}")
        return
    _check_settled(dsl, path, stats, label)
    if op == "add_user":
        if "added" in [u.name for u in vault.users()]:
            try:
                vault.unlock("added", ADDED_PASS).close()
                _count(stats, "new", label)
            except VaultError as exc:
                _count(stats, None, label)
                stats.problems.append(f"{label}: the added user is listed but cannot unlock: {exc}")
        else:
            try:
                vault.unlock("added", ADDED_PASS)
                stats.problems.append(f"{label}: an unlisted user unlocked")
            except UnknownUser:
                _count(stats, "old", label)
    elif op == "remove_user":
        if "leaver" in [u.name for u in vault.users()]:
            try:
                vault.unlock("leaver", LEAVER_PASS).close()
                _count(stats, "old", label)
            except VaultError as exc:
                _count(stats, None, label)
                stats.problems.append(f"{label}: the user is listed but cannot unlock: {exc}")
        else:
            try:
                vault.unlock("leaver", LEAVER_PASS)
                stats.problems.append(f"{label}: a removed user unlocked")
            except UnknownUser:
                _count(stats, "new", label)
    elif op == "rotate":
        state = "new" if not dsl.rotation_pending and dsl.vault.header.epochs["case"] > 1 else "old"
        problems = _read_everything(dsl, path)
        tech = vault.unlock("tech", TECH_PASS)
        problems += _read_everything(tech, path)
        if dsl.rotation_pending:
            dsl.rotate([])  # running it again finishes it
            stats.rotations_finished_after += 1
            # (the technician's open session picks up the new keys by itself)
            problems += _read_everything(tech, path)
            again = verify_vault(path, opener=dsl.vault.audit.sealer)
            if not again.ok:
                problems.append(f"verify after finishing: {again.problems}")
        if problems:
            stats.problems.extend(f"{label}: {p}" for p in problems)
            _count(stats, None, label)
        else:
            _count(stats, state, label)
    dsl.close()


def _check_settled(session: Session, path: Path, stats: KeyStats, label: str) -> None:
    """After a case role's unlock (which settles case saves): no leftovers, and verify passes."""
    if temp_files(path):
        stats.problems.append(f"{label}: temporary files left: {temp_files(path)}")
    report = verify_vault(path, opener=session.vault.audit.sealer)
    if not report.ok:
        stats.problems.append(f"{label}: verify: {report.problems}")


def _read_everything(session: Session, path: Path) -> list[str]:
    problems: list[str] = []
    for comp in ("case", "custody"):
        if not session.can_read(comp):
            continue
        for listed in session.list_records(comp):
            if listed.error:
                problems.append(
                    f"{session.name} cannot read {comp}/{listed.record_id}: {listed.error}"
                )
    return problems


def _count(stats: KeyStats, state: str | None, label: str) -> None:
    if state == "old":
        stats.old_state += 1
    elif state == "new":
        stats.new_state += 1
    else:
        stats.neither += 1
        stats.problems.append(f"{label}: neither the old nor the new credentials work")


def run_key_kills(
    workdir: Path, op: str, kills: int, *, seed: int, exhaustive: bool = False
) -> KeyStats:
    """SIGKILL a real process during ``op``: at random moments, or at every primitive."""
    rng = random.Random(seed)
    stats = KeyStats(op)
    vault_path = workdir / "vault"
    make_key_vault(vault_path)
    pristine = copy_vault(vault_path, workdir / "pristine")
    server = Server(vault_path, "dsl", DSL_PASS, workdir / "child.log")
    try:
        with cached_kdf():
            # One undisturbed run: how long the op takes and how many primitives it makes.
            started = time.monotonic()
            server.start({"cmd": "op", "op": op, "args": KEY_OPS[op]})
            _, code, output = server.reap()
            duration = time.monotonic() - started
            assert code == 0, f"{op} failed without any kill (see {workdir / 'child.log'})"
            primitives = int(next(line for line in output if line.startswith("OPDONE")).split()[1])
            points = range(1, primitives + 1) if exhaustive else range(kills)
            for run in points:
                restore_vault(pristine, vault_path)
                if exhaustive:
                    pid = server.start({"cmd": "op", "op": op, "args": KEY_OPS[op], "kill_at": run})
                    sig, code, output = server.reap()
                else:
                    pid = server.start({"cmd": "op", "op": op, "args": KEY_OPS[op]})
                    time.sleep(rng.uniform(0, duration * 1.05))
                    sig, code, output = server.kill_and_reap(pid)
                stats.runs += 1
                if any(line.startswith("OPDONE") for line in output):
                    stats.completed_before_kill += 1
                elif sig != signal.SIGKILL:
                    stats.problems.append(f"run {run}: worker ended by itself ({sig}, {code})")
                check_key_state(vault_path, op, stats, f"{op} run {run}")
    finally:
        server.close()
    return stats


def run_key_crash_points(
    workdir: Path, op: str, *, records: int = 2, args: dict[str, Any] | None = None
) -> tuple[KeyStats, int]:
    """Every crash point of ``op`` at once: the files as a SIGKILL before each
    write primitive would leave them (photographed in-process), each checked.

    ``args`` overrides the op's arguments (e.g. rotate only the data keys: a
    rotated authority makes every later unlock re-pin its slot, a fresh
    Argon2id run each, which the soak can afford and CI would rather not).
    """
    vault_path = workdir / "vault"
    make_key_vault(vault_path, records)
    fs = SnapshotFileSystem(vault_path, workdir / "points", before=WRITE_OPS)
    session = Vault.open(vault_path, fs=fs).unlock("dsl", DSL_PASS)
    fs.arm()
    _run_op(session, op, args)
    fs.disarm()
    total = fs.count
    fs.take(total + 1, "end", "")  # and the finished state
    stats = KeyStats(op)
    with cached_kdf(), ThreadPoolExecutor(max_workers=2) as pool:
        futures = []
        for n, primitive, target, snap in fs.snapshots:
            label = f"{op} crash before primitive {n} ({primitive} {Path(target).name})"
            futures.append(pool.submit(_checked, snap, op, label))
        for future in futures:
            result = future.result()
            stats.runs += result.runs
            stats.old_state += result.old_state
            stats.new_state += result.new_state
            stats.neither += result.neither
            stats.rotations_finished_after += result.rotations_finished_after
            stats.problems.extend(result.problems)
    shutil.rmtree(workdir / "points", ignore_errors=True)
    return stats, total


def _checked(snap: Path, op: str, label: str) -> KeyStats:
    stats = KeyStats(op, runs=1)
    check_key_state(snap, op, stats, label)
    return stats


def _run_op(session: Session, op: str, override: dict[str, Any] | None = None) -> None:
    args = override or KEY_OPS[op]
    runner: dict[str, Callable[[], object]] = {
        "add_user": lambda: session.add_user(
            args.get("name", ""), args.get("role", ""), args.get("passphrase", "")
        ),
        "change_passphrase": lambda: session.change_passphrase(
            args.get("old", ""), args.get("new", "")
        ),
        "remove_user": lambda: session.remove_user(args.get("name", "")),
        "rotate": lambda: session.rotate(list(args.get("targets", []))),
    }
    runner[op]()
