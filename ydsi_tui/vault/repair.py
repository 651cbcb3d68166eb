"""``ydsi repair REF``: the way back for a record the audit log no longer vouches for.

A reader refuses a record file that is not exactly what its newest valid
signed save names (:class:`~ydsi_tui.vault.errors.RecordDamaged`), and
refuses saves on top of it, so that nobody's forgery or rollback is
laundered by an honest save. That leaves the DSL two honest ways back, both
their signed, audited act (``record.repair`` is DSL-only in rights.py):

1. **From a backup.** The log names the hash of the version that counts; a
   verified backup that holds a file with exactly that hash holds exactly
   those bytes. Putting them back in place (the vault's own atomic protocol,
   under the lock) makes the record genuine again with nothing re-signed:
   the repair entry repeats the same hash, only so the act is audited.
2. **Accepted as found.** When no backup holds it, a DSL may accept the file
   as it is, if it decrypts under a key of its own compartment (the reader
   chooses the key: a file under a technician's key is never accepted). The
   repair names every signed save whose content the file no longer holds,
   by entry number and date, in the output and in a note inside the record
   (so the record's own chain covers it); the audit entry holds only entry
   numbers, never the DSL's words. Readers then take the acceptance as a new
   starting point (ledger.py): the heads before it are no longer demanded,
   and everything from it on is checked as strictly as ever.

Nothing here trusts a backup's word: it is verified first (its manifest's
DSL signature, every file's hash, its own log), and the bytes taken from it
must still hash to what *this* vault's log vouches for.
"""

from __future__ import annotations

import contextlib
import tarfile
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from tinydb import TinyDB
from tinydb.storages import MemoryStorage

from .audit import AuditEntry
from .backup import (
    MANIFEST_NAME,
    MAX_MANIFEST,
    BackupRefused,
    Manifest,
    open_backup_tar,
    verify_backup,
)
from .chain import ChainState, extends, prefixes
from .crypto import sha256_hex
from .errors import (
    AccessDenied,
    DamagedFile,
    NotSaved,
    RecordDamaged,
    RecordNotFound,
    UnsafeFile,
    VaultError,
)
from .ledger import Write
from .recordfile import RECORD_SUFFIX, encode, peek
from .storage import SUMMARY_TABLE

if TYPE_CHECKING:
    from .session import Session

__all__ = [
    "DEFAULT_BACKUP_DIR",
    "AsFound",
    "BackupTried",
    "Damage",
    "LostSave",
    "NothingToRepair",
    "RepairRefused",
    "RepairResult",
    "accept_as_found",
    "assess_as_found",
    "default_backups",
    "diagnose",
    "restore_from_backup",
]

#: Where the app offers to write backups (``~/ydsi-exports``): looked through
#: when no ``--backup`` is named.
DEFAULT_BACKUP_DIR = "ydsi-exports"
#: The longest reason a DSL may give (it goes inside the record, never the log).
MAX_REASON = 1000

Amend = Callable[[TinyDB, str], None]


class NothingToRepair(VaultError):
    """The record is what the audit log vouches for: there is nothing to put back."""


class RepairRefused(VaultError):
    """A repair that cannot be done honestly (no backup holds it, or it may not be accepted)."""


@dataclass(frozen=True)
class LostSave:
    """A signed save whose content the record as found no longer holds."""

    seq: int
    ts: str
    actor: str  # the signer's login, from the signed header

    def describe(self) -> str:
        when = self.ts[:16].replace("T", " ") if self.ts else "unknown time"
        return f"entry {self.seq} ({when} UTC, {self.actor})"


@dataclass(frozen=True)
class Damage:
    """What is wrong with one record, and which signed save counts."""

    compartment: str
    ref: str
    record_id: str
    label: str
    problem: str
    since: int
    target: Write
    target_ts: str
    raw: bytes | None

    @property
    def path_name(self) -> str:
        return f"{self.compartment}/{self.record_id}{RECORD_SUFFIX}"


@dataclass(frozen=True)
class BackupTried:
    """One backup file looked at, and what came of it (for the output)."""

    path: str
    outcome: str  # "used", "does not hold it", "not a backup", "other vault", "failed"
    detail: str = ""
    created_at: str = ""
    audit_seq: int = 0


@dataclass(frozen=True)
class AsFound:
    """What accepting the file as found would keep and lose."""

    decrypts: bool
    why_not: str
    #: The newest valid signed save whose history the file still holds (None: none).
    extends_seq: int | None
    lost: tuple[LostSave, ...]
    #: Documents in the file that no signed save vouched for.
    unvouched: int
    found: ChainState | None
    generation: int

    @property
    def lost_since(self) -> int | None:
        return self.lost[0].seq if self.lost else None

    def note_text(self, reason: str) -> str:
        """The note put inside the record: what was lost, covered by the record's own chain."""
        if self.lost:
            lost = (
                f"entries saved at entry {self.lost[0].seq} and after are lost "
                f"(signed saves: {', '.join(save.describe() for save in self.lost)})"
            )
        else:
            lost = "no signed save was lost"
        if self.extends_seq is None:
            lost += "; none of its history is vouched by a signed save"
        if self.unvouched:
            lost += f"; {self.unvouched} entries no signed save vouched for are kept as found"
        return f"Repaired: accepted as found; {lost}: {reason}"


@dataclass(frozen=True)
class RepairResult:
    ref: str
    compartment: str
    method: str  # "backup" or "as-found"
    entry: int  # the record.repair entry
    problem: str  # what was wrong before
    restored_seq: int = 0
    backup: str = ""
    backup_created_at: str = ""
    lost: tuple[LostSave, ...] = ()
    unvouched: int = 0
    tried: tuple[BackupTried, ...] = field(default_factory=tuple)
    verified: bool = True

    def to_doc(self) -> dict[str, Any]:
        return {
            "ref": self.ref,
            "compartment": self.compartment,
            "method": self.method,
            "entry": self.entry,
            "problem": self.problem,
            "restored_entry": self.restored_seq or None,
            "backup": self.backup or None,
            "backup_created_at": self.backup_created_at or None,
            "lost": [{"entry": s.seq, "ts": s.ts, "by": s.actor} for s in self.lost],
            "unvouched": self.unvouched,
            "tried": [
                {"backup": t.path, "outcome": t.outcome, "detail": t.detail} for t in self.tried
            ],
            "verified": self.verified,
        }


# ----------------------------------------------------------------------
# what is wrong
# ----------------------------------------------------------------------
def _require_dsl(session: Session, compartment: str) -> None:
    if session.closed:
        raise AccessDenied("the vault is locked: unlock it again")
    if session.role != "dsl" or session.is_recovery:
        raise AccessDenied("only a DSL can repair a record")
    if not session.can_read(compartment):
        raise AccessDenied(f"your session does not hold the {compartment} key")


def _read(session: Session, path: Path) -> bytes | None:
    fs = session.vault.fs
    try:
        return fs.read_bytes(path) if fs.exists(path) else None
    except FileNotFoundError:
        return None
    except OSError as exc:
        raise VaultError(f"{path.name}: cannot be read ({exc.strerror or exc})") from None


def _entry(session: Session, write: Write) -> AuditEntry | None:
    ledger = session.vault.ledger
    with contextlib.suppress(OSError, ValueError, UnicodeDecodeError):
        return AuditEntry.parse(ledger.fs.read_range(ledger.path, write.offset, write.length))
    return None


def _lost_save(session: Session, write: Write) -> LostSave:
    entry = _entry(session, write)
    user = session.vault.header.user_by_id(write.actor)
    return LostSave(write.seq, entry.ts if entry else "", user.name if user else write.actor)


def diagnose(session: Session, compartment: str, ref: str) -> Damage:
    """Why this record is refused and which signed save counts; refuses if it is not damaged."""
    _require_dsl(session, compartment)
    record_id = session.record_id(compartment, ref)
    vault = session.vault
    path = vault.path / compartment / f"{record_id}{RECORD_SUFFIX}"
    try:
        raw = _read(session, path)
    except UnsafeFile as exc:
        # A FIFO, link or sparse giant planted in its place: never read, so it
        # is put right as a missing file is (the signed copy from a backup
        # renamed over it), and nothing of it can be accepted as found.
        raw, problem, since = None, str(exc), 0
        session.vault.ledger.refresh()
    else:
        try:
            decoded = session.decode_vouched(raw, compartment, record_id, body=True)
        except RecordDamaged as exc:
            problem, since = str(exc), exc.since
        else:
            if decoded is None:
                raise RecordNotFound(f"no record {ref!r}")
            raise NothingToRepair(f"{ref} is not damaged: the audit log vouches for it")
    ledger = vault.ledger
    if ledger.broken_at is not None:
        raise RepairRefused(
            f"not repaired: the audit log is broken at entry {ledger.broken_at}, so no save "
            "after it can be vouched for: run 'ydsi verify' first"
        )
    header = vault.header
    target = ledger.latest_valid(header, compartment, record_id)
    if target is None:
        raise RepairRefused(
            f"not repaired: no signed save of {ref} is in the audit log, so there is no "
            "version to put back (the file was planted: move it out of the vault)"
        )
    if target.action == "record.destroy":
        raise RepairRefused(
            f"not repaired: {ref} was destroyed at entry {target.seq}; the file there now is "
            "not part of the vault (move it out of the vault)"
        )
    entry = _entry(session, target)
    return Damage(
        compartment,
        ref,
        record_id,
        f"{compartment}/{record_id}{RECORD_SUFFIX}",
        problem,
        since,
        target,
        entry.ts if entry else "",
        raw,
    )


def _same_damage(session: Session, damage: Damage) -> Damage:
    """Look again under the lock: someone may have saved or repaired it meanwhile."""
    again = diagnose(session, damage.compartment, damage.ref)
    if again.target.seq != damage.target.seq or again.raw != damage.raw:
        raise RepairRefused(
            f"not repaired: {damage.ref} changed while the repair was prepared; run "
            "'ydsi repair' again"
        )
    return again


def _generation(session: Session, damage: Damage) -> int:
    """The generation the newest signed save names (the file's own word is not trusted)."""
    entry = _entry(session, damage.target)
    gen = entry.extra.get("gen") if entry else None
    return gen if isinstance(gen, int) and not isinstance(gen, bool) and gen >= 0 else 0


# ----------------------------------------------------------------------
# 1. from a backup
# ----------------------------------------------------------------------
def default_backups() -> list[Path]:
    """Backup files in ``~/ydsi-exports`` (where the app writes them), newest name last."""
    folder = Path("~").expanduser() / DEFAULT_BACKUP_DIR
    try:
        return sorted(p for p in folder.iterdir() if p.suffix == ".tar" and p.is_file())
    except OSError:
        return []


def _manifest_of(path: Path) -> Manifest:
    """A backup's manifest, read without verifying anything (only to choose candidates)."""
    try:
        with open_backup_tar(path) as tar:
            first = tar.next()
            if first is None or first.name != MANIFEST_NAME or not first.isreg():
                raise BackupRefused("no manifest first")
            if first.size > MAX_MANIFEST:
                raise BackupRefused("the manifest is too large")
            stream = tar.extractfile(first)
            assert stream is not None
            return Manifest.from_bytes(stream.read())
    except (tarfile.TarError, OSError, EOFError) as exc:
        raise BackupRefused(f"not a ydsi backup ({exc})") from None
    except (ValueError, KeyError, TypeError, UnicodeDecodeError) as exc:
        raise BackupRefused(f"its manifest is damaged ({exc})") from None


def _member_bytes(path: Path, name: str, size: int) -> bytes:
    with open_backup_tar(path) as tar:
        for member in tar:
            if member.name == name and member.isreg() and member.size == size:
                stream = tar.extractfile(member)
                assert stream is not None
                return stream.read(size)
    raise BackupRefused(f"{name} is not in the backup")


def restore_from_backup(
    session: Session, damage: Damage, backups: Iterable[Path]
) -> tuple[RepairResult | None, list[BackupTried]]:
    """Put back the signed version from the newest verified backup holding its hash.

    Returns (None, what was tried) when no backup holds it. A backup that
    holds the hash but does not verify is never used.
    """
    target = damage.target
    vault = session.vault
    tried: list[BackupTried] = []
    if damage.raw is not None and sha256_hex(damage.raw) == target.hash:
        # The file is the one signed: what is wrong is its history, which that
        # save's own signer rewrote. A backup of the same bytes cannot help.
        return None, [
            BackupTried("", "not applicable", "the file is the one the newest signed save names")
        ]
    candidates: list[tuple[Manifest, Path, int]] = []
    for path in dict.fromkeys(Path(p).expanduser().absolute() for p in backups):
        try:
            manifest = _manifest_of(path)
        except (BackupRefused, VaultError) as exc:
            tried.append(BackupTried(str(path), "not a backup", str(exc)))
            continue
        if manifest.vault_id != vault.header.vault_id:
            tried.append(BackupTried(str(path), "other vault", "a backup of another vault"))
            continue
        held = next((f for f in manifest.files if f.path == damage.path_name), None)
        if held is None or held.sha256 != target.hash:
            tried.append(
                BackupTried(
                    str(path),
                    "does not hold it",
                    f"made at entry {manifest.audit_seq}; it does not hold the version "
                    f"signed at entry {target.seq}",
                    manifest.created_at,
                    manifest.audit_seq,
                )
            )
            continue
        candidates.append((manifest, path, held.size))
    candidates.sort(key=lambda c: (c[0].audit_seq, c[0].created_at), reverse=True)
    for manifest, path, size in candidates:
        try:
            check = verify_backup(path, session=session)
        except VaultError as exc:
            tried.append(BackupTried(str(path), "failed", str(exc), manifest.created_at))
            continue
        if not check.ok:
            shown = "; ".join(check.problems[:2]) or "it does not verify"
            tried.append(
                BackupTried(str(path), "failed", f"does not verify: {shown}", manifest.created_at)
            )
            continue
        try:
            data = _member_bytes(path, damage.path_name, size)
        except (BackupRefused, tarfile.TarError, OSError) as exc:
            tried.append(BackupTried(str(path), "failed", str(exc), manifest.created_at))
            continue
        if sha256_hex(data) != target.hash:
            # Changed since it was verified: never trust it.
            tried.append(
                BackupTried(str(path), "failed", "changed while it was read", manifest.created_at)
            )
            continue
        with vault.lock():
            current = _same_damage(session, damage)
            entry = vault.commit_file(
                session.signer,
                comp=damage.compartment,
                rec=damage.record_id,
                path=vault.path / damage.path_name,
                data=data,
                previous=current.raw,
                action="record.repair",
                extra={
                    "gen": peek(data, damage.label).generation,
                    **({"chain": target.chain.to_doc()} if target.chain is not None else {}),
                    "from": "backup",
                    "entry": target.seq,
                },
            )
        tried.append(BackupTried(str(path), "used", "", manifest.created_at, manifest.audit_seq))
        result = RepairResult(
            ref=damage.ref,
            compartment=damage.compartment,
            method="backup",
            entry=entry.seq,
            problem=damage.problem,
            restored_seq=target.seq,
            backup=str(path),
            backup_created_at=manifest.created_at,
            tried=tuple(tried),
            verified=_reads_genuine(session, damage),
        )
        return result, tried
    return None, tried


def _reads_genuine(session: Session, damage: Damage) -> bool:
    path = session.vault.path / damage.path_name
    try:
        raw = _read(session, path)
        return (
            session.decode_vouched(raw, damage.compartment, damage.record_id, body=True) is not None
        )
    except VaultError:
        return False


# ----------------------------------------------------------------------
# 2. accepted as found
# ----------------------------------------------------------------------
def assess_as_found(session: Session, damage: Damage) -> AsFound:
    """Decrypt the file as found (the reader choosing the key) and say what it has lost."""
    if damage.raw is None:
        return AsFound(False, "the file is missing", None, (), 0, None, 0)
    try:
        header, _, body = session.decode_record(
            damage.raw, damage.compartment, damage.record_id, body=True
        )
    except DamagedFile as exc:
        return AsFound(False, exc.reason, None, (), 0, None, 0)
    try:
        chained = prefixes(session.vault.header.vault_id, damage.compartment, damage.record_id,
                           body or {})  # fmt: skip
    except ValueError as exc:
        return AsFound(False, f"written outside ydsi ({exc})", None, (), 0, None, 0)
    ledger = session.vault.ledger
    vault_header = session.vault.header
    saves = [
        w
        for w in ledger.writes(damage.compartment, damage.record_id)
        if w.action != "record.read" and ledger.valid(vault_header, w, damage.compartment)
    ]
    # After an earlier acceptance, only the saves from it on are demanded.
    start = max((i for i, w in enumerate(saves) if w.restart is not None), default=0)
    saves = saves[start:]
    file_hash = sha256_hex(damage.raw)
    held: dict[int, bool] = {}
    covered: dict[str, int] = {}
    for write in saves:
        held[write.seq] = write.hash == file_hash or (
            write.chain is not None and extends(chained, write.chain)
        )
        if held[write.seq] and write.chain is not None:
            for table, count in write.chain.counts:
                covered[table] = max(covered.get(table, 0), count)
    extends_seq = max((seq for seq, ok in held.items() if ok), default=None)
    # A save without a chain (before format 2) that a later held save
    # superseded is not lost; every other save the file does not hold is.
    lost = [
        w
        for w in saves
        if not held[w.seq] and (w.chain is not None or extends_seq is None or w.seq > extends_seq)
    ]
    lengths = chained.lengths()
    unvouched = sum(max(0, n - covered.get(t, 0)) for t, n in lengths.items())
    return AsFound(
        True,
        "",
        extends_seq,
        tuple(_lost_save(session, w) for w in lost),
        unvouched,
        chained.current(),
        header.generation,
    )


def accept_as_found(session: Session, damage: Damage, reason: str, amend: Amend) -> RepairResult:
    """A DSL's signed acceptance of the record as found (``--accept-as-found``).

    ``amend(db, note)`` is the service layer's: it adds ``note`` to the
    record as an entry of its kind and recomputes the summary. The file is
    read without vouching (that is the point) but only under a key of its
    own compartment; it is re-encrypted under the current key and saved with
    the vault's atomic protocol, its audit entry naming the found chain state
    and the first lost save (numbers only: the log is plaintext).
    """
    reason = reason.strip()
    if not reason:
        raise RepairRefused("not repaired: give the reason for accepting it as found")
    if len(reason) > MAX_REASON:
        raise RepairRefused(f"not repaired: the reason is longer than {MAX_REASON} characters")
    vault = session.vault
    with vault.lock():
        current = _same_damage(session, damage)
        found = assess_as_found(session, current)
        if not found.decrypts or found.found is None:
            raise RepairRefused(
                f"not repaired: {damage.ref} cannot be accepted as found: {found.why_not}"
            )
        _, summary, body = session.decode_record(
            current.raw or b"", damage.compartment, damage.record_id, body=True
        )
        tables: dict[str, Any] = dict(body or {})
        if summary:
            tables[SUMMARY_TABLE] = summary
        db = TinyDB(storage=MemoryStorage)
        db.storage.write(tables)
        note = found.note_text(reason)
        amend(db, note)
        amended = db.storage.read() or {}
        new_summary = amended.get(SUMMARY_TABLE, {})
        new_body = {name: t for name, t in amended.items() if name != SUMMARY_TABLE}
        vault_id = vault.header.vault_id
        chained = prefixes(vault_id, damage.compartment, damage.record_id, new_body)
        if not extends(chained, found.found):
            raise NotSaved("not repaired: the note would change what was found")
        key_name, key = session.current_key(damage.compartment)
        generation = max(found.generation, _generation(session, current)) + 1
        blob = encode(
            vault_id=vault_id,
            compartment=damage.compartment,
            record_id=damage.record_id,
            key_name=key_name,
            data_key=key,
            generation=generation,
            summary=new_summary,
            body=new_body,
        )
        entry = vault.commit_file(
            session.signer,
            comp=damage.compartment,
            rec=damage.record_id,
            path=vault.path / damage.path_name,
            data=blob,
            previous=current.raw,
            action="record.repair",
            extra={
                "gen": generation,
                "chain": chained.current().to_doc(),
                "from": "as-found",
                "found": found.found.to_doc(),
                "lost_since": found.lost_since,
                "lost": len(found.lost),
            },
        )
    return RepairResult(
        ref=damage.ref,
        compartment=damage.compartment,
        method="as-found",
        entry=entry.seq,
        problem=damage.problem,
        lost=found.lost,
        unvouched=found.unvouched,
        verified=_reads_genuine(session, damage),
    )


def backups_to_search(named: Sequence[str] | None) -> list[Path]:
    """The backups named, or else those in the default folder."""
    if named:
        return [Path(p).expanduser() for p in named]
    return default_backups()
