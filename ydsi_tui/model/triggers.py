"""Whether the policy requires an immediate referral, and a suggestion for trigger 4.

The policy is unambiguous: any one trigger, or a concern at any point that a
young person has been harmed or is at risk, means a referral to the police
and/or children's social care immediately. The reasons quote the policy's
words (with the age threshold in force) so that nobody has to look them up.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from typing import TYPE_CHECKING

from ydsi_tui.model.ages import age_range
from ydsi_tui.model.referrals import AGENCY_WORDS, referral_state, trigger_overridden

if TYPE_CHECKING:
    from ydsi_tui.model.incident import Incident
    from ydsi_tui.model.policy import Policy

AGE_TRIGGER = 4


@dataclass(frozen=True)
class Referral:
    """Whether the record requires a referral, why, and whether one is still owed.

    `required`: a trigger is YES, a harm concern is recorded, or the decision
    is to refer. `pending`: some required referral is not yet recorded (the
    incident says REFER NOW until it is); `outstanding` says to whom, in words;
    `due_at` is when it becomes overdue. `overridden`: the current decision
    responds in school although a trigger's referral was never made.
    """

    required: bool
    reasons: list[str] = field(default_factory=list)
    pending: bool = False
    outstanding: list[str] = field(default_factory=list)
    since: datetime | None = None
    due_at: datetime | None = None
    overridden: bool = False


@dataclass(frozen=True)
class Suggestion:
    """A suggested answer (yes | no | unknown) for the DSL to accept or overrule."""

    answer: str
    basis: str


def trigger_wording(policy: Policy, n: int) -> str:
    try:
        return policy.trigger_text(n)
    except KeyError:
        return f"trigger {n} (not in this policy)"


def referral(incident: Incident, policy: Policy) -> Referral:
    """Any trigger answered yes, or any harm concern, requires a referral."""
    reasons = [
        f"Trigger {n}: {trigger_wording(policy, n)}"
        for n, answer in sorted(incident.triggers.items())
        if answer.answer == "yes"
    ]
    if incident.harm_concerns:
        count = len(incident.harm_concerns)
        recorded = "A concern was recorded" if count == 1 else f"{count} concerns were recorded"
        reasons.append(
            f"{recorded} that a young person has been harmed or is at risk of harm: "
            f"{policy.harm_concern_text}"
        )
    state = referral_state(incident, policy)
    current = incident.current_decision
    if current is not None and current.outcome == "refer" and current.refer_to:
        agencies = " and ".join(AGENCY_WORDS.get(a, a) for a in current.refer_to)
        reasons.append(f"The decision is to refer to {agencies}.")
    outstanding = list(dict.fromkeys(r.words for r in state.outstanding))
    return Referral(
        required=bool(state.requirements) or bool(state.waived),
        reasons=reasons,
        pending=state.pending,
        outstanding=outstanding,
        since=state.since,
        due_at=state.due_at(policy),
        overridden=trigger_overridden(incident, policy),
    )


def suggest_trigger4(incident: Incident, policy: Policy, *, on: date | None = None) -> Suggestion:
    """Suggest trigger 4 from the pictured pupils' ages and the content description.

    Trigger 4 needs both sexual acts and a pictured pupil under the threshold,
    so it is yes only when both are yes, no as soon as either is no, and not
    known otherwise. The basis always names the threshold in force.
    """
    threshold = policy.settings.trigger4_age_threshold
    day = on or incident.incident_date
    lines = [f"This policy's threshold is under {threshold}."]
    acts = incident.content.sexual_acts if incident.content is not None else "unknown"
    if incident.content is None:
        lines.append("Sexual acts: not known (the content has not been described).")
    else:
        lines.append(f"Sexual acts: {_word(acts)} (from the description of the content).")
    under = _any_pictured_under(incident, threshold, day, lines)
    return Suggestion(answer=_both(acts, under), basis=" ".join(lines))


def _any_pictured_under(incident: Incident, threshold: int, day: date, lines: list[str]) -> str:
    pictured = [pupil for pupil in incident.pupils.values() if pupil.pictured]
    if not pictured:
        lines.append("No young person is recorded as pictured in the imagery.")
        return "unknown"
    answers: list[str] = []
    for pupil in pictured:
        ages = age_range(pupil.dob, pupil.year_group, day)
        name = pupil.name or "A pictured young person"
        if ages is None:
            lines.append(f"{name}: age not known (no date of birth or year group).")
            answers.append("unknown")
        elif ages.high < threshold:
            lines.append(f"{name}: {ages.describe()}, under {threshold}.")
            answers.append("yes")
        elif ages.low >= threshold:
            lines.append(f"{name}: {ages.describe()}, not under {threshold}.")
            answers.append("no")
        else:
            lines.append(
                f"{name}: {ages.describe()}, which may or may not be under {threshold}; "
                "a date of birth would settle it."
            )
            answers.append("unknown")
    if "yes" in answers:
        return "yes"
    if all(answer == "no" for answer in answers):
        return "no"
    return "unknown"


def _both(first: str, second: str) -> str:
    """Three-valued AND: no beats unknown, unknown beats yes."""
    if "no" in (first, second):
        return "no"
    if first == second == "yes":
        return "yes"
    return "unknown"


def _word(answer: str) -> str:
    return {"yes": "yes", "no": "no"}.get(answer, "not known")
