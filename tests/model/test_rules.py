"""Rules in detail: sign-off, closing, inspection, step states, summaries."""

from __future__ import annotations

import base64
from datetime import timedelta
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ydsi_tui.model.errors import ValidationError
from ydsi_tui.model.events import Event
from ydsi_tui.model.folding import fold
from ydsi_tui.model.policy import Policy
from ydsi_tui.model.rules import (
    check_closure,
    check_decision,
    check_reopen,
    gaps,
    incident_status,
    inspection,
    signoff_needed,
    signoff_payload,
    step_states,
    summarize,
    summary_flags,
)
from ydsi_tui.model.signoff import SIGNOFF_DOMAIN, signoff_digest
from ydsi_tui.model.summary import SUMMARY_LINE_MAX, summary_line

from .support import HEAD, START, Record


def _decision(record: Record) -> Event:
    return record.add(
        "decision", {"outcome": "in_school", "reason": "Low risk; managed pastorally"}
    )


def test_signoff_payload_names_the_facts_and_changes_with_them(record: Record) -> None:
    decision = _decision(record)
    payload = signoff_payload(
        record.meta, decision, signer=HEAD, signed_at=START, statement="Agreed"
    )
    assert payload.startswith(SIGNOFF_DOMAIN)
    text = payload.decode("ascii")
    for fact in (
        record.meta.ref,
        decision.id,
        "in_school",
        "Low risk; managed pastorally",
        HEAD,
        "2026-11-09T09:00:00Z",
        record.meta.policy_digest,
    ):
        assert fact in text
    same = signoff_payload(record.meta, decision, signer=HEAD, signed_at=START, statement="Agreed")
    assert same == payload
    other_signer = signoff_payload(
        record.meta, decision, signer="Someone Else", signed_at=START, statement="Agreed"
    )
    assert other_signer != payload
    changed = record.add(
        "decision", {"outcome": "in_school", "reason": "Different reason"}, supersedes=decision.id
    )
    assert (
        signoff_payload(record.meta, changed, signer=HEAD, signed_at=START, statement="Agreed")
        != payload
    )


def test_signoff_must_match_and_be_by_a_headteacher(record: Record) -> None:
    decision = _decision(record)
    assert signoff_needed(record.incident)
    bogus = record.add(
        "signoff",
        {
            "decision_id": decision.id,
            "statement": "ok",
            "signature": "c2ln",
            "key_id": "k",
            "payload_sha256": "0" * 64,
        },
        by=HEAD,
        by_role="headteacher",
    )
    incident = record.incident
    assert signoff_needed(incident)
    assert any(p.event_id == bogus.id for p in incident.problems)
    # A stored sign-off claiming to be by the DSL does not count either.
    digest = signoff_digest(
        record.meta, decision, signer="Dana Lee", signed_at=record.now, statement="ok"
    )
    doc = bogus.to_doc()
    doc.update(
        id="1" * 32, by="Dana Lee", by_role="dsl", data={**doc["data"], "payload_sha256": digest}
    )
    forged = Event.from_doc(doc)
    assert signoff_needed(fold(record.meta, [*record.events, forged]))
    record.sign_off(decision)
    assert not signoff_needed(record.incident)


def test_an_unverified_signoff_never_counts(record: Record) -> None:
    """Right role, right decision, right digest: still nothing until the vault verified it."""
    decision = _decision(record)
    unverified = record.sign_off(decision, verified=False)
    incident = record.incident
    assert signoff_needed(incident)
    assert not incident.signoffs[0].valid
    assert any(p.event_id == unverified.id and "NOT VERIFIED" in p.text for p in incident.problems)
    record.sign_off(decision)
    assert not signoff_needed(record.incident)


def test_a_new_decision_needs_a_new_signoff(record: Record) -> None:
    first = _decision(record)
    record.sign_off(first)
    assert not signoff_needed(record.incident)
    record.tick(days=1)
    record.add("decision", {"outcome": "in_school", "reason": "Reviewed after new information"})
    assert signoff_needed(record.incident)
    record.add("decision", {"outcome": "refer", "refer_to": ["csc"], "reason": "Escalated"})
    assert not signoff_needed(record.incident)


def test_check_decision_refuses_other_entries_and_missing_fields(
    record: Record, policy: Policy
) -> None:
    note = record.add("note", {"text": "x"})
    with pytest.raises(ValidationError):
        check_decision(record.incident, policy, note)
    doc = _decision(record).to_doc()
    doc["data"] = {"outcome": "in_school", "reason": "  "}
    with pytest.raises(ValidationError) as info:
        check_decision(record.incident, policy, Event.from_doc(doc))
    assert info.value.field == "reason"
    doc["data"] = {"outcome": "refer"}
    with pytest.raises(ValidationError) as info:
        check_decision(record.incident, policy, Event.from_doc(doc))
    assert info.value.field == "refer_to"


def test_closing_with_gaps_needs_a_reason(record: Record, policy: Policy) -> None:
    record.open()
    found = gaps(record.incident, policy)
    assert found
    # The closing summary is made by closing, so it is never a gap; the closing
    # step's other item (support routes offered to each pictured pupil) is one.
    closing = [g.text for g in found if g.step_id == "closing"]
    assert closing == [f"Recording and closing: {policy.step('closing').checklist[0].text}"]
    assert "support" in closing[0].lower()
    assert any(g.step_id == "disclosure" for g in found)
    close = {"summary": "s", "actions": "a", "outcome": "o", "rationale": "r"}
    with pytest.raises(ValidationError) as info:
        check_closure(record.incident, policy, close)
    assert info.value.field == "gaps_reason"
    assert "Disclosure" in info.value.message
    check_closure(record.incident, policy, {**close, "gaps_reason": "Pupil left; transferred"})
    with pytest.raises(ValidationError):
        check_reopen(record.incident)
    record.add("incident.closed", {**close, "gaps_reason": "Pupil left"})
    check_reopen(record.incident)
    assert incident_status(record.incident, policy) == "closed"


def test_a_policy_without_the_gap_rule_closes_without_a_reason(
    policy_text: str,
) -> None:
    from .support import policy_with

    lenient = policy_with(
        policy_text, "closure_needs_reason_for_gaps = true", "closure_needs_reason_for_gaps = false"
    )
    record = Record(lenient)
    check_closure(
        record.incident, lenient, {"summary": "s", "actions": "a", "outcome": "o", "rationale": "r"}
    )


def test_not_applicable_needs_nothing_more_and_is_not_a_gap(record: Record, policy: Policy) -> None:
    record.add("decision", {"outcome": "refer", "refer_to": ["police"], "reason": "x"})
    record.add(
        "step.status",
        {"step_id": "devices", "status": "not_applicable", "reason": "No device was seized"},
    )
    states = {s.step.id: s for s in step_states(record.incident, policy)}
    assert states["devices"].state == "not_applicable"
    assert states["devices"].status is not None
    assert states["devices"].status.reason == "No device was seized"
    assert not [g for g in gaps(record.incident, policy) if g.step_id == "devices"]
    assert [g for g in gaps(record.incident, policy) if g.step_id == "police"]


def test_inspection_names_what_is_missing_and_where_to_fix_it(
    record: Record, policy: Policy
) -> None:
    record.pupil("p1", "Amy Jones", parts=["pictured"], year_group=10)
    record.add("decision", {"outcome": "refer", "refer_to": ["police", "csc"], "reason": "x"})
    findings = {f.question.id: f for f in inspection(record.incident, policy)}
    assert len(findings) == 8
    partnership = findings["partnership"]
    assert not partnership.met
    # Each thing missing names the step that records it.
    assert partnership.fixes == (
        ("Contact with the police, where referred to them", "police"),
        (
            "The referral to children's social care (where referred to them), and each contact",
            "csc",
        ),
    )
    assert "Contact with the police, where referred to them" in partnership.missing
    assert not findings["inter_agency_meetings"].met
    record.add("police.contact", {"route": "call_101", "spoken_to": "Call handler"})
    record.add("csc.contact", {"type": "referral", "spoken_to": "Duty social worker"})
    record.add("agency.meeting", {"who": "Strategy meeting: police, CSC, school"})
    findings = {f.question.id: f for f in inspection(record.incident, policy)}
    assert findings["partnership"].met
    assert findings["partnership"].missing == []
    assert findings["inter_agency_meetings"].met
    assert findings["sharing_and_transfer"].met


def test_summary_line_and_status(record: Record, policy: Policy) -> None:
    assert summary_line("First line\nsecond") == "First line"
    assert summary_line("") == ""
    long = "x" * 500
    assert len(summary_line(long)) == SUMMARY_LINE_MAX
    summary = summarize(record.incident, policy)
    assert summary["status"] == "open"
    assert summary["next_step"] == {"id": "disclosure", "title": "Disclosure"}
    record.add("decision", {"outcome": "refer", "refer_to": ["police"], "reason": "x"})
    # A decision records intent: "referred" only once the contact is recorded.
    assert summarize(record.incident, policy)["status"] == "referral_decided"
    assert summarize(record.incident, policy)["referral_required"] is True
    record.add("police.contact", {"route": "call_101", "spoken_to": "PC 123 Jones"})
    assert summarize(record.incident, policy)["status"] == "referred"
    assert summarize(record.incident, policy)["referral_required"] is False


def test_summary_flags_survive_damaged_summaries() -> None:
    now = START + timedelta(days=1)
    good = {"code": "x", "text": "t", "due_at": "2026-11-09T09:00:00Z"}
    summary = {"due": [good, {"code": 1}, "junk", {"code": "y", "text": "t", "due_at": "soon"}]}
    assert [f.code for f in summary_flags(summary, now)] == ["x"]
    assert summary_flags({}, now) == []
    assert summary_flags({"due": "nope"}, now) == []
    assert summary_flags([], now) == []  # type: ignore[arg-type]


def test_signoff_signature_field_accepts_base64(record: Record) -> None:
    decision = _decision(record)
    event = record.sign_off(decision)
    assert base64.b64decode(event.data["signature"])


@pytest.mark.slow  # 100 generated records
@settings(deadline=None, max_examples=100)
@given(
    st.lists(
        st.tuples(
            st.sampled_from(
                [
                    "decision",
                    "trigger.answered",
                    "signoff",
                    "deletion.requested",
                    "deletion.confirmed",
                    "viewing",
                    "step.status",
                    "incident.closed",
                    "disclosure",
                    "pupil.added",
                    "parents.informed",
                    "decision.reviewed",
                ]
            ),
            st.dictionaries(
                st.sampled_from(
                    [
                        "outcome",
                        "refer_to",
                        "n",
                        "answer",
                        "decision_id",
                        "pupil_id",
                        "deadline",
                        "step_id",
                        "status",
                        "present",
                        "acknowledgements",
                        "disclosed_at",
                        "dsl_told_at",
                        "parts",
                        "viewer",
                        "reason",
                        "review_by",
                    ]
                ),
                st.one_of(
                    st.none(),
                    st.booleans(),
                    st.integers(-3, 9),
                    st.text(max_size=6),
                    st.sampled_from(
                        [
                            "refer",
                            "in_school",
                            "yes",
                            "p1",
                            "done",
                            "2026-11-09T09:00:00Z",
                            "2026-11-20T09:00:00Z",
                        ]
                    ),
                    st.lists(st.sampled_from(["police", "csc", "pictured", 3]), max_size=3),
                ),
                max_size=6,
            ),
            st.integers(0, 20_000),
        ),
        max_size=12,
    ),
    st.integers(0, 60),
)
def test_rules_read_any_stored_record_without_crashing(
    entries: list[tuple[str, dict[str, Any], int]], days: int
) -> None:
    from ydsi_tui.model.incident import new_incident_meta
    from ydsi_tui.model.policy import bundled_policy
    from ydsi_tui.model.rules import next_step, overdue, referral, suggest_trigger4

    policy = bundled_policy()
    events = [
        Event.from_doc(
            {
                "id": f"{index:032x}",
                "kind": kind,
                "at": (START + timedelta(minutes=minutes)).strftime("%Y-%m-%dT%H:%M:%SZ"),
                "at_offset": "+00:00",
                "recorded_at": "2026-12-31T00:00:00Z",
                "by": "Someone",
                "by_role": "dsl",
                "data": data,
            }
        )
        for index, (kind, data, minutes) in enumerate(entries)
    ]
    incident = fold(new_incident_meta("2026-001", policy, now=START, by="Dana"), events)
    now = START + timedelta(days=days)
    summary = summarize(incident, policy)
    assert summary_flags(summary, now) == overdue(incident, policy, now)
    assert len(step_states(incident, policy)) == len(policy.steps)
    next_step(incident, policy)
    gaps(incident, policy)
    inspection(incident, policy)
    referral(incident, policy)
    assert suggest_trigger4(incident, policy).answer in ("yes", "no", "unknown")


def test_a_step_that_waits_on_the_decision_is_never_shown_done_before_it(
    record: Record, policy: Policy
) -> None:
    """Children's social care's checklist is met vacuously while nobody is referred;
    before the decision the step must read "to do", as the policy file says."""
    states = {s.step.id: s for s in step_states(record.incident, policy)}
    assert states["csc"].applies is None
    assert states["csc"].state == "to_do"
    record.add("decision", {"outcome": "in_school", "reason": "no trigger applies"})
    states = {s.step.id: s for s in step_states(record.incident, policy)}
    assert states["csc"].state == "skipped_by_rule"
