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
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from tinydb import TinyDB

from .audit import AuditEntry
from .chain import prefixes
from .crypto import (
    KdfParams,
    b64d,
    ed25519_public_bytes,
    random_key,
    sha256_hex,
    sign,
    verify_signature,
)
from .drafts import DraftBox, DraftsLoaded, new_draft_key
from .enrolment import (
    KeyRequest,
    check_request,
    make_request,
    read_requests,
    remove_request,
    request_path,
    verifier_key,
    write_request,
)
from .enrolment import generate_code as generate_enrol_code
from .errors import (
    AccessDenied,
    Conflict,
    DamagedFile,
    KeyChangeIncomplete,
    NotSaved,
    RecordDamaged,
    RecordExists,
    RecordNotFound,
    RolledBack,
    UnknownUser,
    VaultError,
)
from .fs import TEMP_PREFIX, FileSystem
from .header import (
    AUTHORITY_ROLES,
    COMPARTMENTS,
    FORMAT_VERSION,
    HEADER_NAME,
    MAX_USERS,
    RECOVERY_ID,
    ROLE_COMPARTMENTS,
    ROLES,
    AuthorityKey,
    Header,
    PolicyPin,
    SignKey,
    Slot,
    UserEntry,
    check_user_name,
    endorsement_bytes,
)
from .keys import (
    Identity,
    check_passphrase,
    keys_for_role,
    open_slot,
    seal_keys,
    sign_header,
    unseal_keys,
    wrap_slot,
)
from .ledger import Author, Write
from .recordfile import RECORD_SUFFIX, RecordHeader, decode_parsed, parse, peek
from .saving import not_saved, unreadable, utc_now
from .storage import SUMMARY_TABLE, EncryptedStorage
from .witness import Finding, Witness

if TYPE_CHECKING:
    from .vault import Vault

#: Looks at a record that seemed not to match the log, before the lock is taken.
_SETTLE_TRIES = 8

__all__ = ["Author", "Decoded", "Listed", "Session", "Signer", "Snapshot", "decode_signature"]


@dataclass(frozen=True)
class Snapshot:
    """One record as read: its tables, its generation and the hash of its file.

    ``authors`` says, per table and document id, whose signed save added each
    document: the only trustworthy answer to "who wrote this entry".
    """

    record_id: str
    tables: dict[str, dict[str, Any]]
    generation: int
    file_hash: str
    authors: dict[str, dict[str, Author]] = field(default_factory=dict)


@dataclass(frozen=True)
class Decoded:
    """A record file the audit log vouches for, decrypted."""

    header: RecordHeader
    summary: dict[str, Any]
    body: dict[str, Any] | None
    vouching: Write
    authors: dict[str, dict[str, Author]]


@dataclass(frozen=True)
class Signer:
    """Who signed a save, as the vault header lists them (for display and sign-offs)."""

    user_id: str
    name: str
    full_name: str
    role: str
    key_id: str
    #: The key was made by its owner, not generated for them by a DSL.
    owner_made: bool
    public: bytes


@dataclass(frozen=True)
class Listed:
    """One line of a listing: a record's summary, or why it could not be read."""

    record_id: str
    summary: dict[str, Any] | None
    error: str | None = None


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


class Session:
    """The keys of one unlocked user; dropped by :meth:`close`."""

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
        self._seen: dict[tuple[str, str], int] = {}
        self._draft_box: DraftBox | None = None
        #: Set when the audit log is shorter than, or forks from, what this user
        #: saw (see witness.py): saves raise RolledBack until a DSL acknowledges it.
        self.rollback: str | None = None
        self.rollback_finding: Finding | None = None
        #: What the witness said at unlock, to show at once (plain text, never markup).
        self.witness_warnings: list[str] = []
        self._witness = None if recovery else self._make_witness(identity)
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

    def can_read(self, compartment: str) -> bool:
        return compartment in ROLE_COMPARTMENTS[self.role] and not self.is_recovery

    @property
    def rotation_pending(self) -> bool:
        """True while a key rotation was started and not finished."""
        return any(
            len({n for n in self.user.sealed if n.startswith(f"{comp}:")}) > 1
            for comp in COMPARTMENTS
        )

    def close(self) -> None:
        """Drop every key reference (as far as Python allows: no wiping of bytes)."""
        self._keys.clear()
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
        self, raw: bytes | None, compartment: str, record_id: str, *, body: bool
    ) -> Decoded | None:
        """Decrypt a record file only if the audit log vouches for it (see ledger.py).

        A save in progress elsewhere looks, for an instant, like a rollback
        (its entry is written before its file is renamed into place), so a
        mismatch is checked again under the vault's lock before it is called
        damage. None when there is no file and the log agrees there is none.
        """
        path = self._path(compartment, record_id)
        delay = 0.001
        for _ in range(_SETTLE_TRIES):
            try:
                return self._decode_vouched(raw, compartment, record_id, body=body)
            except RecordDamaged:
                if self.vault.lock.held:
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
        self, raw: bytes | None, compartment: str, record_id: str, *, body: bool
    ) -> Decoded | None:
        label = f"{compartment}/{record_id}{RECORD_SUFFIX}"
        ledger = self.vault.ledger
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
                session=self,
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

    def _undo_destroy(self, tmp: Any, path: Any) -> None:
        fs = self.vault.fs
        with contextlib.suppress(OSError):
            if fs.exists(tmp) and not fs.exists(path):
                fs.replace(tmp, path)
                fs.fsync_dir(path.parent)

    def list_records(self, compartment: str) -> list[Listed]:
        """Every record's summary; a damaged file is reported, never fatal."""
        self._require(compartment)
        directory = self.vault.path / compartment
        results: list[Listed] = []
        for name in sorted(self.vault.fs.listdir(directory)):
            if not name.endswith(RECORD_SUFFIX) or name.startswith("."):
                continue
            record_id = name[: -len(RECORD_SUFFIX)]
            try:
                raw = self.vault.fs.read_bytes(directory / name)
                decoded = self.decode_vouched(raw, compartment, record_id, body=False)
                summary = decoded.summary if decoded is not None else {}
                doc = next(iter(summary.values()), None)
                results.append(Listed(record_id, doc if isinstance(doc, dict) else None))
            except (VaultError, OSError) as exc:
                results.append(Listed(record_id, None, str(exc)))
        # A file deleted outside ydsi is not in the directory, but the log remembers it.
        on_disk = {listed.record_id for listed in results}
        for record_id in self.vault.ledger.records(compartment):
            if record_id in on_disk or record_id.startswith("."):
                continue
            try:
                self._check_absent(compartment, record_id, f"{compartment}/{record_id}")
            except RecordDamaged as exc:
                results.append(Listed(record_id, None, str(exc)))
        return results

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
    # the witness (see witness.py): what this user saw of the log
    # ------------------------------------------------------------------
    def _make_witness(self, identity: Identity) -> Witness:
        # Its own file system, not the vault's: the witness is this user's
        # client state, outside the save protocol (and its fault injection).
        return Witness(
            fs=FileSystem(),
            vault_path=self.vault.path,
            vault_id=self.vault.header.vault_id,
            user_id=self.user.id,
            key_id=lambda: self._require_identity().sign_key_id,
            sign=lambda message: sign(self._require_identity().sign, message),
            header=lambda: self.vault.header,
            now=utc_now,
        )

    def _user_name(self, user_id: str) -> str:
        user = self.vault.header.user_by_id(user_id)
        return user.name if user is not None else user_id

    def _witness_warn(self, message: str) -> None:
        if message not in self.witness_warnings:
            self.witness_warnings.append(message)
        if message not in self.vault.warnings:
            self.vault.warnings.append(message)

    def _witness_check(self) -> None:
        """Compare the log with this user's witness (at unlock, and before a save once warned)."""
        if self._witness is None:
            return
        try:
            finding = self._witness.check(self._user_name)
        except OSError as exc:
            self._witness_warn(
                f"your witness of this vault could not be checked ({exc.strerror or exc}); "
                "a rollback of the vault would not be noticed"
            )
            return
        if finding.warning:
            self._witness_warn(finding.warning)
        if finding.note:
            self._witness_warn(finding.note)
        if finding.rollback:
            self.rollback = f"ROLLED BACK: {finding.rollback}"
            self.rollback_finding = finding
            self._witness_warn(
                f"{self.rollback}; nothing can be saved until a DSL runs 'ydsi witness ack'"
            )
        else:
            self.rollback = None
            self.rollback_finding = None

    def _witnessed(self, upto: int | None) -> None:
        """A save or read was acknowledged: move the witness forwards (best effort)."""
        if self._witness is None or self.rollback is not None or self.closed:
            return
        try:
            still = self._witness.advance(upto)
        except (OSError, VaultError) as exc:
            reason = (exc.strerror or str(exc)) if isinstance(exc, OSError) else str(exc)
            self._witness_warn(f"your witness of this vault could not be updated ({reason})")
            return
        if not still:
            self._witness_check()  # the log went back while this session ran

    def refuse_if_rolled_back(self) -> None:
        """Raise RolledBack while the log is behind what this user saw (checked afresh)."""
        if self._witness is None:
            return
        self._witness_check()
        if self.rollback is not None:
            raise RolledBack(
                f"not saved: {self.rollback}; a DSL must acknowledge it with "
                "'ydsi witness ack' first (nothing was changed)"
            )

    def acknowledge_rollback(self) -> AuditEntry:
        """A DSL accepts the vault as it is: a signed ``witness.ack`` naming what was lost.

        Every user's witness that left the log at or before this entry then
        accepts the new history and saves go on; the lost entries stay named
        in the log for good.
        """
        self._require_identity()
        if self.role != "dsl" or self.is_recovery:
            raise AccessDenied("only a DSL can acknowledge that the vault went back")
        with self.vault.lock():
            self._witness_check()
            finding = self.rollback_finding
            if self.rollback is None or finding is None or finding.witnessed is None:
                raise VaultError(
                    "nothing to acknowledge: the audit log holds everything you have seen"
                )
            seen = finding.witnessed
            head = self.vault.audit.head()
            entry = self._append_header_entry(
                "witness.ack",
                {
                    "abandoned": {"seq": seen.seq, "hash": seen.hash},
                    "head": {"seq": head.seq, "hash": head.hash},
                    "lost": [finding.first_lost, seen.seq],
                },
            )
            self._witness_rebuild()
        return entry

    def record_restore(self, extra: dict[str, Any]) -> AuditEntry:
        """After a restore from backup: a DSL-signed ``vault.restore`` entry (see backup.py).

        Witnesses that saw entries the backup does not hold then say "restored
        by X" instead of refusing saves.
        """
        self._require_identity()
        if self.role != "dsl" or self.is_recovery:
            raise AccessDenied("only a DSL can record a restore")
        with self.vault.lock():
            self._witness_check()
            finding = self.rollback_finding
            if finding is not None and finding.witnessed is not None:
                seen = finding.witnessed
                extra = {**extra, "witnessed": {"seq": seen.seq, "hash": seen.hash}}
            entry = self._append_header_entry("vault.restore", extra)
            self._witness_rebuild()
        return entry

    def _append_header_entry(self, action: str, extra: dict[str, Any]) -> AuditEntry:
        """A signed header entry naming no file (the caller holds the lock)."""
        try:
            entry, _ = self.vault.audit.append(
                self.signer, ts=utc_now(), action=action, comp="header", rec="witness", extra=extra
            )
        except (OSError, ValueError) as exc:
            raise NotSaved(not_saved(exc)) from exc
        return entry

    def _witness_rebuild(self) -> None:
        self.rollback = None
        self.rollback_finding = None
        if self._witness is not None:
            self._witness.rebuild = True
        self._witnessed(None)

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

    # ------------------------------------------------------------------
    # users and keys (a DSL's work)
    # ------------------------------------------------------------------
    def _require_authority(self, header: Header) -> None:
        self._require_identity()
        if self.role not in AUTHORITY_ROLES or header.current_authority.key_id not in self._keys:
            raise AccessDenied("only a DSL can manage users and keys")

    def _commit_header(
        self, header: Header, previous: bytes, action: str, extra: dict[str, Any]
    ) -> AuditEntry:
        self.refuse_if_rolled_back()
        entry = self.vault.commit_file(
            self.signer,
            comp="header",
            rec=HEADER_NAME,
            path=self.vault.path / HEADER_NAME,
            data=header.to_bytes(),
            previous=previous,
            action=action,
            extra=extra,
        )
        self.vault.header = header
        self._witnessed(None)
        return entry

    def _fresh_header(self) -> tuple[Header, bytes]:
        try:
            previous = self.vault.fs.read_bytes(self.vault.path / HEADER_NAME)
        except OSError as exc:
            raise NotSaved(f"not saved: {unreadable(exc)}") from exc
        return self.vault.reload_header(), previous

    def add_user(
        self,
        name: str,
        role: str,
        passphrase: str,
        *,
        full_name: str = "",
        kdf: KdfParams | None = None,
    ) -> UserEntry:
        """Add a member of staff with their first passphrase, typed by this DSL.

        A lower-level way than :meth:`issue_enrolment` (tests and the demo use
        it): the keys are generated by this DSL's client, so they are marked
        ``issued_by`` this DSL and do not count as the user's own.
        """
        check_user_name(name)
        if role not in ROLES:
            raise VaultError(f"unknown role {role!r}: choose one of {', '.join(ROLES)}")
        check_passphrase(passphrase)
        header = self.vault.reload_header()
        self._require_authority(header)
        defaults = header.kdf_default
        kdf = kdf or KdfParams.new(
            defaults["memory_kib"], defaults["iterations"], defaults["lanes"]
        )
        user_id = secrets.token_hex(16)
        identity = Identity.generate(user_id, f"{user_id}.1", header.current_authority.public)
        slot = Slot(
            kdf, wrap_slot(header.vault_id, identity, passphrase, kdf)
        )  # slow: outside the lock
        with self.vault.lock():
            header, previous = self._fresh_header()
            self._require_authority(header)
            self._refresh_keys()
            if header.user_by_name(name) is not None:
                raise VaultError(f"there is already a user called {name!r}")
            if len(header.users) >= MAX_USERS:
                raise VaultError(f"a vault holds at most {MAX_USERS} users")
            entry = UserEntry(
                id=user_id,
                name=name,
                role=role,
                full_name=full_name,
                active=True,
                box_public=identity.box_public,
                # Made here, under a passphrase this DSL typed: they could sign with it.
                sign_keys=[
                    SignKey(identity.sign_key_id, identity.sign_public, issued_by=self.user.id)
                ],
            )
            entry.sealed = seal_keys(
                header.vault_id,
                user_id,
                identity.box_public,
                self._keys,
                keys_for_role(role, header),
            )
            header.users.append(entry)
            header.slots[user_id] = slot
            header.serial += 1
            sign_header(header, self._keys)
            self._commit_header(
                header,
                previous,
                "user.add",
                {"user": user_id, "role": role, "key_id": identity.sign_key_id},
            )
        return entry

    # -- enrolment: keys their owners made (see enrolment.py) -------------
    def issue_enrolment(self, name: str, role: str, full_name: str = "") -> str:
        """Invite a member of staff; returns the one-time code to hand over in person.

        The signed header gains a pending user holding no key, only the public
        half of the code's key. Issuing again for a user still pending
        replaces their code (a lost one stops working) and drops any request
        waiting for them.
        """
        check_user_name(name)
        if role not in ROLES:
            raise VaultError(f"unknown role {role!r}: choose one of {', '.join(ROLES)}")
        code = generate_enrol_code()
        with self.vault.lock():
            header, previous = self._fresh_header()
            self._require_authority(header)
            if header.user_by_name(name) is not None:
                raise VaultError(f"there is already a user called {name!r}")
            entry = header.pending_by_name(name)
            reissued = entry is not None
            if entry is None:
                if len(header.users) >= MAX_USERS:
                    raise VaultError(f"a vault holds at most {MAX_USERS} users")
                entry = UserEntry(
                    id=secrets.token_hex(16),
                    name=name,
                    role=role,
                    full_name=full_name,
                    active=False,
                    box_public=b"",
                    sign_keys=[],
                    pending=True,
                )
                header.users.append(entry)
            entry.role = role
            entry.full_name = full_name
            verifier = verifier_key(code, header.vault_id, entry.id)
            entry.enrol_verifier = ed25519_public_bytes(verifier)
            header.serial += 1
            sign_header(header, self._keys)
            extra: dict[str, Any] = {"user": entry.id, "role": role}
            if reissued:
                extra["reissued"] = True
            self._commit_header(header, previous, "user.enrol.issue", extra)
            if reissued:
                remove_request(self.vault, request_path(self.vault.path, entry.id))
        return code

    def _cancel_enrolment(self, header: Header, previous: bytes, name: str) -> None:
        entry = header.pending_by_name(name)
        assert entry is not None
        header.users.remove(entry)
        header.serial += 1
        sign_header(header, self._keys)
        self._commit_header(header, previous, "user.enrol.cancel", {"user": entry.id})
        remove_request(self.vault, request_path(self.vault.path, entry.id))

    def endorse_requests(self, *, refused: list[str] | None = None) -> list[str]:
        """Accept every waiting enrolment and re-key request that verifies; return whose.

        Each is checked against the signed header (the code's verifier, or the
        user's current key, and the new key's own signature), then: the data
        keys the user's role holds are sealed to their new box key, their new
        slot installed, the verifier removed (one use) and, for a re-key, their
        old signing keys retired (still listed, so past signatures verify).
        One audited header save each (``user.enrol`` or ``user.rekey``), and
        only then is the request file removed: a crash in between leaves a
        request the next run recognises as done. A request that does not
        verify is left where it is, and its refusal added to ``refused``.
        """
        self._require_authority(self.vault.header)
        endorsed: list[str] = []
        with self.vault.lock():
            header = self.vault.reload_header()
            self._require_authority(header)
            self._refresh_keys()
            for found in read_requests(self.vault, header):
                if found.done:
                    remove_request(self.vault, found.path)
                    continue
                if found.problem is not None or found.request is None:
                    if refused is not None:
                        refused.append(f"request of {found.who}: {found.problem}")
                    continue
                header, previous = self._fresh_header()
                check = check_request(header, found.request, found.path)
                if check.problem is not None or check.user is None or check.request is None:
                    if refused is not None:
                        refused.append(f"request of {check.who}: {check.problem}")
                    continue
                self._endorse(header, previous, check.user, check.request)
                remove_request(self.vault, found.path)
                endorsed.append(check.user.name)
        return endorsed

    def _endorse(
        self, header: Header, previous: bytes, user: UserEntry, request: KeyRequest
    ) -> None:
        if request.kind == "enrol":
            names = keys_for_role(user.role, header)
            if header.user_by_name(user.name) is not None:
                raise VaultError(f"there is already a user called {user.name!r}")
        else:
            names = sorted(user.sealed)
        missing = [n for n in names if n not in self._keys]
        if missing:
            raise AccessDenied(f"this session does not hold {', '.join(missing)}")
        for key in user.sign_keys:
            key.active = False
        user.sign_keys.append(SignKey(request.key_id, request.sign_public))  # owner-made
        user.box_public = request.box_public
        user.sealed = seal_keys(header.vault_id, user.id, request.box_public, self._keys, names)
        user.active = True
        user.pending = False
        user.enrol_verifier = b""
        header.slots[user.id] = request.slot
        header.serial += 1
        sign_header(header, self._keys)
        action = "user.enrol" if request.kind == "enrol" else "user.rekey"
        self._commit_header(header, previous, action, {"user": user.id, "key_id": request.key_id})
        if user.id == self.user.id:
            self.user = user

    def request_new_keys(self, new_passphrase: str) -> Path:
        """``ydsi user passwd --new-keys``: make new keys of my own and ask a DSL to endorse them.

        New box and signing keys, generated here, in a new slot under a new
        passphrase; the request is signed by the current signing key and the
        new one. Until a DSL endorses it, the current keys and passphrase keep
        working. Returns the request's path.
        """
        identity = self._require_identity()
        if self.is_recovery:
            raise AccessDenied("the recovery code has no keys of its own to renew")
        check_passphrase(new_passphrase)
        header = self.vault.reload_header()
        user = header.user_by_id(self.user.id)
        if user is None or not user.active:
            raise AccessDenied("your account has been removed from this vault")
        slot = header.slots.get(user.id)
        if slot is None:
            raise DamagedFile(HEADER_NAME, "your key slot is missing")
        request = make_request(
            "rekey",
            header,
            user,
            new_passphrase,
            slot.kdf.fresh(),
            identity.sign,
            identity.sign_key_id,
            utc_now(),
        )
        return write_request(self.vault, request, user.name)

    def discard_request(self, name: str) -> bool:
        """Drop the request waiting for ``name`` (a refused one, say); True if there was one."""
        with self.vault.lock():
            header = self.vault.reload_header()
            self._require_authority(header)
            user = header.pending_by_name(name) or header.user_by_name(name)
            if user is None:
                raise UnknownUser(f"no user called {name!r} in this vault")
            path = request_path(self.vault.path, user.id)
            if not self.vault.fs.exists(path):
                return False
            remove_request(self.vault, path)
        return True

    def remove_user(self, name: str) -> list[str]:
        """Delete a user's slot and sealed keys; returns the compartments to rotate.

        A user still waiting to enrol held no key: their invitation is
        cancelled (entry, verifier and any waiting request dropped) and
        nothing needs rotating.
        """
        with self.vault.lock():
            header, previous = self._fresh_header()
            self._require_authority(header)
            if header.pending_by_name(name) is not None:
                self._cancel_enrolment(header, previous, name)
                return []
            user = header.user_by_name(name)
            if user is None:
                raise UnknownUser(f"no user called {name!r} in this vault")
            dsls = [u for u in header.users if u.active and u.role == "dsl"]
            if user.role == "dsl" and len(dsls) == 1:
                raise VaultError("cannot remove the last DSL: add another DSL first")
            held = list(ROLE_COMPARTMENTS[user.role])
            if user.role in AUTHORITY_ROLES:
                held.append("authority")
            user.active = False
            user.sealed = {}
            for key in user.sign_keys:
                key.active = False
            header.slots.pop(user.id, None)
            header.serial += 1
            sign_header(header, self._keys)
            self._commit_header(header, previous, "user.remove", {"user": user.id})
        return held

    def approve_policy(self, digest: str, name: str, version: str) -> PolicyPin:
        """Pin the policy in force by its digest in the signed header (a DSL's audited act).

        The vault does not read policies: the caller (the service layer) has
        checked the text and stored it. Approving the digest already pinned
        changes nothing and writes no entry.
        """
        try:
            pin = PolicyPin(digest, name, version, approved_by=self.user.id, approved_at=utc_now())
        except ValueError as exc:
            raise VaultError(f"cannot approve this policy: {exc}") from None
        if self.role not in AUTHORITY_ROLES or self.is_recovery:
            raise AccessDenied("only a DSL can approve the policy in force")
        with self.vault.lock():
            header, previous = self._fresh_header()
            self._refresh_keys()  # another DSL may have rotated the authority key
            self._require_authority(header)
            if header.policy is not None and header.policy.digest == digest:
                return header.policy
            header.policy = pin
            header.serial += 1
            sign_header(header, self._keys)
            self._commit_header(header, previous, "policy.approve", {"digest": digest})
        return pin

    def change_passphrase(self, old: str, new: str) -> None:
        """Re-wrap this user's keys under a new passphrase; no record is touched."""
        identity = self._require_identity()
        if self.is_recovery:
            raise AccessDenied("the recovery code cannot be changed here")
        check_passphrase(new)
        header = self.vault.reload_header()
        slot = header.slots.get(self.user.id)
        if slot is None:
            raise DamagedFile(HEADER_NAME, "your key slot is missing")
        open_slot(header.vault_id, self.user.id, old, slot.kdf, slot.wrapped)  # WrongPassphrase
        kdf = slot.kdf.fresh()
        identity.trusted_authority = header.current_authority.public
        wrapped = wrap_slot(header.vault_id, identity, new, kdf)
        with self.vault.lock():
            header, previous = self._fresh_header()
            header.slots[self.user.id] = Slot(kdf, wrapped)
            self._commit_header(header, previous, "user.passwd", {"user": self.user.id})

    def repin(self, passphrase: str) -> bool:
        """Pin this user's slot to the current authority key, after a rotation.

        A slot records the authority key its owner trusts. Once a DSL leaves
        and the authority is rotated, a slot still pinned to the old key would
        accept a header forked from it by whoever kept that key; re-wrapping
        the slot (which needs the passphrase, so it happens at unlock or at
        the end of the rotation) closes that door for this user.
        """
        identity = self._require_identity()
        header = self.vault.reload_header()
        current = header.current_authority.public
        if identity.trusted_authority == current:
            return False
        owner = RECOVERY_ID if self.is_recovery else self.user.id
        slot = header.slots.get(owner)
        if slot is None:
            raise DamagedFile(HEADER_NAME, "your key slot is missing")
        kdf = slot.kdf.fresh()
        identity.trusted_authority = current
        wrapped = wrap_slot(header.vault_id, identity, passphrase, kdf)
        with self.vault.lock():
            header, previous = self._fresh_header()
            header.slots[owner] = Slot(kdf, wrapped)
            self._commit_header(header, previous, "user.repin", {"user": owner})
        return True

    def reset_user(self, name: str, new_passphrase: str) -> None:
        """Give a user new keys and a new passphrase (they forgot theirs).

        Their old private keys are lost with the old passphrase, so they get a
        new key pair; the old public key stays listed (retired) so that every
        signature they made before still verifies. The new key is made by this
        client under a passphrase its operator typed, so it is marked
        ``issued_by`` this DSL (or ``"recovery"``) until its owner re-keys
        (``ydsi user passwd --new-keys``).
        """
        check_passphrase(new_passphrase)
        header = self.vault.reload_header()
        self._require_authority(header)
        user = header.user_by_name(name)
        if user is None:
            raise UnknownUser(f"no user called {name!r} in this vault")
        number = len(user.sign_keys) + 1
        identity = Identity.generate(
            user.id, f"{user.id}.{number}", header.current_authority.public
        )
        defaults = header.kdf_default
        kdf = KdfParams.new(defaults["memory_kib"], defaults["iterations"], defaults["lanes"])
        slot = Slot(kdf, wrap_slot(header.vault_id, identity, new_passphrase, kdf))
        with self.vault.lock():
            header, previous = self._fresh_header()
            self._require_authority(header)
            self._refresh_keys()
            user = header.user_by_name(name)
            if user is None:
                raise UnknownUser(f"no user called {name!r} in this vault")
            for key in user.sign_keys:
                key.active = False
            user.sign_keys.append(
                SignKey(identity.sign_key_id, identity.sign_public, issued_by=self.user.id)
            )
            user.box_public = identity.box_public
            user.sealed = seal_keys(
                header.vault_id,
                user.id,
                identity.box_public,
                self._keys,
                keys_for_role(user.role, header),
            )
            header.slots[user.id] = slot
            header.serial += 1
            sign_header(header, self._keys)
            action = "user.recover" if self.is_recovery else "user.reset"
            self._commit_header(
                header, previous, action, {"user": user.id, "key_id": identity.sign_key_id}
            )

    def rotate(self, targets: list[str], *, passphrase: str | None = None) -> int:
        """Replace data keys (and the authority key) and re-encrypt every record.

        Three steps, each crash-safe: (1) the header gains the new keys, sealed
        to every remaining user, while keeping the old ones; (2) every record is
        re-encrypted under the new key, one atomic save each; (3) the old keys
        are dropped. Until (3), both keys open records, so a crash anywhere
        leaves every passphrase working; running the rotation again finishes it.
        With ``passphrase``, this user's slot is re-pinned to the new authority
        at once (others are re-pinned when they next unlock). Returns the number
        of records re-encrypted.
        """
        compartments = [t for t in targets if t in COMPARTMENTS]
        with self.vault.lock():
            header, previous = self._fresh_header()
            self._require_authority(header)
            self._refresh_keys()
            if not self.rotation_pending:
                self._add_new_keys(header, compartments, rotate_authority="authority" in targets)
                self._commit_header(
                    header,
                    previous,
                    "key.rotate.begin",
                    {"targets": sorted(targets), "epochs": dict(header.epochs)},
                )
        count = 0
        for comp in COMPARTMENTS:
            count += self._reencrypt(comp)
        with self.vault.lock():
            header, previous = self._fresh_header()
            self._drop_old_keys(header)
            header.serial += 1
            sign_header(header, self._keys)
            self._commit_header(header, previous, "key.rotate.end", {"epochs": dict(header.epochs)})
            self._refresh_keys()
        if passphrase is not None:
            self.repin(passphrase)
        return count

    def _recipients(self, header: Header) -> list[tuple[str, bytes, dict[str, bytes], str]]:
        out = [(u.id, u.box_public, u.sealed, u.role) for u in header.users if u.active]
        out.append((RECOVERY_ID, header.recovery.box_public, header.recovery.sealed, "recovery"))
        return out

    def _add_new_keys(
        self, header: Header, compartments: list[str], *, rotate_authority: bool
    ) -> None:
        new: dict[str, bytes] = {}
        for comp in compartments:
            header.epochs[comp] += 1
            new[f"{comp}:{header.epochs[comp]}"] = random_key()
        old_authority = header.current_authority
        if rotate_authority:
            number = len(header.authority) + 1
            private = Ed25519PrivateKey.generate()
            public = ed25519_public_bytes(private)
            key_id = f"authority:{number}"
            old_private = Ed25519PrivateKey.from_private_bytes(self._keys[old_authority.key_id])
            endorsement = sign(old_private, endorsement_bytes(header.vault_id, key_id, public))
            header.authority.append(AuthorityKey(key_id, public, endorsement))
            from .crypto import private_bytes

            new[key_id] = private_bytes(private)
        self._keys.update(new)
        for owner, box, sealed, role in self._recipients(header):
            names = [
                n
                for n in new
                if role == "recovery"
                or n.split(":")[0] in ROLE_COMPARTMENTS[role]
                or (n.startswith("authority:") and role in AUTHORITY_ROLES)
            ]
            sealed.update(seal_keys(header.vault_id, owner, box, self._keys, names))
        header.serial += 1
        sign_header(header, self._keys)

    def _drop_old_keys(self, header: Header) -> None:
        current = {f"{c}:{header.epochs[c]}" for c in COMPARTMENTS} | {
            header.current_authority.key_id
        }
        for _, _, sealed, _ in self._recipients(header):
            for name in list(sealed):
                family = name.split(":")[0]
                if family in (*COMPARTMENTS, "authority") and name not in current:
                    del sealed[name]

    def _reencrypt(self, compartment: str) -> int:
        """Re-save every record of a compartment that is not under the current key."""
        directory = self.vault.path / compartment
        current = f"{compartment}:{self.vault.header.epochs[compartment]}"
        count = 0
        for name in sorted(self.vault.fs.listdir(directory)):
            if not name.endswith(RECORD_SUFFIX) or name.startswith("."):
                continue
            record_id = name[: -len(RECORD_SUFFIX)]
            with self.vault.lock():
                storage = EncryptedStorage(
                    session=self, compartment=compartment, record_id=record_id
                )
                storage.begin()
                if not storage.exists:
                    continue
                if peek(self.vault.fs.read_bytes(storage.path), name).key_name == current:
                    storage.abandon()
                    continue
                storage.mark_changed()
                storage.commit("record.rekey")
                count += 1
        return count

    def finish_upgrade(self) -> int:
        """The last step of ``ydsi upgrade``: raise the header's format, in one audited save.

        Format 1 had DSLs generate every other user's keys under a passphrase
        the DSL typed, so those keys are marked as issued by that DSL (they do
        not count for sign-offs until their owner makes new ones). Returns how
        many keys were so marked.
        """
        with self.vault.lock():
            header, previous = self._fresh_header()
            self._require_authority(header)
            made_by: dict[str, str] = {}
            for entry in self.vault.audit.entries():
                key_id = entry.extra.get("key_id")
                if entry.comp != "header" or not isinstance(key_id, str):
                    continue
                if entry.action in ("user.add", "user.reset"):
                    made_by[key_id] = entry.actor
                elif entry.action == "user.recover":
                    made_by[key_id] = RECOVERY_ID
            marked = 0
            for user in header.users:
                for key in user.sign_keys:
                    issuer = made_by.get(key.key_id)
                    if issuer and issuer != user.id and not key.issued_by:
                        key.issued_by = issuer
                        marked += 1
            header.version = FORMAT_VERSION
            header.serial += 1
            sign_header(header, self._keys)
            self._commit_header(
                header, previous, "vault.upgrade", {"version": FORMAT_VERSION, "marked": marked}
            )
        return marked

    def pending_rotation_error(self) -> KeyChangeIncomplete:
        return KeyChangeIncomplete(
            "a key rotation was interrupted: a DSL must run 'ydsi user rotate' to finish it"
        )


def decode_signature(text: str) -> bytes:
    """Signatures travel as base64 in records; refuse anything that is not 64 bytes."""
    return b64d(text, length=64)
