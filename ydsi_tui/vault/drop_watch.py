"""Which reports from staff have been opened, read from the audit log with no key.

The alerts (``ydsi attention``, the app's bell) run without a passphrase: a
login banner and a timer have none. What they need is only this: for each
report in the spool, has a DSL, team member or the Headteacher opened it?
The drop's entries say so (``drop.opened``, ``drop.received``: ids, digests,
uids and times, never content), and the log is readable by the vault's group.

An entry counts only if its signature verifies under a key the header lists
for a user of a triage role (DSL, team, Headteacher) who is its author, and the
header itself is signed by its authority, rooted at the authority root pinned
at install when that file exists. Otherwise a keyless group member could
write "opened" for a report nobody read, and silence the Headteacher's alert.
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from .audit import AUDIT_NAME, AuditEntry, AuditLog
from .crypto import b64d, verify_signature
from .errors import DamagedFile, VaultError, VaultNotFound
from .fs import FileSystem
from .header import HEADER_NAME, Header

__all__ = ["DropState", "drop_state"]

#: The roles whose opening a report counts (the Headteacher: reports about staff).
TRIAGE_ROLES = frozenset({"dsl", "team", "headteacher"})
OPENED, RECEIVED = "drop.opened", "drop.received"


@dataclass(frozen=True)
class DropState:
    """What the log says of the spool's reports: when each was received and opened."""

    received: dict[str, datetime] = field(default_factory=dict)
    opened: dict[str, datetime] = field(default_factory=dict)
    #: Drop entries passed over: a bad signature, an author of another role.
    refused: int = 0
    #: The digest of the policy the vault's DSL approved (its time limits apply).
    policy_digest: str | None = None


def _header(vault: Path, fs: FileSystem, pinned: bytes | None) -> Header:
    path = vault / HEADER_NAME
    if not fs.exists(path):
        raise VaultNotFound(f"no vault at {vault}")
    try:
        data = fs.read_bytes(path)
    except PermissionError:
        raise VaultError(f"{path}: permission denied (are you in the vault's group?)") from None
    header = Header.from_bytes(data, str(path))
    if not header.signature_ok():
        raise DamagedFile(str(path), "its signature does not verify: altered outside ydsi")
    if pinned is not None and not header.authority_chain_ok(pinned):
        raise DamagedFile(
            str(path), "its authority is not the one pinned at install: not trusted for alerts"
        )
    return header


def _signed_by_triage(header: Header, entry: AuditEntry) -> bool:
    found = header.public_key(entry.key_id)
    if found is None or found[1] not in TRIAGE_ROLES:
        return False
    if entry.key_id.rsplit(".", 1)[0] != entry.actor:
        return False
    try:
        return verify_signature(found[0], b64d(entry.sig), entry.signing_bytes())
    except ValueError:
        return False


def _report_id(entry: AuditEntry) -> str | None:
    value = entry.extra.get("report_id", entry.rec)
    return value if isinstance(value, str) and value else None


def _when(entry: AuditEntry) -> datetime:
    with contextlib.suppress(ValueError):
        at = datetime.fromisoformat(entry.ts.replace("Z", "+00:00"))
        return at if at.tzinfo is not None else at.replace(tzinfo=UTC)
    return datetime.min.replace(tzinfo=UTC)


def drop_state(
    vault: Path, *, pinned_authority: bytes | None = None, fs: FileSystem | None = None
) -> DropState:
    """Read the whole log once; the first valid entry of each kind per report wins."""
    fs = fs or FileSystem()
    header = _header(vault, fs, pinned_authority)
    log = AuditLog(fs, vault / AUDIT_NAME, header.vault_id)
    received: dict[str, datetime] = {}
    opened: dict[str, datetime] = {}
    refused = 0
    try:
        entries = list(log.entries())
    except PermissionError:
        raise VaultError(
            f"{vault / AUDIT_NAME}: permission denied (are you in the vault's group?)"
        ) from None
    for entry in entries:
        if entry.action not in (OPENED, RECEIVED):
            continue
        report = _report_id(entry)
        if report is None or not _signed_by_triage(header, entry):
            refused += 1
            continue
        target = opened if entry.action == OPENED else received
        target.setdefault(report, _when(entry))
    pin = header.policy
    return DropState(received, opened, refused, pin.digest if pin is not None else None)
