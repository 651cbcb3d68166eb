"""Is this the same young person? Names and birth dates compared, without guessing.

Adding a pupil to an incident offers the pupils the register already holds who
may be the same child, so that the same child is linked, not retyped. What
counts as "may be the same":

* **Names in any order**, case ignored: "Ben Okafor" is "okafor ben". Hyphens
  and spaces separate names ("Mary-Jane" is "Mary Jane"); apostrophes do not
  ("O'Brien" is "OBrien").
* **Accents ignored on Latin letters only**: "Zoë" is "Zoe", "Łukasz" is
  "Lukasz". A mark on a letter of another script is part of the letter
  (Russian "й" is not "и"), and a name in another script is matched as typed:
  "Сергей" is never "Sergei" (no transliteration: a guess at a romanisation
  would link the wrong child as often as the right one).
* **A typing slip**: one letter wrong, missing, extra or two swapped in a
  name of four letters or more (two in a name of nine or more), over the
  whole name at most two. Short names must match exactly: "Ava" and "Eva"
  are different girls.
* **A name left out**: "Ben Okafor" may be "Ben Tunde Okafor", when the birth
  dates agree or one is unknown.

The date of birth decides between children of one name: the same name with a
different date of birth, or born in a different school year (the year group
known instead of the date), is another child, and is shown as such rather
than offered for linking ("same name, different child"). A pupil with the
same date of birth who shares one name (a surname; "Tom" for "Thomas") is
offered too, marked as the weaker match it is.

Pure functions: the register's listing feeds them, the CLI and app show them.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date

from ydsi_tui.model.schoolyear import school_year_of

__all__ = [
    "EXACT",
    "LEFT_OUT",
    "NAME_AND_BIRTH",
    "TYPO",
    "Known",
    "Match",
    "birth_cohort",
    "edit_distance",
    "match",
    "matches",
    "name_match",
    "name_tokens",
    "simple_key",
]

#: How a name matched, best first (the strength of a match is its position here).
EXACT = "same name"
TYPO = "name differs by a typing slip"
LEFT_OUT = "a name left out"
NAME_AND_BIRTH = "same date of birth, one name in common"

_STRENGTH = {EXACT: 0, TYPO: 1, LEFT_OUT: 2, NAME_AND_BIRTH: 3}

#: Latin letters with no decomposition that people type without their mark.
_LATIN_PLAIN = str.maketrans(
    {"ø": "o", "æ": "ae", "œ": "oe", "ł": "l", "đ": "d", "ð": "d", "þ": "th", "ı": "i", "ß": "ss"}
)
#: Characters that separate names, and characters dropped inside one.
_SEPARATORS = frozenset("-‐‑‒–—_.,/·")
_DROPPED = frozenset("'’ʼ‘`")


def _is_latin(char: str) -> bool:
    try:
        return unicodedata.name(char).startswith("LATIN ")
    except ValueError:
        return False


def simple_key(text: str) -> str:
    """One name in the form it is compared in: case folded, Latin accents taken off.

    NFKD splits "ë" into "e" and a combining diaeresis; the mark is dropped
    only when the letter it sits on is Latin, so another script's letters are
    left as typed. NFKC afterwards puts the remaining marks back on their letters.
    """
    out: list[str] = []
    base_latin = False
    for char in unicodedata.normalize("NFKD", text):
        if unicodedata.combining(char):
            if not base_latin:
                out.append(char)
            continue
        base_latin = _is_latin(char)
        out.append(char)
    folded = unicodedata.normalize("NFKC", "".join(out)).casefold()
    return folded.translate(_LATIN_PLAIN)


def name_tokens(name: str) -> tuple[str, ...]:
    """The names in a full name, each in its compared form, sorted (order does not count)."""
    cleaned = "".join(
        " " if char in _SEPARATORS else "" if char in _DROPPED else char for char in name
    )
    return tuple(sorted(token for token in (simple_key(t) for t in cleaned.split()) if token))


def edit_distance(a: str, b: str, limit: int = 3) -> int:
    """Letters changed, added, removed or swapped with a neighbour (Damerau–Levenshtein,
    restricted); anything over ``limit`` is reported as ``limit + 1`` (names are short,
    but the register may be long: no need to finish a hopeless comparison)."""
    if abs(len(a) - len(b)) > limit:
        return limit + 1
    previous2: list[int] = []
    previous = list(range(len(b) + 1))
    for i, ca in enumerate(a, start=1):
        current = [i] + [0] * len(b)
        for j, cb in enumerate(b, start=1):
            cost = 0 if ca == cb else 1
            current[j] = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + cost)
            if i > 1 and j > 1 and ca == b[j - 2] and a[i - 2] == cb:
                current[j] = min(current[j], previous2[j - 2] + 1)
        if min(current) > limit:
            return limit + 1
        previous2, previous = previous, current
    return min(previous[-1], limit + 1)


def _allowed_slips(token: str) -> int:
    """Typing slips one name may carry: none under four letters, two from nine."""
    if len(token) < 4:
        return 0
    return 2 if len(token) >= 9 else 1


def _token_distance(a: str, b: str) -> int | None:
    """Slips between two names, or None if more than either may carry."""
    if a == b:
        return 0
    allowed = min(_allowed_slips(a), _allowed_slips(b))
    if allowed == 0:
        return None
    distance = edit_distance(a, b, allowed)
    return distance if distance <= allowed else None


def _pair_up(shorter: Sequence[str], longer: Sequence[str]) -> int | None:
    """The fewest slips with which every name of ``shorter`` is one of ``longer``'s
    (each used once), or None. Names are few: trying every assignment is cheap."""
    if not shorter:
        return 0
    first, rest = shorter[0], shorter[1:]
    best: int | None = None
    for index, candidate in enumerate(longer):
        distance = _token_distance(first, candidate)
        if distance is None:
            continue
        tail = _pair_up(rest, [*longer[:index], *longer[index + 1 :]])
        if tail is not None and (best is None or distance + tail < best):
            best = distance + tail
    return best


def name_match(a: Sequence[str], b: Sequence[str]) -> str | None:
    """How two names (as :func:`name_tokens`) match: EXACT, TYPO, LEFT_OUT or None."""
    if not a or not b:
        return None
    if tuple(a) == tuple(b):
        return EXACT
    shorter, longer = (a, b) if len(a) <= len(b) else (b, a)
    if len(shorter) == len(longer):
        slips = _pair_up(shorter, longer)
        return TYPO if slips is not None and slips <= 2 else None
    if len(shorter) < 2 or len(longer) - len(shorter) > 1:
        return None  # one name alone, or two left out, is not enough to say it is the child
    slips = _pair_up(shorter, longer)
    return LEFT_OUT if slips is not None and slips <= 1 else None


def _shares_a_name(a: Sequence[str], b: Sequence[str]) -> bool:
    return any(_token_distance(x, y) is not None for x in a for y in b)


def birth_cohort(dob: date | None, year_group: int | None, as_of: date | None) -> int | None:
    """The school year (its September's year) a child was born in, known or implied.

    A year group says it only together with the date it was true on: a pupil in
    Year 9 in 2026-27 was born in 2012-13 (Year 1 is the year they turn six).
    """
    if dob is not None:
        return school_year_of(dob).start_year
    if year_group is not None and as_of is not None:
        return school_year_of(as_of).start_year - year_group - 5
    return None


@dataclass(frozen=True)
class Known:
    """What the register knows of one child, as matching needs it."""

    register_id: str
    names: tuple[str, ...]
    dob: date | None = None
    cohort: int | None = None


@dataclass(frozen=True)
class Match:
    """A register pupil who may be the child being added, and why."""

    register_id: str
    how: str
    #: The same name, but born on another day or in another school year: another child.
    different_child: bool = False
    #: Both dates of birth known and equal (or both cohorts known and equal).
    birth_agrees: bool = False

    @property
    def offered(self) -> bool:
        """Whether the match is offered for linking (a different child never is)."""
        return not self.different_child


def match(names: Iterable[str], dob: date | None, cohort: int | None, known: Known) -> Match | None:
    """How the child being added (any of ``names``) matches one register pupil."""
    mine = [name_tokens(name) for name in names]
    theirs = [name_tokens(name) for name in known.names]
    best: str | None = None
    for a in mine:
        for b in theirs:
            how = name_match(a, b)
            if how is not None and (best is None or _STRENGTH[how] < _STRENGTH[best]):
                best = how
    same_day = dob is not None and known.dob is not None and dob == known.dob
    if dob is not None and known.dob is not None and dob != known.dob:
        conflict = True
    else:
        conflict = cohort is not None and known.cohort is not None and cohort != known.cohort
    agrees = same_day or (
        not conflict and cohort is not None and known.cohort is not None and dob is None
    )
    if best is None:
        if same_day and any(_shares_a_name(a, b) for a in mine for b in theirs):
            return Match(known.register_id, NAME_AND_BIRTH, birth_agrees=True)
        return None
    if best == LEFT_OUT and conflict:
        return None  # a shared part of a name and another birthday: nothing to say
    return Match(known.register_id, best, different_child=conflict, birth_agrees=agrees)


def matches(
    names: Iterable[str],
    dob: date | None,
    cohort: int | None,
    register: Iterable[Known],
) -> list[Match]:
    """Every register pupil who may be this child (and those of the same name who are
    not: ``different_child``), the likeliest first."""
    wanted = tuple(names)
    found = [m for known in register if (m := match(wanted, dob, cohort, known)) is not None]
    found.sort(
        key=lambda m: (m.different_child, not m.birth_agrees, _STRENGTH[m.how], m.register_id)
    )
    return found
