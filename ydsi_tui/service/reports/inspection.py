"""The inspection check: every incident against the inspectorate's questions.

The policy lists the questions an inspector asks of safeguarding records
(complete and up to date; risk identified and managed; sound decisions and
timely referrals; tenacity with agencies; partnership; inter-agency
meetings; transfer and safe keeping), each with the checks that answer it
and the step of the procedure where each missing piece is recorded. This
report runs them on every incident and lists, per incident, what is missing
and the step to fix it (one entry per question and step), plus anything
overdue. It states each time limit the policy sets (the setting and the
policy's words) and each incident's actual times against them, so "timely"
is a measured answer. It shows no content, so the incidents are read without
logging a read of each.

JSON shape (``ydsi report inspection --json``), shape 1::

    {"shape": 1, "kind": "inspection", "generated_at", "questions": [{"id", "text"}],
     "limits": [{"id", "what", "setting", "amount", "unit", "words", "policy_says"}],
     "incidents": [{"ref", "status", "complete": bool,
                    "missing": [{"question_id", "question", "missing": [str],
                                 "fix_step": {"id", "title"}}],
                    "times": [{"limit_id", "label", "start", "end": str|null,
                               "due", "within": bool|null, "reason_recorded": bool}],
                    "overdue": [str], "error": str|null}],
     "complete": int, "incomplete": int}
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from ...model import rules
from ...model.policy import Policy
from ...model.timelimits import TimeLimit, Timing, incident_times, time_limits
from ...model.timeparse import format_local, to_iso_utc
from ..casebook import CaseBook
from ..shapes import SHAPE_VERSION
from .document import MARKING, Block, Document, Heading, Paragraph
from .scan import Progress, each_incident

__all__ = [
    "IncidentCheck",
    "InspectionReport",
    "Missing",
    "inspection_document",
    "inspection_json",
    "inspection_report",
    "timing_words",
]


@dataclass(frozen=True)
class Missing:
    question_id: str
    question: str
    missing: tuple[str, ...]
    fix_step_id: str
    fix_step: str


@dataclass(frozen=True)
class IncidentCheck:
    ref: str
    status: str
    missing: tuple[Missing, ...]
    overdue: tuple[str, ...]
    error: str = ""
    times: tuple[Timing, ...] = ()
    #: For each overdue item, the step that records what it waits for ("" unknown).
    overdue_steps: tuple[str, ...] = ()

    @property
    def complete(self) -> bool:
        return not self.missing and not self.overdue and not self.error


@dataclass(frozen=True)
class InspectionReport:
    incidents: tuple[IncidentCheck, ...]
    questions: tuple[tuple[str, str], ...]
    generated_at: datetime
    limits: tuple[TimeLimit, ...] = ()

    @property
    def complete(self) -> int:
        return sum(1 for i in self.incidents if i.complete)


def _step_title(policy: Policy, step_id: str) -> str:
    try:
        return policy.step(step_id).title
    except KeyError:
        return step_id


def inspection_report(cases: CaseBook, *, progress: Progress | None = None) -> InspectionReport:
    checks: list[IncidentCheck] = []
    for scanned in each_incident(cases, progress):
        view = scanned.view
        if view is None:
            checks.append(IncidentCheck(scanned.ref, "damaged", (), (), scanned.error))
            continue
        missing = tuple(
            missing
            for finding in rules.inspection(view.incident, view.policy)
            if not finding.met
            for missing in _by_step(finding, view.policy)
        )
        checks.append(
            IncidentCheck(
                view.ref,
                rules.incident_status(view.incident, view.policy),
                missing,
                tuple(flag.text for flag in view.overdue),
                times=incident_times(view.incident, view.policy),
                overdue_steps=tuple(
                    rules.flag_step(flag.code, view.incident, view.policy) or ""
                    for flag in view.overdue
                ),
            )
        )
    policy = cases.policies.current
    return InspectionReport(
        tuple(checks),
        tuple((q.id, q.text) for q in policy.inspection_questions),
        cases.clock.now(),
        time_limits(policy),
    )


def _by_step(finding: rules.InspectionFinding, policy: Policy) -> list[Missing]:
    """One entry per step that fixes some of what the question lacks, in order."""
    grouped: dict[str, list[str]] = {}
    for text, step_id in finding.fixes or tuple((t, finding.fix_step) for t in finding.missing):
        grouped.setdefault(step_id, []).append(text)
    return [
        Missing(
            finding.question.id,
            finding.question.text,
            tuple(texts),
            step_id,
            _step_title(policy, step_id),
        )
        for step_id, texts in grouped.items()
    ]


def timing_words(timing: Timing) -> str:
    """One incident's time against one limit, in words (no names, no content)."""
    start = format_local(timing.start)
    if timing.reason_recorded:
        result = "a reason why not is recorded"
    elif timing.end is None:
        result = f"not yet recorded (due {format_local(timing.due)})"
    else:
        late = "" if timing.within else f"; LATE: due {format_local(timing.due)}"
        result = f"{format_local(timing.end)} ({_elapsed(timing.end - timing.start)}{late})"
    return f"{timing.label}: from {start} to {result}; limit {timing.limit.words}"


def _elapsed(delta: timedelta) -> str:
    minutes = max(0, int(delta.total_seconds() // 60))
    if minutes < 120:
        return f"{minutes} min"
    hours = minutes // 60
    return f"{hours} h" if hours < 48 else f"{hours // 24} days {hours % 24} h"


def inspection_json(report: InspectionReport) -> dict[str, Any]:
    return {
        "shape": SHAPE_VERSION,
        "kind": "inspection",
        "generated_at": to_iso_utc(report.generated_at),
        "questions": [{"id": qid, "text": text} for qid, text in report.questions],
        "limits": [
            {
                "id": limit.id,
                "what": limit.what,
                "setting": limit.setting,
                "amount": limit.amount,
                "unit": limit.unit,
                "words": limit.words,
                "policy_says": limit.text_says,
            }
            for limit in report.limits
        ],
        "incidents": [
            {
                "ref": item.ref,
                "status": item.status,
                "complete": item.complete,
                "missing": [
                    {
                        "question_id": m.question_id,
                        "question": m.question,
                        "missing": list(m.missing),
                        "fix_step": {"id": m.fix_step_id, "title": m.fix_step},
                    }
                    for m in item.missing
                ],
                "times": [
                    {
                        "limit_id": t.limit.id,
                        "label": t.label,
                        "start": to_iso_utc(t.start),
                        "end": to_iso_utc(t.end) if t.end is not None else None,
                        "due": to_iso_utc(t.due),
                        "within": t.within,
                        "reason_recorded": t.reason_recorded,
                    }
                    for t in item.times
                ],
                "overdue": list(item.overdue),
                "error": item.error or None,
            }
            for item in report.incidents
        ],
        "complete": report.complete,
        "incomplete": len(report.incidents) - report.complete,
    }


def inspection_document(report: InspectionReport) -> Document:
    blocks: list[Block] = [
        Paragraph(
            f"{report.complete} of {len(report.incidents)} incident(s) answer every question "
            "and have nothing overdue."
        )
    ]
    if report.limits:
        blocks.append(Heading("Time limits", 2))
        blocks.extend(Paragraph(f"{limit.what}: {limit.shown}.") for limit in report.limits)
    for item in report.incidents:
        if item.complete and not item.times:
            continue
        blocks.append(Heading(f"{item.ref} ({item.status})", 2))
        blocks.extend(Paragraph(f"Time: {timing_words(t)}.") for t in item.times)
        if item.error:
            blocks.append(Paragraph(f"Could not be read: {item.error}", "warning"))
        for m in item.missing:
            blocks.append(Paragraph(m.question, "strong"))
            blocks.append(Paragraph(f"Missing: {'; '.join(m.missing)}. Fix at: {m.fix_step}."))
        for text in item.overdue:
            blocks.append(Paragraph(f"Overdue: {text}", "warning"))
    return Document(
        title="Inspection check",
        subtitle=f"Produced {format_local(report.generated_at)}.",
        blocks=tuple(blocks),
        marking=MARKING,
    )
