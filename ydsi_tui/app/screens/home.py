"""Home: every incident, what needs attention today, filter as you type, sort.

The list is read from the small summaries stored beside each record (no
timeline is decrypted to draw it), in a thread worker; later reloads change
only the rows that changed.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.containers import Horizontal
from textual.timer import Timer
from textual.widgets import Footer, Input, OptionList, Static
from textual.widgets.option_list import Option

from ...model.timeparse import format_local_short, to_local
from ..commands import PaletteEntry, bindings
from ..jobs import call
from ..loading import load_home
from ..messages import Failed, IncidentsLoaded, JobDone, StaffReportsArrived, VaultChanged
from ..text import cell, line, plain
from ..widgets.bars import TopBar
from ..widgets.options import Options
from ..widgets.table import RecordTable
from ..words import STATUS_WORDS, flag_words
from .base import AppScreen

if TYPE_CHECKING:
    from ...service.casebook import IncidentRow
    from ...service.factory import Services
    from ...service.inbox import InboxRow

__all__ = ["HomeScreen", "staff_reports_heading"]

SORTS = ("opened", "reference", "status", "next step", "flags")

#: The summary gets a column of its own from 100 columns; narrower, it shows
#: below the table, for the highlighted row only.
SUMMARY_FROM = 100


class HomeScreen(AppScreen[None]):
    """The DSL's (and Headteacher's) list of incidents."""

    COMMAND_SCOPES = ("home",)
    BINDINGS = bindings("home")

    def __init__(self) -> None:
        super().__init__()
        self.rows: list[IncidentRow] = []
        self.sort_index = 0
        self._generation = 0
        self._filter_timer: Timer | None = None
        self._haystacks: dict[str, str] = {}
        self._resumed = False
        self.loaded = False

    def compose(self) -> ComposeResult:
        yield TopBar("Incidents")
        yield Static("", id="staff-reports")
        yield Static(plain("Reading the vault…"), id="attention-none")
        yield Options(id="attention")
        with Horizontal(id="filter-row"):
            yield Input(placeholder="/ filter: reference, status, step, words", id="filter")
            yield Static("", id="sort-label")
        yield RecordTable(
            [
                ("ref", "Ref", 8),
                ("opened", "Opened", 11),
                ("status", "Status", 9),
                ("next", "Next step", 22),
                ("flags", "Flags", None),
                ("summary", "Summary", None),
            ],
            id="incidents",
            shown_from={"summary": SUMMARY_FROM},
            shares={"flags": (0.55, 32)},  # beside a summary: the flags first
        )
        yield Static("", id="row-summary")
        yield Footer(compact=True, show_command_palette=False)

    def on_mount(self) -> None:
        self.query_one("#attention", OptionList).display = False
        self.query_one("#staff-reports", Static).display = False
        self.load_reports()
        self.query_one("#filter", Input).cursor_blink = self.ydsi.settings.cursor_blink
        self._show_sort()
        self.query_one("#incidents", RecordTable).focus()
        first = self.ydsi.take_home_prefetch()
        if first is not None:  # read while the passphrase was being checked
            self._show_loaded(first.rows, first.attention)
        else:
            self.load()

    # ------------------------------------------------------------------
    # loading
    # ------------------------------------------------------------------
    def load(self) -> None:
        self._generation += 1
        self._load(self._generation)

    @work(thread=True, exit_on_error=False, group="home-load", description="read the incidents")
    def _load(self, generation: int) -> None:
        def job(services: Services) -> IncidentsLoaded:
            home = load_home(services)
            return IncidentsLoaded(home.rows, home.device_rows, home.attention, generation)

        self.post_message(call(self.ydsi, "read the incidents", job))

    def load_reports(self) -> None:
        """Reports from staff waiting for triage: they head the home (times, never content)."""
        spool = self.ydsi.settings.drop_spool
        if spool is None or self.ydsi.role not in ("dsl", "team", "headteacher"):
            return
        self._load_reports(spool)

    @work(thread=True, exit_on_error=False, group="home-reports", description="read the inbox")
    def _load_reports(self, spool: Path) -> None:
        from ...service.inbox import Inbox

        def job(services: Services) -> JobDone:
            assert services.cases is not None
            return JobDone("staff reports", Inbox(services.cases, spool).waiting())

        # Receiving logs each new report as received: a write, under the app's lock.
        result = call(self.ydsi, "look for reports from staff", job, write=True)
        if isinstance(result, JobDone):
            self.post_message(result)
        # A spool that cannot be read is the alerts' and 'ydsi doctor's to report.

    def on_job_done(self, message: JobDone) -> None:
        if message.what == "staff reports" and isinstance(message.result, list):
            self._show_reports(message.result)

    def _show_reports(self, waiting: list[InboxRow]) -> None:
        heading = self.query_one("#staff-reports", Static)
        heading.display = bool(waiting)
        if waiting:
            heading.update(plain(staff_reports_heading(waiting, self.ydsi.now())))

    def on_staff_reports_arrived(self, message: StaffReportsArrived) -> None:
        self.load_reports()

    def on_incidents_loaded(self, message: IncidentsLoaded) -> None:
        if message.generation != self._generation:
            return  # an older reload finished late
        self._show_loaded(message.rows, message.attention)

    def _show_loaded(self, rows: list[IncidentRow], attention: list[tuple[str, str]]) -> None:
        self.rows = rows
        self._haystacks = {row.ref: _haystack(row) for row in rows}
        self.loaded = True
        self._show_attention(attention)
        self._show_rows()

    def on_failed(self, message: Failed) -> None:
        if message.error_type == "Locked":
            return
        self.ydsi.show_error(message)

    def on_vault_changed(self, message: VaultChanged) -> None:
        self.load()
        self.load_reports()

    def on_screen_resume(self) -> None:
        # Back from an incident: show what was just recorded. (Not on the
        # first showing: the rows were read with the keys a moment ago.)
        if self._resumed and self.loaded:
            self.load()
            self.load_reports()
        self._resumed = True

    # ------------------------------------------------------------------
    # showing
    # ------------------------------------------------------------------
    def _show_attention(self, items: list[tuple[str, str]]) -> None:
        options = self.query_one("#attention", OptionList)
        none = self.query_one("#attention-none", Static)
        if not items:
            options.display = False
            none.display = True
            none.update(plain("✔ Nothing overdue today."))
            return
        none.display = False
        options.display = True
        options.set_options(
            [
                Option(line(("⚠ ", "bold"), (ref.ljust(8) + " ", "bold"), text), id=f"{i}:{ref}")
                for i, (ref, text) in enumerate(items)
            ]
        )
        options.border_title = f"Needs attention today ({len(items)}) — a to move here"

    def _visible_rows(self) -> list[IncidentRow]:
        words = self.query_one("#filter", Input).value.casefold().split()
        rows = self.rows
        if words:
            hay = self._haystacks
            rows = [row for row in rows if all(word in hay[row.ref] for word in words)]
        mode = SORTS[self.sort_index]
        if mode == "reference":
            rows = sorted(rows, key=lambda r: r.ref, reverse=True)
        elif mode == "status":
            rows = sorted(rows, key=lambda r: (r.status, r.ref))
        elif mode == "next step":
            rows = sorted(rows, key=lambda r: (r.next_step, r.ref))
        elif mode == "flags":
            rows = sorted(rows, key=lambda r: (-len(r.overdue), r.ref))
        return rows

    def _show_rows(self) -> None:
        now = self.ydsi.now()
        table = self.query_one("#incidents", RecordTable)
        shown = self._visible_rows()
        # Only the rows on screen are ever formatted: ten thousand cost nothing.
        table.show_lazy([row.ref for row in shown], lambda i: _cells(shown[i], now))
        self._show_summary()
        count = len(shown)
        total = len(self.rows)
        table.border_title = (
            f"Incidents ({count} of {total})" if count != total else f"Incidents ({total})"
        )

    def _show_sort(self) -> None:
        self.query_one("#sort-label", Static).update(plain(f" sort: {SORTS[self.sort_index]} (s)"))

    def _show_summary(self) -> None:
        key = self.query_one("#incidents", RecordTable).current_key
        row = next((r for r in self.rows if r.ref == key), None)
        text = (
            ""
            if row is None
            else (_damaged_text(self.ydsi.services, row) if row.error else row.summary)
        )
        self.query_one("#row-summary", Static).update(plain(text))

    @on(RecordTable.RowHighlighted, "#incidents")
    def _highlighted(self) -> None:
        self._show_summary()

    @on(RecordTable.RowSelected, "#incidents")
    def _selected(self) -> None:
        self.action_open_incident()

    @on(Input.Changed, "#filter")
    def _filter_changed(self) -> None:
        if self._filter_timer is not None:
            self._filter_timer.stop()
        self._filter_timer = self.set_timer(0.15, self._show_rows)

    @on(Input.Submitted, "#filter")
    def _filter_done(self) -> None:
        self.query_one("#incidents", RecordTable).focus()

    @on(OptionList.OptionSelected, "#attention")
    def _attention_selected(self, event: OptionList.OptionSelected) -> None:
        ref = (event.option.id or "").split(":", 1)[-1]
        if ref == "KEYS":  # keys to rotate: a CLI task, said in full in the line itself
            return
        if any(row.ref == ref for row in self.rows):
            self._open(ref)
        else:  # a device reference
            self.ydsi.open_device(ref)

    # ------------------------------------------------------------------
    # actions
    # ------------------------------------------------------------------
    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "open_incident":
            return self.query_one("#incidents", RecordTable).current_key is not None or None
        return True

    def action_open_incident(self) -> None:
        key = self.query_one("#incidents", RecordTable).current_key
        row = next((r for r in self.rows if r.ref == key), None)
        if row is None or row.error is not None:
            return
        self._open(row.ref)

    def _open(self, ref: str) -> None:
        self.ydsi.open_incident(ref)

    def action_new_incident(self) -> None:
        from ..formspec import new_incident_spec

        services = self.ydsi.services
        if services is None:
            return
        self.ydsi.open_form(new_incident_spec(services.policy))

    def action_filter(self) -> None:
        self.query_one("#filter", Input).focus()

    def action_sort(self) -> None:
        self.sort_index = (self.sort_index + 1) % len(SORTS)
        self._show_sort()
        self._show_rows()

    def action_attention(self) -> None:
        options = self.query_one("#attention", OptionList)
        if options.display:
            options.focus()
            if options.highlighted is None and options.option_count:
                options.highlighted = 0  # so Enter opens the first at once (no Down first)

    def action_devices(self) -> None:
        self.ydsi.open_device_list(technician=False)

    def action_pupils(self) -> None:
        self.ydsi.open_pupils()

    def action_refresh(self) -> None:
        self.load()
        self.load_reports()

    def action_inbox(self) -> None:
        if self.ydsi.role in ("dsl", "team", "headteacher"):
            self.ydsi.open_inbox()

    def action_reports(self) -> None:
        self.ydsi.open_reports()

    def action_tool(self, tool_id: str) -> None:
        self.ydsi.open_tool(tool_id)

    def key_escape(self) -> None:
        filter_input = self.query_one("#filter", Input)
        if filter_input.value or filter_input.has_focus:
            filter_input.value = ""
            self.query_one("#incidents", RecordTable).focus()

    def palette_entries(self) -> Iterable[PaletteEntry]:
        yield PaletteEntry(
            "Clear the filter", "Show every incident again", lambda: self.key_escape()
        )


def staff_reports_heading(waiting: list[InboxRow], now: datetime) -> str:
    """ "2 new reports from staff (received 14:20, 15:05): i opens the inbox". Times only."""
    n = len(waiting)
    times = ", ".join(_when_received(row.received_at, now) for row in waiting[:4])
    more = f" and {n - 4} more" if n > 4 else ""
    sealed = sum(1 for row in waiting if row.received.sealed_to_headteacher_only)
    about = f"; {sealed} about a member of staff" if sealed else ""
    what = "A new report from staff" if n == 1 else f"{n} new reports from staff"
    return f"‼ {what} (received {times}{more}{about}): i opens the inbox"


def _when_received(moment: datetime, now: datetime) -> str:
    """ "09:30" today, else "14/11 09:30": the heading stays on one line at 80 columns."""
    if to_local(moment).date() == to_local(now).date():
        return f"{to_local(moment):%H:%M}"
    return format_local_short(moment, now=now)


def _haystack(row: IncidentRow) -> str:
    return " ".join(
        (
            row.ref,
            row.status,
            STATUS_WORDS.get(row.status, ""),
            row.kind,
            row.next_step,
            row.summary,
            flag_words(row.overdue),
        )
    ).casefold()


def _cells(row: IncidentRow, now: datetime) -> list[Text]:
    opened = format_local_short(row.opened_at, now=now) if row.opened_at else "—"
    flags = flag_words(row.overdue)
    if row.error is not None:
        flags = "✗ cannot be read"
    return [
        cell(row.ref, "bold"),
        cell(opened),
        cell(STATUS_WORDS.get(row.status, row.status)),
        cell(row.next_step or "—"),
        cell(flags, "bold" if row.overdue or row.error else ""),
        cell("" if row.error else row.summary),
    ]


def _damaged_text(services: Services | None, row: IncidentRow) -> str:
    """A damaged row names the way back (``ydsi repair REF``) and then what is wrong.

    Plain text: ``plain()`` draws it, never as markup (the error names files).
    """
    from ...service.repair import repair_hint

    role = services.session.role if services is not None else ""
    return f"{repair_hint(row.repair_ref, role)}. {row.error}"
