"""Every screen at 80x24 (the worst terminal the app must serve) and at 120x40.

Deterministic by construction: a copy of the same seeded vault, a fixed
clock, no cursor blink, no polling, a fixed theme, synthetic names only.
Review changes with ``pytest tests/app/test_snapshots.py --snapshot-update``
and the report pytest-textual-snapshot writes; never update blind.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import pytest
from textual.pilot import Pilot

from tests.app.conftest import MakeApp, Refs, open_incident, settle, unlock
from ydsi_tui.app.messages import Failed

# Every screen at two sizes, each a full app session: ./dev test --quick leaves them out.
pytestmark = pytest.mark.slow

SIZES = pytest.mark.parametrize("size", [(80, 24), (120, 40)], ids=["80x24", "120x40"])

Steps = Callable[[Pilot[Any]], Awaitable[None]]


def after(*steps: Steps) -> Steps:
    async def run(pilot: Pilot[Any]) -> None:
        for step in steps:
            await step(pilot)
        await settle(pilot)

    return run


def keys(*pressed: str) -> Steps:
    async def run(pilot: Pilot[Any]) -> None:
        for key in pressed:
            await pilot.press(key)
            await settle(pilot)

    return run


def incident(ref: str) -> Steps:
    async def run(pilot: Pilot[Any]) -> None:
        await open_incident(pilot, ref)

    return run


async def just_wait(pilot: Pilot[Any]) -> None:
    await settle(pilot)


async def wrong_passphrase(pilot: Pilot[Any]) -> None:
    await unlock(pilot, "not it")


@SIZES
def test_unlock(snap_compare: Any, app_factory: MakeApp, size: tuple[int, int]) -> None:
    assert snap_compare(app_factory(), terminal_size=size, run_before=just_wait)


@SIZES
def test_unlock_wrong_passphrase(
    snap_compare: Any, app_factory: MakeApp, size: tuple[int, int]
) -> None:
    assert snap_compare(app_factory(), terminal_size=size, run_before=wrong_passphrase)


@SIZES
def test_home(snap_compare: Any, app_factory: MakeApp, size: tuple[int, int]) -> None:
    assert snap_compare(app_factory(), terminal_size=size, run_before=after(unlock))


@SIZES
@pytest.mark.parametrize("pane", ["1", "2", "3", "4", "5", "6"])
def test_incident_panes(
    snap_compare: Any, app_factory: MakeApp, refs: Refs, size: tuple[int, int], pane: str
) -> None:
    # The referral incident shows the banner, a viewing and a device; the chat
    # incident shows hostile text in the timeline and among the people.
    ref = refs.chat if pane in "26" else refs.referral
    run = after(unlock, incident(ref), keys(pane))
    assert snap_compare(app_factory(), terminal_size=size, run_before=run)


@SIZES
def test_add_menu(
    snap_compare: Any, app_factory: MakeApp, refs: Refs, size: tuple[int, int]
) -> None:
    run = after(unlock, incident(refs.chat), keys("a"))
    assert snap_compare(app_factory(), terminal_size=size, run_before=run)


@SIZES
def test_new_incident_form(snap_compare: Any, app_factory: MakeApp, size: tuple[int, int]) -> None:
    run = after(unlock, keys("n", "f2"))  # F2 on an empty form: every problem shown
    assert snap_compare(app_factory(), terminal_size=size, run_before=run)


@SIZES
def test_trigger_form(
    snap_compare: Any, app_factory: MakeApp, refs: Refs, size: tuple[int, int]
) -> None:
    run = after(unlock, incident(refs.chat), keys("3", "down", "down", "down", "enter"))
    assert snap_compare(app_factory(), terminal_size=size, run_before=run)


@SIZES
def test_quick_note(
    snap_compare: Any, app_factory: MakeApp, refs: Refs, size: tuple[int, int]
) -> None:
    run = after(unlock, incident(refs.chat), keys("n", "9", ":", "3", "0", "space", "x"))
    assert snap_compare(app_factory(), terminal_size=size, run_before=run)


@SIZES
def test_help(snap_compare: Any, app_factory: MakeApp, refs: Refs, size: tuple[int, int]) -> None:
    run = after(unlock, incident(refs.chat), keys("f1"))
    assert snap_compare(app_factory(), terminal_size=size, run_before=run)


@SIZES
def test_lock(snap_compare: Any, app_factory: MakeApp, size: tuple[int, int]) -> None:
    run = after(unlock, keys("f12"))
    assert snap_compare(app_factory(), terminal_size=size, run_before=run)


@SIZES
def test_technician_device_list(
    snap_compare: Any, app_factory: MakeApp, size: tuple[int, int]
) -> None:
    assert snap_compare(app_factory(user="tech"), terminal_size=size, run_before=after(unlock))


@SIZES
def test_device_chain(snap_compare: Any, app_factory: MakeApp, size: tuple[int, int]) -> None:
    run = after(unlock, keys("enter"))
    assert snap_compare(app_factory(user="tech"), terminal_size=size, run_before=run)


@SIZES
def test_signoff(
    snap_compare: Any, app_factory: MakeApp, refs: Refs, size: tuple[int, int]
) -> None:
    run = after(unlock, incident(refs.signoff), keys("o"))
    assert snap_compare(app_factory(user="head"), terminal_size=size, run_before=run)


@SIZES
def test_drafts_offered(
    snap_compare: Any, app_factory: MakeApp, refs: Refs, size: tuple[int, int]
) -> None:
    from tests.app.conftest import PASS
    from ydsi_tui.vault.vault import Vault

    app = app_factory()
    session = Vault.open(app.vault_path).unlock("dsl", PASS)
    session.draft_box().save(
        {
            "form": "note",
            "target": "incident",
            "ref": refs.chat,
            "values": {"text": "typed before the line dropped"},
            "title": f"Quick note ({refs.chat})",
            "saved_at": "2026-11-16T09:55:00Z",
        }
    )
    session.close()
    assert snap_compare(app, terminal_size=size, run_before=after(unlock))


@SIZES
def test_error_dialog(snap_compare: Any, app_factory: MakeApp, size: tuple[int, int]) -> None:
    async def fail(pilot: Pilot[Any]) -> None:
        app = pilot.app
        message = "The disk refused: No space left on device. Nothing was saved half-way."
        app.show_error(Failed("save the entry", message))  # type: ignore[attr-defined]

    assert snap_compare(app_factory(), terminal_size=size, run_before=after(unlock, fail))


# ------------------------------------------------------------------ reports and records


@pytest.fixture
def home(tmp_path: Any, monkeypatch: pytest.MonkeyPatch) -> Any:
    """A home folder of the test's own: defaults read ~/ydsi-exports/..., always the same."""
    folder = tmp_path / "home"
    folder.mkdir()
    monkeypatch.setenv("HOME", str(folder))
    return folder


def typed(selector: str, value: str) -> Steps:
    async def run(pilot: Pilot[Any]) -> None:
        from textual.widgets import Input

        field = pilot.app.screen.query_one(selector, Input)
        field.focus()
        field.value = value
        await settle(pilot)

    return run


@SIZES
@pytest.mark.parametrize("tool", ["", "1", "2", "4", "5", "6"])
def test_reports_and_records(
    snap_compare: Any, app_factory: MakeApp, home: Any, size: tuple[int, int], tool: str
) -> None:
    """The tools list, then each tool as it opens (3, retention, is below with a due record)."""
    run = after(unlock, keys("r", *([tool] if tool else [])))
    assert snap_compare(app_factory(), terminal_size=size, run_before=run)


@SIZES
def test_governors_breakdowns(
    snap_compare: Any, app_factory: MakeApp, home: Any, size: tuple[int, int]
) -> None:
    """The governors' figures scrolled down by a page: the breakdowns, small numbers as c."""
    run = after(unlock, keys("r", "2", "pagedown"))
    assert snap_compare(app_factory(), terminal_size=size, run_before=run)


@SIZES
@pytest.mark.parametrize("step", ["list", "hold", "destroy"])
def test_retention(
    snap_compare: Any, app_factory: MakeApp, vault: Any, size: tuple[int, int], step: str
) -> None:
    from tests.app.test_reports import add_old_incident

    add_old_incident(vault)
    pressed = {"list": [], "hold": ["h"], "destroy": ["x"]}[step]
    run = after(unlock, keys("r", "3", *pressed))
    assert snap_compare(app_factory(), terminal_size=size, run_before=run)


@SIZES
def test_chronology_export_dialog(
    snap_compare: Any, app_factory: MakeApp, refs: Refs, home: Any, size: tuple[int, int]
) -> None:
    run = after(unlock, incident(refs.chat), keys("e"))
    assert snap_compare(app_factory(), terminal_size=size, run_before=run)


@SIZES
def test_subject_access_gathered(
    snap_compare: Any, app_factory: MakeApp, size: tuple[int, int]
) -> None:
    run = after(unlock, keys("r", "4"), typed("#sar-name", "Ben Example"), keys("f2"))
    assert snap_compare(app_factory(), terminal_size=size, run_before=run)


@SIZES
def test_transfer_form_and_passphrase(
    snap_compare: Any,
    app_factory: MakeApp,
    home: Any,
    size: tuple[int, int],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from types import SimpleNamespace

    import ydsi_tui.service.transfers as transfers
    import ydsi_tui.vault.transfer as sealing

    monkeypatch.setattr(sealing, "generate_passphrase", lambda: "K7QF-9XMP-2H4T-WD8N-RC3V-6YJB")
    monkeypatch.setattr(transfers, "secrets", SimpleNamespace(token_hex=lambda n: "0f" * n))
    run = after(
        unlock,
        keys("r", "5", "n"),
        typed("#send-pupil", "Cara Sample"),
        typed("#send-school", "Ash Grove Academy"),
        keys("f2"),
    )
    assert snap_compare(app_factory(), terminal_size=size, run_before=run)


@SIZES
def test_backup_verified(
    snap_compare: Any, app_factory: MakeApp, home: Any, size: tuple[int, int]
) -> None:
    run = after(unlock, keys("r", "6", "f2"))
    assert snap_compare(app_factory(), terminal_size=size, run_before=run)


@SIZES
def test_read_audit(
    snap_compare: Any,
    app_factory: MakeApp,
    refs: Refs,
    size: tuple[int, int],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Who opened the incident: the read times are the audit log's own, so fixed here."""
    monkeypatch.setattr("ydsi_tui.vault.session.utc_now", lambda: "2026-11-16T10:05:00.000000Z")
    run = after(unlock, incident(refs.chat), keys("w"))
    assert snap_compare(app_factory(), terminal_size=size, run_before=run)


@SIZES
def test_child_chronology(
    snap_compare: Any, app_factory: MakeApp, refs: Refs, size: tuple[int, int]
) -> None:
    """One young person across incidents (the People pane's first, y): others masked."""
    run = after(unlock, incident(refs.chat), keys("6", "y"))
    assert snap_compare(app_factory(), terminal_size=size, run_before=run)


@SIZES
@pytest.mark.parametrize("step", ["list", "remove"])
def test_users_and_keys(
    snap_compare: Any, app_factory: MakeApp, size: tuple[int, int], step: str
) -> None:
    """The DSL's users and keys (reports, 7), and a removal's confirmation (x on head)."""
    pressed = {"list": [], "remove": ["down", "x"]}[step]
    run = after(unlock, keys("r", "7", *pressed))
    assert snap_compare(app_factory(), terminal_size=size, run_before=run)


@SIZES
def test_pupil_list(
    snap_compare: Any, register_app_factory: MakeApp, size: tuple[int, int]
) -> None:
    """The pupil register from home (p), Ben highlighted: two incidents, ↺ repeat."""
    run = after(unlock, keys("p", "down"))
    assert snap_compare(register_app_factory(), terminal_size=size, run_before=run)


@SIZES
def test_pupil_record(
    snap_compare: Any, register_app_factory: MakeApp, size: tuple[int, int]
) -> None:
    """Ben's record (Enter on the list): the facts held and both incidents, earliest first."""
    run = after(unlock, keys("p", "down", "enter"))
    assert snap_compare(register_app_factory(), terminal_size=size, run_before=run)


@SIZES
def test_people_pane_with_the_register(
    snap_compare: Any, register_app_factory: MakeApp, refs: Refs, size: tuple[int, int]
) -> None:
    """The group chat's People pane, Ben highlighted: his 2nd incident, p opens his record."""
    run = after(unlock, incident(refs.chat), keys("6", "down"))
    assert snap_compare(register_app_factory(), terminal_size=size, run_before=run)
