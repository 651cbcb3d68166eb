"""Who opened which case record, when: the read entries of the audit log, each one vouched.

Every decrypting read of a record is an audit entry (``record.read``, see
:meth:`Session.read <ydsi_tui.vault.session.Session.read>`); for a case
record what it describes is sealed (:mod:`.sealed_entries`), so only a case
role's session can tell a read from a save, or which record it was. This
module walks the log as ``verify`` does and hands back the reads, each one
only if ``verify`` would accept its entry:

* the line parses in its canonical form, its number is the next one and its
  ``prev`` is the hash of the line before (the chain: an entry edited,
  removed, inserted or reordered breaks it here, and every read after the
  break is reported as unvouched rather than shown);
* its signature verifies under the key the header lists for its author, and
  that role may make it (:func:`.verify.entry_problems`, the same check);
* its sealed description opens with the case key (bound to the entry's clear
  fields: a blob moved from another entry, or a time or author edited, does
  not open).

Anything that fails is a *problem*, named by entry number, never a read
attributed to anyone: a hand-edited entry cannot put a read on someone
else's name, or take one off. What this cannot see: entries cut from the
log's end (a signed checkpoint kept off the server catches that, ``ydsi
verify --checkpoint``), and reads made outside ydsi by someone holding the
case key (a team member's own script decrypting a file logs nothing).

Which reads a person may *see* is the service's rule (DSL only); a
technician's session has no case key, so every case entry stays sealed to
them whatever program they run.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from typing import TYPE_CHECKING

from .audit import AUDIT_NAME, SEALED_ACTION, AuditEntry, genesis_hash
from .errors import AccessDenied, VaultError
from .sealed_entries import SEALED_COMPARTMENTS
from .verify import entry_problems

if TYPE_CHECKING:
    from .session import Session

__all__ = ["LoggedRead", "ReadLog", "read_log"]

#: The action of a read entry (what :meth:`Session.log_read` writes).
READ_ACTION = "record.read"


@dataclass(frozen=True)
class LoggedRead:
    """One vouched read: entry number, time (ISO, UTC), author, record and its version."""

    seq: int
    ts: str
    actor: str
    key_id: str
    comp: str
    rec: str
    generation: int | None


@dataclass(frozen=True)
class ReadLog:
    """The vouched reads in log order, and what could not be vouched for."""

    reads: tuple[LoggedRead, ...]
    problems: tuple[str, ...]
    #: Case entries whose description did not open: each might be a read.
    unopened: int


def read_log(session: Session, records: Collection[str] | None = None) -> ReadLog:
    """The case reads the log vouches for (of ``records`` only, if given).

    Needs the case key (to open what the entries describe); refused without it.
    """
    sealer = session.vault.audit.sealer
    if not session.can_read("case") or sealer is None:
        raise AccessDenied(
            f"your role ({session.role}) does not hold the case key: the reads of case "
            "records are sealed from you"
        )
    vault = session.vault
    header = vault.header
    try:
        data = vault.fs.read_bytes(vault.path / AUDIT_NAME)
    except OSError as exc:
        raise VaultError(
            f"audit.log could not be read ({exc.strerror or exc}); nothing was changed"
        ) from exc
    reads: list[LoggedRead] = []
    problems: list[str] = []
    unopened = 0
    previous = genesis_hash(header.vault_id)
    broken_at: int | None = None
    lines = data.split(b"\n")[:-1]  # what follows the last newline is torn
    for number, line in enumerate(lines, start=1):
        try:
            entry = AuditEntry.parse(line)
        except (ValueError, UnicodeDecodeError):
            problems.append(f"audit.log entry {number}: damaged or altered (not a valid entry)")
            broken_at = broken_at or number
            previous = ""
            continue
        if broken_at is None and (entry.seq != number or entry.prev != previous):
            problems.append(
                f"audit.log entry {number}: the chain is broken here (an entry was edited, "
                "removed, inserted or reordered); no read from here on is vouched for"
            )
            broken_at = number
        previous = entry.entry_hash()
        if entry.action != SEALED_ACTION or entry.comp not in SEALED_COMPARTMENTS:
            continue
        described = sealer.open(entry)
        if described is None:
            unopened += 1
            problems.append(
                f"audit.log entry {number}: what it describes does not open with the case key "
                "(altered, or moved from another entry): it may be a read that cannot be shown"
            )
            continue
        if described.action != READ_ACTION:
            continue
        if records is not None and described.rec not in records:
            continue
        wrong = entry_problems(entry, header, described)
        if wrong:
            problems.extend(wrong)
            continue
        if broken_at is not None:
            continue  # after a break, named once above
        generation = described.extra.get("gen")
        reads.append(
            LoggedRead(
                entry.seq,
                entry.ts,
                entry.actor,
                entry.key_id,
                described.comp,
                described.rec,
                generation if isinstance(generation, int) else None,
            )
        )
    return ReadLog(tuple(reads), tuple(problems), unopened)
