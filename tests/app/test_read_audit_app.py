"""Who opened which record, in the app: from an incident and from the palette, DSL only."""

from __future__ import annotations

from typing import Any

import pytest
from textual.pilot import Pilot

from tests.app.conftest import MakeApp, Refs, open_incident, screen_text, settle, unlock
from ydsi_tui.app.screens.dialogs import ErrorDialog
from ydsi_tui.app.screens.home import HomeScreen
from ydsi_tui.app.screens.incident import IncidentScreen
from ydsi_tui.app.screens.reads import ReadAuditScreen

# A full app session each: ./dev test --quick leaves them out; ./dev test runs them.
pytestmark = pytest.mark.slow


async def press(pilot: Pilot[Any], *keys: str) -> None:
    for key in keys:
        await pilot.press(key)
        await settle(pilot)


async def loaded(pilot: Pilot[Any]) -> ReadAuditScreen:
    screen = pilot.app.screen
    assert isinstance(screen, ReadAuditScreen)
    for _ in range(50):
        if screen.audit is not None:
            return screen
        await settle(pilot)
    raise AssertionError("the read audit never arrived")


async def test_from_an_incident_w_lists_who_opened_it(app_factory: MakeApp, refs: Refs) -> None:
    app = app_factory()
    async with app.run_test(size=(80, 24)) as pilot:
        await unlock(pilot)
        await open_incident(pilot, refs.chat)
        await press(pilot, "w")
        screen = await loaded(pilot)
        assert screen.ref == refs.chat and screen.audit is not None
        rows = screen.audit.rows
        assert rows and {row.ref for row in rows} == {refs.chat}
        assert (rows[-1].user, rows[-1].role) == ("dsl", "dsl")  # opening it just now
        text = screen_text(app)
        assert f"Who opened {refs.chat}" in text and "Dana Lead (DSL)" in text
        assert "oldest first" in text
        await press(pilot, "escape")
        assert isinstance(app.screen, IncidentScreen)


async def test_the_palette_opens_every_read_from_home(app_factory: MakeApp, refs: Refs) -> None:
    app = app_factory()
    async with app.run_test(size=(80, 24)) as pilot:
        await unlock(pilot)
        await open_incident(pilot, refs.referral)
        await press(pilot, "escape")
        assert isinstance(app.screen, HomeScreen)
        await press(pilot, "ctrl+p")
        await pilot.press(*"who opened")
        for _ in range(50):
            if "Who opened which record" in screen_text(app):
                break
            await settle(pilot)
        await press(pilot, "enter")
        screen = await loaded(pilot)
        assert screen.ref is None and screen.audit is not None
        assert refs.referral in {row.ref for row in screen.audit.rows}
        await press(pilot, "enter")  # Enter on a row opens that incident
        assert isinstance(app.screen, IncidentScreen)


@pytest.mark.parametrize("user", ["head"])
async def test_anyone_but_a_dsl_is_refused(app_factory: MakeApp, refs: Refs, user: str) -> None:
    app = app_factory(user=user)
    async with app.run_test(size=(80, 24)) as pilot:
        await unlock(pilot)
        await open_incident(pilot, refs.chat)
        await press(pilot, "w")
        assert isinstance(app.screen, ErrorDialog)
        assert "Only a DSL sees the read audit" in screen_text(app)
        assert not any(isinstance(s, ReadAuditScreen) for s in app.screen_stack)


async def test_y_on_a_young_person_shows_their_chronology_and_it_is_audited(
    app_factory: MakeApp, refs: Refs
) -> None:
    from ydsi_tui.app.screens.child_chronology import ChildChronologyScreen
    from ydsi_tui.app.widgets.panes import PeoplePane
    from ydsi_tui.app.widgets.table import RecordTable

    app = app_factory()
    async with app.run_test(size=(80, 24)) as pilot:
        await unlock(pilot)
        await open_incident(pilot, refs.chat)
        await press(pilot, "y")  # two young people and none highlighted: it asks which
        assert isinstance(app.screen, IncidentScreen)
        await press(pilot, "6")
        incident = app.screen
        assert isinstance(incident, IncidentScreen) and incident.view is not None
        table = incident.query_one("#people-table", RecordTable)
        table.move_cursor(row=1)
        await settle(pilot)
        pupil_id = incident.query_one(PeoplePane).pupil_id
        assert pupil_id is not None
        pupils = incident.view.incident.pupils
        name = pupils[pupil_id].name
        (other,) = [p.name for p in pupils.values() if p.pupil_id != pupil_id]
        await press(pilot, "y")
        screen = app.screen
        assert isinstance(screen, ChildChronologyScreen)
        for _ in range(50):
            if screen.chrono is not None:
                break
            await settle(pilot)
        assert screen.chrono is not None and screen.chrono.name == name
        assert [i.ref for i in screen.chrono.incidents] == [refs.chat]
        text = screen_text(app)
        assert f"Chronology of {name}" in text and "another pupil" in text
        assert other not in text
        await press(pilot, "escape", "w")
        reads = await loaded(pilot)
        assert reads.audit is not None and len(reads.audit.rows) >= 2  # the screen's read too
