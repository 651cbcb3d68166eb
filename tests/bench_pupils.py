"""Pupil register benchmark (issue 15): prints figures; it never passes or fails on a clock.

    python -m tests.bench_pupils [--incidents 10000] [--children 6000] [--dir DIR]

Builds a vault of ``--incidents`` incidents, half with one pupil and half with
two (about 15,000 links at 10,000), over ``--children`` register records (so
most children have several incidents, and a hundred records are merged into
another), then measures in one process, after a first listing (warm: the
index cache and the page cache hold the files, as in a running app):

* ``ydsi pupil list``'s work: ``PupilRegister.rows()`` (one pass over every
  summary in ``case/``, links grouped per child, merges followed);
* the home screen's ``CaseBook.rows()`` with the repeat flags, beside the same
  listing with the flags' own pass timed alone (what they add to a launch);
* ``incidents_of`` for one child (the chronology's input);
* ``PupilRegister.linked`` for one incident with a linked pupil: what opening
  an incident adds to draw its People pane's register column (issue 15's app).

Target from issue 15 (2-core machine): the pupil list under 1 s warm with
10,000 incidents. The records are written by the real save protocol (signed,
audited, encrypted) with made-up summaries of the shape the service writes,
and without fsync while building (see tests/bench_vault.py's ``_no_fsync``).
"""

from __future__ import annotations

import argparse
import os
import random
import shutil
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import date, timedelta
from pathlib import Path
from types import SimpleNamespace

from tests.bench_vault import MIN_KDF, PASSPHRASE, _no_fsync
from ydsi_tui.model.register import register_ref, repeat_flags
from ydsi_tui.service.factory import services_for
from ydsi_tui.service.policies import approve_policy_file
from ydsi_tui.service.register import PupilRegister, incidents_of
from ydsi_tui.vault.crypto import KdfParams
from ydsi_tui.vault.vault import Vault

PARTS = ("pictured", "sent", "received", "shared")


def _child_id(n: int) -> str:
    return f"P-{n:012x}"


def build(path: Path, incidents: int, children: int) -> int:
    """Build once (a marker lets ``--dir`` reuse it); returns the number of links."""
    marker = path / "bench-pupils-built"
    if marker.exists():
        return int(marker.read_text().split()[-1])
    shutil.rmtree(path, ignore_errors=True)
    rng = random.Random(15)
    session, _ = Vault.create(
        path, user="bench", passphrase=PASSPHRASE, kdf=KdfParams.new(*MIN_KDF)
    )
    approve_policy_file(session)
    links = 0
    start = date(2020, 9, 1)
    with _no_fsync():
        for n in range(children):
            pid = _child_id(n)
            merged = _child_id(n - 1) if n % 60 == 59 else None
            with session.transaction("case", register_ref(pid), create=True) as db:
                db.table("meta").insert({"type": "pupil", "register_id": pid})
                db.table("events").insert({"kind": "pupil.registered", "register_id": pid})
                db.table("_summary").insert({
                    "type": "pupil", "v": 1, "register_id": pid,
                    "names": [f"Child{n} Surname{n % 700}"], "dob": "2011-03-04",
                    "year_group": None, "cohort": 2010, "sex": "female",
                    "merged_into": merged, "known_to_csc": False,
                })  # fmt: skip
        for n in range(incidents):
            ref = f"2026-{n + 1:05d}"
            count = 1 if n % 2 else 2
            register = [
                {"pupil_id": f"{n:08x}{k:024x}", "register_id": _child_id(rng.randrange(children)),
                 "parts": [rng.choice(PARTS)]}
                for k in range(count)
            ]  # fmt: skip
            links += count
            day = start + timedelta(days=n * 2000 // max(incidents, 1))
            with session.transaction("case", ref, create=True) as db:
                db.table("events").insert({"kind": "incident.opened", "text": "bench"})
                db.table("_summary").insert({
                    "type": "incident", "v": 1, "ref": ref, "status": "open",
                    "kind": "peer_sharing", "opened_at": f"{day.isoformat()}T09:00:00Z",
                    "summary": "A made-up incident", "next_step": None, "due": [],
                    "incident_date": day.isoformat(), "register": register,
                    "outsiders": [f"{rng.randrange(incidents):016x}"] if n % 10 == 0 else [],
                    "retention": {"until": "2036-03-04", "basis": "dob", "estimated": False},
                    "on_hold": False,
                })  # fmt: skip
            if incidents >= 1000 and (n + 1) % (incidents // 10) == 0:
                print(f"    built {n + 1} incidents", file=sys.stderr, flush=True)
    session.close()
    marker.write_text(f"{incidents} {children} {links}")
    return links


def _best(fn: Callable[[], object], runs: int = 5) -> tuple[float, float]:
    """(median wall-clock seconds, median CPU seconds of this process) of ``runs`` calls.

    On a shared machine the wall clock counts other processes' turns on the
    cores too; the process's own CPU time is what the code costs.
    """
    wall, cpu = [], []
    for _ in range(runs):
        began, began_cpu = time.perf_counter(), time.process_time()
        fn()
        wall.append(time.perf_counter() - began)
        cpu.append(time.process_time() - began_cpu)
    return statistics.median(wall), statistics.median(cpu)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--incidents", type=int, default=10_000)
    parser.add_argument("--children", type=int, default=6_000)
    parser.add_argument("--dir", type=Path, help="build (or reuse) the vault here")
    args = parser.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="bench-pupils-"))
    path = args.dir or tmp / "vault"
    try:
        began = time.perf_counter()
        links = build(path, args.incidents, args.children)
        print(f"built {args.incidents} incidents, {links} links, {args.children} pupil records "
              f"in {time.perf_counter() - began:.0f} s")  # fmt: skip
        load = ", ".join(f"{x:.1f}" for x in os.getloadavg())
        print(f"load average {load} on {os.cpu_count()} cores (figures scale with it)")
        session = Vault.open(path).unlock("bench", PASSPHRASE)
        cases = services_for(session).cases
        assert cases is not None
        register = PupilRegister(cases)
        first = time.perf_counter()
        rows = register.rows()
        print(
            f"first pupil list (this process cold: every file decrypted and checked): "
            f"{time.perf_counter() - first:.2f} s"
        )
        median, cpu = _best(register.rows)
        print(f"pupil list, warm: median {median:.3f} s wall, {cpu:.3f} s CPU "
              f"({len(rows)} children, {sum(len(r.incidents) for r in rows)} incident links); "
              f"target < 1 s: {'met' if median < 1 else 'MISS'} (wall), "
              f"{'met' if cpu < 1 else 'MISS'} (CPU)")  # fmt: skip
        median, cpu = _best(cases.rows)
        flagged = sum(1 for r in cases.rows() if r.repeat)
        print(f"home screen rows with repeat flags, warm: median {median:.3f} s wall, "
              f"{cpu:.3f} s CPU ({flagged} incidents flagged)")  # fmt: skip
        listing = register.listing()
        merges = listing.merges
        median, cpu = _best(lambda: repeat_flags(listing.incidents, merges))
        print(f"the repeat flags' own pass over {len(listing.incidents)} incidents: "
              f"median {median * 1000:.0f} ms wall, {cpu * 1000:.0f} ms CPU "
              "(what they add to the launch's listing)")  # fmt: skip
        busiest = max(rows, key=lambda r: len(r.incidents))
        median, cpu = _best(lambda: incidents_of(cases, busiest.register_id))
        print(f"incidents_of one child ({len(busiest.incidents)} incidents): "
              f"median {median:.3f} s wall, {cpu:.3f} s CPU")  # fmt: skip
        # The incident screen's addition: one listing when a pupil of it is linked.
        child = busiest.incidents[-1]
        opened = SimpleNamespace(
            ref=child.ref, pupils={child.pupil_id: SimpleNamespace(register_id=busiest.register_id)}
        )
        median, cpu = _best(lambda: register.linked(opened))  # type: ignore[arg-type]
        print(f"an incident's linked pupils (People pane, on opening it): "
              f"median {median:.3f} s wall, {cpu:.3f} s CPU")  # fmt: skip
        session.close()
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
