"""Building the services for an unlocked session: one place for the CLI and the app."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from ..model.policy import Policy
from ..vault.session import Session
from .casebook import CaseBook
from .clock import Clock, SystemClock
from .devices import DeviceLog
from .policies import PolicyLibrary, read_policy_file

__all__ = ["Services", "services_for"]


@dataclass
class Services:
    """What one user can do: ``cases`` is None for a technician (no case key).

    ``warnings`` are for the user to see at once (the CLI prints them, the app
    shows them): today, a policy file that waits for a DSL's approval.
    """

    session: Session
    policy: Policy
    cases: CaseBook | None
    devices: DeviceLog
    policies: PolicyLibrary
    warnings: list[str] = field(default_factory=list)


def services_for(
    session: Session, *, policy_path: Path | None = None, clock: Clock | None = None
) -> Services:
    """The services of one session, under the policy the vault's DSL approved."""
    clock = clock or SystemClock()
    library = PolicyLibrary.build(session, read_policy_file(policy_path))
    policy = library.current
    cases = CaseBook(session, library, clock=clock) if session.can_read("case") else None
    return Services(
        session,
        policy,
        cases,
        DeviceLog(session, policy, clock=clock),
        library,
        list(library.warnings),
    )
