"""What a listing decrypted, kept between runs for one user, encrypted.

Listing a compartment decrypts every record file's summary: about 0.15 s for
1,000 incidents, on every launch, before the home screen can show a row. A
running session already skips a file it has listed before when the file is
the same file, unchanged, and the audit log still vouches for the hash it had
(``Session.list_records``). This module keeps those findings between runs, so
that a launch decrypts only the files saved since the user last closed ydsi.

Why it can be trusted, and only so far:

* **The same test as within a session.** A row is used only when the file's
  identity (device, inode, size, mtime, ctime: a write or a rename over it
  changes them) is what it was when it was decrypted *and* the log, read now,
  still vouches for the hash it had then. A file rolled back, replaced,
  deleted or saved again since is decrypted and checked as if there were no
  cache; a summary is never believed for a file the log no longer vouches for.
* **Encrypted, and authenticated twice.** Summaries are pupil data, so the
  rows are AES-256-GCM encrypted under a key derived (HKDF) from the
  compartment's current data key, bound to the vault, the user, the
  compartment and that key's name. A key rotation therefore leaves an old
  cache unreadable and it is rebuilt. The file is also a :class:`CacheFile`
  beside the ledger's index (this account's private state directory, MACed
  under the account's own key), so a team member, who holds the same data
  key, still cannot plant one.
* **Never an error.** A missing, garbled, foreign or undecryptable cache is
  ignored and the listing decrypts every file, as it would with none.
* **Pruned.** It is rewritten at a session's close with only the records the
  last listing found on disk: a destroyed record's row goes with the next
  close of each user who had listed it (until then it is readable only with
  the compartment's key, like the record's own copies in backups).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from cryptography.exceptions import InvalidTag

from .crypto import hkdf, open_wrapped, wrap
from .index_cache import CacheFile

__all__ = ["ListingCache", "Row"]

#: (file identity, the hash its vouching save named, the decrypted summary).
Row = tuple[tuple[int, ...], str, dict[str, Any]]

_VERSION = b"ydsi listing v1"
_IDENTITY_FIELDS = 5
_HASH_CHARS = 64


class ListingCache:
    """One user's listings of one vault, one file per compartment."""

    def __init__(self, index_file: Path, vault_id: str, user_id: str) -> None:
        self._stem = index_file.name.removesuffix(".index")
        self._directory = index_file.parent
        self._vault_id = vault_id
        self._user_id = user_id

    def path(self, compartment: str) -> Path:
        """The compartment's cache file (tests, and anyone auditing the state directory)."""
        return self._directory / f"{self._stem}.{self._user_id}.{compartment}.listing"

    def _file(self, compartment: str) -> CacheFile:
        return CacheFile(self.path(compartment))

    def _aad(self, compartment: str, key_name: str) -> bytes:
        parts = (_VERSION.decode(), self._vault_id, self._user_id, compartment, key_name)
        return "|".join(parts).encode()

    def _key(self, compartment: str, data_key: bytes) -> bytes:
        info = _VERSION + b" " + compartment.encode()
        return hkdf(data_key, self._vault_id.encode(), info)

    def load(self, compartment: str, key_name: str, data_key: bytes) -> dict[str, Row]:
        """The rows kept under ``key_name``; {} for anything not made so by this user."""
        body, _why = self._file(compartment).read()
        if body is None:
            return {}
        named, newline, sealed = bytes(body).partition(b"\n")
        if not newline or named != key_name.encode():
            return {}  # another key's (a rotation since): rebuilt at the next close
        try:
            plain = open_wrapped(
                self._key(compartment, data_key), sealed, self._aad(compartment, key_name)
            )
            return _rows(json.loads(plain))
        except (InvalidTag, ValueError, TypeError, KeyError):
            return {}

    def save(
        self, compartment: str, key_name: str, data_key: bytes, rows: Mapping[str, Row]
    ) -> bool:
        """Replace the compartment's cache atomically; False where it cannot be written."""
        doc = {
            rid: [list(identity), digest, summary]
            for rid, (identity, digest, summary) in rows.items()
        }
        plain = json.dumps(doc, separators=(",", ":"), ensure_ascii=False).encode()
        sealed = wrap(self._key(compartment, data_key), plain, self._aad(compartment, key_name))
        return self._file(compartment).write(key_name.encode() + b"\n" + sealed)


def _rows(doc: Any) -> dict[str, Row]:
    """The rows of a decrypted cache, each of its shape; anything else is ValueError."""
    if not isinstance(doc, dict):
        raise ValueError("not a mapping")
    rows: dict[str, Row] = {}
    for record_id, row in doc.items():
        identity, digest, summary = row
        if (
            not isinstance(identity, list)
            or len(identity) != _IDENTITY_FIELDS
            or not all(type(part) is int for part in identity)
            or not isinstance(digest, str)
            or len(digest) != _HASH_CHARS
            or not isinstance(summary, dict)
        ):
            raise ValueError("a row of another shape")
        rows[record_id] = (tuple(identity), digest, summary)
    return rows
