"""When a secret may have leaked: a passphrase or the recovery code.

Changing a passphrase only re-wraps the same private keys, and a rotation
seals the new data keys to the same public keys; so whoever holds the old
passphrase and any old copy of ``vault.json`` (every group member can read
it, every backup holds it) still opens everything, the future included. The
review showed exactly that (H5, M3). Revoking therefore means new private
keys, the old slot gone, and every key the old ones could reach replaced:

* a DSL (``ydsi user passwd --compromised``) gets new box and signing keys
  made on their own client, then a rotation of every data key and the
  authority, re-encrypting every record. Until that rotation ends the
  signed header lists them in ``rotation_due``, which every DSL is shown;
* anyone else cannot rotate, so their slot is removed at once (nobody, the
  holder of the leaked passphrase included, unlocks as them any more) and
  every DSL is shown that until a DSL removes them with a rotation and
  invites them again (a new enrolment code, handed over in person: their
  old key would vouch for a forged re-key request just as well as for theirs);
* the recovery code (``ydsi recovery-code reissue``): a new recovery identity
  with a new code, sealed the current keys; the old slot removed; the old
  recovery signing key retired in the log; then a rotation.

What no revocation can undo: whatever the old secret opened before it was
revoked, in copies taken before, stays readable to whoever holds both.

:class:`KeyRevocation` is a mixin of :class:`~ydsi_tui.vault.session.Session`;
what it uses of the session is declared at the top of the class.
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from .crypto import KdfParams
from .errors import AccessDenied, DamagedFile, VaultError
from .header import (
    AUTHORITY_ROLES,
    HEADER_NAME,
    RECOVERY_ID,
    Header,
    SignKey,
    Slot,
    UserEntry,
    keys_held,
)
from .keys import Identity, check_passphrase, seal_keys, sign_header, wrap_slot
from .recovery_code import generate as generate_recovery_code

if TYPE_CHECKING:
    from .audit import AuditEntry
    from .vault import Vault
    from .witness import Witness

__all__ = ["DisabledSlot", "KeyRevocation", "Revoked"]

_STILL_IN_USE = "are still in use: run 'ydsi user rotate' now"

#: Every rotation target: what a revoked DSL's (or recovery code's) keys reached.
ALL_TARGETS = ["case", "custody", "authority"]


@dataclass(frozen=True)
class Revoked:
    """What a revocation did, and what is left to do (``rotate``: the targets)."""

    new_keys: bool
    rotate: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class DisabledSlot:
    """A member of staff whose keys are out of use until a DSL acts."""

    name: str
    role: str
    reason: str
    #: The same in a line that fits the home screen at 80 columns.
    brief: str = ""


class KeyRevocation:
    """Revoking a leaked passphrase or recovery code for good."""

    # What this mixin uses of the Session it is part of (session.py, admin.py).
    vault: Vault
    user: UserEntry
    is_recovery: bool
    _keys: dict[str, bytes]
    _identity: Identity | None
    _witness: Witness | None

    if TYPE_CHECKING:

        @property
        def role(self) -> str: ...

        def _require_identity(self) -> Identity: ...

        def _require_authority(self, header: Header) -> None: ...

        def _refresh_keys(self) -> None: ...

        def _fresh_header(self) -> tuple[Header, bytes]: ...

        def _commit_header(
            self, header: Header, previous: bytes, action: str, extra: dict[str, Any]
        ) -> AuditEntry: ...

    # ------------------------------------------------------------------
    # what every DSL is shown
    # ------------------------------------------------------------------
    def revocations_due(self) -> list[DisabledSlot]:
        """Keys declared compromised that still open something: a DSL must act."""
        header = self.vault.header
        out: list[DisabledSlot] = []
        for user_id in header.rotation_due:
            user = header.user_by_id(user_id)
            if user_id == RECOVERY_ID or user is None:
                what = "the recovery code was re-issued, but the keys the old code could open"
                brief = "recovery code re-issued, rotation not finished: ydsi user rotate"
                out.append(DisabledSlot(RECOVERY_ID, "recovery", f"{what} {_STILL_IN_USE}", brief))
                continue
            what = f"{user.name}'s keys were declared compromised and replaced, but the keys they"
            brief = f"{user.name}: keys compromised, rotation not finished: ydsi user rotate"
            out.append(
                DisabledSlot(user.name, user.role, f"{what} could open {_STILL_IN_USE}", brief)
            )
        for user in header.users:
            tampered = self.vault.slot_problems.get(user.id)
            if user.active and tampered is not None:
                out.append(
                    DisabledSlot(
                        user.name,
                        user.role,
                        f"the key slot of {user.name} {tampered}, so {user.name} cannot unlock: "
                        f"reset them ('ydsi recover {user.name}' with the recovery code) or "
                        f"'ydsi user remove {user.name} --rotate' and invite them again",
                        f"{user.name}: key slot changed outside ydsi: ydsi verify",
                    )
                )
            elif user.active and not user.pending and user.id not in header.slots:
                out.append(
                    DisabledSlot(
                        user.name,
                        user.role,
                        f"{user.name} has no key slot (they declared their passphrase "
                        f"compromised, or it was removed): run 'ydsi user remove "
                        f"{user.name} --rotate', then invite them again with 'ydsi user add'",
                        f"{user.name}: no key slot (compromised): "
                        f"ydsi user remove {user.name} --rotate",
                    )
                )
        return out

    # ------------------------------------------------------------------
    # a passphrase
    # ------------------------------------------------------------------
    def declare_compromised(self, new_passphrase: str | None) -> Revoked:
        """``ydsi user passwd --compromised``: my passphrase may be known to someone else.

        A DSL gets new keys under ``new_passphrase`` and must then rotate
        ``Revoked.rotate`` (the caller does it at once: it is long, and
        re-encrypts every record). Anyone else's slot is removed now, and
        ``new_passphrase`` is not used: they join again with a new code.
        """
        self._require_identity()
        if self.is_recovery:
            raise AccessDenied("the recovery code is re-issued with 'ydsi recovery-code reissue'")
        if self.role in AUTHORITY_ROLES:
            if new_passphrase is None:
                raise VaultError("a DSL's new keys need a new passphrase")
            check_passphrase(new_passphrase)
            return self._revoke_own_keys(new_passphrase)
        self._disable_own_slot()
        return Revoked(new_keys=False)

    def _revoke_own_keys(self, new_passphrase: str) -> Revoked:
        header = self.vault.reload_header()
        self._require_authority(header)
        user = header.user_by_id(self.user.id)
        slot = header.slots.get(self.user.id)
        if user is None or slot is None:
            raise DamagedFile(HEADER_NAME, "your key slot is missing")
        number = len(user.sign_keys) + 1
        identity = Identity.generate(
            user.id, f"{user.id}.{number}", header.current_authority.public
        )
        kdf = slot.kdf.fresh()
        new_slot = Slot(kdf, wrap_slot(header.vault_id, identity, new_passphrase, kdf))  # slow
        with self.vault.lock():
            header, previous = self._fresh_header()
            self._require_authority(header)
            self._refresh_keys()
            user = header.user_by_id(self.user.id)
            if user is None or len(user.sign_keys) + 1 != number:
                raise VaultError("your keys changed while the new ones were made: try again")
            for key in user.sign_keys:
                key.active = False
            user.sign_keys.append(SignKey(identity.sign_key_id, identity.sign_public))
            user.box_public = identity.box_public
            user.sealed = seal_keys(
                header.vault_id, user.id, identity.box_public, self._keys, sorted(user.sealed)
            )
            header.slots[user.id] = new_slot
            if user.id not in header.rotation_due:
                header.rotation_due.append(user.id)
            header.serial += 1
            sign_header(header, self._keys)
            self._commit_header(
                header,
                previous,
                "user.rekey",
                {"user": user.id, "key_id": identity.sign_key_id, "compromised": True},
            )
            self.user = user
            self._identity = identity
        if self._witness is not None:
            # So this account's next unlock knows the new key is its own.
            with contextlib.suppress(OSError):
                self._witness.remember_own_key(identity.sign_key_id)
        return Revoked(new_keys=True, rotate=keys_held(user.role))

    def _disable_own_slot(self) -> None:
        with self.vault.lock():
            header, previous = self._fresh_header()
            if header.slots.pop(self.user.id, None) is None:
                raise DamagedFile(HEADER_NAME, "your key slot is missing")
            self._commit_header(
                header,
                previous,
                "user.passwd",
                {"user": self.user.id, "disabled": True, "compromised": True},
            )

    # ------------------------------------------------------------------
    # the recovery code
    # ------------------------------------------------------------------
    def reissue_recovery_code(self) -> str:
        """``ydsi recovery-code reissue``: a new code; the old one opens nothing new.

        Returns the new code, to be printed once. The caller must then rotate
        every key (``ALL_TARGETS``): until it has, ``rotation_due`` says so.
        """
        self._require_identity()
        if self.is_recovery:
            raise AccessDenied("a DSL re-issues the recovery code, not the code itself")
        header = self.vault.reload_header()
        self._require_authority(header)
        number = len(header.recovery.sign_keys) + 1
        recovery = Identity.generate(
            RECOVERY_ID, f"{RECOVERY_ID}.{number}", header.current_authority.public
        )
        code = generate_recovery_code()
        old_slot = header.slots.get(RECOVERY_ID)
        defaults = header.kdf_default
        kdf = (
            old_slot.kdf.fresh()
            if old_slot is not None
            else KdfParams.new(defaults["memory_kib"], defaults["iterations"], defaults["lanes"])
        )
        new_slot = Slot(kdf, wrap_slot(header.vault_id, recovery, code, kdf))  # slow
        with self.vault.lock():
            header, previous = self._fresh_header()
            self._require_authority(header)
            self._refresh_keys()
            if len(header.recovery.sign_keys) + 1 != number:
                raise VaultError("another DSL re-issued the recovery code just now: try again")
            entry = header.recovery
            for key in entry.sign_keys:
                key.active = False
            entry.sign_keys.append(SignKey(recovery.sign_key_id, recovery.sign_public))
            entry.box_public = recovery.box_public
            entry.sealed = seal_keys(
                header.vault_id, RECOVERY_ID, recovery.box_public, self._keys, sorted(entry.sealed)
            )
            header.slots[RECOVERY_ID] = new_slot
            if RECOVERY_ID not in header.rotation_due:
                header.rotation_due.append(RECOVERY_ID)
            header.serial += 1
            sign_header(header, self._keys)
            self._commit_header(
                header,
                previous,
                "recovery.reissue",
                {"user": RECOVERY_ID, "key_id": recovery.sign_key_id},
            )
        return code
