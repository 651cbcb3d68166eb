"""Issue 11, finding 4: the risk questions in one form per young person.

The walk found seven risk-question forms, each with its question chosen from a
dropdown and no field for whom the answer was about ("the questions say 'the
young person' but the form has no pupil field"). One form per young person
holds a row per question; saving records one ``risk.answered`` entry per
changed row, for that young person, through the service.
"""

from __future__ import annotations

import pytest
from textual.widgets import TextArea

from tests.app.conftest import MakeApp, Refs, open_incident, screen_text, settle, unlock
from tests.app.test_flows import fill
from ydsi_tui.app.formspec import RISKS_FORM, field_id, risk_field
from ydsi_tui.app.screens.dialogs import MenuDialog
from ydsi_tui.app.screens.drafts import DraftsScreen
from ydsi_tui.app.screens.forms import FormScreen
from ydsi_tui.app.screens.incident import IncidentScreen

pytestmark = pytest.mark.slow

ANSWERS = {
    "why_shared": "sent to a boyfriend when asked; no pressure described",
    "who_where": "Ben shared it in the Year 10 group chat; she did not know",
    "adults": "none known",
    "impact": "Ann is upset and did not want to come in today",
    "vulnerabilities": "none known to the school",
    "consent": "yes, she explained it in her own words",
    "before": "not that the school knows",
}


def _pupils(app: object) -> dict[str, str]:
    screen = app.screen  # type: ignore[attr-defined]
    assert isinstance(screen, IncidentScreen) and screen.view is not None
    return {pupil.name: pid for pid, pupil in screen.view.incident.pupils.items()}


async def test_the_risk_questions_for_one_young_person_in_one_form(
    app_factory: MakeApp, refs: Refs
) -> None:
    app = app_factory()
    async with app.run_test(size=(80, 24)) as pilot:
        await unlock(pilot)
        await open_incident(pilot, refs.chat)
        ben = _pupils(app)["Ben Example"]
        for key in ("6", "down"):  # People: Ben, the second young person
            await pilot.press(key)
            await settle(pilot)
        await pilot.press("enter")  # Record for this young person: the risks form first
        await settle(pilot)
        assert isinstance(app.screen, MenuDialog)
        await pilot.press("enter")
        await settle(pilot)
        form = app.screen
        assert isinstance(form, FormScreen)
        assert form.form.kind == RISKS_FORM
        assert "Ben Example" in form.form.title
        assert "Who has shared the imagery? Where has the imagery been shared?" in screen_text(
            app
        ), "the question in full at 80 columns, not cut"
        first = form.query_one(f"#{field_id(risk_field('why_shared'))}", TextArea)
        assert app.focused is first
        for question, answer in ANSWERS.items():
            await fill(pilot, risk_field(question), answer)
        await pilot.press("f2")
        await settle(pilot)
        assert isinstance(app.screen, IncidentScreen), form.errors
        services = app.services
        assert services is not None and services.cases is not None
        incident = services.cases.open(refs.chat, log=False).incident
        saved = {q: entry.text("answer") for q, entry in incident.risk_answers[ben].items()}
        assert saved == ANSWERS
        assert all(pid == ben for pid in incident.risk_answers), "for Ben only"
        entries = [e for e in incident.effective if e.kind == "risk.answered"]
        assert len(entries) == 7, "one entry per row"

        # k on the People pane: Ben's form again, his answers in it; one row changed
        # records one entry.
        await pilot.press("k")
        await settle(pilot)
        form = app.screen
        assert isinstance(form, FormScreen) and "Ben Example" in form.form.title
        impact = form.query_one(f"#{field_id(risk_field('impact'))}", TextArea)
        assert impact.text == ANSWERS["impact"]
        await fill(pilot, risk_field("impact"), "upset; talked to the school nurse")
        await pilot.press("f2")
        await settle(pilot)
        assert isinstance(app.screen, IncidentScreen), form.errors
        incident = services.cases.open(refs.chat, log=False).incident
        assert len([e for e in incident.effective if e.kind == "risk.answered"]) == 8
        assert incident.risk_answers[ben]["impact"].text("answer").startswith("upset; talked")


async def test_k_asks_for_which_young_person_and_an_answer_is_never_blanked(
    app_factory: MakeApp, refs: Refs
) -> None:
    app = app_factory()
    async with app.run_test(size=(80, 24)) as pilot:
        await unlock(pilot)
        await open_incident(pilot, refs.chat)
        pupils = _pupils(app)
        await pilot.press("k")  # the Guide pane: two young people, so it asks
        await settle(pilot)
        menu = app.screen
        assert isinstance(menu, MenuDialog)
        assert [label for _, label in menu.items] == list(pupils)
        await pilot.press("b")  # type to select: B for Ben
        await pilot.press("enter")
        await settle(pilot)
        form = app.screen
        assert isinstance(form, FormScreen) and "Ben Example" in form.form.title
        await pilot.press("f2")  # nothing typed: refused, said on the first row
        await settle(pilot)
        assert isinstance(app.screen, FormScreen)
        assert "Nothing to save" in form.errors[risk_field("why_shared")]
        await fill(pilot, risk_field("adults"), "none known")
        await pilot.press("f2")
        await settle(pilot)
        assert isinstance(app.screen, IncidentScreen), form.errors
        await pilot.press("k")
        await settle(pilot)
        await pilot.press("b", "enter")
        await settle(pilot)
        form = app.screen
        assert isinstance(form, FormScreen)
        await fill(pilot, risk_field("adults"), "")  # emptied: refused, not ignored
        await pilot.press("f2")
        await settle(pilot)
        assert isinstance(app.screen, FormScreen)
        assert "correct its entry" in form.errors[risk_field("adults")]
        services = app.services
        assert services is not None and services.cases is not None
        incident = services.cases.open(refs.chat, log=False).incident
        assert incident.risk_answers[pupils["Ben Example"]]["adults"].text("answer") == (
            "none known"
        )


@pytest.mark.parametrize("kind", ["triggers", "risks"])
async def test_a_form_of_several_entries_comes_back_from_a_draft(
    app_factory: MakeApp, refs: Refs, kind: str
) -> None:
    """The triggers form's draft was refused on restore ("not a form this version
    knows"): what was typed before the line dropped was offered back, then lost."""
    app = app_factory()
    name = "t3.basis" if kind == "triggers" else risk_field("impact")
    typed = "typed before the line dropped"
    async with app.run_test() as pilot:
        await unlock(pilot)
        await open_incident(pilot, refs.chat)
        await pilot.press("t" if kind == "triggers" else "k")
        await settle(pilot)
        if isinstance(app.screen, MenuDialog):
            await pilot.press("b", "enter")  # Ben
            await settle(pilot)
        assert isinstance(app.screen, FormScreen)
        await fill(pilot, name, typed)
        app.hangup()
        await pilot.pause()
    again = app_factory()
    async with again.run_test() as pilot:
        await unlock(pilot)
        assert isinstance(again.screen, DraftsScreen)
        await pilot.press("enter")
        await settle(pilot)
        form = again.screen
        assert isinstance(form, FormScreen), screen_text(again)
        assert form.form.kind == ("triggers.all" if kind == "triggers" else RISKS_FORM)
        if kind == "risks":
            assert "Ben Example" in form.form.title
        assert form._read()[name] == typed
