"""Keys their owners made: enrolment codes, enrolment and re-key requests.

Why this exists: when a DSL added a user by typing that user's first
passphrase, the DSL's client generated the user's private keys and wrapped
them under a passphrase the DSL knew. Anyone keeping a copy of ``vault.json``
from then on could unwrap the Headteacher's signing key and sign in their
name (a sign-off of a decision not to refer a child, say). Here instead:

1. A DSL *issues* an enrolment code (:meth:`Session.issue_enrolment`): the
   signed header gains a *pending* user with no keys, only an
   ``enrol_verifier``, the public half of an Ed25519 key derived (HKDF) from
   the one-time code. The code (120 random bits) is printed once and handed
   over in person.
2. The new user runs ``ydsi enrol``: their own client generates their X25519
   and Ed25519 keys, wraps them under a passphrase only they type, and writes
   a *request* file into ``requests/``, signed twice: by the code-derived key
   (this came from whoever holds the code) and by the new signing key (and
   whoever made it holds that key).
3. A DSL's session *endorses* it (:meth:`Session.endorse_requests`): both
   signatures are checked against the signed header, the role's data keys are
   sealed to the new public box key, the slot is installed, and the verifier
   is removed, so the code works once.

A *re-key* request (``ydsi user passwd --new-keys``) works the same way, its
first signature made by the user's current signing key instead of a code.

Nothing here needs the vault's lock except writing and removing request
files; checking a request needs only the signed header, so ``user list`` can
say whether a waiting request would be accepted.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import secrets
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from .crypto import (
    KEY_BYTES,
    KdfParams,
    b64d,
    b64e,
    canonical_json,
    ed25519_public_bytes,
    hkdf,
    sign,
    verify_signature,
)
from .errors import VaultError, WrongPassphrase
from .fs import TEMP_PREFIX
from .header import Header, Slot, UserEntry
from .keys import Identity, wrap_slot
from .recovery_code import format_code

if TYPE_CHECKING:
    from .session import Session
    from .vault import Vault

__all__ = [
    "REQUESTS_DIR",
    "KeyRequest",
    "RequestCheck",
    "check_request",
    "code_mismatch",
    "endorse_quietly",
    "generate_code",
    "make_request",
    "normalise_code",
    "read_requests",
    "remove_request",
    "request_path",
    "verifier_key",
    "vouch_public",
    "write_request",
]

REQUESTS_DIR = "requests"
KINDS = ("enrol", "rekey")
_MAX_REQUEST = 16 * 1024  # a request is ~1 KiB; refuse to parse anything huge

# The same alphabet as the recovery code (Crockford's base32, no I/L/O/U), but
# a different length (24 + 4 characters, 7 groups) so the two cannot be mixed up.
_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
_DATA_CHARS = 24  # 120 bits
_CHECK_CHARS = 4
_CONFUSABLE = str.maketrans({"O": "0", "I": "1", "L": "1"})


# ----------------------------------------------------------------------
# the one-time code
# ----------------------------------------------------------------------
def _check(data: str) -> str:
    digest = int.from_bytes(hashlib.sha256(b"ydsi enrol code|" + data.encode()).digest()[:4], "big")
    out = ""
    for _ in range(_CHECK_CHARS):
        out += _ALPHABET[digest % 32]
        digest //= 32
    return out


def generate_code() -> str:
    """A new enrolment code (120 random bits and a check group), formatted for reading out."""
    data = "".join(secrets.choice(_ALPHABET) for _ in range(_DATA_CHARS))
    return format_code(data + _check(data))


def normalise_code(typed: str) -> str:
    """The canonical code from what someone typed, or ValueError saying what is wrong."""
    raw = "".join(ch for ch in typed.upper() if ch not in " -\t").translate(_CONFUSABLE)
    if len(raw) != _DATA_CHARS + _CHECK_CHARS or any(ch not in _ALPHABET for ch in raw):
        raise ValueError(
            "an enrolment code is 28 characters in seven groups of four, e.g. ABCD-1234-..."
        )
    if _check(raw[:_DATA_CHARS]) != raw[_DATA_CHARS:]:
        raise ValueError(
            "that enrolment code has a typing mistake (its check group does not match)"
        )
    return format_code(raw)


def verifier_key(code: str, vault_id: str, user_id: str) -> Ed25519PrivateKey:
    """The Ed25519 key a code stands for, bound to one vault and one invited user.

    HKDF is enough (no Argon2id): the code has 120 random bits, so the public
    half in the header cannot be searched back to it.
    """
    seed = hkdf(
        normalise_code(code).encode("ascii"),
        bytes.fromhex(vault_id),
        b"ydsi enrol v1|" + user_id.encode("ascii"),
    )
    return Ed25519PrivateKey.from_private_bytes(seed)


# ----------------------------------------------------------------------
# requests
# ----------------------------------------------------------------------
@dataclass
class KeyRequest:
    """A user's new public keys and slot, vouched for by a code or by their current key.

    ``vouched_by`` is the base64 public verifier (``enrol``) or the key id of
    the user's current signing key (``rekey``); ``vouch_sig`` is that key's
    signature and ``new_sig`` the new signing key's, both over the body.
    """

    kind: str
    vault_id: str
    user: str
    created_at: str
    key_id: str
    box_public: bytes
    sign_public: bytes
    slot: Slot
    vouched_by: str
    vouch_sig: bytes = b""
    new_sig: bytes = b""

    def body(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "vault_id": self.vault_id,
            "user": self.user,
            "created_at": self.created_at,
            "key_id": self.key_id,
            "box_public": b64e(self.box_public),
            "sign_public": b64e(self.sign_public),
            "slot": self.slot.to_doc(),
            "vouched_by": self.vouched_by,
        }

    def signing_bytes(self) -> bytes:
        return b"ydsi key request v1|" + canonical_json(self.body())

    def to_bytes(self) -> bytes:
        doc = {
            "format": "ydsi-key-request",
            "version": 1,
            "body": self.body(),
            "sigs": {"vouch": b64e(self.vouch_sig), "new": b64e(self.new_sig)},
        }
        return canonical_json(doc) + b"\n"

    @classmethod
    def from_bytes(cls, data: bytes) -> KeyRequest:
        """Parse strictly; anything unexpected is a ValueError naming it."""
        if len(data) > _MAX_REQUEST:
            raise ValueError("far too large to be a key request")
        try:
            doc = json.loads(data.decode("utf-8"))
        except (UnicodeDecodeError, ValueError) as exc:
            raise ValueError("not readable as a key request") from exc
        if not isinstance(doc, dict) or doc.get("format") != "ydsi-key-request":
            raise ValueError("not a ydsi key request")
        if doc.get("version") != 1:
            raise ValueError("a key request of an unknown version")
        try:
            body = doc["body"]
            kind = _text(body["kind"])
            if kind not in KINDS:
                raise ValueError(f"unknown kind {kind!r}")
            return cls(
                kind=kind,
                vault_id=_text(body["vault_id"]),
                user=_text(body["user"]),
                created_at=_text(body["created_at"]),
                key_id=_text(body["key_id"]),
                box_public=b64d(body["box_public"], length=KEY_BYTES),
                sign_public=b64d(body["sign_public"], length=KEY_BYTES),
                slot=Slot.from_doc(body["slot"]),
                vouched_by=_text(body["vouched_by"]),
                vouch_sig=b64d(doc["sigs"]["vouch"], length=64),
                new_sig=b64d(doc["sigs"]["new"], length=64),
            )
        except (KeyError, TypeError, AttributeError, VaultError) as exc:
            raise ValueError(f"a malformed key request ({exc})") from exc


def make_request(
    kind: str,
    header: Header,
    user: UserEntry,
    passphrase: str,
    kdf: KdfParams,
    vouch: Ed25519PrivateKey,
    vouched_by: str,
    created_at: str,
) -> KeyRequest:
    """Generate the user's own keys, wrap them under their passphrase, and sign the request.

    Runs on the user's own client: the private keys exist only here and in
    the slot, which only their passphrase opens.
    """
    key_id = f"{user.id}.{len(user.sign_keys) + 1}"
    identity = Identity.generate(user.id, key_id, header.current_authority.public)
    slot = Slot(kdf, wrap_slot(header.vault_id, identity, passphrase, kdf))  # slow
    request = KeyRequest(
        kind=kind,
        vault_id=header.vault_id,
        user=user.id,
        created_at=created_at,
        key_id=key_id,
        box_public=identity.box_public,
        sign_public=identity.sign_public,
        slot=slot,
        vouched_by=vouched_by,
    )
    message = request.signing_bytes()
    request.vouch_sig = sign(vouch, message)
    request.new_sig = sign(identity.sign, message)
    return request


def request_path(vault_path: Path, user_id: str) -> Path:
    """One waiting request per user at a time: ``requests/<user id>.json``."""
    return vault_path / REQUESTS_DIR / f"{user_id}.json"


def write_request(vault: Vault, request: KeyRequest, who: str) -> Path:
    """Write a request file, refusing if one for this user is already waiting.

    Under the vault lock (so a DSL's endorsement never sees it half made, and
    two clients cannot both write one): a temporary file, fsync, rename, fsync
    the directory. The file is 0600 (0660 in a shared vault).
    """
    fs = vault.fs
    directory = vault.path / REQUESTS_DIR
    target = request_path(vault.path, request.user)
    with vault.lock():
        if not fs.exists(directory):
            fs.mkdir(directory, vault.modes.dir)
            fs.fsync_dir(vault.path)
        if fs.exists(target):
            raise VaultError(
                f"a key request for {who} is already waiting for a DSL "
                "('ydsi user list' shows it; a DSL's 'ydsi user endorse' accepts or "
                "'ydsi user endorse --discard' drops it)"
            )
        try:
            fs.write_file_atomic(target, request.to_bytes(), vault.modes.file)
        except OSError as exc:
            raise VaultError(
                f"the request could not be written ({exc.strerror or exc}): nothing was changed"
            ) from exc
    return target


def remove_request(vault: Vault, path: Path) -> None:
    """Remove a request file (the caller holds the lock); a missing one is fine."""
    with contextlib.suppress(FileNotFoundError):
        vault.fs.unlink(path)
        vault.fs.fsync_dir(path.parent)


@dataclass(frozen=True)
class RequestCheck:
    """What a DSL's session would do with one request file."""

    path: Path
    request: KeyRequest | None
    user: UserEntry | None
    problem: str | None  # None: it would be endorsed
    done: bool = False  # already endorsed (a crash before the file was removed)

    @property
    def who(self) -> str:
        return self.user.name if self.user is not None else self.path.stem


def read_requests(vault: Vault, header: Header) -> list[RequestCheck]:
    """Every request file waiting, each checked against the signed header."""
    directory = vault.path / REQUESTS_DIR
    if not vault.fs.exists(directory):
        return []
    out: list[RequestCheck] = []
    for name in sorted(vault.fs.listdir(directory)):
        if name.startswith((TEMP_PREFIX, ".")):
            continue
        path = directory / name
        named = header.user_by_id(path.stem)  # whose it claims to be, for the message
        try:
            request = KeyRequest.from_bytes(vault.fs.read_bytes(path))
        except OSError as exc:
            out.append(RequestCheck(path, None, named, f"unreadable ({exc.strerror or exc})"))
            continue
        except ValueError as exc:
            out.append(RequestCheck(path, None, named, f"refused: {exc}"))
            continue
        except VaultError as exc:  # a FIFO, link or giant planted here: named, not read
            out.append(RequestCheck(path, None, named, f"refused: {exc}"))
            continue
        out.append(check_request(header, request, path))
    return out


def check_request(header: Header, request: KeyRequest, path: Path) -> RequestCheck:
    """Is this request what its user's code (or current key) and new key vouch for?"""
    user = header.user_by_id(request.user)

    def refuse(reason: str) -> RequestCheck:
        return RequestCheck(path, request, user, f"refused: {reason}")

    if request.vault_id != header.vault_id:
        return refuse("it was made for another vault")
    if path.name != f"{request.user}.json":
        return refuse("its file name does not match the user it names")
    if user is None:
        return refuse("it names no user of this vault")
    if any(k.key_id == request.key_id and k.public == request.sign_public for k in user.sign_keys):
        return RequestCheck(path, request, user, None, done=True)
    message = request.signing_bytes()
    if request.kind == "enrol":
        if not user.pending:
            return refuse(f"{user.name} is not waiting to enrol")
        if not verify_signature(user.enrol_verifier, request.vouch_sig, message):
            return refuse(
                f"it is not signed with the enrolment code issued for {user.name} "
                "(forged, or made with a replaced code)"
            )
    else:
        if not user.active:
            return refuse(f"{user.name} is not an active user")
        current = next(
            (k for k in user.sign_keys if k.key_id == request.vouched_by and k.active), None
        )
        if current is None:
            return refuse(f"it is not vouched for by a current signing key of {user.name}")
        if not verify_signature(current.public, request.vouch_sig, message):
            return refuse(f"it is not signed with {user.name}'s current key (forged)")
    if request.key_id != f"{user.id}.{len(user.sign_keys) + 1}":
        return refuse(f"it is out of date ({user.name}'s keys changed since it was made)")
    if not verify_signature(request.sign_public, request.new_sig, message):
        return refuse("its new signing key did not sign it (forged)")
    return RequestCheck(path, request, user, None)


def endorse_quietly(session: Session) -> tuple[list[str], list[str]]:
    """At a DSL's unlock: endorse waiting requests, never stopping the unlock.

    Returns (names endorsed, refusals). Like re-pinning, this is best effort:
    a read-only vault, a busy lock or a full disk must not stop anyone reading.
    """
    refused: list[str] = []
    if session.role != "dsl" or session.is_recovery:
        return [], []
    if not session.vault.fs.exists(session.vault.path / REQUESTS_DIR):
        return [], []
    try:
        return session.endorse_requests(refused=refused), refused
    except (VaultError, OSError):
        return [], refused


def code_mismatch(name: str) -> WrongPassphrase:
    return WrongPassphrase(
        f"that enrolment code is not the one issued for {name} "
        "(check it, or ask the DSL whether they issued a newer one)"
    )


def vouch_public(key: Ed25519PrivateKey) -> str:
    return b64e(ed25519_public_bytes(key))


def _text(value: Any) -> str:
    if not isinstance(value, str):
        raise TypeError("expected text")
    return value
