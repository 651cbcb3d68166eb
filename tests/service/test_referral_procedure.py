"""Issue 10, findings 1 to 3, through the service: real vaults, real signatures.

What the CLI's ``incident show --json`` and the home screen read comes from
here, so the status words and ``referral_required`` are checked where they
are made: on the stored summary and on an opened incident.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable
from pathlib import Path

import pytest

from ydsi_tui.model.errors import ValidationError
from ydsi_tui.model.events import new_id
from ydsi_tui.service.factory import Services
from ydsi_tui.service.policies import approve_policy_file, read_policy_file
from ydsi_tui.service.shapes import incident_json
from ydsi_tui.vault.vault import Vault

from .conftest import PASS, World
from .test_casebook import answer_triggers_no, cases

Make = Callable[[str], Services]


def test_decided_then_referred_only_once_the_contact_is_recorded(services: Make) -> None:
    book = cases(services)
    ref = book.create("an adult sent messages")
    book.record(ref, "adult.added", {"adult_id": new_id(), "name": "Unknown adult online"})
    book.record(ref, "trigger.answered", {"n": 1, "answer": "yes", "basis": "Adult in the chat"})
    book.record(ref, "decision", {"outcome": "refer", "refer_to": ["csc"], "reason": "Trigger 1"})
    row = book.rows()[0]
    assert row.status == "referral_decided" and row.referral_required
    shown = incident_json(book.open(ref))
    assert shown["status"] == "referral_decided"
    assert shown["referral_required"] is True
    assert shown["referral_outstanding"] == ["the police", "children's social care"]
    book.record(ref, "police.contact", {"route": "call_101", "spoken_to": "Call handler 12"})
    assert book.rows()[0].referral_required  # CSC, named by the decision, still owed
    book.record(ref, "csc.contact", {"type": "referral", "spoken_to": "MASH duty worker"})
    row = book.rows()[0]
    assert row.status == "referred" and not row.referral_required
    shown = incident_json(book.open(ref))
    assert shown["status"] == "referred" and shown["referral_required"] is False
    assert [r["agency"] for r in shown["referral"]["referrals"]] == ["police", "csc"]


def test_the_headteacher_cannot_sign_off_with_a_trigger_unanswered(services: Make) -> None:
    dsl = cases(services)
    ref = dsl.create("two 16-year-olds")
    for n in (1, 2, 3, 4):
        dsl.record(ref, "trigger.answered", {"n": n, "answer": "no", "basis": "asked both"})
    dsl.record(ref, "decision", {"outcome": "in_school", "reason": "no trigger applies"})
    head = cases(services, "head")
    with pytest.raises(ValidationError) as refused:
        head.sign_off(ref, "I agree")
    assert refused.value.field == "triggers" and "5" in refused.value.message
    dsl.record(ref, "trigger.answered", {"n": 5, "answer": "no", "basis": "no risk seen"})
    head.sign_off(ref, "I agree")
    assert not dsl.rows()[0].signoff_needed


def test_no_for_a_suggested_yes_needs_a_reason(services: Make) -> None:
    book = cases(services)
    ref = book.create("sextortion of a Year 10 pupil", kind="sextortion")
    assert book.open(ref).suggestions[1].answer == "yes"
    with pytest.raises(ValidationError) as refused:
        book.record(ref, "trigger.answered", {"n": 2, "answer": "no", "basis": "no threats"})
    assert refused.value.field == "reason_against_suggestion"
    book.record(
        ref,
        "trigger.answered",
        {
            "n": 2,
            "answer": "no",
            "basis": "no threats",
            "reason_against_suggestion": "Recorded as sextortion in error; being corrected",
        },
    )
    shown = incident_json(book.open(ref))
    t2 = next(t for t in shown["triggers"] if t["n"] == 2)
    assert t2["suggested"]["answer"] == "yes"
    assert t2["reason_against_suggestion"].startswith("Recorded as sextortion")


def test_an_allowed_override_is_flagged_and_counts_only_when_signed(
    world: World, services: Make, tmp_path: Path
) -> None:
    """A school whose policy file allows an override: the Headteacher's own sign-off."""
    bundled = read_policy_file(bundled=True)
    text = bundled.raw.decode("utf-8").replace(
        "allow_trigger_override = false", "allow_trigger_override = true"
    )
    path = tmp_path / "override.toml"
    path.write_text(
        re.sub(r'^version = "([^"]+)"', r'version = "\1-override"', text, count=1, flags=re.M)
    )
    os.chmod(path, 0o600)
    session = Vault.open(world.path).unlock("dsl", PASS)
    approve_policy_file(session, read_policy_file(path))
    session.close()

    dsl = cases(services)
    ref = dsl.create("adult involved; police asked the school to lead")
    answer_triggers_no(dsl, ref)
    dsl.record(ref, "trigger.answered", {"n": 1, "answer": "yes", "basis": "an adult, 19"})
    with pytest.raises(ValidationError) as refused:
        dsl.record(ref, "decision", {"outcome": "in_school", "reason": "manageable"})
    assert refused.value.field == "override_reason"
    dsl.record(
        ref,
        "decision",
        {"outcome": "in_school", "reason": "manageable", "override_reason": "police advised"},
    )
    row = dsl.rows()[0]
    assert row.status == "in_school_override" and row.trigger_overridden
    assert row.referral_required  # until the Headteacher's own sign-off
    cases(services, "head").sign_off(ref, "I agree to the override")
    row = dsl.rows()[0]
    assert not row.referral_required
    assert row.status == "in_school_override" and row.trigger_overridden
