"""The session's side of the witness: noticing, refusing and acknowledging a rolled-back log.

``witness.py`` keeps, per user, what they saw of the audit log. This module
is what an unlocked session does with it: check it at unlock and before
each save, move it forwards after every acknowledged save or read, refuse
saves while the log is behind it, and let a DSL accept the vault as found
(``witness.ack``) or record a restore from backup (``vault.restore``). It is
state every save consults, but no part of reading or writing a record, so
it lives apart from ``session.py``.

:class:`Witnessing` is a mixin of :class:`~ydsi_tui.vault.session.Session`;
what it uses of the session is declared at the top of the class.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .audit import AuditEntry, Signer
from .crypto import sign
from .errors import AccessDenied, NotSaved, RolledBack, VaultError
from .fs import FileSystem
from .header import UserEntry
from .saving import not_saved, utc_now
from .witness import Finding, Witness

if TYPE_CHECKING:
    from .keys import Identity
    from .vault import Vault

__all__ = ["Witnessing"]


class Witnessing:
    """A session's rollback watch: what this user saw of the log, and what it says now."""

    # What this mixin uses of the Session it is part of (session.py).
    vault: Vault
    user: UserEntry
    is_recovery: bool
    rollback: str | None
    rollback_finding: Finding | None
    witness_warnings: list[str]
    _witness: Witness | None

    if TYPE_CHECKING:

        @property
        def role(self) -> str: ...

        @property
        def signer(self) -> Signer: ...

        @property
        def closed(self) -> bool: ...

        def _require_identity(self) -> Identity: ...

    def _make_witness(self, identity: Identity) -> Witness:
        # Its own file system, not the vault's: the witness is this user's
        # client state, outside the save protocol (and its fault injection).
        return Witness(
            fs=FileSystem(),
            vault_path=self.vault.path,
            vault_id=self.vault.header.vault_id,
            user_id=self.user.id,
            key_id=lambda: self._require_identity().sign_key_id,
            sign=lambda message: sign(self._require_identity().sign, message),
            header=lambda: self.vault.header,
            now=utc_now,
        )

    def _user_name(self, user_id: str) -> str:
        user = self.vault.header.user_by_id(user_id)
        return user.name if user is not None else user_id

    def _witness_warn(self, message: str) -> None:
        if message not in self.witness_warnings:
            self.witness_warnings.append(message)
        if message not in self.vault.warnings:
            self.vault.warnings.append(message)

    def _own_keys_check(self, identity: Identity) -> None:
        """Say so when this user's keys were made by a client that was not this account's.

        A DSL who reset someone knows the passphrase they issued, and could
        unlock as that person and make "their own" keys before they do: keys
        that would count for that person's sign-offs. Their witness, signed
        with the key this account last used, is the one thing the DSL's client
        cannot update. A key that is now owner-made but is not the one this
        account's witness was signed with was made elsewhere: warn, loudly,
        once (the witness then moves to the new key).
        """
        if self._witness is None:
            return
        seen, _ = self._witness.load()
        current = identity.sign_key_id
        if seen is None or seen.key_id == current or not self.user.owner_made_key(current):
            return
        if current in self._witness.own_keys():
            return  # made by this account's own 'ydsi user passwd --new-keys'

        self._witness_warn(
            f"your signing key was replaced since you last used ydsi here (key {seen.key_id} "
            f"is now {current}), by a client that was not this account's: if you did not "
            "make new keys yourself (ydsi enrol or 'ydsi user passwd --new-keys'), tell "
            "another DSL and the DPO now; sign-offs made with it would count as yours"
        )

    def _witness_check(self) -> None:
        """Compare the log with this user's witness (at unlock, and before a save once warned)."""
        if self._witness is None:
            return
        try:
            finding = self._witness.check(self._user_name)
        except OSError as exc:
            self._witness_warn(
                f"your witness of this vault could not be checked ({exc.strerror or exc}); "
                "a rollback of the vault would not be noticed"
            )
            return
        if finding.warning:
            self._witness_warn(finding.warning)
        if finding.note:
            self._witness_warn(finding.note)
        if finding.rollback:
            self.rollback = f"ROLLED BACK: {finding.rollback}"
            self.rollback_finding = finding
            self._witness_warn(
                f"{self.rollback}; nothing can be saved until a DSL runs 'ydsi witness ack'"
            )
        else:
            self.rollback = None
            self.rollback_finding = None

    def _witnessed(self, upto: int | None) -> None:
        """A save or read was acknowledged: move the witness forwards (best effort)."""
        if self._witness is None or self.rollback is not None or self.closed:
            return
        try:
            still = self._witness.advance(upto)
        except (OSError, VaultError) as exc:
            reason = (exc.strerror or str(exc)) if isinstance(exc, OSError) else str(exc)
            self._witness_warn(f"your witness of this vault could not be updated ({reason})")
            return
        if not still:
            self._witness_check()  # the log went back while this session ran

    def refuse_if_rolled_back(self) -> None:
        """Raise RolledBack while the log is behind what this user saw (checked afresh)."""
        if self._witness is None:
            return
        self._witness_check()
        if self.rollback is not None:
            raise RolledBack(
                f"not saved: {self.rollback}; a DSL must acknowledge it with "
                "'ydsi witness ack' first (nothing was changed)"
            )

    def acknowledge_rollback(self) -> AuditEntry:
        """A DSL accepts the vault as it is: a signed ``witness.ack`` naming what was lost.

        Every user's witness that left the log at or before this entry then
        accepts the new history and saves go on; the lost entries stay named
        in the log for good.
        """
        self._require_identity()
        if self.role != "dsl" or self.is_recovery:
            raise AccessDenied("only a DSL can acknowledge that the vault went back")
        with self.vault.lock():
            self._witness_check()
            finding = self.rollback_finding
            if self.rollback is None or finding is None or finding.witnessed is None:
                raise VaultError(
                    "nothing to acknowledge: the audit log holds everything you have seen"
                )
            seen = finding.witnessed
            head = self.vault.audit.head()
            entry = self._append_header_entry(
                "witness.ack",
                {
                    "abandoned": {"seq": seen.seq, "hash": seen.hash},
                    "head": {"seq": head.seq, "hash": head.hash},
                    "lost": [finding.first_lost, seen.seq],
                },
            )
            self._witness_rebuild()
        return entry

    def record_restore(self, extra: dict[str, Any]) -> AuditEntry:
        """After a restore from backup: a DSL-signed ``vault.restore`` entry (see backup.py).

        Witnesses that saw entries the backup does not hold then say "restored
        by X" instead of refusing saves.
        """
        self._require_identity()
        if self.role != "dsl" or self.is_recovery:
            raise AccessDenied("only a DSL can record a restore")
        with self.vault.lock():
            self._witness_check()
            finding = self.rollback_finding
            if finding is not None and finding.witnessed is not None:
                seen = finding.witnessed
                extra = {**extra, "witnessed": {"seq": seen.seq, "hash": seen.hash}}
            entry = self._append_header_entry("vault.restore", extra)
            self._witness_rebuild()
        return entry

    def _append_header_entry(self, action: str, extra: dict[str, Any]) -> AuditEntry:
        """A signed header entry naming no file (the caller holds the lock)."""
        try:
            entry, _ = self.vault.audit.append(
                self.signer, ts=utc_now(), action=action, comp="header", rec="witness", extra=extra
            )
        except (OSError, ValueError) as exc:
            raise NotSaved(not_saved(exc)) from exc
        return entry

    def _witness_rebuild(self) -> None:
        self.rollback = None
        self.rollback_finding = None
        if self._witness is not None:
            self._witness.rebuild = True
        self._witnessed(None)
