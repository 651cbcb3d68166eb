"""The school calendar, as far as the records need it: school days, terms, school years.

Three simplifications, each written down here because a report depends on it:

* **School days are Monday to Friday, less England and Wales bank holidays**
  (:mod:`ydsi_tui.model.bankholidays`, a table from GOV.UK for 2024 to 2030;
  outside those years no bank holiday is known), and, where a DSL has
  approved the school's own calendar (:class:`SchoolCalendar`, a signed
  vault setting: ``ydsi calendar set``), only days inside its terms and not
  its INSET days. Outside the span its terms cover, the weekday rule alone
  applies; a deadline counted there may fall earlier than the school's own
  calendar would put it, which errs towards flagging early rather than late.
* **The school year runs from 1 September to 31 August**, labelled
  ``2025-26``.
* **Terms** are autumn (1 September to 31 December), spring (1 January to
  Easter Sunday) and summer (Easter Monday to 31 August). Easter is computed
  (``dateutil.easter``, the Gregorian computus), so the spring term moves with it as schools' do;
  the Easter holiday itself is split between spring and summer at Easter Day.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from dateutil.easter import EASTER_WESTERN, easter

from ydsi_tui.model.bankholidays import is_bank_holiday
from ydsi_tui.model.errors import ValidationError
from ydsi_tui.model.timeparse import LONDON, to_local, to_utc

__all__ = [
    "TERMS",
    "SchoolCalendar",
    "SchoolYear",
    "Term",
    "add_school_days",
    "easter_sunday",
    "is_school_day",
    "parse_school_year",
    "school_year_of",
    "term_of",
]

TERMS = ("autumn", "spring", "summer")
_YEAR = re.compile(r"^\s*(\d{4})\s*(?:[-/]\s*(\d{2}|\d{4}))?\s*$")


#: Bounds on an approved calendar: a few years of terms, generously.
MAX_TERMS = 60
MAX_INSET = 200


@dataclass(frozen=True)
class SchoolCalendar:
    """The school's own term dates and INSET days, as a DSL approved them.

    ``terms`` are (first day, last day) inclusive, in order, not overlapping;
    half terms are simply the gaps between them. Within the span from the
    first term's start to the last term's end, a school day is a weekday in
    a term that is neither a bank holiday nor an INSET day; outside it, the
    calendar says nothing and the weekday rule stands.
    """

    terms: tuple[tuple[date, date], ...]
    inset: tuple[date, ...] = ()

    def covers(self, day: date) -> bool:
        return bool(self.terms) and self.terms[0][0] <= day <= self.terms[-1][1]

    def open_on(self, day: date) -> bool:
        """Within the span: inside a term and not an INSET day."""
        if day in self.inset:
            return False
        return any(first <= day <= last for first, last in self.terms)

    def to_doc(self) -> dict[str, list[Any]]:
        return {
            "terms": [[a.isoformat(), b.isoformat()] for a, b in self.terms],
            "inset": [d.isoformat() for d in self.inset],
        }

    @classmethod
    def from_doc(cls, doc: Mapping[str, Any]) -> SchoolCalendar:
        """Parse and check a calendar (a TOML file's, or the vault's); ValidationError says why."""
        unknown = set(doc) - {"terms", "inset"}
        if unknown:
            raise ValidationError(
                "calendar", f"unknown calendar key(s): {', '.join(sorted(unknown))}"
            )
        terms_raw, inset_raw = doc.get("terms", []), doc.get("inset", [])
        if not isinstance(terms_raw, list) or not isinstance(inset_raw, list):
            raise ValidationError("calendar", "terms and inset are lists")
        if not terms_raw:
            raise ValidationError("calendar", "a calendar needs at least one term")
        if len(terms_raw) > MAX_TERMS or len(inset_raw) > MAX_INSET:
            raise ValidationError(
                "calendar", f"at most {MAX_TERMS} terms and {MAX_INSET} INSET days"
            )
        terms: list[tuple[date, date]] = []
        for item in terms_raw:
            if not isinstance(item, list) or len(item) != 2:
                raise ValidationError("calendar", f"a term is [first day, last day], not {item!r}")
            first, last = _calendar_day(item[0]), _calendar_day(item[1])
            if last < first:
                raise ValidationError(
                    "calendar", f"the term {first} to {last} ends before it starts"
                )
            if terms and first <= terms[-1][1]:
                raise ValidationError(
                    "calendar",
                    f"the term from {first} starts before the one before it ends: list terms "
                    "in order, without overlap",
                )
            terms.append((first, last))
        inset = sorted({_calendar_day(d) for d in inset_raw})
        for day in inset:
            if not any(a <= day <= b for a, b in terms):
                raise ValidationError("calendar", f"the INSET day {day} is in no term")
        return cls(tuple(terms), tuple(inset))


def _calendar_day(value: object) -> date:
    if isinstance(value, date) and not isinstance(value, datetime):
        return value
    if isinstance(value, str):
        try:
            return date.fromisoformat(value.strip())
        except ValueError:
            pass
    raise ValidationError("calendar", f"{value!r} is not a date (write 2026-09-03)")


def is_school_day(day: date, calendar: SchoolCalendar | None = None) -> bool:
    """Monday to Friday, not a bank holiday, and open in the school's calendar where it has one."""
    if day.weekday() >= 5 or is_bank_holiday(day):
        return False
    return calendar is None or not calendar.covers(day) or calendar.open_on(day)


def add_school_days(start: datetime, days: int, calendar: SchoolCalendar | None = None) -> datetime:
    """The same UK wall-clock time, ``days`` school days after ``start``.

    Sent on Monday at 10:00, five school days later is the next Monday at
    10:00; sent on a Saturday, it is the following Friday; a bank holiday on
    the way adds a day. The result is always a weekday, so it never lands
    in a clock change's missing hour (those happen on Sundays).
    """
    if days < 0:
        raise ValueError("days must not be negative")
    local = to_local(start)
    day = local.date()
    counted = 0
    while counted < days:
        day += timedelta(days=1)
        if is_school_day(day, calendar):
            counted += 1
    wall = datetime.combine(day, local.time().replace(tzinfo=None))
    return to_utc(wall.replace(tzinfo=LONDON))


def easter_sunday(year: int) -> date:
    """Easter Day in the Gregorian calendar (the Western churches' date)."""
    return easter(year, EASTER_WESTERN)


@dataclass(frozen=True)
class Term:
    """One term: its name and its first and last days (inclusive)."""

    name: str
    start: date
    end: date

    def __contains__(self, day: object) -> bool:
        return isinstance(day, date) and self.start <= day <= self.end

    @property
    def label(self) -> str:
        return f"{self.name.capitalize()} term"


@dataclass(frozen=True)
class SchoolYear:
    """A school year, 1 September to 31 August; ``start_year`` is the September's year."""

    start_year: int

    @property
    def label(self) -> str:
        return f"{self.start_year}-{(self.start_year + 1) % 100:02d}"

    @property
    def start(self) -> date:
        return date(self.start_year, 9, 1)

    @property
    def end(self) -> date:
        return date(self.start_year + 1, 8, 31)

    def __contains__(self, day: object) -> bool:
        return isinstance(day, date) and self.start <= day <= self.end

    @property
    def terms(self) -> tuple[Term, Term, Term]:
        easter = easter_sunday(self.start_year + 1)
        return (
            Term("autumn", self.start, date(self.start_year, 12, 31)),
            Term("spring", date(self.start_year + 1, 1, 1), easter),
            Term("summer", easter + timedelta(days=1), self.end),
        )


def school_year_of(day: date) -> SchoolYear:
    """The school year a UK date falls in."""
    return SchoolYear(day.year if day.month >= 9 else day.year - 1)


def term_of(day: date) -> Term:
    """The term a UK date falls in (every day of the year is in one; see the module note)."""
    for term in school_year_of(day).terms:
        if day in term:
            return term
    raise AssertionError("the three terms cover the whole school year")  # pragma: no cover


def parse_school_year(text: str) -> SchoolYear:
    """``2025-26``, ``2025/26``, ``2025-2026`` or ``2025`` (the September's year)."""
    match = _YEAR.match(text or "")
    if match is None:
        raise ValidationError("year", f"{text[:20]!r} is not a school year such as 2025-26.")
    start = int(match.group(1))
    if match.group(2) is not None:
        second = int(match.group(2))
        expected = start + 1 if len(match.group(2)) == 4 else (start + 1) % 100
        if second != expected:
            raise ValidationError(
                "year",
                "A school year runs from one September to the next, "
                f"e.g. {start}-{(start + 1) % 100:02d}.",
            )
    if not 1900 <= start <= 2200:
        raise ValidationError("year", "That school year is out of range.")
    return SchoolYear(start)
