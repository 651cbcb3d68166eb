"""Key slots and key handling: who holds which key, and how it reaches them.

Every user (and the recovery code) owns two key pairs: an X25519 "box" pair,
to which data keys are sealed, and an Ed25519 pair they sign with. Their two
private keys are wrapped under their passphrase in a slot. So:

* unlocking = one Argon2id run, unwrap the slot, unseal the data keys;
* changing a passphrase = re-wrap the slot (no record is touched);
* rotating a data key = seal the new key to every remaining user's *public*
  box key (no passphrase needed), then re-encrypt the records.

Key names: ``case:N`` and ``custody:N`` are data keys of epoch N;
``index:case``/``index:custody`` key the opaque record ids; ``authority:N`` is
the vault authority's signing key (DSLs and recovery only).
"""

from __future__ import annotations

import json
from dataclasses import dataclass

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey

from .crypto import (
    KdfParams,
    b64d,
    b64e,
    canonical_json,
    derive_kek,
    ed25519_public_bytes,
    open_wrapped,
    private_bytes,
    seal,
    sign,
    unseal,
    wrap,
    x25519_public_bytes,
)
from .errors import DamagedFile, VaultError, WrongPassphrase
from .header import (
    AUTHORITY_ROLES,
    HEADER_NAME,
    ROLE_COMPARTMENTS,
    Header,
    sealed_context,
    slot_aad,
)

__all__ = [
    "Identity",
    "check_passphrase",
    "keys_for_role",
    "open_slot",
    "seal_keys",
    "sign_header",
    "wrap_slot",
]


@dataclass
class Identity:
    """A user's (or the recovery code's) private keys, held while unlocked."""

    owner_id: str
    box: X25519PrivateKey
    sign: Ed25519PrivateKey
    sign_key_id: str
    trusted_authority: bytes

    @classmethod
    def generate(cls, owner_id: str, sign_key_id: str, trusted_authority: bytes) -> Identity:
        return cls(
            owner_id,
            X25519PrivateKey.generate(),
            Ed25519PrivateKey.generate(),
            sign_key_id,
            trusted_authority,
        )

    @property
    def box_public(self) -> bytes:
        return x25519_public_bytes(self.box)

    @property
    def sign_public(self) -> bytes:
        return ed25519_public_bytes(self.sign)


def wrap_slot(vault_id: str, identity: Identity, passphrase: str, kdf: KdfParams) -> bytes:
    """Wrap the private keys under a passphrase (one Argon2id run)."""
    plaintext = canonical_json(
        {
            "box": b64e(private_bytes(identity.box)),
            "sign": b64e(private_bytes(identity.sign)),
            "sign_key_id": identity.sign_key_id,
            "authority": b64e(identity.trusted_authority),
        }
    )
    kek = derive_kek(passphrase, kdf)
    return wrap(kek, plaintext, slot_aad(vault_id, identity.owner_id, kdf))


def open_slot(
    vault_id: str, owner_id: str, passphrase: str, kdf: KdfParams, wrapped: bytes
) -> Identity:
    """Unwrap a slot; a wrong passphrase is :class:`WrongPassphrase`, never "damaged"."""
    kek = derive_kek(passphrase, kdf)
    try:
        plaintext = open_wrapped(kek, wrapped, slot_aad(vault_id, owner_id, kdf))
    except InvalidTag:
        raise WrongPassphrase("passphrase not recognised") from None
    try:
        doc = json.loads(plaintext)
        return Identity(
            owner_id=owner_id,
            box=X25519PrivateKey.from_private_bytes(b64d(doc["box"], length=32)),
            sign=Ed25519PrivateKey.from_private_bytes(b64d(doc["sign"], length=32)),
            sign_key_id=str(doc["sign_key_id"]),
            trusted_authority=b64d(doc["authority"], length=32),
        )
    except (ValueError, KeyError, TypeError) as exc:
        raise DamagedFile("vault.json", "a key slot decrypted to something unreadable") from exc


def keys_for_role(role: str, header: Header) -> list[str]:
    """The key names a role holds now: its compartments' current epochs, and more."""
    names: list[str] = []
    for comp in ROLE_COMPARTMENTS[role]:
        names.append(f"{comp}:{header.epochs[comp]}")
        names.append(f"index:{comp}")
    if role in AUTHORITY_ROLES:
        names.append(header.current_authority.key_id)
    return names


def seal_keys(
    vault_id: str, owner_id: str, box_public: bytes, keys: dict[str, bytes], names: list[str]
) -> dict[str, bytes]:
    """Seal each named key to one recipient's public box key."""
    return {
        name: seal(box_public, keys[name], sealed_context(vault_id, owner_id, name))
        for name in names
    }


def unseal_keys(vault_id: str, identity: Identity, sealed: dict[str, bytes]) -> dict[str, bytes]:
    """Open every key sealed to this identity; a failure means the header was altered."""
    keys: dict[str, bytes] = {}
    for name, blob in sealed.items():
        try:
            keys[name] = unseal(
                identity.box, blob, sealed_context(vault_id, identity.owner_id, name)
            )
        except InvalidTag:
            raise DamagedFile(
                "vault.json", f"the sealed key {name} does not open: the header was altered"
            ) from None
    return keys


def check_passphrase(passphrase: str) -> None:
    """Refuse a new passphrase too short to resist guessing, or absurdly long."""
    if len(passphrase) < 10:
        raise VaultError("a passphrase needs at least 10 characters (three random words work well)")
    if len(passphrase) > 1024:
        raise VaultError("a passphrase may be at most 1024 characters")


def sign_header(header: Header, keys: dict[str, bytes]) -> None:
    """Sign the header body with the current authority key (DSLs and recovery hold it)."""
    current = header.current_authority
    private = Ed25519PrivateKey.from_private_bytes(keys[current.key_id])
    if ed25519_public_bytes(private) != current.public:
        raise DamagedFile(HEADER_NAME, "the authority key does not match the header")
    header.signature_key = current.key_id
    header.signature = sign(private, header.signing_bytes())
