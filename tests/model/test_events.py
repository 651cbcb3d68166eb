"""Entries: checked against their schema on the way in, stored and read back exactly."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ydsi_tui.model.errors import ValidationError
from ydsi_tui.model.events import Event, make_event, new_id
from ydsi_tui.model.policy import Policy
from ydsi_tui.model.schema import INCIDENT_SCHEMAS, SCHEMAS

from .support import START

SUMMER = datetime(2026, 7, 1, 10, 0, tzinfo=UTC)
NOW = SUMMER


def make(kind: str, data: dict[str, Any], policy: Policy, **kw: Any) -> Event:
    options: dict[str, Any] = {"at": START, "now": START, "by": "Dana Lee", "by_role": "dsl"}
    options.update(kw)
    return make_event(kind, data, policy=policy, **options)


def test_a_note_is_built_with_both_times_and_the_offset(policy: Policy) -> None:
    at = SUMMER - timedelta(hours=3)
    event = make("note", {"text": "Spoke to Amy."}, policy, at=at, now=SUMMER)
    assert event.at == at
    assert event.at.tzinfo is UTC
    assert event.recorded_at == SUMMER
    assert event.at_offset == "+01:00"
    assert len(event.id) == 32
    assert int(event.id, 16) >= 0
    assert event.supersedes is None
    assert not event.is_correction
    assert event.data["text"] == "Spoke to Amy."


def test_event_data_cannot_be_changed_afterwards(policy: Policy) -> None:
    event = make(
        "review.meeting",
        {"held_at": START, "attendees": ["Dana Lee"], "answers": {"immediate_risk": "None"}},
        policy,
    )
    with pytest.raises(TypeError):
        event.data["extra"] = 1  # type: ignore[index]
    assert isinstance(event.data["attendees"], tuple)
    assert hash(event) == hash(event)


def test_doc_round_trip_is_exact_and_json_safe(policy: Policy) -> None:
    event = make(
        "decision",
        {
            "outcome": "refer",
            "refer_to": ["police", "csc"],
            "reason": "Trigger 1 applies",
            "input_from": ["Sam Patel"],
            "review_by": START + timedelta(days=7),
        },
        policy,
    )
    doc = event.to_doc()
    text = json.dumps(doc)
    back = Event.from_doc(json.loads(text))
    assert back == event
    assert back.to_doc() == doc
    assert doc["at"] == "2026-11-09T09:00:00Z"
    assert doc["data"]["review_by"] == "2026-11-16T09:00:00Z"
    assert doc["data"]["refer_to"] == ["police", "csc"]


def test_the_future_is_refused(policy: Policy) -> None:
    with pytest.raises(ValidationError) as info:
        make("note", {"text": "x"}, policy, at=START + timedelta(minutes=5))
    assert info.value.field == "at"
    with pytest.raises(ValidationError) as info:
        make(
            "disclosure",
            {
                "discloser_type": "friend",
                "to_whom": "Mr Brown",
                "how": "In person",
                "disclosed_at": START + timedelta(hours=1),
            },
            policy,
        )
    assert info.value.field == "disclosed_at"


@pytest.mark.parametrize(
    ("kind", "data", "field"),
    [
        ("incident.opened", {"summary": "x", "kind": "gossip"}, "kind"),
        ("incident.opened", {"summary": "   ", "kind": "other"}, "summary"),
        ("incident.opened", {"kind": "other"}, "summary"),
        ("note", {"text": "x", "colour": "red"}, "colour"),
        ("note", {"text": 5}, "text"),
        (
            "pupil.added",
            {"pupil_id": "p1", "name": "Amy", "sex": "female", "parts": ["pictured"], "sen": False},
            "dob",
        ),
        (
            "pupil.added",
            {
                "pupil_id": "p1",
                "name": "Amy",
                "sex": "female",
                "year_group": 15,
                "parts": ["pictured"],
                "sen": False,
            },
            "year_group",
        ),
        (
            "pupil.added",
            {
                "pupil_id": "p1",
                "name": "Amy",
                "sex": "female",
                "year_group": 9,
                "parts": ["photographed"],
                "sen": False,
            },
            "parts[0]",
        ),
        (
            "pupil.added",
            {
                "pupil_id": "p1",
                "name": "Amy",
                "sex": "female",
                "year_group": 9,
                "parts": ["sent", "sent"],
                "sen": False,
            },
            "parts",
        ),
        (
            "pupil.added",
            {
                "pupil_id": "p1",
                "name": "Amy",
                "sex": "female",
                "year_group": 9,
                "parts": ["sent"],
                "sen": "no",
            },
            "sen",
        ),
        (
            "pupil.added",
            {
                "pupil_id": "p 1",
                "name": "Amy",
                "sex": "female",
                "year_group": 9,
                "parts": ["sent"],
                "sen": False,
            },
            "pupil_id",
        ),
        (
            "pupil.added",
            {
                "pupil_id": "p1",
                "name": "Amy",
                "sex": "female",
                "dob": "2026-01-01",
                "parts": ["sent"],
                "sen": False,
            },
            "dob",
        ),
        ("pupil.updated", {"pupil_id": "p1"}, "pupil_id"),
        ("trigger.answered", {"n": 6, "answer": "yes", "basis": "x"}, "n"),
        ("trigger.answered", {"n": 1, "answer": "yes"}, "basis"),
        ("trigger.answered", {"n": True, "answer": "no", "basis": "x"}, "n"),
        ("decision", {"outcome": "refer"}, "refer_to"),
        ("decision", {"outcome": "in_school"}, "reason"),
        ("decision", {"outcome": "in_school", "reason": "x", "refer_to": ["police"]}, "refer_to"),
        ("decision", {"outcome": "refer", "refer_to": ["mi5"]}, "refer_to[0]"),
        ("decision", {"outcome": "in_school", "reason": "x", "review_by": START}, "review_by"),
        ("decision.reviewed", {"decision_id": "nothex", "outcome": "confirmed"}, "decision_id"),
        ("decision.reviewed", {"decision_id": "a" * 32, "outcome": "escalated"}, "note"),
        ("review.meeting", {"held_at": START, "attendees": [], "answers": {}}, "attendees"),
        (
            "review.meeting",
            {"held_at": START, "attendees": ["A"], "answers": {"weather": "fine"}},
            "answers.weather",
        ),
        (
            "risk.answered",
            {"pupil_id": "p1", "question_id": "favourite_colour", "answer": "x"},
            "question_id",
        ),
        ("step.status", {"step_id": "police", "status": "later"}, "reason"),
        ("step.status", {"step_id": "lunch", "status": "done"}, "step_id"),
        (
            "parents.not_informed",
            {"pupil_id": "p1", "reason": "x", "agreed_with": "me"},
            "agreed_with",
        ),
        (
            "deletion.requested",
            {"pupil_id": "p1", "deadline": START - timedelta(hours=1), "told_illegal": True},
            "deadline",
        ),
        ("police.contact", {"route": "carrier_pigeon", "spoken_to": "PC Hill"}, "route"),
        (
            "police.contact",
            {"route": "call_101", "spoken_to": "PC Hill", "crime_refs": "CR123"},
            "crime_refs",
        ),
        ("csc.contact", {"type": "email", "spoken_to": "Jo"}, "type"),
        (
            "disclosure",
            {
                "discloser_type": "friend",
                "to_whom": "Mr B",
                "how": "said",
                "disclosed_at": START - timedelta(hours=1),
                "dsl_told_at": START - timedelta(hours=2),
            },
            "dsl_told_at",
        ),
        (
            "disclosure",
            {
                "discloser_type": "friend",
                "to_whom": "Mr B",
                "how": "said",
                "disclosed_at": "2026-11-09T08:00:00",
            },
            "disclosed_at",
        ),
        (
            "content.described",
            {"description": "see C:\\pics\\a.jpg", "sexual_acts": "no", "violent": "no"},
            "description",
        ),
        ("device.handover", {"officer_id": "4471"}, "officer"),
        (
            "device.seized",
            {"description": "Phone", "owner": "AMY-1", "powered_off": True},
            "seized_by",
        ),
        ("lunch", {}, "kind"),
    ],
)
def test_payloads_are_refused_naming_the_field(
    policy: Policy, kind: str, data: dict[str, Any], field: str
) -> None:
    with pytest.raises(ValidationError) as info:
        make(kind, data, policy)
    assert info.value.field == field
    assert info.value.message


def test_roles(policy: Policy) -> None:
    with pytest.raises(ValidationError) as info:
        make("note", {"text": "x"}, policy, by_role="technician")
    assert info.value.field == "by_role"
    with pytest.raises(ValidationError):
        make("note", {"text": "x"}, policy, by_role="janitor")
    device = make(
        "device.locked", {"where": "IT office safe"}, policy, by="Chris Tech", by_role="technician"
    )
    assert device.by_role == "technician"
    signoff = {
        "decision_id": "a" * 32,
        "statement": "Agreed",
        "signature": "c2ln",
        "key_id": "head-2026",
        "payload_sha256": "b" * 64,
    }
    with pytest.raises(ValidationError) as info:
        make("signoff", signoff, policy, by_role="dsl")
    assert "Headteacher" in info.value.message
    assert make("signoff", signoff, policy, by_role="headteacher").kind == "signoff"


def test_corrections_and_ids(policy: Policy) -> None:
    original = make("note", {"text": "Told on Monday"}, policy)
    fixed = make("note", {"text": "Told on Tuesday"}, policy, supersedes=original.id)
    assert fixed.is_correction
    assert fixed.supersedes == original.id
    chosen = new_id()
    assert make("note", {"text": "x"}, policy, event_id=chosen).id == chosen
    with pytest.raises(ValidationError):
        make("note", {"text": "x"}, policy, supersedes="not-an-id")
    with pytest.raises(ValidationError):
        make("note", {"text": "x"}, policy, event_id=chosen, supersedes=chosen)


def test_dates_and_times_are_normalised_text_is_not(policy: Policy) -> None:
    event = make(
        "pupil.added",
        {
            "pupil_id": "p1",
            "name": "  Amy  [b]Jones[/b]\n",
            "dob": date(2010, 5, 4),
            "sex": "female",
            "parts": ["pictured", "sent"],
            "sen": False,
            "vulnerabilities": "",
        },
        policy,
    )
    assert event.data["dob"] == "2010-05-04"
    assert event.data["name"] == "  Amy  [b]Jones[/b]\n"


def test_every_kind_has_a_schema_and_optional_fields_may_be_omitted() -> None:
    for kind, fields in SCHEMAS.items():
        assert fields, kind
    assert "viewing" in INCIDENT_SCHEMAS
    assert "device.seized" not in INCIDENT_SCHEMAS


HOSTILE = [
    "[b]Ann[/b] [link=file:///etc]x[/link] [/]",
    "\x1b[31mred\x1b[0m\x1b]8;;http://x\x1b\\link\x1b]8;;\x1b\\",
    "nul\x00byte\x00",
    "שלום עולם \u202eRTL override\u202c ‎mark",
    "\r\n\t  trailing  ",
    "Zalgo: Z̴̡̛a̸l̷g̶o̵",
]


@pytest.mark.parametrize("text", [*HOSTILE, "".join(HOSTILE)], ids=range(len(HOSTILE) + 1))
def test_hostile_text_round_trips_unchanged(policy: Policy, text: str) -> None:
    event = make("note", {"text": text}, policy, by="[i]Dana[/i] \x1b[1mLee")
    back = Event.from_doc(json.loads(json.dumps(event.to_doc(), ensure_ascii=False)))
    assert back.data["text"] == text
    assert back.by == "[i]Dana[/i] \x1b[1mLee"
    assert back == event


def test_hundred_kilobytes_of_hostile_text_is_kept(policy: Policy) -> None:
    text = ("".join(HOSTILE) * 1000)[:100_000]
    assert len(text) == 100_000
    event = make("note", {"text": text}, policy)
    assert Event.from_doc(event.to_doc()).data["text"] == text


def _valid_doc(policy: Policy) -> dict[str, Any]:
    return make("note", {"text": "x"}, policy).to_doc()


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"id": "xyz"}, "id"),
        ({"id": None}, "id"),
        ({"kind": "DROP TABLE"}, "kind"),
        ({"at": "yesterday"}, "at"),
        ({"at": "2026-11-09T09:00:00"}, "at"),
        ({"recorded_at": 5}, "recorded_at"),
        ({"at_offset": "+1"}, "at_offset"),
        ({"by": ""}, "by"),
        ({"by_role": "root"}, "by_role"),
        ({"supersedes": "zz"}, "supersedes"),
        ({"data": []}, "data"),
        ({"data": {"x": float("nan")}}, "data.x"),
        ({"data": {"x": object()}}, "data.x"),
        ({"v": 99}, "v"),
    ],
)
def test_from_doc_refuses_malformed_documents(
    policy: Policy, change: dict[str, Any], field: str
) -> None:
    doc = {**_valid_doc(policy), **change}
    with pytest.raises(ValidationError) as info:
        Event.from_doc(doc)
    assert info.value.field == field


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=20),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner),
    max_leaves=20,
)


@pytest.mark.slow  # 300 generated documents
@settings(deadline=None, max_examples=300)
@given(
    st.dictionaries(
        st.sampled_from(
            [
                "v",
                "id",
                "kind",
                "at",
                "at_offset",
                "recorded_at",
                "by",
                "by_role",
                "data",
                "supersedes",
                "extra",
            ]
        ),
        json_values,
    )
)
def test_from_doc_on_arbitrary_documents_only_raises_validation_error(doc: dict[str, Any]) -> None:
    try:
        event = Event.from_doc(doc)
    except ValidationError:
        return
    assert event.at.tzinfo is UTC


@settings(deadline=None, max_examples=200)
@given(st.text(min_size=1, max_size=300))
def test_make_event_on_arbitrary_text_keeps_it_or_refuses_it(text: str) -> None:
    from ydsi_tui.model.policy import bundled_policy

    try:
        event = make("note", {"text": text}, bundled_policy())
    except ValidationError as err:
        field = err.field
        assert field == "text"
        return
    assert Event.from_doc(event.to_doc()).data["text"] == text


def test_a_corrections_reason_is_stored_and_read_back() -> None:
    """Issue 11, finding 8: corrections had no reason field."""
    first = make_event("note", {"text": "spoke to mum"}, at=NOW, now=NOW, by="Dana", by_role="dsl")
    fixed = make_event(
        "note", {"text": "spoke to dad"}, at=NOW, now=NOW, by="Dana", by_role="dsl",
        supersedes=first.id, correction_reason="  It was his father  ",
    )  # fmt: skip
    assert fixed.correction_reason == "It was his father"
    assert Event.from_doc(fixed.to_doc()) == fixed
    assert "correction_reason" not in first.to_doc()  # older readers see the same shape
    with pytest.raises(ValidationError):
        make_event("note", {"text": "x"}, at=NOW, now=NOW, by="Dana", by_role="dsl",
                   correction_reason="not a correction")  # fmt: skip
    planted = {**first.to_doc(), "correction_reason": "not a correction"}
    with pytest.raises(ValidationError):
        Event.from_doc(planted)
