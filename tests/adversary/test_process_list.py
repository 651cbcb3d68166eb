"""Another local user watches the process list while the DSL records (red-team H4).

The attack as the review ran it: read every ``/proc/<pid>/cmdline`` (and
``environ``, where readable) in a tight loop while ``ydsi`` runs. The DSL's
process is held open on stdin (it waits for the note there) and then lives
through its Argon2id run, so the watcher has every moment of its life to look.
The pupil's name and the note's text must never appear. A control run passes
the same kind of content as an argument (``--allow-argv``) and the watcher
does see it: the watcher works, so its silence above means something.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from tests.support.vaults import min_kdf
from ydsi_tui.service.policies import approve_policy_file
from ydsi_tui.vault.vault import Vault

PASS = "process list tests passphrase"
#: How long the watcher waits for something it expects, at most (not a sleep).
PATIENCE = 60.0


@dataclass
class Watcher:
    """What a local user can read of other processes: cmdline and environ."""

    secrets: tuple[bytes, ...]
    seen: list[str] = field(default_factory=list)
    looks: int = 0

    def scan(self) -> None:
        """One pass over /proc, recording any secret found."""
        for entry in os.scandir("/proc"):
            if not entry.name.isdigit() or entry.name == str(os.getpid()):
                continue
            for part in ("cmdline", "environ"):
                try:
                    with open(f"/proc/{entry.name}/{part}", "rb") as file:
                        data = file.read()
                except OSError:  # gone, or not ours to read
                    continue
                for secret in self.secrets:
                    if secret in data or secret in data.replace(b"\0", b" "):
                        self.seen.append(f"{entry.name}/{part}: {secret.decode()}")
        self.looks += 1


@dataclass
class School:
    vault: Path
    passphrase_file: Path
    env: dict[str, str]

    def command(self, *args: str) -> list[str]:
        return [
            sys.executable, "-m", "ydsi_tui.cli.main", *args, "--vault", str(self.vault),
            "--user", "dsl", "--passphrase-file", str(self.passphrase_file),
        ]  # fmt: skip

    def run(self, *args: str, stdin: str = "") -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            self.command(*args), input=stdin, capture_output=True, text=True, env=self.env,
            check=False, timeout=PATIENCE,
        )  # fmt: skip

    def watched(self, watcher: Watcher, args: list[str], stdin: str, marker: str) -> int:
        """Run ``ydsi`` held on stdin; watch it before, while and after it gets its content."""
        process = subprocess.Popen(
            self.command(*args), stdin=subprocess.PIPE, stdout=subprocess.PIPE,
            stderr=subprocess.PIPE, env=self.env,
        )  # fmt: skip
        assert process.stdin is not None
        deadline = time.monotonic() + PATIENCE
        # Until the watcher has read this very process's command line (so it is
        # looking at the right thing), the content is not even sent.
        while marker.encode() not in _cmdline(process.pid):
            watcher.scan()
            assert time.monotonic() < deadline, "the watcher never saw the ydsi process"
        for _ in range(20):  # and it keeps looking while ydsi waits on stdin
            watcher.scan()
        process.stdin.write(stdin.encode("utf-8"))
        process.stdin.close()
        while process.poll() is None:  # through the unlock, the KDF and the write
            watcher.scan()
            assert time.monotonic() < deadline, "ydsi did not finish"
        watcher.scan()
        assert process.stderr is not None and process.stdout is not None
        err = process.stderr.read().decode()  # a line or two: never enough to fill the pipe
        process.stdout.close()
        process.stderr.close()
        assert process.returncode == 0 or watcher.seen, err
        return process.returncode


def _cmdline(pid: int) -> bytes:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return b""


@pytest.fixture
def school(tmp_path: Path) -> School:
    vault = tmp_path / "vault"
    session, _ = Vault.create(vault, user="dsl", passphrase=PASS, full_name="Dana", kdf=min_kdf())
    approve_policy_file(session)
    session.close()
    secret = tmp_path / "pass.secret"
    secret.write_text(PASS + "\n", encoding="utf-8")
    secret.chmod(0o600)
    env = {k: v for k, v in os.environ.items() if not k.startswith("YDSI_")}
    env["YDSI_SYSTEM_CONFIG"] = str(tmp_path / "no-system-config.toml")
    tool = School(vault, secret, env)
    made = tool.run("incident", "new", stdin="an incident")
    assert made.returncode == 0 and made.stdout.strip() == "2026-001", made.stderr
    return tool


def _unique(text: str) -> str:
    """Content no other process on this machine could carry by chance."""
    return f"{text} {uuid.uuid4().hex[:12]}"


def test_a_watcher_never_sees_the_note_or_the_pupils_name(school: School) -> None:
    note = _unique("Dana says her stepfather took the photo")
    name = _unique("Evie Hidden")
    watcher = Watcher((note.encode(), name.encode()))
    code = school.watched(
        watcher,
        ["pupil", "add", "2026-001", "--fields-file", "-", "--year-group", "9",
         "--part", "received"],
        f"name: {name}\nvulnerabilities: none known\n",
        marker="pupil",
    )  # fmt: skip
    assert code == 0
    assert school.watched(watcher, ["note", "2026-001", "--text-file", "-"], note, "note") == 0
    assert school.watched(watcher, ["note", "2026-001"], note + " again", "note") == 0
    assert watcher.seen == [], watcher.seen
    assert watcher.looks > 60  # it really looked, many times, at every stage
    print(f"process list: {watcher.looks} passes over /proc during 3 runs, content seen 0 times")
    shown = json.loads(school.run("incident", "show", "2026-001", "--json").stdout)
    assert shown["pupils"][0]["name"] == name  # the content did reach the record
    texts = [e["data"]["text"] for e in shown["timeline"] if e["kind"] == "note"]
    assert texts == [note, note + " again"]


def test_content_as_an_argument_is_refused_before_the_kdf_runs(school: School) -> None:
    note = _unique("Dana says her stepfather took the photo")
    refused = school.run("note", "2026-001", note)
    assert refused.returncode == 2 and "process list" in refused.stderr
    shown = json.loads(school.run("incident", "show", "2026-001", "--json").stdout)
    assert [e for e in shown["timeline"] if e["kind"] == "note"] == []


def test_control_the_watcher_does_see_content_given_as_an_argument(school: School) -> None:
    note = _unique("Dana says her stepfather took the photo")
    watcher = Watcher((note.encode(),))
    # Held on stdin with the note in argv too (--allow-argv): then refused as
    # given twice, but the watcher has had its look.
    school.watched(
        watcher, ["note", "2026-001", note, "--allow-argv", "--text-file", "-"], "x", "note"
    )
    assert watcher.seen, "the watcher cannot see a command line: the test above proves nothing"
