"""The real ``ydsi`` in a real pseudo-terminal (80x24), whole forms written in ONE write.

Over SSH a fast typist's keys, or a paste, reach the app in one read. This
writes the whole new-incident form (summary, time, the disclosure with its
dropdowns, a young person with their part, F2), then a quick note on the
incident it opens (a bracketed paste among typed keys), all at once, and
reads what was saved back through the service layer, character by character.
"""

from __future__ import annotations

import fcntl
import os
import re
import signal
import struct
import subprocess
import sys
import termios
import threading
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from ydsi_tui.model.timeparse import parse_when
from ydsi_tui.service.factory import services_for
from ydsi_tui.service.policies import approve_policy_file
from ydsi_tui.vault.crypto import KdfParams
from ydsi_tui.vault.vault import Vault

# The real app on a pseudo-terminal: ./dev test --quick leaves it out.
pytestmark = pytest.mark.terminal

PASS = "pty burst passphrase"
ROWS, COLS = 24, 80
TAB, ENTER, CTRL_U, F2 = "\t", "\r", "\x15", "\x1bOQ"
DOWN, SPACE = "\x1b[B", " "
_ESCAPES = re.compile(r"\x1b(\[[0-9;?<>=]*[ -/]*[@-~]|\][^\x07\x1b]*(\x07|\x1b\\)|[()][0-9A-Z]|.)")


class Pty:
    """One ``ydsi`` process on a pseudo-terminal of our own, its output read by a thread."""

    def __init__(self, argv: list[str], env: dict[str, str]) -> None:
        master, slave = os.openpty()
        fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", ROWS, COLS, 0, 0))
        self.master = master
        self.process = subprocess.Popen(
            argv, stdin=slave, stdout=slave, stderr=slave, env=env, start_new_session=True,
            close_fds=True,
        )  # fmt: skip
        os.close(slave)
        self.output = bytearray()
        self.lock = threading.Lock()
        self.reader = threading.Thread(target=self._read, daemon=True)
        self.reader.start()

    def _read(self) -> None:
        while True:
            try:
                chunk = os.read(self.master, 65536)
            except OSError:
                return
            if not chunk:
                return
            with self.lock:
                self.output.extend(chunk)

    def text(self) -> str:
        """Everything drawn so far, without escape sequences (enough to spot a screen)."""
        with self.lock:
            raw = self.output.decode("utf-8", errors="replace")
        return _ESCAPES.sub("", raw)

    def write(self, data: str) -> None:
        """All of ``data`` in one write, as one terminal read would deliver it."""
        payload = data.encode()
        assert os.write(self.master, payload) == len(payload)

    def wait_for(self, text: str, timeout: float = 40.0, *, since: int = 0) -> None:
        poll(lambda: text in self.text()[since:], f"{text!r} on screen", timeout,
             lambda: self.text()[-2000:])  # fmt: skip

    def close(self) -> None:
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)  # the group we started, only
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait(timeout=10)
        os.close(self.master)


def poll(done: Callable[[], bool], what: str, timeout: float,
         shown: Callable[[], str] = lambda: "") -> None:  # fmt: skip
    """Wait for ``done()`` with a deadline (looking again every 50 ms; never a fixed wait)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if done():
            return
        time.sleep(0.05)
    raise AssertionError(f"never happened: {what}; last output:\n{shown()}")


@pytest.fixture
def pty_vault(tmp_path: Path) -> tuple[Path, str]:
    """A fresh vault with one open incident (made the way 'ydsi init' would)."""
    path = tmp_path / "vault"
    session, _ = Vault.create(path, user="dsl", passphrase=PASS, full_name="Dana Lead",
                              kdf=KdfParams.new(64 * 1024, 3, 1))  # fmt: skip
    approve_policy_file(session)
    cases = services_for(session).cases
    assert cases is not None
    ref = cases.create("A parent reports an image being shared", "peer_sharing",
                       disclosed_at=datetime.now(UTC) - timedelta(hours=2))  # fmt: skip
    session.close()
    return path, ref


@pytest.fixture
def app_in_pty(tmp_path: Path, pty_vault: tuple[Path, str]) -> Iterator[Pty]:
    term = launch(tmp_path, pty_vault[0])
    try:
        yield term
    finally:
        term.close()


def launch(tmp_path: Path, vault: Path) -> Pty:
    """``ydsi`` on vault ``vault`` as the DSL, in a pseudo-terminal of 80x24."""
    ydsi = Path(sys.executable).with_name("ydsi")
    argv = [str(ydsi)] if ydsi.exists() else [sys.executable, "-m", "ydsi_tui.cli.main"]
    env = {
        "HOME": str(tmp_path),
        "XDG_DATA_HOME": str(tmp_path / "data"),
        "XDG_CONFIG_HOME": str(tmp_path / "config"),
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "TERM": "xterm-256color",
        "LANG": "C.UTF-8",
        "LC_ALL": "C.UTF-8",
    }
    return Pty([*argv, "--vault", str(vault), "--user", "dsl"], env)


def read_vault(path: Path) -> list[Any]:
    """Every incident as the service layer reads it (a fresh unlock each time)."""
    session = Vault.open(path).unlock("dsl", PASS)
    try:
        cases = services_for(session).cases
        assert cases is not None
        return [cases.open(row.ref, log=False).incident for row in cases.rows()]
    finally:
        session.close()


def test_two_forms_written_in_one_burst_are_saved_character_for_character(
    app_in_pty: Pty, pty_vault: tuple[Path, str]
) -> None:
    path, existing = pty_vault
    term = app_in_pty
    term.wait_for("Type your passphrase")
    term.write(PASS + ENTER)
    term.wait_for("Incidents (1)")

    summary = "Year 11 boy sent round a group chat; reported by a friend to form tutor 8H"
    when = "yesterday 09:45"
    told = "yesterday 10:20"
    typed = "Mum phoned at 10:50 (again); said [b]not[/b] to call \\ ok"
    pasted = "\tand then:\r\nshe had seen it on Friday"
    burst = (
        "n" + summary + TAB + TAB + CTRL_U + when  # the new-incident form
        + TAB + ENTER + DOWN + DOWN + ENTER  # who disclosed: a friend
        + TAB + "Not recorded (friend of pupil)"
        + TAB + "Mr Daniel Hughes, form tutor 8H"
        + TAB + "in person, at registration"
        + TAB + told
        + TAB + "Ava [i]Burst[/i]" + TAB + "14/03/2010"
        + TAB + ENTER + DOWN + ENTER  # sex: female
        + TAB + SPACE  # their part: pictured
        + TAB + ENTER + DOWN + DOWN + ENTER  # SEN: no
        + F2  # saved: the new incident opens
        + "n" + typed + "\x1b[200~" + pasted + "\x1b[201~" + ENTER  # a quick note in it
    )  # fmt: skip
    term.write(burst)

    def saved() -> bool:
        incidents = read_vault(path)
        notes = [e for i in incidents for e in i.effective if e.kind == "note"]
        return len(incidents) == 2 and len(notes) == 1

    poll(saved, "the incident and the note saved", 60, lambda: term.text()[-2000:])
    now = datetime.now(UTC)
    incidents = {i.meta.ref: i for i in read_vault(path)}
    (new_ref,) = set(incidents) - {existing}
    new = incidents[new_ref]
    assert new.summary == summary
    assert new.kind == "peer_sharing"
    assert new.opened_at == parse_when(when, now=now)
    disclosure = new.disclosure
    assert disclosure is not None
    assert disclosure.discloser_type == "friend"
    assert disclosure.discloser_name == "Not recorded (friend of pupil)"
    assert disclosure.to_whom == "Mr Daniel Hughes, form tutor 8H"
    assert disclosure.how == "in person, at registration"
    assert disclosure.disclosed_at == new.opened_at
    assert disclosure.dsl_told_at == parse_when(told, now=now)
    (pupil,) = new.pupils.values()
    assert (pupil.name, f"{pupil.dob:%d/%m/%Y}") == ("Ava [i]Burst[/i]", "14/03/2010")
    assert (pupil.sex, pupil.parts, pupil.sen) == ("female", ("pictured",), False)
    # The keys typed while it saved went to the incident it opened, not the list.
    assert not [e for e in incidents[existing].effective if e.kind == "note"]
    notes = [e for e in new.effective if e.kind == "note"]
    assert [n.data["text"] for n in notes] == [typed + " and then: she had seen it on Friday"]
