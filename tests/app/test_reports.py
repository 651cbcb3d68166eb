"""Reports and records from the app, by keys, on a real vault: every hand-over and record tool.

Files are written under a home folder of the test's own (``HOME`` is set to
it), so the defaults (``~/ydsi-exports/...``) land somewhere private and
known.
"""

from __future__ import annotations

import os
import re
import stat
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from textual.pilot import Pilot
from textual.widgets import Input

from tests.app.conftest import (
    CLOCK,
    NOW,
    PASS,
    MakeApp,
    Refs,
    open_incident,
    screen_text,
    settle,
    unlock,
)
from ydsi_tui.app.app import YdsiApp
from ydsi_tui.app.screens.backup import BackupScreen
from ydsi_tui.app.screens.dialogs import DiscardDialog, ErrorDialog, FieldsDialog
from ydsi_tui.app.screens.export import ExportDialog
from ydsi_tui.app.screens.governors import GovernorsScreen
from ydsi_tui.app.screens.home import HomeScreen
from ydsi_tui.app.screens.incident import IncidentScreen
from ydsi_tui.app.screens.inspection import InspectionScreen
from ydsi_tui.app.screens.reader import ReaderScreen
from ydsi_tui.app.screens.reports import ReportsScreen
from ydsi_tui.app.screens.retention import DestroyDialog, RetentionScreen
from ydsi_tui.app.screens.subject_access import SubjectAccessScreen
from ydsi_tui.app.screens.transfer import PassphraseDialog, SendScreen, TransferScreen
from ydsi_tui.app.widgets.panes import GuidePane
from ydsi_tui.app.widgets.table import RecordTable
from ydsi_tui.model.events import new_id
from ydsi_tui.service.clock import FixedClock
from ydsi_tui.service.factory import services_for
from ydsi_tui.service.transfers import TransferDesk
from ydsi_tui.vault.backup import verify_backup
from ydsi_tui.vault.vault import Vault

# Each test is a whole app session on a real vault, seconds apiece.
pytestmark = pytest.mark.slow

LONG_AGO = datetime(2005, 3, 14, 10, 0, tzinfo=UTC)
PASSPHRASE_SHAPE = re.compile(r"\b[2-9A-Z]{4}(?:-[2-9A-Z]{4}){5}\b")


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The user's home folder: where ``~/ydsi-exports`` will be made."""
    folder = tmp_path / "home"
    folder.mkdir()
    monkeypatch.setenv("HOME", str(folder))
    return folder


def add_old_incident(vault: Path, name: str = "Zed Quill") -> str:
    """An incident of 2005 about a pupil born in 1990: due for review since 2015."""
    session = Vault.open(vault).unlock("dsl", PASS)
    try:
        cases = services_for(session, clock=FixedClock(LONG_AGO)).cases
        assert cases is not None
        ref = cases.create("An old incident kept past its time", "peer_sharing")
        cases.record(ref, "pupil.added", {
            "pupil_id": new_id(), "name": name, "dob": "1990-02-01", "sex": "male",
            "parts": ["pictured"], "sen": False, "vulnerabilities": "",
        })  # fmt: skip
        return ref
    finally:
        session.close()


def spy_notifications(app: YdsiApp) -> list[str]:
    seen: list[str] = []
    original = app.notify

    def spy(message: str, **kwargs: Any) -> None:
        assert kwargs.get("markup") is False
        seen.append(message)
        original(message, **kwargs)

    app.notify = spy  # type: ignore[method-assign]
    return seen


async def press(pilot: Pilot[Any], *keys: str) -> None:
    for key in keys:
        await pilot.press(key)
        await settle(pilot)


async def type_into(pilot: Pilot[Any], selector: str, value: str) -> None:
    field = pilot.app.screen.query_one(selector, Input)
    field.focus()
    field.value = value  # as if typed (Pilot types ~60 ms a key)
    await pilot.pause()


async def to_tool(pilot: Pilot[Any], number: str) -> None:
    await press(pilot, "r")
    assert isinstance(pilot.app.screen, ReportsScreen)
    await press(pilot, number)


def flat(app: YdsiApp) -> str:
    """The screen's words with the lines (and dialog borders) joined: wrapping ignored."""
    return " ".join(line.strip("│█▌ ") for line in screen_text(app).splitlines())


def mode(path: Path) -> int:
    return stat.S_IMODE(os.stat(path).st_mode)


# ------------------------------------------------------------------ reaching them


async def test_reports_and_records_is_one_key_from_home(app_factory: MakeApp) -> None:
    app = app_factory()
    async with app.run_test() as pilot:
        await unlock(pilot)
        for number, screen in [("1", InspectionScreen), ("2", GovernorsScreen),
                               ("3", RetentionScreen), ("4", SubjectAccessScreen),
                               ("5", TransferScreen), ("6", BackupScreen)]:  # fmt: skip
            await to_tool(pilot, number)
            assert isinstance(app.screen, screen), number
            await press(pilot, "escape")
            assert isinstance(app.screen, ReportsScreen)
            await press(pilot, "escape")
            assert isinstance(app.screen, HomeScreen)
        await press(pilot, "r", "down", "down", "enter")  # Enter on the third tool
        assert isinstance(app.screen, RetentionScreen)


async def test_the_palette_finds_every_tool_from_home(app_factory: MakeApp) -> None:
    app = app_factory()
    async with app.run_test(size=(100, 40)) as pilot:
        await unlock(pilot)
        await press(pilot, "ctrl+p")
        await pilot.press(*"backup")
        await pilot.pause(0.5)
        assert "Backup" in screen_text(app)
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, BackupScreen)


async def test_a_technician_reaches_none_of_them(app_factory: MakeApp) -> None:
    app = app_factory(user="tech")
    async with app.run_test() as pilot:
        await unlock(pilot)
        await press(pilot, "r", "1", "6")
        assert not isinstance(app.screen, ReportsScreen | InspectionScreen | BackupScreen)
        assert "Reports" not in screen_text(app)


# ------------------------------------------------------------------ the chronology


async def test_exporting_a_chronology_writes_a_private_file_and_says_where(
    app_factory: MakeApp, refs: Refs, home: Path
) -> None:
    app = app_factory()
    seen = spy_notifications(app)
    async with app.run_test(size=(100, 40)) as pilot:
        await unlock(pilot)
        await open_incident(pilot, refs.chat)
        await press(pilot, "e")
        dialog = app.screen
        assert isinstance(dialog, ExportDialog)
        path_field = dialog.query_one("#export-path", Input)
        assert path_field.value == f"~/ydsi-exports/{refs.chat}-chronology.pdf"
        await press(pilot, "f2")
        written = home / "ydsi-exports" / f"{refs.chat}-chronology.pdf"
        assert written.read_bytes().startswith(b"%PDF")
        assert mode(written) == 0o600 and mode(written.parent) == 0o700
        text = screen_text(app)
        assert "✔ Written" in text and "outside the vault's protection" in text
        assert f"~/ydsi-exports/{refs.chat}-chronology.pdf" in text
        assert any(
            f"~/ydsi-exports/{refs.chat}-chronology.pdf" in message
            and "outside the vault's protection" in message
            for message in seen
        )
        await press(pilot, "enter")  # close
        assert isinstance(app.screen, IncidentScreen)
        # The same name again: the next free one is offered, never the old file.
        await press(pilot, "e")
        field = app.screen.query_one("#export-path", Input)
        assert field.value == f"~/ydsi-exports/{refs.chat}-chronology-2.pdf"


async def test_an_export_never_writes_over_a_file(
    app_factory: MakeApp, refs: Refs, home: Path
) -> None:
    target = home / "kept.md"
    target.write_text("someone's own notes")
    app = app_factory()
    async with app.run_test(size=(100, 40)) as pilot:
        await unlock(pilot)
        await open_incident(pilot, refs.chat)
        await press(pilot, "e")
        await type_into(pilot, "#export-path", "~/kept.md")
        await press(pilot, "f2")
        assert isinstance(app.screen, ErrorDialog)
        assert "already exists: nothing was written" in screen_text(app)
        assert target.read_text() == "someone's own notes"


# ------------------------------------------------------------------ inspection


async def test_an_inspection_item_opens_the_incident_at_the_step_to_fix_it(
    app_factory: MakeApp, refs: Refs
) -> None:
    app = app_factory()
    async with app.run_test(size=(100, 40)) as pilot:
        await unlock(pilot)
        await to_tool(pilot, "1")
        screen = app.screen
        assert isinstance(screen, InspectionScreen) and screen.report is not None
        assert "0 of 4 incident(s) complete" in screen_text(app)
        table = screen.query_one("#inspection-table", RecordTable)
        index = next(
            i for i, item in enumerate(screen.items)
            if item.ref == refs.signoff and item.step_id == "decision"
        )  # fmt: skip
        table.move_cursor(row=index)
        await settle(pilot)
        assert "Fix at: Immediate referral triggers and the decision" in screen_text(app)
        await press(pilot, "enter")
        incident = app.screen
        assert isinstance(incident, IncidentScreen) and incident.ref == refs.signoff
        assert incident.pane == "guide"
        assert incident.query_one(GuidePane).step_id == "decision"


# ------------------------------------------------------------------ governors


async def test_the_governors_figures_name_no_one_and_no_incident(
    app_factory: MakeApp, refs: Refs, home: Path
) -> None:
    app = app_factory()
    async with app.run_test(size=(120, 40)) as pilot:
        await unlock(pilot)
        await to_tool(pilot, "2")
        screen = app.screen
        assert isinstance(screen, GovernorsScreen) and screen.report is not None
        text = screen_text(app)
        assert "School year 2026-27" in text and "Autumn" in text
        assert screen.report.total.incidents == 4
        assert re.search(r"Autumn\s+█+\s+4", text)  # the bar and its count
        for secret in (refs.chat, refs.referral, refs.signoff, refs.fresh, refs.device,
                       "Ann", "Ben", "Cara", "Example", "Sample", "Dana", "Hana"):  # fmt: skip
            assert secret not in text, secret
        await press(pilot, "left")
        assert "School year 2025-26" in screen_text(app)
        assert screen.report.total.incidents == 0
        await press(pilot, "y")
        assert isinstance(app.screen, FieldsDialog)
        await type_into(pilot, "#in-year", "2026/27")
        await press(pilot, "f2")
        assert screen.report.year.label == "2026-27"
        await press(pilot, "e")
        await press(pilot, "f2")
        written = home / "ydsi-exports" / "governors-2026-27.pdf"
        assert mode(written) == 0o600
        assert "outside the vault's protection" in screen_text(app)


async def test_the_governors_charts_fit_80x24_scroll_by_keys_and_hide_small_numbers(
    app_factory: MakeApp, refs: Refs, home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Every breakdown at 80x24 under NO_COLOR: reached by the keyboard, numbers in characters."""
    from textual.containers import VerticalScroll

    monkeypatch.setenv("NO_COLOR", "1")
    app = app_factory()
    async with app.run_test(size=(80, 24)) as pilot:
        await unlock(pilot)
        await to_tool(pilot, "2")
        screen = app.screen
        assert isinstance(screen, GovernorsScreen) and screen.report is not None
        body = screen.query_one("#governors-body", VerticalScroll)
        assert body.has_focus and body.max_scroll_y > 0  # more than fits: it scrolls
        assert body.max_scroll_x == 0  # nothing is cut off at the side
        seen = screen_text(app)
        assert "Term    Incidents" in seen and "Repeat involvement" not in seen
        # The seeded vault's four incidents are one of each kind: every kind's count is hidden.
        report = screen.report
        assert report.shown("by_kind", "sextortion", "year") is None
        await press(pilot, "end")
        assert body.scroll_y == body.max_scroll_y
        bottom = screen_text(app)
        assert "Repeat involvement" in bottom and "Median times" in bottom
        pages = [seen]
        await press(pilot, "home")
        while True:
            await press(pilot, "pagedown")
            pages.append(screen_text(app))
            if body.scroll_y >= body.max_scroll_y:
                break
        every = "\n".join(pages)
        for heading in ("Decision", "Kind", "Year group", "Sex", "Median times"):
            assert re.search(rf"^\s*{heading}\s", every, re.MULTILINE), heading
        assert re.search(r"Sextortion\s+c\s+0\s+0\s+c", every)  # the hidden mark, no bar
        for secret in (refs.chat, refs.referral, refs.signoff, refs.fresh, refs.device,
                       "Ann", "Ben", "Cara", "Example", "Sample", "Dana", "Hana"):  # fmt: skip
            assert secret not in every, secret
        await press(pilot, "left")  # the scrolling body lets the year keys through
        assert "School year 2025-26" in screen_text(app)


# ------------------------------------------------------------------ retention


async def test_a_legal_hold_blocks_destruction_with_the_services_message(
    app_factory: MakeApp, vault: Path
) -> None:
    old = add_old_incident(vault)
    app = app_factory()
    async with app.run_test(size=(100, 40)) as pilot:
        await unlock(pilot)
        await to_tool(pilot, "3")
        screen = app.screen
        assert isinstance(screen, RetentionScreen)
        table = screen.query_one("#retention-table", RecordTable)
        assert table.keys[0] == old  # what is due comes first
        assert "⌛ DUE" in screen_text(app)
        await press(pilot, "h")
        await type_into(pilot, "#in-reason", "Inquiry moratorium on destruction")
        await type_into(pilot, "#in-authority", "The Inquiry")
        await press(pilot, "f2")
        assert isinstance(app.screen, RetentionScreen)
        text = screen_text(app)
        assert "ON HOLD" in text and "Inquiry moratorium on destruction" in text
        await press(pilot, "x")
        assert isinstance(app.screen, ErrorDialog)
        text = screen_text(app)
        assert f"Could not destroy {old}" in text
        assert f"{old} cannot be destroyed: a legal hold set by Dana Lead" in text
        await press(pilot, "enter")
        assert not isinstance(app.screen, DestroyDialog)
        # Lifted, it may go.
        await press(pilot, "l")
        await type_into(pilot, "#reason", "The inquiry has reported")
        await press(pilot, "enter")
        assert "ON HOLD" not in screen_text(app)
        await press(pilot, "x")
        assert isinstance(app.screen, DestroyDialog)
    session = Vault.open(vault).unlock("dsl", PASS)
    try:
        cases = services_for(session, clock=CLOCK).cases
        assert cases is not None
        holds = cases.open(old, log=False).incident.holds
        assert holds[0].by == "Dana Lead" and holds[0].authority == "The Inquiry"
        assert holds[0].lifted is not None
    finally:
        session.close()


async def test_destroying_with_the_typed_reference_removes_it_from_home(
    app_factory: MakeApp, vault: Path
) -> None:
    old = add_old_incident(vault)
    app = app_factory()
    async with app.run_test(size=(100, 40)) as pilot:
        await unlock(pilot)
        assert old in app.screen.query_one("#incidents", RecordTable).keys
        await to_tool(pilot, "3")
        await press(pilot, "x")
        dialog = app.screen
        assert isinstance(dialog, DestroyDialog)
        text = flat(app)
        assert "The audit log will record" in text and "None of its content" in text
        assert "date of birth + 25 years" in text and "01/02/2015" in text
        await type_into(pilot, "#destroy-ref", "2005-00")  # not quite
        await press(pilot, "f2")
        assert app.screen is dialog and "That is not the reference" in flat(app)
        await type_into(pilot, "#destroy-ref", old)
        await press(pilot, "f2")
        assert isinstance(app.screen, ReaderScreen)
        assert f"Destroyed {old}" in flat(app) and "none of its content" in flat(app)
        await press(pilot, "enter")
        retention = app.screen
        assert isinstance(retention, RetentionScreen)
        assert "destroyed:0" in retention.query_one("#retention-table", RecordTable).keys
        await press(pilot, "escape", "escape")
        home = app.screen
        assert isinstance(home, HomeScreen)
        assert old not in home.query_one("#incidents", RecordTable).keys
    log = (vault / "audit.log").read_bytes()
    # The whole entry is sealed (a technician reads the log): no reference, no kept_until
    # (date of birth + 25), not even that it is a destruction.
    assert b"Zed Quill" not in log and old.encode() not in log and b"2015-02-01" not in log
    assert b"record.destroy" not in log and b"retention" not in log
    dsl = Vault.open(vault).unlock("dsl", PASS)
    entries = [e for e in dsl.vault.audit.entries() if e.action == "record.destroy"]
    assert len(entries) == 1 and entries[0].extra["reason"] == "retention"
    note = dsl.open_entry_note(entries[0])
    dsl.close()
    assert note == {"ref": old, "basis": "dob", "kept_until": "2015-02-01"}


async def test_only_a_dsl_destroys_and_the_headteacher_is_told_so(
    app_factory: MakeApp, vault: Path
) -> None:
    add_old_incident(vault)
    app = app_factory(user="head")
    async with app.run_test(size=(100, 40)) as pilot:
        await unlock(pilot)
        await to_tool(pilot, "3")
        await press(pilot, "x")
        assert isinstance(app.screen, ErrorDialog)
        assert "only a DSL can destroy a record" in screen_text(app)


# ------------------------------------------------------------------ subject access


async def test_subject_access_shows_the_marks_and_exports_them(
    app_factory: MakeApp, refs: Refs, home: Path
) -> None:
    app = app_factory()
    seen = spy_notifications(app)
    async with app.run_test(size=(120, 40)) as pilot:
        await unlock(pilot)
        await to_tool(pilot, "4")
        assert isinstance(app.screen, SubjectAccessScreen)
        await type_into(pilot, "#sar-name", "Ben Example")
        await press(pilot, "enter")
        screen = app.screen
        assert isinstance(screen, SubjectAccessScreen) and screen.report is not None
        text = screen_text(app)
        assert "item(s) marked for redaction" in text
        # Another pupil is never named (finding 9 of issue 10), not even as markup.
        assert "[REDACT other pupil: another pupil]" in text
        assert "Ann" not in text and "Markup" not in text
        await press(pilot, "e")
        await type_into(pilot, "#export-path", "~/sar.md")
        await press(pilot, "f2")
    written = home / "sar.md"
    assert mode(written) == 0o600
    assert "REDACT other pupil" in written.read_text()
    assert all("Ben" not in message and "Ann" not in message for message in seen)


async def test_subject_access_asks_for_the_date_of_birth_when_two_share_a_name(
    app_factory: MakeApp, vault: Path
) -> None:
    add_old_incident(vault, "Ben Example")  # born 1990: not the Year 10 Ben of 2026
    app = app_factory()
    async with app.run_test(size=(100, 40)) as pilot:
        await unlock(pilot)
        await to_tool(pilot, "4")
        screen = app.screen
        assert isinstance(screen, SubjectAccessScreen)
        assert not screen.query_one("#sar-dob-box").display
        await type_into(pilot, "#sar-name", "Ben Example")
        await press(pilot, "f2")
        assert isinstance(app.screen, SubjectAccessScreen)  # asked beside the field
        assert screen.query_one("#sar-dob-box").display
        assert "More than one young person has that name" in screen_text(app)
        await type_into(pilot, "#sar-dob", "01/02/1990")
        await press(pilot, "f2")
        assert screen.report is not None and len(screen.report.incidents) == 1
        assert screen.report.incidents[0].ref.startswith("2005-")


# ------------------------------------------------------------------ transfers


async def test_a_transfer_shows_its_passphrase_once_and_is_recorded(
    app_factory: MakeApp, refs: Refs, home: Path
) -> None:
    app = app_factory()
    async with app.run_test(size=(100, 40)) as pilot:
        await unlock(pilot)
        await to_tool(pilot, "5")
        assert isinstance(app.screen, TransferScreen)
        assert "No transfer is waiting for a receipt" in screen_text(app)
        await press(pilot, "n")
        assert isinstance(app.screen, SendScreen)
        await type_into(pilot, "#send-pupil", "Cara Sample")
        await type_into(pilot, "#send-school", "Ash Grove Academy")
        await type_into(pilot, "#send-dsl", "Ms R. Ceiver")
        await press(pilot, "f2")
        dialog = app.screen
        assert isinstance(dialog, PassphraseDialog)
        text = screen_text(app)
        shown = PASSPHRASE_SHAPE.findall(text)
        assert len(shown) == 1
        assert "by phone" in text and "shown this once" in text
        file = home / "ydsi-exports" / "transfer-2026-11-16.transfer"
        assert mode(file) == 0o600 and shown[0].encode() not in file.read_bytes()
        # Issue 11: Y (or N) after Escape closed it and the passphrase was gone for good.
        for answer in ("y", "n", "enter"):
            await press(pilot, "escape")
            assert isinstance(app.screen, DiscardDialog)
            await press(pilot, answer)
            assert app.screen is dialog, answer
            assert PASSPHRASE_SHAPE.findall(screen_text(app)) == shown
        await press(pilot, "enter")
        transfers = app.screen
        assert isinstance(transfers, TransferScreen)
        assert not PASSPHRASE_SHAPE.search(screen_text(app))  # gone for good
        assert len(transfers.pending) == 1 and transfers.pending[0].refs == (refs.referral,)
        tid = transfers.pending[0].transfer_id
        assert tid in screen_text(app)
        # The file opens with the passphrase that was shown.
        from ydsi_tui.vault.transfer import open_transfer

        assert open_transfer(file.read_bytes(), shown[0]).transfer_id == tid
        # The receipt.
        await press(pilot, "enter")
        assert isinstance(app.screen, FieldsDialog)
        await type_into(pilot, "#in-by", "Ms R. Ceiver")
        await press(pilot, "f2")
        assert isinstance(app.screen, TransferScreen) and app.screen.pending == []
    session = Vault.open(app.vault_path).unlock("dsl", PASS)
    try:
        cases = services_for(session, clock=CLOCK).cases
        assert cases is not None
        assert TransferDesk(cases, None).pending() == []
        transfer = cases.open(refs.referral, log=False).incident.transfers[0]
        assert transfer.to_school == "Ash Grove Academy" and transfer.received
    finally:
        session.close()


async def test_a_receipt_time_in_the_future_is_refused_beside_its_field(
    app_factory: MakeApp, refs: Refs, home: Path
) -> None:
    session = Vault.open(app_factory().vault_path).unlock("dsl", PASS)
    try:
        services = services_for(session, clock=FixedClock(NOW - timedelta(days=9)))
        assert services.cases is not None
        TransferDesk(services.cases, services.devices).send(
            "Cara Sample", home / "t.transfer", "a passphrase long enough to pass",
            to_school="Ash Grove Academy",
        )  # fmt: skip
    finally:
        session.close()
    app = app_factory()
    async with app.run_test(size=(100, 40)) as pilot:
        await unlock(pilot)
        await to_tool(pilot, "5")
        assert "⚠ OVERDUE" in screen_text(app)  # 9 days: past 5 school days
        await press(pilot, "enter")
        await type_into(pilot, "#in-by", "Ms R. Ceiver")
        await type_into(pilot, "#in-at", "tomorrow 9am")
        await press(pilot, "f2")
        dialog = app.screen
        assert isinstance(dialog, FieldsDialog)
        assert "has not happened yet" in screen_text(app)
        assert dialog.focused is dialog.query_one("#in-at", Input)


# ------------------------------------------------------------------ backup


async def test_a_backup_is_written_and_verified(app_factory: MakeApp, home: Path) -> None:
    app = app_factory()
    async with app.run_test(size=(100, 40)) as pilot:
        await unlock(pilot)
        await to_tool(pilot, "6")
        screen = app.screen
        assert isinstance(screen, BackupScreen)
        assert "ydsi restore FILE --vault DIR" in screen_text(app)
        await press(pilot, "f2")
        assert screen.done is not None
        text = screen_text(app)
        assert "✔ Verified: the backup is intact" in text
    written = home / "ydsi-exports" / "ydsi-backup-2026-11-16.tar"
    assert mode(written) == 0o600
    assert verify_backup(written).ok


async def test_the_headteacher_is_told_only_a_dsl_backs_up(
    app_factory: MakeApp, home: Path
) -> None:
    app = app_factory(user="head")
    async with app.run_test(size=(100, 40)) as pilot:
        await unlock(pilot)
        await to_tool(pilot, "6")
        await press(pilot, "f2")
        assert isinstance(app.screen, ErrorDialog)
        assert "only a DSL can back up the vault" in screen_text(app)
    assert not (home / "ydsi-exports" / "ydsi-backup-2026-11-16.tar").exists()


# ------------------------------------------------------------------ without colour


async def test_without_colour_every_report_still_says_everything(
    app_factory: MakeApp, vault: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("NO_COLOR", "1")
    add_old_incident(vault)
    app = app_factory()
    assert app.no_color
    async with app.run_test(size=(100, 40)) as pilot:
        await unlock(pilot)
        await to_tool(pilot, "2")
        assert re.search(r"Autumn\s+█+\s+4", screen_text(app))  # bars are characters
        await press(pilot, "escape", "3")
        await press(pilot, "h")
        await type_into(pilot, "#in-reason", "Inquiry moratorium")
        await press(pilot, "f2")
        text = screen_text(app)
        assert "⌛ DUE" in text and "ON HOLD" in text  # words, not colour
        await press(pilot, "escape", "4")
        await type_into(pilot, "#sar-name", "Ben Example")
        await press(pilot, "f2")
        assert "[REDACT other pupil:" in screen_text(app)
