"""Child's chronology and read audit benchmark (issue 15): prints figures, never fails on a clock.

    python -m tests.bench_chronology [--incidents 20] [--entries 15] [--others 300] [--dir DIR]

Builds, through the service (real saves: signed, audited, encrypted; without
fsync while building, see tests/bench_vault.py's ``_no_fsync``), one child in
``--incidents`` incidents of about ``--entries`` entries each (with another
pupil in each, named in the notes), plus ``--others`` unrelated incidents so
that the audit log has some length, each opened once (so it holds reads).
Then, in one process, warm, it measures the median (wall and this process's
CPU) of five runs of:

* ``child_chronology`` across the child's incidents (each open audited), and
  rendering it to Markdown and to PDF;
* ``read_audit`` of one incident, and of every case record.

Target from issue 15 (2-core machine): a pupil's chronology across 20
incidents under 1 s.
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from tests.bench_vault import MIN_KDF, PASSPHRASE, _no_fsync
from ydsi_tui.model.events import new_id
from ydsi_tui.service.casebook import CaseBook
from ydsi_tui.service.factory import services_for
from ydsi_tui.service.policies import approve_policy_file
from ydsi_tui.service.pupils import find_pupil
from ydsi_tui.service.read_audit import read_audit
from ydsi_tui.service.reports.child_chronology import (
    child_chronology,
    child_chronology_document,
    child_chronology_json,
)
from ydsi_tui.service.reports.formats import render
from ydsi_tui.vault.crypto import KdfParams
from ydsi_tui.vault.vault import Vault


def _pupil(book: CaseBook, ref: str, name: str, parts: list[str]) -> None:
    book.record(ref, "pupil.added", {
        "pupil_id": new_id(), "name": name, "dob": "2011-03-04", "sex": "female",
        "parts": parts, "sen": False, "vulnerabilities": "",
    })  # fmt: skip


def build(path: Path, incidents: int, entries: int, others: int) -> None:
    session, _ = Vault.create(path, user="bench", passphrase=PASSPHRASE,
                              kdf=KdfParams.new(*MIN_KDF))  # fmt: skip
    approve_policy_file(session)
    book = services_for(session).cases
    assert book is not None
    with _no_fsync():
        for n in range(incidents):
            ref = book.create(f"Image shared, incident {n} of Ava Bench")
            _pupil(book, ref, "Ava Bench", ["pictured"])
            _pupil(book, ref, f"Other Pupil{n}", ["shared"])
            for k in range(max(entries - 3, 0)):
                book.note(ref, f"Note {k}: Pupil{n} was spoken to; Ava Bench was supported")
        for n in range(others):
            ref = book.create(f"Unrelated incident {n}")
            _pupil(book, ref, f"Someone Else{n}", ["pictured"])
            book.note(ref, "a note")
            book.open(ref)
    session.close()


def _median(fn: Callable[[], object], runs: int = 5) -> tuple[float, float]:
    wall, cpu = [], []
    for _ in range(runs):
        began, began_cpu = time.perf_counter(), time.process_time()
        fn()
        wall.append(time.perf_counter() - began)
        cpu.append(time.process_time() - began_cpu)
    return statistics.median(wall), statistics.median(cpu)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--incidents", type=int, default=20)
    parser.add_argument("--entries", type=int, default=15)
    parser.add_argument("--others", type=int, default=300)
    parser.add_argument("--dir", type=Path)
    args = parser.parse_args()
    base = args.dir or Path(tempfile.mkdtemp(prefix="bench-chronology-"))
    path = base / "vault"
    try:
        began = time.perf_counter()
        build(path, args.incidents, args.entries, args.others)
        print(f"built {args.incidents} + {args.others} incidents in "
              f"{time.perf_counter() - began:.1f} s")  # fmt: skip
        session = Vault.open(path).unlock("bench", PASSPHRASE)
        book = services_for(session).cases
        assert book is not None
        links = find_pupil(book, "Ava Bench")
        chrono = child_chronology(book, links)  # warm-up
        print(f"the child: {len(chrono.incidents)} incidents, {len(chrono.entries)} entries; "
              f"audit log {session.audit_head()} entries")  # fmt: skip
        wall, cpu = _median(lambda: child_chronology(book, links))
        verdict = "met" if wall < 1.0 else "MISS"
        print(f"child_chronology: {wall * 1000:.0f} ms wall, {cpu * 1000:.0f} ms CPU "
              f"(target < 1 s across 20 incidents: {verdict})")  # fmt: skip
        document = child_chronology_document(chrono)
        data = child_chronology_json(chrono)
        for fmt in ("md", "pdf"):
            wall, cpu = _median(lambda fmt=fmt: render(fmt, document, data), runs=3)
            print(f"render {fmt}: {wall * 1000:.0f} ms wall, {cpu * 1000:.0f} ms CPU")
        wall, cpu = _median(lambda: read_audit(session, links[0].ref))
        print(f"read_audit of one incident: {wall * 1000:.0f} ms wall, {cpu * 1000:.0f} ms CPU")
        rows = len(read_audit(session).rows)
        wall, cpu = _median(lambda: read_audit(session))
        print(f"read_audit of every record ({rows} reads): {wall * 1000:.0f} ms wall, "
              f"{cpu * 1000:.0f} ms CPU")  # fmt: skip
        session.close()
    finally:
        if args.dir is None:
            shutil.rmtree(base, ignore_errors=True)


if __name__ == "__main__":
    main()
