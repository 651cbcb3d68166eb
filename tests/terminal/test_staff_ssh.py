"""Staff without a server account: a restricted SSH login that runs `ydsi disclose`, nothing else.

A real OpenSSH server on 127.0.0.1 (tests/support/sshd.py) is set up the two
ways the README's "Staff reporting" gives: a ``Match`` block with
``ForceCommand ydsi disclose`` and every kind of forwarding off (the block
``ydsi doctor`` checks for), and a per-person key in authorized_keys with
``restrict,pty,command=``. Through each, a member of staff logs in from a
real terminal (a tmux pane running the ssh client), answers the questions and
gets a receipt; the DSL opens the report as typed, filed under the login.
Whatever command the client asks for (``cat /etc/passwd``, a shell, sftp) the
program that runs is ``ydsi disclose``; stdio and remote forwarding are refused.
"""

from __future__ import annotations

import getpass
import re
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.support import sshd
from tests.support.drop import make_spool, publish
from tests.support.vaults import DSL_PASS, min_kdf
from tests.terminal.test_ssh_session import Pane
from ydsi_tui.service.staff_reports import open_staff_report
from ydsi_tui.vault.drop import list_spool
from ydsi_tui.vault.install_checks import restricted_login_block, staff_login_check
from ydsi_tui.vault.vault import Vault

REPO = Path(__file__).resolve().parents[2]

pytestmark = [
    pytest.mark.terminal,
    pytest.mark.skipif(sshd.available() is not None, reason=str(sshd.available())),
]


@dataclass
class Staff:
    server: sshd.SshServer
    vault: Path
    spool: Path
    tmp: Path


def _forced(tmp: Path, spool: Path, pin: Path) -> str:
    """The forced program: ydsi disclose, with a config file naming the spool and pin."""
    config = tmp / "system-config.toml"
    config.write_text(f'drop_spool = "{spool}"\ndrop_authority = "{pin}"\n')
    home = tmp / "staff-home"
    (home / "state").mkdir(parents=True)
    env = {
        "YDSI_SYSTEM_CONFIG": str(config),
        "HOME": str(home),
        "XDG_STATE_HOME": str(home / "state"),
        "XDG_CONFIG_HOME": str(home / "config"),
        "PYTHONPATH": str(REPO),
        "LANG": "C.UTF-8",
    }
    assignments = " ".join(f"{k}={v}" for k, v in env.items())
    return f"/usr/bin/env {assignments} {sys.executable} -m ydsi_tui disclose"


@pytest.fixture(params=["match-block", "per-person-key"])
def staff(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Staff]:
    vault = tmp_path / "vault"
    session, _code = Vault.create(
        vault, user="dsl", passphrase=DSL_PASS, full_name="Dana Lead", kdf=min_kdf()
    )
    spool = make_spool(tmp_path)
    _key, pin = publish(session, spool, tmp_path)
    session.close()
    forced = _forced(tmp_path, spool, pin)
    assert '"' not in forced and all(" " not in p for p in (str(tmp_path), sys.executable))
    # The server offers sftp, as Debian's does: the restricted login must not get it.
    sftp = ["Subsystem sftp internal-sftp"]
    if request.param == "match-block":
        config = sftp + restricted_login_block(f"User {getpass.getuser()}", forced)
        with sshd.ssh_server(tmp_path / "sshd", extra_config=config) as running:
            assert staff_login_check(running.directory / "sshd_config").status == "ok"
            yield Staff(running, vault, spool, tmp_path)
    else:
        options = f'restrict,pty,command="{forced}"'
        with sshd.ssh_server(tmp_path / "sshd", extra_config=sftp, key_options=options) as running:
            yield Staff(running, vault, spool, tmp_path)


def _run(staff: Staff, options: list[str], remote: str | None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        staff.server.client(options, remote), capture_output=True, text=True, timeout=60,
        stdin=subprocess.DEVNULL, check=False,
    )  # fmt: skip


ANSWERS = [
    ("young person's words", "he sent the picture to the whole group"),
    ("", ""),  # the empty line that ends the words
    ("Who disclosed it", "a pupil in year 8"),
    ("When it was disclosed", "this lunchtime"),
    ("How it came to light", "she came to find me"),
    ("young people involved", "Kid Zed"),
    ("done already", "nothing yet"),
    ("Your name", "Lucy Lunch"),
    ("Your job title", "Lunchtime supervisor"),
]


def test_a_member_of_staff_logs_in_files_a_report_and_gets_a_receipt(staff: Staff) -> None:
    pane = Pane(f"staff-{staff.server.port}", staff.tmp / "tmux.sock")
    pane.start(staff.server.client(["-tt"], None))
    try:
        for prompt, answer in ANSWERS:
            if prompt:
                pane.wait_for(prompt)
            pane.type(answer)
            pane.keys("Enter")
        screen = pane.wait_for("Keep this receipt")
    finally:
        pane.kill()
    found = re.search(r"Receipt: report (\S+)", screen)
    assert found is not None, screen
    [report] = list_spool(staff.spool)
    assert report.report_id == found.group(1)
    session = Vault.open(staff.vault).unlock("dsl", DSL_PASS)
    try:
        opened = open_staff_report(session, staff.spool, report.report_id)
    finally:
        session.close()
    assert opened.words == "he sent the picture to the whole group"
    assert opened.reporter_name == "Lucy Lunch"
    assert opened.owner_login == getpass.getuser()  # the login: the kernel's word


def test_any_command_asked_for_gets_ydsi_disclose_not_a_shell(staff: Staff) -> None:
    for asked in ("cat /etc/passwd", "sh -i", "bash -c id", None):
        result = _run(staff, ["-T"], asked)
        assert "root:x:0:0" not in result.stdout and "uid=" not in result.stdout
        # disclose, with no terminal and no words: its own one line, nothing filed.
        assert result.stderr.strip() == (
            "ydsi: no words given: give it with --text-file FILE, or run in a terminal to be asked"
        ), (asked, result)
    assert list_spool(staff.spool) == []


def test_a_subsystem_gets_ydsi_disclose_too(staff: Staff) -> None:
    result = _run(staff, ["-T", "-s"], "sftp")
    # A subsystem's stderr is not passed back; disclose's exit status is (2: no words).
    assert (result.returncode, result.stdout) == (2, ""), result
    sftp = subprocess.run(
        ["sftp", "-b", "-", *staff.server.client([])[1:-1], f"{staff.server.user}@127.0.0.1"],
        input="ls /\n", capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip
    assert sftp.returncode != 0 and "etc" not in sftp.stdout.split()


def test_forwarding_of_every_kind_is_refused(staff: Staff) -> None:
    port = staff.server.port
    stdio = _run(staff, ["-W", f"127.0.0.1:{port}"], None)
    assert stdio.returncode != 0 and "SSH-2.0" not in stdio.stdout
    assert "prohibited" in stdio.stderr or "forwarding" in stdio.stderr.lower(), stdio
    # -W opens the same kind of channel (direct-tcpip) as each connection
    # through a -L forward; -R asks the server for a listener, refused at once.
    remote = _run(staff, ["-N", "-o", "ExitOnForwardFailure=yes", "-R", "0:127.0.0.1:9"], None)
    assert remote.returncode != 0 and "forwarding failed" in remote.stderr.lower(), remote
