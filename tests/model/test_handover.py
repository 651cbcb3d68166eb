"""Hand-overs in the model: school days, terms, retention dates, legal holds and transfers."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from ydsi_tui.model.errors import ValidationError
from ydsi_tui.model.obligations import overdue
from ydsi_tui.model.policy import Policy
from ydsi_tui.model.retention import add_years, destruction_blockers, retention
from ydsi_tui.model.schoolyear import (
    SchoolYear,
    add_school_days,
    easter_sunday,
    parse_school_year,
    school_year_of,
    term_of,
)
from ydsi_tui.model.summary import summarize, summary_flags
from ydsi_tui.model.timeparse import to_local

from .support import DSL, HEAD, Record

SHA = "ab" * 32


# ----------------------------------------------------------------- calendar


def test_five_school_days_skip_the_weekend() -> None:
    monday = datetime(2026, 11, 16, 10, 0, tzinfo=UTC)
    assert add_school_days(monday, 5) == datetime(2026, 11, 23, 10, 0, tzinfo=UTC)
    friday = datetime(2026, 11, 20, 15, 0, tzinfo=UTC)
    assert add_school_days(friday, 5) == datetime(2026, 11, 27, 15, 0, tzinfo=UTC)
    saturday = datetime(2026, 11, 21, 9, 0, tzinfo=UTC)
    assert add_school_days(saturday, 5) == datetime(2026, 11, 27, 9, 0, tzinfo=UTC)
    assert add_school_days(monday, 0) == monday


def test_school_days_keep_the_uk_wall_clock_across_a_clock_change() -> None:
    # Sent Thursday 22 October 2026 at 10:00 BST; the clocks go back on Sunday 25th.
    sent = datetime(2026, 10, 22, 9, 0, tzinfo=UTC)
    due = add_school_days(sent, 5)
    assert to_local(due).strftime("%a %d/%m %H:%M %Z") == "Thu 29/10 10:00 GMT"


@pytest.mark.parametrize(
    ("year", "easter"),
    [(2024, date(2024, 3, 31)), (2025, date(2025, 4, 20)), (2026, date(2026, 4, 5)),
     (2027, date(2027, 3, 28)), (2038, date(2038, 4, 25)), (2285, date(2285, 3, 22))],
)  # fmt: skip
def test_easter_is_computed(year: int, easter: date) -> None:
    assert easter_sunday(year) == easter


def test_terms_and_school_years() -> None:
    year = parse_school_year("2025-26")
    assert year == SchoolYear(2025) == parse_school_year("2025/2026") == parse_school_year("2025")
    assert year.label == "2025-26"
    autumn, spring, summer = year.terms
    assert (autumn.start, autumn.end) == (date(2025, 9, 1), date(2025, 12, 31))
    assert (spring.start, spring.end) == (date(2026, 1, 1), date(2026, 4, 5))
    assert (summer.start, summer.end) == (date(2026, 4, 6), date(2026, 8, 31))
    assert term_of(date(2026, 4, 5)).name == "spring"
    assert term_of(date(2026, 4, 6)).name == "summer"
    assert term_of(date(2025, 9, 1)).name == "autumn"
    assert school_year_of(date(2026, 8, 31)) == year
    assert school_year_of(date(2026, 9, 1)).label == "2026-27"
    for bad in ("2025-27", "twenty", "", "2025-2027"):
        with pytest.raises(ValidationError):
            parse_school_year(bad)


# ---------------------------------------------------------------- retention


def test_retention_is_the_last_pupils_birth_plus_25_years(record: Record) -> None:
    record.open()
    record.pupil("p1", "Amy Jones", parts=["pictured"], dob="2010-05-04")
    record.pupil("p2", "Ben Smith", parts=["received"], dob="2011-02-01")
    kept = retention(record.incident)
    assert kept.until == date(2036, 2, 1)
    assert kept.basis == "dob" and not kept.estimated
    assert "Ben" not in kept.text and "2011" not in kept.text
    assert add_years(date(2008, 2, 29), 25) == date(2033, 3, 1)


def test_a_year_group_alone_is_estimated_conservatively(record: Record) -> None:
    record.open()  # Monday 9 November 2026: school year 2026-27
    record.pupil("p1", "Amy Jones", parts=["pictured"], year_group=10)
    kept = retention(record.incident)
    # Year 10 in 2026-27: born by 31/08/2012; a year added: 31/08/2013; + 25 years.
    assert kept.until == date(2038, 8, 31)
    assert kept.estimated and kept.basis == "year_group"
    assert "estimated" in kept.text and "Year 10 in 2026-27" in kept.text
    # Never earlier than the youngest possible pupil of that year group.
    youngest = date(2012, 8, 31)
    assert kept.until > add_years(youngest, 25)


def test_an_incident_without_pupils_is_kept_25_years_from_the_incident(record: Record) -> None:
    record.open()
    kept = retention(record.incident)
    assert kept.until == date(2051, 11, 9) and kept.basis == "no_pupils"


def test_a_transfer_with_a_receipt_makes_that_pupils_part_due(
    record: Record, policy: Policy
) -> None:
    record.open()
    record.pupil("p1", "Amy Jones", parts=["pictured"], dob="2010-05-04")
    record.add(
        "transfer.sent",
        {"transfer_id": "t1", "pupil_id": "p1", "to_school": "Ash High", "file_sha256": SHA},
    )
    assert retention(record.incident).until == date(2035, 5, 4)
    record.tick(days=3)
    record.add("transfer.receipt", {"transfer_id": "t1", "received_by": "Ms Oak, DSL"})
    kept = retention(record.incident)
    assert kept.basis == "transferred" and kept.until == date(2026, 11, 12)
    assert destruction_blockers(record.incident, date(2026, 11, 12)) == []
    assert destruction_blockers(record.incident, date(2026, 11, 11))


def old_record(policy: Policy) -> Record:
    """An incident of January 2005 about a pupil born in 1990: due for review in 2015."""
    record = Record(policy, ref="2005-001", start=datetime(2005, 1, 10, 9, 0, tzinfo=UTC))
    record.open()
    record.pupil("p1", "Amy Jones", parts=["pictured"], dob="1990-01-01")
    record.now = datetime(2026, 11, 9, 9, 0, tzinfo=UTC)
    return record


def test_a_review_keeps_a_record_longer_never_shorter(policy: Policy) -> None:
    record = old_record(policy)
    assert retention(record.incident).until == date(2015, 1, 1)
    record.add("retention.reviewed", {"keep_until": "2030-01-01", "reason": "police inquiry"})
    kept = retention(record.incident)
    assert (kept.until, kept.basis) == (date(2030, 1, 1), "review")
    with pytest.raises(ValidationError) as refused:
        record.add("retention.reviewed", {"keep_until": "2026-01-01", "reason": "x"})
    assert refused.value.field == "keep_until"


def test_a_legal_hold_blocks_destruction_until_lifted(policy: Policy) -> None:
    record = old_record(policy)
    today = date(2026, 11, 9)
    assert destruction_blockers(record.incident, today) == []
    hold = record.add("hold.set", {"reason": "Inquiry moratorium", "authority": "The Inquiry"})
    incident = record.incident
    assert [h.reason for h in incident.active_holds] == ["Inquiry moratorium"]
    assert incident.active_holds[0].by == DSL
    blockers = destruction_blockers(incident, today)
    assert len(blockers) == 1 and "legal hold" in blockers[0]
    assert retention(incident).on_hold
    record.add("hold.lifted", {"hold_id": hold.id, "reason": "Inquiry ended"}, by=HEAD,
               by_role="headteacher")  # fmt: skip
    incident = record.incident
    assert incident.active_holds == ()
    assert incident.holds[0].lifted is not None and incident.holds[0].lifted.by == HEAD
    assert destruction_blockers(incident, today) == []


def test_lifting_an_unknown_hold_is_flagged_not_fatal(record: Record) -> None:
    record.open()
    record.add("hold.lifted", {"hold_id": "0" * 32, "reason": "oops"})
    assert any("hold" in p.text for p in record.incident.problems)


@pytest.mark.parametrize("kind", ["transfer.sent", "retention.reviewed", "hold.set"])
def test_hand_over_entries_are_for_the_dsl(record: Record, kind: str) -> None:
    record.open()
    data = {
        "transfer.sent": {
            "transfer_id": "t1", "pupil_id": "p1", "to_school": "Ash", "file_sha256": SHA
        },
        "retention.reviewed": {"keep_until": "2060-01-01", "reason": "r"},
        "hold.set": {"reason": "r"},
    }[kind]  # fmt: skip
    with pytest.raises(ValidationError) as refused:
        record.add(kind, data, by="Terry Team", by_role="team")
    assert refused.value.field == "by_role"


# ---------------------------------------------------------------- transfers


def test_a_transfer_without_receipt_is_flagged_after_five_school_days(
    record: Record, policy: Policy
) -> None:
    record.open()
    record.pupil("p1", "Amy Jones", parts=["pictured"], dob="2010-05-04")
    record.add("incident.closed", {
        "summary": "s", "actions": "a", "outcome": "o", "rationale": "r", "gaps_reason": "left",
    })  # fmt: skip
    sent = record.add(
        "transfer.sent",
        {"transfer_id": "t1", "pupil_id": "p1", "to_school": "Ash High", "file_sha256": SHA},
    )
    incident = record.incident
    assert incident.closed
    due = datetime(2026, 11, 16, 9, 0, tzinfo=UTC)  # Monday 9 Nov 09:00 + 5 school days
    assert [f.code for f in overdue(incident, policy, due - timedelta(minutes=1))] == []
    flags = overdue(incident, policy, due)
    assert [f.code for f in flags] == ["transfer_receipt_missing"]
    assert "Amy" not in flags[0].text and "Ash" not in flags[0].text
    summary = summarize(incident, policy)
    assert summary_flags(summary, due) == flags
    assert summary["transfers_pending"] == [
        {"id": "t1", "sent_at": "2026-11-09T09:00:00Z", "due_at": "2026-11-16T09:00:00Z"}
    ]
    record.add("transfer.receipt", {"transfer_id": "t1", "received_by": "Ms Oak"})
    incident = record.incident
    assert incident.transfers[0].received and incident.transfers[0].event_id == sent.id
    assert overdue(incident, policy, due + timedelta(days=30)) == []
    assert summarize(incident, policy)["transfers_pending"] == []


def test_the_summary_carries_retention_without_names(record: Record, policy: Policy) -> None:
    record.open()
    record.pupil("p1", "Amy Jones", parts=["pictured"], dob="2010-05-04")
    summary = summarize(record.incident, policy)
    assert summary["retention"] == {"until": "2035-05-04", "basis": "dob", "estimated": False}
    assert summary["on_hold"] is False
    assert "Amy" not in repr(summary) and "2010-05-04" not in repr(summary)
