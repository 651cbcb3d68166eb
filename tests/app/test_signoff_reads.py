"""Issue 10 (finding 2) on the Headteacher's sign-off screen: what they sign, whole.

The model refuses a sign-off with a trigger unanswered and flags an override;
these tests check the screen says so before a key is touched, so the
Headteacher never signs something they were not shown.
"""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Any

import pytest
from textual.widgets import Input

from tests.app.conftest import CLOCK, PASS, MakeApp, Refs, open_incident, screen_text, settle
from tests.app.conftest import unlock as unlock_app
from tests.service.test_casebook import add_pupil
from ydsi_tui.app.screens.dialogs import ConfirmDialog, ErrorDialog, ReasonDialog
from ydsi_tui.app.screens.signoff import SignoffScreen
from ydsi_tui.app.widgets.panes import step_detail
from ydsi_tui.model import rules
from ydsi_tui.model.events import new_id
from ydsi_tui.service.factory import services_for
from ydsi_tui.service.policies import approve_policy_file, read_policy_file
from ydsi_tui.vault.vault import Vault

pytestmark = pytest.mark.slow


def services(vault: Path, user: str = "dsl") -> Any:
    return services_for(Vault.open(vault).unlock(user, PASS), clock=CLOCK)


async def test_a_trigger_not_answered_is_shown_and_nothing_can_be_signed(
    app_factory: MakeApp, refs: Refs
) -> None:
    app = app_factory(user="head")
    dsl = services(app.vault_path)
    dsl.cases.record(
        refs.signoff, "trigger.answered", {"n": 5, "answer": "unknown", "basis": "not asked yet"}
    )
    async with app.run_test(size=(110, 70)) as pilot:
        await unlock_app(pilot)
        await open_incident(pilot, refs.signoff)
        await pilot.press("o")
        await settle(pilot)
        assert isinstance(app.screen, SignoffScreen)
        text = screen_text(app)
        assert "Not answered yet: trigger(s) 5" in text
        assert "Cannot be signed" in text and "Trigger(s) 5 are not answered" in text
        await pilot.press("f2")
        await settle(pilot)
        assert not isinstance(app.screen, ConfirmDialog)
        assert isinstance(app.screen, ErrorDialog)
    view = services(app.vault_path, "head").cases.open(refs.signoff)
    assert not view.signoffs


def _allow_overrides(vault: Path, tmp_path: Path) -> None:
    """This school's policy file allows an override (the bundled one does not)."""
    raw = read_policy_file(bundled=True).raw.decode("utf-8")
    text = raw.replace("allow_trigger_override = false", "allow_trigger_override = true")
    text = re.sub(r'^version = "([^"]+)"', r'version = "\1-override"', text, count=1, flags=re.M)
    path = tmp_path / "override.toml"
    path.write_text(text, encoding="utf-8")
    os.chmod(path, 0o600)
    session = Vault.open(vault).unlock("dsl", PASS)
    approve_policy_file(session, read_policy_file(path))
    session.close()


async def test_an_override_its_reason_and_answers_against_the_record_are_shown(
    app_factory: MakeApp, tmp_path: Path
) -> None:
    app = app_factory(user="head")
    _allow_overrides(app.vault_path, tmp_path)
    book = services(app.vault_path).cases
    ref = book.create("Threats to share an image unless paid", "sextortion")
    book.record(ref, "adult.added", {"adult_id": new_id(), "name": "Unknown account online"})
    book.record(ref, "trigger.answered", {"n": 1, "answer": "yes", "basis": "An adult, online"})
    book.record(
        ref,
        "trigger.answered",
        {
            "n": 2,
            "answer": "no",
            "basis": "No threats made to the pupil",
            "reason_against_suggestion": "Kind chosen in error; to be corrected",
        },
    )
    for n in (3, 4, 5):
        book.record(ref, "trigger.answered", {"n": n, "answer": "no", "basis": "asked"})
    pupil = add_pupil(book, ref, "Cara Sample")
    book.record(
        ref,
        "risk.answered",
        {"pupil_id": pupil, "question_id": "why_shared", "answer": "Threatened by the account"},
    )
    book.record(
        ref,
        "decision",
        {
            "outcome": "in_school",
            "reason": "the account is closed",
            "override_reason": "Police advised the school to lead",
        },
    )
    async with app.run_test(size=(110, 80)) as pilot:
        await unlock_app(pilot)
        await open_incident(pilot, ref)
        await pilot.press("o")
        await settle(pilot)
        assert isinstance(app.screen, SignoffScreen)
        text = screen_text(app)
        assert "TRIGGER OVERRIDDEN" in text
        assert "Override reason: Police advised the school to lead" in text
        assert "The record suggests YES" in text
        assert "Why not: Kind chosen in error; to be corrected" in text
        assert "Where this program differs from the policy's text" in text
        assert "Not answered yet" not in text and "Cannot be signed" not in text
        # Issue 11, finding 8: the risk assessment it rests on, for each young person.
        assert "The risk assessment, for each young person" in text
        assert "Cara Sample" in text and "Threatened by the account" in text
        assert text.count("✗ not answered") == len(book.open(ref).policy.risk_questions) - 1


async def test_the_guide_shows_where_the_program_differs_from_the_text(
    app_factory: MakeApp, refs: Refs
) -> None:
    """The decision step carries the notes the policy file names for it, and no other."""
    view = services(app_factory().vault_path).cases.open(refs.signoff)
    by_id = {state.step.id: state for state in view.steps}
    decision = str(step_detail(view, by_id["decision"]))
    for note in view.policy.notes_for("decision"):
        assert note.text[:60] in " ".join(decision.split())
    assert "differs from the policy's text" not in str(step_detail(view, by_id["review_meeting"]))


async def test_the_headteacher_declines_with_a_reason_and_the_dsl_is_told(
    app_factory: MakeApp, refs: Refs
) -> None:
    """Issue 11, finding 8: the sign-off screen had no way to decline."""
    app = app_factory(user="head")
    async with app.run_test(size=(100, 40)) as pilot:
        await unlock_app(pilot)
        await open_incident(pilot, refs.signoff)
        await pilot.press("o")
        await settle(pilot)
        assert isinstance(app.screen, SignoffScreen)
        await pilot.press("f3")
        await settle(pilot)
        assert isinstance(app.screen, ReasonDialog)
        app.screen.query_one("#reason", Input).value = "Tell the parents first"
        await pilot.press("enter")
        await settle(pilot)
        assert not isinstance(app.screen, (SignoffScreen, ReasonDialog))
    view = services(app.vault_path).cases.open(refs.signoff)
    declined = rules.signoff_declined(view.incident)
    assert declined is not None and declined.text("reason") == "Tell the parents first"
    assert not view.signoffs
    dsl = app_factory()
    async with dsl.run_test(size=(100, 40)) as pilot:
        await unlock_app(pilot)
        text = screen_text(dsl)
        assert "declined to sign off" in text and refs.signoff in text
