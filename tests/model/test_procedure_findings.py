"""Issue 10's first findings, each a scenario from the domain audit, with its siblings.

Finding 1: a referral is an act with a time (a recorded contact), not a decision.
Finding 2: with a trigger YES an in-school response is refused unless the policy
file allows an override, and then only with the Headteacher's verified sign-off.
Finding 3: facts already recorded suggest trigger answers.
Finding 11: where a step needs one entry of a kind, the latest recorded complete
one counts, never merely the latest "happened at".

Expected answers are written from the policy's words, never read back from the
code under test.
"""

from __future__ import annotations

import importlib.resources
from datetime import timedelta
from typing import Any

import pytest

from ydsi_tui.model.errors import ValidationError
from ydsi_tui.model.events import Event, make_event
from ydsi_tui.model.policy import NOTE_PLACES, Policy, PolicyError, parse_policy
from ydsi_tui.model.predicates import PREDICATES
from ydsi_tui.model.rules import (
    check_decision,
    check_signoff,
    check_trigger_answer,
    incident_status,
    inspection,
    obligations,
    overdue,
    referral,
    signoff_needed,
    status_words,
    step_states,
    suggest_triggers,
    summarize,
)

from .support import DSL, HEAD, Record, policy_with

IN_SCHOOL: dict[str, Any] = {
    "outcome": "in_school",
    "reason": "Consensual exchange between two 16-year-olds.",
    "input_from": [HEAD],
}
POLICE_CALL: dict[str, Any] = {
    "route": "call_101",
    "spoken_to": "Call handler 4471",
    "crime_refs": ["CR/0001/26"],
}
CSC_REFERRAL: dict[str, Any] = {
    "type": "referral",
    "spoken_to": "Duty social worker, MASH",
    "reference": "MASH-2211",
}


def candidate(record: Record, kind: str, data: dict[str, Any]) -> Event:
    """An entry as the service would check it before appending."""
    return make_event(
        kind, data, at=record.now, now=record.now, by=DSL, by_role="dsl", policy=record.policy
    )


def allowing_override(policy_text: str) -> Policy:
    return policy_with(
        policy_text, "allow_trigger_override = false", "allow_trigger_override = true"
    )


def findings(record: Record, policy: Policy) -> dict[str, list[str]]:
    return {f.question.id: f.missing for f in inspection(record.incident, policy)}


# ---------------------------------------------------------------- finding 1


def test_a_decision_to_refer_is_not_a_referral(record: Record, policy: Policy) -> None:
    """The audit's 2026-003: trigger 1 YES, decided 'refer to CSC', nothing called for 4 days."""
    record.open(summary="An adult sent messages")
    record.add("adult.added", {"adult_id": "a1", "name": "Unknown adult online"})
    record.triggers({1: "yes"})
    record.add("decision", {"outcome": "refer", "refer_to": ["csc"], "reason": "Trigger 1"})
    record.tick(days=4)
    incident = record.incident

    state = referral(incident, policy)
    assert state.pending  # REFER NOW stays
    # An adult involved means the police (policy data), and the decision named CSC.
    assert state.outstanding == ["the police", "children's social care"]
    assert incident_status(incident, policy) == "referral_decided"
    assert status_words("referral_decided") == "referral decided"
    summary = summarize(incident, policy)
    assert summary["referral_required"] is True
    assert summary["status"] == "referral_decided"
    codes = [f.code for f in overdue(incident, policy, record.now)]
    assert "referral_required" in codes and "referral_overdue" in codes
    missing = findings(record, policy)["sound_decisions"]
    assert any("referral" in text.lower() for text in missing)


def test_refer_now_until_each_required_referral_is_recorded(record: Record, policy: Policy) -> None:
    record.open()
    record.triggers({1: "yes"})  # requires the police
    required_at = record.now
    record.add("decision", {"outcome": "refer", "refer_to": ["police"], "reason": "Trigger 1"})
    record.tick(minutes=20)
    record.add("csc.contact", CSC_REFERRAL)  # the wrong agency for trigger 1
    assert referral(record.incident, policy).pending
    assert incident_status(record.incident, policy) == "referral_decided"
    record.tick(minutes=10)
    record.add("police.contact", POLICE_CALL)
    incident = record.incident
    assert not referral(incident, policy).pending
    assert incident_status(incident, policy) == "referred"
    assert not any(f.code.startswith("referral") for f in obligations(incident, policy))
    times = summarize(incident, policy)["referral"]
    assert times["referral_required_at"] is not None
    # The CSC referral 20 minutes in met nothing: trigger 1 and the decision want the police.
    assert times["required_to_referral_minutes"] == 30
    assert record.now - required_at == timedelta(minutes=30)
    assert findings(record, policy)["sound_decisions"] == []


def test_overdue_after_the_policy_limit_by_the_clock_at_any_hour(
    record: Record, policy: Policy
) -> None:
    """A trigger answered YES on a Friday at 23:00 is overdue at midnight, not on Monday."""
    record.now = record.now.replace(day=13, hour=23)  # Friday 13 November 2026, 23:00 UTC
    record.open()
    record.add("trigger.answered", {"n": 5, "answer": "yes", "basis": "Said she wants to die"})
    flags = {f.code: f for f in obligations(record.incident, policy)}
    assert flags["referral_required"].due_at == record.now
    assert flags["referral_overdue"].due_at == record.now + timedelta(hours=1)
    assert "1 hour" in flags["referral_overdue"].text
    assert [f.code for f in overdue(record.incident, policy, record.now)] == ["referral_required"]
    later = record.now + timedelta(hours=1)
    assert "referral_overdue" in [f.code for f in overdue(record.incident, policy, later)]


def test_the_limit_is_a_policy_setting(record: Record, policy_text: str) -> None:
    policy = policy_with(policy_text, "referral_max_hours = 1", "referral_max_hours = 4")
    record.policy = policy
    record.open()
    record.add("trigger.answered", {"n": 3, "answer": "yes", "basis": "Violent content"})
    flags = {f.code: f for f in obligations(record.incident, policy)}
    assert flags["referral_overdue"].due_at == record.now + timedelta(hours=4)
    assert "4 hours" in flags["referral_overdue"].text


def test_a_recorded_101_call_without_a_decision_does_not_still_say_refer_now(
    record: Record, policy: Policy
) -> None:
    record.open(kind="sextortion")
    record.add("police.contact", POLICE_CALL)  # the call is often made first
    record.tick(minutes=15)
    record.triggers({1: "yes", 2: "yes"})
    incident = record.incident
    state = referral(incident, policy)
    assert state.required and not state.pending
    assert not any(f.code.startswith("referral") for f in obligations(incident, policy))
    assert incident_status(incident, policy) == "referred"
    assert summarize(incident, policy)["referral_required"] is False


def test_a_referral_made_without_a_decision_is_still_followed_up(
    record: Record, policy: Policy
) -> None:
    """Finding 1's sibling in the inspection check: tenacity and inter-agency meetings
    keyed on a decision to refer, so a 101 call recorded with no decision was never
    asked to be followed up (both questions met by construction)."""
    record.open(kind="sextortion")
    record.add("police.contact", POLICE_CALL)
    record.triggers({2: "yes"})
    incident = record.incident
    assert not PREDICATES["agency_followup"](incident, policy)
    assert not PREDICATES["agency_meeting_if_referred"](incident, policy)
    record.add("police.outcome", {"outcome": "outcome_21"})
    record.add("agency.meeting", {"who": "Strategy meeting: police, CSC and the DSL"})
    incident = record.incident
    assert PREDICATES["agency_followup"](incident, policy)
    assert PREDICATES["agency_meeting_if_referred"](incident, policy)


def test_a_harm_concern_needs_a_referral_made_after_it(record: Record, policy: Policy) -> None:
    """Sibling: a new concern after the police referral is new information to pass on."""
    record.open()
    record.triggers({1: "yes"})
    record.add("decision", {"outcome": "refer", "refer_to": ["police"], "reason": "Trigger 1"})
    record.add("police.contact", POLICE_CALL)
    assert not referral(record.incident, policy).pending
    record.tick(days=2)
    record.add("concern.harm", {"text": "Said he wants to die"})
    assert referral(record.incident, policy).pending
    assert incident_status(record.incident, policy) == "referral_decided"
    record.tick(minutes=30)
    record.add("csc.contact", CSC_REFERRAL)
    assert not referral(record.incident, policy).pending


def test_a_csc_contact_that_is_not_a_referral_does_not_count(
    record: Record, policy: Policy
) -> None:
    record.open()
    record.add("trigger.answered", {"n": 2, "answer": "yes", "basis": "Groomed"})
    record.add("csc.contact", {**CSC_REFERRAL, "type": "contact"})
    assert referral(record.incident, policy).pending
    record.add("csc.contact", CSC_REFERRAL)
    assert not referral(record.incident, policy).pending


def test_times_from_disclosure_to_dsl_to_referral_are_in_the_summary(
    record: Record, policy: Policy
) -> None:
    disclosed = record.now
    record.open()
    record.tick(hours=1)
    record.disclosure(disclosed_at=disclosed, dsl_told_at=disclosed + timedelta(minutes=40))
    record.add("trigger.answered", {"n": 5, "answer": "yes", "basis": "Self-harm"})
    record.tick(minutes=90)  # later than the hour the policy allows
    record.add("police.contact", POLICE_CALL)
    times = summarize(record.incident, policy)["referral"]
    assert times["disclosure_to_dsl_minutes"] == 40
    assert times["dsl_to_referral_minutes"] == 20 + 90
    assert times["required_to_referral_minutes"] == 90
    assert times["limit_hours"] == 1
    # Made, but not in time: "timely referrals" does not pass.
    missing = findings(record, policy)["sound_decisions"]
    assert any("time the policy allows" in text for text in missing)


def test_no_trigger_no_referral_needed(record: Record, policy: Policy) -> None:
    record.open()
    record.triggers({})
    state = referral(record.incident, policy)
    assert not state.required and not state.pending
    assert incident_status(record.incident, policy) == "open"


# ---------------------------------------------------------------- finding 2


def test_family_preference_cannot_wave_a_trigger_away(record: Record, policy: Policy) -> None:
    record.open()
    record.triggers({2: "yes"})
    decision = candidate(
        record,
        "decision",
        {**IN_SCHOOL, "override_reason": "Family prefer school to handle it"},
    )
    with pytest.raises(ValidationError) as refused:
        check_decision(record.incident, policy, decision)
    assert refused.value.field == "outcome"
    assert "none of the triggers" in refused.value.message
    assert policy.settings.allow_trigger_override is False


def test_an_in_school_decision_after_the_referral_was_made_is_allowed(
    record: Record, policy: Policy
) -> None:
    """The police took the report and gave it back to the school: no trigger is waved away."""
    record.open()
    record.triggers({4: "yes"})
    record.add("police.contact", POLICE_CALL)
    check_decision(record.incident, policy, candidate(record, "decision", IN_SCHOOL))


def test_an_allowed_override_needs_the_headteachers_verified_signoff(
    record: Record, policy_text: str
) -> None:
    policy = allowing_override(policy_text)
    record.policy = policy
    record.open()
    record.triggers({1: "yes"})
    with pytest.raises(ValidationError) as refused:
        check_decision(record.incident, policy, candidate(record, "decision", IN_SCHOOL))
    assert refused.value.field == "override_reason"
    data = {**IN_SCHOOL, "override_reason": "Police advised the school to lead"}
    check_decision(record.incident, policy, candidate(record, "decision", data))
    decision = record.add("decision", data)
    # Until the Headteacher's own verified sign-off: REFER NOW, and flagged.
    assert referral(record.incident, policy).pending
    assert incident_status(record.incident, policy) == "in_school_override"
    check_signoff(record.incident, policy)
    record.sign_off(decision, verified=False)  # a key the DSL issued: does not count
    assert referral(record.incident, policy).pending
    record.sign_off(decision)
    incident = record.incident
    assert not signoff_needed(incident)
    assert not referral(incident, policy).pending
    # Still flagged "trigger overridden" in lists and reports.
    assert incident_status(incident, policy) == "in_school_override"
    assert "TRIGGER OVERRIDDEN" in status_words(incident_status(incident, policy))
    assert summarize(incident, policy)["trigger_overridden"] is True
    assert findings(record, policy)["sound_decisions"] != []


def test_signoff_of_an_in_school_decision_is_refused_while_a_trigger_is_unanswered(
    record: Record, policy: Policy
) -> None:
    record.open()
    for n in (1, 2, 4, 5):
        record.add("trigger.answered", {"n": n, "answer": "no", "basis": "Asked both pupils"})
    record.add("trigger.answered", {"n": 3, "answer": "unknown"})
    record.add("decision", IN_SCHOOL)
    with pytest.raises(ValidationError) as refused:
        check_signoff(record.incident, policy)
    assert "3" in refused.value.message and refused.value.field == "triggers"
    record.add("trigger.answered", {"n": 3, "answer": "no", "basis": "Described by both"})
    check_signoff(record.incident, policy)


def test_an_old_override_under_a_policy_that_allows_none_still_says_refer_now(
    record: Record, policy: Policy
) -> None:
    """A record made before this rule (an override accepted then) reads honestly now."""
    record.open()
    record.triggers({1: "yes"})
    decision = record.add("decision", {**IN_SCHOOL, "override_reason": "Family prefer it"})
    record.sign_off(decision)
    incident = record.incident
    assert referral(incident, policy).pending
    assert incident_status(incident, policy) == "in_school_override"


def test_the_policy_file_says_where_the_program_is_stricter(policy: Policy) -> None:
    texts = " ".join(q.text for q in policy.stricter_than_text)
    assert "allows no override" in texts
    assert "REFER NOW" in texts
    assert policy.trigger(1).refer_to == "police"


# ---------------------------------------------------------------- finding 3


def test_an_adult_recorded_suggests_trigger_1(record: Record, policy: Policy) -> None:
    record.open()
    assert 1 not in suggest_triggers(record.incident, policy)
    record.add("adult.added", {"adult_id": "a1", "name": "Unknown adult online"})
    suggestion = suggest_triggers(record.incident, policy)[1]
    assert suggestion.answer == "yes" and "adult" in suggestion.basis


def test_sextortion_suggests_triggers_1_and_2(record: Record, policy: Policy) -> None:
    record.open(kind="sextortion")
    found = suggest_triggers(record.incident, policy)
    assert found[1].answer == "yes" and found[2].answer == "yes"


def test_sen_or_a_capacity_concern_asks_about_trigger_2(record: Record, policy: Policy) -> None:
    record.open()
    record.pupil("p1", "Amy Jones", parts=["pictured"], year_group=10, sen=True)
    assert suggest_triggers(record.incident, policy)[2].answer == "ask"
    other = Record(policy, ref="2026-008")
    other.open()
    other.pupil("p2", "Ben Smith", parts=["sent"], year_group=10)
    assert 2 not in suggest_triggers(other.incident, policy)
    other.add("pupil.updated", {"pupil_id": "p2", "capacity_concern": True})
    assert suggest_triggers(other.incident, policy)[2].answer == "ask"


def test_violent_content_suggests_trigger_3(record: Record, policy: Policy) -> None:
    record.open()
    record.content(violent="yes")
    assert suggest_triggers(record.incident, policy)[3].answer == "yes"


def test_a_suggested_yes_answered_no_needs_a_reason(record: Record, policy: Policy) -> None:
    """The audit's 'T4: no - consensual' beside a Year 9 pupil and 'sexual acts: yes'."""
    record.open()
    record.pupil("p1", "Carl Young", parts=["pictured"], year_group=9)
    record.content(sexual_acts="yes")
    assert suggest_triggers(record.incident, policy)[4].answer == "yes"
    answer = {"n": 4, "answer": "no", "basis": "Consensual between peers"}
    with pytest.raises(ValidationError) as refused:
        check_trigger_answer(record.incident, policy, candidate(record, "trigger.answered", answer))
    assert refused.value.field == "reason_against_suggestion"
    assert "trigger 4" in refused.value.message
    explained = {**answer, "reason_against_suggestion": "Police confirmed: not sexual acts"}
    check_trigger_answer(record.incident, policy, candidate(record, "trigger.answered", explained))
    # Answering YES against nothing, or yes where yes is suggested, needs no reason.
    yes = {"n": 4, "answer": "yes", "basis": "Year 9, sexual acts"}
    check_trigger_answer(record.incident, policy, candidate(record, "trigger.answered", yes))


def test_a_disagreement_shows_in_the_inspection_check(record: Record, policy: Policy) -> None:
    """Sibling: the adult recorded after trigger 1 was answered no, so no reason was asked."""
    record.open()
    record.triggers({})
    assert findings(record, policy)["risk_of_harm"] == [] or all(
        "suggests" not in text for text in findings(record, policy)["risk_of_harm"]
    )
    record.add("adult.added", {"adult_id": "a1", "name": "Older cousin, 19"})
    missing = findings(record, policy)["risk_of_harm"]
    assert any("suggests" in text for text in missing)
    record.add(
        "trigger.answered",
        {
            "n": 1,
            "answer": "no",
            "basis": "The cousin was not involved in the sharing",
            "reason_against_suggestion": "The adult recorded is a witness only",
        },
    )
    assert all("suggests" not in text for text in findings(record, policy)["risk_of_harm"])


# ---------------------------------------------------------------- finding 11


def test_a_complete_back_dated_review_beats_an_incomplete_one_stamped_now(
    record: Record, policy: Policy
) -> None:
    record.open()
    meeting_at = record.now.replace(hour=11)
    record.tick(hours=8)  # 17:00: the first, incomplete entry defaults to "now"
    record.add("review.meeting", {"held_at": record.now, "attendees": [DSL], "answers": {}})
    record.tick(minutes=10)
    complete = {
        "held_at": meeting_at,
        "attendees": [DSL, HEAD],
        "answers": {c.id: f"Considered: {c.id}" for c in policy.review_considerations},
    }
    event = record.add("review.meeting", complete, at=meeting_at)
    incident = record.incident
    assert incident.review_meeting is not None
    assert incident.review_meeting.event_id == event.id
    state = {s.step.id: s for s in step_states(incident, policy)}["review_meeting"]
    assert "An answer to each of the nine considerations" not in state.missing


def test_a_later_recorded_incomplete_entry_does_not_undo_a_complete_one(
    record: Record, policy: Policy
) -> None:
    """Siblings: trigger answers and the disclosure."""
    record.open()
    record.tick(hours=3)
    record.add("trigger.answered", {"n": 1, "answer": "no", "basis": "Nobody said so"})
    record.tick(minutes=5)
    # Recorded later, back-dated to the meeting: the latest recorded answer counts.
    later = record.add(
        "trigger.answered",
        {"n": 1, "answer": "yes", "basis": "The 'friend' online is an adult"},
        at=record.now - timedelta(hours=2),
    )
    assert record.incident.triggers[1].event_id == later.id

    told = record.now
    full = record.disclosure(disclosed_at=told - timedelta(hours=2), dsl_told_at=told)
    record.tick(minutes=1)
    record.disclosure(disclosed_at=told, dsl_told_at=None)
    assert record.incident.disclosure is not None
    assert record.incident.disclosure.event_id == full.id


def _bundled_files() -> list[tuple[str, bytes]]:
    folder = importlib.resources.files("ydsi_tui.model").joinpath("policies")
    found = [(f.name, f.read_bytes()) for f in folder.iterdir() if f.name.endswith(".toml")]
    return sorted(found)


def test_every_difference_from_the_text_is_shown_somewhere() -> None:
    """Each bundled policy's note names the screens that show it, and they exist.

    A note no screen shows is a rule nobody meets with its explanation.
    """
    files = _bundled_files()
    assert files
    for name, raw in files:
        policy = parse_policy(raw, origin=name)
        steps = {step.id for step in policy.steps}
        assert policy.stricter_than_text, name
        for note in policy.stricter_than_text:
            assert note.where, f"{name}: {note.id} names no screen"
            assert set(note.where) <= steps | NOTE_PLACES, note.id
        assert policy.notes_for("signoff"), name


def test_a_note_naming_an_unknown_place_is_refused() -> None:
    [(name, raw)] = [f for f in _bundled_files() if f[0] == "hindley-2016.toml"]
    typo = raw.replace(b'where = ["decision", "signoff"]', b'where = ["decisoin"]', 1)
    assert typo != raw
    with pytest.raises(PolicyError) as refused:
        parse_policy(typo, origin=name)
    assert "decisoin" in str(refused.value) and "stricter_than_text" in str(refused.value)
