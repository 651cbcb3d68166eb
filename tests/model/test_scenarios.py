"""Scenarios written from the school's policy, one incident at a time."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from ydsi_tui.model.errors import ValidationError
from ydsi_tui.model.events import make_event
from ydsi_tui.model.incident import Incident
from ydsi_tui.model.policy import Policy
from ydsi_tui.model.rules import (
    check_closure,
    check_decision,
    check_viewing,
    gaps,
    inspection,
    next_step,
    overdue,
    referral,
    signoff_needed,
    step_states,
    suggest_trigger4,
    summarize,
    summary_flags,
)
from ydsi_tui.model.timelimits import parents_limit
from ydsi_tui.model.timeparse import format_local

from .support import DSL, HEAD, START, Record, policy_with


def in_school_decision(**extra: Any) -> dict[str, Any]:
    return {
        "outcome": "in_school",
        "reason": "Consensual exchange between two 16-year-olds; no trigger applies.",
        "input_from": [HEAD],
        **extra,
    }


# (1) An adult is involved --------------------------------------------------


def test_an_adult_involved_requires_referral_and_refuses_in_school_without_override(
    record: Record, policy: Policy
) -> None:
    record.open(kind="non_consensual", summary="Image forwarded to a man met online")
    record.pupil("p1", "Amy Jones", parts=["pictured", "sent"], dob="2011-02-03")
    record.add(
        "adult.added",
        {"adult_id": "a1", "name": "Unknown man, 'Jay'", "description": "Contact on Snapchat"},
    )
    record.triggers({1: "yes"})
    incident = record.incident

    required = referral(incident, policy)
    assert required.required
    assert required.reasons == [f"Trigger 1: {policy.trigger_text(1)}"]
    assert "The incident involves an adult" in required.reasons[0]

    decision = make_event(
        "decision",
        in_school_decision(),
        at=record.now,
        now=record.now,
        by=DSL,
        by_role="dsl",
        policy=policy,
    )
    with pytest.raises(ValidationError) as info:
        check_decision(incident, policy, decision)
    # The bundled policy allows no override: "if none of the above apply".
    assert info.value.field == "outcome"
    assert "The incident involves an adult" in info.value.message

    overridden = make_event(
        "decision",
        in_school_decision(override_reason="Police advised the school to lead; see note."),
        at=record.now,
        now=record.now,
        by=DSL,
        by_role="dsl",
        policy=policy,
    )
    with pytest.raises(ValidationError):
        check_decision(incident, policy, overridden)

    refer = make_event(
        "decision",
        {"outcome": "refer", "refer_to": ["police", "csc"], "reason": "Trigger 1"},
        at=record.now,
        now=record.now,
        by=DSL,
        by_role="dsl",
        policy=policy,
    )
    check_decision(incident, policy, refer)

    flags = overdue(incident, policy, record.now)
    assert [flag.code for flag in flags] == ["referral_required"]


# (2) Sextortion --------------------------------------------------------------


def test_sextortion_with_coercion_requires_referral(record: Record, policy: Policy) -> None:
    record.open(kind="sextortion", summary="Pupil asked for money after sending an image")
    assert policy.label("incident_kinds", "sextortion").startswith("Financially motivated")
    record.pupil("p1", "Ben Smith", parts=["pictured", "sent"], year_group=10, sex="male")
    record.triggers({2: "yes"})
    incident = record.incident
    assert incident.kind == "sextortion"
    required = referral(incident, policy)
    assert required.required
    assert any(r.startswith("Trigger 2: ") and "blackmailed" in r for r in required.reasons)
    assert summarize(incident, policy)["referral_required"] is True


def test_a_harm_concern_alone_requires_referral(record: Record, policy: Policy) -> None:
    record.open()
    assert not referral(record.incident, policy).required
    record.add("concern.harm", {"text": "Amy said she wants to hurt herself"})
    required = referral(record.incident, policy)
    assert required.required
    assert "harmed or is at risk of harm" in required.reasons[0]
    assert policy.harm_concern_text in required.reasons[0]


# (3) Trigger 4 and the age threshold in force --------------------------------


def _acts_with(record: Record, dob: str) -> None:
    record.pupil("p1", "Cara Khan", parts=["pictured"], dob=dob)
    record.content(sexual_acts="yes")


@pytest.mark.parametrize(("threshold", "expected"), [(17, "yes"), (13, "yes")])
def test_a_twelve_year_old_in_sexual_acts(
    policy: Policy, policy_text: str, threshold: int, expected: str
) -> None:
    active = policy_with(
        policy_text, "trigger4_age_threshold = 17", f"trigger4_age_threshold = {threshold}"
    )
    record = Record(active)
    _acts_with(record, "2014-01-15")  # 12 on 9 November 2026
    suggestion = suggest_trigger4(record.incident, active)
    assert suggestion.answer == expected
    assert f"under {threshold}" in suggestion.basis
    assert "12 (date of birth 15/01/2014)" in suggestion.basis


@pytest.mark.parametrize(("threshold", "expected"), [(17, "yes"), (13, "no")])
def test_a_fifteen_year_old_depends_on_the_threshold(
    policy_text: str, threshold: int, expected: str
) -> None:
    active = policy_with(
        policy_text, "trigger4_age_threshold = 17", f"trigger4_age_threshold = {threshold}"
    )
    record = Record(active)
    _acts_with(record, "2011-06-30")  # 15 on 9 November 2026
    suggestion = suggest_trigger4(record.incident, active)
    assert suggestion.answer == expected
    assert f"threshold is under {threshold}" in suggestion.basis


def test_trigger4_from_a_year_group_says_probably(record: Record, policy: Policy) -> None:
    record.pupil("p1", "Dan Roe", parts=["pictured"], year_group=9, sex="male")
    record.content(sexual_acts="yes")
    suggestion = suggest_trigger4(record.incident, policy)
    assert suggestion.answer == "yes"
    assert "probably 13 or 14 (Year 9)" in suggestion.basis
    record.add("pupil.updated", {"pupil_id": "p1", "year_group": 12})
    straddles = suggest_trigger4(record.incident, policy)
    assert straddles.answer == "unknown"  # 16 or 17: a date of birth would settle it
    assert "date of birth would settle it" in straddles.basis


def test_trigger4_needs_both_acts_and_age(record: Record, policy: Policy) -> None:
    assert suggest_trigger4(record.incident, policy).answer == "unknown"
    record.pupil("p1", "Eve", parts=["pictured"], dob="2012-01-01")
    assert suggest_trigger4(record.incident, policy).answer == "unknown"  # acts not known
    record.content(sexual_acts="no")
    assert suggest_trigger4(record.incident, policy).answer == "no"
    record.pupil("p2", "Fay", parts=["received"], dob="2008-01-01")
    record.content(sexual_acts="yes")
    assert suggest_trigger4(record.incident, policy).answer == "yes"


def test_only_pictured_pupils_count_for_trigger4(record: Record, policy: Policy) -> None:
    record.pupil("p1", "Gil", parts=["pictured"], dob="2008-01-01", sex="male")  # 18
    record.pupil("p2", "Hal", parts=["received"], dob="2014-01-01", sex="male")  # 12
    record.content(sexual_acts="yes")
    assert suggest_trigger4(record.incident, policy).answer == "no"


# (4) Handled in school, start to finish --------------------------------------


def pictured_ids(incident: Incident) -> list[str]:
    return [pid for pid, pupil in incident.pupils.items() if pupil.pictured]


def test_consensual_exchange_handled_in_school_closes_with_no_gaps(
    record: Record, policy: Policy
) -> None:
    path: list[str | None] = []

    def note_step() -> None:
        step = next_step(record.incident, policy)
        path.append(step.id if step is not None else None)

    record.open(kind="peer_sharing", summary="Two Year 11 pupils exchanged images")
    note_step()
    record.disclosure(
        disclosed_at=START - timedelta(hours=2), dsl_told_at=START - timedelta(hours=1)
    )
    record.pupil("p1", "Amy Jones", parts=["pictured", "sent", "received"], dob="2010-05-04")
    record.pupil(
        "p2", "Ben Smith", parts=["pictured", "sent", "received"], dob="2010-03-01", sex="male"
    )
    note_step()
    record.tick(hours=1)
    record.review_meeting()
    record.content(sexual_acts="no", violent="no")
    note_step()
    assert suggest_trigger4(record.incident, policy).answer == "no"
    record.triggers({})
    decision = record.add("decision", in_school_decision())
    incident = record.incident
    assert not referral(incident, policy).required
    check_decision(incident, policy, decision)
    assert signoff_needed(incident)
    assert [f.code for f in overdue(incident, policy, record.now)] == ["signoff_waiting"]
    assert summarize(incident, policy)["status"] == "in_school"
    note_step()  # still the decision: the sign-off is part of it

    record.tick(hours=1)
    record.sign_off(decision)
    assert not signoff_needed(record.incident)
    note_step()
    for pupil_id in ("p1", "p2"):
        for question in policy.risk_questions:
            record.add(
                "risk.answered",
                {"pupil_id": pupil_id, "question_id": question.id, "answer": "Low; see notes"},
            )
    note_step()
    for pupil_id, parent in (("p1", "Mrs Jones"), ("p2", "Mr Smith")):
        record.add(
            "parents.informed",
            {"pupil_id": pupil_id, "who": parent, "how": "Phone call", "informed_by": DSL},
        )
    note_step()
    deadline = record.now + timedelta(hours=policy.settings.deletion_deadline_default_hours)
    for pupil_id in ("p1", "p2"):
        record.add(
            "deletion.requested", {"pupil_id": pupil_id, "deadline": deadline, "told_illegal": True}
        )
    record.tick(hours=20)
    for pupil_id in ("p1", "p2"):
        record.add(
            "deletion.confirmed",
            {"pupil_id": pupil_id, "how": "Showed DSL the empty chat; said cloud too"},
        )
    note_step()
    for pupil_id in ("p1", "p2"):
        record.add(
            "conversation",
            {"pupil_id": pupil_id, "by_whom": DSL, "note": "Talked about consent and pressure."},
        )
    note_step()

    assert path == [
        "disclosure",
        "review_meeting",
        "decision",
        "decision",
        "risks",
        "parents",
        "deletion",
        "talking",
        "closing",
    ]
    incident = record.incident
    states = {s.step.id: s.state for s in step_states(incident, policy)}
    assert states["police"] == states["devices"] == states["csc"] == "skipped_by_rule"
    assert states["viewing"] == "skipped_by_rule"
    assert states["closing"] == "current"
    later = record.now + timedelta(days=3)
    assert not [f for f in overdue(incident, policy, later) if f.code == "deletion_overdue"]
    # The one gap left: take-down and support routes offered to each pictured pupil.
    assert [g.step_id for g in gaps(incident, policy)] == ["closing"]
    for pupil_id in pictured_ids(incident):
        record.add("support.route", {"pupil_id": pupil_id, "route": "report_remove"})
    incident = record.incident
    assert gaps(incident, policy) == []
    close = {
        "summary": "Handled in school",
        "actions": "Deleted; parents told",
        "outcome": "No further action",
        "rationale": "Low risk, consensual",
    }
    check_closure(incident, policy, close)
    record.add("incident.closed", close)
    closed = record.incident
    assert next_step(closed, policy) is None
    assert all(finding.met for finding in inspection(closed, policy))
    summary = summarize(closed, policy)
    assert summary["status"] == "closed"
    assert summary["next_step"] is None
    assert summary["signoff_needed"] is False
    assert summary["due"] == []
    with pytest.raises(ValidationError):
        check_closure(closed, policy, close)


# (5) A viewing without a second member of staff --------------------------------


def viewing_data(**changes: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "viewer": DSL,
        "viewer_role": "dsl",
        "present": [],
        "where": "Headteacher's office",
        "on_premises": True,
        "reason_id": "report_for_takedown",
        "head_consulted": True,
        "same_sex": "yes",
        "distress_considered": True,
        "not_copied": True,
        "actions": "Reported to IWF Report Remove with the pupil",
        "pupil_id": "p1",
    }
    data.update(changes)
    return data


def test_a_viewing_alone_is_named_refused_then_accepted_with_acknowledgement(
    record: Record, policy: Policy
) -> None:
    record.pupil("p1", "Amy Jones", parts=["pictured"], year_group=10)
    findings = check_viewing(viewing_data(), record.incident, policy)
    assert [f.rule_id for f in findings] == ["another_present"]
    assert "Nobody else" in findings[0].text
    assert "another member of staff present" in findings[0].rule_text

    with pytest.raises(ValidationError) as info:
        record.add("viewing", viewing_data())
    assert info.value.field == "acknowledgements.another_present"

    with pytest.raises(ValidationError):
        record.add("viewing", viewing_data(acknowledgements={"another_present": "   "}))
    with pytest.raises(ValidationError) as info:
        record.add(
            "viewing", viewing_data(acknowledgements={"another_present": "x", "on_premises": "y"})
        )
    assert info.value.field == "acknowledgements.on_premises"

    event = record.add(
        "viewing",
        viewing_data(
            acknowledgements={"another_present": "Pupil presented it in class; no one else free"}
        ),
    )
    assert event.data["acknowledgements"]["another_present"].startswith("Pupil presented")
    incident = record.incident
    states = {s.step.id: s for s in step_states(incident, policy)}
    assert states["viewing"].applies is True
    assert "Support offered to each member of staff who viewed the imagery" in (
        states["viewing"].missing
    )
    record.add(
        "staff.support_offered",
        {"after_id": event.id, "staff_name": DSL, "what": "Time with EAP counsellor"},
    )
    states = {s.step.id: s for s in step_states(record.incident, policy)}
    # A rule broken by a deliberate viewing also goes to the Headteacher (issue 10, finding 6).
    assert states["viewing"].missing == [
        "Each deliberate viewing that broke a condition of the policy acknowledged by the "
        "Headteacher"
    ]
    ack = record.add(
        "viewing.acknowledged",
        {"viewing_id": event.id, "note": "Discussed with the DSL"},
        by=HEAD,
        by_role="headteacher",
    )
    record.events[-1] = dataclasses.replace(ack, verified=True)
    states = {s.step.id: s for s in step_states(record.incident, policy)}
    assert states["viewing"].missing == []


def test_every_viewing_rule_is_named_when_broken(record: Record, policy: Policy) -> None:
    data = viewing_data(
        viewer_role="other_staff",
        on_premises=False,
        reason_id="curiosity",
        head_consulted=False,
        same_sex="not_possible",
        distress_considered=False,
        not_copied=False,
    )
    named = {f.rule_id for f in check_viewing(data, record.incident, policy)}
    assert named == {rule.id for rule in policy.viewing_rules} - {"recorded"}
    good = viewing_data(present=["Sam Patel (Headteacher)"])
    assert check_viewing(good, record.incident, policy) == []
    assert check_viewing(viewing_data(present=[DSL]), record.incident, policy)


# Deadlines, delays, corrections, order ----------------------------------------


def test_deletion_overdue_when_the_deadline_passes_unconfirmed(
    record: Record, policy: Policy
) -> None:
    record.pupil("p1", "Amy Jones", parts=["pictured"], year_group=10)
    deadline = record.now + timedelta(hours=48)
    record.add("deletion.requested", {"pupil_id": "p1", "deadline": deadline, "told_illegal": True})
    incident = record.incident
    codes = lambda now: [f.code for f in overdue(incident, policy, now)]  # noqa: E731
    assert "deletion_overdue" not in codes(deadline - timedelta(minutes=1))
    late = [f for f in overdue(incident, policy, deadline) if f.code == "deletion_overdue"]
    assert len(late) == 1
    assert late[0].due_at == deadline
    assert format_local(deadline) in late[0].text
    assert "Amy" not in late[0].text
    record.tick(hours=50)
    record.add("deletion.confirmed", {"pupil_id": "p1", "how": "Confirmed in person"})
    assert "deletion_overdue" not in [f.code for f in overdue(record.incident, policy, record.now)]


def test_a_dsl_told_after_the_school_day_of_the_disclosure_is_flagged_and_stays(
    record: Record, policy: Policy
) -> None:
    # Friday 14:00 to Monday 09:00: "as soon as possible" read as the same school day.
    record.disclosure(disclosed_at=START - timedelta(hours=67), dsl_told_at=START)
    flags = overdue(record.incident, policy, record.now)
    delay = [f for f in flags if f.code == "dsl_delay"]
    assert len(delay) == 1
    assert "2 days after the disclosure" in delay[0].text
    assert "the same school day (a setting of this policy file" in delay[0].text
    record.add(
        "incident.closed",
        {"summary": "s", "actions": "a", "outcome": "o", "rationale": "r", "gaps_reason": "test"},
    )
    closed = record.incident
    assert [f.code for f in overdue(closed, policy, record.now + timedelta(days=400))] == [
        "dsl_delay"
    ]


def test_a_dsl_told_the_same_school_day_is_not_flagged(record: Record, policy: Policy) -> None:
    # Sunday 09:00 (no school) to Monday 09:00: the same school day is the Monday.
    record.disclosure(disclosed_at=START - timedelta(hours=24), dsl_told_at=START)
    assert not [f for f in overdue(record.incident, policy, record.now) if f.code == "dsl_delay"]


def test_parents_not_informed_is_flagged_after_the_setting(record: Record, policy: Policy) -> None:
    record.disclosure(disclosed_at=START, dsl_told_at=START)
    record.pupil("p1", "Amy Jones", parts=["pictured"], year_group=10)
    record.pupil("p2", "Ben Smith", parts=["received"], year_group=10, sex="male")
    due = parents_limit(policy).due(START)
    assert due == datetime(2026, 11, 11, 0, 0, tzinfo=UTC)  # the end of the next school day

    def codes(now: Any) -> list[str]:
        return [f.code for f in overdue(record.incident, policy, now)]

    assert "parents_not_informed" not in codes(due - timedelta(minutes=1))
    assert "parents_not_informed" in codes(due)
    record.add(
        "parents.informed", {"pupil_id": "p1", "who": "Mother", "how": "Phone", "informed_by": DSL}
    )
    assert "parents_not_informed" in codes(due)
    record.add(
        "parents.not_informed", {"pupil_id": "p2", "reason": "Risk at home", "agreed_with": "csc"}
    )
    assert "parents_not_informed" not in codes(due)


def test_a_corrected_trigger_answer_changes_the_referral_and_both_stay(
    record: Record, policy: Policy
) -> None:
    wrong = record.add("trigger.answered", {"n": 5, "answer": "yes", "basis": "Misheard"})
    assert referral(record.incident, policy).required
    record.tick(minutes=10)
    record.add(
        "trigger.answered",
        {"n": 5, "answer": "no", "basis": "Checked with Amy"},
        supersedes=wrong.id,
    )
    incident = record.incident
    assert not referral(incident, policy).required
    assert len(incident.timeline) == 2
    assert incident.timeline[0].superseded


def test_next_step_follows_the_policy_order_and_respects_later(
    record: Record, policy: Policy
) -> None:
    assert next_step(record.incident, policy) == policy.step("disclosure")
    record.add(
        "step.status",
        {"step_id": "disclosure", "status": "later", "reason": "Waiting for the tutor to return"},
    )
    assert next_step(record.incident, policy) == policy.step("review_meeting")
    states = {s.step.id: s.state for s in step_states(record.incident, policy)}
    assert states["disclosure"] == "later"
    assert states["review_meeting"] == "current"
    assert states["risks"] == "to_do"  # depends on a decision not yet made
    assert any("left for later" in g.text for g in gaps(record.incident, policy))


def test_referred_incident_shows_police_and_devices_steps(record: Record, policy: Policy) -> None:
    record.add("decision", {"outcome": "refer", "refer_to": ["police"], "reason": "Trigger 1"})
    states = {s.step.id: s.state for s in step_states(record.incident, policy)}
    assert states["risks"] == "skipped_by_rule"
    assert states["deletion"] == "skipped_by_rule"
    assert states["csc"] == "skipped_by_rule"
    assert states["police"] in ("current", "to_do")
    assert states["devices"] == "to_do"
    record.add(
        "police.contact",
        {"route": "safer_schools_officer", "spoken_to": "PC Hill", "crime_refs": ["CR/2026/1234"]},
    )
    record.add("step.status", {"step_id": "devices", "status": "done"})
    states = {s.step.id: s.state for s in step_states(record.incident, policy)}
    assert states["police"] == "done"
    assert states["devices"] == "done"


def test_summary_flags_agree_with_overdue(record: Record, policy: Policy) -> None:
    record.disclosure(disclosed_at=START - timedelta(hours=67), dsl_told_at=START)
    record.pupil("p1", "Amy Jones", parts=["pictured"], year_group=10)
    decision = record.add("decision", in_school_decision())
    record.add(
        "deletion.requested",
        {"pupil_id": "p1", "deadline": START + timedelta(days=1), "told_illegal": True},
    )
    incident = record.incident
    summary = summarize(incident, policy)
    assert summary["pupil_count"] == 1
    assert "Amy" not in str(summary)
    for days in (0, 1, 2, 3, 8, 30):
        now = START + timedelta(days=days)
        assert summary_flags(summary, now) == overdue(incident, policy, now)
    codes = [f.code for f in overdue(incident, policy, START + timedelta(days=8))]
    assert codes == sorted(set(codes), key=codes.index)
    assert {
        "dsl_delay",
        "signoff_waiting",
        "parents_not_informed",
        "deletion_overdue",
        "decision_review_due",
    } == set(codes)
    record.tick(days=2)
    record.add("decision.reviewed", {"decision_id": decision.id, "outcome": "confirmed"})
    review = [
        f
        for f in overdue(record.incident, policy, START + timedelta(days=8))
        if f.code == "decision_review_due"
    ]
    assert review == []
