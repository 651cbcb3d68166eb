"""Real vaults at the lowest accepted KDF cost, with a DSL, a Headteacher and a technician."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import pytest

from tests.support.vaults import enrol_user
from ydsi_tui.service.clock import FixedClock
from ydsi_tui.service.factory import Services, services_for
from ydsi_tui.service.policies import approve_policy_file
from ydsi_tui.vault.crypto import KdfParams
from ydsi_tui.vault.vault import Vault

PASS = "service tests passphrase"
NOW = datetime(2026, 11, 16, 10, 0, tzinfo=UTC)  # a Monday, term time


@dataclass
class World:
    path: Path
    clock: FixedClock

    def services(self, user: str = "dsl") -> Services:
        session = Vault.open(self.path).unlock(user, PASS)
        return services_for(session, clock=self.clock)


@pytest.fixture
def world(tmp_path: Path) -> World:
    kdf = KdfParams.new(64 * 1024, 3, 1)
    session, _ = Vault.create(
        tmp_path / "vault", user="dsl", passphrase=PASS, full_name="Dana Lead", kdf=kdf
    )
    approve_policy_file(session)
    # The Headteacher signs off: their keys must be their own (enrolment, not add_user).
    enrol_user(session, tmp_path / "vault", "head", "headteacher", PASS, full_name="Hana Head")
    session.add_user("tech", "technician", PASS, full_name="Tom Tech", kdf=kdf)
    session.close()
    return World(tmp_path / "vault", FixedClock(NOW))


@pytest.fixture
def services(world: World) -> Callable[[str], Services]:
    return world.services
