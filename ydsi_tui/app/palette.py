"""The command palette's only provider, fed by the command registry.

It replaces Textual's system commands provider on purpose: that one offers
"Screenshot", which writes the screen (record text and all) as a plain SVG
file into the user's Downloads folder. Imported only when the palette opens
(``App.COMMANDS`` holds :func:`~ydsi_tui.app.commands.palette_provider`), so
Textual's palette machinery costs nothing at start-up.
"""

from __future__ import annotations

from collections.abc import Iterator
from functools import partial
from typing import TYPE_CHECKING

from textual.command import (
    CommandInput,
    CommandList,
    CommandPalette,
    DiscoveryHit,
    Hit,
    Hits,
    Provider,
    SearchIcon,
)
from textual.containers import Horizontal, Vertical
from textual.content import Content
from textual.fuzzy import Matcher
from textual.widgets import Button, LoadingIndicator

from .commands import PaletteEntry, commands_for, key_name
from .text import plain
from .widgets.options import MarksHighlight

if TYPE_CHECKING:
    from textual.app import ComposeResult
    from textual.screen import Screen

__all__ = ["MarkedPalette", "PaletteCommands"]


class MarkedCommandList(CommandList, MarksHighlight, can_focus=False):
    """The palette's list, its highlighted command marked ``▶`` like every other list
    (widgets/options.py): under NO_COLOR it was told only by reverse video, which
    a plain ``tmux capture-pane`` or a screen reader does not show."""


class MarkedPalette(CommandPalette):
    """Textual's palette with the marked list (Textual is pinned exactly, and
    tests/app/test_no_color.py opens the palette and reads the mark)."""

    def compose(self) -> ComposeResult:
        # CommandPalette.compose, with the marked list in place of CommandList.
        with Vertical(id="--container"):
            with Horizontal(id="--input"):
                yield SearchIcon()
                yield CommandInput(placeholder=self._placeholder, select_on_focus=False)
                if not self.run_on_select:
                    yield Button("\u25b6")
            with Vertical(id="--results"):
                yield MarkedCommandList()
                yield LoadingIndicator()


def _screen_entries(screen: Screen[object]) -> Iterator[PaletteEntry]:
    """The registry's commands of this screen (those allowed now), then its own extras."""
    scopes: tuple[str, ...] = getattr(screen, "COMMAND_SCOPES", ())
    app = screen.app
    listed: set[str] = set()
    for command in commands_for(*scopes, "app"):
        action = command.action
        if action == "app.command_palette" or action in listed:
            continue  # a second key for the same action (F1 and ?) is not a second command
        listed.add(action)
        target: object = screen
        name = action
        if action.startswith("app."):
            target, name = app, action[4:]
        check = getattr(target, "check_action", None)
        if check is not None and not check(name.split("(", 1)[0], ()):
            continue
        shown = command.key_display or (key_name(command.key.split(",")[0]) if command.key else "")
        key = f" ({shown})" if shown else ""
        yield PaletteEntry(
            f"{command.description}{key}",
            command.help,
            partial(_run, target, name),
        )
    extra = getattr(screen, "palette_entries", None)
    if extra is not None:
        yield from extra()


def _run(target: object, action: str) -> None:
    run_action = getattr(target, "run_action", None)
    if run_action is not None:
        target_app = getattr(target, "app", None)
        if target_app is not None:
            target_app.call_later(run_action, action)


class PaletteCommands(Provider):
    """Every command of the current screen that is allowed now, and its extras."""

    def _entries(self) -> list[PaletteEntry]:
        return list(_screen_entries(self.screen))

    async def discover(self) -> Hits:
        for entry in self._entries():
            yield DiscoveryHit(
                plain(entry.title), entry.callback, text=entry.title, help=entry.help
            )

    async def search(self, query: str) -> Hits:
        matcher = self.matcher(query)
        for entry in self._entries():
            score = max(matcher.match(entry.title), matcher.match(entry.help) * 0.5)
            if score > 0:
                yield Hit(
                    score,
                    _highlight(matcher, query, entry.title),
                    entry.callback,
                    text=entry.title,
                    help=entry.help,
                )


def _highlight(matcher: Matcher, query: str, title: str) -> Content:
    """Textual's own highlighter parses the title as markup; this one never does."""
    content = plain(title)
    _score, offsets = matcher.fuzzy_search.match(query, title)
    for offset in offsets:
        if offset < len(title) and not title[offset].isspace():
            content = content.stylize("bold underline", offset, offset + 1)
    return content
