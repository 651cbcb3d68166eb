"""Times as a school in England types and reads them.

Records are kept in UTC so that they sort and compare without surprises, and
shown in UK time with the zone named (GMT or BST) so that a reader years
later never has to guess which hour was meant. Entry is day first, as people
in the UK write dates; the two hours a year that are missing or doubled when
the clocks change are refused unless the person says which zone they meant,
because a safeguarding record must not quietly move an event by an hour.
"""

from __future__ import annotations

import calendar
import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta, timezone, tzinfo
from typing import Literal

from dateutil import tz

from ydsi_tui.model.errors import ValidationError


def _london() -> tzinfo:
    zone = tz.gettz("Europe/London")
    if zone is None:  # pragma: no cover - tzdata is a dependency of dateutil
        raise RuntimeError("The Europe/London time zone is not available")
    return zone


#: The school's time zone.
LONDON: tzinfo = _london()

#: How far ahead of `now` an event time may be: clocks on different machines
#: disagree by a little, and someone typing "now" takes a moment.
FUTURE_TOLERANCE = timedelta(minutes=2)

#: Longest text worth trying to read as a time; anything longer is not one.
MAX_TIME_TEXT = 80

#: Earliest year accepted anywhere: older dates are typing mistakes.
MIN_YEAR = 1900

_WEEKDAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
_WEEKDAY_NAMES = {
    "monday": 0, "mon": 0, "tuesday": 1, "tue": 1, "tues": 1, "wednesday": 2, "wed": 2,
    "thursday": 3, "thu": 3, "thur": 3, "thurs": 3, "friday": 4, "fri": 4,
    "saturday": 5, "sat": 5, "sunday": 6, "sun": 6,
}  # fmt: skip
_MONTH_WORD = re.compile(r"\b(jan|feb|mar|apr|may|jun|jul|aug|sep|sept|oct|nov|dec)[a-z]*\b")
_ZONE_SUFFIX = re.compile(r"^(?P<rest>.*?)\s*\b(?P<zone>bst|gmt)$")
_ISO = re.compile(
    r"^[0-9]{4}-[0-9]{2}-[0-9]{2}"
    r"(?:[t ][0-9]{2}:[0-9]{2}(?::[0-9]{2}(?:\.[0-9]{1,6})?)?)?"
    r"(?:z|[+-][0-9]{2}:?[0-9]{2})?$"
)
_ISO_DATE = re.compile(r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$")
_TIME_AT_END = re.compile(
    r"^(?P<rest>.*?)\s*(?:\bat\s+)?"
    r"(?:(?P<word>noon|midday)"
    r"|(?P<h>[0-9]{1,2})(?:[:.](?P<m>[0-9]{2})(?::(?P<s>[0-9]{2}))?)?\s*"
    r"(?P<ampm>am|pm|a\.m\.|p\.m\.)?)$"
)
_NUMERIC_DATE = re.compile(
    r"^(?P<d>[0-9]{1,2})[/.\-](?P<m>[0-9]{1,2})(?:[/.\-](?P<y>[0-9]{4}|[0-9]{2}))?$"
)
_RELATIVE = re.compile(
    r"^\+\s*(?P<n>[0-9]{1,4})\s*(?P<unit>m|mins?|minutes?|h|hrs?|hours?|d|days?|w|wks?|weeks?)$"
)
_OFFSET = re.compile(r"^([+-])([0-9]{2}):([0-9]{2})$")

_EXAMPLES_WHEN = "for example 'now', '10:30', 'yesterday 3pm' or '14/11 10:30'"
_EXAMPLES_DEADLINE = "for example '+2d', '+48h', 'tomorrow 3pm', 'friday' or '14/11/2026 15:00'"

Direction = Literal["past", "future"]


@dataclass(frozen=True)
class _DateSpec:
    """A date as typed, before the year (if missing) is settled."""

    day: int
    month: int
    year: int | None
    two_digit_year: bool = False
    weekday: int | None = None


@dataclass(frozen=True)
class _Parsed:
    """What the text said, before it is placed on the calendar."""

    date_word: str | None  # today | yesterday | tomorrow | weekday:N | None
    date: _DateSpec | None
    clock: time | None
    zone: str | None  # "BST" | "GMT"


# ---------------------------------------------------------------- formatting


def _require_aware(dt: datetime, name: str = "dt") -> None:
    if dt.tzinfo is None or dt.utcoffset() is None:
        raise ValueError(f"{name} must be timezone-aware, got naive {dt!r}")


def to_utc(dt: datetime) -> datetime:
    """The same instant in UTC (the only zone the record stores)."""
    _require_aware(dt)
    return dt.astimezone(UTC)


def to_local(dt: datetime) -> datetime:
    """The same instant on a UK clock."""
    _require_aware(dt)
    return dt.astimezone(LONDON)


def format_local(dt: datetime) -> str:
    """Full UK time with weekday and zone, e.g. ``Sat 14/11/2026 10:30 GMT``.

    The zone is always written because 01:30 happens twice on the last Sunday
    of October, and a record read in winter should not be taken for winter time.
    """
    local = to_local(dt)
    return f"{_WEEKDAYS[local.weekday()]} {local:%d/%m/%Y %H:%M} {local.tzname()}"


def format_local_short(dt: datetime, *, now: datetime | None = None) -> str:
    """Compact UK time for tables, e.g. ``14/11 10:30``.

    Given `now`, a time from another year shows its year (``14/11/2025 10:30``)
    so that an old record in a long list is not mistaken for this year's.
    """
    local = to_local(dt)
    if now is not None and to_local(now).year != local.year:
        return f"{local:%d/%m/%Y %H:%M}"
    return f"{local:%d/%m %H:%M}"


def format_local_date(day: date) -> str:
    """A calendar date the UK way, e.g. ``14/11/2009``."""
    return f"{day:%d/%m/%Y}"


def local_offset(dt: datetime) -> str:
    """The UK clock's offset from UTC at `dt`, e.g. ``+01:00`` in summer."""
    offset = to_local(dt).utcoffset() or timedelta(0)
    sign = "-" if offset < timedelta(0) else "+"
    minutes = abs(int(offset.total_seconds())) // 60
    return f"{sign}{minutes // 60:02d}:{minutes % 60:02d}"


def is_offset(text: str) -> bool:
    """True if `text` is an offset as `local_offset` writes it."""
    match = _OFFSET.match(text) if isinstance(text, str) else None
    if match is None:
        return False
    return int(match.group(2)) <= 23 and int(match.group(3)) <= 59


def to_iso_utc(dt: datetime) -> str:
    """ISO 8601 in UTC with a ``Z``: the stored form of every time.

    Microseconds are kept when present so that `from_iso` gives back exactly
    the instant that was stored.
    """
    utc = to_utc(dt)
    if utc.microsecond:
        return utc.strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    return utc.strftime("%Y-%m-%dT%H:%M:%SZ")


def from_iso(text: str, field: str = "time") -> datetime:
    """Read a stored time back as an aware UTC datetime.

    Only times that say their offset are accepted: a stored time without one
    could be read an hour out, and a record must not be silently ambiguous.
    """
    if not isinstance(text, str) or len(text) > 40 or not _ISO.match(text.lower()):
        raise ValidationError(
            field, f"{_shown(text)} is not a stored time such as 2026-11-14T10:30:00Z."
        )
    if _ISO_DATE.match(text) or not (text[-1] in "zZ" or "+" in text[10:] or "-" in text[10:]):
        raise ValidationError(
            field, f"{_shown(text)} has no time zone; stored times end in Z or an offset."
        )
    try:
        # The standard library reads every form we store (and is far quicker
        # than dateutil: listing 10,000 incidents reads tens of thousands of
        # times); dateutil is the fallback for any other ISO form accepted above.
        try:
            parsed = datetime.fromisoformat(text.upper())
        except ValueError:
            from dateutil import parser as dateutil_parser  # see _parse_iso_input

            parsed = dateutil_parser.isoparse(text.upper())
        return parsed.astimezone(UTC)
    except (ValueError, OverflowError) as exc:
        raise ValidationError(field, f"{_shown(text)} is not a real time ({exc}).") from None


def date_to_iso(day: date) -> str:
    """The stored form of a calendar date (``2009-11-14``)."""
    return day.isoformat()


def date_from_iso(text: str, field: str = "date") -> date:
    """Read a stored calendar date."""
    if not isinstance(text, str) or not _ISO_DATE.match(text):
        raise ValidationError(field, f"{_shown(text)} is not a stored date such as 2009-11-14.")
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise ValidationError(field, f"{_shown(text)} is not a real date.") from None


# ------------------------------------------------------------------- parsing


def parse_when(text: str, *, now: datetime, field: str = "when") -> datetime:
    """When something happened, as typed by a DSL; returns aware UTC.

    A time alone means today; a date without a year means the most recent
    such date; a date without a time is refused, because "14/11" would
    otherwise be recorded as midnight, which is almost never true.
    """
    _require_aware(now, "now")
    cleaned = _clean(text, field, _EXAMPLES_WHEN)
    if cleaned == "now":
        return to_utc(now)
    result = _parse_iso_or_words(text, cleaned, now=now, field=field, direction="past")
    if result is None:
        raise ValidationError(
            field,
            f"{_shown(text)} is a date without a time. Add the time it happened, "
            f"for example '{text.strip()} 10:30'; if nobody knows, give your best "
            "estimate and say so in a note.",
        )
    if result > to_utc(now) + FUTURE_TOLERANCE:
        raise ValidationError(
            field,
            f"{_shown(text)} is {format_local(result)}, which is in the future. Type when it "
            f"happened, {_EXAMPLES_WHEN}.",
        )
    return result


def parse_deadline(text: str, *, now: datetime, field: str = "deadline") -> datetime:
    """A deadline, which must lie in the future; returns aware UTC.

    A date alone means the end of that day (23:59 UK time), which is what
    people mean by "by Friday". Relative forms count from `now`.
    """
    _require_aware(now, "now")
    cleaned = _clean(text, field, _EXAMPLES_DEADLINE)
    relative = _RELATIVE.match(cleaned)
    if relative:
        amount = int(relative.group("n"))
        unit = relative.group("unit")[0]
        delta = {
            "m": timedelta(minutes=amount),
            "h": timedelta(hours=amount),
            "d": timedelta(days=amount),
            "w": timedelta(weeks=amount),
        }[unit]
        if amount == 0 or delta > timedelta(days=366):
            raise ValidationError(
                field, f"{_shown(text)} must be between a minute and a year ahead."
            )
        return to_utc(now) + delta
    result = _parse_iso_or_words(text, cleaned, now=now, field=field, direction="future")
    if result is None:
        result = _end_of_day_deadline(text, cleaned, now=now, field=field)
    if result <= to_utc(now):
        raise ValidationError(
            field,
            f"{_shown(text)} is {format_local(result)}, which has already passed. "
            f"A deadline must be in the future, {_EXAMPLES_DEADLINE}.",
        )
    return result


def parse_date(text: str, *, now: datetime, field: str = "date", allow_future: bool = True) -> date:
    """A calendar date with its year written in full (``14/11/2009``, ``2009-11-14``).

    Two-digit years are refused: for a date of birth "09" could be 1909 or
    2009, and guessing wrong changes whether a referral trigger applies.
    """
    _require_aware(now, "now")
    examples = "for example '14/11/2009' or '14 November 2009'"
    cleaned = _clean(text, field, examples)
    today = to_local(now).date()
    words = {"today": 0, "yesterday": -1, "tomorrow": 1}
    if cleaned in words:
        day = today + timedelta(days=words[cleaned])
    elif _ISO_DATE.match(cleaned):
        day = _checked_date(text, field, int(cleaned[:4]), int(cleaned[5:7]), int(cleaned[8:]))
    else:
        spec = _read_date(text, cleaned, field)
        if spec is None:
            raise ValidationError(
                field, f"{_shown(text)} is not a date this program can read; type one {examples}."
            )
        if spec.year is None or spec.two_digit_year:
            raise ValidationError(
                field,
                f"{_shown(text)} needs the year in full (four digits), {examples}.",
            )
        day = _checked_date(text, field, spec.year, spec.month, spec.day, spec.weekday)
    if not allow_future and day > today:
        raise ValidationError(
            field, f"{_shown(text)} is {format_local_date(day)}, which is in the future."
        )
    return day


def parse_dob(text: str, *, now: datetime, field: str = "dob") -> date:
    """A pupil's date of birth: a full date, in the past, of someone of school age.

    Ages decide referral triggers, so an implausible date (a typo in the year)
    is refused rather than stored.
    """
    day = parse_date(text, now=now, field=field, allow_future=False)
    check_dob(day, now=now, field=field, shown=text)
    return day


def check_dob(day: date, *, now: datetime, field: str = "dob", shown: str | None = None) -> None:
    """Refuse a date of birth that cannot belong to a pupil (age 2 to 25)."""
    today = to_local(now).date()
    age = today.year - day.year - ((today.month, today.day) < (day.month, day.day))
    label = _shown(shown) if shown is not None else format_local_date(day)
    if day > today:
        raise ValidationError(field, f"{label} is in the future; type the date of birth.")
    if not 2 <= age <= 25:
        raise ValidationError(
            field,
            f"{label} would make the pupil {age} years old. Check the year; "
            "if the date of birth is not known, give the year group instead.",
        )


# ---------------------------------------------------------------- internals


def _shown(text: object) -> str:
    """How a typed value is quoted back in a message: short, on one line."""
    if not isinstance(text, str):
        return "This"
    flat = " ".join(text.split())
    if len(flat) > 40:
        flat = flat[:37] + "..."
    return f"'{flat}'"


def _clean(text: str, field: str, examples: str) -> str:
    """A lower-cased, single-spaced copy used only for reading the time."""
    if not isinstance(text, str) or not text.strip():
        raise ValidationError(field, f"Type a time, {examples}.")
    if len(text) > MAX_TIME_TEXT:
        raise ValidationError(field, f"That is too long to be a time; type one {examples}.")
    return " ".join(text.lower().split())


def _parse_iso_or_words(
    text: str, cleaned: str, *, now: datetime, field: str, direction: Direction
) -> datetime | None:
    """Read a date and time; None when a date was given without a time."""
    examples = _EXAMPLES_WHEN if direction == "past" else _EXAMPLES_DEADLINE
    zone: str | None = None
    suffix = _ZONE_SUFFIX.match(cleaned)
    if suffix:
        cleaned, zone = suffix.group("rest").strip(), suffix.group("zone").upper()
        if not cleaned:
            raise ValidationError(
                field, f"{_shown(text)} has a zone but no time; type one {examples}."
            )
    if _ISO.match(cleaned):
        return _parse_iso_input(text, cleaned, zone, field)
    parsed = _read_words(text, cleaned, zone, field, examples)
    if parsed.clock is None:
        return None
    day = _settle_day(text, parsed, now=now, field=field, direction=direction)
    return _localise(text, datetime.combine(day, parsed.clock), parsed.zone, field)


def _parse_iso_input(text: str, cleaned: str, zone: str | None, field: str) -> datetime | None:
    if _ISO_DATE.match(cleaned):
        _checked_date(text, field, int(cleaned[:4]), int(cleaned[5:7]), int(cleaned[8:10]))
        return None
    # dateutil's parser is imported when a person's typing first needs it: a launch
    # reads only stored times, which the standard library reads (11 ms saved).
    from dateutil import parser as dateutil_parser

    try:
        parsed = dateutil_parser.isoparse(cleaned.upper().replace(" ", "T"))
    except (ValueError, OverflowError):
        raise ValidationError(
            field, f"{_shown(text)} is not a real date and time; check the numbers."
        ) from None
    if parsed.year < MIN_YEAR:
        raise ValidationError(field, f"{_shown(text)} is too long ago; check the year.")
    if parsed.tzinfo is not None:
        if zone is not None:
            raise ValidationError(
                field, f"{_shown(text)} gives both an offset and {zone}; give only one."
            )
        try:
            return parsed.astimezone(UTC)
        except (ValueError, OverflowError):
            raise ValidationError(field, f"{_shown(text)} is out of range.") from None
    return _localise(text, parsed, zone, field)


def _read_words(text: str, cleaned: str, zone: str | None, field: str, examples: str) -> _Parsed:
    clock: time | None = None
    rest = cleaned
    match = _TIME_AT_END.match(cleaned)
    if match and (match.group("word") or match.group("m") or match.group("ampm")):
        rest = match.group("rest").strip()
        if not rest and not match.group("ampm") and "." in match.group(0):
            raise ValidationError(
                field,
                f"{_shown(text)} could be a date or a time. Write '14:11' for a time "
                "or '14/11' for a date.",
            )
        clock = _clock(text, match, field)
    rest = rest.removeprefix("on ").strip()
    if rest == "":
        if clock is None:
            raise ValidationError(
                field, f"{_shown(text)} is not a time this program can read; type one {examples}."
            )
        return _Parsed("today", None, clock, zone)
    if rest == "today":
        return _Parsed("today", None, clock, zone)
    if rest in ("yesterday", "tomorrow"):
        return _Parsed(rest, None, clock, zone)
    weekday = _WEEKDAY_NAMES.get(rest.removeprefix("last ").removeprefix("next "))
    if weekday is not None:
        return _Parsed(f"weekday:{weekday}", None, clock, zone)
    spec = _read_date(text, rest, field)
    if spec is None:
        raise ValidationError(
            field,
            f"{_shown(text)} is not a date or time this program can read; type one {examples}.",
        )
    return _Parsed(None, spec, clock, zone)


def _clock(text: str, match: re.Match[str], field: str) -> time:
    if match.group("word"):
        return time(12, 0)
    hour = int(match.group("h"))
    minute = int(match.group("m") or 0)
    second = int(match.group("s") or 0)
    ampm = match.group("ampm")
    if ampm:
        if not 1 <= hour <= 12:
            raise ValidationError(
                field, f"{_shown(text)}: with am or pm the hour is 1 to 12, for example '3pm'."
            )
        hour = hour % 12 + (12 if ampm.startswith("p") else 0)
    if hour > 23 or minute > 59 or second > 59:
        raise ValidationError(
            field, f"{_shown(text)} is not a time on the clock; use 00:00 to 23:59, e.g. '15:30'."
        )
    return time(hour, minute, second)


def _read_date(text: str, rest: str, field: str) -> _DateSpec | None:
    """Read the date part: ``14/11``, ``14/11/26``, ``sat 14 nov 2026`` and so on."""
    weekday: int | None = None
    head, _, tail = rest.partition(" ")
    if head.rstrip(",") in _WEEKDAY_NAMES and tail:
        weekday = _WEEKDAY_NAMES[head.rstrip(",")]
        rest = tail.strip()
    if _ISO_DATE.match(rest):
        return _DateSpec(int(rest[8:10]), int(rest[5:7]), int(rest[:4]), False, weekday)
    numeric = _NUMERIC_DATE.match(rest)
    if numeric:
        year_text = numeric.group("y")
        year = None if year_text is None else int(year_text)
        two_digit = year_text is not None and len(year_text) == 2
        if two_digit and year is not None:
            year += 2000
        return _DateSpec(int(numeric.group("d")), int(numeric.group("m")), year, two_digit, weekday)
    if not _MONTH_WORD.search(rest):
        return None
    return _read_month_name_date(text, rest, field, weekday)


def _read_month_name_date(
    text: str, rest: str, field: str, weekday: int | None
) -> _DateSpec | None:
    """Month-name dates go to dateutil, read twice with different defaults.

    Whatever dateutil filled in from the default differs between the two
    readings, which tells us exactly which parts (year, day, a stray time) the
    person actually typed.
    """
    # Naive on purpose: dateutil copies fields from the default, and a zone
    # there would hide whether the text named one. Both are leap years.
    from dateutil import parser as dateutil_parser  # see _parse_iso_input

    first_default = datetime(2000, 1, 1, 0, 0)  # noqa: DTZ001
    second_default = datetime(1996, 2, 2, 1, 1)  # noqa: DTZ001
    try:
        first = dateutil_parser.parse(rest, dayfirst=True, default=first_default)
        second = dateutil_parser.parse(rest, dayfirst=True, default=second_default)
    except (ValueError, OverflowError) as exc:
        if "out of range" in str(exc):
            raise ValidationError(
                field, f"{_shown(text)} is not a real date; check the day and month."
            ) from None
        return None
    if first.time() != time(0, 0) or second.time() != time(1, 1) or first.tzinfo or second.tzinfo:
        return None  # a time or zone hidden in the date part: too odd to trust
    if first.day != second.day or first.month != second.month:
        return None  # "November" alone is not a day
    year: int | None = first.year if first.year == second.year else None
    two_digit = year is not None and not re.search(r"\b[0-9]{4}\b", rest)
    if two_digit and year is not None:
        year = 2000 + year % 100
    return _DateSpec(first.day, first.month, year, two_digit, weekday)


def _checked_date(
    text: str, field: str, year: int, month: int, day: int, weekday: int | None = None
) -> date:
    if year < MIN_YEAR or year > 2999:
        raise ValidationError(field, f"{_shown(text)}: {year} cannot be right; check the year.")
    if not 1 <= month <= 12:
        raise ValidationError(
            field, f"{_shown(text)}: there is no month {month}. Dates are day first: 14/11/2026."
        )
    last = calendar.monthrange(year, month)[1]
    if not 1 <= day <= last:
        raise ValidationError(
            field,
            f"{_shown(text)} is not a real date: {calendar.month_name[month]} {year} "
            f"has {last} days.",
        )
    result = date(year, month, day)
    if weekday is not None and result.weekday() != weekday:
        raise ValidationError(
            field,
            f"{_shown(text)}: {format_local_date(result)} is a "
            f"{calendar.day_name[result.weekday()]}, not a {calendar.day_name[weekday]}. "
            "Check the date.",
        )
    return result


def _settle_day(
    text: str, parsed: _Parsed, *, now: datetime, field: str, direction: Direction
) -> date:
    """Turn what was typed into a calendar day, looking back for events and
    forward for deadlines."""
    today = to_local(now).date()
    step = -1 if direction == "past" else 1
    word = parsed.date_word
    if word == "today":
        return today
    if word in ("yesterday", "tomorrow"):
        if (word == "tomorrow") != (direction == "future"):
            raise ValidationError(
                field,
                f"{_shown(text)}: "
                + ("that has not happened yet." if direction == "past" else "that has passed."),
            )
        return today + timedelta(days=step)
    if word is not None and word.startswith("weekday:"):
        target = int(word.split(":")[1])
        if direction == "past":
            offset = (today.weekday() - target) % 7
        else:
            offset = (target - today.weekday()) % 7
        day = today + timedelta(days=step * offset)
        if direction == "future" and parsed.clock is not None:
            candidate = _localise(text, datetime.combine(day, parsed.clock), parsed.zone, field)
            if candidate <= to_utc(now):
                day += timedelta(days=7)
        return day
    spec = parsed.date
    if spec is None:  # pragma: no cover - _read_words always gives one or the other
        raise ValidationError(field, f"{_shown(text)} has no date.")
    if spec.year is not None:
        return _checked_date(text, field, spec.year, spec.month, spec.day, spec.weekday)
    return _nearest_year(text, spec, today=today, field=field, direction=direction)


def _ordinal(n: int) -> str:
    """1st, 2nd, 3rd, 4th ... 11th, 12th, 13th ... 21st, 31st."""
    suffix = "th" if 11 <= n % 100 <= 13 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return f"{n}{suffix}"


def _check_day_of_month(text: str, field: str, month: int, day: int) -> None:
    """A day and month with no year must exist in some year (29/02 in a leap one).

    Said without a year: the person gave none, so naming one (the leap year
    used for the check) would only confuse.
    """
    if not 1 <= month <= 12:
        raise ValidationError(
            field, f"{_shown(text)}: there is no month {month}. Dates are day first: 14/11/2026."
        )
    longest = max(calendar.monthrange(year, month)[1] for year in (2023, 2024))
    if not 1 <= day <= longest:
        what = (
            f"there is no day {day} in any month"
            if day < 1 or day > 31
            else (f"{calendar.month_name[month]} has no {_ordinal(day)}")
        )
        raise ValidationError(field, f"{_shown(text)}: {what}.")


def _nearest_year(
    text: str, spec: _DateSpec, *, today: date, field: str, direction: Direction
) -> date:
    """The most recent (or next) occurrence of a day and month; 29/02 waits for a leap year."""
    _check_day_of_month(text, field, spec.month, spec.day)  # a real day in some year
    step = -1 if direction == "past" else 1
    for year in range(today.year, today.year + step * 9, step):
        if spec.day > calendar.monthrange(year, spec.month)[1]:
            continue
        candidate = date(year, spec.month, spec.day)
        if (direction == "past" and candidate <= today) or (
            direction == "future" and candidate >= today
        ):
            return _checked_date(text, field, year, spec.month, spec.day, spec.weekday)
    raise ValidationError(field, f"{_shown(text)}: give the year as well.")  # pragma: no cover


def _localise(text: str, wall: datetime, zone: str | None, field: str) -> datetime:
    """A UK wall-clock time as an aware UTC instant, refusing the clock-change hours.

    An explicit BST or GMT settles the hour that happens twice (or never) when
    the clocks change; otherwise the person is asked to say which.
    """
    if wall.year < MIN_YEAR:
        raise ValidationError(field, f"{_shown(text)} is too long ago; check the year.")
    naive = wall.replace(tzinfo=None)
    local = naive.replace(tzinfo=LONDON)
    exists = tz.datetime_exists(local)
    ambiguous = exists and tz.datetime_ambiguous(local)
    shown_wall = f"{naive:%d/%m/%Y %H:%M}"
    if zone is not None:
        offset = timedelta(hours=1) if zone == "BST" else timedelta(0)
        instant = naive.replace(tzinfo=timezone(offset)).astimezone(UTC)
        actual = instant.astimezone(LONDON).tzname()
        if exists and not ambiguous and actual != zone:
            raise ValidationError(
                field,
                f"{_shown(text)}: at {shown_wall} UK clocks showed {actual}, not {zone}. "
                "Leave the zone off, or check the date.",
            )
        return instant
    if not exists:
        raise ValidationError(
            field,
            f"{_shown(text)}: {shown_wall} did not happen in the UK; the clocks went forward "
            f"an hour. Add GMT or BST to say which you mean, for example '{shown_wall} GMT'.",
        )
    if ambiguous:
        raise ValidationError(
            field,
            f"{_shown(text)}: {shown_wall} happened twice in the UK when the clocks went back. "
            f"Add BST for the first (summer time) or GMT for the second, for example "
            f"'{shown_wall} BST'.",
        )
    return local.astimezone(UTC)


def _end_of_day_deadline(text: str, cleaned: str, *, now: datetime, field: str) -> datetime:
    """A deadline given as a day: 23:59 UK time on that day."""
    parsed = _read_words(text, cleaned + " 23:59", None, field, _EXAMPLES_DEADLINE)
    day = _settle_day(text, parsed, now=now, field=field, direction="future")
    return _localise(text, datetime.combine(day, time(23, 59)), None, field)
