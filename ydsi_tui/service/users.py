"""User administration for the DSL: one implementation for ``ydsi user ...`` and the app.

Listing the users, inviting one (a one-time enrolment code: the new member
of staff makes their own keys with ``ydsi enrol``), endorsing waiting key
requests, and resetting a forgotten passphrase with the recovery code;
removing one, with the rotation of the keys they held, is in
``user_removal.py``. Every act is the vault's own audited header save
(``vault/admin.py``); this module decides what the command line
and the app's Users screen must agree on, above all which refusals come
first, so that a mistake costs no key derivation and changes nothing. The
CLI prints what these return; the app shows it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from ..model.errors import ValidationError
from ..vault.enrolment import read_requests
from ..vault.errors import AccessDenied, UnknownUser, VaultError
from ..vault.header import (
    AUTHORITY_ROLES,
    COMPARTMENTS,
    RECOVERY_ID,
    ROLES,
    check_user_name,
)
from ..vault.keys import check_passphrase

if TYPE_CHECKING:
    from ..vault.header import Header, UserEntry
    from ..vault.session import Session
    from ..vault.vault import Vault

__all__ = [
    "Endorsed",
    "Invitation",
    "Overview",
    "Reset",
    "UserRow",
    "check_login",
    "check_reset",
    "discard_request",
    "endorse_requests",
    "invite_user",
    "list_users",
    "overview",
    "require_dsl",
    "reset_with_recovery_code",
]


# ---------------------------------------------------------------- the list


@dataclass(frozen=True)
class UserRow:
    """One user as ``ydsi user list`` and the Users screen show them.

    ``key_issued_by`` names whoever made the user's current signing key when
    it was not the user (a DSL's reset or ``add_user``, the recovery code):
    such a key does not count for a Headteacher's sign-off. ``request`` is a
    waiting enrolment or re-key request in words; ``request_refused`` when it
    does not verify (a DSL's unlock will not endorse it). ``has_slot`` is
    False for someone whose passphrase was declared compromised: nobody can
    unlock as them until a DSL removes them (with a rotation) and invites
    them again.
    """

    name: str
    role: str
    full_name: str
    pending: bool
    key_issued_by: str | None
    request: str | None
    request_refused: bool
    has_slot: bool

    @property
    def status(self) -> str:
        return "pending enrolment" if self.pending else "active"


def _issued_by(header: Header, user: UserEntry) -> str | None:
    """Who made this user's current signing key: None when they did."""
    try:
        key = user.sign_key
    except LookupError:
        return None
    if key.owner_made:
        return None
    if key.issued_by == RECOVERY_ID:
        return "the recovery code"
    issuer = header.user_by_id(key.issued_by)
    return issuer.name if issuer is not None else "a removed DSL"


def list_users(vault: Vault) -> list[UserRow]:
    """Every user who can unlock or is invited to, in the header's order (no unlock needed)."""
    header = vault.reload_header()
    waiting = {check.request.user if check.request else check.path.stem: check
               for check in read_requests(vault, header)}  # fmt: skip
    rows: list[UserRow] = []
    for user in header.users:
        if not (user.active or user.pending):
            continue
        check = waiting.get(user.id)
        request = None
        if check is not None and not check.done:
            kind = check.request.kind if check.request else "key"
            request = f"{kind} request waiting" + (
                f" ({check.problem})" if check.problem else " (will be endorsed)"
            )
        rows.append(
            UserRow(
                name=user.name,
                role=user.role,
                full_name=user.full_name,
                pending=user.pending,
                key_issued_by=_issued_by(header, user),
                request=request,
                request_refused=check is not None and not check.done and bool(check.problem),
                has_slot=user.pending or user.id in header.slots,
            )
        )
    return rows


@dataclass(frozen=True)
class Overview:
    """The Users screen's list, and what a DSL must still do about keys."""

    users: list[UserRow]
    #: The login of the DSL looking (their own row is refused removal and reset).
    me: str
    #: A rotation was started and not finished: the old keys still open records.
    rotation_unfinished: bool
    #: Keys declared compromised, slots changed outside ydsi (one line each).
    key_warnings: tuple[str, ...]


def overview(session: Session) -> Overview:
    """:func:`list_users` for an unlocked DSL, with the warnings every DSL is shown."""
    require_dsl(session)
    users = list_users(session.vault)
    header = session.vault.header  # just reloaded by list_users
    me = header.user_by_id(session.user.id)
    # As Session.rotation_pending, on the header read now (another DSL's
    # rotation may have started or ended since this session's last save).
    unfinished = me is not None and any(
        len({name for name in me.sealed if name.startswith(f"{comp}:")}) > 1
        for comp in COMPARTMENTS
    )
    due = tuple(slot.brief for slot in session.revocations_due())
    return Overview(users, session.name, unfinished, due)


def require_dsl(session: Session) -> None:
    """Refused before anything is read or derived; the vault checks again under its lock."""
    if session.role not in AUTHORITY_ROLES or session.is_recovery:
        raise AccessDenied("only a DSL can manage users and keys")


# ---------------------------------------------------------------- inviting


@dataclass(frozen=True, repr=False)
class Invitation:
    """A member of staff invited; ``code`` is shown once and kept nowhere (not in a repr)."""

    name: str
    role: str
    code: str
    #: They had been invited before: that code no longer works.
    reissued: bool


def check_login(name: str) -> str:
    """A login name the vault accepts, or a ValidationError on the ``name`` field."""
    try:
        return check_user_name(name)
    except ValueError as exc:
        shown = name if name.isprintable() else ascii(name)
        raise ValidationError("name", f"'{shown}' cannot be a login name: {exc}.") from None


def invite_user(session: Session, name: str, role: str, full_name: str = "") -> Invitation:
    """``ydsi user add``: a one-time enrolment code for a new member of staff.

    The DSL never types (and so never knows) the passphrase over the new
    user's keys: they choose it with ``ydsi enrol`` and the code, and a DSL's
    next unlock endorses the keys they made.
    """
    check_login(name)
    if role not in ROLES:
        raise ValidationError("role", f"unknown role {role!r}: choose one of {', '.join(ROLES)}")
    require_dsl(session)
    header = session.vault.reload_header()
    if header.user_by_name(name) is not None:
        raise ValidationError("name", f"there is already a user called {name!r}")
    reissued = header.pending_by_name(name) is not None
    code = session.issue_enrolment(name, role, full_name)
    return Invitation(name, role, code, reissued)


# ---------------------------------------------------------------- endorsing


@dataclass(frozen=True)
class Endorsed:
    """Whose keys were endorsed, and each request refused, in words."""

    endorsed: tuple[str, ...]
    refused: tuple[str, ...]


def endorse_requests(session: Session) -> Endorsed:
    """``ydsi user endorse``: accept each waiting request that verifies (as a DSL unlock does)."""
    require_dsl(session)
    refused: list[str] = []
    endorsed = session.endorse_requests(refused=refused)
    return Endorsed(tuple(endorsed), tuple(refused))


def discard_request(session: Session, name: str) -> bool:
    """``ydsi user endorse --discard``: drop the request waiting for ``name``; False if none."""
    require_dsl(session)
    return session.discard_request(name)


# ---------------------------------------------------------------- resetting


@dataclass(frozen=True)
class Reset:
    """A forgotten passphrase reset; the new key counts as issued by the recovery code."""

    name: str


def check_reset(vault: Vault, name: str, *, unlocked_as: str | None = None) -> None:
    """The refusals of a reset that need no recovery code (asked before it is typed).

    ``unlocked_as`` is the login of a session open in the same process (the
    app's), whose keys a reset would replace under it: that user changes
    their own passphrase instead.
    """
    header = vault.reload_header()
    if header.user_by_name(name) is None:
        if header.pending_by_name(name) is not None:
            raise VaultError(
                f"{name} has not enrolled yet, so has no passphrase to reset: invite them "
                "again for a new enrolment code"
            )
        raise UnknownUser(f"no user called {name!r} in this vault")
    if name == unlocked_as:
        raise VaultError(
            "this is your own account: change your passphrase with 'Change my passphrase' "
            "(your keys stay yours)"
        )


def reset_with_recovery_code(
    vault: Vault,
    code: str,
    name: str,
    new: str,
    repeated: str,
    *,
    unlocked_as: str | None = None,
) -> Reset:
    """``ydsi recover``: the recovery code gives ``name`` new keys under a new passphrase.

    Authorised by the code from the school safe, never by a DSL's own
    session: a DSL never types the passphrase over another person's keys.
    Everything that can be refused without the code is refused first
    (mismatch, weak, then :func:`check_reset`), so a mistake costs no
    derivation and no throttled attempt.
    """
    if new != repeated:
        raise ValidationError("repeat", "The two new passphrases are not the same.")
    check_passphrase(new)
    check_reset(vault, name, unlocked_as=unlocked_as)
    session = vault.unlock_recovery(code)
    try:
        session.reset_user(name, new)
    finally:
        session.close()
    return Reset(name)
