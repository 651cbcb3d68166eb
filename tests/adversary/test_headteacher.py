"""The Headteacher as adversary: the case key, their own signing key, group file access.

The review's H2 reproduction: a DSL notes "Headteacher told me not to refer
to the police; I disagree", and the Headteacher deletes it with a normal
save of their own. Format 1 showed the record without the note and `verify`
said intact. A Headteacher's genuine sign-off, made with their own enrolled
key through ``CaseBook.sign_off``, must still count.
"""

from __future__ import annotations

import pytest

from tests.support.adversary import (
    CRITICAL_NOTE,
    DSL,
    HEAD,
    REWRITES,
    Checks,
    World,
    decide_in_school,
    enrolment_helper,
    event_claiming,
    expect_intact,
    rewrite_case_history,
)
from ydsi_tui.model import rules


@pytest.mark.parametrize("how", REWRITES)
def test_headteacher_cannot_rewrite_the_dsls_notes(world: World, how: str) -> None:
    """H2: the note criticising the Headteacher deleted, edited, moved, re-attributed, cut."""
    before = world.genuine()
    ref = world.incidents[0]
    assert any(CRITICAL_NOTE in n.text("text") for n in world.cases(DSL).open(ref).incident.notes)
    checks = rewrite_case_history(world, HEAD, ref, how)
    expect_intact(world, checks, before, lost=(ref,))
    checks.finish()


def test_headteacher_entry_claiming_the_dsl_is_shown_as_the_headteacher(world: World) -> None:
    """A note added with stored by="Dee Ess-Ell", by_role="dsl" is shown as Sam Head's."""
    before = world.genuine()
    ref = world.incidents[0]
    head = world.unlock(HEAD)
    claimed = event_claiming(
        "note", {"text": "I withdraw my concern; the Headteacher's advice was right"}, DSL
    )
    with head.transaction("case", ref) as db:
        db.table("events", cache_size=0).insert(claimed.to_doc())
    checks = Checks("headteacher", "note claiming to be the DSL's")
    view = world.cases(DSL).open(ref)
    shown = view.incident.events_by_id.get(claimed.id)
    checks.attack("the note is shown", shown is not None)
    if shown is not None:
        checks.attack("by Sam Head", shown.by == HEAD.full_name, f"by {shown.by!r}")
        checks.attack("as the headteacher", shown.by_role == "headteacher", f"{shown.by_role!r}")
    checks.same(
        "the DSL's earlier entries are all there",
        tuple(e for e in world.genuine((ref,))[ref].entries if e[0] != claimed.id),
        before[ref].entries,
    )
    expect_intact(world, checks, before, lost=(ref,))
    report = world.verify()
    checks.keep("verify ok (an honest, audited save)", report.ok, "; ".join(report.problems))
    checks.finish()


def test_genuine_signoff_by_the_enrolled_headteacher_counts(world: World) -> None:
    """Control: ``CaseBook.sign_off`` by the Headteacher, with their own key, clears the flag."""
    ref = world.incidents[1]
    decide_in_school(world, ref)
    before = world.genuine()
    assert world.cases(DSL).rows()[0].signoff_needed or any(
        r.signoff_needed for r in world.cases(DSL).rows() if r.ref == ref
    )
    event = world.cases(HEAD).sign_off(ref, "I agree this can be handled in school.")
    checks = Checks("headteacher", f"genuine sign-off (staff joined by {enrolment_helper()})")
    view = world.cases(DSL).open(ref)
    check = view.signoffs.get(event.id)
    checks.keep("the sign-off verifies", check is not None and check.valid, repr(check))
    checks.keep("no sign-off is needed any more", not rules.signoff_needed(view.incident))
    world.cases(DSL).note(ref, "Headteacher agreed; plan shared with parents")
    row = next(r for r in world.cases(DSL).rows() if r.ref == ref)
    checks.keep("the list agrees after the DSL's next note", not row.signoff_needed, repr(row))
    expect_intact(world, checks, before, lost=(ref,))
    report = world.verify()
    checks.keep("verify ok", report.ok, "; ".join(report.problems))
    checks.finish()
