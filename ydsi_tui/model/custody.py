"""The chain of custody of a device seized for the police.

It lives in its own compartment because IT technicians record it and may
read it, and they must never read an incident's narrative: a device record
knows only the incident's reference. The chain uses the same append-only
events as incidents, so every access and move is kept, with who and when.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from ydsi_tui.model.errors import ValidationError
from ydsi_tui.model.events import Event
from ydsi_tui.model.folding import link_corrections, sort_key
from ydsi_tui.model.incident import Incident, TimelineEntry
from ydsi_tui.model.obligations import Flag
from ydsi_tui.model.policy import Policy, bundled_policy
from ydsi_tui.model.records import DeviceCustody
from ydsi_tui.model.text import NAME_MAX_CHARS
from ydsi_tui.model.timeparse import from_iso, to_iso_utc

DEVICE_STATUSES = ("seized", "locked", "handed_over", "returned")

#: Entries a chain takes in any state: a note, and a re-link (a wrong incident
#: reference is as wrong after the device's return as before it).
_ALWAYS = ("device.note", "device.relinked")

_DEVICE_REF = re.compile(r"^D-[0-9]{4}-[0-9]{3,}$")
_INCIDENT_REF = re.compile(r"^[A-Za-z0-9][A-Za-z0-9/-]{0,31}$")


@dataclass(frozen=True)
class DeviceMeta:
    """A device's identity: its own reference and the incident's reference, nothing more."""

    ref: str
    incident_ref: str
    created_at: datetime
    created_by: str

    def to_doc(self) -> dict[str, Any]:
        return {
            "ref": self.ref,
            "incident_ref": self.incident_ref,
            "created_at": to_iso_utc(self.created_at),
            "created_by": self.created_by,
        }

    @classmethod
    def from_doc(cls, doc: Mapping[str, Any]) -> DeviceMeta:
        if not isinstance(doc, Mapping):
            raise ValidationError("device", "A device's details must be a mapping.")
        ref, incident_ref, by = (doc.get(k) for k in ("ref", "incident_ref", "created_by"))
        if not isinstance(ref, str) or not _DEVICE_REF.match(ref):
            raise ValidationError("ref", "A device reference looks like D-2026-004.")
        if not isinstance(incident_ref, str) or not _INCIDENT_REF.match(incident_ref):
            raise ValidationError("incident_ref", "An incident reference looks like 2026-007.")
        if not isinstance(by, str) or not by.strip() or len(by) > NAME_MAX_CHARS:
            raise ValidationError("created_by", "This is missing or not a name.")
        created = doc.get("created_at")
        if not isinstance(created, str):
            raise ValidationError("created_at", "This is missing or not a time.")
        return cls(ref, incident_ref, from_iso(created, "created_at"), by)


def new_device_meta(ref: str, incident_ref: str, *, now: datetime, by: str) -> DeviceMeta:
    if not _DEVICE_REF.match(ref):
        raise ValidationError("ref", "A device reference looks like D-2026-004.")
    if not _INCIDENT_REF.match(incident_ref):
        raise ValidationError("incident_ref", "An incident reference looks like 2026-007.")
    if not by.strip() or len(by) > NAME_MAX_CHARS:
        raise ValidationError("by", "Give the name of the person recording the device.")
    return DeviceMeta(ref, incident_ref, now.astimezone(UTC), by)


@dataclass(frozen=True)
class Device:
    """A reading of one device's custody chain."""

    meta: DeviceMeta
    #: The incident the device belongs to now: the reference it was logged
    #: against (``meta.incident_ref``) unless a re-link entry changed it.
    incident_ref: str
    status: str | None  # None until the seizure is recorded
    chain: tuple[TimelineEntry, ...]
    description: str
    #: A label (initials or a code); in records made before labels, as typed.
    owner: str
    #: The young person in the incident the device belongs to, by their opaque id.
    owner_pupil_id: str
    seized_at: datetime | None
    seized_by: str
    powered_off_confirmed: bool
    location: str
    handed_over_at: datetime | None
    officer: str
    officer_id: str
    crime_ref: str
    #: Who handed it over ("" in hand-overs recorded before this was asked).
    handed_over_by: str
    returned_at: datetime | None
    returned_to: str
    accesses: int
    problems: tuple[str, ...]


def fold_device(meta: DeviceMeta, events: Iterable[Event]) -> Device:
    """Read the custody chain in the order things happened.

    Re-linking (``device.relinked``) is an entry of its own, not a correction
    of the seizure: the reference a device was logged against lives in its
    identity (``DeviceMeta``), which is never rewritten, and the seizure
    entry says what was seized, by whom, when, which stays true. A correction
    of the seizure would mark that true entry "corrected"; a re-link entry
    keeps the seizure and the first reference as they were, and adds who
    moved the device to which incident, when and why, as every other link in
    the chain does. The latest re-link is the device's incident.
    """
    linked = link_corrections(events)
    state: dict[str, Any] = {
        "status": None, "description": "", "owner": "", "owner_pupil_id": "",
        "seized_at": None, "seized_by": "",
        "powered_off_confirmed": False, "location": "", "handed_over_at": None,
        "officer": "", "officer_id": "", "crime_ref": "", "handed_over_by": "",
        "returned_at": None, "incident_ref": meta.incident_ref,
        "returned_to": "", "accesses": 0,
    }  # fmt: skip
    for event in linked.effective:
        _apply(state, event, linked.problems.setdefault(event.id, []))
    timeline = linked.timeline()
    return Device(
        meta=meta,
        chain=timeline,
        problems=tuple(text for entry in timeline for text in entry.problems),
        **state,
    )


def _text(event: Event, key: str) -> str:
    value = event.data.get(key) if isinstance(event.data, Mapping) else None
    return value if isinstance(value, str) else ""


def _apply(state: dict[str, Any], event: Event, problems: list[str]) -> None:
    kind = event.kind
    if state["status"] == "returned" and kind not in _ALWAYS:
        problems.append("This was recorded after the device was returned.")
    if state["status"] is None and kind not in ("device.seized", *_ALWAYS):
        problems.append("This was recorded before the seizure.")
    if kind == "device.seized":
        if state["status"] is not None:
            problems.append("The device was already recorded as seized.")
        state.update(
            status="seized",
            description=_text(event, "description"),
            owner=_text(event, "owner"),
            owner_pupil_id=_text(event, "owner_pupil_id"),
            seized_at=event.at,
            seized_by=_text(event, "seized_by"),
            powered_off_confirmed=event.data.get("powered_off") is True,
        )
        if _text(event, "locked_where"):
            state.update(status="locked", location=_text(event, "locked_where"))
    elif kind == "device.powered_off":
        state["powered_off_confirmed"] = True
    elif kind == "device.locked":
        state.update(status="locked", location=_text(event, "where"))
    elif kind == "device.accessed":
        state["accesses"] += 1
    elif kind == "device.moved":
        state["location"] = _text(event, "to_where")
    elif kind == "device.handover":
        state.update(
            status="handed_over",
            handed_over_at=event.at,
            officer=_text(event, "officer"),
            officer_id=_text(event, "officer_id"),
            crime_ref=_text(event, "crime_ref"),
            handed_over_by=_text(event, "handed_over_by"),
            location="with the police",
        )
        if not state["officer"].strip():
            problems.append("The hand-over does not name the officer.")
    elif kind == "device.relinked":
        state["incident_ref"] = _text(event, "incident_ref") or state["incident_ref"]
    elif kind == "device.returned":
        state.update(status="returned", returned_at=event.at, returned_to=_text(event, "to_whom"))
    elif kind != "device.note":
        problems.append(f"Entries of kind {kind[:40]!r} do not belong in a device log.")


def check_device_event(device: Device, kind: str) -> None:
    """Refuse an entry the chain cannot take in its current state.

    A returned device's chain is finished except for notes; a device must be
    seized (once) before anything else happens to it; it can be handed to the
    police only while the school holds it.
    """
    if device.status == "returned" and kind not in _ALWAYS:
        raise ValidationError(
            "kind", "This device has been returned; only a note can be added now."
        )
    if device.status is None and kind not in ("device.seized", *_ALWAYS):
        raise ValidationError("kind", "Record the seizure of the device first.")
    if device.status is not None and kind == "device.seized":
        raise ValidationError("kind", "This device is already recorded as seized.")
    if device.status == "handed_over" and kind in (
        "device.handover", "device.locked", "device.moved", "device.powered_off",
    ):  # fmt: skip
        raise ValidationError(
            "kind", "The police hold this device; record its return before anything else."
        )


def check_relink(device: Device, incident_ref: str) -> None:
    """Refuse a re-link to a reference of the wrong shape, or to the incident it is already in.

    Whether the incident exists is not the model's to know: the custody
    compartment holds no incident (see ``DeviceLog.relink``).
    """
    if not _INCIDENT_REF.match(incident_ref):
        raise ValidationError("incident_ref", "An incident reference looks like 2026-007.")
    if incident_ref == device.incident_ref:
        raise ValidationError(
            "incident_ref", f"This device is already logged against {incident_ref}."
        )


def device_overdue(device: Device, policy: Policy, now: datetime) -> list[Flag]:
    """The device's obligations whose time has come."""
    return [flag for flag in device_obligations(device, policy) if flag.due_at <= now]


def device_obligations(device: Device, policy: Policy) -> list[Flag]:
    """Dated obligations: power-off confirmed at once; police collection within the setting."""
    if device.seized_at is None or device.status in ("handed_over", "returned"):
        return []
    flags: list[Flag] = []
    if not device.powered_off_confirmed:
        flags.append(
            Flag(
                "device_power_unconfirmed",
                "The device has not been confirmed as turned off.",
                device.seized_at,
            )
        )
    days = policy.settings.device_collection_days
    flags.append(
        Flag(
            "device_collection_overdue",
            f"The device has waited more than {days} days for the police to collect it.",
            device.seized_at + timedelta(days=days),
        )
    )
    return flags


def custody_facts(devices: Iterable[Device]) -> tuple[DeviceCustody, ...]:
    """What the incident's procedure needs of its devices' chains: each one's status."""
    return tuple(DeviceCustody(d.meta.ref, d.status) for d in sorted(devices, key=_by_ref))


def _by_ref(device: Device) -> str:
    return device.meta.ref


def with_custody(incident: Incident, devices: Iterable[DeviceCustody]) -> Incident:
    """The incident with its devices' custody facts, read by someone holding the custody key.

    The custody log is another compartment, so the fold never sees it; the
    service layer reads it and passes the facts in, and the devices step is
    met from them (every device handed to the police or returned).
    """
    return dataclasses.replace(incident, custody=tuple(devices))


def device_summary(device: Device, policy: Policy | None = None) -> dict[str, Any]:
    """A JSON-safe summary for the device list, with dated obligations like `summarize`."""
    active = policy or bundled_policy()
    return {
        "v": 1,
        "ref": device.meta.ref,
        "incident_ref": device.incident_ref,
        "status": device.status,
        "description": device.description,
        "location": device.location,
        "seized_at": to_iso_utc(device.seized_at) if device.seized_at else None,
        "powered_off_confirmed": device.powered_off_confirmed,
        "due": [
            {"code": flag.code, "text": flag.text, "due_at": to_iso_utc(flag.due_at)}
            for flag in device_obligations(device, active)
        ],
    }


__all__ = [
    "DEVICE_STATUSES",
    "Device",
    "DeviceMeta",
    "check_device_event",
    "check_relink",
    "custody_facts",
    "device_obligations",
    "device_overdue",
    "device_summary",
    "fold_device",
    "new_device_meta",
    "sort_key",
    "with_custody",
]
