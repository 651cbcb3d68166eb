"""Issue 11, finding 7, in the app: a device logged against a reference that is no
incident is re-linked from its screen (key i), the DSL's re-link checked; the
seizure form no longer asks power-off and lock-up (the p and k keys record them,
each with its own time and person); the hand-over form asks who handed it over.
"""

from __future__ import annotations

from typing import Any

import pytest

from tests.app.conftest import MakeApp, Refs, screen_text, settle, unlock
from tests.app.test_flows import fill, services
from ydsi_tui.app.screens.devices import DeviceListScreen, DeviceScreen
from ydsi_tui.app.screens.forms import FormScreen
from ydsi_tui.app.screens.home import HomeScreen
from ydsi_tui.app.widgets.table import RecordTable

pytestmark = pytest.mark.slow

WRONG = "which is not an incident"


async def open_device(pilot: Any, ref: str) -> None:
    table = pilot.app.screen.query_one("#devices", RecordTable)
    table.move_cursor(row=table.keys.index(ref))
    table.focus()
    await pilot.press("enter")
    await settle(pilot)
    assert isinstance(pilot.app.screen, DeviceScreen)


async def test_the_dsl_relinks_a_device_logged_against_no_incident(
    app_factory: MakeApp, refs: Refs
) -> None:
    app = app_factory()
    device = services(app, "tech").devices.seize(
        "2026-999", {"description": "grey phone", "owner": "AJ", "seized_by": "Tom Tech"}
    )
    async with app.run_test(size=(120, 40)) as pilot:
        await unlock(pilot)
        assert isinstance(app.screen, HomeScreen)
        assert WRONG in screen_text(app)
        await pilot.press("d")
        await settle(pilot)
        assert isinstance(app.screen, DeviceListScreen)
        await open_device(pilot, device)
        await pilot.press("i")
        await settle(pilot)
        form = app.screen
        assert isinstance(form, FormScreen) and form.form.kind == "device.relinked"
        await fill(pilot, "incident_ref", "2026-998")
        await fill(pilot, "reason", "The technician typed it wrong")
        await pilot.press("f2")
        await settle(pilot)
        assert app.screen is form, "a DSL's re-link to no incident is refused"
        assert "not an incident in this vault" in screen_text(app)
        await fill(pilot, "incident_ref", refs.chat)
        await pilot.press("f2")
        await settle(pilot)
        assert isinstance(app.screen, DeviceScreen)
        assert f"for incident {refs.chat}" in screen_text(app)
        await pilot.press("escape")
        await settle(pilot)
        await pilot.press("escape")
        await settle(pilot)
        assert isinstance(app.screen, HomeScreen)
        assert WRONG not in screen_text(app)
    chain = services(app, "dsl").devices.open(device, log=False).device.chain
    assert [e.event.kind for e in chain] == ["device.seized", "device.relinked"]


async def test_the_technician_records_seizure_power_off_and_handover_apart(
    app_factory: MakeApp, refs: Refs
) -> None:
    app = app_factory(user="tech")
    async with app.run_test(size=(120, 40)) as pilot:
        await unlock(pilot)
        assert isinstance(app.screen, DeviceListScreen)
        await pilot.press("s")
        await settle(pilot)
        form = app.screen
        assert isinstance(form, FormScreen)
        assert form.form.field("powered_off") is None
        assert form.form.field("locked_where") is None
        await fill(pilot, "_incident_ref", "2026-999")
        await fill(pilot, "description", "silver tablet")
        await fill(pilot, "owner", "BE")
        await fill(pilot, "seized_by", "Tom Tech")
        await fill(pilot, "_at", "9:00")
        await pilot.press("f2")
        await settle(pilot)
        assert isinstance(app.screen, DeviceListScreen)
        new = next(r.ref for r in app.screen.rows if r.description == "silver tablet")
        await open_device(pilot, new)
        # The technician cannot check a reference: theirs is taken as given.
        await pilot.press("i")
        await settle(pilot)
        await fill(pilot, "incident_ref", refs.chat)
        await fill(pilot, "reason", "Checked with the DSL")
        await pilot.press("f2")
        await settle(pilot)
        assert isinstance(app.screen, DeviceScreen)
        await pilot.press("p")
        await settle(pilot)
        await fill(pilot, "confirmed_by", "Ms Green")
        await fill(pilot, "_at", "9:20")
        await pilot.press("f2")
        await settle(pilot)
        await pilot.press("h")
        await settle(pilot)
        assert isinstance(app.screen, FormScreen)
        assert app.screen.form.field("handed_over_by") is not None
        await fill(pilot, "officer", "PC Example 123")
        await fill(pilot, "handed_over_by", "Dana Lead")
        await pilot.press("f2")
        await settle(pilot)
        assert isinstance(app.screen, DeviceScreen), screen_text(app)
        assert "by Dana Lead" in screen_text(app)
    device = services(app, "tech").devices.open(new, log=False).device
    assert device.incident_ref == refs.chat
    kinds = [e.event.kind for e in device.chain]
    assert kinds == ["device.seized", "device.powered_off", "device.relinked", "device.handover"]
    seized, off = device.chain[0].event, device.chain[1].event
    assert off.data["confirmed_by"] == "Ms Green" and seized.at < off.at < device.chain[3].event.at
    assert device.problems == ()
    assert device.handed_over_by == "Dana Lead"
