"""The app tells the user when the policy file waits for a DSL's approval (as plain text)."""

from __future__ import annotations

from importlib import resources
from pathlib import Path
from typing import Any

import pytest

from tests.app.conftest import MakeApp, Refs, open_incident, screen_text, unlock
from ydsi_tui.app.app import YdsiApp

# A whole app session on a real vault per test, seconds each.
pytestmark = pytest.mark.slow


def spy(app: YdsiApp) -> list[tuple[str, Any]]:
    seen: list[tuple[str, Any]] = []
    original = app.notify

    def notify(message: str, **kwargs: Any) -> None:
        seen.append((message, kwargs.get("markup", True)))
        original(message, **kwargs)

    app.notify = notify  # type: ignore[method-assign]
    return seen


async def test_a_swapped_policy_file_is_shown_and_incidents_keep_the_approved_one(
    app_factory: MakeApp, refs: Refs, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    text = (
        resources.files("ydsi_tui.model")
        .joinpath("policies", "hindley-2016.toml")
        .read_text(encoding="utf-8")
    )
    swapped = tmp_path / "[bold]policy.toml"  # markup in the path must show as typed
    swapped.write_text(
        text.replace("trigger4_age_threshold = 17", "trigger4_age_threshold = 13"), encoding="utf-8"
    )
    monkeypatch.setenv("YDSI_POLICY", str(swapped))
    app = app_factory()
    seen = spy(app)
    async with app.run_test(notifications=True) as pilot:
        await unlock(pilot)
        warnings = [(m, markup) for m, markup in seen if "is not the approved one" in m]
        assert len(warnings) == 1 and warnings[0][1] is False
        assert str(swapped) in warnings[0][0]
        await open_incident(pilot, refs.chat)
        assert refs.chat in screen_text(app)  # every record still opens


async def test_the_approved_policy_file_gives_no_warning(app_factory: MakeApp) -> None:
    app = app_factory()
    seen = spy(app)
    async with app.run_test(notifications=True) as pilot:
        await unlock(pilot)
    assert not [m for m, _ in seen if "polic" in m.lower()]
