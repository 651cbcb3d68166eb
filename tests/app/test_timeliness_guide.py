"""Issue 10 (finding 7) in the Guide: step 7 from the custody log, optional items, time limits.

The audit's walk: step 7 stayed "✗ Each device confiscated…" after the device
log showed the phone handed to the police, and the police step ticked an
optional outcome nobody had recorded. Each limit a step is held to is shown
with the step's guidance, with the policy's own words beside it.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from textual.widgets import OptionList, Static

from tests.app.conftest import CLOCK, PASS, MakeApp, Refs, open_incident, settle
from tests.app.conftest import unlock as unlock_app
from tests.app.test_reports import to_tool
from ydsi_tui.app.screens.inspection import InspectionScreen
from ydsi_tui.app.widgets.panes import step_detail
from ydsi_tui.app.widgets.table import RecordTable
from ydsi_tui.service.factory import services_for
from ydsi_tui.vault.vault import Vault

pytestmark = pytest.mark.slow


def services(vault: Path, user: str = "dsl") -> Any:
    return services_for(Vault.open(vault).unlock(user, PASS), clock=CLOCK)


def detail(vault: Path, ref: str, step_id: str) -> str:
    view = services(vault).cases.open(ref)
    state = next(s for s in view.steps if s.step.id == step_id)
    return " ".join(str(step_detail(view, state)).split())


async def test_step_7_ticks_once_the_log_shows_the_phone_handed_over(
    app_factory: MakeApp, refs: Refs
) -> None:
    app = app_factory()
    services(app.vault_path).cases.record(
        refs.referral, "police.contact", {"route": "call_101", "spoken_to": "Call handler 7"}
    )
    custody = "Each device confiscated, turned off and locked up until the police collect it"
    assert f"✗ {custody}" in detail(app.vault_path, refs.referral, "devices")
    services(app.vault_path, "tech").devices.record(
        refs.device,
        "device.handover",
        {"officer": "PC Example 123", "crime_ref": "AB/1", "handed_over_by": "Tom Tech"},
    )
    async with app.run_test(size=(120, 50)) as pilot:
        await unlock_app(pilot)
        await open_incident(pilot, refs.referral)
        steps = app.screen.query_one("#steps", OptionList)
        view = app.screen.view  # type: ignore[attr-defined]
        steps.highlighted = next(i for i, s in enumerate(view.steps) if s.step.id == "devices")
        await settle(pilot)
        shown = " ".join(str(app.screen.query_one("#step-text", Static).content).split())
        assert f"✔ {custody}" in shown
        assert "✔ done" in shown


def test_an_optional_outcome_never_recorded_is_not_ticked(app_factory: MakeApp, refs: Refs) -> None:
    vault = app_factory().vault_path
    services(vault).cases.record(
        refs.referral, "police.contact", {"route": "call_101", "spoken_to": "Call handler 7"}
    )
    shown = detail(vault, refs.referral, "police")
    assert "✔ How the police were contacted" in shown
    assert "○ The outcome the police give" in shown
    assert "✔ The outcome the police give" not in shown


def test_each_steps_time_limits_are_shown_with_the_policys_words(
    app_factory: MakeApp, refs: Refs
) -> None:
    vault = app_factory().vault_path
    disclosure = detail(vault, refs.chat, "disclosure")
    assert "Time limits:" in disclosure
    assert "The DSL told of the disclosure: the same school day" in disclosure
    assert "“as soon as possible”" in disclosure
    parents = detail(vault, refs.chat, "parents")
    assert "the same or the next school day" in parents and "“at an early stage”" in parents
    decision = detail(vault, refs.chat, "decision")
    assert "within 1 hour" in decision and "“immediately”" in decision
    assert "Time limits:" not in detail(vault, refs.chat, "review_meeting")


async def test_the_inspection_check_shows_each_incidents_times_and_limits(
    app_factory: MakeApp, refs: Refs
) -> None:
    """The chat incident: disclosed Friday 08:00, the DSL told at 09:00 the same day."""
    app = app_factory()
    async with app.run_test(size=(120, 40)) as pilot:
        await unlock_app(pilot)
        await to_tool(pilot, "1")
        screen = app.screen
        assert isinstance(screen, InspectionScreen) and screen.report is not None
        times = [i for i in screen.items if i.ref == refs.chat and i.kind in ("time", "late")]
        told = next(i for i in times if i.text.startswith("Disclosure to the DSL"))
        assert told.kind == "time"
        assert "from Fri 13/11/2026 08:00 GMT to Fri 13/11/2026 09:00 GMT (60 min)" in told.text
        parents = [i for i in times if i.text.startswith("Parents or carers of young person")]
        assert len(parents) == 2 and all(i.kind == "time" for i in parents)  # due end of Monday
        assert all("not yet recorded (due Tue 17/11/2026 00:00 GMT)" in i.text for i in parents)
        table = screen.query_one("#inspection-table", RecordTable)
        table.move_cursor(row=screen.items.index(told))
        await settle(pilot)
        shown = " ".join(str(screen.query_one("#inspection-detail", Static).content).split())
        assert "Limit: The DSL told of the disclosure: the same school day" in shown
        assert "“as soon as possible”" in shown
