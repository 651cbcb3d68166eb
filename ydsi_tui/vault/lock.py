"""One lock per vault, across processes and threads, around every write.

``fcntl.flock`` on the vault directory itself, opened ``O_DIRECTORY``:
advisory, released by the kernel when a process dies (so a killed session
never wedges the vault), and taken on a read-only descriptor, so every member
of a shared vault's group can take it. Format 1 locked a ``.lock`` file
inside the directory, which any group member could rename a new file over:
two writers then each held a lock on a different inode and acknowledged
saves were lost. Nobody can swap the directory without write access to its
parent, which is why the parent must not be group-writable (``verify``
warns). Inside one process a re-entrant thread lock guards the descriptor,
because Textual thread workers may overlap and ``flock`` does not serialise
threads that share a descriptor.
"""

from __future__ import annotations

import fcntl
import os
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from .errors import VaultBusy

__all__ = ["LOCK_NAME", "VaultLock"]

LOCK_NAME = ".lock"


class VaultLock:
    """Re-entrant exclusive lock; waits up to ``timeout`` seconds, then gives up clearly."""

    def __init__(self, path: Path, timeout: float = 15.0) -> None:
        self.path = path
        self.timeout = timeout
        #: Called once each time the lock is found held by someone else, before
        #: waiting: an unattended backup says so in its log (cron mails it).
        self.on_wait: Callable[[], None] | None = None
        self._thread_lock = threading.RLock()
        self._depth = 0
        self._fd: int | None = None

    @property
    def held(self) -> bool:
        """True when this thread holds the lock (the storage asserts it before writing)."""
        if not self._thread_lock.acquire(blocking=False):
            return False
        try:
            return self._depth > 0
        finally:
            self._thread_lock.release()

    @contextmanager
    def __call__(self) -> Iterator[None]:
        if not self._thread_lock.acquire(timeout=self.timeout):
            raise VaultBusy("the vault is busy in this program; try again in a moment")
        try:
            if self._depth == 0:
                self._acquire_file()
            self._depth += 1
            try:
                yield
            finally:
                self._depth -= 1
                if self._depth == 0:
                    self._release_file()
        finally:
            self._thread_lock.release()

    def _acquire_file(self) -> None:
        flags = os.O_RDONLY | os.O_CLOEXEC | os.O_NOFOLLOW
        if self.path.is_dir():
            flags |= os.O_DIRECTORY
        fd = os.open(self.path, flags)
        deadline = time.monotonic() + self.timeout
        delay = 0.002
        told = False
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if not told and self.on_wait is not None:
                    told = True
                    self.on_wait()
                if time.monotonic() >= deadline:
                    os.close(fd)
                    raise VaultBusy(
                        f"another user has held the vault's lock for over {self.timeout:.0f} s; "
                        "nothing was changed: try again"
                    ) from None
                time.sleep(delay)
                delay = min(delay * 2, 0.05)
        self._fd = fd

    def _release_file(self) -> None:
        if self._fd is not None:
            fd, self._fd = self._fd, None
            fcntl.flock(fd, fcntl.LOCK_UN)
            os.close(fd)
