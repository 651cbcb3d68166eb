"""Vault benchmark: prints figures; it never passes or fails on a clock.

    python -m tests.bench_vault [--sizes 10,1000,10000] [--entries 20] [--dir DIR]

For each size it builds a vault of that many incidents, each with about
``--entries`` timeline entries written as separate saves (so the audit log has
the length a real vault of that size would have), then measures:

* saving one note: median and 95th percentile over 200 saves;
* opening the vault and listing every incident (unlock excluded), in a fresh
  process so that the figure includes imports and cold caches of Python;
* unlocking (one Argon2id run at the vault's settings);
* ``ydsi verify`` over the whole vault;
* peak memory (max RSS) of the open-and-list process and of verify.

* opening one incident of ``--entries`` entries (median of ten, read logged);
* ``Ledger.refresh()`` with no cache over the whole log (the parse alone);
* the first open by a new user (no index cache: the whole log is parsed, and
  the index kept at close) and a warm open with the user's witness and index
  cache present (only the log's new tail is parsed);
* each target of issue 9 beside its measured value ("met" or "MISS").

Targets from issue 9 (2-core machine): save median at 10,000 incidents under
3 ms and within 1.5x of the same at 10; open and list 10,000 incidents under
1.5 s warm with the user's witness state (the first open by a new user, which
parses the whole log, under 6 s); open one incident of 20 entries under 30 ms;
keyless verify at 10,000 no slower than 19.7 s; peak memory under 250 MB.
Vaults are built at the lowest accepted KDF cost, and without fsync (see
``_no_fsync``), so building is quick; unlock is also timed at the default cost.
The listing counts every record in ``case/``, the approved policy's included.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from ydsi_tui.service.policies import approve_policy_file
from ydsi_tui.vault.checkpoint import make_checkpoint
from ydsi_tui.vault.crypto import KdfParams
from ydsi_tui.vault.fs import FileSystem
from ydsi_tui.vault.vault import Vault

PASSPHRASE = "benchmark passphrase only"
MIN_KDF = (64 * 1024, 3, 4)


@contextmanager
def _no_fsync() -> Iterator[None]:
    """Skip fsync while *building* only: 200,000 saves at ~7 ms of fsync each is 25 minutes.

    The files and the log are written by the real save protocol either way;
    only their durability against a power cut is skipped, which the figures
    do not measure. Every timed save runs with fsync on.
    """
    saved = FileSystem.fsync, FileSystem.fsync_dir
    FileSystem.fsync = lambda self, fd, path: None  # type: ignore[method-assign]
    FileSystem.fsync_dir = lambda self, path: None  # type: ignore[method-assign]
    try:
        yield
    finally:
        FileSystem.fsync, FileSystem.fsync_dir = saved  # type: ignore[method-assign]
    os.sync()


def build(path: Path, incidents: int, entries: int) -> None:
    """Build once; with ``--dir`` a vault already built to the same size is reused."""
    marker = path / "bench-built"
    if marker.exists() and marker.read_text() == f"{incidents}x{entries}":
        print("    (reusing the vault built earlier)", file=sys.stderr)
        return
    if path.exists():
        shutil.rmtree(path)
    with _no_fsync():
        _build(path, incidents, entries)
    marker.write_text(f"{incidents}x{entries}")


def _build(path: Path, incidents: int, entries: int) -> None:
    session, _ = Vault.create(
        path, user="bench", passphrase=PASSPHRASE, kdf=KdfParams.new(*MIN_KDF)
    )
    # Format 2: the DSL who made the vault approves the policy in force, as `ydsi init` does.
    approve_policy_file(session)
    note = "A made-up timeline entry of ordinary length for a benchmark. " * 3
    for n in range(incidents):
        ref = f"2026-{n + 1:05d}"
        with session.transaction("case", ref, create=True) as db:
            db.table("events").insert({"kind": "incident.opened", "text": note})
            db.table("_summary").insert({"ref": ref, "status": "open", "entries": 1})
        for e in range(1, entries):
            with session.transaction("case", ref) as db:
                db.table("events").insert({"kind": "note", "text": note, "n": e})
                db.table("_summary").update({"entries": e + 1})
        if incidents >= 1000 and (n + 1) % (incidents // 10) == 0:
            print(f"    built {n + 1} incidents", file=sys.stderr, flush=True)
    session.close()


@contextmanager
def _fresh_state(scratch: Path) -> Iterator[None]:
    """A state directory of the scratch copy's own.

    Every run re-copies the scratch vault from the built one, so to the
    witness an earlier run's saves look like a rollback (which it rightly
    refuses to save on top of): each scratch copy is a new user's first sight.
    """
    state = scratch.with_name(scratch.name + "-state")
    shutil.rmtree(state, ignore_errors=True)
    state.mkdir(mode=0o700)
    saved = os.environ.get("XDG_STATE_HOME")
    os.environ["XDG_STATE_HOME"] = str(state)
    try:
        yield
    finally:
        if saved is None:
            os.environ.pop("XDG_STATE_HOME", None)
        else:
            os.environ["XDG_STATE_HOME"] = saved
        shutil.rmtree(state, ignore_errors=True)


def time_saves(path: Path, count: int = 200) -> tuple[float, float]:
    """Saves into a scratch copy, so every run (before and after a change) starts alike."""
    scratch = path.with_name(path.name + "-scratch")
    shutil.rmtree(scratch, ignore_errors=True)
    shutil.copytree(path, scratch)
    with _fresh_state(scratch):
        return _time_saves(scratch, count)


def _time_saves(scratch: Path, count: int) -> tuple[float, float]:
    try:
        session = Vault.open(scratch).unlock("bench", PASSPHRASE)
        samples: list[float] = []
        for i in range(count):
            start = time.perf_counter()
            with session.transaction("case", "2026-00001") as db:
                db.table("events").insert({"kind": "note", "text": f"benchmark note {i}"})
            samples.append(time.perf_counter() - start)
        session.close()
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    samples.sort()
    return statistics.median(samples), samples[int(len(samples) * 0.95) - 1]


# VmHWM, not ru_maxrss: Linux carries ru_maxrss across exec from the parent.
_PEAK = """
def peak_mb():
    for line in open("/proc/self/status"):
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    import resource
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
"""

_CHILD = (
    _PEAK
    + """
import json, statistics, sys, time
from ydsi_tui.vault.ledger import Ledger
from ydsi_tui.vault.vault import Vault
t0 = time.perf_counter()
vault = Vault.open(sys.argv[1])
t_open = time.perf_counter()
session = vault.unlock("bench", sys.argv[2])
t1 = time.perf_counter()
listed = session.list_records("case")
t2 = time.perf_counter()
# Opening one incident as the app does (decrypt, vouch, check its history
# against every signed head, log the read), on a process that has listed.
reads = []
for n in range(1, min(10, int(sys.argv[3])) + 1):
    r0 = time.perf_counter()
    session.read("case", f"2026-{n:05d}")
    reads.append(time.perf_counter() - r0)
status, parsed = vault.ledger.cache_status, vault.ledger.lines_parsed
c0 = time.perf_counter()
session.close()  # keeps the index for the next open (ledger.persist_at_close)
t_close = time.perf_counter() - c0
peak = peak_mb()
# The whole log parsed by a fresh index without any cache: the parse alone.
l0 = time.perf_counter()
ledger = Ledger(vault.fs, vault.ledger.path, vault.header.vault_id, cached=False)
ledger.refresh()
t_refresh = time.perf_counter() - l0
print(json.dumps({"open": t_open - t0, "list": t2 - t1, "count": len(listed),
                  "errors": sum(1 for x in listed if x.error),
                  "read": statistics.median(reads), "read_max": max(reads),
                  "refresh": t_refresh, "log_entries": ledger.seq,
                  "cache": status, "parsed": parsed, "close": t_close,
                  "maxrss_mb": peak}))
"""
)

_VERIFY = (
    _PEAK
    + """
import json, sys, time
from pathlib import Path
from ydsi_tui.vault.verify import verify_vault
mark = Path(sys.argv[2]).read_bytes() if len(sys.argv) > 2 else None
t0 = time.perf_counter()
report = verify_vault(sys.argv[1], checkpoint=mark, checker="bench")
print(json.dumps({"verify": time.perf_counter() - t0, "ok": report.ok,
                  "entries": report.entries, "covered": report.vouched_by_checkpoint,
                  "maxrss_mb": peak_mb()}))
"""
)


def run_child(code: str, *args: str, state: Path | None = None) -> dict[str, Any]:
    env = dict(os.environ)
    if state is not None:
        env["XDG_STATE_HOME"] = str(state)
    out = subprocess.run(
        [sys.executable, "-c", code, *args], capture_output=True, text=True, env=env
    )
    if out.returncode:
        sys.exit(f"the measuring process failed:\n{out.stderr}")
    result: dict[str, Any] = json.loads(out.stdout)
    return result


def time_open_and_list(
    path: Path, incidents: int, state: Path, *, cold: bool = False
) -> dict[str, Any] | None:
    """Open (header, crash-repair scan) plus list, in a fresh process; unlock excluded.

    ``state`` is the user's state directory (witness and index cache). Warm
    means warm: an earlier run has read every file (and left the index
    cache). ``cold`` first drops the kernel's page cache (root only), so the
    figure includes reading every file from the disk, as after a reboot.
    """
    if cold:
        try:
            os.sync()
            Path("/proc/sys/vm/drop_caches").write_text("3\n")
        except OSError:
            return None
    return run_child(_CHILD, str(path), PASSPHRASE, str(incidents), state=state)


def _show_listing(label: str, listing: dict[str, Any], entries: int) -> None:
    print(
        f"  open and list {int(listing['count'])} records, {label} (unlock excluded): "
        f"{listing['open'] + listing['list']:.3f} s (open {listing['open']:.3f} s, "
        f"list {listing['list']:.3f} s, {int(listing['errors'])} errors; index cache "
        f"{listing['cache']}, {int(listing['parsed'])} log lines parsed; close "
        f"{listing['close']:.3f} s); peak memory {listing['maxrss_mb']:.0f} MB"
    )
    print(
        f"    open one incident of {entries} entries: median "
        f"{listing['read'] * 1000:.1f} ms, max {listing['read_max'] * 1000:.1f} ms; "
        f"Ledger.refresh() with no cache over {int(listing['log_entries'])} entries: "
        f"{listing['refresh']:.3f} s"
    )


def _target(what: str, measured: str, ok: bool) -> str:
    return f"    {'met ' if ok else 'MISS'}  {what}: {measured}"


def time_incremental_verify(path: Path) -> dict[str, Any]:
    """Verify on a scratch copy from a checkpoint the DSL signed five saves earlier."""
    scratch = path.with_name(path.name + "-incremental")
    shutil.rmtree(scratch, ignore_errors=True)
    shutil.copytree(path, scratch)
    with _fresh_state(scratch):
        return _time_incremental_verify(scratch)


def _time_incremental_verify(scratch: Path) -> dict[str, Any]:
    try:
        session = Vault.open(scratch).unlock("bench", PASSPHRASE)
        mark = scratch / "checkpoint.json"
        mark.write_bytes(make_checkpoint(session).to_bytes())
        for i in range(5):
            with session.transaction("case", "2026-00001") as db:
                db.table("events").insert({"kind": "note", "text": f"after the checkpoint {i}"})
        session.close()
        return run_child(_VERIFY, str(scratch), str(mark))
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


def time_unlock_default(tmp: Path) -> float:
    path = tmp / "unlock"
    shutil.rmtree(path, ignore_errors=True)
    session, _ = Vault.create(path, user="bench", passphrase=PASSPHRASE)
    session.close()
    vault = Vault.open(path)
    start = time.perf_counter()
    vault.unlock("bench", PASSPHRASE).close()
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sizes", default="10,1000,10000")
    parser.add_argument("--entries", type=int, default=20)
    parser.add_argument("--dir", help="where to build (default: a temporary directory)")
    parser.add_argument("--cold", action="store_true", help="also drop the page cache (root)")
    args = parser.parse_args()
    root = Path(args.dir or tempfile.mkdtemp(prefix="ydsi-bench-"))
    root.mkdir(parents=True, exist_ok=True)
    # This run's own state directory: building and timing saves must not
    # leave witnesses and index caches in the user's real one.
    (root / "state").mkdir(mode=0o700, exist_ok=True)
    os.environ["XDG_STATE_HOME"] = str(root / "state")
    saves: dict[int, float] = {}
    print(f"ydsi vault benchmark on {os.cpu_count()} CPUs, in {root}")
    try:
        unlock_default = time_unlock_default(root)
        print(f"unlock at the default KDF cost (256 MiB, 3 passes): {unlock_default:.2f} s")
        for size in (int(s) for s in args.sizes.split(",")):
            path = root / f"vault-{size}"
            print(f"\n== {size} incidents x {args.entries} entries (separate saves)")
            start = time.perf_counter()
            build(path, size, args.entries)
            print(f"  built in {time.perf_counter() - start:.1f} s")
            median, p95 = time_saves(path)
            saves[size] = median
            print(f"  save one note: median {median * 1000:.2f} ms, p95 {p95 * 1000:.2f} ms")
            state = root / f"state-{size}"
            shutil.rmtree(state, ignore_errors=True)
            state.mkdir(mode=0o700)
            run_child(_CHILD, str(path), PASSPHRASE, str(size))  # page cache warm
            first = time_open_and_list(path, size, state)
            assert first is not None
            _show_listing("first open by a new user (no index cache)", first, args.entries)
            warm = time_open_and_list(path, size, state)
            assert warm is not None
            _show_listing("warm cache, the user's witness and index present", warm, args.entries)
            if args.cold:
                cold = time_open_and_list(path, size, state, cold=True)
                if cold is None:
                    print("  open and list (cold cache): not measured (needs root)")
                else:
                    _show_listing("cold page cache, index present", cold, args.entries)
            verified = run_child(_VERIFY, str(path))
            print(
                f"  verify: {verified['verify']:.2f} s over {int(verified['entries'])} entries "
                f"(ok={bool(verified['ok'])}); peak memory {verified['maxrss_mb']:.0f} MB"
            )
            incremental = time_incremental_verify(path)
            print(
                f"  verify from a checkpoint made before the last 5 saves: "
                f"{incremental['verify']:.2f} s ({int(incremental['covered'])} of "
                f"{int(incremental['entries'])} entries vouched for by it; every file hashed; "
                f"ok={bool(incremental['ok'])}); peak memory {incremental['maxrss_mb']:.0f} MB"
            )
            listed = warm["open"] + warm["list"]
            first_s = first["open"] + first["list"]
            peak = max(first["maxrss_mb"], warm["maxrss_mb"], verified["maxrss_mb"])
            base = saves[min(saves)]
            print(f"  targets (issue 9) at {size} incidents:")
            for line in (
                _target("save one note, median under 3 ms", f"{median * 1000:.2f} ms",
                        median < 0.003),
                _target(f"save median within 1.5x of the same at {min(saves)}",
                        f"{median / base:.2f}x", median <= 1.5 * base),
                _target("open and list, warm, under 1.5 s", f"{listed:.3f} s", listed < 1.5),
                _target("first open and list by a new user, under 6 s", f"{first_s:.3f} s",
                        first_s < 6),
                _target(f"open one incident of {args.entries} entries, under 30 ms",
                        f"{warm['read'] * 1000:.1f} ms", warm["read"] < 0.030),
                _target("keyless verify, no slower than 19.7 s", f"{verified['verify']:.2f} s",
                        verified["verify"] <= 19.7),
                _target("verify from a checkpoint, incremental, under 2 s",
                        f"{incremental['verify']:.2f} s", incremental["verify"] < 2),
                _target("peak memory under 250 MB", f"{peak:.0f} MB", peak < 250),
            ):  # fmt: skip
                print(line)
    finally:
        if not args.dir:
            shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    main()
