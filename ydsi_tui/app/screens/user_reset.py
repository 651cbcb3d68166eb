"""Reset a forgotten passphrase with the recovery code: as ``ydsi recover NAME``.

A DSL's own session does not reset anyone: the recovery code from the school
safe does (``service/users.py``), so a DSL never types the passphrase over
someone else's keys. The person who forgot it types the new passphrase
themselves, twice; nothing typed is shown (not even its length) or kept once
the screen closes. Argon2 runs for the code and again for the new slot, so
the reset runs in a thread worker with the screen holding keys.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from textual import on
from textual.app import ComposeResult
from textual.containers import Vertical, VerticalScroll
from textual.widgets import Footer, Input, Label, Static

from ...service.users import Reset, reset_with_recovery_code
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

__all__ = ["ResetScreen"]


class ResetScreen(ToolScreen):
    """The recovery code, then the new passphrase twice; F2 resets ``name``'s passphrase."""

    COMMAND_SCOPES = ("reset",)
    BINDINGS = bindings("reset")

    def __init__(self, name: str) -> None:
        super().__init__()
        self.user_name = name
        self.done = False

    @property
    def holds_keys(self) -> bool:
        """Keys typed during the reset wait for it (see YdsiApp)."""
        return self.busy

    def _fields(self) -> tuple[tuple[str, str], ...]:
        return (
            ("code", "Recovery code (from the sealed envelope in the school safe)"),
            ("new", f"New passphrase for {self.user_name} (let them type it)"),
            ("repeat", "New passphrase again"),
        )

    def compose(self) -> ComposeResult:
        name = self.user_name
        yield TopBar("Reset a passphrase")
        with VerticalScroll(id="reset-body"):
            yield Static(
                plain(
                    f"Resetting the passphrase of {name}: they get new keys under a new "
                    "passphrase, and their old signatures still "
                    "verify. The new keys count as issued by the recovery code until "
                    f"{name} runs 'ydsi user passwd --new-keys'. Nothing is shown as you type.",
                    multiline=True,
                ),
                id="reset-intro",
            )
            for field, label in self._fields():
                with Vertical(classes="field"):
                    yield Label(plain(f"{label} *"), classes="field-label")
                    yield SecretInput(id=f"reset-{field}")
            yield ProgressLine(id="reset-progress")
            yield Static(plain("F2: reset it. Esc: back, nothing changed."), id="reset-result")
        yield Footer(compact=True, show_command_palette=False)

    def on_mount(self) -> None:
        for field, _ in self._fields():
            self.query_one(f"#reset-{field}", SecretInput).cursor_blink = False
        self.query_one("#reset-code", SecretInput).focus()

    @on(Input.Submitted)
    def _submitted(self, event: Input.Submitted) -> None:
        event.stop()
        if event.input.id == "reset-repeat":
            self.action_reset()
        else:
            self.focus_next()

    def action_reset(self) -> None:
        if self.busy or self.done:
            return
        typed = {f: self.query_one(f"#reset-{f}", SecretInput).value for f, _ in self._fields()}
        if not all(typed.values()):
            self._say(("✗ ", "bold"), "Type all three.")
            return
        name = self.user_name

        def job(services: Services, reporter: Reporter) -> Reset:
            reporter.stage("Opening the recovery code and making new keys")
            session = services.session
            return reset_with_recovery_code(
                session.vault,
                typed["code"],
                name,
                typed["new"],
                typed["repeat"],
                unlocked_as=session.name,
            )

        self._say("⏳ Resetting…")
        self.run_job(f"reset the passphrase of {name}", job, self._reset, write=True)

    def _reset(self, _: Reset) -> None:
        self.done = True
        self._clear()
        name = self.user_name
        self._say(
            ("✔ Reset. ", "bold"),
            f"{name} unlocks with the new passphrase from now on.\n",
            ("⚠ The recovery code has now been used: ", "bold"),
            "re-issue it ('ydsi recovery-code reissue', a DSL), so the opened envelope "
            "cannot be used again.",
        )

    def job_failed(self, message: Failed) -> bool:
        """A wrong code, a weak or mismatched passphrase: said beside the fields."""
        self._say(("✗ Not reset: ", "bold"), message.message)
        field = message.field if message.field in ("new", "repeat") else "code"
        self.query_one(f"#reset-{field}", SecretInput).focus()
        return True

    def _say(self, *parts: Content | str | tuple[str, str]) -> None:
        self.query_one("#reset-result", Static).update(join(parts))

    def _clear(self) -> None:
        for field, _ in self._fields():
            self.query_one(f"#reset-{field}", SecretInput).value = ""

    def action_back(self) -> None:
        if not self.busy:
            self._clear()
        super().action_back()
