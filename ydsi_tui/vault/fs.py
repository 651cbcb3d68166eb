"""The one small layer through which every vault file operation passes.

Why a layer at all: crash safety is only as good as its tests, and the tests
need to fail a write, an fsync or a rename at every point of every kind of save
(SQLite tests its VFS the same way). Every primitive calls :meth:`FileSystem.hook`
first; :class:`FaultyFileSystem` in the tests overrides it to raise ``OSError``
or to kill the process at a chosen call.

The primitives are deliberately low level (``os.open`` flags, explicit fsyncs):
the guarantees we promise come from their exact order, which lives in
:func:`write_temp` and :class:`ydsi_tui.vault.records.RecordWriter`.
"""

from __future__ import annotations

import contextlib
import errno
import os
import secrets
import stat
from pathlib import Path

from .errors import UnsafeFile

__all__ = [
    "MAX_AUDIT_LOG",
    "MAX_HEADER_FILE",
    "MAX_RECORD_FILE",
    "MAX_REQUEST_FILE",
    "MAX_THROTTLE_FILE",
    "MAX_VAULT_FILE",
    "TEMP_PREFIX",
    "FileSystem",
    "Modes",
    "file_limit",
    "open_checked",
    "vault_label",
]

#: Temporary files start with this; the next open cleans up strays.
TEMP_PREFIX = ".tmp-"

_MIB = 1024 * 1024

# The most each kind of vault file may be, checked with ``fstat`` before a
# byte is read. Any member of the vault's group can plant a sparse file of
# terabytes at any name (it costs nothing on disk); without a cap the whole
# of it would be read into memory. Each cap is far above what ydsi writes,
# so a genuine file never meets it.

#: A record: a 4 KiB header and two segments of at most 64 MiB each
#: (``recordfile.MAX_HEADER``, ``MAX_SEGMENT``), and some slack. Anything
#: larger cannot parse as a record anyway; real ones are a few KiB to a few MiB.
MAX_RECORD_FILE = 2 * 64 * _MIB + _MIB
#: ``vault.json``: 32 users' slots, keys and sealed keys are well under 1 MiB.
MAX_HEADER_FILE = 16 * _MIB
#: ``audit.log``: about 600 bytes an entry, so some 800,000 entries (decades
#: of a school's work, every read included) before this; verify reads it whole.
MAX_AUDIT_LOG = 512 * _MIB
#: A throttle file is ``{"failures":N}``: a few dozen bytes.
MAX_THROTTLE_FILE = 256
#: An enrolment or rekey request is about 1 KiB.
MAX_REQUEST_FILE = 64 * 1024
#: Anything else read through this layer.
MAX_VAULT_FILE = MAX_RECORD_FILE

#: Directories of the vault whose files are named ``dir/name`` in messages.
_VAULT_DIRS = frozenset({"case", "custody", "throttle", "requests", "drafts"})


def vault_label(path: Path) -> str:
    """The file's name as a user finds it in the vault (``case/ab12.ydsr``, ``vault.json``).

    The layer is handed absolute paths and knows no vault root, but the
    vault's layout is flat: a file sits in the root or in one of its
    directories, which is all a message needs to name it.
    """
    folder, name = _parts(path)
    return f"{folder}/{name}" if folder in _VAULT_DIRS else name


def _parts(path: Path) -> tuple[str, str]:
    """(the parent folder's name, the file's name): string work, not pathlib's (a
    listing of 10,000 records asks it for every file)."""
    head, name = os.path.split(os.fspath(path))
    return os.path.basename(head), name


def file_limit(path: Path) -> tuple[int, str]:
    """(the most bytes this file may hold, what to call it) from where it sits."""
    folder, name = _parts(path)
    if name.startswith(TEMP_PREFIX):
        name = name[len(TEMP_PREFIX) :].rsplit("-", 1)[0]
    if name.endswith(".report"):
        return 2 * _MIB, "a staff report"
    if folder in ("case", "custody"):
        return MAX_RECORD_FILE, "a record file"
    if folder == "throttle":
        return MAX_THROTTLE_FILE, "a throttle file"
    if folder == "requests":
        return MAX_REQUEST_FILE, "an enrolment request"
    if name == "vault.json":
        return MAX_HEADER_FILE, "the vault header"
    if name == "audit.log":
        return MAX_AUDIT_LOG, "the audit log"
    return MAX_VAULT_FILE, "a vault file"


def _size(count: int) -> str:
    """Bytes for people: ``4.0 GiB``, ``129 MiB``, ``256 bytes``."""
    if count >= 1024**3:
        return f"{count / 1024**3:.1f} GiB"
    if count >= _MIB:
        return f"{count / _MIB:.0f} MiB" if count % _MIB == 0 else f"{count / _MIB:.1f} MiB"
    if count >= 1024:
        return f"{count / 1024:.0f} KiB" if count % 1024 == 0 else f"{count / 1024:.1f} KiB"
    return f"{count} bytes"


def _what_is(mode: int) -> str:
    """Why a file of this type is refused, in the words of ``ls -l``."""
    if stat.S_ISFIFO(mode):
        return "is a FIFO, not a file"
    if stat.S_ISDIR(mode):
        return "is a directory, not a file"
    if stat.S_ISLNK(mode):
        return "is a symbolic link, not a file"
    if stat.S_ISSOCK(mode):
        return "is a socket, not a file"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "is a device, not a file"
    return "is not a regular file"


def open_checked(path: Path) -> tuple[int, int]:
    """Open a vault file for reading, refusing all a group member could plant; (fd, size).

    ``O_NONBLOCK`` makes opening a FIFO return at once instead of waiting for
    a writer that never comes; ``O_NOFOLLOW`` refuses a symbolic link (as
    ``ELOOP``, turned here into :class:`UnsafeFile` like the rest); ``fstat``
    on the descriptor (not the name, which may be swapped meanwhile) refuses
    anything but a regular file and any file larger than :func:`file_limit`
    allows, before a byte is read.
    """
    fd, size, _limit = _open_checked(path)
    return fd, size


def _open_checked(path: Path) -> tuple[int, int, int]:
    """:func:`open_checked`, and the file's cap: (fd, size, the most it may hold)."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_CLOEXEC | os.O_NOFOLLOW | os.O_NONBLOCK)
    except OSError as exc:
        if exc.errno in (errno.ELOOP, errno.ENXIO, errno.ENODEV, errno.EOPNOTSUPP):
            try:
                reason = _what_is(os.lstat(path).st_mode)
            except OSError:
                reason = "cannot be opened as a file"
            raise UnsafeFile(vault_label(path), reason) from None
        raise
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            raise UnsafeFile(vault_label(path), _what_is(info.st_mode))
        limit, what = file_limit(path)
        if info.st_size > limit:
            raise UnsafeFile(
                vault_label(path),
                f"is {_size(info.st_size)}, more than the {_size(limit)} {what} may be",
            )
    except BaseException:
        os.close(fd)
        raise
    return fd, info.st_size, limit


def _too_big(path: Path) -> UnsafeFile:
    """The file grew past its cap while it was being read (someone is writing to it)."""
    limit, what = file_limit(path)
    return UnsafeFile(vault_label(path), f"grew past the {_size(limit)} {what} may be")


class Modes:
    """Permission bits for a private (single user) or shared (group) vault."""

    def __init__(self, shared: bool) -> None:
        self.shared = shared
        self.file = 0o660 if shared else 0o600
        self.dir = 0o2770 if shared else 0o700
        self.umask = 0o007 if shared else 0o077


class FileSystem:
    """Real file operations, each preceded by a :meth:`hook` call for tests."""

    def hook(self, op: str, path: str) -> None:
        """Called before every primitive; the real file system does nothing."""

    # -- reading ---------------------------------------------------------
    def read_bytes(self, path: Path) -> bytes:
        """The whole file, if it is a regular file within its cap (:func:`open_checked`)."""
        self.hook("read", str(path))
        fd, _size_then, limit = _open_checked(path)
        try:
            chunks: list[bytes] = []
            total = 0
            while True:
                chunk = os.read(fd, 1 << 20)
                if not chunk:
                    break
                total += len(chunk)
                if total > limit:
                    raise _too_big(path)
                chunks.append(chunk)
            return b"".join(chunks)
        finally:
            os.close(fd)

    def read_tail(self, path: Path, size: int) -> tuple[int, bytes]:
        """Return (file length, the last ``size`` bytes): the audit log's head."""
        self.hook("read", str(path))
        fd, length = open_checked(path)
        try:
            start = max(0, length - size)
            os.lseek(fd, start, os.SEEK_SET)
            data = b""
            while len(data) < length - start:
                chunk = os.read(fd, length - start - len(data))
                if not chunk:
                    break
                data += chunk
            return length, data
        finally:
            os.close(fd)

    def read_from(self, path: Path, offset: int) -> tuple[int, bytes]:
        """Return (file length, everything from ``offset``): the audit log's new tail."""
        self.hook("read", str(path))
        fd, length = open_checked(path)
        try:
            if offset > length:
                return length, b""
            chunks: list[bytes] = []
            position = offset
            while position < length:
                chunk = os.pread(fd, min(1 << 20, length - position), position)
                if not chunk:
                    break
                chunks.append(chunk)
                position += len(chunk)
            return length, b"".join(chunks)
        finally:
            os.close(fd)

    def read_range(self, path: Path, offset: int, size: int) -> bytes:
        """``size`` bytes at ``offset`` (one audit entry, re-read to check its signature)."""
        self.hook("read", str(path))
        fd, _ = open_checked(path)
        try:
            return os.pread(fd, size, offset)
        finally:
            os.close(fd)

    def open_read(self, path: Path) -> int:
        """A checked descriptor for streaming a vault file (a backup copies records so)."""
        self.hook("read", str(path))
        fd, _ = open_checked(path)
        return fd

    def exists(self, path: Path) -> bool:
        return os.path.lexists(path)

    def listdir(self, path: Path) -> list[str]:
        self.hook("listdir", str(path))
        return os.listdir(path)

    def mode(self, path: Path) -> int:
        return stat.S_IMODE(os.lstat(path).st_mode)

    def identity(self, path: Path) -> tuple[int, int, int, int, int] | None:
        """(device, inode, size, mtime_ns, ctime_ns) of a regular file; None for anything else.

        What a listing compares to tell that a file it has already checked is
        the same file, unchanged: a rename over it gives a new inode, and any
        write moves its ctime, which only root (by changing the clock) can set.
        """
        self.hook("stat", str(path))
        try:
            info = os.lstat(path)
        except OSError:
            return None
        if not stat.S_ISREG(info.st_mode):
            return None
        return (info.st_dev, info.st_ino, info.st_size, info.st_mtime_ns, info.st_ctime_ns)

    # -- writing ---------------------------------------------------------
    def mkdir(self, path: Path, mode: int) -> None:
        self.hook("mkdir", str(path))
        os.mkdir(path, mode)
        # mkdir's mode is filtered by the umask; the setgid bit needs chmod.
        os.chmod(path, mode)

    def open_new(self, path: Path, mode: int) -> int:
        """Create a file that must not exist yet (never follows a symlink)."""
        self.hook("open", str(path))
        flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | os.O_CLOEXEC
        fd = os.open(path, flags, mode)
        return fd

    def open_append(self, path: Path) -> int:
        self.hook("open", str(path))
        return os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CLOEXEC | os.O_NOFOLLOW)

    def write_all(self, fd: int, data: bytes, path: str) -> None:
        """Write every byte, looping on short writes (a full disk shows up here)."""
        view = memoryview(data)
        while view:
            self.hook("write", path)
            written = os.write(fd, view)
            view = view[written:]

    def fsync(self, fd: int, path: str) -> None:
        self.hook("fsync", path)
        os.fsync(fd)

    def close(self, fd: int) -> None:
        os.close(fd)

    def fchmod(self, fd: int, mode: int, path: str) -> None:
        """Set a file's mode through its descriptor (the staff drop's "complete" mark)."""
        self.hook("chmod", path)
        os.fchmod(fd, mode)

    def truncate(self, fd: int, length: int, path: str) -> None:
        self.hook("truncate", path)
        os.ftruncate(fd, length)

    def replace(self, src: Path, dst: Path) -> None:
        self.hook("rename", str(dst))
        os.replace(src, dst)

    def fsync_dir(self, path: Path) -> None:
        """Make a rename durable: without this a power cut can undo it."""
        self.hook("fsync_dir", str(path))
        fd = os.open(path, os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)

    def unlink(self, path: Path) -> None:
        self.hook("unlink", str(path))
        os.unlink(path)

    # -- composed --------------------------------------------------------
    def write_temp(self, directory: Path, label: str, data: bytes, mode: int) -> Path:
        """Write ``data`` to a new temporary file beside its target, durably.

        The name carries ``label`` (the record it belongs to) so that recovery
        after a crash can tell which record a leftover belongs to. On any
        failure the partial file is removed and the error re-raised.
        """
        path = directory / f"{TEMP_PREFIX}{label}-{secrets.token_hex(6)}"
        fd = self.open_new(path, mode)
        try:
            try:
                self.write_all(fd, data, str(path))
                self.fsync(fd, str(path))
            finally:
                self.close(fd)
        except BaseException:
            with contextlib.suppress(OSError):
                os.unlink(path)
            raise
        return path

    def write_file_atomic(self, path: Path, data: bytes, mode: int) -> None:
        """Temp file, fsync, rename, fsync the directory: all or nothing."""
        tmp = self.write_temp(path.parent, path.name, data, mode)
        try:
            self.replace(tmp, path)
        except BaseException:
            with contextlib.suppress(OSError):
                os.unlink(tmp)
            raise
        self.fsync_dir(path.parent)
