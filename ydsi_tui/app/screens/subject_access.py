"""Subject access: what the vault holds about one young person, marked for redaction.

Type the young person's name (and, if two share it, their date of birth: the
field appears when the service asks for it); F2 gathers everything in a
thread worker (every incident is searched; each one shown is opened, so the
read is audited). The report is shown here exactly as it will be exported,
with every mark for redaction visible as ``[REDACT why: text]`` in reverse
video; ``e`` writes it to a new file for review before release.
"""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING

from textual import on
from textual.app import ComposeResult
from textual.containers import Vertical, VerticalScroll
from textual.widgets import Footer, Input, Label, Static

from ...model.errors import ValidationError
from ...model.timeparse import date_to_iso, parse_date, to_local
from ...service.reports.subject_access import (
    SubjectAccess,
    subject_access,
    subject_access_document,
)
from ..commands import bindings
from ..docview import document_content
from ..text import join, plain
from ..widgets.bars import TopBar
from ..widgets.progress import ProgressLine
from .tools import ToolScreen

if TYPE_CHECKING:
    from textual.content import Content

    from ...service.factory import Services
    from ..jobs import Reporter
    from ..messages import Failed

__all__ = ["SubjectAccessScreen"]


class SubjectAccessScreen(ToolScreen):
    COMMAND_SCOPES = ("sar",)
    BINDINGS = bindings("sar")

    def __init__(self) -> None:
        super().__init__()
        self.report: SubjectAccess | None = None
        self.gathered_for: tuple[str, str] | None = None

    def compose(self) -> ComposeResult:
        yield TopBar("Subject access")
        with Vertical(id="sar-form"):
            with Vertical(classes="field", id="sar-name-box"):
                yield Label(plain("Young person's name, in full *"), classes="field-label")
                yield Input(id="sar-name", compact=True)
            with Vertical(classes="field", id="sar-dob-box"):
                yield Label(plain("Their date of birth (asked when two share the name)"),
                            classes="field-label")  # fmt: skip
                yield Input(id="sar-dob", compact=True, placeholder="such as 14/11/2009")
            yield Static("", id="sar-summary")
        yield ProgressLine(id="sar-progress")
        with VerticalScroll(id="sar-preview"):
            yield Static("", id="sar-document")
        yield Footer(compact=True, show_command_palette=False)

    def on_mount(self) -> None:
        self.query_one("#sar-dob-box").display = False
        self.query_one("#sar-preview").display = False
        for field in self.query(Input):
            field.cursor_blink = self.ydsi.settings.cursor_blink
        self.query_one("#sar-name", Input).focus()
        self._summary(plain("Type the name, then F2 (or Enter) to gather. Esc: back."))

    def _summary(self, text: Content) -> None:
        self.query_one("#sar-summary", Static).update(text)

    # ------------------------------------------------------------------
    def _typed(self) -> tuple[str, str]:
        return (
            self.query_one("#sar-name", Input).value.strip(),
            self.query_one("#sar-dob", Input).value.strip(),
        )

    @on(Input.Changed)
    def _changed(self) -> None:
        if self.report is not None and self._typed() != self.gathered_for:
            self._summary(
                join(
                    [
                        ("⚠ ", "bold"),
                        "The name or date changed: F2 gathers again before anything is exported.",
                    ]
                )
            )
            self.refresh_bindings()

    @on(Input.Submitted)
    def _submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self.action_gather()

    def action_gather(self) -> None:
        name, dob_text = self._typed()
        if not name:
            self._summary(join([("✗ ", "bold"), "Type the young person's name first."]))
            self.query_one("#sar-name", Input).focus()
            return
        dob: date | None = None
        if dob_text:
            try:
                dob = parse_date(dob_text, now=self.ydsi.now(), field="dob", allow_future=False)
            except ValidationError as error:
                self._summary(join([("✗ ", "bold"), error.message]))
                self.query_one("#sar-dob", Input).focus()
                return

        def job(services: Services, reporter: Reporter) -> SubjectAccess:
            assert services.cases is not None
            reporter.stage("Searching every incident")
            return subject_access(services.cases, services.devices, name, dob=dob,
                                  progress=reporter)  # fmt: skip

        typed = (name, dob_text)
        self.run_job(
            "gather what the vault holds about this young person",
            job,
            lambda report: self._show(report, typed),
        )

    def _show(self, report: SubjectAccess, typed: tuple[str, str]) -> None:
        self.report = report
        self.gathered_for = typed
        self._summary(
            join(
                [
                    ("✔ ", "bold"),
                    f"{len(report.incidents)} incident(s); {report.marked} item(s) marked "
                    "for redaction, shown ",
                    ("[REDACT …]", "bold reverse"),
                    ". Review every one before anything is released. e: export.",
                ]
            )
        )
        preview = self.query_one("#sar-preview", VerticalScroll)
        self.query_one("#sar-document", Static).update(
            document_content(subject_access_document(report))
        )
        preview.display = True
        preview.scroll_home(animate=False)
        preview.focus()
        self.refresh_bindings()

    def job_failed(self, message: Failed) -> bool:
        self._summary(join([("✗ ", "bold"), message.message]))
        if message.field == "dob":
            self.query_one("#sar-dob-box").display = True
            self.query_one("#sar-dob", Input).focus()
            return True  # asked beside the field: no dialog
        if message.field == "pupil":
            self.query_one("#sar-name", Input).focus()
            return True
        return False

    # ------------------------------------------------------------------
    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "export":
            ready = self.report is not None and self._typed() == self.gathered_for
            return (ready and not self.busy) or None
        return True

    def action_export(self) -> None:
        from ...service.reports.formats import render
        from ...service.reports.subject_access import subject_access_json
        from .export import ExportDialog

        report = self.report
        if report is None or self._typed() != self.gathered_for or self.busy:
            return

        def build(services: Services, fmt: str, reporter: Reporter) -> bytes:
            reporter.stage(f"Rendering the {fmt.upper()}")
            return render(fmt, subject_access_document(report), subject_access_json(report))

        today = date_to_iso(to_local(self.ydsi.now()).date())
        self.app.push_screen(
            ExportDialog(
                "Export the subject access report",
                "the subject access report",
                f"subject-access-{today}",
                build,
                about=f"{len(report.incidents)} incident(s), {report.marked} item(s) marked for "
                "redaction. NOT FOR RELEASE AS IT STANDS: review every mark first. The file "
                "name does not name the young person.",
            )
        )
