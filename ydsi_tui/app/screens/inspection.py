"""The inspection check: what an inspector would find missing, per incident, and where to fix it.

Runs :func:`~ydsi_tui.service.reports.inspection.inspection_report` in a
thread worker with a progress line (it reads every incident). One row per
thing missing, per thing overdue, then one per complete incident; Enter on a
row opens that incident on its Guide pane at the step that fixes it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from textual import on
from textual.app import ComposeResult
from textual.widgets import Footer, Static

from ...service.reports.inspection import InspectionReport, inspection_report, timing_words
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

__all__ = ["InspectionItem", "InspectionScreen", "inspection_items"]


@dataclass(frozen=True)
class InspectionItem:
    """One row: an incident, what it lacks (or that it lacks nothing), the step to fix it."""

    ref: str
    kind: str  # missing, overdue, damaged, late, time, complete
    step_id: str | None
    step: str
    question: str
    text: str
    #: For a time row: the limit in full (its words and the policy's).
    limit: str = ""


def inspection_items(report: InspectionReport) -> list[InspectionItem]:
    items: list[InspectionItem] = []
    for check in report.incidents:
        if check.error:
            items.append(InspectionItem(check.ref, "damaged", None, "", "", check.error))
        for missing in check.missing:
            items.append(
                InspectionItem(
                    check.ref,
                    "missing",
                    missing.fix_step_id,
                    missing.fix_step,
                    missing.question,
                    "; ".join(missing.missing),
                )
            )
        steps = check.overdue_steps or ("",) * len(check.overdue)
        for text, step_id in zip(check.overdue, steps, strict=True):
            items.append(InspectionItem(check.ref, "overdue", step_id or None, "", "", text))
        for timing in check.times:
            late = timing.within is False or (
                timing.within is None and timing.due <= report.generated_at
            )
            items.append(
                InspectionItem(
                    check.ref,
                    "late" if late else "time",
                    timing.limit.step_id,
                    "",
                    "",
                    timing_words(timing),
                    f"{timing.limit.what}: {timing.limit.shown}",
                )
            )
    items += [
        InspectionItem(c.ref, "complete", None, "", "", "nothing missing, nothing overdue")
        for c in report.incidents
        if c.complete
    ]
    return items


_STEP_WORDS = {
    "overdue": "⌛ overdue now",
    "damaged": "✗ cannot be read",
    "complete": "✔ complete",
    "late": "⌛ late",
    "time": "✔ in time",
}
#: Rows that state a fact and need nothing done.
_STATED = {"complete", "time"}


class InspectionScreen(ToolScreen):
    COMMAND_SCOPES = ("inspection",)
    BINDINGS = bindings("inspection")

    def __init__(self) -> None:
        super().__init__()
        self.report: InspectionReport | None = None
        self.items: list[InspectionItem] = []
        self._resumed = False

    def compose(self) -> ComposeResult:
        yield TopBar("Inspection check")
        yield Static(plain("Checking every incident…"), id="inspection-summary")
        yield ProgressLine(id="inspection-progress")
        yield RecordTable(
            [("ref", "Ref", 8), ("step", "Fix at step", 24), ("missing", "Missing", None)],
            id="inspection-table",
        )
        yield Static("", id="inspection-detail")
        yield Footer(compact=True, show_command_palette=False)

    def on_mount(self) -> None:
        self.query_one("#inspection-table", RecordTable).focus()
        self.reload()

    def reload(self) -> None:
        def job(services: Services, reporter: Reporter) -> InspectionReport:
            assert services.cases is not None
            reporter.stage("Checking the incidents")
            return inspection_report(services.cases, progress=reporter)

        if not self.busy:
            self.run_job("run the inspection check", job, self._show)

    def _show(self, report: InspectionReport) -> None:
        self.report = report
        self.items = inspection_items(report)
        total = len(report.incidents)
        to_fix = sum(1 for item in self.items if item.kind not in _STATED)
        self.query_one("#inspection-summary", Static).update(
            join(
                [
                    ("✔ " if to_fix == 0 else "⚠ ", "bold"),
                    f"{report.complete} of {total} incident(s) complete, up to date and with "
                    f"nothing overdue; {to_fix} thing(s) to fix.",
                ]
            )
        )
        rows: list[Row] = []
        for index, item in enumerate(self.items):
            rows.append(
                (
                    str(index),
                    [
                        cell(item.ref, "bold"),
                        cell(item.step or _STEP_WORDS.get(item.kind, "")),
                        cell(
                            item.text,
                            "bold" if item.kind in ("overdue", "damaged", "late") else "",
                        ),
                    ],
                )
            )
        table = self.query_one("#inspection-table", RecordTable)
        table.show_rows(rows)
        table.border_title = f"What an inspector would find ({to_fix} to fix)"
        self._detail()

    def job_failed(self, message: Failed) -> bool:
        self.query_one("#inspection-summary", Static).update(
            join([("✗ ", "bold"), message.message])
        )
        return False

    def on_screen_resume(self) -> None:
        # Back from an incident (perhaps just fixed): check again.
        if self._resumed and self.report is not None:
            self.reload()
        self._resumed = True

    @property
    def current(self) -> InspectionItem | None:
        key = self.query_one("#inspection-table", RecordTable).current_key
        if key is None or not key.isdigit() or int(key) >= len(self.items):
            return None
        return self.items[int(key)]

    @on(RecordTable.RowHighlighted, "#inspection-table")
    def _detail(self) -> None:
        item = self.current
        detail = self.query_one("#inspection-detail", Static)
        if item is None:
            detail.update("")
            return
        if item.kind == "missing":
            detail.update(
                join(
                    [
                        (f"{item.ref}: ", "bold"),
                        item.question,
                        "\n",
                        ("Missing: ", "bold"),
                        item.text,
                        "\n",
                        ("Fix at: ", "bold"),
                        f"{item.step} (Enter: open it there)",
                    ]
                )
            )
        elif item.kind in ("late", "time"):
            detail.update(
                join(
                    [
                        (f"{item.ref}: ", "bold"),
                        item.text,
                        "\n",
                        ("Limit: ", "bold"),
                        item.limit,
                        "\nEnter opens the incident at that step.",
                    ]
                )
            )
        elif item.kind == "damaged":
            detail.update(join([(f"{item.ref}: ", "bold"), item.text, "\nRun 'ydsi verify'."]))
        else:
            detail.update(
                join([(f"{item.ref}: ", "bold"), item.text, "\nEnter opens the incident."])
            )

    @on(RecordTable.RowSelected, "#inspection-table")
    def _selected(self) -> None:
        self.action_open_item()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "open_item":
            item = self.current
            return (item is not None and item.kind != "damaged") or None
        return True

    def action_open_item(self) -> None:
        item = self.current
        if item is None or item.kind == "damaged":
            return
        self.ydsi.open_incident(item.ref, step=item.step_id)
