"""Issue 10, findings 4 and 5: each child's own facts, answers and conversation.

Finding 4: the policy says "contact children's social care if they are, may be
or have been involved" with a young person. The record holds those facts on
each pupil (an allocated social worker and who, a child protection plan, child
in need, looked after, an EHCP, previously known); any one of them makes the
CSC step part of the procedure, even for an in-school decision, and a CSC
contact due.

Finding 5: "for each young person". The seven risk questions are answered for
each pupil (the sender and the pictured pupil need different answers), and
each pupil has a conversation recorded, or the reason there was none.

Expected answers come from the policy's words, never from the code under test.
"""

from __future__ import annotations

from typing import Any

import pytest

from ydsi_tui.model.errors import ValidationError
from ydsi_tui.model.policy import Policy
from ydsi_tui.model.rules import inspection, overdue, step_states, suggest_triggers

from .support import DSL, HEAD, Record

CSC_FACTS: dict[str, Any] = {
    "social_worker": {"social_worker": "Jo Hart, Hindley children's services"},
    "cp_plan": {"cp_plan": True},
    "child_in_need": {"child_in_need": True},
    "looked_after": {"looked_after": True},
    "ehcp": {"ehcp": True},
    "previously_known": {"previously_known": True},
}
IN_SCHOOL: dict[str, Any] = {
    "outcome": "in_school",
    "reason": "Consensual exchange between two 16-year-olds; no trigger applies.",
    "input_from": [HEAD],
}


def state_of(record: Record, policy: Policy, step_id: str) -> str:
    return next(s.state for s in step_states(record.incident, policy) if s.step.id == step_id)


def missing_of(record: Record, policy: Policy, step_id: str) -> list[str]:
    return next(s.missing for s in step_states(record.incident, policy) if s.step.id == step_id)


def two_pupils(record: Record, **facts: Any) -> None:
    record.open()
    record.pupil("p1", "Ava Example", parts=["pictured", "sent"], dob="2010-03-14")
    data = {
        "pupil_id": "p2",
        "name": "Ben Sample",
        "sex": "male",
        "parts": ["received", "shared"],
        "sen": False,
        "dob": "2010-01-02",
        **facts,
    }
    record.add("pupil.added", data)


def handled_in_school(record: Record) -> None:
    record.triggers({})
    decision = record.add("decision", IN_SCHOOL)
    record.tick(minutes=30)
    record.sign_off(decision)


# ---------------------------------------------------------------- finding 4


@pytest.mark.parametrize("fact", sorted(CSC_FACTS))
def test_a_child_known_to_csc_brings_the_csc_step_into_an_in_school_response(
    record: Record, policy: Policy, fact: str
) -> None:
    """The audit: 'for an in-school incident involving a child with an allocated
    social worker the step never appears'. Each fact alone makes it apply."""
    two_pupils(record, **CSC_FACTS[fact])
    handled_in_school(record)
    assert state_of(record, policy, "csc") != "skipped_by_rule"
    assert any("social care" in text for text in missing_of(record, policy, "csc"))
    codes = [flag.code for flag in overdue(record.incident, policy, record.now)]
    assert "csc_contact_due" in codes
    partnership = {f.question.id: f for f in inspection(record.incident, policy)}["partnership"]
    assert not partnership.met

    record.add(
        "csc.contact",
        {"type": "contact", "spoken_to": "Jo Hart, allocated social worker"},
    )
    codes = [flag.code for flag in overdue(record.incident, policy, record.now)]
    assert "csc_contact_due" not in codes
    partnership = {f.question.id: f for f in inspection(record.incident, policy)}["partnership"]
    assert partnership.met
    assert state_of(record, policy, "csc") == "done"


def test_no_csc_fact_leaves_the_csc_step_out_of_an_in_school_response(
    record: Record, policy: Policy
) -> None:
    """The sibling: nothing known means nothing owed (the step is not invented)."""
    two_pupils(record)
    handled_in_school(record)
    assert state_of(record, policy, "csc") == "skipped_by_rule"
    codes = [flag.code for flag in overdue(record.incident, policy, record.now)]
    assert "csc_contact_due" not in codes


def test_a_fact_recorded_later_by_an_update_makes_csc_contact_due(
    record: Record, policy: Policy
) -> None:
    """Learnt after the pupil was added (a correction): the same duty, from then."""
    two_pupils(record)
    handled_in_school(record)
    record.tick(hours=2)
    update = record.add("pupil.updated", {"pupil_id": "p2", "cp_plan": True})
    incident = record.incident
    assert incident.pupils["p2"].known_to_csc
    flag = next(f for f in overdue(incident, policy, record.now) if f.code == "csc_contact_due")
    assert flag.due_at == update.at
    assert "Ben" not in flag.text  # flags never carry names
    assert state_of(record, policy, "csc") != "skipped_by_rule"

    record.add("pupil.updated", {"pupil_id": "p2", "cp_plan": False})
    assert not record.incident.pupils["p2"].known_to_csc
    assert state_of(record, policy, "csc") == "skipped_by_rule"


def test_the_csc_step_applies_before_any_decision(record: Record, policy: Policy) -> None:
    two_pupils(record, looked_after=True)
    assert state_of(record, policy, "csc") not in ("skipped_by_rule", "done")
    states = {s.step.id: s for s in step_states(record.incident, policy)}
    assert states["csc"].applies is True


def test_an_ehcp_implies_special_educational_needs(record: Record, policy: Policy) -> None:
    """An EHCP is a plan for special educational needs: trigger 2 asks about capacity."""
    two_pupils(record, ehcp=True)
    pupil = record.incident.pupils["p2"]
    assert pupil.special_needs and not pupil.sen
    assert 2 in suggest_triggers(record.incident, policy)


def test_csc_facts_are_described_in_words(record: Record, policy: Policy) -> None:
    two_pupils(record, social_worker="Jo Hart", cp_plan=True, previously_known=True)
    words = record.incident.pupils["p2"].csc_facts
    assert words == (
        "allocated social worker: Jo Hart",
        "child protection plan",
        "previously known to children's social care",
    )
    assert record.incident.pupils["p1"].csc_facts == ()


def test_an_empty_social_worker_is_no_fact(record: Record, policy: Policy) -> None:
    two_pupils(record, social_worker="   ")
    assert not record.incident.pupils["p2"].known_to_csc


# ---------------------------------------------------------------- finding 5


def answer_all(record: Record, policy: Policy, pupil_id: str, answer: str) -> None:
    for question in policy.risk_questions:
        record.add(
            "risk.answered", {"pupil_id": pupil_id, "question_id": question.id, "answer": answer}
        )


def test_risk_questions_are_answered_for_each_young_person(record: Record, policy: Policy) -> None:
    """The audit: answered once per incident. The sender and the pictured pupil differ."""
    two_pupils(record)
    handled_in_school(record)
    answer_all(record, policy, "p1", "Pictured: pressured by the older pupil")
    assert state_of(record, policy, "risks") != "done"
    assert missing_of(record, policy, "risks")
    risk = {f.question.id: f for f in inspection(record.incident, policy)}["risk_of_harm"]
    assert not risk.met

    answer_all(record, policy, "p2", "Shared on: wanted to impress friends")
    assert state_of(record, policy, "risks") == "done"
    answers = record.incident.risk_answers
    question = policy.risk_questions[0].id
    assert answers["p1"][question].text("answer").startswith("Pictured")
    assert answers["p2"][question].text("answer").startswith("Shared on")


def test_a_risk_answer_must_name_the_young_person(record: Record, policy: Policy) -> None:
    record.open()
    with pytest.raises(ValidationError) as caught:
        record.add("risk.answered", {"question_id": policy.risk_questions[0].id, "answer": "x"})
    assert caught.value.field == "pupil_id"


def test_a_risk_answer_about_someone_not_in_the_record_is_a_problem(
    record: Record, policy: Policy
) -> None:
    two_pupils(record)
    event = record.add(
        "risk.answered",
        {"pupil_id": "p9", "question_id": policy.risk_questions[0].id, "answer": "x"},
    )
    assert any(p.event_id == event.id for p in record.incident.problems)


def test_an_old_answer_for_the_whole_incident_counts_for_nobody(
    record: Record, policy: Policy
) -> None:
    """Entries stored before answers were per pupil: kept and shown, never ticking a pupil."""
    from ydsi_tui.model.events import Event

    two_pupils(record)
    handled_in_school(record)
    answer_all(record, policy, "p1", "Low")
    template = record.events[-1]
    for question in policy.risk_questions:
        record.events.append(
            Event(
                **{
                    **template.__dict__,
                    "id": f"{len(record.events):032x}",
                    "data": {"question_id": question.id, "answer": "Low for both"},
                }
            )
        )
    incident = record.incident
    assert "p2" not in incident.risk_answers
    assert state_of(record, policy, "risks") != "done"


def test_a_conversation_or_a_reason_for_each_young_person(record: Record, policy: Policy) -> None:
    """The audit: one conversation with Ava ticked the step although Ben had none."""
    two_pupils(record)
    handled_in_school(record)
    record.add(
        "conversation",
        {"pupil_id": "p1", "by_whom": DSL, "note": "Talked about consent and pressure."},
    )
    assert state_of(record, policy, "talking") != "done"
    assert missing_of(record, policy, "talking")

    record.add(
        "conversation.not_held",
        {"pupil_id": "p2", "reason": "Ben's parents withdrew him; CSC are speaking to him."},
    )
    assert state_of(record, policy, "talking") == "done"


def test_a_reason_why_not_must_say_why(record: Record, policy: Policy) -> None:
    two_pupils(record)
    with pytest.raises(ValidationError) as caught:
        record.add("conversation.not_held", {"pupil_id": "p2", "reason": "  "})
    assert caught.value.field == "reason"


def test_an_empty_conversation_note_does_not_count(record: Record, policy: Policy) -> None:
    """The sibling: a conversation is counted by what was found out, for that pupil."""
    two_pupils(record)
    handled_in_school(record)
    for pupil_id in ("p1", "p2"):
        record.add("conversation", {"pupil_id": pupil_id, "by_whom": DSL, "note": "Talked."})
    assert state_of(record, policy, "talking") == "done"
    record.add("pupil.added", {**_third(), "pupil_id": "p3"})
    assert state_of(record, policy, "talking") != "done"


def _third() -> dict[str, Any]:
    return {"name": "Cal Third", "sex": "male", "parts": ["received"], "sen": False,
            "year_group": 11}  # fmt: skip
