"""Re-issuing the recovery code in the app (issue 11): ``c`` on Users and keys.

Checked on the vault as the people concerned would find it: the code the
screen showed once opens the vault with ``unlock_recovery`` and the envelope
that was in the safe no longer does; Escape at the confirmation changes
nothing (the old code still works); a Headteacher is never offered the key.
Real vaults at the lowest KDF cost, as the other app tests.
"""

from __future__ import annotations

from typing import Any

import pytest
from textual.pilot import Pilot
from textual.widgets import Static

from tests.app.conftest import PASS, MakeApp, Refs, screen_text, settle, unlock
from tests.app.test_users_app import flat, press, status, users_screen
from tests.support.vaults import tree_hashes
from ydsi_tui.app.screens.dialogs import DiscardDialog
from ydsi_tui.app.screens.help import HelpScreen
from ydsi_tui.app.screens.user_dialogs import KeyConfirmDialog, RecoveryCodeDialog
from ydsi_tui.app.screens.users import UsersScreen
from ydsi_tui.app.widgets.secret import SecretInput
from ydsi_tui.vault.errors import WrongPassphrase
from ydsi_tui.vault.vault import Vault

# A whole app session on a real vault per test, with key derivations: seconds each.
pytestmark = pytest.mark.slow


async def palette_offers(pilot: Pilot[Any], words: str) -> str:
    """What the command palette lists for ``words`` on this screen (opened, read, closed)."""
    from textual.command import CommandList, CommandPalette

    await press(pilot, "ctrl+p")
    palette = pilot.app.screen
    assert isinstance(palette, CommandPalette)
    await pilot.press(*words)
    await settle(pilot)  # the search is a worker of the palette's
    listed = palette.query_one(CommandList)
    text = "\n".join(str(listed.get_option_at_index(i).prompt) for i in range(listed.option_count))
    await press(pilot, "escape")
    return text


async def test_the_dsl_reissues_and_only_the_new_code_opens_the_vault(
    app_factory: MakeApp, refs: Refs
) -> None:
    app = app_factory()
    epochs = dict(Vault.open(app.vault_path).header.epochs)
    async with app.run_test(size=(80, 24)) as pilot:
        await unlock(pilot)
        screen = await users_screen(pilot)
        await press(pilot, "f1")
        help_screen = app.screen
        assert isinstance(help_screen, HelpScreen)
        assert any(line[:2] == ("c", "New recovery code") for line in help_screen.lines)
        await press(pilot, "escape")
        assert app.screen is screen
        assert "New recovery code (c)" in await palette_offers(pilot, "recovery")

        await press(pilot, "c")
        dialog = app.screen
        assert isinstance(dialog, KeyConfirmDialog)
        said = flat(pilot)
        assert "The old code stops opening anything saved afterwards" in said, said
        assert "every key is rotated" in said and "takes a while" in said
        await press(pilot, "f2", "enter")  # nothing typed: nothing happens
        assert app.screen is dialog
        dialog.query_one("#confirm-pass", SecretInput).value = PASS
        await press(pilot, "f2")

        shown = app.screen
        assert isinstance(shown, RecoveryCodeDialog)
        code = str(shown.query_one("#recovery-code", Static).content)
        assert code.count("-") == 7 and code != refs.recovery
        said = flat(pilot)
        assert "school safe" in said and "Print it or write it down" in said, said
        assert "re-encrypted" in said and "Destroy the old envelope" in said
        await press(pilot, "escape")  # closing without the code asks first
        assert isinstance(app.screen, DiscardDialog)
        assert "nobody can reset a forgotten passphrase" in flat(pilot)
        await press(pilot, "n")  # any key but D shows the code again
        assert app.screen is shown and code in screen_text(app)
        await press(pilot, "enter")
        assert app.screen is screen
        assert code not in screen_text(app) and PASS not in screen_text(app)
        assert "Re-issued the recovery code" in status(pilot), status(pilot)
        assert "records re-encrypted" in status(pilot)

    after = Vault.open(app.vault_path).header
    assert all(after.epochs[name] == epochs[name] + 1 for name in ("case", "custody"))
    assert not after.rotation_due
    Vault.open(app.vault_path).unlock_recovery(code).close()
    with pytest.raises(WrongPassphrase):
        Vault.open(app.vault_path).unlock_recovery(refs.recovery)
    Vault.open(app.vault_path).unlock("head", PASS).close()  # nobody's access changed


async def test_escape_at_the_confirmation_changes_nothing(app_factory: MakeApp, refs: Refs) -> None:
    app = app_factory()
    async with app.run_test(size=(80, 24)) as pilot:
        await unlock(pilot)
        screen = await users_screen(pilot)
        before = tree_hashes(app.vault_path, skip_throttle=True)
        await press(pilot, "c")
        dialog = app.screen
        assert isinstance(dialog, KeyConfirmDialog)
        dialog.query_one("#confirm-pass", SecretInput).value = PASS
        await press(pilot, "escape")
        assert app.screen is screen
        assert not any(isinstance(s, RecoveryCodeDialog) for s in app.screen_stack)
        assert tree_hashes(app.vault_path, skip_throttle=True) == before
    Vault.open(app.vault_path).unlock_recovery(refs.recovery).close()  # the envelope still works


async def test_a_wrong_passphrase_at_the_confirmation_reissues_nothing(
    app_factory: MakeApp, refs: Refs
) -> None:
    """An unlocked screen left alone does not hand out a code that resets anyone."""
    app = app_factory()
    async with app.run_test(size=(80, 24)) as pilot:
        await unlock(pilot)
        screen = await users_screen(pilot)
        before = tree_hashes(app.vault_path, skip_throttle=True)
        await press(pilot, "c")
        app.screen.query_one("#confirm-pass", SecretInput).value = "not the dsl's passphrase"
        await press(pilot, "f2")
        assert app.screen is screen
        assert "Could not re-issue the recovery code: passphrase not recognised" in status(pilot)
        assert tree_hashes(app.vault_path, skip_throttle=True) == before
    Vault.open(app.vault_path).unlock_recovery(refs.recovery).close()


async def test_a_headteacher_is_not_offered_the_key(app_factory: MakeApp, refs: Refs) -> None:
    """Navigation refuses her the screen (test_users_app); shown it anyway, it offers no c."""
    app = app_factory(user="head")
    async with app.run_test(size=(80, 24)) as pilot:
        await unlock(pilot)
        before = tree_hashes(app.vault_path, skip_throttle=True)
        screen = UsersScreen()
        app.push_screen(screen)  # past app/navigation.py's refusal, on purpose
        await settle(pilot)
        assert app.screen is screen
        assert screen.check_action("reissue", ()) is False
        assert "c" not in app.active_bindings
        offered = await palette_offers(pilot, "recovery")
        assert "New recovery code" not in offered and "Add (a)" in offered, offered
        await press(pilot, "c")
        assert app.screen is screen
        assert not any(isinstance(s, KeyConfirmDialog) for s in app.screen_stack)
        screen.action_reissue()  # the action itself refuses in words
        await settle(pilot)
        assert "Only a DSL re-issues the recovery code" in status(pilot)
        assert tree_hashes(app.vault_path, skip_throttle=True) == before
    Vault.open(app.vault_path).unlock_recovery(refs.recovery).close()
