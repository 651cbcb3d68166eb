"""What a user may do to their own account from the app: change their passphrase.

The same act as ``ydsi user passwd``: the user's keys are re-wrapped under
the new passphrase, no record is touched, and the change is in the audit
log. Here so that the app reaches the vault only through the service.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..model.errors import ValidationError

if TYPE_CHECKING:
    from ..vault.session import Session

__all__ = ["change_own_passphrase"]


def change_own_passphrase(session: Session, current: str, new: str, repeated: str) -> None:
    """Change the unlocked user's passphrase; the current one must be typed again.

    Typing it again proves the person at the keyboard is the account's owner,
    not someone at a screen left unlocked. The vault checks the new one's
    strength and the current one (``WrongPassphrase``).
    """
    if new != repeated:
        raise ValidationError("repeat", "The two new passphrases are not the same.")
    if new == current:
        raise ValidationError("new", "The new passphrase is the same as the current one.")
    session.change_passphrase(current, new)
