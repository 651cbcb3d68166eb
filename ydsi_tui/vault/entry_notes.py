"""What an audit entry says about a case, sealed so that only the case roles read it.

The audit log is plaintext: every group member reads it, and it must stay so
for everyone's ``verify`` to check the chain, signatures and roles. Most
entries name only opaque record ids, but a destruction entry used to carry the
incident's reference and its ``kept_until`` date, which for a pupil is their
date of birth plus 25 years: a technician learned both, forever (review M2).
Such details now travel as a *note* sealed with a key derived from the case
index key, which every case role holds and no technician does, and which is
never rotated (so a destruction recorded years ago stays readable to the DSL).
The note is bound to its record, so it cannot be moved to another entry.
"""

from __future__ import annotations

import json
from typing import Any

from cryptography.exceptions import InvalidTag

from .crypto import b64d, b64e, canonical_json, hkdf, open_wrapped, wrap

__all__ = ["open_note", "seal_note"]

_INFO = b"ydsi entry note v1"


def _key(index_key: bytes, vault_id: str) -> bytes:
    return hkdf(index_key, vault_id.encode("ascii"), _INFO)


def _aad(vault_id: str, comp: str, record_id: str) -> bytes:
    return b"ydsi entry note v1|" + canonical_json([vault_id, comp, record_id])


def seal_note(
    index_key: bytes, vault_id: str, comp: str, record_id: str, payload: dict[str, Any]
) -> str:
    blob = wrap(_key(index_key, vault_id), canonical_json(payload), _aad(vault_id, comp, record_id))
    return b64e(blob)


def open_note(
    index_key: bytes, vault_id: str, comp: str, record_id: str, sealed: object
) -> dict[str, Any] | None:
    """The note, or None when it is absent, altered or moved from another record."""
    if not isinstance(sealed, str):
        return None
    try:
        blob = b64d(sealed)
        plain = open_wrapped(_key(index_key, vault_id), blob, _aad(vault_id, comp, record_id))
        doc = json.loads(plain)
    except (InvalidTag, ValueError, UnicodeDecodeError):
        return None
    return doc if isinstance(doc, dict) else None
