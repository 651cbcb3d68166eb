"""Issue 10, finding 7, through the service: real vaults, the DSL's and the technician's keys.

* Step 7 (devices) is read from the custody log: the audit's walk had it stay
  ✗ after the log showed the phone handed to the police.
* The inspection check states each limit the policy sets and each incident's
  actual times against it.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

from ydsi_tui.service.factory import Services
from ydsi_tui.service.reports.document import Heading, Paragraph
from ydsi_tui.service.reports.inspection import (
    inspection_document,
    inspection_json,
    inspection_report,
)
from ydsi_tui.service.shapes import incident_json

from .conftest import NOW
from .test_casebook import add_pupil, cases

Make = Callable[[str], Services]


def referred_to_police(services: Make) -> str:
    book = cases(services)
    ref = book.create("a phone was involved")
    add_pupil(book, ref, "Amy Jones")
    book.record(ref, "trigger.answered", {"n": 5, "answer": "yes", "basis": "Self-harm talk"})
    book.record(ref, "decision", {"outcome": "refer", "refer_to": ["police"], "reason": "T5"})
    book.record(ref, "police.contact", {"route": "call_101", "spoken_to": "Call handler 7"})
    return ref


def devices_step(services: Make, ref: str) -> str:
    view = cases(services).open(ref)
    return next(s.state for s in view.steps if s.step.id == "devices")


def seize(services: Make, ref: str, what: str) -> str:
    return services("tech").devices.seize(
        ref,
        {
            "description": what,
            "owner": "AJ",
            "seized_by": "Tom Tech",
            "powered_off": True,
            "locked_where": "DSL safe",
        },
    )


def test_step_7_is_done_once_the_log_shows_the_phone_handed_to_the_police(
    services: Make,
) -> None:
    ref = referred_to_police(services)
    assert devices_step(services, ref) != "done"  # nothing logged yet
    phone = seize(services, ref, "blue iPhone 13")
    assert devices_step(services, ref) != "done"  # still in the safe
    services("tech").devices.record(
        phone, "device.handover", {"officer": "PC Example 123", "handed_over_by": "Tom Tech"}
    )
    assert devices_step(services, ref) == "done"
    shown = incident_json(cases(services).open(ref))
    assert {s["id"]: s["state"] for s in shown["steps"]}["devices"] == "done"


def test_one_device_still_in_the_cabinet_keeps_step_7_open(services: Make) -> None:
    ref = referred_to_police(services)
    phone = seize(services, ref, "blue iPhone 13")
    seize(services, ref, "school laptop")
    services("tech").devices.record(
        phone, "device.handover", {"officer": "PC Example 123", "handed_over_by": "Tom Tech"}
    )
    assert devices_step(services, ref) != "done"
    # Another incident's device is not this incident's.
    other = cases(services).create("another incident")
    returned = seize(services, other, "tablet")
    services("tech").devices.record(returned, "device.returned", {"to_whom": "Mrs Jones"})
    assert devices_step(services, ref) != "done"


def test_the_summary_written_after_the_handover_agrees_with_the_guide(services: Make) -> None:
    ref = referred_to_police(services)
    phone = seize(services, ref, "blue iPhone 13")
    services("tech").devices.record(
        phone, "device.handover", {"officer": "PC Example 123", "handed_over_by": "Tom Tech"}
    )
    book = cases(services)
    book.note(ref, "Police collected the phone.")
    row = next(r for r in book.rows() if r.ref == ref)
    assert row.next_step == book.open(ref).next_step.title  # type: ignore[union-attr]
    assert row.next_step != "Securing and handing over devices"


def test_the_inspection_check_states_each_limit_and_the_actual_times(services: Make) -> None:
    book = cases(services)
    ref = book.create("told late", disclosed_at=NOW - timedelta(days=3))
    add_pupil(book, ref, "Amy Jones")
    book.record(
        ref,
        "disclosure",
        {
            "discloser_type": "staff",
            "to_whom": "Mr Brown, form tutor",
            "how": "In person",
            "disclosed_at": NOW - timedelta(days=3, hours=1),  # Friday 09:00
            "dsl_told_at": NOW - timedelta(hours=1),  # Monday 09:00
        },
        at=NOW - timedelta(days=3, hours=1),
    )
    report = inspection_report(book)
    assert [limit.id for limit in report.limits] == [
        "dsl_told",
        "referral",
        "decision_review",
        "parents",
        "device_collection",
        "deletion_deadline",
        "transfer_receipt",
    ]
    item = next(i for i in report.incidents if i.ref == ref)
    told = next(t for t in item.times if t.limit.id == "dsl_told")
    assert told.start == NOW - timedelta(days=3, hours=1)
    assert told.end == NOW - timedelta(hours=1)
    assert told.within is False
    parents = next(t for t in item.times if t.limit.id == "parents")
    assert parents.end is None and parents.within is None
    timely = next(m for m in item.missing if m.question_id == "timely_action")
    assert timely.fix_step_id in ("disclosure", "parents")
    shape = inspection_json(report)
    assert {"setting": "dsl_told_within_school_days", "amount": 0}.items() <= next(
        limit for limit in shape["limits"] if limit["id"] == "dsl_told"
    ).items()
    times = next(i for i in shape["incidents"] if i["ref"] == ref)["times"]
    assert times[0]["label"] == "Disclosure to the DSL" and times[0]["within"] is False
    texts = [b.text for b in inspection_document(report).blocks if isinstance(b, Paragraph)]
    heads = [b.text for b in inspection_document(report).blocks if isinstance(b, Heading)]
    assert "Time limits" in heads
    assert any(
        t.startswith("The DSL told of the disclosure: the same school day") and "as soon as" in t
        for t in texts
    )
    late = [t for t in texts if t.startswith("Time: Disclosure to the DSL")]
    assert len(late) == 1 and "LATE" in late[0] and "Fri 13/11/2026 09:00" in late[0]
