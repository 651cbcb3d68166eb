"""The Headteacher may decline to sign off a decision, with a reason (issue 11, finding 8).

The decision stays waiting; the DSL is told at once (an obligation due now,
on the home screen and in the inspection check) and must revise the decision
or refer. A refusal answers one decision only.
"""

from __future__ import annotations

from collections.abc import Callable

import pytest

from ydsi_tui.model import rules
from ydsi_tui.model.errors import ValidationError
from ydsi_tui.service.factory import Services
from ydsi_tui.vault.errors import AccessDenied

from .test_casebook import answer_triggers_no, cases

Make = Callable[[str], Services]


def _waiting(services: Make) -> str:
    dsl = cases(services)
    ref = dsl.create("two Year 11 pupils; image deleted the same day")
    answer_triggers_no(dsl, ref)
    dsl.record(ref, "decision", {"outcome": "in_school", "reason": "no trigger applies"})
    return ref


DECLINED = "No decision the Headteacher declined to sign left unrevised"


def _missing(services: Make, ref: str) -> set[str]:
    """What the inspection check says is missing for this incident, in its words."""
    view = cases(services).open(ref)
    return {item for f in rules.inspection(view.incident, view.policy) for item in f.missing}


def test_a_decline_keeps_the_decision_waiting_and_tells_the_dsl(services: Make) -> None:
    ref = _waiting(services)
    head = cases(services, "head")
    head.decline_signoff(ref, "The parents have not been told yet; tell them first")
    dsl = cases(services)
    view = dsl.open(ref)
    assert rules.signoff_needed(view.incident)
    declined = rules.signoff_declined(view.incident)
    assert declined is not None and declined.by == "Hana Head"
    assert declined.text("reason").startswith("The parents have not been told")
    codes = [flag.code for flag in view.overdue]
    assert "signoff_declined" in codes and "signoff_waiting" not in codes
    assert [f.code for f in dsl.rows()[0].overdue] == ["signoff_declined"]
    assert DECLINED in _missing(services, ref)


def test_a_revised_decision_is_no_longer_declined(services: Make) -> None:
    ref = _waiting(services)
    cases(services, "head").decline_signoff(ref, "Tell the parents first")
    dsl = cases(services)
    dsl.record(ref, "decision", {"outcome": "in_school", "reason": "parents told on Monday"})
    view = dsl.open(ref)
    assert rules.signoff_declined(view.incident) is None
    assert rules.signoff_needed(view.incident)  # the new decision waits for its own sign-off
    assert DECLINED not in _missing(services, ref)
    cases(services, "head").sign_off(ref, "I agree")
    assert not cases(services).rows()[0].signoff_needed


def test_only_the_headteacher_declines_and_only_a_waiting_decision(services: Make) -> None:
    ref = _waiting(services)
    dsl = cases(services)
    with pytest.raises(AccessDenied):
        dsl.decline_signoff(ref, "as if I were the Headteacher")
    decision = dsl.open(ref).incident.current_decision
    assert decision is not None
    with pytest.raises(AccessDenied):
        dsl.record(ref, "signoff.declined", {"decision_id": decision.event_id, "reason": "x"})
    head = cases(services, "head")
    head.sign_off(ref, "I agree")
    with pytest.raises(ValidationError) as refused:
        head.decline_signoff(ref, "changed my mind")
    assert refused.value.field == "decision"
    assert not rules.signoff_declined(dsl.open(ref).incident)
