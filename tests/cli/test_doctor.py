"""``ydsi doctor``: each install check on a real vault, found right and found wrong."""

from __future__ import annotations

import grp
import json
import os
from pathlib import Path

import pytest

from tests.cli.test_cli import KDF, Ydsi, no_traceback
from tests.support.vaults import enrolment_code
from ydsi_tui.cli.content import proc_hides_other_users
from ydsi_tui.vault import install_checks
from ydsi_tui.vault.install_checks import _hidepid, run_checks

# Runs ydsi processes on a real vault, each deriving its user's key.
pytestmark = pytest.mark.slow

PROC_PLAIN = "proc /proc proc rw,nosuid,nodev,noexec,relatime 0 0\n"
PROC_HIDDEN = "proc /proc proc rw,nosuid,nodev,noexec,relatime,hidepid=2 0 0\n"


def _by_name(vault: Path) -> dict[str, install_checks.Check]:
    return {c.name: c for c in run_checks(vault, proc_hides=lambda: False)}


def _shared_with_technician(tmp_path: Path) -> Ydsi:
    tool = Ydsi(tmp_path)
    assert tool.run("init", "--shared", *KDF).returncode == 0
    added = tool.run("user", "add", "tech", "--role", "technician")
    assert added.returncode == 0, added.stderr
    enrolled = tool.run(
        "enrol", "--code-file", str(tool.secret("code", enrolment_code(added.stdout))),
        "--new-passphrase-file", str(tool.secret("new", "technician passphrase")),
        user="tech", passphrase=None,
    )  # fmt: skip
    assert enrolled.returncode == 0, enrolled.stderr
    assert tool.run("user", "endorse").returncode == 0
    return tool


def test_a_fresh_private_vault_is_all_ok_but_hidepid(tmp_path: Path) -> None:
    tool = Ydsi(tmp_path)
    assert tool.run("init", *KDF).returncode == 0
    done = tool.run("doctor", "--json", passphrase=None)
    no_traceback(done)
    assert done.returncode == 0, done.stderr
    found = {row["check"]: row["status"] for row in json.loads(done.stdout)}
    assert found["vault"] == found["modes"] == found["parent"] == "ok", found
    assert found["hidepid"] in ("ok", "warn")


def test_a_shared_case_dir_open_to_technicians_is_a_warning(tmp_path: Path) -> None:
    tool = _shared_with_technician(tmp_path)
    check = _by_name(tool.vault)["case group"]
    assert check.status == "warn" and "technicians: tech" in check.message
    assert "chgrp -R ydsi-case" in check.fix


@pytest.mark.skipif(os.geteuid() != 0, reason="giving case/ another group needs root here")
def test_a_technician_in_the_case_group_fails(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    tool = _shared_with_technician(tmp_path)
    users = grp.getgrnam("users")
    os.chown(tool.vault / "case", -1, users.gr_gid)
    assert _by_name(tool.vault)["case group"].status == "ok"
    # The system's group database says the technician is a member (as /etc/group would).
    member = grp.struct_group(("users", "x", users.gr_gid, ["tech"]))
    monkeypatch.setattr(install_checks.grp, "getgrgid", lambda gid: member)
    check = _by_name(tool.vault)["case group"]
    assert check.status == "FAIL" and "tech" in check.message and check.fix.startswith("gpasswd")


def test_a_parent_folder_writable_by_others_fails(tmp_path: Path) -> None:
    holder = tmp_path / "open"
    holder.mkdir()
    tool = Ydsi(tmp_path)
    tool.vault = holder / "vault"
    assert tool.run("init", *KDF).returncode == 0
    holder.chmod(0o777)
    done = tool.run("doctor", passphrase=None)
    assert done.returncode == 1 and "FAIL  parent" in done.stdout, done.stdout
    assert f"fix: chmod go-w {holder}" in done.stdout


def test_hidepid_is_read_from_the_proc_mount_line() -> None:
    hides = proc_hides_other_users
    assert _hidepid(lambda: hides(PROC_HIDDEN)).status == "ok"
    assert _hidepid(lambda: hides(PROC_PLAIN)).status == "warn"
    assert "hidepid=2" in _hidepid(lambda: hides(PROC_PLAIN)).fix


def test_no_vault_is_one_fail(tmp_path: Path) -> None:
    tool = Ydsi(tmp_path)
    tool.vault = tmp_path / "none"
    done = tool.run("doctor", passphrase=None)
    no_traceback(done)
    assert done.returncode == 1 and "FAIL  vault: no vault at" in done.stdout
