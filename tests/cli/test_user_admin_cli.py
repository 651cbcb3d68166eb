"""``ydsi user remove`` and ``ydsi user add`` on the service the app shares (issue 11).

The refusals the service added are one line and change nothing: a DSL's own
account (the rotation that must follow needs a DSL who stays), the last
DSL, a name that cannot be a login.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.cli.test_cli import KDF, PASS, Ydsi, no_traceback
from tests.support.vaults import enrolment_code, tree_hashes

# Real processes through whole key changes: ./dev test --quick leaves them out.
pytestmark = pytest.mark.slow


def test_a_dsl_cannot_remove_themselves_and_another_dsl_can(tmp_path: Path) -> None:
    tool = Ydsi(tmp_path)
    assert tool.run("init", *KDF).returncode == 0
    alone = tool.run("user", "remove", "dsl", "--rotate")
    assert alone.returncode == 1 and "cannot remove the last DSL" in alone.stderr
    no_traceback(alone)

    added = tool.run("user", "add", "deputy", "--role", "dsl")
    assert added.returncode == 0, added.stderr
    enrolled = tool.run(
        "enrol", "--code-file", str(tool.secret("code", enrolment_code(added.stdout))),
        "--new-passphrase-file", str(tool.secret("new", PASS)), user="deputy", passphrase=None,
    )  # fmt: skip
    assert enrolled.returncode == 0, enrolled.stderr
    assert tool.run("user", "endorse").returncode == 0
    before = tree_hashes(tool.vault, skip_throttle=True)
    self_removal = tool.run("user", "remove", "dsl", "--rotate")
    assert self_removal.returncode == 1, self_removal.stdout
    assert "cannot remove yourself" in self_removal.stderr
    no_traceback(self_removal)
    assert tree_hashes(tool.vault, skip_throttle=True) == before

    removed = tool.run("user", "remove", "dsl", "--rotate", user="deputy")
    assert removed.returncode == 0, removed.stderr
    assert "Rotated the keys and re-encrypted" in removed.stdout
    assert tool.run("incident", "list").returncode == 4  # dsl is gone
    assert tool.run("verify", passphrase=None).returncode == 0


def test_a_bad_login_name_is_one_line(tmp_path: Path) -> None:
    tool = Ydsi(tmp_path)
    assert tool.run("init", *KDF).returncode == 0
    bad = tool.run("user", "add", "Bad Name", "--role", "team")
    assert bad.returncode == 2 and "'Bad Name'" in bad.stderr
    no_traceback(bad)
