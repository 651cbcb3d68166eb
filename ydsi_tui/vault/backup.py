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
"""

from __future__ import annotations

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
from .errors import AccessDenied, NewerFormat, VaultError
from .export import new_private_file
from .fs import TEMP_PREFIX, FileSystem, Modes
from .header import COMPARTMENTS, HEADER_NAME, Header
from .lock import LOCK_NAME, VaultLock
from .recordfile import RECORD_SUFFIX
from .verify import VerifyReport, verify_vault

if TYPE_CHECKING:
    from .session import Session

__all__ = [
    "BACKUP_FORMAT",
    "MANIFEST_NAME",
    "BackupCheck",
    "BackupFile",
    "BackupRefused",
    "Manifest",
    "RestoreResult",
    "compare_logs",
    "record_restore",
    "restore_backup",
    "verify_backup",
    "write_backup",
]

BACKUP_FORMAT = "ydsi-backup"
BACKUP_VERSION = 1
MANIFEST_NAME = "ydsi-backup.json"
MAX_MANIFEST = 16 * 1024 * 1024
MAX_MEMBER = 4 * 1024 * 1024 * 1024
_MEMBER = re.compile(r"^(vault\.json|audit\.log|(case|custody)/[0-9a-f]{32}\.ydsr)$")
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
    checkpoint: bytes
    sig: bytes = b""

    def body(self) -> dict[str, Any]:
        return {
            "format": BACKUP_FORMAT,
            "version": BACKUP_VERSION,
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
        doc = {**self.body(), "sig": b64e(self.sig)}
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
        if version > BACKUP_VERSION:
            raise NewerFormat("this backup was made by a newer version of ydsi: upgrade to use it")
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


def write_backup(
    session: Session, output: Path | str, *, progress: Progress | None = None
) -> Manifest:
    """Write a backup of the session's vault to a new 0600 file; a DSL's job.

    Everything is read under the vault's lock, so the backup is one moment of
    the vault: no save can land between the files. The manifest's signature
    and checkpoint are the DSL's own.
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
        )
        _, sig = session.sign(manifest.signing_bytes())
        manifest = replace(manifest, sig=sig)
        mtime = int(datetime.now(UTC).timestamp())
        with (
            new_private_file(output, fs=vault.fs) as stream,
            tarfile.open(fileobj=stream, mode="w", format=tarfile.PAX_FORMAT) as tar,
        ):
            data = manifest.to_bytes()
            tar.addfile(_member(MANIFEST_NAME, len(data), mtime), _BytesReader(data))
            for index, item in enumerate(files):
                with os.fdopen(vault.fs.open_read(root / item.path), "rb") as source:
                    tar.addfile(_member(item.path, item.size, mtime), source)
                if progress is not None:
                    progress(len(names) + index + 1, 2 * len(names))
    return manifest


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


def _unpack(backup: Path, target: Path, check: BackupCheck) -> None:
    """Unpack a backup into the (new, empty) directory ``target``, checking as it goes."""
    try:
        tar = open_backup_tar(backup)
    except FileNotFoundError:
        raise VaultError(f"{backup}: no such file") from None
    except (tarfile.TarError, OSError) as exc:
        raise BackupRefused(f"{backup}: not a ydsi backup ({exc})") from None
    with tar:
        try:
            _unpack_members(tar, backup, target, check)
        except (tarfile.TarError, EOFError) as exc:
            check.problems.append(f"the backup is truncated or damaged ({exc})")
        except OSError as exc:
            raise VaultError(
                f"could not unpack the backup ({exc.strerror or exc}): nothing was changed"
            ) from None


def _unpack_members(tar: tarfile.TarFile, backup: Path, target: Path, check: BackupCheck) -> None:
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
    expected = {f.path: f for f in manifest.files}
    seen: set[str] = set()
    for member in tar:
        if member is first:
            continue
        name = member.name
        if not _MEMBER.match(name) or not member.isreg():
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
        stream = tar.extractfile(member)
        assert stream is not None
        if _copy_member(stream, target / name, member.size, modes.file) != listed.sha256:
            check.problems.append(f"{name}: altered (its hash differs from the manifest's)")
    for name in sorted(set(expected) - seen):
        check.problems.append(f"{name}: listed in the manifest but missing from the backup")


def _check_manifest(target: Path, check: BackupCheck) -> None:
    """The manifest must be signed by a DSL of the vault in the backup."""
    manifest = check.manifest
    assert manifest is not None
    try:
        header = Header.from_bytes((target / HEADER_NAME).read_bytes())
    except (VaultError, OSError) as exc:
        check.problems.append(f"the backup's header cannot be read ({exc})")
        return
    if header.vault_id != manifest.vault_id:
        check.problems.append("the manifest belongs to a different vault than the files")
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
    try:
        point = Checkpoint.from_bytes(manifest.checkpoint)
    except ValueError as exc:
        check.problems.append(f"the manifest's checkpoint is damaged ({exc})")
        return
    if (point.seq, point.hash) != (manifest.audit_seq, manifest.audit_hash):
        check.problems.append("the manifest's checkpoint does not match its audit head")


def _unpack_and_verify(
    backup: Path, target: Path, opener: EntryOpener | None = None
) -> BackupCheck:
    check = BackupCheck()
    _unpack(backup, target, check)
    if check.problems:
        return check
    _check_manifest(target, check)
    manifest = check.manifest
    assert manifest is not None
    report = verify_vault(target, checkpoint=manifest.checkpoint, opener=opener)
    check.report = report
    check.notes.extend(n for n in report.notes if "can be read by" not in n)
    check.problems.extend(report.problems)
    if report.entries != manifest.audit_seq:
        check.problems.append(
            f"audit.log has {report.entries} entries, but the backup was made at entry "
            f"{manifest.audit_seq}"
        )
    return check


def verify_backup(backup: Path | str, *, session: Session | None = None) -> BackupCheck:
    """Check a backup on its own, in a private temporary directory removed afterwards.

    With no ``session`` (``ydsi verify --backup``, from cron) the case files are
    checked against the DSL-signed manifest only, since the audit entries
    that vouch for them are sealed; a case role's ``session`` opens those
    entries, and every case file is checked against its last save too.
    """
    opener = session.vault.audit.sealer if session is not None else None
    scratch = Path(tempfile.mkdtemp(prefix="ydsi-verify-"))
    try:
        os.chmod(scratch, 0o700)
        target = scratch / "vault"
        os.mkdir(target, 0o700)
        return _unpack_and_verify(Path(backup), target, opener)
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
    staged = target.parent / f".{target.name}.restoring-{secrets.token_hex(4)}"
    os.mkdir(staged, 0o700)
    try:
        check = _unpack_and_verify(backup, staged)
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
        if previous == "none":
            os.rename(staged, target)
        elif previous == "empty":
            os.rmdir(target)
            os.rename(staged, target)
        else:
            stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
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
        raise
    report = verify_vault(target)
    return RestoreResult(manifest, report, replaced, previous)


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
