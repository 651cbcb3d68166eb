"""The Linux console's glyph table (glyphs.py) and where it is switched on."""

from __future__ import annotations

import unicodedata
from pathlib import Path

import pytest
from rich.cells import cell_len

from tests.app.conftest import TEST_SETTINGS
from ydsi_tui.app.glyphs import CONSOLE_FONT, FALLBACKS, console_text, wants_console_glyphs
from ydsi_tui.app.settings import AppSettings

APP = Path(__file__).resolve().parents[2] / "ydsi_tui" / "app"


@pytest.mark.parametrize("symbol", sorted(FALLBACKS))
def test_every_fallback_is_in_the_font_and_as_wide(symbol: str) -> None:
    replacement = FALLBACKS[symbol]
    assert all(char in CONSOLE_FONT for char in replacement)
    assert cell_len(replacement) == cell_len(symbol), unicodedata.name(symbol, symbol)


def test_every_symbol_the_app_writes_has_a_fallback() -> None:
    """A symbol added to a screen that the console lacks needs a line in the table
    (the generic fallback would draw it as '?')."""
    lacking: dict[str, str] = {}
    for path in APP.rglob("*.py"):
        for char in path.read_text(encoding="utf-8"):
            if ord(char) > 0x7E and console_text(char).strip() == "?" and char not in FALLBACKS:
                lacking.setdefault(char, path.name)
    # The control pictures of text.py stand for characters a note held: '?' is right.
    lacking = {c: p for c, p in lacking.items() if not 0x2400 <= ord(c) <= 0x2421}
    assert not lacking, lacking


@pytest.mark.parametrize(
    ("drawn", "shown"),
    [
        ("✔ done ● now ○ to do ▶", "+ done * now o to do >"),
        ("‼ IMMEDIATE REFERRAL REQUIRED ‼", "! IMMEDIATE REFERRAL REQUIRED !"),
        ("🔒 Locked", "## Locked"),
        ("╭─╮│╰─╯ ┏━┓", "┌─┐│└─┘ ┌─┐"),
        ("mum’s phone – seen…", "mum's phone - seen~"),
        ("Łukasz Wiśniewski, Zoë", "Lukasz Wisniewski, Zoë"),
        ("⌛ DUE", "@  DUE"),
        ("plain ascii", "plain ascii"),
    ],
)
def test_console_text(drawn: str, shown: str) -> None:
    assert console_text(drawn) == shown
    assert cell_len(console_text(drawn)) == cell_len(drawn)


def test_anything_else_is_a_question_mark_of_the_same_width() -> None:
    assert console_text("年 ☃") == "?  ?"


@pytest.mark.parametrize(
    ("term", "console"),
    [("linux", True), ("linux-16color", True), ("xterm-256color", False), ("", False),
     (None, False), ("linuxish", False)],
)  # fmt: skip
def test_the_console_is_known_by_its_term(term: str | None, console: bool) -> None:
    assert wants_console_glyphs(term) is console
    environ = {} if term is None else {"TERM": term, "HOME": "/nonexistent"}
    assert AppSettings.from_env(environ).console_glyphs is console


def test_tests_draw_the_full_symbols_by_default() -> None:
    assert TEST_SETTINGS.console_glyphs is False
