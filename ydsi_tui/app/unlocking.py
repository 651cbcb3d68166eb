"""Unlocking, off the event loop: the keys opened, then the services and home read.

Both the unlock screen and the lock screen unlock; this is what they share, so
neither imports the other.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from .jobs import describe_error
from .loading import open_session
from .messages import Failed, Unlocked

if TYPE_CHECKING:
    from ..vault.session import Session
    from .app import YdsiApp

__all__ = ["unlock_in_thread", "unlocked"]


def unlock_in_thread(app: YdsiApp, user: str, passphrase: str) -> Unlocked | Failed:
    """Open the keys and build the services (runs in a worker thread)."""
    vault = app.vault
    if vault is None:
        return Failed("unlock", app.vault_error or "The vault is not open yet.")
    try:
        session = vault.unlock(user, passphrase)
    except Exception as error:  # noqa: BLE001 - every refusal becomes words on screen
        return describe_error("unlock", error)
    # A DSL's unlock endorses waiting enrolments (best effort, never blocks reading).
    from ..vault.enrolment import endorse_quietly

    endorse_quietly(session)
    return unlocked(app, session)


def unlocked(app: YdsiApp, session: Session) -> Unlocked | Failed:
    """Services for an unlocked session, and the first home screen read at once."""
    try:
        opened = open_session(session, app.clock)
    except Exception as error:  # noqa: BLE001 - every refusal becomes words on screen
        return describe_error("unlock", error)
    return Unlocked(opened.session, opened.services, opened.head, opened.home)
