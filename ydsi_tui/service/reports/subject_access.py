"""Subject access: what the vault holds about one young person, ready for redaction.

Every incident the pupil is in, every entry of it in time order, the
devices recorded as theirs and any transfer of their records. Other young
people are never in it (see :mod:`.third_parties`): their names are replaced
by "another pupil" (and marked), and entries about them (their details, a
conversation with them, their parents) are withheld (and marked). What the
DSL must still consider withholding before release is *marked*:

* adults' and disclosers' names, wherever they appear in the text (whole
  names and each part of them that is not also part of the subject's own
  name, so a shared surname is not marked);
* entries about a member of staff (support offered after viewing);
* entries whose release could cause serious harm (a decision not to tell
  parents and why, risks of harm, police and social care contacts, staff's
  notes...), even about the subject: marked for review against the
  serious-harm exemption.

Each incident shown is opened with :meth:`CaseBook.open`, so the access is
audited.

JSON shape (``ydsi report subject-access PUPIL --format json``), shape 1::

    {"shape": 1, "kind": "subject_access", "marking", "generated_at", "generated_by",
     "subject": {"name", "dob"},
     "incidents": [{"ref", "opened_at", "status", "kind", "parts",
                    "entries": [{"at", "recorded_at", "by", "by_role", "kind", "label",
                                 "text", "segments": [{"text", "redact"}], "redact"}],
                    "devices": [{"ref", "description", "status", "seized_at",
                                 "handed_over_at"}],
                    "transfers": [{"id", "sent_at", "to_school", "received"}]}],
     "marked": int}

``redact`` is empty when nothing is marked, else why it is marked.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from ...model import rules
from ...model.events import Event
from ...model.incident import Incident, Pupil
from ...model.roles import role_name
from ...model.timeparse import date_to_iso, format_local, format_local_date, to_iso_utc
from ..casebook import CaseBook
from ..describe import KIND_LABELS, describe
from ..devices import DeviceLog
from ..pupils import find_pupil, name_key
from ..shapes import SHAPE_VERSION
from .document import MARKING, Block, Document, Fields, Heading, Item, Paragraph, Span, plain
from .scan import Progress
from .third_parties import OTHER_PUPIL as ANOTHER_PUPIL
from .third_parties import People, about_other_pupil, harm_review

__all__ = [
    "SarDevice",
    "SarEntry",
    "SarIncident",
    "SubjectAccess",
    "subject_access",
    "subject_access_document",
    "subject_access_json",
]

OTHER_PUPIL = "other pupil"
THIRD_PARTY = "third party"
#: What an entry about another pupil says in a subject access: nothing of theirs.
WITHHELD = f"An entry about {ANOTHER_PUPIL}: withheld."
#: The start of the mark on an entry whose release could harm someone.
HARM_REVIEW = "review against the serious-harm exemption"
_ENTRY_MARKS = {"staff.support_offered": "about a member of staff"}


@dataclass(frozen=True)
class SarEntry:
    event: Event
    label: str
    text: tuple[Span, ...]
    redact: str


@dataclass(frozen=True)
class SarDevice:
    ref: str
    description: str
    status: str
    seized_at: datetime | None
    handed_over_at: datetime | None


@dataclass(frozen=True)
class SarIncident:
    ref: str
    incident: Incident
    subject: Pupil
    status: str
    kind: str
    entries: tuple[SarEntry, ...]
    devices: tuple[SarDevice, ...]


@dataclass(frozen=True)
class SubjectAccess:
    name: str
    dob: date | None
    incidents: tuple[SarIncident, ...]
    generated_at: datetime
    generated_by: str

    @property
    def marked(self) -> int:
        """How many entries or pieces of text are marked for redaction."""
        return sum(
            (1 if entry.redact else 0) + sum(1 for span in entry.text if span.redact)
            for incident in self.incidents
            for entry in incident.entries
        )


def subject_access(
    cases: CaseBook,
    devices: DeviceLog | None,
    name: str,
    *,
    dob: date | None = None,
    progress: Progress | None = None,
) -> SubjectAccess:
    """Gather everything about one young person (see the module docstring)."""
    matches = find_pupil(cases, name, dob=dob, progress=progress)
    incidents: list[SarIncident] = []
    for match in matches:
        view = cases.open(match.ref)  # audited: this incident's content is shown
        incident = view.incident
        subject = incident.pupils[match.pupil_id]
        marker = _Marker(incident, subject)
        names = {pid: p.name for pid, p in incident.pupils.items()}
        names = {
            pid: (p.name if pid == subject.pupil_id else ANOTHER_PUPIL)
            for pid, p in incident.pupils.items()
        }
        entries = tuple(
            SarEntry(
                entry.event,
                KIND_LABELS.get(entry.event.kind, entry.event.kind),
                (Span(WITHHELD),)
                if about_other_pupil(entry.event, subject.pupil_id)
                else marker.spans(describe(entry.event, view.policy, names)),
                marker.entry_mark(entry.event),
            )
            for entry in incident.timeline
        )
        owned: list[SarDevice] = []
        if devices is not None:
            for row in devices.rows(incident_ref=incident.ref):
                if row.error is not None:
                    continue
                device = devices.open(row.ref).device  # audited
                if device.owner_pupil_id == subject.pupil_id or (
                    not device.owner_pupil_id and name_key(device.owner) == name_key(subject.name)
                ):  # by id; a record from before owner labels, by the name it holds
                    owned.append(
                        SarDevice(
                            row.ref,
                            device.description,
                            device.status or "",
                            device.seized_at,
                            device.handed_over_at,
                        )
                    )
        incidents.append(
            SarIncident(
                incident.ref,
                incident,
                subject,
                rules.incident_status(incident, view.policy),
                _label(view.policy, incident.kind or ""),
                entries,
                tuple(owned),
            )
        )
    subject_dob = dob or next((m.dob for m in matches if m.dob is not None), None)
    return SubjectAccess(
        matches[0].name, subject_dob, tuple(incidents), cases.clock.now(), cases.author
    )


def _label(policy: Any, kind: str) -> str:
    try:
        return str(policy.label("incident_kinds", kind))
    except KeyError:
        return kind


class _Marker:
    """Finds other people's names in an incident's text, and entries about others."""

    def __init__(self, incident: Incident, subject: Pupil) -> None:
        self.subject = subject
        self.others = People(incident, subject)
        own = set(name_key(subject.name).split())
        people: dict[str, str] = {}
        for adult in incident.adults.values():
            people.setdefault(adult.name, THIRD_PARTY)
        disclosure = incident.disclosure
        discloser = disclosure.discloser_name if disclosure is not None else ""
        if discloser and name_key(discloser) != name_key(subject.name):
            people.setdefault(discloser, THIRD_PARTY)
        terms: dict[str, str] = {}
        for person, reason in people.items():
            key = name_key(person)
            if not key:
                continue
            terms.setdefault(key, reason)
            for part in key.split():
                if len(part) >= 2 and part not in own:
                    terms.setdefault(part, reason)
        self.terms = terms
        ordered = sorted(terms, key=len, reverse=True)
        self.pattern = (
            re.compile(
                r"(?<!\w)(" + "|".join(re.escape(t) for t in ordered) + r")(?!\w)", re.IGNORECASE
            )
            if ordered
            else None
        )

    def spans(self, text: str) -> tuple[Span, ...]:
        """The text with other pupils' names replaced (and marked), third parties marked."""
        out: list[Span] = []
        last = 0
        for match in self.others.finditer(text):
            if match.start() > last:
                out.extend(self._third_parties(text[last : match.start()]))
            out.append(Span(ANOTHER_PUPIL, OTHER_PUPIL))
            last = match.end()
        if last < len(text) or not out:
            out.extend(self._third_parties(text[last:]))
        return tuple(out)

    def _third_parties(self, text: str) -> tuple[Span, ...]:
        if self.pattern is None or not text:
            return (Span(text),)
        out: list[Span] = []
        last = 0
        for match in self.pattern.finditer(text):
            if match.start() > last:
                out.append(Span(text[last : match.start()]))
            reason = self.terms.get(name_key(match.group(0)), THIRD_PARTY)
            out.append(Span(match.group(0), reason))
            last = match.end()
        if last < len(text):
            out.append(Span(text[last:]))
        return tuple(out)

    def entry_mark(self, event: Event) -> str:
        """Why the whole entry is marked: about someone else, or its release could harm."""
        if about_other_pupil(event, self.subject.pupil_id):
            return "about another pupil"
        marks = [_ENTRY_MARKS[event.kind]] if event.kind in _ENTRY_MARKS else []
        harm = harm_review(event.kind)
        if harm:
            marks.append(f"{HARM_REVIEW}: {harm}")
        return "; ".join(marks)


def subject_access_json(report: SubjectAccess) -> dict[str, Any]:
    def t(value: datetime | None) -> str | None:
        return to_iso_utc(value) if value is not None else None

    return {
        "shape": SHAPE_VERSION,
        "kind": "subject_access",
        "marking": MARKING,
        "generated_at": to_iso_utc(report.generated_at),
        "generated_by": report.generated_by,
        "subject": {"name": report.name, "dob": date_to_iso(report.dob) if report.dob else None},
        "marked": report.marked,
        "incidents": [
            {
                "ref": item.ref,
                "opened_at": t(item.incident.opened_at),
                "status": item.status,
                "kind": item.kind,
                "parts": list(item.subject.parts),
                "entries": [
                    {
                        "at": t(entry.event.at),
                        "recorded_at": t(entry.event.recorded_at),
                        "by": entry.event.by,
                        "by_role": entry.event.by_role,
                        "kind": entry.event.kind,
                        "label": entry.label,
                        "text": plain(entry.text),
                        "segments": [{"text": s.text, "redact": s.redact} for s in entry.text],
                        "redact": entry.redact,
                    }
                    for entry in item.entries
                ],
                "devices": [
                    {
                        "ref": d.ref,
                        "description": d.description,
                        "status": d.status,
                        "seized_at": t(d.seized_at),
                        "handed_over_at": t(d.handed_over_at),
                    }
                    for d in item.devices
                ],
                "transfers": [
                    {
                        "id": tr.transfer_id,
                        "sent_at": t(tr.at),
                        "to_school": tr.to_school,
                        "received": tr.received,
                    }
                    for tr in item.incident.transfers
                    if tr.pupil_id == item.subject.pupil_id
                ],
            }
            for item in report.incidents
        ],
    }


def subject_access_document(report: SubjectAccess) -> Document:
    blocks: list[Block] = [
        Paragraph(
            "NOT FOR RELEASE AS IT STANDS. Review every item marked [REDACT ...] before "
            "release: other young people's names, third parties, entries about others and "
            "staff's notes are marked, nothing has been removed. Consider also whether any "
            "exemption applies (for example where release could cause serious harm).",
            "warning",
        ),
        Fields(
            (
                ("Young person", report.name),
                ("Date of birth", format_local_date(report.dob) if report.dob else "not recorded"),
                ("Incidents", str(len(report.incidents))),
                ("Marked for redaction", str(report.marked)),
            )
        ),
    ]
    for item in report.incidents:
        incident = item.incident
        blocks.append(Heading(f"Incident {item.ref}"))
        blocks.append(
            Fields(
                (
                    ("Opened", format_local(incident.opened_at or incident.meta.created_at)),
                    ("Status", rules.status_words(item.status)),
                    ("Kind", item.kind),
                    ("Their part", ", ".join(item.subject.parts) or "not recorded"),
                )
            )
        )
        for entry in item.entries:
            event = entry.event
            blocks.append(
                Item(
                    format_local(event.at),
                    entry.label,
                    entry.text,
                    f"Recorded {format_local(event.recorded_at)} by {event.by} "
                    f"({role_name(event.by_role, in_sentence=True)})",
                    redact=entry.redact,
                )
            )
        for device in item.devices:
            blocks.append(
                Fields(
                    (
                        ("Device", f"{device.ref}: {device.description}"),
                        ("Status", device.status),
                        ("Seized", format_local(device.seized_at) if device.seized_at else ""),
                        (
                            "Handed to police",
                            format_local(device.handed_over_at) if device.handed_over_at else "no",
                        ),
                    )
                )
            )
    return Document(
        title=f"Subject access: records held about {report.name}",
        subtitle=f"Gathered {format_local(report.generated_at)} by {report.generated_by}.",
        blocks=tuple(blocks),
    )
