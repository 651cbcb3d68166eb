"""Changing one's own passphrase in the app (issue 11, finding 8: it was command line only).

Through the same vault act as ``ydsi user passwd``: checked by unlocking
afterwards with the new passphrase, and by the old one being refused.
"""

from __future__ import annotations

from typing import Any

import pytest
from textual.pilot import Pilot

from tests.app.conftest import PASS, MakeApp, screen_text, settle, unlock
from ydsi_tui.app.screens.passphrase import PassphraseScreen
from ydsi_tui.app.widgets.secret import SecretInput
from ydsi_tui.vault.errors import WrongPassphrase
from ydsi_tui.vault.vault import Vault

pytestmark = pytest.mark.slow

NEW = "a new passphrase for the test"


async def _type(pilot: Pilot[Any], current: str, new: str, repeat: str) -> None:
    screen = pilot.app.screen
    for name, value in (("current", current), ("new", new), ("repeat", repeat)):
        screen.query_one(f"#passwd-{name}", SecretInput).value = value
    await pilot.press("f2")
    await settle(pilot)


@pytest.mark.parametrize("user", ["dsl", "tech"])
async def test_a_user_changes_their_own_passphrase(app_factory: MakeApp, user: str) -> None:
    app = app_factory(user=user)
    async with app.run_test(size=(80, 24)) as pilot:
        await unlock(pilot)
        app.action_change_passphrase()
        await settle(pilot)
        assert isinstance(app.screen, PassphraseScreen)
        await _type(pilot, "not my passphrase", NEW, NEW)
        assert "✗" in screen_text(app)
        Vault.open(app.vault_path).unlock(user, PASS).close()  # nothing changed
        await _type(pilot, PASS, NEW, NEW + " typo")
        assert "not the same" in screen_text(app)
        await _type(pilot, PASS, NEW, NEW)
        assert "Changed" in screen_text(app)
        assert NEW not in screen_text(app)
        fields = app.screen.query(SecretInput)
        assert all(not field.value for field in fields)  # nothing kept on screen
    Vault.open(app.vault_path).unlock(user, NEW).close()
    with pytest.raises(WrongPassphrase):
        Vault.open(app.vault_path).unlock(user, PASS)
