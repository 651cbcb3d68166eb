"""The fold: an incident's events, in timeline order with corrections linked, read into
its records (``fold``); the ordering and correction-linking are shared with devices.

Every payload is read defensively: a stored record may come from an older
version, a damaged file or a hostile hand, and reading it must never crash
the screen that shows it. What cannot be read is noted as a problem on the
entry and otherwise ignored.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, replace
from datetime import date, datetime
from types import MappingProxyType
from typing import Any

from ydsi_tui.model.errors import ValidationError
from ydsi_tui.model.events import Event
from ydsi_tui.model.incident import Incident, IncidentMeta
from ydsi_tui.model.records import (
    CSC_FACT_WORDS,
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
from ydsi_tui.model.signoff import signoff_digest
from ydsi_tui.model.timeparse import date_from_iso, from_iso

_PUPIL_KINDS = frozenset(
    {
        "parents.informed",
        "parents.not_informed",
        "deletion.requested",
        "deletion.confirmed",
        "deletion.search",
        "conversation",
        "conversation.not_held",
        "risk.answered",
        "support.route",
        "support.not_offered",
        "discipline",
        "viewing",
        "sighting",
        "pupil.updated",
        "pupil.linked",
        "pupil.unlinked",
        "transfer.sent",
    }
)


class Payload:
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


class Builder:
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
        self.risks: dict[str, dict[str, Entry]] = {}
        self.parents: dict[str, list[ParentsEntry]] = {}
        self.police: list[PoliceContact] = []
        self.outcomes: list[PoliceOutcome] = []
        self.csc: list[CscContact] = []
        self.lists: dict[str, list[Entry]] = {}
        self.requests: dict[str, list[DeletionRequest]] = {}
        self.confirmations: dict[str, list[Entry]] = {}
        self.steps: dict[str, StepStatus] = {}
        self.closure_history: list[Entry] = []
        self.holds: list[Hold] = []
        self.lifts: dict[str, Entry] = {}
        self.transfers: list[Transfer] = []
        self.receipts: dict[str, Entry] = {}
        self.staff_reports: list[StaffReportTaken] = []
        #: For each "one entry counts" slot: (complete?, recorded_at) of the one kept.
        self.chosen: dict[str, tuple[bool, datetime]] = {}

    def counts(self, slot: str, event: Event, complete: bool) -> bool:
        """Whether `event` replaces the entry kept so far for `slot`.

        Where a step needs one entry of a kind, the latest *recorded* complete
        one counts; failing any complete one, the latest recorded. Never
        merely the latest "happened at": a complete entry back-dated to the
        morning must not lose to an incomplete one stamped now.
        """
        key = (complete, event.recorded_at)
        kept = self.chosen.get(slot)
        if kept is not None and key < kept:
            return False
        self.chosen[slot] = key
        return True

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
        handler(self, event, Payload(event, self.problems_for(event)))

    def finish(self, effective: tuple[Event, ...]) -> None:
        """Checks that need the whole record: references to pupils and decisions."""
        for event in effective:
            if event.kind in _PUPIL_KINDS:
                pupil_id = event.data.get("pupil_id") if isinstance(event.data, Mapping) else None
                if isinstance(pupil_id, str) and pupil_id not in self.pupils:
                    self.problems_for(event).append(
                        "This refers to a young person who is not in this record."
                    )
        holds = {hold.event_id for hold in self.holds}
        transfers = {transfer.transfer_id for transfer in self.transfers}
        for event in effective:
            target = event.data.get("hold_id") if isinstance(event.data, Mapping) else None
            if event.kind == "hold.lifted" and target not in holds:
                self.problems_for(event).append("This lifts a hold that is not in this record.")
            target = event.data.get("transfer_id") if isinstance(event.data, Mapping) else None
            if event.kind == "transfer.receipt" and target not in transfers:
                self.problems_for(event).append(
                    "This is a receipt for a transfer that is not in this record."
                )
        for event in effective:
            self._check_follows(event)
        for event in effective:
            if event.kind in ("decision.reviewed", "signoff", "signoff.declined"):
                decision_id = event.data.get("decision_id")
                target = self.by_id.get(decision_id) if isinstance(decision_id, str) else None
                if target is None or target.kind != "decision":
                    self.problems_for(event).append(
                        "This refers to a decision that is not in this record."
                    )

    def _check_follows(self, event: Event) -> None:
        """Support and acknowledgements name the viewing or sighting they follow, by id."""
        field, kinds = _FOLLOWS.get(event.kind, ("", ()))
        if not field:
            return
        target_id = event.data.get(field) if isinstance(event.data, Mapping) else None
        target = self.by_id.get(target_id) if isinstance(target_id, str) else None
        if target is None or target.kind not in kinds:
            self.problems_for(event).append(
                "This refers to a viewing of the imagery that is not in this record."
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
            risk_answers=MappingProxyType(
                {pid: MappingProxyType(dict(answers)) for pid, answers in self.risks.items()}
            ),
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
            holds=tuple(replace(h, lifted=self.lifts.get(h.event_id)) for h in self.holds),
            transfers=tuple(
                replace(t, receipt=self.receipts.get(t.transfer_id)) for t in self.transfers
            ),
            retention_reviews=entries("retention.reviewed"),
            sightings=entries("sighting"),
            viewing_acknowledgements=entries("viewing.acknowledged"),
            conversations_not_held=entries("conversation.not_held"),
            signoff_declines=entries("signoff.declined"),
            staff_reports=tuple(self.staff_reports),
        )


# ------------------------------------------------------------- handlers


def _opened(b: Builder, e: Event, p: Payload) -> None:
    b.summary = p.text("summary")
    b.kind = p.text("kind") or b.kind
    if b.opened_at is None:
        b.opened_at = e.at


def _kind(b: Builder, e: Event, p: Payload) -> None:
    b.kind = p.text("kind") or b.kind


def _disclosure(b: Builder, e: Event, p: Payload) -> None:
    disclosure = Disclosure(
        event_id=e.id,
        discloser_type=p.text("discloser_type"),
        discloser_name=p.text("discloser_name"),
        to_whom=p.text("to_whom"),
        how=p.text("how"),
        disclosed_at=p.time("disclosed_at"),
        dsl_told_at=p.time("dsl_told_at"),
    )
    complete = (
        disclosure.disclosed_at is not None
        and disclosure.dsl_told_at is not None
        and all(v.strip() for v in (disclosure.discloser_type, disclosure.to_whom, disclosure.how))
    )
    if b.counts("disclosure", e, complete):
        b.disclosure = disclosure


def _content(b: Builder, e: Event, p: Payload) -> None:
    content = ContentDescription(
        e.id,
        p.text("description"),
        p.text("sexual_acts") or "unknown",
        p.text("violent") or "unknown",
    )
    if b.counts("content", e, bool(content.description.strip())):
        b.content = content


def _pupil_added(b: Builder, e: Event, p: Payload) -> None:
    pupil_id = p.text("pupil_id")
    if not pupil_id:
        p.problems.append("This adds a young person without an id; it cannot be linked.")
        return
    if pupil_id in b.pupils:
        p.problems.append("This young person was already added; the later entry is used.")
    pupil = Pupil(
        pupil_id=pupil_id,
        name=p.text("name"),
        dob=p.day("dob"),
        year_group=p.number("year_group"),
        sex=p.text("sex") or "unknown",
        parts=p.texts("parts"),
        sen=p.flag("sen"),
        vulnerabilities=p.text("vulnerabilities"),
        event_ids=(e.id,),
        capacity_concern=p.flag("capacity_concern"),
        social_worker=p.text("social_worker"),
        cp_plan=p.flag("cp_plan"),
        child_in_need=p.flag("child_in_need"),
        looked_after=p.flag("looked_after"),
        ehcp=p.flag("ehcp"),
        previously_known=p.flag("previously_known"),
    )
    b.pupils[pupil_id] = _csc_since(None, pupil, e)


def _csc_since(before: Pupil | None, after: Pupil, e: Event) -> Pupil:
    """When CSC involvement was first recorded: from then a CSC contact is due."""
    if not after.known_to_csc:
        return replace(after, csc_since=None)
    if before is not None and before.known_to_csc and before.csc_since is not None:
        return replace(after, csc_since=before.csc_since)
    return replace(after, csc_since=e.at)


def _pupil_updated(b: Builder, e: Event, p: Payload) -> None:
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
    if "capacity_concern" in data:
        changes["capacity_concern"] = p.flag("capacity_concern")
    if "social_worker" in data:
        changes["social_worker"] = p.text("social_worker")
    changes.update({name: p.flag(name) for name in CSC_FACT_WORDS if name in data})
    updated = replace(pupil, **changes, event_ids=(*pupil.event_ids, e.id))
    b.pupils[pupil.pupil_id] = _csc_since(pupil, updated, e)


def _pupil_linked(b: Builder, e: Event, p: Payload) -> None:
    pupil = b.pupils.get(p.text("pupil_id"))
    if pupil is None:
        return  # flagged in finish()
    register_id = p.text("register_id")
    if pupil.register_id and pupil.register_id != register_id:
        p.problems.append("This pupil was linked to another register record; this link is used.")
    b.pupils[pupil.pupil_id] = replace(
        pupil, register_id=register_id, event_ids=(*pupil.event_ids, e.id)
    )


def _pupil_unlinked(b: Builder, e: Event, p: Payload) -> None:
    pupil = b.pupils.get(p.text("pupil_id"))
    if pupil is None:
        return  # flagged in finish()
    if pupil.register_id != p.text("register_id"):
        p.problems.append("This unlinks a register record the pupil was not linked to.")
        return
    b.pupils[pupil.pupil_id] = replace(pupil, register_id="", event_ids=(*pupil.event_ids, e.id))


def _adult(b: Builder, e: Event, p: Payload) -> None:
    adult_id = p.text("adult_id") or e.id
    b.adults[adult_id] = Adult(adult_id, p.text("name"), p.text("description"), e.id)


def _staff(b: Builder, e: Event, p: Payload) -> None:
    b.staff.append(StaffMember(p.text("name"), p.text("role"), p.text("involvement"), e.id))


def _review(b: Builder, e: Event, p: Payload) -> None:
    meeting = ReviewMeeting(
        e.id, p.time("held_at"), p.texts("attendees"), MappingProxyType(p.answers("answers"))
    )
    complete = (
        meeting.held_at is not None
        and bool(meeting.attendees)
        and bool(meeting.answers)
        and all(answer.strip() for answer in meeting.answers.values())
    )
    if b.counts("review", e, complete):
        b.review = meeting


def _trigger(b: Builder, e: Event, p: Payload) -> None:
    n = p.number("n")
    if n is None:
        p.problems.append("This trigger answer has no trigger number.")
        return
    answer = p.text("answer")
    if answer not in ("yes", "no", "unknown"):
        p.problems.append("This trigger answer is not yes, no or not known.")
        answer = "unknown"
    # "Not known" is an answer, not an incomplete entry: the latest recorded counts.
    if b.counts(f"trigger:{n}", e, True):
        b.triggers[n] = TriggerAnswer(
            n, answer, p.text("basis"), e.id, e.at, e.by, p.text("reason_against_suggestion")
        )


def _decision(b: Builder, e: Event, p: Payload) -> None:
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


def _decision_reviewed(b: Builder, e: Event, p: Payload) -> None:
    b.reviews.append(
        DecisionReview(e.id, e.at, p.text("decision_id"), p.text("outcome"), p.text("note"))
    )


def _signoff(b: Builder, e: Event, p: Payload) -> None:
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
    elif not e.verified:
        p.problems.append(
            "This sign-off is NOT VERIFIED: it was not signed with the Headteacher's own key."
        )
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
            verified=e.verified,
        )
    )


def _risk(b: Builder, e: Event, p: Payload) -> None:
    """Each young person's answer to each question (the latest recorded complete one)."""
    pupil_id = p.text("pupil_id")
    question_id = p.text("question_id")
    if not pupil_id:
        # Recorded before answers were per pupil: shown, but it answers for nobody.
        p.problems.append(
            "This risk answer names no young person; the policy asks for each one's answers."
        )
        return
    slot = f"risk:{pupil_id}:{question_id}"
    if question_id and b.counts(slot, e, bool(p.text("answer").strip())):
        b.risks.setdefault(pupil_id, {})[question_id] = b.entry(e)


def _parents(b: Builder, e: Event, p: Payload) -> None:
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


def _police_contact(b: Builder, e: Event, p: Payload) -> None:
    b.police.append(
        PoliceContact(
            e.id, e.at, p.text("route"), p.text("spoken_to"), p.texts("crime_refs"), p.text("note")
        )
    )


def _police_outcome(b: Builder, e: Event, p: Payload) -> None:
    b.outcomes.append(
        PoliceOutcome(e.id, e.at, p.text("outcome"), p.text("crime_ref"), p.text("note"))
    )


def _csc(b: Builder, e: Event, p: Payload) -> None:
    b.csc.append(
        CscContact(
            e.id, e.at, p.text("type"), p.text("spoken_to"), p.text("reference"), p.text("note")
        )
    )


def _deletion_requested(b: Builder, e: Event, p: Payload) -> None:
    b.requests.setdefault(p.text("pupil_id"), []).append(
        DeletionRequest(e.id, e.at, p.time("deadline"), p.flag("told_illegal"))
    )


def _deletion_confirmed(b: Builder, e: Event, p: Payload) -> None:
    b.confirmations.setdefault(p.text("pupil_id"), []).append(b.entry(e))


def _step_status(b: Builder, e: Event, p: Payload) -> None:
    step_id = p.text("step_id")
    status = p.text("status")
    if step_id and status in ("done", "not_applicable", "later"):
        if not b.counts(f"step:{step_id}", e, True):
            return
        b.steps[step_id] = StepStatus(step_id, status, p.text("reason"), e.id, e.at)
    else:
        p.problems.append("This step status names no step or no known status.")


def _closure(b: Builder, e: Event, p: Payload) -> None:
    b.closure_history.append(b.entry(e))


def _hold_set(b: Builder, e: Event, p: Payload) -> None:
    b.holds.append(Hold(e.id, e.at, e.by, e.by_role, p.text("reason"), p.text("authority")))


def _hold_lifted(b: Builder, e: Event, p: Payload) -> None:
    hold_id = p.text("hold_id")
    if hold_id in b.lifts:
        p.problems.append("This hold was already lifted; the first lifting is kept.")
        return
    b.lifts[hold_id] = b.entry(e)


def _transfer_sent(b: Builder, e: Event, p: Payload) -> None:
    transfer_id = p.text("transfer_id")
    if not transfer_id:
        p.problems.append("This transfer has no transfer id; no receipt can be matched to it.")
    b.transfers.append(
        Transfer(
            transfer_id=transfer_id,
            event_id=e.id,
            at=e.at,
            by=e.by,
            pupil_id=p.text("pupil_id"),
            to_school=p.text("to_school"),
            to_dsl=p.text("to_dsl"),
            file_sha256=p.text("file_sha256"),
        )
    )


def _transfer_receipt(b: Builder, e: Event, p: Payload) -> None:
    transfer_id = p.text("transfer_id")
    if transfer_id in b.receipts:
        p.problems.append("A receipt for this transfer was already recorded; the first is kept.")
        return
    b.receipts[transfer_id] = b.entry(e)


_Handler = Callable[[Builder, Event, Payload], None]

#: Entries that follow a viewing or sighting: the field naming it, and what it may be.
_FOLLOWS: dict[str, tuple[str, tuple[str, ...]]] = {
    "staff.support_offered": ("after_id", ("viewing", "sighting")),
    "viewing.acknowledged": ("viewing_id", ("viewing",)),
}


def _keep_as(name: str) -> _Handler:
    def handler(b: Builder, e: Event, p: Payload) -> None:
        b.keep(name, e)

    return handler


def _viewing_acknowledged(b: Builder, e: Event, p: Payload) -> None:
    """Only an acknowledgement the vault verified as the Headteacher's own counts.

    Anyone holding the case key can write an entry that says "by the
    Headteacher"; the reader marks the ones a Headteacher's own key saved.
    """
    if not e.verified:
        p.problems.append(
            "This acknowledgement is not verified as the Headteacher's own; it does not count."
        )
        return
    b.keep("viewing.acknowledged", e)


def _signoff_declined(b: Builder, e: Event, p: Payload) -> None:
    """Only a refusal the vault verified as the Headteacher's own counts.

    A team member or DSL holds the case key and could write "the Headteacher
    declined" to stall a decision or to show one was refused; only a save
    signed with a Headteacher's own key makes it a refusal.
    """
    if not e.verified:
        p.problems.append(
            "This refusal to sign is not verified as the Headteacher's own; it does not count."
        )
        return
    b.keep("signoff.declined", e)


def _staff_report(b: Builder, e: Event, p: Payload) -> None:
    """A report from the staff drop counts only as the reader verified it.

    Anyone holding the case key can write an entry saying "a report reached
    the DSL at 15:20, taken in by the DSL"; its time received sets the earliest
    time the DSL could have known. The reader marks the entries saved by a
    triage role's own key and matching the drop's signed audit entries.
    """
    received = p.time("received_at")
    report_id = p.text("report_id")
    if not e.verified:
        p.problems.append(
            "This report from staff is not verified as taken in from the drop (by the "
            "person who saved it, matching the drop's own log); it does not count."
        )
        return
    if received is None or not report_id:
        p.problems.append("This report from staff has no time received; it does not count.")
        return
    if any(taken.report_id == report_id for taken in b.staff_reports):
        p.problems.append("This report from staff is already in this record.")
        return
    b.staff_reports.append(
        StaffReportTaken(
            event_id=e.id,
            report_id=report_id,
            digest=p.text("digest"),
            received_at=received,
            reporter_name=p.text("reporter_name"),
            job_title=p.text("job_title"),
            owner_login=p.text("owner_login"),
            taken_in_by=e.by,
        )
    )


def _harm(b: Builder, e: Event, p: Payload) -> None:
    b.harm.append(b.entry(e))


_HANDLERS: dict[str, _Handler] = {
    "incident.opened": _opened,
    "incident.kind": _kind,
    "note": _keep_as("note"),
    "disclosure": _disclosure,
    "content.described": _content,
    "pupil.added": _pupil_added,
    "pupil.updated": _pupil_updated,
    "pupil.linked": _pupil_linked,
    "pupil.unlinked": _pupil_unlinked,
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
    "sighting": _keep_as("sighting"),
    "viewing.acknowledged": _viewing_acknowledged,
    "support.route": _keep_as("support.route"),
    "support.not_offered": _keep_as("support.not_offered"),
    "deletion.police_agreed": _keep_as("deletion.police_agreed"),
    "deletion.requested": _deletion_requested,
    "deletion.confirmed": _deletion_confirmed,
    "deletion.search": _keep_as("deletion.search"),
    "discipline": _keep_as("discipline"),
    "conversation": _keep_as("conversation"),
    "conversation.not_held": _keep_as("conversation.not_held"),
    "step.status": _step_status,
    "incident.closed": _closure,
    "incident.reopened": _closure,
    "hold.set": _hold_set,
    "hold.lifted": _hold_lifted,
    "transfer.sent": _transfer_sent,
    "transfer.receipt": _transfer_receipt,
    "retention.reviewed": _keep_as("retention.reviewed"),
    "signoff.declined": _signoff_declined,
    "staff_report.taken_in": _staff_report,
}


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
