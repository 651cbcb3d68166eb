"""Staff without a server account: a restricted SSH login that runs `ydsi disclose`, nothing else.

A real OpenSSH server on 127.0.0.1 (tests/support/sshd.py) is set up the two
ways the README's "Staff reporting" gives: a ``Match`` block with
``ForceCommand`` and every kind of forwarding off (a per-person account), and
a per-person key in authorized_keys with ``restrict,pty,command=``. Through
each: whatever command the client asks for, the program that runs is the
forced one; a subsystem (sftp) gets it too; local, remote and stdio
forwarding are refused.
"""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support import sshd
from ydsi_tui.vault.install_checks import restricted_login_block

pytestmark = [
    pytest.mark.terminal,
    pytest.mark.skipif(sshd.available() is not None, reason=str(sshd.available())),
]

MARK = "FORCED-PROGRAM-RAN"


def _stand_in(tmp_path: Path) -> Path:
    """The forced program: says it ran and what the client had asked for."""
    script = tmp_path / "forced"
    script.write_text(
        f"#!{sys.executable}\nimport os\n"
        f"print({MARK!r}, repr(os.environ.get('SSH_ORIGINAL_COMMAND')))\n"
    )
    script.chmod(0o755)
    return script


@pytest.fixture(params=["match-block", "per-person-key"])
def server(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[sshd.SshServer]:
    forced = str(_stand_in(tmp_path))
    import getpass

    # The server offers sftp, as Debian's does: the restricted login must not get it.
    sftp = ["Subsystem sftp internal-sftp"]
    if request.param == "match-block":
        config = sftp + restricted_login_block(f"User {getpass.getuser()}", forced)
        with sshd.ssh_server(tmp_path / "sshd", extra_config=config) as running:
            yield running
    else:
        options = f'restrict,pty,command="{forced}"'
        with sshd.ssh_server(tmp_path / "sshd", extra_config=sftp, key_options=options) as running:
            yield running


def _run(
    server: sshd.SshServer, options: list[str], remote: str | None
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        server.client(options, remote), capture_output=True, text=True, timeout=60,
        stdin=subprocess.DEVNULL, check=False,
    )  # fmt: skip


def test_any_command_asked_for_runs_the_forced_program(server: sshd.SshServer) -> None:
    for asked in ("cat /etc/passwd", "sh -i", "bash -c id"):
        result = _run(server, ["-T"], asked)
        assert MARK in result.stdout and repr(asked) in result.stdout, result
        assert "root:x:0:0" not in result.stdout
    plain = _run(server, ["-T"], None)
    assert MARK in plain.stdout


def test_a_subsystem_gets_the_forced_program_too(server: sshd.SshServer) -> None:
    result = _run(server, ["-T", "-s"], "sftp")
    # The forced program runs, told what was asked for: no sftp server starts.
    assert MARK in result.stdout and "sftp'" in result.stdout, result


def test_forwarding_of_every_kind_is_refused(server: sshd.SshServer) -> None:
    stdio = _run(server, ["-W", f"127.0.0.1:{server.port}"], None)
    assert stdio.returncode != 0 and "SSH-2.0" not in stdio.stdout
    assert "prohibited" in stdio.stderr or "forwarding" in stdio.stderr.lower(), stdio
    # -W opens the same kind of channel (direct-tcpip) as each connection
    # through a -L forward; -R asks the server for a listener, refused at once.
    remote = _run(server, ["-N", "-o", "ExitOnForwardFailure=yes", "-R", "0:127.0.0.1:9"], None)
    assert remote.returncode != 0 and "forwarding failed" in remote.stderr.lower(), remote
