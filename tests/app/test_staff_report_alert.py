"""A running app of a DSL or team member rings and shows that a report from staff waits.

Real vault, real spool, real reports filed by the real client code while the
app runs; the app's own poll finds them. The test waits for the bell (an
event the app's bell sets), never for a fixed time; the 5-second goal is
measured and printed by tests/bench_alerts.py.
"""

from __future__ import annotations

import asyncio
import dataclasses
from pathlib import Path
from typing import Any

import pytest

from tests.app.conftest import PASS, TEST_SETTINGS, MakeApp, settle, unlock
from tests.app.test_reports import spy_notifications
from tests.support.drop import disclose, make_spool, publish
from ydsi_tui.app.app import YdsiApp
from ydsi_tui.vault.vault import Vault

# A full app session each: ./dev test --quick leaves them out; ./dev test runs them.
pytestmark = pytest.mark.slow

WORDS = "the quokka-lantern photo went round the whole of year nine"
NAME = "Petronella Quigley"


@pytest.fixture
def drop(vault: Path, tmp_path: Path) -> tuple[Path, Path]:
    session = Vault.open(vault).unlock("dsl", PASS)
    spool = make_spool(tmp_path)
    _key, pin = publish(session, spool, tmp_path)
    session.close()
    return spool, pin


def _watching(spool: Path, pin: Path) -> Any:
    return dataclasses.replace(
        TEST_SETTINGS, drop_spool=spool, drop_authority=pin, drop_poll_seconds=0.1
    )


class Bell:
    """Counts the app's bells; a waiter wakes at each."""

    def __init__(self, app: YdsiApp) -> None:
        self.count = 0
        self.rang = asyncio.Event()
        app.bell = self.ring  # type: ignore[method-assign]

    def ring(self) -> None:
        self.count += 1
        self.rang.set()

    async def wait(self) -> None:
        await asyncio.wait_for(self.rang.wait(), timeout=60)
        self.rang.clear()


async def _first_look(app: YdsiApp, pilot: Any) -> None:
    """Until the app has looked at the spool once (its baseline)."""
    while app._spool_seen is None:
        await pilot.pause()


def _file(spool: Path, pin: Path, tmp: Path) -> None:
    disclose(spool, pin, tmp / "reporter", WORDS, reporter_name=NAME,
             young_people=("Barnaby Thistlewood",))  # fmt: skip


async def test_a_report_filed_while_the_app_runs_rings_and_shows_no_content(
    app_factory: MakeApp, drop: tuple[Path, Path], tmp_path: Path
) -> None:
    spool, pin = drop
    app = app_factory(settings=_watching(spool, pin))
    bell = Bell(app)
    shown = spy_notifications(app)  # and that each is shown as plain text, never markup
    async with app.run_test(size=(80, 24)) as pilot:
        await unlock(pilot)
        await _first_look(app, pilot)
        assert bell.count == 0  # nothing waited at the start
        await asyncio.to_thread(_file, spool, pin, tmp_path)
        await bell.wait()
        await settle(pilot)
        [text] = [m for m in shown if "staff" in m]
        assert text.startswith("A new report from staff is waiting")
        for word in ("quokka", "Petronella", "Quigley", "Barnaby", "Thistlewood"):
            assert word not in text
        for report in spool.glob("*.report"):
            assert report.stem not in text
        await asyncio.to_thread(_file, spool, pin, tmp_path)
        await bell.wait()
        assert bell.count == 2  # the first report rang once, not at every look


async def test_a_report_waiting_at_unlock_is_said_once(
    app_factory: MakeApp, drop: tuple[Path, Path], tmp_path: Path
) -> None:
    spool, pin = drop
    _file(spool, pin, tmp_path)
    app = app_factory(settings=_watching(spool, pin))
    bell = Bell(app)
    shown = spy_notifications(app)
    async with app.run_test(size=(80, 24)) as pilot:
        await unlock(pilot)
        await bell.wait()
        await settle(pilot)
        assert [m for m in shown if "staff" in m] == [
            "A report from staff is waiting: open the inbox to read it."
        ]
        assert bell.count == 1


async def test_the_headteacher_and_technician_are_not_rung(
    app_factory: MakeApp, drop: tuple[Path, Path], tmp_path: Path
) -> None:
    spool, pin = drop
    _file(spool, pin, tmp_path)
    for user in ("head", "tech"):
        app = app_factory(user=user, settings=_watching(spool, pin))
        bell = Bell(app)
        async with app.run_test(size=(80, 24)) as pilot:
            await unlock(pilot)
            await settle(pilot)
            # The watch skips these roles before looking: no baseline is ever taken.
            assert app._spool_seen is None and bell.count == 0
