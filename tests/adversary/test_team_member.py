"""A safeguarding team member as adversary: the case key, their own signing key, group access.

Team members read and add to incidents. The review (H1, H2) showed that,
holding the case key, they could rewrite any incident's history through the
normal API, attribute entries to the DSL, and write a Headteacher sign-off
that the vault counted.
"""

from __future__ import annotations

import pytest

from tests.support.adversary import (
    CRITICAL_NOTE,
    DSL,
    REWRITES,
    TEAM,
    Checks,
    World,
    decide_in_school,
    encode_over,
    event_claiming,
    expect_intact,
    expect_signoff_not_counted,
    expect_unvouched,
    forge_signoff,
    plain_write,
    rewrite_case_history,
)


@pytest.mark.parametrize("how", REWRITES)
def test_team_member_cannot_rewrite_an_incidents_history(world: World, how: str) -> None:
    """H2: delete, edit, reorder, re-attribute or cut the DSL's entries in a normal save."""
    before = world.genuine()
    ref = world.incidents[0]
    checks = rewrite_case_history(world, TEAM, ref, how)
    expect_intact(world, checks, before, lost=(ref,))
    checks.finish()


def test_team_member_entry_claiming_the_dsl_shows_the_team_member(world: World) -> None:
    """An added note whose stored author is the DSL is shown with its saver's name and role."""
    before = world.genuine()
    ref = world.incidents[1]
    team = world.unlock(TEAM)
    claimed = event_claiming("note", {"text": "DSL agreed no referral is needed"}, DSL)
    with team.transaction("case", ref) as db:
        db.table("events", cache_size=0).insert(claimed.to_doc())
    checks = Checks("team", "note claiming to be the DSL's")
    view = world.cases(DSL).open(ref)
    shown = view.incident.events_by_id.get(claimed.id)
    checks.attack("the note is shown", shown is not None)
    if shown is not None:
        checks.attack("by the team member's name", shown.by == TEAM.full_name, f"by {shown.by!r}")
        checks.attack("in the team role", shown.by_role == TEAM.role, f"{shown.by_role!r}")
    expect_intact(world, checks, before, lost=(ref,))
    checks.finish()


@pytest.mark.parametrize("signature", ["zero", "own-key"])
def test_team_member_signoff_does_not_count(world: World, signature: str) -> None:
    """H1: a sign-off "by Sam Head" written with the team member's case key."""
    ref = world.incidents[0]
    decide_in_school(world, ref)
    before = world.genuine()
    event = forge_signoff(world.unlock(TEAM), ref, signature=signature)
    checks = Checks("team", f"forged Headteacher sign-off ({signature} signature)")
    expect_signoff_not_counted(world, checks, ref, event.id)
    expect_intact(world, checks, before, lost=(ref,))
    after = world.genuine((ref,))[ref]
    checks.same(
        "every earlier entry of the incident is kept",
        after.entries[: len(before[ref].entries)],
        before[ref].entries,
    )
    report = world.verify()
    checks.keep("verify ok (honest, audited saves)", report.ok, "; ".join(report.problems))
    checks.finish()


def test_team_member_case_file_written_outside_the_protocol_is_refused(world: World) -> None:
    """The team member re-encrypts the incident under the right key, with the critical
    note gone, and renames it into place without any audit entry."""
    before = world.genuine()
    ref = world.incidents[0]
    team = world.unlock(TEAM)
    snapshot = team.read("case", ref, log=False)
    body = {k: dict(v) for k, v in snapshot.tables.items() if k != "_summary"}
    body["events"] = {k: v for k, v in body["events"].items() if CRITICAL_NOTE not in str(v)}
    target = world.file("case", ref)
    plain_write(
        target,
        encode_over(
            team, target, key_compartment="case", summary=snapshot.tables["_summary"], body=body
        ),
    )
    checks = Checks("team", "case file re-encrypted with the case key, outside the protocol")
    expect_unvouched(world, checks, "case", ref)
    expect_intact(world, checks, before, lost=(ref,))
    checks.finish()
