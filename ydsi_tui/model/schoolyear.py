"""The school calendar, as far as the records need it: school days, terms, school years.

Three simplifications, each written down here because a report depends on it:

* **School days are Monday to Friday, less England and Wales bank holidays**
  (:mod:`ydsi_tui.model.bankholidays`, a table from GOV.UK for 2024 to 2030;
  outside those years no bank holiday is known). The school's own holidays
  and INSET days are not known to the program; a deadline counted in school
  days may therefore fall earlier than the school's own calendar would put
  it, which errs towards flagging a missing receipt early rather than late.
* **The school year runs from 1 September to 31 August**, labelled
  ``2025-26``.
* **Terms** are autumn (1 September to 31 December), spring (1 January to
  Easter Sunday) and summer (Easter Monday to 31 August). Easter is computed
  (``dateutil.easter``, the Gregorian computus), so the spring term moves with it as schools' do;
  the Easter holiday itself is split between spring and summer at Easter Day.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from dateutil.easter import EASTER_WESTERN, easter

from ydsi_tui.model.bankholidays import is_bank_holiday
from ydsi_tui.model.errors import ValidationError
from ydsi_tui.model.timeparse import LONDON, to_local, to_utc

__all__ = [
    "TERMS",
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


def is_school_day(day: date) -> bool:
    """Monday to Friday, not a bank holiday (see the module's note on holidays)."""
    return day.weekday() < 5 and not is_bank_holiday(day)


def add_school_days(start: datetime, days: int) -> datetime:
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
        if is_school_day(day):
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
