"""Key rotation and the format upgrade's last step: changing which keys the vault uses.

A rotation (after someone leaves, or on a schedule) replaces data keys and
possibly the authority key, then re-encrypts every record under the new
ones: three crash-safe steps, described at :meth:`KeyRotation.rotate`. The
format upgrade ends with a similar whole-vault header change (marking keys a
DSL issued). Both are long-running DSL acts that touch every record, unlike
the single header saves in ``admin.py``, which they build on.

:class:`KeyRotation` is a mixin of :class:`~ydsi_tui.vault.session.Session`;
what it uses of the session and of :class:`~ydsi_tui.vault.admin.UserAdministration`
is declared at the top of the class.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from .audit import AuditEntry
from .crypto import ed25519_public_bytes, private_bytes, random_key, sign
from .drop import drop_private_key
from .errors import KeyChangeIncomplete
from .header import (
    AUTHORITY_ROLES,
    COMPARTMENTS,
    FORMAT_VERSION,
    RECOVERY_ID,
    ROLE_COMPARTMENTS,
    AuthorityKey,
    Header,
    UserEntry,
    endorsement_bytes,
    keys_held,
)
from .keys import seal_keys, sign_header
from .recordfile import RECORD_SUFFIX, peek
from .storage import EncryptedStorage

if TYPE_CHECKING:
    from .storage import RecordChannel
    from .vault import Vault

__all__ = ["KeyRotation"]


class KeyRotation:
    """Replacing data and authority keys, and re-encrypting every record under them."""

    # What this mixin uses of the Session it is part of (session.py, admin.py).
    vault: Vault
    user: UserEntry
    _keys: dict[str, bytes]

    if TYPE_CHECKING:

        @property
        def channel(self) -> RecordChannel: ...

        def _refresh_keys(self) -> None: ...

        def _require_authority(self, header: Header) -> None: ...

        def _fresh_header(self) -> tuple[Header, bytes]: ...

        def _commit_header(
            self, header: Header, previous: bytes, action: str, extra: dict[str, Any]
        ) -> AuditEntry: ...

        def repin(self, passphrase: str) -> bool: ...

    @property
    def rotation_pending(self) -> bool:
        """True while a key rotation was started and not finished."""
        return any(
            len({n for n in self.user.sealed if n.startswith(f"{comp}:")}) > 1
            for comp in COMPARTMENTS
        )

    def rotate(self, targets: list[str], *, passphrase: str | None = None) -> int:
        """Replace data keys (and the authority key) and re-encrypt every record.

        Three steps, each crash-safe: (1) the header gains the new keys, sealed
        to every remaining user, while keeping the old ones; (2) every record is
        re-encrypted under the new key, one atomic save each; (3) the old keys
        are dropped. Until (3), both keys open records, so a crash anywhere
        leaves every passphrase working; running the rotation again finishes it.
        With ``passphrase``, this user's slot is re-pinned to the new authority
        at once (others are re-pinned when they next unlock). Returns the number
        of records re-encrypted.
        """
        compartments = [t for t in targets if t in COMPARTMENTS]
        with self.vault.lock():
            header, previous = self._fresh_header()
            self._require_authority(header)
            self._refresh_keys()
            if not self.rotation_pending:
                self._add_new_keys(header, compartments, rotate_authority="authority" in targets)
                self._commit_header(
                    header,
                    previous,
                    "key.rotate.begin",
                    {"targets": sorted(targets), "epochs": dict(header.epochs)},
                )
        count = 0
        for comp in COMPARTMENTS:
            count += self._reencrypt(comp)
        with self.vault.lock():
            header, previous = self._fresh_header()
            self._drop_old_keys(header)
            header.rotation_due = [
                owner for owner in header.rotation_due if not _covered(header, owner, targets)
            ]
            header.serial += 1
            sign_header(header, self._keys)
            self._commit_header(header, previous, "key.rotate.end", {"epochs": dict(header.epochs)})
            self._refresh_keys()
        if passphrase is not None:
            self.repin(passphrase)
        return count

    def _recipients(self, header: Header) -> list[tuple[str, bytes, dict[str, bytes], str]]:
        out = [(u.id, u.box_public, u.sealed, u.role) for u in header.users if u.active]
        out.append((RECOVERY_ID, header.recovery.box_public, header.recovery.sealed, "recovery"))
        return out

    def _add_new_keys(
        self, header: Header, compartments: list[str], *, rotate_authority: bool
    ) -> None:
        new: dict[str, bytes] = {}
        if "case" in compartments:
            # The staff drop's key of the epoch being retired is kept (as
            # "drop:N", sealed like the case key) so reports filed to it stay
            # openable; the case key itself goes at the end of the rotation.
            old = header.epochs["case"]
            retired = drop_private_key(header.vault_id, old, self._keys[f"case:{old}"])
            new[f"drop:{old}"] = private_bytes(retired)
        for comp in compartments:
            header.epochs[comp] += 1
            new[f"{comp}:{header.epochs[comp]}"] = random_key()
        old_authority = header.current_authority
        if rotate_authority:
            number = len(header.authority) + 1
            private = Ed25519PrivateKey.generate()
            public = ed25519_public_bytes(private)
            key_id = f"authority:{number}"
            old_private = Ed25519PrivateKey.from_private_bytes(self._keys[old_authority.key_id])
            endorsement = sign(old_private, endorsement_bytes(header.vault_id, key_id, public))
            header.authority.append(AuthorityKey(key_id, public, endorsement))
            new[key_id] = private_bytes(private)
        self._keys.update(new)
        for owner, box, sealed, role in self._recipients(header):
            names = [
                n
                for n in new
                if role == "recovery"
                or n.split(":")[0] in ROLE_COMPARTMENTS[role]
                or (n.startswith("drop:") and "case" in ROLE_COMPARTMENTS[role])
                or (n.startswith("authority:") and role in AUTHORITY_ROLES)
            ]
            sealed.update(seal_keys(header.vault_id, owner, box, self._keys, names))
        header.serial += 1
        sign_header(header, self._keys)

    def _drop_old_keys(self, header: Header) -> None:
        current = {f"{c}:{header.epochs[c]}" for c in COMPARTMENTS} | {
            header.current_authority.key_id
        }
        for _, _, sealed, _ in self._recipients(header):
            for name in list(sealed):
                family = name.split(":")[0]
                if family in (*COMPARTMENTS, "authority") and name not in current:
                    del sealed[name]

    def _reencrypt(self, compartment: str) -> int:
        """Re-save every record of a compartment that is not under the current key."""
        directory = self.vault.path / compartment
        current = f"{compartment}:{self.vault.header.epochs[compartment]}"
        count = 0
        for name in sorted(self.vault.fs.listdir(directory)):
            if not name.endswith(RECORD_SUFFIX) or name.startswith("."):
                continue
            record_id = name[: -len(RECORD_SUFFIX)]
            with self.vault.lock():
                storage = EncryptedStorage(
                    channel=self.channel, compartment=compartment, record_id=record_id
                )
                storage.begin()
                if not storage.exists:
                    continue
                if peek(self.vault.fs.read_bytes(storage.path), name).key_name == current:
                    storage.abandon()
                    continue
                storage.mark_changed()
                storage.commit("record.rekey")
                count += 1
        return count

    def finish_upgrade(self) -> int:
        """The last step of ``ydsi upgrade``: raise the header's format, in one audited save.

        Format 1 had DSLs generate every other user's keys under a passphrase
        the DSL typed, so those keys are marked as issued by that DSL (they do
        not count for sign-offs until their owner makes new ones). Returns how
        many keys were so marked.
        """
        with self.vault.lock():
            header, previous = self._fresh_header()
            self._require_authority(header)
            made_by: dict[str, str] = {}
            for entry in self.vault.audit.entries():
                key_id = entry.extra.get("key_id")
                if entry.comp != "header" or not isinstance(key_id, str):
                    continue
                if entry.action in ("user.add", "user.reset"):
                    made_by[key_id] = entry.actor
                elif entry.action == "user.recover":
                    made_by[key_id] = RECOVERY_ID
            marked = 0
            for user in header.users:
                for key in user.sign_keys:
                    issuer = made_by.get(key.key_id)
                    if issuer and issuer != user.id and not key.issued_by:
                        key.issued_by = issuer
                        marked += 1
            header.version = FORMAT_VERSION
            header.serial += 1
            sign_header(header, self._keys)
            self._commit_header(
                header, previous, "vault.upgrade", {"version": FORMAT_VERSION, "marked": marked}
            )
        return marked

    def pending_rotation_error(self) -> KeyChangeIncomplete:
        return KeyChangeIncomplete(
            "a key rotation was interrupted: a DSL must run 'ydsi user rotate' to finish it"
        )


def _covered(header: Header, owner: str, targets: list[str]) -> bool:
    """Did a rotation of ``targets`` replace every key ``owner``'s compromised keys reached?"""
    user = header.user_by_id(owner)
    needed = keys_held(user.role) if user is not None else ["case", "custody", "authority"]
    return set(needed) <= set(targets)
