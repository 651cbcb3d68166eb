"""Small-number suppression, tested as an attacker reads a published table.

The attacker holds only what is published: the shown cells and which cells
are hidden, and knows every total adds up (and that counts are whole and not
negative). They solve for each hidden cell: by elimination (any cell the
published totals pin down exactly) and by trying every whole-number filling
that matches what is shown. A hidden cell is safe only if at least two values
fit. Tables of many shapes, and tables linked through shared totals, are
drawn from a seeded generator so a failure can be replayed.
"""

from __future__ import annotations

import random
from collections.abc import Hashable, Mapping, Sequence
from fractions import Fraction

import pytest

from ydsi_tui.service.reports.suppression import Identity, determined, suppress

Cell = tuple[str, int, int]


def table(name: str, grid: Sequence[Sequence[int]]) -> tuple[dict[Hashable, int], list[Identity]]:
    """A grid with its row totals, column totals and grand total, as cells and identities.

    The totals are at index ``len(...)`` (one past the last row or column).
    """
    rows, cols = len(grid), len(grid[0])
    values: dict[Hashable, int] = {}
    for r in range(rows):
        for c in range(cols):
            values[(name, r, c)] = grid[r][c]
        values[(name, r, cols)] = sum(grid[r])
    for c in range(cols):
        values[(name, rows, c)] = sum(grid[r][c] for r in range(rows))
    values[(name, rows, cols)] = sum(map(sum, grid))
    identities = [
        Identity(tuple((name, r, c) for c in range(cols)), ((name, r, cols),))
        for r in range(rows + 1)
    ]
    identities += [
        Identity(tuple((name, r, c) for r in range(rows)), ((name, rows, c),))
        for c in range(cols + 1)
    ]
    return values, identities


# ------------------------------------------------------------------ the attacker


def attacker_solves_by_elimination(
    shown: Mapping[Hashable, int], hidden: set[Hashable], identities: Sequence[Identity]
) -> dict[Hashable, Fraction]:
    """Every hidden cell the shown totals pin down, with its value (Gauss-Jordan, by hand)."""
    cells = sorted(hidden, key=repr)
    col = {cell: i for i, cell in enumerate(cells)}
    matrix: list[list[Fraction]] = []
    for identity in identities:
        row = [Fraction(0)] * (len(cells) + 1)
        for sign, side in ((1, identity.parts), (-1, identity.wholes)):
            for cell in side:
                if cell in col:
                    row[col[cell]] += sign
                else:
                    row[-1] -= sign * shown[cell]  # move the known value across
        matrix.append(row)
    pivots: list[tuple[int, int]] = []
    r = 0
    for c in range(len(cells)):
        p = next((i for i in range(r, len(matrix)) if matrix[i][c] != 0), None)
        if p is None:
            continue
        matrix[r], matrix[p] = matrix[p], matrix[r]
        matrix[r] = [v / matrix[r][c] for v in matrix[r]]
        for i in range(len(matrix)):
            if i != r and matrix[i][c] != 0:
                f = matrix[i][c]
                matrix[i] = [a - f * b for a, b in zip(matrix[i], matrix[r], strict=True)]
        pivots.append((r, c))
        r += 1
    solved: dict[Hashable, Fraction] = {}
    for row_index, c in pivots:
        others = [j for j in range(len(cells)) if j != c and matrix[row_index][j] != 0]
        if not others:
            solved[cells[c]] = matrix[row_index][-1]
    return solved


def attacker_fillings(
    shown: Mapping[Hashable, int],
    hidden: set[Hashable],
    identities: Sequence[Identity],
    ceiling: int,
) -> dict[Hashable, set[int]]:
    """Every value each hidden cell takes in some whole-number filling that fits the totals.

    ``ceiling`` bounds every hidden cell: given the true largest value, the
    attacker knows more than any real reader, so fewer fillings fit and the test
    is the harder to pass.
    """
    cells = sorted(hidden, key=repr)
    seen: dict[Hashable, set[int]] = {cell: set() for cell in cells}

    def consistent(assigned: dict[Hashable, int]) -> dict[Hashable, int] | None:
        """Propagate identities with one unknown left; None if any identity fails."""
        values = dict(assigned)
        changed = True
        while changed:
            changed = False
            for identity in identities:
                unknown = [c for c in identity.cells if c not in shown and c not in values]
                known = {c: shown[c] if c in shown else values[c] for c in identity.cells
                         if c not in unknown}  # fmt: skip
                balance = sum(known.get(c, 0) for c in identity.parts) - sum(
                    known.get(c, 0) for c in identity.wholes
                )
                if not unknown:
                    if balance != 0:
                        return None
                elif len(unknown) == 1:
                    cell = unknown[0]
                    value = -balance if cell in identity.parts else balance
                    if not 0 <= value <= ceiling:
                        return None
                    values[cell] = value
                    changed = True
        return values

    def search(assigned: dict[Hashable, int]) -> None:
        values = consistent(assigned)
        if values is None:
            return
        free = [c for c in cells if c not in values]
        if not free:
            for cell in cells:
                seen[cell].add(values[cell])
            return
        for value in range(ceiling + 1):
            search({**values, free[0]: value})

    search({})
    return seen


def assert_nothing_recoverable(values: dict[Hashable, int], identities: list[Identity]) -> None:
    hidden = set(suppress(values, identities))
    for cell, value in values.items():
        if 0 < value < 3:
            assert cell in hidden, f"small number shown: {cell}={value}"
        if value == 0 and cell not in hidden:
            pass  # zeros are shown as zeros
    shown = {cell: value for cell, value in values.items() if cell not in hidden}
    solved = attacker_solves_by_elimination(shown, hidden, identities)
    assert not solved, f"elimination recovers {solved} from {values}"
    ceiling = max(values.values())
    fillings = attacker_fillings(shown, hidden, identities, ceiling)
    for cell in hidden:
        assert values[cell] in fillings[cell], "the truth must be one of the fillings"
        assert len(fillings[cell]) >= 2, (
            f"only {fillings[cell]} fits hidden cell {cell} (truly {values[cell]}) in {values}"
        )


# ------------------------------------------------------------------ the rules, by example


def test_ones_and_twos_are_hidden_and_zeros_shown() -> None:
    values, identities = table("t", [[0, 1, 2, 5]])
    hidden = suppress(values, identities)
    assert ("t", 0, 1) in hidden and ("t", 0, 2) in hidden
    assert ("t", 0, 0) not in hidden and ("t", 0, 3) not in hidden  # 0 and 5 shown


def test_one_hidden_cell_in_a_row_takes_the_next_smallest_non_zero_with_it() -> None:
    # Term counts 1, 0, 6, 4 and the year 11: the 1 alone would be 11 - 0 - 6 - 4.
    values, identities = table("t", [[1, 0, 6, 4]])
    hidden = suppress(values, identities)
    assert hidden == {("t", 0, 0), ("t", 1, 0), ("t", 0, 3), ("t", 1, 3)}
    # (the one-row table repeats each cell as its column's total: both go)


def test_hidden_cells_whose_sum_is_small_take_another() -> None:
    # 1 and 1 hidden beside 5, year 7: their sum, 2, is worked out and would say "1 and 1".
    values = {"a": 1, "b": 1, "c": 5, "total": 7}
    hidden = suppress(values, [Identity(("a", "b", "c"), ("total",))])
    assert hidden == {"a", "b", "c"}


def test_the_classic_two_by_two_is_not_pinned_but_a_bridge_is() -> None:
    ring = [Identity(("a", "b"), ("r1",)), Identity(("c", "d"), ("r2",)),
            Identity(("a", "c"), ("k1",)), Identity(("b", "d"), ("k2",))]  # fmt: skip
    assert determined({"a", "b", "c", "d"}, ring) == frozenset()
    # With d shown, b = k2 - d, then a = r1 - b, then c = k1 - a: all three fall.
    assert determined({"a", "b", "c"}, ring) == {"a", "b", "c"}
    assert "a" in determined({"a", "b"}, [Identity(("a", "b"), ("r1",)), Identity(("a",), ("k",))])


def test_the_same_figures_always_hide_the_same_cells() -> None:
    values, identities = table("t", [[1, 4, 7], [5, 2, 9], [3, 3, 0]])
    assert suppress(values, identities) == suppress(dict(values), list(identities))


def test_an_identity_naming_an_unknown_cell_is_refused() -> None:
    with pytest.raises(KeyError):
        suppress({"a": 1}, [Identity(("a", "b"), ())])


# ------------------------------------------------------------------ the attack


SHAPES = [(1, 3), (1, 4), (2, 2), (2, 3), (3, 2), (3, 3), (2, 4), (4, 3), (5, 3), (6, 1)]


@pytest.mark.parametrize(("rows", "cols"), SHAPES, ids=[f"{r}x{c}" for r, c in SHAPES])
def test_no_hidden_cell_is_recovered_from_the_totals(rows: int, cols: int) -> None:
    rng = random.Random(rows * 100 + cols)
    for _ in range(20):
        # Mostly small counts, as a school's are: many 0s, 1s and 2s.
        grid = [[rng.choice([0, 0, 1, 1, 2, 3, 4, 6]) for _ in range(cols)] for _ in range(rows)]
        values, identities = table("t", grid)
        assert_nothing_recoverable(values, identities)


def test_a_table_the_offices_rules_alone_leave_open_is_closed() -> None:
    """Found by this attack: with only "one hidden cell takes the next-smallest", the 3 and 4
    of the first row were pinned (through the 1 and 6s below); the solve step hides more."""
    values, identities = table("t", [[3, 0, 4], [0, 0, 3], [0, 0, 1], [1, 6, 6]])
    assert_nothing_recoverable(values, identities)


def test_linked_tables_sharing_their_totals_give_nothing_away() -> None:
    """Two breakdowns of the same incidents by term (by kind, by outcome): one total row."""
    rng = random.Random(15)
    for _ in range(12):
        kinds = [[rng.choice([0, 1, 1, 2, 3, 5]) for _ in range(3)] for _ in range(3)]
        column_totals = [sum(k[c] for k in kinds) for c in range(3)]
        # A second split of each term's incidents into two outcomes.
        outcome_a = [rng.randint(0, t) for t in column_totals]
        outcomes = [outcome_a, [t - a for t, a in zip(column_totals, outcome_a, strict=True)]]
        v1, i1 = table("kind", kinds)
        v2, i2 = table("outcome", outcomes)
        # The second table's total row *is* the first's: rename its cells to the same keys.
        rename = {("outcome", 2, c): ("kind", 3, c) for c in range(4)}
        values = {**v1, **{rename.get(k, k): v for k, v in v2.items()}}
        identities = i1 + [
            Identity(
                tuple(rename.get(c, c) for c in i.parts), tuple(rename.get(c, c) for c in i.wholes)
            )
            for i in i2
        ]
        assert_nothing_recoverable(values, identities)


def test_an_overlap_identity_does_not_give_away_the_referrals() -> None:
    """Either agency + both = police + social care, beside a term table of each."""
    rng = random.Random(7)
    for _ in range(40):
        police = [rng.choice([0, 1, 2, 3]) for _ in range(3)]
        csc = [rng.choice([0, 1, 2, 4]) for _ in range(3)]
        both = [rng.randint(0, min(p, c)) for p, c in zip(police, csc, strict=True)]
        either = [p + c - b for p, c, b in zip(police, csc, both, strict=True)]
        values: dict[Hashable, int] = {}
        identities: list[Identity] = []
        for name, row in (("police", police), ("csc", csc), ("both", both), ("either", either)):
            for t in range(3):
                values[(name, t)] = row[t]
            values[(name, "year")] = sum(row)
            identities.append(Identity(tuple((name, t) for t in range(3)), ((name, "year"),)))
        for t in (0, 1, 2, "year"):
            identities.append(Identity((("either", t), ("both", t)), (("police", t), ("csc", t))))
        assert_nothing_recoverable(values, identities)
