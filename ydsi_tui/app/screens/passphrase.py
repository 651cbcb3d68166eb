"""Change my passphrase: the current one, then the new one twice; F2 changes it.

Every role may use it, the technician too (the CLI's ``ydsi user passwd``).
Argon2 runs twice (checking the current passphrase, wrapping under the new),
so the change runs in a thread worker with the screen holding keys. Nothing
typed here is kept once the screen closes: the fields are cleared.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from textual import on
from textual.app import ComposeResult
from textual.containers import Vertical, VerticalScroll
from textual.widgets import Footer, Input, Label, Static

from ...service.account import change_own_passphrase
from ..commands import bindings
from ..text import join, plain
from ..widgets.bars import TopBar
from ..widgets.progress import ProgressLine
from ..widgets.secret import SecretInput
from .tools import ToolScreen

if TYPE_CHECKING:
    from textual.content import Content

    from ...service.factory import Services
    from ..jobs import Reporter
    from ..messages import Failed

__all__ = ["PassphraseScreen"]

FIELDS = (
    ("current", "Your current passphrase"),
    ("new", "New passphrase"),
    ("repeat", "New passphrase again"),
)


class PassphraseScreen(ToolScreen):
    COMMAND_SCOPES = ("passwd",)
    BINDINGS = bindings("passwd")

    def __init__(self) -> None:
        super().__init__()
        self.done = False

    @property
    def holds_keys(self) -> bool:
        """Keys typed during the change wait for it (see YdsiApp)."""
        return self.busy

    def compose(self) -> ComposeResult:
        yield TopBar("Change my passphrase")
        with VerticalScroll(id="passwd-body"):
            yield Static(
                plain(
                    "Your keys stay the same: only the passphrase that unlocks them changes. "
                    "Nothing is shown as you type. Choose one you have not used elsewhere.",
                    multiline=True,
                ),
                id="passwd-intro",
            )
            for name, label in FIELDS:
                with Vertical(classes="field"):
                    yield Label(plain(f"{label} *"), classes="field-label")
                    yield SecretInput(id=f"passwd-{name}")
            yield ProgressLine(id="passwd-progress")
            yield Static(plain("F2: change it."), id="passwd-result")
        yield Footer(compact=True, show_command_palette=False)

    def on_mount(self) -> None:
        for name, _ in FIELDS:
            self.query_one(f"#passwd-{name}", SecretInput).cursor_blink = False
        self.query_one("#passwd-current", SecretInput).focus()

    @on(Input.Submitted)
    def _submitted(self, event: Input.Submitted) -> None:
        event.stop()
        if event.input.id == "passwd-repeat":
            self.action_change()
        else:
            self.focus_next()

    def action_change(self) -> None:
        if self.busy or self.done:
            return
        typed = {name: self.query_one(f"#passwd-{name}", SecretInput).value for name, _ in FIELDS}
        if not all(typed.values()):
            self._say(("✗ ", "bold"), "Type all three.")
            return

        def job(services: Services, reporter: Reporter) -> None:
            reporter.stage("Checking the current passphrase and wrapping your keys")
            change_own_passphrase(services.session, typed["current"], typed["new"],
                                  typed["repeat"])  # fmt: skip

        self._say("⏳ Changing…")
        self.run_job("change your passphrase", job, self._changed, write=True)

    def _changed(self, _: None) -> None:
        self.done = True
        self._clear()
        self._say(("✔ Changed. ", "bold"), "Unlock with the new passphrase from now on.")

    def job_failed(self, message: Failed) -> bool:
        """A wrong current passphrase or a weak new one: said beside the fields."""
        self._say(("✗ ", "bold"), message.message)
        return True

    def _say(self, *parts: Content | str | tuple[str, str]) -> None:
        self.query_one("#passwd-result", Static).update(join(parts))

    def _clear(self) -> None:
        for name, _ in FIELDS:
            self.query_one(f"#passwd-{name}", SecretInput).value = ""

    def action_back(self) -> None:
        if not self.busy:
            self._clear()
        super().action_back()
