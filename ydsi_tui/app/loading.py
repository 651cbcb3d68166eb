"""What the app reads when a session starts: services and the first home screen.

No Textual here, on purpose: when the app starts on an already unlocked
session (a benchmark, an embedding), this runs in a thread started before
Textual is even imported, so reading the vault overlaps Textual's start-up.
The unlock screens call it from their worker, right after the keys open.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from concurrent.futures import Future
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, TypeVar

if TYPE_CHECKING:
    from ..service.casebook import IncidentRow
    from ..service.clock import Clock
    from ..service.devices import DeviceRow
    from ..service.factory import Services
    from ..vault.session import Session

__all__ = ["HomeData", "Opened", "load_home", "open_session", "start_thread"]

T = TypeVar("T")


@dataclass(frozen=True, repr=False)
class HomeData:
    """Everything the home screen shows, read from the stored summaries."""

    rows: list[IncidentRow]
    device_rows: list[DeviceRow]
    attention: list[tuple[str, str]]


@dataclass(frozen=True, repr=False)
class Opened:
    session: Session
    services: Services
    head: int
    home: HomeData | None


def load_home(services: Services) -> HomeData:
    assert services.cases is not None
    rows = services.cases.rows()
    device_rows = services.devices.rows()
    # A damaged incident whose reference is unknown could be any device's: then say nothing.
    unknown = any(row.error is not None and not row.repair_ref for row in rows)
    incidents = None if unknown else {row.ref for row in rows} | {r.repair_ref for r in rows}
    attention = services.cases.attention(rows) + services.devices.attention(
        device_rows, incidents=incidents
    )
    if services.session.role == "headteacher":
        attention[:0] = [
            (row.ref, "✎ A decision is waiting for your sign-off.")
            for row in rows
            if row.signoff_needed and row.status != "closed"
        ] + [
            (row.ref, "‼ A viewing that broke the policy's conditions waits for you.")
            for row in rows
            if any(flag.code == "viewing_breach" for flag in row.overdue)
        ]
    if services.session.role == "dsl":  # a leaked passphrase not yet revoked for good
        attention[:0] = [("KEYS", due.brief) for due in services.session.revocations_due()]
    return HomeData(rows, device_rows, attention)


def open_session(session: Session, clock: Clock | None) -> Opened:
    """Services for an unlocked session and, unless it is a technician's, the home rows."""
    from ..service.factory import services_for

    services = services_for(session, clock=clock)
    head = session.audit_head()
    home = load_home(services) if services.cases is not None else None
    return Opened(session, services, head, home)


def start_thread(function: Callable[..., T], *args: Any) -> Future[T]:
    """Run ``function(*args)`` in a daemon thread now; the future holds its result."""
    future: Future[T] = Future()

    def run() -> None:
        try:
            future.set_result(function(*args))
        except BaseException as error:  # noqa: BLE001 - handed to whoever waits
            future.set_exception(error)

    threading.Thread(target=run, name="ydsi-open", daemon=True).start()
    return future
