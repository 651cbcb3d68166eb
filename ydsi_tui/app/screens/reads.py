"""Who opened which record, when: the read audit, for the DSL.

From an incident (``w``) it lists that incident's reads; from the palette or
the reports list, every read of every case record. Each row is a signed
audit entry the service vouched for exactly as ``ydsi verify`` would
(:mod:`ydsi_tui.service.read_audit`); an entry that is not is listed under
the table as a problem, never as someone's read. Only a DSL sees it: anyone
else gets the service's refusal in its own words.

Reading the list decrypts no record and so is not itself a read; Enter on a
row opens that incident, and that is.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from textual import on
from textual.app import ComposeResult
from textual.widgets import Footer, Static

from ...model.timeparse import format_local
from ...service.read_audit import ReadAudit, ReadRow, read_audit, who_words
from ..commands import bindings
from ..messages import Failed
from ..text import cell, join, plain
from ..widgets.bars import TopBar
from ..widgets.progress import ProgressLine
from ..widgets.table import RecordTable, Row
from .tools import ToolScreen

if TYPE_CHECKING:
    from ...service.factory import Services
    from ..jobs import Reporter

__all__ = ["ReadAuditScreen"]


def _record(row: ReadRow) -> str:
    return row.ref if row.ref else f"{row.record} (reference unknown)"


class ReadAuditScreen(ToolScreen):
    """The reads of one incident (``ref``), or of every case record."""

    COMMAND_SCOPES = ("reads",)
    BINDINGS = bindings("reads")

    def __init__(self, ref: str | None = None) -> None:
        super().__init__()
        self.ref = ref
        self.audit: ReadAudit | None = None

    def compose(self) -> ComposeResult:
        title = f"Who opened {self.ref}" if self.ref else "Who opened which record"
        yield TopBar(title)
        yield Static(plain("Reading the audit log…"), id="reads-summary")
        yield ProgressLine(id="reads-progress")
        yield RecordTable(
            [("when", "When", 24), ("who", "Who", None), ("what", "Record", 14), ("v", "Ver", 4)],
            id="reads-table",
        )
        yield Static("", id="reads-detail")
        yield Footer(compact=True, show_command_palette=False)

    def on_mount(self) -> None:
        self.query_one("#reads-table", RecordTable).focus()
        self.reload()

    def reload(self) -> None:
        ref = self.ref

        def job(services: Services, reporter: Reporter) -> ReadAudit:
            reporter.stage("Checking each read's entry in the audit log")
            return read_audit(services.session, ref)

        if not self.busy:
            self.run_job("read the audit log", job, self._show)

    def _show(self, audit: ReadAudit) -> None:
        self.audit = audit
        what = f"of {self.ref}" if self.ref else "of case records"
        problems = len(audit.problems)
        self.query_one("#reads-summary", Static).update(
            join(
                [
                    ("⚠ " if problems else "✔ ", "bold"),
                    f"{len(audit.rows)} read(s) {what}, oldest first; each a signed audit "
                    "entry, checked as 'ydsi verify' checks it.",
                    f" {problems} entr{'y' if problems == 1 else 'ies'} could not be "
                    "vouched for (below)."
                    if problems
                    else "",
                ]
            )
        )
        rows: list[Row] = [
            (
                str(index),
                [
                    cell(format_local(row.at) if row.at is not None else "?"),
                    cell(who_words(row), "bold"),
                    cell(_record(row)),
                    cell(str(row.generation) if row.generation is not None else ""),
                ],
            )
            for index, row in enumerate(audit.rows)
        ]
        table = self.query_one("#reads-table", RecordTable)
        table.show_rows(rows)
        table.border_title = f"Reads ({len(audit.rows)})"
        self._detail()

    def job_failed(self, message: Failed) -> bool:
        self.query_one("#reads-summary", Static).update(join([("✗ ", "bold"), message.message]))
        return True

    @property
    def current(self) -> ReadRow | None:
        key = self.query_one("#reads-table", RecordTable).current_key
        audit = self.audit
        if audit is None or key is None or not key.isdigit() or int(key) >= len(audit.rows):
            return None
        return audit.rows[int(key)]

    @on(RecordTable.RowHighlighted, "#reads-table")
    def _detail(self) -> None:
        detail = self.query_one("#reads-detail", Static)
        audit = self.audit
        parts: list[str | tuple[str, str]] = []
        row = self.current
        if row is not None:
            when = format_local(row.at) if row.at is not None else "at an unreadable time"
            version = f" (version {row.generation})" if row.generation is not None else ""
            parts += [
                (f"Entry {row.seq}: ", "bold"),
                f"{who_words(row)} opened {row.record} {_record(row)}{version}, {when}.",
            ]
            if row.record == "incident" and row.ref:
                parts.append(" Enter opens it (that is a read too).")
        if audit is not None and audit.problems:
            parts += ["\n", ("Not vouched for: ", "bold"), audit.problems[0]]
            if len(audit.problems) > 1:
                parts.append(f" (and {len(audit.problems) - 1} more: run 'ydsi verify --entries')")
        detail.update(join(parts))

    @on(RecordTable.RowSelected, "#reads-table")
    def _selected(self) -> None:
        self.action_open_incident()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "open_incident":
            row = self.current
            return (row is not None and row.record == "incident" and bool(row.ref)) or None
        return True

    def action_open_incident(self) -> None:
        row = self.current
        if row is None or row.record != "incident" or not row.ref:
            return
        self.ydsi.open_incident(row.ref)

    def action_refresh(self) -> None:
        self.reload()

    def action_back(self) -> None:
        self.dismiss(None)
