"""The app's navigation table: every report the menu offers has a screen, and each resolves."""

from __future__ import annotations

from textual.screen import Screen

from ydsi_tui.app.navigation import TOOL_SCREENS, _screen_class
from ydsi_tui.app.screens.reports import TOOLS


def test_every_report_in_the_menu_has_a_place() -> None:
    offered = {tool.id for tool in TOOLS}
    assert offered - {"reads", "users"} == set(TOOL_SCREENS)


def test_every_place_in_the_table_is_a_screen() -> None:
    for place in TOOL_SCREENS.values():
        assert issubclass(_screen_class(place), Screen), place
