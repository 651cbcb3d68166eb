"""Every highlight is drawn in characters, so nothing depends on colour (issue 11, finding 6).

Under ``NO_COLOR`` (and in a plain ``tmux capture-pane``) the only way to see
which option Enter will pick is a character: the highlighted option of an
open dropdown, of a checkbox list, of a menu and of the attention list, and
the cursor row of a table, each start with ``▶``; exactly one per list.
The raw bytes (no colour code at all) are checked in a real terminal by
``tests/terminal/test_plain_terminals.py``.
"""

from __future__ import annotations

import re

import pytest
from textual.widgets import OptionList, Select

from tests.app.conftest import MakeApp, Refs, open_incident, screen_text, settle, unlock
from ydsi_tui.app.filters import WithoutColour
from ydsi_tui.app.formspec import field_id
from ydsi_tui.app.screens.dialogs import MenuDialog
from ydsi_tui.app.screens.forms import FormScreen
from ydsi_tui.app.widgets.choices import ChoiceList
from ydsi_tui.app.widgets.options import Dropdown, Options

# A full app session each: ./dev test --quick leaves them out; ./dev test runs them.
pytestmark = pytest.mark.slow


def marked_lines(text: str) -> list[str]:
    """The lines holding a highlight mark, from the mark on (borders cut off)."""
    return [line[line.index("▶") :].rstrip(" │") for line in text.splitlines() if "▶" in line]


@pytest.mark.parametrize("no_color", [True, False], ids=["NO_COLOR", "colour"])
async def test_every_highlight_has_a_mark(
    app_factory: MakeApp, refs: Refs, monkeypatch: pytest.MonkeyPatch, no_color: bool
) -> None:
    if no_color:
        monkeypatch.setenv("NO_COLOR", "1")
    app = app_factory()
    assert app.no_color is no_color
    assert any(isinstance(f, WithoutColour) for f in app.get_line_filters()) is no_color
    async with app.run_test(size=(100, 40)) as pilot:
        await unlock(pilot)
        # Home: the incidents table's cursor row, then the attention list.
        assert [line[:9] for line in marked_lines(screen_text(app))] == ["▶2026-004"]
        await pilot.press("a")
        await settle(pilot)
        attention = app.screen.query_one("#attention", OptionList)
        assert isinstance(attention, Options) and attention.has_focus
        await pilot.press("down")
        await settle(pilot)
        marks = marked_lines(screen_text(app))
        assert len(marks) == 1 and marks[0].startswith("▶ ⚠ 2026-")

        # A dropdown, open: the mark follows the highlight, option by option.
        await pilot.press("n")
        await settle(pilot)
        form = app.screen
        assert isinstance(form, FormScreen)
        kind = form.query_one(f"#{field_id('kind')}", Select)
        assert isinstance(kind, Dropdown)
        kind.focus()
        await pilot.press("enter")
        await settle(pilot)
        assert kind.expanded
        overlay = kind.query_one(OptionList)
        labels = [str(prompt) for prompt, _ in kind._options]
        seen = []
        for _ in range(2):
            await pilot.press("down")
            await settle(pilot)
            assert overlay.highlighted is not None
            # The form's checkbox lists (the young people's parts) keep their own mark.
            marks = [
                m for m in marked_lines(screen_text(app))
                if not m.startswith("▶2026") and not re.match(r"▶ \[[ x]\] ", m)
            ]  # fmt: skip
            assert len(marks) == 1 and marks[0].startswith(f"▶ {labels[overlay.highlighted]}")
            seen.append(overlay.highlighted)
        assert seen[1] == seen[0] + 1
        await pilot.press("escape", "escape")
        await settle(pilot)

        # A checkbox list (the pupil form's parts) and a menu (the add menu).
        await open_incident(pilot, refs.fresh)
        await pilot.press("a")
        await settle(pilot)
        menu = app.screen
        assert isinstance(menu, MenuDialog)
        assert marked_lines(screen_text(app))[-1].startswith("▶ ")
        labels = [label for item, label in menu.items if item == "pupil.added"]
        await pilot.press(*["down"] * [item for item, _ in menu.items].index("pupil.added"))
        await settle(pilot)
        assert any(line.startswith(f"▶ {labels[0]}") for line in marked_lines(screen_text(app)))
        await pilot.press("enter")
        await settle(pilot)
        parts = app.screen.query_one(f"#{field_id('parts')}", ChoiceList)
        parts.focus()
        await pilot.press("down", "space")
        await settle(pilot)
        ticked = [line for line in marked_lines(screen_text(app)) if "[" in line]
        assert len(ticked) == 1 and re.match(r"▶ \[x\] \w", ticked[0])
        assert parts.selected == [parts.choices[1][1]]


async def test_the_command_palette_marks_its_highlighted_command(
    app_factory: MakeApp, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The palette's list was told by reverse video alone: one ▶, and it follows Down."""
    from textual.command import CommandList, CommandPalette

    monkeypatch.setenv("NO_COLOR", "1")
    app = app_factory()
    async with app.run_test(size=(80, 24)) as pilot:
        await unlock(pilot)
        await pilot.press("ctrl+p")
        await settle(pilot)
        assert isinstance(app.screen, CommandPalette)
        commands = app.screen.query_one(CommandList)
        await pilot.press("down")
        await settle(pilot)
        seen: list[str] = []
        for _ in range(2):
            highlighted = commands.highlighted
            assert highlighted is not None
            title = str(commands.get_option_at_index(highlighted).prompt).split("\n")[0]
            # The home table's cursor row may show round the palette: not counted.
            palette_mark = [m for m in marked_lines(screen_text(app)) if not m.startswith("▶2026")]
            assert len(palette_mark) == 1, palette_mark
            assert palette_mark[0].startswith(f"▶ {title[:20]}"), (palette_mark, title)
            seen.append(title)
            await pilot.press("down")
            await settle(pilot)
        assert seen[0] != seen[1]
