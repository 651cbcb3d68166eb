"""Every flow of the app, driven by keys through Textual's Pilot on a real vault."""

from __future__ import annotations

import time
from typing import Any

import pytest
from textual.pilot import Pilot
from textual.widgets import Input, OptionList, Select, TextArea

from tests.app.conftest import (
    CLOCK,
    HOSTILE_NAME,
    PASS,
    MakeApp,
    Refs,
    open_incident,
    screen_text,
    settle,
    unlock,
)
from tests.app.test_reports import spy_notifications
from ydsi_tui.app.app import YdsiApp
from ydsi_tui.app.formspec import field_id
from ydsi_tui.app.screens.devices import DeviceListScreen, DeviceScreen
from ydsi_tui.app.screens.dialogs import CloseDialog, ConfirmDialog, MenuDialog
from ydsi_tui.app.screens.drafts import DraftsScreen
from ydsi_tui.app.screens.forms import FormScreen
from ydsi_tui.app.screens.home import HomeScreen
from ydsi_tui.app.screens.incident import IncidentScreen
from ydsi_tui.app.screens.lock import LockScreen
from ydsi_tui.app.screens.quick_note import QuickNoteScreen
from ydsi_tui.app.screens.signoff import SignoffScreen
from ydsi_tui.app.screens.unlock import UnlockScreen
from ydsi_tui.app.widgets.table import RecordTable
from ydsi_tui.model.timeparse import to_local
from ydsi_tui.service.factory import services_for
from ydsi_tui.vault.vault import Vault

# Each test is a whole app session on a real vault, seconds apiece.
pytestmark = pytest.mark.slow


def services(app: YdsiApp, user: str = "dsl") -> Any:
    session = Vault.open(app.vault_path).unlock(user, PASS)
    return services_for(session, clock=CLOCK)


async def fill(pilot: Pilot[Any], name: str, value: object) -> None:
    """Set one form field as a person would leave it (typing for text fields)."""
    screen = pilot.app.screen
    widget = screen.query_one(f"#{field_id(name)}")
    widget.focus()
    if isinstance(widget, Input):
        widget.value = str(value)  # as if typed (Pilot types ~60 ms a key)
    elif isinstance(widget, TextArea):
        widget.text = str(value)
    elif isinstance(widget, Select):
        widget.value = value
    else:  # ChoiceList
        widget.set_selected(value)  # type: ignore[attr-defined]
        widget.post_message(widget.Changed(widget))  # type: ignore[attr-defined]
    await pilot.pause()


async def fill_disclosure(pilot: Pilot[Any]) -> None:
    """The new-incident form's required disclosure fields (who told whom, how)."""
    await fill(pilot, "discloser_type", "staff")
    await fill(pilot, "to_whom", "Mr Tom Tutor, form tutor")
    await fill(pilot, "how", "in person")


async def choose(pilot: Pilot[Any], kind: str) -> None:
    """Pick ``kind`` in an open menu."""
    menu = pilot.app.screen
    assert isinstance(menu, MenuDialog)
    ids = [item for item, _ in menu.items]
    menu.dismiss(ids[ids.index(kind)])
    await settle(pilot)


# ------------------------------------------------------------------ unlock


async def test_wrong_passphrase_says_so_and_stays(app_factory: MakeApp) -> None:
    app = app_factory()
    async with app.run_test() as pilot:
        await unlock(pilot, "not the passphrase")
        assert isinstance(app.screen, UnlockScreen)
        assert "passphrase not recognised for dsl" in screen_text(app)
        assert app.screen.query_one("#passphrase", Input).value == ""
        assert app.session is None
        await unlock(pilot)
        assert isinstance(app.screen, HomeScreen)
        assert app.session is not None


async def test_passphrase_is_never_echoed(app_factory: MakeApp) -> None:
    app = app_factory()
    async with app.run_test() as pilot:
        await settle(pilot)
        await pilot.press(*"visible secret")
        assert "visible secret" not in screen_text(app)
        assert "•" not in screen_text(app)  # not even its length


# ------------------------------------------------------------------ home


async def test_home_lists_filters_and_sorts(app_factory: MakeApp, refs: Refs) -> None:
    app = app_factory()
    async with app.run_test() as pilot:
        await unlock(pilot)
        home = app.screen
        assert isinstance(home, HomeScreen)
        table = home.query_one("#incidents", RecordTable)
        assert set(table.keys) == {refs.chat, refs.referral, refs.signoff, refs.fresh}
        text = screen_text(app)
        assert "‼ REFER NOW" in text
        assert "Needs attention today" in text
        await pilot.press("slash", *"threatened")
        await pilot.pause(0.3)
        assert table.keys == [refs.referral]
        await pilot.press("escape")
        await pilot.pause(0.3)
        assert len(table.keys) == 4
        await pilot.press("s")  # by reference
        assert table.keys == sorted(table.keys, reverse=True)
        assert "sort: reference" in screen_text(app)


# ------------------------------------------------------------------ new incident


async def test_new_incident(app_factory: MakeApp) -> None:
    """Issue 10, finding 10: the disclosure whole in one form, at 80x24; then the new
    incident opens and says its reference (no second form asking the time again)."""
    app = app_factory()
    seen = spy_notifications(app)
    async with app.run_test(size=(80, 24)) as pilot:
        await unlock(pilot)
        await pilot.press("n")
        await settle(pilot)
        assert isinstance(app.screen, FormScreen)
        await fill(pilot, "summary", "Image passed round the Year 8 bus")
        await fill(pilot, "_at", "8:50")
        assert "Mon 16/11/2026 08:50 GMT" in screen_text(app)
        await fill(pilot, "discloser_type", "friend")
        await fill(pilot, "discloser_name", "Cara Friend")
        await fill(pilot, "to_whom", "Mr Daniel Hughes, form tutor 8H")
        await fill(pilot, "how", "in person, at registration")
        await fill(pilot, "dsl_told_at", "9:15")
        for n, (name, born, sex, part, sen) in enumerate(
            [("Ava Bus", "14/03/2013", "female", "pictured", "no"),
             ("Ben Bus", "8", "male", "sent", "yes")], start=1,
        ):  # fmt: skip
            await fill(pilot, f"pupils.{n}.name", name)
            await fill(pilot, f"pupils.{n}.born", born)
            await fill(pilot, f"pupils.{n}.sex", sex)
            await fill(pilot, f"pupils.{n}.parts", [part])
            await fill(pilot, f"pupils.{n}.sen", sen)
        await pilot.press("f2")
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, IncidentScreen), screen
        rows = services(app).cases.rows()
        (row,) = [r for r in rows if r.summary == "Image passed round the Year 8 bus"]
        assert screen.ref == row.ref
        said = [message for message in seen if row.ref in message]
        # Nobody is linked to the pupil register by the form: the notice says how.
        link = "Not yet in the pupil register: on People (6), p links each of them."
        assert any(link in message for message in said), said
        incident = services(app).cases.open(row.ref).incident
        disclosure = incident.disclosure
        assert disclosure is not None
        assert (disclosure.discloser_type, disclosure.discloser_name) == ("friend", "Cara Friend")
        assert disclosure.to_whom == "Mr Daniel Hughes, form tutor 8H"
        assert disclosure.how == "in person, at registration"
        assert disclosure.disclosed_at == incident.opened_at
        assert f"{disclosure.dsl_told_at:%H:%M}" == "09:15"
        pupils = {p.name: p for p in incident.pupils.values()}
        assert set(pupils) == {"Ava Bus", "Ben Bus"}
        assert pupils["Ava Bus"].parts == ("pictured",) and not pupils["Ava Bus"].sen
        assert pupils["Ben Bus"].year_group == 8 and pupils["Ben Bus"].sen
        # The disclosure step asks for nothing again: no gap names the disclosure's time.
        gaps = " ".join(g.text for g in services(app).cases.open(row.ref).gaps).lower()
        assert "when it was disclosed" not in gaps and "who disclosed" not in gaps


async def test_new_incident_refuses_a_young_person_half_given(app_factory: MakeApp) -> None:
    """A young person named without their part (or sex, SEN, date of birth) is refused on
    that field, and nothing is opened."""
    app = app_factory()
    async with app.run_test(size=(80, 24)) as pilot:
        await unlock(pilot)
        before = len(services(app).cases.rows())
        await pilot.press("n")
        await settle(pilot)
        await fill(pilot, "summary", "Half a pupil")
        await fill(pilot, "discloser_type", "staff")
        await fill(pilot, "to_whom", "Ms Ray")
        await fill(pilot, "how", "saw it")
        await fill(pilot, "pupils.1.name", "Cal Half")
        await pilot.press("f2")
        await settle(pilot)
        form = app.screen
        assert isinstance(form, FormScreen)
        assert {"pupils.1.born", "pupils.1.sex", "pupils.1.parts", "pupils.1.sen"} <= set(
            form.errors
        ), form.errors
        assert len(services(app).cases.rows()) == before


async def test_the_disclosure_form_carries_the_time_already_given(
    app_factory: MakeApp, refs: Refs
) -> None:
    """The walk-through: the Disclosure form asked "When it was disclosed" again, blank."""
    app = app_factory()
    async with app.run_test(size=(80, 24)) as pilot:
        await unlock(pilot)
        await open_incident(pilot, refs.fresh)
        screen = app.screen
        assert isinstance(screen, IncidentScreen) and screen.view is not None
        opened = screen.view.incident.opened_at
        assert opened is not None
        await pilot.press("a")
        await settle(pilot)
        await choose(pilot, "disclosure")
        form = app.screen
        assert isinstance(form, FormScreen)
        shown = form.query_one(f"#{field_id('disclosed_at')}", Input).value
        assert shown == f"{to_local(opened):%d/%m/%Y %H:%M}"


async def test_form_checks_as_you_type(app_factory: MakeApp) -> None:
    app = app_factory()
    async with app.run_test() as pilot:
        await unlock(pilot)
        await pilot.press("n")
        await settle(pilot)
        await fill(pilot, "_at", "tomorrow 3pm")
        text = screen_text(app)
        assert "✗" in text and "has not happened yet" in text
        await pilot.press("f2")
        await settle(pilot)
        assert isinstance(app.screen, FormScreen)  # refused: nothing saved
        assert "This is required." in screen_text(app)


# ------------------------------------------------------------------ the guide


async def test_step_through_the_guide(app_factory: MakeApp, refs: Refs) -> None:
    app = app_factory()
    async with app.run_test(size=(100, 40)) as pilot:
        await unlock(pilot)
        await open_incident(pilot, refs.chat)
        incident = app.screen
        assert isinstance(incident, IncidentScreen)
        view = incident.view
        assert view is not None and view.next_step is not None
        assert view.next_step.id == "review_meeting"
        # a: the entries of the current step; record the content described.
        await pilot.press("a")
        await settle(pilot)
        await choose(pilot, "content.described")
        await fill(pilot, "description", "A topless image; no sexual acts")
        await fill(pilot, "sexual_acts", "no")
        await fill(pilot, "violent", "no")
        await pilot.press("f2")
        await settle(pilot)
        assert isinstance(app.screen, IncidentScreen)
        # m: mark the step for later, with a reason: the guide moves on.
        await pilot.press("m")
        await settle(pilot)
        form = app.screen
        assert isinstance(form, FormScreen) and form.form.kind == "step.status"
        assert form.query_one(f"#{field_id('step_id')}", Select).value == "review_meeting"
        await fill(pilot, "status", "later")
        await pilot.press("f2")
        await settle(pilot)
        assert isinstance(app.screen, FormScreen)  # a reason is required for "later"
        assert "Say why this step is left for later" in screen_text(app)
        await fill(pilot, "reason", "meeting booked for Tuesday")
        await pilot.press("f2")
        await settle(pilot)
        assert isinstance(app.screen, IncidentScreen)
        view = app.screen.view
        assert view is not None and view.next_step is not None
        assert view.next_step.id == "decision"
        text = screen_text(app)
        assert "… " in text and "Next: Immediate referral triggers" in text


# ------------------------------------------------------------------ triggers


async def test_trigger_yes_shows_the_referral_banner(app_factory: MakeApp, refs: Refs) -> None:
    app = app_factory()
    async with app.run_test() as pilot:
        await unlock(pilot)
        await open_incident(pilot, refs.fresh)
        assert "IMMEDIATE REFERRAL" not in screen_text(app)
        await pilot.press("3")
        await settle(pilot)
        await pilot.press("enter")  # the triggers' form, on trigger 1 (highlighted)
        await settle(pilot)
        form = app.screen
        assert isinstance(form, FormScreen)
        assert app.focused is form.query_one(f"#{field_id('t1.answer')}", Select)
        await fill(pilot, "t1.answer", "yes")
        await fill(pilot, "t1.basis", "a 23-year-old asked for the image")
        await pilot.press("f2")
        await settle(pilot)
        assert isinstance(app.screen, IncidentScreen)
        text = screen_text(app)
        assert "‼ IMMEDIATE REFERRAL REQUIRED ‼" in text
        assert "trigger 1 answered YES" in text
        assert "✖ YES" in text
        for pane in "12456":  # the banner stays above every pane
            await pilot.press(pane)
            await pilot.pause()
            assert "IMMEDIATE REFERRAL REQUIRED" in screen_text(app)


async def test_refer_now_records_the_contact(app_factory: MakeApp, refs: Refs) -> None:
    """Issue 11, finding 8: r opened a harm-concern form; a referral is a contact."""
    app = app_factory()
    async with app.run_test() as pilot:
        await unlock(pilot)
        await open_incident(pilot, refs.fresh)
        await pilot.press("r")
        await settle(pilot)
        menu = app.screen
        assert isinstance(menu, MenuDialog)
        assert [item for item, _ in menu.items] == ["police", "csc", "harm"]
        menu.dismiss("csc")
        await settle(pilot)
        form = app.screen
        assert isinstance(form, FormScreen) and form.form.kind == "csc.contact"
        assert {f.name: f.default for f in form.form.fields}["type"] == "referral"
        await pilot.press("escape")
        await settle(pilot)
        if isinstance(app.screen, CloseDialog):
            await pilot.press("d", "d")
            await settle(pilot)
        await pilot.press("r")
        await settle(pilot)
        assert isinstance(app.screen, MenuDialog)
        app.screen.dismiss("police")
        await settle(pilot)
        form = app.screen
        assert isinstance(form, FormScreen) and form.form.kind == "police.contact"


async def test_a_harm_concern_is_one_key_away(app_factory: MakeApp, refs: Refs) -> None:
    app = app_factory()
    async with app.run_test() as pilot:
        await unlock(pilot)
        await open_incident(pilot, refs.fresh)
        await pilot.press("6", "h")
        await settle(pilot)
        form = app.screen
        assert isinstance(form, FormScreen) and form.form.kind == "concern.harm"
        await fill(pilot, "text", "pupil talked of self-harm")
        await pilot.press("f2")
        await settle(pilot)
        assert "IMMEDIATE REFERRAL REQUIRED" in screen_text(app)


# ------------------------------------------------------------------ viewing


async def test_viewing_with_an_unmet_rule_needs_an_acknowledgement(
    app_factory: MakeApp, refs: Refs
) -> None:
    app = app_factory()
    async with app.run_test(size=(100, 40)) as pilot:
        await unlock(pilot)
        await open_incident(pilot, refs.chat)
        await pilot.press("4", "a")
        await settle(pilot)
        await choose(pilot, "viewing")
        form = app.screen
        assert isinstance(form, FormScreen)
        for name, value in [
            ("viewer", "Dana Lead"), ("viewer_role", "dsl"), ("present", "Hana Head"),
            ("where", "Headteacher's office"), ("on_premises", "yes"),
            ("reason_id", "report_for_takedown"), ("head_consulted", "yes"), ("same_sex", "no"),
            ("distress_considered", "yes"), ("not_copied", "yes"),
            ("actions", "Image reported for removal"),
        ]:  # fmt: skip
            await fill(pilot, name, value)
        await settle(pilot)
        # The one unmet rule gets its own field, in the policy's words.
        ack = f"#{field_id('ack.same_sex')}"
        assert form.query(ack)
        assert "Rule not met" in screen_text(app)
        await pilot.press("f2")
        await settle(pilot)
        assert isinstance(app.screen, FormScreen)
        await fill(pilot, "ack.same_sex", "no female member of staff on site that day")
        await pilot.press("f2")
        await settle(pilot)
        assert isinstance(app.screen, IncidentScreen)
        # A condition broken by a deliberate viewing goes to the Headteacher (issue 10, 6).
        assert "broke 1 of 9: FOR THE HEADTEACHER" in screen_text(app)
        view = services(app).cases.open(refs.chat)
        [viewing] = view.incident.viewings
        assert viewing.data["acknowledgements"] == {
            "same_sex": "no female member of staff on site that day"
        }


# ------------------------------------------------------------------ devices


async def test_technician_records_a_seizure_and_sees_no_incident(
    app_factory: MakeApp, refs: Refs
) -> None:
    app = app_factory(user="tech")
    async with app.run_test() as pilot:
        await unlock(pilot)
        assert app.services is not None and app.services.cases is None
        assert isinstance(app.screen, DeviceListScreen)
        text = screen_text(app)
        assert refs.device in text
        for content in ("threatened", "group chat", HOSTILE_NAME, "Year 10"):
            assert content not in text
        await pilot.press("escape")  # the technician's home: nowhere to go back to
        assert isinstance(app.screen, DeviceListScreen)
        await pilot.press("s")
        await settle(pilot)
        await fill(pilot, "_incident_ref", refs.chat)
        await fill(pilot, "description", "silver tablet")
        await fill(pilot, "owner", "BE")
        await fill(pilot, "seized_by", "Tom Tech")
        await pilot.press("f2")
        await settle(pilot)
        assert isinstance(app.screen, DeviceListScreen)
        table = app.screen.query_one("#devices", RecordTable)
        assert len(table.keys) == 2
        assert "The device has not been confirmed as turned off." in screen_text(app)
        # Power it off and lock it away, from the device's own screen.
        table.move_cursor(row=table.keys.index("D-2026-002"))
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, DeviceScreen)
        await pilot.press("p")
        await settle(pilot)
        await fill(pilot, "confirmed_by", "Tom Tech")
        await pilot.press("f2")
        await settle(pilot)
        assert "✔ confirmed off" in screen_text(app)
        devices = services(app, "tech").devices
        assert devices.open("D-2026-002").device.powered_off_confirmed


async def test_a_dsl_seizing_from_an_incident_links_the_owner_by_id_not_name(
    app_factory: MakeApp, refs: Refs
) -> None:
    """The device log keeps a code; the link to the young person is for subject access."""
    app = app_factory()
    async with app.run_test() as pilot:
        await unlock(pilot)
        await open_incident(pilot, refs.chat)
        incident = app.screen
        assert isinstance(incident, IncidentScreen) and incident.view is not None
        pupils = incident.view.incident.pupils
        incident.open_form("device.seized")
        await settle(pilot)
        form = app.screen
        assert isinstance(form, FormScreen)
        spec = form.form.field("owner_pupil_id")
        assert spec is not None and spec.widget == "select"
        assert {pid for _, pid in spec.options} == set(pupils)
        owner = next(iter(pupils))
        await fill(pilot, "description", "red phone")
        await fill(pilot, "owner", "AE")
        await fill(pilot, "seized_by", "Dana Lead")
        await fill(pilot, "owner_pupil_id", owner)
        await pilot.press("f2")
        await settle(pilot)
        assert not isinstance(app.screen, FormScreen), screen_text(app)
    devices = services(app, "dsl").devices
    seized = [row for row in devices.rows() if row.description == "red phone"]
    assert len(seized) == 1
    device = devices.open(seized[0].ref, log=False).device
    assert device.owner == "AE" and device.owner_pupil_id == owner
    technician = services(app, "tech").devices.open(seized[0].ref, log=False).device
    assert pupils[owner].name not in repr(technician)


# ------------------------------------------------------------------ quick note


async def test_quick_note_stamped_at_a_typed_time(app_factory: MakeApp, refs: Refs) -> None:
    notified: list[tuple[str, bool]] = []
    app = app_factory()
    app.notify = lambda message, **kw: notified.append((message, kw.get("markup", True)))  # type: ignore[method-assign]
    async with app.run_test() as pilot:
        await unlock(pilot)
        await open_incident(pilot, refs.chat)
        await pilot.press("2", "n")
        await settle(pilot)
        assert isinstance(app.screen, QuickNoteScreen)
        await pilot.press(*"9:30 spoke to mum")
        assert "Stamped: Mon 16/11/2026 09:30 GMT" in screen_text(app)
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, IncidentScreen)
        assert "spoke to mum" in screen_text(app)
        notes = services(app).cases.open(refs.chat).incident.notes
        assert notes[-1].text("text") == "spoke to mum"
        assert notes[-1].at == CLOCK.moment.replace(hour=9, minute=30)
        # Notifications never carry what was written (nor names), and are never markup.
        assert notified == [("Note saved.", False)]


async def test_quick_note_refuses_a_future_time(app_factory: MakeApp, refs: Refs) -> None:
    app = app_factory()
    async with app.run_test() as pilot:
        await unlock(pilot)
        await open_incident(pilot, refs.chat)
        await pilot.press("n", *"11:30 meeting later", "enter")
        await settle(pilot)
        assert isinstance(app.screen, QuickNoteScreen)
        assert "in the future" in screen_text(app)


# ------------------------------------------------------------------ corrections


async def test_correcting_an_entry_keeps_both(app_factory: MakeApp, refs: Refs) -> None:
    app = app_factory()
    async with app.run_test(size=(100, 30)) as pilot:
        await unlock(pilot)
        await open_incident(pilot, refs.chat)
        await pilot.press("2")
        await settle(pilot)
        table = app.screen.query_one("#timeline-table", RecordTable)
        view = app.screen.view
        assert view is not None
        note = view.incident.notes[0]
        table.move_cursor(row=table.keys.index(note.event_id))
        await pilot.press("c")
        await settle(pilot)
        form = app.screen
        assert isinstance(form, FormScreen) and form.form.supersedes == note.event_id
        assert form.query_one(f"#{field_id('text')}", TextArea).text == note.text("text")
        await fill(pilot, "text", "corrected wording")
        await pilot.press("f2")  # no reason yet: refused, nothing saved
        await settle(pilot)
        assert app.screen is form
        assert "correction_reason" in form.errors
        await fill(pilot, "correction_reason", "the first wording named the wrong parent")
        await pilot.press("f2")
        await settle(pilot)
        text = screen_text(app)
        assert "Note ✗ corrected" in text
        assert "↳ correction: Note" in text
        events = services(app).cases.open(refs.chat).incident.timeline
        assert sum(1 for e in events if e.event.kind == "note") == 2
        [fixed] = [e.event for e in events if e.event.supersedes == note.event_id]
        assert fixed.correction_reason == "the first wording named the wrong parent"


# ------------------------------------------------------------------ sign-off


async def test_headteacher_signs_off_what_they_read(app_factory: MakeApp, refs: Refs) -> None:
    app = app_factory(user="head")
    async with app.run_test(size=(100, 40)) as pilot:
        await unlock(pilot)
        assert "waiting for your sign-off" in screen_text(app)
        await open_incident(pilot, refs.signoff)
        await pilot.press("o")
        await settle(pilot)
        assert isinstance(app.screen, SignoffScreen)
        text = screen_text(app)
        assert "removed within the hour; no trigger applies" in text
        assert "established at the review meeting" in text
        await pilot.press("f2")
        await settle(pilot)
        assert isinstance(app.screen, ConfirmDialog)
        await pilot.press("y")
        await settle(pilot)
        assert isinstance(app.screen, IncidentScreen)
        view = services(app, "head").cases.open(refs.signoff)
        [check] = view.signoffs.values()
        assert check.valid and check.signer == "Hana Head"


async def test_only_the_headteacher_can_sign(app_factory: MakeApp, refs: Refs) -> None:
    app = app_factory()
    async with app.run_test() as pilot:
        await unlock(pilot)
        await open_incident(pilot, refs.signoff)
        await pilot.press("o")
        await settle(pilot)
        assert isinstance(app.screen, IncidentScreen)


# ------------------------------------------------------------------ lock


async def test_lock_and_unlock_keep_work_in_progress(app_factory: MakeApp, refs: Refs) -> None:
    app = app_factory()
    async with app.run_test() as pilot:
        await unlock(pilot)
        await open_incident(pilot, refs.chat)
        await pilot.press("n", *"half a thought")
        session = app.session
        assert session is not None
        await pilot.press("f12")
        await settle(pilot)
        assert isinstance(app.screen, LockScreen)
        assert session.closed and app.services is None
        assert "half a thought" not in screen_text(app)
        await pilot.press(*"wrong", "enter")
        await settle(pilot)
        assert isinstance(app.screen, LockScreen)
        assert "not recognised" in screen_text(app)
        await pilot.press(*PASS, "enter")
        await settle(pilot)
        assert isinstance(app.screen, QuickNoteScreen)
        assert app.screen.query_one("#note-text", Input).value == "half a thought"
        await pilot.press("enter")
        await settle(pilot)
        assert services(app).cases.open(refs.chat).incident.notes[-1].text("text") == (
            "half a thought"
        )


async def test_idle_lock(app_factory: MakeApp) -> None:
    from dataclasses import replace

    from tests.app.conftest import TEST_SETTINGS

    # Unlock under a limit no slow machine reaches, then shorten it: with
    # 0.5 s from the start, a loaded machine locked before home was shown.
    app = app_factory(settings=replace(TEST_SETTINGS, lock_after=60.0))
    async with app.run_test() as pilot:
        await unlock(pilot)
        assert isinstance(app.screen, HomeScreen)
        app.settings = replace(app.settings, lock_after=0.001)
        deadline = time.monotonic() + 30
        while not isinstance(app.screen, LockScreen) and time.monotonic() < deadline:
            await pilot.pause(0.05)
        await settle(pilot)
        assert isinstance(app.screen, LockScreen)
        assert app.session is None


# ------------------------------------------------------------------ drafts


async def test_hangup_keeps_forms_as_drafts_and_offers_them_back(
    app_factory: MakeApp, refs: Refs
) -> None:
    app = app_factory()
    async with app.run_test() as pilot:
        await unlock(pilot)
        await open_incident(pilot, refs.chat)
        await pilot.press("a")
        await settle(pilot)
        await choose(pilot, "content.described")
        await fill(pilot, "description", "typed before the line dropped")
        await pilot.press("f12")  # even while locked, the drafts box can write
        await settle(pilot)
        app.hangup()  # what the SIGHUP handler calls
        await pilot.pause()
    assert app.return_code == 129

    again = app_factory()
    async with again.run_test() as pilot:
        await unlock(pilot)
        assert isinstance(again.screen, DraftsScreen)
        assert "Content described" in screen_text(again)
        assert "typed before" not in screen_text(again)  # the list names forms, not text
        await pilot.press("enter")
        await settle(pilot)
        form = again.screen
        assert isinstance(form, FormScreen) and form.form.kind == "content.described"
        assert form.query_one(f"#{field_id('description')}", TextArea).text == (
            "typed before the line dropped"
        )
        await fill(pilot, "sexual_acts", "no")
        await fill(pilot, "violent", "no")
        await pilot.press("f2")
        await settle(pilot)
        assert isinstance(again.screen, IncidentScreen)
        assert again.draft_box is not None
        session = again.session
        assert session is not None and session.load_drafts().drafts == []


async def test_escape_never_destroys_work(app_factory: MakeApp) -> None:
    app = app_factory()
    async with app.run_test() as pilot:
        await unlock(pilot)
        await pilot.press("n")
        await settle(pilot)
        await fill(pilot, "summary", "something typed")
        await pilot.press("escape")
        await settle(pilot)
        assert isinstance(app.screen, CloseDialog)
        await pilot.press("escape")  # back to the form, nothing lost
        await settle(pilot)
        assert isinstance(app.screen, FormScreen)
        assert app.screen.query_one(f"#{field_id('summary')}", Input).value == "something typed"
        await pilot.press("escape", "y")  # keep it as a draft
        await settle(pilot)
        assert isinstance(app.screen, HomeScreen)
        session = app.session
        assert session is not None
        [draft] = session.load_drafts().drafts
        assert draft.content["values"]["summary"] == "something typed"


# ------------------------------------------------------------------ hostile text


async def test_hostile_text_shows_literally(app_factory: MakeApp, refs: Refs) -> None:
    app = app_factory()
    async with app.run_test(size=(120, 40)) as pilot:
        await unlock(pilot)
        await open_incident(pilot, refs.chat)
        await pilot.press("2")
        await settle(pilot)
        text = screen_text(app)
        assert "[b]Ann[/b] Markup" in text
        assert "look ␛[31mred␛[0m and [/ and [bold]x[/bold] ␇ end" in text
        svg = app.export_screenshot()
        assert "\x1b" not in svg and "\x07" not in svg
        await pilot.press("6")
        await settle(pilot)
        assert "[b]Ann[/b] Markup" in screen_text(app)


# ------------------------------------------------------------------ help and keys


async def test_help_lists_the_screens_keys(app_factory: MakeApp, refs: Refs) -> None:
    app = app_factory()
    async with app.run_test(size=(100, 50)) as pilot:
        await unlock(pilot)
        await open_incident(pilot, refs.chat)
        await pilot.press("f1")
        await settle(pilot)
        text = screen_text(app)
        for words in ("Note", "Refer now", "Guide", "Timeline", "Lock", "Add"):
            assert words in text
        await pilot.press("escape", "question_mark")
        await settle(pilot)
        assert "Keys on this screen" in screen_text(app)


async def test_a_school_can_remap_a_key(app_factory: MakeApp, refs: Refs) -> None:
    from dataclasses import replace

    from tests.app.conftest import TEST_SETTINGS

    app = app_factory(settings=replace(TEST_SETTINGS, keymap={"app.lock": "f11"}))
    async with app.run_test() as pilot:
        await unlock(pilot)
        await pilot.press("f11")
        await settle(pilot)
        assert isinstance(app.screen, LockScreen)


@pytest.mark.parametrize("user", ["dsl", "tech"])
async def test_the_title_and_top_bar_name_nobody(
    app_factory: MakeApp, refs: Refs, user: str
) -> None:
    app = app_factory(user=user)
    async with app.run_test() as pilot:
        await unlock(pilot)
        if user == "dsl":
            await open_incident(pilot, refs.chat)
        for name in ("Dana", "Tom", "Ann", "Ben", "Cara", "Example"):
            assert name not in app.title and name not in app.sub_title
            assert name not in screen_text(app).splitlines()[0]


# ------------------------------------------------------------------ other users


async def test_another_users_write_shows_up_without_asking(
    app_factory: MakeApp, refs: Refs
) -> None:
    from dataclasses import replace

    from tests.app.conftest import TEST_SETTINGS

    app = app_factory(settings=replace(TEST_SETTINGS, poll_seconds=0.2))
    async with app.run_test(size=(100, 30)) as pilot:
        await unlock(pilot)
        await open_incident(pilot, refs.fresh)
        await pilot.press("2")
        services(app, "head").cases.note(refs.fresh, "written by the Headteacher elsewhere")
        for _ in range(50):
            await pilot.pause(0.1)
            if "written by the Headteacher elsewhere" in screen_text(app):
                break
        assert "written by the Headteacher elsewhere" in screen_text(app)
        await pilot.press("escape")
        await settle(pilot)
        assert isinstance(app.screen, HomeScreen)


async def test_an_unexpected_error_while_saving_keeps_the_form(
    app_factory: MakeApp, refs: Refs, monkeypatch: pytest.MonkeyPatch
) -> None:
    from ydsi_tui.app.screens.dialogs import ErrorDialog
    from ydsi_tui.service.casebook import CaseBook

    def broken(*args: object, **kwargs: object) -> None:
        raise KeyError("a pupil's name that must not be shown")

    monkeypatch.setattr(CaseBook, "create", broken)
    app = app_factory()
    async with app.run_test() as pilot:
        await unlock(pilot)
        await pilot.press("n")
        await settle(pilot)
        await fill(pilot, "summary", "kept after the failure")
        await fill_disclosure(pilot)
        await pilot.press("f2")
        await settle(pilot)
        assert isinstance(app.screen, ErrorDialog)
        text = screen_text(app)
        assert "internal error (KeyError)" in text and "must not be shown" not in text
        await pilot.press("enter")
        await settle(pilot)
        form = app.screen
        assert isinstance(form, FormScreen) and not form.saving
        assert form.query_one(f"#{field_id('summary')}", Input).value == "kept after the failure"


async def test_closing_with_gaps_needs_a_reason_beside_the_field(
    app_factory: MakeApp, refs: Refs
) -> None:
    app = app_factory()
    async with app.run_test(size=(100, 40)) as pilot:
        await unlock(pilot)
        await open_incident(pilot, refs.fresh)
        await pilot.press("end", "a")  # the last step: recording and closing
        await settle(pilot)
        await choose(pilot, "incident.closed")
        for name, value in [("summary", "Parent's report; nothing found"),
                            ("actions", "Spoke to both families"), ("outcome", "No further action"),
                            ("rationale", "No image was found to exist")]:  # fmt: skip
            await fill(pilot, name, value)
        await pilot.press("f2")
        await settle(pilot)
        form = app.screen
        assert isinstance(form, FormScreen)
        assert "gaps_reason" in form.errors and "not yet recorded" in form.errors["gaps_reason"]
        assert "✗" in screen_text(app)
        await fill(pilot, "gaps_reason", "The report was withdrawn the same day")
        await pilot.press("f2")
        await settle(pilot)
        assert isinstance(app.screen, IncidentScreen)
        assert "· closed ·" in screen_text(app)


def plant_old_style_draft(vault_path: Any, content: dict[str, Any]) -> None:
    """What a group member with no key could do before drafts were signed: seal to the DSL."""
    import secrets

    from ydsi_tui.vault.crypto import canonical_json, seal
    from ydsi_tui.vault.header import Header

    header = Header.from_bytes((vault_path / "vault.json").read_bytes())
    dsl = header.user_by_name("dsl")
    assert dsl is not None
    draft_id = secrets.token_hex(8)
    context = b"ydsi draft v1|" + canonical_json([header.vault_id, dsl.id, draft_id])
    directory = vault_path / "drafts" / dsl.id
    directory.mkdir(parents=True, exist_ok=True)
    (directory / f"{draft_id}.draft").write_bytes(
        seal(dsl.box_public, canonical_json(content), context)
    )


async def test_unverified_drafts_are_discarded_with_a_warning(
    app_factory: MakeApp, refs: Refs
) -> None:
    app = app_factory()
    session = Vault.open(app.vault_path).unlock("dsl", PASS)
    kept = {"form": "note", "target": "incident", "ref": refs.chat, "title": "Quick note",
            "values": {"text": "the DSL's own words"}}  # fmt: skip
    session.draft_box().save(kept)
    session.close()
    plant_old_style_draft(
        app.vault_path,
        {
            "form": "note",
            "target": "incident",
            "ref": refs.chat,
            "title": "Planted note",
            "values": {"text": "words put in the DSL's mouth"},
        },
    )
    notified: list[tuple[str, bool]] = []
    original = app.notify

    def spy(message: str, **kw: Any) -> None:
        notified.append((message, kw.get("markup", True)))
        original(message, **kw)

    app.notify = spy  # type: ignore[method-assign]
    async with app.run_test() as pilot:
        await unlock(pilot)
        await settle(pilot)
        assert isinstance(app.screen, DraftsScreen)
        assert [d.content for d in app.screen.drafts] == [kept]  # the planted one is not offered
        assert "Planted note" not in screen_text(app)
        assert (
            "1 draft could not be verified and was discarded (it was damaged or not written "
            "by you).",
            False,
        ) in notified


async def test_a_restored_correction_says_what_it_corrects(
    app_factory: MakeApp, refs: Refs
) -> None:
    from ydsi_tui.app.formspec import entry_spec, values_from_event
    from ydsi_tui.app.words import DROPPED_CORRECTION

    app = app_factory()
    view = services(app).cases.open(refs.chat)
    target = next(e for e in view.incident.events_by_id.values() if e.kind == "pupil.added")
    form = entry_spec("pupil.added", view.policy, view, ref=refs.chat, supersedes=target.id)
    values = values_from_event(form, target)
    session = Vault.open(app.vault_path).unlock("dsl", PASS)
    box = session.draft_box()
    common = {"form": "pupil.added", "target": "incident", "ref": refs.chat, "values": values,
              "fixed": {"pupil_id": "a hidden id from the draft"}}  # fmt: skip
    box.save({**common, "supersedes": target.id}, "0000000000000001")
    box.save({**common, "supersedes": "f" * 32}, "0000000000000002")
    session.close()
    notified: list[str] = []
    app.notify = lambda message, **kw: notified.append(message)  # type: ignore[method-assign]
    async with app.run_test(size=(120, 40)) as pilot:
        await unlock(pilot)
        assert isinstance(app.screen, DraftsScreen)
        await pilot.press("enter")  # the draft correcting a real entry
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, FormScreen)
        assert screen.form.supersedes == target.id
        assert screen.form.fixed["pupil_id"] == target.data["pupil_id"]  # not the draft's
        assert "This draft corrects the entry" in screen_text(app)
        assert notified == []
        await pilot.press("escape")
        await settle(pilot)
        if isinstance(app.screen, CloseDialog):
            await pilot.press("y")  # keep it as a draft
            await settle(pilot)

    again = app_factory()
    notified.clear()
    again.notify = lambda message, **kw: notified.append(message)  # type: ignore[method-assign]
    async with again.run_test(size=(120, 40)) as pilot:
        await unlock(pilot)
        assert isinstance(again.screen, DraftsScreen)
        ids = [d.draft_id for d in again.screen.drafts]
        again.screen.query_one("#drafts", OptionList).highlighted = ids.index("0000000000000002")
        await pilot.press("enter")  # the draft naming an entry that is not there
        await settle(pilot)
        screen = again.screen
        assert isinstance(screen, FormScreen)
        assert screen.form.supersedes is None
        assert screen.form.title.startswith("Record:")
        assert screen.form.fixed["pupil_id"] != "a hidden id from the draft"
        assert notified == [DROPPED_CORRECTION]
