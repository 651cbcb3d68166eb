"""Calling the service layer from a thread worker, and turning refusals into words.

Workers call :func:`call` and post either their result (as a message) or the
:class:`~ydsi_tui.app.messages.Failed` it returns. Writes and the closing of
a session hold the app's one lock, so that a lock-screen never drops the keys
in the middle of a save and two saves from this process never interleave
(the vault's own file lock covers other processes).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, Protocol, TypeVar

from ..model.errors import ValidationError
from ..vault.errors import VaultError
from .messages import Failed, JobDone, Progressed

if TYPE_CHECKING:
    from textual.message import Message
    from textual.worker import Worker

    from ..service.factory import Services

__all__ = [
    "LOCKED_MESSAGE",
    "HasServices",
    "Job",
    "Reporter",
    "call",
    "describe_error",
    "start_job",
]

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


class _Target(Protocol):
    """A screen: something messages can be posted to, from any thread."""

    def post_message(self, message: Message) -> bool: ...


class Reporter:
    """A slow job's progress, posted from its thread to the screen that started it.

    ``stage("Rendering the PDF")`` names what is happening now; calling the
    reporter with ``(done, total)`` is the services' ``progress`` callback. Counts
    are posted at most every 50 ms (and always the last), so ten thousand
    incidents cost a few dozen messages, not ten thousand.
    """

    INTERVAL = 0.05

    def __init__(self, target: _Target, stage: str) -> None:
        self.target = target
        self.current = stage
        self._last = 0.0

    def stage(self, text: str) -> None:
        self.current = text
        self._last = time.monotonic()
        self.target.post_message(Progressed(text))

    def __call__(self, done: int, total: int) -> None:
        now = time.monotonic()
        if done < total and now - self._last < self.INTERVAL:
            return
        self._last = now
        self.target.post_message(Progressed(self.current, done, total))


#: A job: given the services and a reporter, do the slow work (in a thread) and return.
Job = Callable[["Services", Reporter], Any]


class _Screen(_Target, Protocol):
    def run_worker(self, work: Callable[[], None], *args: Any, **kwargs: Any) -> Worker[Any]: ...


def start_job(
    screen: _Screen, owner: HasServices, what: str, job: Job, *, write: bool = False
) -> Worker[Any]:
    """Run ``job`` in a thread worker; the screen hears :class:`JobDone` or :class:`Failed`.

    ``what`` is the job in words ("run the inspection check"): the first stage shown,
    and what an error dialog says could not be done. ``write`` holds the app's lock
    (a lock screen then waits for the job before it drops the keys).
    """

    def run() -> None:
        reporter = Reporter(screen, what[:1].upper() + what[1:])
        reporter.stage(reporter.current)
        result = call(owner, what, lambda services: job(services, reporter), write=write)
        screen.post_message(result if isinstance(result, Failed) else JobDone(what, result))

    return screen.run_worker(run, thread=True, exit_on_error=False, group="job", description=what)
