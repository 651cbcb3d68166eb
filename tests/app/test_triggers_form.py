"""Issue 11, finding 4: the five triggers in one form.

The walk counted five separate trigger forms of 8 to 10 control keys each.
One form holds a row per trigger (answer, basis, and where the record
suggests YES the reason for answering against it); saving records one
``trigger.answered`` entry per changed row through the service, each checked
as a single answer is, and a refusal names its row.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from textual.widgets import Input, Select, Static

from tests.app.conftest import NOW, MakeApp, Refs, open_incident, screen_text, settle, unlock
from tests.app.test_flows import fill
from ydsi_tui.app.formspec import (
    TRIGGERS_FORM,
    check_form,
    collect,
    field_id,
    trigger_field,
    triggers_spec,
)
from ydsi_tui.app.screens.forms import FormScreen, save_triggers
from ydsi_tui.app.screens.incident import IncidentScreen
from ydsi_tui.model.errors import ValidationError
from ydsi_tui.model.events import new_id

# A full app session each: ./dev test --quick leaves them out; ./dev test runs them.
pytestmark = pytest.mark.slow

ANSWERS = {
    1: ("no", "no adult involved: both pupils are 15"),
    2: ("no", "no coercion or blackmail described by either pupil"),
    3: ("unknown", ""),
    4: ("no", "both pupils are 15; the image is not of anyone under 13"),
    5: ("yes", "the pupil says she is frightened to come to school"),
}


async def test_the_five_triggers_are_answered_in_one_form(app_factory: MakeApp, refs: Refs) -> None:
    app = app_factory()
    async with app.run_test(size=(80, 24)) as pilot:
        await unlock(pilot)
        await open_incident(pilot, refs.fresh)
        await pilot.press("3")  # the Triggers pane
        await settle(pilot)
        await pilot.press("t")  # one key: every trigger in one form
        await settle(pilot)
        form = app.screen
        assert isinstance(form, FormScreen)
        assert form.form.kind == TRIGGERS_FORM
        assert app.focused is form.query_one(f"#{field_id(trigger_field(1, 'answer'))}")
        for n, (answer, basis) in ANSWERS.items():
            form.query_one(f"#{field_id(trigger_field(n, 'answer'))}").focus()
            await pilot.press(answer[0])  # one letter: y, n or u
            await settle(pilot)
            assert (
                form.query_one(f"#{field_id(trigger_field(n, 'answer'))}", Select).value == answer
            )
            if basis:
                await fill(pilot, trigger_field(n, "basis"), basis)
        await pilot.press("f2")
        await settle(pilot)
        assert isinstance(app.screen, IncidentScreen), form.errors
        services = app.services
        assert services is not None and services.cases is not None
        view = services.cases.open(refs.fresh, log=False)
        saved = {n: (a.answer, a.basis) for n, a in view.incident.triggers.items()}
        assert saved == ANSWERS
        kinds = [e.kind for e in view.incident.effective if e.kind == "trigger.answered"]
        assert len(kinds) == 5, "one entry per row"
        assert "IMMEDIATE REFERRAL REQUIRED" in screen_text(app)  # trigger 5: YES

        # Opened again from the decision step (pane 1): the answers are there, and
        # changing one row records one entry.
        await pilot.press("1")
        await settle(pilot)
        await pilot.press("t")
        await settle(pilot)
        form = app.screen
        assert isinstance(form, FormScreen)
        select = form.query_one(f"#{field_id(trigger_field(3, 'answer'))}", Select)
        assert select.value == "unknown"
        await fill(pilot, trigger_field(3, "answer"), "no")
        await fill(pilot, trigger_field(3, "basis"), "nothing violent in the description")
        await pilot.press("f2")
        await settle(pilot)
        assert isinstance(app.screen, IncidentScreen), form.errors
        view = services.cases.open(refs.fresh, log=False)
        kinds = [e.kind for e in view.incident.effective if e.kind == "trigger.answered"]
        assert len(kinds) == 6
        assert view.incident.triggers[3].answer == "no"


async def test_a_no_against_a_suggested_yes_is_refused_on_its_row(
    app_factory: MakeApp, refs: Refs
) -> None:
    app = app_factory()
    async with app.run_test(size=(80, 24)) as pilot:
        await unlock(pilot)
        await open_incident(pilot, refs.referral)  # sextortion: trigger 1 suggested YES
        await pilot.press("t")
        await settle(pilot)
        form = app.screen
        assert isinstance(form, FormScreen)
        help_1 = form.query_one(f"#{field_id(trigger_field(1, 'answer'))}-help", Static)
        assert help_1.display
        assert "The record suggests: YES" in str(help_1.render())
        # Trigger 2 was answered YES before the form opened: it opens so.
        assert form.query_one(f"#{field_id(trigger_field(2, 'answer'))}", Select).value == "yes"
        await fill(pilot, trigger_field(1, "answer"), "no")
        await fill(pilot, trigger_field(1, "basis"), "the offender is thought to be a pupil")
        await fill(pilot, trigger_field(4, "answer"), "no")  # a NO with no basis
        await pilot.press("f2")
        await settle(pilot)
        assert isinstance(app.screen, FormScreen), "refused"
        reason = trigger_field(1, "reason_against_suggestion")
        assert reason in form.errors and trigger_field(4, "basis") in form.errors
        assert app.focused is form.query_one(f"#{field_id(reason)}", Input)
        services = app.services
        assert services is not None and services.cases is not None
        assert 1 not in services.cases.open(refs.referral, log=False).incident.triggers
        await fill(pilot, reason, "the account is a Year 11 pupil's, known to the school")
        await fill(pilot, trigger_field(4, "basis"), "Cara is 13")
        await pilot.press("f2")
        await settle(pilot)
        assert isinstance(app.screen, IncidentScreen), form.errors
        triggers = services.cases.open(refs.referral, log=False).incident.triggers
        assert triggers[1].reason_against_suggestion.startswith("the account is")
        assert triggers[2].basis == "demands for money; threats to share"  # unchanged


@pytest.mark.usefixtures("vault")
async def test_the_services_refusal_names_the_row(app_factory: MakeApp, refs: Refs) -> None:
    """A suggestion that appears after the form opened (an adult recorded meanwhile) is
    refused by the service, on the row's field; a row saved before a refusal is not
    saved twice when the form is saved again."""
    app = app_factory()
    async with app.run_test() as pilot:
        await unlock(pilot)
        services = app.services
        assert services is not None and services.cases is not None
        cases = services.cases
        view = cases.open(refs.fresh, log=False)
        form = triggers_spec(services.policy, view, ref=refs.fresh)
        values = {
            trigger_field(1, "answer"): "no", trigger_field(1, "basis"): "no threats",
            trigger_field(2, "answer"): "no", trigger_field(2, "basis"): "pupils only",
            trigger_field(3, "answer"): "unknown",
        }  # fmt: skip
        data, _at, errors = check_form(form, values, NOW, services.policy)
        assert errors == {}
        cases.record(refs.fresh, "adult.added", {"adult_id": new_id(), "name": "A Stranger"},
                     at=NOW - timedelta(minutes=5))  # fmt: skip
        data, at, _ = collect(form, values, NOW)
        with pytest.raises(ValidationError) as refused:
            save_triggers(services, form, data, at)
        assert refused.value.field == trigger_field(1, "reason_against_suggestion")
        # Rows go in order: 1 refused, so nothing was saved.
        assert cases.open(refs.fresh, log=False).incident.triggers == {}
        # Row 1 now YES; row 2 refused this time (as if it were): 1 saved, then again.
        data[trigger_field(1, "answer")] = "yes"
        data[trigger_field(2, "basis")] = ""
        with pytest.raises(ValidationError) as refused:
            save_triggers(services, form, data, at)
        assert refused.value.field == trigger_field(2, "basis")
        data[trigger_field(2, "basis")] = "pupils only"
        again = save_triggers(services, form, data, at)
        assert again.result == 2, "row 1 is not recorded twice"
        events = [e for e in cases.open(refs.fresh, log=False).incident.effective
                  if e.kind == "trigger.answered"]  # fmt: skip
        assert sorted(e.data["n"] for e in events) == [1, 2, 3]


async def test_enter_on_the_triggers_pane_opens_the_five_trigger_form(
    app_factory: MakeApp, refs: Refs
) -> None:
    """Enter on a row of pane 3 opened that one trigger's form (issue 11, finding 4):
    it opens the five-trigger form, as t does, on the row it was pressed on."""
    app = app_factory()
    async with app.run_test(size=(80, 24)) as pilot:
        await unlock(pilot)
        await open_incident(pilot, refs.fresh)
        for key in ("3", "down", "down", "enter"):  # Enter on trigger 3
            await pilot.press(key)
            await settle(pilot)
        form = app.screen
        assert isinstance(form, FormScreen)
        assert form.form.kind == TRIGGERS_FORM
        assert app.focused is form.query_one(f"#{field_id(trigger_field(3, 'answer'))}")
        await pilot.press("n")
        await fill(pilot, trigger_field(3, "basis"), "nothing violent in the description")
        await pilot.press("f2")
        await settle(pilot)
        assert isinstance(app.screen, IncidentScreen), form.errors
        services = app.services
        assert services is not None and services.cases is not None
        triggers = services.cases.open(refs.fresh, log=False).incident.triggers
        assert {n: a.answer for n, a in triggers.items()} == {3: "no"}
