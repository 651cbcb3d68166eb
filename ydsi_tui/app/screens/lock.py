"""The lock screen: covers everything, asks the same user's passphrase again.

The session's keys were dropped when this screen went up; the screens
underneath (forms included) keep what was typed and come back on unlock.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from textual import work
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.widgets import Footer, Input, Label, Static

from ..messages import Failed, Unlocked
from ..text import join, plain, styled
from ..unlocking import unlock_in_thread
from ..widgets.bars import TopBar
from ..widgets.secret import SecretInput
from .base import AppScreen

if TYPE_CHECKING:
    pass

__all__ = ["LockScreen"]


class LockScreen(AppScreen[None]):
    COMMAND_SCOPES = ("lock",)

    def __init__(self, user: str, role_name: str) -> None:
        super().__init__()
        self.user = user
        self.role_name = role_name
        self.busy = False

    @property
    def holds_keys(self) -> bool:
        """Keys typed while the key is being derived wait for what comes next (see YdsiApp)."""
        return self.busy

    def compose(self) -> ComposeResult:
        yield TopBar("Locked")
        with Vertical(id="lock-box"):
            yield Label(styled("🔒 Locked", "bold"), id="lock-title")
            yield Static(
                plain(
                    f"The vault is locked and its keys are dropped. {self.role_name} "
                    f"({self.user}): type your passphrase to carry on where you were; "
                    "anything you were typing is kept.",
                    multiline=True,
                ),
                id="lock-text",
            )
            yield SecretInput(id="passphrase")
            yield Static(plain("Ctrl+Q quits (unsaved forms can be kept as drafts)."),
                         id="lock-status")  # fmt: skip
        yield Footer(compact=True, show_command_palette=False)

    def on_mount(self) -> None:
        passphrase = self.query_one("#passphrase", Input)
        passphrase.cursor_blink = self.ydsi.settings.cursor_blink
        passphrase.focus()

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        if self.busy or not event.value:
            return
        self.busy = True
        self.query_one("#lock-status", Static).update(plain("⏳ Unlocking…"))
        self.unlock(event.value)

    @work(thread=True, exit_on_error=False, group="unlock", description="unlock")
    def unlock(self, passphrase: str) -> None:
        # Wait for the keys to be dropped first, so unlocking cannot race the lock.
        with self.ydsi.vault_lock:
            pass
        self.post_message(unlock_in_thread(self.ydsi, self.user, passphrase))

    def on_unlocked(self, message: Unlocked) -> None:
        self.busy = False
        self.ydsi.begin_session(message)

    def on_failed(self, message: Failed) -> None:
        self.busy = False
        passphrase = self.query_one("#passphrase", Input)
        passphrase.value = ""
        status = self.query_one("#lock-status", Static)
        status.add_class("error")
        status.update(join([("✗ ", "bold"), message.message]))
