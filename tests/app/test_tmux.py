"""The real ``ydsi --demo`` in a real terminal (tmux, 80x24), driven by keys, read back.

This is what a newcomer runs first. It checks what Pilot cannot: the entry
point, the terminal driver, the demo vault made from scratch in an empty
home, and a real SIGHUP (a dropped SSH connection) keeping a typed note.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from ydsi_tui.service.demo import DEMO_PASSPHRASE

TMUX = shutil.which("tmux")
# The real app in tmux: ./dev test --quick leaves it out.
pytestmark = [
    pytest.mark.terminal,
    pytest.mark.skipif(TMUX is None, reason="tmux is not installed"),
]

WIDTH, HEIGHT = 80, 24


class Terminal:
    """One tmux server of our own (its own socket), one 80x24 window."""

    def __init__(self, home: Path) -> None:
        self.socket = f"ydsi-test-{uuid.uuid4().hex[:8]}"
        self.home = home
        ydsi = Path(sys.executable).with_name("ydsi")
        self.command = str(ydsi) if ydsi.exists() else f"{sys.executable} -m ydsi_tui.cli.main"
        self.env = {
            "HOME": str(home),
            "XDG_DATA_HOME": str(home / "data"),
            "XDG_CONFIG_HOME": str(home / "config"),
            "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
            "TERM": "xterm-256color",
            "LANG": "C.UTF-8",
            "LC_ALL": "C.UTF-8",
        }

    def tmux(self, *args: str) -> str:
        assert TMUX is not None
        result = subprocess.run(
            [TMUX, "-L", self.socket, "-f", "/dev/null", *args],
            capture_output=True,
            text=True,
            timeout=30,
            env=self.env,
            check=False,
        )
        return result.stdout

    def start(self, name: str) -> None:
        self.tmux(
            "new-session", "-d", "-s", name, "-x", str(WIDTH), "-y", str(HEIGHT),
            f"{self.command} --demo",
        )  # fmt: skip
        self.tmux("set-option", "-t", name, "remain-on-exit", "on")

    def screen(self, name: str) -> str:
        return self.tmux("capture-pane", "-p", "-t", name)

    def wait_for(self, name: str, text: str, timeout: float = 40.0) -> str:
        deadline = time.monotonic() + timeout
        shown = ""
        while time.monotonic() < deadline:
            shown = self.screen(name)
            if text in shown:
                return shown
            time.sleep(0.2)
        raise AssertionError(f"{text!r} never appeared; the screen showed:\n{shown}")

    def wait_gone(self, name: str, text: str, timeout: float = 20.0) -> str:
        deadline = time.monotonic() + timeout
        shown = self.screen(name)
        while text in shown and time.monotonic() < deadline:
            time.sleep(0.2)
            shown = self.screen(name)
        assert text not in shown, f"{text!r} stayed on screen:\n{shown}"
        return shown

    def keys(self, name: str, *keys: str, literal: bool = False) -> None:
        if literal:
            self.tmux("send-keys", "-t", name, "-l", *keys)
        else:
            self.tmux("send-keys", "-t", name, *keys)

    def app_pid(self, name: str) -> int:
        """The app's own process: the pane's process, or its child if a shell sits between."""
        pid = int(self.tmux("display-message", "-p", "-t", name, "#{pane_pid}").strip())
        for _ in range(3):
            if "ydsi" in Path(f"/proc/{pid}/cmdline").read_bytes().decode(errors="replace"):
                return pid
            children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
            if not children:
                break
            pid = int(children[0])
        raise AssertionError("could not find the app's process")

    def close(self) -> None:
        self.tmux("kill-server")


@pytest.fixture
def terminal(tmp_path: Path) -> Iterator[Terminal]:
    term = Terminal(tmp_path)
    try:
        yield term
    finally:
        term.close()


def exited(pid: int, timeout: float = 15.0) -> bool:
    """True once the process is gone (or a zombie waiting for tmux to reap it)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
        except FileNotFoundError:
            return True
        if state == "Z":
            return True
        time.sleep(0.1)
    return False


def fits(screen: str) -> None:
    lines = screen.splitlines()
    assert len(lines) <= HEIGHT
    assert all(len(line) <= WIDTH for line in lines)
    assert "Traceback" not in screen


def unlock(terminal: Terminal, name: str) -> str:
    terminal.wait_for(name, "Unlock the safeguarding vault")
    fits(terminal.screen(name))
    terminal.keys(name, DEMO_PASSPHRASE, literal=True)
    terminal.keys(name, "Enter")
    return terminal.wait_for(name, "Incidents (4)")


def test_the_demo_from_an_empty_home(terminal: Terminal) -> None:
    terminal.start("demo")
    home = unlock(terminal, "demo")
    assert "DEMO" in home.splitlines()[0]
    # The sextortion incident's trigger is YES and its 101 call is recorded:
    # a referral made, so it says "referred", not REFER NOW (issue 10, finding 1).
    assert re.search(r"2026-002 .* referred ", home), home
    fits(home)
    terminal.keys("demo", "Down", "Enter")  # the second incident: the sextortion one
    terminal.wait_for("demo", "▶1 Guide◀")
    shown = terminal.wait_for("demo", "referred to the police (Call handler")  # once read
    assert "decided otherwise" not in shown
    fits(shown)
    for key, title in [("2", "▶2 Timeline◀"), ("3", "▶3 Triggers◀"), ("4", "▶4 Viewing◀"),
                       ("5", "▶5 Devices◀"), ("6", "▶6 People◀")]:  # fmt: skip
        terminal.keys("demo", key)
        fits(terminal.wait_for("demo", title))
    assert "Cara Testpupil (DEMO)" in terminal.screen("demo")
    terminal.keys("demo", "F1")
    fits(terminal.wait_for("demo", "Keys on this screen"))
    terminal.keys("demo", "Escape", "Escape")
    terminal.wait_for("demo", "Incidents (4)")
    pid = terminal.app_pid("demo")
    terminal.keys("demo", "C-q")
    assert exited(pid)


def test_a_dropped_connection_keeps_the_note_being_typed(terminal: Terminal) -> None:
    terminal.start("first")
    unlock(terminal, "first")
    terminal.keys("first", "Enter")
    terminal.wait_for("first", "▶1 Guide◀")
    terminal.keys("first", "n")
    terminal.wait_for("first", "Quick note")
    terminal.keys("first", "typed just before the line dropped", literal=True)
    terminal.wait_for("first", "typed just before the line dropped")
    pid = terminal.app_pid("first")
    os.kill(pid, 1)  # SIGHUP, to the app we started and nothing else
    assert exited(pid), "the app did not leave after SIGHUP"
    drafts = list((terminal.home / "data" / "ydsi" / "demo-vault" / "drafts").rglob("*.draft"))
    assert len(drafts) == 1
    assert b"typed just before" not in drafts[0].read_bytes()  # sealed, not plain text

    terminal.start("second")
    unlock_screen = terminal.wait_for("second", "Unlock the safeguarding vault")
    assert "typed just before" not in unlock_screen
    terminal.keys("second", DEMO_PASSPHRASE, literal=True)
    terminal.keys("second", "Enter")
    shown = terminal.wait_for("second", "Unsaved forms were kept as drafts")
    assert "Quick note" in shown and "typed just before" not in shown
    fits(shown)
    terminal.keys("second", "Enter")
    shown = terminal.wait_for("second", "typed just before the line dropped")
    terminal.keys("second", "Enter")  # save it now
    terminal.wait_gone("second", "Quick note")
    terminal.keys("second", "2")
    assert "typed just before the line dropped" in terminal.wait_for("second", "▶2 Timeline◀")
