"""A DSL's home shows keys declared compromised until the DSL has dealt with them."""

from __future__ import annotations

from pathlib import Path

from tests.app.conftest import PASS, MakeApp, screen_text, unlock
from ydsi_tui.vault.vault import Vault


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
