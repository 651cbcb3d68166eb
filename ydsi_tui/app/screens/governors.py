"""Governors' figures: a school year's counts as text charts, with no names or references.

The figures are counted in a thread worker (every incident is read, without
logging a read: nothing of any incident is shown). The screen shows the
counts by term, then referred against handled in school, by kind, by year
group and by sex (each by term, with a bar for the year), repeat involvement
and the median times; they are longer than 24 lines, so the body scrolls
(``↑``/``↓``, ``PgUp``/``PgDn``, ``Home``/``End``). ``←``/``→`` move a school
year, ``y`` types one, ``e`` writes the report to a new PDF or Markdown file.
Small numbers are hidden here exactly as in the export (``c``): what the
screen shows is what a governor may be shown. Nothing on this screen names
a young person, a member of staff or an incident: only the school, the year,
the terms and the numbers.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from textual import events
from textual.app import ComposeResult
from textual.containers import VerticalScroll
from textual.content import Content
from textual.widgets import Footer, Static

from ...model.errors import ValidationError
from ...model.schoolyear import SchoolYear, parse_school_year, school_year_of
from ...model.timeparse import format_local_date, to_local
from ...service.reports.governors import GovernorsReport, governors_report
from ..commands import bindings
from ..figures import MEASURES, breakdown_lines, chart_lines, outcome_lines, repeat_lines
from ..messages import Failed
from ..text import join
from ..widgets.bars import TopBar
from ..widgets.progress import ProgressLine
from .tools import ToolScreen

if TYPE_CHECKING:
    from ...service.factory import Services
    from ..jobs import Reporter

__all__ = ["GovernorsScreen"]


class GovernorsScreen(ToolScreen):
    COMMAND_SCOPES = ("governors",)
    BINDINGS = bindings("governors")

    def __init__(self, year: SchoolYear | None = None) -> None:
        super().__init__()
        self.year = year
        self.report: GovernorsReport | None = None
        self._wanted: SchoolYear | None = None

    def compose(self) -> ComposeResult:
        yield TopBar("Governors' figures")
        yield Static("", id="governors-title")
        yield ProgressLine(id="governors-progress")
        with VerticalScroll(id="governors-body"):
            yield Static("", id="governors-chart")
            yield Static("", id="governors-more")
            yield Static("", id="governors-notes")
        yield Footer(compact=True, show_command_palette=False)

    def on_mount(self) -> None:
        if self.year is None:
            self.year = school_year_of(to_local(self.ydsi.now()).date())
        self.load(self.year)
        self.query_one("#governors-body", VerticalScroll).focus()

    # ------------------------------------------------------------------
    def reload(self) -> None:
        if self.year is not None:
            self.load(self.year)

    def load(self, year: SchoolYear) -> None:
        if self.busy:
            self._wanted = year  # counted as soon as the current count finishes
            return
        self.year = year
        self._title()

        def job(services: Services, reporter: Reporter) -> GovernorsReport:
            assert services.cases is not None
            reporter.stage(f"Counting {year.label}")
            report = governors_report(services.cases, services.devices, year, progress=reporter)
            _ = report.hidden  # the suppression's solve, here in the worker, not when drawing
            return report

        self.run_job(f"count the figures for {year.label}", job, self._counted)

    def _title(self) -> None:
        year = self.year
        assert year is not None
        report = self.report
        school = report.school if report is not None and report.year == year else ""
        self.query_one("#governors-title", Static).update(
            join(
                [
                    (f"School year {year.label}", "bold"),
                    f" ({format_local_date(year.start)} to {format_local_date(year.end)})",
                    f"  {school}\n" if school else "\n",
                    "Nobody and no incident named. c: hidden (a small number). ↑↓ scrolls.",
                ]
            )
        )

    def _counted(self, report: GovernorsReport) -> None:
        self.report = report
        if self._wanted is not None and self._wanted != self.year:
            wanted, self._wanted = self._wanted, None
            self.load(wanted)
            return
        self._wanted = None
        self._title()
        self._draw()

    def job_failed(self, message: Failed) -> bool:
        self._wanted = None
        return False

    def on_resize(self, event: events.Resize) -> None:
        self._draw()

    def _draw(self) -> None:
        report = self.report
        if report is None:
            return
        width = max(40, self.size.width - 4)  # the body's padding and its scrollbar
        chart = self.query_one("#governors-chart", Static)
        chart.update(join(chart_lines(report, width), "\n"))
        sections = [outcome_lines(report, width)]
        sections += [breakdown_lines(report, b, width) for b in report.breakdowns]
        sections.append(repeat_lines(report))
        more = [line for section in sections for line in (*section, Content(""))]
        self.query_one("#governors-more", Static).update(join(more, "\n"))
        legend = "; ".join(f"{heading}: {meaning}" for _, heading, meaning in MEASURES[1:])
        notes: list[Content | str | tuple[str, str]] = [
            f"Each row is a term, each bar a count on the same scale. {legend}. "
            "Below, each row's bar is its year's figure. c: hidden to protect the young "
            "people (under 3, or a number that would give one away); 0 is shown.\n",
        ]
        if report.unreadable:
            notes += [("⚠ ", "bold"), f"{report.unreadable} record(s) could not be read and "
                      "are not counted: run 'ydsi verify'.\n"]  # fmt: skip
        notes.append(
            "Terms: autumn 1 September to 31 December; spring 1 January to Easter Day; "
            "summer Easter Monday to 31 August."
        )
        self.query_one("#governors-notes", Static).update(join(notes))

    # ------------------------------------------------------------------
    def action_year(self, step: int) -> None:
        if self.year is not None:
            self.load(SchoolYear(self.year.start_year + step))

    def action_choose_year(self) -> None:
        from .dialogs import FieldDef, FieldsDialog

        def check(values: dict[str, str]) -> dict[str, str]:
            try:
                parse_school_year(values["year"])
            except ValidationError as error:
                return {"year": error.message}
            return {}

        def chosen(values: dict[str, str] | None) -> None:
            if values is not None:
                self.load(parse_school_year(values["year"]))

        label = self.year.label if self.year is not None else ""
        self.app.push_screen(
            FieldsDialog(
                "Which school year?",
                "A school year runs from 1 September to 31 August.",
                [FieldDef("year", "School year (such as 2025-26)", label, required=True)],
                check=check,
                done="Show",
            ),
            chosen,
        )

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "export":
            return (self.report is not None and not self.busy) or None
        return True

    def action_export(self) -> None:
        from ...service.reports.formats import render
        from ...service.reports.governors import governors_document, governors_json
        from .export import ExportDialog

        report = self.report
        if report is None or self.busy:
            return

        def build(services: Services, fmt: str, reporter: Reporter) -> bytes:
            reporter.stage(f"Rendering the {fmt.upper()}")
            return render(fmt, governors_document(report), governors_json(report))

        label = report.year.label
        self.app.push_screen(
            ExportDialog(
                f"Export the governors' figures for {label}",
                f"the governors' figures for {label}",
                f"governors-{label}",
                build,
                formats=("pdf", "md"),
                about="The counts by term shown here, how they are counted, and nothing "
                "else: no names, no references. Marked OFFICIAL-SENSITIVE.",
            )
        )
