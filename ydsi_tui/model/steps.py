"""Where an incident stands in the procedure, step by step.

A step is done when its required checklist is met, or when the DSL says so;
it can be marked not applicable or left for later, each with a reason.
Steps that depend on the decision (police, deletion...) are skipped by rule
once the decision rules them out, and shown as still to do before it is made.
The first step not yet done is the current one: the program always has an
answer to "what next?", in the policy's order.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from ydsi_tui.model.advice import step_withheld
from ydsi_tui.model.incident import Incident, StepStatus
from ydsi_tui.model.policy import CONFIRMED_BY_DSL, ChecklistItem, InspectionQuestion, Policy, Step
from ydsi_tui.model.predicates import DESCRIPTIONS, PREDICATES, known_to_csc
from ydsi_tui.model.referrals import referral_state

STATES = ("done", "not_applicable", "later", "current", "to_do", "skipped_by_rule")

#: The check met by the act of closing, so never a reason not to close.
CLOSING_CHECK = "closure_summary"


@dataclass(frozen=True)
class StepState:
    step: Step
    state: str
    missing: list[str] = field(default_factory=list)
    status: StepStatus | None = None
    applies: bool | None = True
    #: Ids of every checklist item not met, optional ones too: an optional
    #: item never recorded is not shown as ticked.
    unmet: frozenset[str] = frozenset()

    def met(self, item: ChecklistItem) -> bool:
        return item.id not in self.unmet


@dataclass(frozen=True)
class Gap:
    step_id: str
    text: str


@dataclass(frozen=True)
class InspectionFinding:
    question: InspectionQuestion
    met: bool
    missing: list[str]
    #: The step to fix the first thing missing (the question's own if none is).
    fix_step: str
    #: Each thing missing with the step that records it, in the question's order.
    fixes: tuple[tuple[str, str], ...] = ()


def applies(step: Step, incident: Incident) -> bool | None:
    """Whether the step is part of this incident's procedure; None until the decision says."""
    rule = step.applies
    if rule == "always":
        return True
    if rule == "if_viewed":
        return bool(incident.viewings or incident.sightings)
    current = incident.current_decision
    if rule == "if_police" and (incident.police_contacts or incident.police_outcomes):
        return True
    if rule == "if_csc" and (incident.csc_contacts or known_to_csc(incident)):
        # The policy: contact CSC if they "are, may be or have been involved",
        # whatever the decision (an in-school response too).
        return True
    if current is None:
        return None
    if rule == "if_in_school":
        return current.outcome == "in_school"
    agency = {"if_police": "police", "if_csc": "csc"}.get(rule)
    return current.outcome == "refer" and agency in current.refer_to


def item_met(
    item: ChecklistItem, incident: Incident, policy: Policy, status: StepStatus | None
) -> bool:
    if item.check == CONFIRMED_BY_DSL:
        return status is not None and status.status == "done"
    check = PREDICATES.get(item.check)
    return check is not None and check(incident, policy)


def step_states(incident: Incident, policy: Policy) -> list[StepState]:
    """Every step of the policy in order, with its state and what is missing."""
    states: list[StepState] = []
    have_current = False
    for step in policy.steps:
        status = incident.step_statuses.get(step.id)
        required = [item for item in step.checklist if item.required]
        unmet = frozenset(
            item.id for item in step.checklist if not item_met(item, incident, policy, status)
        )
        missing = [item.text for item in required if item.id in unmet]
        rule = applies(step, incident)
        if rule is not False and step_withheld(step, incident, policy) is not None:
            rule = False  # the advice for this kind keeps the evidence: no deletion
        if status is not None and status.status in ("done", "not_applicable", "later"):
            state = status.status
        elif rule is False:
            state = "skipped_by_rule"
        elif required and not missing and rule is not None:
            state = "done"
        elif have_current:
            state = "to_do"
        else:
            state, have_current = "current", True
        states.append(StepState(step, state, missing, status, rule, unmet))
    return states


def next_step(incident: Incident, policy: Policy) -> Step | None:
    """The current step; failing that the first left for later; None when nothing is left."""
    states = step_states(incident, policy)
    for wanted in ("current", "later"):
        for state in states:
            if state.state == wanted:
                return state.step
    return None


def gaps(incident: Incident, policy: Policy) -> list[Gap]:
    """What is still not recorded, for closing: a reason is needed to close with gaps."""
    found: list[Gap] = []
    for state in step_states(incident, policy):
        if state.state in ("not_applicable", "skipped_by_rule") or state.applies is None:
            continue
        if state.state == "later":
            reason = state.status.reason if state.status is not None else ""
            found.append(Gap(state.step.id, f"{state.step.title}: left for later ({reason})"))
        closing_texts = {item.text for item in state.step.checklist if item.check == CLOSING_CHECK}
        found.extend(
            Gap(state.step.id, f"{state.step.title}: {text}")
            for text in state.missing
            if text not in closing_texts
        )
    return found


#: Checks met by a referral made: fixed where the referral is recorded, the step
#: of the agency it is owed to, not where it was decided.
REFERRAL_CHECKS = frozenset(
    {"referral_made_if_required", "referrals_within_limit", "no_trigger_overridden"}
)
#: The check of the step where a contact with each agency is recorded.
_AGENCY_CHECKS = {"police": "police_contact_recorded", "csc": "csc_contact_if_referred"}


def _step_recording(policy: Policy, check: str) -> str | None:
    for step in policy.steps:
        if any(item.check == check for item in step.checklist):
            return step.id
    return None


def fix_step(question: InspectionQuestion, check: str, incident: Incident, policy: Policy) -> str:
    """The step at which what `check` looks for is recorded, for this incident."""
    if check in REFERRAL_CHECKS:
        state = referral_state(incident, policy)
        owed = [req for req, _ in state.late(policy)] or list(state.outstanding)
        for requirement in owed:
            for agency in requirement.agencies:
                step_id = _step_recording(policy, _AGENCY_CHECKS.get(agency, ""))
                if step_id is not None:
                    return step_id
    return question.step_for(check)


#: Each dated obligation of an incident, by the check it is the deadline of.
FLAG_CHECKS = {
    "dsl_delay": "dsl_told_within_limit",
    "referral_required": "referral_made_if_required",
    "referral_overdue": "referrals_within_limit",
    "signoff_waiting": "signoff_if_in_school",
    "signoff_declined": "signoff_not_declined",
    "viewing_breach": "viewing_breaches_acknowledged",
    "csc_contact_due": "csc_contacted_if_known",
    "parents_not_informed": "parents_informed_or_reason_for_each_pupil",
    "deletion_overdue": "deletion_confirmed_for_each_pupil",
    "decision_review_due": "decision_recorded",  # a review is recorded with the decision
    "transfer_receipt_missing": "transfers_receipted",
}


def flag_step(code: str, incident: Incident, policy: Policy) -> str | None:
    """The step at which what an overdue obligation waits for is recorded (None: unknown)."""
    check = FLAG_CHECKS.get(code)
    if check is None:
        return None
    for question in policy.inspection_questions:
        if check in question.checks:
            return fix_step(question, check, incident, policy)
    return _step_recording(policy, check)


def inspection(incident: Incident, policy: Policy) -> list[InspectionFinding]:
    """The inspectorate's questions, each answered from the record."""
    findings: list[InspectionFinding] = []
    for question in policy.inspection_questions:
        unmet = [
            name
            for name in question.checks
            if not (name in PREDICATES and PREDICATES[name](incident, policy))
        ]
        fixes = tuple(
            (DESCRIPTIONS.get(name, name), fix_step(question, name, incident, policy))
            for name in unmet
        )
        findings.append(
            InspectionFinding(
                question,
                not unmet,
                [text for text, _ in fixes],
                fixes[0][1] if fixes else question.fix_step,
                fixes,
            )
        )
    return findings
