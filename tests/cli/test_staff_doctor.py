"""``ydsi doctor`` on staff reporting: the spool's owner, mode and group, and the SSH login."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from tests.cli.test_cli import KDF, Ydsi, no_traceback
from tests.support.drop import make_spool
from ydsi_tui.vault.install_checks import restricted_login_block, spool_check, staff_login_check

BASE = "Port 22\nPasswordAuthentication no\nSubsystem sftp /usr/lib/openssh/sftp-server\n"


def _config(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "sshd_config"
    path.write_text(text)
    return path


def test_the_readmes_block_is_ok(tmp_path: Path) -> None:
    block = "\n".join(restricted_login_block("Group ydsi-staff", "/usr/local/bin/ydsi disclose"))
    check = staff_login_check(_config(tmp_path, BASE + block + "\n"))
    assert check.status == "ok" and "Match Group ydsi-staff" in check.message


def test_a_block_that_forgets_one_thing_fails_naming_it(tmp_path: Path) -> None:
    lines = restricted_login_block("User staff", "/usr/local/bin/ydsi disclose")
    lines = [line for line in lines if "DisableForwarding" not in line and "X11" not in line]
    check = staff_login_check(_config(tmp_path, BASE + "\n".join(lines) + "\n"))
    assert check.status == "FAIL"
    assert "Match User staff lacks X11Forwarding no" in check.message
    assert "AllowTcpForwarding" not in check.message  # that one is there


def test_disable_forwarding_covers_forwarding_but_not_tunnels_or_the_users_rc(
    tmp_path: Path,
) -> None:
    text = BASE + "Match User staff\n  ForceCommand ydsi disclose\n  DisableForwarding yes\n"
    check = staff_login_check(_config(tmp_path, text))
    assert check.status == "FAIL"
    assert check.message.endswith("lacks PermitTunnel no, PermitUserRC no")
    ok = staff_login_check(_config(tmp_path, text + "  PermitTunnel no\n  PermitUserRC no\n"))
    assert ok.status == "ok"


def test_no_block_is_a_warning_and_an_included_file_is_read(tmp_path: Path) -> None:
    assert staff_login_check(_config(tmp_path, BASE)).status == "warn"
    extra = tmp_path / "conf.d"
    extra.mkdir()
    block = restricted_login_block("User staff", "/usr/local/bin/ydsi disclose")
    (extra / "ydsi.conf").write_text("\n".join(block) + "\n")
    with_include = _config(tmp_path, f"Include {extra}/*.conf\n" + BASE)
    assert staff_login_check(with_include).status == "ok"
    assert staff_login_check(tmp_path / "absent").status == "warn"


@pytest.mark.skipif(os.geteuid() != 0, reason="a root-owned spool needs root here")
def test_the_spool_as_the_readme_makes_it_is_ok_and_each_mistake_named(tmp_path: Path) -> None:
    vault = tmp_path / "vault"
    (vault / "case").mkdir(parents=True)
    spool = make_spool(tmp_path, gid=os.stat(vault / "case").st_gid)
    assert spool_check(spool, vault).status == "ok"
    os.chmod(spool, 0o0777)
    bad = spool_check(spool, vault)
    assert bad.status == "FAIL"
    assert "not sticky" in bad.message and "listable by every account" in bad.message
    assert "not setgid" in bad.message and "install -d -o root" in bad.fix
    os.chmod(spool, 0o3773)
    os.chown(spool, 0, os.stat(vault / "case").st_gid + 1)
    assert "not case/'s group" in spool_check(spool, vault).message
    missing = spool_check(tmp_path / "nowhere", vault)
    assert missing.status == "warn" and "staff cannot report" in missing.message


@pytest.mark.slow
def test_doctor_shows_both_checks(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    tool = Ydsi(tmp_path)
    assert tool.run("init", *KDF).returncode == 0
    spool = make_spool(tmp_path, gid=os.stat(tool.vault / "case").st_gid)
    block = restricted_login_block("User staff", "/usr/local/bin/ydsi disclose")
    config = _config(tmp_path, BASE + "\n".join(block) + "\n")
    monkeypatch.setenv("YDSI_DROP_SPOOL", str(spool))
    monkeypatch.setenv("YDSI_SSHD_CONFIG", str(config))
    done = tool.run("doctor", "--json", passphrase=None)
    no_traceback(done)
    found = {row["check"]: row["status"] for row in json.loads(done.stdout)}
    assert found["staff login"] == "ok"
    assert found["staff spool"] == ("ok" if os.geteuid() == 0 else "FAIL")


def test_the_readmes_staff_reporting_section_gives_the_block_the_doctor_accepts(
    tmp_path: Path,
) -> None:
    text = (Path(__file__).resolve().parents[2] / "README.md").read_text(encoding="utf-8")
    start = text.index("## Staff reporting")
    section = text[start : text.index("\n## ", start + 1)]
    block = "\n".join(restricted_login_block("Group ydsi-staff", "/usr/local/bin/ydsi disclose"))
    assert block in section
    conf = section.split("<<'CONF'\n", 1)[1].split("\nCONF\n", 1)[0]
    assert staff_login_check(_config(tmp_path, BASE + conf + "\n")).status == "ok"
    for step in (
        "install -d -o root -g ydsi-case -m 3773 /var/spool/ydsi",
        "/etc/profile.d/",
        "ydsi attention --brief",
        "ExecStart=/usr/local/bin/ydsi attention --notify",
        'restrict,pty,command="/usr/local/bin/ydsi disclose" ssh-ed25519',
    ):
        assert step in section, step
