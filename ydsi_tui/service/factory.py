"""Building the services for an unlocked session: one place for the CLI and the app."""

from __future__ import annotations

import os
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

from ..model.policy import BUNDLED_POLICY, Policy, parse_policy
from ..vault.session import Session
from .casebook import CaseBook
from .clock import Clock, SystemClock
from .devices import DeviceLog
from .policies import PolicyLibrary

__all__ = ["Services", "load_policy_in_force", "services_for"]


def load_policy_in_force(path: Path | None = None) -> tuple[Policy, bytes]:
    """The school's own policy file (``--policy`` or ``$YDSI_POLICY``), else the bundled one."""
    configured = path or (
        Path(os.environ["YDSI_POLICY"]) if os.environ.get("YDSI_POLICY") else None
    )
    if configured is not None:
        raw = configured.read_bytes()
        return parse_policy(raw, origin=str(configured)), raw
    raw = resources.files("ydsi_tui.model").joinpath("policies", BUNDLED_POLICY).read_bytes()
    return parse_policy(raw, origin=BUNDLED_POLICY), raw


@dataclass
class Services:
    """What one user can do: ``cases`` is None for a technician (no case key)."""

    session: Session
    policy: Policy
    cases: CaseBook | None
    devices: DeviceLog


def services_for(
    session: Session, *, policy_path: Path | None = None, clock: Clock | None = None
) -> Services:
    clock = clock or SystemClock()
    policy, raw = load_policy_in_force(policy_path)
    cases = (
        CaseBook(session, PolicyLibrary(session, policy, raw), clock=clock)
        if session.can_read("case")
        else None
    )
    return Services(session, policy, cases, DeviceLog(session, policy, clock=clock))
