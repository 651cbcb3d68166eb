"""The device custody log: seizure, power-off, lock-up, every access, hand-over.

It lives in the custody compartment, whose key technicians hold: they can do
all of this without ever holding a key that opens an incident. A device names
its incident by reference only.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from ..model.custody import (
    DEVICE_STATUSES,
    Device,
    DeviceMeta,
    check_device_event,
    check_relink,
    device_obligations,
    device_overdue,
    device_summary,
    fold_device,
    new_device_meta,
)
from ..model.errors import ValidationError
from ..model.events import Event, make_event
from ..model.incident import next_ref
from ..model.obligations import Flag
from ..model.policy import Policy
from ..model.rules import summary_flags
from ..model.summary import DEVICE_REF_PATTERN, INCIDENT_REF_PATTERN, summary_field
from ..model.timeparse import from_iso, parse_when
from ..vault.errors import AccessDenied
from ..vault.session import Session
from .clock import Clock, SystemClock
from .records import (
    REFS_RECORD,
    allocate_ref,
    append_event,
    author_name,
    read_attested,
    read_meta_doc,
    refs_by_record,
    require_correction_reason,
    saved_authors,
    write_summary,
)

__all__ = ["DeviceLog", "DeviceRow", "DeviceView"]

COMPARTMENT = "custody"
#: The incidents' compartment (casebook's); named here, not imported, so the
#: custody log needs nothing of the casebook but whether a record exists.
CASE_COMPARTMENT = "case"


@dataclass(frozen=True)
class DeviceRow:
    ref: str
    incident_ref: str
    status: str
    description: str
    location: str
    seized_at: datetime | None
    overdue: tuple[Flag, ...]
    error: str | None = None
    #: For a damaged row: the reference to give ``ydsi repair`` ("" if unknown).
    repair_ref: str = ""


@dataclass(frozen=True)
class DeviceView:
    device: Device
    file_hash: str
    overdue: list[Flag]
    obligations: list[Flag]
    problems: list[str] = field(default_factory=list)

    @property
    def ref(self) -> str:
        return self.device.meta.ref


class DeviceLog:
    """Every seized device's custody chain."""

    def __init__(self, session: Session, policy: Policy, *, clock: Clock | None = None) -> None:
        if not session.can_read(COMPARTMENT):
            raise AccessDenied("your role does not hold the custody key")
        self.session = session
        self.policy = policy
        self.clock: Clock = clock or SystemClock()

    @property
    def author(self) -> str:
        return author_name(self.session)

    def rows(self, *, incident_ref: str | None = None) -> list[DeviceRow]:
        now = self.clock.now()
        rows: list[DeviceRow] = []
        listing = self.session.list_records(COMPARTMENT)
        refs = (
            refs_by_record(self.session, COMPARTMENT)
            if any(listed.error is not None for listed in listing)
            else {}
        )
        for listed in listing:
            if listed.error is not None:
                rows.append(
                    DeviceRow(
                        f"? {listed.record_id[:8]}",
                        "",
                        "damaged",
                        "",
                        "",
                        None,
                        (),
                        listed.error,
                        repair_ref=_known_ref(refs.get(listed.record_id, "")),
                    )
                )
                continue
            summary = listed.summary
            if not summary or summary.get("type") != "device":
                continue
            if incident_ref is not None and summary.get("incident_ref") != incident_ref:
                continue
            rows.append(
                DeviceRow(
                    # A technician writes this summary with their own key: each
                    # field a list prints as it is must be of its shape.
                    ref=summary_field(summary, "ref", pattern=DEVICE_REF_PATTERN, missing="?"),
                    incident_ref=summary_field(
                        summary, "incident_ref", pattern=INCIDENT_REF_PATTERN
                    ),
                    status=summary_field(summary, "status", choices=DEVICE_STATUSES),
                    description=str(summary.get("description", "")),
                    location=str(summary.get("location", "")),
                    seized_at=_time(summary.get("seized_at")),
                    overdue=tuple(summary_flags(summary, now)),
                )
            )
        rows.sort(key=lambda r: r.ref, reverse=True)
        return rows

    def open(self, ref: str, *, log: bool = True) -> DeviceView:
        snapshot = self.session.read(COMPARTMENT, ref, log=log)
        meta = DeviceMeta.from_doc(read_meta_doc(snapshot.tables))
        events, problems, _ = read_attested(snapshot.tables, snapshot.authors, self.session)
        device = fold_device(meta, events)
        now = self.clock.now()
        return DeviceView(
            device=device,
            file_hash=snapshot.file_hash,
            overdue=device_overdue(device, self.policy, now),
            obligations=device_obligations(device, self.policy),
            problems=[*problems, *device.problems],
        )

    def seize(
        self, incident_ref: str, data: Mapping[str, Any], *, at: str | datetime | None = None
    ) -> str:
        """Record a seizure as a new device; returns its reference (such as ``D-2026-004``).

        ``powered_off`` and ``locked_where`` in ``data`` (the command line's
        shorthand, and older callers) are not kept in the seizure: they become
        a power-off entry confirmed by whoever seized it and a lock-up entry,
        each its own link in the chain that can be corrected on its own. The
        app asks neither: its device screen records them, each with its own
        time and person.
        """
        now = self.clock.now()
        when = _when(at, now)
        seizure = dict(data) if isinstance(data, Mapping) else data
        after: list[tuple[str, dict[str, Any]]] = []
        if isinstance(seizure, dict):
            powered_off = seizure.pop("powered_off", None)
            locked_where = seizure.pop("locked_where", None)
            seized_by = seizure.get("seized_by")
            if powered_off is True:
                after.append(("device.powered_off", {"confirmed_by": seized_by}))
            if isinstance(locked_where, str) and locked_where.strip():
                after.append(("device.locked", {"where": locked_where}))
        events = [
            make_event(
                kind, payload, at=when, now=now, by=self.author,
                by_role=self.session.role, policy=self.policy,
            )
            for kind, payload in [("device.seized", seizure), *after]
        ]  # fmt: skip
        with self.session.vault.lock():
            refs_exists = self.session.exists(COMPARTMENT, REFS_RECORD)
            with self.session.transaction(COMPARTMENT, REFS_RECORD, create=not refs_exists) as db:
                ref = allocate_ref(db, lambda existing: next_ref(existing, now=now, prefix="D-"))
                if not refs_exists:
                    write_summary(db, {}, "refs")
            meta = new_device_meta(ref, incident_ref, now=now, by=self.author)
            with self.session.transaction(COMPARTMENT, ref, create=True) as db:
                db.table("meta", cache_size=0).insert(meta.to_doc())
                for event in events:
                    append_event(db, event)
                write_summary(db, device_summary(fold_device(meta, events), self.policy), "device")
        return ref

    def record(
        self,
        ref: str,
        kind: str,
        data: Mapping[str, Any],
        *,
        at: str | datetime | None = None,
        supersedes: str | None = None,
        correction_reason: str = "",
    ) -> Event:
        """Add one link to a device's chain (access, move, hand-over, return, note...).

        A correction (``supersedes``) must say why, as in an incident.
        """
        require_correction_reason(supersedes, correction_reason)
        if not kind.startswith("device."):
            raise ValidationError("kind", "Only device entries belong in the custody log")
        now = self.clock.now()
        when = _when(at, now)
        with self.session.transaction(COMPARTMENT, ref) as db:
            tables = db.storage.read() or {}
            meta = DeviceMeta.from_doc(read_meta_doc(tables))
            events, _, _ = read_attested(tables, saved_authors(db), self.session)
            device = fold_device(meta, events)
            if supersedes is None:
                check_device_event(device, kind)
            if kind == "device.relinked":
                self._check_relink(device, data)
            event = make_event(
                kind, data, at=when, now=now, by=self.author, by_role=self.session.role,
                supersedes=supersedes, policy=self.policy, correction_reason=correction_reason,
            )  # fmt: skip
            append_event(db, event)
            updated = fold_device(meta, [*events, event])
            write_summary(db, device_summary(updated, self.policy), "device")
        return event

    def _check_relink(self, device: Device, data: Mapping[str, Any]) -> None:
        """A re-link names a reference of the right shape; a case role's names an incident.

        A technician holds only the custody key and cannot know which
        incidents exist, so theirs is taken as given, and the DSL's home keeps
        saying "which is not an incident" (``attention``) until it is one. A
        session that can read incidents is checked here, so the DSL cannot
        re-link a device to a second wrong reference.
        """
        wanted = data.get("incident_ref") if isinstance(data, Mapping) else None
        wanted = wanted.strip() if isinstance(wanted, str) else ""
        check_relink(device, wanted)
        if self.session.can_read(CASE_COMPARTMENT) and not self.session.exists(
            CASE_COMPARTMENT, wanted
        ):
            raise ValidationError("incident_ref", f"{wanted} is not an incident in this vault.")

    def relink(
        self, ref: str, incident_ref: str, reason: str, *, at: str | datetime | None = None
    ) -> Event:
        """Move a device to the incident it belongs to: an entry of its own, the seizure kept."""
        return self.record(
            ref, "device.relinked", {"incident_ref": incident_ref, "reason": reason}, at=at
        )

    def amend_as_found(self, db: Any, note: str) -> None:
        """``ydsi repair --accept-as-found``: add the DSL's note naming what was lost.

        As for an incident: the entries found are counted "as recorded" and
        the summary is recomputed from them, never kept from the file.
        """
        tables = db.storage.read() or {}
        meta = DeviceMeta.from_doc(read_meta_doc(tables))
        events, _, _ = read_attested(tables, {}, self.session)
        now = self.clock.now()
        event = make_event(
            "device.note", {"text": note}, at=now, now=now, by=self.author,
            by_role=self.session.role, policy=self.policy,
        )  # fmt: skip
        append_event(db, event)
        updated = fold_device(meta, [*events, event])
        write_summary(db, device_summary(updated, self.policy), "device")

    def attention(
        self, rows: list[DeviceRow] | None = None, *, incidents: set[str] | None = None
    ) -> list[tuple[str, str]]:
        """Overdue custody steps; with ``incidents`` (a case role's), devices logged
        against a reference that is no incident: a technician cannot check it (they
        hold no case key), so whoever can is told."""
        rows = rows if rows is not None else self.rows()
        items = [(row.ref, flag.text) for row in rows for flag in row.overdue]
        if incidents is not None:
            items += [
                (row.ref, f"Logged against {row.incident_ref}, which is not an incident: "
                          "check the reference with whoever seized it.")
                for row in rows
                if row.error is None and row.incident_ref and row.incident_ref not in incidents
            ]  # fmt: skip
        return items


def _when(when: str | datetime | None, now: datetime) -> datetime:
    if when is None:
        return now
    if isinstance(when, datetime):
        return when
    return parse_when(when, now=now)


def _time(value: object) -> datetime | None:
    if not isinstance(value, str):
        return None
    try:
        return from_iso(value, "time")
    except ValidationError:
        return None


def _known_ref(ref: str) -> str:
    """A reference from the ``__refs__`` record, or "" if it is not a device reference's shape."""
    return ref if DEVICE_REF_PATTERN.fullmatch(ref) else ""
