"""The real ``ydsi`` in a real 80x24 pseudo-terminal, under NO_COLOR and on the Linux console.

Issue 11, finding 6: under ``NO_COLOR=1`` the app still sent 256-colour greys
(``ESC[38;5;253m``), and under ``TERM=linux`` it drew emoji and symbols the
console's font does not have (``🔒 🔎 ⚠ ▶ ╭``). Both are properties of the
bytes written to the terminal, so that is what is checked: the same walk
through the screens (home and its attention list, the new-incident form with
its dropdown open, an incident, the add menu and a form, help, the command
palette, the lock screen) in each terminal, then every byte it wrote.
"""

from __future__ import annotations

import os
import re
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from tests.app.test_pty_burst import Pty
from ydsi_tui.app.glyphs import CONSOLE_FONT
from ydsi_tui.model.events import new_id
from ydsi_tui.service.factory import services_for
from ydsi_tui.service.policies import approve_policy_file
from ydsi_tui.vault.crypto import KdfParams
from ydsi_tui.vault.vault import Vault

#: A real ydsi in a real pseudo-terminal: the terminal tests, not the quick loop.
pytestmark = pytest.mark.terminal

PASS = "plain terminal passphrase"
TAB, ENTER, ESC, DOWN = "\t", "\r", "\x1b", "\x1b[B"
F1, F12, CTRL_P = "\x1bOP", "\x1b[24~", "\x10"

_SGR = re.compile(r"\x1b\[([0-9;:]*)m")
_ESCAPES = re.compile(r"\x1b(\[[0-9;:?<>=]*[ -/]*[@-~]|\][^\x07\x1b]*(\x07|\x1b\\)|[()][0-9A-Z]|.)")


def colour_codes(raw: str) -> set[str]:
    """Every SGR parameter that sets a colour (30-49, 90-107, 38/48/58 with what follows)."""
    found: set[str] = set()
    for params in _SGR.findall(raw):
        parts = re.split("[;:]", params)
        i = 0
        while i < len(parts):
            code = int(parts[i]) if parts[i].isdigit() else 0
            if code in (38, 48, 58):
                width = 3 if parts[i + 1 : i + 2] == ["5"] else 5
                found.add(";".join(parts[i : i + width]))
                i += width
                continue
            if 30 <= code <= 49 or 90 <= code <= 107:
                found.add(str(code))
            i += 1
    return found


@pytest.fixture
def vault(tmp_path: Path) -> tuple[Path, str]:
    """One incident needing an immediate referral (so the attention list has items)."""
    path = tmp_path / "vault"
    session, _ = Vault.create(path, user="dsl", passphrase=PASS, full_name="Dana Lead",
                              kdf=KdfParams.new(64 * 1024, 3, 1))  # fmt: skip
    approve_policy_file(session)
    cases = services_for(session).cases
    assert cases is not None
    ref = cases.create("Year 9 pupil threatened unless they pay", "sextortion",
                       disclosed_at=datetime.now(UTC) - timedelta(hours=3))  # fmt: skip
    cases.record(ref, "pupil.added", {
        "pupil_id": new_id(), "name": "Cara Sample", "year_group": 9, "sex": "female",
        "parts": ["pictured"], "sen": False, "vulnerabilities": "",
    })  # fmt: skip
    cases.record(ref, "trigger.answered", {"n": 2, "answer": "yes", "basis": "demands for money"})
    session.close()
    return path, ref


def run_walk(tmp_path: Path, vault: Path, **env: str) -> tuple[str, str]:
    """Walk the screens in a real terminal; returns (every byte as text, text without escapes)."""
    ydsi = Path(sys.executable).with_name("ydsi")
    argv = [str(ydsi)] if ydsi.exists() else [sys.executable, "-m", "ydsi_tui.cli.main"]
    environ = {
        "HOME": str(tmp_path),
        "XDG_DATA_HOME": str(tmp_path / "data"),
        "XDG_CONFIG_HOME": str(tmp_path / "config"),
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "TERM": "xterm-256color",
        "LANG": "C.UTF-8",
        "LC_ALL": "C.UTF-8",
        **env,
    }
    term = Pty([*argv, "--vault", str(vault), "--user", "dsl"], environ)
    try:

        def step(keys: str, shows: str) -> None:
            since = len(term.text())
            term.write(keys)
            term.wait_for(shows, since=since)

        term.wait_for("Type your passphrase")
        step(PASS + ENTER, "Incidents (1)")
        step("a", "Needs attention")  # the attention list, focused
        step("n", "Kind of incident")
        step(TAB + ENTER, "Sharing between young people")  # the dropdown, open
        step(DOWN, "Non-consensual sharing")
        step(ESC, "Kind of incident")
        step(ESC, "Incidents (1)")
        step("a" + ENTER, "CURRENT STEP")  # the incident (read), from the attention list
        step("a", "Add an entry")
        step(DOWN + ENTER, "F2")
        step(ESC, "Guide")
        step(F1, "Keys")
        step(ESC, "Guide")
        step(CTRL_P, "Search")
        step(ESC, "Guide")
        step(F12, "Locked")
        step(PASS + ENTER, "Guide")
        with term.lock:
            raw = term.output.decode("utf-8", errors="replace")
    finally:
        term.close()
    return raw, _ESCAPES.sub("", raw)


def test_no_colour_at_all_under_no_color(tmp_path: Path, vault: tuple[Path, str]) -> None:
    raw, text = run_walk(tmp_path, vault[0], NO_COLOR="1")
    assert "‼ REFER NOW" in text and "▶ " in text  # the screens were drawn, in symbols
    assert colour_codes(raw) == set(), "colour escape sequences were sent under NO_COLOR"
    assert not re.search(r"\x1b\](4|1[0-9]);", raw)  # nor a palette or colour change by OSC


def test_only_the_console_font_on_the_linux_console(
    tmp_path: Path, vault: tuple[Path, str]
) -> None:
    _raw, text = run_walk(tmp_path, vault[0], TERM="linux")
    assert "! REFER NOW" in text and "> " in text  # the screens were drawn, in fallbacks
    outside = {char for char in text if char not in CONSOLE_FONT and char not in "\r\n\t\x07"}
    assert not outside, "drawn but not in the console's font: " + " ".join(
        f"{c} U+{ord(c):04X}" for c in sorted(outside)
    )


def test_the_colour_check_sees_colour(tmp_path: Path, vault: tuple[Path, str]) -> None:
    """The same walk with colour: the checks above are not blind."""
    raw, text = run_walk(tmp_path, vault[0])
    assert colour_codes(raw)
    assert {char for char in text if char not in CONSOLE_FONT} >= {"▶", "‼"}


@pytest.mark.parametrize(
    ("raw", "codes"),
    [
        ("\x1b[1;38;5;253;48;2;1;2;3m", {"38;5;253", "48;2;1;2;3"}),
        ("\x1b[0;1;7m\x1b[39;49m", {"39", "49"}),
        ("\x1b[m\x1b[1m\x1b[4;7m\x1b[2m", set()),
    ],
)
def test_colour_codes_are_recognised(raw: str, codes: set[str]) -> None:
    assert colour_codes(raw) == codes
