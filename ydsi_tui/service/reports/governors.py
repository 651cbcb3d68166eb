"""Governors' figures: counts by term and school year, with no names and no references.

What is counted, per term of the school year (see
:mod:`ydsi_tui.model.schoolyear` for the terms: spring ends on Easter Day,
computed each year):

* **incidents**: incidents dated in the term (the disclosure's date, else
  the date the incident was opened);
* **referred to the police** / **to children's social care**: of those
  incidents, the ones whose current decision refers to that agency (an
  incident referred to both counts once in each);
* **handled in school**: of those incidents, the ones whose current
  decision is to respond in school;
* **not yet decided**: the rest;
* **devices seized**: devices whose seizure is dated in the term (from the
  custody log, whatever the incident's date);
* **viewings**: recorded viewings of imagery dated in the term (corrected
  entries counted once).

The report holds numbers and the school's name only: no pupil, no member of
staff, no incident reference, no summary. It reads every incident without
logging a read, because it shows nothing of any of them.

JSON shape (``ydsi report governors --format json``), shape 1::

    {"shape": 1, "kind": "governors", "marking", "school", "year": "2025-26",
     "generated_at", "terms": [{"term", "start", "end", <counts>}],
     "year_total": {<counts>}, "unreadable": int, "notes": [str]}

where <counts> are ``incidents, referred_police, referred_csc, in_school,
undecided, devices_seized, viewings``.
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields
from datetime import datetime
from typing import Any

from ...model.schoolyear import SchoolYear, Term
from ...model.timeparse import date_to_iso, format_local, format_local_date, to_iso_utc, to_local
from ..casebook import CaseBook
from ..devices import DeviceLog
from ..shapes import SHAPE_VERSION
from .document import MARKING, Block, Document, Heading, Paragraph, Table
from .scan import Progress, each_incident

__all__ = ["Counts", "GovernorsReport", "governors_document", "governors_json", "governors_report"]

NOTES = (
    "Terms: autumn 1 September to 31 December; spring 1 January to Easter Day; "
    "summer Easter Monday to 31 August.",
    "An incident is counted in the term of its disclosure (or, if none is recorded, of its "
    "opening), by its current decision; one referred to both agencies counts in both.",
    "Devices and viewings are counted in the term they happened.",
)


@dataclass
class Counts:
    incidents: int = 0
    referred_police: int = 0
    referred_csc: int = 0
    in_school: int = 0
    undecided: int = 0
    devices_seized: int = 0
    viewings: int = 0

    def add(self, other: Counts) -> None:
        for item in fields(self):
            setattr(self, item.name, getattr(self, item.name) + getattr(other, item.name))

    def as_dict(self) -> dict[str, int]:
        return {item.name: int(getattr(self, item.name)) for item in fields(self)}


LABELS = (
    ("incidents", "Incidents"),
    ("referred_police", "Referred to the police"),
    ("referred_csc", "Referred to children's social care"),
    ("in_school", "Handled in school"),
    ("undecided", "Not yet decided"),
    ("devices_seized", "Devices seized"),
    ("viewings", "Viewings of imagery"),
)


@dataclass(frozen=True)
class GovernorsReport:
    school: str
    year: SchoolYear
    terms: tuple[tuple[Term, Counts], ...]
    total: Counts
    generated_at: datetime
    unreadable: int = 0
    notes: tuple[str, ...] = field(default=NOTES)


def governors_report(
    cases: CaseBook,
    devices: DeviceLog | None,
    year: SchoolYear,
    *,
    progress: Progress | None = None,
) -> GovernorsReport:
    terms = year.terms
    counts = {term.name: Counts() for term in terms}

    def term_for(moment: datetime) -> str | None:
        day = to_local(moment).date()
        return next((term.name for term in terms if day in term), None)

    unreadable = 0
    for scanned in each_incident(cases, progress):
        if scanned.view is None:
            unreadable += 1
            continue
        incident = scanned.view.incident
        day = incident.incident_date
        name = next((term.name for term in terms if day in term), None)
        if name is not None:
            bucket = counts[name]
            bucket.incidents += 1
            decision = incident.current_decision
            if decision is None:
                bucket.undecided += 1
            elif decision.outcome == "in_school":
                bucket.in_school += 1
            else:
                bucket.referred_police += "police" in decision.refer_to
                bucket.referred_csc += "csc" in decision.refer_to
        for viewing in incident.viewings:
            when = term_for(viewing.at)
            if when is not None:
                counts[when].viewings += 1
    if devices is not None:
        for row in devices.rows():
            if row.seized_at is None:
                continue
            when = term_for(row.seized_at)
            if when is not None:
                counts[when].devices_seized += 1
    total = Counts()
    for bucket in counts.values():
        total.add(bucket)
    return GovernorsReport(
        cases.policies.current.school,
        year,
        tuple((term, counts[term.name]) for term in terms),
        total,
        cases.clock.now(),
        unreadable,
    )


def governors_json(report: GovernorsReport) -> dict[str, Any]:
    return {
        "shape": SHAPE_VERSION,
        "kind": "governors",
        "marking": MARKING,
        "school": report.school,
        "year": report.year.label,
        "generated_at": to_iso_utc(report.generated_at),
        "terms": [
            {
                "term": term.name,
                "start": date_to_iso(term.start),
                "end": date_to_iso(term.end),
                **counts.as_dict(),
            }
            for term, counts in report.terms
        ],
        "year_total": report.total.as_dict(),
        "unreadable": report.unreadable,
        "notes": list(report.notes),
    }


def governors_document(report: GovernorsReport) -> Document:
    headers = ("", *(t.label for t, _ in report.terms), f"Year {report.year.label}")
    rows = tuple(
        (label, *(str(getattr(c, key)) for _, c in report.terms), str(getattr(report.total, key)))
        for key, label in LABELS
    )
    blocks: list[Block] = [
        Paragraph(
            f"Incidents of youth-produced sexual imagery (sharing nudes and semi-nudes) recorded "
            f"by the Designated Safeguarding Lead in the school year {report.year.label} "
            f"({format_local_date(report.year.start)} to {format_local_date(report.year.end)}). "
            "Figures only: no young person, member of staff or incident is identified."
        ),
        Table(headers, rows, (3, 1, 1, 1, 1)),
        Heading("How the figures are counted", 2),
        *(Paragraph(note, "muted") for note in report.notes),
    ]
    if report.unreadable:
        blocks.append(
            Paragraph(
                f"{report.unreadable} record(s) could not be read and are not counted: "
                "the DSL should run 'ydsi verify'.",
                "warning",
            )
        )
    return Document(
        title=f"Governors' report: safeguarding figures {report.year.label}",
        subtitle=f"{report.school}. Produced {format_local(report.generated_at)}.",
        blocks=tuple(blocks),
    )
