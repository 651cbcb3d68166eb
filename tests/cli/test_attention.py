"""``ydsi attention --brief`` and ``--notify`` on a real vault and spool, with no passphrase.

Real reports are filed by the real client code (tests/support/drop.py), each
with a name, a job title, young people's names and a disclosure's words that
appear nowhere else; the alerts are read back from a real SMTP server on
127.0.0.1 (tests/support/smtp.py) and from the command's own output, and none
of those words, nor a report's id or digest, may be in them.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.support.drop import disclose, make_spool, publish
from tests.support.smtp import smtp_server
from tests.support.vaults import DSL_PASS, min_kdf
from ydsi_tui.model.staff_alerts import LATE_SUBJECT, NEW_SUBJECT
from ydsi_tui.service.staff_reports import open_staff_report
from ydsi_tui.vault.drop import FiledReceipt
from ydsi_tui.vault.session import Session
from ydsi_tui.vault.vault import Vault

# Runs a dozen ydsi processes on a real vault and spool.
pytestmark = pytest.mark.slow

CONTENT = {
    "reporter_name": "Petronella Quigley",
    "job_title": "Lunchtime supervisor",
    "words": "he said the zebra-tango picture was everywhere",
    "disclosed_by": "Ottoline Fairweather",
    "how": "told me by the climbing frame",
    "young_people": ("Ottoline Fairweather", "Barnaby Thistlewood"),
    "already_done": "kept her with me until the bell",
}


class Setup:
    def __init__(self, session: Session, spool: Path, pin: Path, tmp: Path) -> None:
        self.session, self.spool, self.pin, self.tmp = session, spool, pin, tmp

    def file(self, **extra: object) -> FiledReceipt:
        fields = {k: v for k, v in CONTENT.items() if k != "words"}
        return disclose(self.spool, self.pin, self.tmp / "reporter",
                        str(CONTENT["words"]), **{**fields, **extra})  # fmt: skip

    def run(self, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
        environ = {
            **os.environ,
            "HOME": str(self.tmp),
            "XDG_CONFIG_HOME": str(self.tmp / "config"),
            "YDSI_SYSTEM_CONFIG": str(self.tmp / "no-system-config.toml"),
            "YDSI_VAULT": str(self.session.vault.path),
            "YDSI_DROP_SPOOL": str(self.spool),
            "YDSI_DROP_AUTHORITY": str(self.pin),
            "YDSI_ALERT_STATE": str(self.tmp / "alert-state" / "alerts.json"),
            **env,
        }
        return subprocess.run(
            [sys.executable, "-m", "ydsi_tui", "attention", *args],
            capture_output=True, text=True, env=environ, stdin=subprocess.DEVNULL,
            timeout=60, check=False,
        )  # fmt: skip


@pytest.fixture
def setup(tmp_path: Path) -> Setup:
    session, _code = Vault.create(
        tmp_path / "vault", user="dsl", passphrase=DSL_PASS, full_name="Dana Lead", kdf=min_kdf()
    )
    spool = make_spool(tmp_path)
    _key, pin = publish(session, spool, tmp_path)
    return Setup(session, spool, pin, tmp_path)


def _content_free(text: str, receipts: list[FiledReceipt]) -> None:
    lowered = text.lower()
    for value in CONTENT.values():
        for part in value if isinstance(value, tuple) else (value,):
            for word in str(part).split():
                if len(word) > 4 and word.lower() not in ("staff", "report"):
                    assert word.lower() not in lowered, f"{word!r} is in an alert"
    for receipt in receipts:
        assert receipt.report_id not in text and receipt.digest not in text
        assert receipt.digest[:12] not in text


def test_brief_says_nothing_waits_then_one_waits_then_nothing_once_opened(setup: Setup) -> None:
    empty = setup.run("--brief")
    assert (empty.returncode, empty.stdout) == (0, "ydsi: no report from staff is waiting.\n")
    receipt = setup.file()
    waiting = setup.run("--brief")
    assert waiting.returncode == 1, waiting.stderr
    assert waiting.stdout.startswith("ydsi: 1 report from staff is waiting (filed ")
    assert waiting.stdout.count("\n") == 1 and waiting.stderr == ""
    _content_free(waiting.stdout, [receipt])
    as_json = setup.run("--brief", "--json")
    assert '"waiting": 1' in as_json.stdout and as_json.returncode == 1
    open_staff_report(setup.session, setup.spool, receipt.report_id)
    done = setup.run("--brief")
    assert done.returncode == 0 and "no report" in done.stdout


def test_brief_cannot_tell_without_the_spool_and_says_so(setup: Setup) -> None:
    missing = setup.run("--brief", "--spool", str(setup.tmp / "nowhere"))
    assert missing.returncode == 2 and missing.stdout == ""
    assert missing.stderr.startswith("ydsi: cannot tell whether a report from staff waits: ")
    assert missing.stderr.count("\n") == 1
    # No authority key pinned: the log's "opened" entries cannot be trusted, so no answer.
    unpinned = setup.run("--brief", YDSI_DROP_AUTHORITY=str(setup.tmp / "absent.pub"))
    assert unpinned.returncode == 2 and "no pinned authority key at" in unpinned.stderr


def test_notify_sends_one_content_free_alert_then_the_headteacher_after_the_limit(
    setup: Setup,
) -> None:
    first = setup.file()
    with smtp_server() as box:
        mail = {
            "YDSI_ALERT_TO": "dsl@school.example,team@school.example",
            "YDSI_ALERT_HEADTEACHER": "head@school.example",
            "YDSI_ALERT_FROM": "ydsi@school.example",
            "YDSI_ALERT_SMTP": f"127.0.0.1:{box.port}",
        }
        sent = setup.run("--notify", **mail)
        assert sent.returncode == 0, sent.stderr
        assert sent.stdout == "ydsi: alert_to told of 1 new report(s) from staff\n"
        assert len(box.received) == 1
        assert box.received[0].message["Subject"] == NEW_SUBJECT
        assert sorted(box.received[0].recipients) == ["dsl@school.example", "team@school.example"]
        again = setup.run("--notify", **mail)
        assert (again.returncode, again.stdout, len(box.received)) == (0, "", 1)
        # A second report, filed 31 minutes ago by the file's own time (what the
        # spool shows); nobody has opened either: the Headteacher is told of it.
        second = setup.file(about_staff=False)
        old = time.time() - 31 * 60
        os.utime(setup.spool / f"{second.report_id}.report", (old, old))
        late = setup.run("--notify", **mail)
        assert late.returncode == 0, late.stderr
        subjects = [m.message["Subject"] for m in box.received]
        assert subjects == [NEW_SUBJECT, NEW_SUBJECT, LATE_SUBJECT]
        assert box.received[2].recipients == ["head@school.example"]
        assert "not opened within 30 minutes" in late.stdout
        assert setup.run("--notify", **mail).stdout == ""
        assert len(box.received) == 3
        for received in box.received:
            _content_free(received.data.decode("utf-8", "replace"), [first, second])
            _content_free(received.message.get_content(), [first, second])
        for out in (sent, again, late):
            _content_free(out.stdout + out.stderr, [first, second])


def test_notify_with_no_way_to_send_is_one_line_and_exit_2(setup: Setup) -> None:
    setup.file()
    none = setup.run("--notify", YDSI_ALERT_TO="dsl@school.example")
    assert none.returncode == 2 and "no way to send alerts" in none.stderr
    bad = setup.run("--notify", YDSI_ALERT_TO="dsl@school.example", YDSI_ALERT_SMTP="x:0")
    assert bad.returncode == 2
    assert bad.stderr.strip() == (
        "ydsi: $YDSI_ALERT_SMTP: alert_smtp 'x:0': the port must be a number from 1 to 65535"
    )
    assert "Traceback" not in none.stderr + bad.stderr


def test_notify_with_the_relay_down_says_so_and_sends_later(setup: Setup) -> None:
    setup.file()
    with smtp_server() as box:
        port = box.port
    mail = {"YDSI_ALERT_TO": "dsl@school.example", "YDSI_ALERT_SMTP": f"127.0.0.1:{port}"}
    down = setup.run("--notify", **mail)
    assert down.returncode == 1
    assert "did not take the alert" in down.stderr and "tried again" in down.stderr
    assert down.stderr.count("\n") == 1
