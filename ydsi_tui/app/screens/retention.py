"""Retention and legal holds: until when each record is kept, holds, reviews, destruction.

The list (:func:`~ydsi_tui.service.reports.retention.retention_report`, in a
thread worker) puts what is due for review first, then the rest, then what
was destroyed (from the audit log: reference, when, by whom, never content).
On a row: ``h`` sets a legal hold (who and why), ``l`` lifts one, ``k`` keeps
the record longer, ``x`` destroys it. Destroying is asked in three steps: the
service first says whether it would refuse (a hold, not yet due, not a DSL)
in its own words; then the reference must be typed, with what the audit
entry will record shown; then it is destroyed under the vault's lock.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from textual import on
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Footer, Input, Label, Static

from ...model.errors import ValidationError
from ...model.timeparse import format_local, format_local_date, parse_date, to_local
from ...service.reports.retention import (
    BASIS_LABELS,
    DestroyedRow,
    RetentionReport,
    RetentionRow,
    retention_report,
)
from ...service.retention import RetentionDesk
from ..commands import bindings
from ..text import cell, join, plain, styled
from ..widgets.bars import TopBar
from ..widgets.progress import ProgressLine
from ..widgets.table import RecordTable, Row
from .tools import ToolScreen

if TYPE_CHECKING:
    from textual.content import Content

    from ...service.factory import Services
    from ...service.retention import Destroyed
    from ..jobs import Reporter

__all__ = ["DestroyDialog", "Destruction", "RetentionScreen"]


def _desk(services: Services) -> RetentionDesk:
    assert services.cases is not None
    return RetentionDesk(services.cases, services.devices)


@dataclass(frozen=True)
class Destruction:
    """What destroying one record will do, for the confirmation dialog."""

    ref: str
    devices: int
    basis: str
    kept_until: str
    by: str


class RetentionScreen(ToolScreen):
    COMMAND_SCOPES = ("retention",)
    BINDINGS = bindings("retention")

    def __init__(self) -> None:
        super().__init__()
        self.report: RetentionReport | None = None
        self._resumed = False

    def compose(self) -> ComposeResult:
        yield TopBar("Retention and legal holds")
        yield Static(plain("Reading every incident…"), id="retention-summary")
        yield ProgressLine(id="retention-progress")
        yield RecordTable(
            [
                ("ref", "Ref", 9),
                ("until", "Kept until", 10),
                ("due", "Review", 6),
                ("hold", "Hold", 7),
                ("why", "Why", None),
            ],
            id="retention-table",
        )
        yield Static("", id="retention-detail")
        yield Footer(compact=True, show_command_palette=False)

    def on_mount(self) -> None:
        self.query_one("#retention-table", RecordTable).focus()
        self.reload()

    def on_screen_resume(self) -> None:
        if self._resumed and self.report is not None:
            self.reload()
        self._resumed = True

    # ------------------------------------------------------------------
    def reload(self) -> None:
        def job(services: Services, reporter: Reporter) -> RetentionReport:
            assert services.cases is not None
            reporter.stage("Reading the incidents")
            return retention_report(services.cases, progress=reporter)

        if not self.busy:
            self.run_job("read the retention list", job, self._show)

    def _show(self, report: RetentionReport) -> None:
        self.report = report
        due = len(report.due)
        self.query_one("#retention-summary", Static).update(
            join(
                [
                    ("⌛ " if due else "✔ ", "bold"),
                    f"{due} record(s) due for review on {format_local_date(report.today)}. "
                    "Nothing is destroyed automatically: a DSL keeps a record longer (k) or "
                    "destroys it (x).",
                ]
            )
        )
        rows: list[Row] = []
        for row in report.rows:
            rows.append(
                (
                    row.ref,
                    [
                        cell(row.ref, "bold"),
                        cell(format_local_date(row.until) if row.until else "?"),
                        cell("⌛ DUE" if row.due else "", "bold"),
                        cell("ON HOLD" if row.on_hold else "", "bold"),
                        cell(row.error or row.why),
                    ],
                )
            )
        for index, gone in enumerate(report.destroyed):
            when = format_local_date(to_local(gone.at).date()) if gone.at else "?"
            rows.append(
                (
                    f"destroyed:{index}",
                    [
                        cell(gone.ref),
                        cell(when),
                        cell("✗ gone"),
                        cell(""),
                        cell(f"destroyed by {gone.by}"),
                    ],
                )
            )
        table = self.query_one("#retention-table", RecordTable)
        table.show_rows(rows)
        table.border_title = (
            f"Records ({len(report.rows)}; {due} due; {len(report.destroyed)} destroyed)"
        )
        self._detail()

    # ------------------------------------------------------------------
    @property
    def row(self) -> RetentionRow | None:
        key = self.query_one("#retention-table", RecordTable).current_key
        if self.report is None or key is None:
            return None
        return next((r for r in self.report.rows if r.ref == key), None)

    @property
    def destroyed(self) -> DestroyedRow | None:
        key = self.query_one("#retention-table", RecordTable).current_key
        if self.report is None or key is None or not key.startswith("destroyed:"):
            return None
        return self.report.destroyed[int(key.split(":", 1)[1])]

    @on(RecordTable.RowHighlighted, "#retention-table")
    def _detail(self) -> None:
        detail = self.query_one("#retention-detail", Static)
        gone = self.destroyed
        if gone is not None:
            when = format_local(gone.at) if gone.at else "?"
            detail.update(
                join(
                    [
                        (f"{gone.ref} ✗ destroyed ", "bold"),
                        f"{when} by {gone.by} ({BASIS_LABELS.get(gone.basis, gone.basis)}, "
                        f"kept until {gone.kept_until}). The audit log records what was "
                        "destroyed, when and by whom; none of its content.",
                    ]
                )
            )
            return
        row = self.row
        if row is None:
            detail.update("")
            return
        parts: list[Content | str | tuple[str, str]] = [(f"{row.ref}: ", "bold")]
        if row.error:
            parts += [("✗ cannot be read: ", "bold"), row.error]
        else:
            until = format_local_date(row.until) if row.until else "?"
            estimated = " (estimated)" if row.estimated else ""
            parts.append(f"kept until {until}{estimated}: {row.why}.")
            if row.due:
                parts += [" ", ("⌛ Due for review:", "bold"), " keep longer (k) or destroy (x)."]
        for hold in row.holds:
            if not hold.active:
                continue
            authority = f" (for {hold.authority})" if hold.authority else ""
            parts += [
                "\n",
                ("ON HOLD", "bold reverse"),
                f" set {format_local(hold.at)} by {hold.by}: {hold.reason}{authority}",
            ]
        detail.update(join(parts))

    @on(RecordTable.RowSelected, "#retention-table")
    def _selected(self) -> None:
        self.action_open_incident()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action in ("hold", "lift", "review", "destroy", "open_incident"):
            row = self.row
            return (row is not None and not row.error and not self.busy) or None
        return True

    # ------------------------------------------------------------------
    def action_open_incident(self) -> None:
        row = self.row
        if row is not None and not row.error:
            self.ydsi.open_incident(row.ref)

    def action_hold(self) -> None:
        from .dialogs import FieldDef, FieldsDialog

        row = self.row
        if row is None:
            return
        ref = row.ref

        def chosen(values: dict[str, str] | None) -> None:
            if values is None:
                return
            reason, authority = values["reason"], values["authority"]

            def job(services: Services, reporter: Reporter) -> Any:
                return _desk(services).set_hold(ref, reason, authority=authority)

            self.run_job(f"set a legal hold on {ref}", job, lambda _: self._done(
                f"Legal hold set on {ref}: it cannot be destroyed until the hold is lifted."
            ), write=True)  # fmt: skip

        self.app.push_screen(
            FieldsDialog(
                f"Set a legal hold on {ref}",
                "While a hold is in force the record cannot be destroyed, whatever its "
                "dates say. The hold records who set it (you), when, and why.",
                [
                    FieldDef(
                        "reason", "Why (e.g. an inquiry's moratorium on destruction)", required=True
                    ),
                    FieldDef("authority", "At whose request (optional, e.g. The Inquiry)"),
                ],
                done="Set the hold",
            ),
            chosen,
        )

    def action_lift(self) -> None:
        from .dialogs import MenuDialog

        row = self.row
        if row is None:
            return
        active = [hold for hold in row.holds if hold.active]
        if len(active) > 1:

            def picked(hold_id: str | None) -> None:
                if hold_id is not None:
                    self._lift(row.ref, hold_id)

            self.app.push_screen(
                MenuDialog(
                    f"Which hold on {row.ref}?",
                    [
                        (h.event_id, f"Set {format_local(h.at)} by {h.by}: {h.reason}")
                        for h in active
                    ],
                ),
                picked,
            )
            return
        self._lift(row.ref, active[0].event_id if active else None)

    def _lift(self, ref: str, hold_id: str | None) -> None:
        from .dialogs import ReasonDialog

        def chosen(reason: str | None) -> None:
            if reason is None:
                return

            def job(services: Services, reporter: Reporter) -> Any:
                return _desk(services).lift_hold(ref, reason, hold_id=hold_id)

            lifted = f"Legal hold lifted on {ref}."
            self.run_job(f"lift the legal hold on {ref}", job, lambda _: self._done(lifted),
                         write=True)  # fmt: skip

        self.app.push_screen(
            ReasonDialog(
                f"Lift the legal hold on {ref}",
                "Why is the hold lifted? (Recorded with your name; the hold and its "
                "lifting both stay in the record.)",
            ),
            chosen,
        )

    def action_review(self) -> None:
        from .dialogs import FieldDef, FieldsDialog

        row = self.row
        if row is None:
            return
        ref = row.ref
        now = self.ydsi.now()

        def check(values: dict[str, str]) -> dict[str, str]:
            try:
                parse_date(values["until"], now=now, field="until")
            except ValidationError as error:
                return {"until": error.message}
            return {}

        def chosen(values: dict[str, str] | None) -> None:
            if values is None:
                return
            until = parse_date(values["until"], now=now, field="until")
            reason = values["reason"]

            def job(services: Services, reporter: Reporter) -> Any:
                return _desk(services).review(ref, until, reason)

            self.run_job(f"keep {ref} longer", job, lambda _: self._done(
                f"Recorded: {ref} is kept until {format_local_date(until)}."
            ), write=True)  # fmt: skip

        self.app.push_screen(
            FieldsDialog(
                f"Keep {ref} longer",
                "A record due for review may be kept to a later date, with the reason "
                "(recorded with your name). It can never be made due earlier.",
                [
                    FieldDef("until", "Keep until (a date, such as 31/08/2030)", required=True),
                    FieldDef(
                        "reason", "Why (e.g. the police investigation continues)", required=True
                    ),
                ],
                check=check,
                done="Keep it",
            ),
            chosen,
        )

    def action_destroy(self) -> None:
        row = self.row
        if row is None:
            return
        ref, basis = row.ref, BASIS_LABELS.get(row.basis, row.basis)
        until = format_local_date(row.until) if row.until else "?"

        def job(services: Services, reporter: Reporter) -> Destruction:
            reporter.stage(f"Checking whether {ref} may be destroyed")
            _desk(services).check_destroy(ref)  # the service's refusal, in its words
            devices = [r for r in services.devices.rows(incident_ref=ref) if r.error is None]
            assert services.cases is not None
            return Destruction(ref, len(devices), basis, until, services.cases.author)

        # Named as what it leads to: a refusal reads "Could not destroy 2026-001: ...".
        self.run_job(f"destroy {ref}", job, self._confirm_destroy)

    def _confirm_destroy(self, plan: Destruction) -> None:
        def confirmed(yes: bool | None) -> None:
            if not yes:
                return
            ref = plan.ref

            def job(services: Services, reporter: Reporter) -> Destroyed:
                reporter.stage(f"Destroying {ref}")
                return _desk(services).destroy(ref)

            self.run_job(f"destroy {ref}", job, self._destroyed, write=True)

        self.app.push_screen(DestroyDialog(plan), confirmed)

    def _destroyed(self, done: Destroyed) -> None:
        devices = f" and {len(done.devices)} device record(s)" if done.devices else ""
        text = (
            f"Destroyed {done.ref}{devices}. The audit log (entry {done.entry.seq}) records "
            "what was destroyed, when and by whom; none of its content."
        )
        self.notify(text, markup=False, timeout=10)
        self.ydsi.open_reader(f"{done.ref} destroyed", join([("✔ ", "bold"), text]))
        self.reload()

    def _done(self, text: str) -> None:
        self.notify(text, markup=False)
        self.reload()


class DestroyDialog(ModalScreen[bool | None]):
    """What destroying will do and what the audit log will keep; type the reference to go on."""

    COMMAND_SCOPES = ("destroy",)
    BINDINGS = bindings("destroy")

    def __init__(self, plan: Destruction) -> None:
        super().__init__(classes="dialog")
        self.plan = plan

    def compose(self) -> ComposeResult:
        plan = self.plan
        devices = (
            f" and the custody records of its {plan.devices} device(s)" if plan.devices else ""
        )
        with Vertical(classes="dialog-box error-box destroy-box"):
            yield Label(styled(f"✗ Destroy {plan.ref} for good?", "bold"), classes="dialog-title")
            yield Static(
                join(
                    [
                        f"The incident {plan.ref}{devices} will be deleted from the vault. "
                        "This cannot be undone (backups made earlier still hold it, "
                        "encrypted).\n",
                        ("The audit log will record: ", "bold"),
                        f"what was destroyed (the reference {plan.ref} and the record's "
                        f"internal id), why (retention: {plan.basis}, kept until "
                        f"{plan.kept_until}), when, and by whom ({plan.by}). None of its "
                        "content.",
                    ]
                ),
                classes="dialog-text",
            )
            yield Label(plain(f"Type the reference {plan.ref} to confirm:"), classes="field-label")
            yield Input(id="destroy-ref", compact=True)
            yield Static("", id="destroy-check")
            with Horizontal(classes="dialog-buttons"):
                yield Button(plain("F2  Destroy"), id="destroy", variant="error")
                yield Button(plain("Esc  Back"), id="back")

    def on_mount(self) -> None:
        from .dialogs import steady_cursors

        steady_cursors(self)
        self.query_one("#destroy-ref", Input).focus()
        self._check("")

    @on(Input.Changed, "#destroy-ref")
    def _changed(self, event: Input.Changed) -> None:
        self._check(event.value)

    def _check(self, typed: str) -> None:
        matches = typed.strip() == self.plan.ref
        check = self.query_one("#destroy-check", Static)
        if matches:
            check.update(join([("✔ ", "bold"), "The reference matches: F2 destroys it."]))
        elif typed.strip():
            check.update(join([("✗ ", "bold"), "That is not the reference: nothing happens."]))
        else:
            check.update(plain("Nothing is destroyed until the reference is typed exactly."))
        self.query_one("#destroy", Button).disabled = not matches

    @on(Input.Submitted, "#destroy-ref")
    def _submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self.action_confirm()

    def on_button_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        if event.button.id == "destroy":
            self.action_confirm()
        else:
            self.action_back()

    def action_confirm(self) -> None:
        if self.query_one("#destroy-ref", Input).value.strip() == self.plan.ref:
            self.dismiss(True)

    def action_back(self) -> None:
        self.dismiss(None)
