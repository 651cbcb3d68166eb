"""Linking an incident's young person to the pupil register in the app (issue 15).

"Adding a pupil to an incident offers the existing pupils that match ... so the
same child is linked, not retyped; a wrong link can be undone." On
:func:`~tests.app.conftest.register_template`'s vault (Ann, Ben and Cara each
in the register, Ben in two incidents): saving the pupil form offers the
records the model offers (never another child of the same name), Enter links
(an entry in the incident, signed, as ``ydsi pupil link`` makes it), Escape
leaves the young person unlinked; ``u`` undoes a wrong link, with a reason.
"""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

import pytest
from textual.pilot import Pilot
from textual.widgets import Input

from tests.app.conftest import (
    ANN_RECORD,
    BEN_RECORD,
    HOSTILE_NAME,
    PASS,
    MakeApp,
    Refs,
    open_incident,
    screen_text,
    settle,
    unlock,
)
from tests.app.test_flows import choose, fill, services
from tests.app.test_pupils_app import record
from tests.app.test_reports import spy_notifications
from tests.cli.test_cli import Ydsi
from ydsi_tui.app.screens.dialogs import ErrorDialog, FieldsDialog, MenuDialog
from ydsi_tui.app.screens.forms import FormScreen
from ydsi_tui.app.screens.help import help_lines
from ydsi_tui.app.screens.incident import IncidentScreen
from ydsi_tui.app.widgets.table import RecordTable
from ydsi_tui.model.events import new_id
from ydsi_tui.service.register import NEW, PupilRegister, incidents_of

# Whole app sessions on a real vault.
pytestmark = pytest.mark.slow

SIZE = (80, 24)
LINK_TITLE = "Link to the pupil register"


async def press(pilot: Pilot[Any], *keys: str) -> None:
    for key in keys:
        await pilot.press(key)
        await settle(pilot)


async def add_pupil(pilot: Pilot[Any], name: str, year_group: str = "10") -> None:
    """On an open incident: People pane, a, the pupil form filled in and saved."""
    await press(pilot, "6", "a")
    await choose(pilot, "pupil.added")
    assert isinstance(pilot.app.screen, FormScreen)
    for field, value in [
        ("name", name), ("year_group", year_group), ("sex", "male"),
        ("parts", ["received"]), ("sen", "no"),
    ]:  # fmt: skip
        await fill(pilot, field, value)
    await press(pilot, "f2")


def link_dialog(app: Any) -> MenuDialog:
    dialog = app.screen
    assert isinstance(dialog, MenuDialog) and dialog.title_text == LINK_TITLE
    return dialog


def offered(app: Any) -> list[str]:
    """The ids the link dialog offers, in order (the new record last)."""
    return [item for item, _ in link_dialog(app).items]


async def pick(pilot: Pilot[Any], item: str) -> None:
    """Move to ``item`` in the open link dialog with the arrow keys and press Enter."""
    ids = offered(pilot.app)
    await press(pilot, *["down"] * ids.index(item), "enter")


def pupil_named(app: Any, ref: str, name: str) -> Any:
    incident = services(app).cases.open(ref, log=False).incident
    (pupil,) = [p for p in incident.pupils.values() if p.name == name]
    return pupil


async def highlight_pupil(pilot: Pilot[Any], pupil_id: str) -> None:
    table = pilot.app.screen.query_one("#people-table", RecordTable)
    table.move_cursor(row=table.keys.index(f"pupil:{pupil_id}"))
    table.focus()
    await settle(pilot)


async def test_adding_ben_again_offers_his_record_and_linking_counts_the_incident(
    register_app_factory: MakeApp, refs: Refs, tmp_path: Path
) -> None:
    app = register_app_factory()
    async with app.run_test(size=SIZE) as pilot:
        await unlock(pilot)
        await open_incident(pilot, refs.fresh)
        await add_pupil(pilot, "bén EXAMPLE")  # another case, an accent: the same boy
        assert offered(app) == [BEN_RECORD, NEW]
        text = screen_text(app)
        assert "bén EXAMPLE (Year 10) may be one of these pupil records" in text
        assert "Ben Example" in text and "Year 10 · 2 incidents ↺ repeat" in text
        assert "A new pupil record for this young person" in text
        assert "Esc: not now" in text
        await pick(pilot, BEN_RECORD)
        assert isinstance(app.screen, IncidentScreen)
        ben = pupil_named(app, refs.fresh, "bén EXAMPLE")
        assert ben.register_id == BEN_RECORD
        await highlight_pupil(pilot, ben.pupil_id)
        text = screen_text(app)
        assert "↺ bén EXAMPLE" in text  # the People pane: his third incident
        assert (
            f"↺ 3rd incident; earlier: pictured, received, shared on ({refs.signoff}, {refs.chat})"
            in text
        )
        assert [link.ref for link in incidents_of(services(app).cases, BEN_RECORD)] == [
            refs.signoff, refs.chat, refs.fresh
        ]  # fmt: skip
        entries = services(app).cases.open(refs.fresh, log=False).incident.events_by_id
        linked = [e for e in entries.values() if e.kind == "pupil.linked"]
        assert len(linked) == 1 and linked[0].by_role == "dsl"  # an entry, as the CLI makes
    # The command line says the same of Ben.
    tool = Ydsi(tmp_path)
    tool.vault = Path(app.vault_path)
    done = tool.run("pupil", "show", BEN_RECORD, "--json", passphrase=PASS)
    assert done.returncode == 0, done.stderr
    shown = json.loads(done.stdout)
    assert refs.fresh in json.dumps(shown["incidents"])


async def test_the_same_name_born_another_year_is_not_offered(
    register_app_factory: MakeApp, refs: Refs
) -> None:
    app = register_app_factory()
    async with app.run_test(size=SIZE) as pilot:
        await unlock(pilot)
        await open_incident(pilot, refs.fresh)
        await add_pupil(pilot, "Ben Example", year_group="8")
        # The model: the same name in another school year is another child, never offered.
        found = PupilRegister(services(app).cases).candidates(
            ["Ben Example"], year_group=8, as_of=app.now().date()
        )
        assert [(m.register_id, m.offered) for m in found] == [(BEN_RECORD, False)]
        assert offered(app) == [NEW]
        text = screen_text(app)
        assert "No pupil record matches Ben Example (Year 8)." in text
        assert "1 record(s) of the same name are another child" in text
        await pick(pilot, NEW)  # a new record: the other Ben has one of his own now
        ben = pupil_named(app, refs.fresh, "Ben Example")
        assert ben.register_id and ben.register_id != BEN_RECORD
        rows = PupilRegister(services(app).cases).rows()
        assert [len(r.incidents) for r in rows if r.register_id == ben.register_id] == [1]
        await highlight_pupil(pilot, ben.pupil_id)
        assert "In the pupil register (their only incident there)" in screen_text(app)


async def test_escape_leaves_the_young_person_unlinked_and_p_offers_again(
    register_app_factory: MakeApp, refs: Refs
) -> None:
    app = register_app_factory()
    async with app.run_test(size=SIZE) as pilot:
        await unlock(pilot)
        await open_incident(pilot, refs.fresh)
        await add_pupil(pilot, "Ben Example")
        link_dialog(app)
        await press(pilot, "escape")
        assert isinstance(app.screen, IncidentScreen)
        ben = pupil_named(app, refs.fresh, "Ben Example")  # saved: nothing lost
        assert not ben.register_id
        assert ben.parts == ("received",)
        assert "Not in the pupil register yet. p: link them to it" in screen_text(app)
        await press(pilot, "p")  # later: the same offer
        assert offered(app) == [BEN_RECORD, NEW]
        await press(pilot, "escape")
        assert pupil_named(app, refs.fresh, "Ben Example").register_id == ""


async def test_keys_typed_on_the_heels_of_the_save_go_to_the_dialog(
    register_app_factory: MakeApp, refs: Refs, monkeypatch: pytest.MonkeyPatch
) -> None:
    real = PupilRegister.candidates

    def slow(self: PupilRegister, *args: Any, **kwargs: Any) -> Any:
        time.sleep(0.5)  # a register of thousands on a busy server: the real call, late
        return real(self, *args, **kwargs)

    monkeypatch.setattr(PupilRegister, "candidates", slow)
    app = register_app_factory()
    async with app.run_test(size=SIZE) as pilot:
        await unlock(pilot)
        await open_incident(pilot, refs.fresh)
        await press(pilot, "6", "a")
        await choose(pilot, "pupil.added")
        for field, value in [
            ("name", "Ben Example"), ("year_group", "10"), ("sex", "male"),
            ("parts", ["received"]), ("sen", "no"),
        ]:  # fmt: skip
            await fill(pilot, field, value)
        await pilot.press("f2", "escape")  # as fast as a DSL types: "not now"
        await settle(pilot)
        assert isinstance(app.screen, IncidentScreen)  # still there, no dialog left over
        assert not any(isinstance(s, MenuDialog) for s in app.screen_stack)
        assert pupil_named(app, refs.fresh, "Ben Example").register_id == ""


async def test_p_on_a_young_person_of_an_empty_register_offers_a_new_record(
    app_factory: MakeApp, refs: Refs
) -> None:
    app = app_factory()  # the seeded vault: nobody is in the register
    async with app.run_test(size=SIZE) as pilot:
        await unlock(pilot)
        await open_incident(pilot, refs.referral)  # one young person: no need to highlight
        await press(pilot, "p")
        assert offered(app) == [NEW]
        assert "No pupil record matches Cara Sample (Year 9)." in screen_text(app)
        await press(pilot, "enter")
        cara = pupil_named(app, refs.referral, "Cara Sample")
        assert cara.register_id
        (row,) = PupilRegister(services(app).cases).rows()
        assert row.register_id == cara.register_id and row.names == ("Cara Sample",)
        await press(pilot, "6")
        assert "In the pupil register (their only incident there)" in screen_text(app)
        await press(pilot, "p")  # linked now: p opens the record
        assert (await record(pilot)).register_id == cara.register_id


async def test_a_record_linked_to_another_pupil_here_is_not_offered(
    register_app_factory: MakeApp, refs: Refs
) -> None:
    app = register_app_factory()
    async with app.run_test(size=SIZE) as pilot:
        await unlock(pilot)
        await open_incident(pilot, refs.chat)  # Ben is linked here already
        await add_pupil(pilot, "Ben Example")
        assert offered(app) == [NEW]


async def test_u_undoes_a_wrong_link_with_a_reason_and_refuses_none(
    register_app_factory: MakeApp, refs: Refs
) -> None:
    app = register_app_factory()
    async with app.run_test(size=SIZE) as pilot:
        await unlock(pilot)
        await open_incident(pilot, refs.chat)
        await press(pilot, "6")
        ben = pupil_named(app, refs.chat, "Ben Example")
        await highlight_pupil(pilot, ben.pupil_id)
        await press(pilot, "u")
        dialog = app.screen
        assert isinstance(dialog, FieldsDialog)
        assert "Ben Example is linked to a pupil record" in screen_text(app)
        await press(pilot, "escape")  # back: nothing changed
        assert isinstance(app.screen, IncidentScreen)
        assert pupil_named(app, refs.chat, "Ben Example").register_id == BEN_RECORD

        await press(pilot, "u")
        await press(pilot, "f2")  # no reason: refused, in words
        assert isinstance(app.screen, FieldsDialog)
        assert "✗ This is required." in screen_text(app)
        field = app.screen.query_one("#in-reason", Input)
        field.value = "   "
        await press(pilot, "f2")  # blanks are no reason either
        assert isinstance(app.screen, FieldsDialog)
        assert pupil_named(app, refs.chat, "Ben Example").register_id == BEN_RECORD
        field.value = "another Ben: the wrong child"
        await press(pilot, "f2")
        assert isinstance(app.screen, IncidentScreen)
        assert pupil_named(app, refs.chat, "Ben Example").register_id == ""
        incident = services(app).cases.open(refs.chat, log=False).incident
        (undone,) = [e for e in incident.events_by_id.values() if e.kind == "pupil.unlinked"]
        assert undone.data["reason"] == "another Ben: the wrong child"
        refs_of_ben = [link.ref for link in incidents_of(services(app).cases, BEN_RECORD)]
        assert refs_of_ben == [refs.signoff]
        await highlight_pupil(pilot, ben.pupil_id)
        assert "Not in the pupil register yet" in screen_text(app)
        seen = spy_notifications(app)
        await press(pilot, "u")  # nothing to undo now
        assert isinstance(app.screen, IncidentScreen)
        assert seen and "not linked to a pupil record" in seen[-1]


async def test_hostile_names_in_the_dialog_are_shown_as_typed(
    register_app_factory: MakeApp, refs: Refs
) -> None:
    app = register_app_factory()
    async with app.run_test(size=SIZE) as pilot:
        await unlock(pilot)
        await open_incident(pilot, refs.fresh)
        await add_pupil(pilot, "[B]ANN[/B] markup")
        assert offered(app) == [ANN_RECORD, NEW]
        text = screen_text(app)
        assert "[B]ANN[/B] markup (Year 10) may be one of" in text
        assert f"{HOSTILE_NAME} / Annie␛[2J M" in text  # both names, markup and escape shown
        assert "\x1b" not in text
        await pick(pilot, ANN_RECORD)
        assert pupil_named(app, refs.fresh, "[B]ANN[/B] markup").register_id == ANN_RECORD


async def test_an_escape_sequence_in_the_typed_name_is_shown_not_obeyed(
    register_app_factory: MakeApp, refs: Refs
) -> None:
    app = register_app_factory()
    cases = services(app).cases
    pupil = new_id()
    cases.record(refs.fresh, "pupil.added", {
        "pupil_id": pupil, "name": "Annie\x1b[2J M", "year_group": 10, "sex": "female",
        "parts": ["pictured"], "sen": False, "vulnerabilities": "",
    })  # fmt: skip
    async with app.run_test(size=SIZE) as pilot:
        await unlock(pilot)
        await open_incident(pilot, refs.fresh)
        await press(pilot, "6", "p")
        assert offered(app) == [ANN_RECORD, NEW]  # her other name, as typed
        text = screen_text(app)
        assert "Annie␛[2J M (Year 10) may be one of" in text and "\x1b" not in text


async def test_a_refusal_is_said_in_words(
    register_app_factory: MakeApp, refs: Refs, monkeypatch: pytest.MonkeyPatch
) -> None:
    from ydsi_tui.vault.errors import AccessDenied

    def refuse(*_: Any, **__: Any) -> Any:
        raise AccessDenied("your role may not link this record")

    monkeypatch.setattr(PupilRegister, "link", refuse)
    app = register_app_factory()
    async with app.run_test(size=SIZE) as pilot:
        await unlock(pilot)
        await open_incident(pilot, refs.fresh)
        await add_pupil(pilot, "Ben Example")
        await pick(pilot, BEN_RECORD)
        assert isinstance(app.screen, ErrorDialog)
        text = screen_text(app)
        assert "Could not link the young person to the pupil register" in text
        assert "your role may not link this record" in text and "internal error" not in text


async def test_the_headteacher_links_as_the_service_allows(
    register_app_factory: MakeApp, refs: Refs
) -> None:
    app = register_app_factory(user="head")
    async with app.run_test(size=SIZE) as pilot:
        await unlock(pilot)
        await open_incident(pilot, refs.fresh)
        await add_pupil(pilot, "Ben Example")
        await pick(pilot, BEN_RECORD)
        assert isinstance(app.screen, IncidentScreen)
        assert pupil_named(app, refs.fresh, "Ben Example").register_id == BEN_RECORD


async def test_the_help_lists_u(register_app_factory: MakeApp, refs: Refs) -> None:
    app = register_app_factory()
    async with app.run_test(size=(120, 40)) as pilot:
        await unlock(pilot)
        await open_incident(pilot, refs.chat)
        lines = {(keys, name) for keys, name, _ in help_lines(app.screen)}
        assert {("p", "Pupil record"), ("u", "Undo link")} <= lines


def test_the_link_dialog_at_80x24(
    snap_compare: Any, register_app_factory: MakeApp, refs: Refs
) -> None:
    """Ben added again to the fresh incident: his record offered, a new one, Esc."""

    async def run(pilot: Pilot[Any]) -> None:
        await unlock(pilot)
        await open_incident(pilot, refs.fresh)
        await add_pupil(pilot, "Ben Example")
        await settle(pilot)

    assert snap_compare(register_app_factory(), terminal_size=SIZE, run_before=run)
