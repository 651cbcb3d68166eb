"""Issue 10, findings 4 and 5 on screen, at 80x24: each child's CSC facts, answers, talk.

The pupil form takes what children's social care know of the young person, and
the incident then says a CSC contact is due; risk answers and "no conversation,
because..." are recorded for the young person chosen on the People pane.
"""

from __future__ import annotations

import pytest

from tests.app.conftest import MakeApp, Refs, open_incident, screen_text, settle, unlock
from tests.app.test_flows import choose, fill, services
from ydsi_tui.app.formspec import RISKS_FORM, risk_field
from ydsi_tui.app.screens.dialogs import MenuDialog
from ydsi_tui.app.screens.forms import FormScreen
from ydsi_tui.app.screens.incident import IncidentScreen
from ydsi_tui.app.widgets.table import RecordTable

# Whole app sessions on a real vault.
pytestmark = pytest.mark.slow

SIZE = (80, 24)


async def test_the_pupil_form_takes_csc_facts_and_the_incident_says_contact_them(
    app_factory: MakeApp, refs: Refs
) -> None:
    app = app_factory()
    async with app.run_test(size=SIZE) as pilot:
        await unlock(pilot)
        await open_incident(pilot, refs.chat)
        assert "contact CSC" not in screen_text(app)
        await pilot.press("6", "a")
        await settle(pilot)
        await choose(pilot, "pupil.added")
        form = app.screen
        assert isinstance(form, FormScreen)
        for name, value in [
            ("name", "Cal Third"), ("year_group", "10"), ("sex", "male"),
            ("parts", ["received"]), ("sen", "no"),
            ("social_worker", "Jo Hart, Hindley children's services"),
            ("looked_after", "yes"),
        ]:  # fmt: skip
            await fill(pilot, name, value)
        await pilot.press("f2")
        await settle(pilot)
        link = app.screen  # the pupil register's records of him are offered at once
        assert isinstance(link, MenuDialog) and link.title_text == "Link to the pupil register"
        await pilot.press("escape")  # not now: he stays unlinked
        await settle(pilot)
        assert isinstance(app.screen, IncidentScreen)
        assert "contact CSC" in screen_text(app)  # the incident line's overdue words
        incident = services(app).cases.open(refs.chat).incident
        cal = next(p for p in incident.pupils.values() if p.name == "Cal Third")
        assert cal.looked_after and cal.social_worker.startswith("Jo Hart")
        table = app.screen.query_one("#people-table", RecordTable)
        table.move_cursor(row=table.keys.index(f"pupil:{cal.pupil_id}"))
        await settle(pilot)
        text = screen_text(app)
        assert "Children's social care: allocated social worker: Jo Hart" in text


async def test_risk_answers_and_no_conversation_are_recorded_for_the_chosen_pupil(
    app_factory: MakeApp, refs: Refs
) -> None:
    app = app_factory()
    async with app.run_test(size=SIZE) as pilot:
        await unlock(pilot)
        await open_incident(pilot, refs.chat)
        incident = services(app).cases.open(refs.chat).incident
        ben = next(p for p in incident.pupils.values() if p.name == "Ben Example")
        question = app.screen.view.policy.risk_questions[0]  # type: ignore[attr-defined]
        await pilot.press("6")
        await settle(pilot)
        table = app.screen.query_one("#people-table", RecordTable)
        table.move_cursor(row=table.keys.index(f"pupil:{ben.pupil_id}"))
        table.focus()

        await pilot.press("enter")
        await settle(pilot)
        await choose(pilot, RISKS_FORM)  # the risk questions, for the pupil chosen
        form = app.screen
        assert isinstance(form, FormScreen)
        assert form.form.fixed["pupil_id"] == ben.pupil_id
        await fill(pilot, risk_field(question.id),
                   "Shared it on to impress friends; no pressure from others")  # fmt: skip
        await pilot.press("f2")
        await settle(pilot)
        assert isinstance(app.screen, IncidentScreen)

        await pilot.press("enter")
        await settle(pilot)
        await choose(pilot, "conversation.not_held")
        await fill(pilot, "reason", "His parents withdrew him from school this week")
        await pilot.press("f2")
        await settle(pilot)
        assert isinstance(app.screen, IncidentScreen)
        await pilot.press("2")
        await settle(pilot)
        text = screen_text(app)
        assert "No conversation with young person" in text or "No conversation" in text

        incident = services(app).cases.open(refs.chat).incident
        assert incident.risk_answers[ben.pupil_id][question.id].text("answer").startswith("Shared")
        [not_held] = incident.conversations_not_held
        assert not_held.pupil_id == ben.pupil_id
