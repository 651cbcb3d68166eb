"""Matching a child being added against the register: names, scripts, typos, birth dates."""

from __future__ import annotations

from datetime import date

import pytest

from ydsi_tui.model.names import (
    EXACT,
    LEFT_OUT,
    NAME_AND_BIRTH,
    TYPO,
    Known,
    birth_cohort,
    edit_distance,
    match,
    matches,
    name_match,
    name_tokens,
    simple_key,
)

BEN = Known("P-ben", ("Ben Okafor",), date(2011, 3, 4), 2010)


def _how(a: str, b: str) -> str | None:
    return name_match(name_tokens(a), name_tokens(b))


@pytest.mark.parametrize(
    ("typed", "stored"),
    [
        ("okafor ben", "Ben Okafor"),
        ("OKAFOR, Ben", "Ben Okafor"),
        ("Zoë Brontë", "zoe bronte"),
        ("Łukasz Wójcik", "Lukasz Wojcik"),
        ("Søren Kierkegaard", "Soren Kierkegaard"),
        ("José  María", "Maria Jose"),
        ("Mary-Jane Watson", "Watson Mary Jane"),
        ("Siobhán O'Brien", "siobhan obrien"),
        ("Сергей Иванов", "Иванов Сергей"),  # another script, any order
        ("ＡＶＡ ＳＭＩＴＨ", "Ava Smith"),  # full-width forms (NFKC)
    ],
)
def test_the_same_name_in_any_order_case_and_latin_accents_ignored(typed: str, stored: str) -> None:
    assert _how(typed, stored) == EXACT


def test_names_in_another_script_are_not_transliterated() -> None:
    assert _how("Сергей Иванов", "Sergei Ivanov") is None
    assert _how("محمد علي", "Mohammed Ali") is None
    assert _how("王小明", "Wang Xiaoming") is None
    assert _how("王小明", "王小明") == EXACT


def test_marks_on_other_scripts_letters_are_part_of_the_letter() -> None:
    # Russian й (i with breve) is its own letter; only Latin accents are dropped.
    assert simple_key("Андрей") != simple_key("Андреи")
    assert simple_key("Zoë") == "zoe"
    assert _how("Андрей Петров", "Андреи Петров") == TYPO  # a slip still, not the same


@pytest.mark.parametrize(
    ("typed", "stored"),
    [
        ("Ben Okafr", "Ben Okafor"),  # a letter missing
        ("Ben Okafoor", "Ben Okafor"),  # a letter extra
        ("Ben Okfaor", "Ben Okafor"),  # two swapped
        ("Ben Okafer", "Ben Okafor"),  # one wrong
        ("Christopher Smith", "Christofer Smith"),  # two slips in a long name
        ("Alexandria Jones", "Alexandrea Jones"),
        ("Oleksandr Kowalczyk", "Oleksander Kowalczik"),  # one slip in each
    ],
)
def test_a_typing_slip_still_matches(typed: str, stored: str) -> None:
    assert _how(typed, stored) == TYPO


@pytest.mark.parametrize(
    ("typed", "stored"),
    [
        ("Ava Smith", "Eva Smith"),  # short names must match exactly
        ("Ben Okafor", "Ken Okafor"),
        ("Ben Okafor", "Ben Okonkwo"),
        ("Ben Okafor", "Ben"),  # one name alone is not enough
        ("Jo Smith", "Jo Smith Jones Brown"),  # two names left out
        ("Christopher Smith", "Kristoffer Smyth"),  # too many slips
    ],
)
def test_different_names_do_not_match(typed: str, stored: str) -> None:
    assert _how(typed, stored) is None


def test_a_name_left_out() -> None:
    assert _how("Ben Okafor", "Ben Tunde Okafor") == LEFT_OUT
    assert _how("Benjamin Tunde Okafor", "Benjamin Okafr") == LEFT_OUT


def test_edit_distance_counts_swaps_once_and_stops_at_the_limit() -> None:
    assert edit_distance("okafor", "okfaor") == 1
    assert edit_distance("abc", "abc") == 0
    assert edit_distance("kitten", "sitting") == 3
    assert edit_distance("a", "abcdefgh", limit=2) == 3
    assert edit_distance("abcdef", "uvwxyz", limit=2) == 3


def test_same_name_different_date_of_birth_is_another_child_never_offered() -> None:
    found = match(["Ben Okafor"], date(2012, 7, 1), None, BEN)
    assert found is not None
    assert found.different_child and not found.offered


def test_same_name_born_in_another_school_year_is_another_child() -> None:
    # Year 9 in autumn 2026: born 2012-13; Ben was born in 2010-11.
    cohort = birth_cohort(None, 9, date(2026, 10, 1))
    assert cohort == 2012
    found = match(["Ben Okafor"], None, cohort, BEN)
    assert found is not None and found.different_child


def test_same_name_same_cohort_agrees_and_unknown_birth_is_offered_as_possible() -> None:
    cohort = birth_cohort(None, 11, date(2026, 10, 1))  # Year 11 in 2026-27: born 2010-11
    assert cohort == 2010
    same_year = match(["Ben Okafor"], None, cohort, BEN)
    assert same_year is not None and same_year.offered and same_year.birth_agrees
    unknown = match(["Ben Okafor"], None, None, BEN)
    assert unknown is not None and unknown.offered and not unknown.birth_agrees


def test_same_date_of_birth_and_one_name_in_common_is_offered_as_weaker() -> None:
    found = match(
        ["Tom Okafor"], date(2011, 3, 4), None, Known("P-t", ("Thomas Okafor",), date(2011, 3, 4))
    )
    assert found is not None and found.how == NAME_AND_BIRTH and found.offered
    # ... but not on another birthday, nor with no name in common.
    assert (
        match(
            ["Tom Okafor"],
            date(2011, 3, 5),
            None,
            Known("P-t", ("Thomas Okafor",), date(2011, 3, 4)),
        )
        is None
    )
    assert match(["Ava Jones"], date(2011, 3, 4), None, BEN) is None


def test_other_names_on_the_record_count() -> None:
    known = Known("P-k", ("Katie Brown", "Kate Brown-Smith"), date(2011, 1, 1))
    found = match(["Brown-Smith Kate"], None, None, known)
    assert found is not None and found.how == EXACT


def test_matches_orders_the_likeliest_first_and_the_other_child_last() -> None:
    register = [
        Known("P-3", ("Ben Okafor",), date(2012, 1, 1)),  # another child
        Known("P-2", ("Ben Okafr",), None),  # a slip, birth unknown
        Known("P-1", ("Okafor Ben",), date(2011, 3, 4)),  # same name, same birthday
        Known("P-9", ("Ava Smith",), date(2011, 3, 4)),  # nothing in common
    ]
    found = matches(["Ben Okafor"], date(2011, 3, 4), None, register)
    assert [m.register_id for m in found] == ["P-1", "P-2", "P-3"]
    assert [m.offered for m in found] == [True, True, False]
