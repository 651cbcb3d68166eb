"""A real vault at the lowest accepted KDF cost (dsl, head, tech) and a clock the tests set.

Copied in small from tests/service/conftest.py (the vault tests' fixtures are
being rewritten by others), plus helpers that build incidents the way the
app and the CLI do: through the service layer only.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from tests.support.vaults import enrol_user
from ydsi_tui.model.events import Event, new_id
from ydsi_tui.service.casebook import CaseBook
from ydsi_tui.service.clock import FixedClock
from ydsi_tui.service.devices import DeviceLog
from ydsi_tui.service.factory import Services, services_for
from ydsi_tui.service.policies import approve_policy_file
from ydsi_tui.vault.audit import AuditEntry
from ydsi_tui.vault.crypto import KdfParams
from ydsi_tui.vault.vault import Vault
from ydsi_tui.vault.verify import VerifyReport, verify_vault

PASS = "report tests passphrase"
NOW = datetime(2026, 11, 16, 10, 0, tzinfo=UTC)  # a Monday in term time
KDF = (64 * 1024, 3, 1)


@dataclass
class World:
    path: Path
    clock: FixedClock
    opened: list[Services] = field(default_factory=list)

    def services(self, user: str = "dsl") -> Services:
        session = Vault.open(self.path).unlock(user, PASS)
        services = services_for(session, clock=self.clock)
        self.opened.append(services)
        return services

    def cases(self, user: str = "dsl") -> CaseBook:
        book = self.services(user).cases
        assert book is not None
        return book

    def devices(self, user: str = "dsl") -> DeviceLog:
        return self.services(user).devices

    def at(self, moment: datetime) -> None:
        self.clock.moment = moment

    def audit(self) -> list[AuditEntry]:
        """The log as the DSL reads it: entries about case records opened (they are sealed)."""
        session = Vault.open(self.path).unlock("dsl", PASS)
        try:
            return list(session.vault.audit.entries())
        finally:
            session.close()

    def verify(self) -> VerifyReport:
        """The DSL's ``verify --entries``: case files checked against the opened log."""
        session = Vault.open(self.path).unlock("dsl", PASS)
        try:
            return verify_vault(self.path, opener=session.vault.audit.sealer)
        finally:
            session.close()


@pytest.fixture
def world(tmp_path: Path) -> Iterator[World]:
    kdf = KdfParams.new(*KDF)
    session, _ = Vault.create(
        tmp_path / "vault", user="dsl", passphrase=PASS, full_name="Dana Lead", kdf=kdf
    )
    approve_policy_file(session)
    # The Headteacher signs off: their keys must be their own (enrolment, not add_user).
    enrol_user(session, tmp_path / "vault", "head", "headteacher", PASS, full_name="Hana Head")
    session.add_user("tech", "technician", PASS, full_name="Tom Tech", kdf=kdf)
    session.close()
    made = World(tmp_path / "vault", FixedClock(NOW))
    yield made
    for services in made.opened:
        services.session.close()


def add_pupil(book: CaseBook, ref: str, name: str, **extra: Any) -> str:
    pupil_id = new_id()
    data: dict[str, Any] = {
        "pupil_id": pupil_id,
        "name": name,
        "sex": "female",
        "parts": ["pictured"],
        "sen": False,
        "vulnerabilities": "",
    }
    if "dob" not in extra and "year_group" not in extra:
        data["year_group"] = 10
    data.update(extra)
    book.record(ref, "pupil.added", data)
    return pupil_id


def decide_in_school(book: CaseBook, ref: str, reason: str = "no trigger applies") -> Event:
    for n in range(1, 6):
        book.record(ref, "trigger.answered", {"n": n, "answer": "no", "basis": f"basis {n}"})
    return book.record(ref, "decision", {"outcome": "in_school", "reason": reason})


def refer(book: CaseBook, ref: str, *agencies: str) -> Event:
    return book.record(
        ref, "decision", {"outcome": "refer", "refer_to": list(agencies), "reason": "trigger 1"}
    )


def reads_of(world: World, record_id: str) -> int:
    return sum(1 for e in world.audit() if e.action == "record.read" and e.rec == record_id)
