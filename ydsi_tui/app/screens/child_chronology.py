"""The child's chronology on screen: one young person across their incidents.

Opened from an incident (``y``, on the highlighted young person of the People
pane, or the incident's only one), or by the pupil register's own screen
with a register id. Gathered in a thread worker: each incident is opened,
so each is an audited read (``w`` then shows it). The document is the one
the export writes (:mod:`ydsi_tui.service.reports.child_chronology`), drawn
as plain Content; ``e`` writes it to a new PDF, Markdown or JSON file.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from textual.app import ComposeResult
from textual.containers import VerticalScroll
from textual.widgets import Footer, Static

from ...model.timeparse import date_to_iso, to_local
from ...service.pupils import find_pupil
from ...service.reports.child_chronology import (
    ChildChronology,
    child_chronology,
    child_chronology_document,
    register_chronology,
)
from ..commands import bindings
from ..docview import document_content
from ..text import join, plain
from ..widgets.bars import TopBar
from ..widgets.progress import ProgressLine
from .tools import ToolScreen

if TYPE_CHECKING:
    from ...service.factory import Services
    from ..jobs import Reporter
    from ..messages import Failed

__all__ = ["ChildChronologyScreen"]


class ChildChronologyScreen(ToolScreen):
    """One child's chronology: by register id, or by the pupil of one incident."""

    COMMAND_SCOPES = ("childchron",)
    BINDINGS = bindings("childchron")

    def __init__(self, *, register_id: str = "", ref: str = "", pupil_id: str = "") -> None:
        super().__init__()
        self.register_id = register_id
        self.ref = ref
        self.pupil_id = pupil_id
        self.chrono: ChildChronology | None = None

    def compose(self) -> ComposeResult:
        yield TopBar("A young person's chronology")
        yield Static(plain("Opening each of their incidents…"), id="childchron-summary")
        yield ProgressLine(id="childchron-progress")
        with VerticalScroll(id="childchron-preview", can_focus=True):
            yield Static("", id="childchron-document")
        yield Footer(compact=True, show_command_palette=False)

    def on_mount(self) -> None:
        self.query_one("#childchron-preview", VerticalScroll).focus()
        self.reload()

    def reload(self) -> None:
        register_id, ref, pupil_id = self.register_id, self.ref, self.pupil_id

        def job(services: Services, reporter: Reporter) -> ChildChronology:
            cases = services.cases
            assert cases is not None
            reporter.stage("Opening each incident (each opening is audited)")
            if register_id:
                return register_chronology(cases, register_id, devices=services.devices)
            pupil = cases.open(ref, log=False).incident.pupils[pupil_id]
            if pupil.register_id:
                return register_chronology(cases, pupil.register_id, devices=services.devices)
            links = find_pupil(cases, pupil.name, dob=pupil.dob)
            return child_chronology(cases, links, devices=services.devices)

        if not self.busy:
            self.run_job("gather the young person's chronology", job, self._show)

    def _show(self, chrono: ChildChronology) -> None:
        self.chrono = chrono
        unmatched = (
            f" Left out (not linked in the incident itself): {', '.join(chrono.unmatched)}."
            if chrono.unmatched
            else ""
        )
        self.query_one("#childchron-summary", Static).update(
            join(
                [
                    ("✔ ", "bold"),
                    f"{len(chrono.incidents)} incident(s), {len(chrono.entries)} entries in the "
                    f"order they happened; other young people shown as 'another pupil'. "
                    f"e: export.{unmatched}",
                ]
            )
        )
        self.query_one("#childchron-document", Static).update(
            document_content(child_chronology_document(chrono))
        )
        preview = self.query_one("#childchron-preview", VerticalScroll)
        preview.scroll_home(animate=False)
        self.refresh_bindings()

    def job_failed(self, message: Failed) -> bool:
        self.query_one("#childchron-summary", Static).update(
            join([("✗ ", "bold"), message.message])
        )
        return True

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "export":
            return (self.chrono is not None and not self.busy) or None
        return True

    def action_export(self) -> None:
        from ...service.reports.child_chronology import child_chronology_json
        from ...service.reports.formats import render
        from .export import ExportDialog

        chrono = self.chrono
        if chrono is None or self.busy:
            return

        def build(services: Services, fmt: str, reporter: Reporter) -> bytes:
            reporter.stage(f"Rendering the {fmt.upper()}")
            return render(fmt, child_chronology_document(chrono), child_chronology_json(chrono))

        today = date_to_iso(to_local(self.ydsi.now()).date())
        self.app.push_screen(
            ExportDialog(
                "Export the young person's chronology",
                "the young person's chronology",
                f"chronology-{chrono.register_id or 'pupil'}-{today}",
                build,
                about=f"{len(chrono.incidents)} incident(s) in the order things happened, "
                "other young people shown as 'another pupil'; marked OFFICIAL-SENSITIVE. "
                "The file name does not name the young person.",
            )
        )

    def action_refresh(self) -> None:
        self.reload()

    def action_back(self) -> None:
        self.dismiss(None)
