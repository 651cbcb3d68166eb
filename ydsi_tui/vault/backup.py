"""Backups: the vault's files as they are, in one file, verifiable and restorable on their own.

A backup holds no key and decrypts nothing: it is the signed header, the
audit log and every encrypted record file, copied byte for byte under the
vault's lock (so no save is half in it), in an uncompressed tar archive
(``tar tf`` lists it). The first member, ``ydsi-backup.json``, is a manifest:
every file's size and SHA-256, the audit log's head, and a checkpoint of that
head, signed by the DSL who made the backup.

**Verifying** (``ydsi verify --backup FILE``, no passphrase needed) unpacks
into a private temporary directory, refusing anything the manifest does not
list and any name that is not a vault file, checks every hash, then runs
:func:`verify_vault` on the copy against the checkpoint: every signature,
every record against its last audited save, and the log against the head the
backup was made at (so a backup whose log was cut short is caught too).

**Restoring** (``ydsi restore FILE --vault DIR``) unpacks and verifies beside
the target *before* touching it, then moves the verified copy into place.
It refuses a target that holds a newer vault (its audit log extends beyond
the backup's) or a different history (the logs diverge), unless forced; a
vault it replaces is kept beside it, renamed, never deleted.

**Reports from staff** wait in the spool, outside the vault, until a DSL or
the team takes them in; a disk lost before then would lose them. So a DSL's
backup also holds every complete report file of the spool, byte for byte
(ciphertext: nothing in the backup opens one), listed in the signed manifest
with its owner's uid (the kernel's word for who filed it). A restore does not
put them back into the spool, since only root can give a file back to its
owner: it leaves them in a private folder beside the vault, for root to move.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import re
import secrets
import shutil
import stat
import tarfile
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

from .audit import AUDIT_NAME, AuditEntry, AuditLog, EntryOpener
from .checkpoint import Checkpoint, make_checkpoint
from .crypto import b64d, b64e, canonical_json, verify_signature
from .drop import REPORT_SUFFIX, DropError, list_spool, read_spooled
from .errors import AccessDenied, NewerFormat, VaultError
from .export import new_private_file
from .fs import TEMP_PREFIX, FileSystem, Modes
from .header import COMPARTMENTS, HEADER_NAME, Header
from .lock import LOCK_NAME, VaultLock
from .recordfile import RECORD_SUFFIX
from .verify import VerifyReport, verify_vault

if TYPE_CHECKING:
    from .sealed_entries import EntrySealer
    from .session import Session

__all__ = [
    "BACKUP_FORMAT",
    "MANIFEST_NAME",
    "BackupCheck",
    "BackupFile",
    "BackupRefused",
    "Generation",
    "Manifest",
    "RestoreResult",
    "SpoolFile",
    "authority_fingerprint",
    "backup_generation",
    "compare_logs",
    "record_restore",
    "restore_backup",
    "verify_backup",
    "write_backup",
    "write_unattended_backup",
]

BACKUP_FORMAT = "ydsi-backup"
BACKUP_VERSION = 1
#: An unattended backup's manifest (unsigned): an older ydsi says "upgrade"
#: rather than calling it damaged.
UNATTENDED_VERSION = 2
#: A DSL's signed manifest that also lists reports from staff (so an older
#: ydsi says "upgrade" rather than "altered or forged").
SPOOL_VERSION = 3
#: The same, with who filed each report sealed for the case roles (``filer``):
#: a ydsi that knows only version 3 says "upgrade" instead of "not a backup".
SEALED_FILER_VERSION = 4
#: Where a backup holds the spool's reports, and where a restore leaves them.
SPOOL_DIR = "spool"
MANIFEST_NAME = "ydsi-backup.json"
MAX_MANIFEST = 16 * 1024 * 1024
MAX_MEMBER = 4 * 1024 * 1024 * 1024
_MEMBER = re.compile(r"^(vault\.json|audit\.log|(case|custody)/[0-9a-f]{32}\.ydsr)$")
_SPOOL_MEMBER = re.compile(r"^spool/([A-Za-z0-9_-]{22})\.report$")
_CHUNK = 1 << 20

Progress = Callable[[int, int], None]


class BackupRefused(VaultError):
    """A backup that does not verify, or a restore that would lose newer work."""


@dataclass(frozen=True)
class BackupFile:
    path: str
    size: int
    sha256: str

    def to_doc(self) -> dict[str, Any]:
        return {"path": self.path, "size": self.size, "sha256": self.sha256}


@dataclass(frozen=True)
class SpoolFile:
    """A report from staff in a backup: its ciphertext's size and hash, and who filed it.

    Who filed it is ``filer``, sealed for the case roles (EntrySealer.seal_filer),
    as in the audit log: a backup is exactly what a thief takes. A manifest from
    before 12/2026 names the owner's uid in clear instead (``filer`` is then "").
    """

    report_id: str
    size: int
    sha256: str
    owner_uid: int  # -1 when sealed in ``filer``
    filed_at: str  # ISO 8601 UTC: the file's modification time in the spool
    filer: str = ""

    @property
    def path(self) -> str:
        return f"{SPOOL_DIR}/{self.report_id}{REPORT_SUFFIX}"

    def owner(self, opener: EntryOpener | None) -> int | None:
        """The filer's uid: in clear (an older manifest) or opened with a case role's key."""
        if not self.filer:
            return self.owner_uid
        opened = opener.open_filer(self.report_id, self.sha256, self.filer) if opener else None
        return None if opened is None else opened[0]

    def to_doc(self) -> dict[str, Any]:
        who: dict[str, Any] = {"filer": self.filer} if self.filer else {"owner_uid": self.owner_uid}
        return {"report_id": self.report_id, "size": self.size, "sha256": self.sha256,
                **who, "filed_at": self.filed_at}  # fmt: skip

    @classmethod
    def from_doc(cls, item: Any) -> SpoolFile:
        report_id, size, digest = item["report_id"], item["size"], item["sha256"]
        filer = item.get("filer", "")
        uid = -1 if "filer" in item else item["owner_uid"]
        filed = item["filed_at"]
        if not isinstance(filer, str) or len(filer) > 1024 or ("filer" in item and not filer):
            raise ValueError(f"bad filer for report {report_id}")
        if not isinstance(report_id, str) or not re.fullmatch(r"[A-Za-z0-9_-]{22}", report_id):
            raise ValueError(f"the manifest lists a report that is not one: {report_id!r}")
        if not isinstance(size, int) or isinstance(size, bool) or not 0 < size <= MAX_MEMBER:
            raise ValueError(f"bad size for report {report_id}")
        if not isinstance(digest, str) or not re.fullmatch(r"[0-9a-f]{64}", digest):
            raise ValueError(f"bad hash for report {report_id}")
        if not isinstance(uid, int) or isinstance(uid, bool) or uid < (-1 if filer else 0):
            raise ValueError(f"bad owner for report {report_id}")
        if not isinstance(filed, str) or len(filed) > 40:
            raise ValueError(f"bad filing time for report {report_id}")
        return cls(report_id, size, digest, uid, filed, filer)


@dataclass(frozen=True)
class Manifest:
    """What a backup holds, and who vouches for it."""

    vault_id: str
    created_at: str
    made_by: str
    key_id: str
    shared: bool
    audit_seq: int
    audit_hash: str
    files: tuple[BackupFile, ...]
    checkpoint: bytes | None
    sig: bytes = b""
    #: Made with no passphrase (cron, a systemd timer): nothing signs this
    #: manifest; what vouches for the files is the header's authority
    #: signature and the signed audit log (see :func:`write_unattended_backup`).
    unattended: bool = False
    #: SHA-256 of the vault's first authority key (the root every DSL's slot pins).
    authority: str = ""
    #: Reports from staff copied from the spool (a DSL's backup only).
    spool: tuple[SpoolFile, ...] = ()
    #: Why the spool is not in this backup, in words ("": it is, or there is none).
    #: Not part of the signed body: said to the DSL who made it.
    spool_note: str = ""

    def _version(self) -> int:
        if not self.spool:
            return BACKUP_VERSION
        return SEALED_FILER_VERSION if self.spool[0].filer else SPOOL_VERSION

    def body(self) -> dict[str, Any]:
        if self.unattended:
            return {
                "format": BACKUP_FORMAT,
                "version": UNATTENDED_VERSION,
                "unattended": True,
                "vault_id": self.vault_id,
                "created_at": self.created_at,
                "authority": self.authority,
                "shared": self.shared,
                "audit": {"seq": self.audit_seq, "hash": self.audit_hash},
                "files": [f.to_doc() for f in self.files],
            }
        assert self.checkpoint is not None
        spool = {"spool": [f.to_doc() for f in self.spool]} if self.spool else {}
        return {
            **spool,
            "format": BACKUP_FORMAT,
            "version": self._version(),
            "vault_id": self.vault_id,
            "created_at": self.created_at,
            "made_by": self.made_by,
            "key_id": self.key_id,
            "shared": self.shared,
            "audit": {"seq": self.audit_seq, "hash": self.audit_hash},
            "files": [f.to_doc() for f in self.files],
            "checkpoint": json.loads(self.checkpoint.decode("ascii")),
        }

    def signing_bytes(self) -> bytes:
        return b"ydsi backup v1|" + canonical_json(self.body())

    def to_bytes(self) -> bytes:
        doc = self.body() if self.unattended else {**self.body(), "sig": b64e(self.sig)}
        return json.dumps(doc, indent=1, sort_keys=True).encode("ascii") + b"\n"

    @classmethod
    def from_bytes(cls, data: bytes) -> Manifest:
        """Parse a manifest; ValueError (or NewerFormat) says what is wrong."""
        doc = json.loads(data.decode("ascii"))
        if not isinstance(doc, dict) or doc.get("format") != BACKUP_FORMAT:
            raise ValueError("not a ydsi backup")
        version = doc.get("version")
        if not isinstance(version, int) or isinstance(version, bool):
            raise ValueError("the backup has no valid version")
        if version > SEALED_FILER_VERSION:
            raise NewerFormat("this backup was made by a newer version of ydsi: upgrade to use it")
        unattended = doc.get("unattended") is True
        if unattended != (version == UNATTENDED_VERSION):
            raise ValueError("the backup's version and kind disagree")
        audit = doc["audit"]
        seq = audit["seq"]
        if not isinstance(seq, int) or isinstance(seq, bool) or seq < 0:
            raise ValueError("bad audit head")
        files: list[BackupFile] = []
        for item in doc["files"]:
            path, size, digest = item["path"], item["size"], item["sha256"]
            if not isinstance(path, str) or not _MEMBER.match(path):
                raise ValueError(f"the manifest lists a file that is not a vault file: {path!r}")
            if not isinstance(size, int) or isinstance(size, bool) or not 0 <= size <= MAX_MEMBER:
                raise ValueError(f"bad size for {path}")
            if not isinstance(digest, str) or not re.fullmatch(r"[0-9a-f]{64}", digest):
                raise ValueError(f"bad hash for {path}")
            files.append(BackupFile(path, size, digest))
        if len({f.path for f in files}) != len(files):
            raise ValueError("the manifest lists a file twice")
        spool: list[SpoolFile] = []
        if version in (SPOOL_VERSION, SEALED_FILER_VERSION):
            spool = [SpoolFile.from_doc(item) for item in doc["spool"]]
            if not spool:
                raise ValueError("the backup's version says it holds reports, but none is listed")
            if any(bool(f.filer) != (version == SEALED_FILER_VERSION) for f in spool):
                raise ValueError("the backup's version and its reports' filers disagree")
            if len({f.report_id for f in spool}) != len(spool):
                raise ValueError("the manifest lists a report twice")
        elif "spool" in doc:
            raise ValueError("the backup's version and its reports from staff disagree")
        if unattended:
            authority = doc["authority"]
            if not isinstance(authority, str) or not re.fullmatch(r"[0-9a-f]{64}", authority):
                raise ValueError("bad authority fingerprint")
            return cls(
                vault_id=str(doc["vault_id"]),
                created_at=str(doc["created_at"]),
                made_by="",
                key_id="",
                shared=doc["shared"] is True,
                audit_seq=seq,
                audit_hash=str(audit["hash"]),
                files=tuple(files),
                checkpoint=None,
                unattended=True,
                authority=authority,
            )
        checkpoint = json.dumps(doc["checkpoint"], indent=2, sort_keys=True).encode("ascii")
        return cls(
            vault_id=str(doc["vault_id"]),
            created_at=str(doc["created_at"]),
            made_by=str(doc["made_by"]),
            key_id=str(doc["key_id"]),
            shared=doc["shared"] is True,
            audit_seq=seq,
            audit_hash=str(audit["hash"]),
            files=tuple(files),
            checkpoint=checkpoint + b"\n",
            sig=b64d(doc["sig"], length=64),
            spool=tuple(spool),
        )


# ----------------------------------------------------------------------
# making a backup
# ----------------------------------------------------------------------
def _vault_files(root: Path) -> list[str]:
    names = [HEADER_NAME, AUDIT_NAME]
    for comp in COMPARTMENTS:
        directory = root / comp
        if not directory.is_dir():
            continue
        for name in sorted(os.listdir(directory)):
            if name.endswith(RECORD_SUFFIX) and not name.startswith((".", TEMP_PREFIX)):
                names.append(f"{comp}/{name}")
    return names


def _hash_file(fs: FileSystem, path: Path) -> tuple[int, str]:
    """(size, SHA-256) of a vault file, opened as every vault read is (no FIFO, no giant)."""
    digest = hashlib.sha256()
    size = 0
    with os.fdopen(fs.open_read(path), "rb") as stream:
        while chunk := stream.read(_CHUNK):
            digest.update(chunk)
            size += len(chunk)
    return size, digest.hexdigest()


def _member(name: str, size: int, mtime: int) -> tarfile.TarInfo:
    info = tarfile.TarInfo(name)
    info.size = size
    info.mode = 0o600
    info.mtime = mtime
    info.uid = info.gid = 0
    info.uname = info.gname = ""
    return info


def _spool_reports(
    fs: FileSystem, spool: Path | None, sealer: EntrySealer
) -> tuple[dict[str, bytes], list[SpoolFile], str]:
    """The spool's complete reports as read now ({member: bytes}, their entries, a note).

    No spool set up (none there) is no note; a spool this DSL cannot list is one,
    and the backup goes on without it: the vault matters more than waiting for root.
    """
    if spool is None or not spool.exists():
        return {}, [], ""
    try:
        listed = list_spool(spool, fs)
    except DropError as exc:
        return {}, [], f"reports from staff are not in this backup: {exc}"
    except OSError as exc:  # not a directory, an I/O error: the vault is backed up still
        reason = exc.strerror or type(exc).__name__
        return {}, [], f"reports from staff are not in this backup: {spool}: {reason}"
    data: dict[str, bytes] = {}
    files: list[SpoolFile] = []
    for item in listed:
        read = read_spooled(spool, item.report_id, fs)
        if read is None:  # gone since it was listed (its filer removed it)
            continue
        entry, content = read
        filer = sealer.seal_filer(entry.report_id, entry.digest, entry.owner_uid,
                                  entry.owner_login)  # fmt: skip
        found = SpoolFile(entry.report_id, entry.size, entry.digest, -1,
                          entry.filed_at.isoformat(), filer)  # fmt: skip
        files.append(found)
        data[found.path] = content
    return data, files, ""


def write_backup(
    session: Session,
    output: Path | str,
    *,
    progress: Progress | None = None,
    spool: Path | None = None,
) -> Manifest:
    """Write a backup of the session's vault to a new 0600 file; a DSL's job.

    Everything is read under the vault's lock, so the backup is one moment of
    the vault: no save can land between the files. The manifest's signature
    and checkpoint are the DSL's own. ``spool``: the staff-report spool, whose
    reports (ciphertext) the backup holds too.
    """
    if session.role != "dsl" or session.is_recovery:
        raise AccessDenied("only a DSL can back up the vault")
    vault = session.vault
    root = vault.path
    with vault.lock():
        checkpoint = make_checkpoint(session)
        names = _vault_files(root)
        files = []
        for index, name in enumerate(names):
            size, digest = _hash_file(vault.fs, root / name)
            files.append(BackupFile(name, size, digest))
            if progress is not None:
                progress(index + 1, 2 * len(names))
        reports, spooled, note = _spool_reports(vault.fs, spool, session.filer_sealer())
        manifest = Manifest(
            vault_id=vault.header.vault_id,
            created_at=checkpoint.ts,
            made_by=session.name,
            key_id=session.signer.key_id,
            shared=vault.header.shared,
            audit_seq=checkpoint.seq,
            audit_hash=checkpoint.hash,
            files=tuple(files),
            checkpoint=checkpoint.to_bytes(),
            spool=tuple(spooled),
            spool_note=note,
        )
        _, sig = session.sign(manifest.signing_bytes())
        manifest = replace(manifest, sig=sig)
        _write_archive(vault.fs, root, manifest, output, progress, reports)
    return manifest


def _write_archive(
    fs: FileSystem,
    root: Path,
    manifest: Manifest,
    output: Path | str,
    progress: Progress | None,
    reports: dict[str, bytes] | None = None,
) -> None:
    """The tar itself: the manifest first, then each file as hashed (the caller holds the lock)."""
    files = manifest.files
    mtime = int(datetime.now(UTC).timestamp())
    with (
        new_private_file(output, fs=fs) as stream,
        tarfile.open(fileobj=stream, mode="w", format=tarfile.PAX_FORMAT) as tar,
    ):
        data = manifest.to_bytes()
        tar.addfile(_member(MANIFEST_NAME, len(data), mtime), _BytesReader(data))
        for index, item in enumerate(files):
            with os.fdopen(fs.open_read(root / item.path), "rb") as source:
                tar.addfile(_member(item.path, item.size, mtime), source)
            if progress is not None:
                progress(len(files) + index + 1, 2 * len(files))
        for path, data in (reports or {}).items():
            tar.addfile(_member(path, len(data), mtime), _BytesReader(data))


def authority_fingerprint(header: Header) -> str:
    """The SHA-256 of the vault's first authority key: what a restoring DSL's slot pins."""
    return hashlib.sha256(header.authority[0].public).hexdigest()


#: How long an unattended backup waits for a save to finish before giving up.
UNATTENDED_LOCK_WAIT = 600.0


def write_unattended_backup(
    vault_path: Path | str,
    output: Path | str,
    *,
    lock_wait: float = UNATTENDED_LOCK_WAIT,
    on_wait: Callable[[], None] | None = None,
) -> Manifest:
    """A backup with no passphrase (cron, a systemd timer), by any member of the vault's group.

    Nothing is decrypted and nothing is signed: the files are copied as they
    are, under the vault's lock (waiting up to ``lock_wait`` seconds for a
    save to finish; ``on_wait`` is told once when it must wait). The manifest
    is unsigned because a key able to sign it would have to sit on the server
    with its passphrase, which is what encryption at rest forbids. So what
    vouches for the files is what vouches for the vault itself: the header's
    authority signature, every audit entry's author's signature, and each
    file's hash in its last signed save. A verifier checks those, pins the
    authority and the log against the live vault or a DSL's checkpoint, and
    (a case role, ``--entries``) checks the case files against their sealed
    entries; see :func:`verify_backup`.
    """
    from .vault import Vault

    root = Path(vault_path)
    vault = Vault.open(root, repair=False)
    vault.lock.timeout = lock_wait
    vault.lock.on_wait = on_wait
    with vault.lock():
        vault.repair()  # finish or undo a save a crash left half done (ours is the lock now)
        header = Header.from_bytes(vault.fs.read_bytes(root / HEADER_NAME))
        head = AuditLog(vault.fs, root / AUDIT_NAME, header.vault_id).head()
        files = []
        for name in _vault_files(root):
            size, digest = _hash_file(vault.fs, root / name)
            files.append(BackupFile(name, size, digest))
        manifest = Manifest(
            vault_id=header.vault_id,
            created_at=datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
            made_by="",
            key_id="",
            shared=header.shared,
            audit_seq=head.seq,
            audit_hash=head.hash,
            files=tuple(files),
            checkpoint=None,
            unattended=True,
            authority=authority_fingerprint(header),
        )
        _write_archive(vault.fs, root, manifest, output, None)
    return manifest


GENERATION_PREFIX = "ydsi-backup-"
_GENERATION = re.compile(r"^ydsi-backup-\d{8}T\d{6}\.\d{6}Z\.tar$")


@dataclass(frozen=True)
class Generation:
    """One run of ``ydsi backup --unattended --dir``: what was kept and what was pruned."""

    path: Path
    manifest: Manifest
    check: BackupCheck
    pruned: tuple[Path, ...]


def backup_generation(
    vault_path: Path | str,
    directory: Path | str,
    *,
    keep: int,
    lock_wait: float = UNATTENDED_LOCK_WAIT,
    on_wait: Callable[[], None] | None = None,
) -> Generation:
    """A new unattended backup in ``directory``, checked, then all but the newest ``keep`` removed.

    The new backup is written under a hidden name, verified (keyless), and
    only then given its generation name; an older generation is removed only
    after a new one verified, so a run that fails never costs a good backup.
    Only files named as generations are ever pruned.
    """
    if keep < 1:
        raise ValueError("keep at least one generation")
    directory = Path(directory)
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S.%fZ")
    final = directory / f"{GENERATION_PREFIX}{stamp}.tar"
    partial = directory / f".{final.name}.partial"
    manifest = write_unattended_backup(vault_path, partial, lock_wait=lock_wait, on_wait=on_wait)
    try:
        check = verify_backup(partial)
        if not check.ok:
            shown = "; ".join(check.problems[:3])
            raise BackupRefused(
                f"the new backup does not verify, no generation was removed: {shown}"
            )
        os.rename(partial, final)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(partial)
        raise
    _fsync_dir(directory)
    generations = sorted(n for n in os.listdir(directory) if _GENERATION.match(n))
    pruned = []
    for name in generations[: max(0, len(generations) - keep)]:
        os.unlink(directory / name)
        pruned.append(directory / name)
    if pruned:
        _fsync_dir(directory)
    return Generation(final, manifest, check, tuple(pruned))


class _BytesReader:
    """The smallest file-like object tarfile reads from."""

    def __init__(self, data: bytes) -> None:
        self._data = data
        self._pos = 0

    def read(self, size: int = -1) -> bytes:
        end = len(self._data) if size < 0 else self._pos + size
        chunk = self._data[self._pos : end]
        self._pos += len(chunk)
        return chunk


# ----------------------------------------------------------------------
# verifying
# ----------------------------------------------------------------------
@dataclass
class BackupCheck:
    """What verifying a backup found; ``ok`` only with no problems at all."""

    problems: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    manifest: Manifest | None = None
    report: VerifyReport | None = None
    #: An unattended backup checked without a case role's key: its case
    #: files were not checked (say so; ``--entries`` checks them).
    case_files_unchecked: bool = False

    @property
    def ok(self) -> bool:
        return not self.problems and self.report is not None and self.report.ok


def _copy_member(source: IO[bytes], target: Path, size: int, mode: int) -> str:
    digest = hashlib.sha256()
    fd = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | os.O_CLOEXEC, mode)
    with os.fdopen(fd, "wb") as out:
        remaining = size
        while remaining > 0:
            chunk = source.read(min(_CHUNK, remaining))
            if not chunk:
                break
            digest.update(chunk)
            out.write(chunk)
            remaining -= len(chunk)
        out.flush()
        os.fsync(out.fileno())
    return digest.hexdigest()


def open_backup_tar(backup: Path) -> tarfile.TarFile:
    """A backup file opened for reading, refused at once if it is not a regular file.

    Backups are often kept in a folder others can write to; a FIFO there (or
    a link to one, or to a device) would make ``tarfile`` wait for ever or
    read without end. Opened ``O_NONBLOCK`` (a link is followed: a backup
    named on the command line may well be one) and ``fstat``-checked.
    """
    fd = os.open(backup, os.O_RDONLY | os.O_CLOEXEC | os.O_NONBLOCK)
    try:
        mode = os.fstat(fd).st_mode
        if not stat.S_ISREG(mode):
            kind = "a directory" if stat.S_ISDIR(mode) else "a FIFO or device"
            raise BackupRefused(f"{backup}: not a ydsi backup (it is {kind}, not a file)")
        os.set_blocking(fd, True)
        stream = os.fdopen(fd, "rb")
    except BaseException:
        os.close(fd)
        raise
    try:
        tar = _OwnedTar.open(fileobj=stream, mode="r:")
    except BaseException:
        stream.close()
        raise
    tar.owned = stream
    return tar


class _OwnedTar(tarfile.TarFile):
    """A tar read from a stream it owns: closing it closes the stream (tarfile would not)."""

    owned: IO[bytes] | None = None

    def close(self) -> None:
        try:
            super().close()
        finally:
            if self.owned is not None:
                self.owned.close()


def _unpack(backup: Path, target: Path, check: BackupCheck, spool_target: Path) -> None:
    """Unpack a backup into the (new, empty) directory ``target``, checking as it goes;
    its reports from staff into ``spool_target`` (made here, 0700, only if there are any)."""
    try:
        tar = open_backup_tar(backup)
    except FileNotFoundError:
        raise VaultError(f"{backup}: no such file") from None
    except (tarfile.TarError, OSError) as exc:
        raise BackupRefused(f"{backup}: not a ydsi backup ({exc})") from None
    with tar:
        try:
            _unpack_members(tar, backup, target, check, spool_target)
        except (tarfile.TarError, EOFError) as exc:
            check.problems.append(f"the backup is truncated or damaged ({exc})")
        except OSError as exc:
            raise VaultError(
                f"could not unpack the backup ({exc.strerror or exc}): nothing was changed"
            ) from None


def _unpack_members(
    tar: tarfile.TarFile, backup: Path, target: Path, check: BackupCheck, spool_target: Path
) -> None:
    first = tar.next()
    if first is None or first.name != MANIFEST_NAME or not first.isreg():
        raise BackupRefused(f"{backup}: not a ydsi backup (no manifest first)")
    if first.size > MAX_MANIFEST:
        raise BackupRefused(f"{backup}: the manifest is too large")
    source = tar.extractfile(first)
    assert source is not None
    try:
        manifest = Manifest.from_bytes(source.read())
    except NewerFormat:
        raise
    except (ValueError, KeyError, TypeError, UnicodeDecodeError) as exc:
        raise BackupRefused(f"{backup}: the manifest is damaged ({exc})") from None
    check.manifest = manifest
    modes = Modes(manifest.shared)
    for comp in COMPARTMENTS:
        os.mkdir(target / comp, modes.dir)
    fd = os.open(target / LOCK_NAME, os.O_WRONLY | os.O_CREAT | os.O_EXCL, modes.file)
    os.close(fd)
    expected: dict[str, BackupFile | SpoolFile] = {f.path: f for f in manifest.files}
    expected.update((f.path, f) for f in manifest.spool)
    if manifest.spool:
        os.mkdir(spool_target, 0o700)
    seen: set[str] = set()
    for member in tar:
        if member is first:
            continue
        name = member.name
        report = _SPOOL_MEMBER.match(name)
        if report is not None and member.isreg():
            where = spool_target / f"{report.group(1)}{REPORT_SUFFIX}"
        elif _MEMBER.match(name) and member.isreg():
            where = target / name
        else:
            check.problems.append(f"the backup holds {name!r}, which is not a vault file")
            continue
        if name in seen:
            check.problems.append(f"the backup holds {name} twice")
            continue
        seen.add(name)
        listed = expected.get(name)
        if listed is None:
            check.problems.append(f"{name}: in the backup but not in its manifest")
            continue
        if member.size != listed.size:
            check.problems.append(f"{name}: its size differs from the manifest's")
            continue
        if isinstance(listed, SpoolFile) != (report is not None):
            check.problems.append(f"{name}: listed in the manifest as another kind of file")
            continue
        stream = tar.extractfile(member)
        assert stream is not None
        mode = 0o600 if report is not None else modes.file
        if _copy_member(stream, where, member.size, mode) != listed.sha256:
            check.problems.append(f"{name}: altered (its hash differs from the manifest's)")
    for name in sorted(set(expected) - seen):
        check.problems.append(f"{name}: listed in the manifest but missing from the backup")


def _check_manifest(target: Path, check: BackupCheck) -> None:
    """The manifest must be signed by a DSL of the vault in the backup (unless unattended)."""
    manifest = check.manifest
    assert manifest is not None
    try:
        header = Header.from_bytes((target / HEADER_NAME).read_bytes())
    except (VaultError, OSError) as exc:
        check.problems.append(f"the backup's header cannot be read ({exc})")
        return
    if header.vault_id != manifest.vault_id:
        check.problems.append("the manifest belongs to a different vault than the files")
    if manifest.unattended:
        if not header.authority or authority_fingerprint(header) != manifest.authority:
            check.problems.append("the manifest names another authority key than the header's")
        try:
            head = AuditLog(FileSystem(), target / AUDIT_NAME, header.vault_id).head()
        except (VaultError, OSError, ValueError) as exc:
            check.problems.append(f"the backup's audit log cannot be read ({exc})")
            return
        if (head.seq, head.hash) != (manifest.audit_seq, manifest.audit_hash):
            check.problems.append("the backup's audit log does not end where its manifest says")
        return
    known = header.public_key(manifest.key_id)
    if known is None:
        check.problems.append("the manifest is signed with a key this vault never issued")
        return
    public, role = known
    if role != "dsl":
        check.problems.append(f"the manifest is signed by a {role}, not a DSL")
    if not verify_signature(public, manifest.sig, manifest.signing_bytes()):
        check.problems.append("the manifest's signature does not verify: altered or forged")
    owner = header.user_by_id(manifest.key_id.rsplit(".", 1)[0])
    if owner is None or owner.name != manifest.made_by:
        check.problems.append("the manifest names someone other than its signer")
    assert manifest.checkpoint is not None
    try:
        point = Checkpoint.from_bytes(manifest.checkpoint)
    except ValueError as exc:
        check.problems.append(f"the manifest's checkpoint is damaged ({exc})")
        return
    if (point.seq, point.hash) != (manifest.audit_seq, manifest.audit_hash):
        check.problems.append("the manifest's checkpoint does not match its audit head")


def _unpack_and_verify(
    backup: Path,
    target: Path,
    opener: EntryOpener | None = None,
    *,
    pin: Path | None = None,
    checkpoint: bytes | None = None,
    spool_target: Path | None = None,
) -> BackupCheck:
    check = BackupCheck()
    _unpack(backup, target, check, spool_target or target.parent / f".{target.name}.spool")
    if check.problems:
        return check
    _check_manifest(target, check)
    manifest = check.manifest
    assert manifest is not None
    report = verify_vault(target, checkpoint=manifest.checkpoint or checkpoint, opener=opener)
    check.report = report
    check.notes.extend(n for n in report.notes if "can be read by" not in n)
    check.problems.extend(report.problems)
    if report.entries != manifest.audit_seq:
        check.problems.append(
            f"audit.log has {report.entries} entries, but the backup was made at entry "
            f"{manifest.audit_seq}"
        )
    if manifest.unattended:
        _check_unattended(target, check, pin=pin, checkpoint=checkpoint)
    if manifest.spool:
        n = len(manifest.spool)
        check.notes.append(
            f"{n} report{'s' if n != 1 else ''} from staff, as filed (sealed: nothing in the "
            "backup opens them), each matching the signed manifest's hash"
        )
    return check


def _check_unattended(
    target: Path, check: BackupCheck, *, pin: Path | None, checkpoint: bytes | None
) -> None:
    """What an unsigned manifest leaves to the verifier: the case files, the authority, the end.

    The signed entries vouch for every file they name, but a whole vault
    made by someone else is self-consistent too, and so is a log cut short.
    So the backup's authority and log are compared with the live vault's
    (``pin``), or the log with a DSL's checkpoint; failing both, the check
    says it could not tell.
    """
    report = check.report
    assert report is not None
    if report.sealed_unread:
        check.case_files_unchecked = True
        check.notes.append(
            "made unattended (no passphrase), so nothing but their sealed audit entries vouches "
            "for its case files: 'ydsi verify --backup FILE --entries' (a case role) checks them"
        )
    if pin is not None and (pin / HEADER_NAME).exists():
        _pin_to_vault(target, pin, check)
    elif checkpoint is None:
        print_ = check.manifest.authority[:16] if check.manifest else ""
        check.notes.append(
            "not compared with the vault (none at hand) nor a checkpoint: a backup planted "
            "whole, of another vault, would look intact too; compare its authority "
            f"fingerprint {print_} with the vault's ('ydsi doctor' shows it)"
        )


def _pin_to_vault(target: Path, live: Path, check: BackupCheck) -> None:
    fs = FileSystem()
    try:
        mine = Header.from_bytes(fs.read_bytes(live / HEADER_NAME))
        theirs = Header.from_bytes((target / HEADER_NAME).read_bytes())
    except (VaultError, OSError) as exc:
        check.notes.append(f"could not compare it with the vault at {live} ({exc})")
        return
    if not mine.signature_ok():
        check.notes.append(f"could not compare it with the vault at {live}: its header is damaged")
        return
    if mine.vault_id != theirs.vault_id:
        check.problems.append(
            f"it is not a backup of the vault at {live} (another vault: planted, or the wrong file)"
        )
        return
    known = {a.public for a in mine.authority}
    if not mine.authority or any(a.public not in known for a in theirs.authority):
        check.problems.append(
            f"its header is signed by an authority key the vault at {live} never had: forged"
        )
        return
    try:
        state = compare_logs(fs.read_bytes(live / AUDIT_NAME), (target / AUDIT_NAME).read_bytes())
    except (VaultError, OSError) as exc:
        check.notes.append(f"could not compare its audit log with the vault's ({exc})")
        return
    if state == "diverged":
        check.problems.append(
            f"its audit log differs from that of the vault at {live}: altered, or another history"
        )
    elif state == "older":
        check.notes.append(
            f"it holds audit entries the vault at {live} does not (was the vault restored "
            "from an older backup since?)"
        )
    else:
        check.notes.append(f"its authority and audit log agree with the vault at {live}")


def verify_backup(
    backup: Path | str,
    *,
    session: Session | None = None,
    pin: Path | str | None = None,
    checkpoint: bytes | None = None,
) -> BackupCheck:
    """Check a backup on its own, in a private temporary directory removed afterwards.

    With no ``session`` (``ydsi verify --backup``, from cron) the case files are
    checked against the DSL-signed manifest only, since the audit entries
    that vouch for them are sealed; a case role's ``session`` opens those
    entries, and every case file is checked against its last save too. An
    unattended backup's manifest is unsigned, so its case files need that
    ``session``, and its authority and log end are checked against the live
    vault at ``pin`` or a DSL's ``checkpoint``.
    """
    opener = session.vault.audit.sealer if session is not None else None
    scratch = Path(tempfile.mkdtemp(prefix="ydsi-verify-"))
    try:
        os.chmod(scratch, 0o700)
        target = scratch / "vault"
        os.mkdir(target, 0o700)
        return _unpack_and_verify(
            Path(backup),
            target,
            opener,
            pin=Path(pin) if pin is not None else None,
            checkpoint=checkpoint,
            spool_target=scratch / SPOOL_DIR,
        )
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


# ----------------------------------------------------------------------
# restoring
# ----------------------------------------------------------------------
def _complete_lines(data: bytes) -> list[bytes]:
    lines = data.split(b"\n")
    return lines[:-1]  # the last piece is empty, or a torn entry never acknowledged


def compare_logs(existing: bytes, backup: bytes) -> str:
    """``same``, ``older`` (the existing log is a prefix of the backup's),
    ``newer`` (it extends beyond the backup's) or ``diverged``."""
    mine, theirs = _complete_lines(existing), _complete_lines(backup)
    if mine == theirs:
        return "same"
    if len(mine) < len(theirs) and theirs[: len(mine)] == mine:
        return "older"
    if len(mine) > len(theirs) and mine[: len(theirs)] == theirs:
        return "newer"
    return "diverged"


@dataclass(frozen=True)
class RestoreResult:
    manifest: Manifest
    report: VerifyReport
    replaced: Path | None
    previous: str  # "none", "empty", "same", "older", "newer", "diverged", "other vault"
    #: The backup's reports from staff, left here (0700) for root to put back in the spool.
    staff_reports: Path | None = None


def _existing_state(target: Path, staged: Path, manifest: Manifest) -> str:
    if not target.exists():
        return "none"
    if not target.is_dir():
        raise BackupRefused(f"{target} exists and is not a directory: nothing was restored")
    if not any(target.iterdir()):
        return "empty"
    if not (target / HEADER_NAME).exists():
        raise BackupRefused(
            f"{target} is not empty and holds no vault: nothing was restored (choose an empty "
            "or new directory)"
        )
    fs = FileSystem()  # the vault there is anyone's in its group: no FIFO, no giant
    try:
        header = Header.from_bytes(fs.read_bytes(target / HEADER_NAME))
        if header.vault_id != manifest.vault_id:
            return "other vault"
        return compare_logs(fs.read_bytes(target / AUDIT_NAME), (staged / AUDIT_NAME).read_bytes())
    except (VaultError, OSError):
        return "diverged"


_REFUSALS = {
    "newer": "its audit log goes on beyond the backup's, so it holds newer work",
    "diverged": "its audit log differs from the backup's (a different history, or damage)",
    "other vault": "it is a different vault",
}


def restore_backup(backup: Path | str, target: Path | str, *, force: bool = False) -> RestoreResult:
    """Verify a backup, then put it at ``target``; refuses to lose newer work unless forced."""
    backup, target = Path(backup), Path(target).absolute()
    target.parent.mkdir(parents=True, exist_ok=True)
    token = secrets.token_hex(4)
    staged = target.parent / f".{target.name}.restoring-{token}"
    staged_spool = target.parent / f".{target.name}.reports-restoring-{token}"
    os.mkdir(staged, 0o700)
    reports: Path | None = None
    try:
        pin = target if (target / HEADER_NAME).exists() else None
        check = _unpack_and_verify(backup, staged, pin=pin, spool_target=staged_spool)
        if not check.ok:
            shown = "; ".join(check.problems[:3]) or "it does not verify"
            more = f" (and {len(check.problems) - 3} more)" if len(check.problems) > 3 else ""
            raise BackupRefused(f"the backup does not verify, nothing was restored: {shown}{more}")
        manifest = check.manifest
        assert manifest is not None
        modes = Modes(manifest.shared)
        os.chmod(staged, modes.dir)
        previous = _existing_state(target, staged, manifest)
        if previous in _REFUSALS and not force:
            raise BackupRefused(
                f"{target} already holds a vault and {_REFUSALS[previous]}: nothing was "
                "restored (add --force to replace it; it would be kept beside, renamed)"
            )
        replaced = None
        stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
        if manifest.spool:
            reports = target.parent / f"{target.name}.staff-reports-{stamp}"
            os.rename(staged_spool, reports)
        if previous == "none":
            os.rename(staged, target)
        elif previous == "empty":
            os.rmdir(target)
            os.rename(staged, target)
        else:
            replaced = target.parent / f"{target.name}.replaced-{stamp}"
            lock = VaultLock(target)
            # Under the old vault's lock, so that no save of it is half-way.
            with lock():
                os.rename(target, replaced)
                try:
                    os.rename(staged, target)
                except OSError:
                    os.rename(replaced, target)
                    raise
        _fsync_dir(target.parent)
    except BaseException:
        shutil.rmtree(staged, ignore_errors=True)
        shutil.rmtree(staged_spool, ignore_errors=True)
        if reports is not None:
            shutil.rmtree(reports, ignore_errors=True)
        raise
    report = verify_vault(target)
    return RestoreResult(manifest, report, replaced, previous, reports)


def record_restore(session: Session, result: RestoreResult) -> AuditEntry:
    """After a restore, as a DSL of the restored vault: a signed ``vault.restore`` entry.

    It names the backup and the head the restore abandoned (the replaced
    vault's, when one was kept beside), so that every user's witness that
    saw newer entries says "restored by X; entries a-b are not in the
    restored vault" instead of refusing saves as after a rollback.
    """
    manifest = result.manifest
    extra: dict[str, Any] = {
        "backup": {
            "seq": manifest.audit_seq,
            "hash": manifest.audit_hash,
            "made_at": manifest.created_at,
            "made_by": manifest.made_by,
        },
        "previous": result.previous,
    }
    if result.replaced is not None and result.previous in ("newer", "diverged"):
        try:
            head = AuditLog(FileSystem(), result.replaced / AUDIT_NAME, manifest.vault_id).head()
            extra["abandoned"] = {"seq": head.seq, "hash": head.hash}
        except (OSError, ValueError):
            pass  # the replaced vault's log is damaged: the entry still names the backup
    return session.record_restore(extra)


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
