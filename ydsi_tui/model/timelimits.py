"""Every time limit the program holds a DSL to, read from the policy's settings.

The policy's text gives words, not numbers: the DSL told "as soon as
possible", parents informed "at an early stage", a referral made
"immediately". Each number the program uses instead is a setting of the
policy file, and this module is the one place that turns a setting into a
due time and into words, so the attention list, the inspection check and the
step guidance all say the same thing: the limit, the setting that gives it,
and the policy's own words beside it.

Limits in school days count on the school calendar
(:mod:`ydsi_tui.model.schoolyear`: the school's own terms and INSET days where
a DSL approved them, else Monday to Friday less England and Wales bank
holidays) and end at midnight, UK time, at the end of the last school day
allowed: "the same school day" for a disclosure on a Saturday is the Monday.
Without the school's calendar its holidays are not known, so such a limit may
fall earlier than it would put it (it errs towards flagging).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime, time, timedelta
from typing import TYPE_CHECKING

from ydsi_tui.model.schoolyear import SchoolCalendar, is_school_day
from ydsi_tui.model.timeparse import LONDON, to_local, to_utc

if TYPE_CHECKING:
    from ydsi_tui.model.incident import Incident
    from ydsi_tui.model.policy import Policy

__all__ = [
    "TimeLimit",
    "Timing",
    "dsl_told_limit",
    "incident_times",
    "parents_limit",
    "parents_start",
    "staff_report_limit",
    "step_limits",
    "time_limits",
]

UNITS = ("minutes", "hours", "days", "school_days")


@dataclass(frozen=True)
class TimeLimit:
    """One limit: what must happen, by when (a setting), and what the text says."""

    id: str
    what: str
    setting: str
    amount: int
    unit: str  # one of UNITS
    text_says: str
    #: The step (by the bundled policy's ids) whose guidance shows this limit.
    step_id: str
    #: The school's own terms and INSET days, where a DSL approved them
    #: (``ydsi calendar set``); without them, the weekday and bank-holiday rule.
    calendar: SchoolCalendar | None = None

    def due(self, start: datetime) -> datetime:
        """When something started at `start` must be done by (aware UTC)."""
        if self.unit == "minutes":
            return start + timedelta(minutes=self.amount)
        if self.unit == "hours":
            return start + timedelta(hours=self.amount)
        if self.unit == "days":
            return start + timedelta(days=self.amount)
        day = to_local(start).date()
        while not is_school_day(day, self.calendar):
            day += timedelta(days=1)
        counted = 0
        while counted < self.amount:
            day += timedelta(days=1)
            if is_school_day(day, self.calendar):
                counted += 1
        midnight = datetime.combine(day + timedelta(days=1), time(0, 0))
        return to_utc(midnight.replace(tzinfo=LONDON))

    @property
    def words(self) -> str:
        """The limit in words: "the same school day", "within 1 hour"."""
        n = self.amount
        if self.unit == "school_days":
            if n == 0:
                return "the same school day"
            if n == 1:
                return "the same or the next school day"
            return f"within {n} school days"
        unit = {"minutes": "minute", "hours": "hour", "days": "day"}[self.unit]
        return f"within {n} {unit}{'' if n == 1 else 's'}"

    @property
    def shown(self) -> str:
        """The limit as every screen and report shows it: its words, and the text's beside them.

        Screens show no setting names (no codes on screen); the inspection
        check's JSON and the command line's list of limits name the setting.
        """
        return (
            f"{self.words} (a setting of this policy file; the policy says "
            f"\N{LEFT DOUBLE QUOTATION MARK}{self.text_says}\N{RIGHT DOUBLE QUOTATION MARK})"
        )

    @property
    def setting_words(self) -> str:
        """The setting that gives it, for the people who edit the policy file."""
        return f"{self.setting} = {self.amount}"


def _dsl_told_limit(policy: Policy) -> TimeLimit:
    """The disclosure passed to the DSL: a school-day limit, or hours in older files."""
    s = policy.settings
    what = "The DSL told of the disclosure"
    says = "as soon as possible"
    if s.disclosure_to_dsl_max_hours is not None:
        hours = s.disclosure_to_dsl_max_hours
        return TimeLimit(
            "dsl_told", what, "disclosure_to_dsl_max_hours", hours, "hours", says, "disclosure"
        )
    days = s.dsl_told_within_school_days or 0
    return TimeLimit(
        "dsl_told", what, "dsl_told_within_school_days", days, "school_days", says, "disclosure"
    )


def _parents_limit(policy: Policy) -> TimeLimit:
    """Each pupil's parents informed, or a reason why not recorded."""
    s = policy.settings
    what = "Each young person's parents or carers informed, or a reason why not recorded"
    says = "at an early stage"
    if s.parents_inform_within_hours is not None:
        hours = s.parents_inform_within_hours
        return TimeLimit(
            "parents", what, "parents_inform_within_hours", hours, "hours", says, "parents"
        )
    days = s.parents_inform_within_school_days
    return TimeLimit(
        "parents",
        what,
        "parents_inform_within_school_days",
        1 if days is None else days,
        "school_days",
        says,
        "parents",
    )


def _time_limits(policy: Policy) -> tuple[TimeLimit, ...]:
    """Every time limit of the policy, in the procedure's order."""
    s = policy.settings
    return (
        _dsl_told_limit(policy),
        TimeLimit(
            "referral",
            "Each required referral made (recorded as a contact)",
            "referral_max_hours",
            s.referral_max_hours,
            "hours",
            "immediately",
            "decision",
        ),
        TimeLimit(
            "decision_review",
            "The decision reviewed",
            "decision_review_days",
            s.decision_review_days,
            "days",
            "reviewed throughout the process",
            "decision",
        ),
        _parents_limit(policy),
        TimeLimit(
            "device_collection",
            "A seized device collected by the police",
            "device_collection_days",
            s.device_collection_days,
            "days",
            "under lock and key until the police are able to come and retrieve it",
            "devices",
        ),
        TimeLimit(
            "deletion_deadline",
            "The deadline offered for deleting the imagery",
            "deletion_deadline_default_hours",
            s.deletion_deadline_default_hours,
            "hours",
            "young people should be given a deadline for deletion",
            "deletion",
        ),
        TimeLimit(
            "transfer_receipt",
            "The receiving school's receipt for records sent",
            "transfer_receipt_school_days",
            s.transfer_receipt_school_days,
            "school_days",
            "transfer when a pupil leaves the school",
            "closing",
        ),
    )


def staff_report_limit(policy: Policy) -> TimeLimit:
    """A report from staff opened by a DSL or team member: minutes by the clock, any hour.

    Kept out of :func:`time_limits` (an incident's limits): it runs from a
    report's filing in the drop, before any incident exists, and what it
    drives is the alert to the Headteacher (``ydsi attention --notify``).
    """
    return TimeLimit(
        "staff_report_opened",
        "A report from staff opened by a DSL or team member",
        "staff_report_unopened_minutes",
        policy.settings.staff_report_unopened_minutes,
        "minutes",
        "as soon as possible",
        "disclosure",
    )


def dsl_told_limit(policy: Policy) -> TimeLimit:
    """The disclosure passed to the DSL, counted on the school's calendar."""
    return replace(_dsl_told_limit(policy), calendar=policy.calendar)


def parents_limit(policy: Policy) -> TimeLimit:
    """Each pupil's parents informed, counted on the school's calendar."""
    return replace(_parents_limit(policy), calendar=policy.calendar)


def time_limits(policy: Policy) -> tuple[TimeLimit, ...]:
    """Every time limit of the policy, in the procedure's order, on the school's calendar."""
    return tuple(replace(limit, calendar=policy.calendar) for limit in _time_limits(policy))


def step_limits(policy: Policy, step_id: str) -> tuple[TimeLimit, ...]:
    """The limits a step's guidance shows."""
    return tuple(limit for limit in time_limits(policy) if limit.step_id == step_id)


def parents_start(incident: Incident) -> datetime:
    """When the parents' limit runs from: the disclosure, else the incident's opening."""
    d = incident.disclosure
    if d is not None and d.disclosed_at is not None:
        return d.disclosed_at
    return incident.opened_at or incident.meta.created_at


@dataclass(frozen=True)
class Timing:
    """One timed obligation of an incident as it happened: from, to, and within the limit?

    `end` is None while it has not happened; `within` is then None until the
    limit has passed (the reader compares `due` with the time now).
    """

    limit: TimeLimit
    label: str
    start: datetime
    end: datetime | None
    due: datetime
    #: A reason recorded why it was not done (parents not informed): met whenever.
    reason_recorded: bool = False

    @property
    def within(self) -> bool | None:
        if self.reason_recorded:
            return True
        return None if self.end is None else self.end <= self.due


def incident_times(incident: Incident, policy: Policy) -> tuple[Timing, ...]:
    """The incident's actual times against each limit, for the inspection check.

    No names: each young person is counted ("young person 1") in the order
    they were recorded, as everywhere an inspector's list is shown.
    """
    from ydsi_tui.model.referrals import referral_state

    times: list[Timing] = []
    d = incident.disclosure
    if d is not None and d.disclosed_at is not None:
        limit = dsl_told_limit(policy)
        # The earliest the DSL could have known: a staff report's receipt, if earlier.
        label = "Disclosure to the DSL" + (
            " (a report from staff received)" if incident.dsl_knew_from_report else ""
        )
        times.append(
            Timing(limit, label, d.disclosed_at, incident.dsl_knew_at,
                   limit.due(d.disclosed_at))
        )  # fmt: skip
    state = referral_state(incident, policy)
    referral = next(limit for limit in time_limits(policy) if limit.id == "referral")
    for requirement in state.requirements:
        made = dict(state.met_by).get(requirement)
        times.append(
            Timing(
                referral,
                f"Referral to {requirement.words} ({requirement.source})",
                requirement.since,
                made.at if made is not None else None,
                referral.due(requirement.since),
            )
        )
    parents = parents_limit(policy)
    start = parents_start(incident)
    for number, pid in enumerate(incident.pupils, start=1):
        entries = incident.parents.get(pid, ())
        first = min((e.at for e in entries), default=None)
        reason = any(not e.informed and e.reason.strip() for e in entries)
        times.append(
            Timing(parents, f"Parents or carers of young person {number}", start, first,
                   parents.due(start), reason_recorded=reason)
        )  # fmt: skip
    return tuple(times)
