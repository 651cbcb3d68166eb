"""How the pupil register reads on screen: ages, parts and repeat involvement, in words.

One place for the pupil list, the pupil's record and the People pane, so the
three say a child's age and part the same way (and the way ``ydsi pupil
list`` does): dates as the UK writes them, parts as the incident's flags say
them ("shared on"), and repeat involvement with a symbol *and* the word,
never colour alone.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date

from ..model.register import PART_WORDS
from ..model.timeparse import format_local_date

__all__ = ["REPEAT", "born_words", "count_words", "incidents_words", "parts_words"]

#: The mark of a child seen in more than one incident (``@`` on the Linux console).
REPEAT = "↺"


def born_words(dob: date | None, year_group: int | None) -> str:
    """ "born 14/03/2010", else "Year 10", else "age not known"."""
    if dob is not None:
        return f"born {format_local_date(dob)}"
    return f"Year {year_group}" if year_group is not None else "age not known"


def parts_words(parts: Iterable[str]) -> str:
    """ "pictured, shared on": each part once, in the order given."""
    return ", ".join(dict.fromkeys(PART_WORDS.get(p, p) for p in parts)) or "part not recorded"


def count_words(count: int) -> str:
    """ "1", or "2 ↺ repeat": the count, and the flag in a symbol and a word."""
    return f"{count} {REPEAT} repeat" if count > 1 else str(count)


def incidents_words(count: int) -> str:
    """ "no incident", "1 incident", "3 incidents ↺ repeat": a record's incidents in words."""
    if count == 0:
        return "no incident"
    if count == 1:
        return "1 incident"
    return f"{count} incidents {REPEAT} repeat"
