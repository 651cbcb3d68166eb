"""The DSL as adversary against the Headteacher's sign-off.

SECURITY.md: the Headteacher's sign-off of a decision not to refer out is a
signature "a DSL, who holds the case key, still cannot make". The review
(H1) showed a DSL making one that counted, with an all-zero signature or
with the DSL's own key. The DSL may not delete a genuine one either.
"""

from __future__ import annotations

import base64

import pytest

from tests.support.adversary import (
    DSL,
    HEAD,
    Checks,
    World,
    decide_in_school,
    expect_intact,
    expect_save_visible,
    expect_signoff_not_counted,
    forge_signoff,
    honest_client_refuses,
    own_client,
    rewrite_events,
)
from ydsi_tui.model.events import new_id


@pytest.mark.parametrize("signature", ["zero", "own-key"])
def test_dsl_signoff_in_the_headteachers_name_does_not_count(world: World, signature: str) -> None:
    """H1: by="Sam Head", by_role="headteacher", signed with nothing or the DSL's own key."""
    ref = world.incidents[0]
    decide_in_school(world, ref)
    before = world.genuine()
    event = forge_signoff(world.unlock(DSL), ref, signature=signature)
    checks = Checks("dsl", f"sign-off forged in the Headteacher's name ({signature})")
    expect_signoff_not_counted(world, checks, ref, event.id)
    expect_intact(world, checks, before, lost=(ref,))
    report = world.verify()
    checks.keep("verify ok (honest, audited saves)", report.ok, "; ".join(report.problems))
    checks.finish()


def test_genuine_signoff_replayed_onto_a_new_decision_does_not_count(world: World) -> None:
    """The DSL copies the Headteacher's real sign-off (a valid signature) onto a later decision."""
    ref = world.incidents[1]
    decide_in_school(world, ref)
    real = world.cases(HEAD).sign_off(ref, "I agree this can be handled in school.")
    second = world.cases(DSL).record(
        ref, "decision", {"outcome": "in_school", "reason": "New facts; still in school"}
    )
    before = world.genuine()
    doc = real.to_doc()
    doc["id"] = new_id()
    doc["data"]["decision_id"] = second.id
    dsl = world.unlock(DSL)
    with dsl.transaction("case", ref) as db:
        db.table("events", cache_size=0).insert(doc)
    checks = Checks("dsl", "genuine sign-off replayed onto a new decision")
    expect_signoff_not_counted(world, checks, ref, doc["id"])
    view = world.cases(DSL).open(ref)
    genuine = view.signoffs.get(real.id)
    checks.keep(
        "the Headteacher's real sign-off still verifies",
        bool(genuine and genuine.valid),
        repr(genuine),
    )
    expect_intact(world, checks, before, lost=(ref,))
    checks.finish()


def test_dsl_cannot_delete_or_alter_a_genuine_signoff(world: World) -> None:
    """Deleting, re-signing or re-attributing the Headteacher's sign-off is a rewrite."""
    ref = world.incidents[0]
    decide_in_school(world, ref)
    world.cases(HEAD).sign_off(ref, "I agree this can be handled in school.")
    before = world.genuine()
    dsl = world.unlock(DSL)
    checks = Checks("dsl", "genuine sign-off deleted")
    checks.attack(
        "ydsi's own client refused the deletion", honest_client_refuses(dsl, "case", ref, "delete")
    )
    with own_client(dsl, "case", ref) as db:
        rewrite_events(db, "delete", target='"signoff"')
    book = world.cases(DSL)
    checks.refused("dsl CaseBook.open after deleting it", lambda: book.open(ref), contains=None)
    head = world.cases(HEAD)
    checks.refused("headteacher CaseBook.open", lambda: head.open(ref), contains=None)
    expect_save_visible(world, checks, dsl, "case", ref)
    expect_intact(world, checks, before, lost=(ref,))
    checks.finish()


def test_dsl_signature_swapped_into_a_genuine_signoff_is_refused(world: World) -> None:
    """The DSL replaces the signature of the Headteacher's real sign-off with their own."""
    ref = world.incidents[0]
    decide_in_school(world, ref)
    real = world.cases(HEAD).sign_off(ref, "I agree this can be handled in school.")
    before = world.genuine()
    dsl = world.unlock(DSL)
    key_id, raw = dsl.sign(b"anything")
    with own_client(dsl, "case", ref) as db:
        table = db.table("events", cache_size=0)
        for doc in table.all():
            if doc["id"] == real.id:
                data = {
                    **doc["data"],
                    "key_id": key_id,
                    "signature": base64.b64encode(raw).decode(),
                }
                table.update({"data": data}, doc_ids=[doc.doc_id])
    checks = Checks("dsl", "genuine sign-off's signature replaced")
    book = world.cases(DSL)
    checks.refused("dsl CaseBook.open", lambda: book.open(ref), contains=None)
    expect_save_visible(world, checks, dsl, "case", ref)
    expect_intact(world, checks, before, lost=(ref,))
    checks.finish()
