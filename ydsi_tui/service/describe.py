"""One line of plain words per event, for the timeline, the CLI and exports.

Written once here so the app's timeline, ``ydsi incident show`` and the
chronology export say the same thing about the same entry. The text returned
is data (it contains what people typed): callers render it as plain text,
never as markup.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from ..model.events import Event
from ..model.policy import Policy
from ..model.records import CSC_FACT_WORDS
from ..model.referrals import AGENCY_WORDS
from ..model.timeparse import date_from_iso, format_local, format_local_date, from_iso
from ..model.wording import choice_words, policy_words

__all__ = ["KIND_LABELS", "describe"]

KIND_LABELS: dict[str, str] = {
    "incident.opened": "Incident opened",
    "incident.kind": "Kind of incident",
    "note": "Note",
    "disclosure": "Disclosure",
    "content.described": "Content described",
    "pupil.added": "Pupil added",
    "pupil.updated": "Pupil updated",
    "adult.added": "Adult involved",
    "pupil.linked": "Pupil linked to their register record",
    "pupil.unlinked": "Pupil unlinked from a register record",
    "pupil.registered": "Pupil record made",
    "pupil.details": "Pupil record updated",
    "pupil.merged": "Pupil records merged",
    "staff.added": "Staff involved",
    "review.meeting": "Initial review meeting",
    "trigger.answered": "Referral trigger",
    "concern.harm": "HARM CONCERN",
    "decision": "Decision",
    "decision.reviewed": "Decision reviewed",
    "signoff": "Headteacher sign-off",
    "signoff.declined": "SIGN-OFF DECLINED",
    "risk.answered": "Risk assessment",
    "parents.informed": "Parents informed",
    "parents.not_informed": "Parents not informed",
    "police.contact": "Police contact",
    "police.outcome": "Police outcome",
    "csc.contact": "Children's social care",
    "agency.meeting": "Inter-agency meeting",
    "other_setting.contact": "Other school or setting",
    "viewing": "Imagery viewed",
    "sighting": "Imagery seen unavoidably",
    "viewing.acknowledged": "Headteacher acknowledged a viewing",
    "staff.support_offered": "Support offered to staff",
    "support.route": "Support route offered",
    "support.not_offered": "Support routes not offered",
    "deletion.police_agreed": "Police agreed to deletion",
    "deletion.requested": "Deletion requested",
    "deletion.confirmed": "Deletion confirmed",
    "deletion.search": "Device searched",
    "discipline": "Disciplinary response (school's choice)",
    "conversation": "Conversation with young person",
    "conversation.not_held": "No conversation with young person",
    "step.status": "Procedure step",
    "incident.closed": "Incident closed",
    "incident.reopened": "Incident reopened",
    "hold.set": "Legal hold set",
    "hold.lifted": "Legal hold lifted",
    "transfer.sent": "Records sent to another school",
    "transfer.receipt": "Receipt from the receiving school",
    "retention.reviewed": "Retention reviewed",
    "staff_report.taken_in": "Report from staff (first-hand account)",
    "device.seized": "Device seized",
    "device.powered_off": "Powered off",
    "device.locked": "Locked away",
    "device.accessed": "Accessed",
    "device.moved": "Moved",
    "device.handover": "Handed to police",
    "device.returned": "Returned",
    "device.note": "Note",
    "device.relinked": "Re-linked",
}


def _s(data: Mapping[str, Any], key: str) -> str:
    value = data.get(key)
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, list | tuple):
        return ", ".join(str(v) for v in value)
    return "" if value is None else str(value)


def _when(data: Mapping[str, Any], key: str) -> str:
    value = data.get(key)
    if not isinstance(value, str):
        return ""
    try:
        return format_local(from_iso(value, key))
    except ValueError:
        return value


def _date(data: Mapping[str, Any], key: str) -> str:
    value = data.get(key)
    if not isinstance(value, str):
        return ""
    try:
        return format_local_date(date_from_iso(value, key))
    except ValueError:
        return value


def _join(*parts: str) -> str:
    return "; ".join(p for p in parts if p)


def _csc_words(data: Mapping[str, Any], *, updated: bool = False) -> str:
    """Children's social care's involvement as recorded; an update also says what it cleared."""
    said: list[str] = []
    worker = _s(data, "social_worker").strip()
    if worker:
        said.append(f"allocated social worker {worker}")
    elif updated and "social_worker" in data:
        said.append("allocated social worker: none")
    for name, words in CSC_FACT_WORDS.items():
        if data.get(name) is True:
            said.append(words)
        elif updated and data.get(name) is False:
            said.append(f"{words}: no")
    return f"children's social care: {', '.join(said)}" if said else ""


def _list(data: Mapping[str, Any], key: str) -> list[str]:
    value = data.get(key)
    return [str(v) for v in value] if isinstance(value, list | tuple) else []


def _agencies(codes: list[str]) -> str:
    """``police``, ``csc`` as "the police and children's social care" (never the codes)."""
    return " and ".join(AGENCY_WORDS.get(code, choice_words(code)) for code in codes)


def _agreed(data: Mapping[str, Any]) -> list[str]:
    agreed = _s(data, "agreed_with")
    return ["police", "csc"] if agreed == "both" else [agreed]


Describer = Callable[[Mapping[str, Any], Policy, Mapping[str, str]], str]


def _label(policy: Policy, vocabulary: str, value: str) -> str:
    try:
        return policy.label(vocabulary, value)
    except (KeyError, ValueError):
        return value


_DESCRIBERS: dict[str, Describer] = {
    "incident.opened": lambda d, p, n: _join(
        _s(d, "summary"), _label(p, "incident_kinds", _s(d, "kind"))
    ),
    "incident.kind": lambda d, p, n: _label(p, "incident_kinds", _s(d, "kind")),
    "note": lambda d, p, n: _s(d, "text"),
    "disclosure": lambda d, p, n: _join(
        f"by {_s(d, 'discloser_name') or _label(p, 'discloser_types', _s(d, 'discloser_type'))}",
        f"to {_s(d, 'to_whom')}",
        _s(d, "how"),
        f"DSL told {_when(d, 'dsl_told_at')}" if d.get("dsl_told_at") else "DSL not yet told",
    ),
    "content.described": lambda d, p, n: _join(
        _s(d, "description"), f"sexual acts: {_s(d, 'sexual_acts')}", f"violent: {_s(d, 'violent')}"
    ),
    "pupil.added": lambda d, p, n: _join(
        _s(d, "name"),
        f"born {_date(d, 'dob')}"
        if d.get("dob")
        else (f"Year {_s(d, 'year_group')}" if d.get("year_group") is not None else ""),
        _s(d, "sex"),
        "part: " + ", ".join(policy_words(p, "pupil_parts", v).lower() for v in _list(d, "parts")),
        "SEN" if d.get("sen") else "",
        _csc_words(d),
    ),
    "pupil.updated": lambda d, p, n: _join(
        f"{n.get(_s(d, 'pupil_id'), 'pupil')} updated", _csc_words(d, updated=True)
    ),
    "adult.added": lambda d, p, n: _join(_s(d, "name"), _s(d, "description")),
    "pupil.linked": lambda d, p, n: (
        f"{n.get(_s(d, 'pupil_id'), 'pupil')} is register pupil {_s(d, 'register_id')}"
    ),
    "pupil.unlinked": lambda d, p, n: _join(
        f"{n.get(_s(d, 'pupil_id'), 'pupil')} is not register pupil {_s(d, 'register_id')}",
        _s(d, "reason"),
    ),
    "pupil.registered": lambda d, p, n: _join(
        _s(d, "name"),
        ("also known as " + ", ".join(_list(d, "other_names"))) if d.get("other_names") else "",
        f"born {_date(d, 'dob')}" if d.get("dob") else f"Year {_s(d, 'year_group')}",
        _s(d, "sex"),
        _csc_words(d),
    ),
    "pupil.details": lambda d, p, n: _join(
        _s(d, "name"),
        ("also known as " + ", ".join(_list(d, "other_names"))) if d.get("other_names") else "",
        f"born {_date(d, 'dob')}" if d.get("dob") else "",
        f"Year {_s(d, 'year_group')}" if d.get("year_group") else "",
        _csc_words(d, updated=True),
    ),
    "pupil.merged": lambda d, p, n: _join(
        (
            f"merge into {_s(d, 'into')} undone"
            if d.get("undone")
            else f"the same child as {_s(d, 'into')}: merged into that record"
        ),
        _s(d, "reason"),
    ),
    "staff.added": lambda d, p, n: _join(_s(d, "name"), _s(d, "role"), _s(d, "involvement")),
    "review.meeting": lambda d, p, n: _join(
        f"attended by {_s(d, 'attendees')}",
        f"{len(d.get('answers') or {})} of {len(p.review_considerations)} considerations answered",
    ),
    "trigger.answered": lambda d, p, n: _join(
        f"{_s(d, 'n')}. {_trigger_text(p, d)}: {_s(d, 'answer').upper()}", _s(d, "basis")
    ),
    "concern.harm": lambda d, p, n: "refer immediately: " + _s(d, "text"),
    "decision": lambda d, p, n: _join(
        "REFER to " + _agencies(_list(d, "refer_to"))
        if d.get("outcome") == "refer"
        else "handle IN SCHOOL",
        _s(d, "reason"),
        f"override: {_s(d, 'override_reason')}" if d.get("override_reason") else "",
        f"input from {_s(d, 'input_from')}" if d.get("input_from") else "",
        f"review by {_when(d, 'review_by')}" if d.get("review_by") else "",
    ),
    "decision.reviewed": lambda d, p, n: _join(choice_words(_s(d, "outcome")), _s(d, "note")),
    "signoff": lambda d, p, n: _s(d, "statement"),
    "signoff.declined": lambda d, p, n: _s(d, "reason"),
    "risk.answered": lambda d, p, n: _join(
        f"for {n.get(_s(d, 'pupil_id'), '?')}" if d.get("pupil_id") else "for nobody named",
        _question(p, _s(d, "question_id")),
        _s(d, "answer"),
    ),
    "parents.informed": lambda d, p, n: _join(
        f"for {n.get(_s(d, 'pupil_id'), '?')}",
        f"told {_s(d, 'who')}",
        _s(d, "how"),
        f"by {_s(d, 'informed_by')}",
    ),
    "parents.not_informed": lambda d, p, n: _join(
        f"for {n.get(_s(d, 'pupil_id'), '?')}",
        _s(d, "reason"),
        f"agreed with {_agencies(_agreed(d))}",
    ),
    "police.contact": lambda d, p, n: _join(
        _label(p, "police_routes", _s(d, "route")),
        f"spoke to {_s(d, 'spoken_to')}",
        f"crime ref {_s(d, 'crime_refs')}" if d.get("crime_refs") else "",
        _s(d, "note"),
    ),
    "police.outcome": lambda d, p, n: _join(
        _label(p, "police_outcomes", _s(d, "outcome")), _s(d, "crime_ref"), _s(d, "note")
    ),
    "csc.contact": lambda d, p, n: _join(
        _s(d, "type"), f"spoke to {_s(d, 'spoken_to')}", _s(d, "reference"), _s(d, "note")
    ),
    "agency.meeting": lambda d, p, n: _join(_s(d, "who"), _s(d, "note")),
    "other_setting.contact": lambda d, p, n: _join(_s(d, "setting"), _s(d, "note")),
    "viewing": lambda d, p, n: _join(
        f"by {_s(d, 'viewer')}",
        f"present: {_s(d, 'present') or 'nobody else'}",
        _s(d, "where"),
        _viewing_reason(p, _s(d, "reason_id")),
        _s(d, "actions"),
        f"{len(d.get('acknowledgements') or {})} of the policy's conditions not met "
        "(reasons recorded; for the Headteacher)"
        if d.get("acknowledgements")
        else "",
    ),
    "sighting": lambda d, p, n: _join(
        f"seen by {_s(d, 'seen_by')}",
        _s(d, "how"),
        _s(d, "actions"),
        f"pictured: {n.get(_s(d, 'pupil_id'), '')}" if d.get("pupil_id") else "",
    ),
    "viewing.acknowledged": lambda d, p, n: _s(d, "note"),
    "staff.support_offered": lambda d, p, n: _join(_s(d, "staff_name"), _s(d, "what")),
    "support.route": lambda d, p, n: _join(
        _label(p, "support_routes", _s(d, "route")),
        f"for {n.get(_s(d, 'pupil_id'), '')}" if d.get("pupil_id") else "",
    ),
    "support.not_offered": lambda d, p, n: _join(
        f"for {n.get(_s(d, 'pupil_id'), '?')}", _s(d, "reason")
    ),
    "deletion.police_agreed": lambda d, p, n: _join(
        f"agreed by {_s(d, 'officer')}", _s(d, "crime_ref"), _s(d, "note")
    ),
    "deletion.requested": lambda d, p, n: _join(
        f"{n.get(_s(d, 'pupil_id'), '?')} asked to delete by {_when(d, 'deadline')}",
        "told possession is illegal" if d.get("told_illegal") else "NOT told it is illegal",
    ),
    "deletion.confirmed": lambda d, p, n: _join(
        f"{n.get(_s(d, 'pupil_id'), '?')} confirmed deletion", _s(d, "how")
    ),
    "deletion.search": lambda d, p, n: _join(f"{n.get(_s(d, 'pupil_id'), '?')}", _s(d, "reason")),
    "discipline": lambda d, p, n: _s(d, "note"),
    "conversation": lambda d, p, n: _join(
        f"with {n.get(_s(d, 'pupil_id'), '?')}", f"by {_s(d, 'by_whom')}", _s(d, "note")
    ),
    "conversation.not_held": lambda d, p, n: _join(
        f"with {n.get(_s(d, 'pupil_id'), '?')}", f"why not: {_s(d, 'reason')}"
    ),
    "step.status": lambda d, p, n: _join(
        _step_title(p, _s(d, "step_id")), choice_words(_s(d, "status")).lower(), _s(d, "reason")
    ),
    "incident.closed": lambda d, p, n: _join(_s(d, "outcome"), _s(d, "rationale")),
    "incident.reopened": lambda d, p, n: _s(d, "reason"),
    "hold.set": lambda d, p, n: _join(
        _s(d, "reason"), f"at the request of {_s(d, 'authority')}" if d.get("authority") else ""
    ),
    "hold.lifted": lambda d, p, n: _s(d, "reason"),
    "transfer.sent": lambda d, p, n: _join(
        f"records of {n.get(_s(d, 'pupil_id'), '?')} sent to {_s(d, 'to_school')}",
        f"for {_s(d, 'to_dsl')}" if d.get("to_dsl") else "",
        f"transfer {_s(d, 'transfer_id')}",
    ),
    "transfer.receipt": lambda d, p, n: _join(
        f"transfer {_s(d, 'transfer_id')} received by {_s(d, 'received_by')}", _s(d, "note")
    ),
    "retention.reviewed": lambda d, p, n: _join(
        f"keep until {_date(d, 'keep_until')}", _s(d, "reason")
    ),
    # The reporter's name and title as typed (not proof), the login as the kernel
    # gave it, then their words verbatim.
    "staff_report.taken_in": lambda d, p, n: _join(
        f"from {_s(d, 'reporter_name')} (name as typed)",
        _s(d, "job_title"),
        f"login {_s(d, 'owner_login')}" if d.get("owner_login") else "login unknown",
        f"received {_when(d, 'received_at')}",
        "ABOUT A MEMBER OF STAFF" if d.get("about_staff") else "",
        f"disclosed by {_s(d, 'disclosed_by')}" if d.get("disclosed_by") else "",
        f"disclosed {_when(d, 'disclosed_at')}" if d.get("disclosed_at") else "",
        f"disclosed {_s(d, 'disclosed_when_text')} (as typed)"
        if d.get("disclosed_when_text")
        else "",
        _s(d, "how"),
        f"in their words: {_s(d, 'words')}",
        f"already done: {_s(d, 'already_done')}" if d.get("already_done") else "",
    ),
    "device.seized": lambda d, p, n: _join(
        _s(d, "description"),
        f"owner {_s(d, 'owner')}",
        f"seized by {_s(d, 'seized_by')}",
        # Seizures now record power-off and lock-up as entries of their own;
        # only older seizures carry them (and then say whether it was off).
        ("powered off" if d.get("powered_off") else "NOT yet powered off")
        if "powered_off" in d
        else "",
        f"locked in {_s(d, 'locked_where')}" if d.get("locked_where") else "",
    ),
    "device.powered_off": lambda d, p, n: f"confirmed by {_s(d, 'confirmed_by')}",
    "device.locked": lambda d, p, n: _s(d, "where"),
    "device.accessed": lambda d, p, n: _join(f"by {_s(d, 'by')}", _s(d, "reason")),
    "device.moved": lambda d, p, n: _join(f"to {_s(d, 'to_where')}", _s(d, "reason")),
    "device.handover": lambda d, p, n: _join(
        f"by {_s(d, 'handed_over_by')}" if d.get("handed_over_by") else "",
        f"to {_s(d, 'officer')}",
        _s(d, "officer_id"),
        f"crime ref {_s(d, 'crime_ref')}",
    ),
    "device.returned": lambda d, p, n: f"to {_s(d, 'to_whom')}",
    "device.note": lambda d, p, n: _s(d, "text"),
    "device.relinked": lambda d, p, n: _join(
        f"to incident {_s(d, 'incident_ref')}", _s(d, "reason")
    ),
}


def _trigger_text(policy: Policy, data: Mapping[str, Any]) -> str:
    try:
        return policy.trigger_text(int(data.get("n", 0)))
    except (KeyError, ValueError, TypeError, IndexError):
        return "trigger"


def _question(policy: Policy, question_id: str) -> str:
    for question in policy.risk_questions:
        if question.id == question_id:
            return question.text
    return question_id


def _viewing_reason(policy: Policy, reason_id: str) -> str:
    for reason in policy.viewing_reasons:
        if reason.id == reason_id:
            return f"reason: {reason.text}"
    return f"reason: {reason_id}"


def _step_title(policy: Policy, step_id: str) -> str:
    for step in policy.steps:
        if step.id == step_id:
            return step.title
    return step_id


def describe(event: Event, policy: Policy, pupil_names: Mapping[str, str]) -> str:
    """A one-line description of an event (its label is ``KIND_LABELS``)."""
    describer = _DESCRIBERS.get(event.kind)
    if describer is None:
        return ""
    try:
        return describer(event.data, policy, pupil_names)
    except (KeyError, ValueError, TypeError, AttributeError):
        return "(details could not be summarised; open the entry to read them)"
