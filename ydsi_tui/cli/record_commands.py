"""The record commands: the CLI twins of the app's forms, for scripts and quick logging.

Each one unlocks, makes exactly one change through the service layer (so the
same validation and rules apply as in the app), and prints a short
confirmation; read commands take ``--json`` with the shapes documented in
:mod:`ydsi_tui.service.shapes`.
"""

from __future__ import annotations

import argparse
import json
from collections.abc import Callable, Sequence
from typing import Any

from ..model.events import Event, new_id
from ..model.incident import Incident
from ..model.records import TimelineEntry
from ..model.summary import status_words
from ..model.timelimits import step_limits
from ..model.timeparse import (
    format_local,
    format_local_short,
    from_iso,
    parse_date,
    parse_deadline,
    to_iso_utc,
)
from ..service.describe import KIND_LABELS, describe
from ..service.register import PupilRegister
from ..service.repair import repair_hint
from ..service.shapes import device_json, device_row_json, incident_json, row_json
from .content import Field, takes_content
from .context import CliError, Context, open_services, require_cases
from .output import emit_json, print_table, safe, say, warn
from .pupil_commands import offer_matches, register_id, register_pupil_commands

__all__ = ["register"]

#: What a Headteacher signs unless they write their own statement.
STATEMENT = "I have reviewed this decision and its reasons and I agree with it."


def _pupil_id(incident: Incident, given: str) -> str:
    """A pupil by id, or by their name if exactly one pupil has it."""
    if given in incident.pupils:
        return given
    matches = [
        p.pupil_id for p in incident.pupils.values() if p.name.casefold() == given.casefold()
    ]
    if len(matches) == 1:
        return matches[0]
    prefix = [pid for pid in incident.pupils if pid.startswith(given)] if len(given) >= 4 else []
    if len(prefix) == 1:
        return prefix[0]
    if not incident.pupils:
        raise CliError(f"{incident.ref} has no pupils yet: add one with 'ydsi pupil add'")
    raise CliError(
        f"no single pupil {given!r} in {incident.ref}: use a name or id from 'ydsi incident show'"
    )


def _record(
    ctx: Context, kind: str, data: dict[str, Any] | Callable[[Incident], dict[str, Any]]
) -> int:
    args = ctx.args
    with open_services(ctx) as services:
        cases = require_cases(services)
        if callable(data):
            data = data(cases.open(args.ref, log=False).incident)
        event = cases.record(args.ref, kind, data, at=getattr(args, "at", None))
    label = KIND_LABELS.get(kind, kind)
    say(f"Recorded in {args.ref}: {label} at {format_local(event.at)} (entry {event.id[:8]}).")
    return 0


# ----------------------------------------------------------------------
# incidents
# ----------------------------------------------------------------------
def cmd_incident_new(ctx: Context) -> int:
    args = ctx.args
    with open_services(ctx) as services:
        ref = require_cases(services).create(
            args.summary, args.kind, disclosed_at=args.disclosed_at
        )
    say(ref)
    return 0


def cmd_incident_list(ctx: Context) -> int:
    with open_services(ctx) as services:
        rows = require_cases(services).rows()
    if ctx.args.json:
        emit_json([row_json(r) for r in rows])
        return 0
    table = [
        [
            r.ref,
            format_local_short(r.opened_at) if r.opened_at else "",
            "OPEN" if r.referral_required and r.status == "open" else status_words(r.status),
            # Until each required referral is recorded as made, whatever was decided.
            ("REFER NOW " if r.referral_required and r.status != "closed" else "")
            + safe(r.next_step),
            f"{len(r.overdue)} overdue" if r.overdue else "",
            repair_hint(r.repair_ref, services.session.role) if r.error else safe(r.summary)[:40],
        ]
        for r in rows
    ]
    print_table(["REF", "OPENED", "STATUS", "NEXT STEP", "FLAGS", "SUMMARY"], table)
    return 0


def cmd_incident_show(ctx: Context) -> int:
    with open_services(ctx) as services:
        view = require_cases(services).open(ctx.args.ref)
        devices = services.devices.rows(incident_ref=ctx.args.ref)
        repeat = require_cases(services).repeat_for(ctx.args.ref)
    if ctx.args.json:
        emit_json(incident_json(view, devices))
        return 0
    data = incident_json(view, devices)
    try:
        kind = view.policy.label("incident_kinds", str(data["kind"]))
    except KeyError:
        kind = str(data["kind"])
    say(f"Incident {safe(data['ref'])}  status: {status_words(data['status'])}  kind: {safe(kind)}")
    say(f"Summary: {safe(data['summary'])}")
    say(f"Policy: {safe(data['policy']['name'])} {safe(data['policy']['version'])}")
    if data["referral_required"]:
        say("!! IMMEDIATE REFERRAL REQUIRED (police and/or children's social care):")
        for reason in data["referral_reasons"]:
            say(f"   - {safe(reason)}")
    advice = data["advice"]
    if advice:
        say(f"Current advice: {safe(advice['title'])}")
        for point in advice["points"]:
            say(f"   - {safe(point)}")
        agreed = advice["police_agreed_to_deletion"]
        if advice["deletion_withheld"]:
            say(
                "   Deletion is refused for this incident unless the police agree "
                "(record who agreed and when)."
            )
        elif agreed:
            when = format_local_short(from_iso(agreed["at"]))
            say(f"   The police agreed to deletion: {safe(agreed['by'])}, {when}.")
    step = data["next_step"]
    say(f"Next step: {safe(step['title']) if step else 'none: ready to close'}")
    for limit in step_limits(view.policy, step["id"]) if step else ():
        say(f"   time limit: {safe(limit.what)}: {safe(limit.shown)}")
    for flag in data["overdue"]:
        say(f"OVERDUE: {safe(flag['text'])}")
    for text in repeat:
        say(f"REPEAT: {safe(text)}")
    if data["pupils"]:
        say("Pupils:")
        for p in data["pupils"]:
            say(f"   {safe(p['name'])} [{safe(p['id'][:8])}] part: {safe(', '.join(p['parts']))}")
    say("Timeline:")
    names = {pid: p.name for pid, p in view.incident.pupils.items()}
    for entry in view.incident.timeline:
        event = entry.event
        mark = " (corrected)" if entry.superseded else ""
        if event.kind in ("signoff", "viewing.acknowledged") and not event.verified:
            mark += " NOT VERIFIED (does not count)"
        text = describe(event, view.policy, names)
        author = safe(event.by) + (" as recorded" if event.authorship.startswith("as ") else "")
        say(
            f"   {format_local_short(event.at)}  {KIND_LABELS.get(event.kind, event.kind)}{mark}: "
            f"{safe(text)}  [by {author}, recorded {format_local_short(event.recorded_at)}]"
        )
    if data["gaps"]:
        say(f"Gaps before closing ({len(data['gaps'])}):")
        for gap in data["gaps"]:
            say(f"   - {safe(gap['text'])}")
    return 0


def cmd_incident_close(ctx: Context) -> int:
    a = ctx.args
    return _record(
        ctx,
        "incident.closed",
        {
            "summary": a.summary,
            "actions": a.actions,
            "outcome": a.outcome,
            "rationale": a.rationale,
            "gaps_reason": a.gaps_reason or "",
        },
    )


def cmd_incident_reopen(ctx: Context) -> int:
    return _record(ctx, "incident.reopened", {"reason": ctx.args.reason})


#: The yes/no facts of children's social care's involvement, as options (and payload keys).
CSC_OPTIONS = {
    "cp_plan": ("--cp-plan", "on a child protection plan"),
    "child_in_need": ("--child-in-need", "a child in need"),
    "looked_after": ("--looked-after", "a looked-after child"),
    "ehcp": ("--ehcp", "has an education, health and care plan (implies SEN)"),
    "previously_known": ("--previously-known", "previously known to children's social care"),
}
_CSC_NOTE = "; any of these makes the children's social care step apply and a contact with them due"


def _csc_facts(a: argparse.Namespace) -> dict[str, Any]:
    """The CSC facts given on the command line (None: not given, so unchanged)."""
    data: dict[str, Any] = {
        name: getattr(a, name) for name in CSC_OPTIONS if getattr(a, name) is not None
    }
    if getattr(a, "social_worker", None):
        data["social_worker"] = a.social_worker
    elif getattr(a, "no_social_worker", False):
        data["social_worker"] = ""
    return data


def cmd_pupil_add(ctx: Context) -> int:
    a = ctx.args
    with open_services(ctx) as services:
        now = require_cases(services).clock.now()
        data: dict[str, Any] = {
            "pupil_id": new_id(),
            "name": a.name,
            "sex": a.sex,
            "parts": a.part or [],
            "sen": a.sen,
            "vulnerabilities": a.vulnerabilities or "",
            **_csc_facts(a),
        }
        if a.dob:
            data["dob"] = parse_date(a.dob, now=now).isoformat()
        if a.year_group is not None:
            data["year_group"] = a.year_group
        cases = require_cases(services)
        event = cases.record(a.ref, "pupil.added", data)
        pupil_id = event.data["pupil_id"]
        say(f"Added pupil {safe(a.name)} to {a.ref} (id {pupil_id}).")
        register = PupilRegister(cases)
        if a.link:
            register.link(a.ref, a.link, pupil_id=pupil_id)
            say(f"Linked to pupil record {a.link}.")
        elif a.new_record:
            say(f"Made pupil record {register.register_incident_pupil(a.ref, pupil_id)}.")
        else:
            listing = register.listing()
            dob = parse_date(a.dob, now=now) if a.dob else None
            found = register.candidates(
                [a.name], dob=dob, year_group=a.year_group, as_of=now.date(), listing=listing
            )
            names = {e.register_id: e.names for e in listing.entries.values()}
            offer_matches(a.ref, found, names)
    return 0


def cmd_pupil_correct(ctx: Context) -> int:
    """A pupil's record corrected (``pupil.updated``): only what is given changes."""
    a = ctx.args

    def build(incident: Incident) -> dict[str, Any]:
        data: dict[str, Any] = {"pupil_id": _pupil_id(incident, a.pupil), **_csc_facts(a)}
        if a.sen is not None:
            data["sen"] = a.sen
        if len(data) < 2:
            raise CliError("say what has changed, e.g. --cp-plan or --no-looked-after")
        return data

    return _record(ctx, "pupil.updated", build)


def cmd_risk(ctx: Context) -> int:
    a = ctx.args

    def build(incident: Incident) -> dict[str, Any]:
        return {"pupil_id": _pupil_id(incident, a.pupil), "question_id": a.question,
                "answer": a.answer}  # fmt: skip

    return _record(ctx, "risk.answered", build)


def cmd_conversation(ctx: Context) -> int:
    a = ctx.args
    if a.not_held and a.by:
        raise CliError("a conversation not held has no --by: give the reason as the text")

    def build(incident: Incident) -> dict[str, Any]:
        pupil = _pupil_id(incident, a.pupil)
        if a.not_held:
            return {"pupil_id": pupil, "reason": a.text}
        return {"pupil_id": pupil, "by_whom": a.by or "", "note": a.text}

    if not a.not_held and not a.by:
        with open_services(ctx) as services:
            a.by = require_cases(services).author
    return _record(ctx, "conversation.not_held" if a.not_held else "conversation", build)


def cmd_note(ctx: Context) -> int:
    return _record(ctx, "note", {"text": ctx.args.text})


def cmd_trigger(ctx: Context) -> int:
    a = ctx.args
    data = {"n": a.n, "answer": a.answer, "basis": a.basis}
    if a.reason_against_suggestion:
        data["reason_against_suggestion"] = a.reason_against_suggestion
    return _record(ctx, "trigger.answered", data)


def cmd_concern(ctx: Context) -> int:
    return _record(ctx, "concern.harm", {"text": ctx.args.text})


def cmd_decide(ctx: Context) -> int:
    a = ctx.args
    data: dict[str, Any] = {
        "outcome": "in_school" if a.outcome == "in-school" else "refer",
        "reason": a.reason,
        "input_from": a.input_from or [],
        "override_reason": a.override_reason or "",
    }
    if a.outcome == "refer":
        data["refer_to"] = a.refer_to or ["police", "csc"]
    if a.review_by:
        with open_services(ctx) as services:
            now = require_cases(services).clock.now()
        data["review_by"] = to_iso_utc(parse_deadline(a.review_by, now=now))
    return _record(ctx, "decision", data)


def cmd_signoff(ctx: Context) -> int:
    a = ctx.args
    with open_services(ctx) as services:
        cases = require_cases(services)
        view = cases.open(a.ref, log=False)
        decision = view.incident.current_decision
        if decision is None:
            raise CliError(f"{a.ref} has no decision to sign off")
        warn(f"You are signing off, as Headteacher, the decision in {a.ref}:")
        warn(f"   handle in school; reason: {safe(decision.reason)}")
        event = cases.sign_off(a.ref, a.statement or STATEMENT, expect_hash=view.file_hash)
    say(f"Signed off {a.ref} with your key (entry {event.id[:8]}).")
    return 0


def cmd_decline(ctx: Context) -> int:
    a = ctx.args
    reason = (a.reason or "").strip()
    if not reason:
        raise CliError("say why you decline to sign off (the DSL reads it in the record)")
    with open_services(ctx) as services:
        cases = require_cases(services)
        view = cases.open(a.ref, log=False)
        event = cases.decline_signoff(a.ref, reason, expect_hash=view.file_hash)
    say(
        f"Declined to sign off the decision in {a.ref} (entry {event.id[:8]}); the DSL "
        "is asked to revise it or refer."
    )
    return 0


#: Each condition of a deliberate viewing, as the command line states it. None has
#: a default: the record police or a court read must assert nothing nobody said.
_VIEWING_CONDITIONS = (
    ("viewer_role", "--viewer-role dsl|team|headteacher|slt|other-staff"),
    ("on_premises", "--on-premises or --not-on-premises"),
    ("same_sex", "--same-sex yes|no|not-possible"),
    ("head_consulted", "--head-consulted or --head-not-consulted"),
    ("distress_considered", "--distress-considered or --distress-not-considered"),
    ("not_copied", "--not-copied or --copied"),
)


def _unstated_conditions(a: argparse.Namespace) -> list[str]:
    missing = [flag for dest, flag in _VIEWING_CONDITIONS if getattr(a, dest) is None]
    if not a.present and not a.nobody_else_present:
        missing.append("--present NAME (repeat) or --nobody-else-present")
    if a.present and a.nobody_else_present:
        missing.append("--present or --nobody-else-present, not both")
    return missing


def cmd_view(ctx: Context) -> int:
    a = ctx.args
    missing = _unstated_conditions(a)
    if missing:
        raise CliError(
            "a viewing states each of the policy's conditions; say "
            + "; ".join(missing)
            + " (shown by a pupil? record it with 'ydsi sighting')"
        )
    acks: dict[str, str] = {}
    for item in a.ack or []:
        rule, sep, reason = item.partition("=")
        if not sep:
            raise CliError(
                "--ack takes RULE=REASON, e.g. --ack same_sex='no female staff available'"
            )
        acks[rule.strip()] = reason

    def build(incident: Incident) -> dict[str, Any]:
        data: dict[str, Any] = {
            "viewer": a.viewer,
            "viewer_role": a.viewer_role.replace("-", "_"),
            "present": a.present or [],
            "where": a.where,
            "on_premises": a.on_premises,
            "reason_id": a.reason,
            "head_consulted": a.head_consulted,
            "same_sex": a.same_sex.replace("-", "_"),
            "distress_considered": a.distress_considered,
            "not_copied": a.not_copied,
            "actions": a.actions,
            "acknowledgements": acks,
        }
        if a.pupil:
            data["pupil_id"] = _pupil_id(incident, a.pupil)
        return data

    return _record(ctx, "viewing", build)


def cmd_sighting(ctx: Context) -> int:
    """Imagery a member of staff saw unavoidably: no decision to view, so no conditions."""
    a = ctx.args

    def build(incident: Incident) -> dict[str, Any]:
        data: dict[str, Any] = {"seen_by": a.seen_by, "how": a.how, "actions": a.actions}
        if a.pupil:
            data["pupil_id"] = _pupil_id(incident, a.pupil)
        return data

    code = _record(ctx, "sighting", build)
    say("Support for them is now due: 'ydsi support REF ENTRY' once it is offered.")
    return code


def _seen_entry(incident: Incident, wanted: str, kinds: tuple[str, ...]) -> Event:
    event = _entry(incident.timeline, wanted)
    if event.kind not in kinds:
        words = " or ".join(KIND_LABELS.get(kind, kind).lower() for kind in kinds)
        raise CliError(f"entry {event.id[:8]} is not an entry of {words}")
    return event


def cmd_support(ctx: Context) -> int:
    """Support offered to staff, recorded against the viewing or sighting it follows (by id)."""
    a = ctx.args

    def build(incident: Incident) -> dict[str, Any]:
        after = _seen_entry(incident, a.entry, ("viewing", "sighting"))
        return {"after_id": after.id, "staff_name": a.staff, "what": a.what}

    return _record(ctx, "staff.support_offered", build)


def cmd_acknowledge(ctx: Context) -> int:
    """The Headteacher acknowledges a deliberate viewing that broke the policy's conditions."""
    a = ctx.args

    def build(incident: Incident) -> dict[str, Any]:
        viewed = _seen_entry(incident, a.entry, ("viewing",))
        return {"viewing_id": viewed.id, "note": a.note}

    return _record(ctx, "viewing.acknowledged", build)


def cmd_parents(ctx: Context) -> int:
    a = ctx.args

    def build(incident: Incident) -> dict[str, Any]:
        pupil = _pupil_id(incident, a.pupil)
        if a.status == "informed":
            if not (a.who and a.how):
                raise CliError("say who was told (who) and how (how), in --fields-file")
            return {"pupil_id": pupil, "who": a.who, "how": a.how, "informed_by": a.by or ""}
        if not (a.reason and a.agreed_with):
            raise CliError("say why not (reason, in --fields-file) and who agreed (--agreed-with)")
        return {"pupil_id": pupil, "reason": a.reason, "agreed_with": a.agreed_with}

    kind = "parents.informed" if a.status == "informed" else "parents.not_informed"
    if a.status == "informed" and not a.by:
        with open_services(ctx) as services:
            a.by = require_cases(services).author
    return _record(ctx, kind, build)


def cmd_police(ctx: Context) -> int:
    a = ctx.args
    if a.outcome:
        crime_ref = (a.crime_ref or [""])[0]
        return _record(
            ctx,
            "police.outcome",
            {"outcome": a.outcome, "crime_ref": crime_ref, "note": a.note or ""},
        )
    if not (a.route and a.spoken_to):
        raise CliError("a police contact needs --route and who you spoke to (or give --outcome)")
    return _record(
        ctx,
        "police.contact",
        {
            "route": a.route.replace("-", "_"),
            "spoken_to": a.spoken_to,
            "crime_refs": a.crime_ref or [],
            "note": a.note or "",
        },
    )


def cmd_deletion(ctx: Context) -> int:
    a = ctx.args

    def build(incident: Incident) -> dict[str, Any]:
        pupil = _pupil_id(incident, a.pupil)
        if a.action == "request":
            if not a.deadline:
                raise CliError("a deletion request needs --deadline (e.g. 'friday 4pm' or +2d)")
            from datetime import UTC, datetime

            deadline = parse_deadline(a.deadline, now=datetime.now(UTC))
            return {
                "pupil_id": pupil,
                "deadline": to_iso_utc(deadline),
                "told_illegal": a.told_illegal,
            }
        if not a.how:
            raise CliError("say how the young person confirmed deletion (how: in --fields-file)")
        return {"pupil_id": pupil, "how": a.how}

    kind = "deletion.requested" if a.action == "request" else "deletion.confirmed"
    return _record(ctx, kind, build)


def cmd_record(ctx: Context) -> int:
    """Any entry kind, with its fields as JSON (the schemas are in ydsi_tui/model/schema.py)."""
    data = _json_fields(ctx.args.data)
    if ctx.args.kind.startswith("device."):
        with open_services(ctx) as services:
            services.devices.record(ctx.args.ref, ctx.args.kind, data, at=ctx.args.at)
        say(f"Recorded in {ctx.args.ref}: {KIND_LABELS.get(ctx.args.kind, ctx.args.kind)}.")
        return 0
    return _record(ctx, ctx.args.kind, data)


def cmd_correct(ctx: Context) -> int:
    """Correct an entry as the app's ``c`` does: a new entry of the same kind that supersedes it.

    The old entry stays in the record (append-only), marked as corrected;
    the new one carries every field again, as the record should now say.
    """
    args = ctx.args
    data = _json_fields(args.data)
    why = data.pop("correction_reason", "")
    device = args.ref.startswith("D-")
    with open_services(ctx) as services:
        if device:
            chain = services.devices.open(args.ref, log=False).device.chain
        else:
            chain = require_cases(services).open(args.ref, log=False).incident.timeline
        old = _entry(chain, args.entry)
        if not isinstance(why, str) or not why.strip():
            raise CliError(
                'say why the entry is corrected: add "correction_reason": "what was wrong" to '
                "the fields (the record keeps both versions and the reason)"
            )
        at = args.at if args.at is not None else old.at
        if device:
            event = services.devices.record(
                args.ref, old.kind, data, at=at, supersedes=old.id, correction_reason=why
            )
        else:
            event = require_cases(services).record(
                args.ref, old.kind, data, at=at, supersedes=old.id, correction_reason=why
            )
    label = KIND_LABELS.get(old.kind, old.kind)
    say(f"Corrected in {args.ref}: {label} (entry {old.id[:8]} is now entry {event.id[:8]}).")
    return 0


def _json_fields(text: str) -> dict[str, Any]:
    try:
        data = json.loads(text)
    except ValueError as exc:
        raise CliError("the fields (--fields-file or --data) must be a JSON object") from exc
    if not isinstance(data, dict):
        raise CliError("the fields (--fields-file or --data) must be a JSON object")
    return data


def _entry(chain: Sequence[TimelineEntry], wanted: str) -> Event:
    """The entry an id (or its first 8 or more characters, as lists show them) names."""
    if len(wanted) < 8 or any(ch not in "0123456789abcdef" for ch in wanted):
        raise CliError("an entry is named by its id: 8 or more of its hex characters")
    found = [t.event for t in chain if t.event.id.startswith(wanted)]
    if not found:
        raise CliError(f"no entry {wanted} in this record ('ydsi incident show REF' lists them)")
    if len(found) > 1:
        raise CliError(f"{wanted} names {len(found)} entries: give more of its id")
    return found[0]


# ----------------------------------------------------------------------
# devices
# ----------------------------------------------------------------------
def cmd_device_seize(ctx: Context) -> int:
    a = ctx.args
    with open_services(ctx) as services:
        ref = services.devices.seize(
            a.incident,
            {
                "description": a.description,
                "owner": a.owner,
                **({"owner_pupil_id": a.owner_pupil_id} if a.owner_pupil_id else {}),
                "seized_by": a.seized_by or services.devices.author,
                "powered_off": a.powered_off,
                "locked_where": a.locked_where or "",
            },
            at=a.at,
        )
    say(ref)
    return 0


def _device_record(ctx: Context, kind: str, data: dict[str, Any]) -> int:
    with open_services(ctx) as services:
        event = services.devices.record(ctx.args.ref, kind, data, at=ctx.args.at)
    say(f"Recorded for {ctx.args.ref}: {KIND_LABELS[kind]} at {format_local(event.at)}.")
    return 0


def cmd_device_move(ctx: Context) -> int:
    return _device_record(ctx, "device.moved", {"to_where": ctx.args.to, "reason": ctx.args.reason})


def cmd_device_lock(ctx: Context) -> int:
    return _device_record(ctx, "device.locked", {"where": ctx.args.where})


def cmd_device_poweroff(ctx: Context) -> int:
    by = ctx.args.confirmed_by
    with open_services(ctx) as services:
        by = by or services.devices.author
    return _device_record(ctx, "device.powered_off", {"confirmed_by": by})


def cmd_device_access(ctx: Context) -> int:
    return _device_record(ctx, "device.accessed", {"by": ctx.args.by, "reason": ctx.args.reason})


def cmd_device_handover(ctx: Context) -> int:
    a = ctx.args
    by = a.handed_over_by
    with open_services(ctx) as services:
        by = by or services.devices.author
    return _device_record(
        ctx,
        "device.handover",
        {
            "officer": a.officer,
            "handed_over_by": by,
            "officer_id": a.officer_id or "",
            "crime_ref": a.crime_ref or "",
        },
    )


def cmd_device_relink(ctx: Context) -> int:
    """``ydsi device relink``: a device logged against the wrong incident reference.

    A technician's re-link cannot be checked (they hold no incident key); the
    DSL's home says so until the reference is an incident. A DSL's is checked.
    """
    return _device_record(
        ctx, "device.relinked", {"incident_ref": ctx.args.incident, "reason": ctx.args.reason}
    )


def cmd_device_return(ctx: Context) -> int:
    return _device_record(ctx, "device.returned", {"to_whom": ctx.args.to})


def cmd_device_list(ctx: Context) -> int:
    with open_services(ctx) as services:
        rows = services.devices.rows(incident_ref=ctx.args.incident)
    if ctx.args.json:
        emit_json([device_row_json(r) for r in rows])
        return 0
    print_table(
        ["DEVICE", "INCIDENT", "STATUS", "WHERE", "SEIZED", "FLAGS", "DESCRIPTION"],
        [
            [
                r.ref,
                r.incident_ref,
                r.status,
                safe(r.location)[:20],
                format_local_short(r.seized_at) if r.seized_at else "",
                "; ".join(f.code for f in r.overdue),
                repair_hint(r.repair_ref, services.session.role)
                if r.error
                else safe(r.description)[:30],
            ]
            for r in rows
        ],
    )
    return 0


def cmd_device_show(ctx: Context) -> int:
    with open_services(ctx) as services:
        view = services.devices.open(ctx.args.ref)
        policy = services.policy
    data = device_json(view, policy)
    if ctx.args.json:
        emit_json(data)
        return 0
    say(
        f"Device {safe(data['ref'])} (incident {safe(data['incident_ref'])}): "
        f"{safe(data['status'])}"
    )
    say(f"  {safe(data['description'])}; owner {safe(data['owner'])}; at {safe(data['location'])}")
    for link in data["chain"]:
        say(f"  {link['at_local']}  {link['label']}: {safe(link['text'])}  [by {safe(link['by'])}]")
    for flag in data["overdue"]:
        say(f"  OVERDUE: {safe(flag['text'])}")
    return 0


# ----------------------------------------------------------------------
# the parser
# ----------------------------------------------------------------------
def _social_worker_field() -> Field:
    return Field(
        "social_worker",
        "--social-worker",
        "their allocated social worker: name (and team)" + _CSC_NOTE,
        metavar="NAME",
    )


def _bool_pair(p: argparse.ArgumentParser, name: str, help_yes: str, default: bool = False) -> None:
    dest = name.replace("-", "_")
    p.add_argument(f"--{name}", dest=dest, action="store_true", default=default, help=help_yes)
    p.add_argument(f"--no-{name}", dest=dest, action="store_false", help=argparse.SUPPRESS)


def _stated(
    p: argparse.ArgumentParser, dest: str, yes: tuple[str, str], no: tuple[str, str]
) -> None:
    """A yes/no the user must state: two visible flags and no default (None until given)."""
    group = p.add_mutually_exclusive_group()
    group.add_argument(yes[0], dest=dest, action="store_const", const=True, help=yes[1])
    group.add_argument(no[0], dest=dest, action="store_const", const=False, help=no[1])
    p.set_defaults(**{dest: None})


def _informed(args: argparse.Namespace) -> bool:
    return bool(args.status == "informed")


def _not_informed(args: argparse.Namespace) -> bool:
    return bool(args.status == "not-informed")


def register(
    sub: argparse._SubParsersAction[argparse.ArgumentParser], common: argparse.ArgumentParser
) -> None:
    at = argparse.ArgumentParser(add_help=False)
    at.add_argument(
        "--at",
        metavar="WHEN",
        help="when it happened, UK style: '14/11 10:30', 'yesterday 3pm', '10:30' (default: now)",
    )

    incident = sub.add_parser("incident", help="open, list, show and close incidents")
    isub = incident.add_subparsers(dest="incident_command", metavar="COMMAND", required=True)
    p = isub.add_parser("new", parents=[common], help="open a new incident; prints its reference")
    takes_content(p, Field("summary", "--summary", "a short description, in words", True))
    p.add_argument(
        "--kind",
        default="peer_sharing",
        help="peer_sharing (the default), non_consensual, sextortion, ai_generated or other",
    )
    p.add_argument("--disclosed-at", metavar="WHEN", help="when it was disclosed (default now)")
    p.set_defaults(func=cmd_incident_new)
    p = isub.add_parser("list", parents=[common], help="list incidents with next steps and flags")
    p.add_argument("--json", action="store_true", help="print JSON (a list of incident rows)")
    p.set_defaults(func=cmd_incident_list)
    p = isub.add_parser("show", parents=[common], help="show one incident (the read is audited)")
    p.add_argument("ref")
    p.add_argument("--json", action="store_true", help="print JSON: ref, status, timeline, ...")
    p.set_defaults(func=cmd_incident_show)
    p = isub.add_parser("close", parents=[common, at], help="close an incident with its summary")
    p.add_argument("ref")
    takes_content(
        p,
        Field("summary", "--summary", "the closing summary", True, long=True),
        Field("actions", "--actions", "what was done", True, long=True),
        Field("outcome", "--outcome", "the outcome, in words", True),
        Field("rationale", "--rationale", "why these actions", True, long=True),
        Field("gaps_reason", "--gaps-reason", "why it can close with things still unrecorded"),
    )
    p.set_defaults(func=cmd_incident_close)
    p = isub.add_parser("reopen", parents=[common, at], help="reopen a closed incident")
    p.add_argument("ref")
    takes_content(p, Field("reason", "--reason", "why it is reopened", True))
    p.set_defaults(func=cmd_incident_reopen)

    pupil = sub.add_parser("pupil", help="pupils in incidents, and the pupil register")
    psub = pupil.add_subparsers(dest="pupil_command", metavar="COMMAND", required=True)
    p = psub.add_parser("add", parents=[common, at], help="add a pupil and their part")
    p.add_argument("ref")
    takes_content(
        p,
        Field("name", "NAME", "their name in full", True),
        Field("vulnerabilities", "--vulnerabilities", "other vulnerabilities, in words"),
        _social_worker_field(),
        primary="name",
    )
    age = p.add_mutually_exclusive_group()
    age.add_argument("--dob", help="date of birth, e.g. 14/11/2010")
    age.add_argument("--year-group", type=int, help="school year, e.g. 10")
    p.add_argument("--sex", default="unknown", choices=["female", "male", "other", "unknown"])
    p.add_argument(
        "--part",
        action="append",
        choices=["pictured", "sent", "received", "shared"],
        help="their part (repeat for several)",
    )
    p.add_argument("--sen", action="store_true", help="special educational needs")
    for name, (flag, words) in CSC_OPTIONS.items():
        p.add_argument(flag, dest=name, action="store_true", default=None, help=words)
    record = p.add_mutually_exclusive_group()
    record.add_argument(
        "--link",
        metavar="ID",
        type=register_id,
        help="the child's pupil record (P-…) to link them to",
    )
    record.add_argument(
        "--new-record", action="store_true", help="make a new pupil record for them"
    )
    p.set_defaults(func=cmd_pupil_add)

    p = psub.add_parser(
        "correct",
        parents=[common, at],
        help="correct a pupil's record: what CSC know of them, SEN (only what is given changes)",
    )
    p.add_argument("ref")
    takes_content(
        p,
        Field("pupil", "PUPIL", "the pupil's id (or name)", True, selector=True),
        _social_worker_field(),
    )
    p.add_argument(
        "--no-social-worker", action="store_true", help="no allocated social worker (clears it)"
    )
    p.add_argument("--sen", action=argparse.BooleanOptionalAction, default=None,
                   help="special educational needs (--no-sen: none)")  # fmt: skip
    for name, (flag, words) in CSC_OPTIONS.items():
        p.add_argument(
            flag,
            dest=name,
            action=argparse.BooleanOptionalAction,
            default=None,
            help=f"{words} ({flag.replace('--', '--no-', 1)}: not)",
        )
    p.set_defaults(func=cmd_pupil_correct)
    register_pupil_commands(psub, common)

    p = sub.add_parser(
        "risk", parents=[common, at], help="answer a risk question for one young person"
    )
    p.add_argument("ref")
    takes_content(
        p,
        Field("pupil", "PUPIL", "the pupil's id (or name)", True, selector=True),
        Field("answer", "--answer", "the answer for this young person, in words", True),
        primary="answer",
    )
    p.add_argument(
        "question", metavar="QUESTION", help="the risk question's id ('ydsi policy show')"
    )
    p.set_defaults(func=cmd_risk)

    p = sub.add_parser(
        "conversation",
        parents=[common, at],
        help="the conversation with one young person, or why there was none (--not-held)",
    )
    p.add_argument("ref")
    takes_content(
        p,
        Field("pupil", "PUPIL", "the pupil's id (or name)", True, selector=True),
        Field("text", "--text", "what was found out (or, with --not-held, why not)", True,
              long=True, label="note"),
        Field("by", "--by", "who held it (default: you)"),
        primary="text",
    )  # fmt: skip
    p.add_argument(
        "--not-held", action="store_true", help="there was no conversation: the text says why"
    )
    p.set_defaults(func=cmd_conversation)

    p = sub.add_parser("note", parents=[common, at], help="add a timestamped note")
    p.add_argument("ref")
    takes_content(p, Field("text", "TEXT", "the note", True, long=True, label="note"))
    p.set_defaults(func=cmd_note)

    p = sub.add_parser(
        "trigger", parents=[common, at], help="answer one of the five referral triggers"
    )
    p.add_argument("ref")
    p.add_argument("n", type=int, choices=range(1, 6), metavar="N", help="1 to 5, as in the policy")
    p.add_argument("answer", choices=["yes", "no", "unknown"])
    takes_content(
        p,
        Field("basis", "--basis", "what the answer is based on", True),
        Field(
            "reason_against_suggestion",
            "--reason-against-suggestion",
            "why the answer is no where the record suggests yes (an adult, sextortion, age)",
        ),
        primary="basis",
    )
    p.set_defaults(func=cmd_trigger)

    p = sub.add_parser(
        "concern", parents=[common, at], help="a young person harmed or at risk: refer now"
    )
    p.add_argument("ref")
    takes_content(p, Field("text", "TEXT", "the concern", True, long=True, label="concern"))
    p.set_defaults(func=cmd_concern)

    p = sub.add_parser(
        "decide", parents=[common, at], help="record the decision: refer or in school"
    )
    p.add_argument("ref")
    p.add_argument("outcome", choices=["refer", "in-school"])
    p.add_argument("--refer-to", action="append", choices=["police", "csc"])
    takes_content(
        p,
        Field("reason", "--reason", "the reason for the decision", True, long=True),
        Field("input_from", "--input-from", "who gave input (repeat)", many=True),
        Field("override_reason", "--override-reason", "why in school though a trigger says refer"),
        primary="reason",
    )
    p.add_argument("--review-by", metavar="WHEN", help="when the decision is to be reviewed")
    p.set_defaults(func=cmd_decide)

    p = sub.add_parser(
        "signoff", parents=[common], help="Headteacher: sign off a decision not to refer out"
    )
    p.add_argument("ref")
    takes_content(p, Field("statement", "--statement", f"what you sign (default: '{STATEMENT}')"))
    p.set_defaults(func=cmd_signoff)

    p = sub.add_parser(
        "decline",
        parents=[common],
        help="Headteacher: decline to sign off a decision, saying why (it stays waiting)",
    )
    p.add_argument("ref")
    takes_content(p, Field("reason", "--reason", "why you decline to sign it off"))
    p.set_defaults(func=cmd_decline)

    p = sub.add_parser(
        "view",
        parents=[common, at],
        help="record a deliberate viewing of the imagery",
        description="Record a decision to view the imagery. Each of the policy's conditions "
        "is stated, none assumed. A viewing that broke any of them goes to the Headteacher "
        "until they acknowledge it. Imagery a pupil showed a member of staff is no decision "
        "to view: record it with 'ydsi sighting'.",
    )
    p.add_argument("ref")
    p.add_argument(
        "--viewer-role",
        choices=["dsl", "team", "headteacher", "slt", "other-staff"],
        help="who viewed it: the DSL or a delegated team member, or someone else",
    )
    p.add_argument(
        "--nobody-else-present",
        action="store_true",
        help="no other member of staff was in the room (else name them with --present)",
    )
    takes_content(
        p,
        Field("viewer", "--viewer", "who viewed it", True),
        Field("present", "--present", "another member of staff present (repeat)", many=True),
        Field("where", "--where", "where it was viewed", True),
        Field("actions", "--actions", "what happened next", True, long=True),
        Field("pupil", "--pupil", "the pupil in the imagery (id, or name)", selector=True),
        Field("ack", "--ack", "RULE=REASON for each rule not met (repeat)", many=True),
    )
    _stated(
        p,
        "on_premises",
        ("--on-premises", "it was on school premises"),
        ("--not-on-premises", "it was not on school premises"),
    )
    p.add_argument("--reason", required=True, help="which of the permitted reasons (its id)")
    _stated(
        p,
        "head_consulted",
        ("--head-consulted", "the Headteacher was consulted first"),
        ("--head-not-consulted", "the Headteacher was not consulted first"),
    )
    p.add_argument(
        "--same-sex",
        choices=["yes", "no", "not-possible"],
        help="viewed by a member of staff of the young person's sex",
    )
    _stated(
        p,
        "distress_considered",
        ("--distress-considered", "viewing would not cause the pupil significant distress"),
        ("--distress-not-considered", "the risk of distress was not considered"),
    )
    _stated(
        p,
        "not_copied",
        ("--not-copied", "it was not copied, printed or shared"),
        ("--copied", "it was copied, printed or shared"),
    )
    p.set_defaults(func=cmd_view)

    p = sub.add_parser(
        "sighting",
        parents=[common, at],
        help="imagery a member of staff saw unavoidably (shown by a pupil)",
        description="Record that a member of staff saw the imagery unavoidably: a pupil "
        "showed it to them, or they came upon it in their daily role. No decision to view "
        "was made, so the viewing conditions do not apply; support for that person is due "
        "until recorded with 'ydsi support'.",
    )
    p.add_argument("ref")
    takes_content(
        p,
        Field("seen_by", "--seen-by", "who saw it (name and role)", True),
        Field("how", "--how", "how they came to see it", True),
        Field("actions", "--actions", "what was done", True, long=True),
        Field("pupil", "--pupil", "the pupil in the imagery (id, or name)", selector=True),
    )
    p.set_defaults(func=cmd_sighting)

    p = sub.add_parser(
        "support",
        parents=[common, at],
        help="support offered to staff after a viewing or sighting",
        description="Record the support offered to a member of staff after they saw the "
        "imagery, against that viewing's or sighting's entry (its id, as 'ydsi incident "
        "show' lists it), whatever their name is typed as.",
    )
    p.add_argument("ref")
    p.add_argument("entry", help="the viewing's or sighting's entry id (8 or more characters)")
    takes_content(
        p,
        Field("staff", "--staff", "the member of staff (name and role)", True),
        Field("what", "--what", "what support was offered", True),
    )
    p.set_defaults(func=cmd_support)

    p = sub.add_parser(
        "acknowledge",
        parents=[common, at],
        help="Headteacher: acknowledge a viewing that broke the policy's conditions",
        description="The Headteacher acknowledges a deliberate viewing of the imagery that "
        "broke any of the policy's conditions; until then it shows on the home screen, in "
        "Needs attention and in the inspection check. Only the Headteacher's own key counts.",
    )
    p.add_argument("ref")
    p.add_argument("entry", help="the viewing's entry id (8 or more characters)")
    takes_content(p, Field("note", "--note", "what you did about it, or why it stands", True))
    p.set_defaults(func=cmd_acknowledge)

    p = sub.add_parser("parents", parents=[common, at], help="parents informed, or why not")
    p.add_argument("ref")
    takes_content(
        p,
        Field("pupil", "PUPIL", "the pupil's id (or name)", True, selector=True),
        Field("who", "--who", "who was told", _informed),
        Field("how", "--how", "how (phone, meeting...)", _informed),
        Field("by", "--by", "who told them (default: you)"),
        Field("reason", "--reason", "why they were not informed", _not_informed),
    )
    p.add_argument("status", choices=["informed", "not-informed"])
    p.add_argument("--agreed-with", choices=["csc", "police", "both"])
    p.set_defaults(func=cmd_parents)

    p = sub.add_parser("police", parents=[common, at], help="a police contact, or the outcome")
    p.add_argument("ref")
    p.add_argument(
        "--route", help="safer_schools_officer, pcso, neighbourhood, call_101, call_999 or ceop"
    )
    p.add_argument("--crime-ref", action="append", help="every crime reference number (repeat)")
    p.add_argument("--outcome", help="the outcome the police gave, e.g. outcome_21")
    takes_content(
        p,
        Field("spoken_to", "--spoken-to", "who you spoke to", lambda a: not a.outcome),
        Field("note", "--note", "a note", long=True),
    )
    p.set_defaults(func=cmd_police)

    p = sub.add_parser("deletion", parents=[common, at], help="ask a pupil to delete, or confirm")
    p.add_argument("ref")
    takes_content(
        p,
        Field("pupil", "PUPIL", "the pupil's id (or name)", True, selector=True),
        Field("how", "--how", "how they confirmed (confirm)", lambda a: a.action == "confirm"),
    )
    p.add_argument("action", choices=["request", "confirm"])
    p.add_argument("--deadline", help="by when (request)")
    _bool_pair(p, "told-illegal", "they were told possession is illegal")
    p.set_defaults(func=cmd_deletion)

    p = sub.add_parser(
        "record", parents=[common, at], help="record any kind of entry, fields given as JSON"
    )
    p.add_argument("ref")
    p.add_argument("kind", help="e.g. csc.contact, review.meeting, risk.answered, conversation")
    takes_content(
        p,
        Field("data", "--data", 'the fields as a JSON object, e.g. {"text": "..."}', True),
        free_form=True,
        into="data",
    )
    p.set_defaults(func=cmd_record)
    p = sub.add_parser(
        "correct",
        parents=[common, at],
        help="correct an entry: a new one of the same kind replaces it (the old one is kept)",
        description="Correct an entry, as the app's 'c' does. Give every field of the entry "
        "as it should now read (a JSON object, as for 'ydsi record'), with "
        '"correction_reason": why (what was wrong); the entry keeps its '
        "'happened at' time unless --at is given. The corrected entry stays in the record, "
        "marked as corrected.",
    )
    p.add_argument("ref", help="the incident's (or device's) reference")
    p.add_argument("entry", help="the entry's id (its first 8 characters are enough)")
    takes_content(
        p,
        Field("data", "--data", "the corrected fields as a JSON object", True),
        free_form=True,
        into="data",
    )
    p.set_defaults(func=cmd_correct)

    device = sub.add_parser("device", help="the device custody log (technicians too)")
    dsub = device.add_subparsers(dest="device_command", metavar="COMMAND", required=True)
    p = dsub.add_parser(
        "seize", parents=[common, at], help="record a seized device; prints its ref"
    )
    p.add_argument("--incident", required=True, help="the incident's reference")
    p.add_argument(
        "--owner-pupil-id",
        metavar="ID",
        help="the young person in the incident it belongs to, by id ('ydsi incident show "
        "REF --json' lists them): a subject access report finds it by this",
    )
    takes_content(
        p,
        Field("description", "--description", "make, model, colour, case", True),
        Field(
            "owner",
            "--owner",
            "the owner's initials or a code (capitals, digits, . / -), never a name: "
            "technicians read the device log",
            True,
        ),
        Field("seized_by", "--seized-by", "who seized it (default: you)"),
        Field("locked_where", "--locked-where", "where it is locked up"),
    )
    _bool_pair(p, "powered-off", "it was turned off")
    p.set_defaults(func=cmd_device_seize)
    p = dsub.add_parser("move", parents=[common, at], help="record a move")
    p.add_argument("ref")
    takes_content(
        p,
        Field("to", "--to", "where it is now", True),
        Field("reason", "--reason", "why it was moved", True),
    )
    p.set_defaults(func=cmd_device_move)
    p = dsub.add_parser("lock", parents=[common, at], help="record where it is locked up")
    p.add_argument("ref")
    takes_content(p, Field("where", "--where", "where it is locked up", True))
    p.set_defaults(func=cmd_device_lock)
    p = dsub.add_parser("poweroff", parents=[common, at], help="confirm it is turned off")
    p.add_argument("ref")
    takes_content(p, Field("confirmed_by", "--confirmed-by", "who confirmed it (default: you)"))
    p.set_defaults(func=cmd_device_poweroff)
    p = dsub.add_parser("access", parents=[common, at], help="record an access to the device")
    p.add_argument("ref")
    takes_content(
        p,
        Field("by", "--by", "who accessed it", True),
        Field("reason", "--reason", "why", True),
    )
    p.set_defaults(func=cmd_device_access)
    p = dsub.add_parser("handover", parents=[common, at], help="record the hand-over to police")
    p.add_argument("ref")
    takes_content(
        p,
        Field("officer", "--officer", "the officer's name", True),
        Field("handed_over_by", "--handed-over-by", "who handed it over (default: you)"),
        primary="officer",
    )
    p.add_argument("--officer-id")
    p.add_argument("--crime-ref")
    p.set_defaults(func=cmd_device_handover)
    p = dsub.add_parser("return", parents=[common, at], help="record its return")
    p.add_argument("ref")
    takes_content(p, Field("to", "--to", "to whom it was returned", True))
    p.set_defaults(func=cmd_device_return)
    p = dsub.add_parser(
        "relink", parents=[common, at],
        help="correct the incident a device was logged against (the seizure is kept)",
    )  # fmt: skip
    p.add_argument("ref")
    p.add_argument("--incident", required=True, help="the right incident reference")
    takes_content(p, Field("reason", "--reason", "why the reference is corrected", True))
    p.set_defaults(func=cmd_device_relink)
    p = dsub.add_parser("list", parents=[common], help="list devices and their status")
    p.add_argument("--incident", help="only this incident's devices")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_device_list)
    p = dsub.add_parser("show", parents=[common], help="a device's whole custody chain")
    p.add_argument("ref")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_device_show)
