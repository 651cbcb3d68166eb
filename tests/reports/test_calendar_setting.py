"""Term and INSET dates as a vault setting a DSL approves (issue 14), on a real vault.

Shown to anyone with no passphrase, set only by a DSL, in the signed header
(a technician's edit breaks its signature), an audit entry per change, and
counted by every user's deadlines.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from ydsi_tui.model.schoolyear import SchoolCalendar
from ydsi_tui.vault.errors import DamagedFile
from ydsi_tui.vault.vault import Vault

from .conftest import PASS, World

CALENDAR = """\
terms = [["2026-09-03", "2026-10-23"], ["2026-11-02", "2026-12-18"]]
inset = ["2026-11-02", "2026-11-13"]
"""


def run(world: World, tmp: Path, *args: str, user: str = "dsl") -> subprocess.CompletedProcess[str]:
    secret = tmp / f"pass-{user}"
    secret.write_text(PASS + "\n", encoding="utf-8")
    secret.chmod(0o600)
    env = {k: v for k, v in os.environ.items() if not k.startswith("YDSI_")}
    env.update(HOME=str(tmp), XDG_STATE_HOME=str(tmp / "state"))
    command = [sys.executable, "-m", "ydsi_tui", *args, "--vault", str(world.path)]
    command += ["--user", user, "--passphrase-file", str(secret)]
    return subprocess.run(
        command, capture_output=True, text=True, env=env, stdin=subprocess.DEVNULL, check=False
    )


@pytest.fixture
def calendar_file(tmp_path: Path) -> Path:
    path = tmp_path / "terms.toml"
    path.write_text(CALENDAR, encoding="utf-8")
    return path


def test_a_dsl_sets_the_dates_everyone_sees_and_counts(
    world: World, tmp_path: Path, calendar_file: Path
) -> None:
    before = run(world, tmp_path, "calendar", "show", user="tech")
    assert before.returncode == 0 and "No term or INSET dates" in before.stdout
    done = run(world, tmp_path, "calendar", "set", str(calendar_file))
    assert done.returncode == 0, done.stderr
    assert "Approved 2 terms and 2 INSET days" in done.stdout
    shown = run(world, tmp_path, "calendar", "show", user="tech")  # keyless: the header
    assert shown.returncode == 0, shown.stderr
    assert "approved by dsl on " in shown.stdout
    assert "INSET Fri 13/11/2026" in shown.stdout
    # Every user's deadlines count them: the Headteacher's policy carries them.
    services = world.services("head")
    expected = SchoolCalendar.from_doc({"terms": [["2026-09-03", "2026-10-23"],
                                                  ["2026-11-02", "2026-12-18"]],
                                        "inset": ["2026-11-02", "2026-11-13"]})  # fmt: skip
    assert services.policy.calendar == expected
    assert services.policies.current.calendar == expected
    assert services.cases is not None and services.cases.policies.calendar == expected
    settings = [e for e in world.audit() if e.action == "vault.settings"]
    assert len(settings) == 1 and settings[0].extra["setting"] == "calendar"
    again = run(world, tmp_path, "calendar", "set", str(calendar_file))
    assert "already approved" in again.stdout
    assert len([e for e in world.audit() if e.action == "vault.settings"]) == 1
    cleared = run(world, tmp_path, "calendar", "set", "--clear")
    assert cleared.returncode == 0 and "Removed" in cleared.stdout
    assert world.services().policy.calendar is None
    assert world.verify().ok


@pytest.mark.parametrize("user", ["head", "tech"])
def test_only_a_dsl_may_set_them(
    world: World, tmp_path: Path, calendar_file: Path, user: str
) -> None:
    refused = run(world, tmp_path, "calendar", "set", str(calendar_file), user=user)
    assert refused.returncode not in (0, 70), refused.stderr
    assert "only a DSL" in refused.stderr
    assert Vault.open(world.path).header.calendar is None


def test_a_bad_file_is_one_line_naming_it(world: World, tmp_path: Path) -> None:
    bad = tmp_path / "bad.toml"
    bad.write_text('terms = [["2026-09-03", "2026-10-23"]]\ninset = ["2026-10-26"]\n')
    refused = run(world, tmp_path, "calendar", "set", str(bad))
    assert refused.returncode == 2, refused.stderr
    assert str(bad) in refused.stderr and "in no term" in refused.stderr
    assert len(refused.stderr.strip().splitlines()) == 1


def test_a_group_member_editing_the_dates_breaks_the_header(
    world: World, tmp_path: Path, calendar_file: Path
) -> None:
    assert run(world, tmp_path, "calendar", "set", str(calendar_file)).returncode == 0
    header = world.path / "vault.json"
    data = header.read_bytes()
    edited = data.replace(b'"2026-11-13"', b'"2026-11-12"')
    assert edited != data
    header.write_bytes(edited)
    with pytest.raises(DamagedFile):
        Vault.open(world.path)
