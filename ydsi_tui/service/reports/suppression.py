"""Small numbers hidden, as statistics offices hide them, so no figure picks out a child.

Governors' figures are counts of a few incidents in a small school: "1
sextortion case in Year 9 this spring" can name a child to anyone who knows
the school. So, as the Office for National Statistics and the Department for
Education publish tables:

* **primary suppression**: a count of 1 or 2 (under :data:`THRESHOLD`) is
  hidden; 0 is shown as 0 (a zero names nobody);
* **secondary suppression**: a hidden cell must not be worked out from what
  is shown. Every published total is an *identity* (the parts add up to the
  whole: the terms add up to the year, the kinds to the incidents), and an
  identity with one hidden cell gives that cell away by subtraction; so the
  next-smallest non-zero cell in it is hidden too. Hidden cells in an identity whose
  other side is shown add up to a number anyone can work out: when that sum
  is itself under the threshold, another cell is hidden. A zero is never
  hidden: counts cannot go below 0, so a hidden 0 is found again by anyone
  who sees the rest of its row, and a hidden 0 beside a hidden 1 leaves
  their sum, 1, on show.
* those two rules are how the offices say it, and they are not enough where
  tables are linked (the same incidents counted by kind, by term and by
  outcome): cells can be pinned by combining several totals. So the last
  step is the attacker's own: solve the whole system of published identities
  for every hidden cell (exact arithmetic, :func:`determined`), and hide a
  further cell beside any that the solution pins down, until none is.

The functions are pure: cells are any hashable keys, values whole numbers,
identities sums. Nothing here knows what is being counted.
"""

from __future__ import annotations

from collections.abc import Hashable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from fractions import Fraction

__all__ = ["THRESHOLD", "Identity", "determined", "suppress"]

#: Counts from 1 to THRESHOLD - 1 are hidden.
THRESHOLD = 3


@dataclass(frozen=True)
class Identity:
    """Published cells that must add up: ``sum(parts) == sum(wholes)``.

    A table's row is ``Identity(cells, (total,))``; an overlap such as "referred
    to either agency plus referred to both equals to the police plus to social
    care" is ``Identity((either, both), (police, csc))``.
    """

    parts: tuple[Hashable, ...]
    wholes: tuple[Hashable, ...]

    @property
    def cells(self) -> tuple[Hashable, ...]:
        return self.parts + self.wholes


def suppress(
    values: Mapping[Hashable, int],
    identities: Sequence[Identity],
    *,
    threshold: int = THRESHOLD,
) -> frozenset[Hashable]:
    """The cells to hide so that no small count is shown or can be worked out.

    Deterministic: the same figures always hide the same cells (ties are broken
    by the order of ``values``), so a report exported twice reads the same.
    """
    order = {key: index for index, key in enumerate(values)}
    for identity in identities:
        for cell in identity.cells:
            if cell not in order:
                raise KeyError(f"identity names a cell with no value: {cell!r}")
    hidden = {key for key, value in values.items() if 0 < value < threshold}
    wholes = {cell for identity in identities for cell in identity.wholes}

    def pick(candidates: Iterable[Hashable]) -> Hashable | None:
        """The next-smallest shown non-zero cell, a part before a total.

        Never a zero: a hidden 0 protects nothing (counts cannot go below it,
        so an attacker who sees the rest of its row finds it again) and the
        reader is promised that 0 is shown.
        """
        shown = [cell for cell in candidates if cell not in hidden and values[cell] > 0]
        if not shown:
            return None
        return min(shown, key=lambda c: (c in wholes, values[c], order[c]))

    def near(cell: Hashable) -> Hashable | None:
        """A cell to hide beside ``cell``: in its identities, else one step further out."""
        reached = {cell}
        frontier = {cell}
        while frontier:
            ring = {c for i in identities if frontier & set(i.cells) for c in i.cells} - reached
            found = pick(sorted(ring, key=order.__getitem__))
            if found is not None:
                return found
            reached |= ring
            frontier = ring
        return pick(values)

    while True:
        added = False
        for identity in identities:
            inside = [cell for cell in identity.cells if cell in hidden]
            if not inside:
                continue
            if len(inside) == 1 or _small_remainder(identity, hidden, values, threshold):
                cell = pick(identity.cells)
                if cell is not None:
                    hidden.add(cell)
                    added = True
        if added:
            continue
        pinned = determined(hidden, identities)
        if not pinned:
            return frozenset(hidden)
        first = min(pinned, key=order.__getitem__)
        extra = near(first)
        if extra is None:  # every non-zero count is hidden already: nothing more can be done
            return frozenset(hidden)
        hidden.add(extra)


def _small_remainder(
    identity: Identity, hidden: set[Hashable], values: Mapping[Hashable, int], threshold: int
) -> bool:
    """The hidden cells sit on one side and the sum anyone can work out is small."""
    parts = [c for c in identity.parts if c in hidden]
    wholes = [c for c in identity.wholes if c in hidden]
    if parts and wholes:
        return False  # the shown cells give a difference, not a sum
    side = parts or wholes
    total = sum(values[c] for c in side)
    return 0 < total < threshold


def determined(hidden: Iterable[Hashable], identities: Sequence[Identity]) -> frozenset[Hashable]:
    """The hidden cells whose value follows from the shown ones (exact linear algebra).

    Every identity is a linear equation; the shown cells are constants. A
    hidden cell is pinned exactly when its unit vector lies in the row space
    of the equations restricted to the hidden cells: in reduced row echelon
    form, when some row has that cell as its only non-zero entry.
    """
    columns = sorted(set(hidden), key=repr)
    index = {cell: i for i, cell in enumerate(columns)}
    rows: list[list[Fraction]] = []
    for identity in identities:
        row = [Fraction(0)] * len(columns)
        for cell in identity.parts:
            if cell in index:
                row[index[cell]] += 1
        for cell in identity.wholes:
            if cell in index:
                row[index[cell]] -= 1
        if any(row):
            rows.append(row)
    pinned: set[Hashable] = set()
    for row in _rref(rows, len(columns)):
        nonzero = [i for i, value in enumerate(row) if value]
        if len(nonzero) == 1:
            pinned.add(columns[nonzero[0]])
    return frozenset(pinned)


def _rref(rows: list[list[Fraction]], width: int) -> list[list[Fraction]]:
    """Gauss-Jordan elimination over the rationals; returns the non-zero rows."""
    matrix = [row[:] for row in rows]
    lead = 0
    for col in range(width):
        pivot = next((r for r in range(lead, len(matrix)) if matrix[r][col]), None)
        if pivot is None:
            continue
        matrix[lead], matrix[pivot] = matrix[pivot], matrix[lead]
        scale = matrix[lead][col]
        matrix[lead] = [value / scale for value in matrix[lead]]
        for r in range(len(matrix)):
            if r != lead and matrix[r][col]:
                factor = matrix[r][col]
                matrix[r] = [a - factor * b for a, b in zip(matrix[r], matrix[lead], strict=True)]
        lead += 1
        if lead == len(matrix):
            break
    return matrix[:lead]
