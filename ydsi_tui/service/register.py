"""The pupil register applied to the vault: one record per child, links, merges.

A register record is a record of the case compartment like an incident (the
same encryption, audit and per-entry signatures: ``Session.transaction``),
under the reference ``pupil:P-…`` (its file name a keyed hash of that, so no
file names a child). The rules are in model/register.py and model/names.py;
this module reads and writes.

* Linking an incident's pupil to a record is an entry in the *incident*
  (``pupil.linked``), through :meth:`CaseBook.record`: the same checks, the
  same signed save, a correction or ``pupil.unlinked`` to undo it.
* Merging two records of one child is a ``pupil.merged`` entry in the record
  that stops counting; only a DSL may make it, and only a save signed by a
  DSL's key counts as one when read. Undoing it is a correction of that
  entry (both stay in the record's timeline).
* Listing reads summaries only (one pass over the case compartment, as the
  home screen does); opening a record is an audited read.
"""

from __future__ import annotations

import dataclasses
import secrets
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from ..model.errors import ValidationError
from ..model.events import Event, make_event
from ..model.incident import Incident
from ..model.names import Known, Match, birth_cohort, match, matches
from ..model.register import (
    REGISTER_ID_PATTERN,
    IncidentLinks,
    Involvement,
    RegisteredPupil,
    RegisterEntry,
    fold_register,
    involvements,
    merges_from_summaries,
    pupil_repeat,
    register_ref,
    register_summary,
    resolve,
)
from ..vault.errors import AccessDenied, RecordNotFound
from ..vault.session import Signer
from .casebook import COMPARTMENT, CaseBook
from .records import (
    append_event,
    read_attested,
    require_correction_reason,
    saved_authors,
    write_summary,
)

__all__ = [
    "NEW",
    "LinkedPupil",
    "PupilLink",
    "PupilRegister",
    "PupilView",
    "RegisterListing",
    "RegisterRow",
    "incidents_of",
    "new_register_id",
]

#: The facts an incident's pupil brings to a new register record.
_FACTS = (
    "dob", "year_group", "sex", "sen", "social_worker", "cp_plan", "child_in_need",
    "looked_after", "ehcp", "previously_known",
)  # fmt: skip


#: What ``ydsi pupil link REF new`` says for "make a new record from this pupil".
NEW = "new"


def new_register_id() -> str:
    """A stable id for a new register record: random, so it says nothing of the child."""
    return f"P-{secrets.token_hex(6)}"


@dataclass(frozen=True)
class PupilLink:
    """One incident of a register pupil: what the chronology opens (the contract).

    ``ref`` and ``pupil_id`` name the incident and the child's id inside it;
    ``parts`` their part there; ``incident_date`` the date it is ordered by.
    Read from summaries: the chronology opens each incident (an audited read)
    and should check there that the pupil is still linked to this record.
    """

    ref: str
    pupil_id: str
    parts: tuple[str, ...]
    incident_date: date | None


@dataclass(frozen=True)
class RegisterRow:
    """One child in the register's list, with every incident they are linked to."""

    register_id: str
    names: tuple[str, ...]
    dob: date | None
    year_group: int | None
    sex: str
    known_to_csc: bool
    incidents: tuple[Involvement, ...]
    #: Records merged into this one (their incidents are counted here).
    merged_from: tuple[str, ...]

    @property
    def parts(self) -> tuple[str, ...]:
        """Every part this child has had, each once, in the order first seen."""
        return tuple(dict.fromkeys(p for i in self.incidents for p in i.parts))


@dataclass(frozen=True)
class RegisterListing:
    """One pass over the case compartment's summaries: incidents and register records."""

    incidents: tuple[IncidentLinks, ...]
    entries: Mapping[str, RegisterEntry]
    #: {merged record: the record it joined}, from ``entries``.
    merges: Mapping[str, str] = dataclasses.field(default_factory=dict)

    def involvements(self) -> dict[str, list[Involvement]]:
        return involvements(self.incidents, self.merges)


@dataclass(frozen=True)
class LinkedPupil:
    """An incident's pupil as the register counts them (the People pane's row)."""

    #: The record their incidents count under (merges followed): the one to open.
    register_id: str
    #: Every incident of theirs, earliest first (this one included).
    incidents: tuple[Involvement, ...]
    #: "2nd incident; earlier: shared on (2026-003)" ("" if this is their only one).
    repeat: str


@dataclass(frozen=True)
class PupilView:
    """An opened register record and the incidents counted under it."""

    pupil: RegisteredPupil
    file_hash: str
    incidents: tuple[Involvement, ...]
    merged_from: tuple[str, ...]
    #: The record is kept as long as the longest-kept of its incidents (None: none left).
    keep_until: date | None
    on_hold: bool


class PupilRegister:
    """The register records one unlocked case role may read and write."""

    def __init__(self, cases: CaseBook) -> None:
        self.cases = cases
        self.session = cases.session

    # ------------------------------------------------------------------
    # reading
    # ------------------------------------------------------------------
    def listing(self) -> RegisterListing:
        """Every incident's links and every register record, from summaries only."""
        incidents: list[IncidentLinks] = []
        entries: dict[str, RegisterEntry] = {}
        for listed in self.session.list_records(COMPARTMENT):
            if listed.error is not None:
                continue
            facts = self.cases.register_facts(listed)
            if isinstance(facts, IncidentLinks):
                incidents.append(facts)
            elif isinstance(facts, RegisterEntry):
                entries[facts.register_id] = facts
        return RegisterListing(tuple(incidents), entries, merges_from_summaries(entries.values()))

    def rows(self, listing: RegisterListing | None = None) -> list[RegisterRow]:
        """One row per child (merged records counted under the one they joined)."""
        listing = listing or self.listing()
        merges = listing.merges
        seen = listing.involvements()
        merged_from: dict[str, list[str]] = {}
        for absorbed in merges:
            merged_from.setdefault(resolve(absorbed, merges), []).append(absorbed)
        rows = [
            RegisterRow(
                entry.register_id,
                entry.names,
                entry.dob,
                entry.year_group,
                entry.sex,
                entry.known_to_csc,
                tuple(seen.get(entry.register_id, ())),
                tuple(sorted(merged_from.get(entry.register_id, ()))),
            )
            for entry in listing.entries.values()
            if resolve(entry.register_id, merges) == entry.register_id
        ]
        rows.sort(key=lambda r: (tuple(n.casefold() for n in r.names), r.register_id))
        return rows

    def read(self, register_id: str, *, log: bool = True) -> tuple[RegisteredPupil, str]:
        """One register record folded from its attested entries; the read is audited."""
        _check_id(register_id)
        try:
            snapshot = self.session.read(COMPARTMENT, register_ref(register_id), log=log)
        except RecordNotFound:
            raise ValidationError(
                "register_id", f"No pupil record {register_id}: see 'ydsi pupil list'."
            ) from None
        events, _, signers = read_attested(snapshot.tables, snapshot.authors, self.session)
        return fold_register(register_id, _verify(events, signers)), snapshot.file_hash

    def open(self, register_id: str, *, log: bool = True) -> PupilView:
        """The record and every incident counted under it (merges followed)."""
        pupil, file_hash = self.read(register_id, log=log)
        listing = self.listing()
        merges = listing.merges
        target = resolve(register_id, merges)
        found = listing.involvements().get(target, []) if target == register_id else []
        absorbed = tuple(sorted(r for r in merges if resolve(r, merges) == register_id))
        refs = {i.ref for i in found}
        kept = [i for i in listing.incidents if i.ref in refs]
        until = max((i.retention_until for i in kept if i.retention_until), default=None)
        return PupilView(
            pupil,
            file_hash,
            tuple(found),
            absorbed,
            until,
            any(i.on_hold for i in kept),
        )

    def linked(self, incident: Incident) -> dict[str, LinkedPupil]:
        """{pupil id: their register record and incidents} for an incident's linked pupils.

        One listing (summaries only, nothing opened or audited), and none at
        all when no pupil of the incident is linked.
        """
        ids = {pid: p.register_id for pid, p in incident.pupils.items() if p.register_id}
        if not ids:
            return {}
        listing = self.listing()
        seen = listing.involvements()
        out: dict[str, LinkedPupil] = {}
        for pupil_id, register_id in ids.items():
            target = resolve(register_id, listing.merges)
            history = tuple(seen.get(target, ()))
            out[pupil_id] = LinkedPupil(target, history, pupil_repeat(history, incident.ref))
        return out

    def candidates(
        self,
        names: Sequence[str],
        *,
        dob: date | None = None,
        year_group: int | None = None,
        as_of: date | None = None,
        listing: RegisterListing | None = None,
    ) -> list[Match]:
        """Register pupils who may be this child (see model/names.py), the likeliest first."""
        listing = listing or self.listing()
        merges = listing.merges
        known = [
            Known(e.register_id, e.names, e.dob, e.cohort)
            for e in listing.entries.values()
            if resolve(e.register_id, merges) == e.register_id
        ]
        cohort = birth_cohort(dob, year_group, as_of)
        return matches(names, dob, cohort, known)

    # ------------------------------------------------------------------
    # writing
    # ------------------------------------------------------------------
    def add(
        self,
        facts: Mapping[str, Any],
        *,
        register_id: str | None = None,
        at: datetime | None = None,
    ) -> str:
        """A new register record (``pupil.registered``); returns its id.

        ``at`` dates the facts (a year group is true of one school year): a
        record made from an incident's pupil is dated when that incident was.
        """
        register_id = register_id or new_register_id()
        _check_id(register_id)
        now = self.cases.clock.now()
        event = self._event("pupil.registered", {**facts, "register_id": register_id}, at=at)
        with self.session.transaction(COMPARTMENT, register_ref(register_id), create=True) as db:
            meta = {"type": "pupil", "register_id": register_id, "created_by": self.cases.author,
                    "created_at": event.recorded_at.isoformat()}  # fmt: skip
            db.table("meta", cache_size=0).insert(meta)
            append_event(db, event)
            write_summary(db, register_summary(fold_register(register_id, [event]), updated_at=now),
                          "pupil")  # fmt: skip
        return register_id

    def register_incident_pupil(self, ref: str, pupil_id: str) -> str:
        """A new register record from an incident's pupil, and the link to it."""
        view = self.cases.open(ref, log=False)
        pupil = view.incident.pupils.get(pupil_id)
        if pupil is None:
            raise ValidationError("pupil_id", f"No pupil {pupil_id[:12]} in {ref}")
        if pupil.register_id:
            raise ValidationError(
                "pupil_id", f"That pupil is linked to {pupil.register_id} already"
            )
        facts: dict[str, Any] = {"name": pupil.name}
        for name in _FACTS:
            value = getattr(pupil, name)
            if value in (None, "", False):
                continue
            facts[name] = value.isoformat() if isinstance(value, date) else value
        opened = view.incident.opened_at or view.incident.meta.created_at
        when = view.incident.disclosure.disclosed_at if view.incident.disclosure else None
        register_id = self.add(facts, at=min(when or opened, self.cases.clock.now()))
        self.link(ref, register_id, pupil_id=pupil_id)
        return register_id

    def update(self, register_id: str, changes: Mapping[str, Any]) -> Event:
        """Some of a child's facts changed (``pupil.details``)."""
        return self._append(register_id, "pupil.details", {**changes, "register_id": register_id})

    def link(self, ref: str, register_id: str, *, pupil_id: str | None = None) -> Event:
        """``ydsi pupil link``: an incident's pupil is this register child."""
        pupil, _ = self.read(register_id, log=False)
        if pupil.merged_into is not None:
            raise ValidationError(
                "register_id",
                f"{register_id} was merged into {pupil.merged_into}: link to that record",
            )
        incident = self.cases.open(ref, log=False).incident
        if any(p.register_id == register_id for p in incident.pupils.values()):
            raise ValidationError("register_id", f"{ref} has a pupil linked to {register_id}")
        chosen = pupil_id or _choose_pupil(incident, pupil)
        if chosen not in incident.pupils:
            raise ValidationError("pupil_id", f"No pupil {chosen[:12]} in {ref}")
        return self.cases.record(
            ref, "pupil.linked", {"pupil_id": chosen, "register_id": register_id}
        )

    def unlink(self, ref: str, register_id: str, reason: str) -> Event:
        """``ydsi pupil unlink``: a wrong link undone (the link stays in the timeline)."""
        _check_id(register_id)
        incident = self.cases.open(ref, log=False).incident
        linked = [p for p in incident.pupils.values() if p.register_id == register_id]
        if not linked:
            raise ValidationError("register_id", f"No pupil of {ref} is linked to {register_id}")
        return self.cases.record(
            ref,
            "pupil.unlinked",
            {"pupil_id": linked[0].pupil_id, "register_id": register_id, "reason": reason},
        )

    def merge(self, keep: str, absorb: str, reason: str) -> Event:
        """``ydsi pupil merge KEEP OTHER``: two records of one child; OTHER's incidents
        count under KEEP from now. Only a DSL; undone with :meth:`unmerge`."""
        self._require_dsl("merges two pupil records")
        _check_id(keep)
        _check_id(absorb)
        if keep == absorb:
            raise ValidationError("into", "A pupil record cannot be merged into itself.")
        target, _ = self.read(keep, log=False)
        if target.merged_into is not None:
            raise ValidationError(
                "into", f"{keep} was itself merged into {target.merged_into}: merge into that"
            )
        merges = self.listing().merges
        if resolve(keep, {**merges, absorb: keep}) != keep:
            raise ValidationError("into", "That merge would go round in a circle.")
        return self._append(
            absorb, "pupil.merged", {"register_id": absorb, "into": keep, "reason": reason}
        )

    def unmerge(self, absorbed: str, reason: str) -> Event:
        """A merge undone: a correction of the ``pupil.merged`` entry (both kept)."""
        self._require_dsl("undoes a merge")
        pupil, _ = self.read(absorbed, log=False)
        if pupil.merged_into is None or pupil.merge_event_id is None:
            raise ValidationError("register_id", f"{absorbed} is not merged into another record")
        return self._append(
            absorbed,
            "pupil.merged",
            {"register_id": absorbed, "into": pupil.merged_into, "reason": reason,
             "undone": True},
            supersedes=pupil.merge_event_id,
            correction_reason=reason,
        )  # fmt: skip

    # ------------------------------------------------------------------
    def _require_dsl(self, what: str) -> None:
        if self.session.role != "dsl":
            raise AccessDenied(f"only a DSL {what}")

    def _event(
        self,
        kind: str,
        data: Mapping[str, Any],
        *,
        supersedes: str | None = None,
        correction_reason: str = "",
        at: datetime | None = None,
    ) -> Event:
        now = self.cases.clock.now()
        return make_event(
            kind, data, at=at or now, now=now, by=self.cases.author, by_role=self.session.role,
            supersedes=supersedes, policy=self.cases.policies.current,
            correction_reason=correction_reason,
        )  # fmt: skip

    def _append(
        self,
        register_id: str,
        kind: str,
        data: Mapping[str, Any],
        *,
        supersedes: str | None = None,
        correction_reason: str = "",
    ) -> Event:
        _check_id(register_id)
        require_correction_reason(supersedes, correction_reason)
        event = self._event(kind, data, supersedes=supersedes, correction_reason=correction_reason)
        ref = register_ref(register_id)
        if not self.session.exists(COMPARTMENT, ref):
            raise ValidationError(
                "register_id", f"No pupil record {register_id}: see 'ydsi pupil list'."
            )
        with self.session.transaction(COMPARTMENT, ref) as db:
            tables = db.storage.read() or {}
            events, _, signers = read_attested(tables, saved_authors(db), self.session)
            events = _verify(events, signers)
            merged = fold_register(register_id, events).merged_into
            if merged is not None and kind != "pupil.merged":
                raise ValidationError(
                    "register_id", f"{register_id} was merged into {merged}: change that record"
                )
            if supersedes is not None and not any(e.id == supersedes for e in events):
                raise ValidationError("supersedes", "The entry to correct is not in this record")
            append_event(db, event)
            own = self.session.own_signer()
            counted = dataclasses.replace(event, verified=own is not None and own.role == "dsl")
            folded = fold_register(register_id, [*events, counted])
            write_summary(db, register_summary(folded, updated_at=event.recorded_at), "pupil")
        return event


def incidents_of(cases: CaseBook, register_id: str) -> list[PupilLink]:
    """Every incident of one register pupil (merges followed), earliest first.

    The chronology's input: (incident reference, the pupil's id in it) pairs,
    with their part and the incident's date. From summaries, so nothing is
    opened (nor audited) here.
    """
    register = PupilRegister(cases)
    _check_id(register_id)
    listing = register.listing()
    if register_id not in listing.entries:
        raise ValidationError(
            "register_id", f"No pupil record {register_id}: see 'ydsi pupil list'."
        )
    target = resolve(register_id, listing.merges)
    return [
        PupilLink(i.ref, i.pupil_id, i.parts, i.incident_date)
        for i in listing.involvements().get(target, [])
    ]


def _check_id(register_id: str) -> None:
    if not isinstance(register_id, str) or not REGISTER_ID_PATTERN.fullmatch(register_id):
        raise ValidationError(
            "register_id", "A pupil record's id is P- and twelve characters, e.g. P-3f9a1c2b7d40"
        )


def _verify(events: list[Event], signers: Mapping[str, Signer]) -> list[Event]:
    """A merge counts only when a DSL's key signed the save that added it."""
    out: list[Event] = []
    for event in events:
        if event.kind == "pupil.merged":
            signer = signers.get(event.id)
            event = dataclasses.replace(event, verified=signer is not None and signer.role == "dsl")
        out.append(event)
    return out


def _choose_pupil(incident: Incident, record: RegisteredPupil) -> str:
    """The incident's one pupil not yet linked who may be this child, or a clear refusal."""
    free = [p for p in incident.pupils.values() if not p.register_id]
    day = incident.incident_date
    known = Known(record.register_id, record.names, record.dob, record.cohort)
    fitting = [
        p
        for p in free
        if (m := match([p.name], p.dob, birth_cohort(p.dob, p.year_group, day), known)) is not None
        and m.offered
    ]
    if len(fitting) == 1:
        return str(fitting[0].pupil_id)
    if len(free) == 1 and not fitting:
        raise ValidationError(
            "pupil_id",
            "The incident's pupil does not look like this child (name or birth date "
            "differ): give --pupil-id to link them anyway",
        )
    raise ValidationError(
        "pupil_id",
        "Say which of the incident's pupils this is with --pupil-id (see 'ydsi incident show')",
    )
