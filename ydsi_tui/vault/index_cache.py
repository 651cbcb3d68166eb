"""The ledger's index, kept between runs in this user's private state directory.

Parsing a 200,000-entry audit log takes seconds; every open did it. The
ledger (ledger.py) therefore keeps what it parsed in a file beside this
user's witness (``$XDG_STATE_HOME/ydsi/witness``, 0700), and the next open
parses only the log's new tail.

Why it can be trusted, and only so far:

* **Authenticated.** The file carries an HMAC-SHA256 under a random key
  (``index.key``) made once per account and readable by its owner only. A
  member of the vault's group cannot read that key, so a cache they plant or
  edit (one that vouches for a forged or rolled-back record file) fails the
  MAC and is ignored. The key file itself is used only when it is a regular
  file owned by this account with no group or other permission bits; a
  directory that is not this account's own turns caching off. The index
  holds nothing secret (every field is in the audit log, which the whole
  group can read), so a MAC, not encryption, is what it needs.
* **Bound to the log.** The MAC covers the vault id, the vault's place, the
  byte offset the index reached and the SHA-256 of every byte of the log up
  to there. At open the ledger hashes the log up to that offset again
  (about 0.2 s for 116 MB) and uses the cache only when the log still starts
  with exactly what it parsed: a log cut back, rewritten or forked is parsed
  again from the start.
* **Never an error.** A missing, garbled, foreign or unverifiable cache is
  ignored (the ledger says why in ``cache_status``) and rebuilt later.

Written atomically (O_EXCL temporary, fsync, rename), and only with entries
that can no longer be taken back (see :meth:`Ledger.persist`).
"""

from __future__ import annotations

import contextlib
import hashlib
import hmac
import os
import secrets
import stat
import sys
from pathlib import Path

from .witness import ensure_private_dir, state_dir

__all__ = ["CacheFile", "cache_path"]

#: The first line of a cache file; a Python with another marshal format writes another.
MAGIC = b"ydsi index v1 py%d.%d\n" % sys.version_info[:2]
_MAC_SIZE = 32
_KEY_NAME = "index.key"
_MAX_SIZE = 1 << 30
_NEW_FILE = os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_CLOEXEC | os.O_NOFOLLOW


def cache_path(vault_id: str, log_path: Path, directory: Path | None = None) -> Path:
    """Where this account keeps the index of one vault's log, opened at one place."""
    base = directory if directory is not None else state_dir() / "witness"
    where = hashlib.sha256(os.fsencode(log_path.parent.resolve())).hexdigest()[:16]
    return base / f"{vault_id}.{where}.index"


def _own_private(info: os.stat_result) -> bool:
    return info.st_uid == os.geteuid() and not info.st_mode & 0o077


class CacheFile:
    """One cache file and the account's MAC key: read, check, write. Never raises OSError."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.directory = path.parent
        self._key: bytes | None = None

    def _mac_key(self, *, create: bool) -> bytes | None:
        """The account's index key, made on first use; None where it cannot be trusted."""
        if self._key is not None:
            return self._key
        try:
            if create:
                ensure_private_dir(self.directory)
            if not _own_private(os.stat(self.directory, follow_symlinks=False)):
                return None
            key_path = self.directory / _KEY_NAME
            try:
                fd = os.open(key_path, os.O_RDONLY | os.O_NOFOLLOW | os.O_CLOEXEC)
            except FileNotFoundError:
                if not create:
                    return None
                self._make_key(key_path)
                fd = os.open(key_path, os.O_RDONLY | os.O_NOFOLLOW | os.O_CLOEXEC)
            try:
                info = os.fstat(fd)
                if not stat.S_ISREG(info.st_mode) or not _own_private(info):
                    return None
                key = os.read(fd, _MAC_SIZE + 1)
            finally:
                os.close(fd)
        except OSError:
            return None
        if len(key) != _MAC_SIZE:
            return None
        self._key = key
        return key

    def _make_key(self, key_path: Path) -> None:
        """Write a new key under a temporary name, then link it in: never half a key."""
        tmp = self.directory / f".{_KEY_NAME}.{secrets.token_hex(6)}"
        fd = os.open(tmp, _NEW_FILE, 0o600)
        try:
            os.write(fd, secrets.token_bytes(_MAC_SIZE))
            os.fsync(fd)
        finally:
            os.close(fd)
        try:
            with contextlib.suppress(FileExistsError):  # another of our programs won the race
                os.link(tmp, key_path)
        finally:
            os.unlink(tmp)

    def read(self) -> tuple[memoryview | None, str]:
        """(the authenticated body, "") or (None, why not: "none", "untrusted")."""
        key = self._mac_key(create=False)
        try:
            fd = os.open(self.path, os.O_RDONLY | os.O_NOFOLLOW | os.O_CLOEXEC)
        except FileNotFoundError:
            return None, "none"
        except OSError:
            return None, "untrusted"
        try:
            info = os.fstat(fd)
            if not stat.S_ISREG(info.st_mode) or info.st_size > _MAX_SIZE:
                return None, "untrusted"
            # One buffer, filled in place: the cache is tens of MB at 10,000 incidents.
            data = bytearray(info.st_size)
            view = memoryview(data)
            filled = 0
            while filled < len(data):
                got = os.readv(fd, [view[filled:]])
                if not got:
                    break
                filled += got
        except OSError:
            return None, "untrusted"
        finally:
            os.close(fd)
        head = len(MAGIC) + _MAC_SIZE
        if key is None or filled != len(data) or filled < head or not data.startswith(MAGIC):
            return None, "untrusted"
        mac = bytes(view[len(MAGIC) : head])
        body = view[head:]
        if not hmac.compare_digest(mac, hmac.digest(key, body, "sha256")):
            return None, "untrusted"
        return body, ""

    def write(self, body: bytes) -> bool:
        """Replace the cache atomically; False (nothing changed) where it cannot be written."""
        key = self._mac_key(create=True)
        if key is None:
            return False
        tmp = self.directory / f".{self.path.name}.{secrets.token_hex(6)}"
        try:
            fd = os.open(tmp, _NEW_FILE, 0o600)
        except OSError:
            return False
        try:
            try:
                for part in (MAGIC, hmac.digest(key, body, "sha256"), body):
                    view = memoryview(part)
                    while view:
                        view = view[os.write(fd, view) :]
                os.fsync(fd)
            finally:
                os.close(fd)
            os.replace(tmp, self.path)
        except OSError:
            with contextlib.suppress(OSError):
                os.unlink(tmp)
            return False
        return True
