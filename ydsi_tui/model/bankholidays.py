"""England and Wales bank holidays, 2024 to 2030: a table shipped with the program.

Source: GOV.UK, "UK bank holidays" (https://www.gov.uk/bank-holidays), the
``england-and-wales`` division. The years GOV.UK had published when this table
was written (2024 to 2027) are copied from it; 2028 to 2030 follow the same
rules (the Banking and Financial Dealings Act 1971 and the usual royal
proclamation: New Year's Day, Good Friday, Easter Monday, the first and last
Mondays of May, the last Monday of August, Christmas Day and Boxing Day, a day
falling at a weekend moved to the next weekday) and must be checked against
GOV.UK when it publishes them, since a one-off holiday (a coronation, a
jubilee) is announced only a year or so ahead. ``tests/model/test_bank_holidays.py``
checks every year against those rules and against ``dateutil.easter``.

Why a table and not the ``holidays`` package: it requires an older
python-dateutil than ours, and a table that names its source is easy for a
school to check. Scotland and Northern Ireland have other bank holidays; the
procedure this program follows is the English one.

Outside the table's years the program knows no bank holidays (school days
are then Monday to Friday, as :mod:`ydsi_tui.model.schoolyear` says).
"""

from __future__ import annotations

from datetime import date

__all__ = ["FIRST_YEAR", "LAST_YEAR", "SOURCE", "bank_holidays", "is_bank_holiday", "known"]

SOURCE = "GOV.UK bank holidays, England and Wales (https://www.gov.uk/bank-holidays)"

#: (date, name) for each bank holiday; substitute days say so in their names.
_TABLE: tuple[tuple[date, str], ...] = (
    (date(2024, 1, 1), "New Year's Day"),
    (date(2024, 3, 29), "Good Friday"),
    (date(2024, 4, 1), "Easter Monday"),
    (date(2024, 5, 6), "Early May bank holiday"),
    (date(2024, 5, 27), "Spring bank holiday"),
    (date(2024, 8, 26), "Summer bank holiday"),
    (date(2024, 12, 25), "Christmas Day"),
    (date(2024, 12, 26), "Boxing Day"),
    (date(2025, 1, 1), "New Year's Day"),
    (date(2025, 4, 18), "Good Friday"),
    (date(2025, 4, 21), "Easter Monday"),
    (date(2025, 5, 5), "Early May bank holiday"),
    (date(2025, 5, 26), "Spring bank holiday"),
    (date(2025, 8, 25), "Summer bank holiday"),
    (date(2025, 12, 25), "Christmas Day"),
    (date(2025, 12, 26), "Boxing Day"),
    (date(2026, 1, 1), "New Year's Day"),
    (date(2026, 4, 3), "Good Friday"),
    (date(2026, 4, 6), "Easter Monday"),
    (date(2026, 5, 4), "Early May bank holiday"),
    (date(2026, 5, 25), "Spring bank holiday"),
    (date(2026, 8, 31), "Summer bank holiday"),
    (date(2026, 12, 25), "Christmas Day"),
    (date(2026, 12, 28), "Boxing Day (substitute day)"),
    (date(2027, 1, 1), "New Year's Day"),
    (date(2027, 3, 26), "Good Friday"),
    (date(2027, 3, 29), "Easter Monday"),
    (date(2027, 5, 3), "Early May bank holiday"),
    (date(2027, 5, 31), "Spring bank holiday"),
    (date(2027, 8, 30), "Summer bank holiday"),
    (date(2027, 12, 27), "Christmas Day (substitute day)"),
    (date(2027, 12, 28), "Boxing Day (substitute day)"),
    (date(2028, 1, 3), "New Year's Day (substitute day)"),
    (date(2028, 4, 14), "Good Friday"),
    (date(2028, 4, 17), "Easter Monday"),
    (date(2028, 5, 1), "Early May bank holiday"),
    (date(2028, 5, 29), "Spring bank holiday"),
    (date(2028, 8, 28), "Summer bank holiday"),
    (date(2028, 12, 25), "Christmas Day"),
    (date(2028, 12, 26), "Boxing Day"),
    (date(2029, 1, 1), "New Year's Day"),
    (date(2029, 3, 30), "Good Friday"),
    (date(2029, 4, 2), "Easter Monday"),
    (date(2029, 5, 7), "Early May bank holiday"),
    (date(2029, 5, 28), "Spring bank holiday"),
    (date(2029, 8, 27), "Summer bank holiday"),
    (date(2029, 12, 25), "Christmas Day"),
    (date(2029, 12, 26), "Boxing Day"),
    (date(2030, 1, 1), "New Year's Day"),
    (date(2030, 4, 19), "Good Friday"),
    (date(2030, 4, 22), "Easter Monday"),
    (date(2030, 5, 6), "Early May bank holiday"),
    (date(2030, 5, 27), "Spring bank holiday"),
    (date(2030, 8, 26), "Summer bank holiday"),
    (date(2030, 12, 25), "Christmas Day"),
    (date(2030, 12, 26), "Boxing Day"),
)

_BY_DATE: dict[date, str] = dict(_TABLE)
FIRST_YEAR = min(day.year for day, _ in _TABLE)
LAST_YEAR = max(day.year for day, _ in _TABLE)


def known(year: int) -> bool:
    """Whether the table covers ``year`` (outside it, no bank holiday is known)."""
    return FIRST_YEAR <= year <= LAST_YEAR


def is_bank_holiday(day: date) -> bool:
    return day in _BY_DATE


def bank_holidays(year: int) -> list[tuple[date, str]]:
    """The year's bank holidays in date order, with their names (empty if not known)."""
    return [(day, name) for day, name in _TABLE if day.year == year]
