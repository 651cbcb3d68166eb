"""Forms as data: one spec per kind of entry, built from the model's schema and the policy.

The schema (``model/schema.py``) says what each entry must contain; this
module adds what a person needs to fill it in: a label, the widget, the
policy's own wording beside the field, and the conversion from what was
typed (``yesterday 3pm``, ``Ava; Ben``) to the payload the service checks.
No widgets here: the form screen draws a :class:`FormSpec`, and tests can
check every spec without a terminal.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..model.errors import ValidationError
from ..model.events import new_id
from ..model.schema import (
    DEVICE_SCHEMAS,
    INCIDENT_SCHEMAS,
    SCHEMAS,
    Context,
    Field,
    validate_payload,
)
from ..model.text import LONG_TEXT_MAX_CHARS
from ..model.timeparse import (
    date_from_iso,
    format_local_short,
    from_iso,
    parse_deadline,
    parse_dob,
    parse_when,
    to_iso_utc,
    to_local,
)
from ..model.viewing_rules import (
    UNAVOIDABLE_REASON,
    Finding,
    check_viewing,
    seen_imagery,
    unacknowledged_breaches,
)
from ..model.wording import CHOICE_WORDS
from ..service.describe import KIND_LABELS

if TYPE_CHECKING:
    from ..model.events import Event
    from ..model.policy import Policy
    from ..model.staff_reports import StaffReport
    from ..service.casebook import IncidentView

__all__ = [
    "AT",
    "INCIDENT_REF",
    "KIND_STEP",
    "NEW_INCIDENT_PUPILS",
    "FieldSpec",
    "FormSpec",
    "NewIncident",
    "Values",
    "check_form",
    "collect",
    "device_spec",
    "entry_spec",
    "field_id",
    "field_label",
    "new_incident_parts",
    "new_incident_spec",
    "pupil_field",
    "split_note_time",
    "values_from_event",
]

#: The field holding when the entry's event happened (``at``), where it has one.
AT = "_at"
#: The incident reference typed on a seizure recorded outside an incident.
INCIDENT_REF = "_incident_ref"

Values = dict[str, Any]

#: The entry whose payload time is the event's time, instead of a separate "when".
AT_FROM = {"disclosure": "disclosed_at", "review.meeting": "held_at"}

#: Which step of the procedure each kind of entry belongs to (for its guidance).
KIND_STEP = {
    "disclosure": "disclosure",
    "pupil.added": "disclosure",
    "pupil.updated": "disclosure",
    "pupil.linked": "disclosure",
    "pupil.unlinked": "disclosure",
    "adult.added": "disclosure",
    "staff.added": "disclosure",
    "incident.opened": "disclosure",
    "staff_report.taken_in": "disclosure",
    "review.meeting": "review_meeting",
    "content.described": "review_meeting",
    "trigger.answered": "decision",
    "decision": "decision",
    "decision.reviewed": "decision",
    "signoff.declined": "decision",
    "risk.answered": "risks",
    "parents.informed": "parents",
    "parents.not_informed": "parents",
    "police.contact": "police",
    "police.outcome": "police",
    "device.seized": "devices",
    "csc.contact": "csc",
    "agency.meeting": "csc",
    "other_setting.contact": "csc",
    "viewing": "viewing",
    "sighting": "viewing",
    "viewing.acknowledged": "viewing",
    "staff.support_offered": "viewing",
    "deletion.requested": "deletion",
    "deletion.confirmed": "deletion",
    "deletion.search": "deletion",
    "discipline": "deletion",
    "conversation": "talking",
    "conversation.not_held": "talking",
    "support.route": "closing",
    "support.not_offered": "closing",
    "deletion.police_agreed": "deletion",
    "incident.closed": "closing",
}

_LABELS: dict[str, str] = {
    "summary": "Summary (what happened, in a line or two)",
    "kind": "Kind of incident",
    "text": "Note",
    "discloser_type": "Who disclosed",
    "discloser_name": "Their name, if known",
    "to_whom": "Disclosed to (name and role)",
    "how": "How (in person, by phone, by message…)",
    "disclosed_at": "When it was disclosed",
    "dsl_told_at": "When the DSL was told",
    "description": "What the imagery shows, in words (never the image itself)",
    "sexual_acts": "Does it show sexual acts?",
    "violent": "Is it violent?",
    "name": "Name in full",
    "dob": "Date of birth (dd/mm/yyyy)",
    "year_group": "Year group, if the date of birth is not known",
    "sex": "Sex",
    "parts": "Their part (Space ticks; tick all that apply)",
    "sen": "Special educational needs?",
    "vulnerabilities": "Other vulnerabilities",
    "capacity_concern": "Concern about their capacity to consent?",
    "social_worker": "Allocated social worker (name and team), if any",
    "cp_plan": "On a child protection plan?",
    "child_in_need": "A child in need?",
    "looked_after": "A looked-after child?",
    "ehcp": "Has an education, health and care plan (EHCP)?",
    "previously_known": "Previously known to children's social care?",
    "role": "Role",
    "involvement": "Involvement",
    "held_at": "When the meeting was held",
    "attendees": "Who attended (names in full, separated by ;)",
    "n": "Trigger",
    "answer": "Answer",
    "basis": "Basis: what the answer rests on, and from whom",
    "outcome": "Outcome",
    "refer_to": "Refer to (Space ticks)",
    "reason": "Reason",
    "input_from": "Input from (names, separated by ;)",
    "override_reason": "If a trigger applies and you still respond in school: why",
    "review_by": "Review the decision by (e.g. +7d, friday)",
    "note": "Note",
    "question_id": "Risk question",
    "who": "Who was told (name and relationship)",
    "informed_by": "Told by",
    "agreed_with": "Decision agreed with",
    "route": "Route",
    "spoken_to": "Spoke to (name, role or number)",
    "crime_refs": "Crime reference number(s), separated by ;",
    "crime_ref": "Crime reference number",
    "type": "Contact or referral",
    "reference": "Their reference",
    "setting": "Setting or person contacted",
    "viewer": "Who viewed it (name in full)",
    "viewer_role": "Their role",
    "present": "Who else was in the room (names, separated by ;)",
    "where": "Where",
    "on_premises": "On school premises?",
    "reason_id": "Why it was viewed",
    "head_consulted": "Discussed with the Headteacher first?",
    "same_sex": "Viewed by someone of the young person's sex?",
    "distress_considered": "Was the risk of significant distress to the pupil considered?",
    "not_copied": "Confirmed not copied, printed or shared?",
    "actions": "What happened next (subsequent actions)",
    "pupil_id": "Young person",
    "staff_name": "Member of staff",
    "seen_by": "Who saw it (name and role)",
    "after_id": "After which viewing or sighting",
    "viewing_id": "The viewing that broke the policy's conditions",
    "what": "What support was offered",
    "deadline": "Delete by (e.g. +48h, friday 3pm)",
    "told_illegal": "Told that possessing the imagery is illegal?",
    "by_whom": "Held by",
    "step_id": "Step",
    "status": "Mark the step",
    "rationale": "Rationale",
    "gaps_reason": "If something is not recorded: why it can be closed anyway",
    "owner": "Owner's initials or code (never a name)",
    "owner_pupil_id": "Whose it is (for subject access; technicians see only the code)",
    "seized_by": "Seized by",
    "powered_off": "Powered off?",
    "locked_where": "Locked away where",
    "confirmed_by": "Confirmed off by",
    "by": "Accessed by",
    "to_where": "Moved to",
    "officer": "Police officer (name)",
    "officer_id": "Officer's number",
    "handed_over_by": "Handed over by (who gave it to the officer)",
}

#: Labels that differ by kind of entry.
_KIND_LABELS: dict[tuple[str, str], str] = {
    ("decision", "outcome"): "Decision",
    ("decision", "reason"): "Reasons for the decision",
    ("decision.reviewed", "outcome"): "Outcome of the review",
    ("decision.reviewed", "note"): "Note (why, if escalated)",
    ("police.outcome", "outcome"): "Outcome given by the police",
    ("incident.closed", "outcome"): "Outcome",
    ("incident.closed", "summary"): "Closing summary",
    ("incident.closed", "actions"): "Actions taken",
    ("parents.informed", "how"): "How they were told",
    ("parents.not_informed", "reason"): "Why they were not told",
    ("step.status", "reason"): "Reason (needed for not applicable or later)",
    ("deletion.search", "reason"): "The good and clear reason for searching",
    ("deletion.confirmed", "how"): "How deletion was confirmed",
    ("device.accessed", "reason"): "Why",
    ("device.moved", "reason"): "Why",
    ("incident.reopened", "reason"): "Why it is reopened",
    ("agency.meeting", "who"): "The meeting: who attended, which agencies",
    ("adult.added", "description"): "Who they are, and their part",
    ("staff.added", "name"): "Member of staff (name in full)",
    ("device.seized", "description"): "The device (make, colour, case); never its contents",
    ("device.locked", "where"): "Where it is locked away",
    ("viewing", "where"): "Where it was viewed",
    ("sighting", "how"): "How they came to see it (shown by a pupil, in their daily role…)",
    ("sighting", "actions"): "What was done",
    ("viewing.acknowledged", "note"): "What you did about it, or why it stands",
    ("support.route", "route"): "Support route offered",
    ("support.not_offered", "reason"): "Why no support route was offered",
    ("deletion.police_agreed", "officer"): "Police officer who agreed (name and role)",
    ("deletion.police_agreed", "crime_ref"): "Crime reference",
    ("risk.answered", "answer"): "Answer",
    ("concern.harm", "text"): "The concern: who may be harmed or at risk, and why",
    ("conversation", "note"): "What was found out (without looking at the imagery)",
    ("conversation.not_held", "reason"): "Why there was no conversation with them",
    ("discipline", "note"): "The disciplinary response (the school's choice)",
    ("police.contact", "route"): "Route",
    ("device.returned", "to_whom"): "Returned to",
    ("device.relinked", "incident_ref"): "The right incident reference (such as 2026-007)",
    ("device.relinked", "reason"): "Why the reference is corrected",
}

#: The schema's fixed choices in words: the model's, so every screen says the same.
_CHOICE_LABELS = CHOICE_WORDS


@dataclass(frozen=True)
class ReportSource:
    """The report from staff a new incident is opened from (kept in memory, never drawn).

    ``report`` is None for a form restored from a draft: saving opens the
    report again (that opening is logged too).
    """

    report_id: str
    spool: Path
    report: StaffReport | None = field(default=None, compare=False, repr=False)


@dataclass(frozen=True)
class FieldSpec:
    """One field as shown: ``widget`` is line, text, when, deadline, dob, int, list,
    select, yesno or multi."""

    name: str
    label: str
    widget: str
    required: bool = False
    help: str = ""
    options: tuple[tuple[str, str], ...] = ()
    option_help: Mapping[str, str] = field(default_factory=dict)
    default: Any = None
    #: A select's options chosen by one letter each ({"y": "yes"}), shown in the label.
    letters: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class FormSpec:
    """A form: which entry it makes, for which record, its fields and the policy's words.

    ``target`` is ``incident`` (an entry in incident ``ref``), ``new_incident``,
    ``device`` (an entry in device ``ref``) or ``new_device`` (a seizure).
    ``fixed`` holds payload values the form does not show (the id of a new
    pupil, the decision a review is of). ``from_report`` is the new-incident
    form opened from a report from staff (``source`` says which).
    """

    kind: str
    title: str
    target: str
    fields: tuple[FieldSpec, ...]
    ref: str | None = None
    guidance: str = ""
    supersedes: str | None = None
    fixed: Mapping[str, Any] = field(default_factory=dict)
    source: ReportSource | None = None

    def field(self, name: str) -> FieldSpec | None:
        return next((f for f in self.fields if f.name == name), None)


def field_id(name: str) -> str:
    """A widget id for a field name (``answers.parents`` -> ``f-answers--parents``)."""
    return "f-" + name.replace(".", "--")


# --------------------------------------------------------------------- building


def _label(kind: str, name: str) -> str:
    return _KIND_LABELS.get((kind, name), _LABELS.get(name, name.replace("_", " ").capitalize()))


#: What a label says only to the person typing: "(dd/mm/yyyy)", ", separated by ;".
_TYPING_HINTS = re.compile(r"\s*\([^()]*\)|,\s*separated by ;")


def field_label(kind: str, name: str) -> str:
    """What a field of an entry of ``kind`` is called when it is read, not typed.

    Its form's label without the typing hints ("Date of birth (dd/mm/yyyy)" is
    "Date of birth"; "Their part (Space ticks; ...)" is "Their part").
    """
    return _TYPING_HINTS.sub("", _label(kind, name)).strip() or _label(kind, name)


def _choices(values: Sequence[str]) -> tuple[tuple[str, str], ...]:
    return tuple((_CHOICE_LABELS.get(v, v), v) for v in values)


def _vocab_options(policy: Policy, vocab: str) -> tuple[tuple[str, str], ...]:
    if vocab == "steps":
        return tuple((step.title, step.id) for step in policy.steps)
    if vocab == "risk_questions":
        return tuple((q.text, q.id) for q in policy.risk_questions)
    if vocab == "viewing_reasons":
        return tuple((q.text, q.id) for q in policy.viewing_reasons)
    return tuple((choice.label, choice.id) for choice in policy.vocabulary(vocab))


def _guidance(policy: Policy, kind: str) -> str:
    if kind == "concern.harm":
        return policy.harm_concern_text
    step_id = KIND_STEP.get(kind)
    if step_id is None:
        return ""
    try:
        step = policy.step(step_id)
    except KeyError:
        return ""
    return f"{step.title} (the policy's words):\n{step.guidance.strip()}"


#: Yes, no and not yet known by one letter each (by their labels' letters, n would be
#: No and Not yet known in turn).
_YNU_LETTERS = {"y": "yes", "n": "no", "u": "unknown"}


def _field(
    kind: str, name: str, spec: Field, policy: Policy, view: IncidentView | None
) -> list[FieldSpec]:
    label = _label(kind, name)
    required = spec.required
    t = spec.type
    if t in ("text", "name", "ref", "label"):
        widget = "text" if spec.max_chars >= LONG_TEXT_MAX_CHARS else "line"
        return [FieldSpec(name, label, widget, required)]
    if t == "bool":
        return [FieldSpec(name, label, "yesno", required, options=_choices(("yes", "no")))]
    if t == "int" and name == "n":
        options = tuple(
            (f"{trigger.n}. {trigger.wording(policy.settings.trigger4_age_threshold)}",
             str(trigger.n))
            for trigger in policy.triggers
        )  # fmt: skip
        return [
            FieldSpec(
                name,
                label,
                "select",
                required,
                options=tuple(
                    (text[:60] + ("…" if len(text) > 60 else ""), v) for text, v in options
                ),
                option_help={v: text for text, v in options if len(text) > 60},
            )
        ]
    if t == "int":
        return [FieldSpec(name, label, "int", required)]
    if t == "choice":
        letters = _YNU_LETTERS if set(spec.choices) == set(_YNU_LETTERS.values()) else {}
        return [FieldSpec(name, label, "select", required, options=_choices(spec.choices),
                          letters=letters)]  # fmt: skip
    if t == "vocab":
        options = _vocab_options(policy, spec.vocab or "")
        short = tuple((text[:60] + ("…" if len(text) > 60 else ""), v) for text, v in options)
        return [
            FieldSpec(name, label, "select", required, options=short,
                      option_help={v: text for text, v in options if len(text) > 60})
        ]  # fmt: skip
    if t == "datetime":
        widget = "deadline" if spec.future else "when"
        return [FieldSpec(name, label, widget, required)]
    if t == "date":
        return [FieldSpec(name, label, "dob", required)]
    if t in ("names", "refs"):
        return [FieldSpec(name, label, "list", required)]
    if t == "choices":
        return [FieldSpec(name, label, "multi", required, options=_choices(spec.choices))]
    if t == "vocabs":
        return [
            FieldSpec(name, label, "multi", required,
                      options=_vocab_options(policy, spec.vocab or ""))
        ]  # fmt: skip
    if t == "answers":
        items = policy.review_considerations if spec.vocab == "review_considerations" else ()
        return [
            FieldSpec(f"{name}.{item.id}", f"{i}. {item.text}", "line", False)
            for i, item in enumerate(items, start=1)
        ]
    if t == "id" and name == "pupil_id":
        pupils = view.incident.pupils if view is not None else {}
        options = tuple((pupil.name or "(no name)", pid) for pid, pupil in pupils.items())
        return [FieldSpec(name, label, "select", required, options=options)]
    if t == "event_id" and name in ("after_id", "viewing_id"):
        return [FieldSpec(name, label, "select", required, options=_seen_options(name, view))]
    if t == "id" and name == "reason_id":
        # A pupil presenting the image is no decision to view: that is a sighting.
        options = tuple(
            (text, v)
            for text, v in _vocab_options(policy, "viewing_reasons")
            if v != UNAVOIDABLE_REASON
        )
        return [
            FieldSpec(
                name, label, "select", required,
                options=tuple((text[:60] + "…", v) for text, v in options),
                option_help={v: text for text, v in options},
            )
        ]  # fmt: skip
    return []  # event ids, sha256, base64, acknowledgements: not typed by people


def _seen_options(name: str, view: IncidentView | None) -> tuple[tuple[str, str], ...]:
    """Viewings and sightings to choose from, by when and who: support names one by id."""
    if view is None:
        return ()
    incident = view.incident
    if name == "viewing_id":
        entries = [entry for entry, _ in unacknowledged_breaches(incident, view.policy)]
    else:
        entries = list(seen_imagery(incident))
    options: list[tuple[str, str]] = []
    for entry in entries:
        who = entry.text("seen_by") if entry.kind == "sighting" else entry.text("viewer")
        what = "seen unavoidably" if entry.kind == "sighting" else "viewed"
        options.append((f"{format_local_short(entry.at)} {what} by {who}"[:60], entry.event_id))
    return tuple(options)


def _with_help(
    kind: str,
    fields: list[FieldSpec],
    policy: Policy,
    view: IncidentView | None,
    preset: Mapping[str, Any],
) -> list[FieldSpec]:
    out: list[FieldSpec] = []
    for spec in fields:
        help_text = ""
        default = spec.default
        if (
            kind == "trigger.answered"
            and spec.name == "answer"
            and view is not None
            and str(preset.get("n")) == "4"
        ):
            suggestion = view.trigger4
            help_text = (
                f"For trigger 4 the record suggests: {suggestion.answer.upper()}. "
                f"{suggestion.basis}"
            )
        elif (
            kind == "disclosure"
            and spec.name == "disclosed_at"
            and view is not None
            and view.incident.opened_at is not None
        ):  # asked once: when the incident was opened (the walk found it asked again, blank)
            default = f"{to_local(view.incident.opened_at):%d/%m/%Y %H:%M}"
            help_text = "When the incident was opened as disclosed; change it if that was wrong."
        elif kind == "deletion.requested" and spec.name == "deadline":
            hours = policy.settings.deletion_deadline_default_hours
            help_text = "Young people should be given a deadline for deletion."
            default = f"+{hours}h"
        elif kind == "parents.not_informed" and spec.name == "agreed_with":
            help_text = (
                "A decision not to inform parents is made with children's social care "
                "and/or the police."
            )
        elif kind == "decision" and spec.name == "reason":
            help_text = (
                "Where the school does not refer out, record the reason; the Headteacher "
                "signs it off."
            )
        elif kind == "viewing" and spec.name == "reason_id":
            help_text = (
                "Viewing is permissible only for one of the policy's reasons. Shown the image "
                "by a pupil? That is no decision to view: record an unavoidable sighting."
            )
        elif kind == "sighting" and spec.name == "seen_by":
            help_text = (
                "Nobody decided to view it, so the viewing conditions do not apply; support "
                "for this person is due until recorded."
            )
        elif kind == "staff.support_offered" and spec.name == "after_id":
            help_text = "Support is recorded against the viewing or sighting it follows."
        elif spec.name == "sen":
            help_text = "Concerns about capacity to consent (trigger 2) include SEN."
        elif spec.name == "social_worker":
            help_text = (
                "The policy: contact children's social care if they are, may be or have "
                "been involved with the young person. Any of these makes that contact due."
            )
        out.append(replace(spec, help=help_text or spec.help, default=default))
    return out


def entry_spec(
    kind: str,
    policy: Policy,
    view: IncidentView | None,
    *,
    ref: str,
    supersedes: str | None = None,
    preset: Mapping[str, Any] | None = None,
) -> FormSpec:
    """The form for an incident entry of ``kind`` in incident ``ref``."""
    schema = INCIDENT_SCHEMAS[kind]
    fixed: dict[str, Any] = {}
    fields: list[FieldSpec] = []
    for name, spec in schema.items():
        if name in ("pupil_id", "adult_id") and kind in ("pupil.added", "adult.added"):
            fixed[name] = new_id()
            continue
        if name == "decision_id" and view is not None:
            current = view.incident.current_decision
            if current is not None:
                fixed[name] = current.event_id
            continue
        if kind == "viewing" and name == "acknowledgements":
            continue
        fields.extend(_field(kind, name, spec, policy, view))
    if kind not in AT_FROM:
        fields.append(
            FieldSpec(AT, "When it happened (now, 10:30, yesterday 3pm, 14/11 10:30)", "when",
                      True, default="now")
        )  # fmt: skip
    fields = _with_help(kind, fields, policy, view, preset or {})
    if preset:
        fields = [replace(f, default=preset[f.name]) if f.name in preset else f for f in fields]
    if supersedes:
        fields.insert(0, CORRECTION_FIELD)
    verb = "Correct" if supersedes else "Record"
    return FormSpec(
        kind=kind,
        title=f"{verb}: {KIND_LABELS.get(kind, kind)} ({ref})",
        target="incident",
        fields=tuple(fields),
        ref=ref,
        guidance=_guidance(policy, kind),
        supersedes=supersedes,
        fixed=fixed,
    )


#: How many young people the new-incident form takes (more are added from the incident).
NEW_INCIDENT_PUPILS = 2
#: The disclosure's fields on the new-incident form (its time is the form's ``_at``).
_DISCLOSURE_FIELDS = ("discloser_type", "discloser_name", "to_whom", "how", "dsl_told_at")
#: Each young person's fields on the new-incident form, as ``pupils.N.<name>``.
_PUPIL_FIELDS = ("name", "born", "sex", "parts", "sen")


def pupil_field(n: int, name: str) -> str:
    """The new-incident form's field for young person ``n`` (from 1): ``pupils.1.name``."""
    return f"pupils.{n}.{name}"


def new_incident_spec(policy: Policy) -> FormSpec:
    """The disclosure whole, in one form: what happened, who told whom, when, how, when
    the DSL was told, and the young people with their parts (the walk-through found it
    split over two forms, the second asking the disclosure time again)."""
    disclosure = INCIDENT_SCHEMAS["disclosure"]
    pupil = INCIDENT_SCHEMAS["pupil.added"]
    fields = [
        FieldSpec("summary", _LABELS["summary"], "line", True),
        FieldSpec("kind", _LABELS["kind"], "select", True,
                  options=_vocab_options(policy, "incident_kinds"), default="peer_sharing"),
        FieldSpec(AT, "When it was disclosed (now, 10:30, yesterday 3pm)", "when", True,
                  default="now"),
    ]  # fmt: skip
    for name in _DISCLOSURE_FIELDS:
        fields.extend(_field("disclosure", name, disclosure[name], policy, None))
    for n in range(1, NEW_INCIDENT_PUPILS + 1):
        who = "Young person 1" if n == 1 else f"Young person {n} (if any)"
        for name in _PUPIL_FIELDS:
            if name == "born":
                spec = FieldSpec(name, "Date of birth (dd/mm/yyyy), or year group (7-13)", "line")
            else:
                (spec,) = _field("pupil.added", name, replace(pupil[name], required=False),
                                 policy, None)  # fmt: skip
            label = f"{who}: name in full" if name == "name" else f"  {spec.label}"
            fields.append(replace(spec, name=pupil_field(n, name), label=label))
    fields = _with_help("pupil.added", fields, policy, None, {})
    return FormSpec(
        kind="incident.opened",
        title="New incident",
        target="new_incident",
        fields=tuple(fields),
        guidance=_guidance(policy, "disclosure"),
    )


def report_incident_spec(
    policy: Policy, report: StaffReport, *, received_at: datetime, spool: Path
) -> FormSpec:
    """The one disclosure form, filled in from a report from staff (the DSL checks each field).

    Disclosed to the reporter (their name and job title as typed); the DSL
    told when the report was received; when it was disclosed, as the
    reporter said (their words shown beside it where they were not a time);
    the first young people they named.
    """
    from ..service.inbox import disclosure_from_words, reported_time

    base = new_incident_spec(policy)
    filled = disclosure_from_words(report, received_at=received_at)
    when = reported_time(report)
    defaults: dict[str, Any] = {
        "to_whom": filled["to_whom"],
        "how": filled["how"],
        "dsl_told_at": _local_minute(received_at),
        AT: _local_minute(when) if when is not None else "",
    }
    if "discloser_name" in filled:
        defaults["discloser_name"] = filled["discloser_name"]
    for n, name in enumerate(report.young_people[:NEW_INCIDENT_PUPILS], start=1):
        defaults[pupil_field(n, "name")] = name
    said = report.disclosed_when_text.strip()
    fields: list[FieldSpec] = []
    for spec in base.fields:
        if spec.name in defaults:
            spec = replace(spec, default=defaults[spec.name])
        if spec.name == AT and said:
            spec = replace(spec, help=f"The report says: \N{LEFT DOUBLE QUOTATION MARK}{said}"
                           "\N{RIGHT DOUBLE QUOTATION MARK}")  # fmt: skip
        if spec.name == "dsl_told_at":
            spec = replace(spec, help="When the report reached the inbox: the earliest you "
                           "could have known.")  # fmt: skip
        fields.append(spec)
    return replace(
        base,
        title="New incident from a report from staff",
        target="from_report",
        fields=tuple(fields),
        source=ReportSource(report.report_id, spool, report),
    )


def _local_minute(moment: datetime) -> str:
    return f"{to_local(moment):%d/%m/%Y %H:%M}"


@dataclass(frozen=True)
class NewIncident:
    """The new-incident form's payloads, as the service's ``create`` takes them.

    ``fields`` says which form field each payload field came from, so that an
    error the schema finds is shown on the field it is about.
    """

    summary: str
    kind: str
    disclosure: dict[str, Any]
    pupils: tuple[dict[str, Any], ...]
    fields: Mapping[tuple[str, str], str] = field(default_factory=dict)


def new_incident_parts(data: Mapping[str, Any], ids: Sequence[str], now: datetime) -> NewIncident:
    """Group what :func:`collect` read from the new-incident form (``ids``: pupils' ids).

    A young person is recorded when their name is given; the date-of-birth field
    takes a year group too (a number up to 14). A date that cannot be one is
    refused (ValidationError on that field).
    """
    disclosure = {name: data[name] for name in _DISCLOSURE_FIELDS if name in data}
    where: dict[tuple[str, str], str] = {("disclosure", n): n for n in _DISCLOSURE_FIELDS}
    where[("disclosure", "disclosed_at")] = AT
    pupils: list[dict[str, Any]] = []
    for n in range(1, NEW_INCIDENT_PUPILS + 1):
        name = data.get(pupil_field(n, "name"))
        if not name:
            continue
        payload: dict[str, Any] = {"pupil_id": ids[n - 1], "name": name}
        for part in ("sex", "parts", "sen"):
            value = data.get(pupil_field(n, part))
            if value not in (None, []):
                payload[part] = value
        born = str(data.get(pupil_field(n, "born")) or "").strip()
        if born.isdigit() and int(born) <= 14:
            payload["year_group"] = int(born)
        elif born:
            payload["dob"] = parse_dob(born, now=now, field=pupil_field(n, "born")).isoformat()
        index = len(pupils)
        for part in ("pupil_id", "name", "sex", "parts", "sen"):
            where[(f"pupil{index}", part)] = pupil_field(n, part)
        for part in ("dob", "year_group"):
            where[(f"pupil{index}", part)] = pupil_field(n, "born")
        pupils.append(payload)
    return NewIncident(
        str(data.get("summary", "")), str(data.get("kind", "")), disclosure, tuple(pupils), where
    )


def _check_new_incident(
    data: Mapping[str, Any], at: datetime | None, now: datetime, policy: Policy
) -> dict[str, str]:
    """The disclosure and each young person checked as the service will check them."""
    errors: dict[str, str] = {}
    try:
        parts = new_incident_parts(data, [new_id() for _ in range(NEW_INCIDENT_PUPILS)], now)
    except ValidationError as error:
        return {error.field: error.message}
    context = Context(at=at or now, now=now, policy=policy)
    disclosed_at = to_iso_utc(at or now)
    checks = [("disclosure", "disclosure", {**parts.disclosure, "disclosed_at": disclosed_at})]
    checks += [(f"pupil{i}", "pupil.added", p) for i, p in enumerate(parts.pupils)]
    for group, kind, payload in checks:
        if kind == "pupil.added":  # every missing part said at once, beside its field
            missing = [p for p in ("sex", "parts", "sen") if payload.get(p) in (None, [])]
            if "dob" not in payload and "year_group" not in payload:
                missing.append("dob")
            for part in missing:
                errors.setdefault(parts.fields[(group, part)], "This is required.")
            if missing:
                continue
        try:
            validate_payload(kind, payload, context)
        except ValidationError as error:
            name = parts.fields.get((group, error.field), AT)
            errors.setdefault(name, error.message)
    return errors


#: Not a field of the entry: the reason goes beside the correction, in the record.
CORRECTION_REASON = "correction_reason"
CORRECTION_FIELD = FieldSpec(
    CORRECTION_REASON, "Why this correction (what was wrong)", "line", True,
    help="Kept with the correction: years later, a reader sees both versions and why.",
)  # fmt: skip


#: Seizure fields the form no longer asks: power-off and lock-up are entries of
#: their own (the device screen's p and k), each with its own time and person,
#: not a tick and a place sharing the seizure's one time. Older seizures and
#: the command line's shorthand still carry them.
_SEIZURE_LEGACY = ("powered_off", "locked_where")


def device_spec(
    kind: str,
    policy: Policy,
    *,
    ref: str | None,
    incident_ref: str | None = None,
    supersedes: str | None = None,
    pupils: Mapping[str, str] | None = None,
) -> FormSpec:
    """A custody form; a seizure outside an incident asks for the incident's reference.

    ``pupils`` (id -> name: the incident's young people, known only to a case
    role) offers to link a seized device to its owner, so that a subject
    access report finds it; the device log itself shows only the label.
    """
    fields: list[FieldSpec] = []
    if kind == "device.seized" and incident_ref is None:
        fields.append(FieldSpec(INCIDENT_REF, "Incident reference (such as 2026-007)", "line",
                                True))  # fmt: skip
    for name, spec in DEVICE_SCHEMAS[kind].items():
        if kind == "device.seized" and name in _SEIZURE_LEGACY:
            continue
        if name == "owner_pupil_id" and pupils:
            options = tuple((who or "(no name)", pid) for pid, who in pupils.items())
            fields.append(FieldSpec(name, _LABELS[name], "select", False, options=options))
            continue
        fields.extend(_field(kind, name, spec, policy, None))
    fields.append(
        FieldSpec(AT, "When (now, 10:30, yesterday 3pm, 14/11 10:30)", "when", True,
                  default="now")
    )  # fmt: skip
    if supersedes:
        fields.insert(0, CORRECTION_FIELD)
    where = ref or incident_ref or ""
    return FormSpec(
        kind=kind,
        title=f"{KIND_LABELS.get(kind, kind)}{f' ({where})' if where else ''}",
        target="new_device" if kind == "device.seized" else "device",
        fields=tuple(fields),
        ref=ref if kind != "device.seized" else incident_ref,
        guidance=_guidance(policy, "device.seized"),
        supersedes=supersedes,
    )


# --------------------------------------------------------------------- reading values

_SPLIT = re.compile(r"\s*[;\n]\s*")


def _text_value(value: Any) -> str:
    return value if isinstance(value, str) else ""


def _parse(spec: FieldSpec, raw: Any, now: datetime) -> Any:
    """One field's typed value as the payload wants it; None when left empty."""
    widget = spec.widget
    if widget == "multi":
        return list(raw) if isinstance(raw, list | tuple) else []
    if widget in ("select", "yesno"):
        if raw in (None, ""):
            return None
        if widget == "yesno":
            return raw == "yes"
        return int(raw) if spec.name == "n" else raw
    text = _text_value(raw)
    if widget == "list":
        if not text.strip():
            return []
        separator = _SPLIT if (";" in text or "\n" in text) else re.compile(r"\s*,\s*")
        return [item for item in separator.split(text.strip()) if item]
    if not text.strip():
        return None
    if widget == "when":
        return parse_when(text, now=now, field=spec.name)
    if widget == "deadline":
        return parse_deadline(text, now=now, field=spec.name)
    if widget == "dob":
        return parse_dob(text, now=now, field=spec.name)
    if widget == "int":
        if not text.strip().isdigit():
            raise ValidationError(spec.name, "Type a whole number, such as 10.")
        return int(text.strip())
    return text


def collect(
    form: FormSpec, values: Mapping[str, Any], now: datetime, *, strict: bool = True
) -> tuple[dict[str, Any], datetime | None, dict[str, str]]:
    """(payload, when it happened, errors by field) from what was typed.

    With ``strict`` the first error is raised as ValidationError instead of
    being returned in the errors map.
    """
    data: dict[str, Any] = dict(form.fixed)
    errors: dict[str, str] = {}
    at: datetime | None = None
    answers: dict[str, str] = {}
    acks: dict[str, str] = {}
    for spec in form.fields:
        try:
            value = _parse(spec, values.get(spec.name, spec.default), now)
        except ValidationError as error:
            if strict:
                raise
            errors[spec.name] = error.message
            continue
        if spec.required and value in (None, "", []):
            message = "This is required."
            if strict:
                raise ValidationError(spec.name, message)
            errors[spec.name] = message
            continue
        if spec.name == AT:
            at = value
        elif spec.name.startswith("answers."):
            if value:
                answers[spec.name.split(".", 1)[1]] = value
        elif spec.name.startswith("ack."):
            if value:
                acks[spec.name.split(".", 1)[1]] = value
        elif spec.name == INCIDENT_REF:
            data[INCIDENT_REF] = (value or "").strip()
        elif value is not None:
            if isinstance(value, datetime):
                value = to_iso_utc(value)
            elif isinstance(value, date):
                value = value.isoformat()
            data[spec.name] = value
    if any(f.name.startswith("answers.") for f in form.fields):
        data["answers"] = answers
    if acks:
        data["acknowledgements"] = acks
    if form.kind in AT_FROM and isinstance(data.get(AT_FROM[form.kind]), str):
        at = from_iso(data[AT_FROM[form.kind]])
    return data, at, errors


def unmet_viewing_rules(data: Mapping[str, Any], policy: Policy) -> list[Finding]:
    payload = {k: v for k, v in data.items() if k != "acknowledgements"}
    return check_viewing(payload, None, policy)


def check_form(
    form: FormSpec, values: Mapping[str, Any], now: datetime, policy: Policy
) -> tuple[dict[str, Any], datetime | None, dict[str, str]]:
    """Everything that can be checked before saving: each field, then the schema."""
    data, at, errors = collect(form, values, now, strict=False)
    if errors:
        return data, at, errors
    payload = {k: v for k, v in data.items() if k not in (INCIDENT_REF, CORRECTION_REASON)}
    if form.target in ("new_incident", "from_report"):
        return data, at, _check_new_incident(data, at, now, policy)
    if form.target == "triggers":
        return data, at, _check_triggers(form, data, now, policy)
    if form.target == "risks":
        return data, at, _check_risks(form, values, data, now, policy)
    try:
        validate_payload(form.kind, payload, Context(at=at or now, now=now, policy=policy))
    except ValidationError as error:
        errors[error.field.replace("acknowledgements.", "ack.")] = error.message
    return data, at, errors


def split_note_time(text: str, now: datetime) -> tuple[datetime | None, str, str | None]:
    """A quick note's time prefix: ``"10:30 spoke to mum"`` -> (10:30 today, "spoke to mum").

    Returns (when or None for now, the note, an error if the text starts with
    something that looks like a time but cannot be one).
    """
    words = text.strip().split()
    for count in (3, 2, 1):
        if len(words) <= count:
            continue
        prefix = " ".join(words[:count])
        try:
            when = parse_when(prefix, now=now)
        except ValidationError:
            continue
        return when, " ".join(words[count:]), None
    if words and _TIMELIKE.match(words[0]) and len(words) > 1:
        try:
            parse_when(words[0], now=now)
        except ValidationError as error:
            return None, text.strip(), error.message
    return None, text.strip(), None


_TIMELIKE = re.compile(
    r"^(\d{1,2}[:.]\d{2}(am|pm)?|\d{1,2}(am|pm)|\d{1,2}/\d{1,2}(/\d{2,4})?|yesterday|today)$",
    re.IGNORECASE,
)


# --------------------------------------------------------------------- corrections


def _local(value: Any) -> str:
    if isinstance(value, str):
        try:
            return f"{to_local(from_iso(value)):%d/%m/%Y %H:%M}"
        except ValidationError:
            return value
    return ""


def values_from_event(form: FormSpec, event: Event) -> Values:
    """What the form would hold to record ``event`` again (to correct it)."""
    data = event.data
    values: Values = {}
    for spec in form.fields:
        name = spec.name
        if name == AT:
            values[name] = f"{to_local(event.at):%d/%m/%Y %H:%M}"
            continue
        if name.startswith("answers."):
            answers = data.get("answers") or {}
            values[name] = str(answers.get(name.split(".", 1)[1], ""))
            continue
        value = data.get(name)
        if value is None:
            continue
        if spec.widget in ("when", "deadline"):
            values[name] = _local(value)
        elif spec.widget == "dob":
            try:
                values[name] = f"{date_from_iso(str(value)):%d/%m/%Y}"
            except ValidationError:
                values[name] = str(value)
        elif spec.widget == "yesno":
            values[name] = "yes" if value is True else "no"
        elif spec.widget == "list":
            values[name] = "; ".join(str(v) for v in value)
        elif spec.widget == "multi":
            values[name] = [str(v) for v in value]
        else:
            values[name] = str(value)
    for rule_id, reason in (data.get("acknowledgements") or {}).items():
        values[f"ack.{rule_id}"] = str(reason)
    return values


def correction_fixed(form: FormSpec, event: Event) -> dict[str, Any]:
    """A correction keeps the ids the original entry carried (pupil, adult, decision)."""
    fixed = dict(form.fixed)
    for name in ("pupil_id", "adult_id", "decision_id"):
        if name in fixed and isinstance(event.data.get(name), str):
            fixed[name] = event.data[name]
    return fixed


assert set(KIND_STEP) <= set(SCHEMAS)


# --------------------------------------------------------------------- the five triggers

#: The form that answers every trigger at once (not an entry kind: it saves
#: one ``trigger.answered`` entry per row that changed).
TRIGGERS_FORM = "triggers.all"
#: Each row's parts, as ``t<n>.<part>``: the answer, its basis, and (only where the
#: record suggests YES) the reason for answering against the suggestion.
_TRIGGER_PARTS = ("answer", "basis", "reason_against_suggestion")


def trigger_field(n: int, part: str) -> str:
    """The triggers form's field for row ``n``: ``t3.basis``."""
    return f"t{n}.{part}"


def triggers_spec(policy: Policy, view: IncidentView, *, ref: str) -> FormSpec:
    """Every trigger in one form: a row of answer and basis each, opened on the answers
    already recorded, with what the record suggests beside each.

    The walk counted five separate forms of 8 to 10 control keys each; one form
    answers them in one pass, and saving records only the rows that changed.
    """
    threshold = policy.settings.trigger4_age_threshold
    fields: list[FieldSpec] = []
    for trigger in policy.triggers:
        n = trigger.n
        current = view.incident.triggers.get(n)
        suggestion = view.suggestions.get(n)
        said = ""
        if suggestion is not None:
            verb = "YES" if suggestion.answer == "yes" else "ask about this"
            said = f"The record suggests: {verb}. {suggestion.basis}"
        fields.append(
            FieldSpec(
                trigger_field(n, "answer"), f"Trigger {n}: yes, no or not yet known (y/n/u)",
                "select", help=f"{n}. {trigger.wording(threshold)}\n{said}".strip(),
                options=_choices(("yes", "no", "unknown")),
                letters=_YNU_LETTERS,
                default=current.answer if current is not None else None,
            )
        )  # fmt: skip
        fields.append(
            FieldSpec(
                trigger_field(n, "basis"), f"  {n}. Based on (what you know, and from whom)",
                "line", default=current.basis if current is not None else "",
            )
        )  # fmt: skip
        if suggestion is not None and suggestion.answer == "yes":
            fields.append(
                FieldSpec(
                    trigger_field(n, "reason_against_suggestion"),
                    f"  {n}. If NO: why, against the suggested YES",
                    "line",
                    default=current.reason_against_suggestion if current is not None else "",
                )
            )
    return FormSpec(
        kind=TRIGGERS_FORM,
        title=f"Record: the {len(policy.triggers)} referral triggers ({ref})",
        target="triggers",
        fields=tuple(fields),
        ref=ref,
        guidance=_guidance(policy, "trigger.answered"),
    )


def trigger_rows(form: FormSpec, data: Mapping[str, Any]) -> list[dict[str, Any]]:
    """The ``trigger.answered`` payloads of the rows that differ from how the form opened.

    A row left unanswered records nothing; the reason against a suggestion is
    sent only with a NO (the only answer it can explain).
    """
    rows: list[dict[str, Any]] = []
    numbers = sorted({int(f.name[1:].split(".", 1)[0]) for f in form.fields})
    for n in numbers:
        answer = data.get(trigger_field(n, "answer"))
        if not answer:
            continue
        changed = False
        row: dict[str, Any] = {"n": n, "answer": answer}
        for part in _TRIGGER_PARTS:
            spec = form.field(trigger_field(n, part))
            if spec is None:
                continue
            value = data.get(spec.name)
            value = value.strip() if isinstance(value, str) else value
            default = spec.default.strip() if isinstance(spec.default, str) else spec.default
            changed = changed or (value or None) != (default or None)
            if part != "answer" and value:
                row[part] = value
        if answer != "no":
            row.pop("reason_against_suggestion", None)
        if changed:
            rows.append(row)
    return rows


def _check_triggers(
    form: FormSpec, data: Mapping[str, Any], now: datetime, policy: Policy
) -> dict[str, str]:
    """Each changed row checked as its own entry; an error names the row's field."""
    errors: dict[str, str] = {}
    rows = trigger_rows(form, data)
    if not rows and form.fields:  # saving nothing would close the form as if it had
        errors[form.fields[0].name] = (
            "Nothing to save: answer a trigger (yes, no or not yet known), or close with Esc."
        )
    for row in rows:
        n = row["n"]
        reason = form.field(trigger_field(n, "reason_against_suggestion"))
        if (
            row["answer"] == "no"
            and reason is not None
            and not row.get("reason_against_suggestion")
        ):
            errors[reason.name] = (
                f"The record suggests YES for trigger {n}. To answer no, say why here."
            )
            continue
        try:
            validate_payload("trigger.answered", row, Context(at=now, now=now, policy=policy))
        except ValidationError as error:
            errors[trigger_field(n, error.field)] = error.message
    return errors


# --------------------------------------------------------------------- the risk questions

#: The form that answers every risk question for one young person at once (not an
#: entry kind: it saves one ``risk.answered`` entry per row that changed).
RISKS_FORM = "risks.all"


def risk_field(question_id: str) -> str:
    """The risk form's field for question ``question_id``: ``r.why_shared``."""
    return f"r.{question_id}"


def risks_spec(policy: Policy, view: IncidentView, *, ref: str, pupil_id: str) -> FormSpec:
    """The policy's risk questions for one young person, a row each, opened on the
    answers already recorded for them.

    "For each young person": the walk found seven forms, each a question chosen
    from a dropdown and no way to say whom the answer was about. Here the form
    names the young person, each row is the question in full, and saving records
    only the rows that changed.
    """
    pupil = view.incident.pupils.get(pupil_id)
    who = (pupil.name if pupil is not None else "") or "(no name)"
    answers = view.incident.risk_answers.get(pupil_id, {})
    count = len(policy.risk_questions)
    fields = []
    for i, question in enumerate(policy.risk_questions, start=1):
        recorded = answers.get(question.id)
        fields.append(
            FieldSpec(
                risk_field(question.id),
                f"{i} of {count}. {question.text}",
                "text",
                default=recorded.text("answer") if recorded is not None else "",
            )
        )
    return FormSpec(
        kind=RISKS_FORM,
        title=f"Record: the risk questions for {who} ({ref})",
        target="risks",
        fields=tuple(fields),
        ref=ref,
        guidance=_guidance(policy, "risk.answered"),
        fixed={"pupil_id": pupil_id},
    )


def risk_rows(form: FormSpec, data: Mapping[str, Any]) -> list[dict[str, Any]]:
    """The ``risk.answered`` payloads of the rows that differ from how the form opened
    (a row left empty records nothing)."""
    rows: list[dict[str, Any]] = []
    for spec in form.fields:
        value = data.get(spec.name)
        answer = value.strip() if isinstance(value, str) else ""
        default = spec.default.strip() if isinstance(spec.default, str) else ""
        if answer and answer != default:
            rows.append({"pupil_id": form.fixed.get("pupil_id"),
                         "question_id": spec.name.split(".", 1)[1], "answer": answer})  # fmt: skip
    return rows


def _check_risks(
    form: FormSpec, values: Mapping[str, Any], data: Mapping[str, Any], now: datetime,
    policy: Policy,
) -> dict[str, str]:  # fmt: skip
    """Each changed row checked as its own entry; an emptied row is refused (an answer
    recorded stays in the record: it is corrected, from the Timeline, never blanked)."""
    errors: dict[str, str] = {}
    for spec in form.fields:
        typed = values.get(spec.name)
        if isinstance(spec.default, str) and spec.default.strip() and not str(typed or "").strip():
            errors[spec.name] = (
                "This answer is recorded; to change it, type the new answer here "
                "(to withdraw it, correct its entry on the Timeline, c)."
            )
    rows = risk_rows(form, data)
    if not rows and not errors and form.fields:
        errors[form.fields[0].name] = (
            "Nothing to save: answer a question, or close with Esc."
        )  # fmt: skip
    for row in rows:
        try:
            validate_payload("risk.answered", row, Context(at=now, now=now, policy=policy))
        except ValidationError as error:
            errors[risk_field(row["question_id"])] = error.message
    return errors
