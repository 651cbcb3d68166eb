"""A report from staff taken in from the drop: the earliest the DSL could have known (issue 13).

"When the DSL was told" is whatever the DSL types. A report that reached the
drop has a time received the drop recorded; the earlier of the two is what
the timeliness figures use. Only an entry the reader verified counts: the
model has no keys, so ``verified`` stands for the vault's check.
"""

from __future__ import annotations

import dataclasses
from datetime import timedelta
from typing import Any

from ydsi_tui.model import rules
from ydsi_tui.model.events import Event
from ydsi_tui.model.timelimits import incident_times
from ydsi_tui.model.timeparse import to_iso_utc

from .support import START, Record


def taken_in(record: Record, *, received: Any, verified: bool = True, **extra: Any) -> Event:
    data: dict[str, Any] = {
        "report_id": "r-Zm9vYmFy",
        "digest": "ab" * 32,
        "received_at": to_iso_utc(received),
        "filed_at": to_iso_utc(received - timedelta(seconds=20)),
        "reporter_name": "Pat Tutor",
        "job_title": "Form tutor, 9B",
        "owner_login": "ptutor",
        "owner_uid": 1234,
        "about_staff": False,
        "words": "She said he sent it to the whole group and she wants it gone.",
        "disclosed_by": "Ava, Year 9",
        "how": "After registration, in person",
        "young_people": ["Ava", "Ben"],
        **extra,
    }
    event = record.add("staff_report.taken_in", data, at=received)
    if verified:
        event = dataclasses.replace(event, verified=True)
        record.events[-1] = event
    return event


def disclosed(record: Record, *, told_after: timedelta | None) -> None:
    data: dict[str, Any] = {
        "discloser_type": "young_person",
        "to_whom": "Pat Tutor, form tutor",
        "how": "in person",
        "disclosed_at": to_iso_utc(START),
    }
    if told_after is not None:
        data["dsl_told_at"] = to_iso_utc(START + told_after)
    record.add("disclosure", data, at=START)


def test_a_report_received_before_the_time_typed_is_when_the_dsl_could_have_known(
    record: Record,
) -> None:
    record.open()
    record.tick(days=3)  # typed "DSL told" on Thursday: three days late
    disclosed(record, told_after=timedelta(days=3))
    taken_in(record, received=START + timedelta(minutes=25))
    incident = record.incident
    assert incident.dsl_knew_at == START + timedelta(minutes=25)
    assert incident.dsl_knew_from_report is not None
    timing = incident_times(incident, record.policy)[0]
    assert timing.end == START + timedelta(minutes=25)
    assert timing.label.endswith("(a report from staff received)")
    assert timing.within is True
    assert "dsl_delay" not in [flag.code for flag in rules.obligations(incident, record.policy)]


def test_the_time_typed_counts_when_the_dsl_was_told_before_the_report_arrived(
    record: Record,
) -> None:
    record.open()
    record.tick(hours=4)
    disclosed(record, told_after=timedelta(minutes=5))
    taken_in(record, received=START + timedelta(hours=3))
    incident = record.incident
    assert incident.dsl_knew_at == START + timedelta(minutes=5)
    assert incident.dsl_knew_from_report is None
    assert incident_times(incident, record.policy)[0].label == "Disclosure to the DSL"


def test_a_late_report_is_flagged_in_its_own_words(record: Record) -> None:
    record.open()
    record.tick(days=6)
    disclosed(record, told_after=None)  # the DSL typed no time: the report's receipt is it
    taken_in(record, received=START + timedelta(days=5))
    incident = record.incident
    assert rules.summarize(incident, record.policy)  # summarising an incident with one works
    delay = [f for f in rules.obligations(incident, record.policy) if f.code == "dsl_delay"]
    assert len(delay) == 1
    assert delay[0].text.startswith("A report from staff reached the DSL's inbox")
    assert incident_times(incident, record.policy)[0].within is False


def test_an_unverified_report_entry_counts_for_nothing_and_says_so(record: Record) -> None:
    record.open()
    record.tick(days=3)
    disclosed(record, told_after=timedelta(days=3))
    forged = taken_in(record, received=START + timedelta(minutes=1), verified=False)
    incident = record.incident
    assert incident.staff_reports == ()
    assert incident.dsl_knew_at == START + timedelta(days=3)
    assert any(p.event_id == forged.id and "not verified" in p.text for p in incident.problems), (
        incident.problems
    )


def test_the_same_report_taken_in_twice_counts_once(record: Record) -> None:
    record.open()
    record.tick(hours=1)
    taken_in(record, received=START + timedelta(minutes=10))
    second = taken_in(record, received=START + timedelta(minutes=10))
    incident = record.incident
    assert len(incident.staff_reports) == 1
    assert any(p.event_id == second.id and "already" in p.text for p in incident.problems)


def test_what_the_reporter_typed_is_kept_even_where_it_cannot_be_right(record: Record) -> None:
    """A disclosure time after the report, a name with markup: verbatim, not refused."""
    record.open()
    record.tick(hours=1)
    words = "[b]he said[/b] \x1b[31m 'delete it' \N{RIGHT-TO-LEFT OVERRIDE}"
    event = taken_in(
        record,
        received=START + timedelta(minutes=10),
        words=words,
        disclosed_at=to_iso_utc(START + timedelta(days=30)),
        reporter_name="[red]Mr[/red] Smith",
    )
    assert event.data["words"] == words
    assert event.data["reporter_name"] == "[red]Mr[/red] Smith"
