"""``ydsi inbox take|add|dismiss``: a DSL triages reports from staff at the command line.

A real vault, a real spool, reports filed by ``ydsi disclose`` run as a
member of staff would; content (the summary, the reason) on stdin, never in
argv.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from tests.cli.test_cli import KDF, PASS, Ydsi
from tests.cli.test_disclose_cli import _disclose
from tests.support.drop import make_spool
from ydsi_tui.model.timeparse import to_local

pytestmark = pytest.mark.slow

WORDS = "She said he [bold]sent it[/bold] to everyone\x1b[2J and she wants it gone"

School = tuple[Ydsi, Path, Path]


@pytest.fixture
def school(tmp_path: Path) -> School:
    """A vault with its DSL, a spool, and the drop key published into it."""
    ydsi = Ydsi(tmp_path)
    assert ydsi.run("init", "--text-file", "-", *KDF, stdin="Dana Lead\n").returncode == 0
    spool = make_spool(tmp_path)
    pin = tmp_path / "authority.pub"
    published = ydsi.run("drop", "publish", "--spool", str(spool), "--pin-file", str(pin))
    assert published.returncode == 0, published.stderr
    return ydsi, spool, pin


def _file(school: School) -> str:
    ydsi, spool, pin = school
    filed = _disclose(
        ydsi.tmp, spool, pin, "--name", "Ann Tutor", "--job-title", "Form tutor",
        "--text-file", "-", "--json", stdin=WORDS,
    )  # fmt: skip
    assert filed.returncode == 0, filed.stderr
    return str(json.loads(filed.stdout)["report_id"])


def _an_hour_ago() -> str:
    return f"{to_local(datetime.now(UTC) - timedelta(hours=1)):%d/%m/%Y %H:%M}"


def test_a_report_taken_in_opens_an_incident_with_it_verbatim(school: School) -> None:
    ydsi, spool, _pin = school
    report_id = _file(school)
    taken = ydsi.run(
        "inbox", "take", report_id, "--spool", str(spool), "--discloser-type", "young_person",
        "--disclosed-at", _an_hour_ago(), "--text-file", "-", stdin="Image shared in Year 9\n",
    )  # fmt: skip
    assert taken.returncode == 0, taken.stderr
    match = re.match(r"(\d{4}-\d{3}): opened from report", taken.stdout)
    assert match, taken.stdout
    ref = match.group(1)
    shown = ydsi.run("incident", "show", ref)
    assert shown.returncode == 0, shown.stderr
    assert "Report from staff (first-hand account)" in shown.stdout
    assert "[bold]sent it[/bold]" in shown.stdout and "\x1b" not in shown.stdout
    assert "Ann Tutor (name as typed)" in shown.stdout
    rows = json.loads(ydsi.run("inbox", "list", "--spool", str(spool), "--json").stdout)
    assert rows[0]["triage"] == "taken_in" and rows[0]["ref"] == ref
    listed = ydsi.run("inbox", "list", "--spool", str(spool))
    assert f"taken into {ref}" in listed.stdout
    assert "0 new reports" in listed.stdout
    again = ydsi.run(
        "inbox", "take", report_id, "--spool", str(spool), "--discloser-type", "young_person",
        "--text-file", "-", stdin="Twice\n",
    )  # fmt: skip
    assert again.returncode == 7
    assert f"already taken into incident {ref}" in again.stderr
    assert again.stderr.count("\n") == 1  # one line
    assert [row["ref"] for row in json.loads(ydsi.run("incident", "list", "--json").stdout)] == [
        ref
    ]  # nothing opened the second time


def test_a_report_added_to_an_incident(school: School) -> None:
    ydsi, spool, _pin = school
    made = ydsi.run("incident", "new", "--text-file", "-", stdin="Disclosed to a tutor\n")
    assert made.returncode == 0, made.stderr
    ref = made.stdout.strip()
    report_id = _file(school)
    added = ydsi.run("inbox", "add", report_id, ref, "--spool", str(spool))
    assert added.returncode == 0, added.stderr
    assert f"Added report {report_id} to {ref}" in added.stdout
    assert "Report from staff" in ydsi.run("incident", "show", ref).stdout


def test_a_report_dismissed_with_its_reason_from_stdin(school: School) -> None:
    ydsi, spool, _pin = school
    report_id = _file(school)
    reason = "Recorded in the school's main safeguarding system, reference MS-4471"
    on_argv = ydsi.run("inbox", "dismiss", report_id, "--spool", str(spool), "--reason", reason)
    assert on_argv.returncode == 2 and "MS-4471" not in on_argv.stderr
    dismissed = ydsi.run(
        "inbox", "dismiss", report_id, "--spool", str(spool), "--text-file", "-", stdin=reason
    )
    assert dismissed.returncode == 0, dismissed.stderr
    rows = json.loads(ydsi.run("inbox", "list", "--spool", str(spool), "--json").stdout)
    assert rows[0]["triage"] == "dismissed"
    assert b"MS-4471" not in (ydsi.vault / "audit.log").read_bytes()
    verified = ydsi.run("verify", "--spool", str(spool), passphrase=None)
    assert verified.returncode == 0, verified.stdout + verified.stderr


def test_a_take_without_a_time_says_what_the_report_says(school: School) -> None:
    ydsi, spool, pin = school
    fields = json.dumps({"words": WORDS, "disclosed_when": "sometime after lunch"})
    filed = _disclose(
        ydsi.tmp, spool, pin, "--name", "Ann Tutor", "--job-title", "Form tutor",
        "--fields-file", "-", "--json", stdin=fields,
    )  # fmt: skip
    assert filed.returncode == 0, filed.stderr
    report_id = json.loads(filed.stdout)["report_id"]
    taken = ydsi.run(
        "inbox", "take", report_id, "--spool", str(spool), "--discloser-type", "friend",
        "--text-file", "-", stdin="When?\n",
    )  # fmt: skip
    assert taken.returncode == 2
    assert "sometime after lunch" in taken.stderr and taken.stdout == ""


def test_an_id_that_starts_with_a_dash_is_taken_after_double_dash(
    school: School, monkeypatch: pytest.MonkeyPatch
) -> None:
    """1 id in 64 used to start with '-', which argparse reads as an option ('the
    following arguments are required: ID'); ids are no longer made so, and one
    filed before is given after '--', as the help says."""
    import secrets

    import ydsi_tui.service.staff_reports as staff_reports
    from tests.support.drop import disclose

    ydsi, spool, pin = school
    dashed = "-" + secrets.token_urlsafe(16)[1:]
    monkeypatch.setattr(staff_reports, "new_report_id", lambda: dashed)
    assert disclose(spool, pin, ydsi.tmp / "reporter-state", WORDS).report_id == dashed
    helped = ydsi.run("inbox", "take", "--help")
    assert "goes after '--'" in " ".join(helped.stdout.split())
    # As a DSL types it: every option first, then '--' and the id (Ydsi.run puts
    # its own options last, where '--' would make them positional).
    command = [
        sys.executable, "-m", "ydsi_tui.cli.main", "inbox", "take", "--spool", str(spool),
        "--discloser-type", "young_person", "--disclosed-at", _an_hour_ago(),
        "--text-file", "-", "--vault", str(ydsi.vault), "--user", "dsl",
        "--passphrase-file", str(ydsi.secret("pass-dsl", PASS)), "--", dashed,
    ]  # fmt: skip
    env = {**os.environ, "HOME": str(ydsi.tmp), "XDG_DATA_HOME": str(ydsi.tmp / "data")}
    taken = subprocess.run(
        command,
        capture_output=True,
        text=True,
        env=env,
        input="Image shared in Year 9\n",
        check=False,
    )
    assert taken.returncode == 0, taken.stderr
    assert re.match(r"\d{4}-\d{3}: opened from report", taken.stdout), taken.stdout
