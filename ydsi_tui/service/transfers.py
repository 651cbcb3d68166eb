"""Transfers: a pupil's records sent to their next school, and the receipt that comes back.

``send`` gathers every incident about the young person (found by name, see
:mod:`.pupils`; each one opened, so audited), writes one file encrypted to a
passphrase (:mod:`ydsi_tui.vault.transfer`) holding the child's chronology
across those incidents (:mod:`.reports.child_chronology`, built from the same
reads) and each incident's chronology, as JSON, Markdown and PDF, other
pupils of any of those incidents masked in all of them, and records a
``transfer.sent`` entry in each incident with the transfer's id and the
file's SHA-256. The receiving DSL
gets the passphrase separately. ``receipt`` records the receiving school's
receipt in each of those incidents; until then the incident carries an
obligation due five school days after sending (the policy's
``transfer_receipt_school_days``), so a missing receipt is flagged on the
home screen like anything else overdue.

The file is written first (0600, never over an existing file), then the
transfer is recorded; if recording fails part-way, the error names the
incidents that have it recorded.

Contents of the decrypted file (JSON), shape 1::

    {"shape": 1, "kind": "transfer", "marking", "transfer_id", "created_at",
     "from": {"school", "dsl"}, "to": {"school", "dsl"},
     "pupil": {"name", "dob"},
     "chronology": <the child's chronology across these incidents, see
                    reports.child_chronology>,
     "incidents": [<chronology JSON, see reports.chronology>],
     "markdown": str, "pdf_base64": str}
"""

from __future__ import annotations

import base64
import dataclasses
import hashlib
import json
import secrets
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path

from ..model.events import Event
from ..model.timeparse import date_to_iso, from_iso, to_iso_utc
from ..vault.crypto import KdfParams
from ..vault.errors import AccessDenied, NotSaved, VaultError
from ..vault.export import write_new_private
from ..vault.transfer import seal_transfer
from .casebook import CaseBook, When
from .devices import DeviceLog
from .pupils import find_pupil
from .reports.child_chronology import (
    child_chronology_document,
    child_chronology_json,
    child_chronology_of,
    other_pupils,
)
from .reports.chronology import Chronology, chronology, chronology_document, chronology_json
from .reports.document import MARKING, Block, Document, Fields, Heading, Paragraph
from .reports.formats import render
from .reports.markdown import render_markdown
from .reports.scan import Progress
from .reports.third_parties import OTHER_PUPIL, People, transfer_view
from .shapes import SHAPE_VERSION

__all__ = ["PendingTransfer", "SentTransfer", "TransferDesk"]


@dataclass(frozen=True)
class SentTransfer:
    transfer_id: str
    refs: tuple[str, ...]
    path: Path
    sha256: str
    size: int


@dataclass(frozen=True)
class PendingTransfer:
    """A transfer still waiting for its receipt (from the incidents' summaries)."""

    transfer_id: str
    refs: tuple[str, ...]
    sent_at: datetime
    due_at: datetime
    overdue: bool


class TransferDesk:
    def __init__(self, cases: CaseBook, devices: DeviceLog | None) -> None:
        self.cases = cases
        self.devices = devices

    def _require_dsl(self) -> None:
        session = self.cases.session
        if session.role != "dsl" or session.is_recovery:
            raise AccessDenied("only a DSL transfers records to another school")

    def send(
        self,
        pupil: str,
        output: Path | str,
        passphrase: str,
        *,
        to_school: str,
        to_dsl: str = "",
        dob: date | None = None,
        progress: Progress | None = None,
    ) -> SentTransfer:
        """Write the encrypted transfer file and record the transfer in each incident."""
        self._require_dsl()
        output = Path(output)
        if output.exists() or output.is_symlink():
            raise VaultError(f"{output} already exists: nothing was written")
        matches = find_pupil(self.cases, pupil, dob=dob, progress=progress)
        now = self.cases.clock.now()
        transfer_id = secrets.token_hex(8)
        full = [chronology(self.cases, self.devices, m.ref) for m in matches]  # audited
        pairs = list(zip(full, matches, strict=True))
        people = other_pupils((c.view, m.pupil_id) for c, m in pairs)
        chronologies: list[Chronology] = []
        left_out = 0
        for chrono_in_full, match in pairs:
            chrono, dropped = _about_one_pupil(chrono_in_full, match.pupil_id, now, people)
            chronologies.append(chrono)
            left_out += dropped
        # The child's chronology across these incidents, from the reads already made.
        child = child_chronology_of(
            [
                (c.view, m.pupil_id, _own_custody(c, m.pupil_id))
                for c, m in zip(full, matches, strict=True)
            ],
            now=now,
            by=self.cases.author,
        )
        subject = matches[0]
        known_dob = dob or next((m.dob for m in matches if m.dob is not None), None)
        school = self.cases.policies.current.school
        cover = _cover(
            transfer_id,
            now,
            school,
            self.cases.author,
            to_school,
            to_dsl,
            subject.name,
            known_dob,
            left_out,
        )
        documents = [child_chronology_document(child)] + [
            chronology_document(c) for c in chronologies
        ]
        combined = Document(
            title=f"Transfer of safeguarding records: {subject.name}",
            blocks=(
                *cover,
                *(
                    block
                    for doc in documents
                    for block in (Heading(doc.title), Paragraph(doc.subtitle, "muted"), *doc.blocks)
                ),
            ),
            subtitle=f"From {school} to {to_school}, {transfer_id}.",
        )
        contents = {
            "shape": SHAPE_VERSION,
            "kind": "transfer",
            "marking": MARKING,
            "transfer_id": transfer_id,
            "created_at": to_iso_utc(now),
            "from": {"school": school, "dsl": self.cases.author},
            "to": {"school": to_school, "dsl": to_dsl},
            "pupil": {
                "name": subject.name,
                "dob": date_to_iso(known_dob) if known_dob else None,
            },
            "chronology": child_chronology_json(child),
            "incidents": [chronology_json(c) for c in chronologies],
            "markdown": render_markdown(combined),
            "pdf_base64": base64.b64encode(render("pdf", combined, {})).decode("ascii"),
        }
        plaintext = json.dumps(contents, sort_keys=True, ensure_ascii=False).encode("utf-8")
        defaults = self.cases.session.vault.header.kdf_default
        kdf = KdfParams.new(defaults["memory_kib"], defaults["iterations"], defaults["lanes"])
        data = seal_transfer(
            plaintext, passphrase, kdf=kdf, transfer_id=transfer_id, created_at=to_iso_utc(now)
        )
        write_new_private(output, data, fs=self.cases.session.vault.fs)
        digest = hashlib.sha256(data).hexdigest()
        recorded: list[str] = []
        try:
            for match in matches:
                self.cases.record(
                    match.ref,
                    "transfer.sent",
                    {
                        "transfer_id": transfer_id,
                        "pupil_id": match.pupil_id,
                        "to_school": to_school,
                        "to_dsl": to_dsl,
                        "file_sha256": digest,
                    },
                )
                recorded.append(match.ref)
        except VaultError as exc:
            done = ", ".join(recorded) or "none"
            raise NotSaved(
                f"{output} was written, but the transfer was recorded only in: {done} ({exc})"
            ) from exc
        return SentTransfer(transfer_id, tuple(m.ref for m in matches), output, digest, len(data))

    def pending(self) -> list[PendingTransfer]:
        """Transfers without a receipt, from the summaries (no incident is decrypted)."""
        now = self.cases.clock.now()
        found: dict[str, tuple[list[str], datetime, datetime]] = {}
        for listed in self.cases.session.list_records("case"):
            summary = listed.summary or {}
            if summary.get("type") != "incident":
                continue
            for item in summary.get("transfers_pending") or []:
                try:
                    tid = str(item["id"])
                    sent, due = from_iso(item["sent_at"]), from_iso(item["due_at"])
                except (KeyError, TypeError, ValueError):
                    continue
                refs, _, _ = found.setdefault(tid, ([], sent, due))
                refs.append(str(summary.get("ref", "?")))
        return sorted(
            (
                PendingTransfer(tid, tuple(sorted(refs)), sent, due, due <= now)
                for tid, (refs, sent, due) in found.items()
            ),
            key=lambda p: (p.due_at, p.transfer_id),
        )

    def receipt(
        self, transfer_id: str, received_by: str, *, at: When = None, note: str = ""
    ) -> tuple[str, ...]:
        """Record the receiving school's receipt in every incident of that transfer."""
        self._require_dsl()
        pending = [p for p in self.pending() if p.transfer_id.startswith(transfer_id.strip())]
        if len(pending) != 1 or not transfer_id.strip():
            raise VaultError(
                f"no single transfer {transfer_id!r} is waiting for a receipt "
                "('ydsi transfer list' shows them)"
            )
        found = pending[0]
        for ref in found.refs:
            self.cases.record(
                ref,
                "transfer.receipt",
                {"transfer_id": found.transfer_id, "received_by": received_by, "note": note},
                at=at,
            )
        return found.refs


def _own_custody(chrono: Chronology, pupil_id: str) -> tuple[Event, ...]:
    """The custody entries of the devices recorded as this pupil's (already opened)."""
    return tuple(
        link.event
        for d in chrono.devices
        if d.device.owner_pupil_id == pupil_id
        for link in d.device.chain
    )


def _about_one_pupil(
    chrono: Chronology, pupil_id: str, now: datetime, people: People
) -> tuple[Chronology, int]:
    """The chronology as it may go to another school about one pupil (see third_parties).

    Devices recorded as another pupil's are left out with the entries about them;
    ``people`` masks the pupils of all the transferred incidents, in each.
    """
    subject = chrono.view.incident.pupils[pupil_id]
    view, left_out = transfer_view(chrono.view, subject, now, people)
    others = {
        d.device.meta.ref
        for d in chrono.devices
        if d.device.owner_pupil_id and d.device.owner_pupil_id != pupil_id
    }
    return (
        dataclasses.replace(
            chrono,
            view=view,
            device_rows=tuple(r for r in chrono.device_rows if r.ref not in others),
            devices=tuple(d for d in chrono.devices if d.device.meta.ref not in others),
        ),
        left_out + len(others),
    )


def _cover(
    transfer_id: str,
    now: datetime,
    school: str,
    dsl: str,
    to_school: str,
    to_dsl: str,
    name: str,
    dob: date | None,
    left_out: int,
) -> tuple[Block, ...]:
    from ..model.timeparse import format_local, format_local_date

    return (
        Paragraph(
            "Child protection records transferred to the pupil's new school. Keep them as "
            "securely as your own child protection records, and confirm receipt to the sending "
            "DSL.",
            "warning",
        ),
        Fields(
            (
                ("Young person", name),
                ("Date of birth", format_local_date(dob) if dob else "not recorded"),
                ("From", f"{school} ({dsl}, DSL)"),
                ("To", f"{to_school}" + (f" ({to_dsl})" if to_dsl else "")),
                ("Sent", format_local(now)),
                ("Transfer", transfer_id),
            )
        ),
        Paragraph(
            f"About {name} only: other young people appear as “{OTHER_PUPIL}”, without "
            f"their details, and {left_out} entr{'y' if left_out == 1 else 'ies'} about "
            "them or their families (or their devices) are left out.",
            "muted",
        ),
    )
