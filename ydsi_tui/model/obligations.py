"""What is due, and when: the dated obligations the policy puts on a DSL.

Every obligation has a due time, so the same list serves two purposes: the
incident screen shows what is overdue now, and the summary stored beside
the record carries the list so the home screen can tell what has become
overdue since, without decrypting and folding every incident.

Flag texts never carry names or content: they appear on lists and in
reminders that other people may see over a shoulder.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from ydsi_tui.model.decisions import signoff_declined, signoff_needed
from ydsi_tui.model.schoolyear import add_school_days
from ydsi_tui.model.timelimits import dsl_told_limit, parents_limit, parents_start
from ydsi_tui.model.timeparse import format_local
from ydsi_tui.model.triggers import referral
from ydsi_tui.model.viewing_rules import support_missing, unacknowledged_breaches

if TYPE_CHECKING:
    from ydsi_tui.model.incident import Incident
    from ydsi_tui.model.policy import Policy


@dataclass(frozen=True)
class Flag:
    """Something due by `due_at` (aware UTC); overdue once `now` reaches it."""

    code: str
    text: str
    due_at: datetime


def obligations(incident: Incident, policy: Policy) -> list[Flag]:
    """Every dated obligation of this incident, due or not, soonest first."""
    flags = _dsl_delay(incident, policy) + transfer_receipts(incident, policy)
    flags += viewing_breaches(incident, policy)
    if not incident.closed:
        flags += _staff_support(incident)
        flags += _referral(incident, policy)
        flags += _signoff(incident)
        flags += _parents(incident, policy)
        flags += _csc_known(incident)
        flags += _deletions(incident)
        flags += _decision_review(incident, policy)
    return sorted(flags, key=lambda flag: (flag.due_at, flag.code))


def overdue(incident: Incident, policy: Policy, now: datetime) -> list[Flag]:
    """The obligations whose time has come."""
    return [flag for flag in obligations(incident, policy) if flag.due_at <= now]


def _dsl_delay(incident: Incident, policy: Policy) -> list[Flag]:
    """A late referral to the DSL stays flagged: it is part of the record, not a task."""
    d = incident.disclosure
    knew = incident.dsl_knew_at
    if d is None or d.disclosed_at is None or knew is None:
        return []
    limit = dsl_told_limit(policy)
    due = limit.due(d.disclosed_at)
    if knew <= due:
        return []
    how = (
        "A report from staff reached the DSL's inbox"
        if incident.dsl_knew_from_report is not None
        else "The DSL was told"
    )
    return [
        Flag(
            "dsl_delay",
            f"{how} {format_local(knew)}, "
            f"{_elapsed(knew - d.disclosed_at)} after the disclosure "
            f"({format_local(d.disclosed_at)}); the limit is {limit.shown}.",
            due,
        )
    ]


def _elapsed(delta: timedelta) -> str:
    """A delay in words: minutes under an hour, hours under two days, else days."""
    minutes = int(delta.total_seconds() // 60)
    if minutes < 60:
        return f"{minutes} minute{'' if minutes == 1 else 's'}"
    hours = minutes // 60
    if hours < 48:
        return f"{hours} hour{'' if hours == 1 else 's'}"
    return f"{hours // 24} days"


def _referral(incident: Incident, policy: Policy) -> list[Flag]:
    """REFER NOW from the moment it is required, overdue after the policy's limit.

    A decision to refer does not clear it: only a recorded referral does.
    """
    state = referral(incident, policy)
    if not state.pending or state.since is None or state.due_at is None:
        return []
    whom = "; ".join(state.outstanding)
    hours = policy.settings.referral_max_hours
    limit = "1 hour" if hours == 1 else f"{hours} hours"
    return [
        Flag(
            "referral_required",
            f"The policy requires an immediate referral ({whom}); none is recorded yet.",
            state.since,
        ),
        Flag(
            "referral_overdue",
            f"No referral ({whom}) recorded within {limit} of it being required; the "
            "policy says immediately.",
            state.due_at,
        ),
    ]


def _signoff(incident: Incident) -> list[Flag]:
    current = incident.current_decision
    if current is None or not signoff_needed(incident):
        return []
    declined = signoff_declined(incident)
    if declined is not None:  # due at once: the DSL must revise the decision or refer
        return [
            Flag(
                "signoff_declined",
                "The Headteacher declined to sign off the decision to respond in school: "
                "revise the decision, or refer.",
                declined.at,
            )
        ]
    return [
        Flag(
            "signoff_waiting",
            "The decision to respond in school is waiting for the Headteacher's sign-off.",
            current.at,
        )
    ]


def _parents(incident: Incident, policy: Policy) -> list[Flag]:
    waiting = [pid for pid in incident.pupils if not incident.parents.get(pid)]
    if not waiting:
        return []
    limit = parents_limit(policy)
    count = "1 young person" if len(waiting) == 1 else f"{len(waiting)} young people"
    return [
        Flag(
            "parents_not_informed",
            f"Parents or carers of {count} not yet informed, and no reason recorded; "
            f"the limit is {limit.shown}.",
            limit.due(parents_start(incident)),
        )
    ]


def _csc_known(incident: Incident) -> list[Flag]:
    """CSC are, may be or have been involved with a young person: contact them.

    Due from when the record first showed it (the policy sets no other limit:
    "they should contact children's social care"); met by any CSC contact.
    """
    known = [p for p in incident.pupils.values() if p.known_to_csc and p.csc_since is not None]
    if not known or any(contact.spoken_to.strip() for contact in incident.csc_contacts):
        return []
    count = "1 young person" if len(known) == 1 else f"{len(known)} young people"
    return [
        Flag(
            "csc_contact_due",
            f"Children's social care are, may be or have been involved with {count}; the "
            "policy says contact them, and no contact is recorded.",
            min(p.csc_since for p in known if p.csc_since is not None),
        )
    ]


def _deletions(incident: Incident) -> list[Flag]:
    flags: list[Flag] = []
    for deletion in incident.deletions.values():
        deadline = deletion.deadline
        if deadline is None or deletion.confirmed:
            continue
        flags.append(
            Flag(
                "deletion_overdue",
                "A young person has not confirmed deleting the imagery; the deadline was "
                f"{format_local(deadline)}.",
                deadline,
            )
        )
    return flags


def _decision_review(incident: Incident, policy: Policy) -> list[Flag]:
    current = incident.current_decision
    if current is None:
        return []
    reviews = [r for r in incident.decision_reviews if r.decision_id == current.event_id]
    if reviews:
        due = max(r.at for r in reviews) + timedelta(days=policy.settings.decision_review_days)
    elif current.review_by is not None:
        due = current.review_by
    else:
        due = current.at + timedelta(days=policy.settings.decision_review_days)
    return [Flag("decision_review_due", "The decision is due for review.", due)]


def viewing_breaches(incident: Incident, policy: Policy) -> list[Flag]:
    """A deliberate viewing that broke a condition goes to the Headteacher, due at once.

    It stays flagged (closed or not) until the Headteacher's own verified
    acknowledgement is recorded: the DSL's reasons for each unmet condition
    explain it, they do not close it. The words that matter come first: lists
    cut long lines.
    """
    flags: list[Flag] = []
    for viewing, findings in unacknowledged_breaches(incident, policy):
        count = (
            "1 of the policy's conditions"
            if len(findings) == 1
            else (f"{len(findings)} of the policy's conditions")
        )
        flags.append(
            Flag(
                "viewing_breach",
                "The Headteacher has not acknowledged a deliberate viewing of the imagery "
                f"that broke {count} ({format_local(viewing.at)}).",
                viewing.at,
            )
        )
    return flags


def _staff_support(incident: Incident) -> list[Flag]:
    """Staff who saw the imagery unavoidably are given support: due from the sighting."""
    return [
        Flag(
            "staff_support_due",
            "Support for a member of staff who saw the imagery unavoidably is not recorded "
            f"yet ({format_local(entry.at)}).",
            entry.at,
        )
        for entry in support_missing(incident)
        if entry.kind == "sighting"
    ]


def transfer_receipts(incident: Incident, policy: Policy) -> list[Flag]:
    """Records sent to another school need the receiving school's receipt.

    Due ``transfer_receipt_school_days`` school days (Monday to Friday, less
    England and Wales bank holidays, and outside the school's approved term
    and INSET dates where it has them) after sending; flagged on closed
    incidents too, since transfers usually follow closing.
    """
    days = policy.settings.transfer_receipt_school_days
    return [
        Flag(
            "transfer_receipt_missing",
            f"No receipt recorded for records sent to another school on "
            f"{format_local(transfer.at)}; the policy expects one within {days} school days.",
            add_school_days(transfer.at, days, policy.calendar),
        )
        for transfer in incident.transfers
        if not transfer.received
    ]
