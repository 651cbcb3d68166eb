"""The encrypted record file (``*.ydsr``): one incident or one device per file.

Layout (all integers big-endian)::

    b"YDSR" | version:u8 | header_len:u16 | header (canonical JSON)
            | summary_len:u32 | summary ciphertext
            | body_len:u32    | body ciphertext

The header names the vault, compartment, record id, data-key epoch, a
generation counter and a fresh 32-byte salt. A one-time key is derived from
the data key and that salt (HKDF), so no nonce is ever reused; the header is
the associated data of both segments, so moving a file to another record's
name, another compartment or another vault fails authentication.

Why two segments: the home screen lists every incident. Decrypting and parsing
only the small summary keeps listing 10,000 incidents well under a second,
while the body (the timeline) is read only when an incident is opened.
"""

from __future__ import annotations

import json
import struct
from dataclasses import dataclass
from typing import Any

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from .crypto import b64d, b64e, canonical_json, hkdf, random_key
from .errors import DamagedFile, NewerFormat

__all__ = [
    "RECORD_SUFFIX",
    "RECORD_VERSION",
    "Parsed",
    "RecordHeader",
    "decode",
    "decode_parsed",
    "encode",
    "parse",
    "peek",
]

MAGIC = b"YDSR"
RECORD_VERSION = 1
RECORD_SUFFIX = ".ydsr"
MAX_HEADER = 4096
MAX_SEGMENT = 64 * 1024 * 1024
_PAD = 512
_SUMMARY_NONCE = bytes(11) + b"\x01"
_BODY_NONCE = bytes(11) + b"\x02"


@dataclass(frozen=True)
class RecordHeader:
    """What a record file says about itself, readable without any key."""

    vault_id: str
    compartment: str
    record_id: str
    key_name: str
    generation: int
    salt: bytes

    def to_bytes(self) -> bytes:
        return canonical_json(
            {
                "vault": self.vault_id,
                "comp": self.compartment,
                "rec": self.record_id,
                "key": self.key_name,
                "gen": self.generation,
                "salt": b64e(self.salt),
            }
        )


def _prefix(header: bytes) -> bytes:
    return MAGIC + bytes([RECORD_VERSION]) + struct.pack(">H", len(header)) + header


def _segment_key(data_key: bytes, header: RecordHeader, prefix: bytes) -> bytes:
    return hkdf(data_key, header.salt, b"ydsi record v1|" + prefix)


def padded_size(length: int) -> int:
    """The bucket a plaintext of ``length`` bytes is padded to.

    Whoever can list the vault (every group member) sees file sizes, and a
    record's size grows with its story: how many notes, how long. Sizes are
    therefore rounded up to one of a few buckets: multiples of 512 bytes up
    to 4 KiB, then eight steps per doubling (at most 12.5% of padding), so a
    size tells the order of magnitude and little more.
    """
    if length <= 4096:
        return max(_PAD, -(-length // _PAD) * _PAD)
    step = 1 << (length.bit_length() - 4)
    return -(-length // step) * step


def _pad(plaintext: bytes) -> bytes:
    """JSON ignores trailing spaces, so padding needs no length field and old readers cope."""
    return plaintext + b" " * (padded_size(len(plaintext)) - len(plaintext))


def encode(
    *,
    vault_id: str,
    compartment: str,
    record_id: str,
    key_name: str,
    data_key: bytes,
    generation: int,
    summary: dict[str, Any],
    body: dict[str, Any],
) -> bytes:
    header = RecordHeader(vault_id, compartment, record_id, key_name, generation, random_key())
    prefix = _prefix(header.to_bytes())
    aead = AESGCM(_segment_key(data_key, header, prefix))
    summary_ct = aead.encrypt(_SUMMARY_NONCE, _pad(_dumps(summary)), prefix + b"|summary")
    body_ct = aead.encrypt(_BODY_NONCE, _pad(_dumps(body)), prefix + b"|body")
    return b"".join(
        [
            prefix,
            struct.pack(">I", len(summary_ct)),
            summary_ct,
            struct.pack(">I", len(body_ct)),
            body_ct,
        ]
    )


def _dumps(value: dict[str, Any]) -> bytes:
    # ensure_ascii keeps any Unicode (and any control character) as an escape,
    # so what was typed round-trips exactly whatever it contains.
    return json.dumps(value, separators=(",", ":"), ensure_ascii=True).encode("ascii")


@dataclass(frozen=True)
class Parsed:
    """A record file split into its parts; nothing authenticated yet."""

    header: RecordHeader
    prefix: bytes
    summary_ct: bytes
    body_ct: bytes


#: The last file parsed and its parts: a read checks the format, then decodes
#: the same bytes (two parses per record were a sixth of listing 10,000). The
#: memo holds the bytes object itself, so ``is`` cannot match another.
_LAST_PARSED: tuple[bytes, str, Parsed] | None = None


def parse(data: bytes, path: str) -> Parsed:
    global _LAST_PARSED
    last = _LAST_PARSED
    if last is not None and last[0] is data and last[1] == path:
        return last[2]
    parsed = _parse(data, path)
    _LAST_PARSED = (data, path, parsed)
    return parsed


def _parse(data: bytes, path: str) -> Parsed:
    if len(data) < 7 or data[:4] != MAGIC:
        raise DamagedFile(path, "not a ydsi record file (damaged or truncated)")
    if data[4] > RECORD_VERSION:
        raise NewerFormat(
            f"{path}: written by a newer ydsi (record format {data[4]}): upgrade ydsi"
        )
    if data[4] != RECORD_VERSION:
        raise DamagedFile(path, "unknown record format")
    (header_len,) = struct.unpack(">H", data[5:7])
    if header_len > MAX_HEADER or len(data) < 7 + header_len + 4:
        raise DamagedFile(path, "record file is truncated or damaged")
    raw = data[7 : 7 + header_len]
    try:
        doc = json.loads(raw.decode("ascii"))
        header = RecordHeader(
            vault_id=_text(doc["vault"]),
            compartment=_text(doc["comp"]),
            record_id=_text(doc["rec"]),
            key_name=_text(doc["key"]),
            generation=_count(doc["gen"]),
            salt=b64d(doc["salt"], length=32),
        )
    except (UnicodeDecodeError, ValueError, KeyError, TypeError) as exc:
        raise DamagedFile(path, "record header is damaged") from exc
    if header.to_bytes() != raw:
        raise DamagedFile(path, "record header is not in canonical form (altered)")
    offset = 7 + header_len
    segments: list[bytes] = []
    for _ in range(2):
        if len(data) < offset + 4:
            raise DamagedFile(path, "record file is truncated")
        (length,) = struct.unpack(">I", data[offset : offset + 4])
        offset += 4
        if length > MAX_SEGMENT or len(data) < offset + length:
            raise DamagedFile(path, "record file is truncated")
        segments.append(data[offset : offset + length])
        offset += length
    if offset != len(data):
        raise DamagedFile(path, "record file has unexpected trailing data")
    return Parsed(header, data[: 7 + header_len], segments[0], segments[1])


def peek(data: bytes, path: str) -> RecordHeader:
    """The header alone, checked for shape but not authenticated (needs no key)."""
    return parse(data, path).header


def decode(
    data: bytes,
    path: str,
    *,
    vault_id: str,
    compartment: str,
    record_id: str,
    keys: dict[str, bytes],
    body: bool = True,
) -> tuple[RecordHeader, dict[str, Any], dict[str, Any] | None]:
    """Authenticate and decrypt; any change to any byte raises :class:`DamagedFile`.

    Nothing is returned unless every requested segment authenticated, so
    altered data is never shown as if it were genuine.
    """
    return decode_parsed(
        parse(data, path),
        path,
        vault_id=vault_id,
        compartment=compartment,
        record_id=record_id,
        keys=keys,
        body=body,
    )


def decode_parsed(
    parsed: Parsed,
    path: str,
    *,
    vault_id: str,
    compartment: str,
    record_id: str,
    keys: dict[str, bytes],
    body: bool = True,
) -> tuple[RecordHeader, dict[str, Any], dict[str, Any] | None]:
    """:func:`decode` for a file already split by :func:`parse` (listing parses once)."""
    header = parsed.header
    if (header.vault_id, header.compartment, header.record_id) != (
        vault_id,
        compartment,
        record_id,
    ):
        raise DamagedFile(path, "this file belongs to another record (moved or swapped)")
    data_key = keys.get(header.key_name)
    if data_key is None:
        raise DamagedFile(
            path, f"encrypted with a key this vault does not hold ({header.key_name})"
        )
    aead = AESGCM(_segment_key(data_key, header, parsed.prefix))
    try:
        summary = _loads(
            aead.decrypt(_SUMMARY_NONCE, parsed.summary_ct, parsed.prefix + b"|summary")
        )
        full = (
            _loads(aead.decrypt(_BODY_NONCE, parsed.body_ct, parsed.prefix + b"|body"))
            if body
            else None
        )
    except InvalidTag as exc:
        raise DamagedFile(path, "failed its integrity check: damaged or tampered with") from exc
    except ValueError as exc:
        raise DamagedFile(path, "decrypted to something unreadable") from exc
    return header, summary, full


def _loads(data: bytes) -> dict[str, Any]:
    value = json.loads(data.decode("ascii"))
    if not isinstance(value, dict):
        raise ValueError("expected an object")
    return value


def _text(value: Any) -> str:
    if not isinstance(value, str) or len(value) > 64:
        raise TypeError("expected short text")
    return value


def _count(value: Any) -> int:
    if not isinstance(value, int) or isinstance(value, bool) or value < 0:
        raise TypeError("expected a count")
    return value
