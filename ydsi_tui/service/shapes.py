"""The documented, stable JSON shapes of ``--json`` output and JSON exports.

Scripts and other tools rely on these keys; add keys freely, never rename or
remove one without bumping ``SHAPE_VERSION``. Times are ISO 8601 in UTC with a
trailing ``Z``; ``*_local`` twins give the Europe/London reading.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from ..model import rules
from ..model.advice import (
    advice_for,
    deletion_withheld,
    police_deletion_agreement,
    support_routes_missing,
)
from ..model.events import Event
from ..model.incident import Incident
from ..model.obligations import Flag
from ..model.policy import Policy
from ..model.referrals import referral_times
from ..model.register import Involvement
from ..model.suggestions import suggest_triggers
from ..model.timeparse import format_local, to_iso_utc
from .casebook import IncidentRow, IncidentView
from .describe import KIND_LABELS, describe
from .devices import DeviceRow, DeviceView
from .register import PupilView, RegisterRow

__all__ = [
    "SHAPE_VERSION",
    "device_json",
    "device_row_json",
    "incident_json",
    "pupil_view_json",
    "register_row_json",
    "row_json",
]

SHAPE_VERSION = 1


def _t(value: datetime | None) -> str | None:
    return to_iso_utc(value) if value is not None else None


def _flag(flag: Flag) -> dict[str, Any]:
    return {"code": flag.code, "text": flag.text, "due_at": _t(flag.due_at)}


def row_json(row: IncidentRow) -> dict[str, Any]:
    return {
        "ref": row.ref,
        "status": row.status,
        "kind": row.kind,
        "opened_at": _t(row.opened_at),
        "summary": row.summary,
        "next_step": row.next_step,
        "referral_required": row.referral_required,
        "signoff_needed": row.signoff_needed,
        "trigger_overridden": row.trigger_overridden,
        "overdue": [_flag(f) for f in row.overdue],
        "error": row.error,
        "repair_ref": row.repair_ref or None,
        "repeat": list(row.repeat),
    }


def _involvement_json(item: Involvement) -> dict[str, Any]:
    return {
        "ref": item.ref,
        "pupil_id": item.pupil_id,
        "parts": list(item.parts),
        "incident_date": item.incident_date.isoformat() if item.incident_date else None,
        "status": item.status,
    }


def register_row_json(row: RegisterRow) -> dict[str, Any]:
    """``ydsi pupil list --json``: one child, the number of incidents and their parts."""
    return {
        "id": row.register_id,
        "names": list(row.names),
        "dob": row.dob.isoformat() if row.dob else None,
        "year_group": row.year_group,
        "sex": row.sex,
        "known_to_csc": row.known_to_csc,
        "incident_count": len(row.incidents),
        "parts": list(row.parts),
        "incidents": [_involvement_json(i) for i in row.incidents],
        "merged_from": list(row.merged_from),
    }


def pupil_view_json(view: PupilView, policy: Policy) -> dict[str, Any]:
    """``ydsi pupil show ID --json``: the record, its incidents, its timeline."""
    pupil = view.pupil
    return {
        "id": pupil.register_id,
        "name": pupil.name,
        "other_names": list(pupil.other_names),
        "dob": pupil.dob.isoformat() if pupil.dob else None,
        "year_group": pupil.year_group,
        "cohort": pupil.cohort,
        "sex": pupil.sex,
        "sen": pupil.sen,
        "csc_facts": list(pupil.csc_facts),
        "merged_into": pupil.merged_into,
        "merged_from": list(view.merged_from),
        "incident_count": len(view.incidents),
        "incidents": [_involvement_json(i) for i in view.incidents],
        "keep_until": view.keep_until.isoformat() if view.keep_until else None,
        "on_hold": view.on_hold,
        "problems": [p.text for p in pupil.problems],
        "timeline": [
            {
                "id": entry.event.id,
                "at": _t(entry.event.at),
                "by": entry.event.by,
                "by_role": entry.event.by_role,
                "authorship": entry.event.authorship,
                "kind": entry.event.kind,
                "text": describe(entry.event, policy, {}),
                "corrects": entry.corrects,
                "superseded_by": list(entry.superseded_by),
                "correction_reason": entry.event.correction_reason,
                "problems": list(entry.problems),
            }
            for entry in pupil.timeline
        ],
    }


def _event_json(
    event: Event, view_policy: Any, names: dict[str, str], superseded_by: tuple[str, ...]
) -> dict[str, Any]:
    return {
        "id": event.id,
        "at": _t(event.at),
        "at_local": format_local(event.at),
        "recorded_at": _t(event.recorded_at),
        "by": event.by,
        "by_role": event.by_role,
        "kind": event.kind,
        "label": KIND_LABELS.get(event.kind, event.kind),
        "text": describe(event, view_policy, names),
        "data": _plain(event.data),
        "supersedes": event.supersedes,
        "correction_reason": event.correction_reason,
        "superseded_by": list(superseded_by),
    }


def _plain(value: Any) -> Any:
    if isinstance(value, dict) or hasattr(value, "items"):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    return value


def advice_json(incident: Incident, policy: Policy) -> dict[str, Any] | None:
    """The current advice for this kind of incident, and whether it withholds deletion now."""
    advice = advice_for(incident, policy)
    if advice is None:
        return None
    agreed = police_deletion_agreement(incident)
    return {
        "kind": advice.kind,
        "title": advice.title,
        "points": list(advice.points),
        "deletion_needs_police_agreement": advice.deletion_needs_police_agreement,
        "deletion_withheld": deletion_withheld(incident, policy) is not None,
        "police_agreed_to_deletion": (
            {"by": agreed.text("officer"), "at": _t(agreed.at), "recorded_by": agreed.by}
            if agreed is not None and advice.deletion_needs_police_agreement
            else None
        ),
    }


def _viewings_json(view: IncidentView) -> list[dict[str, Any]]:
    """Each viewing and sighting: what it broke, the Headteacher's acknowledgement, support."""
    incident = view.incident
    unsupported = {e.event_id for e in rules.support_missing(incident)}
    out: list[dict[str, Any]] = []
    for entry in rules.seen_imagery(incident):
        deliberate = entry.kind == "viewing"
        unmet = rules.check_viewing(entry.data, incident, view.policy) if deliberate else []
        ack = rules.acknowledgement_of(incident, entry.event_id) if unmet else None
        out.append(
            {
                "id": entry.event_id,
                "kind": entry.kind,
                "at": _t(entry.at),
                "conditions_not_met": [f.rule_id for f in unmet],
                "escalated": bool(unmet) and ack is None,
                "acknowledged_by": ack.by if ack is not None else None,
                "support_recorded": entry.event_id not in unsupported,
            }
        )
    return out


def incident_json(view: IncidentView, devices: list[DeviceRow] | None = None) -> dict[str, Any]:
    """``ydsi incident show REF --json``: at least ref, status, referral_required,
    referral_reasons, next_step, gaps, pupils and timeline (at, recorded_at, by, kind, text);
    also holds, transfers and retention (keep_until, basis, why, estimated, on_hold)."""
    incident = view.incident
    policy = view.policy
    names = {pid: p.name for pid, p in incident.pupils.items()}
    decision = incident.current_decision
    suggestions = suggest_triggers(incident, policy)
    return {
        "shape": SHAPE_VERSION,
        "ref": incident.ref,
        "status": rules.incident_status(incident, policy),
        "kind": incident.kind,
        "summary": incident.summary,
        "opened_at": _t(incident.opened_at),
        "policy": {
            "name": incident.meta.policy_name,
            "version": incident.meta.policy_version,
            "digest": incident.meta.policy_digest,
            "age_threshold": policy.settings.trigger4_age_threshold,
        },
        # True until each required referral is recorded as made (not merely decided).
        "referral_required": view.referral.pending,
        "referral_reasons": list(view.referral.reasons),
        "referral_outstanding": list(view.referral.outstanding),
        "referral_due_at": _t(view.referral.due_at),
        "trigger_overridden": view.referral.overridden,
        "referral": referral_times(incident, policy),
        "next_step": (
            {"id": view.next_step.id, "title": view.next_step.title} if view.next_step else None
        ),
        "steps": [
            {"id": s.step.id, "title": s.step.title, "state": s.state, "missing": list(s.missing)}
            for s in view.steps
        ],
        "gaps": [{"step_id": g.step_id, "text": g.text} for g in view.gaps],
        "overdue": [_flag(f) for f in view.overdue],
        "viewings": _viewings_json(view),
        "pupils": [
            {
                "id": p.pupil_id,
                "name": p.name,
                "dob": p.dob.isoformat() if p.dob else None,
                "year_group": p.year_group,
                "sex": p.sex,
                "parts": list(p.parts),
                "sen": p.sen,
                "vulnerabilities": p.vulnerabilities,
                "social_worker": p.social_worker,
                "cp_plan": p.cp_plan,
                "child_in_need": p.child_in_need,
                "looked_after": p.looked_after,
                "ehcp": p.ehcp,
                "previously_known": p.previously_known,
                "known_to_csc": p.known_to_csc,
                "register_id": p.register_id or None,
            }
            for p in incident.pupils.values()
        ],
        "triggers": [
            {
                "n": t.n,
                "text": policy.trigger_text(t.n),
                "answer": incident.triggers[t.n].answer if t.n in incident.triggers else "unknown",
                "basis": incident.triggers[t.n].basis if t.n in incident.triggers else "",
                "suggested": (
                    {"answer": suggestions[t.n].answer, "basis": suggestions[t.n].basis}
                    if t.n in suggestions
                    else None
                ),
                "reason_against_suggestion": (
                    incident.triggers[t.n].reason_against_suggestion
                    if t.n in incident.triggers
                    else ""
                ),
            }
            for t in policy.triggers
        ],
        "trigger4_suggestion": {"answer": view.trigger4.answer, "basis": view.trigger4.basis},
        "decision": (
            {
                "outcome": decision.outcome,
                "refer_to": list(decision.refer_to),
                "reason": decision.reason,
                "event_id": decision.event_id,
                "at": _t(decision.at),
            }
            if decision
            else None
        ),
        "signoffs": [
            {
                "event_id": s.event_id,
                "by": s.by,
                "at": _t(s.at),
                "decision_id": s.decision_id,
                "signature_valid": view.signoffs.get(s.event_id) is not None
                and view.signoffs[s.event_id].valid,
                "check": view.signoffs[s.event_id].reason if s.event_id in view.signoffs else "",
            }
            for s in incident.signoffs
        ],
        "signoff_needed": rules.signoff_needed(incident),
        "signoff_declined": (
            {"by": declined.by, "at": _t(declined.at), "reason": declined.text("reason")}
            if (declined := rules.signoff_declined(incident)) is not None
            else None
        ),
        "crime_refs": list(incident.crime_refs),
        "advice": advice_json(incident, policy),
        "support_routes_missing": [
            {"pupil_id": pid, "name": names.get(pid, "")}
            for pid in support_routes_missing(incident)
        ],
        "holds": [
            {
                "id": h.event_id,
                "set_at": _t(h.at),
                "set_by": h.by,
                "reason": h.reason,
                "authority": h.authority,
                "active": h.active,
                "lifted_at": _t(h.lifted.at) if h.lifted else None,
                "lifted_by": h.lifted.by if h.lifted else None,
            }
            for h in incident.holds
        ],
        "transfers": [
            {
                "id": t.transfer_id,
                "pupil_id": t.pupil_id,
                "sent_at": _t(t.at),
                "to_school": t.to_school,
                "to_dsl": t.to_dsl,
                "file_sha256": t.file_sha256,
                "received_at": _t(t.receipt.at) if t.receipt else None,
                "received_by": t.receipt.text("received_by") if t.receipt else None,
            }
            for t in incident.transfers
        ],
        "retention": _retention(incident),
        "devices": [device_row_json(d) for d in devices or []],
        "timeline": [
            _event_json(entry.event, policy, names, entry.superseded_by)
            for entry in incident.timeline
        ],
        "problems": list(view.problems),
    }


def _retention(incident: Any) -> dict[str, Any]:
    kept = rules.retention(incident)
    return {
        "keep_until": kept.until.isoformat(),
        "basis": kept.basis,
        "why": kept.text,
        "estimated": kept.estimated,
        "on_hold": kept.on_hold,
    }


def device_row_json(row: DeviceRow) -> dict[str, Any]:
    return {
        "ref": row.ref,
        "incident_ref": row.incident_ref,
        "status": row.status,
        "description": row.description,
        "location": row.location,
        "seized_at": _t(row.seized_at),
        "overdue": [_flag(f) for f in row.overdue],
        "error": row.error,
        "repair_ref": row.repair_ref or None,
    }


def device_json(view: DeviceView, policy: Any) -> dict[str, Any]:
    device = view.device
    return {
        "shape": SHAPE_VERSION,
        "ref": device.meta.ref,
        "incident_ref": device.incident_ref,
        "status": device.status,
        "description": device.description,
        "owner": device.owner,
        "seized_at": _t(device.seized_at),
        "seized_by": device.seized_by,
        "powered_off_confirmed": device.powered_off_confirmed,
        "location": device.location,
        "handed_over_at": _t(device.handed_over_at),
        "officer": device.officer,
        "handed_over_by": device.handed_over_by,
        "crime_ref": device.crime_ref,
        "overdue": [_flag(f) for f in view.overdue],
        "chain": [_event_json(e.event, policy, {}, e.superseded_by) for e in device.chain],
        "problems": list(view.problems),
    }
