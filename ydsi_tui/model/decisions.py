"""Rules on the decision to refer out or respond in school, and its sign-off.

A decision not to refer is the one the policy guards most closely: it needs
reasons, the Headteacher's sign-off, and, if a trigger applies, a stated
reason for going against the policy's "refer immediately".
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ydsi_tui.model.errors import ValidationError
from ydsi_tui.model.referrals import unmet_base
from ydsi_tui.model.triggers import referral

if TYPE_CHECKING:
    from ydsi_tui.model.events import Event
    from ydsi_tui.model.incident import Incident
    from ydsi_tui.model.policy import Policy
    from ydsi_tui.model.records import Entry


def check_decision(incident: Incident, policy: Policy, decision_event: Event) -> None:
    """Refuse a decision the policy does not allow as recorded.

    Responding in school needs a reason; doing so while a referral is
    required needs an explicit override reason that quotes nothing away: the
    message lists the triggers that apply.
    """
    if decision_event.kind != "decision":
        raise ValidationError("kind", "Only a decision can be checked as a decision.")
    data = decision_event.data
    outcome = data.get("outcome")
    if outcome == "refer":
        if not data.get("refer_to"):
            raise ValidationError(
                "refer_to",
                "Say who the referral is to: the police, children's social care, or both.",
            )
        return
    if outcome != "in_school":
        raise ValidationError("outcome", "A decision is either to refer or to respond in school.")
    if not _filled(data.get("reason")):
        raise ValidationError(
            "reason",
            "Record the reason for responding in school without involving the police or "
            "children's social care; the policy requires it.",
        )
    if not unmet_base(incident, policy):
        return  # no trigger applies, or every referral it needs is recorded
    reasons = "; ".join(referral(incident, policy).reasons)
    if not policy.settings.allow_trigger_override:
        raise ValidationError(
            "outcome",
            "The policy allows a response in school only if none of the triggers apply, "
            f"and it says to refer immediately because: {reasons}. Refer, and record the "
            "referral; if a trigger answer is wrong, correct it first.",
        )
    if not _filled(data.get("override_reason")):
        raise ValidationError(
            "override_reason",
            f"The policy says to refer immediately because: {reasons}. This school's "
            "policy file allows an override only with a recorded reason and the "
            "Headteacher's own sign-off: record why in the override reason.",
        )


def unanswered_triggers(incident: Incident, policy: Policy) -> list[int]:
    """The policy's triggers not answered yes or no (unknown counts as unanswered)."""
    return [
        t.n
        for t in policy.triggers
        if t.n not in incident.triggers or incident.triggers[t.n].answer not in ("yes", "no")
    ]


def check_signoff(incident: Incident, policy: Policy) -> None:
    """Refuse a Headteacher's sign-off of an in-school response the policy does not allow.

    "If none of the above apply": nobody can know that while a trigger is
    unanswered, and an override of a trigger stands only where the policy
    file allows it.
    """
    current = incident.current_decision
    if current is None or current.outcome != "in_school":
        raise ValidationError(
            "decision", "There is no decision to respond in school waiting for sign-off"
        )
    missing = unanswered_triggers(incident, policy)
    if missing:
        listed = ", ".join(str(n) for n in missing)
        raise ValidationError(
            "triggers",
            f"Trigger(s) {listed} are not answered yes or no: an in-school response can "
            "be signed off only once each trigger is answered.",
        )
    if unmet_base(incident, policy) and not policy.settings.allow_trigger_override:
        raise ValidationError(
            "decision",
            "A trigger applies and no referral is recorded; this policy does not allow an "
            "in-school response to override a trigger, so it cannot be signed off.",
        )


def signoff_declined(incident: Incident) -> Entry | None:
    """The Headteacher's latest refusal to sign the current decision, if any.

    A refusal answers one decision: a revised decision (or a referral, which
    ends the need for a sign-off) leaves it in the record but no longer due.
    """
    current = incident.current_decision
    if current is None or not signoff_needed(incident):
        return None
    declines = [d for d in incident.signoff_declines if d.text("decision_id") == current.event_id]
    return declines[-1] if declines else None


def check_signoff_decline(incident: Incident, event: Event) -> None:
    """A refusal must name the decision that is waiting, and say why."""
    current = incident.current_decision
    if current is None or not signoff_needed(incident):
        raise ValidationError(
            "decision", "There is no decision to respond in school waiting for sign-off"
        )
    if event.data.get("decision_id") != current.event_id:
        raise ValidationError(
            "decision_id", "Only the current decision can be declined: it has changed since."
        )


def signoff_needed(incident: Incident) -> bool:
    """The current decision is to respond in school and no Headteacher has signed it off."""
    current = incident.current_decision
    if current is None or current.outcome != "in_school":
        return False
    return not any(
        signoff.valid and signoff.decision_id == current.event_id for signoff in incident.signoffs
    )


def _filled(value: object) -> bool:
    return isinstance(value, str) and bool(value.strip())
