"""Who is told of a report from staff, and when: the alerts' rules, with no content in them.

A member of staff files a report in the drop; nobody in the vault may learn a
word of it from an alert. So everything here works on what the spool and the
audit log show without a key: a report's random id, when it was filed, and
whether a DSL or team member has opened it. An alert never carries even the
id (a "reference"): it says that something is waiting, how many, and since
when, which is what the DSL needs in order to go and read it.

The rules:

* each report is announced once to the DSL and team ("new report") while it
  waits (not opened);
* a report still not opened when the policy's limit has passed (minutes by the
  clock, at any hour: :func:`~ydsi_tui.model.timelimits.staff_report_limit`)
  is sent once to the Headteacher too, unless it is a report *about* the
  Headteacher: nobody in the vault can open that one (it is sealed to the key the
  school names), so it would always look late, and the one person it must not
  be escalated to is the one it is about;
* what was sent is remembered (:class:`Sent`), so a timer that runs every
  minute never sends the same alert twice; reports gone from the spool are
  forgotten, so the memory stays as small as the spool.

Pure: the caller reads the spool, the log and the clock, and does the sending.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from ydsi_tui.model.timelimits import TimeLimit

__all__ = [
    "DEFAULT_LATE_MESSAGE",
    "DEFAULT_NEW_MESSAGE",
    "LATE_SUBJECT",
    "NEW_SUBJECT",
    "Plan",
    "Sent",
    "Waiting",
    "brief_line",
    "plan_alerts",
    "waiting_reports",
]

#: The subject lines: fixed, so no setting can put content in them.
NEW_SUBJECT = "ydsi: a new report from staff is waiting"
LATE_SUBJECT = "ydsi: a report from staff has not been opened"

#: The school's message when none is configured (``alert_message``).
DEFAULT_NEW_MESSAGE = (
    "A new report from staff is waiting in ydsi.\n"
    "Log in to the school's server and open ydsi (or run 'ydsi inbox list') to read it.\n"
    "This message says nothing about the report, by design."
)
#: The Headteacher's message when none is configured (``alert_late_message``).
DEFAULT_LATE_MESSAGE = (
    "A report from staff has been waiting longer than the school's policy allows\n"
    "without a DSL or safeguarding team member opening it.\n"
    "Please make sure a DSL reads it now: it is in ydsi on the school's server.\n"
    "This message says nothing about the report, by design."
)


@dataclass(frozen=True)
class Waiting:
    """A report in the spool that no DSL or team member has opened yet."""

    report_id: str
    filed_at: datetime  # aware UTC


def waiting_reports(
    spooled: Iterable[tuple[str, datetime]], opened: Iterable[str]
) -> tuple[Waiting, ...]:
    """The spool's reports (id, filed) less those opened, oldest first."""
    done = set(opened)
    rows = [Waiting(rid, at) for rid, at in spooled if rid not in done]
    return tuple(sorted(rows, key=lambda w: (w.filed_at, w.report_id)))


@dataclass(frozen=True)
class Sent:
    """What has been sent already: report ids announced, and those sent to the Headteacher."""

    announced: frozenset[str] = frozenset()
    escalated: frozenset[str] = frozenset()

    def to_json(self) -> dict[str, Any]:
        return {
            "version": 1,
            "announced": sorted(self.announced),
            "escalated": sorted(self.escalated),
        }

    @classmethod
    def from_json(cls, doc: Mapping[str, Any]) -> Sent:
        """Strict: a state file that is not exactly ours raises ValueError (said in words)."""
        if doc.get("version") != 1:
            raise ValueError("is not a version 1 alert state")
        sets = []
        for key in ("announced", "escalated"):
            values = doc.get(key)
            if not isinstance(values, list) or not all(isinstance(v, str) for v in values):
                raise ValueError(f"has no list of report ids under {key!r}")
            sets.append(frozenset(values))
        return cls(sets[0], sets[1])


@dataclass(frozen=True)
class Plan:
    """What to send now, and what to remember once it has been sent."""

    #: Reports to announce to the DSL and team (new since the last run).
    announce: tuple[Waiting, ...]
    #: Reports past the limit, to send to the Headteacher.
    escalate: tuple[Waiting, ...]
    #: Every report still waiting (for the words of a message).
    waiting: tuple[Waiting, ...]
    #: The memory before this run, less reports that have left the spool.
    kept: Sent
    #: When the next report falls due for the Headteacher (None: none pending).
    next_due: datetime | None = None

    def remember(self, *, announced: bool, escalated: bool) -> Sent:
        """The memory after this run: only what was really sent is marked sent."""
        a = set(self.kept.announced)
        e = set(self.kept.escalated)
        if announced:
            a |= {w.report_id for w in self.announce}
        if escalated:
            e |= {w.report_id for w in self.escalate}
        return Sent(frozenset(a), frozenset(e))


def plan_alerts(
    waiting: tuple[Waiting, ...],
    present: Iterable[str],
    sent: Sent,
    now: datetime,
    limit: TimeLimit,
    about_headteacher: Iterable[str] = (),
) -> Plan:
    """Which alerts are due now.

    ``present`` is every report id in the spool, opened or not: memory of a
    report is dropped only when it has left the spool, so a report opened and
    then somehow shown unopened again is not announced twice.
    ``about_headteacher`` names the reports never sent to the Headteacher.
    """
    keep = set(present)
    not_for_head = set(about_headteacher)
    announce = tuple(w for w in waiting if w.report_id not in sent.announced)
    escalate = tuple(
        w
        for w in waiting
        if w.report_id not in sent.escalated
        and w.report_id not in not_for_head
        and limit.due(w.filed_at) <= now
    )
    kept = Sent(sent.announced & keep, sent.escalated & keep)
    later = {w.report_id for w in escalate} | set(sent.escalated) | not_for_head
    pending = [limit.due(w.filed_at) for w in waiting if w.report_id not in later]
    return Plan(announce, escalate, waiting, kept, min(pending, default=None))


def _ago(delta: timedelta) -> str:
    minutes = max(0, int(delta.total_seconds() // 60))
    if minutes < 1:
        return "just now"
    if minutes < 120:
        return f"{minutes} minute{'' if minutes == 1 else 's'} ago"
    hours = minutes // 60
    if hours < 48:
        return f"{hours} hours ago"
    return f"{hours // 24} days ago"


def brief_line(waiting: tuple[Waiting, ...], now: datetime) -> str:
    """One line for a login banner: how many wait and since when, nothing of what they say."""
    if not waiting:
        return "ydsi: no report from staff is waiting."
    oldest = _ago(now - waiting[0].filed_at)
    if len(waiting) == 1:
        return f"ydsi: 1 report from staff is waiting (filed {oldest}): open ydsi to read it."
    return (
        f"ydsi: {len(waiting)} reports from staff are waiting (the oldest filed {oldest}): "
        "open ydsi to read them."
    )
