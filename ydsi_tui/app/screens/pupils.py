"""The pupil register: one row per young person, across every incident they are in.

Reached from home by ``p`` (issue 15). The list is the register's own
(:meth:`~ydsi_tui.service.register.PupilRegister.rows`: one pass over the
summaries, no record decrypted, so drawing it is not an audited read); a
child in more than one incident is marked ``↺ repeat`` beside the count.
``/`` narrows the list as you type; Enter opens the highlighted child's
record, and that opening is a read the audit log records. Only the case
roles reach it: a technician's session holds no case key, and
``open_pupils`` (app/navigation.py) says so rather than showing an empty list.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from textual import on
from textual.app import ComposeResult
from textual.timer import Timer
from textual.widgets import Footer, Input, Static

from ...service.register import PupilRegister, RegisterRow
from ..commands import bindings
from ..messages import Failed
from ..pupil_words import REPEAT, born_words, count_words, parts_words
from ..text import cell, join, plain
from ..widgets.bars import TopBar
from ..widgets.progress import ProgressLine
from ..widgets.table import RecordTable, Row
from .tools import ToolScreen

if TYPE_CHECKING:
    from textual.content import Content

    from ...service.factory import Services
    from ..jobs import Reporter

__all__ = ["PupilListScreen"]


class PupilListScreen(ToolScreen):
    """Every young person in the register: year or birth date, incidents, parts."""

    COMMAND_SCOPES = ("pupils",)
    BINDINGS = bindings("pupils")

    def __init__(self) -> None:
        super().__init__()
        self.rows: list[RegisterRow] | None = None
        self._haystacks: dict[str, str] = {}
        self._filter_timer: Timer | None = None
        self._resumed = False

    def compose(self) -> ComposeResult:
        yield TopBar("Pupils")
        yield Static(plain("Reading the register…"), id="pupils-summary")
        yield ProgressLine(id="pupils-progress")
        yield Input(placeholder="/ filter: name, year, part, repeat", id="pupils-filter")
        yield RecordTable(
            [
                ("name", "Name", None),
                ("born", "Year or born", 15),
                ("count", "Incidents", 10),
                ("parts", "Their parts", None),
            ],
            id="pupils-table",
            shares={"name": (0.5, 36)},
        )
        yield Static("", id="pupils-detail")
        yield Footer(compact=True, show_command_palette=False)

    def on_mount(self) -> None:
        self.query_one("#pupils-filter", Input).cursor_blink = self.ydsi.settings.cursor_blink
        self.query_one("#pupils-table", RecordTable).focus()
        self.reload()

    def on_screen_resume(self) -> None:
        # Back from a record or an incident: a link may have been made meanwhile.
        if self._resumed and self.rows is not None:
            self.reload()
        self._resumed = True

    def reload(self) -> None:
        def job(services: Services, reporter: Reporter) -> list[RegisterRow]:
            assert services.cases is not None
            reporter.stage("Reading the register")
            return PupilRegister(services.cases).rows()

        if not self.busy:
            self.run_job("read the pupil register", job, self._loaded)

    def job_failed(self, message: Failed) -> bool:
        self.query_one("#pupils-summary", Static).update(join([("✗ ", "bold"), message.message]))
        return True

    # ------------------------------------------------------------------
    # showing
    # ------------------------------------------------------------------
    def _loaded(self, rows: list[RegisterRow]) -> None:
        self.rows = rows
        self._haystacks = {row.register_id: _haystack(row) for row in rows}
        repeat = sum(1 for row in rows if len(row.incidents) > 1)
        summary: list[Content | str | tuple[str, str]]
        if not rows:
            summary = [
                ("✔ ", "bold"),
                "No pupil records yet. One is made from an incident's young person: "
                "p on them on its People pane (6), or 'ydsi pupil link REF new'.",
            ]
        else:
            summary = [
                ("✔ ", "bold"),
                f"{len(rows)} young people; {repeat} in more than one incident ({REPEAT} repeat).",
            ]
        self.query_one("#pupils-summary", Static).update(join(summary))
        self._show_rows()

    def _visible(self) -> list[RegisterRow]:
        words = self.query_one("#pupils-filter", Input).value.casefold().split()
        rows = self.rows or []
        if not words:
            return rows
        hay = self._haystacks
        return [row for row in rows if all(word in hay[row.register_id] for word in words)]

    def _show_rows(self) -> None:
        shown = self._visible()
        table = self.query_one("#pupils-table", RecordTable)
        table.show_rows([_row(row) for row in shown])
        total = len(self.rows or [])
        count = f"{len(shown)} of {total}" if len(shown) != total else str(total)
        table.border_title = f"Young people in the register ({count})"
        self._detail()

    @property
    def current(self) -> RegisterRow | None:
        key = self.query_one("#pupils-table", RecordTable).current_key
        return next((r for r in self.rows or [] if r.register_id == key), None)

    @on(RecordTable.RowHighlighted, "#pupils-table")
    def _detail(self) -> None:
        row = self.current
        detail = self.query_one("#pupils-detail", Static)
        if row is None:
            detail.update("")
            return
        n = len(row.incidents)
        parts: list[Content | str | tuple[str, str]] = [
            (" / ".join(row.names) or "(no name)", "bold"),
            f": {born_words(row.dob, row.year_group)}, {row.sex}",
            "; known to children's social care" if row.known_to_csc else "",
            ". ",
        ]
        if n > 1:
            parts.append((f"{REPEAT} Repeat involvement: ", "bold"))
        parts.append(
            f"{n} incident{'' if n == 1 else 's'}"
            + (": " if n else ".")
            + ", ".join(f"{i.ref} ({parts_words(i.parts)})" for i in row.incidents)
        )
        if row.merged_from:
            parts.append(f". {len(row.merged_from)} other record(s) of this child merged into it")
        parts.append("\nEnter: open their record (the opening is logged)")
        detail.update(join(parts))

    # ------------------------------------------------------------------
    # keys
    # ------------------------------------------------------------------
    @on(Input.Changed, "#pupils-filter")
    def _filter_changed(self) -> None:
        if self._filter_timer is not None:
            self._filter_timer.stop()
        self._filter_timer = self.set_timer(0.15, self._show_rows)

    @on(Input.Submitted, "#pupils-filter")
    def _filter_done(self) -> None:
        self.query_one("#pupils-table", RecordTable).focus()

    @on(RecordTable.RowSelected, "#pupils-table")
    def _selected(self) -> None:
        self.action_open_record()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "open_record":
            return self.current is not None or None
        return True

    def action_open_record(self) -> None:
        row = self.current
        if row is not None:
            self.ydsi.open_pupil_record(row.register_id)

    def action_filter(self) -> None:
        self.query_one("#pupils-filter", Input).focus()

    def action_back(self) -> None:
        """Esc clears the filter first (as on the incident list), then goes back."""
        field = self.query_one("#pupils-filter", Input)
        if field.value or field.has_focus:
            field.value = ""
            self.query_one("#pupils-table", RecordTable).focus()
            self._show_rows()
            return
        super().action_back()


def _row(row: RegisterRow) -> Row:
    n = len(row.incidents)
    return (
        row.register_id,
        [
            cell(" / ".join(row.names) or "(no name)", "bold"),
            cell(born_words(row.dob, row.year_group)),
            cell(count_words(n), "bold" if n > 1 else ""),
            cell(parts_words(row.parts) if n else "no incident linked"),
        ],
    )


def _haystack(row: RegisterRow) -> str:
    return " ".join(
        (
            *row.names,
            born_words(row.dob, row.year_group),
            parts_words(row.parts),
            "repeat" if len(row.incidents) > 1 else "",
            *(i.ref for i in row.incidents),
        )
    ).casefold()
