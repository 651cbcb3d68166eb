"""Rules on the decision to refer out or respond in school, and its sign-off.

A decision not to refer is the one the policy guards most closely: it needs
reasons, the Headteacher's sign-off, and, if a trigger applies, a stated
reason for going against the policy's "refer immediately".
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ydsi_tui.model.errors import ValidationError
from ydsi_tui.model.triggers import referral

if TYPE_CHECKING:
    from ydsi_tui.model.events import Event
    from ydsi_tui.model.incident import Incident
    from ydsi_tui.model.policy import Policy


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
    required = referral(incident, policy)
    if required.required and not _filled(data.get("override_reason")):
        raise ValidationError(
            "override_reason",
            "The policy says to refer immediately because: "
            + "; ".join(required.reasons)
            + ". To respond in school instead, record why in the override reason.",
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
