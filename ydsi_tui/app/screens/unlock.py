"""Unlock: who you are and your passphrase (never echoed).

Deriving the key takes up to a second on purpose (Argon2id), and a few
wrong passphrases make the vault wait longer before the next try; both run
in a thread worker so the screen stays alive and says what it is doing.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from textual import work
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.widgets import Footer, Input, Label, Select, Static
from textual.widgets.input import Selection

from ..commands import bindings
from ..messages import Failed, Unlocked, VaultOpened
from ..text import join, plain, styled
from ..unlocking import unlock_in_thread
from ..widgets.bars import TopBar
from ..widgets.options import Dropdown
from ..widgets.secret import SecretInput
from .base import AppScreen

if TYPE_CHECKING:
    pass

__all__ = ["UnlockScreen"]


class UnlockScreen(AppScreen[None]):
    """The first screen: choose the user, type the passphrase, Enter."""

    COMMAND_SCOPES = ("unlock",)
    BINDINGS = bindings("unlock")
    gives_way_to_home = True

    def __init__(self) -> None:
        super().__init__()
        self.busy = False
        #: Set when choosing a user moved the focus to the passphrase for them:
        #: the habitual Tab that follows must not wrap back to the user list,
        #: where the passphrase would then be typed and Enter reopen the list.
        self._tab_lands_here = False

    @property
    def holds_keys(self) -> bool:
        """Keys typed while the key is being derived wait for what comes next (see YdsiApp)."""
        return self.busy

    def compose(self) -> ComposeResult:
        yield TopBar("Unlock")
        with Vertical(id="unlock-box"):
            yield Label(styled("Unlock the safeguarding vault", "bold"), id="unlock-title")
            if self.ydsi.demo:
                from ...service.demo import DEMO_PASSPHRASE

                # Quoted, so that nobody wonders whether the brackets are part of
                # it; and filled in already, so Enter is all a newcomer needs.
                yield Static(
                    join(
                        [
                            ("DEMO", "bold reverse"),
                            " made-up people only.\nPassphrase (filled in for you): ",
                            (f'"{DEMO_PASSPHRASE}"', "bold"),
                            "\nUsers: dsl, head (Headteacher), tech (IT technician).",
                        ]
                    ),
                    id="demo-note",
                )
            yield Label(plain("User"), classes="field-label")
            yield Dropdown([], prompt="Choose who you are", id="user", allow_blank=True)
            yield Label(plain("Passphrase (not shown as you type)"), classes="field-label")
            yield SecretInput(id="passphrase")
            yield Static(plain("Opening the vault…"), id="unlock-status")
        yield Footer(compact=True, show_command_palette=False)

    def on_mount(self) -> None:
        passphrase = self.query_one("#passphrase", Input)
        passphrase.cursor_blink = self.ydsi.settings.cursor_blink
        if self.ydsi.vault is not None or self.ydsi.vault_error is not None:
            self._vault_ready(self.ydsi.vault_users, self.ydsi.vault_error)

    def on_vault_opened(self, message: VaultOpened) -> None:
        self._vault_ready(message.users, message.error)

    def _vault_ready(self, users: list[str], error: str | None) -> None:
        status = self.query_one("#unlock-status", Static)
        if error is not None:
            status.update(join([("✗ ", "bold"), error, "\nCtrl+Q quits."]))
            status.add_class("error")
            return
        select = self.query_one("#user", Select)
        select.set_options([(plain(name), name) for name in users])
        wanted = self.ydsi.login if self.ydsi.login in users else None
        if wanted is None and len(users) == 1:
            wanted = users[0]
        if wanted is not None:
            select.value = wanted
            self.query_one("#passphrase", Input).focus()
        else:
            select.focus()
        if self.ydsi.demo:
            from ...service.demo import DEMO_PASSPHRASE

            field = self.query_one("#passphrase", Input)
            field.value = DEMO_PASSPHRASE
            # Selected: someone who types it anyway replaces it rather than doubling it.
            field.selection = Selection(0, len(DEMO_PASSPHRASE))
            status.update(plain("The demo passphrase is filled in: press Enter."))
            return
        status.update(plain("Type your passphrase and press Enter."))

    def on_select_changed(self, event: Select.Changed) -> None:
        if event.value is not Select.NULL:
            self.query_one("#passphrase", Input).focus()
            self._tab_lands_here = True

    def on_input_changed(self, event: Input.Changed) -> None:
        self._tab_lands_here = False

    def action_next_field(self) -> None:
        passphrase = self.query_one("#passphrase", Input)
        if self._tab_lands_here and self.focused is passphrase and not passphrase.value:
            self._tab_lands_here = False
            return
        self._tab_lands_here = False
        self.focus_next()

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        if self.busy:
            return
        user = self.query_one("#user", Select).value
        status = self.query_one("#unlock-status", Static)
        if user is Select.NULL or not isinstance(user, str):
            status.update(join([("✗ ", "bold"), "Choose who you are first."]))
            self.query_one("#user", Select).focus()
            return
        if not event.value:
            status.update(join([("✗ ", "bold"), "Type your passphrase."]))
            return
        self.busy = True
        status.remove_class("error")
        status.update(plain("⏳ Unlocking… (deriving the key takes a moment)"))
        self.unlock(user, event.value)

    @work(thread=True, exit_on_error=False, group="unlock", description="unlock")
    def unlock(self, user: str, passphrase: str) -> None:
        self.post_message(unlock_in_thread(self.ydsi, user, passphrase))

    def on_unlocked(self, message: Unlocked) -> None:
        self.busy = False
        self.ydsi.begin_session(message)

    def on_failed(self, message: Failed) -> None:
        self.busy = False
        passphrase = self.query_one("#passphrase", Input)
        passphrase.value = ""
        passphrase.focus()
        status = self.query_one("#unlock-status", Static)
        status.add_class("error")
        status.update(join([("✗ ", "bold"), message.message]))
