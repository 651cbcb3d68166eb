"""A group member with no key plants hostile file states (the review's M5).

Anyone in the vault's Unix group can put anything at any name in the vault
directory: a FIFO (a read of it waits for ever for a writer), a symbolic
link, a directory, a sparse file of gigabytes (nothing on disk, but a read
of it fills memory), or a throttle counter of a million. Each attack here
uses only that: plain file operations, no key. Each asserts the three
things the issue asks: a clear one-line message naming the file (relative
to the vault), never "internal error", and every other record still reads.

Whatever might hang runs in a subprocess with a timeout (or a thread with
one), so a regression fails the test instead of stalling the suite.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import pytest

from tests.support.adversary import DSL, TECH, Person, World
from ydsi_tui.vault.errors import DamagedFile, NotSaved, UnsafeFile
from ydsi_tui.vault.fs import MAX_RECORD_FILE, FileSystem
from ydsi_tui.vault.header import Header
from ydsi_tui.vault.recordfile import MAX_HEADER, MAX_SEGMENT
from ydsi_tui.vault.vault import MAX_DELAY, Vault, throttle_delay

T = TypeVar("T")

#: A hang shows up as this timeout; a healthy command takes a few seconds.
TIMEOUT = 90
#: A record name no save ever used (the attacker's own planted file).
PLANTED = "1" * 32 + ".ydsr"
FOUR_GIB = 4 * 1024**3


def _cli(
    world: World, tmp: Path, *args: str, person: Person = DSL
) -> subprocess.CompletedProcess[str]:
    """``ydsi ARGS`` as ``person``, in its own process; a hang fails the test."""
    secret = tmp / f"pass-{person.login}"
    secret.write_text(person.passphrase + "\n", encoding="utf-8")
    secret.chmod(0o600)
    command = [
        sys.executable, "-m", "ydsi_tui.cli.main", *args,
        "--vault", str(world.path), "--user", person.login, "--passphrase-file", str(secret),
    ]  # fmt: skip
    try:
        return subprocess.run(
            command,
            capture_output=True,
            text=True,
            stdin=subprocess.DEVNULL,
            timeout=TIMEOUT,
            check=False,
        )
    except subprocess.TimeoutExpired:
        pytest.fail(f"'ydsi {' '.join(args)}' hung (killed after {TIMEOUT} s)")


def _within(seconds: float, call: Callable[[], T]) -> T:
    """``call()`` in a thread; fails (never hangs) if it has not returned in time."""
    box: dict[str, Any] = {}

    def run() -> None:
        try:
            box["value"] = call()
        except BaseException as exc:  # handed back to the test
            box["error"] = exc

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    thread.join(seconds)
    if thread.is_alive():
        pytest.fail(f"hung: still running after {seconds} s")
    if "error" in box:
        raise box["error"]
    value: T = box["value"]
    return value


def _clear(result: subprocess.CompletedProcess[str], label: str, *, code: int | None = 5) -> None:
    """One line on stderr naming ``label``, no internal error, no traceback."""
    assert "internal error" not in result.stderr + result.stdout, result.stderr
    assert "Traceback" not in result.stderr, result.stderr
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert lines, f"no message (rc={result.returncode}, stdout={result.stdout!r})"
    assert any(label in line for line in lines), result.stderr
    if code is not None:
        assert result.returncode == code, (result.returncode, result.stderr)


def _listed(world: World, tmp: Path, *, compartment: str = "case") -> list[dict[str, Any]]:
    command = (
        ("incident", "list", "--json") if compartment == "case" else ("device", "list", "--json")
    )
    result = _cli(world, tmp, *command)
    assert "internal error" not in result.stderr, result.stderr
    assert result.returncode == 0, result.stderr
    rows: list[dict[str, Any]] = json.loads(result.stdout)
    return rows


def _others_read(world: World, tmp: Path, *, but: str | None = None) -> None:
    """Every incident but ``but``, and the device, still open from the command line."""
    for ref in world.incidents:
        if ref == but:
            continue
        shown = _cli(world, tmp, "incident", "show", ref, "--json")
        assert shown.returncode == 0, (ref, shown.stderr)
        assert json.loads(shown.stdout)["ref"] == ref
    device = _cli(world, tmp, "device", "show", world.device, "--json")
    assert device.returncode == 0 or world.device == but, device.stderr


def _user_id(world: World, login: str) -> str:
    """Keyless: every group member can read ``vault.json``."""
    header = Header.from_bytes((world.path / "vault.json").read_bytes())
    user = header.user_by_name(login)
    assert user is not None
    return user.id


def _relpath(world: World, path: Path) -> str:
    return path.relative_to(world.path).as_posix()


# ----------------------------------------------------------------------
# FIFOs: a read of one waits for a writer that never comes
# ----------------------------------------------------------------------
def test_fifo_at_a_throttle_path_does_not_hang_unlock(world: World, tmp_path: Path) -> None:
    """``mkfifo throttle/<dsl-id>``: every DSL unlock hung for ever (rc=124 in the review)."""
    throttle = world.path / "throttle" / _user_id(world, "dsl")
    throttle.unlink(missing_ok=True)
    os.mkfifo(throttle)
    rows = _listed(world, tmp_path)
    assert sorted(r["ref"] for r in rows) == sorted(world.incidents)
    # In process too: unlock returns, and the planted file is named in a warning.
    vault = Vault.open(world.path)
    session = _within(60, lambda: vault.unlock(DSL.login, DSL.passphrase))
    session.close()
    label = f"throttle/{throttle.name}"
    assert any(label in w and "FIFO" in w for w in vault.warnings), vault.warnings
    # verify (keyless) names it too: a note, since no record is at stake.
    report = world.verify()
    assert report.ok, report.problems
    assert any(f"{label} is a FIFO, not a file" in n for n in report.notes), report.notes


def test_fifo_planted_among_records_is_one_damaged_row(world: World, tmp_path: Path) -> None:
    """``mkfifo case/000…000.ydsr``: ``incident list`` hung for ever."""
    os.mkfifo(world.path / "case" / PLANTED)
    rows = _listed(world, tmp_path)
    damaged = [r for r in rows if r["error"]]
    assert len(damaged) == 1, rows
    assert f"case/{PLANTED} is a FIFO, not a file" in damaged[0]["error"]
    assert sorted(r["ref"] for r in rows if not r["error"]) == sorted(world.incidents)
    _others_read(world, tmp_path)


def test_fifo_in_place_of_a_record_refuses_that_record_only(world: World, tmp_path: Path) -> None:
    ref = world.incidents[0]
    target = world.file("case", ref)
    label = _relpath(world, target)
    target.unlink()
    os.mkfifo(target)
    shown = _cli(world, tmp_path, "incident", "show", ref)
    _clear(shown, f"{label} is a FIFO, not a file")
    _others_read(world, tmp_path, but=ref)
    # In process, the DSL's own session: refused at once, never a hang.
    book = world.cases(DSL)
    with pytest.raises(UnsafeFile, match="is a FIFO"):
        _within(60, lambda: book.open(ref, log=False))


def test_fifo_in_custody_is_one_damaged_row(world: World, tmp_path: Path) -> None:
    os.mkfifo(world.path / "custody" / PLANTED)
    rows = _listed(world, tmp_path, compartment="custody")
    assert any(f"custody/{PLANTED} is a FIFO" in (r.get("error") or "") for r in rows), rows
    assert any(r.get("ref") == world.device for r in rows), rows
    _others_read(world, tmp_path)


def test_fifo_in_place_of_the_header_is_a_clear_refusal(world: World, tmp_path: Path) -> None:
    header = world.path / "vault.json"
    header.unlink()
    os.mkfifo(header)
    listed = _cli(world, tmp_path, "incident", "list")
    _clear(listed, "vault.json is a FIFO, not a file")
    checked = _cli(world, tmp_path, "verify")
    assert "internal error" not in checked.stderr, checked.stderr
    assert "vault.json is a FIFO" in checked.stdout + checked.stderr
    assert checked.returncode != 0


# ----------------------------------------------------------------------
# symbolic links: O_NOFOLLOW refuses them with ELOOP, which must read clearly
# ----------------------------------------------------------------------
def test_symlink_in_place_of_a_record_is_refused_by_name(world: World, tmp_path: Path) -> None:
    """Even a link to the record's own genuine bytes: ydsi never makes links."""
    ref = world.incidents[1]
    target = world.file("case", ref)
    label = _relpath(world, target)
    elsewhere = tmp_path / "elsewhere.ydsr"
    shutil.move(target, elsewhere)
    target.symlink_to(elsewhere)
    shown = _cli(world, tmp_path, "incident", "show", ref)
    _clear(shown, f"{label} is a symbolic link, not a file")
    rows = _listed(world, tmp_path)
    assert [r for r in rows if r["error"] and label in r["error"]], rows
    _others_read(world, tmp_path, but=ref)
    report = world.verify()
    assert any(f"{label} is a symbolic link" in p for p in report.problems), report.problems


def test_symlink_planted_at_a_throttle_path_is_ignored(world: World, tmp_path: Path) -> None:
    throttle = world.path / "throttle" / _user_id(world, "dsl")
    throttle.unlink(missing_ok=True)
    bait = tmp_path / "bait"
    bait.write_text('{"failures": 1000000}')
    throttle.symlink_to(bait)
    rows = _listed(world, tmp_path)
    assert sorted(r["ref"] for r in rows) == sorted(world.incidents)
    report = world.verify()
    assert any(f"throttle/{throttle.name} is a symbolic link" in n for n in report.notes)


def test_symlink_in_place_of_the_audit_log_is_a_clear_refusal(world: World, tmp_path: Path) -> None:
    log = world.path / "audit.log"
    elsewhere = tmp_path / "audit.log"
    shutil.move(log, elsewhere)
    log.symlink_to(elsewhere)
    listed = _cli(world, tmp_path, "incident", "list")
    _clear(listed, "audit.log is a symbolic link, not a file")
    checked = _cli(world, tmp_path, "verify")
    assert "internal error" not in checked.stderr, checked.stderr
    assert "audit.log is a symbolic link" in checked.stdout + checked.stderr


# ----------------------------------------------------------------------
# sparse giants: nothing on disk, gigabytes if read
# ----------------------------------------------------------------------
_MEASURED = (
    "import resource, sys\n"
    "from ydsi_tui.cli.main import main\n"
    "code = main(sys.argv[1:])\n"
    "peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss\n"
    "print(f'PEAK-KIB={peak}', file=sys.stderr)\n"
    "sys.exit(code)\n"
)


def _measured(world: World, tmp: Path, *args: str) -> tuple[subprocess.CompletedProcess[str], int]:
    """``ydsi ARGS`` in a process of its own; (result, its peak RSS in KiB)."""
    secret = tmp / "pass-measured"
    secret.write_text(DSL.passphrase + "\n", encoding="utf-8")
    secret.chmod(0o600)
    command = [
        sys.executable, "-c", _MEASURED, *args,
        "--vault", str(world.path), "--user", DSL.login, "--passphrase-file", str(secret),
    ]  # fmt: skip
    try:
        result = subprocess.run(
            command, capture_output=True, text=True, stdin=subprocess.DEVNULL, timeout=TIMEOUT
        )
    except subprocess.TimeoutExpired:
        pytest.fail(f"'ydsi {' '.join(args)}' took over {TIMEOUT} s")
    lines = result.stderr.splitlines()
    peak = int(lines[-1].removeprefix("PEAK-KIB="))
    result.stderr = "\n".join(lines[:-1])
    return result, peak


#: Python, the app's imports and one Argon2id run at the floor (64 MiB): well
#: under this. Reading a 4 GiB file took 8.4 GB in the review.
PEAK_LIMIT_KIB = 600 * 1024


def test_sparse_4gib_record_is_refused_without_reading_it(world: World, tmp_path: Path) -> None:
    planted = world.path / "case" / PLANTED
    planted.touch()
    os.truncate(planted, FOUR_GIB)  # sparse: no block on disk
    started = time.monotonic()
    result, peak = _measured(world, tmp_path, "incident", "list", "--json")
    elapsed = time.monotonic() - started
    assert result.returncode == 0, result.stderr
    assert "internal error" not in result.stderr
    rows = json.loads(result.stdout)
    damaged = [r for r in rows if r["error"]]
    assert len(damaged) == 1
    assert f"case/{PLANTED} is 4.0 GiB, more than the" in damaged[0]["error"]
    assert sorted(r["ref"] for r in rows if not r["error"]) == sorted(world.incidents)
    assert peak < PEAK_LIMIT_KIB, f"peak RSS {peak} KiB: the file was read"
    assert elapsed < 60, elapsed


def test_sparse_giant_in_place_of_a_record_names_its_cap(world: World, tmp_path: Path) -> None:
    ref = world.incidents[0]
    target = world.file("case", ref)
    label = _relpath(world, target)
    os.truncate(target, FOUR_GIB)
    result, peak = _measured(world, tmp_path, "incident", "show", ref)
    _clear(result, f"{label} is 4.0 GiB, more than the 129 MiB a record file may be")
    assert peak < PEAK_LIMIT_KIB, f"peak RSS {peak} KiB: the file was read"
    _others_read(world, tmp_path, but=ref)


def test_sparse_giant_audit_log_is_a_clear_refusal(world: World, tmp_path: Path) -> None:
    log = world.path / "audit.log"
    os.truncate(log, FOUR_GIB)  # grows it with zeros: a log of nothing
    result, peak = _measured(world, tmp_path, "incident", "list")
    _clear(result, "audit.log is 4.0 GiB, more than the 512 MiB the audit log may be")
    assert peak < PEAK_LIMIT_KIB, f"peak RSS {peak} KiB: the log was read"
    checked, peak = _measured(world, tmp_path, "verify")
    assert "internal error" not in checked.stderr
    assert "audit.log is 4.0 GiB" in checked.stdout, checked.stdout
    assert checked.returncode == 1
    assert peak < PEAK_LIMIT_KIB


def test_the_record_cap_is_above_anything_the_format_can_hold() -> None:
    """A genuine record, however large, is never refused by the size check."""
    assert MAX_RECORD_FILE >= MAX_HEADER + 2 * MAX_SEGMENT


# ----------------------------------------------------------------------
# the throttle counter: anyone's to write
# ----------------------------------------------------------------------
@pytest.mark.parametrize(
    "planted",
    [
        b'{"failures":1000000}',
        b'{"failures":' + b"9" * 200 + b"}",
        b'{"failures":-7}',
        b'{"failures":Infinity}',
        b'{"failures":1e999}',
        b'{"failures":"many"}',
        b'{"failures":true}',
        b"[" * 200 + b"]" * 200,
        b"not json at all \xff",
        b"",
    ],
    ids=[
        "million",
        "200-digits",
        "negative",
        "infinity",
        "1e999",
        "string",
        "bool",
        "nested",
        "junk",
        "empty",
    ],
)
def test_absurd_throttle_counter_is_read_as_a_bounded_value(world: World, planted: bytes) -> None:
    """``{"failures":1000000}`` gave "internal error (OverflowError)" at every unlock, for good."""
    (world.path / "throttle" / _user_id(world, "dsl")).write_bytes(planted)
    vault = Vault.open(world.path)
    waits: list[float] = []
    vault.sleep = waits.append
    session = vault.unlock(DSL.login, DSL.passphrase)
    session.close()
    assert all(0 <= w <= MAX_DELAY for w in waits), waits
    # The right passphrase clears whatever was planted: the next unlock waits nothing.
    again = Vault.open(world.path)
    again_waits: list[float] = []
    again.sleep = again_waits.append
    again.unlock(DSL.login, DSL.passphrase).close()
    assert again_waits == []


def test_a_million_failures_cost_one_short_wait_from_the_command_line(
    world: World, tmp_path: Path
) -> None:
    throttle = world.path / "throttle" / _user_id(world, "dsl")
    throttle.write_bytes(b'{"failures":1000000}')
    started = time.monotonic()
    rows = _listed(world, tmp_path)
    assert sorted(r["ref"] for r in rows) == sorted(world.incidents)
    assert time.monotonic() - started < MAX_DELAY + 30


def test_the_throttle_delay_is_bounded_and_monotonic() -> None:
    """A planted counter cannot make a lockout: the wait never passes MAX_DELAY."""
    delays = [throttle_delay(n) for n in (-(10**9), 0, 4, 5, 6, 7, 8, 40, 10**6, 10**300)]
    assert delays[:3] == [0.0, 0.0, 0.0]
    assert delays == sorted(delays)
    assert max(delays) == MAX_DELAY <= 5.0


def test_wrong_passphrases_still_slow_down(world: World) -> None:
    """The clamp keeps the throttle itself: failures past the free ones do wait."""
    from ydsi_tui.vault.errors import WrongPassphrase

    vault = Vault.open(world.path)
    waits: list[float] = []
    vault.sleep = waits.append
    for _ in range(8):
        with pytest.raises(WrongPassphrase):
            vault.unlock(TECH.login, "not the passphrase at all")
    assert waits and waits[-1] > 0
    assert max(waits) <= MAX_DELAY


# ----------------------------------------------------------------------
# a directory where a file belongs
# ----------------------------------------------------------------------
def test_directory_in_place_of_a_record(world: World, tmp_path: Path) -> None:
    ref = world.incidents[1]
    target = world.file("case", ref)
    label = _relpath(world, target)
    target.unlink()
    target.mkdir()
    shown = _cli(world, tmp_path, "incident", "show", ref)
    _clear(shown, f"{label} is a directory, not a file")
    rows = _listed(world, tmp_path)
    assert [r for r in rows if r["error"] and f"{label} is a directory" in r["error"]], rows
    _others_read(world, tmp_path, but=ref)
    report = world.verify()
    assert any(f"{label} is a directory" in p for p in report.problems), report.problems


def test_directory_at_a_throttle_path(world: World, tmp_path: Path) -> None:
    """Unlock works, and so does a wrong passphrase (its count cannot be written: no crash)."""
    throttle = world.path / "throttle" / _user_id(world, "dsl")
    throttle.unlink(missing_ok=True)
    throttle.mkdir()
    wrong = _cli(world, tmp_path, "incident", "list", person=Person("dsl", "dsl", "", "wrong one"))
    assert wrong.returncode == 3, wrong.stderr
    assert "internal error" not in wrong.stderr
    rows = _listed(world, tmp_path)
    assert sorted(r["ref"] for r in rows) == sorted(world.incidents)


def test_directory_in_place_of_the_header(world: World, tmp_path: Path) -> None:
    header = world.path / "vault.json"
    header.unlink()
    header.mkdir()
    listed = _cli(world, tmp_path, "incident", "list")
    assert "internal error" not in listed.stderr, listed.stderr
    assert listed.returncode != 0 and listed.returncode != 70
    assert "vault.json" in listed.stderr


# ----------------------------------------------------------------------
# the lock
# ----------------------------------------------------------------------
_HOLD = (
    "import fcntl, os, sys, time\n"
    "fd = os.open(sys.argv[1], os.O_RDONLY | os.O_DIRECTORY)\n"
    "fcntl.flock(fd, fcntl.LOCK_EX)\n"
    "print('held', flush=True)\n"
    "sys.stdin.read()\n"
)


@pytest.mark.slow  # waits out the lock
def test_verify_with_the_lock_held_says_it_could_not_check(world: World, tmp_path: Path) -> None:
    """``flock $V sleep 60``: verify said "Vault NOT intact ... 0 audit entries"."""
    holder = subprocess.Popen(
        [sys.executable, "-c", _HOLD, str(world.path)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "held"
        checked = _cli(world, tmp_path, "verify")
    finally:
        holder.communicate("", timeout=30)
    assert "NOT intact" not in checked.stdout, checked.stdout
    _clear(checked, "could not check: the lock is held by another user", code=9)
    after = _cli(world, tmp_path, "verify")
    assert after.returncode == 0 and "Vault intact" in after.stdout, after.stdout


# ----------------------------------------------------------------------
# the reading layer itself
# ----------------------------------------------------------------------
def test_every_read_primitive_refuses_before_reading(tmp_path: Path) -> None:
    """read_bytes, read_tail, read_from, read_range and open_read share one check."""
    fs = FileSystem()
    case = tmp_path / "case"
    case.mkdir()
    fifo = case / PLANTED
    os.mkfifo(fifo)
    giant = tmp_path / "audit.log"
    giant.touch()
    os.truncate(giant, FOUR_GIB)
    link = case / ("2" * 32 + ".ydsr")
    link.symlink_to(giant)
    calls: list[Callable[[Path], object]] = [
        fs.read_bytes,
        lambda p: fs.read_tail(p, 10),
        lambda p: fs.read_from(p, 0),
        lambda p: fs.read_range(p, 0, 10),
        fs.open_read,
    ]
    for call in calls:
        with pytest.raises(UnsafeFile, match=rf"^case/{PLANTED} is a FIFO, not a file"):
            _within(30, lambda call=call: call(fifo))  # type: ignore[misc]
        with pytest.raises(UnsafeFile, match=r"^audit\.log is 4\.0 GiB, more than the 512 MiB"):
            call(giant)
        with pytest.raises(DamagedFile, match=r"is a symbolic link, not a file"):
            call(link)


# ----------------------------------------------------------------------
# enrolment requests: read at every DSL unlock
# ----------------------------------------------------------------------
def test_fifo_planted_as_an_enrolment_request_does_not_stop_unlock(
    world: World, tmp_path: Path
) -> None:
    """A DSL's unlock reads requests/ to endorse them: a FIFO there hung it."""
    requests = world.path / "requests"
    requests.mkdir(exist_ok=True)
    planted = requests / f"{_user_id(world, 'tech')}.json"
    planted.unlink(missing_ok=True)
    os.mkfifo(planted)
    rows = _listed(world, tmp_path)
    assert sorted(r["ref"] for r in rows) == sorted(world.incidents)
    vault = Vault.open(world.path)
    session = _within(60, lambda: vault.unlock(DSL.login, DSL.passphrase))
    try:
        refused: list[str] = []
        _within(60, lambda: session.endorse_requests(refused=refused))
        assert any(f"requests/{planted.name} is a FIFO" in r for r in refused), refused
    finally:
        session.close()


# ----------------------------------------------------------------------
# a file of another owner, unreadable to the reader
# ----------------------------------------------------------------------
NOBODY = 65534


def _runs_as_nobody(python: str) -> bool:
    try:
        done = subprocess.run(
            [python, "-c", "pass"], capture_output=True, user=NOBODY, group=NOBODY,
            timeout=TIMEOUT, check=False,
        )  # fmt: skip
    except PermissionError:
        return False
    return done.returncode == 0


@pytest.mark.skipif(os.geteuid() != 0, reason="needs root to make files of two owners")
def test_record_of_another_owner_is_one_clear_refusal(world: World, tmp_path: Path) -> None:
    """A group member swaps in a file of their own, mode 0600: the DSL cannot read it.

    As root, the vault is handed to ``nobody`` (playing the DSL's account)
    and one record to root with mode 0600 (playing the attacker's file).
    """
    base = Path(tempfile.mkdtemp(prefix="ydsi-owner-", dir="/tmp"))
    try:
        base.chmod(0o755)
        vault = base / "vault"
        shutil.copytree(world.path, vault, symlinks=True)
        home = base / "home"
        home.mkdir()
        for root, dirs, files in os.walk(base):
            for name in (*dirs, *files):
                os.chown(os.path.join(root, name), NOBODY, NOBODY)
        os.chown(base, NOBODY, NOBODY)
        ref = world.incidents[0]
        target = vault / world.file("case", ref).relative_to(world.path)
        label = target.relative_to(vault).as_posix()
        os.chown(target, 0, 0)
        target.chmod(0o600)
        secret = home / "pass"
        secret.write_text(DSL.passphrase + "\n", encoding="utf-8")
        secret.chmod(0o600)
        os.chown(secret, NOBODY, NOBODY)
        env = {
            **os.environ,
            "HOME": str(home),
            "XDG_STATE_HOME": str(home / "state"),
            "XDG_DATA_HOME": str(home / "data"),
            "XDG_CONFIG_HOME": str(home / "config"),
            "XDG_CACHE_HOME": str(home / "cache"),
            "PYTHONPATH": str(Path(__file__).resolve().parents[2]),
            # The suite's own (root's 0600 temp file): nobody could not read it.
            "YDSI_SYSTEM_CONFIG": str(home / "no-system-config.toml"),
        }

        python = sys.executable
        if not _runs_as_nobody(python):
            # Under /root (pyenv), which nobody may enter: the system Python, as a server has.
            from tests.support.system_python import shared_python

            made, reason = shared_python(base / "python")
            if made is None:
                pytest.skip(
                    f"the account 'nobody' cannot run this checkout's interpreter: {reason}"
                )
            python = str(made)

        def run(*args: str) -> subprocess.CompletedProcess[str]:
            command = [python, "-m", "ydsi_tui.cli.main", *args]
            if args != ("--version",):
                command += ["--vault", str(vault), "--user", DSL.login]
                command += ["--passphrase-file", str(secret)]
            return subprocess.run(
                command, capture_output=True, text=True, env=env, cwd=base,
                stdin=subprocess.DEVNULL, timeout=TIMEOUT, user=NOBODY, group=NOBODY,
                check=False,
            )  # fmt: skip

        try:
            run("--version")
        except PermissionError as exc:
            pytest.skip(f"the account 'nobody' cannot run this checkout's interpreter ({exc})")
        shown = run("incident", "show", ref)
        _clear(shown, label, code=None)
        assert shown.returncode not in (0, 70), shown.stderr
        assert "Permission denied" in shown.stderr
        listed = run("incident", "list", "--json")
        assert listed.returncode == 0, listed.stderr
        rows = json.loads(listed.stdout)
        damaged = [r for r in rows if r["error"]]
        assert len(damaged) == 1 and label in damaged[0]["error"], rows
        assert "Errno" not in damaged[0]["error"]  # a sentence, not an OSError's repr
        assert sorted(r["ref"] for r in rows if not r["error"]) == [world.incidents[1]]
    finally:
        shutil.rmtree(base, ignore_errors=True)


# ----------------------------------------------------------------------
# the way back: a DSL's repair replaces what was planted
# ----------------------------------------------------------------------
@pytest.mark.parametrize("planted", ["fifo", "symlink", "sparse"])
def test_repair_puts_the_signed_record_back_over_a_planted_file(
    world: World, tmp_path: Path, planted: str
) -> None:
    """The listing's hint says 'ydsi repair REF': it must work on these files too."""
    from ydsi_tui.service.repair import repair_record
    from ydsi_tui.vault.backup import write_backup

    backup = tmp_path / "backup.tar"
    write_backup(world.unlock(DSL), backup)
    ref = world.incidents[0]
    target = world.file("case", ref)
    genuine = target.read_bytes()
    before = world.genuine()
    if planted == "fifo":
        target.unlink()
        os.mkfifo(target)
    elif planted == "symlink":
        target.unlink()
        target.symlink_to(backup)
    else:
        os.truncate(target, FOUR_GIB)
    services = world.services(DSL)
    result = _within(120, lambda: repair_record(services, ref, backups=[backup]))
    assert result.method == "backup"
    assert "outside ydsi" in result.problem
    assert target.is_file() and not target.is_symlink()
    assert target.read_bytes() == genuine
    assert world.genuine() == before
    report = world.verify()
    assert report.ok, report.problems


def test_restore_over_a_vault_with_a_planted_fifo_log_is_refused_not_hung(
    world: World, tmp_path: Path
) -> None:
    """``ydsi restore`` compares the logs of the vault it would replace: a FIFO there hung it."""
    from ydsi_tui.vault.backup import BackupRefused, restore_backup, write_backup

    backup = tmp_path / "backup.tar"
    write_backup(world.unlock(DSL), backup)
    world.close()
    log = world.path / "audit.log"
    log.unlink()
    os.mkfifo(log)
    with pytest.raises(BackupRefused, match="already holds a vault"):
        _within(120, lambda: restore_backup(backup, world.path))
    assert stat_is_fifo(log)  # nothing replaced without --force


def stat_is_fifo(path: Path) -> bool:
    import stat

    return stat.S_ISFIFO(path.lstat().st_mode)


# ----------------------------------------------------------------------
# backups: often kept in a folder others can write to
# ----------------------------------------------------------------------
def test_a_fifo_planted_as_a_backup_is_refused_not_waited_on(world: World, tmp_path: Path) -> None:
    """Among the backups a repair looks through, a FIFO or a directory named like one."""
    from ydsi_tui.service.repair import repair_record
    from ydsi_tui.vault.backup import BackupRefused, verify_backup, write_backup

    folder = tmp_path / "backups"
    folder.mkdir()
    genuine = folder / "b-genuine.tar"
    write_backup(world.unlock(DSL), genuine)
    fifo = folder / "a-planted.tar"
    os.mkfifo(fifo)
    directory = folder / "c-planted.tar"
    directory.mkdir()
    for planted in (fifo, directory):
        with pytest.raises(BackupRefused, match="not a ydsi backup"):
            _within(60, lambda planted=planted: verify_backup(planted))  # type: ignore[misc]
    fds = len(os.listdir("/proc/self/fd"))
    assert verify_backup(genuine).ok
    assert len(os.listdir("/proc/self/fd")) == fds  # the backup's descriptor was closed
    ref = world.incidents[1]
    target = world.file("case", ref)
    target.unlink()  # deleted outside ydsi: repair looks through the backups
    services = world.services(DSL)
    result = _within(120, lambda: repair_record(services, ref, backups=[fifo, directory, genuine]))
    assert result.method == "backup" and result.backup == str(genuine)
    refused = {t.path: t.detail for t in result.tried if t.path != str(genuine)}
    assert set(refused) == {str(fifo), str(directory)}, result.tried


def test_odd_files_under_temporary_names_do_not_stop_the_vault_opening(
    world: World, tmp_path: Path
) -> None:
    """Every open settles leftover ``.tmp-*`` files: a FIFO or directory there stopped it."""
    os.mkfifo(world.path / "case" / f".tmp-{'3' * 32}-abcdef012345")
    (world.path / "custody" / f".tmp-{'4' * 32}-abcdef012345").mkdir()
    (world.path / ".tmp-header-abcdef012345").symlink_to(world.path / "vault.json")
    rows = _listed(world, tmp_path)
    assert sorted(r["ref"] for r in rows) == sorted(world.incidents)
    _others_read(world, tmp_path)
    report = _within(120, lambda: world.verify())
    assert report.ok, report.problems


def test_a_case_folder_replaced_by_a_link_is_named_at_open_and_by_doctor(world: World) -> None:
    """O_NOFOLLOW guards only a path's last part: a linked folder is said, loudly."""
    from ydsi_tui.vault.install_checks import run_checks

    elsewhere = world.path.parent / "elsewhere-case"
    os.rename(world.path / "case", elsewhere)
    os.symlink(elsewhere, world.path / "case")
    vault = Vault.open(world.path)
    assert any("case/ is a symbolic link" in w for w in vault.warnings), vault.warnings
    checks = {c.name: c for c in run_checks(world.path)}
    assert checks["folders"].status == "FAIL" and "case" in checks["folders"].message


def test_no_save_goes_through_a_linked_case_folder(world: World) -> None:
    """A group member swaps case/ for a link to a folder of their own: nothing is saved there.

    Without this, every later save of an incident would land in the attacker's
    folder (theirs to read, keep or delete) while the real one fell behind.
    """
    ref = world.incidents[1]
    world.close()
    elsewhere = world.path.parent / "attackers-case"
    os.rename(world.path / "case", elsewhere)
    os.symlink(elsewhere, world.path / "case")
    before = {p.name: p.read_bytes() for p in elsewhere.iterdir()}
    log_before = (world.path / "audit.log").read_bytes()
    book = world.cases(DSL)
    with pytest.raises(NotSaved, match=r"case/ is a symbolic link"):
        book.note(ref, "Spoke to the police liaison officer")
    assert {p.name: p.read_bytes() for p in elsewhere.iterdir()} == before
    assert (world.path / "audit.log").read_bytes() == log_before
    # The real folder put back, the same session saves again.
    os.unlink(world.path / "case")
    os.rename(elsewhere, world.path / "case")
    book.note(ref, "Spoke to the police liaison officer")
    assert world.verify().ok
