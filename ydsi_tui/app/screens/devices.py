"""The device custody log: the technician's whole app, and the DSL's view of every device.

A technician's session holds the custody key only, so these screens are all
they can reach: a device names its incident by reference, never by content.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from textual import on, work
from textual.app import ComposeResult
from textual.widgets import Footer, OptionList, Static
from textual.widgets.option_list import Option

from ...model.timeparse import format_local_short
from ...service.describe import KIND_LABELS, describe
from ..commands import bindings
from ..formspec import device_spec
from ..jobs import call
from ..messages import DeviceLoaded, DevicesLoaded, Failed, Saved, VaultChanged
from ..text import cell, join, line, plain
from ..widgets.bars import TopBar
from ..widgets.options import Options
from ..widgets.panes import event_text, timeline_rows
from ..widgets.table import RecordTable, Row
from ..words import flag_words
from .base import AppScreen

if TYPE_CHECKING:
    from ...service.devices import DeviceRow, DeviceView
    from ...service.factory import Services
    from ...vault.drafts import Draft

__all__ = ["DeviceListScreen", "DeviceScreen"]

STATUS = {
    "seized": "seized",
    "locked": "locked away",
    "handed_over": "with the police",
    "returned": "returned",
    "damaged": "✗ DAMAGED",
}


class DeviceListScreen(AppScreen[None]):
    """Every device seized: status, where it is, what is overdue."""

    COMMAND_SCOPES = ("devices",)
    BINDINGS = bindings("devices")

    def __init__(self, *, technician: bool) -> None:
        super().__init__()
        self.technician = technician
        self.rows: list[DeviceRow] = []
        self._generation = 0

    def compose(self) -> ComposeResult:
        yield TopBar("Device custody log")
        yield Static(plain("Reading the custody log…"), id="attention-none")
        yield Options(id="attention")
        yield RecordTable(
            [
                ("ref", "Device", 12),
                ("incident", "Incident", 9),
                ("status", "Status", 15),
                ("where", "Where", 18),
                ("flags", "Flags", None),
            ],
            id="devices",
        )
        yield Static("", id="device-summary")
        yield Footer(compact=True, show_command_palette=False)

    def on_mount(self) -> None:
        self.query_one("#attention", OptionList).display = False
        self.query_one("#devices", RecordTable).focus()
        self.load()

    def load(self) -> None:
        self._generation += 1
        self._load(self._generation)

    @work(thread=True, exit_on_error=False, group="devices-load", description="read the log")
    def _load(self, generation: int) -> None:
        def job(services: Services) -> DevicesLoaded:
            rows = services.devices.rows()
            return DevicesLoaded(rows, services.devices.attention(rows), generation)

        self.post_message(call(self.ydsi, "read the custody log", job))

    def on_devices_loaded(self, message: DevicesLoaded) -> None:
        if message.generation != self._generation:
            return
        self.rows = message.rows
        now = self.ydsi.now()
        attention = self.query_one("#attention", OptionList)
        none = self.query_one("#attention-none", Static)
        if message.attention:
            none.display = False
            attention.display = True
            attention.set_options(
                [Option(line(("⚠ ", "bold"), (f"{ref:<12}", "bold"), text), id=f"{i}:{ref}")
                 for i, (ref, text) in enumerate(message.attention)]
            )  # fmt: skip
            attention.border_title = f"Needs attention ({len(message.attention)})"
        else:
            attention.display = False
            none.display = True
            none.update(plain("✔ No device is waiting too long."))
        table = self.query_one("#devices", RecordTable)
        shown: list[Row] = []
        for row in self.rows:
            seized = format_local_short(row.seized_at, now=now) if row.seized_at else "—"
            shown.append(
                (
                    row.ref,
                    [
                        cell(row.ref, "bold"),
                        cell(row.incident_ref),
                        cell(STATUS.get(row.status, row.status)),
                        cell(row.location or "—"),
                        cell(flag_words(row.overdue) or f"seized {seized}"),
                    ],
                )
            )
        table.show_rows(shown)
        table.border_title = f"Devices ({len(shown)})"
        self._summary()

    @on(RecordTable.RowHighlighted, "#devices")
    def _summary(self) -> None:
        key = self.query_one("#devices", RecordTable).current_key
        row = next((r for r in self.rows if r.ref == key), None)
        text = (
            ""
            if row is None
            else (_damaged_text(self.ydsi.services, row) if row.error else row.description)
        )
        self.query_one("#device-summary", Static).update(plain(text))

    @on(RecordTable.RowSelected, "#devices")
    def _selected(self) -> None:
        self.action_open_device()

    @on(OptionList.OptionSelected, "#attention")
    def _attention(self, event: OptionList.OptionSelected) -> None:
        ref = (event.option.id or "").split(":", 1)[-1]
        self.ydsi.open_device(ref, self._after)

    def on_failed(self, message: Failed) -> None:
        if message.error_type != "Locked":
            self.ydsi.show_error(message)

    def on_vault_changed(self, message: VaultChanged) -> None:
        self.load()

    def on_screen_resume(self) -> None:
        self.load()

    def _after(self, saved: Saved | None) -> None:
        self.load()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "back":
            return not self.technician
        return True

    def action_open_device(self) -> None:
        key = self.query_one("#devices", RecordTable).current_key
        row = next((r for r in self.rows if r.ref == key), None)
        if row is not None and row.error is None:
            self.ydsi.open_device(row.ref, self._after)

    def action_seize(self) -> None:
        services = self.ydsi.services
        if services is not None:
            form = device_spec("device.seized", services.policy, ref=None)
            self.ydsi.open_form(form, after=self._after)

    def action_back(self) -> None:
        if not self.technician:
            self.dismiss(None)

    def action_refresh(self) -> None:
        self.load()


class DeviceScreen(AppScreen[Saved | None]):
    """One device: where it is now, and its custody chain in the order things happened."""

    COMMAND_SCOPES = ("device",)
    BINDINGS = bindings("device")

    def __init__(self, ref: str, *, restore: Draft | None = None) -> None:
        super().__init__()
        self.ref = ref
        self.view: DeviceView | None = None
        self.record_id: str | None = None
        self._restore = restore
        self.changed = False
        self._generation = 0

    def compose(self) -> ComposeResult:
        yield TopBar(f"Device {self.ref}")
        yield Static(plain(f"{self.ref}: reading…"), id="device-state")
        yield RecordTable(
            [("when", "When", 11), ("what", "Entry", 22), ("details", "Details", None)],
            id="chain",
        )
        yield Footer(compact=True, show_command_palette=False)

    def on_mount(self) -> None:
        self.query_one("#chain", RecordTable).focus()
        self.load(log=True)

    def load(self, *, log: bool = False) -> None:
        self._generation += 1
        self._load(log, self._generation)

    @work(thread=True, exit_on_error=False, group="device-load", description="open the device")
    def _load(self, log: bool, generation: int) -> None:
        ref = self.ref

        def job(services: Services) -> DeviceLoaded:
            self.record_id = services.session.record_id("custody", ref)
            return DeviceLoaded(services.devices.open(ref, log=log), generation)

        self.post_message(call(self.ydsi, "open the device", job))

    def on_device_loaded(self, message: DeviceLoaded) -> None:
        # Loads overlap (the save's own, a change seen by the watcher): only the
        # latest one asked for is shown, or an earlier read would undo a save on screen.
        if message.generation != self._generation:
            return
        self.view = message.view
        device = message.view.device
        now = self.ydsi.now()
        off = "✔ confirmed off" if device.powered_off_confirmed else "✗ NOT confirmed off"
        status = STATUS.get(device.status or "", device.status or "?")
        held = ""
        if device.status == "handed_over":
            held = f"; handed to {device.officer} {device.officer_id}, crime ref {device.crime_ref}"
            if device.handed_over_by:
                held += f", by {device.handed_over_by}"
        overdue = "".join(f"\n⚠ {flag.text}" for flag in message.view.overdue)
        self.query_one("#device-state", Static).update(
            join(
                [
                    (f"{self.ref}", "bold"),
                    f" for incident {device.incident_ref}: {status}; {off}\n",
                    device.description,
                    f"; owner: {device.owner}; at: {device.location or '?'}",
                    f"; accessed {device.accesses} time(s){held}{overdue}",
                ]
            )
        )
        rows: list[Row] = []
        policy = self.ydsi.services.policy if self.ydsi.services else None
        for entry in timeline_rows(device.chain):
            label = KIND_LABELS.get(entry.event.kind, entry.event.kind)
            if entry.superseded:
                label += " ✗ corrected"
            details = describe(entry.event, policy, {}) if policy is not None else ""
            rows.append(
                (
                    entry.key,
                    [
                        cell(format_local_short(entry.event.at, now=now)),
                        cell(("  ↳ correction: " if entry.depth else "") + label),
                        cell(details),
                    ],
                )
            )
        table = self.query_one("#chain", RecordTable)
        table.show_rows(rows)
        table.border_title = "Custody chain (Enter reads an entry in full)"
        if self._restore is not None:
            draft, self._restore = self._restore, None
            _restore_device_form(self, draft)

    @on(RecordTable.RowSelected, "#chain")
    def _read(self) -> None:
        key = self.query_one("#chain", RecordTable).current_key
        services = self.ydsi.services
        if self.view is None or key is None or services is None:
            return
        entry = next((e for e in self.view.device.chain if e.event.id == key), None)
        if entry is not None:
            text = event_text(entry.event, services.policy, {})
            self.ydsi.open_reader(f"Device {self.ref}", text)

    def on_failed(self, message: Failed) -> None:
        if message.error_type != "Locked":
            self.ydsi.show_error(message)

    def on_vault_changed(self, message: VaultChanged) -> None:
        if not message.changed or ("custody", self.record_id) in message.changed:
            self.load(log=bool(message.changed))

    def action_entry(self, kind: str) -> None:
        services = self.ydsi.services
        if services is None:
            return
        self.ydsi.open_form(device_spec(kind, services.policy, ref=self.ref), after=self._after)

    def _after(self, saved: Saved | None) -> None:
        if saved is not None:
            self.changed = True
            self.load()

    def action_back(self) -> None:
        self.dismiss(None)


def _restore_device_form(screen: DeviceScreen, draft: Draft) -> None:
    services = screen.ydsi.services
    content = draft.content
    kind = str(content.get("form", ""))
    values = content.get("values")
    if services is None or not kind.startswith("device."):
        return
    ref = None if kind == "device.seized" else str(content.get("ref") or "")
    incident_ref = str(content.get("ref") or "") if kind == "device.seized" else None
    form = device_spec(kind, services.policy, ref=ref, incident_ref=incident_ref or None)
    screen.ydsi.open_form(form, values if isinstance(values, dict) else {}, draft_id=draft.draft_id)


def _damaged_text(services: Services | None, row: DeviceRow) -> str:
    """A damaged row names the way back (``ydsi repair REF``) and then what is wrong.

    Plain text: ``plain()`` draws it, never as markup (the error names files).
    """
    from ...service.repair import repair_hint

    role = services.session.role if services is not None else ""
    return f"{repair_hint(row.repair_ref, role)}. {row.error}"
