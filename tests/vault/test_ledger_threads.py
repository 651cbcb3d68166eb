"""Two threads of one process share a session, as the app's save and load workers do.

The audit log's index (vault/ledger.py) is one state per session. Two threads
refreshing it at once both read from the last line parsed and parsed the
same new lines twice into that state, and a sound log was reported "broken at
entry N" (a flaky app test found it; the ledger now takes its own lock). Here
the race is made likely on purpose: every read of the log yields to the other
thread before it returns, so without the lock both threads parse the same
lines nearly every round.
"""

from __future__ import annotations

import threading
import time
from pathlib import Path

from tests.support.vaults import DSL_PASS, MakeVault
from ydsi_tui.vault.errors import VaultError
from ydsi_tui.vault.session import Session
from ydsi_tui.vault.vault import Vault

SAVES = 30


def _save(session: Session, ref: str, n: int, *, create: bool = False) -> None:
    with session.transaction("case", ref, create=create) as db:
        db.table("_summary").truncate()
        db.table("_summary").insert({"ref": ref, "n": n})


def test_a_save_and_a_listing_in_two_threads_never_see_a_broken_log(
    make_vault: MakeVault,
) -> None:
    session, _, path = make_vault()
    for ref in ("2026-001", "2026-002"):
        _save(session, ref, 0, create=True)
    fs = session.vault.fs
    real = fs.read_range

    def slow_read(file: Path, offset: int, size: int) -> bytes:
        data = real(file, offset, size)
        time.sleep(0.0005)  # the other thread runs here, mid-refresh
        return data

    fs.read_range = slow_read  # type: ignore[method-assign]
    problems: list[str] = []
    done = threading.Event()

    def saver() -> None:
        try:
            for n in range(1, SAVES + 1):
                _save(session, "2026-001", n)
        except VaultError as exc:
            problems.append(f"save: {exc}")
        finally:
            done.set()

    def reader() -> None:
        while not done.is_set():
            try:
                for listed in session.list_records("case"):
                    if listed.error is not None:
                        problems.append(f"listing: {listed.error}")
            except VaultError as exc:
                problems.append(f"listing: {exc}")
            if session.vault.ledger.broken_at is not None:
                problems.append(f"index: broken at {session.vault.ledger.broken_at}")
                return

    threads = [threading.Thread(target=saver), threading.Thread(target=reader)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not any(thread.is_alive() for thread in threads)
    assert problems == []

    # The shared index ends where a fresh reader's does, entry for entry.
    fs.read_range = real  # type: ignore[method-assign]
    fresh = Vault.open(path).unlock("dsl", DSL_PASS)
    ledger, other = session.vault.ledger, fresh.vault.ledger
    ledger.refresh()
    other.refresh()
    assert ledger.seq == other.seq and ledger.broken_at is None
    assert [w.seq for w in ledger.writes("case", session.record_id("case", "2026-001"))] == [
        w.seq for w in other.writes("case", fresh.record_id("case", "2026-001"))
    ]
    listed = {item.record_id: item.summary for item in session.list_records("case")}
    assert listed[session.record_id("case", "2026-001")] == {"ref": "2026-001", "n": SAVES}
    fresh.close()
    session.close()
