"""File systems that fail, kill or photograph the process at a chosen primitive.

The vault routes every file operation through :class:`ydsi_tui.vault.fs.FileSystem`,
whose ``hook(op, path)`` runs before each primitive (read, listdir, mkdir, open,
write, fsync, truncate, rename, fsync_dir, unlink). Overriding ``hook`` lets a
test act at exactly the N-th primitive of a save, the way SQLite's test VFS
does:

* :class:`FaultyFileSystem` raises ``OSError`` (ENOSPC, EIO, EROFS...) there;
* :class:`KillingFileSystem` sends the process SIGKILL there (a real crash);
* :class:`SnapshotFileSystem` copies the vault directory there: the state a
  SIGKILL at that instant would leave (a killed process loses nothing it has
  already handed to the kernel, and its lock is released), so every crash
  point can be checked without paying for one process per point.

The N-th call is counted from the last :meth:`arm` (or :meth:`reset`), and only
over calls of ``op`` when one is given.
"""

from __future__ import annotations

import errno
import os
import shutil
import signal
from pathlib import Path

from ydsi_tui.vault.fs import FileSystem

__all__ = ["WRITE_OPS", "FaultyFileSystem", "KillingFileSystem", "SnapshotFileSystem"]

#: Primitives that change the disk (a read-only file system refuses these).
WRITE_OPS = frozenset(
    {"mkdir", "open", "write", "fsync", "truncate", "rename", "fsync_dir", "unlink"}
)


class CountingFileSystem(FileSystem):
    """Counts (and records) primitive calls since the last :meth:`reset`."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, str]] = []
        self.op: str | None = None
        self._eligible = 0

    def reset(self) -> None:
        self.calls = []
        self._eligible = 0

    @property
    def count(self) -> int:
        """Eligible calls seen since the last reset (all, or only ``op``)."""
        return self._eligible

    def hook(self, op: str, path: str) -> None:
        self.calls.append((op, path))
        if self.op is None or op == self.op:
            self._eligible += 1
            self.act(self._eligible, op, path)

    def act(self, n: int, op: str, path: str) -> None:
        """Called with the 1-based eligible call number; does nothing here."""


class FaultyFileSystem(CountingFileSystem):
    """Raises ``OSError(error)`` at the N-th eligible call (and after, if sticky)."""

    def __init__(
        self,
        fail_at: int | None = None,
        *,
        op: str | None = None,
        error: int = errno.EIO,
        sticky: bool = False,
        ops: frozenset[str] | None = None,
    ) -> None:
        super().__init__()
        self.fail_at = fail_at
        self.op = op
        self.error = error
        self.sticky = sticky
        self.only_ops = ops
        self.fired = 0

    def arm(
        self,
        fail_at: int | None,
        *,
        op: str | None = None,
        error: int = errno.EIO,
        sticky: bool = False,
        ops: frozenset[str] | None = None,
    ) -> None:
        """Start counting afresh and fail at call ``fail_at`` (None: never)."""
        self.reset()
        self.fail_at = fail_at
        self.op = op
        self.error = error
        self.sticky = sticky
        self.only_ops = ops
        self.fired = 0

    def disarm(self) -> None:
        self.fail_at = None
        self.only_ops = None

    def act(self, n: int, op: str, path: str) -> None:
        if self.only_ops is not None:
            if op in self.only_ops:
                self.fired += 1
                raise OSError(self.error, os.strerror(self.error), path)
            return
        if self.fail_at is None:
            return
        if n == self.fail_at or (self.sticky and n > self.fail_at):
            self.fired += 1
            raise OSError(self.error, os.strerror(self.error), path)


class KillingFileSystem(CountingFileSystem):
    """SIGKILLs its own process just before the N-th eligible primitive."""

    def __init__(self, kill_at: int | None = None) -> None:
        super().__init__()
        self.kill_at = kill_at

    def act(self, n: int, op: str, path: str) -> None:
        if self.kill_at is not None and n == self.kill_at:
            os.kill(os.getpid(), signal.SIGKILL)


class SnapshotFileSystem(CountingFileSystem):
    """Copies ``vault`` to ``out/<n>`` just before each primitive while armed."""

    def __init__(self, vault: Path, out: Path, *, before: frozenset[str] | None = None) -> None:
        """``before``: photograph only before these ops (e.g. ``WRITE_OPS``: the
        disk changes only at writes, so a crash just before a read leaves the
        same state as a crash just before the next write)."""
        super().__init__()
        self.vault = Path(vault)
        self.out = Path(out)
        self.before = before
        self.armed = False
        self.snapshots: list[tuple[int, str, str, Path]] = []

    def arm(self) -> None:
        self.reset()
        self.snapshots = []
        self.armed = True

    def disarm(self) -> None:
        self.armed = False

    def act(self, n: int, op: str, path: str) -> None:
        if not self.armed or (self.before is not None and op not in self.before):
            return
        self.take(n, op, path)

    def take(self, n: int, op: str, path: str) -> Path:
        dst = self.out / f"{n:04d}"
        shutil.copytree(self.vault, dst, symlinks=True)
        self.snapshots.append((n, op, path, dst))
        return dst
