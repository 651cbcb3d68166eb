"""The retention list: until when each incident is kept, what is due for review, what is held.

Dates come from the model (:mod:`ydsi_tui.model.retention`): the last of the
incident's young people's date of birth plus 25 years (estimated, and said
so, where only a year group is known), or the receipt of their records'
transfer, or later if a review decided so. An incident under a legal hold
is listed as held whatever its date. Records already destroyed are listed
from the audit log: reference, when, by whom and why, never content.

It shows no content, so incidents are read without logging a read of each.

JSON shape (``ydsi report retention --json``), shape 1::

    {"shape": 1, "kind": "retention", "today": DATE, "generated_at",
     "incidents": [{"ref", "status", "keep_until": DATE, "basis", "why", "estimated",
                    "due": bool, "on_hold": bool,
                    "holds": [{"id", "set_at", "set_by", "reason", "authority"}],
                    "error": str|null}],
     "due": int,
     "destroyed": [{"ref", "destroyed_at", "by", "basis", "kept_until"}]}
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from ...model import rules
from ...model.records import Hold
from ...model.timeparse import (
    date_to_iso,
    format_local,
    format_local_date,
    from_iso,
    to_iso_utc,
    to_local,
)
from ...vault.session import Session
from ..casebook import CaseBook
from ..shapes import SHAPE_VERSION
from .document import Block, Document, Heading, Paragraph, Table
from .scan import Progress, each_incident

__all__ = [
    "DestroyedRow",
    "RetentionReport",
    "RetentionRow",
    "destroyed_records",
    "retention_document",
    "retention_json",
    "retention_report",
]

BASIS_LABELS = {
    "dob": "date of birth + 25 years",
    "year_group": "year group (estimated) + 25 years",
    "unknown": "incident date + 25 years (no age recorded)",
    "no_pupils": "incident date + 25 years (no pupil recorded)",
    "transferred": "records transferred (receipt recorded)",
    "review": "kept after a review",
    "last_incident": "pupil record: its last incident destroyed",
}


@dataclass(frozen=True)
class RetentionRow:
    ref: str
    status: str
    until: date | None
    basis: str
    why: str
    estimated: bool
    due: bool
    holds: tuple[Hold, ...]
    error: str = ""

    @property
    def on_hold(self) -> bool:
        return any(hold.active for hold in self.holds)


@dataclass(frozen=True)
class DestroyedRow:
    ref: str
    at: datetime | None
    by: str
    basis: str
    kept_until: str


@dataclass(frozen=True)
class RetentionReport:
    rows: tuple[RetentionRow, ...]
    destroyed: tuple[DestroyedRow, ...]
    today: date
    generated_at: datetime

    @property
    def due(self) -> tuple[RetentionRow, ...]:
        return tuple(row for row in self.rows if row.due)


def retention_report(cases: CaseBook, *, progress: Progress | None = None) -> RetentionReport:
    now = cases.clock.now()
    today = to_local(now).date()
    rows: list[RetentionRow] = []
    for scanned in each_incident(cases, progress):
        view = scanned.view
        if view is None:
            rows.append(
                RetentionRow(scanned.ref, "damaged", None, "", "", False, False, (), scanned.error)
            )
            continue
        kept = rules.retention(view.incident)
        rows.append(
            RetentionRow(
                view.ref,
                rules.incident_status(view.incident, view.policy),
                kept.until,
                kept.basis,
                kept.text,
                kept.estimated,
                kept.due(today),
                view.incident.holds,
            )
        )
    rows.sort(key=lambda r: (not r.due, r.until or date.max, r.ref))
    return RetentionReport(tuple(rows), tuple(destroyed_records(cases.session)), today, now)


def destroyed_records(session: Session) -> list[DestroyedRow]:
    """Every incident destroyed, from the audit log (which never held its content)."""
    header = session.vault.header
    rows: list[DestroyedRow] = []
    for entry in session.vault.audit.entries():
        if entry.action != "record.destroy" or entry.comp != "case":
            continue
        user = header.user_by_id(entry.actor)
        by = (user.full_name or user.name) if user is not None else entry.actor
        try:
            at: datetime | None = from_iso(entry.ts, "ts")
        except ValueError:
            at = None
        # Sealed since the review (M2); entries from before carry the details in clear.
        details = session.open_entry_note(entry) or entry.extra
        rows.append(
            DestroyedRow(
                str(details.get("ref", "?")),
                at,
                by,
                str(details.get("basis", "")),
                str(details.get("kept_until", "")),
            )
        )
    return rows


def retention_json(report: RetentionReport) -> dict[str, Any]:
    return {
        "shape": SHAPE_VERSION,
        "kind": "retention",
        "today": date_to_iso(report.today),
        "generated_at": to_iso_utc(report.generated_at),
        "incidents": [
            {
                "ref": row.ref,
                "status": row.status,
                "keep_until": date_to_iso(row.until) if row.until else None,
                "basis": row.basis,
                "why": row.why,
                "estimated": row.estimated,
                "due": row.due,
                "on_hold": row.on_hold,
                "holds": [
                    {
                        "id": hold.event_id,
                        "set_at": to_iso_utc(hold.at),
                        "set_by": hold.by,
                        "reason": hold.reason,
                        "authority": hold.authority,
                    }
                    for hold in row.holds
                    if hold.active
                ],
                "error": row.error or None,
            }
            for row in report.rows
        ],
        "due": len(report.due),
        "destroyed": [
            {
                "ref": d.ref,
                "destroyed_at": to_iso_utc(d.at) if d.at else None,
                "by": d.by,
                "basis": d.basis,
                "kept_until": d.kept_until,
            }
            for d in report.destroyed
        ],
    }


def retention_document(report: RetentionReport, *, all_rows: bool = False) -> Document:
    shown = report.rows if all_rows else report.due
    blocks: list[Block] = [
        Paragraph(
            f"{len(report.due)} incident(s) due for review on {format_local_date(report.today)}."
            " A record due for review is not destroyed automatically: a DSL reviews it, then "
            "keeps it longer (with a reason) or destroys it."
        ),
        Table(
            ("Ref", "Kept until", "Why", "Due", "Hold"),
            tuple(
                (
                    row.ref,
                    format_local_date(row.until) if row.until else "?",
                    row.error or row.why,
                    "DUE" if row.due else "",
                    "ON HOLD" if row.on_hold else "",
                )
                for row in shown
            ),
            (2, 2, 6, 1, 2),
        ),
    ]
    if report.destroyed:
        blocks.append(Heading("Destroyed", 2))
        blocks.append(
            Table(
                ("Ref", "Destroyed", "By", "Basis"),
                tuple(
                    (
                        d.ref,
                        format_local(d.at) if d.at else "?",
                        d.by,
                        BASIS_LABELS.get(d.basis, d.basis),
                    )
                    for d in report.destroyed
                ),
                (2, 3, 3, 4),
            )
        )
    return Document(
        title="Retention: records due for review",
        subtitle=f"Produced {format_local(report.generated_at)}.",
        blocks=tuple(blocks),
    )
