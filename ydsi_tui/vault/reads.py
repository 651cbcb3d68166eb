"""What reading the vault hands back: a record as read, a listing line, who signed a save.

Plain frozen dataclasses, with no behaviour and no keys, so that the layers
above (the service, reports) and the record storage below the session can
name them without importing :mod:`ydsi_tui.vault.session`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from .crypto import b64d
from .ledger import Author, Write
from .recordfile import RecordHeader

__all__ = ["Decoded", "Listed", "Signer", "Snapshot", "decode_signature"]


@dataclass(frozen=True)
class Snapshot:
    """One record as read: its tables, its generation and the hash of its file.

    ``authors`` says, per table and document id, whose signed save added each
    document: the only trustworthy answer to "who wrote this entry".
    """

    record_id: str
    tables: dict[str, dict[str, Any]]
    generation: int
    file_hash: str
    authors: dict[str, dict[str, Author]] = field(default_factory=dict)


@dataclass(frozen=True)
class Decoded:
    """A record file the audit log vouches for, decrypted."""

    header: RecordHeader
    summary: dict[str, Any]
    body: dict[str, Any] | None
    vouching: Write
    authors: dict[str, dict[str, Author]]


@dataclass(frozen=True)
class Signer:
    """Who signed a save, as the vault header lists them (for display and sign-offs)."""

    user_id: str
    name: str
    full_name: str
    role: str
    key_id: str
    #: The key was made by its owner, not generated for them by a DSL.
    owner_made: bool
    public: bytes


@dataclass(frozen=True)
class Listed:
    """One line of a listing: a record's summary, or why it could not be read."""

    record_id: str
    summary: dict[str, Any] | None
    error: str | None = None
    #: The role of whoever signed the save that vouches for the file ("": unknown).
    #: A summary is its saver's word; a list may trust some of it only from a role.
    saved_by_role: str = ""


def decode_signature(text: str) -> bytes:
    """Signatures travel as base64 in records; refuse anything that is not 64 bytes."""
    return b64d(text, length=64)
