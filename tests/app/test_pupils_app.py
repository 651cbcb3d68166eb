"""The pupil register in the app (issue 15): the list from home, a record, the People pane.

On :func:`~tests.app.conftest.register_template`'s vault: the seeded young
people each in the register, Ben in two incidents (pictured ten days ago,
then receiving and sharing on in the group chat), Ann's record holding a
name with markup and another with an escape sequence.
"""

from __future__ import annotations

import time
from typing import Any

import pytest
from textual.pilot import Pilot

from tests.app.conftest import (
    ANN_RECORD,
    BEN_RECORD,
    HOSTILE_NAME,
    MakeApp,
    Refs,
    open_incident,
    screen_text,
    settle,
    unlock,
)
from tests.app.test_flows import services
from ydsi_tui.app.palette import _screen_entries
from ydsi_tui.app.screens.child_chronology import ChildChronologyScreen
from ydsi_tui.app.screens.devices import DeviceListScreen
from ydsi_tui.app.screens.dialogs import ErrorDialog
from ydsi_tui.app.screens.help import help_lines
from ydsi_tui.app.screens.home import HomeScreen
from ydsi_tui.app.screens.incident import IncidentScreen
from ydsi_tui.app.screens.pupil_record import PupilRecordScreen
from ydsi_tui.app.screens.pupils import PupilListScreen
from ydsi_tui.app.widgets.table import RecordTable
from ydsi_tui.service.read_audit import read_audit
from ydsi_tui.service.register import PupilRegister


async def press(pilot: Pilot[Any], *keys: str) -> None:
    for key in keys:
        await pilot.press(key)
        await settle(pilot)


async def pupil_list(pilot: Pilot[Any]) -> PupilListScreen:
    await press(pilot, "p")
    screen = pilot.app.screen
    assert isinstance(screen, PupilListScreen)
    for _ in range(50):
        if screen.rows is not None:
            return screen
        await settle(pilot)
    raise AssertionError("the register never arrived")


async def record(pilot: Pilot[Any]) -> PupilRecordScreen:
    screen = pilot.app.screen
    assert isinstance(screen, PupilRecordScreen)
    for _ in range(50):
        if screen.view is not None:
            return screen
        await settle(pilot)
    raise AssertionError("the record never arrived")


async def highlight(pilot: Pilot[Any], table_id: str, key: str) -> None:
    table = pilot.app.screen.query_one(table_id, RecordTable)
    table.move_cursor(row=table.keys.index(key))
    table.focus()
    await settle(pilot)


def record_reads(app: Any, register_id: str) -> int:
    audit = read_audit(services(app).session, None)
    return sum(1 for row in audit.rows if row.record == "pupil record" and row.ref == register_id)


async def test_p_lists_each_child_and_the_repeat_child_counts_two(
    register_app_factory: MakeApp,
) -> None:
    app = register_app_factory()
    async with app.run_test(size=(80, 24)) as pilot:
        await unlock(pilot)
        screen = await pupil_list(pilot)
        assert screen.rows is not None
        counts = {row.names[0]: len(row.incidents) for row in screen.rows}
        assert counts == {HOSTILE_NAME: 1, "Ben Example": 2, "Cara Sample": 1}
        lines = screen_text(app).splitlines()
        (ben,) = [line for line in lines if "Ben Example" in line]
        assert "2 ↺ repeat" in ben and "Year 10" in ben  # the count, a symbol and a word
        (cara,) = [line for line in lines if "Cara Sample" in line]
        assert "repeat" not in cara and " 1 " in cara
        assert "1 in more than one incident (↺ repeat)" in "\n".join(lines)
        await press(pilot, "slash", *"cara", "enter")  # the filter narrows as you type
        assert pilot.app.screen.query_one("#pupils-table", RecordTable).row_count == 1
        await press(pilot, "escape")  # clears the filter
        assert isinstance(app.screen, PupilListScreen)
        assert app.screen.query_one("#pupils-table", RecordTable).row_count == 3
        await press(pilot, "escape")
        assert isinstance(app.screen, HomeScreen)


async def test_enter_opens_the_record_and_the_opening_is_an_audited_read(
    register_app_factory: MakeApp, refs: Refs
) -> None:
    app = register_app_factory()
    async with app.run_test(size=(80, 24)) as pilot:
        await unlock(pilot)
        await pupil_list(pilot)
        assert record_reads(app, BEN_RECORD) == 0  # the list decrypts no record
        await highlight(pilot, "#pupils-table", BEN_RECORD)
        await press(pilot, "enter")
        screen = await record(pilot)
        assert screen.view is not None and screen.view.pupil.register_id == BEN_RECORD
        assert record_reads(app, BEN_RECORD) == 1
        text = screen_text(app)
        assert "Ben Example" in text and "Year 10 when recorded on 16/11/2026; male" in text
        assert "Incidents (2), earliest first ↺ repeat involvement" in text
        lines = text.splitlines()
        rows = [line for line in lines if line.startswith("│")]
        (first,) = [line for line in rows if refs.signoff in line and "pictured" in line]
        assert "06/11/2026" in first and "in school" in first
        (second,) = [line for line in rows if refs.chat in line and "shared on" in line]
        assert "received, shared on" in second and "open" in second

        await press(pilot, "enter")  # the first, earliest: the altered image
        assert isinstance(app.screen, IncidentScreen) and app.screen.ref == refs.signoff
        await press(pilot, "escape")
        screen = await record(pilot)
        assert record_reads(app, BEN_RECORD) == 1  # back to the same opening: not a new read
        await press(pilot, "down", "enter")
        assert isinstance(app.screen, IncidentScreen) and app.screen.ref == refs.chat
        await press(pilot, "escape", "f5")  # read again on purpose: logged
        assert record_reads(app, BEN_RECORD) == 2


async def test_the_headteacher_reads_the_register_too(register_app_factory: MakeApp) -> None:
    app = register_app_factory(user="head")
    async with app.run_test(size=(80, 24)) as pilot:
        await unlock(pilot)
        screen = await pupil_list(pilot)
        assert screen.rows is not None and len(screen.rows) == 3
        await highlight(pilot, "#pupils-table", BEN_RECORD)
        await press(pilot, "enter")
        assert len((await record(pilot)).view.incidents) == 2  # type: ignore[union-attr]


async def test_y_on_a_record_opens_the_childs_chronology(register_app_factory: MakeApp) -> None:
    app = register_app_factory()
    async with app.run_test(size=(80, 24)) as pilot:
        await unlock(pilot)
        await pupil_list(pilot)
        await highlight(pilot, "#pupils-table", BEN_RECORD)
        await press(pilot, "enter")
        await record(pilot)
        await press(pilot, "y")
        screen = app.screen
        assert isinstance(screen, ChildChronologyScreen) and screen.register_id == BEN_RECORD
        for _ in range(50):
            if screen.chrono is not None:
                break
            await settle(pilot)
        assert screen.chrono is not None and len(screen.chrono.incidents) == 2


async def test_the_people_pane_says_the_second_incident_and_p_opens_the_record(
    register_app_factory: MakeApp, refs: Refs
) -> None:
    app = register_app_factory()
    async with app.run_test(size=(120, 40)) as pilot:
        await unlock(pilot)
        await open_incident(pilot, refs.chat)
        await press(pilot, "6")
        incident = app.screen
        assert isinstance(incident, IncidentScreen) and incident.view is not None
        pupils = {p.name: p.pupil_id for p in incident.view.incident.pupils.values()}
        lines = screen_text(app).splitlines()
        (ben,) = [line for line in lines if "Ben Example" in line]
        assert "↺ Ben Example" in ben
        assert "↺ 2nd incident; earlier: pictured" in ben  # its own column from 100 wide
        (ann,) = [line for line in lines if HOSTILE_NAME in line and line.startswith("│")]
        assert "only incident" in ann and "↺" not in ann
        await highlight(pilot, "#people-table", f"pupil:{pupils['Ben Example']}")
        text = screen_text(app)
        assert f"↺ 2nd incident; earlier: pictured ({refs.signoff}). p: their pupil record" in text
        await press(pilot, "p")
        screen = await record(pilot)
        assert screen.register_id == BEN_RECORD
        assert record_reads(app, BEN_RECORD) == 1
        await press(pilot, "escape")
        await highlight(pilot, "#people-table", f"pupil:{pupils[HOSTILE_NAME]}")
        await press(pilot, "p")
        assert (await record(pilot)).register_id == ANN_RECORD


async def test_p_typed_ahead_of_the_incident_opens_the_record(
    register_app_factory: MakeApp, refs: Refs, monkeypatch: pytest.MonkeyPatch
) -> None:
    real = PupilRegister.linked

    def slow(self: PupilRegister, incident: Any) -> Any:
        time.sleep(0.5)  # a register of thousands on a busy server: the real call, late
        return real(self, incident)

    monkeypatch.setattr(PupilRegister, "linked", slow)
    app = register_app_factory()
    async with app.run_test(size=(80, 24)) as pilot:
        await unlock(pilot)
        table = app.screen.query_one("#incidents", RecordTable)
        table.move_cursor(row=table.keys.index(refs.chat))
        await settle(pilot)
        await pilot.press("enter", "6", "down", "p")  # as fast as a DSL types them
        await settle(pilot)
        assert (await record(pilot)).register_id == BEN_RECORD


async def test_a_link_undone_meanwhile_leaves_the_people_pane(
    register_app_factory: MakeApp, refs: Refs
) -> None:
    app = register_app_factory()
    async with app.run_test(size=(120, 40)) as pilot:
        await unlock(pilot)
        await open_incident(pilot, refs.chat)
        await press(pilot, "6")
        assert "↺ Ben Example" in screen_text(app)
        register = PupilRegister(services(app).cases)  # another user, meanwhile
        register.unlink(refs.chat, BEN_RECORD, "another Ben: the wrong child")
        register.unlink(refs.chat, ANN_RECORD, "linked by mistake")
        incident = app.screen
        assert isinstance(incident, IncidentScreen)
        incident.load()
        await settle(pilot)
        assert incident.linked == {} and not incident.linked_pending
        lines = [line for line in screen_text(app).splitlines() if "Ben Example" in line]
        assert lines and all("↺" not in line for line in lines)
        assert "no pupil record" in lines[0]


async def test_a_technician_never_reaches_the_register(app_factory: MakeApp) -> None:
    app = app_factory(user="tech")
    async with app.run_test(size=(80, 24)) as pilot:
        await unlock(pilot)
        assert isinstance(app.screen, DeviceListScreen)
        await press(pilot, "p")
        assert not any(isinstance(s, PupilListScreen) for s in app.screen_stack)
        titles = [entry.title for entry in _screen_entries(app.screen)]
        assert titles and not any("Pupil" in title for title in titles)
        app.open_pupils()  # even asked directly (a remapped key, a stray action)
        await settle(pilot)
        assert isinstance(app.screen, ErrorDialog)
        assert "Your role records device custody only." in screen_text(app)
        assert not any(isinstance(s, PupilListScreen) for s in app.screen_stack)


async def test_hostile_names_are_shown_as_typed_never_obeyed(
    register_app_factory: MakeApp,
) -> None:
    app = register_app_factory()
    made = PupilRegister(services(app).cases).add(
        {"name": "[b]x[/b] \x1b[31mred\x07", "year_group": 8, "sex": "male"}
    )
    async with app.run_test(size=(80, 24)) as pilot:
        await unlock(pilot)
        await pupil_list(pilot)
        await highlight(pilot, "#pupils-table", made)
        text = screen_text(app)
        assert "[b]x[/b] ␛[31mred␇" in text and "\x1b" not in text
        assert "no incident linked" in text
        await highlight(pilot, "#pupils-table", ANN_RECORD)
        assert "[b]Ann[/b] Markup / Annie␛[2J M: Year 10" in screen_text(app)  # other names
        await highlight(pilot, "#pupils-table", made)
        await press(pilot, "enter")
        await record(pilot)
        text = screen_text(app)
        assert "[b]x[/b] ␛[31mred␇" in text and "No incident is counted" in text
        await press(pilot, "escape")
        await highlight(pilot, "#pupils-table", ANN_RECORD)
        await press(pilot, "enter")
        await record(pilot)
        text = screen_text(app)
        assert f"{HOSTILE_NAME} (also known as Annie␛[2J M)" in text


async def test_the_help_lists_the_new_keys(register_app_factory: MakeApp, refs: Refs) -> None:
    app = register_app_factory()
    async with app.run_test(size=(120, 40)) as pilot:
        await unlock(pilot)
        lines = {(keys, name) for keys, name, _ in help_lines(app.screen)}
        assert ("p", "Pupils") in lines
        await press(pilot, "f1")
        assert "p Pupils: The pupil register" in screen_text(app)
        await press(pilot, "escape")
        await pupil_list(pilot)
        await highlight(pilot, "#pupils-table", BEN_RECORD)
        await press(pilot, "enter")
        await record(pilot)
        lines = {(keys, name) for keys, name, _ in help_lines(app.screen)}
        assert {("y", "Chronology"), ("Esc", "Back")} <= lines
        await press(pilot, "enter")
        await press(pilot, "6")
        lines = {(keys, name) for keys, name, _ in help_lines(app.screen)}
        assert ("p", "Pupil record") in lines
