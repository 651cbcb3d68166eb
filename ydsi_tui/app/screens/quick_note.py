"""Quick note: one line, stamped now (or at a time typed first), saved on Enter.

For the DSL typing in a meeting while people talk: ``n`` opens it from any
pane, Enter saves and returns. ``10:30 spoke to mum`` is stamped 10:30 today;
what the stamp will be is shown as you type, so a time is never guessed
silently. Escape with text typed asks first (keep a draft, discard, back).
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from textual import work
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.widgets import Input, Label, Static

from ...model.timeparse import format_local, to_iso_utc
from ..commands import bindings
from ..formspec import split_note_time
from ..jobs import call
from ..messages import Failed, Saved
from ..text import join, plain, styled
from .base import AppModal

if TYPE_CHECKING:
    from ...service.factory import Services

__all__ = ["QuickNoteScreen"]


class QuickNoteScreen(AppModal[Saved | None]):
    COMMAND_SCOPES = ("note",)
    BINDINGS = bindings("note")

    def __init__(self, ref: str, text: str = "", *, draft_id: str | None = None) -> None:
        super().__init__(classes="dialog")
        self.ref = ref
        self.initial = "" if draft_id is None else None
        self.text = text
        self.draft_id = draft_id
        self.saving = False

    @property
    def holds_keys(self) -> bool:
        """Keys typed while a save is under way wait for what comes next (see YdsiApp)."""
        return self.saving

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog-box note-box"):
            yield Label(styled(f"Quick note ({self.ref})", "bold"), classes="dialog-title")
            yield Input(self.text, placeholder="type the note; start with a time to stamp it then",
                        id="note-text")  # fmt: skip
            yield Static("", id="note-stamp")
            yield Static(plain("Enter: save and return   Esc: close (asks if typed)"),
                         classes="dialog-hint")  # fmt: skip

    def on_mount(self) -> None:
        note = self.query_one("#note-text", Input)
        note.cursor_blink = self.ydsi.settings.cursor_blink
        note.focus()
        self._stamp(note.value)

    def on_input_changed(self, event: Input.Changed) -> None:
        self._stamp(event.value)

    def _stamp(self, text: str) -> None:
        now = self.ydsi.now()
        when, _note, error = split_note_time(text, now)
        stamp = self.query_one("#note-stamp", Static)
        stamp.set_class(error is not None, "error")
        if error is not None:
            stamp.update(join([("✗ ", "bold"), error]))
        elif when is not None:
            stamp.update(plain(f"Stamped: {format_local(when)} (from the time typed first)"))
        else:
            stamp.update(plain(f"Stamped: now, {format_local(now)}"))

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self.action_save()

    def action_save(self) -> None:
        text = self.query_one("#note-text", Input).value
        when, note, error = split_note_time(text, self.ydsi.now())
        if error is not None or not note.strip() or self.saving:
            if not note.strip():
                stamp = self.query_one("#note-stamp", Static)
                stamp.update(join([("✗ ", "bold"), "Type the note first."]))
            return
        self.saving = True
        self._save(note, when)

    @work(thread=True, exit_on_error=False, group="vault-write", description="save the note")
    def _save(self, note: str, when: datetime | None) -> None:
        ref = self.ref

        def job(services: Services) -> Saved:
            assert services.cases is not None
            return Saved(ref, "note", services.cases.note(ref, note, at=when))

        self.post_message(call(self.ydsi, "save the note", job, write=True))

    def on_saved(self, message: Saved) -> None:
        self.saving = False
        self.ydsi.discard_draft(self.draft_id)
        self.draft_id = None
        self.query_one("#note-text", Input).value = ""
        self.initial = ""
        self.notify("Note saved.", markup=False)
        self.dismiss(message)

    def on_failed(self, message: Failed) -> None:
        self.saving = False
        self.ydsi.show_error(message)

    def action_close(self) -> None:
        from .dialogs import CloseDialog

        if self.saving:
            return
        if not self.draft_content():
            self.dismiss(None)
            return

        def answer(choice: str | None) -> None:
            if choice is None:
                return  # back to the note, as it was
            if choice == "keep":
                self.ydsi.save_drafts()
            else:
                self.ydsi.discard_draft(self.draft_id)
            self.initial = self.query_one("#note-text", Input).value
            self.draft_id = None
            self.dismiss(None)

        self.app.push_screen(
            CloseDialog("Close the note?", "The note is not saved.",
                        keep="Keep as a draft", discard="Discard the note"),
            answer,
        )  # fmt: skip

    def draft_content(self) -> dict[str, Any] | None:
        try:
            text = self.query_one("#note-text", Input).value
        except Exception:  # noqa: BLE001 - not mounted (any more)
            text = self.text
        if not text.strip() or text == self.initial:
            return None
        return {
            "v": 1,
            "form": "note",
            "target": "incident",
            "ref": self.ref,
            "values": {"text": text},
            "title": f"Quick note ({self.ref})",
            "saved_at": to_iso_utc(datetime.now(UTC)),
        }
