"""Calling the service layer from a thread worker, and turning refusals into words.

Workers call :func:`call` and post either their result (as a message) or the
:class:`~ydsi_tui.app.messages.Failed` it returns. Writes and the closing of
a session hold the app's one lock, so that a lock-screen never drops the keys
in the middle of a save and two saves from this process never interleave
(the vault's own file lock covers other processes).
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import TYPE_CHECKING, Protocol, TypeVar

from ..model.errors import ValidationError
from ..vault.errors import VaultError
from .messages import Failed

if TYPE_CHECKING:
    from ..service.factory import Services

__all__ = ["LOCKED_MESSAGE", "HasServices", "call", "describe_error"]

T = TypeVar("T")

LOCKED_MESSAGE = "The vault is locked: unlock it and try again."


class HasServices(Protocol):
    services: Services | None
    vault_lock: threading.RLock


def describe_error(what: str, error: BaseException) -> Failed:
    """One line for the user. Unexpected errors are named by type only (no text: it may
    carry record content)."""
    if isinstance(error, ValidationError):
        return Failed(what, error.message, field=error.field, error_type="ValidationError")
    if isinstance(error, VaultError):
        return Failed(what, str(error), error_type=type(error).__name__)
    if isinstance(error, OSError):
        reason = error.strerror or type(error).__name__
        return Failed(what, f"The disk refused: {reason}. Nothing was saved half-way.",
                      error_type="OSError")  # fmt: skip
    return Failed(
        what,
        f"An internal error ({type(error).__name__}) stopped this; nothing was saved "
        "half-way. Please report what you were doing.",
        error_type=type(error).__name__,
    )


def call(
    owner: HasServices, what: str, job: Callable[[Services], T], *, write: bool = False
) -> T | Failed:
    """Run ``job(services)``; expected refusals come back as a :class:`Failed`."""
    services = owner.services
    if services is None:
        return Failed(what, LOCKED_MESSAGE, error_type="Locked")
    try:
        if write:
            with owner.vault_lock:
                if owner.services is None:
                    return Failed(what, LOCKED_MESSAGE, error_type="Locked")
                return job(services)
        return job(services)
    except Exception as error:  # noqa: BLE001 - the screen must hear back, whatever happened
        # An unexpected error still comes back as a Failed (named by type only):
        # a form waiting for its save must be told, or it would wait for ever.
        return describe_error(what, error)
