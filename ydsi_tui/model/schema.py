"""What each kind of entry must contain, declared as data.

Other layers build forms from these specs and the model refuses anything
that does not fit them, so a record can only ever hold entries the
procedure understands. Free text goes through `check_text` (which refuses
imagery); times and dates are normalised to their stored ISO forms; ids
that must come from the policy are checked against the policy in force.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from datetime import date, datetime
from typing import Any

from ydsi_tui.model.errors import ValidationError
from ydsi_tui.model.policy import VOCABULARIES, Policy
from ydsi_tui.model.text import (
    LONG_TEXT_MAX_CHARS,
    NAME_MAX_CHARS,
    REF_MAX_CHARS,
    TEXT_MAX_CHARS,
    check_text,
)
from ydsi_tui.model.timeparse import (
    FUTURE_TOLERANCE,
    check_dob,
    date_from_iso,
    date_to_iso,
    format_local,
    from_iso,
    to_iso_utc,
    to_local,
)
from ydsi_tui.model.viewing_rules import (
    SAME_SEX,
    UNAVOIDABLE_REASON,
    VIEWER_ROLES,
    check_viewing,
)

YES_NO_UNKNOWN = ("yes", "no", "unknown")
SEXES = ("female", "male", "other", "unknown")
STEP_STATUSES = ("done", "not_applicable", "later")
REFER_TO = ("police", "csc")
MAX_LIST_ITEMS = 100

_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.:-]{0,63}$")
#: How the device log names a device's owner: initials or a code the DSL chooses.
#: Technicians read the device log, so it must never hold a young person's name;
#: a name has spaces or lower-case letters, which this refuses.
_OWNER_LABEL = re.compile(r"^[A-Z0-9][A-Z0-9./-]{0,11}$")
_EVENT_ID = re.compile(r"^[0-9a-f]{32}$")
_SHA256 = re.compile(r"^[0-9a-f]{64}$")
_BASE64 = re.compile(r"^[A-Za-z0-9+/_-]+={0,2}$")


@dataclass(frozen=True)
class Field:
    """One payload field.

    `type` is one of: text, name, label, ref, id, event_id, bool, int, choice, vocab,
    datetime, date, names, refs, choices, vocabs, answers, acknowledgements,
    sha256, base64. `vocab` names a policy list for vocab/vocabs/answers
    (a vocabulary such as ``incident_kinds``, or ``steps``,
    ``review_considerations``, ``risk_questions``, ``viewing_rules``).
    A datetime may lie in the future only if `future` is set.
    """

    type: str
    required: bool = True
    choices: tuple[str, ...] = ()
    vocab: str | None = None
    max_chars: int = TEXT_MAX_CHARS
    low: int | None = None
    high: int | None = None
    future: bool = False


TEXT = Field("text")
LONG_TEXT = Field("text", max_chars=LONG_TEXT_MAX_CHARS)
OPTIONAL_TEXT = Field("text", required=False)
NAME = Field("name", max_chars=NAME_MAX_CHARS)
OPTIONAL_NAME = Field("name", required=False, max_chars=NAME_MAX_CHARS)
PUPIL_ID = Field("id")
OPTIONAL_PUPIL_ID = Field("id", required=False)
YNU = Field("choice", choices=YES_NO_UNKNOWN)
#: A pupil register record's stable id (``P-`` and twelve hex digits, never a name).
REGISTER_ID = Field("id")


def _vocab(name: str, required: bool = True) -> Field:
    return Field("vocab", required=required, vocab=name)


_PUPIL_FIELDS: dict[str, Field] = {
    "pupil_id": PUPIL_ID,
    "name": NAME,
    "dob": Field("date", required=False),
    "year_group": Field("int", required=False, low=1, high=14),
    "sex": Field("choice", choices=SEXES),
    "parts": Field("vocabs", vocab="pupil_parts"),
    "sen": Field("bool"),
    "vulnerabilities": Field("text", required=False),
    "capacity_concern": Field("bool", required=False),
    # Known to children's social care (the policy: contact CSC if they "are, may be
    # or have been involved"): any one of these makes a CSC contact due.
    "social_worker": OPTIONAL_NAME,
    "cp_plan": Field("bool", required=False),
    "child_in_need": Field("bool", required=False),
    "looked_after": Field("bool", required=False),
    "ehcp": Field("bool", required=False),
    "previously_known": Field("bool", required=False),
}

#: Payload fields of each incident entry kind (the contract other layers use).
INCIDENT_SCHEMAS: dict[str, dict[str, Field]] = {
    "incident.opened": {"summary": TEXT, "kind": _vocab("incident_kinds")},
    "incident.kind": {"kind": _vocab("incident_kinds")},
    "note": {"text": LONG_TEXT},
    "disclosure": {
        "discloser_type": _vocab("discloser_types"),
        "discloser_name": OPTIONAL_NAME,
        "to_whom": NAME,
        "how": TEXT,
        "disclosed_at": Field("datetime"),
        "dsl_told_at": Field("datetime", required=False),
    },
    "content.described": {"description": LONG_TEXT, "sexual_acts": YNU, "violent": YNU},
    "pupil.added": _PUPIL_FIELDS,
    "pupil.updated": {
        name: (spec if name == "pupil_id" else replace(spec, required=False))
        for name, spec in _PUPIL_FIELDS.items()
    },
    "adult.added": {"adult_id": PUPIL_ID, "name": NAME, "description": OPTIONAL_TEXT},
    # This incident's pupil is the register's child (model/register.py), or not after all.
    "pupil.linked": {"pupil_id": PUPIL_ID, "register_id": REGISTER_ID},
    "pupil.unlinked": {"pupil_id": PUPIL_ID, "register_id": REGISTER_ID, "reason": TEXT},
    "staff.added": {"name": NAME, "role": NAME, "involvement": TEXT},
    "review.meeting": {
        "held_at": Field("datetime"),
        "attendees": Field("names"),
        "answers": Field("answers", vocab="review_considerations"),
    },
    "trigger.answered": {
        "n": Field("int", low=1, vocab="triggers"),
        "answer": YNU,
        "basis": OPTIONAL_TEXT,
        "reason_against_suggestion": OPTIONAL_TEXT,
    },
    "concern.harm": {"text": TEXT},
    "decision": {
        "outcome": Field("choice", choices=("refer", "in_school")),
        "refer_to": Field("choices", required=False, choices=REFER_TO),
        "reason": OPTIONAL_TEXT,
        "input_from": Field("names", required=False),
        "override_reason": OPTIONAL_TEXT,
        "review_by": Field("datetime", required=False, future=True),
    },
    "decision.reviewed": {
        "decision_id": Field("event_id"),
        "outcome": Field("choice", choices=("confirmed", "escalated")),
        "note": OPTIONAL_TEXT,
    },
    "signoff": {
        "decision_id": Field("event_id"),
        "statement": TEXT,
        "signature": Field("base64"),
        "key_id": Field("ref", max_chars=REF_MAX_CHARS),
        "payload_sha256": Field("sha256"),
    },
    # The Headteacher's refusal to sign: the decision stays waiting, and the DSL
    # must revise it or refer (the reason goes into the record, not the flag).
    "signoff.declined": {"decision_id": Field("event_id"), "reason": TEXT},
    # "For each young person": the sender and the pictured pupil answer differently.
    "risk.answered": {
        "pupil_id": PUPIL_ID,
        "question_id": _vocab("risk_questions"),
        "answer": TEXT,
    },
    "parents.informed": {"pupil_id": PUPIL_ID, "who": NAME, "how": TEXT, "informed_by": NAME},
    "parents.not_informed": {
        "pupil_id": PUPIL_ID,
        "reason": TEXT,
        "agreed_with": Field("choice", choices=("csc", "police", "both")),
    },
    "police.contact": {
        "route": _vocab("police_routes"),
        "spoken_to": NAME,
        "crime_refs": Field("refs", required=False),
        "note": OPTIONAL_TEXT,
    },
    "police.outcome": {
        "outcome": _vocab("police_outcomes"),
        "crime_ref": Field("ref", required=False, max_chars=REF_MAX_CHARS),
        "note": OPTIONAL_TEXT,
    },
    "csc.contact": {
        "type": Field("choice", choices=("contact", "referral")),
        "spoken_to": NAME,
        "reference": Field("ref", required=False, max_chars=REF_MAX_CHARS),
        "note": OPTIONAL_TEXT,
    },
    "agency.meeting": {"who": TEXT, "note": OPTIONAL_TEXT},
    "other_setting.contact": {"setting": NAME, "note": OPTIONAL_TEXT},
    "viewing": {
        "viewer": NAME,
        "viewer_role": Field("choice", choices=VIEWER_ROLES),
        "present": Field("names", required=False),
        "where": NAME,
        "on_premises": Field("bool"),
        "reason_id": Field("id"),
        "head_consulted": Field("bool"),
        "same_sex": Field("choice", choices=SAME_SEX),
        "distress_considered": Field("bool"),
        # Each condition is stated by whoever records the viewing: none has a default.
        "not_copied": Field("bool"),
        "actions": TEXT,
        "pupil_id": OPTIONAL_PUPIL_ID,
        "acknowledgements": Field("acknowledgements", required=False, vocab="viewing_rules"),
    },
    # Support follows the viewing or sighting it is for, named by entry id (never by
    # matching the staff member's name, which is typed differently each time).
    "staff.support_offered": {"after_id": Field("event_id"), "staff_name": NAME, "what": TEXT},
    # A member of staff shown the imagery (by a pupil, in their daily role): no
    # decision to view, so none of the viewing conditions; support must follow.
    "sighting": {
        "seen_by": NAME,
        "how": TEXT,
        "actions": TEXT,
        "pupil_id": OPTIONAL_PUPIL_ID,
    },
    # The Headteacher's acknowledgement of a deliberate viewing that broke a condition.
    "viewing.acknowledged": {"viewing_id": Field("event_id"), "note": TEXT},
    "support.route": {"pupil_id": OPTIONAL_PUPIL_ID, "route": _vocab("support_routes")},
    # Why the support routes were not offered to a pictured young person.
    "support.not_offered": {"pupil_id": PUPIL_ID, "reason": TEXT},
    # The police agree to deletion where the advice says keep the evidence
    # (sextortion): who agreed; the entry's time is when.
    "deletion.police_agreed": {
        "officer": NAME,
        "crime_ref": Field("ref", required=False, max_chars=REF_MAX_CHARS),
        "note": OPTIONAL_TEXT,
    },
    "deletion.requested": {
        "pupil_id": PUPIL_ID,
        "deadline": Field("datetime", future=True),
        "told_illegal": Field("bool"),
    },
    "deletion.confirmed": {"pupil_id": PUPIL_ID, "how": TEXT},
    "deletion.search": {"pupil_id": PUPIL_ID, "reason": TEXT},
    "discipline": {"pupil_id": OPTIONAL_PUPIL_ID, "note": TEXT},
    "conversation": {"pupil_id": PUPIL_ID, "by_whom": NAME, "note": LONG_TEXT},
    "conversation.not_held": {"pupil_id": PUPIL_ID, "reason": TEXT},
    "step.status": {
        "step_id": _vocab("steps"),
        "status": Field("choice", choices=STEP_STATUSES),
        "reason": OPTIONAL_TEXT,
    },
    "incident.closed": {
        "summary": LONG_TEXT,
        "actions": LONG_TEXT,
        "outcome": TEXT,
        "rationale": LONG_TEXT,
        "gaps_reason": OPTIONAL_TEXT,
    },
    "incident.reopened": {"reason": TEXT},
    # Hand-overs and records management: allowed on closed incidents too.
    "hold.set": {"reason": TEXT, "authority": OPTIONAL_NAME},
    "hold.lifted": {"hold_id": Field("event_id"), "reason": TEXT},
    "transfer.sent": {
        "transfer_id": Field("id"),
        "pupil_id": PUPIL_ID,
        "to_school": NAME,
        "to_dsl": OPTIONAL_NAME,
        "file_sha256": Field("sha256"),
    },
    "transfer.receipt": {"transfer_id": Field("id"), "received_by": NAME, "note": OPTIONAL_TEXT},
    "retention.reviewed": {"keep_until": Field("date"), "reason": TEXT},
    # A report from the staff drop taken into the record verbatim: the first-hand
    # account. The reporter's name and job title are as they typed them; the login
    # is the kernel's word (the spool file's owner); the report id and the digest of
    # its ciphertext tie the entry to the drop's ``drop.received`` audit entry, and
    # the time received is the earliest the DSL could have known.
    "staff_report.taken_in": {
        "report_id": Field("ref", max_chars=REF_MAX_CHARS),
        "digest": Field("sha256"),
        "received_at": Field("datetime"),
        "filed_at": Field("datetime"),
        "reporter_name": NAME,
        "job_title": OPTIONAL_NAME,
        "owner_login": OPTIONAL_NAME,
        "owner_uid": Field("int", low=0),
        "about_staff": Field("bool"),
        "about_headteacher": Field("bool", required=False),
        "words": LONG_TEXT,
        "disclosed_by": OPTIONAL_TEXT,
        # As the reporter typed it, even if it is wrong: the account is verbatim.
        "disclosed_at": Field("datetime", required=False, future=True),
        "disclosed_when_text": OPTIONAL_NAME,
        "how": OPTIONAL_TEXT,
        "young_people": Field("names", required=False),
        "already_done": OPTIONAL_TEXT,
    },
}

#: The facts the register keeps of one child (a pupil record, beside the incidents).
_REGISTER_FIELDS: dict[str, Field] = {
    "register_id": REGISTER_ID,
    "name": NAME,
    "other_names": Field("names", required=False),
    "dob": Field("date", required=False),
    "year_group": Field("int", required=False, low=1, high=14),
    "sex": Field("choice", choices=SEXES),
    "sen": Field("bool", required=False),
    "social_worker": OPTIONAL_NAME,
    "cp_plan": Field("bool", required=False),
    "child_in_need": Field("bool", required=False),
    "looked_after": Field("bool", required=False),
    "ehcp": Field("bool", required=False),
    "previously_known": Field("bool", required=False),
}

#: Payload fields of each pupil register entry kind (one record per child).
REGISTER_SCHEMAS: dict[str, dict[str, Field]] = {
    "pupil.registered": _REGISTER_FIELDS,
    "pupil.details": {
        name: (spec if name == "register_id" else replace(spec, required=False))
        for name, spec in _REGISTER_FIELDS.items()
    },
    # This record is the same child as ``into``'s: its incidents count there. Undone
    # by a correction of this entry with ``undone`` set (both stay in its timeline).
    "pupil.merged": {
        "register_id": REGISTER_ID,
        "into": REGISTER_ID,
        "reason": TEXT,
        "undone": Field("bool", required=False),
    },
}

#: Entry kinds only some roles may record (any other kind: any role with the case key).
#: Holds may be set or lifted by a DSL or the Headteacher (an inquiry may write to
#: either); transfers and retention decisions are the DSL's.
KIND_ROLES: dict[str, tuple[str, ...]] = {
    "hold.set": ("dsl", "headteacher"),
    "hold.lifted": ("dsl", "headteacher"),
    "transfer.sent": ("dsl",),
    "transfer.receipt": ("dsl",),
    "retention.reviewed": ("dsl",),
    "viewing.acknowledged": ("headteacher",),
    "signoff.declined": ("headteacher",),
    # Two records of one child made one: the DSL's call (it joins two chronologies).
    "pupil.merged": ("dsl",),
}

#: Payload fields of each device custody entry kind.
DEVICE_SCHEMAS: dict[str, dict[str, Field]] = {
    "device.seized": {
        "description": TEXT,
        "owner": Field("label", max_chars=12),
        "owner_pupil_id": OPTIONAL_PUPIL_ID,
        "seized_by": NAME,
        # Older seizures carry these; new ones record power-off and lock-up as
        # entries of their own, with their own time and person (the service
        # turns the command line's shorthand into those entries).
        "powered_off": Field("bool", required=False),
        "locked_where": OPTIONAL_NAME,
    },
    "device.powered_off": {"confirmed_by": NAME},
    "device.locked": {"where": NAME},
    "device.accessed": {"by": NAME, "reason": TEXT},
    "device.moved": {"to_where": NAME, "reason": TEXT},
    "device.handover": {
        "officer": NAME,
        # Required for new entries; hand-overs recorded before it still read.
        "handed_over_by": NAME,
        "officer_id": Field("ref", required=False, max_chars=REF_MAX_CHARS),
        "crime_ref": Field("ref", required=False, max_chars=REF_MAX_CHARS),
    },
    "device.returned": {"to_whom": NAME},
    "device.relinked": {
        "incident_ref": Field("ref", max_chars=REF_MAX_CHARS),
        "reason": TEXT,
    },
    "device.note": {"text": LONG_TEXT},
}

SCHEMAS: dict[str, dict[str, Field]] = {**INCIDENT_SCHEMAS, **DEVICE_SCHEMAS, **REGISTER_SCHEMAS}


@dataclass(frozen=True)
class Context:
    """What a payload is checked against: when it happened, now, the policy."""

    at: datetime
    now: datetime
    policy: Policy


def policy_ids(policy: Policy, name: str) -> tuple[str, ...]:
    """Ids of a policy list by name (vocabularies and the procedure's own lists)."""
    if name in VOCABULARIES:
        return tuple(choice.id for choice in policy.vocabulary(name))
    lists: dict[str, tuple[Any, ...]] = {
        "steps": policy.steps,
        "review_considerations": policy.review_considerations,
        "risk_questions": policy.risk_questions,
        "viewing_rules": policy.viewing_rules,
        "viewing_reasons": policy.viewing_reasons,
    }
    return tuple(item.id for item in lists[name])


def validate_payload(kind: str, data: Mapping[str, Any], context: Context) -> dict[str, Any]:
    """Check `data` against the schema of `kind`; return the payload to store."""
    schema = SCHEMAS.get(kind)
    if schema is None:
        raise ValidationError("kind", f"{kind!r} is not a kind of entry this program records.")
    if not isinstance(data, Mapping):
        raise ValidationError("data", "The entry's details must be a set of named fields.")
    for key in data:
        if key not in schema:
            raise ValidationError(
                str(key), f"This entry ({kind}) has no field called {str(key)[:40]!r}."
            )
    result: dict[str, Any] = {}
    for name, spec in schema.items():
        value = data.get(name)
        if value is None:
            if spec.required:
                raise ValidationError(name, "This is required. Please fill it in.")
            continue
        result[name] = _check_value(name, spec, value, context)
    check = CROSS_CHECKS.get(kind)
    if check is not None:
        check(result, context)
    return result


def _check_value(name: str, spec: Field, value: Any, context: Context) -> Any:
    kind = spec.type
    if kind in ("text", "name", "ref"):
        limit = {"name": NAME_MAX_CHARS, "ref": REF_MAX_CHARS}.get(kind, spec.max_chars)
        return check_text(value, name, required=spec.required, max_chars=min(limit, spec.max_chars))
    if kind == "id":
        if not isinstance(value, str) or not _ID.match(value):
            raise ValidationError(
                name, "This must be a short identifier (letters, digits, - or _)."
            )
        return value
    if kind == "event_id":
        if not isinstance(value, str) or not _EVENT_ID.match(value):
            raise ValidationError(name, "This must be the id of an entry in this record.")
        return value
    if kind == "bool":
        if not isinstance(value, bool):
            raise ValidationError(name, "Answer yes or no.")
        return value
    if kind == "int":
        return _check_int(name, spec, value, context)
    if kind == "choice":
        return _check_choice(name, value, spec.choices)
    if kind == "vocab":
        return _check_choice(name, value, policy_ids(context.policy, spec.vocab or ""))
    if kind == "datetime":
        return _check_datetime(name, spec, value, context)
    if kind == "date":
        day = value if isinstance(value, date) and not isinstance(value, datetime) else None
        if day is None:
            day = date_from_iso(value, name) if isinstance(value, str) else None
        if day is None:
            raise ValidationError(name, "This must be a date, such as 14/11/2009.")
        return date_to_iso(day)
    if kind in ("names", "refs", "choices", "vocabs"):
        return _check_list(name, spec, value, context)
    if kind in ("answers", "acknowledgements"):
        return _check_answers(name, spec, value, context)
    if kind == "label":
        # Not upper-cased for the user: a name typed in lower case must be refused.
        if not isinstance(value, str) or not _OWNER_LABEL.match(value.strip()):
            raise ValidationError(
                name,
                "Initials or a code (up to 12 capital letters, digits, '.', '/' or '-'), "
                "never a name: technicians read the device log.",
            )
        return value.strip()
    if kind == "sha256":
        if not isinstance(value, str) or not _SHA256.match(value):
            raise ValidationError(name, "This must be a SHA-256 digest in lower-case hex.")
        return value
    if kind == "base64":
        if not isinstance(value, str) or len(value) > 8192 or not _BASE64.match(value):
            raise ValidationError(name, "This must be base64 text.")
        return value
    raise ValueError(f"unknown field type {kind!r}")  # pragma: no cover - schema bug


def _check_int(name: str, spec: Field, value: Any, context: Context) -> int:
    if not isinstance(value, int) or isinstance(value, bool):
        raise ValidationError(name, "This must be a whole number.")
    high = len(context.policy.triggers) if spec.vocab == "triggers" else spec.high
    if (spec.low is not None and value < spec.low) or (high is not None and value > high):
        raise ValidationError(name, f"This must be a number from {spec.low} to {high}.")
    return value


def _check_choice(name: str, value: Any, allowed: tuple[str, ...]) -> str:
    if not isinstance(value, str) or value not in allowed:
        shown = value if isinstance(value, str | int) else type(value).__name__
        raise ValidationError(
            name, f"{str(shown)[:40]!r} is not one of the choices: {', '.join(allowed)}."
        )
    return value


def _check_datetime(name: str, spec: Field, value: Any, context: Context) -> str:
    if isinstance(value, datetime):
        if value.tzinfo is None or value.utcoffset() is None:
            raise ValidationError(name, "This time has no time zone; it cannot be stored.")
        moment = value
    elif isinstance(value, str):
        moment = from_iso(value, name)
    else:
        raise ValidationError(name, "This must be a date and time, such as 14/11 10:30.")
    if not spec.future and moment > context.now + FUTURE_TOLERANCE:
        raise ValidationError(
            name, f"{format_local(moment)} is in the future; type when it happened."
        )
    return to_iso_utc(moment)


def _check_list(name: str, spec: Field, value: Any, context: Context) -> list[Any]:
    if not isinstance(value, list | tuple):
        raise ValidationError(name, "This must be a list.")
    if len(value) > MAX_LIST_ITEMS:
        raise ValidationError(name, f"This list has more than {MAX_LIST_ITEMS} entries.")
    if spec.required and not value:
        raise ValidationError(name, "Give at least one.")
    items: list[Any] = []
    for index, item in enumerate(value):
        where = f"{name}[{index}]"
        if spec.type == "names":
            items.append(check_text(item, where, max_chars=NAME_MAX_CHARS))
        elif spec.type == "refs":
            items.append(check_text(item, where, max_chars=REF_MAX_CHARS))
        elif spec.type == "choices":
            items.append(_check_choice(where, item, spec.choices))
        else:
            items.append(_check_choice(where, item, policy_ids(context.policy, spec.vocab or "")))
    if spec.type in ("choices", "vocabs") and len(set(items)) != len(items):
        raise ValidationError(name, "Each choice may be given only once.")
    return items


def _check_answers(name: str, spec: Field, value: Any, context: Context) -> dict[str, str]:
    if not isinstance(value, Mapping):
        raise ValidationError(name, "This must be a set of answers, one per question.")
    allowed = policy_ids(context.policy, spec.vocab or "")
    answers: dict[str, str] = {}
    for key, text in value.items():
        if key not in allowed:
            raise ValidationError(
                f"{name}.{str(key)[:40]}", "The policy has no question with this id."
            )
        answers[key] = check_text(text, f"{name}.{key}", required=False)
    return answers


# ------------------------------------------------------- cross-field checks


def _check_disclosure(data: dict[str, Any], context: Context) -> None:
    told = data.get("dsl_told_at")
    if told is not None and from_iso(told) < from_iso(data["disclosed_at"]):
        raise ValidationError(
            "dsl_told_at",
            "The DSL cannot have been told before the disclosure was made; check both times.",
        )


def _check_pupil(data: dict[str, Any], context: Context, *, added: bool) -> None:
    if added and "dob" not in data and "year_group" not in data:
        raise ValidationError(
            "dob", "Give a date of birth or, if it is not known, the pupil's year group."
        )
    if "dob" in data:
        check_dob(date_from_iso(data["dob"]), now=context.now)
    if not added and len(data) < 2:
        raise ValidationError("pupil_id", "Say what has changed about this pupil.")


def _check_trigger(data: dict[str, Any], context: Context) -> None:
    if data["answer"] in ("yes", "no") and not data.get("basis", "").strip():
        raise ValidationError(
            "basis", "Say what the answer is based on (what you know, and from whom)."
        )


def _check_decision(data: dict[str, Any], context: Context) -> None:
    refer_to = data.get("refer_to") or []
    if data["outcome"] == "refer" and not refer_to:
        raise ValidationError(
            "refer_to", "Say who the referral is to: the police, children's social care, or both."
        )
    if data["outcome"] == "in_school":
        if refer_to:
            raise ValidationError(
                "refer_to", "A decision to respond in school does not refer to anyone."
            )
        if not data.get("reason", "").strip():
            raise ValidationError(
                "reason",
                "Record the reason for responding in school without involving the police "
                "or children's social care; the policy requires it.",
            )
    review_by = data.get("review_by")
    if review_by is not None and from_iso(review_by) <= context.at:
        raise ValidationError("review_by", "The review date must be after the decision.")


def _check_review(data: dict[str, Any], context: Context) -> None:
    if data["outcome"] == "escalated" and not data.get("note", "").strip():
        raise ValidationError("note", "Say why the decision was escalated.")


def _check_step_status(data: dict[str, Any], context: Context) -> None:
    if data["status"] in ("not_applicable", "later") and not data.get("reason", "").strip():
        word = "does not apply" if data["status"] == "not_applicable" else "is left for later"
        raise ValidationError("reason", f"Say why this step {word}.")


def _check_deletion_request(data: dict[str, Any], context: Context) -> None:
    if from_iso(data["deadline"]) <= context.at:
        raise ValidationError("deadline", "The deadline must be after the request was made.")


def _check_retention_review(data: dict[str, Any], context: Context) -> None:
    if date_from_iso(data["keep_until"]) <= to_local(context.at).date():
        raise ValidationError("keep_until", "Keep the record until a date after the review.")


def _check_viewing(data: dict[str, Any], context: Context) -> None:
    if data["reason_id"] == UNAVOIDABLE_REASON:
        raise ValidationError(
            "reason_id",
            "Imagery a pupil showed to a member of staff was seen unavoidably, not viewed "
            "by decision: record it as an unavoidable sighting (no viewing rules apply; "
            "support for that person is then due).",
        )
    acknowledgements: dict[str, str] = data.get("acknowledgements", {})
    findings = check_viewing(data, None, context.policy)
    for finding in findings:
        if not acknowledgements.get(finding.rule_id, "").strip():
            raise ValidationError(
                f"acknowledgements.{finding.rule_id}",
                f"{finding.text} The policy says: “{finding.rule_text}”. "
                "If this is what happened, record why.",
            )
    unmet = {finding.rule_id for finding in findings}
    for rule_id in acknowledgements:
        if rule_id not in unmet:
            raise ValidationError(
                f"acknowledgements.{rule_id}",
                "This rule is met, so there is nothing to acknowledge; remove the note.",
            )


def _check_register(data: dict[str, Any], context: Context, *, added: bool) -> None:
    if added and "dob" not in data and "year_group" not in data:
        raise ValidationError(
            "dob", "Give a date of birth or, if it is not known, the pupil's year group."
        )
    if "dob" in data:
        # Not check_dob's age 2 to 25: a record may be made years later for a
        # child of an old incident (a leaver's transfer, a subject access).
        born = date_from_iso(data["dob"])
        if born > to_local(context.now).date() or born.year < 1900:
            raise ValidationError("dob", "Check the date of birth: it cannot be a pupil's.")
    if not added and len(data) < 2:
        raise ValidationError("register_id", "Say what has changed about this pupil.")


def _check_merge(data: dict[str, Any], context: Context) -> None:
    if data["into"] == data["register_id"]:
        raise ValidationError("into", "A pupil record cannot be merged into itself.")


def _check_taken_in(data: dict[str, Any], context: Context) -> None:
    """Only the drop's own times are checked: what the reporter typed is kept as typed."""
    if from_iso(data["received_at"]) < from_iso(data["filed_at"]) - FUTURE_TOLERANCE:
        raise ValidationError(
            "received_at", "A report cannot have been received before it was filed."
        )


CROSS_CHECKS: dict[str, Callable[[dict[str, Any], Context], None]] = {
    "pupil.registered": lambda data, context: _check_register(data, context, added=True),
    "pupil.details": lambda data, context: _check_register(data, context, added=False),
    "pupil.merged": _check_merge,
    "staff_report.taken_in": _check_taken_in,
    "disclosure": _check_disclosure,
    "pupil.added": lambda data, context: _check_pupil(data, context, added=True),
    "pupil.updated": lambda data, context: _check_pupil(data, context, added=False),
    "trigger.answered": _check_trigger,
    "decision": _check_decision,
    "decision.reviewed": _check_review,
    "step.status": _check_step_status,
    "deletion.requested": _check_deletion_request,
    "viewing": _check_viewing,
    "retention.reviewed": _check_retention_review,
}
