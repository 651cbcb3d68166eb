"""What heads a DSL's home: keys to deal with, and the attention list working by keyboard."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.app.conftest import PASS, MakeApp, screen_text, settle, unlock
from ydsi_tui.vault.vault import Vault

# A whole app session on a real vault per test, seconds each.
pytestmark = pytest.mark.slow


async def test_a_technicians_revoked_slot_heads_the_dsls_home(
    app_factory: MakeApp, vault: Path
) -> None:
    tech = Vault.open(vault).unlock("tech", PASS)
    tech.declare_compromised(None)
    tech.close()
    app = app_factory()
    async with app.run_test(size=(80, 24)) as pilot:
        await unlock(pilot)
        text = screen_text(app)
        assert "tech: no key slot (compromised)" in text, text
        assert "ydsi user remove tech --rotate" in text, text


async def test_nothing_is_shown_when_no_keys_are_compromised(app_factory: MakeApp) -> None:
    app = app_factory()
    async with app.run_test(size=(80, 24)) as pilot:
        await unlock(pilot)
        assert "compromised" not in screen_text(app)


async def test_enter_opens_the_first_attention_item_without_down_first(
    app_factory: MakeApp,
) -> None:
    """Issue 11, finding 8: the attention list needed Down before Enter did anything."""
    from textual.widgets import OptionList

    app = app_factory()
    async with app.run_test(size=(80, 24)) as pilot:
        await unlock(pilot)
        home = app.screen
        first = home.query_one("#attention", OptionList).get_option_at_index(0)
        ref = (first.id or "").split(":", 1)[-1]
        await pilot.press("a", "enter")
        await settle(pilot)
        assert app.screen is not home
        assert ref in screen_text(app)
