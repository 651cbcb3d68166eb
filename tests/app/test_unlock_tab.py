"""Choosing a user moves the focus to the passphrase; the habitual Tab must not undo that.

Seen in the walk-through (issue 11): after picking a user in the list the
focus jumped to the passphrase, the user pressed Tab out of habit, it wrapped
back to the user list, the passphrase went into the list and Enter reopened it.
"""

from __future__ import annotations

import pytest
from textual.widgets import Input, Select

from tests.app.conftest import PASS, MakeApp, settle
from ydsi_tui.app.screens.home import HomeScreen
from ydsi_tui.app.screens.unlock import UnlockScreen

# A whole app session on a real vault per test, seconds each.
pytestmark = pytest.mark.slow


async def _choose(pilot, app, name: str) -> None:  # type: ignore[no-untyped-def]
    """Open the user list and go down it until ``name`` is chosen (by keyboard alone)."""
    select = app.screen.query_one("#user", Select)
    for downs in range(1, 6):
        select.focus()
        await pilot.press("enter", *["down"] * downs, "enter")
        await settle(pilot)
        if select.value == name:
            return
    raise AssertionError(f"{name} is not in the user list")


async def test_tab_right_after_choosing_a_user_stays_in_the_passphrase(
    app_factory: MakeApp,
) -> None:
    app = app_factory(user="somebody-else")
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        assert isinstance(app.screen, UnlockScreen)
        await _choose(pilot, app, "head")
        passphrase = app.screen.query_one("#passphrase", Input)
        assert app.focused is passphrase
        await pilot.press("tab")  # habit
        await settle(pilot)
        assert app.focused is passphrase
        await pilot.press(*PASS, "enter")
        await settle(pilot)
        assert isinstance(app.screen, HomeScreen)
        assert app.session is not None and app.session.name == "head"  # type: ignore[attr-defined]


async def test_tab_still_moves_on_once_something_was_typed(app_factory: MakeApp) -> None:
    app = app_factory(user="somebody-else")
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await _choose(pilot, app, "head")
        await pilot.press("x", "tab")
        await settle(pilot)
        assert app.focused is app.screen.query_one("#user", Select)
