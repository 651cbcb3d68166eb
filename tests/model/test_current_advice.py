"""Issue 10, finding 8: current national advice as data, not labels.

Sextortion: keep the evidence, do not pay, do not delete, stop contact, report;
no deletion entry is accepted until the police's agreement is recorded (who,
when). AI-generated or altered imagery: still youth-produced sexual imagery.
Police routes 999 and CEOP beside 101; support routes offered to each pictured
young person (or a reason), as a checklist item.

Expected words come from the national advice as the domain audit reports it
(domain-audit-2026-12.md, section 2), never from the code under test.
"""

from __future__ import annotations

from datetime import timedelta

import pytest

from ydsi_tui.model.advice import (
    advice_for,
    check_deletion,
    deletion_withheld,
    police_deletion_agreement,
)
from ydsi_tui.model.errors import ValidationError
from ydsi_tui.model.events import Event, make_event
from ydsi_tui.model.incident import Incident
from ydsi_tui.model.policy import Policy, load_bundled
from ydsi_tui.model.rules import gaps, inspection, step_states

from .support import DSL, HEAD, Record, policy_with

BOTH = pytest.mark.parametrize("name", ["hindley-2016", "ukcis-2024"])


def _next(record: Record, kind: str, data: dict[str, object]) -> Event:
    """The entry the service would be asked to add next (not yet in the record)."""
    return make_event(
        kind, data, at=record.now, now=record.now, by=DSL, by_role="dsl", policy=record.policy
    )


def _sextortion(record: Record) -> Record:
    record.open(kind="sextortion", summary="Boy in Year 10 blackmailed for money over a photo")
    record.pupil("p1", "Carl Young", parts=["pictured"], year_group=10, sex="male")
    return record


def _deletion_request(record: Record) -> Event:
    return _next(
        record,
        "deletion.requested",
        {"pupil_id": "p1", "deadline": record.now + timedelta(days=1), "told_illegal": True},
    )


@BOTH
def test_sextortion_shows_the_advice_in_words(name: str) -> None:
    policy = load_bundled(name)
    incident = _sextortion(Record(policy)).incident
    advice = advice_for(incident, policy)
    assert advice is not None
    words = " ".join(advice.points).lower()
    for needed in ("do not pay", "do not delete", "evidence", "block", "ceop", "999", "101"):
        assert needed in words, needed
    assert advice.deletion_needs_police_agreement


@BOTH
def test_peer_sharing_has_no_kind_advice(name: str) -> None:
    policy = load_bundled(name)
    record = Record(policy)
    record.open(kind="peer_sharing")
    assert advice_for(record.incident, policy) is None


@BOTH
def test_ai_imagery_is_still_treated_as_youth_produced_sexual_imagery(name: str) -> None:
    policy = load_bundled(name)
    record = Record(policy)
    record.open(kind="ai_generated", summary="A faked nude of a Year 8 girl made with an app")
    advice = advice_for(record.incident, policy)
    assert advice is not None
    words = " ".join(advice.points).lower()
    assert "youth-produced sexual imagery" in words
    assert "illegal" in words
    assert "even when it does not look real" in words
    assert not advice.deletion_needs_police_agreement  # the usual procedure applies


@BOTH
@pytest.mark.parametrize(
    ("kind", "extra"),
    [
        ("deletion.requested", None),
        ("deletion.confirmed", {"pupil_id": "p1", "how": "Showed me the empty gallery"}),
        ("deletion.search", {"pupil_id": "p1", "reason": "To remove it before it spreads"}),
    ],
)
def test_sextortion_refuses_every_deletion_entry_until_the_police_agree(
    name: str, kind: str, extra: dict[str, object] | None
) -> None:
    policy = load_bundled(name)
    record = _sextortion(Record(policy))
    event = _deletion_request(record) if extra is None else _next(record, kind, extra)
    with pytest.raises(ValidationError) as refused:
        check_deletion(record.incident, policy, event)
    message = str(refused.value)
    assert "police agree" in message and "evidence" in message


def test_police_agreement_is_recorded_with_who_and_when(record: Record, policy: Policy) -> None:
    _sextortion(record)
    assert deletion_withheld(record.incident, policy) is not None
    record.tick(hours=2)
    agreed = record.add(
        "deletion.police_agreed",
        {"officer": "PC Jo Hart, online CSE team", "crime_ref": "CR/2026/1234"},
    )
    incident = record.incident
    found = police_deletion_agreement(incident)
    assert found is not None
    assert found.text("officer") == "PC Jo Hart, online CSE team"
    assert found.at == agreed.at == record.now
    assert deletion_withheld(incident, policy) is None
    check_deletion(incident, policy, _deletion_request(record))  # now accepted


def test_the_agreement_names_someone(record: Record, policy: Policy) -> None:
    _sextortion(record)
    with pytest.raises(ValidationError):
        record.add("deletion.police_agreed", {"officer": "  "})


def test_peer_sharing_deletion_is_not_withheld(record: Record, policy: Policy) -> None:
    record.open(kind="peer_sharing")
    record.pupil("p1", "Amy Jones", parts=["pictured"], year_group=10)
    check_deletion(record.incident, policy, _deletion_request(record))


def test_a_kind_changed_to_sextortion_later_withholds_deletion(
    record: Record, policy: Policy
) -> None:
    record.open(kind="peer_sharing")
    record.pupil("p1", "Carl Young", parts=["pictured"], year_group=10, sex="male")
    record.add("incident.kind", {"kind": "sextortion"})
    with pytest.raises(ValidationError):
        check_deletion(record.incident, policy, _deletion_request(record))


def _in_school_sextortion(record: Record) -> Incident:
    """Sextortion handled in school (triggers answered no with reasons): the worst case."""
    _sextortion(record)
    record.content()
    for n in range(1, 6):
        data: dict[str, object] = {"n": n, "answer": "no", "basis": "From the pupil"}
        if n in (1, 2):
            data["reason_against_suggestion"] = "Another pupil, not an adult, as far as we know"
        record.add("trigger.answered", data)
    record.add(
        "decision",
        {"outcome": "in_school", "reason": "A classmate, not an adult", "input_from": [HEAD]},
    )
    return record.incident


def test_the_deletion_step_is_not_asked_for_while_deletion_is_withheld(
    record: Record, policy: Policy
) -> None:
    incident = _in_school_sextortion(record)
    deletion = next(s for s in step_states(incident, policy) if s.step.id == "deletion")
    assert deletion.state == "skipped_by_rule"
    assert not [g for g in gaps(incident, policy) if g.step_id == "deletion"]
    timely = next(f for f in inspection(incident, policy) if f.question.id == "timely_action")
    assert "Deletion asked for and confirmed, where handled in school" not in timely.missing


def test_after_the_police_agree_the_deletion_step_applies_again(
    record: Record, policy: Policy
) -> None:
    _in_school_sextortion(record)
    record.add("deletion.police_agreed", {"officer": "DC Sam Reid"})
    deletion = next(s for s in step_states(record.incident, policy) if s.step.id == "deletion")
    assert deletion.state != "skipped_by_rule"
    assert deletion.missing  # now each young person must be asked, told and confirmed


def test_a_policy_without_the_rule_does_not_withhold(record: Record, policy_text: str) -> None:
    rule = "deletion_needs_police_agreement = "
    lenient = policy_with(policy_text, rule + "true", rule + "false")
    record.policy = lenient
    _sextortion(record)
    check_deletion(record.incident, lenient, _deletion_request(record))


# -------------------------------------------------------------- police routes


@BOTH
def test_police_routes_include_999_and_ceop_beside_101(name: str) -> None:
    policy = load_bundled(name)
    routes = {choice.id: choice.label for choice in policy.police_routes}
    assert {"call_101", "call_999", "ceop"} <= set(routes)
    assert "999" in routes["call_999"] and "immediate danger" in routes["call_999"]
    assert "CEOP" in routes["ceop"]


def test_a_999_call_is_a_police_contact(record: Record, policy: Policy) -> None:
    record.open(kind="sextortion")
    record.add("police.contact", {"route": "call_999", "spoken_to": "Call handler, Operator 42"})
    record.add("police.contact", {"route": "ceop", "spoken_to": "CEOP online report form"})
    assert [c.route for c in record.incident.police_contacts] == ["call_999", "ceop"]


# -------------------------------------------------------------- support routes


SUPPORT_ITEM = (
    "Support and reporting routes (Report Remove, Take It Down, CEOP, Childline) offered "
    "to each young person pictured, or why not"
)


def _closing(incident: Incident, policy: Policy) -> list[str]:
    return next(s for s in step_states(incident, policy) if s.step.id == "closing").missing


@BOTH
def test_support_routes_are_offered_to_each_pictured_pupil(name: str) -> None:
    policy = load_bundled(name)
    assert {"report_remove", "take_it_down", "ceop", "childline"} <= {
        choice.id for choice in policy.support_routes
    }
    record = Record(policy)
    record.open()
    record.pupil("p1", "Amy Jones", parts=["pictured"], year_group=10)
    record.pupil("p2", "Ben Hall", parts=["pictured", "sent"], year_group=10, sex="male")
    record.pupil("p3", "Cara Dee", parts=["received"], year_group=10)
    assert SUPPORT_ITEM in _closing(record.incident, policy)
    record.add("support.route", {"pupil_id": "p1", "route": "report_remove"})
    assert SUPPORT_ITEM in _closing(record.incident, policy)  # Ben: nothing yet
    record.add("support.route", {"route": "take_it_down"})  # for nobody in particular
    assert SUPPORT_ITEM in _closing(record.incident, policy)
    record.add(
        "support.not_offered",
        {"pupil_id": "p2", "reason": "Police asked us to wait until they have spoken to him"},
    )
    # Cara received it and is not pictured: the item does not wait for her.
    assert SUPPORT_ITEM not in _closing(record.incident, policy)


def test_a_reason_not_offered_must_be_given(record: Record, policy: Policy) -> None:
    record.open()
    record.pupil("p1", "Amy Jones", parts=["pictured"], year_group=10)
    with pytest.raises(ValidationError):
        record.add("support.not_offered", {"pupil_id": "p1", "reason": ""})


def test_no_pupils_does_not_tick_support_routes(record: Record, policy: Policy) -> None:
    record.open()
    assert SUPPORT_ITEM in _closing(record.incident, policy)
