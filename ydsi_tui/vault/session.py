"""An unlocked vault: one user's keys, and everything they may do with them.

The service layer (and through it the CLI and the app) reaches records only
through a :class:`Session`. What a role may read is decided by which keys the
session holds, not by checks in the interface: a technician's session has no
case key at all, so no bug upstream can show them a case record.
"""

from __future__ import annotations

import contextlib
import hashlib
import hmac
import secrets
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from tinydb import TinyDB

from .admin import UserAdministration
from .audit import AuditEntry
from .chain import prefixes
from .crypto import (
    sha256_hex,
    sign,
    verify_signature,
)
from .drafts import DraftBox, DraftsLoaded, new_draft_key
from .drop_inbox import DropInbox
from .drop_triage import DropTriage
from .entry_notes import open_note, seal_note
from .errors import (
    AccessDenied,
    Conflict,
    DamagedFile,
    NotSaved,
    RecordDamaged,
    RecordExists,
    RecordNotFound,
    VaultError,
)
from .fs import TEMP_PREFIX
from .header import (
    COMPARTMENTS,
    ROLE_COMPARTMENTS,
    UserEntry,
)
from .keys import (
    Identity,
    unseal_keys,
)
from .ledger import Author, Write
from .listing_cache import ListingCache
from .reads import Decoded, Listed, Signer, Snapshot, decode_signature
from .recordfile import RECORD_SUFFIX, RecordHeader, decode_parsed, parse
from .revocation import KeyRevocation
from .rotation import KeyRotation
from .saving import not_saved, refuse_linked_folder, unreadable, utc_now
from .sealed_entries import EntrySealer
from .storage import SUMMARY_TABLE, EncryptedStorage, RecordChannel
from .witness import Finding
from .witnessing import Witnessing

if TYPE_CHECKING:
    from pathlib import Path

    from .fs import FileSystem
    from .lock import VaultLock
    from .vault import Vault

#: Looks at a record that seemed not to match the log, before the lock is taken.
_SETTLE_TRIES = 8

__all__ = ["Author", "Decoded", "Listed", "Session", "Signer", "Snapshot", "decode_signature"]


class _Signer:
    """The audit log's view of a session: an id, a key id, a signature."""

    def __init__(self, actor_id: str, key_id: str, key: Ed25519PrivateKey) -> None:
        self._actor_id = actor_id
        self._key_id = key_id
        self._key = key

    @property
    def actor_id(self) -> str:
        return self._actor_id

    @property
    def key_id(self) -> str:
        return self._key_id

    def sign(self, message: bytes) -> bytes:
        return sign(self._key, message)


class _RecordChannel:
    """A session as its record storage sees it (:class:`~ydsi_tui.vault.storage.RecordChannel`)."""

    def __init__(self, session: Session) -> None:
        self._session = session

    @property
    def fs(self) -> FileSystem:
        return self._session.vault.fs

    @property
    def lock(self) -> VaultLock:
        return self._session.vault.lock

    @property
    def vault_path(self) -> Path:
        return self._session.vault.path

    @property
    def vault_id(self) -> str:
        return self._session.vault.header.vault_id

    def decode_vouched(
        self, raw: bytes | None, compartment: str, record_id: str, *, body: bool
    ) -> Decoded | None:
        return self._session.decode_vouched(raw, compartment, record_id, body=body)

    def current_key(self, compartment: str) -> tuple[str, bytes]:
        return self._session.current_key(compartment)

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
    ) -> AuditEntry:
        session = self._session
        return session.vault.commit_file(
            session.signer,
            comp=comp,
            rec=rec,
            path=path,
            data=data,
            previous=previous,
            action=action,
            extra=extra,
        )


class Session(Witnessing, UserAdministration, KeyRotation, KeyRevocation, DropInbox, DropTriage):
    """The keys of one unlocked user; dropped by :meth:`close`.

    Watching the log for rollbacks (:class:`Witnessing`, witnessing.py), user
    and key administration (:class:`UserAdministration`, admin.py) and key
    rotation (:class:`KeyRotation`, rotation.py) are mixed in: they act on this
    user's keys and state, which never leave this object.
    """

    def __init__(
        self,
        vault: Vault,
        user: UserEntry,
        identity: Identity,
        keys: dict[str, bytes],
        *,
        recovery: bool = False,
    ) -> None:
        self.vault = vault
        self.user = user
        self.is_recovery = recovery
        self._identity: Identity | None = identity
        self._keys = keys
        if "index:case" in keys:
            sealer = EntrySealer(keys["index:case"], vault.header.vault_id)
            vault.warnings.extend(vault.use_entry_sealer(self, sealer))
        self._seen: dict[tuple[str, str], int] = {}
        #: What a listing found in each file it checked: (file identity, the hash
        #: its vouching save named, the listed summary). See :meth:`list_records`.
        self._listed: dict[tuple[str, str], tuple[tuple[int, ...], str, Listed]] = {}
        #: The same findings between runs (listing_cache.py): which compartments
        #: were read from it this session, and which have changed since.
        index_file = vault.ledger.cache_file
        self._listing_cache = (
            None if index_file is None or recovery
            else ListingCache(index_file, vault.header.vault_id, user.id)
        )  # fmt: skip
        self._listing_loaded: set[str] = set()
        self._listing_changed: set[str] = set()
        self._draft_box: DraftBox | None = None
        #: Set when the audit log is shorter than, or forks from, what this user
        #: saw (see witness.py): saves raise RolledBack until a DSL acknowledges it.
        self.rollback: str | None = None
        self.rollback_finding: Finding | None = None
        #: What the witness said at unlock, to show at once (plain text, never markup).
        self.witness_warnings: list[str] = []
        self._witness = None if recovery else self._make_witness(identity)
        self._own_keys_check(identity)
        self._witness_check()

    # ------------------------------------------------------------------
    # who
    # ------------------------------------------------------------------
    @property
    def name(self) -> str:
        return self.user.name

    @property
    def role(self) -> str:
        return self.user.role

    @property
    def signer(self) -> _Signer:
        identity = self._require_identity()
        return _Signer(identity.owner_id, identity.sign_key_id, identity.sign)

    @property
    def channel(self) -> RecordChannel:
        """What a record's storage is handed of this session (see storage.py)."""
        return _RecordChannel(self)

    def can_read(self, compartment: str) -> bool:
        return compartment in ROLE_COMPARTMENTS[self.role] and not self.is_recovery

    def close(self) -> None:
        """Drop every key reference (as far as Python allows: no wiping of bytes)."""
        self.vault.ledger.persist_at_close(self._witness.seen_seq() if self._witness else 0)
        self._keep_listings()
        if "index:case" in self._keys:
            self.vault.use_entry_sealer(self, None)
        self._keys.clear()
        self._listed.clear()
        self._identity = None

    @property
    def closed(self) -> bool:
        return self._identity is None

    def _require_identity(self) -> Identity:
        if self._identity is None:
            raise AccessDenied("the vault is locked: unlock it again")
        return self._identity

    # ------------------------------------------------------------------
    # keys
    # ------------------------------------------------------------------
    def _require(self, compartment: str) -> None:
        self._require_identity()
        if not self.can_read(compartment):
            raise AccessDenied(
                f"your role ({self.role}) does not hold the {compartment} key: "
                "this record is not yours to open"
            )

    def _refresh_keys(self) -> None:
        """Another DSL may have rotated keys since we unlocked: pick up the new ones."""
        header = self.vault.reload_header()
        identity = self._require_identity()
        entry = header.recovery if self.is_recovery else header.user_by_id(self.user.id)
        if entry is None or (isinstance(entry, UserEntry) and not entry.active):
            self.close()
            raise AccessDenied("your account has been removed from this vault")
        self._keys.update(unseal_keys(header.vault_id, identity, entry.sealed))
        if isinstance(entry, UserEntry):
            self.user = entry

    def current_key(self, compartment: str) -> tuple[str, bytes]:
        self._require(compartment)
        name = f"{compartment}:{self.vault.header.epochs[compartment]}"
        if name not in self._keys:
            self._refresh_keys()
            name = f"{compartment}:{self.vault.header.epochs[compartment]}"
        return name, self._keys[name]

    def record_id(self, compartment: str, ref: str) -> str:
        """The opaque file name of a record: a keyed hash of its human reference.

        Keyed, so that nobody without the compartment's index key can tell
        which file holds which incident (the audit log names records this way).
        """
        self._require(compartment)
        key = self._keys[f"index:{compartment}"]
        digest = hmac.new(key, f"{compartment}|{ref}".encode(), hashlib.sha256).digest()
        return digest[:16].hex()

    def decode_record(
        self, raw: bytes, compartment: str, record_id: str, *, body: bool
    ) -> tuple[RecordHeader, dict[str, Any], dict[str, Any] | None]:
        self._require(compartment)
        path = f"{compartment}/{record_id}{RECORD_SUFFIX}"
        parsed = parse(raw, path)
        if parsed.header.key_name not in self._keys:
            self._refresh_keys()
        # The reader chooses the key, never the file: a case file "encrypted
        # under custody:1" (which a technician holds) is a forgery.
        if parsed.header.key_name not in self._compartment_keys(compartment):
            raise RecordDamaged(
                path,
                f"names the key {parsed.header.key_name[:40]!r}, which is not one of this "
                f"vault's {compartment} keys (forged by someone holding another key)",
            )
        return decode_parsed(
            parsed,
            path,
            vault_id=self.vault.header.vault_id,
            compartment=compartment,
            record_id=record_id,
            keys=self._keys,
            body=body,
        )

    def _compartment_keys(self, compartment: str) -> set[str]:
        """The names a record of this compartment may be under: ``<compartment>:<epoch>``
        for an epoch the signed header still seals to this user."""
        prefix = f"{compartment}:"
        return {
            name
            for name in self.user.sealed
            if name.startswith(prefix) and name[len(prefix) :].isdigit()
        } | {f"{compartment}:{self.vault.header.epochs[compartment]}"}

    def decode_vouched(
        self,
        raw: bytes | None,
        compartment: str,
        record_id: str,
        *,
        body: bool,
        log_read: bool = False,
    ) -> Decoded | None:
        """Decrypt a record file only if the audit log vouches for it (see ledger.py).

        A save in progress elsewhere looks, for an instant, like a rollback
        (its entry is written before its file is renamed into place), so such
        a mismatch (``RecordDamaged.transient``) is checked again under the
        vault's lock before it is called damage; any other is reported at
        once. None when there is no file and the log agrees there is none.

        ``log_read``: the caller has just read the log's new entries, once
        for many files (a listing): each file is first checked against the
        log as read then, instead of reading the log again per file. Anything
        short of a clean match reads the log again and is checked anew as
        below (a save in flight waited for), unless the log has not moved and
        the mismatch is not one a save in flight makes: so a save that landed
        since is never mistaken for damage, and a clean match is what the log
        said a moment earlier.
        """
        if log_read:
            ledger = self.vault.ledger
            seen = ledger.seq
            try:
                return self._decode_vouched(raw, compartment, record_id, body=body, fresh=False)
            except RecordDamaged as exc:
                # A save in flight (transient) is waited for below, however the
                # log looks now: another thread of this process may have read
                # the save's entry into the shared index before this file was.
                ledger.refresh()
                if ledger.seq == seen and not exc.transient and raw is not None:
                    raise  # the log has not moved: the first answer stands
        path = self._path(compartment, record_id)
        delay = 0.001
        for _ in range(_SETTLE_TRIES):
            try:
                return self._decode_vouched(raw, compartment, record_id, body=body)
            except RecordDamaged as exc:
                if self.vault.lock.held or not exc.transient:
                    raise
            # A save elsewhere finishes within milliseconds; look again before
            # taking the lock, which busy writers would make us wait for.
            time.sleep(delay)
            delay = min(delay * 2, 0.05)
            raw = self._read_raw(path)
        with self.vault.lock():
            return self._decode_vouched(self._read_raw(path), compartment, record_id, body=body)

    def _read_raw(self, path: Any) -> bytes | None:
        try:
            return self.vault.fs.read_bytes(path) if self.vault.fs.exists(path) else None
        except FileNotFoundError:
            return None
        except OSError as exc:
            raise VaultError(unreadable(exc)) from exc

    def _decode_vouched(
        self,
        raw: bytes | None,
        compartment: str,
        record_id: str,
        *,
        body: bool,
        fresh: bool = True,
    ) -> Decoded | None:
        label = f"{compartment}/{record_id}{RECORD_SUFFIX}"
        ledger = self.vault.ledger
        if fresh:
            ledger.refresh()
        header = self.vault.header
        if raw is None:
            self._check_absent(compartment, record_id, label)
            return None
        parse(raw, label)  # a file of a newer format says "upgrade ydsi", not "damaged"
        vouching = ledger.vouch(header, compartment, record_id, sha256_hex(raw), label)
        record_header, summary, full = self.decode_record(raw, compartment, record_id, body=body)
        authors: dict[str, dict[str, Author]] = {}
        if full is not None:
            try:
                chained = prefixes(header.vault_id, compartment, record_id, full)
            except ValueError as exc:
                raise RecordDamaged(label, f"written outside ydsi ({exc})", vouching.seq) from exc
            authors = ledger.authors(header, compartment, record_id, chained, vouching, label)
        return Decoded(record_header, summary, full, vouching, authors)

    def _check_absent(self, compartment: str, record_id: str, label: str) -> None:
        """No file: fine if the log never saw one, or saw it destroyed; else it was deleted."""
        ledger = self.vault.ledger
        header = self.vault.header
        for write in reversed(ledger.writes(compartment, record_id)):
            if ledger.valid(header, write, compartment):
                if write.action == "record.destroy":
                    return
                raise RecordDamaged(
                    label,
                    f"missing: deleted outside ydsi (last signed save at entry {write.seq}); "
                    "'ydsi repair' puts back the copy in the newest backup",
                    write.seq,
                    transient=True,
                )

    def own_signer(self) -> Signer | None:
        """This session's signer as the header lists it (what its saves will be attested as)."""
        identity = self._require_identity()
        return self.signer_of(Author(self.user.id, identity.sign_key_id, 0))

    def signer_of(self, author: Author) -> Signer | None:
        """Who made a save, from the signed header (None for a key it does not list)."""
        header = self.vault.header
        owner = author.key_id.rsplit(".", 1)[0]
        user = header.user_by_id(owner)
        if user is None or owner != author.actor:
            return None
        for key in user.sign_keys:
            if key.key_id == author.key_id:
                return Signer(
                    user_id=user.id,
                    name=user.name,
                    full_name=user.full_name.strip() or user.name,
                    role=user.role,
                    key_id=key.key_id,
                    owner_made=not getattr(key, "issued_by", ""),
                    public=key.public,
                )
        return None

    # ------------------------------------------------------------------
    # records
    # ------------------------------------------------------------------
    def _path(self, compartment: str, record_id: str) -> Any:
        return self.vault.path / compartment / f"{record_id}{RECORD_SUFFIX}"

    def exists(self, compartment: str, ref: str) -> bool:
        return self.vault.fs.exists(self._path(compartment, self.record_id(compartment, ref)))

    def read(self, compartment: str, ref: str, *, log: bool = True) -> Snapshot:
        """Decrypt one record; by default the read itself is audited (who opened what)."""
        record_id = self.record_id(compartment, ref)
        path = self._path(compartment, record_id)
        try:
            raw = self.vault.fs.read_bytes(path) if self.vault.fs.exists(path) else None
        except OSError as exc:
            raise VaultError(unreadable(exc)) from exc
        decoded = self.decode_vouched(raw, compartment, record_id, body=True)
        if decoded is None:
            raise RecordNotFound(f"no record {ref!r}")
        header, summary, body = decoded.header, decoded.summary, decoded.body
        seen = self._seen.get((compartment, record_id), 0)
        if header.generation < seen:
            raise DamagedFile(
                str(path), "this record went back to an older version since you last read it"
            )
        self._seen[(compartment, record_id)] = header.generation
        if log:
            self.log_read(compartment, record_id, header.generation)
        else:
            # Unaudited: witness only up to the save that vouched for this file.
            self._witnessed(decoded.vouching.seq)
        tables = dict(body or {})
        if summary:
            tables[SUMMARY_TABLE] = summary
        file_hash = decoded.vouching.hash
        return Snapshot(record_id, tables, header.generation, file_hash, decoded.authors)

    def log_read(self, compartment: str, record_id: str, generation: int) -> None:
        with self.vault.lock():
            try:
                self.vault.audit.append(
                    self.signer,
                    ts=utc_now(),
                    action="record.read",
                    comp=compartment,
                    rec=record_id,
                    extra={"gen": generation},
                )
            except (OSError, ValueError) as exc:
                # As in Vault.commit_file: a failure before the entry was written
                # (reading the log's head, opening it) has changed nothing.
                raise NotSaved(not_saved(exc)) from exc
            self._witnessed(None)

    @contextmanager
    def transaction(
        self,
        compartment: str,
        ref: str,
        *,
        create: bool = False,
        expect_hash: str | None = None,
        action: str = "record.write",
    ) -> Iterator[TinyDB]:
        """A locked read-modify-write of one record, saved once at the end.

        ``create`` demands that the record be new; ``expect_hash`` (the file
        hash of the copy a user was looking at) refuses the save if anyone
        changed the record since, for changes that must not be merged.
        """
        self._require(compartment)
        record_id = self.record_id(compartment, ref)
        with self.vault.lock():
            self.refuse_if_rolled_back()
            db = TinyDB(
                storage=EncryptedStorage,  # TinyDB passes our kwargs through
                channel=self.channel,
                compartment=compartment,
                record_id=record_id,
            )
            storage = db.storage
            assert isinstance(storage, EncryptedStorage)
            try:
                storage.begin()
            except OSError as exc:
                raise NotSaved(f"not saved: {unreadable(exc)}") from exc
            if create and storage.exists:
                raise RecordExists(f"a record {ref!r} already exists")
            if not create and not storage.exists:
                raise RecordNotFound(f"no record {ref!r}")
            if expect_hash is not None and storage.base_hash != expect_hash:
                raise Conflict(
                    "not saved: this record was changed by someone else since you looked at it; "
                    "review the changes and try again"
                )
            try:
                yield db
            except BaseException:
                storage.abandon()
                raise
            storage.commit(action)
            self._seen[(compartment, record_id)] = storage.generation
            self._witnessed(None)  # acknowledged, under the lock: the head is this save

    def destroy_record(
        self, compartment: str, ref: str, *, extra: dict[str, Any] | None = None
    ) -> AuditEntry:
        """Delete a record for good (retention), leaving an audit entry without its content.

        Only a DSL may. The file is first renamed to a temporary name, then the
        destruction is logged, then the file is unlinked: a crash before the
        log entry restores the record at the next open; a crash after it
        finishes the deletion.
        """
        self._require(compartment)
        if self.role != "dsl":
            raise AccessDenied("only a DSL can destroy a record")
        record_id = self.record_id(compartment, ref)
        path = self._path(compartment, record_id)
        fs = self.vault.fs
        with self.vault.lock():
            self.refuse_if_rolled_back()
            refuse_linked_folder(path.parent)
            if not fs.exists(path):
                raise RecordNotFound(f"no record {ref!r}")
            tmp = path.parent / f"{TEMP_PREFIX}{record_id}-{secrets.token_hex(6)}"
            try:
                fs.replace(path, tmp)
                fs.fsync_dir(path.parent)
            except OSError as exc:
                self._undo_destroy(tmp, path)
                raise NotSaved(f"not destroyed: the disk refused ({exc.strerror})") from exc
            try:
                entry, _ = self.vault.audit.append(
                    self.signer,
                    ts=utc_now(),
                    action="record.destroy",
                    comp=compartment,
                    rec=record_id,
                    extra=dict(extra or {}),
                )
            except (NotSaved, OSError) as exc:
                self._undo_destroy(tmp, path)
                raise NotSaved(
                    f"not destroyed: the audit log could not be written ({exc})"
                ) from exc
            with contextlib.suppress(OSError):  # the next open finishes it if this fails
                fs.unlink(tmp)
                fs.fsync_dir(path.parent)
            self._witnessed(None)
        return entry

    def seal_entry_note(self, compartment: str, ref: str, payload: dict[str, Any]) -> str:
        """An audit entry's details about a case, readable by the case roles only."""
        self._require("case")
        record_id = self.record_id(compartment, ref)
        return seal_note(self._keys["index:case"], self.vault.header.vault_id, compartment,
                         record_id, payload)  # fmt: skip

    def open_entry_note(self, entry: AuditEntry) -> dict[str, Any] | None:
        """The sealed details of an entry (None if it has none, or if this role may not read)."""
        if not self.can_read("case") or "index:case" not in self._keys:
            return None
        return open_note(
            self._keys["index:case"], self.vault.header.vault_id, entry.comp, entry.rec,
            entry.extra.get("note"),
        )  # fmt: skip

    def _undo_destroy(self, tmp: Any, path: Any) -> None:
        fs = self.vault.fs
        with contextlib.suppress(OSError):
            if fs.exists(tmp) and not fs.exists(path):
                fs.replace(tmp, path)
                fs.fsync_dir(path.parent)

    def list_records(self, compartment: str) -> list[Listed]:
        """Every record's summary; a damaged file is reported, never fatal.

        A file this session listed before is not decrypted again when it is the
        same file, unchanged (device, inode, size, mtime and ctime: a rename over
        it or any write changes them) *and* the audit log, read up to now, still
        vouches for the hash it had: a save, a rollback or a destruction since is
        seen at once. Listing a vault of 10,000 incidents a second time in a
        running app (the home screen's refresh, the pupil register's list) then
        costs a ``stat`` per file. A read (opening a record) always decrypts.
        """
        self._require(compartment)
        directory = self.vault.path / compartment
        results: list[Listed] = []
        ledger = self.vault.ledger
        ledger.refresh()
        if compartment not in self._listing_loaded:
            self._load_listing(compartment)
        for name in sorted(self.vault.fs.listdir(directory)):
            if not name.endswith(RECORD_SUFFIX) or name.startswith("."):
                continue
            record_id = name[: -len(RECORD_SUFFIX)]
            key = (compartment, record_id)
            identity = self.vault.fs.identity(directory / name)
            known = self._listed.get(key)
            if known is not None and identity is not None and known[0] == identity:
                try:
                    write = ledger.vouch(self.vault.header, compartment, record_id, known[1],
                                         f"{compartment}/{name}")  # fmt: skip
                except VaultError:
                    write = None
                if write is not None and write.hash == known[1]:
                    role = self._saver_role(write)  # today's header's word, not remembered
                    if role != known[2].saved_by_role:
                        known = (
                            known[0],
                            known[1],
                            Listed(record_id, known[2].summary, saved_by_role=role),
                        )
                        self._listed[key] = known
                    results.append(known[2])
                    continue
            if self._listed.pop(key, None) is not None:
                self._listing_changed.add(compartment)
            try:
                raw = self.vault.fs.read_bytes(directory / name)
                decoded = self.decode_vouched(
                    raw, compartment, record_id, body=False, log_read=True
                )
                summary = decoded.summary if decoded is not None else {}
                doc = next(iter(summary.values()), None)
                role = self._saver_role(decoded.vouching) if decoded is not None else ""
                listed = Listed(
                    record_id, doc if isinstance(doc, dict) else None, saved_by_role=role
                )
                results.append(listed)
                if decoded is not None and identity is not None:
                    self._listed[key] = (identity, decoded.vouching.hash, listed)
                    self._listing_changed.add(compartment)
            except VaultError as exc:
                results.append(Listed(record_id, None, str(exc)))
            except OSError as exc:  # EACCES, EIO: one line naming the file, as a read says
                results.append(Listed(record_id, None, unreadable(exc)))
        # A file deleted outside ydsi is not in the directory, but the log remembers it.
        on_disk = {listed.record_id for listed in results}
        gone = [k for k in self._listed if k[0] == compartment and k[1] not in on_disk]
        for key in gone:  # destroyed: not kept for the next run either
            del self._listed[key]
            self._listing_changed.add(compartment)
        for record_id in self.vault.ledger.records(compartment):
            if record_id in on_disk or record_id.startswith("."):
                continue
            try:
                self._check_absent(compartment, record_id, f"{compartment}/{record_id}")
            except RecordDamaged as exc:
                results.append(Listed(record_id, None, str(exc)))
        return results

    def _saver_role(self, write: Write) -> str:
        """The role of whoever signed a save ("" for a legacy save or an unknown key)."""
        if write.legacy:
            return ""
        saver = self.signer_of(Author(write.actor, write.key_id, write.seq))
        return saver.role if saver is not None else ""

    def _load_listing(self, compartment: str) -> None:
        """What this user's last session listed here, to be checked as if listed now."""
        self._listing_loaded.add(compartment)
        cache = self._listing_cache
        name = f"{compartment}:{self.vault.header.epochs[compartment]}"
        if cache is None or name not in self._keys:
            return
        for record_id, (identity, digest, summary) in cache.load(
            compartment, name, self._keys[name]
        ).items():
            key = (compartment, record_id)
            if key not in self._listed:
                self._listed[key] = (identity, digest, Listed(record_id, summary))

    def _keep_listings(self) -> None:
        """Write what changed since it was loaded, under today's key; never raises.

        Only the records the last listing found are kept (see :meth:`list_records`).
        """
        cache = self._listing_cache
        if cache is None:
            return
        for compartment in sorted(self._listing_changed.copy()):
            name = f"{compartment}:{self.vault.header.epochs[compartment]}"
            if name not in self._keys:
                continue  # rotated since: the next session starts afresh
            rows = {
                record_id: (identity, digest, listed.summary)
                # A copy: a listing may still be running in another thread.
                for (comp, record_id), (identity, digest, listed) in self._listed.copy().items()
                if comp == compartment and listed.summary is not None
            }
            with contextlib.suppress(OSError, ValueError):
                cache.save(compartment, name, self._keys[name], rows)
        self._listing_changed.clear()

    def audit_head(self) -> int:
        """The audit log's last sequence number: a cheap "has anything changed?"."""
        return self.vault.audit.head().seq

    def changed_since(self, seq: int) -> set[tuple[str, str]]:
        """(compartment, record id) of every record written after entry ``seq``."""
        return {
            (entry.comp, entry.rec)
            for entry in self.vault.audit.entries_after(seq)
            if entry.hash and entry.comp in COMPARTMENTS
        }

    # ------------------------------------------------------------------
    # drafts (unsaved forms; see drafts.py)
    # ------------------------------------------------------------------
    def draft_box(self) -> DraftBox:
        """This user's drafts under this session's draft key (made on the first call).

        The first call needs the keys (it signs the key file); the box it
        returns still *writes* after :meth:`close`, so a lock or a hang-up
        keeps what was typed.
        """
        if self._draft_box is None:
            header = self.vault.header
            draft_key = new_draft_key(
                header.vault_id, self.user.id, self.user.box_public, self._require_identity()
            )
            self._draft_box = DraftBox(
                self.vault.fs,
                self.vault.path,
                header.vault_id,
                self.user.id,
                draft_key,
                header.shared,
            )
        return self._draft_box

    def load_drafts(self) -> DraftsLoaded:
        """Drafts this user signed for; unverified ones are deleted and counted."""
        identity = self._require_identity()
        entry = self.vault.header.user_by_id(self.user.id) or self.user
        sign_keys = {key.key_id: key.public for key in entry.sign_keys if key.active}
        return self.draft_box().load(identity, sign_keys)

    # ------------------------------------------------------------------
    # signatures (sign-offs)
    # ------------------------------------------------------------------
    def sign(self, message: bytes) -> tuple[str, bytes]:
        identity = self._require_identity()
        return identity.sign_key_id, sign(identity.sign, message)

    def verify(self, key_id: str, message: bytes, signature: bytes) -> tuple[bool, str]:
        """(valid, signer's name) for a signature by any key this vault ever issued."""
        header = self.vault.header
        for user in header.users:
            for key in user.sign_keys:
                if key.key_id == key_id:
                    return verify_signature(key.public, signature, message), user.name
        return False, "unknown key"
