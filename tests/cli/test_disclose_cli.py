"""``ydsi disclose``, ``inbox`` and ``drop publish`` as a member of staff and a DSL run them."""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.cli.test_cli import KDF, Ydsi
from tests.support.drop import make_spool
from ydsi_tui.vault.drop import DROP_KEY_NAME, DropKey

pytestmark = pytest.mark.slow

HOSTILE = "He said [red]don't[/red] tell\x1b]0;owned\x07 anyone"


def _disclose(
    tmp: Path, spool: Path, pin: Path, *args: str, stdin: str = ""
) -> subprocess.CompletedProcess[str]:
    """A reporter: no --user, no passphrase; the words on stdin."""
    env = {
        **os.environ,
        "HOME": str(tmp / "reporter"),
        "XDG_STATE_HOME": str(tmp / "reporter" / "state"),
        "YDSI_DROP_AUTHORITY": str(pin),
    }
    command = [sys.executable, "-m", "ydsi_tui.cli.main", "disclose", "--spool", str(spool), *args]
    return subprocess.run(
        command, capture_output=True, text=True, env=env, input=stdin, check=False
    )


@pytest.fixture
def school(tmp_path: Path) -> tuple[Ydsi, Path, Path]:
    ydsi = Ydsi(tmp_path)
    assert ydsi.run("init", "--text-file", "-", *KDF, stdin="Dana Lead\n").returncode == 0
    spool = make_spool(tmp_path)
    pin = tmp_path / "authority.pub"
    published = ydsi.run("drop", "publish", "--spool", str(spool), "--pin-file", str(pin))
    assert published.returncode == 0, published.stderr
    assert "ydsi-authority v1" in published.stdout
    return ydsi, spool, pin


def test_a_member_of_staff_files_and_the_dsl_opens_it(school: tuple[Ydsi, Path, Path]) -> None:
    ydsi, spool, pin = school
    filed = _disclose(
        ydsi.tmp, spool, pin, "--name", "Ann Tutor", "--job-title", "Form tutor",
        "--text-file", "-", "--json", stdin=HOSTILE,
    )  # fmt: skip
    assert filed.returncode == 0, filed.stderr
    receipt = json.loads(filed.stdout)
    path = spool / f"{receipt['report_id']}.report"
    assert receipt["sha256"] == hashlib.sha256(path.read_bytes()).hexdigest()
    assert "tell" not in filed.stdout
    listed = ydsi.run("inbox", "list", "--spool", str(spool), "--json")
    assert listed.returncode == 0, listed.stderr
    rows = json.loads(listed.stdout)
    assert [r["report_id"] for r in rows] == [receipt["report_id"]]
    assert rows[0]["opened"] is False
    assert "tell" not in listed.stdout
    opened = ydsi.run("inbox", "open", receipt["report_id"], "--spool", str(spool))
    assert opened.returncode == 0, opened.stderr
    assert "\x1b" not in opened.stdout and "\\x1b]0;owned\\x07" in opened.stdout
    assert "[red]don't[/red]" in opened.stdout  # shown as typed, never as markup
    assert "Ann Tutor" in opened.stdout and "not proof" in opened.stdout
    again = json.loads(ydsi.run("inbox", "list", "--spool", str(spool), "--json").stdout)
    assert again[0]["opened"] is True and again[0]["opened_by"] == "dsl"
    verified = ydsi.run("verify", "--spool", str(spool), passphrase=None)
    assert verified.returncode == 0, verified.stdout + verified.stderr


def test_the_receipt_is_printed_without_content(school: tuple[Ydsi, Path, Path]) -> None:
    ydsi, spool, pin = school
    filed = _disclose(
        ydsi.tmp, spool, pin, "--name", "Ann", "--job-title", "TA", stdin="a unique zebra phrase"
    )
    assert filed.returncode == 0, filed.stderr
    assert "Receipt: report " in filed.stdout and "sha256 " in filed.stdout
    assert "zebra" not in filed.stdout + filed.stderr


@pytest.mark.parametrize(
    ("stdin", "args", "said"),
    [
        ("   ", (), "cannot be left empty"),
        ("x" * 300_000, (), "limit here is"),
        ("see /home/ann/photo.jpg", (), "image or video"),
        ("", ("--text-file", "photo.jpg"), "image or video file"),
    ],
    ids=["empty", "huge", "imagery-path", "imagery-file"],
)
def test_bad_reports_get_one_line_and_nothing_is_filed(
    school: tuple[Ydsi, Path, Path], stdin: str, args: tuple[str, ...], said: str
) -> None:
    ydsi, spool, pin = school
    before = sorted(os.listdir(spool))
    refused = _disclose(
        ydsi.tmp, spool, pin, "--name", "Ann", "--job-title", "TA", *args, stdin=stdin
    )
    assert refused.returncode == 2, refused.stdout + refused.stderr
    assert said in refused.stderr and "Traceback" not in refused.stderr
    assert len(refused.stderr.strip().splitlines()) == 1
    assert sorted(os.listdir(spool)) == before


def test_no_published_key_or_no_pin_is_one_clear_line(tmp_path: Path) -> None:
    spool = make_spool(tmp_path)
    refused = _disclose(
        tmp_path, spool, tmp_path / "absent.pub", "--name", "A", "--job-title", "B", stdin="x"
    )
    assert refused.returncode == 1
    assert "no pinned authority key" in refused.stderr
    assert os.listdir(spool) == []


def test_disclose_takes_no_passphrase_option(school: tuple[Ydsi, Path, Path]) -> None:
    ydsi, spool, pin = school
    shown = _disclose(ydsi.tmp, spool, pin, "--help")
    assert shown.returncode == 0
    assert "passphrase" not in shown.stdout


def test_everything_can_come_as_fields_on_stdin_as_over_ssh(
    school: tuple[Ydsi, Path, Path],
) -> None:
    """ForceCommand runs plain 'ydsi disclose': no options, no terminal, all on stdin."""
    ydsi, spool, pin = school
    fields = (
        "name: Ann Tutor\njob_title: Lunchtime supervisor\nwords: She said he\n"
        "  took a photo\ndisclosed_by: a pupil\nyoung_people: Kid A\n"
    )
    filed = _disclose(ydsi.tmp, spool, pin, "--json", stdin=fields)
    assert filed.returncode == 0, filed.stderr
    rid = json.loads(filed.stdout)["report_id"]
    opened = ydsi.run("inbox", "open", rid, "--spool", str(spool), "--json")
    assert opened.returncode == 0, opened.stderr
    report = json.loads(opened.stdout)
    assert report["reporter_name"] == "Ann Tutor"
    assert report["job_title"] == "Lunchtime supervisor"
    assert report["words"] == "She said he\ntook a photo"
    assert report["young_people"] == ["Kid A"]


def test_a_rotation_republishes_the_drop_key_and_old_reports_still_open(
    school: tuple[Ydsi, Path, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    ydsi, spool, pin = school
    monkeypatch.setenv("YDSI_DROP_SPOOL", str(spool))  # the setting, as /etc/ydsi would name it
    before = DropKey.from_bytes((spool / DROP_KEY_NAME).read_bytes())
    old = _disclose(ydsi.tmp, spool, pin, "--name", "A", "--job-title", "B", stdin="before")
    assert old.returncode == 0, old.stderr
    rotated = ydsi.run("user", "rotate")
    assert rotated.returncode == 0, rotated.stderr
    assert "Published the new staff-drop key" in rotated.stdout
    after = DropKey.from_bytes((spool / DROP_KEY_NAME).read_bytes())
    assert after.serial > before.serial and after.epoch == before.epoch + 1
    assert after.public != before.public
    new = _disclose(
        ydsi.tmp, spool, pin, "--name", "A", "--job-title", "B", "--json", stdin="after"
    )
    assert new.returncode == 0, new.stderr
    rows = json.loads(ydsi.run("inbox", "list", "--spool", str(spool), "--json").stdout)
    for row in rows:
        shown = ydsi.run("inbox", "open", row["report_id"], "--spool", str(spool), "--json")
        assert shown.returncode == 0, shown.stderr
    assert len(rows) == 2


def test_a_passphrase_file_is_refused(school: tuple[Ydsi, Path, Path]) -> None:
    ydsi, spool, pin = school
    secret = ydsi.secret("reporter-pass", "not needed here")
    refused = _disclose(
        ydsi.tmp, spool, pin, "--name", "A", "--job-title", "B",
        "--passphrase-file", str(secret), stdin="words",
    )  # fmt: skip
    assert refused.returncode == 2 and "takes no passphrase" in refused.stderr
    assert sorted(os.listdir(spool)) == [DROP_KEY_NAME]


def test_a_reporter_about_the_headteacher_is_told_its_existence_is_not_hidden(
    school: tuple[Ydsi, Path, Path],
) -> None:
    """Sealing keeps the words from the Headteacher, not the fact that a report exists:
    the reporter reads that before anything is filed, and that no key is named here."""
    ydsi, spool, pin = school
    before = set(spool.iterdir())
    filed = _disclose(
        ydsi.tmp, spool, pin, "--name", "Ann", "--job-title", "TA", "--about-headteacher",
        stdin="what the head did",
    )  # fmt: skip
    said = " ".join(filed.stderr.split())
    assert "Its existence is not hidden" in said and "from your login" in said
    assert "chair of governors directly" in said
    assert filed.returncode != 0 and "names nobody" in said  # no key named: nothing filed
    assert set(spool.iterdir()) == before
    helped = _disclose(ydsi.tmp, spool, pin, "--help")
    assert "cannot open was filed" in " ".join(helped.stdout.split())


def test_a_backup_keeps_the_reports_waiting_and_the_restore_says_where_they_are(
    school: tuple[Ydsi, Path, Path],
) -> None:
    """A report not taken in lives only in the spool: 'ydsi backup' copies it (sealed),
    'ydsi restore' leaves it for root to give back to its filer, and says how."""
    ydsi, spool, pin = school
    filed = _disclose(ydsi.tmp, spool, pin, "--name", "Ann", "--job-title", "TA", stdin="zebra")
    assert filed.returncode == 0, filed.stderr
    backup = ydsi.tmp / "with-reports.tar"
    made = ydsi.run("backup", "--output", str(backup), "--spool", str(spool))
    assert made.returncode == 0, made.stderr
    assert "and 1 report from staff" in made.stdout
    (ydsi.tmp / "elsewhere").mkdir()
    other = Ydsi(ydsi.tmp / "elsewhere")
    restored = other.run("restore", str(backup))
    assert restored.returncode == 0, restored.stdout + restored.stderr
    said = " ".join(restored.stdout.split())
    assert "1 report from staff from the backup" in said
    assert f"uid {os.getuid()}" in said and "install -p -o UID" in said
    (kept,) = list((ydsi.tmp / "elsewhere").glob("vault.staff-reports-*"))
    (report,) = spool.glob("*.report")
    assert (kept / report.name).read_bytes() == report.read_bytes()
