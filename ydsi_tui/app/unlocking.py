"""Unlocking, off the event loop: the keys opened, then the services and home read.

Both the unlock screen and the lock screen unlock; this is what they share, so
neither imports the other.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING

from .jobs import describe_error
from .loading import open_session, start_thread
from .messages import Failed, Unlocked

if TYPE_CHECKING:
    from ..vault.session import Session
    from .app import YdsiApp

__all__ = ["session_modules", "unlock_in_thread", "unlocked"]


def session_modules(role: str | None) -> tuple[str, ...]:
    """What a session of this role needs at once that the unlock screen did not import:
    the session itself, the services (and with them the procedure's model) and the
    first screen."""
    first = "devices" if role == "technician" else "home"
    return (
        "ydsi_tui.vault.session",
        "ydsi_tui.service.factory",
        f"ydsi_tui.app.screens.{first}",
    )


def _import_all(names: tuple[str, ...]) -> None:
    for name in names:
        importlib.import_module(name)


def unlock_in_thread(app: YdsiApp, user: str, passphrase: str) -> Unlocked | Failed:
    """Open the keys and build the services (runs in a worker thread)."""
    vault = app.vault
    if vault is None:
        return Failed("unlock", app.vault_error or "The vault is not open yet.")
    # Argon2id releases the GIL: what the session will import is imported beside it, on
    # the other CPU, not after it (the wait after Enter beyond the key derivation went
    # from 498 to 376 ms on 2 CPUs). Two threads importing at once cannot meet a module
    # half made: our imports at import time have no cycle (tests/test_layers.py).
    # Waited for before going on, so the session's own imports find it all done.
    entry = next((u for u in vault.users() if u.name == user), None)
    warming = start_thread(_import_all, session_modules(entry.role if entry else None))
    try:
        session = vault.unlock(user, passphrase)
    except Exception as error:  # noqa: BLE001 - every refusal becomes words on screen
        return describe_error("unlock", error)
    finally:
        warming.exception()  # waits; a failure is met again, and said, where it is used
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
