"""The alerts' rules for staff reports: once each, the Headteacher after the limit, no content."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime, timedelta

import pytest

from ydsi_tui.model.policy import PolicyError, bundled_policy, load_bundled
from ydsi_tui.model.staff_alerts import Sent, Waiting, brief_line, plan_alerts, waiting_reports
from ydsi_tui.model.timelimits import staff_report_limit

#: A Sunday, 03:10 UK time: the limit runs by the clock, at any hour of any day.
SUNDAY_NIGHT = datetime(2026, 11, 15, 3, 10, tzinfo=UTC)
LIMIT = staff_report_limit(bundled_policy())


def test_the_policy_gives_30_minutes_by_the_clock_and_says_it_is_stricter_than_the_text() -> None:
    assert bundled_policy().settings.staff_report_unopened_minutes == 30
    assert LIMIT.setting == "staff_report_unopened_minutes" and LIMIT.unit == "minutes"
    assert LIMIT.due(SUNDAY_NIGHT) == SUNDAY_NIGHT + timedelta(minutes=30)
    assert LIMIT.words == "within 30 minutes"
    for name in ("hindley-2016", "ukcis-2024"):
        notes = load_bundled(name).notes_for("inbox")
        assert [n.id for n in notes] == ["staff_report_unopened_minutes"]
        assert "30 minutes" in notes[0].text and "Headteacher" in notes[0].text


def test_a_policy_without_the_setting_gets_30_and_a_bad_one_is_refused(tmp_path) -> None:
    from importlib import resources

    from ydsi_tui.model.policy import load_policy

    raw = resources.files("ydsi_tui.model").joinpath("policies", "hindley-2016.toml").read_text()
    without = tmp_path / "without.toml"
    without.write_text(raw.replace("staff_report_unopened_minutes = 30\n", ""))
    assert load_policy(without).settings.staff_report_unopened_minutes == 30
    bad = tmp_path / "bad.toml"
    setting = "staff_report_unopened_minutes"
    bad.write_text(raw.replace(f"{setting} = 30", f"{setting} = 0"))
    with pytest.raises(PolicyError, match="staff_report_unopened_minutes"):
        load_policy(bad)
    ten = tmp_path / "ten.toml"
    ten.write_text(raw.replace(f"{setting} = 30", f"{setting} = 10"))
    policy = load_policy(ten)
    assert staff_report_limit(policy).due(SUNDAY_NIGHT) == SUNDAY_NIGHT + timedelta(minutes=10)


def _reports(*minutes_ago: int) -> list[tuple[str, datetime]]:
    return [(f"r{i:021d}", SUNDAY_NIGHT - timedelta(minutes=m)) for i, m in enumerate(minutes_ago)]


def test_each_waiting_report_is_announced_once_and_opened_ones_never() -> None:
    present = _reports(5, 2, 1)
    waiting = waiting_reports(present, opened=[present[1][0]])
    assert [w.report_id for w in waiting] == [present[0][0], present[2][0]]
    ids = [rid for rid, _ in present]
    plan = plan_alerts(waiting, ids, Sent(), SUNDAY_NIGHT, LIMIT)
    assert plan.announce == waiting and plan.escalate == ()
    sent = plan.remember(announced=True, escalated=False)
    again = plan_alerts(waiting, ids, sent, SUNDAY_NIGHT + timedelta(minutes=1), LIMIT)
    assert again.announce == () and again.escalate == ()
    # A send that failed is not remembered: the next run tries again.
    assert plan.remember(announced=False, escalated=False) == Sent()


def test_the_headteacher_is_told_once_when_the_limit_passes_at_any_hour() -> None:
    present = _reports(0)
    ids = [rid for rid, _ in present]
    waiting = waiting_reports(present, opened=[])
    sent = plan_alerts(waiting, ids, Sent(), SUNDAY_NIGHT, LIMIT).remember(
        announced=True, escalated=False
    )
    before = plan_alerts(waiting, ids, sent, SUNDAY_NIGHT + timedelta(minutes=29), LIMIT)
    assert before.escalate == ()
    assert before.next_due == SUNDAY_NIGHT + timedelta(minutes=30)
    due = plan_alerts(waiting, ids, sent, SUNDAY_NIGHT + timedelta(minutes=30), LIMIT)
    assert due.escalate == waiting and due.announce == ()
    sent = due.remember(announced=True, escalated=True)
    later = plan_alerts(waiting, ids, sent, SUNDAY_NIGHT + timedelta(hours=5), LIMIT)
    assert later.escalate == () and later.announce == () and later.next_due is None


def test_an_opened_report_is_not_sent_to_the_headteacher() -> None:
    present = _reports(45)
    ids = [rid for rid, _ in present]
    waiting = waiting_reports(present, opened=ids)
    plan = plan_alerts(waiting, ids, Sent(), SUNDAY_NIGHT, LIMIT)
    assert plan.announce == () and plan.escalate == ()


def test_memory_is_kept_while_a_report_is_in_the_spool_and_dropped_when_it_leaves() -> None:
    present = _reports(1, 2)
    ids = [rid for rid, _ in present]
    sent = Sent(frozenset(ids), frozenset(ids[:1]))
    plan = plan_alerts((), ids[:1], sent, SUNDAY_NIGHT, LIMIT)
    assert plan.remember(announced=False, escalated=False) == Sent(
        frozenset(ids[:1]), frozenset(ids[:1])
    )
    doc = sent.to_json()
    assert Sent.from_json(doc) == sent
    with pytest.raises(ValueError, match="version 1"):
        Sent.from_json({**doc, "version": 2})
    with pytest.raises(ValueError, match="announced"):
        Sent.from_json({**doc, "announced": "everything"})


def test_the_brief_line_counts_and_ages_and_names_no_report() -> None:
    assert brief_line((), SUNDAY_NIGHT) == "ydsi: no report from staff is waiting."
    one = (Waiting("r" * 22, SUNDAY_NIGHT - timedelta(minutes=12)),)
    line = brief_line(one, SUNDAY_NIGHT)
    assert line == (
        "ydsi: 1 report from staff is waiting (filed 12 minutes ago): open ydsi to read it."
    )
    two = (*one, Waiting("s" * 22, SUNDAY_NIGHT))
    line = brief_line(two, SUNDAY_NIGHT)
    assert "2 reports from staff are waiting" in line and "12 minutes ago" in line
    assert "r" * 22 not in line and "s" * 22 not in line and "\n" not in line


def test_limit_words_for_one_minute() -> None:
    one = dataclasses.replace(LIMIT, amount=1)
    assert one.words == "within 1 minute"
