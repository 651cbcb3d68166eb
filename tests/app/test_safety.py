"""Textual's defaults that would leak records, closed; keys that arrive over SSH; no colour."""

from __future__ import annotations

import importlib
import inspect
import pkgutil
from typing import Any

import pytest
from textual.binding import Binding
from textual.dom import DOMNode

import ydsi_tui.app
from tests.app.conftest import MakeApp, Refs, open_incident, screen_text, settle, unlock
from ydsi_tui.app.commands import COMMANDS, palette_provider, parse_keymap
from ydsi_tui.app.palette import PaletteCommands
from ydsi_tui.app.screens.home import HomeScreen

# A whole app session on a real vault per test, seconds each.
pytestmark = pytest.mark.slow

#: Keys that tmux, PuTTY or the terminal itself often swallow.
SWALLOWED = {"ctrl+enter", "shift+enter", "ctrl+j", "ctrl+s", "ctrl+m", "ctrl+h", "ctrl+i"}


def _app_classes() -> list[type[DOMNode]]:
    classes: list[type[DOMNode]] = []
    for module_info in pkgutil.walk_packages(ydsi_tui.app.__path__, "ydsi_tui.app."):
        module = importlib.import_module(module_info.name)
        for _, value in inspect.getmembers(module, inspect.isclass):
            if (
                issubclass(value, DOMNode)
                and value.__module__ == module.__name__
                and "BINDINGS" in vars(value)
            ):
                classes.append(value)
    return classes


def test_every_binding_comes_from_the_registry_and_can_be_remapped() -> None:
    known = {command.id for command in COMMANDS}
    classes = _app_classes()
    assert len(classes) >= 12
    for cls in classes:
        for binding in cls.BINDINGS:
            assert isinstance(binding, Binding), cls
            assert binding.id in known, f"{cls.__name__}: {binding.key} has no registry id"


def test_every_command_has_a_key_that_arrives_over_ssh() -> None:
    for command in COMMANDS:
        if command.key is None:
            continue  # palette only
        keys = set(command.key.split(","))
        assert keys - SWALLOWED, f"{command.id} relies on keys terminals swallow"
        assert command.help and command.description


def test_keymap_text_is_parsed_leniently() -> None:
    assert parse_keymap("incident.note=m; app.lock=f11,nonsense=x, bad") == {
        "incident.note": "m",
        "app.lock": "f11",
    }


def test_no_screenshot_and_no_system_commands(app_factory: MakeApp) -> None:
    app = app_factory()
    assert {palette_provider} == app.COMMANDS
    assert palette_provider() is PaletteCommands
    assert list(app.get_system_commands(HomeScreen())) == []


async def test_the_palette_finds_actions_but_no_screenshot(
    app_factory: MakeApp, refs: Refs
) -> None:
    app = app_factory()
    async with app.run_test(size=(100, 40)) as pilot:
        await unlock(pilot)
        await open_incident(pilot, refs.chat)
        await pilot.press("ctrl+p")
        await settle(pilot)
        await pilot.press(*"police")
        await pilot.pause(0.5)
        text = screen_text(app)
        assert "Record: Police contact" in text
        await pilot.press(*["backspace"] * 6, *"screensh")
        await pilot.pause(0.5)
        assert "Screenshot" not in screen_text(app)


def test_devtools_and_debug_are_off_whatever_the_environment_says(
    app_factory: MakeApp, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TEXTUAL", "devtools,debug")
    app = app_factory()
    assert "devtools" not in app.features and "debug" not in app.features
    assert app.devtools is None
    monkeypatch.setenv("TEXTUAL_LOG", "/tmp/ydsi-should-not-exist.log")
    from textual import constants

    from ydsi_tui.app.main import close_textual_leaks

    close_textual_leaks()
    assert constants.LOG_FILE is None
    import os

    assert "TEXTUAL_LOG" not in os.environ
    assert "devtools" not in os.environ.get("TEXTUAL", "")


async def test_a_crash_prints_one_line_and_no_locals(
    app_factory: MakeApp, capsys: pytest.CaptureFixture[str]
) -> None:
    app = app_factory()
    secret = "Cara's passphrase is hunter2"

    def explode() -> None:
        record_text = secret  # a local variable Textual's handler would print
        raise RuntimeError(record_text)

    async def run() -> None:
        async with app.run_test() as pilot:
            await unlock(pilot)
            app.call_later(explode)
            await pilot.pause()

    with pytest.raises(RuntimeError):
        await run()
    out = capsys.readouterr()
    printed = out.out + out.err
    assert secret not in printed
    assert "Traceback" not in printed and "record_text" not in printed
    assert "ydsi stopped on an internal error (RuntimeError)" in printed
    assert app.return_code == 1


async def test_no_color_still_says_everything(
    app_factory: MakeApp, refs: Refs, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("NO_COLOR", "1")
    app = app_factory()
    assert app.no_color
    async with app.run_test() as pilot:
        await unlock(pilot)
        text = screen_text(app)
        assert "‼ REFER NOW" in text and "⚠" in text
        await open_incident(pilot, refs.referral)
        text = screen_text(app)
        assert "‼ IMMEDIATE REFERRAL REQUIRED ‼" in text
        assert "▶1 Guide◀" in text  # the active pane, marked in characters


async def test_sixteen_colour_theme(app_factory: MakeApp, refs: Refs) -> None:
    from dataclasses import replace

    from tests.app.conftest import TEST_SETTINGS

    app = app_factory(settings=replace(TEST_SETTINGS, theme="ansi-dark"))
    async with app.run_test() as pilot:
        await unlock(pilot)
        assert app.theme == "ansi-dark"
        await open_incident(pilot, refs.referral)
        assert "IMMEDIATE REFERRAL REQUIRED" in screen_text(app)
        app.action_toggle_ansi_theme()
        assert app.theme == "textual-dark"


async def test_notifications_and_titles_carry_no_record_text(
    app_factory: MakeApp, refs: Refs
) -> None:
    seen: list[tuple[str, Any]] = []
    app = app_factory()
    original = app.notify

    def spy(message: str, **kwargs: Any) -> None:
        seen.append((message, kwargs.get("markup", True)))
        original(message, **kwargs)

    app.notify = spy  # type: ignore[method-assign]
    async with app.run_test(notifications=True) as pilot:
        await unlock(pilot)
        await open_incident(pilot, refs.chat)
        await pilot.press("n", *"met Ann", "enter")
        await settle(pilot)
    assert seen and all(markup is False for _, markup in seen)
    assert all("Ann" not in message for message, _ in seen)
    assert "Ann" not in app.title and "Ann" not in app.sub_title
