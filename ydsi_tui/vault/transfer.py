"""The transfer file: one pupil's records, encrypted to a passphrase, for their next school.

The receiving school has no key of ours, so the file is encrypted to a
passphrase the sending DSL gives the receiving DSL separately (by phone, not
in the email that carries the file). Nothing new is invented:

* **Argon2id** turns the passphrase into a 256-bit key, at the vault's own
  settings and never below the floor every vault reader enforces (64 MiB,
  3 passes), so a stolen file is as slow to guess as a stolen vault;
* **AES-256-GCM** encrypts the contents, with everything in the envelope
  (format, version, transfer id, creation time, KDF settings) as associated
  data, so no part of it can be changed or swapped without detection.

The envelope is a small JSON document whose ``about`` says how to open it
(``ydsi transfer open FILE --output DIR``); the documented format also lets
a school without ydsi decrypt it with any Argon2id and AES-GCM library.
"""

from __future__ import annotations

import json
import secrets
from dataclasses import dataclass
from typing import Any

from cryptography.exceptions import InvalidTag

from .crypto import KdfParams, b64d, b64e, canonical_json, derive_kek, open_wrapped, wrap
from .errors import DamagedFile, NewerFormat, WrongPassphrase
from .keys import check_passphrase

__all__ = [
    "TRANSFER_FORMAT",
    "OpenedTransfer",
    "generate_passphrase",
    "open_transfer",
    "peek_transfer",
    "seal_transfer",
]

TRANSFER_FORMAT = "ydsi-transfer"
TRANSFER_VERSION = 1
MAX_TRANSFER_BYTES = 256 * 1024 * 1024
ABOUT = (
    "Safeguarding records of one pupil, encrypted (Argon2id + AES-256-GCM). The passphrase "
    "is given separately by the sending school's DSL. Open with: ydsi transfer open FILE "
    "--output DIR"
)
_ALPHABET = "23456789ABCDEFGHJKMNPQRSTVWXYZ"  # no 0/O, 1/I/L, U: read out over the phone
_GROUPS, _GROUP_LEN = 6, 4


def generate_passphrase() -> str:
    """A random passphrase to read out over the phone: six groups of four (about 118 bits)."""
    return "-".join(
        "".join(secrets.choice(_ALPHABET) for _ in range(_GROUP_LEN)) for _ in range(_GROUPS)
    )


def _normalise(passphrase: str) -> str:
    """Generated passphrases are accepted in any case and with or without spaces."""
    stripped = passphrase.strip()
    compact = stripped.replace(" ", "").replace("-", "").upper()
    if len(compact) == _GROUPS * _GROUP_LEN and all(ch in _ALPHABET for ch in compact):
        return "-".join(compact[i : i + _GROUP_LEN] for i in range(0, len(compact), _GROUP_LEN))
    return passphrase


@dataclass(frozen=True)
class OpenedTransfer:
    """A decrypted transfer file."""

    transfer_id: str
    created_at: str
    plaintext: bytes


def _envelope(transfer_id: str, created_at: str, kdf: KdfParams) -> dict[str, Any]:
    return {
        "format": TRANSFER_FORMAT,
        "version": TRANSFER_VERSION,
        "about": ABOUT,
        "transfer_id": transfer_id,
        "created_at": created_at,
        "kdf": kdf.to_doc(),
        "cipher": "AES-256-GCM",
    }


def _aad(envelope: dict[str, Any]) -> bytes:
    """Every field of the envelope, exactly as stored, is authenticated."""
    try:
        return b"ydsi transfer v1|" + canonical_json(envelope)
    except (TypeError, ValueError):
        raise DamagedFile("transfer file", "the envelope holds values JSON cannot") from None


def seal_transfer(
    plaintext: bytes, passphrase: str, *, kdf: KdfParams, transfer_id: str, created_at: str
) -> bytes:
    """The transfer file's bytes: the envelope and the ciphertext, as JSON."""
    check_passphrase(passphrase)
    kdf.check()
    envelope = _envelope(transfer_id, created_at, kdf)
    key = derive_kek(_normalise(passphrase), kdf)
    blob = wrap(key, plaintext, _aad(envelope))
    doc = {**envelope, "ciphertext": b64e(blob)}
    return json.dumps(doc, indent=1, sort_keys=True).encode("ascii") + b"\n"


def peek_transfer(data: bytes, name: str = "transfer file") -> dict[str, Any]:
    """The envelope, checked, without decrypting (no passphrase needed)."""
    if len(data) > MAX_TRANSFER_BYTES:
        raise DamagedFile(name, "too large to be a transfer file")
    try:
        doc = json.loads(data.decode("ascii"))
    except (UnicodeDecodeError, ValueError):
        raise DamagedFile(name, "not a ydsi transfer file (it is not the expected JSON)") from None
    if not isinstance(doc, dict) or doc.get("format") != TRANSFER_FORMAT:
        raise DamagedFile(name, "not a ydsi transfer file")
    version = doc.get("version")
    if not isinstance(version, int) or isinstance(version, bool):
        raise DamagedFile(name, "the transfer file has no valid version")
    if version > TRANSFER_VERSION:
        raise NewerFormat(f"{name} was written by a newer version of ydsi: upgrade to open it")
    for key in ("transfer_id", "created_at", "ciphertext"):
        if not isinstance(doc.get(key), str):
            raise DamagedFile(name, f"the transfer file's {key} is missing or damaged")
    return doc


def open_transfer(data: bytes, passphrase: str, name: str = "transfer file") -> OpenedTransfer:
    """Decrypt a transfer file; a wrong passphrase and an altered file are told apart
    only as far as AES-GCM allows (both fail authentication), so the message says both."""
    doc = peek_transfer(data, name)
    try:
        kdf = KdfParams.from_doc(doc.get("kdf"))
        blob = b64d(doc["ciphertext"])
    except ValueError as exc:
        raise DamagedFile(name, f"the transfer file is damaged ({exc})") from None
    envelope = {k: v for k, v in doc.items() if k != "ciphertext"}
    key = derive_kek(_normalise(passphrase), kdf)
    try:
        plaintext = open_wrapped(key, blob, _aad(envelope))
    except InvalidTag:
        raise WrongPassphrase(
            f"{name}: the passphrase does not open it (check it with the sending DSL), "
            "or the file was altered on the way"
        ) from None
    return OpenedTransfer(str(doc["transfer_id"]), str(doc["created_at"]), plaintext)
