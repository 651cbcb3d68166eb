"""An incident: its identity (``IncidentMeta``) and what is known of it now (``Incident``).

The events are the record; an ``Incident`` is only a reading of it, rebuilt
every time by the fold (``folding.py``). The parts it is made of are in
``records.py`` and importable from here too.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import TYPE_CHECKING, Any

from ydsi_tui.model.errors import ValidationError
from ydsi_tui.model.records import (
    Adult,
    Closure,
    ContentDescription,
    CscContact,
    Decision,
    DecisionReview,
    Deletion,
    DeletionRequest,
    DeviceCustody,
    Disclosure,
    Entry,
    Hold,
    ParentsEntry,
    PoliceContact,
    PoliceOutcome,
    Problem,
    Pupil,
    ReviewMeeting,
    Signoff,
    StaffMember,
    StaffReportTaken,
    StepStatus,
    TimelineEntry,
    Transfer,
    TriggerAnswer,
)
from ydsi_tui.model.text import NAME_MAX_CHARS
from ydsi_tui.model.timeparse import from_iso, to_iso_utc, to_local

if TYPE_CHECKING:
    from ydsi_tui.model.events import Event
    from ydsi_tui.model.policy import Policy

#: The incident, its identity, and the parts it is made of (from records.py).
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
    "ParentsEntry",
    "PoliceContact",
    "PoliceOutcome",
    "Problem",
    "Pupil",
    "ReviewMeeting",
    "Signoff",
    "StaffMember",
    "StaffReportTaken",
    "StepStatus",
    "TimelineEntry",
    "Transfer",
    "TriggerAnswer",
    "new_incident_meta",
    "next_ref",
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


# ------------------------------------------------------------------ the incident


@dataclass(frozen=True)
class Incident:
    """An immutable reading of one incident's record."""

    meta: IncidentMeta
    timeline: tuple[TimelineEntry, ...]
    effective: tuple[Event, ...]
    problems: tuple[Problem, ...]
    summary: str
    kind: str | None
    opened_at: datetime | None
    disclosure: Disclosure | None
    content: ContentDescription | None
    pupils: Mapping[str, Pupil]
    adults: Mapping[str, Adult]
    staff: tuple[StaffMember, ...]
    review_meeting: ReviewMeeting | None
    triggers: Mapping[int, TriggerAnswer]
    harm_concerns: tuple[Entry, ...]
    decisions: tuple[Decision, ...]
    decision_reviews: tuple[DecisionReview, ...]
    signoffs: tuple[Signoff, ...]
    #: Each young person's answers (pupil id, then risk question id).
    risk_answers: Mapping[str, Mapping[str, Entry]]
    parents: Mapping[str, tuple[ParentsEntry, ...]]
    police_contacts: tuple[PoliceContact, ...]
    police_outcomes: tuple[PoliceOutcome, ...]
    csc_contacts: tuple[CscContact, ...]
    agency_meetings: tuple[Entry, ...]
    other_setting_contacts: tuple[Entry, ...]
    viewings: tuple[Entry, ...]
    staff_support: tuple[Entry, ...]
    support_routes: tuple[Entry, ...]
    deletions: Mapping[str, Deletion]
    deletion_searches: tuple[Entry, ...]
    disciplines: tuple[Entry, ...]
    conversations: tuple[Entry, ...]
    notes: tuple[Entry, ...]
    step_statuses: Mapping[str, StepStatus]
    closure: Closure
    events_by_id: Mapping[str, Event] = field(repr=False)
    holds: tuple[Hold, ...] = ()
    transfers: tuple[Transfer, ...] = ()
    retention_reviews: tuple[Entry, ...] = ()
    #: Imagery a member of staff saw unavoidably (shown by a pupil): no decision to view.
    sightings: tuple[Entry, ...] = ()
    #: The Headteacher's acknowledgements of viewings that broke a condition; only
    #: those the vault verified as the Headteacher's own are kept here.
    viewing_acknowledgements: tuple[Entry, ...] = ()
    #: For a young person with no conversation: why not (one entry each time).
    conversations_not_held: tuple[Entry, ...] = ()
    #: The Headteacher's refusals to sign off a decision (each names the decision).
    signoff_declines: tuple[Entry, ...] = ()
    #: The incident's devices as the custody log shows them. The log is another
    #: compartment: the reader who holds the custody key passes them in
    #: (`custody.with_custody`); None when nobody did (not known here).
    custody: tuple[DeviceCustody, ...] | None = None
    #: Reports from the staff drop taken into this record, verified, in timeline order.
    staff_reports: tuple[StaffReportTaken, ...] = ()

    @property
    def ref(self) -> str:
        return self.meta.ref

    @property
    def dsl_knew_at(self) -> datetime | None:
        """The earliest time the DSL could have known: when told, or a staff report received.

        "When the DSL was told" is whatever the DSL types; a report from staff
        reached the DSL's inbox at a time the drop recorded. The earlier counts,
        so a late entry of the time cannot make a slow response look prompt.
        """
        told = self.disclosure.dsl_told_at if self.disclosure is not None else None
        times = [report.received_at for report in self.staff_reports]
        if told is not None:
            times.append(told)
        return min(times, default=None)

    @property
    def dsl_knew_from_report(self) -> StaffReportTaken | None:
        """The staff report that gives :attr:`dsl_knew_at`, if one does."""
        knew = self.dsl_knew_at
        return next((r for r in self.staff_reports if r.received_at == knew), None)

    @property
    def current_decision(self) -> Decision | None:
        """The latest decision: the record says decisions are reviewed and may change."""
        return self.decisions[-1] if self.decisions else None

    @property
    def crime_refs(self) -> tuple[str, ...]:
        """Every crime reference recorded anywhere, in order, each once."""
        refs: list[str] = []
        for contact in self.police_contacts:
            refs.extend(contact.crime_refs)
        refs.extend(outcome.crime_ref for outcome in self.police_outcomes if outcome.crime_ref)
        return tuple(dict.fromkeys(ref for ref in refs if ref.strip()))

    @property
    def closed(self) -> bool:
        return self.closure.status == "closed"

    @property
    def active_holds(self) -> tuple[Hold, ...]:
        """Legal holds not yet lifted: while there is one, nothing may be destroyed."""
        return tuple(hold for hold in self.holds if hold.active)

    @property
    def incident_date(self) -> date:
        """The UK date the incident is dated by: disclosure, else opening, else creation."""
        if self.disclosure is not None and self.disclosure.disclosed_at is not None:
            return to_local(self.disclosure.disclosed_at).date()
        return to_local(self.opened_at or self.meta.created_at).date()


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
