"""The shipped bank-holiday table, checked year by year, and the deadlines it moves.

The table is checked against the rules GOV.UK's dates follow, computed here
independently (Easter from ``dateutil.easter``, the Mondays and the weekend
substitutes by counting), and against dates known from GOV.UK for 2026 and
2027. A one-off holiday added by proclamation would fail these checks on
purpose: the table (and its tests) must then be updated together.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from dateutil.easter import easter

from ydsi_tui.model.bankholidays import (
    FIRST_YEAR,
    LAST_YEAR,
    SOURCE,
    bank_holidays,
    is_bank_holiday,
    known,
)
from ydsi_tui.model.schoolyear import add_school_days, easter_sunday, is_school_day
from ydsi_tui.model.timeparse import to_local

YEARS = range(2024, 2031)


def first_monday(year: int, month: int) -> date:
    day = date(year, month, 1)
    return day + timedelta(days=(0 - day.weekday()) % 7)


def last_monday(year: int, month: int) -> date:
    following = date(year + (month == 12), month % 12 + 1, 1)
    day = following - timedelta(days=1)
    return day - timedelta(days=day.weekday())


def next_weekday(day: date, taken: set[date]) -> date:
    while day.weekday() >= 5 or day in taken:
        day += timedelta(days=1)
    return day


def by_the_rules(year: int) -> set[date]:
    """The England and Wales holidays as the 1971 Act and custom set them."""
    sunday = easter(year)
    days = {
        next_weekday(date(year, 1, 1), set()),
        sunday - timedelta(days=2),
        sunday + timedelta(days=1),
        first_monday(year, 5),
        last_monday(year, 5),
        last_monday(year, 8),
    }
    christmas = next_weekday(date(year, 12, 25), set())
    boxing = next_weekday(date(year, 12, 26), {christmas})
    return days | {christmas, boxing}


@pytest.mark.parametrize("year", YEARS)
def test_the_table_for_each_year_follows_the_rules(year: int) -> None:
    table = bank_holidays(year)
    assert len(table) == 8
    assert {day for day, _ in table} == by_the_rules(year)
    assert all(day.weekday() < 5 for day, _ in table)  # a holiday is a day off work
    names = {name: day for day, name in table}
    sunday = easter(year)
    assert names["Good Friday"] == sunday - timedelta(days=2)
    assert names["Easter Monday"] == sunday + timedelta(days=1)
    assert easter_sunday(year) == sunday
    fixed = {"New Year's Day": (1, 1), "Christmas Day": (12, 25), "Boxing Day": (12, 26)}
    for day, name in table:
        base = name.removesuffix(" (substitute day)")
        if base in fixed:  # named a substitute exactly when it moved off its own date
            assert (name != base) == ((day.month, day.day) != fixed[base]), (day, name)
        else:
            assert name == base, (day, name)


def test_2026_and_2027_match_gov_uk() -> None:
    assert [day for day, _ in bank_holidays(2026)] == [
        date(2026, 1, 1), date(2026, 4, 3), date(2026, 4, 6), date(2026, 5, 4),
        date(2026, 5, 25), date(2026, 8, 31), date(2026, 12, 25), date(2026, 12, 28),
    ]  # fmt: skip
    assert [day for day, _ in bank_holidays(2027)] == [
        date(2027, 1, 1), date(2027, 3, 26), date(2027, 3, 29), date(2027, 5, 3),
        date(2027, 5, 31), date(2027, 8, 30), date(2027, 12, 27), date(2027, 12, 28),
    ]  # fmt: skip


def test_the_table_names_its_source_and_its_years() -> None:
    assert "GOV.UK" in SOURCE
    assert (FIRST_YEAR, LAST_YEAR) == (2024, 2030)
    assert known(2026) and not known(2031) and not known(2023)
    assert bank_holidays(2031) == []


def test_a_bank_holiday_is_not_a_school_day() -> None:
    assert is_bank_holiday(date(2026, 8, 31))
    assert not is_school_day(date(2026, 8, 31))  # a Monday
    assert is_school_day(date(2026, 9, 1))


def test_the_transfer_deadline_skips_good_friday_and_easter_monday() -> None:
    # Sent Thursday 2 April 2026 at 10:00 BST: Friday 3rd and Monday 6th are
    # bank holidays, so the fifth school day is Monday 13 April.
    sent = datetime(2026, 4, 2, 9, 0, tzinfo=UTC)
    due = add_school_days(sent, 5)
    assert to_local(due).strftime("%a %d/%m/%Y %H:%M") == "Mon 13/04/2026 10:00"


def test_the_transfer_deadline_skips_christmas_boxing_day_and_new_year() -> None:
    # Sent Wednesday 23 December 2026 at 10:00 GMT: 25th (Friday), the 28th
    # (Boxing Day's substitute) and 1 January 2027 are bank holidays.
    sent = datetime(2026, 12, 23, 10, 0, tzinfo=UTC)
    due = add_school_days(sent, 5)
    assert due == datetime(2027, 1, 4, 10, 0, tzinfo=UTC)
