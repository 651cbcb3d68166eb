"""A small summary stored beside each record, for lists of thousands of incidents.

The home screen must list every incident without decrypting and folding
each one; this is what it reads instead. It holds no names and no narrative
beyond the first line of the summary the DSL typed, and it carries the
dated obligations so that what is overdue can be computed later from the
summary alone.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Mapping
from datetime import datetime
from typing import TYPE_CHECKING, Any

from ydsi_tui.model.decisions import signoff_needed
from ydsi_tui.model.errors import ValidationError
from ydsi_tui.model.obligations import Flag, obligations, transfer_receipts
from ydsi_tui.model.referrals import referral_times
from ydsi_tui.model.register import outsider_key
from ydsi_tui.model.retention import retention
from ydsi_tui.model.steps import next_step
from ydsi_tui.model.timeparse import date_to_iso, from_iso, to_iso_utc
from ydsi_tui.model.triggers import referral

if TYPE_CHECKING:
    from ydsi_tui.model.incident import Incident
    from ydsi_tui.model.policy import Policy

SUMMARY_VERSION = 1
SUMMARY_LINE_MAX = 120


#: Each status code in the words people read (reports, screens); codes stay in
#: JSON. Defined once: every screen, list and report takes its words from here.
STATUS_WORDS = {
    "open": "open",
    "referral_decided": "referral decided",
    "referred": "referred",
    "in_school": "in school",
    "in_school_override": "in school: TRIGGER OVERRIDDEN",
    "closed": "closed",
}


#: What a list shows for a summary field that fails its pattern or is not one of
#: its choices. A summary is written by whoever holds the compartment's key (for
#: custody, any technician), so its fields are checked when read, not trusted.
INVALID_VALUE = "<invalid value>"

#: The shapes of the summary fields a list prints as they are (no free text).
INCIDENT_REF_PATTERN = re.compile(r"[A-Za-z0-9][A-Za-z0-9/-]{0,31}")
DEVICE_REF_PATTERN = re.compile(r"D-[0-9]{4}-[0-9]{3,9}")
FLAG_CODE_PATTERN = re.compile(r"[a-z][a-z0-9_]{0,63}")


def summary_field(
    summary: Mapping[str, Any],
    key: str,
    *,
    pattern: re.Pattern[str] | None = None,
    choices: Collection[str] | None = None,
    missing: str = "",
) -> str:
    """`summary[key]` if it is a string of its pattern (whole) or one of its choices.

    `missing` when the key is absent or empty; :data:`INVALID_VALUE` for any
    other value, so a planted escape sequence or a forged line never reaches
    a list (what is printed is escaped as well).
    """
    value = summary.get(key)
    if value is None or value == "":
        return missing
    if not isinstance(value, str):
        return INVALID_VALUE
    if pattern is not None and pattern.fullmatch(value) is None:
        return INVALID_VALUE
    if choices is not None and value not in choices:
        return INVALID_VALUE
    return value


def status_words(code: str) -> str:
    return STATUS_WORDS.get(code, code)


def incident_status(incident: Incident, policy: Policy) -> str:
    """One of `STATUS_WORDS`' codes.

    ``referred`` only once every required referral is recorded as made (a
    contact, not a decision: ``referral_decided`` until then), and
    ``in_school_override`` while an in-school response sets aside a trigger
    whose referral was never made.
    """
    if incident.closed:
        return "closed"
    state = referral(incident, policy)
    current = incident.current_decision
    if current is None:
        made = state.required and not state.pending
        return "referred" if made else "open"
    if current.outcome == "refer":
        return "referral_decided" if state.pending else "referred"
    return "in_school_override" if state.overridden else "in_school"


def summary_line(text: str) -> str:
    """The first line of the summary, cut for a list: a derived label, not the record."""
    first = text.splitlines()[0] if text.splitlines() else ""
    return first if len(first) <= SUMMARY_LINE_MAX else first[: SUMMARY_LINE_MAX - 1] + "…"


def summarize(incident: Incident, policy: Policy) -> dict[str, Any]:
    """A JSON-safe summary of the incident for the home screen."""
    step = next_step(incident, policy)
    last = max((e.recorded_at for e in incident.effective), default=incident.meta.created_at)
    kept = retention(incident)
    pending = [t for t in incident.transfers if not t.received]
    due_receipts = transfer_receipts(incident, policy)
    return {
        "v": SUMMARY_VERSION,
        "ref": incident.ref,
        "status": incident_status(incident, policy),
        "kind": incident.kind,
        "opened_at": to_iso_utc(incident.opened_at) if incident.opened_at else None,
        "summary": summary_line(incident.summary),
        "next_step": {"id": step.id, "title": step.title} if step is not None else None,
        # True until each required referral is recorded (not merely decided).
        "referral_required": referral(incident, policy).pending,
        "trigger_overridden": referral(incident, policy).overridden,
        "referral": referral_times(incident, policy),
        "signoff_needed": signoff_needed(incident),
        "pupil_count": len(incident.pupils),
        # For the pupil register (model/register.py): the date incidents are ordered
        # by, each linked pupil's register id and part, and a digest of each outside
        # person's name (never the name), so repeat involvement is found from here.
        "incident_date": date_to_iso(incident.incident_date),
        "register": [
            {"pupil_id": p.pupil_id, "register_id": p.register_id, "parts": list(p.parts)}
            for p in incident.pupils.values()
            if p.register_id
        ],
        "outsiders": sorted(
            {key for adult in incident.adults.values() if (key := outsider_key(adult.name))}
        ),
        "policy_digest": incident.meta.policy_digest,
        "updated_at": to_iso_utc(last),
        "due": [
            {"code": flag.code, "text": flag.text, "due_at": to_iso_utc(flag.due_at)}
            for flag in obligations(incident, policy)
        ],
        "retention": {
            "until": date_to_iso(kept.until),
            "basis": kept.basis,
            "estimated": kept.estimated,
        },
        "on_hold": kept.on_hold,
        "transfers_pending": [
            {"id": t.transfer_id, "sent_at": to_iso_utc(t.at), "due_at": to_iso_utc(f.due_at)}
            for t, f in zip(pending, due_receipts, strict=True)
        ],
    }


def summary_flags(summary: Mapping[str, Any], now: datetime) -> list[Flag]:
    """What is overdue at `now`, from a stored summary alone.

    A damaged entry in the list is skipped rather than allowed to break the
    home screen; the incident itself still shows everything when opened.
    """
    due = summary.get("due") if isinstance(summary, Mapping) else None
    if not isinstance(due, list | tuple):
        return []
    flags: list[Flag] = []
    for item in due:
        if not isinstance(item, Mapping):
            continue
        code, text, when = item.get("code"), item.get("text"), item.get("due_at")
        if not (isinstance(code, str) and isinstance(text, str) and isinstance(when, str)):
            continue
        if FLAG_CODE_PATTERN.fullmatch(code) is None:
            code = INVALID_VALUE
        try:
            due_at = from_iso(when, "due_at")
        except ValidationError:
            continue
        if due_at <= now:
            flags.append(Flag(code, text, due_at))
    return sorted(flags, key=lambda flag: (flag.due_at, flag.code))
