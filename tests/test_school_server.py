"""The README's "School server" section, followed as root with real Unix accounts (issue 14).

Run as root (CI and this machine are; anywhere else it skips, saying so), it
makes a Unix group, two staff accounts in it (a DSL and the Headteacher) and
one account outside it, names the vault once in a system config file (the
``/etc/ydsi/config.toml`` of the README, here ``$YDSI_SYSTEM_CONFIG``), then
has the two staff use one shared vault in turn through the CLI, with no
``--vault`` anywhere: init, invite, enrol, endorse, record, list, verify,
back up. The outsider can neither run ydsi on it nor read a byte of it. The
accounts and the group are removed afterwards, whatever happened.

The interpreter running the tests may live where other accounts cannot
reach (here under ``/root``, mode 0700), so, as the README says, ydsi is run
from a virtual environment made from the *system* Python, which every account
can execute; it is pointed at this checkout and its installed dependencies
(same Python minor version, so the compiled ones load). When no such Python
exists the test skips with that reason.
"""

from __future__ import annotations

import grp
import os
import pwd
import secrets
import shutil
import stat
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.support.system_python import ROOT, shared_python
from tests.support.vaults import enrolment_code

pytestmark = pytest.mark.slow

PASS = "school server test passphrase"
KDF = ["--kdf-memory-mib", "64", "--kdf-lanes", "1"]


@dataclass
class Account:
    name: str
    home: Path

    @property
    def uid(self) -> int:
        return pwd.getpwnam(self.name).pw_uid


@dataclass
class Server:
    base: Path
    group: str
    python: Path
    config: Path
    vault: Path

    def run(
        self, who: Account, *args: str, stdin: str | None = None, groups: bool = True
    ) -> subprocess.CompletedProcess[str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith(("YDSI_", "XDG_"))}
        env.update(
            HOME=str(who.home),
            USER=who.name,
            LOGNAME=who.name,
            YDSI_SYSTEM_CONFIG=str(self.config),
            PYTHONDONTWRITEBYTECODE="1",
        )
        command = [str(self.python), "-m", "ydsi_tui", *args]
        command += ["--passphrase-file", str(who.home / "pass")] if args[0] != "doctor" else []
        return subprocess.run(
            command, capture_output=True, text=True, env=env, cwd=who.home,
            input=stdin, stdin=None if stdin is not None else subprocess.DEVNULL,
            user=who.name, group=grp.getgrgid(pwd.getpwnam(who.name).pw_gid).gr_name,
            extra_groups=[self.group] if groups else [], umask=0o022, timeout=300, check=False,
        )  # fmt: skip

    def ok(self, who: Account, *args: str, stdin: str | None = None) -> str:
        done = self.run(who, *args, stdin=stdin)
        assert done.returncode == 0, (who.name, args, done.stdout, done.stderr)
        return done.stdout


def _sh(*command: str) -> None:
    subprocess.run(command, check=True, capture_output=True)


@pytest.fixture
def server() -> Iterator[tuple[Server, Account, Account, Account]]:
    if os.geteuid() != 0:
        pytest.skip("needs root: it creates Unix accounts and a group (CI runs it as root)")
    if shutil.which("useradd") is None or shutil.which("groupadd") is None:
        pytest.skip("useradd/groupadd are not installed")
    tag = secrets.token_hex(3)
    group, names = f"ydsit{tag}", [f"ydsid{tag}", f"ydsih{tag}", f"ydsio{tag}"]
    base = Path(tempfile.mkdtemp(prefix="ydsisrv", dir="/tmp"))
    made: list[str] = []
    # An earlier test in this worker may have opened a vault (umask 077): an IT
    # manager's shell has 022, and the folders made here must be readable by all.
    umask = os.umask(0o022)
    try:
        base.chmod(0o755)
        _sh("groupadd", group)
        for name in names:
            _sh("useradd", "--no-create-home", "--shell", "/usr/sbin/nologin", name)
            made.append(name)
        _sh("usermod", "-aG", group, names[0])
        _sh("usermod", "-aG", group, names[1])
        # "Install from the system Python": a venv every account can execute.
        (base / "opt").mkdir()
        python, reason = shared_python(base / "opt" / "ydsi")
        if python is None:
            pytest.skip(reason)
        # The system config names the vault once for everyone.
        etc = base / "etc" / "ydsi"
        etc.mkdir(parents=True)
        srv = base / "srv" / "ydsi"
        srv.mkdir(parents=True, mode=0o755)  # the folder above: writable by root only
        vault = srv / "vault"
        config = etc / "config.toml"
        config.write_text(f'vault = "{vault}"\n', encoding="utf-8")
        config.chmod(0o644)
        accounts = []
        for name in names:
            home = base / "home" / name
            home.mkdir(parents=True)
            (home / "pass").write_text(PASS + "\n", encoding="utf-8")
            (home / "pass").chmod(0o600)
            uid = pwd.getpwnam(name).pw_uid
            gid = pwd.getpwnam(name).pw_gid
            for path in (home, home / "pass"):
                os.chown(path, uid, gid)
            accounts.append(Account(name, home))
        for path in (base / "home", base / "opt", base / "etc", base / "srv"):
            path.chmod(0o755)
        # The README: an empty vault folder of the DSL's, in the group, setgid.
        vault.mkdir(mode=0o2770)
        os.chown(vault, accounts[0].uid, grp.getgrnam(group).gr_gid)
        vault.chmod(0o2770)
        probe = Server(base, group, python, config, vault)
        version = probe.run(accounts[0], "--version")
        if version.returncode != 0:
            pytest.skip(f"the system Python could not run ydsi here: {version.stderr[-300:]}")
        yield probe, accounts[0], accounts[1], accounts[2]
    finally:
        os.umask(umask)
        for name in made:
            subprocess.run(["userdel", name], capture_output=True, check=False)
        subprocess.run(["groupdel", group], capture_output=True, check=False)
        shutil.rmtree(base, ignore_errors=True)


def test_two_staff_share_one_vault_in_turn_and_no_outsider_reads_it(
    server: tuple[Server, Account, Account, Account],
) -> None:
    srv, dsl, head, outsider = server
    made = srv.run(dsl, "init", "--shared", "--text-file", "-", *KDF, stdin="Dana Lead")
    assert made.returncode == 0, made.stderr
    assert srv.vault.joinpath("vault.json").exists()  # the system config's vault, no --vault
    invited = srv.ok(dsl, "user", "add", head.name, "--role", "headteacher")
    code = head.home / "code"
    code.write_text(enrolment_code(invited) + "\n", encoding="utf-8")
    code.chmod(0o600)
    os.chown(code, head.uid, -1)
    srv.ok(
        head, "enrol", "--code-file", str(code), "--new-passphrase-file", str(head.home / "pass")
    )
    assert head.name in srv.ok(dsl, "user", "endorse")
    ref = srv.ok(dsl, "incident", "new", "--text-file", "-", stdin="Image shared in Year 9")
    ref = ref.strip()
    # The Headteacher, in turn, on the same vault: reads what the DSL wrote.
    listed = srv.ok(head, "incident", "list")
    assert ref in listed
    assert "intact" in srv.ok(head, "verify")
    # The DSL again after the Headteacher: still works, and the files stay the group's.
    srv.ok(dsl, "note", ref, "--text-file", "-", stdin="Parents told")
    assert "intact" in srv.ok(dsl, "verify")
    gid = grp.getgrnam(srv.group).gr_gid
    for path in [srv.vault, *srv.vault.rglob("*")]:
        info = path.lstat()
        assert info.st_gid == gid, path
        assert not info.st_mode & stat.S_IRWXO, (path, oct(info.st_mode))
        if path.is_dir():
            assert info.st_mode & stat.S_ISGID, path
    doctor = srv.run(dsl, "doctor")
    assert doctor.returncode == 0, doctor.stdout
    # Nobody outside the group: not ydsi, not a plain read.
    refused = srv.run(outsider, "incident", "list", groups=False)
    assert refused.returncode != 0
    assert "internal error" not in refused.stderr and "Traceback" not in refused.stderr
    cat = subprocess.run(
        ["cat", str(srv.vault / "audit.log")], capture_output=True, user=outsider.name,
        check=False,
    )  # fmt: skip
    assert cat.returncode != 0 and not cat.stdout
    # An unattended backup by the group (no passphrase), checked by the Headteacher.
    backups = srv.base / "home" / dsl.name / "backups"
    backups.mkdir(mode=0o700)
    os.chown(backups, dsl.uid, -1)
    srv.ok(dsl, "backup", "--unattended", "--dir", str(backups), "--keep", "2")
    (made_backup,) = backups.iterdir()
    assert "intact" in srv.ok(dsl, "verify", "--backup", str(made_backup))


def _section() -> str:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    start = text.index("## School server")
    return text[start : text.index("\n## ", start + 1)]


def test_the_readme_server_section_has_every_step_this_test_takes() -> None:
    """Runs anywhere: the steps above are the README's, and its units are what ydsi prints."""
    section = _section()
    for step in (
        "python3 -m venv /opt/ydsi",
        "--require-hashes -r requirements.txt",
        "groupadd ydsi",
        "usermod -aG ydsi",
        "install -d -m 0755 /srv/ydsi",
        "install -d -m 2770 -o jmorgan -g ydsi /srv/ydsi/vault",
        "/etc/ydsi/config.toml",
        "ydsi init --shared",
        "ydsi doctor",
        "ydsi backup --unattended",
        "ydsi verify --backup FILE",
        "--entries",
        "ydsi upgrade",
        "Uninstalling",
    ):
        assert step in section, step
    printed = subprocess.run(
        [sys.executable, "-m", "ydsi_tui", "backup", "--print-units", "--vault",
         "/srv/ydsi/vault", "--dir", "/var/backups/ydsi", "--keep", "14"],
        capture_output=True, text=True, check=False,
        env={**os.environ, "PATH": "/nonexistent"},  # so the path printed is the README's
    )  # fmt: skip
    assert printed.returncode == 0, printed.stderr
    block = section.split("```ini\n", 1)[1].split("```", 1)[0]
    assert block.strip() == printed.stdout.strip()
