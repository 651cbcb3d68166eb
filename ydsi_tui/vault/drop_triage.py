"""What became of each report from the staff drop: taken into an incident, or dismissed.

:class:`DropTriage` is a mixin of :class:`~ydsi_tui.vault.session.Session`. A
report is triaged once: ``drop.triaged`` names the incident it was taken into
(by its keyed record id; the reference itself rides in a note sealed for the
case roles, as every reference in the log does), ``drop.dismissed`` records that
it is not for this procedure, the reason sealed the same way (it is the DSL's
words and may name people). Neither carries a word of the report.

Both are plain ``drop`` entries, so the triage roles read them without a
passphrase; only entries a triage role signed with a key the header lists
count (a technician can append a well-chained entry signed with their own
key, and "dismissed" must not silence a report nobody read).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from .crypto import b64d, verify_signature
from .entry_notes import open_note, seal_note
from .errors import AccessDenied, Conflict, NotSaved
from .rights import may_write
from .saving import not_saved, utc_now

if TYPE_CHECKING:
    from .audit import AuditEntry, Signer
    from .header import Header, UserEntry
    from .keys import Identity
    from .vault import Vault

__all__ = ["TRIAGE_ACTIONS", "TRIAGE_ROLES", "DropTriage", "Triage", "triage_marks"]

DROP_COMP = "drop"
TAKEN = "drop.triaged"
DISMISSED = "drop.dismissed"
TRIAGE_ACTIONS = frozenset({TAKEN, DISMISSED})
#: Who triages staff reports (the Headteacher for those sealed to them).
TRIAGE_ROLES = ("dsl", "headteacher", "team")


@dataclass(frozen=True)
class Triage:
    """The one decision about a report: where it went, who decided, when (no content).

    ``record`` is the incident's keyed record id for a report taken in, "" for
    one dismissed; ``ref`` and ``reason`` are filled only for a reader who
    holds the case key (they are sealed in the entry's note).
    """

    report_id: str
    action: str  # drop.triaged or drop.dismissed
    actor: str  # the signer's user id
    key_id: str
    at: str
    record: str = ""
    ref: str = ""
    reason: str = ""

    @property
    def taken_in(self) -> bool:
        return self.action == TAKEN


def triage_marks(
    entries: list[AuditEntry], header: Header, index_key: bytes | None = None
) -> dict[str, Triage]:
    """The first valid triage of each report, by report id (the later ones are mistakes).

    With the case index key the sealed reference or reason is opened too.
    """
    found: dict[str, Triage] = {}
    for entry in entries:
        if entry.comp != DROP_COMP or entry.action not in TRIAGE_ACTIONS:
            continue
        rid = entry.extra.get("report_id")
        if not isinstance(rid, str) or rid != entry.rec or rid in found:
            continue
        if not _signed_by_triage_role(entry, header):
            continue
        note: dict[str, Any] = {}
        if index_key is not None:
            note = (
                open_note(index_key, header.vault_id, DROP_COMP, rid, entry.extra.get("note")) or {}
            )
        record = entry.extra.get("record")
        found[rid] = Triage(
            report_id=rid,
            action=entry.action,
            actor=entry.actor,
            key_id=entry.key_id,
            at=entry.ts,
            record=record if isinstance(record, str) and entry.action == TAKEN else "",
            ref=str(note.get("ref", "")),
            reason=str(note.get("reason", "")),
        )
    return found


class DropTriage:
    """Recording the one triage of a report, for the triage roles."""

    # What this mixin uses of the Session it is part of (session.py).
    vault: Vault
    user: UserEntry
    _keys: dict[str, bytes]
    is_recovery: bool

    if TYPE_CHECKING:

        @property
        def signer(self) -> Signer: ...

        @property
        def role(self) -> str: ...

        def _require_identity(self) -> Identity: ...

        def _witnessed(self, upto: int | None) -> None: ...

        def record_id(self, compartment: str, ref: str) -> str: ...

    def triaged_reports(self) -> dict[str, Triage]:
        """Every report's triage the log holds, by report id (references opened)."""
        return triage_marks(
            list(self.vault.audit.entries()), self.vault.header, self._keys.get("index:case")
        )

    def mark_taken_in(self, report_id: str, ref: str, digest: str) -> Triage:
        """Log that ``report_id`` was taken into incident ``ref`` (refused if triaged already)."""
        note = {"ref": ref}
        return self._mark(
            TAKEN, report_id, {"digest": digest, "record": self.record_id("case", ref)}, note
        )

    def mark_dismissed(self, report_id: str, reason: str, digest: str) -> Triage:
        """Log that ``report_id`` is not for this procedure, and why (the why sealed)."""
        return self._mark(DISMISSED, report_id, {"digest": digest}, {"reason": reason})

    def _mark(
        self, action: str, report_id: str, extra: dict[str, Any], note: dict[str, Any]
    ) -> Triage:
        self._require_identity()
        if self.role not in TRIAGE_ROLES or self.is_recovery:
            raise AccessDenied(f"your role ({self.role}) does not triage staff reports")
        index_key = self._keys.get("index:case")
        if index_key is None:
            raise AccessDenied("triaging a report needs the case key, which you do not hold")
        header = self.vault.header
        with self.vault.lock():
            done = self.triaged_reports().get(report_id)
            if done is not None:
                raise Conflict(already_triaged(done))
            sealed = seal_note(index_key, header.vault_id, DROP_COMP, report_id, note)
            try:
                entry, _ = self.vault.audit.append(
                    self.signer,
                    ts=utc_now(),
                    action=action,
                    comp=DROP_COMP,
                    rec=report_id,
                    extra={"report_id": report_id, **extra, "note": sealed},
                )
            except (OSError, ValueError) as exc:
                raise NotSaved(not_saved(exc)) from exc
            self._witnessed(None)
        return Triage(
            report_id=report_id,
            action=action,
            actor=entry.actor,
            key_id=entry.key_id,
            at=entry.ts,
            record=str(extra.get("record", "")),
            ref=str(note.get("ref", "")),
            reason=str(note.get("reason", "")),
        )


def already_triaged(done: Triage) -> str:
    """The one line for a second attempt at a report already dealt with."""
    when = done.at[:16].replace("T", " ")
    if done.taken_in:
        where = f"incident {done.ref}" if done.ref else "an incident"
        return f"report {done.report_id} was already taken into {where} ({when} UTC)"
    return f"report {done.report_id} was already dismissed as not for this procedure ({when} UTC)"


def _signed_by_triage_role(entry: AuditEntry, header: Header) -> bool:
    known = header.public_key(entry.key_id)
    if known is None or entry.key_id.rsplit(".", 1)[0] != entry.actor:
        return False
    public, role = known
    if role not in TRIAGE_ROLES or not may_write(
        role, entry.action, entry.comp, actor=entry.actor, subject=None
    ):
        return False
    try:
        signature = b64d(entry.sig, length=64)
    except ValueError:
        return False
    return verify_signature(public, signature, entry.signing_bytes())
