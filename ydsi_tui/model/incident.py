"""Folding an incident's events into what is known now.

The events are the record; the fold is only a reading of it, rebuilt every
time. It has to cope with anything the store hands it, in any order (entries
are often written after the fact), including entries that refer to a pupil
never added or correct an entry that is not there: those are kept and
flagged, never dropped and never allowed to crash the screen that shows them.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime
from types import MappingProxyType
from typing import Any

from ydsi_tui.model.errors import ValidationError
from ydsi_tui.model.events import Event
from ydsi_tui.model.policy import Policy
from ydsi_tui.model.signoff import signoff_digest
from ydsi_tui.model.text import NAME_MAX_CHARS
from ydsi_tui.model.timeparse import date_from_iso, from_iso, to_iso_utc, to_local

_REF = re.compile(r"^[A-Za-z0-9][A-Za-z0-9/-]{0,31}$")
_DIGEST = re.compile(r"^[0-9a-f]{64}$")
_PUPIL_KINDS = frozenset(
    {
        "parents.informed",
        "parents.not_informed",
        "deletion.requested",
        "deletion.confirmed",
        "deletion.search",
        "conversation",
        "support.route",
        "discipline",
        "viewing",
        "pupil.updated",
    }
)


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


# -------------------------------------------------------------- the view


@dataclass(frozen=True)
class TimelineEntry:
    """An event as shown in the timeline, with how it relates to corrections."""

    event: Event
    superseded_by: tuple[str, ...]
    corrects: str | None
    problems: tuple[str, ...]

    @property
    def superseded(self) -> bool:
        return bool(self.superseded_by)


@dataclass(frozen=True)
class Problem:
    """Something odd about an entry: kept, shown, and not acted on blindly."""

    event_id: str
    text: str


@dataclass(frozen=True)
class Entry:
    """A recorded entry whose details are shown as they were typed."""

    event_id: str
    kind: str
    at: datetime
    by: str
    data: Mapping[str, Any]

    def text(self, key: str) -> str:
        value = self.data.get(key)
        return value if isinstance(value, str) else ""

    @property
    def pupil_id(self) -> str | None:
        value = self.data.get("pupil_id")
        return value if isinstance(value, str) else None


@dataclass(frozen=True)
class Disclosure:
    event_id: str
    discloser_type: str
    discloser_name: str
    to_whom: str
    how: str
    disclosed_at: datetime | None
    dsl_told_at: datetime | None


@dataclass(frozen=True)
class ContentDescription:
    event_id: str
    description: str
    sexual_acts: str
    violent: str


@dataclass(frozen=True)
class Pupil:
    """A young person and their part in this incident (the part is theirs, not the incident's)."""

    pupil_id: str
    name: str
    dob: date | None
    year_group: int | None
    sex: str
    parts: tuple[str, ...]
    sen: bool
    vulnerabilities: str
    event_ids: tuple[str, ...]

    @property
    def pictured(self) -> bool:
        return "pictured" in self.parts


@dataclass(frozen=True)
class Adult:
    adult_id: str
    name: str
    description: str
    event_id: str


@dataclass(frozen=True)
class StaffMember:
    name: str
    role: str
    involvement: str
    event_id: str


@dataclass(frozen=True)
class ReviewMeeting:
    event_id: str
    held_at: datetime | None
    attendees: tuple[str, ...]
    answers: Mapping[str, str]


@dataclass(frozen=True)
class TriggerAnswer:
    n: int
    answer: str  # yes | no | unknown
    basis: str
    event_id: str
    at: datetime
    by: str


@dataclass(frozen=True)
class Decision:
    event: Event
    outcome: str  # refer | in_school
    refer_to: tuple[str, ...]
    reason: str
    input_from: tuple[str, ...]
    override_reason: str
    review_by: datetime | None

    @property
    def event_id(self) -> str:
        return self.event.id

    @property
    def at(self) -> datetime:
        return self.event.at


@dataclass(frozen=True)
class DecisionReview:
    event_id: str
    at: datetime
    decision_id: str
    outcome: str
    note: str


@dataclass(frozen=True)
class Signoff:
    event_id: str
    at: datetime
    by: str
    by_role: str
    decision_id: str
    statement: str
    key_id: str
    signature: str
    payload_sha256: str
    payload_matches: bool

    @property
    def valid(self) -> bool:
        """By a Headteacher, and over exactly the decision it names."""
        return self.by_role == "headteacher" and self.payload_matches


@dataclass(frozen=True)
class ParentsEntry:
    event_id: str
    at: datetime
    informed: bool
    who: str
    how: str
    informed_by: str
    reason: str
    agreed_with: str


@dataclass(frozen=True)
class PoliceContact:
    event_id: str
    at: datetime
    route: str
    spoken_to: str
    crime_refs: tuple[str, ...]
    note: str


@dataclass(frozen=True)
class PoliceOutcome:
    event_id: str
    at: datetime
    outcome: str
    crime_ref: str
    note: str


@dataclass(frozen=True)
class CscContact:
    event_id: str
    at: datetime
    type: str  # contact | referral
    spoken_to: str
    reference: str
    note: str


@dataclass(frozen=True)
class DeletionRequest:
    event_id: str
    at: datetime
    deadline: datetime | None
    told_illegal: bool


@dataclass(frozen=True)
class Deletion:
    """Deletion for one young person: every request and every confirmation."""

    pupil_id: str
    requests: tuple[DeletionRequest, ...]
    confirmations: tuple[Entry, ...]

    @property
    def confirmed(self) -> bool:
        return bool(self.confirmations)

    @property
    def deadline(self) -> datetime | None:
        """The latest deadline given: a later request extends an earlier one."""
        deadlines = [r.deadline for r in self.requests if r.deadline is not None]
        return max(deadlines, default=None)

    @property
    def told_illegal(self) -> bool:
        return any(r.told_illegal for r in self.requests)


@dataclass(frozen=True)
class StepStatus:
    step_id: str
    status: str  # done | not_applicable | later
    reason: str
    event_id: str
    at: datetime


@dataclass(frozen=True)
class Closure:
    status: str  # open | closed
    closed: Entry | None  # the closing entry in force, if closed
    history: tuple[Entry, ...]  # every close and reopen, in order


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
    risk_answers: Mapping[str, Entry]
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

    @property
    def ref(self) -> str:
        return self.meta.ref

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
    def incident_date(self) -> date:
        """The UK date the incident is dated by: disclosure, else opening, else creation."""
        if self.disclosure is not None and self.disclosure.disclosed_at is not None:
            return to_local(self.disclosure.disclosed_at).date()
        return to_local(self.opened_at or self.meta.created_at).date()


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
    builder = _Builder(meta, dict(linked.by_id), linked.problems)
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


class _Payload:
    """Reads one event's payload without trusting it."""

    def __init__(self, event: Event, problems: list[str]) -> None:
        self.data = event.data if isinstance(event.data, Mapping) else {}
        self.problems = problems

    def _bad(self, key: str) -> None:
        self.problems.append(f"The field {key!r} could not be read.")

    def text(self, key: str) -> str:
        value = self.data.get(key)
        if value is None:
            return ""
        if not isinstance(value, str):
            self._bad(key)
            return ""
        return value

    def flag(self, key: str) -> bool:
        value = self.data.get(key)
        if value is not None and not isinstance(value, bool):
            self._bad(key)
        return value is True

    def number(self, key: str) -> int | None:
        value = self.data.get(key)
        if value is None:
            return None
        if not isinstance(value, int) or isinstance(value, bool):
            self._bad(key)
            return None
        return value

    def texts(self, key: str) -> tuple[str, ...]:
        value = self.data.get(key)
        if value is None:
            return ()
        if not isinstance(value, list | tuple) or not all(isinstance(v, str) for v in value):
            self._bad(key)
            return ()
        return tuple(value)

    def time(self, key: str) -> datetime | None:
        value = self.data.get(key)
        if value is None:
            return None
        try:
            return from_iso(value, key)
        except ValidationError:
            self._bad(key)
            return None

    def day(self, key: str) -> date | None:
        value = self.data.get(key)
        if value is None:
            return None
        try:
            return date_from_iso(value, key)
        except ValidationError:
            self._bad(key)
            return None

    def answers(self, key: str) -> dict[str, str]:
        value = self.data.get(key)
        if value is None:
            return {}
        if not isinstance(value, Mapping):
            self._bad(key)
            return {}
        return {k: v for k, v in value.items() if isinstance(k, str) and isinstance(v, str)}


class _Builder:
    """Accumulates state while the fold walks the effective events in order."""

    def __init__(
        self, meta: IncidentMeta, by_id: dict[str, Event], problems: dict[str, list[str]]
    ) -> None:
        self.meta = meta
        self.by_id = by_id
        self.problem_map = problems
        self.summary = ""
        self.kind: str | None = None
        self.opened_at: datetime | None = None
        self.disclosure: Disclosure | None = None
        self.content: ContentDescription | None = None
        self.pupils: dict[str, Pupil] = {}
        self.adults: dict[str, Adult] = {}
        self.staff: list[StaffMember] = []
        self.review: ReviewMeeting | None = None
        self.triggers: dict[int, TriggerAnswer] = {}
        self.harm: list[Entry] = []
        self.decisions: list[Decision] = []
        self.reviews: list[DecisionReview] = []
        self.signoffs: list[Signoff] = []
        self.risks: dict[str, Entry] = {}
        self.parents: dict[str, list[ParentsEntry]] = {}
        self.police: list[PoliceContact] = []
        self.outcomes: list[PoliceOutcome] = []
        self.csc: list[CscContact] = []
        self.lists: dict[str, list[Entry]] = {}
        self.requests: dict[str, list[DeletionRequest]] = {}
        self.confirmations: dict[str, list[Entry]] = {}
        self.steps: dict[str, StepStatus] = {}
        self.closure_history: list[Entry] = []

    def problems_for(self, event: Event) -> list[str]:
        return self.problem_map.setdefault(event.id, [])

    def entry(self, event: Event) -> Entry:
        data = event.data if isinstance(event.data, Mapping) else MappingProxyType({})
        return Entry(event.id, event.kind, event.at, event.by, data)

    def keep(self, name: str, event: Event) -> None:
        self.lists.setdefault(name, []).append(self.entry(event))

    def apply(self, event: Event) -> None:
        handler = _HANDLERS.get(event.kind)
        if handler is None:
            where = "the device log" if event.kind.startswith("device.") else "no record"
            self.problems_for(event).append(
                f"Entries of kind {event.kind[:40]!r} belong in {where}, not an incident."
            )
            return
        handler(self, event, _Payload(event, self.problems_for(event)))

    def finish(self, effective: tuple[Event, ...]) -> None:
        """Checks that need the whole record: references to pupils and decisions."""
        for event in effective:
            if event.kind in _PUPIL_KINDS:
                pupil_id = event.data.get("pupil_id") if isinstance(event.data, Mapping) else None
                if isinstance(pupil_id, str) and pupil_id not in self.pupils:
                    self.problems_for(event).append(
                        "This refers to a young person who is not in this record."
                    )
        for event in effective:
            if event.kind in ("decision.reviewed", "signoff"):
                decision_id = event.data.get("decision_id")
                target = self.by_id.get(decision_id) if isinstance(decision_id, str) else None
                if target is None or target.kind != "decision":
                    self.problems_for(event).append(
                        "This refers to a decision that is not in this record."
                    )

    def build(self, timeline: tuple[TimelineEntry, ...], effective: tuple[Event, ...]) -> Incident:
        closed = self.closure_history[-1] if self.closure_history else None
        status = "closed" if closed is not None and closed.kind == "incident.closed" else "open"
        problems = tuple(
            Problem(event_id, text)
            for event_id, texts in self.problem_map.items()
            for text in texts
        )

        def entries(name: str) -> tuple[Entry, ...]:
            return tuple(self.lists.get(name, ()))

        pupil_ids = list(dict.fromkeys([*self.requests, *self.confirmations]))
        deletions = {
            pupil_id: Deletion(
                pupil_id,
                tuple(self.requests.get(pupil_id, ())),
                tuple(self.confirmations.get(pupil_id, ())),
            )
            for pupil_id in pupil_ids
        }
        return Incident(
            meta=self.meta,
            timeline=timeline,
            effective=effective,
            problems=problems,
            summary=self.summary,
            kind=self.kind,
            opened_at=self.opened_at,
            disclosure=self.disclosure,
            content=self.content,
            pupils=MappingProxyType(dict(self.pupils)),
            adults=MappingProxyType(dict(self.adults)),
            staff=tuple(self.staff),
            review_meeting=self.review,
            triggers=MappingProxyType(dict(sorted(self.triggers.items()))),
            harm_concerns=tuple(self.harm),
            decisions=tuple(self.decisions),
            decision_reviews=tuple(self.reviews),
            signoffs=tuple(self.signoffs),
            risk_answers=MappingProxyType(dict(self.risks)),
            parents=MappingProxyType({k: tuple(v) for k, v in self.parents.items()}),
            police_contacts=tuple(self.police),
            police_outcomes=tuple(self.outcomes),
            csc_contacts=tuple(self.csc),
            agency_meetings=entries("agency.meeting"),
            other_setting_contacts=entries("other_setting.contact"),
            viewings=entries("viewing"),
            staff_support=entries("staff.support_offered"),
            support_routes=entries("support.route"),
            deletions=MappingProxyType(deletions),
            deletion_searches=entries("deletion.search"),
            disciplines=entries("discipline"),
            conversations=entries("conversation"),
            notes=entries("note"),
            step_statuses=MappingProxyType(dict(self.steps)),
            closure=Closure(
                status, closed if status == "closed" else None, tuple(self.closure_history)
            ),
            events_by_id=MappingProxyType(dict(self.by_id)),
        )


# ------------------------------------------------------------- handlers


def _opened(b: _Builder, e: Event, p: _Payload) -> None:
    b.summary = p.text("summary")
    b.kind = p.text("kind") or b.kind
    if b.opened_at is None:
        b.opened_at = e.at


def _kind(b: _Builder, e: Event, p: _Payload) -> None:
    b.kind = p.text("kind") or b.kind


def _disclosure(b: _Builder, e: Event, p: _Payload) -> None:
    b.disclosure = Disclosure(
        event_id=e.id,
        discloser_type=p.text("discloser_type"),
        discloser_name=p.text("discloser_name"),
        to_whom=p.text("to_whom"),
        how=p.text("how"),
        disclosed_at=p.time("disclosed_at"),
        dsl_told_at=p.time("dsl_told_at"),
    )


def _content(b: _Builder, e: Event, p: _Payload) -> None:
    b.content = ContentDescription(
        e.id,
        p.text("description"),
        p.text("sexual_acts") or "unknown",
        p.text("violent") or "unknown",
    )


def _pupil_added(b: _Builder, e: Event, p: _Payload) -> None:
    pupil_id = p.text("pupil_id")
    if not pupil_id:
        p.problems.append("This adds a young person without an id; it cannot be linked.")
        return
    if pupil_id in b.pupils:
        p.problems.append("This young person was already added; the later entry is used.")
    b.pupils[pupil_id] = Pupil(
        pupil_id=pupil_id,
        name=p.text("name"),
        dob=p.day("dob"),
        year_group=p.number("year_group"),
        sex=p.text("sex") or "unknown",
        parts=p.texts("parts"),
        sen=p.flag("sen"),
        vulnerabilities=p.text("vulnerabilities"),
        event_ids=(e.id,),
    )


def _pupil_updated(b: _Builder, e: Event, p: _Payload) -> None:
    pupil = b.pupils.get(p.text("pupil_id"))
    if pupil is None:
        return  # flagged in finish(); nothing to update
    changes: dict[str, Any] = {}
    data = p.data
    if "name" in data:
        changes["name"] = p.text("name")
    if "dob" in data:
        changes["dob"] = p.day("dob")
    if "year_group" in data:
        changes["year_group"] = p.number("year_group")
    if "sex" in data:
        changes["sex"] = p.text("sex") or pupil.sex
    if "parts" in data:
        changes["parts"] = p.texts("parts")
    if "sen" in data:
        changes["sen"] = p.flag("sen")
    if "vulnerabilities" in data:
        changes["vulnerabilities"] = p.text("vulnerabilities")
    b.pupils[pupil.pupil_id] = replace(pupil, **changes, event_ids=(*pupil.event_ids, e.id))


def _adult(b: _Builder, e: Event, p: _Payload) -> None:
    adult_id = p.text("adult_id") or e.id
    b.adults[adult_id] = Adult(adult_id, p.text("name"), p.text("description"), e.id)


def _staff(b: _Builder, e: Event, p: _Payload) -> None:
    b.staff.append(StaffMember(p.text("name"), p.text("role"), p.text("involvement"), e.id))


def _review(b: _Builder, e: Event, p: _Payload) -> None:
    b.review = ReviewMeeting(
        e.id, p.time("held_at"), p.texts("attendees"), MappingProxyType(p.answers("answers"))
    )


def _trigger(b: _Builder, e: Event, p: _Payload) -> None:
    n = p.number("n")
    if n is None:
        p.problems.append("This trigger answer has no trigger number.")
        return
    answer = p.text("answer")
    if answer not in ("yes", "no", "unknown"):
        p.problems.append("This trigger answer is not yes, no or not known.")
        answer = "unknown"
    b.triggers[n] = TriggerAnswer(n, answer, p.text("basis"), e.id, e.at, e.by)


def _decision(b: _Builder, e: Event, p: _Payload) -> None:
    outcome = p.text("outcome")
    if outcome not in ("refer", "in_school"):
        p.problems.append("This decision is neither a referral nor a response in school.")
        return
    b.decisions.append(
        Decision(
            event=e,
            outcome=outcome,
            refer_to=p.texts("refer_to"),
            reason=p.text("reason"),
            input_from=p.texts("input_from"),
            override_reason=p.text("override_reason"),
            review_by=p.time("review_by"),
        )
    )


def _decision_reviewed(b: _Builder, e: Event, p: _Payload) -> None:
    b.reviews.append(
        DecisionReview(e.id, e.at, p.text("decision_id"), p.text("outcome"), p.text("note"))
    )


def _signoff(b: _Builder, e: Event, p: _Payload) -> None:
    decision = b.by_id.get(p.text("decision_id"))
    statement = p.text("statement")
    matches = False
    if decision is not None and decision.kind == "decision":
        expected = signoff_digest(
            b.meta, decision, signer=e.by, signed_at=e.at, statement=statement
        )
        matches = expected == p.text("payload_sha256")
        if not matches:
            p.problems.append("This sign-off does not match the decision it names.")
    if e.by_role != "headteacher":
        p.problems.append("This sign-off was not made by a Headteacher.")
    b.signoffs.append(
        Signoff(
            event_id=e.id,
            at=e.at,
            by=e.by,
            by_role=e.by_role,
            decision_id=p.text("decision_id"),
            statement=statement,
            key_id=p.text("key_id"),
            signature=p.text("signature"),
            payload_sha256=p.text("payload_sha256"),
            payload_matches=matches,
        )
    )


def _risk(b: _Builder, e: Event, p: _Payload) -> None:
    question_id = p.text("question_id")
    if question_id:
        b.risks[question_id] = b.entry(e)


def _parents(b: _Builder, e: Event, p: _Payload) -> None:
    b.parents.setdefault(p.text("pupil_id"), []).append(
        ParentsEntry(
            event_id=e.id,
            at=e.at,
            informed=e.kind == "parents.informed",
            who=p.text("who"),
            how=p.text("how"),
            informed_by=p.text("informed_by"),
            reason=p.text("reason"),
            agreed_with=p.text("agreed_with"),
        )
    )


def _police_contact(b: _Builder, e: Event, p: _Payload) -> None:
    b.police.append(
        PoliceContact(
            e.id, e.at, p.text("route"), p.text("spoken_to"), p.texts("crime_refs"), p.text("note")
        )
    )


def _police_outcome(b: _Builder, e: Event, p: _Payload) -> None:
    b.outcomes.append(
        PoliceOutcome(e.id, e.at, p.text("outcome"), p.text("crime_ref"), p.text("note"))
    )


def _csc(b: _Builder, e: Event, p: _Payload) -> None:
    b.csc.append(
        CscContact(
            e.id, e.at, p.text("type"), p.text("spoken_to"), p.text("reference"), p.text("note")
        )
    )


def _deletion_requested(b: _Builder, e: Event, p: _Payload) -> None:
    b.requests.setdefault(p.text("pupil_id"), []).append(
        DeletionRequest(e.id, e.at, p.time("deadline"), p.flag("told_illegal"))
    )


def _deletion_confirmed(b: _Builder, e: Event, p: _Payload) -> None:
    b.confirmations.setdefault(p.text("pupil_id"), []).append(b.entry(e))


def _step_status(b: _Builder, e: Event, p: _Payload) -> None:
    step_id = p.text("step_id")
    status = p.text("status")
    if step_id and status in ("done", "not_applicable", "later"):
        b.steps[step_id] = StepStatus(step_id, status, p.text("reason"), e.id, e.at)
    else:
        p.problems.append("This step status names no step or no known status.")


def _closure(b: _Builder, e: Event, p: _Payload) -> None:
    b.closure_history.append(b.entry(e))


_Handler = Callable[[_Builder, Event, _Payload], None]


def _keep_as(name: str) -> _Handler:
    def handler(b: _Builder, e: Event, p: _Payload) -> None:
        b.keep(name, e)

    return handler


def _harm(b: _Builder, e: Event, p: _Payload) -> None:
    b.harm.append(b.entry(e))


_HANDLERS: dict[str, _Handler] = {
    "incident.opened": _opened,
    "incident.kind": _kind,
    "note": _keep_as("note"),
    "disclosure": _disclosure,
    "content.described": _content,
    "pupil.added": _pupil_added,
    "pupil.updated": _pupil_updated,
    "adult.added": _adult,
    "staff.added": _staff,
    "review.meeting": _review,
    "trigger.answered": _trigger,
    "concern.harm": _harm,
    "decision": _decision,
    "decision.reviewed": _decision_reviewed,
    "signoff": _signoff,
    "risk.answered": _risk,
    "parents.informed": _parents,
    "parents.not_informed": _parents,
    "police.contact": _police_contact,
    "police.outcome": _police_outcome,
    "csc.contact": _csc,
    "agency.meeting": _keep_as("agency.meeting"),
    "other_setting.contact": _keep_as("other_setting.contact"),
    "viewing": _keep_as("viewing"),
    "staff.support_offered": _keep_as("staff.support_offered"),
    "support.route": _keep_as("support.route"),
    "deletion.requested": _deletion_requested,
    "deletion.confirmed": _deletion_confirmed,
    "deletion.search": _keep_as("deletion.search"),
    "discipline": _keep_as("discipline"),
    "conversation": _keep_as("conversation"),
    "step.status": _step_status,
    "incident.closed": _closure,
    "incident.reopened": _closure,
}
