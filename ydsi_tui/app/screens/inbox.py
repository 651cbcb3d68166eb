"""The inbox: reports from staff, listed without content; open one, then triage it.

Reached from home by ``i`` (the home's heading says so whenever a report
waits). The list shows when each report arrived, the login that filed it (the
server's word) and what became of it; never a word of what it says. Enter
opens the highlighted report below the list (the opening is logged). Then:
``t`` opens a new incident from it (the disclosure form filled in from the
report, which is kept word for word as the first-hand account), ``a`` adds it
to an incident already open, ``x`` records why it is not for this procedure.
A report triaged once is refused a second time, with the one line saying where
it went. A report about a member of staff is shown only as existing unless it
is sealed to the person looking (the Headteacher).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

from textual import on, work
from textual.app import ComposeResult
from textual.containers import VerticalScroll
from textual.widgets import Footer, Static

from ...model.timeparse import format_local, format_local_short
from ..commands import bindings
from ..jobs import call
from ..messages import Failed, JobDone, Saved, StaffReportsArrived, VaultChanged
from ..text import cell, plain
from ..widgets.bars import TopBar
from ..widgets.table import RecordTable
from .base import AppScreen

if TYPE_CHECKING:
    from rich.text import Text

    from ...model.staff_reports import StaffReport
    from ...service.factory import Services
    from ...service.inbox import Inbox, InboxRow

__all__ = ["InboxScreen", "report_text"]

#: Said when the program has no spool to look in.
NO_SPOOL = (
    "No staff-report spool is set up on this server (the setting drop_spool): "
    "see the README's section on staff reporting."
)


@dataclass(frozen=True)
class _Listed:
    rows: list[InboxRow]


@dataclass(frozen=True)
class _Opened:
    report: StaffReport


class InboxScreen(AppScreen[None]):
    """Reports from staff for a DSL, a team member or the Headteacher."""

    COMMAND_SCOPES = ("inbox",)
    BINDINGS = bindings("inbox")

    def __init__(self) -> None:
        super().__init__()
        self.rows: list[InboxRow] = []
        self.opened: dict[str, StaffReport] = {}
        self.loaded = False
        self._resumed = False

    @property
    def spool(self) -> Path | None:
        return self.ydsi.settings.drop_spool

    def compose(self) -> ComposeResult:
        yield TopBar("Reports from staff")
        yield Static(
            plain(
                "When each report arrived and the login that filed it: never what it says. "
                "Opening one is logged."
            ),
            id="inbox-note",
        )
        yield RecordTable(
            [("received", "Received", 13), ("login", "Filed by login", 16), ("status", "", None)],
            id="reports",
        )
        with VerticalScroll(id="report-pane"):
            yield Static(plain("Enter opens the highlighted report here."), id="report-text")
        yield Footer(compact=True, show_command_palette=False)

    def on_mount(self) -> None:
        self.query_one("#reports", RecordTable).focus()
        self.load()

    # ------------------------------------------------------------------ loading
    def load(self) -> None:
        if self.spool is None:
            self.loaded = True
            self.query_one("#report-text", Static).update(plain(NO_SPOOL))
            return
        self._load(self.spool)

    @work(thread=True, exit_on_error=False, group="inbox-load", description="read the inbox")
    def _load(self, spool: Path) -> None:
        def job(services: Services) -> JobDone:
            return JobDone("inbox", _Listed(_inbox(services, spool).rows()))

        # Receiving logs each new report: a write, under the app's lock.
        self.post_message(call(self.ydsi, "read the inbox", job, write=True))

    def on_job_done(self, message: JobDone) -> None:
        result = message.result
        if isinstance(result, _Listed):
            self.rows = result.rows
            self.loaded = True
            self._show_rows()
        elif isinstance(result, _Opened):
            self.opened[result.report.report_id] = result.report
            self._show_report()
            self.refresh_bindings()
        elif isinstance(result, Saved):
            self.app.notify(
                f"The report is now the first-hand account in {result.ref}.",
                title=f"Added to {result.ref}",
                markup=False,
            )
            self.load()
        elif message.what == "dismiss":
            self.app.notify(
                "Recorded as not for this procedure, with your reason.",
                title="Report dismissed",
                markup=False,
            )
            self.load()

    def on_failed(self, message: Failed) -> None:
        if message.error_type == "Locked":
            return
        self.ydsi.show_error(message)
        if message.error_type == "Conflict":
            self.load()  # someone else triaged it meanwhile: show where it went

    def on_vault_changed(self, message: VaultChanged) -> None:
        self.load()

    def on_staff_reports_arrived(self, message: StaffReportsArrived) -> None:
        self.load()

    def on_screen_resume(self) -> None:
        if self._resumed and self.loaded:
            self.load()  # back from the new incident: show it taken in
        self._resumed = True

    # ------------------------------------------------------------------ showing
    def _show_rows(self) -> None:
        now = self.ydsi.now()
        table = self.query_one("#reports", RecordTable)
        shown = list(reversed(self.rows))  # the newest first
        table.show_lazy([row.report_id for row in shown], lambda i: _cells(shown[i], now))
        waiting = sum(1 for row in self.rows if row.new)
        table.border_title = f"Reports from staff ({waiting} new of {len(self.rows)})"
        self._show_report()
        self.refresh_bindings()

    def _current(self) -> InboxRow | None:
        key = self.query_one("#reports", RecordTable).current_key
        return next((row for row in self.rows if row.report_id == key), None)

    def _show_report(self) -> None:
        text = self.query_one("#report-text", Static)
        row = self._current()
        if row is None:
            text.update(plain("No reports from staff." if self.loaded else "Reading…"))
            return
        report = self.opened.get(row.report_id)
        if report is None:
            what = (
                "This report is about a member of staff: only the Headteacher can open it."
                if self._sealed_from_me(row)
                else "Enter opens this report here (the opening is logged)."
            )
            text.update(plain(f"{row.status[:1].upper()}{row.status[1:]}. {what}"))
            return
        text.update(plain(report_text(report, row), multiline=True))

    @on(RecordTable.RowHighlighted, "#reports")
    def _highlighted(self) -> None:
        self._show_report()
        self.refresh_bindings()

    @on(RecordTable.RowSelected, "#reports")
    def _selected(self) -> None:
        self.action_open_report()

    # ------------------------------------------------------------------ actions
    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        row = self._current() if self.is_mounted else None
        if action == "open_report":
            return (row is not None and not self._sealed_from_me(row)) or None
        if action in ("take_in", "add_to_incident", "dismiss_report"):
            return (row is not None and row.new and row.report_id in self.opened) or None
        return True

    def _sealed_from_me(self, row: InboxRow) -> bool:
        """A report about a member of staff, for anyone but the Headteacher: it only exists."""
        return row.received.sealed_to_headteacher_only and self.ydsi.role != "headteacher"

    def action_open_report(self) -> None:
        row = self._current()
        if row is None or self.spool is None or self._sealed_from_me(row):
            return
        if row.report_id in self.opened:
            self._show_report()
            return
        self._open(self.spool, row.report_id)

    @work(thread=True, exit_on_error=False, group="inbox-open", description="open the report")
    def _open(self, spool: Path, report_id: str) -> None:
        def job(services: Services) -> JobDone:
            return JobDone("open", _Opened(_inbox(services, spool).open(report_id)))

        self.post_message(call(self.ydsi, "open the report", job, write=True))

    def action_take_in(self) -> None:
        from ..formspec import report_incident_spec

        row = self._current()
        services = self.ydsi.services
        if row is None or services is None or self.spool is None:
            return
        report = self.opened.get(row.report_id)
        if report is None:
            return
        spec = report_incident_spec(
            services.policy, report, received_at=row.received_at, spool=self.spool
        )
        self.ydsi.open_form(spec)

    def action_add_to_incident(self) -> None:
        from .dialogs import MenuDialog

        row = self._current()
        if row is None or row.report_id not in self.opened:
            return
        home_rows = self._incident_choices()
        if not home_rows:
            self.app.notify("There is no open incident to add it to.", markup=False)
            return
        report = self.opened[row.report_id]

        def chosen(ref: str | None) -> None:
            if ref and self.spool is not None:
                self._add(self.spool, report, ref)

        self.app.push_screen(MenuDialog("Add the report to which incident?", home_rows), chosen)

    def _incident_choices(self) -> list[tuple[str, str]]:
        services = self.ydsi.services
        if services is None or services.cases is None:
            return []
        now = self.ydsi.now()
        return [
            (
                row.ref,
                f"{row.ref}  {format_local_short(row.opened_at, now=now) if row.opened_at else ''}"
                f"  {row.summary}",
            )
            for row in services.cases.rows()
            if row.error is None and row.status != "closed"
        ]

    @work(thread=True, exit_on_error=False, group="vault-write", description="add the report")
    def _add(self, spool: Path, report: StaffReport, ref: str) -> None:
        def job(services: Services) -> JobDone:
            _inbox(services, spool).add(report, ref)
            return JobDone("add", Saved(ref, "entry"))

        self.post_message(call(self.ydsi, "add the report to the incident", job, write=True))

    def action_dismiss_report(self) -> None:
        from .dialogs import ReasonDialog

        row = self._current()
        if row is None or row.report_id not in self.opened:
            return
        report = self.opened[row.report_id]

        def reason(text: str | None) -> None:
            if text and self.spool is not None:
                self._dismiss(self.spool, report, text)

        self.app.push_screen(
            ReasonDialog(
                "Not for this procedure",
                "Why is this report not for this procedure? For example: recorded in the "
                "school's main safeguarding system, reference ... (kept sealed in the log)",
            ),
            reason,
        )

    @work(thread=True, exit_on_error=False, group="vault-write", description="dismiss")
    def _dismiss(self, spool: Path, report: StaffReport, reason: str) -> None:
        def job(services: Services) -> JobDone:
            _inbox(services, spool).dismiss(report, reason)
            return JobDone("dismiss")

        self.post_message(call(self.ydsi, "record the report as dismissed", job, write=True))

    def action_refresh(self) -> None:
        self.load()

    def action_back(self) -> None:
        self.app.pop_screen()


def _inbox(services: Services, spool: Path) -> Inbox:
    from ...service.inbox import Inbox

    assert services.cases is not None
    return Inbox(services.cases, spool)


def _cells(row: InboxRow, now: datetime) -> list[Text]:
    login = row.received.owner_login or f"uid {row.received.owner_uid}"
    return [
        cell(format_local_short(row.received_at, now=now), "bold" if row.new else ""),
        cell(login),
        cell(("● " if row.new else "") + row.status, "bold" if row.new else ""),
    ]


def report_text(report: StaffReport, row: InboxRow) -> str:
    """An opened report as the DSL reads it: what the server attests, then what was typed."""
    login = report.owner_login or f"uid {report.owner_uid}"
    lines = [
        f"Filed {format_local(report.filed_at)} by login {login} (the server's word); "
        f"received {format_local(row.received_at)}.",
        f"Name given: {report.reporter_name}, {report.job_title} (as typed, not proof).",
    ]
    if report.about_staff:
        lines.append("This report is about a member of staff.")
    for label, value in (
        ("Who disclosed", report.disclosed_by),
        ("When", report.disclosed_when_text),
        ("How it came to light", report.how),
        ("Young people", ", ".join(report.young_people)),
        ("Already done", report.already_done),
    ):
        if value.strip():
            lines.append(f"{label}: {value}")
    lines += ["In the young person's words:", report.words]
    if row.new:
        lines.append("t: take in as a new incident   a: add to an incident   x: not ours")
    return "\n".join(lines)
