"""An incident: its identity, and folding its events into what is known now.

The events are the record; the fold is only a reading of it, rebuilt every
time. It has to cope with anything the store hands it, in any order (entries
are often written after the fact), including entries that refer to a pupil
never added or correct an entry that is not there: those are kept and
flagged, never dropped and never allowed to crash the screen that shows them.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from types import MappingProxyType
from typing import Any

from ydsi_tui.model.errors import ValidationError
from ydsi_tui.model.events import Event
from ydsi_tui.model.folding import Builder
from ydsi_tui.model.policy import Policy
from ydsi_tui.model.records import (
    Adult,
    Closure,
    ContentDescription,
    CscContact,
    Decision,
    DecisionReview,
    Deletion,
    DeletionRequest,
    Disclosure,
    Entry,
    Hold,
    Incident,
    ParentsEntry,
    PoliceContact,
    PoliceOutcome,
    Problem,
    Pupil,
    ReviewMeeting,
    Signoff,
    StaffMember,
    StepStatus,
    TimelineEntry,
    Transfer,
    TriggerAnswer,
)
from ydsi_tui.model.text import NAME_MAX_CHARS
from ydsi_tui.model.timeparse import from_iso, to_iso_utc, to_local

#: The records a fold produces are importable from here, beside `fold`.
__all__ = [
    "Adult",
    "Closure",
    "ContentDescription",
    "CscContact",
    "Decision",
    "DecisionReview",
    "Deletion",
    "DeletionRequest",
    "Disclosure",
    "Entry",
    "Hold",
    "Incident",
    "IncidentMeta",
    "Linked",
    "ParentsEntry",
    "PoliceContact",
    "PoliceOutcome",
    "Problem",
    "Pupil",
    "ReviewMeeting",
    "Signoff",
    "StaffMember",
    "StepStatus",
    "TimelineEntry",
    "Transfer",
    "TriggerAnswer",
    "fold",
    "link_corrections",
    "new_incident_meta",
    "next_ref",
    "sort_key",
]

_REF = re.compile(r"^[A-Za-z0-9][A-Za-z0-9/-]{0,31}$")
_DIGEST = re.compile(r"^[0-9a-f]{64}$")


# ------------------------------------------------------------------ meta


@dataclass(frozen=True)
class IncidentMeta:
    """What identifies an incident outside its events, and the policy it is handled under."""

    ref: str
    policy_name: str
    policy_version: str
    policy_digest: str
    created_at: datetime
    created_by: str

    def to_doc(self) -> dict[str, Any]:
        return {
            "ref": self.ref,
            "policy_name": self.policy_name,
            "policy_version": self.policy_version,
            "policy_digest": self.policy_digest,
            "created_at": to_iso_utc(self.created_at),
            "created_by": self.created_by,
        }

    @classmethod
    def from_doc(cls, doc: Mapping[str, Any]) -> IncidentMeta:
        if not isinstance(doc, Mapping):
            raise ValidationError("meta", "An incident's details must be a mapping.")
        ref = _doc_str(doc, "ref")
        if not _REF.match(ref):
            raise ValidationError(
                "ref", f"{ref[:32]!r} is not an incident reference like 2026-007."
            )
        digest = _doc_str(doc, "policy_digest")
        if not _DIGEST.match(digest):
            raise ValidationError("policy_digest", "This must be a SHA-256 digest in hex.")
        return cls(
            ref=ref,
            policy_name=_doc_str(doc, "policy_name"),
            policy_version=_doc_str(doc, "policy_version"),
            policy_digest=digest,
            created_at=from_iso(_doc_str(doc, "created_at"), "created_at"),
            created_by=_doc_str(doc, "created_by"),
        )


def new_incident_meta(ref: str, policy: Policy, *, now: datetime, by: str) -> IncidentMeta:
    """Meta for a new incident, recording the policy it will be handled under."""
    if not _REF.match(ref):
        raise ValidationError("ref", f"{ref[:32]!r} is not an incident reference like 2026-007.")
    if not isinstance(by, str) or not by.strip() or len(by) > NAME_MAX_CHARS:
        raise ValidationError("by", "Give the name of the person opening the incident.")
    return IncidentMeta(
        ref=ref,
        policy_name=policy.name,
        policy_version=policy.version,
        policy_digest=policy.digest,
        created_at=now.astimezone(UTC),
        created_by=by,
    )


def next_ref(existing: Iterable[str], *, now: datetime, prefix: str = "") -> str:
    """The next reference in this (UK) year's series: ``2026-007`` or ``D-2026-004``.

    References are per calendar year so a DSL can say "the third one this
    year"; numbering restarts each January.
    """
    year = to_local(now).year
    pattern = re.compile(rf"^{re.escape(prefix)}{year}-(\d+)$")
    numbers = [int(m.group(1)) for ref in existing if (m := pattern.match(ref))]
    return f"{prefix}{year}-{max(numbers, default=0) + 1:03d}"


def _doc_str(doc: Mapping[str, Any], key: str) -> str:
    value = doc.get(key)
    if not isinstance(value, str) or not value.strip():
        raise ValidationError(key, "This is missing or not text.")
    return value


# ------------------------------------------------------------------ fold


def sort_key(event: Event) -> tuple[datetime, datetime]:
    """Timeline order: when it happened, then when it was recorded.

    Entries that tie on both keep the order the store gives them (the sort
    is stable), which is the order they were written.
    """
    return (event.at, event.recorded_at)


@dataclass(frozen=True)
class Linked:
    """Events in timeline order with corrections resolved; shared by incidents and devices."""

    ordered: tuple[Event, ...]
    effective: tuple[Event, ...]
    by_id: Mapping[str, Event]
    superseded_by: Mapping[str, tuple[str, ...]]
    problems: dict[str, list[str]]

    def timeline(self) -> tuple[TimelineEntry, ...]:
        return tuple(
            TimelineEntry(
                event=event,
                superseded_by=self.superseded_by.get(event.id, ()),
                corrects=event.supersedes,
                problems=tuple(self.problems.get(event.id, ())),
            )
            for event in self.ordered
        )


def link_corrections(events: Iterable[Event]) -> Linked:
    """Sort events and work out which are superseded; oddities become problems."""
    ordered = tuple(sorted(events, key=sort_key))
    by_id: dict[str, Event] = {}
    problems: dict[str, list[str]] = {}
    for event in ordered:
        if event.id in by_id:
            problems.setdefault(event.id, []).append("The same entry id appears twice.")
        by_id.setdefault(event.id, event)
    superseded_by: dict[str, list[str]] = {}
    for event in ordered:
        target = event.supersedes
        if target is None:
            continue
        if target == event.id:
            problems.setdefault(event.id, []).append("This entry says it corrects itself.")
        elif target not in by_id:
            problems.setdefault(event.id, []).append(
                "This corrects an entry that is not in this record."
            )
        else:
            superseded_by.setdefault(target, []).append(event.id)
            if by_id[target].kind != event.kind:
                problems.setdefault(event.id, []).append(
                    f"This corrects an entry of a different kind ({by_id[target].kind})."
                )
    return Linked(
        ordered=ordered,
        effective=tuple(e for e in ordered if e.id not in superseded_by),
        by_id=MappingProxyType(by_id),
        superseded_by=MappingProxyType({k: tuple(v) for k, v in superseded_by.items()}),
        problems=problems,
    )


def fold(meta: IncidentMeta, events: Iterable[Event]) -> Incident:
    """Read the record: the timeline with corrections linked, and the state now."""
    linked = link_corrections(events)
    builder = Builder(meta, dict(linked.by_id), linked.problems)
    # Pupils first: an entry about a pupil may be dated before the entry that
    # added them (both are often written up after the fact).
    for event in linked.effective:
        if event.kind == "pupil.added":
            builder.apply(event)
    for event in linked.effective:
        if event.kind != "pupil.added":
            builder.apply(event)
    builder.finish(linked.effective)
    return builder.build(linked.timeline(), linked.effective)
