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
import os
import secrets
import stat
from pathlib import Path

__all__ = ["TEMP_PREFIX", "FileSystem", "Modes"]

#: Temporary files start with this; the next open cleans up strays.
TEMP_PREFIX = ".tmp-"


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
        self.hook("read", str(path))
        fd = os.open(path, os.O_RDONLY | os.O_CLOEXEC | os.O_NOFOLLOW)
        try:
            chunks: list[bytes] = []
            while True:
                chunk = os.read(fd, 1 << 20)
                if not chunk:
                    break
                chunks.append(chunk)
            return b"".join(chunks)
        finally:
            os.close(fd)

    def read_tail(self, path: Path, size: int) -> tuple[int, bytes]:
        """Return (file length, the last ``size`` bytes): the audit log's head."""
        self.hook("read", str(path))
        fd = os.open(path, os.O_RDONLY | os.O_CLOEXEC | os.O_NOFOLLOW)
        try:
            length = os.fstat(fd).st_size
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
        fd = os.open(path, os.O_RDONLY | os.O_CLOEXEC | os.O_NOFOLLOW)
        try:
            length = os.fstat(fd).st_size
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
        fd = os.open(path, os.O_RDONLY | os.O_CLOEXEC | os.O_NOFOLLOW)
        try:
            return os.pread(fd, size, offset)
        finally:
            os.close(fd)

    def exists(self, path: Path) -> bool:
        return os.path.lexists(path)

    def listdir(self, path: Path) -> list[str]:
        self.hook("listdir", str(path))
        return os.listdir(path)

    def mode(self, path: Path) -> int:
        return stat.S_IMODE(os.lstat(path).st_mode)

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
