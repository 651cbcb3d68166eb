"""User administration for the DSL: one implementation for ``ydsi user ...`` and the app.

Listing the users, inviting one (a one-time enrolment code: the new member
of staff makes their own keys with ``ydsi enrol``), endorsing waiting key
requests, removing one with the rotation of the keys they held, and
resetting a forgotten passphrase with the recovery code. Every act is the
vault's own audited header save (``vault/admin.py``, ``vault/rotation.py``);
this module decides what the command line and the app's Users screen must
agree on: which refusals come first (so a mistake costs no key derivation
and changes nothing), that a removal is not done until the keys the user
held are rotated, and that the staff drop's published key follows a rotation.
The CLI prints what these return; the app shows it.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from ..model.errors import ValidationError
from ..vault.enrolment import read_requests
from ..vault.errors import AccessDenied, KeyChangeIncomplete, UnknownUser, VaultError
from ..vault.header import AUTHORITY_ROLES, RECOVERY_ID, ROLES, check_user_name, keys_held
from ..vault.keys import check_passphrase

if TYPE_CHECKING:
    from ..vault.header import Header, UserEntry
    from ..vault.session import Session
    from ..vault.vault import Vault

__all__ = [
    "ALL_DATA_KEYS",
    "DropRepublished",
    "DropSettings",
    "Endorsed",
    "Invitation",
    "Removal",
    "RemovalPlan",
    "Reset",
    "Rotated",
    "UserRow",
    "check_login",
    "discard_request",
    "endorse_requests",
    "invite_user",
    "list_users",
    "plan_removal",
    "remove_and_rotate",
    "remove_user",
    "republish_drop_key",
    "reset_with_recovery_code",
    "rotate_keys",
]

#: What ``ydsi user rotate`` replaces: both data keys and the authority key.
ALL_DATA_KEYS = ("case", "custody", "authority")


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


def _require_dsl(session: Session) -> None:
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
    _require_dsl(session)
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
    _require_dsl(session)
    refused: list[str] = []
    endorsed = session.endorse_requests(refused=refused)
    return Endorsed(tuple(endorsed), tuple(refused))


def discard_request(session: Session, name: str) -> bool:
    """``ydsi user endorse --discard``: drop the request waiting for ``name``; False if none."""
    _require_dsl(session)
    return session.discard_request(name)


# ---------------------------------------------------------------- rotating


@dataclass(frozen=True)
class DropSettings:
    """Where the staff drop's key is published (the settings), so it follows a rotation."""

    spool: Path | None
    about_headteacher_key: str | None = None


@dataclass(frozen=True)
class DropRepublished:
    """The staff drop's new key written to the spool (``serial``), or why not (``problem``)."""

    path: Path
    serial: int | None
    problem: str | None


@dataclass(frozen=True)
class Rotated:
    """A rotation finished: how many records were re-encrypted, and the drop key's fate."""

    records: int
    drop_key: DropRepublished | None


def republish_drop_key(session: Session, drop: DropSettings | None) -> DropRepublished | None:
    """After a rotation the staff drop's key changed too: publish it if the spool has one.

    Until it is, staff keep sealing reports to the old key, which whoever
    held the old case key (a removed user with a copy) could open. None when
    no key was published there before (nothing to replace).
    """
    from ..vault.drop import DROP_KEY_NAME, DropError, parse_recipient

    if drop is None or drop.spool is None:
        return None
    target = drop.spool / DROP_KEY_NAME
    if not session.vault.fs.exists(target):
        return None
    try:
        about = drop.about_headteacher_key
        key = session.publish_drop_key(
            drop.spool, about_headteacher=parse_recipient(about) if about else None
        )
    except (DropError, AccessDenied) as exc:
        return DropRepublished(target, None, str(exc))
    return DropRepublished(target, key.serial, None)


def rotate_keys(
    session: Session,
    targets: tuple[str, ...] | list[str],
    *,
    passphrase: str | None,
    drop: DropSettings | None,
) -> Rotated:
    """Replace these keys, re-encrypt every record, republish the drop key.

    ``passphrase`` (already checked: it opened, or was confirmed for, this
    session) re-pins this DSL's slot to a new authority key at once; without
    it that happens at their next unlock.
    """
    _require_dsl(session)
    records = session.rotate(list(targets), passphrase=passphrase)
    return Rotated(records, republish_drop_key(session, drop))


# ---------------------------------------------------------------- removing


@dataclass(frozen=True)
class RemovalPlan:
    """What removing a user will do, for the confirmation: nothing is changed yet."""

    name: str
    role: str
    full_name: str
    #: Invited, never enrolled: they held no key, so nothing is rotated.
    pending: bool
    #: The keys to rotate (``keys_held``), empty for an invitation.
    held: tuple[str, ...]


def plan_removal(session: Session, name: str) -> RemovalPlan:
    """The refusals of a removal, before anything changes (the vault checks again).

    Removing oneself is refused: the rotation that must follow needs the
    keys of a DSL who stays (the vault closes a removed user's session at
    once), so it would leave the keys unrotated.
    """
    _require_dsl(session)
    header = session.vault.reload_header()
    pending = header.pending_by_name(name)
    user = pending or header.user_by_name(name)
    if user is None:
        raise UnknownUser(f"no user called {name!r} in this vault")
    dsls = [u for u in header.users if u.active and u.role == "dsl"]
    if pending is None and user.role == "dsl" and len(dsls) == 1:
        raise VaultError("cannot remove the last DSL: add another DSL first")
    if pending is None and user.id == session.user.id:
        raise VaultError(
            "you cannot remove yourself: another DSL removes you, so that the keys you "
            "held are rotated by someone who keeps them"
        )
    held = () if pending is not None else tuple(keys_held(user.role))
    return RemovalPlan(user.name, user.role, user.full_name, pending is not None, held)


def remove_user(session: Session, name: str) -> tuple[str, ...]:
    """Delete the user's slot and sealed keys; returns the keys to rotate next.

    Empty when an invitation was cancelled (they never held a key). The
    command line asks about the rotation in between; the app does not stop
    here (:func:`remove_and_rotate`).
    """
    plan_removal(session, name)
    return tuple(session.remove_user(name))


@dataclass(frozen=True)
class Removal:
    """A user removed and, when they held keys, those keys rotated."""

    plan: RemovalPlan
    rotated: Rotated | None


def remove_and_rotate(
    session: Session, name: str, passphrase: str, *, drop: DropSettings | None
) -> Removal:
    """The app's removal: one act that is done only when the keys they held are rotated.

    The DSL's passphrase is confirmed first (it re-pins their slot after an
    authority rotation, and a mistyped one would lock them out), before
    anything changes. If the rotation stops part-way, the removal stands and
    :class:`~ydsi_tui.vault.errors.KeyChangeIncomplete` says so: the old keys
    still open records until a rotation finishes.
    """
    plan = plan_removal(session, name)
    session.confirm_passphrase(passphrase)
    held = remove_user(session, name)
    if not held:
        return Removal(plan, None)
    try:
        rotated = rotate_keys(session, held, passphrase=passphrase, drop=drop)
    except (VaultError, OSError) as exc:
        why = str(exc) if isinstance(exc, VaultError) else (exc.strerror or type(exc).__name__)
        raise KeyChangeIncomplete(
            f"{name} was removed, but the rotation of the keys they held did not finish "
            f"({why}): rotate the keys now (t), or run 'ydsi user rotate'; until then a copy "
            "of vault.json they kept still opens the records"
        ) from exc
    return Removal(plan, rotated)


# ---------------------------------------------------------------- resetting


@dataclass(frozen=True)
class Reset:
    """A forgotten passphrase reset; the new key counts as issued by the recovery code."""

    name: str


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
    (mismatch, weak, unknown, not enrolled, one's own account), so a mistake
    costs no derivation and no throttled attempt. ``unlocked_as`` is the
    login of a session open in the same process (the app's), whose keys a
    reset would replace under it: that user changes their own passphrase
    instead.
    """
    if new != repeated:
        raise ValidationError("repeat", "The two new passphrases are not the same.")
    check_passphrase(new)
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
    session = vault.unlock_recovery(code)
    try:
        session.reset_user(name, new)
    finally:
        session.close()
    return Reset(name)
