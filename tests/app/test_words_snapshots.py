"""Snapshots of the screens where stored codes used to show (issue 11, finding 6).

The walk found ``route: call_101`` and the note's text twice in an entry read
in full, ``REFER to police, csc`` and ``born 2010-03-14`` in the timeline, and
``Help (question_mark)`` in the command palette. The shared seed has none of
those entries, so this module adds them to its copy of the vault (a referral
decided, the police and children's social care contacted, a pupil with a date
of birth, a step marked not applicable) and snapshots each screen; the scan in
``test_no_codes_on_screen.py`` then reads these snapshots with all the others.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from textual.pilot import Pilot

from tests.app.conftest import (
    CLOCK,
    NOW,
    PASS,
    MakeApp,
    Refs,
    open_incident,
    screen_text,
    settle,
    unlock,
)
from ydsi_tui.app.widgets.panes import TimelinePane
from ydsi_tui.app.widgets.table import RecordTable
from ydsi_tui.model.events import new_id
from ydsi_tui.service.factory import services_for
from ydsi_tui.vault.vault import Vault

# A full app session each: ./dev test --quick leaves them out; ./dev test runs them.
pytestmark = pytest.mark.slow

SIZES = pytest.mark.parametrize("size", [(80, 24), (120, 40)], ids=["80x24", "120x40"])
NOTE = "mum says she saw the image on his phone"

Steps = Callable[[Pilot[Any]], Awaitable[None]]


@pytest.fixture
def worded(vault: Path, refs: Refs) -> Path:
    """The referral incident, taken further: every entry the walk saw codes in."""
    session = Vault.open(vault).unlock("dsl", PASS)
    cases = services_for(session, clock=CLOCK).cases
    assert cases is not None
    ref, hour = refs.referral, timedelta(hours=1)
    start = NOW - timedelta(hours=20)
    cases.record(ref, "pupil.added", {
        "pupil_id": new_id(), "name": "Dan Sample", "dob": "2010-03-14", "sex": "male",
        "parts": ["received", "shared"], "sen": False, "vulnerabilities": "",
    }, at=start)  # fmt: skip
    cases.record(ref, "decision", {
        "outcome": "refer", "refer_to": ["police", "csc"],
        "reason": "trigger 2 applies", "input_from": ["Hana Head"],
    }, at=start + hour)  # fmt: skip
    cases.record(ref, "police.contact", {
        "route": "call_101", "spoken_to": "Call handler (made up)",
        "crime_refs": ["14/123456/26"], "note": "advised to keep the phone off",
    }, at=start + 2 * hour)  # fmt: skip
    cases.record(ref, "csc.contact", {
        "type": "referral", "spoken_to": "Duty social worker (made up)", "reference": "CSC-0001",
    }, at=start + 3 * hour)  # fmt: skip
    cases.record(ref, "step.status", {
        "step_id": "deletion", "status": "not_applicable", "reason": "the police hold the phone",
    }, at=start + 4 * hour)  # fmt: skip
    cases.note(ref, NOTE, at=start + 5 * hour)
    session.close()
    return vault


def timeline_row(kind: str) -> Steps:
    """Pane 2, the cursor on the (last) entry of ``kind``."""

    async def run(pilot: Pilot[Any]) -> None:
        await pilot.press("2")
        await settle(pilot)
        pane = pilot.app.screen.query_one(TimelinePane)
        table = pane.query_one("#timeline-table", RecordTable)
        keys = [key for key, line in pane.lines.items() if line.event.kind == kind]
        table.move_cursor(row=table.keys.index(keys[-1]))
        table.focus()
        await settle(pilot)

    return run


def scene(ref: str, *steps: Steps) -> Steps:
    async def run(pilot: Pilot[Any]) -> None:
        await unlock(pilot)
        await open_incident(pilot, ref)
        for step in steps:
            await step(pilot)
        await settle(pilot)

    return run


def press(*keys: str) -> Steps:
    async def run(pilot: Pilot[Any]) -> None:
        for key in keys:
            await pilot.press(key)
            await settle(pilot)

    return run


@SIZES
def test_timeline_with_a_referral(
    snap_compare: Any, app_factory: MakeApp, worded: Path, refs: Refs, size: tuple[int, int]
) -> None:
    run = scene(refs.referral, timeline_row("decision"))
    assert snap_compare(app_factory(), terminal_size=size, run_before=run)


@SIZES
@pytest.mark.parametrize("kind", ["police.contact", "note", "pupil.added", "step.status"])
def test_entry_read_in_full(
    snap_compare: Any,
    app_factory: MakeApp,
    worded: Path,
    refs: Refs,
    size: tuple[int, int],
    kind: str,
) -> None:
    run = scene(refs.referral, timeline_row(kind), press("enter"))
    assert snap_compare(app_factory(), terminal_size=size, run_before=run)


async def no_blink(pilot: Pilot[Any]) -> None:
    """Textual's palette blinks its cursor whatever the app's settings: a snapshot
    taken mid-blink would differ from run to run."""
    from textual.widgets import Input

    for field in pilot.app.screen.query(Input):
        field.cursor_blink = False
    await settle(pilot)


@SIZES
def test_command_palette(
    snap_compare: Any, app_factory: MakeApp, refs: Refs, size: tuple[int, int]
) -> None:
    run = scene(refs.chat, press("ctrl+p"), no_blink)
    assert snap_compare(app_factory(), terminal_size=size, run_before=run)


async def test_a_note_read_in_full_shows_its_text_once(
    app_factory: MakeApp, worded: Path, refs: Refs
) -> None:
    app = app_factory()
    async with app.run_test(size=(120, 40)) as pilot:
        await scene(refs.referral, timeline_row("note"), press("enter"))(pilot)
        text = screen_text(app)
        assert text.count(NOTE) == 1, text
        assert "Note: " + NOTE in text  # under its form's label


async def test_an_entry_read_in_full_names_every_value_in_words(
    app_factory: MakeApp, worded: Path, refs: Refs
) -> None:
    app = app_factory()
    async with app.run_test(size=(120, 40)) as pilot:
        await scene(refs.referral, timeline_row("police.contact"), press("enter"))(pilot)
        text = screen_text(app)
        assert "Route: 101" in text and "call_101" not in text
        await press("escape")(pilot)
        await timeline_row("pupil.added")(pilot)
        await press("enter")(pilot)
        text = screen_text(app)
        assert "Date of birth: 14/03/2010" in text and "2010-03-14" not in text
        assert "Received it; Shared it on" in text
