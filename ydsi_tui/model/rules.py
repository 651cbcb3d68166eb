"""What the model computes from an incident and its policy: one place to import from.

The rules live in small modules by subject (triggers, decisions, steps,
obligations, summary, viewing rules); this module gathers them under the
names other layers code against, and adds the one rule that needs them all:
whether an incident may be closed.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ydsi_tui.model.decisions import (
    check_decision,
    check_signoff,
    check_signoff_decline,
    signoff_declined,
    signoff_needed,
    unanswered_triggers,
)
from ydsi_tui.model.errors import ValidationError
from ydsi_tui.model.incident import Incident
from ydsi_tui.model.obligations import Flag, obligations, overdue, transfer_receipts
from ydsi_tui.model.policy import Policy
from ydsi_tui.model.predicates import DESCRIPTIONS, PREDICATES
from ydsi_tui.model.referrals import (
    ReferralState,
    referral_state,
    referral_times,
    trigger_overridden,
)
from ydsi_tui.model.retention import Retention, destruction_blockers, retention
from ydsi_tui.model.signoff import signoff_digest, signoff_payload
from ydsi_tui.model.steps import (
    Gap,
    InspectionFinding,
    StepState,
    applies,
    flag_step,
    gaps,
    inspection,
    next_step,
    step_states,
)
from ydsi_tui.model.suggestions import (
    TriggerSuggestion,
    against_suggestion,
    check_trigger_answer,
    suggest_triggers,
)
from ydsi_tui.model.summary import incident_status, status_words, summarize, summary_flags
from ydsi_tui.model.triggers import Referral, Suggestion, referral, suggest_trigger4
from ydsi_tui.model.viewing_rules import (
    VIEWING_PREDICATES,
    Finding,
    acknowledgement_of,
    breaches,
    check_viewing,
    seen_imagery,
    support_missing,
    unacknowledged_breaches,
)

__all__ = [
    "DESCRIPTIONS",
    "PREDICATES",
    "VIEWING_PREDICATES",
    "Finding",
    "Flag",
    "Gap",
    "InspectionFinding",
    "Referral",
    "ReferralState",
    "Retention",
    "StepState",
    "Suggestion",
    "TriggerSuggestion",
    "acknowledgement_of",
    "against_suggestion",
    "applies",
    "breaches",
    "check_closure",
    "check_decision",
    "check_reopen",
    "check_signoff",
    "check_signoff_decline",
    "check_trigger_answer",
    "check_viewing",
    "destruction_blockers",
    "flag_step",
    "gaps",
    "incident_status",
    "inspection",
    "next_step",
    "obligations",
    "overdue",
    "referral",
    "referral_state",
    "referral_times",
    "retention",
    "seen_imagery",
    "signoff_declined",
    "signoff_digest",
    "signoff_needed",
    "signoff_payload",
    "status_words",
    "step_states",
    "suggest_trigger4",
    "suggest_triggers",
    "summarize",
    "summary_flags",
    "support_missing",
    "transfer_receipts",
    "trigger_overridden",
    "unacknowledged_breaches",
    "unanswered_triggers",
]


def check_closure(incident: Incident, policy: Policy, data: Mapping[str, Any]) -> None:
    """Refuse to close an incident that is closed, or that has gaps and no reason given.

    The policy wants every incident recorded completely; closing with
    something missing is sometimes right (a pupil left the school), but the
    record must then say why.
    """
    if incident.closed:
        raise ValidationError("status", "This incident is already closed; reopen it first.")
    remaining = gaps(incident, policy)
    reason = data.get("gaps_reason")
    if (
        remaining
        and policy.settings.closure_needs_reason_for_gaps
        and not (isinstance(reason, str) and reason.strip())
    ):
        listed = "; ".join(gap.text for gap in remaining[:5])
        more = f" and {len(remaining) - 5} more" if len(remaining) > 5 else ""
        raise ValidationError(
            "gaps_reason",
            f"{len(remaining)} thing(s) are not yet recorded: {listed}{more}. Record them, "
            "or say why the incident can be closed without them.",
        )


def check_reopen(incident: Incident) -> None:
    """Only a closed incident can be reopened."""
    if not incident.closed:
        raise ValidationError("status", "This incident is open; there is nothing to reopen.")
