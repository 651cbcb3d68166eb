"""Reading one thing in full (an entry, a device's chain line): scroll, then Escape."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.containers import VerticalScroll
from textual.content import Content
from textual.screen import ModalScreen
from textual.widgets import Label, Static

from ..commands import bindings
from ..text import plain, styled

__all__ = ["ReaderScreen"]


class ReaderScreen(ModalScreen[None]):
    BINDINGS = bindings("message")

    def __init__(self, title: str, body: Content) -> None:
        super().__init__(classes="dialog")
        self.title_text = title
        self.body = body

    def compose(self) -> ComposeResult:
        with VerticalScroll(classes="dialog-box reader-box", id="reader"):
            yield Label(styled(self.title_text, "bold"), classes="dialog-title")
            yield Static(self.body, classes="dialog-text")
            yield Static(plain("Esc or Enter: close"), classes="dialog-hint")

    def on_mount(self) -> None:
        self.query_one("#reader").focus()

    def action_close(self) -> None:
        self.dismiss(None)
