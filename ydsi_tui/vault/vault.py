"""A vault on disk: creating it, opening it, unlocking it.

Layout of a vault directory::

    vault.json      header: users, roles, public keys, sealed keys, slots
    audit.log       the hash-chained, signed audit log
    .lock           the lock file (flock)
    case/           one encrypted file per incident   (case key)
    custody/        one encrypted file per device     (custody key)
    throttle/       failed-unlock counters, one small file per user

Every save goes through the save protocol (:mod:`ydsi_tui.vault.saving`);
opening settles whatever a crash left of one (:meth:`Vault.repair`).
"""

from __future__ import annotations

import contextlib
import json
import os
import secrets
import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from . import enrolment, saving
from .audit import AUDIT_NAME, AuditEntry, AuditLog, Signer
from .crypto import (
    KdfParams,
    canonical_json,
    ed25519_public_bytes,
    random_key,
    sha256_hex,
)
from .errors import (
    AccessDenied,
    DamagedFile,
    NeedsUpgrade,
    RecordDamaged,
    UnknownUser,
    UnsafeFile,
    VaultError,
    VaultExists,
    VaultNotFound,
    WrongPassphrase,
)
from .fs import TEMP_PREFIX, FileSystem, Modes
from .header import (
    COMPARTMENTS,
    FORMAT_VERSION,
    HEADER_NAME,
    RECOVERY_ID,
    AuthorityKey,
    Header,
    RecoveryEntry,
    SignKey,
    Slot,
    UserEntry,
    check_user_name,
)
from .hygiene import harden_process, set_umask
from .keys import (
    Identity,
    check_passphrase,
    keys_for_role,
    open_slot,
    seal_keys,
    sign_header,
    unseal_keys,
    wrap_slot,
)
from .ledger import Ledger
from .lock import LOCK_NAME, VaultLock
from .recordfile import RECORD_SUFFIX
from .recovery_code import generate as generate_recovery_code
from .recovery_code import normalise as normalise_recovery_code
from .saving import unreadable, utc_now
from .sealed_entries import SEALED_COMPARTMENTS, EntrySealer

if TYPE_CHECKING:
    # Imported where a session is made: opening a vault to show who may unlock it
    # needs none of it (30 to 45 ms of the launch to the unlock screen, measured on
    # 2 CPUs), and the unlock imports it while the key derivation runs.
    from .session import Session

__all__ = ["RECOVERY_ID", "Vault", "unreadable", "utc_now"]

THROTTLE_DIR = "throttle"
#: Failed unlocks allowed before each further attempt is made to wait.
FREE_ATTEMPTS = 5
#: The longest wait before an unlock, however many failures a throttle file claims.
#:
#: Every member of the vault's group can write every throttle file, so the
#: counter is theirs to set: ``{"failures":40}`` made every unlock of that
#: user wait the old 30 s cap, a lockout in all but name (a DSL opening the
#: vault in a hurry gives up). The wait is no defence against that same group
#: member either: they can read ``vault.json`` and guess offline, where only
#: Argon2id slows them. It only slows someone guessing through ydsi, who
#: already pays an Argon2id run (about a second) per guess, so 4 s more per
#: guess after the fifth is as much as helps, and a planted counter can cost
#: an honest user 4 s once: their next right passphrase clears it.
MAX_DELAY = 4.0
#: Failures counted at most: past this every attempt waits :data:`MAX_DELAY`
#: anyway, and clamping first keeps ``2 ** n`` finite for any value planted.
MAX_FAILURES = 64


class Vault:
    """An opened vault directory (header parsed and checked, nothing unlocked yet)."""

    def __init__(self, path: Path, header: Header, fs: FileSystem, warnings: list[str]) -> None:
        self.path = path
        self.header = header
        self.fs = fs
        self.modes = Modes(header.shared)
        # The lock is the vault directory itself: a file inside it could be
        # renamed over by any member of the group, and two writers would then
        # each hold a lock on a different inode.
        self.lock = VaultLock(path)
        self.audit = AuditLog(fs, path / AUDIT_NAME, header.vault_id)
        self.ledger = Ledger(fs, path / AUDIT_NAME, header.vault_id)
        self.warnings = warnings
        #: The case roles' sealers, by the session that brought each (see use_entry_sealer).
        self._sealers: dict[int, EntrySealer] = {}
        #: Slots set aside because they are not what the log last saved, by owner.
        self.slot_problems: dict[str, str] = {}
        #: Replaced in tests so that throttling can be observed without waiting.
        self.sleep: Callable[[float], None] = time.sleep

    # ------------------------------------------------------------------
    # opening
    # ------------------------------------------------------------------
    @classmethod
    def open(
        cls,
        path: Path | str,
        *,
        fs: FileSystem | None = None,
        repair: bool = True,
        any_format: bool = False,
    ) -> Vault:
        """Open (not unlock) a vault; finish or clean up any save a crash interrupted.

        The header must be the one the audit log last vouched for: every older
        ``vault.json`` carries a valid authority signature too, and putting one
        back would return a removed user their access. ``any_format`` lets
        ``verify`` and ``upgrade`` open a format-1 vault; nothing else may.
        """
        path = Path(path)
        fs = fs or FileSystem()
        header_path = path / HEADER_NAME
        try:
            found = path.is_dir() and fs.exists(header_path)
        except PermissionError as exc:  # a folder on the way is closed to this login
            raise VaultError(f"{path}: permission denied (are you in the vault's group?)") from exc
        if not found:
            raise VaultNotFound(_not_found(path))
        try:
            data = fs.read_bytes(header_path)
        except PermissionError as exc:
            raise VaultError(
                f"{header_path}: permission denied (are you in the vault's group?)"
            ) from exc
        except OSError as exc:
            raise VaultError(unreadable(exc)) from exc
        header = Header.from_bytes(data, str(header_path))
        if not header.signature_ok():
            raise DamagedFile(
                str(header_path), "its signature does not verify: altered outside ydsi"
            )
        set_umask(header.shared)
        harden_process()
        if header.version < FORMAT_VERSION and not any_format:
            raise NeedsUpgrade(
                f"this vault uses format {header.version}; this ydsi writes format "
                f"{FORMAT_VERSION}: a DSL must run 'ydsi upgrade --vault {path}' first "
                "(it checks the vault, then migrates it; nothing is lost)"
            )
        vault = cls(path, header, fs, _permission_warnings(fs, path, header.shared))
        if repair:
            vault.repair()
        vault.check_header(data)
        return vault

    def check_header(self, data: bytes) -> None:
        """Refuse a ``vault.json`` the audit log does not vouch for (rolled back, replaced).

        A header save in progress elsewhere (entry written, file not yet
        renamed) looks the same for an instant, so a mismatch is checked again
        under the lock before it is reported.
        """
        try:
            self._vouch_header(data)
            return
        except DamagedFile:
            if self.lock.held:  # our own save holds it: the file is as it will stay
                self._vouch_header(data, per_slot=True)
                return
        with self.lock():
            self._vouch_header(self._read_header_bytes(), per_slot=True)

    def _vouch_header(self, data: bytes, *, per_slot: bool = False) -> None:
        """Accept the header the log vouches for; with ``per_slot``, set bad slots aside.

        The signed part must be exactly that of the last audited save. A slot
        is its owner's alone (their keys, under their passphrase), so one that
        differs from the digest that save recorded (edited, spliced from an
        old copy, planted, malformed) disables only its owner, named in
        :attr:`slot_problems` and in a warning; it is never used or re-pinned.
        Only under the lock: a passphrase change being saved elsewhere looks
        the same for an instant.
        """
        path = self.path / HEADER_NAME
        header = Header.from_bytes(data, str(path))
        if not header.signature_ok():
            raise DamagedFile(str(path), "its signature does not verify: altered outside ydsi")
        self.ledger.refresh()
        try:
            self.ledger.vouch(header, "header", HEADER_NAME, sha256_hex(data), str(path))
            problems = dict(header.bad_slots)
        except RecordDamaged as exc:
            found = self._slot_problems(header) if per_slot else None
            if found is None:
                raise DamagedFile(
                    str(path),
                    f"{exc.reason}; nobody can unlock until a DSL puts back the vouched header "
                    "(from the newest backup): 'ydsi verify' says more",
                ) from exc
            problems = found
        for owner in problems:
            header.slots.pop(owner, None)
        if problems != self.slot_problems:
            self.warnings.extend(
                f"{HEADER_NAME}: the key slot of {header.owner_name(owner)} {reason}: "
                "only they are locked out, until a DSL acts ('ydsi verify' says more)"
                for owner, reason in sorted(problems.items())
                if owner not in self.slot_problems
            )
        self.slot_problems = problems
        self.header = header

    def _slot_problems(self, header: Header) -> dict[str, str] | None:
        """Which slots differ from the last audited save, if only slots do; else None."""
        write = self.ledger.latest_valid(header, "header", HEADER_NAME)
        entry = self.ledger.entry_of(write) if write is not None else None
        binding = entry.extra.get("binding") if entry is not None else None
        if not isinstance(binding, dict) or binding.get("body") != header.body_digest():
            return None
        audited = binding.get("slots")
        if not isinstance(audited, dict):
            return None
        where = f"(not the one saved at audit entry {entry.seq if entry else '?'})"
        problems = {owner: f"{why} {where}" for owner, why in header.bad_slots.items()}
        for owner, slot in header.slots.items():
            if owner not in audited:
                problems[owner] = "was added outside ydsi"
            elif audited[owner] != slot.digest():
                problems[owner] = f"was changed outside ydsi {where}"
        for owner in audited:
            if owner not in header.slots and owner not in problems:
                problems[owner] = f"was deleted outside ydsi {where}"
        return problems

    def _read_header_bytes(self) -> bytes:
        try:
            return self.fs.read_bytes(self.path / HEADER_NAME)
        except OSError as exc:
            raise VaultError(unreadable(exc)) from exc

    def reload_header(self) -> Header:
        """Read the header afresh (another user may have changed it), vouched by the log.

        Header saves build on this, so a stale or rolled-back base is refused
        here rather than signed again by a DSL.
        """
        self.check_header(self._read_header_bytes())
        return self.header

    def use_entry_sealer(self, holder: object, sealer: EntrySealer | None) -> list[str]:
        """A case role's session unlocked (or closed: None): seal and open case entries.

        Several sessions may share this object (the app's unlock after a
        lock, a DSL's and a Headteacher's session in one process); the
        sealer stays while any session that brought one is open, so one
        session closing never leaves another writing case entries in clear.
        Saves of case records left half-done by a crash can be settled only
        now: whether the log names a leftover file is sealed in the log.
        Returns what was settled.
        """
        if sealer is None:
            self._sealers.pop(id(holder), None)
        else:
            self._sealers[id(holder)] = sealer
        active = next(reversed(self._sealers.values()), None)
        self.audit.sealer = active
        self.audit.sealed_compartments = SEALED_COMPARTMENTS if active else frozenset()
        if active is None:
            self.ledger.drop_opener()
            return []
        self.ledger.set_opener(active)
        return self._settle_sealed() if sealer is not None else []

    def _settle_sealed(self) -> list[str]:
        done: list[str] = []
        for comp in sorted(SEALED_COMPARTMENTS):
            directory = self.path / comp
            try:
                leftovers = [n for n in self.fs.listdir(directory) if n.startswith(TEMP_PREFIX)]
            except OSError:
                continue
            if not leftovers or not os.access(self.path, os.W_OK):
                continue
            with self.lock():
                for name in leftovers:
                    if self.fs.exists(directory / name):
                        done.append(self._settle_temp(directory / name, comp))
        return done

    def repair(self) -> list[str]:
        """Crash recovery: cut a torn audit line; roll forward or remove temp files.

        Also recreates the vault's standard directories if they are missing:
        git, and some backup tools, drop empty directories, and a vault
        restored without ``custody/`` (no device logged yet) or ``throttle/``
        would otherwise refuse every save there, fail verify, and silently stop
        slowing down wrong passphrases. Records that were in a deleted
        directory are still reported missing by verify.

        Needs write access; on a read-only vault it is skipped with a warning,
        because reading must still work there.
        """
        if not os.access(self.path, os.W_OK):
            self.warnings.append("the vault is read-only here: nothing can be saved")
            return []
        done: list[str] = []
        with self.lock():
            for name in (*COMPARTMENTS, THROTTLE_DIR):
                if not self.fs.exists(self.path / name):
                    self.fs.mkdir(self.path / name, self.modes.dir)
                    self.fs.fsync_dir(self.path)
                    done.append(f"recreated the empty directory {name}/")
            if self.audit.repair_tail():
                done.append("cut an incomplete audit entry left by an interrupted save")
            for directory, comp in [
                (self.path, "header"),
                *((self.path / c, c) for c in COMPARTMENTS),
            ]:
                if not directory.is_dir():
                    continue
                try:
                    names = self.fs.listdir(directory)
                except PermissionError:
                    # case/ in a group of its own (the server install): not this
                    # account's to list (a technician); a case role's open settles it.
                    continue
                if comp in SEALED_COMPARTMENTS and self.audit.sealer is None:
                    # Whether the log names a leftover here is sealed: a case
                    # role settles it once unlocked (use_entry_sealer); until
                    # then a read of that record waits, as for a save in progress.
                    continue
                for name in names:
                    if name.startswith(TEMP_PREFIX):
                        done.append(self._settle_temp(directory / name, comp))
        return done

    def _settle_temp(self, tmp: Path, comp: str) -> str:
        """A leftover temporary file: finish its save if the log names it, else drop it."""
        label = tmp.name[len(TEMP_PREFIX) :].rsplit("-", 1)[0]
        if comp == "header":
            target, rec = self.path / HEADER_NAME, HEADER_NAME
        else:
            rec = label
            target = self.path / comp / f"{rec}{RECORD_SUFFIX}"
        try:
            data = self.fs.read_bytes(tmp)
        except UnsafeFile as exc:
            # A FIFO, link or directory under a temporary name: no save of
            # ydsi's, and reading it would stop every open. Left in place.
            return f"left alone: {exc}"
        except OSError:
            return f"could not read leftover {tmp.name}"
        last = self.audit.last_for(comp, rec)
        current = self.fs.read_bytes(target) if self.fs.exists(target) else None
        if (
            last is not None
            and last.hash == sha256_hex(data)
            and (current is None or sha256_hex(current) != last.hash)
        ):
            self.fs.replace(tmp, target)
            self.fs.fsync_dir(target.parent)
            return f"finished an interrupted save of {comp}/{rec}"
        self.fs.unlink(tmp)
        return f"removed an unfinished temporary file ({tmp.name})"

    # ------------------------------------------------------------------
    # creating
    # ------------------------------------------------------------------
    @classmethod
    def create(
        cls,
        path: Path | str,
        *,
        user: str,
        passphrase: str,
        full_name: str = "",
        kdf: KdfParams | None = None,
        shared: bool = False,
        fs: FileSystem | None = None,
        case_group: int | None = None,
    ) -> tuple[Session, str]:
        """Make a new vault whose first user is a DSL; returns it and the recovery code.

        ``case_group`` (a gid; shared vaults only) gives ``case/`` a group of its
        own, setgid so every case file made in it inherits that group: accounts
        in the vault's group but not this one (technicians) cannot list it.
        """
        path = Path(path)
        if case_group is not None and not shared:
            raise VaultError("a group of its own for case/ needs a shared vault (--shared)")
        fs = fs or FileSystem()
        check_user_name(user)
        check_passphrase(passphrase)
        kdf = kdf or KdfParams.new()
        if fs.exists(path / HEADER_NAME):
            raise VaultExists(f"{path} already holds a vault")
        if path.exists() and (not path.is_dir() or any(path.iterdir())):
            raise VaultExists(f"{path} exists and is not an empty directory")
        set_umask(shared)
        harden_process()
        modes = Modes(shared)
        if not path.exists():
            path.parent.mkdir(parents=True, exist_ok=True)
            fs.mkdir(path, modes.dir)
        else:
            os.chmod(path, modes.dir)

        vault_id = secrets.token_hex(16)
        authority = Identity.generate("authority", "authority:1", b"")
        authority_key = AuthorityKey("authority:1", authority.sign_public, None)
        keys: dict[str, bytes] = {
            "case:1": random_key(),
            "custody:1": random_key(),
            "index:case": random_key(),
            "index:custody": random_key(),
            "authority:1": _private(authority),
        }
        user_id = secrets.token_hex(16)
        first = Identity.generate(user_id, f"{user_id}.1", authority.sign_public)
        recovery = Identity.generate(RECOVERY_ID, "recovery.1", authority.sign_public)
        code = generate_recovery_code()

        header = Header(
            vault_id=vault_id,
            created_at=utc_now(),
            shared=shared,
            serial=1,
            kdf_default={
                "memory_kib": kdf.memory_kib,
                "iterations": kdf.iterations,
                "lanes": kdf.lanes,
            },
            authority=[authority_key],
            epochs={"case": 1, "custody": 1},
            users=[],
            recovery=RecoveryEntry(
                box_public=recovery.box_public,
                sign_keys=[SignKey(recovery.sign_key_id, recovery.sign_public)],
            ),
        )
        header.users.append(
            UserEntry(
                id=user_id,
                name=user,
                role="dsl",
                full_name=full_name,
                active=True,
                box_public=first.box_public,
                sign_keys=[SignKey(first.sign_key_id, first.sign_public)],
            )
        )
        header.users[0].sealed = seal_keys(
            vault_id, user_id, first.box_public, keys, keys_for_role("dsl", header)
        )
        header.recovery.sealed = seal_keys(
            vault_id, RECOVERY_ID, recovery.box_public, keys, list(keys)
        )
        header.slots = {
            user_id: Slot(kdf, wrap_slot(vault_id, first, passphrase, kdf)),
            RECOVERY_ID: _recovery_slot(vault_id, recovery, code, kdf),
        }
        sign_header(header, keys)

        # Files that must exist before the first save can be made.
        for comp in (*COMPARTMENTS, THROTTLE_DIR):
            fs.mkdir(path / comp, modes.dir)
        if case_group is not None:
            try:
                os.chown(path / "case", -1, case_group)
                os.chmod(path / "case", modes.dir)  # chown clears setgid on some systems
            except OSError as exc:
                raise VaultError(
                    f"cannot give case/ its group (gid {case_group}): {exc.strerror}; "
                    "you must be a member of that group"
                ) from exc
        for name in (LOCK_NAME, AUDIT_NAME):
            fd = fs.open_new(path / name, modes.file)
            fs.fsync(fd, name)
            fs.close(fd)
        fs.fsync_dir(path)

        vault = cls(path, header, fs, [])
        from .session import Session

        session = Session(vault, header.users[0], first, keys)
        with vault.lock():
            vault.commit_file(
                session.signer,
                comp="header",
                rec=HEADER_NAME,
                path=path / HEADER_NAME,
                data=header.to_bytes(),
                previous=None,
                action="vault.init",
                extra={
                    "authority": sha256_hex(authority_key.public)[:32],
                    "user": user_id,
                    "role": "dsl",
                    "key_id": first.sign_key_id,
                    "binding": header.binding(),
                },
            )
        return session, code

    # ------------------------------------------------------------------
    # unlocking
    # ------------------------------------------------------------------
    def users(self) -> list[UserEntry]:
        return [u for u in self.header.users if u.active]

    def unlock(self, name: str, passphrase: str) -> Session:
        """Derive, unwrap, unseal; wrong passphrases are counted and slowed down."""
        header = self.reload_header()
        user = header.user_by_name(name)
        if user is None:
            raise UnknownUser(
                f"no user called {name!r} in this vault ('ydsi user list' shows them)"
            )
        slot = header.slots.get(user.id)
        if user.id in self.slot_problems:
            raise DamagedFile(
                str(self.path / HEADER_NAME),
                f"the key slot of {name} {self.slot_problems[user.id]}, so it is not used: "
                f"a DSL resets {name} ('ydsi recover {name}' with the recovery code) or removes "
                "and invites them again; nobody else is affected",
            )
        if slot is None:
            # Removed on purpose by 'passwd --compromised' (audited), or outside ydsi
            # (then the header no longer matches the log and open refused it).
            raise AccessDenied(
                f"{name} has no key slot, so nobody can unlock as {name} (removed when the "
                "passphrase was declared compromised): a DSL removes and invites them again"
            )
        self._throttle(user.id)
        try:
            identity = open_slot(header.vault_id, user.id, passphrase, slot.kdf, slot.wrapped)
        except WrongPassphrase:
            failures = self._count_failure(user.id)
            hint = " (attempts are now slowed down)" if failures >= FREE_ATTEMPTS else ""
            raise WrongPassphrase(f"passphrase not recognised for {name}{hint}") from None
        self._check_identity(header, user, identity)
        keys = unseal_keys(header.vault_id, identity, user.sealed)
        self._clear_failures(user.id)
        from .session import Session

        session = Session(self, user, identity, keys)
        self._repin(session, identity, passphrase)
        return session

    def confirm_passphrase(self, user_id: str, passphrase: str) -> None:
        """Check a passphrase against a user's slot, counted and slowed down as unlocks are.

        For an unlocked session asked for its passphrase again
        (:meth:`Session.confirm_passphrase`); nothing is changed but the
        failure count.
        """
        header = self.reload_header()
        user = header.user_by_id(user_id)
        slot = header.slots.get(user_id)
        if user is None or slot is None:
            raise DamagedFile(str(self.path / HEADER_NAME), "your key slot is missing")
        self._throttle(user_id)
        try:
            open_slot(header.vault_id, user_id, passphrase, slot.kdf, slot.wrapped)
        except WrongPassphrase:
            failures = self._count_failure(user_id)
            hint = " (attempts are now slowed down)" if failures >= FREE_ATTEMPTS else ""
            raise WrongPassphrase(f"passphrase not recognised for {user.name}{hint}") from None
        self._clear_failures(user_id)

    def unlock_recovery(self, typed_code: str) -> Session:
        """A session acting as the recovery code: it may only reset passphrases."""
        try:
            code = normalise_recovery_code(typed_code)
        except ValueError as exc:
            raise WrongPassphrase(str(exc)) from None
        header = self.reload_header()
        slot = header.slots.get(RECOVERY_ID)
        if slot is None:
            why = self.slot_problems.get(RECOVERY_ID, "is missing")
            raise DamagedFile(
                str(self.path / HEADER_NAME),
                f"the recovery code's slot {why}: a DSL re-issues the code "
                "('ydsi recovery-code reissue')",
            )
        self._throttle(RECOVERY_ID)
        try:
            identity = open_slot(header.vault_id, RECOVERY_ID, code, slot.kdf, slot.wrapped)
        except WrongPassphrase:
            self._count_failure(RECOVERY_ID)
            raise WrongPassphrase("recovery code not recognised for this vault") from None
        if identity.box_public != header.recovery.box_public:
            raise DamagedFile(str(self.path / HEADER_NAME), "the recovery slot does not match")
        if not header.authority_chain_ok(identity.trusted_authority):
            raise DamagedFile(str(self.path / HEADER_NAME), "the header's authority was replaced")
        keys = unseal_keys(header.vault_id, identity, header.recovery.sealed)
        self._clear_failures(RECOVERY_ID)
        recovery_user = UserEntry(
            id=RECOVERY_ID,
            name=RECOVERY_ID,
            role="dsl",
            full_name="Recovery code",
            active=True,
            box_public=identity.box_public,
            sign_keys=header.recovery.sign_keys,
        )
        from .session import Session

        session = Session(self, recovery_user, identity, keys, recovery=True)
        self._repin(session, identity, code)
        return session

    def enrol(self, name: str, code: str, passphrase: str, *, kdf: KdfParams | None = None) -> Path:
        """``ydsi enrol``: make this invited user's own keys and ask a DSL to endorse them.

        The keys are generated here, on the new user's client, and wrapped
        under a passphrase nobody else typed; what leaves is a request file
        signed by the enrolment code and by the new key. Nothing in the header
        changes until a DSL's session endorses it. Returns the request's path.
        """
        check_passphrase(passphrase)
        header = self.reload_header()
        user = header.pending_by_name(name)
        if user is None:
            if header.user_by_name(name) is not None:
                raise VaultError(f"{name} has already enrolled: unlock with your passphrase")
            raise UnknownUser(
                f"no enrolment is waiting for {name!r}: ask a DSL to run 'ydsi user add {name}'"
            )
        try:
            verifier = enrolment.verifier_key(code, header.vault_id, user.id)
        except ValueError as exc:
            raise WrongPassphrase(str(exc)) from None
        if ed25519_public_bytes(verifier) != user.enrol_verifier:
            raise enrolment.code_mismatch(name)
        defaults = header.kdf_default
        kdf = kdf or KdfParams.new(
            defaults["memory_kib"], defaults["iterations"], defaults["lanes"]
        )
        request = enrolment.make_request(
            "enrol",
            header,
            user,
            passphrase,
            kdf,
            verifier,
            enrolment.vouch_public(verifier),
            utc_now(),
        )
        return enrolment.write_request(self, request, name)

    def _repin(self, session: Session, identity: Identity, secret: str) -> None:
        """Re-pin a slot still trusting an older authority (best effort: reading must work)."""
        if identity.trusted_authority != self.header.current_authority.public:
            with contextlib.suppress(VaultError, OSError):
                session.repin(secret)

    def _check_identity(self, header: Header, user: UserEntry, identity: Identity) -> None:
        """The unwrapped keys must be the ones the signed header lists for this user."""
        path = str(self.path / HEADER_NAME)
        if identity.box_public != user.box_public:
            raise DamagedFile(path, f"the public key listed for {user.name} was replaced")
        if not any(
            k.key_id == identity.sign_key_id and k.public == identity.sign_public and k.active
            for k in user.sign_keys
        ):
            raise DamagedFile(path, f"the signing key listed for {user.name} was replaced")
        if not header.authority_chain_ok(identity.trusted_authority):
            raise DamagedFile(path, "the header is signed by an authority this user never trusted")

    # -- throttling ----------------------------------------------------
    def _throttle_path(self, owner: str) -> Path:
        return self.path / THROTTLE_DIR / owner

    def _failures(self, owner: str) -> int:
        """The failure count in ``throttle/<owner>``, as a number in 0..MAX_FAILURES.

        The file is anyone's in the group to write, so whatever it holds is
        read as a bounded count: not JSON, not an integer, negative, or not a
        plain small file (a FIFO, a directory, a link) counts 0, which is no
        more than deleting the file, which the same person can do; a huge
        number counts :data:`MAX_FAILURES`. A file that is not a plain small
        file is also named in :attr:`warnings`, since only someone outside
        ydsi puts one there.
        """
        try:
            doc = json.loads(self.fs.read_bytes(self._throttle_path(owner)))
            value = doc["failures"]
        except UnsafeFile as exc:
            warning = f"{exc}: the failed-unlock counter was ignored; remove it"
            if warning not in self.warnings:
                self.warnings.append(warning)
            return 0
        except (OSError, VaultError, ValueError, KeyError, TypeError, RecursionError):
            return 0
        if isinstance(value, bool) or not isinstance(value, int):
            return 0
        return max(0, min(value, MAX_FAILURES))

    def _throttle(self, owner: str) -> None:
        failures = self._failures(owner)
        if failures >= FREE_ATTEMPTS:
            self.sleep(throttle_delay(failures))

    def _count_failure(self, owner: str) -> int:
        failures = self._failures(owner) + 1
        self._write_throttle(owner, failures)
        return failures

    def _clear_failures(self, owner: str) -> None:
        if self._failures(owner):
            self._write_throttle(owner, 0)

    def _write_throttle(self, owner: str, failures: int) -> None:
        # Best effort: a read-only vault must still open for reading.
        with contextlib.suppress(OSError, VaultError), self.lock():
            self.fs.write_file_atomic(
                self._throttle_path(owner),
                canonical_json({"failures": failures}),
                self.modes.file,
            )

    # ------------------------------------------------------------------
    # the save protocol (saving.py)
    # ------------------------------------------------------------------
    def commit_file(
        self,
        signer: Signer,
        *,
        comp: str,
        rec: str,
        path: Path,
        data: bytes,
        previous: bytes | None,
        action: str,
        extra: dict[str, Any] | None = None,
    ) -> AuditEntry:
        """Write ``data`` at ``path`` and log it, all or nothing: :func:`saving.commit_file`."""
        return saving.commit_file(
            self,
            signer,
            comp=comp,
            rec=rec,
            path=path,
            data=data,
            previous=previous,
            action=action,
            extra=extra,
        )


def _not_found(path: Path) -> str:
    """Why there is no vault here; making one is suggested only where nothing else is.

    A mistyped path beside a real vault, or a folder of other files, must not
    invite a second, empty vault that staff then start using by mistake.
    """
    if path.is_dir():
        try:
            has_files = any(path.iterdir())
        except OSError:
            has_files = True
        if has_files:
            return f"no vault at {path}: the folder holds other files but no vault.json"
    elif path.exists():
        return f"no vault at {path}: it is a file, not a vault folder"
    return f"no vault at {path}: create one with 'ydsi init --vault {path}'"


def throttle_delay(failures: int) -> float:
    """Seconds to wait before an unlock after ``failures`` failed ones (never overflows)."""
    over = max(0, min(failures, MAX_FAILURES) - FREE_ATTEMPTS)
    return 0.0 if failures < FREE_ATTEMPTS else min(2.0 ** min(over, 16), MAX_DELAY)


def _recovery_slot(vault_id: str, recovery: Identity, code: str, kdf: KdfParams) -> Slot:
    params = kdf.fresh()
    return Slot(params, wrap_slot(vault_id, recovery, code, params))


def _private(identity: Identity) -> bytes:
    from .crypto import private_bytes

    return private_bytes(identity.sign)


def _linked_folders(path: Path) -> list[str]:
    """The vault's own folders that are symbolic links (O_NOFOLLOW guards a last part only)."""
    return [name for name in (*COMPARTMENTS, THROTTLE_DIR) if (path / name).is_symlink()]


def _permission_warnings(fs: FileSystem, path: Path, shared: bool) -> list[str]:
    """Files other users can read are worth a loud warning, not a refusal."""
    warnings: list[str] = []
    loose = 0o007 if shared else 0o077
    with contextlib.suppress(OSError):
        parent = path.resolve().parent
        parent_mode = os.stat(parent).st_mode
        if parent_mode & 0o022 and not parent_mode & 0o1000:
            warnings.append(
                f"{parent} (the folder holding the vault) can be written by others: whoever "
                f"can rename {path.name} can defeat the vault's lock; run 'chmod go-w {parent}'"
            )
    for linked in _linked_folders(path):
        warnings.append(
            f"{linked}/ is a symbolic link, not the vault's own folder: whoever can change "
            "where it points can show you other files, and no save goes there until the real "
            "folder is put back"
        )
    candidates = [path, path / HEADER_NAME, path / AUDIT_NAME, *(path / c for c in COMPARTMENTS)]
    for candidate in candidates:
        with contextlib.suppress(OSError):
            if fs.mode(candidate) & loose:
                who = "other users" if shared else "other users or the group"
                warnings.append(
                    f"{candidate} can be read by {who}: run 'chmod -R go-rwx {path}'"
                    if not shared
                    else f"{candidate} can be read by {who}: run 'chmod -R o-rwx {path}'"
                )
    return warnings
