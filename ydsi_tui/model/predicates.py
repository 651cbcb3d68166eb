"""Named facts about an incident that the policy file's checklists refer to.

The policy file says *what* must be recorded at each step by naming these
predicates; this module says *how* that is read from the record. Keeping the
names in one registry lets the loader refuse a policy that names a check the
program does not have, instead of silently treating it as met.

"For each pupil" checks are false when no pupil is recorded: a checklist must
not be ticked off by an empty record.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import TYPE_CHECKING

from ydsi_tui.model.advice import deletion_withheld, support_routes_missing
from ydsi_tui.model.decisions import signoff_declined, signoff_needed
from ydsi_tui.model.referrals import referral_state, referrals_made, trigger_overridden
from ydsi_tui.model.retention import pupil_retention
from ydsi_tui.model.suggestions import against_suggestion
from ydsi_tui.model.timelimits import dsl_told_limit, parents_limit, parents_start
from ydsi_tui.model.triggers import referral
from ydsi_tui.model.viewing_rules import check_viewing, support_missing, unacknowledged_breaches

if TYPE_CHECKING:
    from ydsi_tui.model.incident import Incident
    from ydsi_tui.model.policy import Policy

Predicate = Callable[["Incident", "Policy"], bool]

#: Every predicate a policy file may name, by name.
PREDICATES: dict[str, Predicate] = {}
#: A short sentence per predicate, shown when it is not met.
DESCRIPTIONS: dict[str, str] = {}


def predicate(name: str, description: str) -> Callable[[Predicate], Predicate]:
    def register(function: Predicate) -> Predicate:
        PREDICATES[name] = function
        DESCRIPTIONS[name] = description
        return function

    return register


def _filled(value: str) -> bool:
    return bool(value.strip())


def _each(items: Iterable[str], test: Callable[[str], bool]) -> bool:
    ids = list(items)
    return bool(ids) and all(test(item) for item in ids)


def _refers_to(incident: Incident, agency: str) -> bool:
    current = incident.current_decision
    return current is not None and current.outcome == "refer" and agency in current.refer_to


def _referred_to(incident: Incident, agency: str) -> bool:
    """Referred to `agency` by a decision, or by a referral recorded as made.

    A referral is the contact, not the decision (finding 1): an incident whose
    101 call is recorded was referred to the police whether or not a decision
    says so, and following it up is owed all the same.
    """
    return _refers_to(incident, agency) or any(
        made.agency == agency for made in referrals_made(incident)
    )


def _in_school(incident: Incident) -> bool:
    current = incident.current_decision
    return current is not None and current.outcome == "in_school"


# ----------------------------------------------------------- disclosure


@predicate("disclosure_recorded", "Who disclosed, to whom, when and how")
def disclosure_recorded(incident: Incident, policy: Policy) -> bool:
    d = incident.disclosure
    return (
        d is not None
        and d.disclosed_at is not None
        and _filled(d.discloser_type)
        and _filled(d.to_whom)
        and _filled(d.how)
    )


@predicate("dsl_told_time_recorded", "When the DSL was told")
def dsl_told_time_recorded(incident: Incident, policy: Policy) -> bool:
    # A report from staff taken in from the drop says when it reached the DSL.
    return incident.disclosure is not None and incident.dsl_knew_at is not None


@predicate("dsl_told_within_limit", "The DSL told within the time the policy allows")
def dsl_told_within_limit(incident: Incident, policy: Policy) -> bool:
    d = incident.disclosure
    knew = incident.dsl_knew_at
    if d is None or d.disclosed_at is None or knew is None:
        return False
    return knew <= dsl_told_limit(policy).due(d.disclosed_at)


@predicate("pupils_recorded", "The young people involved, each with their part")
def pupils_recorded(incident: Incident, policy: Policy) -> bool:
    return _each(incident.pupils, lambda pid: bool(incident.pupils[pid].parts))


# ------------------------------------------------------ review meeting


@predicate("review_meeting_recorded", "The initial review meeting: when, and who attended")
def review_meeting_recorded(incident: Incident, policy: Policy) -> bool:
    meeting = incident.review_meeting
    return meeting is not None and meeting.held_at is not None and bool(meeting.attendees)


@predicate("all_considerations_answered", "An answer to each initial review consideration")
def all_considerations_answered(incident: Incident, policy: Policy) -> bool:
    meeting = incident.review_meeting
    if meeting is None:
        return False
    return all(_filled(meeting.answers.get(item.id, "")) for item in policy.review_considerations)


@predicate("content_described", "What is known about the content of the imagery, in words")
def content_described(incident: Incident, policy: Policy) -> bool:
    return incident.content is not None and _filled(incident.content.description)


# ---------------------------------------------------------- decision


@predicate("all_triggers_answered", "Each immediate referral trigger answered yes or no")
def all_triggers_answered(incident: Incident, policy: Policy) -> bool:
    return all(
        trigger.n in incident.triggers and incident.triggers[trigger.n].answer in ("yes", "no")
        for trigger in policy.triggers
    )


@predicate("decision_recorded", "The decision: refer out, or respond in school")
def decision_recorded(incident: Incident, policy: Policy) -> bool:
    return incident.current_decision is not None


@predicate(
    "referral_made_if_required",
    "A referral where a trigger applies or a young person has been harmed or is at risk",
)
def referral_made_if_required(incident: Incident, policy: Policy) -> bool:
    """Met by recorded referrals (contacts), never by a decision to refer alone."""
    return not referral(incident, policy).pending


@predicate(
    "referrals_within_limit",
    "Each required referral recorded within the time the policy allows (immediately)",
)
def referrals_within_limit(incident: Incident, policy: Policy) -> bool:
    return not referral_state(incident, policy).late(policy)


@predicate(
    "no_trigger_overridden",
    "No response in school that sets aside a trigger whose referral was never made",
)
def no_trigger_overridden(incident: Incident, policy: Policy) -> bool:
    return not trigger_overridden(incident, policy)


@predicate(
    "trigger_answers_agree_or_explained",
    "Each trigger answered against what the record suggests says why",
)
def trigger_answers_agree_or_explained(incident: Incident, policy: Policy) -> bool:
    return not against_suggestion(incident, policy)


@predicate("decision_reasons_recorded", "The reasons for the decision")
def decision_reasons_recorded(incident: Incident, policy: Policy) -> bool:
    current = incident.current_decision
    return current is not None and _filled(current.reason)


@predicate("signoff_if_in_school", "The Headteacher's sign-off of a decision not to refer")
def signoff_if_in_school(incident: Incident, policy: Policy) -> bool:
    return not signoff_needed(incident)


@predicate(
    "signoff_not_declined",
    "No decision the Headteacher declined to sign left unrevised",
)
def signoff_not_declined(incident: Incident, policy: Policy) -> bool:
    return signoff_declined(incident) is None


# ------------------------------------------------------------- risks


@predicate("risk_questions_answered", "For each young person, an answer to each risk question")
def risk_questions_answered(incident: Incident, policy: Policy) -> bool:
    """Per pupil: the sender and the pictured pupil need different answers."""

    def answered(pupil_id: str) -> bool:
        answers = incident.risk_answers.get(pupil_id, {})
        return all(
            question.id in answers and _filled(answers[question.id].text("answer"))
            for question in policy.risk_questions
        )

    return _each(incident.pupils, answered)


@predicate("risks_assessed_if_in_school", "The risks assessed, where handled in school")
def risks_assessed_if_in_school(incident: Incident, policy: Policy) -> bool:
    return not _in_school(incident) or risk_questions_answered(incident, policy)


# ------------------------------------------------------------ parents


@predicate(
    "parents_informed_or_reason_for_each_pupil",
    "For each young person, their parents or carers informed, or why not",
)
def parents_informed_or_reason_for_each_pupil(incident: Incident, policy: Policy) -> bool:
    return _each(incident.pupils, lambda pid: bool(incident.parents.get(pid)))


@predicate(
    "parents_informed_within_limit",
    "For each young person, their parents or carers informed within the time the policy "
    "allows, or a reason why not recorded",
)
def parents_informed_within_limit(incident: Incident, policy: Policy) -> bool:
    """Informed by the limit, or a decision not to inform with its reason (at any time)."""
    due = parents_limit(policy).due(parents_start(incident))

    def timely(pid: str) -> bool:
        entries = incident.parents.get(pid, ())
        return any((not e.informed and _filled(e.reason)) or e.at <= due for e in entries)

    return _each(incident.pupils, timely)


# ------------------------------------------------------------- police


@predicate("police_contact_recorded", "How the police were contacted and who was spoken to")
def police_contact_recorded(incident: Incident, policy: Policy) -> bool:
    return any(_filled(contact.spoken_to) for contact in incident.police_contacts)


@predicate("crime_refs_recorded", "The crime reference numbers given")
def crime_refs_recorded(incident: Incident, policy: Policy) -> bool:
    return bool(incident.crime_refs)


@predicate("police_outcome_recorded", "The outcome the police gave")
def police_outcome_recorded(incident: Incident, policy: Policy) -> bool:
    return bool(incident.police_outcomes)


@predicate("police_contact_if_referred", "Contact with the police, where referred to them")
def police_contact_if_referred(incident: Incident, policy: Policy) -> bool:
    return not _refers_to(incident, "police") or police_contact_recorded(incident, policy)


# ---------------------------------------------------- social care and agencies


@predicate(
    "csc_contact_if_referred",
    "The referral to children's social care (where referred to them), and each contact",
)
def csc_contact_if_referred(incident: Incident, policy: Policy) -> bool:
    if _refers_to(incident, "csc"):
        return any(contact.type == "referral" for contact in incident.csc_contacts)
    return True


def known_to_csc(incident: Incident) -> tuple[str, ...]:
    """The young people CSC are, may be or have been involved with (their ids)."""
    return tuple(pid for pid, pupil in incident.pupils.items() if pupil.known_to_csc)


@predicate(
    "csc_contacted_if_known",
    "Contact with children's social care, where they are, may be or have been involved "
    "with a young person",
)
def csc_contacted_if_known(incident: Incident, policy: Policy) -> bool:
    """The policy's CSC clause, for any decision: a contact (or referral) recorded."""
    return not known_to_csc(incident) or any(
        _filled(contact.spoken_to) for contact in incident.csc_contacts
    )


@predicate("police_followup", "Follow-up with the police, where referred to them")
def police_followup(incident: Incident, policy: Policy) -> bool:
    return not _referred_to(incident, "police") or (
        bool(incident.police_outcomes) or len(incident.police_contacts) >= 2
    )


@predicate("csc_followup", "Follow-up with children's social care, where referred to them")
def csc_followup(incident: Incident, policy: Policy) -> bool:
    return not _referred_to(incident, "csc") or (
        len(incident.csc_contacts) >= 2 or bool(incident.agency_meetings)
    )


@predicate("agency_followup", "Follow-up with the agencies the incident was referred to")
def agency_followup(incident: Incident, policy: Policy) -> bool:
    return police_followup(incident, policy) and csc_followup(incident, policy)


@predicate(
    "agency_meeting_if_referred",
    "Attendance at or contribution to inter-agency meetings, where referred out",
)
def agency_meeting_if_referred(incident: Incident, policy: Policy) -> bool:
    if not (_referred_to(incident, "police") or _referred_to(incident, "csc")):
        return True
    return bool(incident.agency_meetings)


# ------------------------------------------------------------ devices


@predicate(
    "devices_handed_over_or_returned",
    "Each device of the incident handed to the police or returned, as the device log shows",
)
def devices_handed_over_or_returned(incident: Incident, policy: Policy) -> bool:
    """Read from the custody log's facts, passed in by a reader holding the custody key.

    Not met while any device is still held by the school, when no device is
    logged (the DSL marks the step not applicable if none was seized), or
    when the log was not read.
    """
    devices = incident.custody
    return bool(devices) and all(
        device.status in ("handed_over", "returned") for device in devices or ()
    )


# ------------------------------------------------------------ viewing


@predicate("viewing_recorded_fully", "Each viewing recorded in full, every rule met or explained")
def viewing_recorded_fully(incident: Incident, policy: Policy) -> bool:
    for viewing in incident.viewings:
        acknowledged = viewing.data.get("acknowledgements")
        if not isinstance(acknowledged, Mapping):
            acknowledged = {}
        for finding in check_viewing(viewing.data, incident, policy):
            reason = acknowledged.get(finding.rule_id)
            if not (isinstance(reason, str) and _filled(reason)):
                return False
    return True


@predicate(
    "staff_support_offered_after_viewing",
    "Support offered to each member of staff who viewed the imagery",
)
def staff_support_offered_after_viewing(incident: Incident, policy: Policy) -> bool:
    """Each viewing and sighting has support recorded against it, by its entry id.

    Never by name: "Mrs Karen Lowe (science teacher)" and "Mrs Karen Lowe"
    are the same person, and two people may share a name.
    """
    return not support_missing(incident)


@predicate(
    "viewing_breaches_acknowledged",
    "Each deliberate viewing that broke a condition of the policy acknowledged by the Headteacher",
)
def viewing_breaches_acknowledged(incident: Incident, policy: Policy) -> bool:
    return not unacknowledged_breaches(incident, policy)


# ----------------------------------------------------------- deletion


@predicate("deletion_requested_for_each_pupil", "Each young person asked to delete the imagery")
def deletion_requested_for_each_pupil(incident: Incident, policy: Policy) -> bool:
    return _each(
        incident.pupils,
        lambda pid: pid in incident.deletions and bool(incident.deletions[pid].requests),
    )


@predicate("told_illegal_for_each_pupil", "Each young person told that possession is illegal")
def told_illegal_for_each_pupil(incident: Incident, policy: Policy) -> bool:
    return _each(
        incident.pupils,
        lambda pid: pid in incident.deletions and incident.deletions[pid].told_illegal,
    )


@predicate("deletion_confirmed_for_each_pupil", "Each young person's deletion confirmed")
def deletion_confirmed_for_each_pupil(incident: Incident, policy: Policy) -> bool:
    return _each(
        incident.pupils,
        lambda pid: pid in incident.deletions and incident.deletions[pid].confirmed,
    )


@predicate(
    "deletion_confirmed_or_pending",
    "Every deletion asked for is confirmed or has a deadline to chase",
)
def deletion_confirmed_or_pending(incident: Incident, policy: Policy) -> bool:
    return all(
        deletion.confirmed or deletion.deadline is not None
        for deletion in incident.deletions.values()
    )


@predicate(
    "deletion_handled_if_in_school",
    "Deletion asked for and confirmed, where handled in school",
)
def deletion_handled_if_in_school(incident: Incident, policy: Policy) -> bool:
    if deletion_withheld(incident, policy) is not None:
        return True  # the advice for this kind: keep the evidence, delete nothing
    return not _in_school(incident) or (
        deletion_requested_for_each_pupil(incident, policy)
        and deletion_confirmed_for_each_pupil(incident, policy)
    )


# ------------------------------------------------------------ talking


@predicate(
    "conversation_recorded",
    "For each young person, the conversation with them, or why there was none",
)
def conversation_recorded(incident: Incident, policy: Policy) -> bool:
    """Each pupil talked to (what was found out), or the reason they were not.

    One conversation with one pupil must not complete "talking to the young
    people" for the others.
    """
    talked = {e.pupil_id for e in incident.conversations if _filled(e.text("note"))}
    not_held = {e.pupil_id for e in incident.conversations_not_held if _filled(e.text("reason"))}
    return _each(incident.pupils, lambda pid: pid in talked or pid in not_held)


# ---------------------------------------------------- support routes


@predicate(
    "support_routes_offered_to_each_pictured_pupil",
    "Support and reporting routes offered to each pictured young person, or why not",
)
def support_routes_offered_to_each_pictured_pupil(incident: Incident, policy: Policy) -> bool:
    return bool(incident.pupils) and not support_routes_missing(incident)


# ------------------------------------------------------------ closing


@predicate("closure_summary", "A closing summary with actions, outcome and rationale")
def closure_summary(incident: Incident, policy: Policy) -> bool:
    closed = incident.closure.closed
    return closed is not None and all(
        _filled(closed.text(key)) for key in ("summary", "actions", "outcome", "rationale")
    )


@predicate(
    "transfers_receipted",
    "The receiving school's receipt for each young person's records sent to another school",
)
def transfers_receipted(incident: Incident, policy: Policy) -> bool:
    return all(transfer.received for transfer in incident.transfers)


@predicate(
    "retention_date_known",
    "How long the record is kept: a date of birth or year group for each young person",
)
def retention_date_known(incident: Incident, policy: Policy) -> bool:
    """Safe keeping needs a keep-until date, and that needs each pupil's age."""
    return _each(
        incident.pupils,
        lambda pid: pupil_retention(incident, incident.pupils[pid]).basis != "unknown",
    )


@predicate("policy_recorded", "The policy the incident was handled under")
def policy_recorded(incident: Incident, policy: Policy) -> bool:
    meta = incident.meta
    return (
        _filled(meta.policy_name) and _filled(meta.policy_version) and len(meta.policy_digest) == 64
    )
