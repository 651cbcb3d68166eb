"""Work is never thrown away by one key: N means "no, go back"; discarding is D, then D again.

Seen in the walk-through: "Close this form? … N Discard it" threw a form away
at once, because the natural answer to "Close?" is "No".
"""

from __future__ import annotations

from typing import Any

import pytest
from textual.app import App
from textual.pilot import Pilot
from textual.widgets import Input

from tests.app.conftest import MakeApp, Refs, open_incident, settle, unlock
from ydsi_tui.app.formspec import field_id
from ydsi_tui.app.screens.dialogs import CloseDialog, DiscardDialog
from ydsi_tui.app.screens.drafts import DraftsScreen
from ydsi_tui.app.screens.forms import FormScreen
from ydsi_tui.app.screens.home import HomeScreen
from ydsi_tui.app.screens.quick_note import QuickNoteScreen

# A whole app session on a real vault per test, seconds each.
pytestmark = pytest.mark.slow

TYPED = "typed in the meeting, not saved yet"


async def _form_with_text(pilot: Pilot[Any]) -> None:
    """Home, n (a new incident), and a summary typed but not saved."""
    await unlock(pilot)
    await pilot.press("n")
    await settle(pilot)
    assert isinstance(pilot.app.screen, FormScreen)
    pilot.app.screen.query_one(f"#{field_id('summary')}", Input).value = TYPED


def _summary(app: App[Any]) -> str:
    return str(app.screen.query_one(f"#{field_id('summary')}", Input).value)


async def test_n_in_the_close_dialog_goes_back_to_the_form(app_factory: MakeApp) -> None:
    app = app_factory()
    async with app.run_test(size=(80, 24)) as pilot:
        await _form_with_text(pilot)
        await pilot.press("escape")
        await settle(pilot)
        assert isinstance(app.screen, CloseDialog)
        await pilot.press("n")
        await settle(pilot)
        assert isinstance(app.screen, FormScreen)
        assert _summary(app) == TYPED


async def test_discarding_a_form_takes_d_and_d_again(app_factory: MakeApp) -> None:
    app = app_factory()
    async with app.run_test(size=(80, 24)) as pilot:
        await _form_with_text(pilot)
        await pilot.press("escape", "d")
        await settle(pilot)
        assert isinstance(app.screen, DiscardDialog)
        for stray in ("escape", "enter", "y", "n", "x"):
            await pilot.press(stray)  # every other key goes back, one step
            await settle(pilot)
            assert isinstance(app.screen, CloseDialog), stray
            await pilot.press("d")
            await settle(pilot)
            assert isinstance(app.screen, DiscardDialog)
        await pilot.press("d")
        await settle(pilot)
        assert isinstance(app.screen, HomeScreen)
        session = app.session
        assert session is not None
        assert session.load_drafts().drafts == []


async def test_escape_from_the_discard_question_keeps_the_form(app_factory: MakeApp) -> None:
    app = app_factory()
    async with app.run_test(size=(80, 24)) as pilot:
        await _form_with_text(pilot)
        await pilot.press("escape", "d", "escape", "escape")
        await settle(pilot)
        assert isinstance(app.screen, FormScreen)
        assert _summary(app) == TYPED


async def test_n_in_the_note_close_dialog_keeps_the_note(app_factory: MakeApp, refs: Refs) -> None:
    app = app_factory()
    async with app.run_test(size=(80, 24)) as pilot:
        await unlock(pilot)
        await open_incident(pilot, refs.fresh)
        await pilot.press("n")
        await settle(pilot)
        assert isinstance(app.screen, QuickNoteScreen)
        app.screen.query_one("#note-text", Input).value = TYPED
        await pilot.press("escape", "n")
        await settle(pilot)
        assert isinstance(app.screen, QuickNoteScreen)
        assert app.screen.query_one("#note-text", Input).value == TYPED


async def test_n_in_the_quit_dialog_goes_back_and_y_keeps_drafts(app_factory: MakeApp) -> None:
    app = app_factory()
    async with app.run_test(size=(80, 24)) as pilot:
        await _form_with_text(pilot)
        await pilot.press("ctrl+q")
        await settle(pilot)
        assert isinstance(app.screen, CloseDialog)
        await pilot.press("n")
        await settle(pilot)
        assert isinstance(app.screen, FormScreen)
        assert _summary(app) == TYPED
        assert app.is_running
        await pilot.press("ctrl+q", "y")
        await settle(pilot)
    assert app.return_code == 0
    again = app_factory()
    async with again.run_test(size=(80, 24)) as pilot:
        await unlock(pilot)
        assert isinstance(again.screen, DraftsScreen)
        [draft] = again.screen.drafts
        assert draft.content["values"]["summary"] == TYPED
        # Discarding a kept draft asks again too.
        await pilot.press("d")
        await settle(pilot)
        assert isinstance(again.screen, DiscardDialog)
        await pilot.press("escape")
        await settle(pilot)
        assert isinstance(again.screen, DraftsScreen)
        assert len(again.screen.drafts) == 1


async def test_every_answer_of_the_close_dialog_is_whole_at_80x24(
    app_factory: MakeApp, refs: Refs
) -> None:
    """Seen in tmux: "D  Discard the no…" cut at 80 columns, the one key that loses work."""
    from textual.widgets import Button

    from tests.app.conftest import screen_text

    app = app_factory()
    async with app.run_test(size=(80, 24)) as pilot:
        for opened in ("note", "form"):
            if opened == "note":
                await unlock(pilot)
                await open_incident(pilot, refs.chat)
                await pilot.press("n", *"half a thought", "escape")
            else:
                await pilot.press("d", "d")  # the note, discarded
                await settle(pilot)
                await pilot.press("escape")  # the incident, left
                await settle(pilot)
                assert isinstance(app.screen, HomeScreen)
                await pilot.press("n")
                await settle(pilot)
                app.screen.query_one(f"#{field_id('summary')}", Input).value = TYPED
                await pilot.press("escape")
            await settle(pilot)
            dialog = app.screen
            assert isinstance(dialog, CloseDialog)
            text = screen_text(app)
            for button in dialog.query(Button):
                label = str(button.label)
                assert label in text, (opened, label, text)
