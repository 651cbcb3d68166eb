"""The vault header (``vault.json``): who may open what, and with which keys.

The header is plaintext JSON, because it must be read before anyone is
unlocked, and it holds nothing about pupils: staff login names, roles, public
keys, sealed (encrypted) data keys and passphrase-wrapped private keys.

It has two parts, and the split is the point:

* ``body`` is **signed by the vault authority**, a key only DSLs (and the
  recovery slot) hold. It lists users, roles, public keys and the data keys
  sealed to each user. A group member with write access (a technician, say)
  could otherwise seal a data key *of their own choosing* to the DSL and read
  every record the DSL writes afterwards; the signature stops that.
* ``slots`` are **not** signed: each is a user's private keys wrapped under
  their own passphrase, and authenticates itself (AES-GCM with the vault id,
  user id and KDF settings as associated data). Anyone can change their own
  passphrase without a DSL's key; tampering with another's slot only locks
  that person out, which the recovery code undoes.

Each slot also records the authority key its owner trusts, so a header signed
by a substituted authority is detected at unlock.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from .crypto import (
    KEY_BYTES,
    KdfParams,
    b64d,
    b64e,
    canonical_json,
    sha256_hex,
    verify_signature,
)
from .errors import DamagedFile, NewerFormat, VaultError

__all__ = [
    "COMPARTMENTS",
    "FORMAT_VERSION",
    "HEADER_NAME",
    "RECOVERY_ID",
    "ROLES",
    "ROLE_COMPARTMENTS",
    "AuthorityKey",
    "Header",
    "PolicyPin",
    "RecoveryEntry",
    "SignKey",
    "Slot",
    "UserEntry",
    "check_user_name",
    "keys_held",
]

HEADER_NAME = "vault.json"
#: 2: the reader checks every record against the audit log, records carry a
#: history chain, the header must match its last audited save.
FORMAT_VERSION = 2
MAX_USERS = 32  # like LUKS2's slot cap: bounds the work a hostile header can cause
#: The owner id of the recovery code's slot, sealed keys and signing key.
RECOVERY_ID = "recovery"

#: The compartments: each has its own data key, so a role can be denied one
#: cryptographically rather than by a check in the interface.
COMPARTMENTS = ("case", "custody")
ROLES = ("dsl", "headteacher", "team", "technician")
ROLE_COMPARTMENTS: dict[str, tuple[str, ...]] = {
    "dsl": ("case", "custody"),
    "headteacher": ("case", "custody"),
    "team": ("case", "custody"),
    "technician": ("custody",),
}
#: Only a DSL manages users, keys and the header.
AUTHORITY_ROLES = ("dsl",)

_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._@-]{0,63}$")
_HEX = re.compile(r"^[0-9a-f]{32}$")
_SEAL_OVERHEAD = 32 + 12 + 16
_DIGEST = re.compile(r"^[0-9a-f]{64}$")
_PIN_TEXT_MAX = 200


def check_user_name(name: str) -> str:
    """Login names: short, printable, safe in a file name and a terminal."""
    if not _NAME.match(name):
        raise ValueError(
            "a user name is 1 to 64 letters, digits or . _ @ - (starting with a letter or digit)"
        )
    return name


@dataclass
class SignKey:
    """An Ed25519 public key a user signs with; retired keys still verify old entries.

    ``issued_by`` says who generated the private half: "" means its owner did
    (``ydsi enrol``, ``ydsi user passwd --new-keys``), so nobody else ever saw
    it; otherwise it is the user id of the DSL (or ``"recovery"``) whose client
    made it under a passphrase they typed, and who could therefore sign with
    it. It is written only when set, so a header without it reads, and
    verifies, byte for byte as before.
    """

    key_id: str
    public: bytes
    active: bool = True
    issued_by: str = ""

    @property
    def owner_made(self) -> bool:
        return not self.issued_by

    def to_doc(self) -> dict[str, Any]:
        doc: dict[str, Any] = {
            "key_id": self.key_id,
            "public": b64e(self.public),
            "active": self.active,
        }
        if self.issued_by:
            doc["issued_by"] = self.issued_by
        return doc

    @classmethod
    def from_doc(cls, doc: Any) -> SignKey:
        issued_by = _str(doc["issued_by"]) if "issued_by" in doc else ""
        if "issued_by" in doc and not issued_by:
            raise ValueError("an empty issued_by is written by no ydsi")
        return cls(
            _str(doc["key_id"]),
            b64d(doc["public"], length=KEY_BYTES),
            _bool(doc["active"]),
            issued_by,
        )


@dataclass
class AuthorityKey:
    """One link of the authority chain: each new key is endorsed by the previous."""

    key_id: str
    public: bytes
    endorsement: bytes | None  # signature by the previous authority key

    def to_doc(self) -> dict[str, Any]:
        return {
            "key_id": self.key_id,
            "public": b64e(self.public),
            "endorsement": b64e(self.endorsement) if self.endorsement else None,
        }

    @classmethod
    def from_doc(cls, doc: Any) -> AuthorityKey:
        endorsement = doc["endorsement"]
        return cls(
            _str(doc["key_id"]),
            b64d(doc["public"], length=KEY_BYTES),
            None if endorsement is None else b64d(endorsement, length=64),
        )


@dataclass
class UserEntry:
    """A member of staff: role, public keys, and the data keys sealed to them.

    A user a DSL has invited but who has not enrolled yet is ``pending``: not
    active, no keys at all, and an ``enrol_verifier``, the Ed25519 public key
    derived from their one-time enrolment code (see :mod:`.enrolment`), which
    is how a DSL's session knows that an enrolment request came from whoever
    holds the code. It is removed once the request is endorsed (one use).
    """

    id: str
    name: str
    role: str
    full_name: str
    active: bool
    box_public: bytes
    sign_keys: list[SignKey]
    sealed: dict[str, bytes] = field(default_factory=dict)
    pending: bool = False
    enrol_verifier: bytes = b""

    @property
    def sign_key(self) -> SignKey:
        for key in reversed(self.sign_keys):
            if key.active:
                return key
        raise LookupError("no active signing key")

    def owner_made_key(self, key_id: str) -> bool:
        """True when ``key_id`` is one of this user's keys and they generated it themselves."""
        return any(k.key_id == key_id and k.owner_made for k in self.sign_keys)

    def to_doc(self) -> dict[str, Any]:
        doc: dict[str, Any] = {
            "id": self.id,
            "name": self.name,
            "role": self.role,
            "full_name": self.full_name,
            "active": self.active,
            "box_public": b64e(self.box_public),
            "sign_keys": [k.to_doc() for k in self.sign_keys],
            "sealed": {name: b64e(blob) for name, blob in sorted(self.sealed.items())},
        }
        if self.pending:  # only when set: a format-1 header stays byte for byte
            doc["pending"] = True
            doc["enrol_verifier"] = b64e(self.enrol_verifier)
        return doc

    @classmethod
    def from_doc(cls, doc: Any) -> UserEntry:
        role = _str(doc["role"])
        if role not in ROLES:
            raise ValueError(f"unknown role {role!r}")
        user_id = _str(doc["id"])
        if not _HEX.match(user_id):
            raise ValueError("bad user id")
        pending = _bool(doc["pending"]) if "pending" in doc else False
        entry = cls(
            id=user_id,
            name=check_user_name(_str(doc["name"])),
            role=role,
            full_name=_str(doc["full_name"]),
            active=_bool(doc["active"]),
            box_public=b64d(doc["box_public"], length=0 if pending else KEY_BYTES),
            sign_keys=[SignKey.from_doc(k) for k in _list(doc["sign_keys"])],
            sealed=_sealed(doc["sealed"]),
            pending=pending,
            enrol_verifier=(b64d(doc["enrol_verifier"], length=KEY_BYTES) if pending else b""),
        )
        if "pending" in doc and not pending:
            raise ValueError("pending: false is written by no ydsi")
        if pending and (entry.active or entry.sign_keys or entry.sealed):
            raise ValueError("a user waiting to enrol holds keys")
        if not pending and "enrol_verifier" in doc:
            raise ValueError("an enrolment verifier outside a pending user")
        return entry


@dataclass
class RecoveryEntry:
    """The recovery code's slot: holds every key, used only to reset passphrases."""

    box_public: bytes
    sign_keys: list[SignKey]
    sealed: dict[str, bytes] = field(default_factory=dict)

    def to_doc(self) -> dict[str, Any]:
        return {
            "box_public": b64e(self.box_public),
            "sign_keys": [k.to_doc() for k in self.sign_keys],
            "sealed": {name: b64e(blob) for name, blob in sorted(self.sealed.items())},
        }

    @classmethod
    def from_doc(cls, doc: Any) -> RecoveryEntry:
        return cls(
            box_public=b64d(doc["box_public"], length=KEY_BYTES),
            sign_keys=[SignKey.from_doc(k) for k in _list(doc["sign_keys"])],
            sealed=_sealed(doc["sealed"]),
        )


@dataclass
class Slot:
    """A user's private keys, wrapped under their passphrase (self-authenticating)."""

    kdf: KdfParams
    wrapped: bytes

    def to_doc(self) -> dict[str, Any]:
        return {"kdf": self.kdf.to_doc(), "wrapped": b64e(self.wrapped)}

    def digest(self) -> str:
        return sha256_hex(canonical_json(self.to_doc()))

    @classmethod
    def from_doc(cls, doc: Any) -> Slot:
        wrapped = b64d(doc["wrapped"])
        if not 28 <= len(wrapped) <= 4096:
            raise ValueError("wrapped key has an impossible length")
        return cls(KdfParams.from_doc(doc["kdf"]), wrapped)


@dataclass(frozen=True)
class PolicyPin:
    """The policy a DSL approved: new incidents follow only the text with this digest.

    Kept in the signed body so that nobody without the authority key can change
    which procedure is in force. The vault treats the digest as opaque text (a
    SHA-256 in hex): it never reads policies, the service layer does.
    """

    digest: str
    name: str
    version: str
    approved_by: str  # a user id
    approved_at: str

    def __post_init__(self) -> None:
        if not _DIGEST.match(self.digest):
            raise ValueError("a policy digest is 64 lower-case hex digits")
        for what, text in (("name", self.name), ("version", self.version)):
            if not text or len(text) > _PIN_TEXT_MAX:
                raise ValueError(f"a policy {what} is 1 to {_PIN_TEXT_MAX} characters")
        if not _HEX.match(self.approved_by):
            raise ValueError("bad user id")

    def to_doc(self) -> dict[str, Any]:
        return {
            "digest": self.digest,
            "name": self.name,
            "version": self.version,
            "approved_by": self.approved_by,
            "approved_at": self.approved_at,
        }

    @classmethod
    def from_doc(cls, doc: Any) -> PolicyPin:
        if not isinstance(doc, dict):
            raise TypeError("expected the approved policy")
        return cls(
            _str(doc["digest"]),
            _str(doc["name"]),
            _str(doc["version"]),
            _str(doc["approved_by"]),
            _str(doc["approved_at"]),
        )


@dataclass
class Header:
    """The parsed ``vault.json``."""

    vault_id: str
    created_at: str
    shared: bool
    serial: int
    kdf_default: dict[str, int]
    authority: list[AuthorityKey]
    epochs: dict[str, int]
    users: list[UserEntry]
    recovery: RecoveryEntry
    signature_key: str = ""
    signature: bytes = b""
    slots: dict[str, Slot] = field(default_factory=dict)
    version: int = FORMAT_VERSION
    #: The approved policy; absent in headers made before approval existed.
    policy: PolicyPin | None = None
    #: Users whose keys were declared compromised (``ydsi user passwd
    #: --compromised``): the keys they held stay in use, and open anything a
    #: copy of their old slot can reach, until a DSL's rotation replaces them.
    #: Signed, so no group member can clear the flag; cleared by the rotation.
    rotation_due: list[str] = field(default_factory=list)
    #: The school's term and INSET dates a DSL approved (``ydsi calendar set``):
    #: ``{"terms": [[first, last], ...], "inset": [...], "approved_by",
    #: "approved_at"}``, dates ISO. Signed, since it moves deadlines; its
    #: meaning is checked by the model (SchoolCalendar), its shape here.
    calendar: dict[str, Any] | None = None
    #: Slots present in the file that could not be used, by owner, and why: a
    #: slot is its owner's alone, so a bad one disables only them (never saved).
    bad_slots: dict[str, str] = field(default_factory=dict)

    # -- lookups -----------------------------------------------------------
    def user_by_name(self, name: str) -> UserEntry | None:
        for user in self.users:
            if user.name == name and user.active:
                return user
        return None

    def pending_by_name(self, name: str) -> UserEntry | None:
        """A user invited (an enrolment code issued) who has not enrolled yet."""
        for user in self.users:
            if user.name == name and user.pending:
                return user
        return None

    def user_by_id(self, user_id: str) -> UserEntry | None:
        for user in self.users:
            if user.id == user_id:
                return user
        return None

    def owner_name(self, owner: str) -> str:
        """Who a slot or sealed key belongs to, in words (for messages)."""
        if owner == RECOVERY_ID:
            return "the recovery code"
        user = self.user_by_id(owner)
        return user.name if user is not None else f"an unknown user ({owner[:8]})"

    def public_key(self, key_id: str) -> tuple[bytes, str] | None:
        """(public key, role) for any signing key ever issued in this vault."""
        for user in self.users:
            for key in user.sign_keys:
                if key.key_id == key_id:
                    return key.public, user.role
        for key in self.recovery.sign_keys:
            if key.key_id == key_id:
                return key.public, "recovery"
        for auth in self.authority:
            if auth.key_id == key_id:
                return auth.public, "authority"
        return None

    @property
    def current_authority(self) -> AuthorityKey:
        return self.authority[-1]

    # -- signing -----------------------------------------------------------
    def body_doc(self) -> dict[str, Any]:
        # "policy" only when set: a header without one signs the same bytes as before.
        doc: dict[str, Any] = {
            "vault_id": self.vault_id,
            "created_at": self.created_at,
            "shared": self.shared,
            "serial": self.serial,
            "kdf_default": dict(self.kdf_default),
            "authority": [a.to_doc() for a in self.authority],
            "epochs": dict(self.epochs),
            "users": [u.to_doc() for u in self.users],
            "recovery": self.recovery.to_doc(),
        }
        if self.policy is not None:
            doc["policy"] = self.policy.to_doc()
        if self.rotation_due:  # only when set, like "policy"
            doc["rotation_due"] = sorted(self.rotation_due)
        if self.calendar is not None:  # likewise
            doc["calendar"] = self.calendar
        return doc

    def signing_bytes(self) -> bytes:
        return b"ydsi header v1|" + canonical_json(self.body_doc())

    # -- what an audited header save binds ---------------------------------
    def binding(self) -> dict[str, Any]:
        """The digests a header save's audit entry records: the signed part, and each slot.

        The whole file's hash binds everything at once; these let a reader
        tell *which* part changed outside ydsi, so a slot that does not match
        its last audited save disables its owner alone (see
        ``Vault._vouch_header``), not the whole vault.
        """
        return {"body": self.body_digest(), "slots": self.slot_digests()}

    def body_digest(self) -> str:
        signature = {"key_id": self.signature_key, "sig": b64e(self.signature)}
        doc = {"version": self.version, "body": self.body_doc(), "signature": signature}
        return sha256_hex(canonical_json(doc))

    def slot_digests(self) -> dict[str, str]:
        return {owner: slot.digest() for owner, slot in sorted(self.slots.items())}

    def authority_chain_ok(self, trusted: bytes | None = None) -> bool:
        """Each authority key endorsed by the one before; optionally rooted at ``trusted``."""
        if not self.authority or self.authority[0].endorsement is not None:
            return False
        for previous, current in zip(self.authority, self.authority[1:], strict=False):
            message = endorsement_bytes(self.vault_id, current.key_id, current.public)
            if current.endorsement is None or not verify_signature(
                previous.public, current.endorsement, message
            ):
                return False
        return trusted is None or any(a.public == trusted for a in self.authority)

    def signature_ok(self) -> bool:
        current = self.current_authority
        return (
            self.signature_key == current.key_id
            and self.authority_chain_ok()
            and verify_signature(current.public, self.signature, self.signing_bytes())
        )

    # -- (de)serialisation -------------------------------------------------
    def to_bytes(self) -> bytes:
        doc = {
            "format": "ydsi-vault",
            "version": self.version,
            "body": self.body_doc(),
            "signature": {"key_id": self.signature_key, "sig": b64e(self.signature)},
            "slots": {uid: slot.to_doc() for uid, slot in sorted(self.slots.items())},
        }
        return canonical_json(doc) + b"\n"

    @classmethod
    def from_bytes(cls, data: bytes, path: str = HEADER_NAME) -> Header:
        """Parse strictly: anything unexpected is a :class:`DamagedFile`, never a crash."""
        import json

        try:
            doc = json.loads(data.decode("utf-8"))
        except (UnicodeDecodeError, ValueError) as exc:
            raise DamagedFile(path, "not a readable vault header") from exc
        if not isinstance(doc, dict) or doc.get("format") != "ydsi-vault":
            raise DamagedFile(path, "not a ydsi vault header")
        version = doc.get("version")
        if not isinstance(version, int) or isinstance(version, bool):
            raise DamagedFile(path, "the header has no format version")
        if version > FORMAT_VERSION:
            raise NewerFormat(
                f"this vault uses format {version}, made by a newer ydsi; "
                f"this version reads format {FORMAT_VERSION}: upgrade ydsi"
            )
        try:
            body = doc["body"]
            users = [UserEntry.from_doc(u) for u in _list(body["users"])]
            if len(users) > MAX_USERS:
                raise ValueError("too many users")
            slots, bad_slots = _slots(doc["slots"])
            header = cls(
                vault_id=_hex_id(body["vault_id"]),
                created_at=_str(body["created_at"]),
                shared=_bool(body["shared"]),
                serial=_int(body["serial"]),
                kdf_default={k: _int(v) for k, v in dict(body["kdf_default"]).items()},
                authority=[AuthorityKey.from_doc(a) for a in _list(body["authority"])],
                epochs={_str(k): _int(v) for k, v in dict(body["epochs"]).items()},
                users=users,
                recovery=RecoveryEntry.from_doc(body["recovery"]),
                signature_key=_str(doc["signature"]["key_id"]),
                signature=b64d(doc["signature"]["sig"], length=64),
                slots=slots,
                bad_slots=bad_slots,
                version=version,
                policy=PolicyPin.from_doc(body["policy"]) if "policy" in body else None,
                rotation_due=[_due_id(u) for u in _list(body.get("rotation_due", []))],
                calendar=_calendar(body["calendar"]) if "calendar" in body else None,
            )
        except NewerFormat:
            raise
        except (KeyError, TypeError, ValueError, AttributeError) as exc:
            raise DamagedFile(path, f"the vault header is malformed ({exc})") from exc
        if set(header.epochs) != set(COMPARTMENTS) or not header.authority:
            raise DamagedFile(path, "the vault header is malformed (keys)")
        live = [u for u in header.users if u.active or u.pending]
        if len({u.name for u in live}) != len(live):
            raise DamagedFile(path, "the vault header lists a user twice")
        return header


def keys_held(role: str) -> list[str]:
    """The rotation targets whose keys a ``role`` holds: what must change if theirs leak."""
    held = list(ROLE_COMPARTMENTS[role])
    if role in AUTHORITY_ROLES:
        held.append("authority")
    return held


def endorsement_bytes(vault_id: str, key_id: str, public: bytes) -> bytes:
    return b"ydsi authority v1|" + canonical_json([vault_id, key_id, b64e(public)])


def sealed_context(vault_id: str, owner_id: str, key_name: str) -> bytes:
    """What a sealed key is bound to: which vault, whose, which key."""
    return b"ydsi key v1|" + canonical_json([vault_id, owner_id, key_name])


def slot_aad(vault_id: str, owner_id: str, kdf: KdfParams) -> bytes:
    return b"ydsi slot v1|" + canonical_json([vault_id, owner_id, kdf.to_doc()])


def _str(value: Any) -> str:
    if not isinstance(value, str):
        raise TypeError("expected text")
    return value


def _int(value: Any) -> int:
    if not isinstance(value, int) or isinstance(value, bool):
        raise TypeError("expected a whole number")
    return value


def _bool(value: Any) -> bool:
    if not isinstance(value, bool):
        raise TypeError("expected true or false")
    return value


def _list(value: Any) -> list[Any]:
    if not isinstance(value, list):
        raise TypeError("expected a list")
    return value


def _hex_id(value: Any) -> str:
    text = _str(value)
    if not _HEX.match(text):
        raise ValueError("bad id")
    return text


def _slots(value: Any) -> tuple[dict[str, Slot], dict[str, str]]:
    """Each slot parsed on its own: a malformed one is set aside with the reason."""
    if not isinstance(value, dict):
        raise TypeError("expected key slots")
    if len(value) > MAX_USERS + 1:
        raise ValueError("too many key slots")
    good: dict[str, Slot] = {}
    bad: dict[str, str] = {}
    for owner, doc in value.items():
        name = _str(owner)
        try:
            good[name] = Slot.from_doc(doc)
        except (KeyError, TypeError, ValueError, AttributeError, VaultError) as exc:
            bad[name] = f"the key slot is malformed ({exc})"
    return good, bad


_ISO_DAY = re.compile(r"^\d{4}-\d{2}-\d{2}$")


def _calendar(value: object) -> dict[str, Any]:
    """The approved calendar's shape: lists of ISO dates and who approved it when."""
    if not isinstance(value, dict):
        raise TypeError("calendar")
    doc: dict[str, Any] = dict(value)
    if set(doc) != {"terms", "inset", "approved_by", "approved_at"}:
        raise ValueError("calendar keys")
    terms = _list(doc["terms"])
    inset = _list(doc["inset"])
    if len(terms) > 60 or len(inset) > 200:
        raise ValueError("calendar too long")
    days = [d for t in terms for d in _list(t)] + inset
    if any(len(_list(t)) != 2 for t in terms) or not all(
        isinstance(d, str) and _ISO_DAY.match(d) for d in days
    ):
        raise ValueError("calendar dates")
    _str(doc["approved_by"])
    _str(doc["approved_at"])
    return doc


def _due_id(value: Any) -> str:
    return RECOVERY_ID if value == RECOVERY_ID else _hex_id(value)


def _sealed(value: Any) -> dict[str, bytes]:
    if not isinstance(value, dict):
        raise TypeError("expected sealed keys")
    out: dict[str, bytes] = {}
    for name, blob in value.items():
        data = b64d(blob)
        if len(data) != _SEAL_OVERHEAD + KEY_BYTES:
            raise ValueError("sealed key has the wrong length")
        out[_str(name)] = data
    return out
