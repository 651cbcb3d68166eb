"""The recovery code: printed once at ``ydsi init``, kept in the school safe.

It is random (140 bits), so it needs no memorising and survives any cheap
guess; it is typed rarely and by stressed people, so it uses Crockford's
base32 (no I/L/O/U confusion, case-insensitive), comes in groups of four, and
ends with a check group that catches a mistyped character before the slow
key derivation runs.
"""

from __future__ import annotations

import hashlib
import secrets

__all__ = ["format_code", "generate", "normalise"]

_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
_DATA_CHARS = 28
_CHECK_CHARS = 4
_CONFUSABLE = str.maketrans({"O": "0", "I": "1", "L": "1"})


def _check(data: str) -> str:
    digest = int.from_bytes(hashlib.sha256(b"ydsi recovery|" + data.encode()).digest()[:4], "big")
    out = ""
    for _ in range(_CHECK_CHARS):
        out += _ALPHABET[digest % 32]
        digest //= 32
    return out


def generate() -> str:
    """A new code, formatted for printing."""
    data = "".join(secrets.choice(_ALPHABET) for _ in range(_DATA_CHARS))
    return format_code(data + _check(data))


def format_code(raw: str) -> str:
    return "-".join(raw[i : i + 4] for i in range(0, len(raw), 4))


def normalise(typed: str) -> str:
    """The canonical code from what someone typed, or ValueError saying what is wrong."""
    raw = "".join(ch for ch in typed.upper() if ch not in " -\t").translate(_CONFUSABLE)
    if len(raw) != _DATA_CHARS + _CHECK_CHARS or any(ch not in _ALPHABET for ch in raw):
        raise ValueError("a recovery code is 32 characters in groups of four, e.g. ABCD-1234-...")
    if _check(raw[:_DATA_CHARS]) != raw[_DATA_CHARS:]:
        raise ValueError("that recovery code has a typing mistake (its check group does not match)")
    return format_code(raw)
