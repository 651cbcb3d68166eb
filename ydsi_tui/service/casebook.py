"""Incidents: open, list, record, sign off, close. The procedure applied to the vault.

Every change is one vault transaction: read the newest copy under the lock,
fold its events, build and check the new event against the schema *and* the
policy's rules, append it, recompute the summary, save once. Appends made by
two people at once therefore both land; a change that must not be merged
(closing, signing off) can carry the file hash the user was looking at.
"""

from __future__ import annotations

import base64
import dataclasses
import hashlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from ..model import rules
from ..model.advice import check_deletion
from ..model.custody import with_custody
from ..model.errors import ValidationError
from ..model.events import Event, make_event
from ..model.folding import fold
from ..model.incident import Incident, IncidentMeta, new_incident_meta, next_ref
from ..model.obligations import Flag
from ..model.policy import Policy, Step
from ..model.records import DeviceCustody
from ..model.register import (
    IncidentLinks,
    RegisterEntry,
    links_from_summary,
    merges_from_summaries,
    register_entry_from_summary,
    repeat_flags,
)
from ..model.steps import Gap, StepState
from ..model.suggestions import TriggerSuggestion, suggest_triggers
from ..model.summary import INCIDENT_REF_PATTERN, STATUS_WORDS, summary_field
from ..model.timeparse import from_iso, parse_when, to_iso_utc
from ..model.triggers import Referral, Suggestion
from ..vault.crypto import verify_signature
from ..vault.drop_inbox import ReceivedReport
from ..vault.drop_triage import TRIAGE_ROLES, Triage
from ..vault.errors import AccessDenied, VaultError
from ..vault.session import Listed, Session, Signer, decode_signature
from .clock import Clock, SystemClock
from .devices import COMPARTMENT as DEVICE_COMPARTMENT
from .devices import DeviceLog
from .policies import PolicyLibrary
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

__all__ = ["CaseBook", "IncidentRow", "IncidentView", "SignoffCheck", "When"]

COMPARTMENT = "case"
#: What may still be added to a closed incident: notes, reopening, and records
#: management (holds, transfers and retention reviews usually come after closing).
_AFTER_CLOSE = {
    "note",
    "incident.reopened",
    "hold.set",
    "hold.lifted",
    "transfer.sent",
    "transfer.receipt",
    "retention.reviewed",
    "pupil.linked",
    "pupil.unlinked",
}

#: Overdue flags still chased once an incident is closed.
_CHASED_AFTER_CLOSE = {"transfer_receipt_missing", "viewing_breach"}

#: Entries that count only when a Headteacher's own key saved them (the reader
#: marks them verified): a DSL holds the case key and could write "by the Head".
_HEADTEACHERS_OWN = {
    "viewing.acknowledged": "the acknowledgement of a viewing that broke the policy's conditions",
    "signoff.declined": "a refusal to sign off a decision",
}

#: Entries made only by taking a report in from the staff inbox (service/inbox.py):
#: the report's own words, never typed, and never corrected (a correction would
#: rewrite a first-hand account).
_INBOX_ONLY = {"staff_report.taken_in"}

When = str | datetime | None
#: What the pupil register reads of one listed summary.
_Facts = IncidentLinks | RegisterEntry | None


@dataclass(frozen=True)
class IncidentRow:
    """One line of the home screen's table, from the stored summary alone."""

    ref: str
    status: str
    kind: str
    opened_at: datetime | None
    summary: str
    next_step: str
    referral_required: bool
    signoff_needed: bool
    overdue: tuple[Flag, ...]
    updated_at: datetime | None
    error: str | None = None
    #: For a damaged row: the reference to give ``ydsi repair`` ("" if unknown).
    repair_ref: str = ""
    #: An in-school response sets aside a trigger whose referral was never made.
    trigger_overridden: bool = False
    #: Repeat involvement: a pupil (or an outside person) seen in an earlier incident.
    repeat: tuple[str, ...] = ()


@dataclass(frozen=True)
class SignoffCheck:
    """A sign-off's signature, checked against the vault's keys."""

    event_id: str
    valid: bool
    signer: str
    reason: str


@dataclass(frozen=True)
class IncidentView:
    """An opened incident and everything the model computes about it."""

    incident: Incident
    policy: Policy
    policy_in_force: bool
    file_hash: str
    referral: Referral
    next_step: Step | None
    steps: list[StepState]
    gaps: list[Gap]
    overdue: list[Flag]
    obligations: list[Flag]
    trigger4: Suggestion
    signoffs: dict[str, SignoffCheck] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)
    #: What the record suggests for each trigger it has something to say about.
    suggestions: dict[int, TriggerSuggestion] = field(default_factory=dict)

    @property
    def ref(self) -> str:
        return self.incident.ref


class CaseBook:
    """The incidents one unlocked user may read, under the policy in force."""

    def __init__(
        self,
        session: Session,
        policies: PolicyLibrary,
        *,
        clock: Clock | None = None,
    ) -> None:
        if not session.can_read(COMPARTMENT):
            raise AccessDenied(
                f"your role ({session.role}) records device custody only; incidents are not "
                "yours to open"
            )
        self.session = session
        self.policies = policies
        self.clock: Clock = clock or SystemClock()
        #: {record id: (the summary object, its saver's role, what the register read of it)}
        self._register_memo: dict[
            str, tuple[object, str, IncidentLinks | RegisterEntry | None]
        ] = {}

    # ------------------------------------------------------------------
    @property
    def author(self) -> str:
        return author_name(self.session)

    def _when(self, when: When, now: datetime) -> datetime:
        if when is None:
            return now
        if isinstance(when, datetime):
            return when
        return parse_when(when, now=now)

    # ------------------------------------------------------------------
    # reading
    # ------------------------------------------------------------------
    def register_facts(self, listed: Listed) -> IncidentLinks | RegisterEntry | None:
        """What the pupil register reads of one listed summary (model/register.py).

        Parsed once per summary: a listing hands back the very summary it
        checked before when the file is unchanged, so a running app's refresh
        of 10,000 incidents parses only what changed.
        """
        summary = listed.summary
        memo = self._register_memo.get(listed.record_id)
        if memo is not None and memo[0] is summary and memo[1] == listed.saved_by_role:
            return memo[2]
        facts: IncidentLinks | RegisterEntry | None = None
        if summary and summary.get("type") == "incident":
            facts = links_from_summary(summary)
        elif summary and summary.get("type") == "pupil":
            facts = register_entry_from_summary(summary, saved_by_dsl=listed.saved_by_role == "dsl")
        self._register_memo[listed.record_id] = (summary, listed.saved_by_role, facts)
        return facts

    def rows(self) -> list[IncidentRow]:
        """Every incident, from summaries only; a damaged file becomes a row saying so."""
        now = self.clock.now()
        rows: list[IncidentRow] = []
        listing = self.session.list_records(COMPARTMENT)
        refs = (
            refs_by_record(self.session, COMPARTMENT)
            if any(listed.error is not None for listed in listing)
            else {}
        )
        links: list[IncidentLinks] = []
        register: list[RegisterEntry] = []
        for listed in listing:
            if listed.error is not None:
                rows.append(
                    IncidentRow(
                        ref=f"? {listed.record_id[:8]}",
                        status="damaged",
                        kind="",
                        opened_at=None,
                        summary="",
                        next_step="",
                        referral_required=False,
                        signoff_needed=False,
                        overdue=(),
                        updated_at=None,
                        error=listed.error,
                        repair_ref=_known_ref(refs.get(listed.record_id, "")),
                    )
                )
                continue
            summary = listed.summary
            facts = self.register_facts(listed)
            if isinstance(facts, RegisterEntry):
                register.append(facts)
            if not summary or summary.get("type") != "incident":
                continue
            rows.append(_row(summary, now))
            if isinstance(facts, IncidentLinks) and (facts.links or facts.outsiders):
                links.append(facts)
        # Repeat involvement, from what was just read: no timeline is decrypted.
        flags = repeat_flags(links, merges_from_summaries(register)) if links else {}
        if flags:
            rows = [
                dataclasses.replace(row, repeat=flags[row.ref]) if row.ref in flags else row
                for row in rows
            ]
        rows.sort(key=lambda r: (r.opened_at is not None, r.opened_at or now, r.ref), reverse=True)
        return rows

    def open(self, ref: str, *, log: bool = True) -> IncidentView:
        """Read and fold one incident; the read is audited (who opened which incident)."""
        snapshot = self.session.read(COMPARTMENT, ref, log=log)
        meta = IncidentMeta.from_doc(read_meta_doc(snapshot.tables))
        events, problems, signers = read_attested(snapshot.tables, snapshot.authors, self.session)
        events, checks = self._verify_signoffs(meta, events, signers)
        return self._view(meta, events, problems, snapshot.file_hash, checks)

    def _view(
        self,
        meta: IncidentMeta,
        events: list[Event],
        problems: list[str],
        file_hash: str,
        checks: dict[str, SignoffCheck],
    ) -> IncidentView:
        policy = self.policies.get(meta.policy_digest)
        incident = self._with_custody(fold(meta, events), self.custody(meta.ref))
        now = self.clock.now()
        return IncidentView(
            incident=incident,
            policy=policy,
            policy_in_force=policy.digest == meta.policy_digest,
            file_hash=file_hash,
            referral=rules.referral(incident, policy),
            next_step=rules.next_step(incident, policy),
            steps=rules.step_states(incident, policy),
            gaps=rules.gaps(incident, policy),
            overdue=rules.overdue(incident, policy, now),
            obligations=rules.obligations(incident, policy),
            trigger4=rules.suggest_trigger4(incident, policy),
            signoffs=checks,
            problems=[*problems, *(p.text for p in incident.problems)],
            suggestions=suggest_triggers(incident, policy),
        )

    def custody(self, ref: str) -> tuple[DeviceCustody, ...] | None:
        """The incident's devices as their custody chains stand; None without the custody key.

        The DSL holds both keys: the procedure's devices step is met from the
        log itself (every device handed to the police or returned), never
        from a tick. Each device is read from its attested chain, not from the
        summary its technician wrote; one that cannot be read counts as still
        held. The read is not logged: nobody opened the device.
        """
        if not self.session.can_read(DEVICE_COMPARTMENT):
            return None
        log = DeviceLog(self.session, self.policies.current, clock=self.clock)
        facts: list[DeviceCustody] = []
        for row in log.rows(incident_ref=ref):
            if row.error is not None:
                continue  # a damaged file names no incident we can trust
            try:
                facts.append(DeviceCustody(row.ref, log.open(row.ref, log=False).device.status))
            except (VaultError, ValidationError):
                facts.append(DeviceCustody(row.ref, None))
        return tuple(facts)

    @staticmethod
    def _with_custody(incident: Incident, facts: tuple[DeviceCustody, ...] | None) -> Incident:
        return incident if facts is None else with_custody(incident, facts)

    def _verify_signoffs(
        self, meta: IncidentMeta, events: list[Event], signers: Mapping[str, Signer]
    ) -> tuple[list[Event], dict[str, SignoffCheck]]:
        """Mark each sign-off verified or not; only a verified one counts anywhere.

        Verified means all of: the save that added it was signed by a
        Headteacher's own key (not one a DSL generated for them), valid at
        that point of the log; the sign-off names that same key; its Ed25519
        signature over the decision verifies; the decision is unchanged.
        """
        by_id = {event.id: event for event in events}
        checks: dict[str, SignoffCheck] = {}
        out: list[Event] = []
        marks: dict[str, Triage] | None = None
        received: dict[str, ReceivedReport] | None = None
        for event in events:
            if event.kind in _HEADTEACHERS_OWN:
                out.append(dataclasses.replace(event, verified=_headteachers_own(signers, event)))
                continue
            if event.kind in _INBOX_ONLY:
                if marks is None or received is None:  # the log read once per reading
                    marks = self.session.triaged_reports()
                    received = self.session.received_reports()
                verified = self._taken_in_verified(
                    meta, event, signers.get(event.id), marks, received
                )
                out.append(dataclasses.replace(event, verified=verified))
                continue
            if event.kind != "signoff":
                out.append(event)
                continue
            check = _check_signoff(meta, event, by_id, signers.get(event.id))
            checks[event.id] = check
            out.append(dataclasses.replace(event, verified=check.valid))
        return out, checks

    def _taken_in_verified(
        self,
        meta: IncidentMeta,
        event: Event,
        signer: Signer | None,
        marks: Mapping[str, Triage],
        receipts: Mapping[str, ReceivedReport],
    ) -> bool:
        """A report from staff counts only as the person who saved it took it in.

        All of: the save that added it was signed by a triage role's own key
        (not one a DSL issued); the drop's log holds that report's receipt with
        the same ciphertext digest and time received; and its one triage,
        signed by that same person, names this incident. Anyone holding the
        case key can write the entry; only these make it the drop's report.
        """
        if signer is None or not signer.owner_made or signer.role not in TRIAGE_ROLES:
            return False
        report_id = event.data.get("report_id")
        if not isinstance(report_id, str):
            return False
        received = receipts.get(report_id)
        if received is None or received.digest != event.data.get("digest"):
            return False
        try:
            same_time = from_iso(received.received_at) == from_iso(
                str(event.data.get("received_at"))
            )
        except ValidationError:
            return False
        mark = marks.get(report_id)
        return (
            same_time
            and mark is not None
            and mark.taken_in
            and mark.actor == signer.user_id
            and mark.record == self.session.record_id(COMPARTMENT, meta.ref)
        )

    def _counted(self, event: Event) -> Event:
        """An entry as every reader will count it, for the summary written with its save.

        This save is signed with the user's own key: a Headteacher's own entry
        counts exactly when every reader will (see _headteachers_own); a report
        taken in counts once its triage is logged, which follows the save.
        """
        own = self.session.own_signer()
        if event.kind in _HEADTEACHERS_OWN:
            return dataclasses.replace(
                event, verified=own is not None and own.owner_made and own.role == "headteacher"
            )
        if event.kind in _INBOX_ONLY:
            return dataclasses.replace(
                event, verified=own is not None and own.owner_made and own.role in TRIAGE_ROLES
            )
        return event

    # ------------------------------------------------------------------
    # writing
    # ------------------------------------------------------------------
    def create(
        self,
        summary: str,
        kind: str = "peer_sharing",
        *,
        disclosed_at: When = None,
        disclosure: Mapping[str, Any] | None = None,
        pupils: Sequence[Mapping[str, Any]] = (),
        taken_in: tuple[Mapping[str, Any], datetime] | None = None,
    ) -> str:
        """Open a new incident; returns its reference (such as ``2026-007``).

        ``disclosure`` (who disclosed, to whom, how, when the DSL was told) and
        ``pupils`` (each a ``pupil.added`` payload) are recorded with it, at the
        time of the disclosure, in the same save: everything is checked first,
        so a mistake in any of it opens nothing (the app's one disclosure form).
        ``taken_in`` (a ``staff_report.taken_in`` payload and its time) is the
        report from staff the incident is opened from (service/inbox.py only).
        """
        now = self.clock.now()
        at = self._when(disclosed_at, now)
        policy = self.policies.require_in_force()  # never a file a DSL has not approved

        def entry(kind_: str, data: Mapping[str, Any]) -> Event:
            return make_event(
                kind_, data, at=at, now=now, by=self.author, by_role=self.session.role,
                policy=policy,
            )  # fmt: skip

        events = [entry("incident.opened", {"summary": summary, "kind": kind})]
        if disclosure is not None:
            events.append(entry("disclosure", {**disclosure, "disclosed_at": to_iso_utc(at)}))
        events.extend(entry("pupil.added", pupil) for pupil in pupils)
        if taken_in is not None:
            data, received = taken_in
            events.append(
                make_event(
                    "staff_report.taken_in", data, at=received, now=now, by=self.author,
                    by_role=self.session.role, policy=policy,
                )
            )  # fmt: skip
        self.policies.ensure_stored()
        with self.session.vault.lock():
            # Checked against the record as it grows, before a reference is taken.
            probe = new_incident_meta("2000-001", policy, now=now, by=self.author)
            for index, event in enumerate(events[1:], start=1):
                self._check(fold(probe, events[:index]), policy, event)
            refs_exists = self.session.exists(COMPARTMENT, REFS_RECORD)
            with self.session.transaction(COMPARTMENT, REFS_RECORD, create=not refs_exists) as db:
                ref = allocate_ref(db, lambda existing: next_ref(existing, now=now))
                if not refs_exists:
                    write_summary(db, {}, "refs")
            meta = new_incident_meta(ref, policy, now=now, by=self.author)
            with self.session.transaction(COMPARTMENT, ref, create=True) as db:
                db.table("meta", cache_size=0).insert(meta.to_doc())
                for event in events:
                    append_event(db, event)
                counted = [self._counted(event) for event in events]
                write_summary(db, rules.summarize(fold(meta, counted), policy), "incident")
        return ref

    def record(
        self,
        ref: str,
        kind: str,
        data: Mapping[str, Any],
        *,
        at: When = None,
        supersedes: str | None = None,
        expect_hash: str | None = None,
        correction_reason: str = "",
        via_inbox: bool = False,
    ) -> Event:
        """Add one entry, checked against the schema and the policy's rules.

        A correction (``supersedes``) must say why: years later a reader sees
        two versions of an entry and needs to know which mistake was mended.
        ``via_inbox``: the inbox taking a report from staff in (nobody types one).
        """
        require_correction_reason(supersedes, correction_reason)
        if kind == "signoff":
            raise ValidationError("kind", "A sign-off is made with its own command, not recorded")
        if kind in _INBOX_ONLY and (not via_inbox or supersedes is not None):
            raise ValidationError(
                "kind",
                "A report from staff is taken in from the inbox ('ydsi inbox add'), as filed; "
                "it is never typed or corrected (add a note to say what is wrong in it)",
            )
        if kind in _HEADTEACHERS_OWN and self.session.role != "headteacher":
            raise AccessDenied(f"only the Headteacher records this ({_HEADTEACHERS_OWN[kind]})")
        now = self.clock.now()
        when = self._when(at, now)
        custody = self.custody(ref)  # read before the lock: another compartment's files
        with self.session.transaction(COMPARTMENT, ref, expect_hash=expect_hash) as db:
            meta, events, policy, incident = self._load(db)
            event = make_event(
                kind,
                data,
                at=when,
                now=now,
                by=self.author,
                by_role=self.session.role,
                supersedes=supersedes,
                policy=policy,
                correction_reason=correction_reason,
            )
            self._check(incident, policy, event)
            append_event(db, event)
            counted = self._counted(event)
            folded = self._with_custody(fold(meta, [*events, counted]), custody)
            write_summary(db, rules.summarize(folded, policy), "incident")
        return event

    def note(self, ref: str, text: str, *, at: When = None) -> Event:
        return self.record(ref, "note", {"text": text}, at=at)

    def sign_off(self, ref: str, statement: str, *, expect_hash: str | None = None) -> Event:
        """The Headteacher signs the current decision not to refer out, with their own key."""
        if self.session.role != "headteacher":
            raise AccessDenied("only the Headteacher signs off a decision not to refer out")
        now = self.clock.now()
        with self.session.transaction(COMPARTMENT, ref, expect_hash=expect_hash) as db:
            meta, events, policy, incident = self._load(db)
            decision = incident.current_decision
            rules.check_signoff(incident, policy)
            if decision is None:  # check_signoff has refused already; this tells mypy
                raise ValidationError("decision", "There is no decision to sign off")
            if not rules.signoff_needed(incident):
                raise ValidationError("decision", "This decision is already signed off")
            decision_event = incident.events_by_id[decision.event_id]
            payload = rules.signoff_payload(
                meta, decision_event, signer=self.author, signed_at=now, statement=statement
            )
            key_id, signature = self.session.sign(payload)
            event = make_event(
                "signoff",
                {
                    "decision_id": decision.event_id,
                    "statement": statement,
                    "signature": base64.b64encode(signature).decode("ascii"),
                    "key_id": key_id,
                    "payload_sha256": hashlib.sha256(payload).hexdigest(),
                },
                at=now,
                now=now,
                by=self.author,
                by_role=self.session.role,
                policy=policy,
            )
            append_event(db, event)
            # This save will be signed with the same key: the summary may count
            # the sign-off exactly when every reader will verify it.
            own = self.session.own_signer()
            counted = dataclasses.replace(
                event,
                verified=own is not None and own.owner_made and own.role == "headteacher",
            )
            write_summary(db, rules.summarize(fold(meta, [*events, counted]), policy), "incident")
        return event

    def decline_signoff(self, ref: str, reason: str, *, expect_hash: str | None = None) -> Event:
        """The Headteacher declines to sign the current decision, saying why.

        The decision stays waiting; the DSL is told at once (an obligation due
        now) and must revise it or refer. ``expect_hash`` refuses a decline of
        a record that changed while the Headteacher was reading it.
        """
        if self.session.role != "headteacher":
            raise AccessDenied("only the Headteacher declines to sign off a decision")
        view = self.open(ref)
        decision = view.incident.current_decision
        if decision is None:
            raise ValidationError(
                "decision", "There is no decision to respond in school waiting for sign-off"
            )
        return self.record(
            ref,
            "signoff.declined",
            {"decision_id": decision.event_id, "reason": reason},
            expect_hash=expect_hash,
        )

    def amend_as_found(self, db: Any, note: str) -> None:
        """``ydsi repair --accept-as-found``: add the DSL's note naming what was lost.

        ``db`` holds the record as found, whose authors no signed save vouches
        for: every entry in it counts "as recorded", and so no sign-off in it
        counts as verified. The summary is recomputed from the events, never
        kept from the file (a forger may have written it).
        """
        tables = db.storage.read() or {}
        meta = IncidentMeta.from_doc(read_meta_doc(tables))
        events, _, signers = read_attested(tables, {}, self.session)
        events, _ = self._verify_signoffs(meta, events, signers)
        policy = self.policies.get(meta.policy_digest)
        now = self.clock.now()
        event = make_event(
            "note",
            {"text": note},
            at=now,
            now=now,
            by=self.author,
            by_role=self.session.role,
            policy=policy,
        )
        append_event(db, event)
        write_summary(db, rules.summarize(fold(meta, [*events, event]), policy), "incident")

    def _load(self, db: Any) -> tuple[IncidentMeta, list[Event], Policy, Incident]:
        tables = db.storage.read() or {}
        meta = IncidentMeta.from_doc(read_meta_doc(tables))
        events, _, signers = read_attested(tables, saved_authors(db), self.session)
        events, _ = self._verify_signoffs(meta, events, signers)
        policy = self.policies.get(meta.policy_digest)
        return meta, events, policy, fold(meta, events)

    def _check(self, incident: Incident, policy: Policy, event: Event) -> None:
        """The rules a schema cannot see: they depend on the rest of the record."""
        if incident.closed and event.kind not in _AFTER_CLOSE and event.supersedes is None:
            raise ValidationError(
                "status", "This incident is closed: reopen it (with a reason) to add to it"
            )
        pupil = event.data.get("pupil_id")
        if (
            isinstance(pupil, str)
            and pupil
            and event.kind != "pupil.added"
            and pupil not in incident.pupils
        ):
            raise ValidationError("pupil_id", "No pupil with that id in this incident")
        if event.supersedes is not None:
            old = incident.events_by_id.get(event.supersedes)
            if old is None:
                raise ValidationError("supersedes", "The entry to correct is not in this incident")
            if old.kind != event.kind:
                raise ValidationError(
                    "supersedes", f"A correction must be of the same kind ({old.kind})"
                )
        check_deletion(incident, policy, event)
        if event.kind == "staff.support_offered":
            _check_follows_seen(incident, event)
        elif event.kind == "viewing.acknowledged":
            _check_acknowledgement(incident, policy, event)
        if event.kind == "decision":
            rules.check_decision(incident, policy, event)
        elif event.kind == "signoff.declined":
            rules.check_signoff_decline(incident, event)
        elif event.kind == "trigger.answered":
            rules.check_trigger_answer(incident, policy, event)
        elif event.kind == "incident.closed":
            rules.check_closure(incident, policy, event.data)
        elif event.kind == "incident.reopened":
            rules.check_reopen(incident)

    def repeat_for(self, ref: str) -> tuple[str, ...]:
        """An incident's repeat-involvement flags (a listing: summaries only)."""
        return next((row.repeat for row in self.rows() if row.ref == ref), ())

    # ------------------------------------------------------------------
    # what needs attention today
    # ------------------------------------------------------------------
    def attention(self, rows: list[IncidentRow] | None = None) -> list[tuple[str, str]]:
        """(reference, what) for everything overdue: deletions, reviews, sign-offs, referrals,
        and (closed incidents too) a transfer of records still without its receipt."""
        items: list[tuple[str, str]] = []
        for row in rows if rows is not None else self.rows():
            items.extend(
                (row.ref, flag.text)
                for flag in row.overdue
                if row.status != "closed" or flag.code in _CHASED_AFTER_CLOSE
            )
            if row.status != "closed":
                items.extend((row.ref, text) for text in row.repeat)
        return items


def _row(summary: Mapping[str, Any], now: datetime) -> IncidentRow:
    next_step = summary.get("next_step")
    return IncidentRow(
        ref=summary_field(summary, "ref", pattern=INCIDENT_REF_PATTERN, missing="?"),
        status=summary_field(summary, "status", choices=STATUS_WORDS),
        kind=str(summary.get("kind") or ""),
        opened_at=_time(summary.get("opened_at")),
        summary=str(summary.get("summary", "")),
        next_step=str(next_step.get("title", "")) if isinstance(next_step, Mapping) else "",
        referral_required=bool(summary.get("referral_required")),
        signoff_needed=bool(summary.get("signoff_needed")),
        overdue=tuple(rules.summary_flags(summary, now)),
        updated_at=_time(summary.get("updated_at")),
        trigger_overridden=summary.get("trigger_overridden") is True,
    )


def _headteachers_own(signers: Mapping[str, Signer], event: Event) -> bool:
    """The save that added ``event`` was signed by a Headteacher's own key (not a DSL-made one)."""
    signer = signers.get(event.id)
    return signer is not None and signer.role == "headteacher" and signer.owner_made


def _check_follows_seen(incident: Incident, event: Event) -> None:
    after = incident.events_by_id.get(str(event.data.get("after_id", "")))
    if after is None or after.kind not in ("viewing", "sighting"):
        raise ValidationError(
            "after_id",
            "Support is recorded against the viewing or sighting it follows: choose one "
            "from this incident.",
        )


def _check_acknowledgement(incident: Incident, policy: Policy, event: Event) -> None:
    viewing_id = str(event.data.get("viewing_id", ""))
    open_breaches = {v.event_id for v, _ in rules.unacknowledged_breaches(incident, policy)}
    if viewing_id in open_breaches:
        return
    if any(v.event_id == viewing_id for v, _ in rules.breaches(incident, policy)):
        raise ValidationError("viewing_id", "This viewing is already acknowledged")
    raise ValidationError(
        "viewing_id",
        "Only a deliberate viewing of this incident that broke a condition of the policy "
        "is acknowledged",
    )


def _known_ref(ref: str) -> str:
    """A reference from the ``__refs__`` record, or "" if not of an incident reference's shape."""
    return ref if INCIDENT_REF_PATTERN.fullmatch(ref) else ""


def _time(value: object) -> datetime | None:
    if not isinstance(value, str):
        return None
    try:
        return from_iso(value, "time")
    except ValidationError:
        return None


def _check_signoff(
    meta: IncidentMeta, event: Event, by_id: Mapping[str, Event], signer: Signer | None
) -> SignoffCheck:
    """One sign-off, checked against the key that signed the save which added it."""
    data = event.data
    if signer is None:
        return SignoffCheck(
            event.id, False, event.by, "NOT VERIFIED: no signed save of a Headteacher added it"
        )
    if signer.role != "headteacher":
        return SignoffCheck(
            event.id,
            False,
            signer.full_name,
            f"NOT VERIFIED: added by {signer.full_name} ({signer.role}), not a Headteacher",
        )
    if not signer.owner_made:
        return SignoffCheck(
            event.id,
            False,
            signer.full_name,
            "NOT VERIFIED: signed with a key a DSL issued; it counts once the Headteacher "
            "makes their own keys ('ydsi user passwd --new-keys')",
        )
    if str(data.get("key_id", "")) != signer.key_id:
        return SignoffCheck(
            event.id,
            False,
            signer.full_name,
            "NOT VERIFIED: it names another key than its signer's",
        )
    decision = by_id.get(str(data.get("decision_id", "")))
    if decision is None:
        return SignoffCheck(
            event.id, False, signer.full_name, "NOT VERIFIED: the decision it signs is missing"
        )
    payload = rules.signoff_payload(
        meta,
        decision,
        signer=event.by,
        signed_at=event.at,
        statement=str(data.get("statement", "")),
    )
    if hashlib.sha256(payload).hexdigest() != data.get("payload_sha256"):
        return SignoffCheck(
            event.id, False, signer.full_name, "NOT VERIFIED: the decision changed after signing"
        )
    try:
        signature = decode_signature(str(data.get("signature", "")))
    except ValueError:
        return SignoffCheck(
            event.id, False, signer.full_name, "NOT VERIFIED: the signature is malformed"
        )
    if not verify_signature(signer.public, signature, payload):
        return SignoffCheck(
            event.id, False, signer.full_name, "NOT VERIFIED: the signature does not verify"
        )
    return SignoffCheck(event.id, True, signer.full_name, "signature verified")
