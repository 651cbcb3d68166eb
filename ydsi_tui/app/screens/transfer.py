"""Transfers: a pupil's records sent to their new school, and the receipt that comes back.

The list shows the transfers still waiting for a receipt (from the stored
summaries: nothing is decrypted), with those past the policy's five school
days marked OVERDUE (they are on the home screen's attention list too).
``n`` sends: the pupil's name (and date of birth if two share it), the
receiving school and DSL, and a new file; the service writes the file,
encrypted to a passphrase generated for it, and records the transfer in each
incident. The passphrase is then shown once, with the instruction to give it
separately, by phone. Enter on a transfer records the receipt.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING

from textual import on
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.widgets import Button, Footer, Input, Label, Static

from ...model.errors import ValidationError
from ...model.timeparse import date_to_iso, format_local_short, parse_date, parse_when, to_local
from ...service.transfers import PendingTransfer, SentTransfer, TransferDesk
from ..commands import bindings
from ..exports import OUTSIDE, default_path, prepare, resolve, shown
from ..text import cell, join, plain, styled, visible
from ..widgets.bars import TopBar
from ..widgets.progress import ProgressLine
from ..widgets.table import RecordTable, Row
from .dialogs import ShownOnceDialog
from .tools import ToolScreen

if TYPE_CHECKING:
    from textual.content import Content

    from ...service.factory import Services
    from ..jobs import Reporter
    from ..messages import Failed

__all__ = ["PassphraseDialog", "SendScreen", "Sent", "TransferScreen"]


def _desk(services: Services) -> TransferDesk:
    assert services.cases is not None
    return TransferDesk(services.cases, services.devices)


class TransferScreen(ToolScreen):
    COMMAND_SCOPES = ("transfer",)
    BINDINGS = bindings("transfer")

    def __init__(self) -> None:
        super().__init__()
        self.pending: list[PendingTransfer] = []

    def compose(self) -> ComposeResult:
        yield TopBar("Transfers")
        yield Static(
            plain(
                "When a pupil moves school, send their records to the new school's DSL, "
                "encrypted to a passphrase you give them separately (by phone). A transfer "
                "with no receipt after 5 school days is flagged.",
                multiline=True,
            ),
            id="transfer-intro",
        )
        yield ProgressLine(id="transfer-progress")
        yield RecordTable(
            [
                ("id", "Transfer", 16),
                ("refs", "Incidents", None),
                ("sent", "Sent", 11),
                ("due", "Receipt due", 11),
                ("flag", "", 9),
            ],
            id="transfer-table",
        )
        yield Static("", id="transfer-hint")
        yield Footer(compact=True, show_command_palette=False)

    def on_mount(self) -> None:
        self.query_one("#transfer-table", RecordTable).focus()
        self.reload()

    def reload(self) -> None:
        def job(services: Services, reporter: Reporter) -> list[PendingTransfer]:
            return _desk(services).pending()

        if not self.busy:
            self.run_job("read the transfers waiting for a receipt", job, self._show)

    def _show(self, pending: list[PendingTransfer]) -> None:
        self.pending = pending
        now = self.ydsi.now()
        rows: list[Row] = [
            (
                p.transfer_id,
                [
                    cell(p.transfer_id, "bold"),
                    cell(", ".join(p.refs)),
                    cell(format_local_short(p.sent_at, now=now)),
                    cell(format_local_short(p.due_at, now=now)),
                    cell("⚠ OVERDUE" if p.overdue else "", "bold"),
                ],
            )
            for p in pending
        ]
        table = self.query_one("#transfer-table", RecordTable)
        table.show_rows(rows)
        table.border_title = f"Waiting for the receiving school's receipt ({len(rows)})"
        hint = (
            "n: send a pupil's records.   Enter: record the receipt of the highlighted one."
            if rows
            else "✔ No transfer is waiting for a receipt.   n: send a pupil's records."
        )
        self.query_one("#transfer-hint", Static).update(plain(hint))
        self.refresh_bindings()

    @property
    def current(self) -> PendingTransfer | None:
        key = self.query_one("#transfer-table", RecordTable).current_key
        return next((p for p in self.pending if p.transfer_id == key), None)

    @on(RecordTable.RowSelected, "#transfer-table")
    def _selected(self) -> None:
        self.action_receipt()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "receipt":
            return (self.current is not None and not self.busy) or None
        return True

    def on_screen_resume(self) -> None:
        self.reload()

    def action_new(self) -> None:
        self.app.push_screen(SendScreen())

    def action_receipt(self) -> None:
        from .dialogs import FieldDef, FieldsDialog

        chosen_transfer = self.current
        if chosen_transfer is None:
            return
        tid = chosen_transfer.transfer_id
        now = self.ydsi.now()

        def check(values: dict[str, str]) -> dict[str, str]:
            if values["at"]:
                try:
                    parse_when(values["at"], now=now, field="at")
                except ValidationError as error:
                    return {"at": error.message}
            return {}

        def chosen(values: dict[str, str] | None) -> None:
            if values is None:
                return
            by, at, note = values["by"], values["at"] or None, values["note"]

            def job(services: Services, reporter: Reporter) -> tuple[str, ...]:
                return _desk(services).receipt(tid, by, at=at, note=note)

            def done(refs: tuple[str, ...]) -> None:
                said = f"Receipt recorded in {', '.join(refs)}."
                self.notify(said, markup=False)
                self.reload()

            self.run_job(f"record the receipt of transfer {tid}", job, done, write=True)

        self.app.push_screen(
            FieldsDialog(
                f"Receipt of transfer {tid}",
                "The receiving school confirmed they have the records "
                f"({', '.join(chosen_transfer.refs)}).",
                [
                    FieldDef(
                        "by", "Confirmed by (their name, at the receiving school)", required=True
                    ),
                    FieldDef("at", "When (blank: now; or such as 'today 14:30')"),
                    FieldDef("note", "Note (optional)"),
                ],
                check=check,
                done="Record the receipt",
            ),
            chosen,
        )


@dataclass(frozen=True, repr=False)
class Sent:
    """A transfer written and recorded, and the passphrase it was sealed with (shown once)."""

    transfer: SentTransfer
    passphrase: str


_FIELDS = (
    ("pupil", "Young person's name, in full *", ""),
    ("dob", "Their date of birth (asked when two share the name)", "such as 14/11/2009"),
    ("school", "Receiving school *", "such as Ash Grove Academy"),
    ("dsl", "Receiving school's DSL (name)", ""),
    ("file", "File to write (a new file; ~ is your home folder) *", ""),
)


class SendScreen(ToolScreen):
    """Who, to which school, which file; F2 writes and records; then the passphrase, once."""

    COMMAND_SCOPES = ("send",)
    BINDINGS = bindings("send")

    def compose(self) -> ComposeResult:
        yield TopBar("Send a pupil's records")
        today = date_to_iso(to_local(self.ydsi.now()).date())
        with VerticalScroll(id="send-body"):
            for name, label, hint in _FIELDS:
                with Vertical(classes="field", id=f"send-{name}-box"):
                    yield Label(plain(label), classes="field-label")
                    value = default_path(f"transfer-{today}", ".transfer") if name == "file" else ""
                    yield Input(value, placeholder=hint, compact=True, id=f"send-{name}")
            yield Static(
                join(
                    [
                        "The file holds the pupil's chronologies (PDF, Markdown and JSON), "
                        "encrypted to a passphrase made for it. ",
                        ("The passphrase is shown once, after the file is written: ", "bold"),
                        "give it to the receiving DSL separately, by phone, never with the file.",
                    ]
                ),
                id="send-guidance",
            )
        yield ProgressLine(id="send-progress")
        yield Static("", id="send-status")
        yield Footer(compact=True, show_command_palette=False)

    def on_mount(self) -> None:
        self.query_one("#send-dob-box").display = False
        for field in self.query(Input):
            field.cursor_blink = self.ydsi.settings.cursor_blink
        self.query_one("#send-pupil", Input).focus()
        self._status(plain("Fields marked * are required. F2 sends; Esc goes back."))

    def _status(self, text: Content) -> None:
        self.query_one("#send-status", Static).update(text)

    def _value(self, name: str) -> str:
        return self.query_one(f"#send-{name}", Input).value.strip()

    @on(Input.Submitted)
    def _next(self, event: Input.Submitted) -> None:
        event.stop()
        if event.input.id == "send-file":
            self.action_send()
        else:
            self.focus_next()

    def action_send(self) -> None:
        if self.busy:
            return
        missing = [n for n in ("pupil", "school", "file") if not self._value(n)]
        if missing:
            self._status(join([("✗ ", "bold"), "Fill in the fields marked *."]))
            self.query_one(f"#send-{missing[0]}", Input).focus()
            return
        dob: date | None = None
        if self._value("dob"):
            try:
                dob = parse_date(self._value("dob"), now=self.ydsi.now(), field="dob",
                                 allow_future=False)  # fmt: skip
            except ValidationError as error:
                self._status(join([("✗ ", "bold"), error.message]))
                self.query_one("#send-dob", Input).focus()
                return
        pupil, school, dsl, file = (self._value(n) for n in ("pupil", "school", "dsl", "file"))

        def job(services: Services, reporter: Reporter) -> Sent:
            from ...vault.transfer import generate_passphrase

            path = prepare(resolve(file))
            passphrase = generate_passphrase()
            reporter.stage("Gathering and encrypting the records")
            sent = _desk(services).send(pupil, path, passphrase, to_school=school, to_dsl=dsl,
                                        dob=dob, progress=reporter)  # fmt: skip
            return Sent(sent, passphrase)

        self._status(plain(""))
        self.run_job("send the records", job, self._sent, write=True)

    def _sent(self, sent: Sent) -> None:
        where = visible(shown(sent.transfer.path))
        count = len(sent.transfer.refs)

        def closed(_: None) -> None:
            # Said once the passphrase has gone, so nothing covers its instructions.
            said = f"Wrote the encrypted records of {count} incident(s) to {where}. {OUTSIDE}"
            self.notify(said, markup=False, timeout=12)
            self.dismiss(None)

        self.app.push_screen(PassphraseDialog(sent), closed)

    def job_failed(self, message: Failed) -> bool:
        self._status(join([("✗ Nothing was sent: ", "bold"), message.message]))
        if message.field == "dob":
            self.query_one("#send-dob-box").display = True
            self.query_one("#send-dob", Input).focus()
            return True
        if message.field == "pupil":
            self.query_one("#send-pupil", Input).focus()
            return True
        return False

    def action_close(self) -> None:
        self.action_back()


class PassphraseDialog(ShownOnceDialog):
    """The transfer's passphrase, once, and what to do with it."""

    COMMAND_SCOPES = ("passphrase",)
    BINDINGS = bindings("passphrase")
    LOST_TITLE = "Close without the passphrase"
    LOST_TEXT = (
        "It will not be shown again. Without it the receiving school cannot open the file, "
        "and the records would have to be sent again. Press D to close without it; any "
        "other key shows it again."
    )

    def __init__(self, sent: Sent) -> None:
        super().__init__()
        self.sent: Sent | None = sent

    def compose(self) -> ComposeResult:
        sent = self.sent
        assert sent is not None
        transfer = sent.transfer
        with Vertical(classes="dialog-box passphrase-box"):
            yield Label(styled("Give this passphrase to the receiving DSL", "bold"),
                        classes="dialog-title")  # fmt: skip
            yield Static(
                join(
                    [
                        ("✔ Written: ", "bold"),
                        f"the encrypted records of {len(transfer.refs)} incident(s) "
                        "(readable by you only) to\n"
                        f"{visible(shown(transfer.path))}\n"
                        f"Transfer {transfer.transfer_id} is recorded in "
                        f"{', '.join(transfer.refs)}.",
                    ]
                ),
                classes="dialog-text",
            )
            yield Static(styled(sent.passphrase, "bold reverse"), id="transfer-passphrase")
            yield Static(
                join(
                    [
                        ("⚠ Give it separately: ", "bold"),
                        "read it out to the receiving DSL by phone, never in the email or "
                        "with the file. It is shown this once and kept nowhere; without it "
                        "the file cannot be opened (send again if it is lost). When they "
                        "confirm receipt, record it here (Enter on the transfer).",
                    ]
                ),
                classes="dialog-text",
            )
            with Horizontal(classes="dialog-buttons"):
                yield Button(plain("Enter  I have it: close"), id="done", variant="primary")

    def forget(self) -> None:
        self.sent = None
