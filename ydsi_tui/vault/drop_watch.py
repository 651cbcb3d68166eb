"""Which reports from staff have been opened, read from the audit log with no key.

The alerts (``ydsi attention``, the app's bell) run without a passphrase: a
login banner and a timer have none. What they need is only this: for each
report in the spool, has a DSL, team member or the Headteacher opened it?
The drop's entries say so (``drop.opened``, ``drop.received``: ids, digests,
uids and times, never content), and the log is readable by the vault's group.

An entry counts only if a case role (DSL, team, Headteacher) signed it, as
the drop reads its own entries (vault/drop_inbox.py), and the header whose
keys say so is signed by its authority, rooted at the authority key pinned at
install when that file exists. Otherwise a keyless group member could
write "opened" for a report nobody read, and silence the Headteacher's alert.
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from .audit import AUDIT_NAME, AuditLog
from .drop_inbox import drop_entries
from .errors import DamagedFile, VaultError, VaultNotFound
from .fs import FileSystem
from .header import HEADER_NAME, Header

__all__ = ["DropState", "drop_state"]


@dataclass(frozen=True)
class DropState:
    """What the log says of the spool's reports: when each was received and opened."""

    received: dict[str, datetime] = field(default_factory=dict)
    opened: dict[str, datetime] = field(default_factory=dict)
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


def _when(text: str) -> datetime:
    with contextlib.suppress(ValueError):
        at = datetime.fromisoformat(text.replace("Z", "+00:00"))
        return at if at.tzinfo is not None else at.replace(tzinfo=UTC)
    return datetime.min.replace(tzinfo=UTC)


def drop_state(
    vault: Path, *, pinned_authority: bytes | None = None, fs: FileSystem | None = None
) -> DropState:
    """Read the whole log once: when each report was received and first opened."""
    fs = fs or FileSystem()
    header = _header(vault, fs, pinned_authority)
    log = AuditLog(fs, vault / AUDIT_NAME, header.vault_id)
    try:
        entries = list(log.entries())
    except PermissionError:
        raise VaultError(
            f"{vault / AUDIT_NAME}: permission denied (are you in the vault's group?)"
        ) from None
    # The drop's own reading of its entries: only those a case role signed count.
    found = drop_entries(entries, header)
    received = {rid: _when(r.received_at) for rid, r in found.items()}
    opened = {rid: _when(r.opened_at) for rid, r in found.items() if r.opened}
    pin = header.policy
    return DropState(received, opened, pin.digest if pin is not None else None)
