"""DSL triage of reports from staff (issue 13): take in, add to an incident, dismiss.

Real vaults, a real spool with its real mode, reports sealed and filed by the
real client code; the DSL's session receives and opens them.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from tests.support.drop import HOSTILE_WORDS, disclose, make_spool, publish
from tests.support.vaults import enrol_user
from ydsi_tui.model.errors import ValidationError
from ydsi_tui.model.staff_reports import StaffReport
from ydsi_tui.model.timeparse import from_iso, to_iso_utc
from ydsi_tui.service.clock import SystemClock
from ydsi_tui.service.factory import Services
from ydsi_tui.service.inbox import Inbox
from ydsi_tui.vault.errors import Conflict
from ydsi_tui.vault.vault import Vault

from .conftest import PASS, World


@dataclass
class Desk:
    world: World
    spool: Path
    pin: Path
    state: Path
    services: Services

    def inbox(self, services: Services | None = None) -> Inbox:
        services = services or self.services
        assert services.cases is not None
        return Inbox(services.cases, self.spool)

    def file(self, words: str = HOSTILE_WORDS, **fields: object) -> str:
        return disclose(self.spool, self.pin, self.state, words, **fields).report_id


@pytest.fixture
def desk(world: World, tmp_path: Path) -> Iterator[Desk]:
    # The drop's log keeps the real time received: the case book runs on the real clock.
    world.clock = SystemClock()  # type: ignore[assignment]
    services = world.services("dsl")
    spool = make_spool(tmp_path)
    _key, pin = publish(services.session, spool, tmp_path)
    yield Desk(world, spool, pin, tmp_path / "state", services)
    services.session.close()


def test_a_report_taken_in_opens_an_incident_from_it_verbatim(desk: Desk) -> None:
    report_id = desk.file(
        young_people=("Ava Pupil",),
        disclosed_by="Ava, Year 9",
        how="after registration",
        disclosed_when_text="14/11 10:30",
        already_done="told her I must pass it on",
    )
    inbox = desk.inbox()
    [row] = inbox.rows()
    assert row.new and row.status == "new, not opened"
    report = inbox.open(report_id)
    ref = inbox.take_in(report, summary="Image shared in a group chat")
    view = desk.services.cases.open(ref)  # type: ignore[union-attr]
    incident = view.incident
    received = from_iso(row.received.received_at)
    # The disclosure filled in from the report; the DSL told when it was received.
    assert incident.disclosure is not None
    assert incident.disclosure.to_whom == "Ann Tutor (Form tutor)"
    assert incident.disclosure.discloser_name == "Ava, Year 9"
    assert incident.disclosure.how == "after registration"
    assert incident.disclosure.dsl_told_at == received
    assert to_iso_utc(incident.disclosure.disclosed_at) == "2026-11-14T10:30:00Z"  # type: ignore[arg-type]
    # The report verbatim, signed into the record by the DSL who took it in.
    [taken] = incident.staff_reports
    assert taken.report_id == report_id and taken.taken_in_by == "Dana Lead"
    entry = incident.events_by_id[taken.event_id]
    assert entry.data["words"] == HOSTILE_WORDS
    assert entry.data["young_people"] == ("Ava Pupil",)
    assert entry.authorship == "signed" and entry.verified
    assert incident.dsl_knew_at == received
    assert not [p for p in view.problems if "report" in p]
    # Linked both ways: the log names the incident (its reference sealed).
    triage = inbox.triage_of(report_id)
    assert triage is not None and triage.taken_in and triage.ref == ref
    assert triage.record == desk.services.session.record_id("case", ref)
    assert inbox.rows()[0].status == f"taken into {ref}"
    assert inbox.waiting() == []
    assert ref.encode() not in (desk.world.path / "audit.log").read_bytes()


def test_a_report_triaged_once_cannot_be_triaged_again(desk: Desk) -> None:
    report_id = desk.file(disclosed_when_text="yesterday 9am")
    inbox = desk.inbox()
    report = inbox.open(report_id)
    ref = inbox.take_in(report, summary="Shared image")
    other = desk.services.cases.create("Another incident")  # type: ignore[union-attr]
    for attempt in (
        lambda: inbox.take_in(report, summary="Again"),
        lambda: inbox.add(report, other),
        lambda: inbox.dismiss(report, "a mistake"),
    ):
        with pytest.raises(Conflict, match=f"already taken into incident {ref}"):
            attempt()
    assert len(desk.services.cases.rows()) == 2  # type: ignore[union-attr]
    assert desk.services.cases.open(other).incident.staff_reports == ()  # type: ignore[union-attr]


def test_a_report_added_to_an_incident_moves_when_the_dsl_could_have_known(desk: Desk) -> None:
    cases = desk.services.cases
    assert cases is not None
    report_id = desk.file()
    inbox = desk.inbox()
    received = from_iso(inbox.rows()[0].received.received_at)
    # The DSL types "told now", after the report had already reached the inbox.
    ref = cases.create(
        "Disclosed to a tutor",
        disclosed_at=received - timedelta(days=3),
        disclosure={
            "discloser_type": "young_person",
            "to_whom": "Ann Tutor",
            "how": "in person",
            "dsl_told_at": to_iso_utc(desk.services.cases.clock.now()),  # type: ignore[union-attr]
        },
    )
    told = cases.open(ref).incident.dsl_knew_at
    assert told is not None and told > received
    event = inbox.add(inbox.open(report_id), ref)
    assert event is not None and event.kind == "staff_report.taken_in"
    incident = cases.open(ref).incident
    assert incident.dsl_knew_at == received
    assert incident.dsl_knew_from_report is not None
    assert inbox.triage_of(report_id).ref == ref  # type: ignore[union-attr]


def test_a_report_dismissed_keeps_the_reason_sealed(desk: Desk) -> None:
    report_id = desk.file()
    inbox = desk.inbox()
    reason = "Recorded in the school's main safeguarding system, reference MS-4471"
    triage = inbox.dismiss(inbox.open(report_id), reason)
    assert not triage.taken_in
    assert inbox.triage_of(report_id).reason == reason  # type: ignore[union-attr]
    assert inbox.rows()[0].status == "dismissed: not for this procedure"
    log = (desk.world.path / "audit.log").read_bytes()
    assert b"MS-4471" not in log and b"drop.dismissed" in log
    with pytest.raises(Conflict, match="already dismissed"):
        inbox.take_in(inbox.open(report_id), summary="After all")
    # The technician reads the log but not the reason.
    tech = Vault.open(desk.world.path).unlock("tech", PASS)
    try:
        assert tech.triaged_reports()[report_id].reason == ""
    finally:
        tech.close()


def test_a_report_is_never_typed_in_or_corrected(desk: Desk) -> None:
    cases = desk.services.cases
    assert cases is not None
    ref = cases.create("An incident")
    with pytest.raises(ValidationError, match="taken in from the inbox"):
        cases.record(ref, "staff_report.taken_in", {"report_id": "x"})


def test_a_take_in_interrupted_before_its_triage_is_finished_by_add(desk: Desk) -> None:
    """The incident was saved, the triage entry not (a full disk): add finishes it, once."""
    from ydsi_tui.service.inbox import taken_in_payload

    report_id = desk.file(disclosed_when_text="yesterday 9am")
    inbox = desk.inbox()
    report = inbox.open(report_id)
    received = desk.services.session.received_reports()[report_id]
    cases = desk.services.cases
    assert cases is not None
    ref = cases.create(
        "Saved, not logged",
        taken_in=(taken_in_payload(report, received), from_iso(received.received_at)),
    )
    view = cases.open(ref)
    assert view.incident.staff_reports == ()
    assert any("not verified" in p for p in view.problems)
    assert inbox.add(report, ref) is None  # nothing added twice
    view = cases.open(ref)
    assert len(view.incident.staff_reports) == 1
    assert not any("not verified" in p for p in view.problems)


def test_a_report_without_a_time_asks_for_one(desk: Desk) -> None:
    report_id = desk.file(disclosed_when_text="sometime after lunch")
    inbox = desk.inbox()
    with pytest.raises(ValidationError, match="sometime after lunch"):
        inbox.take_in(inbox.open(report_id), summary="When?")
    assert inbox.waiting()  # nothing was triaged


def test_a_team_member_with_their_own_keys_takes_a_report_in(desk: Desk) -> None:
    enrol_user(desk.services.session, desk.world.path, "tam", "team", PASS, full_name="Tam Team")
    report_id = desk.file(disclosed_when_text="yesterday 9am")
    team = desk.world.services("tam")
    try:
        inbox = desk.inbox(team)
        ref = inbox.take_in(inbox.open(report_id), summary="Taken in by the deputy")
    finally:
        team.session.close()
    [taken] = desk.services.cases.open(ref).incident.staff_reports  # type: ignore[union-attr]
    assert taken.taken_in_by == "Tam Team"


def _report_filed_at(filed_at: datetime, when_text: str) -> StaffReport:
    return StaffReport(
        report_id="r1",
        reporter_name="Ann Tutor",
        job_title="Form tutor",
        words="words",
        disclosed_by="a pupil",
        disclosed_at=None,
        how="in class",
        young_people=(),
        already_done="",
        about_staff=False,
        filed_at=filed_at,
        owner_uid=1000,
        owner_login="ann",
        disclosed_when_text=when_text,
    )


def test_the_reporters_words_are_read_against_when_they_filed_not_now() -> None:
    """Words such as "today 9am" typed at 10:00 are that morning; at 08:00 not yet a time.

    (The tests above once used "today 9am" on the real clock and failed whenever
    the suite ran before nine.)
    """
    from ydsi_tui.service.inbox import reported_time

    morning = datetime(2026, 11, 16, 10, 0, tzinfo=UTC)
    assert reported_time(_report_filed_at(morning, "today 9am")) == datetime(
        2026, 11, 16, 9, 0, tzinfo=UTC
    )
    early = datetime(2026, 11, 16, 8, 0, tzinfo=UTC)
    assert reported_time(_report_filed_at(early, "today 9am")) is None
