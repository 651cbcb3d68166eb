"""The save protocol: one file and its signed audit entry reach disk together, or neither does.

Every save in the vault (a record, the header, a repair) goes through
:func:`commit_file`, under the vault's lock:

1. encrypt in memory; write a new temporary file beside the target
   (exclusive create, 0600/0660) and fsync it;
2. append the signed audit entry naming the new file's hash, fsync the log;
3. rename the temporary file over the target, fsync the directory;
4. only then acknowledge.

A crash before 2 leaves a stray temporary file, removed at the next open. A
crash between 2 and 3 leaves a temporary file whose hash the log already
names: the next open renames it into place (rolls the save forward; see
:meth:`ydsi_tui.vault.vault.Vault.repair`). A crash mid-append leaves a torn
last line, which the next open cuts off. Any error (a full disk, EIO) undoes
what was done and raises :class:`NotSaved`, with the previous version
intact; a failed fsync is never retried as if fine.

It lives apart from opening and unlocking (``vault.py``) and from record
access (``session.py``) because both of those, and repair, lean on it: one
home for the protocol and for the one-line words a refused read or write
is reported in.
"""

from __future__ import annotations

import contextlib
import os
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Protocol

from .audit import AuditAppendFailed, AuditEntry, AuditLog, Signer
from .crypto import sha256_hex
from .errors import NotSaved
from .fs import FileSystem, Modes
from .lock import VaultLock

__all__ = [
    "SavePlace",
    "commit_file",
    "not_saved",
    "refuse_linked_folder",
    "unreadable",
    "utc_now",
]


class SavePlace(Protocol):
    """What the save protocol needs of an opened vault: its files, log, lock and modes."""

    fs: FileSystem
    audit: AuditLog
    lock: VaultLock
    modes: Modes


def utc_now() -> str:
    """Audit timestamps: UTC, microseconds, a trailing Z."""
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def commit_file(
    place: SavePlace,
    signer: Signer,
    *,
    comp: str,
    rec: str,
    path: Path,
    data: bytes,
    previous: bytes | None,
    action: str,
    extra: dict[str, Any] | None = None,
) -> AuditEntry:
    """Write ``data`` at ``path`` and log it, all or nothing (see the module docstring).

    ``previous`` is the file's current content (None if new), read by the
    caller under the same lock; it is how a failure after the rename is
    undone.
    """
    if not place.lock.held:
        raise RuntimeError("commit_file needs the vault lock")
    refuse_linked_folder(path.parent)
    label = "header" if comp == "header" else rec
    try:
        tmp = place.fs.write_temp(path.parent, label, data, place.modes.file)
    except OSError as exc:
        raise NotSaved(not_saved(exc)) from exc
    try:
        entry, log_length = place.audit.append(
            signer,
            ts=utc_now(),
            action=action,
            comp=comp,
            rec=rec,
            file_hash=sha256_hex(data),
            extra=extra,
        )
    except AuditAppendFailed as exc:
        if exc.cut_back:
            _discard(tmp)
            raise
        # The log could not even be cut back: the whole entry may be on disk.
        # Keep the temporary file so the next open settles it one way or the
        # other, and say honestly that the outcome is not yet known.
        raise NotSaved(
            "not confirmed as saved: the disk failed twice during the save; reopen the "
            "vault and check whether the change is there before entering it again"
        ) from exc
    except (OSError, ValueError) as exc:
        _discard(tmp)
        raise NotSaved(not_saved(exc)) from exc
    try:
        place.fs.replace(tmp, path)
    except OSError as exc:
        if place.audit.undo(log_length):
            _discard(tmp)
        raise NotSaved(not_saved(exc)) from exc
    try:
        place.fs.fsync_dir(path.parent)
    except OSError as exc:
        _put_back(place, path, previous, log_length)
        raise NotSaved(not_saved(exc)) from exc
    return entry


def refuse_linked_folder(folder: Path) -> None:
    """No save goes through a compartment folder that is a symbolic link.

    ``O_NOFOLLOW`` guards only a path's last part. Any member of the vault's
    group can rename ``case/`` away and put a link to a folder of their own in
    its place (the vault directory is theirs to write): every later save would
    land there, theirs to read, keep or delete, while the real folder fell
    behind. Reads still work (each file is vouched for by the log).
    """
    if folder.name != "" and os.path.islink(folder):
        raise NotSaved(
            f"not saved: {folder.name}/ is a symbolic link, not the vault's own folder "
            "(replaced outside ydsi?): put the real folder back ('ydsi doctor' shows it); "
            "nothing was changed"
        )


def _put_back(place: SavePlace, path: Path, previous: bytes | None, log_length: int) -> None:
    """After a failed directory fsync: restore the old version and the old log."""
    try:
        if previous is None:
            place.fs.unlink(path)
            place.fs.fsync_dir(path.parent)
        else:
            place.fs.write_file_atomic(path, previous, place.modes.file)
    except OSError as exc:
        raise NotSaved(
            f"not saved, and the disk refused to restore {path.name} ({exc.strerror}): "
            "run 'ydsi verify' once the disk is healthy"
        ) from exc
    place.audit.undo(log_length)


def _discard(tmp: Path) -> None:
    with contextlib.suppress(OSError):
        os.unlink(tmp)


def not_saved(exc: BaseException) -> str:
    """One line for a write the disk refused: the reason, and that nothing was lost."""
    reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
    return f"not saved: the disk refused the write ({reason}); the previous version is intact"


def unreadable(exc: OSError) -> str:
    """One line for a read the disk refused (EIO, say): names the file, never a traceback."""
    where = exc.filename or "a vault file"
    return f"{where}: could not be read ({exc.strerror or exc}); nothing was changed"
