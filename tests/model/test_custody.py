"""The device custody chain: seized, powered off, locked, handed to the police."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from ydsi_tui.model.custody import (
    DeviceMeta,
    check_device_event,
    check_relink,
    device_overdue,
    device_summary,
    fold_device,
    new_device_meta,
)
from ydsi_tui.model.errors import ValidationError
from ydsi_tui.model.events import Event, make_event
from ydsi_tui.model.policy import Policy

from .support import START

TECH = "Chris Tech"


class Chain:
    def __init__(self, policy: Policy) -> None:
        self.policy = policy
        self.meta = new_device_meta("D-2026-004", "2026-007", now=START, by=TECH)
        self.events: list[Event] = []
        self.now = START

    def add(self, kind: str, data: dict[str, Any], **kw: Any) -> Event:
        device = fold_device(self.meta, self.events)
        check_device_event(device, kind)
        event = make_event(
            kind,
            data,
            at=self.now,
            now=self.now,
            by=TECH,
            by_role="technician",
            policy=self.policy,
            **kw,
        )
        self.events.append(event)
        return event

    @property
    def device(self) -> Any:
        return fold_device(self.meta, self.events)


@pytest.fixture
def chain(policy: Policy) -> Chain:
    return Chain(policy)


def seize(chain: Chain, powered_off: bool = True) -> Event:
    return chain.add(
        "device.seized",
        {
            "description": "Black iPhone 13, cracked screen",
            "owner": "AJ",
            "seized_by": "Mr Brown",
            "powered_off": powered_off,
        },
    )


def test_meta_holds_only_the_incident_reference(chain: Chain) -> None:
    doc = chain.meta.to_doc()
    assert set(doc) == {"ref", "incident_ref", "created_at", "created_by"}
    assert DeviceMeta.from_doc(doc) == chain.meta
    for change in ({"ref": "2026-004"}, {"incident_ref": ""}, {"created_at": 3}):
        with pytest.raises(ValidationError):
            DeviceMeta.from_doc({**doc, **change})
    with pytest.raises(ValidationError):
        new_device_meta("D-2026-1", "2026-007", now=START, by=TECH)


def test_the_full_chain(chain: Chain, policy: Policy) -> None:
    seize(chain)
    assert chain.device.status == "seized"
    chain.now += timedelta(minutes=10)
    chain.add("device.locked", {"where": "IT office safe"})
    chain.now += timedelta(hours=3)
    chain.add("device.accessed", {"by": "Dana Lee", "reason": "Checked it was still off"})
    chain.add("device.moved", {"to_where": "Headteacher's safe", "reason": "IT office refit"})
    chain.now += timedelta(days=1)
    chain.add(
        "device.handover",
        {
            "officer": "PC Jo Hill",
            "handed_over_by": "Mr Brown",
            "officer_id": "4471",
            "crime_ref": "CR/2026/1234",
        },
    )
    device = chain.device
    assert device.status == "handed_over"
    assert device.officer == "PC Jo Hill"
    assert device.handed_over_by == "Mr Brown"
    assert device.crime_ref == "CR/2026/1234"
    assert device.accesses == 1
    assert device.powered_off_confirmed
    assert len(device.chain) == 5
    assert device.problems == ()
    assert device_overdue(device, policy, chain.now + timedelta(days=30)) == []
    chain.now += timedelta(days=10)
    chain.add("device.returned", {"to_whom": "Amy's mother"})
    assert chain.device.status == "returned"
    with pytest.raises(ValidationError) as info:
        chain.add("device.locked", {"where": "safe"})
    assert "returned" in info.value.message
    chain.add("device.note", {"text": "Receipt filed"})
    assert len(chain.device.chain) == 7


def test_collection_overdue_after_the_setting(chain: Chain, policy: Policy) -> None:
    seize(chain)
    chain.add("device.locked", {"where": "IT office safe"})
    due = START + timedelta(days=policy.settings.device_collection_days)
    assert device_overdue(chain.device, policy, due - timedelta(minutes=1)) == []
    flags = device_overdue(chain.device, policy, due)
    assert [f.code for f in flags] == ["device_collection_overdue"]
    assert flags[0].due_at == due


def test_power_off_must_be_confirmed(chain: Chain, policy: Policy) -> None:
    seize(chain, powered_off=False)
    device = chain.device
    assert not device.powered_off_confirmed
    assert [f.code for f in device_overdue(device, policy, START)] == ["device_power_unconfirmed"]
    chain.add("device.powered_off", {"confirmed_by": TECH})
    assert chain.device.powered_off_confirmed
    assert device_overdue(chain.device, policy, START) == []


def test_order_rules(chain: Chain) -> None:
    with pytest.raises(ValidationError):
        chain.add("device.locked", {"where": "safe"})
    seize(chain)
    with pytest.raises(ValidationError):
        seize(chain)
    chain.add("device.handover", {"officer": "PC Jo Hill", "handed_over_by": TECH})
    with pytest.raises(ValidationError):
        chain.add("device.handover", {"officer": "PC Two", "handed_over_by": TECH})
    with pytest.raises(ValidationError) as info:
        make_event(
            "device.handover", {"officer": "  "}, at=START, now=START, by=TECH, by_role="technician"
        )
    assert info.value.field == "officer"


def test_hostile_stored_chain_is_read_with_problems(chain: Chain) -> None:
    base = {
        "at_offset": "+00:00",
        "recorded_at": "2026-11-09T10:00:00Z",
        "by": TECH,
        "by_role": "technician",
    }
    docs = [
        {
            **base,
            "id": "1" * 32,
            "kind": "device.locked",
            "at": "2026-11-09T08:00:00Z",
            "data": {"where": 5},
        },
        {
            **base,
            "id": "2" * 32,
            "kind": "device.seized",
            "at": "2026-11-09T09:00:00Z",
            "data": {"powered_off": "yes"},
        },
        {
            **base,
            "id": "3" * 32,
            "kind": "device.returned",
            "at": "2026-11-09T09:30:00Z",
            "data": {},
        },
        {
            **base,
            "id": "4" * 32,
            "kind": "device.handover",
            "at": "2026-11-09T09:40:00Z",
            "data": {},
        },
        {
            **base,
            "id": "5" * 32,
            "kind": "note",
            "at": "2026-11-09T09:50:00Z",
            "data": {"text": "wrong compartment"},
        },
    ]
    device = fold_device(chain.meta, [Event.from_doc(d) for d in docs])
    assert device.status == "handed_over"
    assert not device.powered_off_confirmed
    assert len(device.problems) >= 4


def test_device_summary_has_no_incident_narrative(chain: Chain, policy: Policy) -> None:
    seize(chain)
    summary = device_summary(chain.device, policy)
    assert summary["incident_ref"] == "2026-007"
    assert summary["status"] == "seized"
    assert [d["code"] for d in summary["due"]] == ["device_collection_overdue"]
    assert device_summary(chain.device)["ref"] == "D-2026-004"


# ------------------------------------------------ issue 11, finding 7: devices


def test_a_handover_names_who_handed_it_over_and_old_ones_still_read(
    chain: Chain, policy: Policy
) -> None:
    seize(chain)
    with pytest.raises(ValidationError) as info:
        chain.add("device.handover", {"officer": "PC Jo Hill"})
    assert info.value.field == "handed_over_by"
    # A hand-over recorded before the field existed reads, with nobody named.
    old = Event.from_doc(
        {
            "id": "6" * 32, "kind": "device.handover", "at": "2026-11-09T11:00:00Z",
            "at_offset": "+00:00", "recorded_at": "2026-11-09T11:00:00Z", "by": TECH,
            "by_role": "technician", "data": {"officer": "PC Jo Hill"},
        }
    )  # fmt: skip
    device = fold_device(chain.meta, [*chain.events, old])
    assert device.status == "handed_over" and device.handed_over_by == ""
    assert device.problems == ()


def test_a_relink_moves_the_device_and_keeps_the_seizure_and_first_reference(
    chain: Chain, policy: Policy
) -> None:
    seizure = seize(chain)
    chain.add("device.relinked", {"incident_ref": "2026-008", "reason": "Typed 7 for 8"})
    device = chain.device
    assert device.incident_ref == "2026-008"
    assert device.meta.incident_ref == "2026-007"  # the identity is never rewritten
    assert device.chain[0].event.id == seizure.id
    assert not device.chain[0].superseded and device.problems == ()
    assert device_summary(device, policy)["incident_ref"] == "2026-008"
    for wrong in ("2026-008", "no spaces allowed", ""):
        with pytest.raises(ValidationError):
            check_relink(device, wrong)
    with pytest.raises(ValidationError) as info:
        chain.add("device.relinked", {"incident_ref": "2026-009"})
    assert info.value.field == "reason"
    # A wrong reference is as wrong after the return: a re-link is still taken.
    chain.add("device.handover", {"officer": "PC Jo Hill", "handed_over_by": TECH})
    chain.add("device.returned", {"to_whom": "Amy's mother"})
    chain.add("device.relinked", {"incident_ref": "2026-009", "reason": "Second look"})
    assert chain.device.incident_ref == "2026-009" and chain.device.problems == ()


def test_a_seizure_need_not_say_whether_it_was_off(chain: Chain, policy: Policy) -> None:
    """Power-off is an entry of its own (its own time and person), not a tick on the seizure."""
    chain.add("device.seized", {"description": "Phone", "owner": "AJ", "seized_by": "Mr B"})
    assert not chain.device.powered_off_confirmed
    chain.now += timedelta(minutes=5)
    off = chain.add("device.powered_off", {"confirmed_by": "Ms Green"})
    assert chain.device.powered_off_confirmed and off.at == START + timedelta(minutes=5)
