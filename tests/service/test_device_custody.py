"""Issue 11, finding 7, through the service: a device logged against a reference
that is no incident is re-linked by an entry (technician or DSL), and seizure,
power-off, lock-up and hand-over are each their own entry with their own person.
"""

from __future__ import annotations

from collections.abc import Callable

import pytest

from ydsi_tui.model.errors import ValidationError
from ydsi_tui.service.factory import Services

from .test_casebook import cases

Make = Callable[[str], Services]

SEIZURE = {"description": "blue iPhone 13", "owner": "AJ", "seized_by": "Tom Tech"}


def dsl_attention(services: Make) -> list[tuple[str, str]]:
    """The device lines of the DSL's home, as ``load_home`` asks for them."""
    dsl = services("dsl")
    assert dsl.cases is not None
    incidents = {row.ref for row in dsl.cases.rows()}
    return dsl.devices.attention(dsl.devices.rows(), incidents=incidents)


def test_a_technician_relinks_a_device_and_the_dsl_is_told_until_it_is_an_incident(
    services: Make,
) -> None:
    real = cases(services).create("a phone was involved")
    tech = services("tech").devices
    phone = tech.seize("2026-999", SEIZURE)
    assert any("2026-999, which is not an incident" in text for _, text in dsl_attention(services))
    # The technician cannot check a reference: a second wrong one is taken, and still flagged.
    tech.relink(phone, "2026-998", "I typed it wrong")
    assert any("2026-998, which is not an incident" in text for _, text in dsl_attention(services))
    tech.relink(phone, real, "The DSL gave me the right one")
    assert not any("not an incident" in text for _, text in dsl_attention(services))
    assert [row.ref for row in services("dsl").devices.rows(incident_ref=real)] == [phone]
    device = tech.open(phone).device
    assert device.meta.incident_ref == "2026-999"  # the first reference stays on record
    kinds = [entry.event.kind for entry in device.chain]
    assert kinds == ["device.seized", "device.relinked", "device.relinked"]
    assert not any(entry.superseded for entry in device.chain)


def test_the_dsls_relink_is_checked_against_the_incidents(services: Make) -> None:
    real = cases(services).create("a phone was involved")
    phone = services("tech").devices.seize("2026-999", SEIZURE)
    dsl = services("dsl").devices
    with pytest.raises(ValidationError) as info:
        dsl.relink(phone, "2026-998", "Wrong again")
    assert info.value.field == "incident_ref" and "not an incident" in info.value.message
    with pytest.raises(ValidationError):
        dsl.relink(phone, "2026-999", "The same one")
    dsl.relink(phone, real, "Checked with the technician")
    assert dsl.open(phone).device.incident_ref == real
    assert not any("not an incident" in text for _, text in dsl_attention(services))
    # A correction of the re-link needs its reason, as every correction does.
    relink = dsl.open(phone).device.chain[-1].event
    with pytest.raises(ValidationError):
        dsl.record(phone, "device.relinked", {"incident_ref": "2026-997", "reason": "x"},
                   supersedes=relink.id)  # fmt: skip


def test_power_off_and_lock_up_at_seizure_are_entries_of_their_own(services: Make) -> None:
    real = cases(services).create("a phone was involved")
    tech = services("tech").devices
    phone = tech.seize(real, {**SEIZURE, "powered_off": True, "locked_where": "DSL safe"})
    chain = tech.open(phone).device.chain
    assert [e.event.kind for e in chain] == ["device.seized", "device.powered_off", "device.locked"]
    assert "powered_off" not in chain[0].event.data and "locked_where" not in chain[0].event.data
    assert chain[1].event.data == {"confirmed_by": "Tom Tech"}
    device = tech.open(phone).device
    assert device.powered_off_confirmed and device.status == "locked"
    assert device.location == "DSL safe"


def test_a_handover_names_who_handed_it_over(services: Make) -> None:
    real = cases(services).create("a phone was involved")
    tech = services("tech").devices
    phone = tech.seize(real, SEIZURE)
    with pytest.raises(ValidationError) as info:
        tech.record(phone, "device.handover", {"officer": "PC Example 123"})
    assert info.value.field == "handed_over_by"
    tech.record(phone, "device.handover",
                {"officer": "PC Example 123", "handed_over_by": "Dana Lead"})  # fmt: skip
    assert tech.open(phone).device.handed_over_by == "Dana Lead"
