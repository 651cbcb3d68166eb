"""Process hygiene while keys are in memory.

Python cannot reliably wipe ``bytes``; what it can do is keep keys out of core
dumps (``RLIMIT_CORE`` = 0), stop other processes of the same user from
attaching a debugger (``PR_SET_DUMPABLE`` = 0, Linux only; root is unaffected,
as SECURITY.md says), and make sure every file it creates is private from
birth (the umask), rather than chmod-ed after a window.
"""

from __future__ import annotations

import contextlib
import ctypes
import ctypes.util
import functools
import os
import resource
import sys

__all__ = ["harden_process", "set_umask"]

_PR_SET_DUMPABLE = 4


def set_umask(shared: bool) -> None:
    """077 for a private vault, 007 for a group vault."""
    os.umask(0o007 if shared else 0o077)


def harden_process() -> None:
    """Core dumps off, ptrace by same-user processes off. Idempotent."""
    with contextlib.suppress(ValueError, OSError):
        resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    if sys.platform.startswith("linux"):
        with contextlib.suppress(OSError, AttributeError):
            _libc().prctl(_PR_SET_DUMPABLE, 0, 0, 0, 0)


@functools.cache
def _libc() -> ctypes.CDLL:
    """Looked up once: ``find_library`` runs ``ldconfig -p`` in a child process
    (~3 ms), and every ``Vault.open`` (every verify) hardens the process."""
    return ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6", use_errno=True)
