"""Reports from staff in the app (issue 13): the home's heading, the inbox, triage by keyboard.

A real vault (the seeded copy), a real spool, reports sealed and filed by the
real client code. The drop's log stamps the real time received; here that
clock is set just before the app's fixed clock, so the screen is the same on
every run. The login the kernel gives is named the same on every machine.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from tests.app.conftest import CLOCK, NOW, PASS, TEST_SETTINGS, MakeApp, screen_text, settle, unlock
from tests.support.drop import make_spool, publish
from ydsi_tui.app.main import make_app
from ydsi_tui.app.screens.forms import FormScreen
from ydsi_tui.app.screens.inbox import InboxScreen
from ydsi_tui.app.screens.incident import IncidentScreen
from ydsi_tui.service.factory import services_for
from ydsi_tui.service.staff_reports import Disclosure, file_staff_report
from ydsi_tui.vault.vault import Vault

# A whole app session on a real vault per test, seconds each.
pytestmark = pytest.mark.slow

WORDS = "He said [bold]send it[/bold] or else \x1b[2J and that everyone has it"
REPORTER = "Pat [i]Tutor[/i]"


@dataclass
class Spool:
    path: Path
    ids: list[str]

    def settings(self) -> Any:
        return dataclasses.replace(TEST_SETTINGS, drop_spool=self.path)


@pytest.fixture
def spool(vault: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Spool:
    received = iter(
        (NOW - timedelta(minutes=30 - n)).strftime("%Y-%m-%dT%H:%M:%S.%fZ") for n in range(1000)
    )
    monkeypatch.setattr("ydsi_tui.vault.drop_inbox.utc_now", lambda: next(received))
    monkeypatch.setattr("ydsi_tui.vault.drop.login_of", lambda uid: "ptutor")
    monkeypatch.setattr("ydsi_tui.vault.drop_inbox.login_of", lambda uid: "ptutor")
    numbers = iter(range(1, 100))
    monkeypatch.setattr(
        "ydsi_tui.service.staff_reports.new_report_id", lambda: f"staffreport{next(numbers):011d}"
    )
    session = Vault.open(vault).unlock("dsl", PASS)
    path = make_spool(tmp_path)
    _key, pin = publish(session, path, tmp_path)
    session.close()
    ids = []
    for n, young in enumerate((("Ava Pupil", "Ben Pupil"), ("Cal Pupil",))):
        receipt = file_staff_report(
            Disclosure(
                reporter_name=REPORTER,
                job_title="Form tutor, 9B",
                words=WORDS,
                disclosed_by="Ava, Year 9",
                disclosed_when_text="16/11 09:10",
                how="After registration",
                young_people=young,
                already_done="Told her I must pass it on",
            ),
            spool=path,
            pin_file=pin,
            state_dir=tmp_path / "state",
            now=NOW - timedelta(minutes=40 - n),
        )
        ids.append(receipt.report_id)
    return Spool(path, ids)


def _app(vault: Path, spool: Spool, user: str = "dsl") -> Any:
    return make_app(vault, user=user, settings=spool.settings(), clock=CLOCK)


async def test_new_reports_head_the_home_with_times_and_no_content(
    vault: Path, spool: Spool
) -> None:
    app = _app(vault, spool)
    async with app.run_test(size=(80, 24)) as pilot:
        await unlock(pilot)
        text = screen_text(app)
        assert "‼ 2 new reports from staff (received 09:30, 09:31): i opens the inbox" in text
        for content in ("send it", "Ava", "Pupil", "Pat", "Tutor", "staffreport"):
            assert content not in text, content


async def test_the_inbox_opens_a_report_and_takes_it_in_as_a_new_incident(
    vault: Path, spool: Spool
) -> None:
    app = _app(vault, spool)
    async with app.run_test(size=(80, 24)) as pilot:
        await unlock(pilot)
        await pilot.press("i")
        await settle(pilot)
        assert isinstance(app.screen, InboxScreen)
        listed = screen_text(app)
        assert "ptutor" in listed and "new, not opened" in listed
        assert "send it" not in listed
        await pilot.press("t")  # nothing to take in before it is opened
        await settle(pilot)
        assert isinstance(app.screen, InboxScreen)
        await pilot.press("enter")
        await settle(pilot)
        opened = screen_text(app)
        assert "[bold]send it[/bold]" in opened  # shown as typed, never as markup
        assert "Pat [i]Tutor[/i], Form tutor, 9B (as typed, not proof)" in opened
        await pilot.press("t")
        await settle(pilot)
        form = app.screen
        assert isinstance(form, FormScreen)
        assert form.form.target == "from_report"
        assert form.values["to_whom"] == "Pat [i]Tutor[/i] (Form tutor, 9B)"
        assert form.values["pupils.1.name"] == "Cal Pupil"  # the newest report is first
        form.values["summary"] = "Image shared after registration"
        form.query_one("#f-summary").value = "Image shared after registration"  # type: ignore[attr-defined]
        # Who disclosed is the DSL's choice (the report says it in words); no pupil yet.
        form.query_one("#f-discloser_type").value = "young_person"  # type: ignore[attr-defined]
        form.query_one("#f-pupils--1--name").value = ""  # type: ignore[attr-defined]
        await pilot.press("f2")
        await settle(pilot)
        assert isinstance(app.screen, IncidentScreen), getattr(app.screen, "errors", None)
        ref = app.screen.ref
    session = Vault.open(vault).unlock("dsl", PASS)
    try:
        cases = services_for(session, clock=CLOCK).cases
        assert cases is not None
        incident = cases.open(ref).incident
        [taken] = incident.staff_reports
        assert taken.report_id == spool.ids[1] and taken.taken_in_by == "Dana Lead"
        assert incident.events_by_id[taken.event_id].data["words"] == WORDS
        assert incident.dsl_knew_at == NOW - timedelta(minutes=29)
        actions = [e.action for e in session.vault.audit.entries()]
        assert "drop.opened" in actions and "drop.triaged" in actions
    finally:
        session.close()


async def test_a_report_is_dismissed_with_a_reason_and_leaves_the_heading(
    vault: Path, spool: Spool
) -> None:
    app = _app(vault, spool)
    async with app.run_test(size=(80, 24)) as pilot:
        await unlock(pilot)
        await pilot.press("i")
        await settle(pilot)
        await pilot.press("enter")
        await settle(pilot)
        await pilot.press("x")
        await settle(pilot)
        reason = app.screen.query_one("#reason")
        reason.value = "Recorded in the main safeguarding system, MS-4471"  # type: ignore[attr-defined]
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, InboxScreen)
        assert "dismissed: not for this procedure" in screen_text(app)
        await pilot.press("x")  # a second time: nothing offered
        await settle(pilot)
        assert isinstance(app.screen, InboxScreen)
        await pilot.press("escape")
        await settle(pilot)
        assert "A new report from staff (received 09:30)" in screen_text(app)
    assert b"MS-4471" not in (vault / "audit.log").read_bytes()


async def test_a_report_is_added_to_an_open_incident(
    vault: Path, spool: Spool, app_factory: MakeApp
) -> None:
    app = _app(vault, spool)
    async with app.run_test(size=(80, 24)) as pilot:
        await unlock(pilot)
        await pilot.press("i")
        await settle(pilot)
        await pilot.press("enter")
        await settle(pilot)
        await pilot.press("a")
        await settle(pilot)
        await pilot.press("enter")  # the first open incident offered
        await settle(pilot)
        text = screen_text(app)
        assert "taken into" in text, text


def test_inbox_snapshot(snap_compare: Any, vault: Path, spool: Spool) -> None:
    async def run(pilot: Any) -> None:
        await unlock(pilot)
        await pilot.press("i")
        await settle(pilot)
        await pilot.press("down", "enter")
        await settle(pilot)

    assert snap_compare(_app(vault, spool), terminal_size=(80, 24), run_before=run)


async def test_a_report_about_staff_only_exists_for_the_dsl_and_opens_for_the_head(
    vault: Path, spool: Spool, tmp_path: Path
) -> None:
    pin = tmp_path / "authority.pub"
    file_staff_report(
        Disclosure(
            reporter_name="Sam Support",
            job_title="Teaching assistant",
            words="A teacher messaged a pupil at night",
            about_staff=True,
        ),
        spool=spool.path,
        pin_file=pin,
        state_dir=tmp_path / "state",
        now=NOW - timedelta(minutes=35),
    )
    app = _app(vault, spool)
    async with app.run_test(size=(80, 24)) as pilot:
        await unlock(pilot)
        heading = " ".join(screen_text(app).split())  # it wraps at 80 columns
        assert (
            "3 new reports from staff (received 09:30, 09:31, 09:32; 1 about a member of "
            "staff): i opens the inbox" in heading
        )
        await pilot.press("i")
        await settle(pilot)
        assert "about staff: for the Headteacher only" in screen_text(app)
        await pilot.press("enter")  # the newest: the report about staff
        await settle(pilot)
        assert isinstance(app.screen, InboxScreen)
        text = screen_text(app)
        assert "only the Headteacher can open it" in text
        assert "messaged" not in text and "Sam Support" not in text
    head = _app(vault, spool, user="head")
    async with head.run_test(size=(80, 24)) as pilot:
        await unlock(pilot)
        await pilot.press("i")
        await settle(pilot)
        await pilot.press("enter")
        await settle(pilot)
        text = screen_text(head)
        assert "A teacher messaged a pupil at night" in text, text
        assert "This report is about a member of staff." in text
