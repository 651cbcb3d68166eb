"""Help: every key of the screen you came from, and what it does.

Built from the screen's active bindings (so a school's remapped keys show as
remapped) and the command registry's descriptions; commands without a key
are listed too, with a pointer to the command palette.
"""

from __future__ import annotations

from typing import Any

from textual.app import ComposeResult
from textual.containers import VerticalScroll
from textual.screen import ModalScreen, Screen
from textual.widgets import Label, Static

from ..commands import COMMANDS, bindings, commands_for, key_name
from ..text import join, plain, styled

__all__ = ["HelpScreen", "help_lines"]

_BY_ID = {command.id: command for command in COMMANDS}


def help_lines(screen: Screen[Any]) -> list[tuple[str, str, str]]:
    """(keys, name, what it does) for every binding active on ``screen``.

    The app's own commands come first, with their help; then the keys of the
    widget that has focus (moving around a table or a list).
    """
    ours: dict[str, tuple[list[str], str, str]] = {}
    others: dict[tuple[str, str], list[str]] = {}
    for key, active in screen.active_bindings.items():
        binding = active.binding
        if binding.system or not binding.description or binding.action == "screen.copy_text":
            continue
        command = _BY_ID.get(binding.id or "")
        if command is not None:
            keys, _, _ = ours.setdefault(command.id, ([], command.description, command.help))
            keys.append(key_name(key))
        else:
            others.setdefault((binding.action, binding.description), []).append(key_name(key))
    lines = [(" ".join(keys), name, what) for keys, name, what in ours.values()]
    scopes: tuple[str, ...] = getattr(screen, "COMMAND_SCOPES", ())
    for command in commands_for(*scopes, "app"):
        if command.key is None:
            lines.append(("^p", command.description, "from the command palette: " + command.help))
    lines += [(" ".join(keys), description, "") for (_, description), keys in others.items()]
    return lines


class HelpScreen(ModalScreen[None]):
    BINDINGS = bindings("help")

    def __init__(self, screen: Screen[Any]) -> None:
        super().__init__(classes="dialog")
        self.lines = help_lines(screen)

    def compose(self) -> ComposeResult:
        with VerticalScroll(classes="dialog-box help-box", id="help"):
            yield Label(styled("Keys on this screen", "bold"), classes="dialog-title")
            for keys, name, what in self.lines:
                yield Static(
                    join([(f"{keys:>9} ", "bold"), (name, "bold"), f": {what}" if what else ""]),
                    classes="help-line",
                )
            yield Static(
                plain(
                    "Ctrl+P opens the command palette: type a few letters of any action "
                    "(every form is there too). Keys can be remapped by a school: "
                    'YDSI_KEYMAP="incident.note=m". Esc closes this help.',
                    multiline=True,
                ),
                classes="dialog-hint",
            )

    def on_mount(self) -> None:
        self.query_one("#help").focus()

    def action_close(self) -> None:
        self.dismiss(None)
