"""The register's pure rules: folding a record, merges, repeat flags, reading summaries."""

from __future__ import annotations

import dataclasses
from datetime import UTC, date, datetime

from ydsi_tui.model.events import Event, make_event
from ydsi_tui.model.register import (
    IncidentLinks,
    fold_register,
    involvements,
    links_from_summary,
    ordinal,
    outsider_key,
    pupil_repeat,
    register_entry_from_summary,
    repeat_flags,
    resolve,
)

AT = datetime(2026, 11, 16, 10, 0, tzinfo=UTC)
A, B, C = "P-00000000000a", "P-00000000000b", "P-00000000000c"


def _event(kind: str, data: dict[str, object], role: str = "dsl", **extra: object) -> Event:
    return make_event(kind, data, at=AT, now=AT, by="Dana Lead", by_role=role, **extra)  # type: ignore[arg-type]


def _signed(event: Event) -> Event:
    return dataclasses.replace(event, verified=True)


def test_a_record_folds_its_facts_and_a_dsls_merge_and_its_undoing() -> None:
    made = _event("pupil.registered", {"register_id": B, "name": "Ben", "year_group": 9,
                                       "sex": "male"})  # fmt: skip
    merge = _signed(_event("pupil.merged", {"register_id": B, "into": A, "reason": "same"}))
    pupil = fold_register(B, [made, merge])
    assert pupil.merged_into == A and pupil.year_group == 9
    assert pupil.year_group_as_of == date(2026, 11, 16) and pupil.cohort == 2026 - 9 - 5
    undo = _signed(_event("pupil.merged", {"register_id": B, "into": A, "reason": "no",
                                           "undone": True},
                          supersedes=merge.id, correction_reason="not the same child"))  # fmt: skip
    pupil = fold_register(B, [made, merge, undo])
    assert pupil.merged_into is None and len(pupil.timeline) == 3


def test_a_merge_no_dsls_save_made_does_not_count() -> None:
    made = _event("pupil.registered", {"register_id": B, "name": "Ben", "dob": "2011-01-01",
                                       "sex": "male"})  # fmt: skip
    claimed = _event("pupil.merged", {"register_id": B, "into": A, "reason": "x"})  # unsigned
    pupil = fold_register(B, [made, claimed])
    assert pupil.merged_into is None
    assert any("NOT COUNTED" in p.text for p in pupil.problems)


def test_ordinals() -> None:
    assert [ordinal(n) for n in (1, 2, 3, 4, 11, 12, 13, 21, 22, 101, 111)] == [
        "1st", "2nd", "3rd", "4th", "11th", "12th", "13th", "21st", "22nd", "101st", "111th",
    ]  # fmt: skip


def _incident(
    ref: str, day: int, *links: tuple[str, str], outsiders: tuple[str, ...] = ()
) -> IncidentLinks:
    return IncidentLinks(
        ref, date(2026, 1, day), "open",
        tuple((f"p{ref}{n}", rid, (part,)) for n, (rid, part) in enumerate(links)), outsiders,
    )  # fmt: skip


def test_repeat_flags_follow_the_order_of_happening_not_of_reference() -> None:
    later_ref_first = _incident("2026-009", 1, (A, "shared"))
    second = _incident("2026-002", 5, (A, "sent"), (B, "pictured"))
    third = _incident("2026-003", 9, (A, "received"))
    flags = repeat_flags([third, second, later_ref_first], {})
    assert flags == {
        "2026-002": ("2nd incident for a pupil; earlier: shared on (2026-009)",),
        "2026-003": ("3rd incident for a pupil; earlier: shared on, sent (2026-009, 2026-002)",),
    }


def test_one_childs_repeat_is_said_from_each_of_their_incidents() -> None:
    first = _incident("2026-009", 1, (A, "shared"))
    second = _incident("2026-002", 5, (A, "sent"), (B, "pictured"))
    third = _incident("2026-003", 9, (A, "received"))
    history = involvements([third, second, first], {})
    assert pupil_repeat(history[A], "2026-009") == "1st of 3 incidents; later: 2026-002, 2026-003"
    assert pupil_repeat(history[A], "2026-002") == (
        "2nd incident; earlier: shared on (2026-009); later: 2026-003"
    )
    assert pupil_repeat(history[A], "2026-003") == (
        "3rd incident; earlier: shared on, sent (2026-009, 2026-002)"
    )
    # The incident's own flag says the same of "a pupil" (the home screen's words).
    (flag,) = repeat_flags([first, second, third], {})["2026-003"]
    assert flag.replace(" for a pupil", "") == pupil_repeat(history[A], "2026-003")
    assert pupil_repeat(history[B], "2026-002") == ""  # one incident: nothing to say
    assert pupil_repeat(history[A], "2026-404") == ""  # not one of theirs


def test_two_merged_records_linked_in_one_incident_are_one_incident() -> None:
    both = _incident("2026-001", 1, (A, "sent"), (B, "received"))
    later = _incident("2026-002", 2, (B, "shared"))
    history = involvements([both, later], {B: A})[A]
    assert len(history) == 3
    assert pupil_repeat(history, "2026-001") == "1st of 2 incidents; later: 2026-002"
    assert pupil_repeat(history, "2026-002") == ("2nd incident; earlier: sent, received (2026-001)")


def test_merged_records_count_as_one_child() -> None:
    first = _incident("2026-001", 1, (A, "sent"))
    second = _incident("2026-002", 2, (B, "shared"))
    assert repeat_flags([first, second], {}) == {}
    flags = repeat_flags([first, second], {B: A})
    assert flags == {"2026-002": ("2nd incident for a pupil; earlier: sent (2026-001)",)}
    assert list(involvements([first, second], {B: A})) == [A]


def test_resolve_follows_chains_and_stops_a_cycle() -> None:
    assert resolve(C, {C: B, B: A}) == A
    assert resolve(A, {A: B, B: A}) in (A, B)
    assert resolve(C, {}) == C


def test_the_same_outside_person_in_any_order_and_case_recurs() -> None:
    key = outsider_key("Dark Knight")
    assert key == outsider_key("knight DARK") and key != outsider_key("Dark Night")
    first = _incident("2026-001", 1, outsiders=(key,))
    second = _incident("2026-002", 2, outsiders=(key,))
    assert repeat_flags([first, second], {}) == {
        "2026-002": ("a person outside school named here was named before (2026-001)",)
    }


def test_summaries_are_read_defensively() -> None:
    assert links_from_summary({"type": "device", "ref": "x"}) is None
    junk = links_from_summary({
        "type": "incident", "ref": "2026-001", "incident_date": "not a date",
        "register": [1, {"pupil_id": 3}, {"pupil_id": "a", "register_id": "Ben Name"},
                     {"pupil_id": "b", "register_id": A, "parts": "sent"}],
        "outsiders": "x", "retention": [],
    })  # fmt: skip
    assert junk is not None and junk.incident_date is None and junk.outsiders == ()
    assert junk.links == (("b", A, ()),)
    entry = register_entry_from_summary(
        {"register_id": A, "names": ["Ava", 3], "merged_into": B, "dob": "2011-02-30"},
        saved_by_dsl=False,
    )
    assert entry is not None and entry.names == ("Ava",) and entry.dob is None
    assert entry.merged_into is None  # a merge in a summary no DSL saved is not believed
    assert register_entry_from_summary({"register_id": "../x"}, saved_by_dsl=True) is None
