"""One young person's record in the pupil register: the facts held, and every incident.

Opened from the pupil list (Enter) or from an incident's People pane (``p``
on a linked young person). Opening it is a read the audit log records
(:meth:`~ydsi_tui.service.register.PupilRegister.open` with ``log=True``),
as opening an incident is; coming back to it from an incident reads it
again without a second entry (the same opening), while ``F5`` and another
user's change are new reads and are logged. Enter on an incident opens it
(that is a read too); ``y`` opens the child's chronology across all of them.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from textual import on
from textual.app import ComposeResult
from textual.widgets import Footer, Static

from ...model.summary import STATUS_WORDS
from ...model.timeparse import format_local_date, to_local
from ...service.register import PupilRegister, PupilView
from ..commands import bindings
from ..messages import Failed, VaultChanged
from ..pupil_words import REPEAT, born_words, parts_words
from ..text import cell, join, plain
from ..widgets.bars import TopBar
from ..widgets.progress import ProgressLine
from ..widgets.table import RecordTable, Row
from .tools import ToolScreen

if TYPE_CHECKING:
    from textual.content import Content

    from ...model.register import Involvement, RegisteredPupil
    from ...service.factory import Services
    from ..jobs import Reporter

__all__ = ["PupilRecordScreen", "facts_lines"]


class PupilRecordScreen(ToolScreen):
    """A register record by its id: what is held of the child, and their incidents."""

    COMMAND_SCOPES = ("pupil",)
    BINDINGS = bindings("pupil")

    def __init__(self, register_id: str) -> None:
        super().__init__()
        self.register_id = register_id
        self.view: PupilView | None = None
        self._resumed = False

    def compose(self) -> ComposeResult:
        yield TopBar("Pupil record")
        yield Static(plain("Opening the record…"), id="pupil-facts")
        yield ProgressLine(id="pupil-progress")
        yield RecordTable(
            [
                ("ref", "Ref", 9),
                ("date", "Date", 10),
                ("status", "Status", 16),
                ("part", "Their part", None),
            ],
            id="pupil-incidents",
        )
        yield Static("", id="pupil-detail")
        yield Footer(compact=True, show_command_palette=False)

    def on_mount(self) -> None:
        self.query_one("#pupil-incidents", RecordTable).focus()
        self.load(log=True)

    # ------------------------------------------------------------------
    # reading (each opening is an audited read)
    # ------------------------------------------------------------------
    def load(self, *, log: bool) -> None:
        register_id = self.register_id

        def job(services: Services, reporter: Reporter) -> PupilView:
            assert services.cases is not None
            reporter.stage("Opening the record (the opening is logged)")
            return PupilRegister(services.cases).open(register_id, log=log)

        if not self.busy:
            self.run_job("open the pupil record", job, self._show)

    def reload(self) -> None:
        self.load(log=True)

    def on_screen_resume(self) -> None:
        if self._resumed and self.view is not None:
            self.load(log=False)  # back from one of its incidents: the same opening
        self._resumed = True

    def on_vault_changed(self, message: VaultChanged) -> None:
        # Unlocked again (nothing changed): the same opening; a change: a new read.
        self.load(log=bool(message.changed))

    def job_failed(self, message: Failed) -> bool:
        self.query_one("#pupil-facts", Static).update(join([("✗ ", "bold"), message.message]))
        return True

    # ------------------------------------------------------------------
    # showing
    # ------------------------------------------------------------------
    def _show(self, view: PupilView) -> None:
        self.view = view
        self.query_one("#pupil-facts", Static).update(join(facts_lines(view)))
        table = self.query_one("#pupil-incidents", RecordTable)
        table.show_rows([_row(item) for item in view.incidents])
        n = len(view.incidents)
        mark = f" {REPEAT} repeat involvement" if n > 1 else ""
        table.border_title = f"Incidents ({n}), earliest first{mark}"
        self._detail()
        self.refresh_bindings()

    @property
    def current(self) -> Involvement | None:
        key = self.query_one("#pupil-incidents", RecordTable).current_key
        view = self.view
        if view is None or key is None:
            return None
        return next((i for i in view.incidents if _key(i) == key), None)

    @on(RecordTable.RowHighlighted, "#pupil-incidents")
    def _detail(self) -> None:
        detail = self.query_one("#pupil-detail", Static)
        item = self.current
        if self.view is None:
            return
        if item is None:
            detail.update(plain("No incident is counted under this record."))
            return
        detail.update(
            join(
                [
                    (f"{item.ref}: ", "bold"),
                    f"{_status(item.status)}; their part: {parts_words(item.parts)}.\n"
                    "Enter: open the incident (a read, logged); y: their chronology",
                ]
            )
        )

    # ------------------------------------------------------------------
    # keys
    # ------------------------------------------------------------------
    @on(RecordTable.RowSelected, "#pupil-incidents")
    def _selected(self) -> None:
        self.action_open_incident()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "open_incident":
            return self.current is not None or None
        if action == "child_chronology":
            return (self.view is not None and bool(self.view.incidents)) or None
        return True

    def action_open_incident(self) -> None:
        item = self.current
        if item is not None:
            self.ydsi.open_incident(item.ref)

    def action_child_chronology(self) -> None:
        if self.view is not None and self.view.incidents:
            self.ydsi.open_child_chronology(register_id=self.register_id)


def facts_lines(view: PupilView) -> list[Content | str | tuple[str, str]]:
    """What the record holds of the child, in words: names, age, sex, needs, CSC, keeping."""
    pupil = view.pupil
    parts: list[Content | str | tuple[str, str]] = [(pupil.name or "(no name)", "bold")]
    if pupil.other_names:
        parts.append(f" (also known as {', '.join(pupil.other_names)})")
    parts.append(f"\n{_age(pupil)}; {pupil.sex}; SEN: {'yes' if pupil.sen else 'no'}")
    if pupil.csc_facts:
        parts.append(f"\nChildren's social care: {'; '.join(pupil.csc_facts)}")
    if pupil.merged_into is not None:
        parts += ["\n", ("✗ MERGED ", "bold"), "into another record: its incidents count there."]
    if view.merged_from:
        parts.append(f"\n{len(view.merged_from)} other record(s) of this child merged into it.")
    if view.keep_until is not None:
        until = format_local_date(view.keep_until)
        parts.append(f"\nKept until {until} (as long as its longest-kept incident)")
        if view.on_hold:
            parts += [" ", ("ON LEGAL HOLD", "bold reverse")]
    made = next((e.event for e in pupil.timeline if e.event.kind == "pupil.registered"), None)
    if made is not None:
        later = len(pupil.timeline) - 1
        changes = f"; {later} later entr{'y' if later == 1 else 'ies'}" if later else ""
        day = format_local_date(to_local(made.at).date())
        parts.append(f"\nRecorded by {made.by} on {day}{changes}")
    if pupil.problems:
        more = f" (and {len(pupil.problems) - 1} more)" if len(pupil.problems) > 1 else ""
        parts += ["\n", ("✗ Problem in the record: ", "bold"), pupil.problems[0].text + more]
    return parts


def _age(pupil: RegisteredPupil) -> str:
    """ "born 14/03/2010", "Year 10 on 13/11/2026" (a year group is true of one school year)."""
    year = pupil.year_group
    when = pupil.year_group_as_of
    in_year = (
        f"Year {year} when recorded on {format_local_date(when)}"
        if year is not None and when
        else ""
    )
    if pupil.dob is not None:
        return born_words(pupil.dob, None) + (f", {in_year}" if in_year else "")
    return in_year or born_words(None, year)


def _status(status: str) -> str:
    return STATUS_WORDS.get(status, status) or "status not known"


def _key(item: Involvement) -> str:
    return f"{item.ref}:{item.pupil_id}"


def _row(item: Involvement) -> Row:
    day = format_local_date(item.incident_date) if item.incident_date else "?"
    return (
        _key(item),
        [
            cell(item.ref, "bold"),
            cell(day),
            cell(_status(item.status)),
            cell(parts_words(item.parts)),
        ],
    )
