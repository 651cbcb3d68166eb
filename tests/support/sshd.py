"""A throwaway OpenSSH server on 127.0.0.1, for tests of a real SSH session.

Everything it needs lives in one temporary directory: a fresh host key, a
fresh client key, an authorized_keys file, and a config that listens on
loopback only, on a free high port, accepting only that key. Nothing on the
machine's own SSH set-up is read or changed.
"""

from __future__ import annotations

import contextlib
import getpass
import os
import shutil
import socket
import subprocess
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

SSHD = shutil.which("sshd") or "/usr/sbin/sshd"


def available() -> str | None:
    """None when a test SSH server can run here, else why not."""
    for tool in (SSHD, shutil.which("ssh"), shutil.which("ssh-keygen"), shutil.which("tmux")):
        if not tool or not os.path.exists(tool):
            return "needs sshd, ssh, ssh-keygen and tmux (.ci/run installs them)"
    return None


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@dataclass
class SshServer:
    directory: Path
    port: int
    user: str
    client_key: Path

    def ssh_command(self, remote: str, *, term: str = "xterm") -> list[str]:
        """The client command line that logs in and runs ``remote`` with a terminal."""
        return self.client(["-tt", "-o", f"SetEnv=TERM={term}"], remote)

    def client(self, options: Sequence[str], remote: str | None = None) -> list[str]:
        """The client command line with ``options`` (-N, -W, -s ...) and, maybe, a command."""
        return [
            "ssh",
            *options,
            "-p", str(self.port),
            "-i", str(self.client_key),
            "-F", "/dev/null",
            "-o", "StrictHostKeyChecking=no",
            "-o", f"UserKnownHostsFile={self.directory / 'known_hosts'}",
            "-o", "LogLevel=ERROR",
            "-o", "BatchMode=yes",
            f"{self.user}@127.0.0.1",
            *([remote] if remote is not None else []),
        ]  # fmt: skip


@contextlib.contextmanager
def ssh_server(
    directory: Path, *, extra_config: Sequence[str] = (), key_options: str = ""
) -> Iterator[SshServer]:
    """Start sshd in the foreground (-D) on a free port; stop it afterwards.

    ``extra_config`` is appended to the server's config (a ``Match`` block
    with ``ForceCommand``: a restricted login); ``key_options`` go in front
    of the client key in authorized_keys (``restrict,command="..."``: a
    per-person key that can only run one program).
    """
    directory.mkdir(parents=True, exist_ok=True)
    directory.chmod(0o700)
    host_key = directory / "host_ed25519"
    client_key = directory / "client_ed25519"
    for key in (host_key, client_key):
        subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", str(key)], check=True)
    authorized = directory / "authorized_keys"
    prefix = f"{key_options} " if key_options else ""
    authorized.write_text(prefix + client_key.with_suffix(".pub").read_text())
    authorized.chmod(0o600)
    port = _free_port()
    user = getpass.getuser()
    config = directory / "sshd_config"
    config.write_text(
        "\n".join(
            [
                f"Port {port}",
                "ListenAddress 127.0.0.1",
                f"HostKey {host_key}",
                f"AuthorizedKeysFile {authorized}",
                f"PidFile {directory / 'sshd.pid'}",
                "PasswordAuthentication no",
                "KbdInteractiveAuthentication no",
                "PubkeyAuthentication yes",
                "PermitRootLogin prohibit-password",
                "StrictModes no",
                "UsePAM no",
                "AcceptEnv TERM LANG LC_*",
                "PermitUserEnvironment no",
                *extra_config,
                "",
            ]
        )
    )
    Path("/run/sshd").mkdir(exist_ok=True)  # privilege separation directory
    log = directory / "sshd.log"
    process = subprocess.Popen(
        [SSHD, "-D", "-f", str(config), "-E", str(log)],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), 0.2):
                break
            if process.poll() is not None:
                raise RuntimeError(f"sshd exited: {log.read_text() if log.exists() else ''}")
            time.sleep(0.05)
        yield SshServer(directory, port, user, client_key)
    finally:
        process.terminate()
        with contextlib.suppress(subprocess.TimeoutExpired):
            process.wait(5)
        if process.poll() is None:
            process.kill()
