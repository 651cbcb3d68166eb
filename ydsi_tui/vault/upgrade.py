"""``ydsi upgrade``: a format-1 vault becomes format 2, continuing its audit log.

Format 2 readers trust a record only as far as its signed saves name its
history chain. A format-1 save named only the file's hash, so the upgrade
adds, per record, one DSL-signed ``record.upgrade`` entry naming the chain of
the record as it is (and marked ``legacy``: its entries' authors are "as
recorded", the writer's own word, because nothing signed them one by one).
No record file is rewritten.

Why it is safe to stop at any point: each entry is one atomic append, a
record already carrying a chain is skipped when the upgrade runs again, and
the header's format is raised last, in one audited header save. Until then a
format-1 ydsi still opens the vault, and nothing it reads has changed.

It refuses a vault that does not verify: an upgrade must never sign its name
under damage it did not see.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from .chain import chain_state
from .crypto import sha256_hex
from .errors import AccessDenied, VaultError
from .fs import TEMP_PREFIX, FileSystem
from .header import COMPARTMENTS, FORMAT_VERSION
from .recordfile import RECORD_SUFFIX
from .session import Session
from .vault import Vault, utc_now
from .verify import verify_vault

__all__ = ["UpgradeResult", "upgrade_vault"]


@dataclass(frozen=True)
class UpgradeResult:
    """What the upgrade did: records vouched, keys marked as issued by a DSL."""

    from_version: int
    records: int
    issued_keys: int
    already: bool = False


def upgrade_vault(
    path: Path | str, user: str, passphrase: str, *, fs: FileSystem | None = None
) -> UpgradeResult:
    """Migrate the vault at ``path`` to the current format, as the DSL ``user``."""
    path = Path(path)
    vault = Vault.open(path, fs=fs, any_format=True)
    if vault.header.version >= FORMAT_VERSION:
        return UpgradeResult(vault.header.version, 0, 0, already=True)
    report = verify_vault(path, fs=fs)
    if not report.ok:
        raise VaultError(
            "not upgraded: the vault does not verify, and an upgrade must not vouch for "
            f"damage; nothing was changed. First problem: {report.problems[0]}"
        )
    session = vault.unlock(user, passphrase)
    try:
        if session.role != "dsl" or session.is_recovery:
            raise AccessDenied("only a DSL can upgrade the vault")
        from_version = vault.header.version
        records = 0
        for compartment in COMPARTMENTS:
            directory = path / compartment
            for name in sorted(vault.fs.listdir(directory)):
                if not name.endswith(RECORD_SUFFIX) or name.startswith((".", TEMP_PREFIX)):
                    continue
                records += _vouch_record(vault, session, compartment, name[: -len(RECORD_SUFFIX)])
        issued = session.finish_upgrade()
        return UpgradeResult(from_version, records, issued)
    finally:
        session.close()


def _vouch_record(vault: Vault, session: Session, compartment: str, record_id: str) -> int:
    """One ``record.upgrade`` entry naming the record's chain; 0 if it already has one."""
    file = vault.path / compartment / f"{record_id}{RECORD_SUFFIX}"
    with vault.lock():
        raw = vault.fs.read_bytes(file)
        decoded = session.decode_vouched(raw, compartment, record_id, body=True)
        if decoded is None or decoded.vouching.chain is not None:
            return 0
        chain = chain_state(vault.header.vault_id, compartment, record_id, decoded.body or {})
        vault.audit.append(
            session.signer,
            ts=utc_now(),
            action="record.upgrade",
            comp=compartment,
            rec=record_id,
            file_hash=sha256_hex(raw),
            extra={"gen": decoded.header.generation, "chain": chain.to_doc(), "legacy": True},
        )
    return 1
