"""The Users screen's dialogs: a code shown once, and a confirmation with keys.

:class:`CodeDialog` shows a new member of staff's one-time enrolment code
and what to do with it, :class:`RecoveryCodeDialog` a re-issued recovery
code and where it goes (the school safe); closing either without the code
needs a key of its own (D) and says the code is gone. :class:`KeyConfirmDialog` stands before a
removal or a rotation: it goes on only once the user's login name (for a
removal) and the DSL's own passphrase are typed, then F2. Neither a stray
key nor an unlocked screen left alone removes anyone. The passphrase is
returned to the screen, which hands it to the service (it is checked there
before anything changes) and keeps it nowhere.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from textual import on
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Input, Label, Static

from ..commands import bindings
from ..text import join, plain, styled, visible
from ..widgets.secret import SecretInput
from .dialogs import ShownOnceDialog

if TYPE_CHECKING:
    from textual.content import Content

    from ...service.user_removal import Reissued
    from ...service.users import Invitation

__all__ = ["CodeDialog", "KeyConfirmDialog", "RecoveryCodeDialog"]


class CodeDialog(ShownOnceDialog):
    """A new member of staff's enrolment code, once, and how they use it."""

    COMMAND_SCOPES = ("code",)
    BINDINGS = bindings("code")
    LOST_TITLE = "Close without the code"

    def __init__(self, invitation: Invitation, role_words: str, vault_path: str) -> None:
        super().__init__()
        self.invitation: Invitation | None = invitation
        self.role_words = role_words
        self.vault_path = vault_path

    def compose(self) -> ComposeResult:
        invited = self.invitation
        assert invited is not None
        name = invited.name
        again = " The code given before no longer works." if invited.reissued else ""
        with Vertical(classes="dialog-box passphrase-box"):
            yield Label(styled(f"✔ Invited {name} as {self.role_words}", "bold"),
                        classes="dialog-title")  # fmt: skip
            yield Static(styled(invited.code, "bold reverse"), id="enrol-code")
            yield Static(
                join(
                    [
                        ("⚠ Shown once, works once: ", "bold"),
                        f"hand it to {name} in person, never by email.{again} They run\n",
                        f"  ydsi enrol --vault {visible(self.vault_path)} --user {name}\n",
                        "and choose their own passphrase; e on the list (or your next "
                        "unlock) then endorses the keys they made.",
                    ]
                ),
                classes="dialog-text",
            )
            with Horizontal(classes="dialog-buttons"):
                yield Button(plain("Enter  Handed over: close"), id="done", variant="primary")

    def forget(self) -> None:
        self.invitation = None

    def lost_text(self) -> str:
        name = self.invitation.name if self.invitation else "them"
        return (
            f"It will not be shown again. Without it {name} cannot enrol: invite them again "
            "for a new code. Press D to close without it; any other key shows it again."
        )


class RecoveryCodeDialog(ShownOnceDialog):
    """A re-issued recovery code, once, and the words ``ydsi recovery-code reissue`` prints."""

    COMMAND_SCOPES = ("recoverycode",)
    BINDINGS = bindings("recoverycode")
    LOST_TITLE = "Close without the recovery code"
    LOST_TEXT = (
        "It will not be shown again, and the old code no longer resets anyone: without it "
        "nobody can reset a forgotten passphrase until a DSL re-issues the code again. "
        "Press D to close without it; any other key shows it again."
    )

    def __init__(self, reissued: Reissued) -> None:
        super().__init__()
        self.reissued: Reissued | None = reissued

    def compose(self) -> ComposeResult:
        reissued = self.reissued
        assert reissued is not None
        rotated = reissued.rotated
        if rotated is None:
            title = "⚠ Re-issued the recovery code; the rotation did not finish"
            done: list[Content | str | tuple[str, str]] = [
                ("⚠ ", "bold"),
                f"{reissued.unfinished}.\n",
            ]
        else:
            title = "✔ Re-issued the recovery code"
            done = [
                f"Every key is rotated ({rotated.records} records re-encrypted): the old code, "
                "with any copy of vault.json, opens nothing saved from now on.\n"
            ]
        with Vertical(classes="dialog-box passphrase-box"):
            yield Label(styled(title, "bold"), classes="dialog-title")
            yield Static(styled(reissued.code, "bold reverse"), id="recovery-code")
            yield Static(
                join(
                    [
                        *done,
                        ("⚠ Shown once; it can reset any user's passphrase. ", "bold"),
                        "Print it or write it down, seal it in an envelope and lock it in the "
                        "school safe. Do not store it on this server or in email. Destroy the "
                        "old envelope.",
                    ]
                ),
                classes="dialog-text",
            )
            with Horizontal(classes="dialog-buttons"):
                yield Button(plain("Enter  Written down: close"), id="done", variant="primary")

    def forget(self) -> None:
        self.reissued = None


class KeyConfirmDialog(ModalScreen[str | None]):
    """What will happen; the login name (if asked) and the DSL's passphrase; F2 goes on.

    Returns the passphrase typed, or None (Escape): nothing is done.
    """

    COMMAND_SCOPES = ("keyconfirm",)
    BINDINGS = bindings("keyconfirm")

    def __init__(self, title: str, text: Content, *, action: str, name: str | None) -> None:
        super().__init__(classes="dialog")
        self.title_text = title
        self.text = text
        self.action_label = action
        self.name_to_type = name

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog-box error-box keyconfirm-box"):
            yield Label(styled(f"✗ {self.title_text}", "bold"), classes="dialog-title")
            yield Static(self.text, classes="dialog-text")
            if self.name_to_type is not None:
                yield Label(
                    plain(f"Type their login name, {self.name_to_type}, to confirm:"),
                    classes="field-label",
                )
                yield Input(id="confirm-name", compact=True)
            yield Label(
                plain("Your own passphrase (checked before anything changes):"),
                classes="field-label",
            )
            yield SecretInput(id="confirm-pass", compact=True)
            yield Static("", id="confirm-check")
            with Horizontal(classes="dialog-buttons"):
                yield Button(plain(f"F2  {self.action_label}"), id="confirm", variant="error")
                yield Button(plain("Esc  Back"), id="back")

    def on_mount(self) -> None:
        from .dialogs import steady_cursors

        steady_cursors(self)
        first = "#confirm-name" if self.name_to_type is not None else "#confirm-pass"
        self.query_one(first, Input).focus()
        self._check()

    def _ready(self) -> tuple[bool, bool]:
        """(the name matches or is not asked, a passphrase is typed)."""
        named = self.name_to_type is None or (
            self.query_one("#confirm-name", Input).value.strip() == self.name_to_type
        )
        return named, bool(self.query_one("#confirm-pass", SecretInput).value)

    @on(Input.Changed)
    def _check(self) -> None:
        named, typed = self._ready()
        check = self.query_one("#confirm-check", Static)
        if not named and self.query_one("#confirm-name", Input).value.strip():
            check.update(join([("✗ ", "bold"), "That is not their login name: nothing happens."]))
        elif named and typed:
            check.update(join([("✔ ", "bold"), f"F2: {self.action_label.lower()}."]))
        else:
            what = "both are" if self.name_to_type is not None else "your passphrase is"
            check.update(plain(f"Nothing changes until {what} typed and F2 is pressed."))
        self.query_one("#confirm", Button).disabled = not (named and typed)

    @on(Input.Submitted)
    def _submitted(self, event: Input.Submitted) -> None:
        event.stop()
        if event.input.id == "confirm-name":
            self.query_one("#confirm-pass", SecretInput).focus()
        else:
            self.action_confirm()

    def on_button_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        if event.button.id == "confirm":
            self.action_confirm()
        else:
            self.action_back()

    def action_confirm(self) -> None:
        named, typed = self._ready()
        if named and typed:
            field = self.query_one("#confirm-pass", SecretInput)
            passphrase, field.value = field.value, ""
            self.dismiss(passphrase)

    def action_back(self) -> None:
        self.query_one("#confirm-pass", SecretInput).value = ""
        self.dismiss(None)
