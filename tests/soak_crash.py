"""Crash soak: thousands of SIGKILLs during saves and key changes; prints figures.

    python -m tests.soak_crash --kills 5000
    python -m tests.soak_crash --kills 5000 --key-kills 200 --exhaustive-key-ops

Same harness as ``tests/vault/test_crash.py`` (``tests/support/crash_harness.py``):
a fork server unlocked once writes notes until killed at a random moment; after
every kill the vault is opened (repairing), unlocked, verified, and every
acknowledged note looked for. Exit status 0 only when nothing was lost and
every check passed.
"""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
import time
from pathlib import Path

from tests.support.crash_harness import (
    KEY_OPS,
    run_key_crash_points,
    run_key_kills,
    run_notes_campaign,
)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tests.soak_crash", description=__doc__)
    parser.add_argument("--kills", type=int, default=5000, help="SIGKILLs during note saves")
    parser.add_argument("--lanes", type=int, default=2, help="vaults killed side by side")
    parser.add_argument("--records", type=int, default=3, help="records each writer appends to")
    parser.add_argument("--reset-every", type=int, default=50, help="kills per fresh vault")
    parser.add_argument(
        "--max-delay", type=float, default=0.03, help="longest wait before a kill (s)"
    )
    parser.add_argument("--key-kills", type=int, default=50, help="random kills per key change")
    parser.add_argument(
        "--exhaustive-key-ops",
        action="store_true",
        help="also kill a real process at every primitive of every key change",
    )
    parser.add_argument("--seed", type=int, default=int(time.time()))
    parser.add_argument("--keep", action="store_true", help="keep the vaults for inspection")
    args = parser.parse_args(argv)

    work = Path(tempfile.mkdtemp(prefix="ydsi-soak-"))
    failed = False
    print(f"seed {args.seed}; working in {work}")
    try:
        started = time.monotonic()
        stats = run_notes_campaign(
            work / "notes",
            args.kills,
            lanes=args.lanes,
            seed=args.seed,
            records=args.records,
            reset_every=args.reset_every,
            max_delay=args.max_delay,
        )
        elapsed = time.monotonic() - started
        print(f"note saves: {stats.kills} kills in {elapsed:.0f} s")
        print(f"  acknowledged notes   {stats.acknowledged}")
        print(f"  lost                 {stats.lost}   (target 0)")
        print(f"  verify failures      {stats.verify_failures}   (target 0)")
        print(f"  open/unlock failures {stats.open_failures}/{stats.unlock_failures}")
        print(f"  unexpected/duplicate {stats.unexpected}/{stats.duplicates}")
        print(f"  saves rolled forward {stats.rolled_forward}")
        print(f"  temp files removed   {stats.temp_files_removed}")
        print(f"  torn log lines cut   {stats.torn_lines_cut}")
        print(f"  in-flight note kept  {stats.in_flight_kept}")
        failed |= bool(stats.problems)
        for problem in stats.problems[:20]:
            print(f"  PROBLEM {problem}")

        for index, op in enumerate(KEY_OPS):
            started = time.monotonic()
            key = run_key_kills(work / f"kill-{op}", op, args.key_kills, seed=args.seed + index)
            took = time.monotonic() - started
            print(f"{op}: {key.runs} random kills in {took:.0f} s: {key.summary()}")
            failed |= bool(key.problems) or key.neither > 0
            for problem in key.problems[:10]:
                print(f"  PROBLEM {problem}")
            points, primitives = run_key_crash_points(work / f"points-{op}", op, records=4)
            print(
                f"{op}: {points.runs} crash states over {primitives} primitives: {points.summary()}"
            )
            failed |= bool(points.problems) or points.neither > 0
            if args.exhaustive_key_ops:
                exhaustive = run_key_kills(
                    work / f"every-{op}", op, 0, seed=args.seed + index, exhaustive=True
                )
                each = exhaustive.runs
                print(f"{op}: real kill at each of {each} primitives: {exhaustive.summary()}")
                failed |= bool(exhaustive.problems) or exhaustive.neither > 0
                for problem in exhaustive.problems[:10]:
                    print(f"  PROBLEM {problem}")
    finally:
        if args.keep:
            print(f"kept {work}")
        else:
            shutil.rmtree(work, ignore_errors=True)
    print("FAILED" if failed else "OK: nothing lost, every check passed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
