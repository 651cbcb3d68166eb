"""Cryptographic building blocks, all from the ``cryptography`` package.

Choices, and why:

* **Argon2id** turns a passphrase into a key-encryption key. It is memory-hard,
  so a stolen backup cannot be guessed at GPU speed. Its parameters live in the
  vault header so they can be raised later; a reader refuses values below the
  floor (a downgrade) and absurdly high ones (a planted stall).
* **AES-256-GCM** is the AEAD for everything. Record files use a fresh key per
  save (HKDF from the data key and a random salt), so nonce reuse is impossible
  however many saves a vault sees.
* **X25519 sealing** (an ephemeral-static Diffie-Hellman, HKDF, AES-GCM) lets a
  DSL hand a new data key to every other user and to the recovery slot without
  knowing their passphrases: that is what makes key rotation possible.
* **Ed25519** signs audit entries, sign-offs and the vault header, because
  holding a shared data key proves nothing about *who* wrote something.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import os
import unicodedata
from dataclasses import dataclass
from typing import Any

from cryptography.exceptions import InvalidSignature, InvalidTag
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import (
    Ed25519PrivateKey,
    Ed25519PublicKey,
)
from cryptography.hazmat.primitives.asymmetric.x25519 import (
    X25519PrivateKey,
    X25519PublicKey,
)
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.argon2 import Argon2id
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from .errors import WeakSettings

__all__ = [
    "KEY_BYTES",
    "KdfParams",
    "b64d",
    "b64e",
    "canonical_json",
    "derive_kek",
    "ed25519_public_bytes",
    "hkdf",
    "open_wrapped",
    "random_key",
    "seal",
    "sha256_hex",
    "sign",
    "unseal",
    "verify_signature",
    "wrap",
    "x25519_public_bytes",
]

KEY_BYTES = 32
NONCE_BYTES = 12
TAG_BYTES = 16
SALT_BYTES = 16

# Argon2id bounds. The floor follows RFC 9106's "second recommended" option;
# the ceiling stops a tampered header from making every unlock take minutes
# or exhaust the server's memory.
MIN_MEMORY_KIB = 64 * 1024
MIN_ITERATIONS = 3
MAX_MEMORY_KIB = 2 * 1024 * 1024
MAX_ITERATIONS = 10
MAX_LANES = 16
DEFAULT_MEMORY_KIB = 256 * 1024
DEFAULT_ITERATIONS = 3
DEFAULT_LANES = 4


#: The encoder ``json.dumps`` would build with these arguments, built once:
#: dumps makes a new one per call, which was half the cost of hashing a
#: record's history (one call per document, at every load and save). Same
#: class, same arguments, so the bytes are exactly those of ``json.dumps``.
_CANONICAL = json.JSONEncoder(sort_keys=True, separators=(",", ":"), ensure_ascii=True)


def canonical_json(value: Any) -> bytes:
    """One byte string per value: sorted keys, no spaces, ASCII only.

    Everything that is hashed or signed goes through here, so that the same
    value always gives the same bytes on every machine and in every decade.
    """
    return _CANONICAL.encode(value).encode("ascii")


def b64e(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def b64d(text: object, *, length: int | None = None) -> bytes:
    """Strict base64 decode; checks the exact length before any crypto runs."""
    if not isinstance(text, str):
        raise ValueError("expected base64 text")
    try:
        data = base64.b64decode(text.encode("ascii"), validate=True)
    except (binascii.Error, UnicodeEncodeError) as exc:
        raise ValueError("invalid base64") from exc
    if length is not None and len(data) != length:
        raise ValueError(f"expected {length} bytes, found {len(data)}")
    return data


def sha256_hex(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def random_key() -> bytes:
    return os.urandom(KEY_BYTES)


@dataclass(frozen=True)
class KdfParams:
    """Argon2id settings for one key slot (salt included)."""

    memory_kib: int
    iterations: int
    lanes: int
    salt: bytes

    @classmethod
    def new(
        cls,
        memory_kib: int = DEFAULT_MEMORY_KIB,
        iterations: int = DEFAULT_ITERATIONS,
        lanes: int = DEFAULT_LANES,
    ) -> KdfParams:
        params = cls(memory_kib, iterations, lanes, os.urandom(SALT_BYTES))
        params.check()
        return params

    def fresh(self) -> KdfParams:
        """The same cost with a new salt (every re-wrap gets its own salt)."""
        return KdfParams.new(self.memory_kib, self.iterations, self.lanes)

    def check(self) -> None:
        """Refuse a downgrade below the floor and a planted stall above the cap."""
        if self.memory_kib < MIN_MEMORY_KIB or self.iterations < MIN_ITERATIONS:
            raise WeakSettings(
                f"key-derivation settings below the minimum ({MIN_MEMORY_KIB // 1024} MiB "
                f"and {MIN_ITERATIONS} passes): refusing them"
            )
        if self.memory_kib > MAX_MEMORY_KIB or self.iterations > MAX_ITERATIONS:
            raise WeakSettings(
                f"key-derivation settings above the maximum ({MAX_MEMORY_KIB // 1024} MiB "
                f"and {MAX_ITERATIONS} passes): refusing them as a likely stall"
            )
        if not 1 <= self.lanes <= MAX_LANES:
            raise WeakSettings(f"key-derivation lanes must be 1 to {MAX_LANES}")
        if len(self.salt) != SALT_BYTES:
            raise WeakSettings("key-derivation salt has the wrong length")

    def to_doc(self) -> dict[str, Any]:
        return {
            "alg": "argon2id",
            "memory_kib": self.memory_kib,
            "iterations": self.iterations,
            "lanes": self.lanes,
            "salt": b64e(self.salt),
        }

    @classmethod
    def from_doc(cls, doc: object) -> KdfParams:
        if not isinstance(doc, dict) or doc.get("alg") != "argon2id":
            raise ValueError("unknown key-derivation algorithm")
        values = [doc.get("memory_kib"), doc.get("iterations"), doc.get("lanes")]
        if not all(isinstance(v, int) and not isinstance(v, bool) for v in values):
            raise ValueError("key-derivation settings must be whole numbers")
        params = cls(
            int(doc["memory_kib"]),
            int(doc["iterations"]),
            int(doc["lanes"]),
            b64d(doc.get("salt"), length=SALT_BYTES),
        )
        params.check()
        return params


def normalise_passphrase(passphrase: str) -> bytes:
    """NFC, so that the same passphrase typed on a Mac and in PuTTY matches."""
    return unicodedata.normalize("NFC", passphrase).encode("utf-8")


def derive_kek(passphrase: str, params: KdfParams) -> bytes:
    """The slow step: one Argon2id run per unlock attempt, never skipped."""
    params.check()
    return Argon2id(
        salt=params.salt,
        length=KEY_BYTES,
        iterations=params.iterations,
        lanes=params.lanes,
        memory_cost=params.memory_kib,
    ).derive(normalise_passphrase(passphrase))


def hkdf(key: bytes, salt: bytes, info: bytes, length: int = KEY_BYTES) -> bytes:
    return HKDF(algorithm=hashes.SHA256(), length=length, salt=salt, info=info).derive(key)


def wrap(key: bytes, plaintext: bytes, aad: bytes) -> bytes:
    """AES-256-GCM with a random nonce: nonce || ciphertext || tag."""
    nonce = os.urandom(NONCE_BYTES)
    return nonce + AESGCM(key).encrypt(nonce, plaintext, aad)


def open_wrapped(key: bytes, blob: bytes, aad: bytes) -> bytes:
    """Inverse of :func:`wrap`; raises ``InvalidTag`` on any change."""
    if len(blob) < NONCE_BYTES + TAG_BYTES:
        raise InvalidTag()
    return AESGCM(key).decrypt(blob[:NONCE_BYTES], blob[NONCE_BYTES:], aad)


def _seal_key(shared: bytes, ephemeral: bytes, recipient: bytes, context: bytes) -> bytes:
    return hkdf(shared, ephemeral + recipient, b"ydsi seal v1|" + context)


def seal(recipient: bytes, plaintext: bytes, context: bytes) -> bytes:
    """Encrypt to an X25519 public key: ephemeral public key || nonce || ct.

    ``context`` names what is sealed and for whom; it is bound into both the
    key derivation and the AEAD, so a sealed blob cannot be moved elsewhere.
    """
    ephemeral = X25519PrivateKey.generate()
    ephemeral_public = x25519_public_bytes(ephemeral)
    shared = ephemeral.exchange(X25519PublicKey.from_public_bytes(recipient))
    key = _seal_key(shared, ephemeral_public, recipient, context)
    return ephemeral_public + wrap(key, plaintext, context)


def unseal(private: X25519PrivateKey, blob: bytes, context: bytes) -> bytes:
    if len(blob) < KEY_BYTES + NONCE_BYTES + TAG_BYTES:
        raise InvalidTag()
    ephemeral_public = blob[:KEY_BYTES]
    shared = private.exchange(X25519PublicKey.from_public_bytes(ephemeral_public))
    key = _seal_key(shared, ephemeral_public, x25519_public_bytes(private), context)
    return open_wrapped(key, blob[KEY_BYTES:], context)


def x25519_public_bytes(private: X25519PrivateKey) -> bytes:
    return private.public_key().public_bytes(
        serialization.Encoding.Raw, serialization.PublicFormat.Raw
    )


def ed25519_public_bytes(private: Ed25519PrivateKey) -> bytes:
    return private.public_key().public_bytes(
        serialization.Encoding.Raw, serialization.PublicFormat.Raw
    )


def private_bytes(private: Ed25519PrivateKey | X25519PrivateKey) -> bytes:
    return private.private_bytes(
        serialization.Encoding.Raw,
        serialization.PrivateFormat.Raw,
        serialization.NoEncryption(),
    )


def sign(private: Ed25519PrivateKey, message: bytes) -> bytes:
    return private.sign(message)


def verify_signature(public: bytes, signature: bytes, message: bytes) -> bool:
    """True only for a valid signature; malformed keys count as invalid."""
    try:
        Ed25519PublicKey.from_public_bytes(public).verify(signature, message)
    except (InvalidSignature, ValueError):
        return False
    return True
