"""``ydsi init --shared --case-group GROUP``: case/ gets a Unix group of its own."""

from __future__ import annotations

import grp
import os
import stat
from pathlib import Path

import pytest

from tests.cli.test_cli import KDF, Ydsi, no_traceback

# Runs ydsi processes on a real vault, each deriving its user's key.
pytestmark = pytest.mark.slow


def _some_group() -> grp.struct_group:
    for name in ("users", "nogroup", "staff"):
        try:
            return grp.getgrnam(name)
        except KeyError:
            continue
    pytest.skip("no ordinary group on this machine")


@pytest.mark.skipif(os.geteuid() != 0, reason="giving a directory another group needs root here")
def test_case_dir_gets_the_group_and_keeps_setgid(tmp_path: Path) -> None:
    group = _some_group()
    tool = Ydsi(tmp_path)
    made = tool.run("init", "--shared", "--case-group", group.gr_name, *KDF)
    assert made.returncode == 0, made.stderr
    info = (tool.vault / "case").stat()
    assert info.st_gid == group.gr_gid
    assert stat.S_IMODE(info.st_mode) == 0o2770
    made = tool.run("incident", "new", "--text-file", "-", stdin="the first incident\n")
    assert made.returncode == 0, made.stderr
    files = list((tool.vault / "case").iterdir())
    assert len(files) >= 2  # the incident and the reference counter
    for item in files:
        assert item.stat().st_gid == group.gr_gid, item  # inherited through setgid
    assert tool.run("verify", passphrase=None).returncode == 0


def test_an_unknown_group_is_one_clear_line(tmp_path: Path) -> None:
    tool = Ydsi(tmp_path)
    made = tool.run("init", "--shared", "--case-group", "no-such-group-here", *KDF)
    assert made.returncode != 0 and "no group called no-such-group-here" in made.stderr
    no_traceback(made)
    assert not (tool.vault / "vault.json").exists()


def test_a_private_vault_refuses_a_case_group(tmp_path: Path) -> None:
    tool = Ydsi(tmp_path)
    made = tool.run("init", "--case-group", _some_group().gr_name, *KDF)
    assert made.returncode != 0 and "--shared" in made.stderr
    no_traceback(made)
