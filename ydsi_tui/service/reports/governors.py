"""Governors' figures: counts by term and school year, by kind, year group and sex,
outcomes, repeat involvement and times, with no names, no references and no small numbers.

What is counted, per term of the school year (see
:mod:`ydsi_tui.model.schoolyear` for the terms: spring ends on Easter Day,
computed each year):

* **incidents**: incidents dated in the term (the disclosure's date, else
  the date the incident was opened);
* **referred** (to either agency), **referred to the police** / **to
  children's social care** / **to both**: of those incidents, the ones whose
  current decision refers to that agency (one referred to both counts once in
  each, and once in ``referred``);
* **handled in school**: of those incidents, the ones whose current
  decision is to respond in school;
* **not yet decided**: the rest (incidents = referred + in school + undecided);
* **young people**: the young people recorded in those incidents, each once
  per incident (one in two incidents counts twice: see ``repeat``);
* **devices seized**: devices whose seizure is dated in the term (from the
  custody log, whatever the incident's date);
* **viewings**: recorded viewings of imagery dated in the term (corrected
  entries counted once).

The same incidents are broken down by **kind** (the policy's
``incident_kinds``: sharing between young people, non-consensual sharing,
sextortion, AI-generated imagery, other; "not recorded" where no kind was
given), and the same young people by **year group** (as recorded, or worked
out from the date of birth at the incident's date) and by **sex**, each by
term and for the year. **Repeat involvement** counts, for the year, the
incidents in which a young person had been in an earlier incident (of any
year), the young people involved, and how many of them had been involved
before (the pupil register's links first, merges followed, then names for a
young person not yet linked: :func:`.repeats.repeat_incidents`). **Times** are
medians over the year's incidents where both ends are recorded: from the
disclosure to the DSL being told, and from the DSL being told to the first
referral (:func:`ydsi_tui.model.referrals.referral_times`).

**Small numbers are hidden** (:mod:`.suppression`): every count of 1 or 2 is
published as ``null`` (``c`` in the documents and on screen), 0 is shown, and
further cells are hidden wherever a total would give a hidden one away (the
published identities: each row's terms add up to its year; each breakdown's
rows add up to the incidents or young people of that term; incidents =
referred + in school + undecided; referred + referred to both = to the
police + to social care). A median is published only over 3 or more
incidents. The report object holds the true counts; only :meth:`shown` and
the renderings below are published.

The report holds numbers and the school's name only: no pupil, no member of
staff, no incident reference, no summary. It reads every incident without
logging a read, because it shows nothing of any of them.

JSON shape (``ydsi report governors --format json``), shape 2 (shape 1 had
no breakdowns, and every count was a number)::

    {"shape": 2, "kind": "governors", "marking", "school", "year": "2025-26",
     "generated_at", "terms": [{"term", "start", "end", <counts>}],
     "year_total": {<counts>}, "unreadable": int, "notes": [str],
     "suppressed": {"threshold": 3, "shown_as": null, "note": str},
     "by_kind" | "by_year_group" | "by_sex": {
         "counts": "incidents" | "young people",
         "rows": [{"id", "label", "autumn", "spring", "summer", "year"}],
         "total": {"autumn", "spring", "summer", "year"}},
     "repeat": {"incidents", "young_people", "involved_before"},
     "times": {"disclosure_to_dsl" | "dsl_to_referral":
               {"incidents": int|null, "median_minutes": int|null}}}

where <counts> are ``incidents, referred_police, referred_csc, in_school,
undecided, devices_seized, viewings`` (as in shape 1) and ``referred,
referred_both, young_people``; every count is a whole number, or ``null``
where it is hidden.
"""

from __future__ import annotations

from collections.abc import Hashable, Iterable, Mapping
from dataclasses import dataclass, field, fields
from datetime import datetime
from functools import cached_property
from statistics import median
from typing import Any

from ...model.incident import Incident, Pupil
from ...model.referrals import referral_times
from ...model.schema import SEXES
from ...model.schoolyear import SchoolYear, Term, school_year_of
from ...model.timeparse import date_to_iso, format_local, format_local_date, to_iso_utc, to_local
from ..casebook import CaseBook
from ..devices import DeviceLog
from ..pupils import birth_cohort
from ..register import PupilRegister
from .document import MARKING, Bar, Block, Chart, Document, Fields, Heading, Paragraph, Table
from .repeats import repeat_incidents
from .scan import Progress, each_incident
from .suppression import THRESHOLD, Identity, suppress

__all__ = [
    "HIDDEN",
    "SHAPE",
    "Breakdown",
    "BreakdownRow",
    "Counts",
    "GovernorsReport",
    "Repeat",
    "Timing",
    "governors_document",
    "governors_json",
    "governors_report",
    "year_group_at",
]

#: The governors' JSON shape (2: breakdowns, and hidden counts as null).
SHAPE = 2
#: How a hidden count is written in documents and on screen (as statistics offices do).
HIDDEN = "c"
#: The column of a row's year figure, beside the terms' names.
YEAR = "year"

NOTES = (
    "Terms: autumn 1 September to 31 December; spring 1 January to Easter Day; "
    "summer Easter Monday to 31 August.",
    "An incident is counted in the term of its disclosure (or, if none is recorded, of its "
    "opening), by its current decision; one referred to both agencies counts in both.",
    "Devices and viewings are counted in the term they happened.",
    "Young people are counted once in each incident they are in; year group is as recorded, "
    "or worked out from the date of birth on the incident's date.",
    "Repeat involvement matches a young person across incidents by name and the school year "
    "they were born in.",
    "Times are medians over the year's incidents where both times are recorded, shown only "
    "over 3 or more incidents.",
)
SUPPRESSION_NOTE = (
    f"{HIDDEN}: hidden to protect the young people. Numbers under {THRESHOLD} (1 or 2) are "
    "hidden, and so is the next-smallest number wherever a total would give a hidden one "
    "away; 0 is shown."
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
    #: Referred to either agency, and to both (so referred + both = police + csc).
    referred: int = 0
    referred_both: int = 0
    #: Young people in the term's incidents, each once per incident.
    young_people: int = 0

    def add(self, other: Counts) -> None:
        for item in fields(self):
            setattr(self, item.name, getattr(self, item.name) + getattr(other, item.name))

    def as_dict(self) -> dict[str, int]:
        return {item.name: int(getattr(self, item.name)) for item in fields(self)}


LABELS = (
    ("incidents", "Incidents"),
    ("referred", "Referred (to either agency)"),
    ("referred_police", "Referred to the police"),
    ("referred_csc", "Referred to children's social care"),
    ("referred_both", "Referred to both"),
    ("in_school", "Handled in school"),
    ("undecided", "Not yet decided"),
    ("young_people", "Young people involved"),
    ("devices_seized", "Devices seized"),
    ("viewings", "Viewings of imagery"),
)


@dataclass(frozen=True)
class BreakdownRow:
    """One row of a breakdown: its id, its words, and its count in each term."""

    id: str
    label: str
    terms: tuple[int, ...]

    @property
    def year(self) -> int:
        return sum(self.terms)


@dataclass(frozen=True)
class Breakdown:
    """Incidents or young people split one way (kind, year group, sex), by term."""

    key: str
    title: str
    #: "incidents" or "young people"; the rows add up to that measure of each term.
    counts: str
    rows: tuple[BreakdownRow, ...]

    @property
    def measure(self) -> str:
        return "incidents" if self.counts == "incidents" else "young_people"


@dataclass(frozen=True)
class Repeat:
    """The year's repeat involvement."""

    #: The year's incidents in which a young person had been in an earlier incident.
    incidents: int = 0
    #: Different young people in the year's incidents.
    young_people: int = 0
    #: Of them, those who had been in an earlier incident (of this year or before).
    involved_before: int = 0


REPEAT_LABELS = (
    ("incidents", "Incidents involving a young person seen in an earlier incident"),
    ("young_people", "Different young people involved"),
    ("involved_before", "Of them, involved in an earlier incident"),
)


@dataclass(frozen=True)
class Timing:
    """One median time: the minutes of each incident where both ends are recorded."""

    key: str
    label: str
    minutes: tuple[int, ...] = ()

    @property
    def median(self) -> int | None:
        return round(median(self.minutes)) if self.minutes else None


TIMINGS = (
    ("disclosure_to_dsl", "Disclosure to the DSL being told"),
    ("dsl_to_referral", "DSL told to the first referral"),
)


@dataclass(frozen=True)
class GovernorsReport:
    """The true counts; :meth:`shown` gives what may be published of each."""

    school: str
    year: SchoolYear
    terms: tuple[tuple[Term, Counts], ...]
    total: Counts
    generated_at: datetime
    unreadable: int = 0
    notes: tuple[str, ...] = field(default=NOTES)
    breakdowns: tuple[Breakdown, ...] = ()
    repeat: Repeat = field(default_factory=Repeat)
    times: tuple[Timing, ...] = ()

    # -------------------------------------------------------------- published figures
    @cached_property
    def _cells(self) -> tuple[dict[Hashable, int], list[Identity]]:
        """Every published count as a cell, and every identity a reader could use."""
        values: dict[Hashable, int] = {}
        identities: list[Identity] = []
        columns = [term.name for term, _ in self.terms] + [YEAR]
        every = [*(counts for _, counts in self.terms), self.total]
        for item in fields(Counts):
            for column, counts in zip(columns, every, strict=True):
                values[("terms", item.name, column)] = int(getattr(counts, item.name))
            identities.append(
                Identity(
                    tuple(("terms", item.name, c) for c in columns[:-1]),
                    (("terms", item.name, YEAR),),
                )
            )
        for column in columns:

            def cell(name: str, col: str = column) -> tuple[str, str, str]:
                return ("terms", name, col)

            identities.append(
                Identity((cell("referred"), cell("in_school"), cell("undecided")),
                         (cell("incidents"),))
            )  # fmt: skip
            identities.append(
                Identity((cell("referred"), cell("referred_both")),
                         (cell("referred_police"), cell("referred_csc")))
            )  # fmt: skip
        for breakdown in self.breakdowns:
            for row in breakdown.rows:
                for column, count in zip(columns, (*row.terms, row.year), strict=True):
                    values[(breakdown.key, row.id, column)] = count
                identities.append(
                    Identity(
                        tuple((breakdown.key, row.id, c) for c in columns[:-1]),
                        ((breakdown.key, row.id, YEAR),),
                    )
                )
            for column in columns:
                identities.append(
                    Identity(
                        tuple((breakdown.key, row.id, column) for row in breakdown.rows),
                        (("terms", breakdown.measure, column),),
                    )
                )
        for item in fields(Repeat):
            values[("repeat", item.name)] = int(getattr(self.repeat, item.name))
        for timing in self.times:
            values[("times", timing.key)] = len(timing.minutes)
        return values, identities

    @cached_property
    def hidden(self) -> frozenset[Hashable]:
        """The cells not published (see :mod:`.suppression`)."""
        values, identities = self._cells
        return suppress(values, identities)

    def shown(self, *cell: str) -> int | None:
        """A published count (None: hidden). ``cell`` is, for instance,
        ``("terms", "incidents", "autumn")``, ``("by_kind", "sextortion", "year")``,
        ``("repeat", "incidents")`` or ``("times", "disclosure_to_dsl")``."""
        values, _ = self._cells
        if cell not in values:
            raise KeyError(cell)
        return None if cell in self.hidden else values[cell]

    def shown_median(self, timing: Timing) -> int | None:
        """The median, published only over THRESHOLD or more incidents."""
        return timing.median if len(timing.minutes) >= THRESHOLD else None


def year_group_at(incident: Incident, pupil: Pupil) -> int | None:
    """The pupil's year group at the incident (0: Reception), as recorded or from the birth date."""
    if pupil.year_group is not None:
        return pupil.year_group
    cohort = birth_cohort(incident, pupil)
    if cohort is None:
        return None
    return max(0, school_year_of(incident.incident_date).start_year - cohort - 5)


SEX_LABELS = {"female": "Female", "male": "Male", "other": "Other", "unknown": "Not known"}
NOT_RECORDED = "not_recorded"


def governors_report(
    cases: CaseBook,
    devices: DeviceLog | None,
    year: SchoolYear,
    *,
    progress: Progress | None = None,
) -> GovernorsReport:
    terms = year.terms
    names = [term.name for term in terms]
    counts = {term.name: Counts() for term in terms}
    policy = cases.policies.current
    kinds: dict[str, list[int]] = {c.id: [0] * len(terms) for c in policy.incident_kinds}
    kind_labels = {c.id: c.label for c in policy.incident_kinds}
    groups: dict[int | None, list[int]] = {}
    sexes: dict[str, list[int]] = {sex: [0] * len(terms) for sex in SEXES}
    timings: dict[str, list[int]] = {key: [] for key, _ in TIMINGS}

    def term_for(moment: datetime) -> str | None:
        day = to_local(moment).date()
        return next((term.name for term in terms if day in term), None)

    unreadable = 0
    every: list[Incident] = []
    in_year: set[str] = set()
    for scanned in each_incident(cases, progress):
        if scanned.view is None:
            unreadable += 1
            continue
        incident = scanned.view.incident
        every.append(incident)
        day = incident.incident_date
        name = next((term.name for term in terms if day in term), None)
        if name is not None:
            in_year.add(incident.ref)
            column = names.index(name)
            bucket = counts[name]
            bucket.incidents += 1
            decision = incident.current_decision
            if decision is None:
                bucket.undecided += 1
            elif decision.outcome == "in_school":
                bucket.in_school += 1
            else:
                police, csc = "police" in decision.refer_to, "csc" in decision.refer_to
                bucket.referred += 1
                bucket.referred_police += police
                bucket.referred_csc += csc
                bucket.referred_both += police and csc
            kind = incident.kind or NOT_RECORDED
            if kind not in kinds:
                kinds[kind] = [0] * len(terms)
                kind_labels[kind] = (
                    "Not recorded"
                    if kind == NOT_RECORDED
                    else scanned.view.policy.label("incident_kinds", kind)
                )
            kinds[kind][column] += 1
            for pupil in incident.pupils.values():
                bucket.young_people += 1
                group = year_group_at(incident, pupil)
                groups.setdefault(group, [0] * len(terms))[column] += 1
                sex = pupil.sex if pupil.sex in sexes else "unknown"
                sexes[sex][column] += 1
            times = referral_times(incident, scanned.view.policy)
            for key, _ in TIMINGS:
                minutes = times.get(f"{key}_minutes")
                if isinstance(minutes, int) and minutes >= 0:
                    timings[key].append(minutes)
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

    def group_label(group: int | None) -> str:
        if group is None:
            return "Not recorded"
        return "Reception" if group == 0 else f"Year {group}"

    by_group = sorted(groups.items(), key=lambda item: (item[0] is None, item[0] or 0))
    breakdowns = (
        Breakdown(
            "by_kind",
            "Incidents by kind",
            "incidents",
            tuple(BreakdownRow(k, kind_labels[k], tuple(v)) for k, v in kinds.items()),
        ),
        Breakdown(
            "by_year_group",
            "Young people by year group",
            "young people",
            tuple(
                BreakdownRow(NOT_RECORDED if g is None else f"year_{g}", group_label(g), tuple(v))
                for g, v in by_group
            ),
        ),
        Breakdown(
            "by_sex",
            "Young people by sex",
            "young people",
            tuple(BreakdownRow(s, SEX_LABELS.get(s, s), tuple(v)) for s, v in sexes.items()),
        ),
    )
    return GovernorsReport(
        policy.school,
        year,
        tuple((term, counts[term.name]) for term in terms),
        total,
        cases.clock.now(),
        unreadable,
        breakdowns=breakdowns,
        repeat=_repeat(every, in_year, PupilRegister(cases).listing().merges),
        times=tuple(Timing(key, label, tuple(timings[key])) for key, label in TIMINGS),
    )


def _repeat(incidents: Iterable[Incident], in_year: set[str], merges: Mapping[str, str]) -> Repeat:
    involvements = [i for i in repeat_incidents(incidents, merges) if i.ref in in_year]
    people = {i.person for i in involvements}
    before = {i.person for i in involvements if i.earlier}
    return Repeat(
        incidents=len({i.ref for i in involvements if i.earlier}),
        young_people=len(people),
        involved_before=len(before),
    )


# ------------------------------------------------------------------ renderings


def _columns(report: GovernorsReport) -> list[str]:
    return [term.name for term, _ in report.terms] + [YEAR]


def governors_json(report: GovernorsReport) -> dict[str, Any]:
    columns = _columns(report)

    def counts(column: str) -> dict[str, int | None]:
        return {item.name: report.shown("terms", item.name, column) for item in fields(Counts)}

    def breakdown(b: Breakdown) -> dict[str, Any]:
        return {
            "counts": b.counts,
            "rows": [
                {
                    "id": row.id,
                    "label": row.label,
                    **{c: report.shown(b.key, row.id, c) for c in columns},
                }
                for row in b.rows
            ],
            "total": {c: report.shown("terms", b.measure, c) for c in columns},
        }

    return {
        "shape": SHAPE,
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
                **counts(term.name),
            }
            for term, _ in report.terms
        ],
        "year_total": counts(YEAR),
        "unreadable": report.unreadable,
        "notes": list(report.notes),
        "suppressed": {"threshold": THRESHOLD, "shown_as": None, "note": SUPPRESSION_NOTE},
        **{b.key: breakdown(b) for b in report.breakdowns},
        "repeat": {item.name: report.shown("repeat", item.name) for item in fields(Repeat)},
        "times": {
            t.key: {
                "incidents": report.shown("times", t.key),
                "median_minutes": report.shown_median(t),
            }
            for t in report.times
        },
    }


def figure(value: int | None) -> str:
    """A published count as text: the number, or the hidden mark."""
    return HIDDEN if value is None else str(value)


def duration_words(minutes: int | None) -> str:
    """Minutes as a governor reads them: ``45 min``, ``3 h 10 min``, ``2 days 4 h``."""
    if minutes is None:
        return HIDDEN
    if minutes < 60:
        return f"{minutes} min"
    hours, mins = divmod(minutes, 60)
    if hours < 24:
        return f"{hours} h {mins} min" if mins else f"{hours} h"
    days, hours = divmod(hours, 24)
    unit = "day" if days == 1 else "days"
    return f"{days} {unit} {hours} h" if hours else f"{days} {unit}"


def timing_words(report: GovernorsReport, timing: Timing) -> str:
    """``3 h 10 min (over 7 incidents)``; hidden over fewer than 3 (the count is too)."""
    if not timing.minutes:
        return "none recorded"
    n = report.shown("times", timing.key)
    if n is None:
        return f"{HIDDEN} (over fewer than {THRESHOLD} incidents)"
    return f"{duration_words(report.shown_median(timing))} (over {n} incidents)"


def governors_document(report: GovernorsReport) -> Document:
    columns = _columns(report)
    headers = ("", *(t.label for t, _ in report.terms), f"Year {report.year.label}")
    rows = tuple(
        (label, *(figure(report.shown("terms", key, c)) for c in columns)) for key, label in LABELS
    )
    blocks: list[Block] = [
        Paragraph(
            f"Incidents of youth-produced sexual imagery (sharing nudes and semi-nudes) recorded "
            f"by the Designated Safeguarding Lead in the school year {report.year.label} "
            f"({format_local_date(report.year.start)} to {format_local_date(report.year.end)}). "
            "Figures only: no young person, member of staff or incident is identified."
        ),
        Paragraph(SUPPRESSION_NOTE, "strong"),
        Heading("By term", 2),
        Chart(
            "Incidents in each term",
            tuple(
                Bar(term.label, report.shown("terms", "incidents", term.name))
                for term, _ in report.terms
            ),
        ),
        Table(headers, rows, (3, 1, 1, 1, 1)),
        Heading("Referred or handled in school", 2),
        Chart(
            f"Incidents in {report.year.label}, by the current decision",
            tuple(
                Bar(label, report.shown("terms", key, YEAR))
                for key, label in LABELS
                if key in ("referred", "in_school", "undecided")
            ),
        ),
    ]
    for b in report.breakdowns:
        blocks += [
            Heading(b.title, 2),
            Chart(
                f"{b.counts.capitalize()} in {report.year.label}",
                tuple(Bar(row.label, report.shown(b.key, row.id, YEAR)) for row in b.rows),
            ),
            Table(
                (b.counts.capitalize(), *headers[1:]),
                (
                    *(
                        (row.label, *(figure(report.shown(b.key, row.id, c)) for c in columns))
                        for row in b.rows
                    ),
                    ("Total", *(figure(report.shown("terms", b.measure, c)) for c in columns)),
                ),
                (3, 1, 1, 1, 1),
            ),
        ]
    blocks += [
        Heading("Repeat involvement", 2),
        Fields(tuple((label, figure(report.shown("repeat", key))) for key, label in REPEAT_LABELS)),
        Heading("Times (medians)", 2),
        Fields(tuple((t.label, timing_words(report, t)) for t in report.times)),
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
