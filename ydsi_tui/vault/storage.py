"""The encrypted TinyDB ``Storage``: TinyDB's own extension point, not a fork.

TinyDB hands a storage the whole database on every write. Ours encrypts it
into one record file and saves it with the vault's atomic, audited protocol.
Two behaviours matter beyond what TinyDB's ``JSONStorage`` does:

* **No lost updates.** The storage remembers the hash of the file it read. A
  write outside a transaction takes the lock and refuses (:class:`Conflict`)
  if the file changed since; inside a transaction
  (:meth:`ydsi_tui.vault.session.Session.transaction`) the file is read
  *under* the lock, so appends made there always apply to the newest copy.
* **One save per transaction.** TinyDB may call ``write`` several times for
  one user action; in a transaction they are buffered and committed once, so
  an action is one file write and one audit entry, whole or not at all.

The small ``_summary`` table is stored in the file's separate summary segment
so the home screen can list incidents without decrypting their timelines.

The storage is handed a :class:`RecordChannel`, the few things it needs of
whoever holds the keys (in practice a session), never the session itself:
like TinyDB's own storages, it knows nothing of its caller.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Protocol

from tinydb.storages import Storage

from .chain import ChainState, chain_state, extends, prefixes
from .crypto import sha256_hex
from .errors import Conflict, NotSaved
from .recordfile import RECORD_SUFFIX, encode

if TYPE_CHECKING:
    from pathlib import Path

    from .audit import AuditEntry
    from .fs import FileSystem
    from .ledger import Author
    from .lock import VaultLock
    from .reads import Decoded

__all__ = ["SUMMARY_TABLE", "EncryptedStorage", "RecordChannel"]

SUMMARY_TABLE = "_summary"
Tables = dict[str, dict[str, Any]]


class RecordChannel(Protocol):
    """What a record's storage may use of the session it works for, and nothing more.

    The vault's files, lock, directory and id; a vouched read; the current
    key of a compartment; and a save through the save protocol, signed by
    the session's user.
    """

    @property
    def fs(self) -> FileSystem: ...

    @property
    def lock(self) -> VaultLock: ...

    @property
    def vault_path(self) -> Path: ...

    @property
    def vault_id(self) -> str: ...

    def decode_vouched(
        self, raw: bytes | None, compartment: str, record_id: str, *, body: bool
    ) -> Decoded | None: ...

    def current_key(self, compartment: str) -> tuple[str, bytes]: ...

    def commit_file(
        self,
        *,
        comp: str,
        rec: str,
        path: Path,
        data: bytes,
        previous: bytes | None,
        action: str,
        extra: dict[str, Any] | None = None,
    ) -> AuditEntry: ...


class EncryptedStorage(Storage):
    """One record file as a TinyDB database."""

    def __init__(self, *, channel: RecordChannel, compartment: str, record_id: str) -> None:
        self._channel = channel
        self.compartment = compartment
        self.record_id = record_id
        self.path: Path = channel.vault_path / compartment / f"{record_id}{RECORD_SUFFIX}"
        self._previous: bytes | None = None
        self._base_hash: str | None = None
        self._generation = 0
        self._data: Tables | None = None
        self._in_transaction = False
        self._dirty = False
        self._loaded = False
        self._authors: dict[str, dict[str, Author]] = {}
        self._loaded_chain: ChainState | None = None

    # -- what the transaction and the session need to know ---------------
    @property
    def exists(self) -> bool:
        return self._previous is not None

    @property
    def base_hash(self) -> str | None:
        """Hash of the file this state was read from (None when it is new)."""
        return self._base_hash

    @property
    def generation(self) -> int:
        return self._generation

    @property
    def authors(self) -> dict[str, dict[str, Author]]:
        """Who added each document, from the signed saves (see chain.py)."""
        return self._authors

    # -- TinyDB's interface ----------------------------------------------
    def read(self) -> Tables | None:
        if not self._loaded:
            self._load()
        return self._data

    def write(self, data: Tables) -> None:
        if self._in_transaction:
            self._data = data
            self._dirty = True
            return
        with self._channel.lock():
            on_disk = self._read_file()
            if (sha256_hex(on_disk) if on_disk is not None else None) != self._base_hash:
                raise Conflict(
                    "not saved: someone else changed this record since you opened it; "
                    "reopen it and make the change again"
                )
            self._data = data
            self._save("record.write")

    def close(self) -> None:
        """Nothing to release: no handle is kept open between operations."""

    # -- transactions ----------------------------------------------------
    def begin(self) -> None:
        """Re-read the newest version; the caller holds the vault lock."""
        if not self._channel.lock.held:
            raise RuntimeError("a transaction needs the vault lock")
        self._load()
        self._in_transaction = True
        self._dirty = False

    def commit(self, action: str, extra: dict[str, Any] | None = None) -> bool:
        """Save once if anything changed. True if a save was made."""
        self._in_transaction = False
        if not self._dirty:
            return False
        self._dirty = False
        self._save(action, extra)
        return True

    def mark_changed(self) -> None:
        """Force the next commit to re-save (key rotation re-encrypts unchanged data)."""
        self._dirty = True

    def abandon(self) -> None:
        """Drop buffered changes (an error happened inside the transaction)."""
        self._in_transaction = False
        self._dirty = False
        self._loaded = False

    # -- internals -------------------------------------------------------
    def _read_file(self) -> bytes | None:
        fs = self._channel.fs
        return fs.read_bytes(self.path) if fs.exists(self.path) else None

    def _load(self) -> None:
        raw = self._read_file()
        self._previous = raw
        self._base_hash = sha256_hex(raw) if raw is not None else None
        # Only a file the audit log vouches for may be built upon: saving on
        # top of a forged or rolled-back file would launder it.
        decoded = self._channel.decode_vouched(raw, self.compartment, self.record_id, body=True)
        self._loaded_chain = None
        if decoded is None:
            self._data, self._generation, self._authors = None, 0, {}
        else:
            tables: Tables = dict(decoded.body or {})
            if decoded.summary:
                tables[SUMMARY_TABLE] = decoded.summary
            self._data, self._generation = tables, decoded.header.generation
            self._authors = decoded.authors
            self._loaded_chain = decoded.vouching.chain or chain_state(
                self._channel.vault_id,
                self.compartment,
                self.record_id,
                decoded.body or {},
            )
        self._loaded = True

    def _save(self, action: str, extra: dict[str, Any] | None = None) -> None:
        channel = self._channel
        data = self._data or {}
        summary = data.get(SUMMARY_TABLE, {})
        body = {name: table for name, table in data.items() if name != SUMMARY_TABLE}
        key_name, key = channel.current_key(self.compartment)
        try:
            chained = prefixes(channel.vault_id, self.compartment, self.record_id, body)
        except ValueError as exc:
            raise NotSaved(f"not saved: {exc}") from exc
        if self._loaded_chain is not None and not extends(chained, self._loaded_chain):
            # Every reader would refuse such a file as history rewritten: say so now.
            self._loaded = False
            raise NotSaved(
                "not saved: entries already saved cannot be changed or removed; "
                "record a correction instead"
            )
        chain = chained.current()
        blob = encode(
            vault_id=channel.vault_id,
            compartment=self.compartment,
            record_id=self.record_id,
            key_name=key_name,
            data_key=key,
            generation=self._generation + 1,
            summary=summary,
            body=body,
        )
        try:
            channel.commit_file(
                comp=self.compartment,
                rec=self.record_id,
                path=self.path,
                data=blob,
                previous=self._previous,
                action=action,
                extra={"gen": self._generation + 1, "chain": chain.to_doc(), **(extra or {})},
            )
        except NotSaved:
            # Our in-memory copy no longer matches the disk: read afresh next time.
            self._loaded = False
            raise
        self._previous = blob
        self._base_hash = sha256_hex(blob)
        self._generation += 1
