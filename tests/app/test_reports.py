"""Reports and records from the app, by keys, on a real vault: every hand-over and record tool.

Files are written under a home folder of the test's own (``HOME`` is set to
it), so the defaults (``~/ydsi-exports/...``) land somewhere private and
known.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path
from typing import Any

import pytest
from textual.pilot import Pilot
from textual.widgets import Input

from tests.app.conftest import MakeApp, Refs, open_incident, screen_text, settle, unlock
from ydsi_tui.app.app import YdsiApp
from ydsi_tui.app.screens.dialogs import ErrorDialog
from ydsi_tui.app.screens.export import ExportDialog
from ydsi_tui.app.screens.incident import IncidentScreen


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The user's home folder: where ``~/ydsi-exports`` will be made."""
    folder = tmp_path / "home"
    folder.mkdir()
    monkeypatch.setenv("HOME", str(folder))
    return folder


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


def mode(path: Path) -> int:
    return stat.S_IMODE(os.stat(path).st_mode)


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
