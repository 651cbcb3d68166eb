"""The child's chronology: everything about one pupil across incidents, in order of happening.

For professionals (the police, children's social care, the next school's
DSL, a serious case review): one timeline of every incident the young person
is in, each entry with when it happened, which incident, who recorded it and
when, corrections beside what they correct, sign-offs with their signatures
checked. The subject access report stays separate: it is for the data
subject, with its redaction marks (:mod:`.subject_access`).

Which incidents: the caller hands :func:`child_chronology` the *links*, each
an incident reference and that incident's ``pupil_id`` for this child
(anything with ``ref`` and ``pupil_id``: the pupil register's
:func:`~ydsi_tui.service.register.incidents_of`, or, for incidents from
before the register, the name matching of
:func:`~ydsi_tui.service.pupils.find_pupil`). :func:`register_chronology`
does it for one register pupil, checking each opened incident links them.
Each incident is opened with
:meth:`CaseBook.open <ydsi_tui.service.casebook.CaseBook.open>`, so each is
an audited read (``ydsi audit reads`` shows it); so is each of the child's
devices when a device log is given.

**Other pupils are "another pupil", everywhere.** Per incident, as a transfer
does (:func:`.third_parties.transfer_view`): another pupil keeps only their
part in the incident; entries about them (their parents, a conversation
with them, their deletion, their discipline, their devices) are left out and
counted. In all free text, every other pupil's *recorded* name, from any of
the child's incidents (and ``other_names``, for the register to pass every
pupil it knows), whole or any part not shared with the child's own names, is
replaced by "another pupil", matched ignoring case; so is a young person who
disclosed. What this cannot catch, and the cover of the export says so:

* a name nobody recorded as a pupil (by the register,
  :func:`register_chronology` passes every other child it lists; without
  it, only the pupils of this child's own incidents are known);
* another child of exactly the same name as this one (it is this child's
  name, kept);
* nicknames, misspellings, initials ("AE"), names split or run together,
  possessives glued to other letters, and names transliterated into another
  script from the one recorded;
* a name part that is also part of the child's own name (a shared surname,
  a shared first name): kept, so the child's own name is never cut; and
  so a sibling who shares the surname is caught only by their full name or
  their other names;
* names in attachments or images (the vault holds none) and adults' names
  (they are not pupils: kept, as in a chronology for the police).

Common words that are also a recorded name ("Will", "Grace") are replaced
too: this errs towards hiding.

JSON shape (``ydsi export --pupil ID --format json``), ``shape`` 1::

    {"shape": 1, "kind": "child_chronology", "marking": "OFFICIAL-SENSITIVE",
     "generated_at": ISO, "generated_by": str,
     "pupil": {"register_id": str | null, "name", "dob", "year_group", "sex",
               "csc_facts": [str]},
     "incidents": [{"ref", "opened_at", "kind", "status", "parts", "summary",
                    "left_out"}],
     "entries": [{"at", "recorded_at", "ref", "kind", "label", "text", "by", "by_role",
                  "entry", "marks": [str]}],
     "left_out": int, "unmatched": [REF]}
"""

from __future__ import annotations

import dataclasses
from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, Protocol

from ...model import rules
from ...model.errors import ValidationError
from ...model.events import Event
from ...model.register import resolve
from ...model.roles import role_name
from ...model.timeparse import date_to_iso, format_local, format_local_date, to_iso_utc
from ..casebook import CaseBook, IncidentView
from ..describe import KIND_LABELS, describe
from ..devices import DeviceLog
from ..pupils import name_key
from ..register import PupilRegister, incidents_of
from ..shapes import SHAPE_VERSION
from .chronology import entry_marks
from .document import MARKING, Block, Document, Fields, Heading, Item, Paragraph, Table
from .third_parties import OTHER_PUPIL, People, transfer_view, young_disclosers

__all__ = [
    "ChildChronology",
    "ChildEntry",
    "ChildIncident",
    "IncidentLink",
    "child_chronology",
    "child_chronology_document",
    "child_chronology_json",
    "child_chronology_of",
    "other_pupils",
    "register_chronology",
]


class IncidentLink(Protocol):
    """One incident this child is in, and their pupil id in it (the register's link)."""

    @property
    def ref(self) -> str: ...

    @property
    def pupil_id(self) -> str: ...


@dataclass(frozen=True)
class ChildEntry:
    """One entry of one incident (or of the child's device), as the chronology shows it."""

    event: Event
    ref: str
    label: str
    text: str
    marks: tuple[str, ...]


@dataclass(frozen=True)
class ChildIncident:
    ref: str
    opened_at: datetime | None
    kind: str
    status: str
    parts: tuple[str, ...]
    summary: str
    left_out: int


@dataclass(frozen=True)
class ChildChronology:
    name: str
    dob: date | None
    year_group: int | None
    sex: str
    csc_facts: tuple[str, ...]
    incidents: tuple[ChildIncident, ...]
    entries: tuple[ChildEntry, ...]
    generated_at: datetime
    generated_by: str
    #: Incidents listed under this child whose own record does not link them: left out.
    unmatched: tuple[str, ...] = ()
    #: The register record (empty: gathered without the register).
    register_id: str = ""

    @property
    def left_out(self) -> int:
        return sum(incident.left_out for incident in self.incidents)


def child_chronology(
    cases: CaseBook,
    links: Iterable[IncidentLink],
    *,
    devices: DeviceLog | None = None,
    other_names: Iterable[str] = (),
    own_names: Iterable[str] = (),
    register_ids: Collection[str] | None = None,
) -> ChildChronology:
    """Open (and so audit) each linked incident and gather the child's chronology.

    ``register_ids``: the register records of this child (the one asked for
    and any merged into it). The links come from incident summaries, which
    their writer composes; the opened incident must itself link the pupil to
    one of these records, or the incident is left out and named
    (:attr:`ChildChronology.unmatched`) rather than shown as this child's.
    """
    opened: list[tuple[IncidentView, str, tuple[Event, ...]]] = []
    unmatched: list[str] = []
    seen: set[tuple[str, str]] = set()
    for link in links:
        if (link.ref, link.pupil_id) in seen:
            continue
        seen.add((link.ref, link.pupil_id))
        view = cases.open(link.ref)  # audited: this incident's content is shown
        pupil = view.incident.pupils.get(link.pupil_id)
        if pupil is None and register_ids is None:
            raise ValidationError(
                "pupil", f"{link.ref} has no pupil with that id (was the link undone?)"
            )
        if pupil is None or (register_ids is not None and pupil.register_id not in register_ids):
            unmatched.append(link.ref)
            continue
        custody = _own_devices(devices, view, link.pupil_id) if devices is not None else ()
        opened.append((view, link.pupil_id, custody))
    if not opened:
        raise ValidationError("pupil", "This young person is in no incident.")
    chrono = child_chronology_of(
        opened,
        now=cases.clock.now(),
        by=cases.author,
        other_names=other_names,
        own_names=own_names,
    )
    return dataclasses.replace(chrono, unmatched=tuple(unmatched))


def register_chronology(
    cases: CaseBook, register_id: str, *, devices: DeviceLog | None = None
) -> ChildChronology:
    """The chronology of one register pupil (merges followed).

    Opens the pupil's register record (an audited read, as every incident
    is), takes the child's names and facts from it, and masks every name of
    every *other* child the register lists (from its summaries: nothing else
    is decrypted for that), so a pupil of an incident this child is not in
    is caught too.
    """
    links = incidents_of(cases, register_id)  # refuses an unknown id
    register = PupilRegister(cases)
    listing = register.listing()
    target = resolve(register_id, listing.merges)
    record = register.open(target)  # audited: the pupil record is shown
    ids = {target, *record.merged_from}
    others = [
        name
        for entry in listing.entries.values()
        if entry.register_id not in ids
        for name in entry.names
    ]
    chrono = child_chronology(
        cases,
        links,
        devices=devices,
        other_names=others,
        own_names=record.pupil.names,
        register_ids=ids,
    )
    pupil = record.pupil
    return dataclasses.replace(
        chrono,
        name=pupil.name,
        dob=pupil.dob or chrono.dob,
        year_group=pupil.year_group if pupil.year_group is not None else chrono.year_group,
        sex=pupil.sex or chrono.sex,
        csc_facts=tuple(dict.fromkeys((*pupil.csc_facts, *chrono.csc_facts))),
        register_id=target,
    )


def _own_devices(devices: DeviceLog, view: IncidentView, pupil_id: str) -> tuple[Event, ...]:
    """The custody entries of the child's own devices in this incident (each open audited)."""
    subject = view.incident.pupils[pupil_id]
    out: list[Event] = []
    for row in devices.rows(incident_ref=view.ref):
        if row.error is not None:
            continue
        device = devices.open(row.ref).device
        owned = device.owner_pupil_id == pupil_id or (
            not device.owner_pupil_id and name_key(device.owner) == name_key(subject.name)
        )
        if owned:
            out.extend(link.event for link in device.chain)
    return tuple(out)


def other_pupils(
    opened: Iterable[tuple[IncidentView, str]],
    other_names: Iterable[str] = (),
    own_names: Iterable[str] = (),
) -> People:
    """Every other pupil of these incidents (and ``other_names``), as one masker.

    ``opened`` pairs each incident with the child's pupil id in it. A
    transfer uses the same, so a name recorded in one of the child's
    incidents is masked in the free text of all of them.
    """
    own: set[str] = set(own_names)
    others: list[str] = list(other_names)
    for view, pid in opened:
        own.add(view.incident.pupils[pid].name)
        others.extend(p.name for p in view.incident.pupils.values() if p.pupil_id != pid)
        others.extend(young_disclosers(view.incident))
    return People.of_names(others, own)


def child_chronology_of(
    opened: Sequence[tuple[IncidentView, str, Sequence[Event]]],
    *,
    now: datetime,
    by: str,
    other_names: Iterable[str] = (),
    own_names: Iterable[str] = (),
) -> ChildChronology:
    """The chronology from incidents already opened: (view, the child's pupil id, custody).

    For a caller that has opened them for its own purpose (a transfer), so
    each incident is read, and audited, once.
    """
    subjects = [view.incident.pupils[pid] for view, pid, _ in opened]
    people = other_pupils([(v, pid) for v, pid, _ in opened], other_names, own_names)

    incidents: list[ChildIncident] = []
    entries: list[ChildEntry] = []
    for view, pid, custody in opened:
        subject = view.incident.pupils[pid]
        masked, left_out = transfer_view(view, subject, now, people)
        incident = masked.incident
        names = {
            p.pupil_id: (p.name if p.pupil_id == pid else OTHER_PUPIL)
            for p in incident.pupils.values()
        }
        incidents.append(
            ChildIncident(
                incident.ref,
                incident.opened_at or incident.meta.created_at,
                _label(view, incident.kind or ""),
                rules.incident_status(incident, view.policy),
                subject.parts,
                people.replace(incident.summary),
                left_out,
            )
        )
        for entry in incident.timeline:
            event = entry.event
            entries.append(
                ChildEntry(
                    event,
                    incident.ref,
                    KIND_LABELS.get(event.kind, event.kind),
                    people.replace(describe(event, view.policy, names)),
                    entry_marks(entry, view, people.replace),
                )
            )
        for event in custody:
            entries.append(
                ChildEntry(
                    event,
                    incident.ref,
                    f"Device: {KIND_LABELS.get(event.kind, event.kind)}",
                    people.replace(describe(event, view.policy, {})),
                    (),
                )
            )
    # The order of happening across incidents; ties by when recorded, then incident,
    # then the incident's own timeline order (the sort is stable). Never by event id:
    # ids are random, so two exports of the same record would read differently.
    entries.sort(key=lambda e: (e.event.at, e.event.recorded_at, e.ref))
    by_date = sorted(opened, key=lambda o: o[0].incident.opened_at or o[0].incident.meta.created_at)
    year_groups = [view.incident.pupils[pid].year_group for view, pid, _ in by_date]
    csc = tuple(dict.fromkeys(fact for p in subjects for fact in p.csc_facts))
    return ChildChronology(
        name=subjects[0].name,
        dob=next((p.dob for p in subjects if p.dob is not None), None),
        year_group=next((y for y in reversed(year_groups) if y is not None), None),
        sex=next((p.sex for p in subjects if p.sex), ""),
        csc_facts=tuple(people.replace(fact) for fact in csc),
        incidents=tuple(sorted(incidents, key=lambda i: (i.opened_at is None, i.opened_at))),
        entries=tuple(entries),
        generated_at=now,
        generated_by=by,
    )


def _label(view: IncidentView, kind: str) -> str:
    try:
        return str(view.policy.label("incident_kinds", kind))
    except KeyError:
        return kind


def child_chronology_json(chrono: ChildChronology) -> dict[str, Any]:
    def t(value: datetime | None) -> str | None:
        return to_iso_utc(value) if value is not None else None

    return {
        "shape": SHAPE_VERSION,
        "kind": "child_chronology",
        "marking": MARKING,
        "generated_at": to_iso_utc(chrono.generated_at),
        "generated_by": chrono.generated_by,
        "pupil": {
            "register_id": chrono.register_id or None,
            "name": chrono.name,
            "dob": date_to_iso(chrono.dob) if chrono.dob else None,
            "year_group": chrono.year_group,
            "sex": chrono.sex,
            "csc_facts": list(chrono.csc_facts),
        },
        "incidents": [
            {
                "ref": i.ref,
                "opened_at": t(i.opened_at),
                "kind": i.kind,
                "status": i.status,
                "parts": list(i.parts),
                "summary": i.summary,
                "left_out": i.left_out,
            }
            for i in chrono.incidents
        ],
        "entries": [
            {
                "at": t(e.event.at),
                "recorded_at": t(e.event.recorded_at),
                "ref": e.ref,
                "kind": e.event.kind,
                "label": e.label,
                "text": e.text,
                "by": e.event.by,
                "by_role": e.event.by_role,
                "entry": e.event.id,
                "marks": list(e.marks),
            }
            for e in chrono.entries
        ],
        "left_out": chrono.left_out,
        "unmatched": list(chrono.unmatched),
    }


#: What the masking cannot catch, on the cover of every export (see the module docstring).
LIMITS = (
    f"Other young people appear as “{OTHER_PUPIL}”: their details and the entries about them "
    "are left out, and their recorded names are replaced wherever they appear in the text. "
    "A name nobody recorded as a pupil, a nickname, a misspelling or initials cannot be "
    "recognised: read every entry before this leaves the school."
)


def child_chronology_document(chrono: ChildChronology) -> Document:
    born = (
        format_local_date(chrono.dob)
        if chrono.dob
        else (f"Year {chrono.year_group}" if chrono.year_group else "not recorded")
    )
    blocks: list[Block] = [
        Paragraph(
            "For professionals working with this young person. It is not a subject access "
            "report: that is gathered separately, with its redaction marks.",
            "warning",
        ),
        Fields(
            (
                ("Young person", chrono.name),
                ("Pupil record", chrono.register_id or "not in the register"),
                ("Born / year", born),
                ("Sex", chrono.sex or "not recorded"),
                ("Incidents", str(len(chrono.incidents))),
                ("Entries about others left out", str(chrono.left_out)),
            )
        ),
        Paragraph(LIMITS, "muted"),
    ]
    if chrono.unmatched:
        blocks.append(
            Paragraph(
                f"Left out: {', '.join(chrono.unmatched)}, listed under this young person but "
                "not linked to them in the incident itself. Check the links ('ydsi pupil show').",
                "warning",
            )
        )
    if chrono.csc_facts:
        blocks.append(Paragraph(f"Children's social care: {'; '.join(chrono.csc_facts)}."))
    blocks.append(Heading("Incidents"))
    blocks.append(
        Table(
            ("Ref", "Opened", "Kind", "Status", "Their part"),
            tuple(
                (
                    i.ref,
                    format_local_date(i.opened_at.date()) if i.opened_at else "",
                    i.kind,
                    rules.status_words(i.status),
                    ", ".join(i.parts) or "not recorded",
                )
                for i in chrono.incidents
            ),
            (2, 2, 3, 2, 3),
        )
    )
    blocks.append(Heading("Everything, in the order it happened"))
    for entry in chrono.entries:
        event = entry.event
        blocks.append(
            Item(
                format_local(event.at),
                f"{entry.ref}: {entry.label}",
                entry.text,
                f"Recorded {format_local(event.recorded_at)} by {event.by} "
                f"({role_name(event.by_role, in_sentence=True)}); entry {event.id[:8]}",
                entry.marks,
            )
        )
    blocks.append(
        Paragraph(
            "Entries are never edited or deleted: a correction is a later entry, and both are "
            "shown. Times are UK times (GMT or BST, as written). Each incident was opened for "
            "this chronology, and each opening is in the vault's audit log.",
            "muted",
        )
    )
    return Document(
        title=f"Chronology of {chrono.name}",
        subtitle=f"Across {len(chrono.incidents)} incident(s). Exported "
        f"{format_local(chrono.generated_at)} by {chrono.generated_by}.",
        blocks=tuple(blocks),
    )
