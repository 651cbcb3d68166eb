"""The school's own term and INSET dates in school-day deadlines (issue 14)."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime

import pytest

from ydsi_tui.model.errors import ValidationError
from ydsi_tui.model.obligations import transfer_receipts
from ydsi_tui.model.policy import Policy
from ydsi_tui.model.schoolyear import SchoolCalendar, add_school_days, is_school_day

from .support import Record

SHA = "0" * 64
AUTUMN = SchoolCalendar.from_doc(
    {
        "terms": [["2026-09-03", "2026-10-23"], ["2026-11-02", "2026-12-18"]],
        "inset": ["2026-09-03", "2026-11-02", "2026-11-13"],
    }
)


def test_half_term_and_inset_days_are_not_school_days() -> None:
    assert not is_school_day(date(2026, 10, 27), AUTUMN)  # half term, a Tuesday
    assert not is_school_day(date(2026, 11, 2), AUTUMN)  # INSET, a Monday
    assert is_school_day(date(2026, 11, 3), AUTUMN)
    assert is_school_day(date(2026, 10, 27))  # without the school's dates: any weekday
    # Outside the span the terms cover, the weekday rule stands.
    assert is_school_day(date(2027, 1, 6), AUTUMN)
    assert not is_school_day(date(2026, 12, 25), AUTUMN)  # a bank holiday either way


def test_five_school_days_from_the_last_day_before_half_term() -> None:
    friday = datetime(2026, 10, 23, 9, 0, tzinfo=UTC)  # 10:00 in London (BST)
    # The weekday rule: Mon 26 to Fri 30 October.
    assert add_school_days(friday, 5) == datetime(2026, 10, 30, 10, 0, tzinfo=UTC)
    # The school's: half term, then INSET on Mon 2 Nov; Tue 3 to Mon 9 November.
    assert add_school_days(friday, 5, AUTUMN) == datetime(2026, 11, 9, 10, 0, tzinfo=UTC)


def test_a_transfer_receipt_is_due_later_over_an_inset_day(record: Record, policy: Policy) -> None:
    record.open()
    record.pupil("p1", "Amy Jones", parts=["pictured"], dob="2010-05-04")
    record.add(
        "transfer.sent",
        {"transfer_id": "t1", "pupil_id": "p1", "to_school": "Ash High", "file_sha256": SHA},
    )
    incident = record.incident
    (plain,) = transfer_receipts(incident, policy)
    (dated,) = transfer_receipts(incident, replace(policy, calendar=AUTUMN))
    assert plain.due_at == datetime(2026, 11, 16, 9, 0, tzinfo=UTC)  # Mon 9 Nov + 5
    assert dated.due_at == datetime(2026, 11, 17, 9, 0, tzinfo=UTC)  # INSET on Fri 13 Nov


@pytest.mark.parametrize(
    ("doc", "says"),
    [
        ({"terms": []}, "at least one term"),
        ({"terms": [["2026-09-03", "2026-09-01"]]}, "ends before it starts"),
        (
            {"terms": [["2026-09-03", "2026-10-23"], ["2026-10-20", "2026-12-18"]]},
            "without overlap",
        ),
        ({"terms": [["2026-09-03", "2026-10-23"]], "inset": ["2026-10-26"]}, "in no term"),
        ({"terms": [["3/9/2026", "2026-10-23"]]}, "not a date"),
        ({"terms": [["2026-09-03", "2026-10-23"]], "holidays": []}, "unknown calendar key"),
        ({"terms": [["2026-09-03"]]}, "[first day, last day]"),
    ],
)
def test_a_bad_calendar_is_refused_saying_why(doc: dict[str, object], says: str) -> None:
    with pytest.raises(ValidationError) as refused:
        SchoolCalendar.from_doc(doc)
    assert says in refused.value.message


def test_toml_dates_and_strings_both_read() -> None:
    both = SchoolCalendar.from_doc({"terms": [[date(2026, 9, 3), "2026-10-23"]]})
    assert both.terms == ((date(2026, 9, 3), date(2026, 10, 23)),)
    assert SchoolCalendar.from_doc(both.to_doc()) == both


def test_the_parents_and_dsl_limits_count_on_the_school_calendar(policy: Policy) -> None:
    """The two limits in school days (finding 7) and the school's dates (this issue), together.

    A disclosure on the Friday before half term: by the weekday rule the parents'
    "same or next school day" ends at midnight on Monday 26 October; by the school's
    calendar the next school day is Tuesday 3 November (half term, then INSET).
    """
    from ydsi_tui.model.timelimits import dsl_told_limit, parents_limit

    friday = datetime(2026, 10, 23, 14, 0, tzinfo=UTC)
    dated = replace(policy, calendar=AUTUMN)
    # Limits end at midnight in London (GMT again from Sunday 25 October).
    assert parents_limit(policy).due(friday) == datetime(2026, 10, 27, 0, 0, tzinfo=UTC)
    assert parents_limit(dated).due(friday) == datetime(2026, 11, 4, 0, 0, tzinfo=UTC)
    saturday = datetime(2026, 10, 31, 10, 0, tzinfo=UTC)  # in half term
    assert dsl_told_limit(policy).due(saturday) == datetime(2026, 11, 3, 0, 0, tzinfo=UTC)
    assert dsl_told_limit(dated).due(saturday) == datetime(2026, 11, 4, 0, 0, tzinfo=UTC)  # INSET
