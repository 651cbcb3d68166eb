"""``ydsi user passwd --compromised`` and ``ydsi recovery-code reissue`` as staff run them."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from tests.cli.test_cli import KDF, PASS, Ydsi, no_traceback
from tests.support.vaults import enrolment_code

# Each test runs many ydsi processes and rotates every key.
pytestmark = pytest.mark.slow

NEW = "the dsl's uncompromised passphrase"


def _vault(tmp_path: Path) -> tuple[Ydsi, str]:
    tool = Ydsi(tmp_path)
    made = tool.run("init", "--text-file", "-", *KDF, stdin="Dana Lead")
    assert made.returncode == 0, made.stderr
    code = next(line.strip() for line in made.stdout.splitlines() if line.count("-") == 7)
    added = tool.run("user", "add", "tam", "--role", "team")
    assert added.returncode == 0, added.stderr
    enrolled = tool.run(
        "enrol", "--code-file", str(tool.secret("code-tam", enrolment_code(added.stdout))),
        "--new-passphrase-file", str(tool.secret("new-tam", PASS)), user="tam", passphrase=None,
    )  # fmt: skip
    assert enrolled.returncode == 0, enrolled.stderr
    assert tool.run("incident", "new", stdin="first").returncode == 0
    return tool, code


def test_a_dsl_revokes_their_passphrase_and_every_key_is_rotated(tmp_path: Path) -> None:
    tool, _ = _vault(tmp_path)
    done = tool.run(
        "user", "passwd", "--compromised", "--new-passphrase-file", str(tool.secret("n", NEW))
    )
    assert done.returncode == 0, done.stderr
    assert re.search(r"re-encrypted [1-9][0-9]* records", done.stdout), done.stdout
    assert "opens nothing saved from now on" in done.stdout
    old = tool.run("incident", "list")
    assert old.returncode != 0 and "not recognised" in old.stderr
    no_traceback(old)
    listed = tool.run("incident", "list", passphrase=NEW)
    assert listed.returncode == 0 and "2026-001" in listed.stdout, listed.stderr
    assert "compromised" not in listed.stderr  # the rotation is done: nothing is flagged
    assert tool.run("verify", passphrase=None).returncode == 0


def test_a_team_member_revokes_and_every_dsl_is_told(tmp_path: Path) -> None:
    tool, _ = _vault(tmp_path)
    done = tool.run("user", "passwd", "--compromised", user="tam")
    assert done.returncode == 0, done.stderr
    assert "nobody can unlock as tam" in done.stdout
    refused = tool.run("incident", "list", user="tam")
    assert refused.returncode != 0 and "no key slot" in refused.stderr
    no_traceback(refused)
    dsl = tool.run("incident", "list")
    assert dsl.returncode == 0 and "tam has no key slot" in dsl.stderr, dsl.stderr
    removed = tool.run("user", "remove", "tam", "--rotate")
    assert removed.returncode == 0, removed.stderr
    assert "no key slot" not in tool.run("incident", "list").stderr
    assert tool.run("verify", passphrase=None).returncode == 0


def test_the_recovery_code_is_reissued(tmp_path: Path) -> None:
    tool, old_code = _vault(tmp_path)
    done = tool.run("recovery-code", "reissue")
    assert done.returncode == 0, done.stderr
    assert "RECOVERY CODE" in done.stdout and old_code not in done.stdout
    code = next(line.strip() for line in done.stdout.splitlines() if line.count("-") == 7)
    reset = "--new-passphrase-file", str(tool.secret("reset", "passphrase typed at the safe"))
    stale = tool.run(
        "recover", "tam", "--recovery-code-file", str(tool.secret("old", old_code)), *reset,
        passphrase=None,
    )  # fmt: skip
    assert stale.returncode != 0 and "not recognised" in stale.stderr
    no_traceback(stale)
    fresh = tool.run(
        "recover", "tam", "--recovery-code-file", str(tool.secret("new", code)), *reset,
        passphrase=None,
    )  # fmt: skip
    assert fresh.returncode == 0, fresh.stderr
    assert "recovery-code reissue" in fresh.stdout  # no more "ydsi init makes a new one"
    assert tool.run("verify", passphrase=None).returncode == 0


def test_only_a_dsl_reissues_the_recovery_code(tmp_path: Path) -> None:
    tool, _ = _vault(tmp_path)
    refused = tool.run("recovery-code", "reissue", user="tam")
    assert refused.returncode != 0 and "only a DSL" in refused.stderr
    no_traceback(refused)
