"""A real SSH session: log in, unlock, record a note, drop the connection, come back.

The app runs on the far side of a real OpenSSH server (on loopback, with a
throwaway key), inside a real 80x24 terminal (a local tmux pane running the
``ssh -tt`` client). Killing the client is what a dropped Wi-Fi connection
looks like to the server: sshd hangs up the session, the app gets SIGHUP and
must keep what was typed. Run with TERM=xterm and TERM=linux (a console
without colours to speak of).
"""

from __future__ import annotations

import os
import shlex
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support import sshd
from ydsi_tui.service.factory import services_for
from ydsi_tui.service.policies import approve_policy_file
from ydsi_tui.vault.crypto import KdfParams
from ydsi_tui.vault.vault import Vault

PASS = "ssh session passphrase"
REPO = Path(__file__).resolve().parents[2]

# A real SSH session: ./dev test --quick leaves it out.
pytestmark = [
    pytest.mark.terminal,
    pytest.mark.skipif(sshd.available() is not None, reason=str(sshd.available())),
]


class Pane:
    """One tmux session holding the SSH client, read back as the user sees it."""

    def __init__(self, name: str, socket: Path) -> None:
        self.name = name
        self.socket = socket

    def tmux(self, *args: str) -> str:
        result = subprocess.run(
            ["tmux", "-S", str(self.socket), *args], capture_output=True, text=True, check=False
        )
        return result.stdout

    def start(self, command: list[str]) -> None:
        self.tmux(
            "new-session", "-d", "-s", self.name, "-x", "80", "-y", "24",
            shlex.join(command) + "; sleep 600",
        )  # fmt: skip

    def screen(self) -> str:
        return self.tmux("capture-pane", "-p", "-t", self.name)

    def keys(self, *keys: str) -> None:
        self.tmux("send-keys", "-t", self.name, *keys)

    def type(self, text: str) -> None:
        self.tmux("send-keys", "-t", self.name, "-l", text)

    def wait_for(self, text: str, timeout: float = 30) -> str:
        deadline = time.monotonic() + timeout
        screen = ""
        while time.monotonic() < deadline:
            screen = self.screen()
            if text in screen:
                return screen
            time.sleep(0.2)
        raise AssertionError(f"{text!r} never appeared; the screen was:\n{screen}")

    def client_pid(self) -> int:
        """The ssh client's pid: the pane runs a shell whose child is ssh."""
        shell = int(self.tmux("list-panes", "-t", self.name, "-F", "#{pane_pid}").strip())
        children = subprocess.run(
            ["pgrep", "-P", str(shell), "-x", "ssh"], capture_output=True, text=True, check=False
        )
        return int(children.stdout.split()[0]) if children.stdout.split() else shell

    def kill(self) -> None:
        self.tmux("kill-session", "-t", self.name)


@pytest.fixture
def server(tmp_path: Path) -> Iterator[sshd.SshServer]:
    with sshd.ssh_server(tmp_path / "ssh") as running:
        yield running


def _remote_app(vault: Path, home: Path, term: str) -> str:
    """What the SSH session runs: the app, as a staff member would start it."""
    env = {
        "TERM": term,
        "HOME": str(home),
        "XDG_DATA_HOME": str(home / "data"),
        "XDG_CACHE_HOME": str(home / "cache"),
        "XDG_CONFIG_HOME": str(home / "config"),
        "TMPDIR": str(home / "tmp"),
        "PYTHONPATH": str(REPO),
        "LANG": "C.UTF-8",
    }
    assignments = " ".join(f"{k}={shlex.quote(v)}" for k, v in env.items())
    command = [sys.executable, "-m", "ydsi_tui.cli.main", "--vault", str(vault), "--user", "dsl"]
    return f"cd {shlex.quote(str(REPO))} && {assignments} exec {shlex.join(command)}"


def _app_running(vault: Path) -> bool:
    # Anchored at the interpreter: the local tmux and ssh command lines contain
    # the same words, and must not count as the app still running.
    pattern = f"^{sys.executable} -m ydsi_tui.cli.main --vault {vault}"
    found = subprocess.run(["pgrep", "-f", pattern], capture_output=True, check=False)
    return found.returncode == 0


@pytest.mark.parametrize("term", ["xterm", "linux"])
def test_a_dropped_ssh_connection_loses_nothing(
    server: sshd.SshServer, tmp_path: Path, term: str
) -> None:
    vault = tmp_path / "vault"
    home = tmp_path / "home"
    for sub in ("data", "cache", "config", "tmp"):
        (home / sub).mkdir(parents=True)
    session, _ = Vault.create(
        vault,
        user="dsl",
        passphrase=PASS,
        full_name="Dana Lead",
        kdf=KdfParams.new(64 * 1024, 3, 1),
    )
    approve_policy_file(session)
    cases = services_for(session).cases
    assert cases is not None
    ref = cases.create("an incident recorded over ssh")
    session.close()

    pane = Pane(f"ssh-{term}", tmp_path / "tmux.sock")
    try:
        pane.start(server.ssh_command(_remote_app(vault, home, term), term=term))
        pane.wait_for("Unlock")
        pane.type(PASS)
        pane.keys("Enter")
        pane.wait_for(ref)
        pane.keys("Enter")
        pane.wait_for("Guide")
        pane.keys("n")
        pane.wait_for("Enter: save")
        pane.type("noted over ssh before the drop")
        pane.keys("Enter")
        pane.wait_for("Note saved")
        pane.keys("n")
        pane.wait_for("Enter: save")
        pane.type("typed but never saved")
        pane.wait_for("typed but never saved")  # every key has reached the form
        os.kill(pane.client_pid(), signal.SIGKILL)  # the connection drops
        deadline = time.monotonic() + 20
        while _app_running(vault) and time.monotonic() < deadline:
            time.sleep(0.2)
        assert not _app_running(vault), "the app did not leave when its terminal went away"
    finally:
        pane.kill()

    # Nothing lost: the saved note is in the vault, the unsaved one is a draft.
    session = Vault.open(vault).unlock("dsl", PASS)
    cases = services_for(session).cases
    assert cases is not None
    texts = [entry.event.data.get("text") for entry in cases.open(ref).incident.timeline]
    assert "noted over ssh before the drop" in texts
    drafts = session.load_drafts().drafts
    assert any("typed but never saved" in str(d.content) for d in drafts), drafts
    session.close()
    leftovers = [p for p in home.rglob("*") if p.is_file()]
    for path in leftovers:
        data = path.read_bytes()
        assert b"typed but never saved" not in data, path
        assert b"noted over ssh" not in data, path

    # Log in again: the draft is offered back.
    pane = Pane(f"ssh-{term}-again", tmp_path / "tmux.sock")
    try:
        pane.start(server.ssh_command(_remote_app(vault, home, term), term=term))
        pane.wait_for("Unlock")
        pane.type(PASS)
        pane.keys("Enter")
        screen = pane.wait_for("kept as drafts")
        assert "typed but never saved" not in screen  # the list names the form, not its text
        pane.keys("Enter")  # open it again
        pane.wait_for("typed but never saved")
    finally:
        pane.kill()
