"""The DSL as adversary against the Headteacher's acknowledgement of a broken viewing.

Issue 10, finding 6: a deliberate viewing that broke a condition of the
policy is escalated (the Headteacher's home, Needs attention, the inspection
check) until the Headteacher acknowledges it. The DSL who viewed it is the
person with most reason to clear that, and holds the case key: they can write
any entry, saying any author, and recompute the summary beside it. What they
cannot do is sign a save with the Headteacher's own key, and only that counts.
Each attack uses only what the DSL holds: their passphrase and the files.
"""

from __future__ import annotations

import dataclasses

import pytest

from tests.support.adversary import (
    DSL,
    HEAD,
    Checks,
    World,
    event_claiming,
    expect_intact,
)
from ydsi_tui.model import rules
from ydsi_tui.model.events import Event, new_id
from ydsi_tui.model.folding import fold
from ydsi_tui.model.incident import IncidentMeta
from ydsi_tui.model.policy import bundled_policy
from ydsi_tui.service.records import append_event, read_events, read_meta_doc, write_summary
from ydsi_tui.service.reports.inspection import inspection_report
from ydsi_tui.vault.errors import AccessDenied


def broken_viewing(world: World, ref: str) -> Event:
    """The DSL viewed the imagery alone, without discussing it with the Headteacher."""
    return world.cases(DSL).record(
        ref,
        "viewing",
        {
            "viewer": DSL.full_name,
            "viewer_role": "dsl",
            "present": [],
            "where": "the DSL's office",
            "on_premises": True,
            "reason_id": "only_way_to_decide",
            "head_consulted": False,
            "same_sex": "yes",
            "distress_considered": True,
            "not_copied": True,
            "actions": "Decided to refer to the police",
            "acknowledgements": {
                "head_consulted": "The Headteacher was at a conference",
                "another_present": "Nobody else was free",
            },
        },
    )


def forge_acknowledgement(world: World, ref: str, viewing_id: str) -> Event:
    """An acknowledgement "by Sam Head" saved by the DSL's own client, summary recomputed.

    The forger's summary counts it (as if verified), so a list that believed
    summaries would drop the flag.
    """
    event = event_claiming(
        "viewing.acknowledged",
        {"viewing_id": viewing_id, "note": "Acknowledged; no further action"},
        HEAD,
    )
    session = world.unlock(DSL)
    with session.transaction("case", ref) as db:
        tables = db.storage.read() or {}
        meta = IncidentMeta.from_doc(read_meta_doc(tables))
        events, _ = read_events(tables)
        append_event(db, event)
        believed = [*events, dataclasses.replace(event, verified=True)]
        write_summary(db, rules.summarize(fold(meta, believed), bundled_policy()), "incident")
    return event


def expect_still_escalated(world: World, checks: Checks, ref: str, viewing_id: str) -> None:
    """Wherever the Headteacher (or an inspector) looks, the viewing is still escalated."""
    view = world.cases(HEAD).open(ref)
    open_ids = [v.event_id for v, _ in rules.unacknowledged_breaches(view.incident, view.policy)]
    checks.attack("the incident still has the viewing unacknowledged", viewing_id in open_ids)
    checks.attack(
        "the incident's overdue list still has viewing_breach",
        "viewing_breach" in [flag.code for flag in view.overdue],
    )
    report = inspection_report(world.cases(HEAD))
    item = next(i for i in report.incidents if i.ref == ref)
    checks.attack(
        "the inspection check still lists it",
        any(
            "Headteacher has not acknowledged a deliberate viewing" in text for text in item.overdue
        ),
        repr(item.overdue),
    )
    world.cases(DSL).note(ref, "Checked in with the pupil's form tutor")
    attention = world.cases(HEAD).attention()
    checks.attack(
        "Needs attention still has it after the DSL's next entry",
        any(
            r == ref and "Headteacher has not acknowledged a deliberate viewing" in text
            for r, text in attention
        ),
        repr(attention),
    )


def test_the_dsl_cannot_acknowledge_through_ydsi(world: World) -> None:
    ref = world.incidents[0]
    viewing = broken_viewing(world, ref)
    checks = Checks("dsl", "acknowledge a broken viewing through ydsi's own service")
    try:
        world.cases(DSL).record(
            ref, "viewing.acknowledged", {"viewing_id": viewing.id, "note": "Fine"}
        )
    except AccessDenied as exc:
        checks.attack(
            "CaseBook.record refuses the DSL", "only the Headteacher" in str(exc), str(exc)
        )
    else:
        checks.attack("CaseBook.record refuses the DSL", False, "accepted")
    expect_still_escalated(world, checks, ref, viewing.id)
    checks.finish()


def test_an_acknowledgement_forged_in_the_headteachers_name_does_not_count(world: World) -> None:
    ref = world.incidents[0]
    viewing = broken_viewing(world, ref)
    before = world.genuine()
    forged = forge_acknowledgement(world, ref, viewing.id)
    checks = Checks("dsl", "acknowledgement written 'by Sam Head' with the DSL's key")
    expect_still_escalated(world, checks, ref, viewing.id)
    view = world.cases(DSL).open(ref)
    checks.attack(
        "the forged entry is named as not verified",
        any(p.event_id == forged.id and "not verified" in p.text for p in view.incident.problems),
    )
    shown = next(t.event for t in view.incident.timeline if t.event.id == forged.id)
    checks.same("the forged entry is shown as the DSL's", shown.by_role, "dsl")
    expect_intact(world, checks, before, lost=(ref,))
    checks.finish()


def test_a_genuine_acknowledgement_replayed_onto_another_viewing_does_not_count(
    world: World,
) -> None:
    """The Headteacher acknowledged one viewing; the DSL copies it onto a second."""
    ref = world.incidents[1]
    first = broken_viewing(world, ref)
    real = world.cases(HEAD).record(
        ref, "viewing.acknowledged", {"viewing_id": first.id, "note": "Discussed; it stands"}
    )
    second = broken_viewing(world, ref)
    doc = real.to_doc()
    doc["id"] = new_id()
    doc["data"]["viewing_id"] = second.id
    with world.unlock(DSL).transaction("case", ref) as db:
        db.table("events", cache_size=0).insert(doc)
    checks = Checks("dsl", "genuine acknowledgement replayed onto another viewing")
    expect_still_escalated(world, checks, ref, second.id)
    view = world.cases(DSL).open(ref)
    checks.keep(
        "the Headteacher's real acknowledgement still counts for the first viewing",
        rules.acknowledgement_of(view.incident, first.id) is not None,
    )
    checks.finish()


@pytest.mark.parametrize("who", ["head"])
def test_the_headteachers_own_acknowledgement_counts(world: World, who: str) -> None:
    """The control: the same entry saved by the Headteacher clears every flag."""
    ref = world.incidents[0]
    viewing = broken_viewing(world, ref)
    world.cases(HEAD).record(
        ref, "viewing.acknowledged", {"viewing_id": viewing.id, "note": "Discussed with the DSL"}
    )
    view = world.cases(DSL).open(ref)
    assert rules.unacknowledged_breaches(view.incident, view.policy) == []
    assert "viewing_breach" not in [flag.code for flag in view.overdue]
    row = next(r for r in world.cases(DSL).rows() if r.ref == ref)
    assert "viewing_breach" not in [flag.code for flag in row.overdue]
