"""Writing a report to a file: choose the format and the path, write, say where it went.

One dialog for every export (an incident's chronology, the governors'
figures, a subject access report). The report is built and rendered in a
thread worker (a PDF takes a moment), with a progress line; the file is
written new and 0600 by the vault's export module. Afterwards the dialog
says where the file went and that it is now outside the vault's protection,
and stays until closed, so that is read, not missed.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from textual import on
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.widgets import Button, Input, Label, Select, Static

from ...service.reports.formats import SUFFIXES
from ...vault.export import write_new_private
from ..commands import bindings
from ..exports import OUTSIDE, default_path, prepare, resolve, shown, with_suffix
from ..jobs import Reporter, start_job
from ..messages import Failed, JobDone, Progressed
from ..text import join, plain, styled, visible
from ..widgets.options import Dropdown
from ..widgets.progress import ProgressLine
from .base import AppModal

if TYPE_CHECKING:
    from ...service.factory import Services

__all__ = ["FORMAT_LABELS", "Build", "ExportDialog", "Written"]

FORMAT_LABELS = {
    "pdf": "PDF: to print or send",
    "md": "Markdown: plain text",
    "json": "JSON: for another system",
}

#: Builds the file's bytes in a worker thread: (services, format, reporter) -> bytes.
Build = Callable[["Services", str, Reporter], bytes]


@dataclass(frozen=True)
class Written:
    path: Path
    size: int


class ExportDialog(AppModal[Path | None]):
    """Format, path, F2; then where it went. Dismisses with the path written (or None)."""

    COMMAND_SCOPES = ("export",)
    BINDINGS = bindings("export")

    def __init__(
        self,
        title: str,
        what: str,
        stem: str,
        build: Build,
        *,
        formats: Sequence[str] = ("pdf", "md", "json"),
        about: str = "",
    ) -> None:
        super().__init__(classes="dialog")
        self.title_text = title
        self.what = what
        self.stem = stem
        self.build = build
        self.formats = tuple(formats)
        self.about = about
        self.format = self.formats[0]
        self.busy = False
        self.written: Written | None = None

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog-box export-box"):
            yield Label(styled(self.title_text, "bold"), classes="dialog-title")
            if self.about:
                yield Static(plain(self.about, multiline=True), classes="dialog-text before")
            with Vertical(classes="field before"):
                yield Label(plain("Format"), classes="field-label")
                yield Dropdown(
                    [(plain(FORMAT_LABELS.get(f, f)), f) for f in self.formats],
                    value=self.format,
                    allow_blank=False,
                    compact=True,
                    id="export-format",
                )
            with Vertical(classes="field before"):
                yield Label(plain("File (a new file; ~ is your home folder)"),
                            classes="field-label")  # fmt: skip
                yield Input(default_path(self.stem, SUFFIXES[self.format]), compact=True,
                            id="export-path")  # fmt: skip
            yield Static(
                join(
                    [
                        ("⚠ ", "bold"),
                        "Once written, the file is outside the vault's protection: "
                        "anyone who can read it can read what it holds. It is readable by you "
                        "only.",
                    ]
                ),
                id="export-warning",
                classes="before",
            )
            yield ProgressLine(id="export-progress")
            yield Static("", id="export-status")
            with Horizontal(classes="dialog-buttons"):
                yield Button(plain("F2  Write"), id="write", variant="primary")
                yield Button(plain("Esc  Back"), id="back")

    def on_mount(self) -> None:
        path = self.query_one("#export-path", Input)
        path.cursor_blink = self.ydsi.settings.cursor_blink
        self.query_one("#export-status").display = False
        path.focus()

    @on(Select.Changed, "#export-format")
    def _format_changed(self, event: Select.Changed) -> None:
        new = str(event.value)
        if new == self.format or new not in SUFFIXES:
            return
        field = self.query_one("#export-path", Input)
        field.value = with_suffix(field.value, SUFFIXES[self.format], SUFFIXES[new])
        self.format = new

    @on(Input.Changed, "#export-path")
    def _path_changed(self, event: Input.Changed) -> None:
        # A name typed with another format's ending gets that format: a ".md" file
        # never holds a PDF. The choice shown above changes with it.
        for fmt in self.formats:
            if fmt != self.format and event.value.strip().lower().endswith(SUFFIXES[fmt]):
                self.format = fmt
                self.query_one("#export-format", Select).value = fmt
                return

    @on(Input.Submitted, "#export-path")
    def _submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self.action_write()

    @on(Button.Pressed)
    def _pressed(self, event: Button.Pressed) -> None:
        event.stop()
        if event.button.id == "write":
            self.action_write()
        else:
            self.action_close()

    def action_write(self) -> None:
        if self.busy or self.written is not None:
            return
        fmt, text = self.format, self.query_one("#export-path", Input).value
        build = self.build
        self.busy = True
        self.query_one("#export-status").display = False
        self.query_one("#export-progress", ProgressLine).begin("Preparing")

        def job(services: Services, reporter: Reporter) -> Written:
            path = prepare(resolve(text))
            data = build(services, fmt, reporter)
            reporter.stage("Writing the file")
            write_new_private(path, data, fs=services.session.vault.fs)
            return Written(path, len(data))

        start_job(self, self.ydsi, f"write {self.what}", job)

    def on_progressed(self, message: Progressed) -> None:
        self.query_one("#export-progress", ProgressLine).show(message)

    def on_job_done(self, message: JobDone) -> None:
        self.busy = False
        self.query_one("#export-progress", ProgressLine).finish()
        written: Written = message.result
        self.written = written
        where = visible(shown(written.path))
        status = self.query_one("#export-status", Static)
        status.update(
            join(
                [
                    ("✔ Written: ", "bold"),
                    f"{self.what} ({self.format.upper()}, {written.size:,} bytes, readable by "
                    f"you only) to\n{where}\n",
                    ("⚠ ", "bold"),
                    OUTSIDE,
                ]
            )
        )
        status.display = True
        for widget in self.query(".before"):
            widget.display = False  # what was asked is done: what was written stays
        self.query_one("#write", Button).display = False
        back = self.query_one("#back", Button)
        back.label = plain("Enter  Close")
        back.focus()
        self.notify(
            f"Wrote {self.what} to {where}. It is now outside the vault's protection.",
            markup=False,
            timeout=12,
        )

    def on_failed(self, message: Failed) -> None:
        self.busy = False
        self.query_one("#export-progress", ProgressLine).finish()
        status = self.query_one("#export-status", Static)
        status.update(join([("✗ Nothing was written: ", "bold"), message.message]))
        status.display = True
        if message.error_type != "Locked" and not self.ydsi.locked:
            self.ydsi.show_error(message)

    def action_close(self) -> None:
        if self.busy:
            return
        self.dismiss(self.written.path if self.written is not None else None)
