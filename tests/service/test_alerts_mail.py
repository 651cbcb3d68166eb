"""The alerts sent through a real SMTP server on 127.0.0.1 and a real sendmail-style command.

The spool here is described by hand (ids and times are all an alert may
know); tests/cli/test_attention.py files real reports and reads the same
alerts for their content.
"""

from __future__ import annotations

import json
import stat
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from tests.support.drop import disclose, make_spool
from tests.support.smtp import smtp_server
from tests.support.vaults import DSL_PASS, min_kdf
from ydsi_tui.model.policy import bundled_policy
from ydsi_tui.model.staff_alerts import LATE_SUBJECT, NEW_SUBJECT, waiting_reports
from ydsi_tui.service.alerts import AlertConfig, SpoolView, notify, read_sent, spool_view
from ydsi_tui.vault.drop import keygen_recipient, parse_recipient, pin_text
from ydsi_tui.vault.errors import VaultError
from ydsi_tui.vault.vault import Vault

NOW = datetime(2026, 11, 13, 15, 20, tzinfo=UTC)  # a Friday, 3:20 pm
DSLS = ("dsl@school.example", "team@school.example")
HEAD = ("head@school.example",)
REPORT = "Q2xlYXJseU5vdEFOYW1lAA"


def view(*filed: datetime, opened: tuple[str, ...] = ()) -> SpoolView:
    present = tuple((f"{REPORT[:-2]}{i:02d}", at) for i, at in enumerate(filed))
    return SpoolView(present, waiting_reports(present, opened))


def config(port: int, **kw: object) -> AlertConfig:
    return AlertConfig(to=DSLS, headteacher=HEAD, sender="ydsi@school.example",
                       smtp=("127.0.0.1", port), **kw)  # type: ignore[arg-type]  # fmt: skip


def test_one_alert_per_report_then_the_headteacher_after_30_minutes(tmp_path: Path) -> None:
    state = tmp_path / "state" / "alerts.json"
    spool = view(NOW)
    with smtp_server() as box:
        first = notify(config(box.port), spool, state, NOW)
        assert (first.announced, first.escalated, first.problems) == (1, 0, ())
        assert len(box.received) == 1
        mail = box.received[0]
        assert sorted(mail.recipients) == sorted(DSLS)
        assert mail.message["Subject"] == NEW_SUBJECT
        body = mail.message.get_content()
        assert "A new report from staff is waiting" in body
        assert REPORT[:-2] not in mail.data.decode()  # not even the id (a reference)
        # The timer runs every minute: nothing twice.
        for minute in range(1, 30):
            notify(config(box.port), spool, state, NOW + timedelta(minutes=minute))
        assert len(box.received) == 1
        late = notify(config(box.port), spool, state, NOW + timedelta(minutes=30))
        assert (late.announced, late.escalated) == (0, 1)
        assert len(box.received) == 2
        head = box.received[1]
        assert head.recipients == list(HEAD) and head.message["Subject"] == LATE_SUBJECT
        assert "within 30 minutes" in head.message.get_content()
        notify(config(box.port), spool, state, NOW + timedelta(hours=3))
        assert len(box.received) == 2
    assert stat.S_IMODE(state.stat().st_mode) == 0o600
    assert json.loads(state.read_text())["escalated"] == [spool.present[0][0]]


def test_an_opened_report_goes_to_nobody_and_the_schools_own_text_is_sent(tmp_path: Path) -> None:
    state = tmp_path / "alerts.json"
    spool = view(NOW - timedelta(hours=2), NOW)
    opened = view(NOW - timedelta(hours=2), NOW, opened=(spool.present[0][0],))
    with smtp_server() as box:
        own = config(box.port, new_message="Staff report waiting.\nSee ydsi.")
        result = notify(own, opened, state, NOW)
        assert (result.announced, result.escalated) == (1, 0)
        bodies = [m.message.get_content().replace("\r\n", "\n") for m in box.received]
        assert bodies == ["Staff report waiting.\nSee ydsi.\n"]


def test_a_refusing_relay_is_reported_and_the_alert_retried(tmp_path: Path) -> None:
    state = tmp_path / "alerts.json"
    spool = view(NOW - timedelta(minutes=40))
    with smtp_server() as box:
        box.refuse = True
        result = notify(config(box.port), spool, state, NOW)
        assert result.announced == 0 and result.escalated == 0
        assert len(result.problems) == 2
        assert all("tried again at the next run" in p for p in result.problems)
        assert read_sent(state).announced == frozenset()
        box.refuse = False
        again = notify(config(box.port), spool, state, NOW + timedelta(minutes=1))
        assert (again.announced, again.escalated, again.problems) == (1, 1, ())
        assert len(box.received) == 2
    # And a relay that is not there at all: one line, nothing remembered wrongly.
    down = notify(config(box.port), view(NOW, NOW), tmp_path / "other.json", NOW)
    assert down.problems and "did not take the alert" in down.problems[0]


def test_no_headteacher_address_is_said_not_ignored(tmp_path: Path) -> None:
    with smtp_server() as box:
        bare = AlertConfig(to=DSLS, smtp=("127.0.0.1", box.port))
        result = notify(bare, view(NOW - timedelta(hours=1)), tmp_path / "s.json", NOW)
    assert result.announced == 1 and result.escalated == 0
    assert "alert_headteacher names nobody" in result.problems[0]


def test_a_sendmail_style_command_gets_the_recipients_and_the_message(tmp_path: Path) -> None:
    out = tmp_path / "mail.out"
    script = tmp_path / "fake-sendmail"
    script.write_text(
        f"#!{sys.executable}\nimport sys\n"
        f"head = repr(sys.argv[1:]).encode() + b'\\n'\n"
        f"open({str(out)!r}, 'ab').write(head + sys.stdin.buffer.read())\n"
    )
    script.chmod(0o700)
    command = AlertConfig(to=DSLS, headteacher=HEAD, command=(str(script), "-oi"))
    result = notify(command, view(NOW), tmp_path / "s.json", NOW)
    assert result.announced == 1 and not result.problems
    text = out.read_text()
    assert text.startswith(repr(["-oi", *DSLS]))
    assert f"Subject: {NEW_SUBJECT}" in text
    failing = AlertConfig(to=DSLS, command=("/bin/false",))
    result = notify(failing, view(NOW), tmp_path / "t.json", NOW)
    assert "failed (exit status 1)" in result.problems[0]


def test_a_damaged_state_file_is_one_clear_line(tmp_path: Path) -> None:
    state = tmp_path / "alerts.json"
    state.write_text("not json")
    with pytest.raises(VaultError, match="is not JSON: move it away"):
        read_sent(state)


def test_the_config_says_what_is_missing() -> None:
    assert "no way to send alerts" in (AlertConfig(to=DSLS).problem() or "")
    assert "not both" in (AlertConfig(to=DSLS, smtp=("h", 25), command=("/x",)).problem() or "")
    assert "nobody to tell" in (AlertConfig(smtp=("h", 25)).problem() or "")
    assert bundled_policy().settings.staff_report_unopened_minutes == 30


def test_a_report_about_the_headteacher_is_never_sent_to_them_as_late(tmp_path: Path) -> None:
    """Real reports in a real spool: one about the Headteacher (sealed to the chair's key,
    so no vault user can ever open it and it would always look late) and one for the DSL.
    Past the limit only the DSL's goes to the Headteacher; both were announced to the DSL."""
    vault = tmp_path / "vault"
    session, _code = Vault.create(vault, user="dsl", passphrase=DSL_PASS, kdf=min_kdf())
    spool = make_spool(tmp_path)
    chair = parse_recipient(keygen_recipient(tmp_path / "chair.key"))
    key = session.publish_drop_key(spool, about_headteacher=chair)
    pin = tmp_path / "authority.pub"
    pin.write_text(pin_text(key.vault_id, session.vault.header.authority[0].public))
    reporter = tmp_path / "reporter"
    about_head = disclose(spool, pin, reporter, about_headteacher=True)
    for_dsl = disclose(spool, pin, reporter)
    seen = spool_view(spool, vault)
    assert seen.about_headteacher == {about_head.report_id}
    assert {w.report_id for w in seen.waiting} == {about_head.report_id, for_dsl.report_id}
    now = datetime.now(UTC)
    state = tmp_path / "alerts.json"
    with smtp_server() as box:
        first = notify(config(box.port), seen, state, now)
        assert (first.announced, first.escalated) == (2, 0)
        late = notify(config(box.port), seen, state, now + timedelta(minutes=31))
        assert [w.report_id for w in late.plan.escalate] == [for_dsl.report_id]
        assert late.escalated == 1 and late.plan.next_due is None
        notify(config(box.port), seen, state, now + timedelta(days=3))
        assert [m.recipients for m in box.received][1:] == [list(HEAD)]
    session.close()
