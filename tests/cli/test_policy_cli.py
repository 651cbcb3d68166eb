"""``ydsi policy show`` / ``ydsi policy approve`` and the warning every command gives."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from importlib import resources
from pathlib import Path

import pytest

from tests.support.vaults import enrolment_code
from ydsi_tui.model.policy import bundled_policy

# Each test runs many ydsi processes, each deriving its user's key.
pytestmark = pytest.mark.slow

PASS = "cli policy tests passphrase"
KDF = ["--kdf-memory-mib", "64", "--kdf-lanes", "1"]


class Ydsi:
    """Runs ``python -m ydsi_tui.cli.main`` against one vault, with a chosen $YDSI_POLICY."""

    def __init__(self, tmp: Path) -> None:
        self.tmp = tmp
        self.vault = tmp / "vault"

    def run(
        self, *args: str, user: str = "dsl", policy: Path | None = None, stdin: str | None = None
    ) -> subprocess.CompletedProcess[str]:
        secret = self.tmp / f"pass-{user}"
        secret.write_text(PASS + "\n", encoding="utf-8")
        secret.chmod(0o600)
        command = [sys.executable, "-m", "ydsi_tui.cli.main", *args]
        command += ["--vault", str(self.vault), "--user", user, "--passphrase-file", str(secret)]
        env = {**os.environ, "HOME": str(self.tmp), "XDG_DATA_HOME": str(self.tmp / "data")}
        env.pop("YDSI_POLICY", None)
        if policy is not None:
            env["YDSI_POLICY"] = str(policy)
        if stdin is not None:  # record content: on stdin, never in argv
            return subprocess.run(
                command, capture_output=True, text=True, env=env, input=stdin, check=False
            )
        return subprocess.run(
            command, capture_output=True, text=True, env=env, stdin=subprocess.DEVNULL, check=False
        )


def national(tmp: Path, name: str = "national.toml") -> Path:
    text = (
        resources.files("ydsi_tui.model")
        .joinpath("policies", "hindley-2016.toml")
        .read_text(encoding="utf-8")
    )
    path = tmp / name
    path.write_text(
        text.replace("trigger4_age_threshold = 17", "trigger4_age_threshold = 13"),
        encoding="utf-8",
    )
    path.chmod(0o640)
    return path


@pytest.fixture
def ydsi(tmp_path: Path) -> Ydsi:
    tool = Ydsi(tmp_path)
    made = tool.run("init", "--text-file", "-", *KDF, stdin="Dana Lead")
    assert made.returncode == 0, made.stderr
    assert "Approved policy: Hindley" in made.stdout
    head = tmp_path / "new-head"
    head.write_text(PASS + "\n", encoding="utf-8")
    head.chmod(0o600)
    added = tool.run("user", "add", "head", "--role", "headteacher")
    assert added.returncode == 0, added.stderr
    code = tmp_path / "code-head"
    code.write_text(enrolment_code(added.stdout) + "\n", encoding="utf-8")
    code.chmod(0o600)
    enrolled = tool.run(
        "enrol", "--code-file", str(code), "--new-passphrase-file", str(head),
        user="head",
    )  # fmt: skip
    assert enrolled.returncode == 0, enrolled.stderr
    endorsed = tool.run("user", "endorse")  # the DSL endorses the keys head made
    assert endorsed.returncode == 0, endorsed.stdout + endorsed.stderr
    return tool


def test_init_approves_the_policy_in_force_and_show_says_they_match(ydsi: Ydsi) -> None:
    shown = ydsi.run("policy", "show", "--json")
    assert shown.returncode == 0, shown.stderr
    doc = json.loads(shown.stdout)
    digest = bundled_policy().digest
    assert doc["matches"] is True and doc["warnings"] == []
    assert doc["approved"]["digest"] == digest and doc["approved"]["approved_by"] == "dsl"
    assert doc["in_force"]["age_threshold"] == 17
    text = ydsi.run("policy", "show")
    assert "Match:    yes" in text.stdout and digest in text.stdout
    assert text.stderr == ""
    listed = ydsi.run("incident", "list")
    assert listed.returncode == 0 and listed.stderr == ""


def test_a_swapped_file_warns_and_new_incidents_keep_the_approved_policy(
    ydsi: Ydsi, tmp_path: Path
) -> None:
    swapped = national(tmp_path)
    made = ydsi.run("incident", "new", stdin="after a swap", policy=swapped)
    assert made.returncode == 0, made.stderr
    (warning,) = made.stderr.splitlines()
    assert warning.startswith(f"ydsi: warning: The policy file {swapped} (")
    assert "is not the approved one" in warning and "ydsi policy approve" in warning
    ref = made.stdout.strip()
    shown = json.loads(ydsi.run("incident", "show", ref, "--json", policy=swapped).stdout)
    assert shown["policy"]["age_threshold"] == 17
    assert shown["policy"]["digest"] == bundled_policy().digest
    show = json.loads(ydsi.run("policy", "show", "--json", policy=swapped).stdout)
    assert show["matches"] is False and show["file"]["digest"] != show["approved"]["digest"]
    text = ydsi.run("policy", "show", policy=swapped)
    assert "Match:    NO" in text.stdout


def test_approve_shows_the_threshold_asks_and_is_a_dsls_act(ydsi: Ydsi, tmp_path: Path) -> None:
    file = national(tmp_path)
    no_tty = ydsi.run("policy", "approve", str(file))
    assert no_tty.returncode == 2 and "--yes" in no_tty.stderr
    assert "Trigger 4 age threshold: 13 (the approved policy says 17)" in no_tty.stdout
    assert "Digest:" in no_tty.stdout
    head = ydsi.run("policy", "approve", str(file), "--yes", user="head")
    assert head.returncode == 8 and "only a DSL" in head.stderr
    done = ydsi.run("policy", "approve", str(file), "--yes")
    assert done.returncode == 0, done.stderr
    assert "Approved Hindley" in done.stdout
    made = ydsi.run("incident", "new", stdin="under the new policy", policy=file)
    assert made.returncode == 0 and made.stderr == ""
    shown = json.loads(ydsi.run("incident", "show", made.stdout.strip(), "--json").stdout)
    assert shown["policy"]["age_threshold"] == 13
    verified = ydsi.run("verify")
    assert verified.returncode == 0, verified.stdout
    log = (ydsi.vault / "audit.log").read_text(encoding="utf-8")
    assert '"policy.approve"' in log


def test_a_missing_policy_file_is_one_line_never_an_internal_error(
    ydsi: Ydsi, tmp_path: Path
) -> None:
    missing = tmp_path / "gone.toml"
    listed = ydsi.run("incident", "list", policy=missing)
    assert listed.returncode == 0
    (line,) = listed.stderr.splitlines()
    assert "cannot be read (No such file or directory)" in line and "internal error" not in line
    made = ydsi.run("incident", "new", stdin="still possible", policy=missing)
    assert made.returncode == 0, made.stderr
    approve = ydsi.run("policy", "approve", str(missing), "--yes")
    assert approve.returncode == 2
    assert approve.stderr.strip() == (
        f"ydsi: the policy file {missing} cannot be read (No such file or directory)"
    )
    (tmp_path / "other").mkdir()
    init = Ydsi(tmp_path / "other")
    refused = init.run("init", *KDF, policy=missing)
    assert refused.returncode == 2 and "cannot be read" in refused.stderr
    assert not (init.vault / "vault.json").exists()
