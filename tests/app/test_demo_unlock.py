"""The demo's first step works: what the unlock screen says is the passphrase unlocks it.

The walk-through's newcomer read "Passphrase: demo passphrase (not secret)",
typed "demo passphrase" and was refused: the brackets were part of it. The
phrase is now shown in quotes and filled in already.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from textual.widgets import Input

from tests.app.conftest import CLOCK, TEST_SETTINGS, screen_text, settle
from ydsi_tui.app.main import make_app
from ydsi_tui.app.screens.home import HomeScreen
from ydsi_tui.app.screens.unlock import UnlockScreen
from ydsi_tui.service.demo import ensure_demo_vault

# A whole app session on a real vault per test, seconds each.
pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def demo_vault(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return ensure_demo_vault(tmp_path_factory.mktemp("demo") / "vault")


def _quoted_passphrase(text: str) -> str:
    found = re.search(r'Passphrase[^"\n]*: "([^"\n]+)"', text)
    assert found, f"the unlock screen shows no quoted passphrase:\n{text}"
    return found.group(1)


async def test_typing_what_the_screen_says_unlocks_the_demo(demo_vault: Path) -> None:
    app = make_app(demo_vault, user="dsl", demo=True, settings=TEST_SETTINGS, clock=CLOCK)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        assert isinstance(app.screen, UnlockScreen)
        said = _quoted_passphrase(screen_text(app))
        assert app.focused is app.screen.query_one("#passphrase", Input)
        await pilot.press(*said)  # exactly what is between the quotes, key by key
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, HomeScreen)


async def test_enter_alone_unlocks_the_demo(demo_vault: Path) -> None:
    app = make_app(demo_vault, user="dsl", demo=True, settings=TEST_SETTINGS, clock=CLOCK)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        assert "filled in" in screen_text(app)
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, HomeScreen)
