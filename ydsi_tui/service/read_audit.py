"""Who looked at this child's record: the read audit, for the DSL.

Every time someone's ydsi decrypts an incident (the app opening it, ``ydsi
incident show``, an export, a subject access report, a transfer) the read is
a signed audit entry whose description is sealed for the case roles
(:mod:`ydsi_tui.vault.read_log`). This gathers those reads into rows a person
reads: who (their name and role as the signed header lists them), which
record (by its reference), when, in time order, and which version of it
they saw.

**Only a DSL sees it.** The issue asks for the DSL; the policy makes the DSL
the owner of every incident and the one who answers for who had access. The
Headteacher and the safeguarding team are themselves in the list (it is
oversight of them too), so they are refused, as is a recovery-code session
(it exists to restore a DSL's access, not to review staff). This is the
program's rule: the Headteacher and team members hold the case index key
that opens the sealed entries, so their own program could read them; a
technician holds no case key and cannot, whatever they run.

Reads are shown only when their entry is vouched for exactly as ``verify``
would (chain, signature, the signer's right); anything else is listed as a
problem by entry number, never as someone's read.

**Which records.** Today the case compartment holds incidents; the pupil
register (another branch) adds pupil records to it. A record's kind is read
from its summary's ``type`` and worded by :data:`RECORD_KINDS`: a new kind
of record appears in the list as soon as its type is added there (and the
summary field holding its reference, if not ``ref``: a pupil record's is its
``register_id``, ``P-…``). A record whose file is gone (destroyed
under retention) is still named, from the list of references handed out.

JSON shape (``ydsi audit reads --json``), ``shape`` 1::

    {"shape": 1, "kind": "read_audit", "ref": REF | null,
     "reads": [{"at": ISO, "entry": int, "user": str, "name": str, "role": str,
                "record": "incident" | "pupil record", "ref": str | null, "version": int | null}],
     "problems": [str], "unopened": int}
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from ..model.roles import role_name
from ..model.timeparse import from_iso, to_iso_utc
from ..vault.errors import AccessDenied, RecordNotFound
from ..vault.read_log import read_log
from ..vault.session import Session
from .records import REFS_RECORD, refs_by_record
from .shapes import SHAPE_VERSION

__all__ = ["RECORD_KINDS", "ReadAudit", "ReadRow", "read_audit", "read_audit_json", "who_words"]

COMPARTMENT = "case"

#: A case record's summary ``type`` -> how the read audit names that kind of record.
#: The extension point for the pupil register: its records' type goes here.
RECORD_KINDS: dict[str, str] = {
    "incident": "incident",
    "pupil": "pupil record",
}
#: The summary field holding a kind's reference, where it is not ``ref``.
_REF_FIELDS: dict[str, str] = {"pupil": "register_id"}


@dataclass(frozen=True)
class ReadRow:
    """One read: when, who, which record, which version."""

    seq: int
    at: datetime | None
    #: The reader's login (their user id if the header no longer lists them).
    user: str
    name: str
    role: str
    record: str
    ref: str | None
    generation: int | None


@dataclass(frozen=True)
class ReadAudit:
    ref: str | None
    rows: tuple[ReadRow, ...]
    problems: tuple[str, ...]
    unopened: int


def _require_dsl(session: Session) -> None:
    if session.role != "dsl" or session.is_recovery:
        raise AccessDenied(
            "only a DSL sees who opened which record (the read audit); ask a DSL if you need it"
        )


def _records(session: Session) -> dict[str, tuple[str, str | None]]:
    """{record id: (kind, reference)} for every case record known, on disk or destroyed."""
    known: dict[str, tuple[str, str | None]] = {
        record_id: ("incident", ref)
        for record_id, ref in refs_by_record(session, COMPARTMENT).items()
    }
    for listed in session.list_records(COMPARTMENT):
        summary: Mapping[str, Any] = listed.summary or {}
        kind = summary.get("type")
        ref = summary.get(_REF_FIELDS.get(kind, "ref") if isinstance(kind, str) else "ref")
        if isinstance(kind, str) and kind in RECORD_KINDS:
            known[listed.record_id] = (RECORD_KINDS[kind], ref if isinstance(ref, str) else None)
    return known


def read_audit(session: Session, ref: str | None = None) -> ReadAudit:
    """Every vouched read of a case record (of ``ref`` only, if given), oldest first."""
    _require_dsl(session)
    records = _records(session)
    wanted: set[str] | None = None
    if ref is not None:
        record_id = session.record_id(COMPARTMENT, ref)
        if record_id not in records and not session.exists(COMPARTMENT, ref):
            raise RecordNotFound(f"no record {ref!r}: see 'ydsi incident list'")
        wanted = {record_id}
    helper = session.record_id(COMPARTMENT, REFS_RECORD)
    found = read_log(session, wanted)
    header = session.vault.header
    rows: list[ReadRow] = []
    for read in found.reads:
        if read.rec == helper:
            continue  # the list of references itself (read to allocate one), not a record
        user = header.user_by_id(read.actor)
        login = read.actor
        if user is not None:
            login, name, role = user.name, (user.full_name.strip() or user.name), user.role
        elif read.actor == "recovery":
            name, role = "the recovery code", "dsl"
        else:
            name, role = read.actor, ""  # a user the header no longer lists
        kind, known_ref = records.get(read.rec, ("record", None))
        try:
            at: datetime | None = from_iso(read.ts, "ts")
        except ValueError:
            at = None
        rows.append(ReadRow(read.seq, at, login, name, role, kind, known_ref, read.generation))
    return ReadAudit(ref, tuple(rows), found.problems, found.unopened)


def read_audit_json(audit: ReadAudit) -> dict[str, Any]:
    return {
        "shape": SHAPE_VERSION,
        "kind": "read_audit",
        "ref": audit.ref,
        "reads": [
            {
                "at": to_iso_utc(row.at) if row.at is not None else None,
                "entry": row.seq,
                "user": row.user,
                "name": row.name,
                "role": row.role,
                "record": row.record,
                "ref": row.ref,
                "version": row.generation,
            }
            for row in audit.rows
        ],
        "problems": list(audit.problems),
        "unopened": audit.unopened,
    }


def who_words(row: ReadRow) -> str:
    """``Dana Lead (DSL)``: a row's reader as a sentence names them."""
    return f"{row.name} ({role_name(row.role)})" if row.role else row.name
