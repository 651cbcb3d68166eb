"""Users and keys in the app (issue 11): the DSL's user administration, through the service.

Each flow is checked on the vault afterwards, as the people concerned would
find it: the invited member of staff enrols with the code the screen showed;
the removed Headteacher's passphrase no longer unlocks, and the copy of the
vault she kept opens nothing written after her removal; the reset user
unlocks with the new passphrase. Refusals are read on the screen, and
checked to have changed nothing.
"""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import pytest
from textual.pilot import Pilot
from textual.widgets import Button, Input, Static

from tests.app.conftest import HOSTILE_NAME, PASS, MakeApp, Refs, screen_text, settle, unlock
from tests.support.vaults import min_kdf, old_copy_reads, tree_hashes
from ydsi_tui.app.screens.dialogs import ErrorDialog, FieldsDialog, MenuDialog
from ydsi_tui.app.screens.home import HomeScreen
from ydsi_tui.app.screens.user_dialogs import CodeDialog, KeyConfirmDialog
from ydsi_tui.app.screens.user_reset import ResetScreen
from ydsi_tui.app.screens.users import UsersScreen
from ydsi_tui.app.widgets.secret import SecretInput
from ydsi_tui.app.widgets.table import RecordTable
from ydsi_tui.service.factory import services_for
from ydsi_tui.vault.errors import UnknownUser, WrongPassphrase
from ydsi_tui.vault.vault import Vault

# A whole app session on a real vault per test, with key derivations: seconds each.
pytestmark = pytest.mark.slow

NEWBIE_PASS = "the newbie's own passphrase"
NEW = "a new passphrase typed by the head"


async def press(pilot: Pilot[Any], *keys: str) -> None:
    for key in keys:
        await pilot.press(key)
        await settle(pilot)


async def users_screen(pilot: Pilot[Any]) -> UsersScreen:
    await press(pilot, "r", "7")
    screen = pilot.app.screen
    assert isinstance(screen, UsersScreen)
    for _ in range(50):
        if screen.listing is not None:
            return screen
        await settle(pilot)
    raise AssertionError("the list of users never arrived")


async def highlight(pilot: Pilot[Any], login: str) -> None:
    table = pilot.app.screen.query_one("#users-table", RecordTable)
    table.move_cursor(row=table.keys.index(login))
    table.focus()
    await settle(pilot)


def status(pilot: Pilot[Any]) -> str:
    return str(pilot.app.screen.query_one("#users-status", Static).content)


def flat(pilot: Pilot[Any]) -> str:
    """The screen's words with lines (and dialog borders) joined: wrapping ignored."""
    return " ".join(line.strip("│█▌▐ ") for line in screen_text(pilot.app).splitlines())  # type: ignore[arg-type]


async def test_a_dsl_invites_and_endorses_a_member_of_staff(app_factory: MakeApp) -> None:
    app = app_factory()
    async with app.run_test(size=(80, 24)) as pilot:
        await unlock(pilot)
        await users_screen(pilot)
        await press(pilot, "a")
        assert isinstance(app.screen, MenuDialog)
        await press(pilot, "s", "enter")  # Safeguarding team
        assert isinstance(app.screen, FieldsDialog)
        app.screen.query_one("#in-name", Input).value = "Bad Name"
        await press(pilot, "f2")
        assert isinstance(app.screen, FieldsDialog)  # refused beside the field
        assert "'Bad Name' cannot be a login name" in flat(pilot)
        app.screen.query_one("#in-name", Input).value = "newbie"
        app.screen.query_one("#in-full_name", Input).value = HOSTILE_NAME
        await press(pilot, "f2")
        dialog = app.screen
        assert isinstance(dialog, CodeDialog)
        code = str(dialog.query_one("#enrol-code", Static).content)
        assert code.count("-") == 6 and "in person" in flat(pilot)
        await press(pilot, "escape")  # closing without the code asks first
        await press(pilot, "n")  # any key but D goes back to the code
        assert app.screen is dialog and code in screen_text(app)
        await press(pilot, "enter")
        assert isinstance(app.screen, UsersScreen)
        assert code not in screen_text(app)
        assert "Invited newbie" in status(pilot)
        assert "invited, not enrolled" in screen_text(app)
        await highlight(pilot, "newbie")
        assert f"newbie: Safeguarding team, {HOSTILE_NAME}." in flat(pilot)  # shown as typed

        Vault.open(app.vault_path).enrol("newbie", code, NEWBIE_PASS, kdf=min_kdf())
        await press(pilot, "f5", "e")
        assert "Endorsed the new keys of newbie" in status(pilot)
        assert "✔ own keys" in screen_text(app)
    Vault.open(app.vault_path).unlock("newbie", NEWBIE_PASS).close()


async def test_an_invitation_for_a_taken_name_is_refused_in_words(app_factory: MakeApp) -> None:
    app = app_factory()
    async with app.run_test(size=(80, 24)) as pilot:
        await unlock(pilot)
        await users_screen(pilot)
        before = tree_hashes(app.vault_path, skip_throttle=True)
        await press(pilot, "a", "h", "enter")
        app.screen.query_one("#in-name", Input).value = "head"
        await press(pilot, "f2")
        assert isinstance(app.screen, UsersScreen)
        assert "Could not invite head: there is already a user called 'head'" in status(pilot)
        assert tree_hashes(app.vault_path, skip_throttle=True) == before


async def test_removing_the_headteacher_rotates_her_keys(app_factory: MakeApp, refs: Refs) -> None:
    app = app_factory()
    kept = Path(shutil.copytree(app.vault_path, app.vault_path.parent / "kept-by-head"))
    async with app.run_test(size=(80, 24)) as pilot:
        await unlock(pilot)
        await users_screen(pilot)
        await highlight(pilot, "head")
        await press(pilot, "x")
        dialog = app.screen
        assert isinstance(dialog, KeyConfirmDialog)
        assert "case and custody keys" in flat(pilot)
        confirm = dialog.query_one("#confirm", Button)
        await press(pilot, "f2", "y", "enter")  # stray keys: nothing happens
        assert app.screen is dialog and confirm.disabled
        dialog.query_one("#confirm-name", Input).value = "hed"
        dialog.query_one("#confirm-pass", SecretInput).value = PASS
        await press(pilot, "f2")
        assert app.screen is dialog and "not their login name" in flat(pilot)

        # The right name, a wrong passphrase: refused, nothing changed.
        before = tree_hashes(app.vault_path, skip_throttle=True)
        dialog.query_one("#confirm-name", Input).value = "head"
        dialog.query_one("#confirm-pass", SecretInput).value = "not the dsl's passphrase"
        await press(pilot, "f2")
        assert isinstance(app.screen, UsersScreen)
        assert "Could not remove head: passphrase not recognised" in status(pilot)
        assert tree_hashes(app.vault_path, skip_throttle=True) == before

        await press(pilot, "x")
        app.screen.query_one("#confirm-name", Input).value = "head"
        app.screen.query_one("#confirm-pass", SecretInput).value = PASS
        await press(pilot, "f2")
        assert isinstance(app.screen, UsersScreen)
        said = status(pilot)
        assert "Removed head" in said and "records re-encrypted" in said, said
        assert PASS not in screen_text(app)
        assert "head" not in app.screen.query_one("#users-table", RecordTable).keys

    # Written after she left, by the DSL.
    session = Vault.open(app.vault_path).unlock("dsl", PASS)
    cases = services_for(session).cases
    assert cases is not None
    cases.note(refs.chat, "Written after the Headteacher left")
    session.close()
    with pytest.raises(UnknownUser):
        Vault.open(app.vault_path).unlock("head", PASS)
    assert old_copy_reads(kept, app.vault_path, "head", PASS, refs.chat).startswith("refused")
    # Before the rotation her copy did open today's file: the check can fail.
    assert old_copy_reads(kept, kept, "head", PASS, refs.chat).startswith("READ")


async def test_the_dsl_cannot_remove_or_reset_themselves(app_factory: MakeApp) -> None:
    app = app_factory()
    async with app.run_test(size=(80, 24)) as pilot:
        await unlock(pilot)
        await users_screen(pilot)
        before = tree_hashes(app.vault_path, skip_throttle=True)
        await highlight(pilot, "dsl")
        await press(pilot, "x")
        assert isinstance(app.screen, UsersScreen)
        assert "Could not remove dsl: cannot remove the last DSL" in status(pilot)
        await press(pilot, "r")
        assert isinstance(app.screen, UsersScreen)
        assert "this is your own account" in status(pilot)
        assert tree_hashes(app.vault_path, skip_throttle=True) == before


async def test_a_forgotten_passphrase_is_reset_with_the_recovery_code(
    app_factory: MakeApp, refs: Refs
) -> None:
    app = app_factory()
    async with app.run_test(size=(80, 24)) as pilot:
        await unlock(pilot)
        await users_screen(pilot)
        await highlight(pilot, "head")
        await press(pilot, "r")
        screen = app.screen
        assert isinstance(screen, ResetScreen)

        async def reset(code: str, new: str, repeat: str) -> str:
            for name, value in (("code", code), ("new", new), ("repeat", repeat)):
                screen.query_one(f"#reset-{name}", SecretInput).value = value
            await press(pilot, "f2")
            return str(screen.query_one("#reset-result", Static).content)

        assert "not the same" in await reset(refs.recovery, NEW, NEW + " typo")
        assert "at least 10 characters" in await reset(refs.recovery, "short", "short")
        wrong = "0000-0000-0000-0000-0000-0000-0000-0000"
        assert "recovery code" in await reset(wrong, NEW, NEW)
        Vault.open(app.vault_path).unlock("head", PASS).close()  # nothing changed yet
        said = await reset(refs.recovery, NEW, NEW)
        assert "Reset." in said and "re-issue it" in said, said
        assert refs.recovery not in screen_text(app) and NEW not in screen_text(app)
        assert all(not field.value for field in screen.query(SecretInput))
        await press(pilot, "escape")
        assert isinstance(app.screen, UsersScreen)
        assert "issued by recovery code" in screen_text(app)
    Vault.open(app.vault_path).unlock("head", NEW).close()
    with pytest.raises(WrongPassphrase):
        Vault.open(app.vault_path).unlock("head", PASS)


@pytest.mark.parametrize("user", ["head", "tech"])
async def test_only_a_dsl_opens_users_and_keys(app_factory: MakeApp, user: str) -> None:
    app = app_factory(user=user)
    async with app.run_test(size=(80, 24)) as pilot:
        await unlock(pilot)
        if user == "head":
            await press(pilot, "r", "7")
            assert isinstance(app.screen, ErrorDialog)
            assert "Only a DSL manages users and keys" in flat(pilot)
            await press(pilot, "enter", "escape")
            assert isinstance(app.screen, HomeScreen)
            await press(pilot, "ctrl+p")
            await pilot.press(*"users and keys")
            await pilot.pause(0.5)
            await press(pilot, "enter")
        else:
            app.open_tool("users")  # the technician has no reports screen to press 7 on
            await settle(pilot)
        assert isinstance(app.screen, ErrorDialog)
        assert not any(isinstance(s, UsersScreen) for s in app.screen_stack)


async def test_t_rotates_every_key_once_the_passphrase_is_typed(app_factory: MakeApp) -> None:
    app = app_factory()
    epochs = dict(Vault.open(app.vault_path).header.epochs)
    async with app.run_test(size=(80, 24)) as pilot:
        await unlock(pilot)
        await users_screen(pilot)
        await press(pilot, "t")
        dialog = app.screen
        assert isinstance(dialog, KeyConfirmDialog)
        await press(pilot, "f2", "enter")  # nothing typed: nothing happens
        assert app.screen is dialog
        dialog.query_one("#confirm-pass", SecretInput).value = PASS
        await press(pilot, "f2")
        assert isinstance(app.screen, UsersScreen)
        assert "Rotated every key" in status(pilot), status(pilot)
    after = Vault.open(app.vault_path).header.epochs
    assert all(after[name] == epochs[name] + 1 for name in ("case", "custody"))
    Vault.open(app.vault_path).unlock("head", PASS).close()  # nobody's access changed
