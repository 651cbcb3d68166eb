"""Folding events into what is known: corrections, late entries, hostile records."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ydsi_tui.model.errors import ValidationError
from ydsi_tui.model.events import Event, new_id
from ydsi_tui.model.folding import fold
from ydsi_tui.model.incident import IncidentMeta, new_incident_meta, next_ref
from ydsi_tui.model.policy import Policy

from .support import DSL, START, Record


def test_meta_round_trip_and_validation(policy: Policy) -> None:
    meta = new_incident_meta("2026-007", policy, now=START, by=DSL)
    assert meta.policy_digest == policy.digest
    assert meta.policy_version == policy.version
    assert IncidentMeta.from_doc(meta.to_doc()) == meta
    for change in ({"ref": "../etc"}, {"policy_digest": "x"}, {"created_at": "soon"}, {"ref": 7}):
        with pytest.raises(ValidationError):
            IncidentMeta.from_doc({**meta.to_doc(), **change})
    with pytest.raises(ValidationError):
        IncidentMeta.from_doc([])  # type: ignore[arg-type]
    with pytest.raises(ValidationError):
        new_incident_meta("2026-008", policy, now=START, by="   ")


def test_references_count_up_within_the_uk_year() -> None:
    now = datetime(2026, 3, 1, tzinfo=UTC)
    assert next_ref([], now=now) == "2026-001"
    assert next_ref(["2026-001", "2026-009", "2025-044", "junk"], now=now) == "2026-010"
    assert next_ref(["D-2026-003"], now=now, prefix="D-") == "D-2026-004"
    # 23:30 UTC on 31 December is still 31 December in London in winter.
    assert next_ref([], now=datetime(2026, 12, 31, 23, 30, tzinfo=UTC)) == "2026-001"


def test_state_from_a_few_entries(record: Record) -> None:
    record.open(kind="peer_sharing", summary="Line one\nLine two")
    record.pupil("p1", "Amy Jones", parts=["pictured", "sent"], dob="2010-05-04")
    record.pupil("p2", "Ben Smith", parts=["received"], year_group=11, sex="male")
    record.add("trigger.answered", {"n": 1, "answer": "no", "basis": "Both pupils are 16"})
    record.tick(hours=1)
    record.add("trigger.answered", {"n": 1, "answer": "yes", "basis": "An adult forwarded it"})
    incident = record.incident
    assert incident.summary == "Line one\nLine two"
    assert incident.kind == "peer_sharing"
    assert incident.opened_at == START
    assert list(incident.pupils) == ["p1", "p2"]
    amy, ben = incident.pupils["p1"], incident.pupils["p2"]
    assert amy.dob == date(2010, 5, 4)
    assert amy.pictured
    assert amy.parts == ("pictured", "sent")
    assert ben.year_group == 11
    assert not ben.pictured
    assert ben.parts == ("received",)
    assert incident.triggers[1].answer == "yes"
    assert incident.triggers[1].basis == "An adult forwarded it"
    assert not incident.problems


def test_a_part_belongs_to_the_pupil_not_the_incident(record: Record) -> None:
    record.pupil("p1", "Amy Jones", parts=["pictured"], year_group=10)
    record.pupil("p2", "Ben Smith", parts=["received"], year_group=10)
    record.add("pupil.updated", {"pupil_id": "p2", "parts": ["received", "shared"]})
    incident = record.incident
    assert incident.pupils["p1"].parts == ("pictured",)
    assert incident.pupils["p2"].parts == ("received", "shared")
    assert incident.pupils["p2"].name == "Ben Smith"
    assert len(incident.pupils["p2"].event_ids) == 2


def test_corrections_supersede_and_both_stay_in_the_timeline(record: Record) -> None:
    wrong = record.pupil("p1", "Amy Jonse", parts=["pictured"], year_group=10)
    record.tick(minutes=5)
    right = record.add(
        "pupil.added",
        {
            "pupil_id": "p1",
            "name": "Amy Jones",
            "sex": "female",
            "parts": ["pictured"],
            "sen": False,
            "year_group": 10,
        },
        supersedes=wrong.id,
    )
    incident = record.incident
    assert incident.pupils["p1"].name == "Amy Jones"
    by_id = {entry.event.id: entry for entry in incident.timeline}
    assert set(by_id) == {wrong.id, right.id}
    assert by_id[wrong.id].superseded
    assert by_id[wrong.id].superseded_by == (right.id,)
    assert by_id[right.id].corrects == wrong.id
    assert not by_id[right.id].superseded
    assert [e.id for e in incident.effective] == [right.id]
    assert not incident.problems


def test_a_correction_can_move_an_entry_earlier(record: Record) -> None:
    note = record.add("note", {"text": "Spoke to Amy"})
    record.tick(hours=2)
    moved = record.add(
        "note", {"text": "Spoke to Amy"}, at=START - timedelta(days=1), supersedes=note.id
    )
    incident = record.incident
    assert [entry.event.id for entry in incident.timeline] == [moved.id, note.id]
    assert [n.event_id for n in incident.notes] == [moved.id]


def test_timeline_sorts_by_when_it_happened_then_when_recorded(record: Record) -> None:
    record.tick(hours=3)
    late = record.add("note", {"text": "recorded late"}, at=START)
    first = record.add("note", {"text": "happened first"}, at=START - timedelta(hours=1))
    same_time = record.add("note", {"text": "same time, recorded later"}, at=START)
    order = [entry.event.id for entry in record.incident.timeline]
    assert order == [first.id, late.id, same_time.id]


def test_unknown_pupils_are_kept_and_flagged(record: Record) -> None:
    record.pupil("p1", "Amy Jones", parts=["pictured"], year_group=10)
    ghost = record.add(
        "parents.informed",
        {"pupil_id": "p9", "who": "Mother", "how": "Phone", "informed_by": DSL},
    )
    incident = record.incident
    assert "p9" in incident.parents
    assert any(p.event_id == ghost.id and "not in this record" in p.text for p in incident.problems)
    entry = next(e for e in incident.timeline if e.event.id == ghost.id)
    assert entry.problems


def test_a_pupil_added_later_but_dated_earlier_is_not_unknown(record: Record) -> None:
    record.add(
        "parents.informed",
        {"pupil_id": "p1", "who": "Mother", "how": "Phone", "informed_by": DSL},
    )
    record.tick(hours=1)
    record.add(
        "pupil.added",
        {
            "pupil_id": "p1",
            "name": "Amy",
            "sex": "female",
            "parts": ["sent"],
            "sen": False,
            "year_group": 9,
        },
    )
    assert not record.incident.problems


def test_closing_and_reopening(record: Record) -> None:
    close = {
        "summary": "Handled in school",
        "actions": "Deleted",
        "outcome": "No further action",
        "rationale": "Low risk",
        "gaps_reason": "n/a",
    }
    record.add("incident.closed", close)
    assert record.incident.closed
    record.tick(days=1)
    record.add("incident.reopened", {"reason": "New image found"})
    incident = record.incident
    assert not incident.closed
    assert incident.closure.status == "open"
    assert [e.kind for e in incident.closure.history] == ["incident.closed", "incident.reopened"]
    record.tick(days=1)
    record.add("incident.closed", close)
    assert record.incident.closed


def test_crime_refs_are_collected_once_each(record: Record) -> None:
    record.add(
        "police.contact",
        {"route": "call_101", "spoken_to": "Call handler", "crime_refs": ["CR/1", "CR/2"]},
    )
    record.add(
        "police.contact", {"route": "pcso", "spoken_to": "PCSO Hill", "crime_refs": ["CR/2"]}
    )
    record.add("police.outcome", {"outcome": "outcome_21", "crime_ref": "CR/3"})
    assert record.incident.crime_refs == ("CR/1", "CR/2", "CR/3")


def _doc(kind: str, data: Any, **extra: Any) -> dict[str, Any]:
    doc = {
        "id": new_id(),
        "kind": kind,
        "at": "2026-11-09T09:00:00Z",
        "at_offset": "+00:00",
        "recorded_at": "2026-11-09T09:05:00Z",
        "by": "Someone",
        "by_role": "dsl",
        "data": data,
        "supersedes": None,
    }
    doc.update(extra)
    return doc


def test_hostile_stored_events_fold_without_crashing(policy: Policy) -> None:
    a, b = new_id(), new_id()
    docs = [
        _doc("pupil.added", {"pupil_id": 5, "name": ["x"], "parts": "pictured"}),
        _doc("pupil.added", {"name": "no id"}),
        _doc("pupil.updated", {"pupil_id": "nobody", "name": "x"}),
        _doc("trigger.answered", {"n": "one", "answer": "maybe"}),
        _doc("trigger.answered", {"n": 2, "answer": "maybe"}),
        _doc("decision", {"outcome": "shrug"}),
        _doc("decision", {"outcome": "in_school", "review_by": "tuesday", "refer_to": 3}),
        _doc("signoff", {"decision_id": "f" * 32, "payload_sha256": 7}),
        _doc("review.meeting", {"answers": ["x"], "held_at": None, "attendees": [1, 2]}),
        _doc("disclosure", {"disclosed_at": "not a time", "dsl_told_at": 12}),
        _doc("deletion.requested", {"pupil_id": "p1", "deadline": "2026-11-01T00:00:00"}),
        _doc("step.status", {"step_id": 3}),
        _doc("device.seized", {"description": "phone"}),
        _doc("alien.kind", {"anything": {"deep": [1, 2, {"x": None}]}}),
        _doc("note", {"text": "loop a"}, id=a, supersedes=b),
        _doc("note", {"text": "loop b"}, id=b, supersedes=a),
        _doc("note", {"text": "self"}, supersedes=None),
        _doc("note", {"text": "corrects nothing"}, supersedes="e" * 32),
        _doc("incident.closed", {}),
    ]
    events = [Event.from_doc(doc) for doc in docs]
    meta = new_incident_meta("2026-001", policy, now=START, by=DSL)
    incident = fold(meta, events)
    assert len(incident.timeline) == len(docs)
    assert incident.problems
    assert incident.triggers[2].answer == "unknown"
    assert incident.current_decision is not None
    assert incident.current_decision.review_by is None
    assert incident.closed
    assert {a, b} <= {e.event.id for e in incident.timeline if e.superseded}


def test_duplicate_ids_are_flagged(policy: Policy) -> None:
    doc = _doc("note", {"text": "twice"})
    events = [Event.from_doc(doc), Event.from_doc({**doc, "data": {"text": "other"}})]
    incident = fold(new_incident_meta("2026-001", policy, now=START, by=DSL), events)
    assert any("twice" in p.text for p in incident.problems)


kinds = st.sampled_from(
    [
        "note",
        "pupil.added",
        "pupil.updated",
        "trigger.answered",
        "decision",
        "signoff",
        "parents.informed",
        "deletion.requested",
        "deletion.confirmed",
        "viewing",
        "step.status",
        "incident.closed",
        "incident.reopened",
        "review.meeting",
        "disclosure",
        "police.contact",
        "csc.contact",
        "risk.answered",
        "concern.harm",
        "content.described",
        "x.y",
    ]
)
values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(-5, 20)
    | st.text(max_size=10)
    | st.sampled_from(["2026-11-09T09:00:00Z", "2010-01-01", "p1", "yes", "in_school"]),
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5), inner, max_size=3)
    ),
    max_leaves=10,
)
payloads = st.dictionaries(
    st.sampled_from(
        [
            "pupil_id",
            "name",
            "parts",
            "n",
            "answer",
            "outcome",
            "decision_id",
            "deadline",
            "step_id",
            "status",
            "answers",
            "text",
            "dob",
            "year_group",
            "crime_refs",
            "present",
            "acknowledgements",
            "disclosed_at",
            "type",
        ]
    ),
    values,
    max_size=6,
)


@pytest.mark.slow  # 150 generated records
@settings(deadline=None, max_examples=150)
@given(st.lists(st.tuples(kinds, payloads, st.integers(0, 10_000), st.booleans()), max_size=12))
def test_folding_arbitrary_valid_envelopes_never_crashes(
    entries: list[tuple[str, dict[str, Any], int, bool]],
) -> None:
    from ydsi_tui.model.policy import bundled_policy

    policy = bundled_policy()
    events: list[Event] = []
    for kind, data, minutes, corrects in entries:
        at = START + timedelta(minutes=minutes)
        doc = _doc(kind, data, at=at.strftime("%Y-%m-%dT%H:%M:%SZ"))
        if corrects and events:
            doc["supersedes"] = events[minutes % len(events)].id
        events.append(Event.from_doc(doc))
    meta = new_incident_meta("2026-001", policy, now=START, by=DSL)
    incident = fold(meta, events)
    assert len(incident.timeline) == len(events)
    assert len(incident.effective) <= len(events)


def test_an_update_dated_before_the_pupil_was_added_still_applies(record: Record) -> None:
    record.tick(hours=2)
    record.add("pupil.updated", {"pupil_id": "p1", "sen": True}, at=START)
    record.pupil("p1", "Amy Jones", parts=["pictured"], year_group=10)
    incident = record.incident
    assert incident.pupils["p1"].sen is True
    assert not incident.problems


def test_entries_at_the_same_moment_keep_the_order_they_were_written(record: Record) -> None:
    ids = [record.add("note", {"text": str(i)}).id for i in range(20)]
    assert [e.event.id for e in record.incident.timeline] == ids
