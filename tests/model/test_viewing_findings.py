"""Issue 10, finding 6 (a truthful viewing log) and finding 5's staff support.

Each test is a scenario from the audit (domain-audit-2026-12.md 1.10 and
1.11, ux-walk-2026-12.md scenario E), written against the model alone:

* a teacher shown the image by a pupil is an unavoidable sighting, not a
  viewing that breaks three rules, and support for them is then due;
* a deliberate viewing states every condition (nothing is assumed);
* a deliberate viewing that broke a condition is escalated until the
  Headteacher's own (verified) acknowledgement is recorded;
* support follows the viewing or sighting by entry id, never by name.
"""

from __future__ import annotations

import dataclasses
from typing import Any

import pytest

from ydsi_tui.model.errors import ValidationError
from ydsi_tui.model.events import Event
from ydsi_tui.model.policy import Policy
from ydsi_tui.model.rules import inspection, obligations, overdue, step_states

from .support import DSL, HEAD, Record

LOWE = "Mrs Karen Lowe"


def viewing(**changes: Any) -> dict[str, Any]:
    """A deliberate viewing that meets every condition of the policy."""
    data: dict[str, Any] = {
        "viewer": DSL,
        "viewer_role": "dsl",
        "present": [f"{HEAD} (Headteacher)"],
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


def sighting(**changes: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "seen_by": LOWE,
        "how": "A pupil held up her phone to show her at the end of a science lesson",
        "actions": "Did not look again; told the pupil to put the phone away; came to the DSL",
        "pupil_id": "p1",
    }
    data.update(changes)
    return data


def support(after: Event, name: str = LOWE) -> dict[str, Any]:
    return {"after_id": after.id, "staff_name": name, "what": "Talked it through; EAP number"}


def acknowledge(record: Record, target: Event, *, verified: bool = True) -> Event:
    """The Headteacher's acknowledgement; ``verified`` stands for the vault's check of its save."""
    event = record.add(
        "viewing.acknowledged",
        {"viewing_id": target.id, "note": "Discussed with the DSL; the office was in use"},
        by=HEAD,
        by_role="headteacher",
    )
    if verified:
        event = dataclasses.replace(event, verified=True)
        record.events[-1] = event
    return event


def codes(record: Record, policy: Policy) -> list[str]:
    return [flag.code for flag in overdue(record.incident, policy, record.now)]


def viewing_step(record: Record, policy: Policy) -> list[str]:
    return {s.step.id: s for s in step_states(record.incident, policy)}["viewing"].missing


def missing_for(record: Record, policy: Policy, question: str) -> list[str]:
    found = {f.question.id: f for f in inspection(record.incident, policy)}
    return found[question].missing


@pytest.fixture
def started(record: Record) -> Record:
    record.open()
    record.pupil("p1", "Amy Jones", parts=["pictured"], year_group=10)
    return record


# ---------------------------------------------------------- 1. a sighting


def test_an_unavoidable_sighting_breaks_no_rule_and_asks_no_headteacher_question(
    started: Record, policy: Policy
) -> None:
    """The audit's teacher: shown the image in class, recorded as what happened."""
    seen = started.add("sighting", sighting())
    incident = started.incident
    assert [e.event_id for e in incident.sightings] == [seen.id]
    assert incident.viewings == ()
    # No decision to view, so no condition to break and nothing for the Headteacher.
    assert "viewing_breach" not in codes(started, policy)
    missing = viewing_step(started, policy)
    assert not any("rule" in text.casefold() for text in missing)
    assert not any("Headteacher" in text for text in missing)
    # It asks only who, how and what was done: "discussed with the Headteacher
    # first?" is no field of it at all.
    with pytest.raises(ValidationError) as info:
        started.add("sighting", sighting(head_consulted=False))
    assert info.value.field == "head_consulted"


def test_support_after_a_sighting_is_an_obligation_until_recorded(
    started: Record, policy: Policy
) -> None:
    seen = started.add("sighting", sighting())
    flags = [f for f in obligations(started.incident, policy) if f.code == "staff_support_due"]
    assert len(flags) == 1 and flags[0].due_at == seen.at
    assert LOWE not in flags[0].text  # lists are read over shoulders: no names
    assert "staff_support_due" in codes(started, policy)
    assert "Support offered to each member of staff who viewed the imagery" in (
        viewing_step(started, policy)
    )
    started.tick(minutes=30)
    started.add("staff.support_offered", support(seen))
    assert "staff_support_due" not in codes(started, policy)
    assert viewing_step(started, policy) == []


def test_a_viewing_for_the_unavoidable_reason_is_refused_and_points_to_a_sighting(
    started: Record,
) -> None:
    with pytest.raises(ValidationError) as info:
        started.add("viewing", viewing(reason_id="unavoidable"))
    assert info.value.field == "reason_id"
    assert "unavoidable sighting" in info.value.message


# --------------------------------------- 2. every condition stated, no defaults


@pytest.mark.parametrize(
    "condition",
    ["not_copied", "on_premises", "same_sex", "head_consulted", "distress_considered",
     "viewer_role"],
)  # fmt: skip
def test_a_deliberate_viewing_states_every_condition(started: Record, condition: str) -> None:
    """The CLI stored not_copied: true for everyone; the model now refuses an unstated one."""
    data = viewing()
    del data[condition]
    with pytest.raises(ValidationError) as info:
        started.add("viewing", data)
    assert info.value.field == condition


# ------------------------------------------- 3. a breach goes to the Headteacher


def broken(record: Record) -> Event:
    """The audit's deliberate viewing: the DSL alone, not discussed, not the same sex."""
    return record.add(
        "viewing",
        viewing(
            present=[],
            head_consulted=False,
            same_sex="no",
            acknowledgements={
                "another_present": "Nobody free at lunchtime",
                "head_consulted": "The Headteacher was off site",
                "same_sex": "No female member of the team in school",
            },
        ),
    )


def test_a_viewing_that_broke_a_condition_is_escalated_until_the_head_acknowledges(
    started: Record, policy: Policy
) -> None:
    viewed = broken(started)
    flags = [
        f for f in overdue(started.incident, policy, started.now) if f.code == "viewing_breach"
    ]
    assert len(flags) == 1 and "3 of the policy's conditions" in flags[0].text
    assert "Headteacher" in flags[0].text
    item = (
        "Each deliberate viewing that broke a condition of the policy acknowledged by the "
        "Headteacher"
    )
    assert item in viewing_step(started, policy)
    assert any(
        "acknowledged by the Headteacher" in m
        for m in missing_for(started, policy, "sound_decisions")
    )

    started.tick(hours=2)
    acknowledge(started, viewed)
    assert "viewing_breach" not in codes(started, policy)
    assert item not in viewing_step(started, policy)
    assert not any(
        "acknowledged by the Headteacher" in m
        for m in missing_for(started, policy, "sound_decisions")
    )


def test_a_viewing_that_met_every_condition_is_not_escalated(
    started: Record, policy: Policy
) -> None:
    started.add("viewing", viewing())
    assert "viewing_breach" not in codes(started, policy)
    assert not any(
        "acknowledged by the Headteacher" in m
        for m in missing_for(started, policy, "sound_decisions")
    )


def test_not_copied_answered_no_is_escalated_like_any_broken_condition(
    started: Record, policy: Policy
) -> None:
    """The walk: "not copied? No" was one more "why" line and went nowhere."""
    started.add(
        "viewing",
        viewing(not_copied=False, acknowledgements={"never_copy": "A screenshot was taken"}),
    )
    assert "viewing_breach" in codes(started, policy)


def test_only_the_headteacher_may_acknowledge_and_only_a_verified_one_counts(
    started: Record, policy: Policy
) -> None:
    viewed = broken(started)
    with pytest.raises(ValidationError) as info:
        started.add(
            "viewing.acknowledged",
            {"viewing_id": viewed.id, "note": "Fine"},
            by=HEAD,
            by_role="dsl",
        )
    assert info.value.field == "by_role"
    forged = acknowledge(started, viewed, verified=False)
    assert started.incident.viewing_acknowledgements == ()
    assert "viewing_breach" in codes(started, policy)
    assert any(p.event_id == forged.id for p in started.incident.problems)


def test_the_escalation_outlives_closing(started: Record, policy: Policy) -> None:
    broken(started)
    started.add(
        "incident.closed",
        {"summary": "s", "actions": "a", "outcome": "o", "rationale": "r", "gaps_reason": "test"},
    )
    assert "viewing_breach" in codes(started, policy)


def test_an_acknowledgement_of_another_viewing_does_not_count(
    started: Record, policy: Policy
) -> None:
    first = broken(started)
    started.tick(hours=1)
    broken(started)
    acknowledge(started, first)
    assert codes(started, policy).count("viewing_breach") == 1


# ------------------------------------------- 4. support by entry id, not by name


def test_support_follows_the_viewing_by_id_whatever_the_name_typed(
    started: Record, policy: Policy
) -> None:
    """The walk: "Mrs Karen Lowe (science teacher)" did not match "Mrs Karen Lowe"."""
    seen = started.add("sighting", sighting())
    started.add("staff.support_offered", support(seen, name=f"{LOWE} (science teacher)"))
    assert "Support offered to each member of staff who viewed the imagery" not in (
        viewing_step(started, policy)
    )


def test_support_named_alike_but_after_another_viewing_does_not_count(
    started: Record, policy: Policy
) -> None:
    first = started.add("sighting", sighting())
    started.tick(hours=1)
    started.add("sighting", sighting(how="Shown again the next day by another pupil"))
    started.add("staff.support_offered", support(first))
    flags = [
        f for f in overdue(started.incident, policy, started.now) if f.code == "staff_support_due"
    ]
    assert len(flags) == 1


def test_support_is_refused_without_the_entry_it_follows(started: Record) -> None:
    with pytest.raises(ValidationError) as info:
        started.add("staff.support_offered", {"staff_name": LOWE, "what": "A chat"})
    assert info.value.field == "after_id"


def test_support_still_follows_a_corrected_viewing(started: Record, policy: Policy) -> None:
    seen = started.add("sighting", sighting())
    started.add("staff.support_offered", support(seen))
    started.tick(minutes=5)
    started.add(
        "sighting", sighting(actions="Came straight to the DSL's office"), supersedes=seen.id
    )
    assert "staff_support_due" not in codes(started, policy)


def test_support_naming_no_viewing_of_this_record_is_a_problem(started: Record) -> None:
    note = started.add("note", {"text": "Spoke to the pupil's form tutor"})
    entry = started.add("staff.support_offered", support(note))
    assert any(p.event_id == entry.id for p in started.incident.problems)
