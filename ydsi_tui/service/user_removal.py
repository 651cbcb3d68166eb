"""Removing a user and rotating keys: the DSL's acts the CLI and the app share (issue 11).

A removed member of staff may have kept a copy of ``vault.json`` and their
passphrase; their slot going stops them unlocking the live vault, but only a
rotation of the keys they held stops that copy opening what is saved
afterwards (``tests/adversary/test_removed_user.py``). So the app's removal
(:func:`remove_and_rotate`) is one act that is not reported done until the
rotation is; the command line keeps asking in between (``--no-rotate``). The
staff drop's published key is derived from the case key, so it follows every
rotation here, for both.

Re-issuing the recovery code (:func:`reissue_recovery_code`, ``ydsi
recovery-code reissue`` and the Users screen's ``c``) is the same kind of
act: a new code, then a rotation of every key, so that the old envelope
(opened, or lost) with any copy of ``vault.json`` opens nothing saved
afterwards.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from ..vault.errors import AccessDenied, KeyChangeIncomplete, UnknownUser, VaultError
from ..vault.header import keys_held
from .users import require_dsl

if TYPE_CHECKING:
    from ..vault.session import Session

__all__ = [
    "ALL_DATA_KEYS",
    "DropRepublished",
    "DropSettings",
    "Reissued",
    "Removal",
    "RemovalPlan",
    "Rotated",
    "plan_removal",
    "reissue_recovery_code",
    "remove_and_rotate",
    "remove_user",
    "republish_drop_key",
    "rotate_all",
    "rotate_keys",
]

#: What ``ydsi user rotate`` replaces: both data keys and the authority key.
ALL_DATA_KEYS = ("case", "custody", "authority")


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
    require_dsl(session)
    records = session.rotate(list(targets), passphrase=passphrase)
    return Rotated(records, republish_drop_key(session, drop))


def rotate_all(session: Session, passphrase: str, *, drop: DropSettings | None) -> Rotated:
    """The app's ``ydsi user rotate``: every data key and the authority key, or the
    rotation left unfinished, once the DSL's passphrase is confirmed (it re-pins their slot)."""
    require_dsl(session)
    session.confirm_passphrase(passphrase)
    return rotate_keys(session, ALL_DATA_KEYS, passphrase=passphrase, drop=drop)


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
    require_dsl(session)
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
            f"({why}): rotate the keys now ('Rotate keys' on the users screen, or 'ydsi user "
            "rotate'); until then a copy of vault.json they kept still opens the records"
        ) from exc
    return Removal(plan, rotated)


# ---------------------------------------------------------------- the recovery code


@dataclass(frozen=True, repr=False)
class Reissued:
    """A new recovery code (shown once; in no repr) and the rotation that followed it.

    ``rotated`` is None when the rotation stopped part-way: the new code
    works all the same (and must still be shown, since the old one no longer
    resets anyone), but until a rotation finishes the old code with an old
    copy of ``vault.json`` still opens the records; ``unfinished`` says so.
    """

    code: str
    rotated: Rotated | None
    unfinished: str | None = None


def reissue_recovery_code(
    session: Session, passphrase: str, *, drop: DropSettings | None
) -> Reissued:
    """``ydsi recovery-code reissue``: a new code, then every key rotated.

    A DSL only, not the recovery code itself. The DSL's passphrase is
    confirmed first, before anything changes: the new code resets anyone's
    passphrase, so an unlocked screen left alone must not hand one out (and
    the rotation re-pins their slot with it). The command line has just
    unlocked with it; one more derivation is the price of one path for both.

    The new code replaces the old one in the signed header before the
    rotation starts; a rotation that stops part-way therefore does not lose
    the code (it is returned, with ``unfinished``), and every DSL is shown
    that the rotation is due until one finishes it.
    """
    require_dsl(session)
    session.confirm_passphrase(passphrase)
    code = session.reissue_recovery_code()
    try:
        rotated = rotate_keys(session, ALL_DATA_KEYS, passphrase=passphrase, drop=drop)
    except (VaultError, OSError) as exc:
        why = str(exc) if isinstance(exc, VaultError) else (exc.strerror or type(exc).__name__)
        return Reissued(
            code,
            None,
            f"the new code works, but the rotation of every key did not finish ({why}): "
            "rotate the keys now ('Rotate keys' on the users screen, or 'ydsi user rotate'); "
            "until then the old code with a copy of vault.json still opens the records",
        )
    return Reissued(code, rotated)
