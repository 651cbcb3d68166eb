"""How old a young person was on a given day, from what the school knows.

Ages decide trigger 4, so they are computed, not typed. A date of birth
gives an exact age. A year group alone gives a range: in England a pupil in
Year N is N+4 on 1 September and turns N+5 during the school year, so the
answer is "probably N+4 or N+5" and says so.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from ydsi_tui.model.timeparse import format_local_date


@dataclass(frozen=True)
class AgeRange:
    """The youngest and oldest the pupil can have been, and how we know."""

    low: int
    high: int
    exact: bool
    basis: str

    def describe(self) -> str:
        if self.exact:
            return f"{self.low} ({self.basis})"
        return f"probably {self.low} or {self.high} ({self.basis})"


def age_on(dob: date, on: date) -> int:
    """Age in whole years on `on`; someone born on 29 February turns a year older on 1 March."""
    return on.year - dob.year - ((on.month, on.day) < (dob.month, dob.day))


def age_range(dob: date | None, year_group: int | None, on: date) -> AgeRange | None:
    """The age on `on`, from a date of birth if known, else from the year group."""
    if dob is not None:
        return AgeRange(
            age_on(dob, on), age_on(dob, on), True, f"date of birth {format_local_date(dob)}"
        )
    if year_group is not None:
        return AgeRange(year_group + 4, year_group + 5, False, f"Year {year_group}")
    return None
