"""The inspection check: every incident against the inspectorate's questions.

The policy lists the questions an inspector asks of safeguarding records
(complete and up to date; risk identified and managed; sound decisions and
timely referrals; tenacity with agencies; partnership; inter-agency
meetings; transfer and safe keeping), each with the checks that answer it
and the step of the procedure where the missing piece is recorded. This
report runs them on every incident and lists, per incident, what is missing
and the step to fix it, plus anything overdue. It shows no content, so the
incidents are read without logging a read of each.

JSON shape (``ydsi report inspection --json``), shape 1::

    {"shape": 1, "kind": "inspection", "generated_at", "questions": [{"id", "text"}],
     "incidents": [{"ref", "status", "complete": bool,
                    "missing": [{"question_id", "question", "missing": [str],
                                 "fix_step": {"id", "title"}}],
                    "overdue": [str], "error": str|null}],
     "complete": int, "incomplete": int}
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from ...model import rules
from ...model.policy import Policy
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

    @property
    def complete(self) -> bool:
        return not self.missing and not self.overdue and not self.error


@dataclass(frozen=True)
class InspectionReport:
    incidents: tuple[IncidentCheck, ...]
    questions: tuple[tuple[str, str], ...]
    generated_at: datetime

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
            Missing(
                finding.question.id,
                finding.question.text,
                tuple(finding.missing),
                finding.fix_step,
                _step_title(view.policy, finding.fix_step),
            )
            for finding in rules.inspection(view.incident, view.policy)
            if not finding.met
        )
        checks.append(
            IncidentCheck(
                view.ref,
                rules.incident_status(view.incident, view.policy),
                missing,
                tuple(flag.text for flag in view.overdue),
            )
        )
    policy = cases.policies.current
    return InspectionReport(
        tuple(checks),
        tuple((q.id, q.text) for q in policy.inspection_questions),
        cases.clock.now(),
    )


def inspection_json(report: InspectionReport) -> dict[str, Any]:
    return {
        "shape": SHAPE_VERSION,
        "kind": "inspection",
        "generated_at": to_iso_utc(report.generated_at),
        "questions": [{"id": qid, "text": text} for qid, text in report.questions],
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
    for item in report.incidents:
        if item.complete:
            continue
        blocks.append(Heading(f"{item.ref} ({item.status})", 2))
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
