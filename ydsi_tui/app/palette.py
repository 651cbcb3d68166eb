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

from textual.command import DiscoveryHit, Hit, Hits, Provider
from textual.content import Content
from textual.fuzzy import Matcher

from .commands import PaletteEntry, commands_for, key_name
from .text import plain

if TYPE_CHECKING:
    from textual.screen import Screen

__all__ = ["PaletteCommands"]


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
