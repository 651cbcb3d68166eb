"""Issue 10, finding 8 on screen: the current advice for a sextortion incident.

The Guide shows the advice above every step; asking a pupil to delete the
imagery is refused in the form with the reason; once the police's agreement
is recorded the Guide says who agreed and when.
"""

from __future__ import annotations

from typing import Any

import pytest
from textual.pilot import Pilot
from textual.widgets import Static

from tests.app.conftest import CLOCK, PASS, MakeApp, open_incident, screen_text, settle, unlock
from tests.app.test_flows import choose, fill
from ydsi_tui.app.screens.dialogs import ErrorDialog
from ydsi_tui.app.screens.forms import FormScreen
from ydsi_tui.app.screens.incident import IncidentScreen
from ydsi_tui.app.widgets.panes import GuidePane
from ydsi_tui.model.events import new_id
from ydsi_tui.service.factory import services_for
from ydsi_tui.vault.vault import Vault

pytestmark = pytest.mark.slow


def _seed_sextortion(app: Any) -> tuple[str, str]:
    session = Vault.open(app.vault_path).unlock("dsl", PASS)
    try:
        cases = services_for(session, clock=CLOCK).cases
        ref = cases.create("Year 10 boy blackmailed for money over a photo", "sextortion")
        pupil = new_id()
        cases.record(
            ref,
            "pupil.added",
            {"pupil_id": pupil, "name": "Carl Young", "sex": "male", "parts": ["pictured"],
             "sen": False, "year_group": 10},
        )  # fmt: skip
    finally:
        session.close()
    return ref, pupil


def _agree(app: Any, ref: str) -> None:
    session = Vault.open(app.vault_path).unlock("dsl", PASS)
    try:
        services_for(session, clock=CLOCK).cases.record(
            ref, "deletion.police_agreed", {"officer": "DC Sam Reid, online abuse team"}
        )
    finally:
        session.close()


def _detail(app: Any) -> str:
    """The Guide's step text, whole (the screen wraps it inside a box)."""
    return str(app.screen.query_one("#step-text", Static).content)


async def _deletion_step(pilot: Pilot[Any]) -> None:
    pilot.app.screen.query_one(GuidePane).highlight("deletion")
    await settle(pilot)


async def test_sextortion_advice_on_the_guide_and_deletion_refused_in_the_form(
    app_factory: MakeApp,
) -> None:
    app = app_factory()
    ref, pupil = _seed_sextortion(app)
    async with app.run_test(size=(120, 50)) as pilot:
        await unlock(pilot)
        await open_incident(pilot, ref)
        assert isinstance(app.screen, IncidentScreen)
        assert "⚠ Current advice: Sextortion" in screen_text(app)
        detail = _detail(app)
        assert "⚠ Current advice: Sextortion (financially motivated sexual extortion)" in detail
        assert "Keep the evidence: do not delete" in detail
        assert "Do not pay" in detail
        assert "✗ No deletion unless the police agree: record who agreed, and when" in detail
        await _deletion_step(pilot)
        await pilot.press("a")
        await settle(pilot)
        await choose(pilot, "deletion.requested")
        assert isinstance(app.screen, FormScreen)
        await fill(pilot, "pupil_id", pupil)
        await fill(pilot, "deadline", "+2d")
        await fill(pilot, "told_illegal", "yes")
        await pilot.press("f2")
        await settle(pilot)
        dialog = app.screen
        assert isinstance(dialog, ErrorDialog)  # refused, with the reason: nothing saved
        assert "the evidence must be kept" in dialog.message
        assert "unless the police agree" in dialog.message
        await pilot.press("escape")
        await settle(pilot)
        assert isinstance(app.screen, FormScreen)  # the form is kept, nothing lost
        kinds = [e.event.kind for e in app.screen.app.services.cases.open(ref).incident.timeline]
        assert "deletion.requested" not in kinds


async def test_the_guide_names_who_agreed_to_deletion(app_factory: MakeApp) -> None:
    app = app_factory()
    ref, _ = _seed_sextortion(app)
    _agree(app, ref)
    async with app.run_test(size=(120, 50)) as pilot:
        await unlock(pilot)
        await open_incident(pilot, ref)
        assert "⚠ Current advice: Sextortion" in screen_text(app)
        detail = _detail(app)
        assert "The police agreed to deletion: DC Sam Reid, online abuse team" in detail
        assert "No deletion unless" not in detail
