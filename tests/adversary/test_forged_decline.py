"""A team member as adversary against the Headteacher's refusal to sign (issue 11, finding 8).

A refusal keeps the decision waiting and tells the DSL at once, and the
inspection check lists it. Anyone holding the case key (a team member, a
DSL) could write an entry saying "the Headteacher declined", with a modified
client, and recompute the summary beside it. What they cannot do is sign the
save with the Headteacher's own key, and only that counts. The attack uses
only what the team member holds: their passphrase and the files.
"""

from __future__ import annotations

import dataclasses

from tests.support.adversary import DSL, HEAD, TEAM, Checks, World, event_claiming
from ydsi_tui.model import rules
from ydsi_tui.model.folding import fold
from ydsi_tui.model.incident import IncidentMeta
from ydsi_tui.model.policy import bundled_policy
from ydsi_tui.service.records import append_event, read_events, read_meta_doc, write_summary


def test_a_team_members_forged_refusal_counts_for_nothing(world: World) -> None:
    ref = world.incidents[0]
    dsl = world.cases(DSL)
    for n in range(1, 6):
        dsl.record(ref, "trigger.answered", {"n": n, "answer": "no", "basis": "asked both"})
    decision = dsl.record(ref, "decision", {"outcome": "in_school", "reason": "none apply"})
    forged = event_claiming(
        "signoff.declined", {"decision_id": decision.id, "reason": "Refer it instead"}, HEAD
    )
    session = world.unlock(TEAM)
    with session.transaction("case", ref) as db:
        tables = db.storage.read() or {}
        meta = IncidentMeta.from_doc(read_meta_doc(tables))
        events, _ = read_events(tables)
        append_event(db, forged)
        believed = [*events, dataclasses.replace(forged, verified=True)]
        write_summary(db, rules.summarize(fold(meta, believed), bundled_policy()), "incident")
    checks = Checks("team", "a refusal 'by the Headteacher' saved with their own key")
    view = world.cases(DSL).open(ref)
    checks.attack("the incident shows no refusal", rules.signoff_declined(view.incident) is None)
    checks.attack(
        "the forged entry is named as a problem",
        any(
            forged.id == problem.event_id and "not verified" in problem.text
            for problem in view.incident.problems
        ),
        repr(view.incident.problems),
    )
    checks.attack(
        "the decision still waits for the Headteacher, not for a revision",
        "signoff_waiting" in [flag.code for flag in view.overdue]
        and "signoff_declined" not in [flag.code for flag in view.overdue],
    )
    world.cases(HEAD).sign_off(ref, "I agree")  # and the real Headteacher can still sign
    checks.attack("the Headteacher's sign-off counts", not dsl.rows()[0].signoff_needed)
    checks.finish()
