"""Which policy is in force, and every policy an incident was handled under.

The policy in force is the one a DSL approved: its digest is pinned in the
vault's signed header (``ydsi policy approve``). The file this process is
pointed at (``$YDSI_POLICY``, else the bundled one) is only a candidate: a
group member can replace a file in the shared directory, and a package
upgrade can change the bundled one, so a file whose digest is not the
approved one is never used silently. New incidents then follow the approved
policy, whose text the vault keeps, and a warning says what waits for
approval; with no approved text at hand, opening a new incident is refused.

An incident records the digest of its policy, and each policy's exact text is
stored, encrypted, in the vault (at approval, and when an incident is opened),
so that old incidents are always read against the procedure they were handled
under, whatever the file says today.
"""

from __future__ import annotations

import hashlib
import os
import shlex
import stat
from dataclasses import dataclass, field, replace
from functools import cache
from importlib import resources
from pathlib import Path

from ..model.policy import (
    BUNDLED_POLICIES,
    BUNDLED_POLICY,
    DEFAULT_BUNDLED,
    Policy,
    PolicyError,
    bundled_policy,
    bundled_policy_bytes,
    parse_policy,
)
from ..model.schoolyear import SchoolCalendar
from ..vault.errors import AccessDenied, VaultError
from ..vault.header import PolicyPin
from ..vault.session import Session
from .calendar import vault_calendar

__all__ = [
    "MAX_POLICY_BYTES",
    "PolicyFile",
    "PolicyLibrary",
    "PolicyNotApproved",
    "approve_policy_file",
    "bundled_files",
    "configured_policy_path",
    "policy_record_ref",
    "read_policy_file",
]

#: The bundled policy is about 31 kB; anything past this is not a policy file.
MAX_POLICY_BYTES = 1024 * 1024
BUNDLED_ORIGIN = f"<bundled>/{BUNDLED_POLICY}"


class PolicyNotApproved(VaultError):
    """No approved policy is at hand here: new incidents wait for a DSL's approval."""


def policy_record_ref(digest: str) -> str:
    return f"policy-{digest[:32]}"


# ---------------------------------------------------------------- the file


@dataclass(frozen=True)
class PolicyFile:
    """The policy file this process is pointed at, as read: a candidate, not the policy in force.

    ``problem`` says why it cannot be used at all (missing, not a policy,
    writable by everyone); ``notes`` say who else could have changed it.
    """

    origin: str
    path: Path | None  # None: the policy shipped with ydsi
    policy: Policy | None
    raw: bytes = b""
    problem: str | None = None
    notes: tuple[str, ...] = ()
    #: For a shipped policy: its short name (``hindley-2016``, ``ukcis-2024``).
    bundled_name: str = ""

    @property
    def approve_command(self) -> str:
        """The command a DSL runs to approve this file."""
        if self.path is None:
            if self.bundled_name and self.bundled_name != DEFAULT_BUNDLED:
                return f"ydsi policy approve --bundled {self.bundled_name}"
            return "ydsi policy approve --bundled"
        return f"ydsi policy approve {shlex.quote(str(self.path))}"


def configured_policy_path(path: Path | None = None) -> Path | None:
    """``path`` if given, else ``$YDSI_POLICY``, else None (the bundled policy)."""
    if path is not None:
        return Path(path)
    configured = os.environ.get("YDSI_POLICY")
    return Path(configured).expanduser() if configured else None


@cache
def bundled_file(name: str = DEFAULT_BUNDLED) -> PolicyFile:
    """A policy shipped with ydsi, by short name (KeyError for a name not shipped).

    Read once: the shipped files change only with the package."""
    origin, raw = bundled_policy_bytes(name)
    if name == DEFAULT_BUNDLED:
        try:  # the same bytes the model reads for its forms: parsed once, not twice
            return PolicyFile(origin, None, bundled_policy(), raw, bundled_name=name)
        except PolicyError:  # pragma: no cover - a broken installation, said below
            pass
    return _parsed(origin, None, raw, (), bundled_name=name)


@cache
def _shipped_digests() -> dict[str, str]:
    """digest -> short name of every shipped text, without parsing one (a start-up
    parsed all of them for the one in force)."""
    return {
        hashlib.sha256(bundled_policy_bytes(name)[1]).hexdigest(): name for name in BUNDLED_POLICIES
    }


def bundled_files() -> list[PolicyFile]:
    """Every policy shipped with ydsi, the default (this school's own) first."""
    return [bundled_file(name) for name in BUNDLED_POLICIES]


def read_policy_file(path: Path | None = None, *, bundled: bool | str = False) -> PolicyFile:
    """Read and check the configured policy file; never raises for a bad file.

    ``bundled``: True for the default shipped policy, or a shipped policy's
    short name; a name not shipped is a file with a problem, not an error.

    A file writable by every user on the server is refused outright: no
    school's set-up needs it. A file another user owns, or that its group may
    change, is read (on a shared server the DSL's copy is read by everyone),
    and a note says so: it is used only while it is the approved one.
    """
    if isinstance(bundled, str):
        if bundled not in BUNDLED_POLICIES:
            names = ", ".join(BUNDLED_POLICIES)
            return PolicyFile(
                f"<bundled>/{bundled}", None, None, problem=f"is not shipped (use one of {names})"
            )
        return bundled_file(bundled)
    target = None if bundled else configured_policy_path(path)
    if target is None:
        return bundled_file()
    origin = str(target)
    try:
        # O_NONBLOCK: a FIFO planted under the name must not hang the program.
        fd = os.open(target, os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0))
    except OSError as exc:
        return PolicyFile(origin, target, None, problem=f"cannot be read ({exc.strerror or exc})")
    with os.fdopen(fd, "rb") as handle:
        info = os.fstat(handle.fileno())
        mode = stat.S_IMODE(info.st_mode)
        if not stat.S_ISREG(info.st_mode):
            return PolicyFile(origin, target, None, problem="is not a regular file")
        if mode & stat.S_IWOTH:
            return PolicyFile(
                origin,
                target,
                None,
                problem=f"every user on this server may change it (mode {mode:04o}), so ydsi "
                f"will not read it: run 'chmod o-w {shlex.quote(origin)}'",
            )
        if info.st_size > MAX_POLICY_BYTES:
            return PolicyFile(origin, target, None, problem="is too large for a policy file")
        try:
            raw = handle.read(MAX_POLICY_BYTES + 1)
        except OSError as exc:
            return PolicyFile(
                origin, target, None, problem=f"cannot be read ({exc.strerror or exc})"
            )
    if len(raw) > MAX_POLICY_BYTES:
        return PolicyFile(origin, target, None, problem="is too large for a policy file")
    return _parsed(origin, target, raw, _ownership_notes(info.st_uid, mode))


def _parsed(
    origin: str,
    path: Path | None,
    raw: bytes,
    notes: tuple[str, ...],
    *,
    bundled_name: str = "",
) -> PolicyFile:
    try:
        policy = parse_policy(raw, origin=origin)
    except PolicyError as exc:
        message = str(exc)
        if message.startswith(f"{origin}: "):
            message = message[len(origin) + 2 :]
        return PolicyFile(origin, path, None, problem=f"is not a usable policy ({message})")
    return PolicyFile(origin, path, policy, raw, notes=notes, bundled_name=bundled_name)


def _ownership_notes(uid: int, mode: int) -> tuple[str, ...]:
    notes: list[str] = []
    getuid = getattr(os, "getuid", None)
    if getuid is not None and uid not in (getuid(), 0):
        notes.append(f"it belongs to another user ({_user_name(uid)})")
    if mode & stat.S_IWGRP:
        notes.append(f"its group may change it (mode {mode:04o})")
    return tuple(notes)


def _user_name(uid: int) -> str:
    try:
        import pwd

        return pwd.getpwuid(uid).pw_name
    except (ImportError, KeyError):
        return f"uid {uid}"


# ---------------------------------------------------------------- the library


def _label(name: str, version: str) -> str:
    return f"{name} {version}"


@dataclass
class _Known:
    policy: Policy
    raw: bytes | None  # None: the text is already in the vault


@dataclass
class PolicyLibrary:
    """Policies by digest: the approved one in force, and every one stored in the vault.

    ``current`` is what forms and screens use for wording and choices: the
    policy in force, or, while none is at hand, the configured file's (no new
    incident is opened under it: :meth:`require_in_force` refuses).
    """

    session: Session
    file: PolicyFile
    approved: PolicyPin | None = None
    in_force: Policy | None = None
    warnings: list[str] = field(default_factory=list)
    #: The school's approved term and INSET dates, given to every policy
    #: handed out so that school-day deadlines count them (service/calendar.py).
    calendar: SchoolCalendar | None = None
    _known: dict[str, _Known] = field(default_factory=dict, repr=False)

    @classmethod
    def build(cls, session: Session, file: PolicyFile | None = None) -> PolicyLibrary:
        """The library for one session: decides the policy in force from the signed header."""
        file = file or read_policy_file()
        pin = session.vault.header.policy
        if (
            file.path is None
            and pin is not None
            and (file.policy is None or file.policy.digest != pin.digest)
        ):
            # No file of the school's own: the vault may have chosen another
            # shipped policy (``ydsi init --policy ukcis-2024``); it is the file.
            chosen = next(
                (f for f in bundled_files() if f.policy and f.policy.digest == pin.digest), None
            )
            if chosen is not None:
                file = chosen
        library = cls(session, file)
        library._settle()
        return library

    # -- deciding ------------------------------------------------------------
    def _settle(self) -> None:
        self.approved = self.session.vault.header.policy
        self.calendar = vault_calendar(self.session.vault.header)
        if self.file.policy is not None:
            self._remember(self.file.policy, self.file.raw)
        bundled = bundled_policy()
        if bundled.digest not in self._known:
            raw = resources.files("ydsi_tui.model").joinpath("policies", BUNDLED_POLICY)
            self._remember(bundled, raw.read_bytes())
        pin = self.approved
        self.in_force = None if pin is None else self._find(pin.digest)
        self.warnings = [w for w in (self._warning(),) if w]

    def _remember(self, policy: Policy, raw: bytes | None) -> None:
        self._known.setdefault(policy.digest, _Known(self._dated(policy), raw))

    def _dated(self, policy: Policy) -> Policy:
        return (
            policy if policy.calendar == self.calendar else replace(policy, calendar=self.calendar)
        )

    def _find(self, digest: str) -> Policy | None:
        """The policy with this digest from any text at hand, else from the vault, else None."""
        known = self._known.get(digest)
        if known is not None:
            return known.policy
        shipped = _shipped_digests().get(digest)  # every shipped text is at hand
        if shipped is not None:
            found = bundled_file(shipped)
            if found.policy is not None and found.policy.digest == digest:
                self._remember(found.policy, found.raw)
                return self._known[digest].policy
        if not self.session.can_read("case"):
            return None
        ref = policy_record_ref(digest)
        if not self.session.exists("case", ref):
            return None
        snapshot = self.session.read("case", ref, log=False)
        doc = next(iter(snapshot.tables.get("policy", {}).values()), None)
        if doc is None:
            return None
        try:
            policy = parse_policy(
                str(doc["text"]).encode("utf-8"), origin=f"vault policy {digest[:12]}"
            )
        except PolicyError:
            return None
        if policy.digest != digest:
            return None  # a stored text that is not what its name says is no use
        policy = self._dated(policy)
        self._known[digest] = _Known(policy, None)
        return policy

    def _warning(self) -> str | None:
        """One paragraph when the file is not the policy in force; None when all is well."""
        pin, file, candidate = self.approved, self.file, self.file.policy
        if pin is not None and candidate is not None and candidate.digest == pin.digest:
            return None
        if candidate is not None:
            said = (
                f"The policy file {file.origin} ({_label(candidate.name, candidate.version)}, "
                f"digest {candidate.digest[:12]})"
            )
            how = f"a DSL must approve it with '{file.approve_command}'."
            notes = f" Note: {' and '.join(file.notes)}." if file.notes else ""
            if pin is None:
                return (
                    f"{said} has not been approved for this vault: {how} "
                    f"No new incident can be opened until then.{notes}"
                )
            head = f"{said} is not the approved one ({pin.digest[:12]}): {how}"
        else:
            head = f"The policy file {file.origin} {file.problem}."
            if pin is None:
                return (
                    f"{head} No policy has been approved for this vault: no new incident can "
                    "be opened until a DSL approves one with 'ydsi policy approve FILE'."
                )
            notes = ""
        approved = f"{_label(pin.name, pin.version)}, digest {pin.digest[:12]}"
        if self.in_force is not None:
            return f"{head} New incidents follow the approved policy ({approved}).{notes}"
        return (
            f"{head} The approved policy ({approved}) is not stored in this vault, so no new "
            f"incident can be opened until a DSL approves a policy.{notes}"
        )

    # -- using ---------------------------------------------------------------
    @property
    def current(self) -> Policy:
        """The policy for wording and choices: the one in force, else the file's."""
        return self._dated(self.in_force or self.file.policy or bundled_policy())

    @property
    def file_matches(self) -> bool:
        """True when the configured file is the approved policy."""
        return (
            self.approved is not None
            and self.file.policy is not None
            and self.file.policy.digest == self.approved.digest
        )

    def require_in_force(self) -> Policy:
        """The approved policy, or the refusal that says how to get one approved."""
        if self.in_force is None:
            raise PolicyNotApproved(
                self.warnings[0] if self.warnings else "no policy is approved for this vault"
            )
        return self.in_force

    def ensure_stored(self) -> None:
        """Store the policy in force, once; idempotent (called when an incident is opened)."""
        self._store(self.require_in_force())

    def _store(self, policy: Policy) -> None:
        ref = policy_record_ref(policy.digest)
        if self.session.exists("case", ref):
            return
        known = self._known.get(policy.digest)
        if known is None or known.raw is None:
            return  # read from the vault in the first place
        with self.session.transaction("case", ref, create=True) as db:
            db.table("policy").insert(
                {
                    "name": policy.name,
                    "version": policy.version,
                    "digest": policy.digest,
                    "text": known.raw.decode("utf-8"),
                }
            )
            db.table("_summary").insert({"type": "policy", "digest": policy.digest})

    def get(self, digest: str) -> Policy:
        """The policy with this digest; falls back to :attr:`current` if it was never stored."""
        return self._find(digest) or self.current

    # -- approving -----------------------------------------------------------
    def approve(self, file: PolicyFile) -> PolicyPin:
        """Make ``file`` the policy in force: its text stored in the vault, its digest pinned.

        The text is stored first, so that a crash between the two leaves an
        unused record rather than a pin with no text behind it.
        """
        if self.session.role != "dsl" or self.session.is_recovery:
            raise AccessDenied("only a DSL can approve the policy in force")
        if file.policy is None:
            raise PolicyNotApproved(f"the policy file {file.origin} {file.problem}")
        policy = file.policy
        self._remember(policy, file.raw)
        self._store(policy)
        pin = self.session.approve_policy(policy.digest, policy.name, policy.version)
        self._settle()
        return pin


def approve_policy_file(session: Session, file: PolicyFile | None = None) -> PolicyPin:
    """Approve ``file`` (default: the configured one) for this session's vault.

    For ``ydsi init``, the demo and test vaults: the policy in force at
    creation is approved by the DSL who made the vault.
    """
    file = file or read_policy_file()
    return PolicyLibrary.build(session, file).approve(file)
