"""Silencing the staff-report alerts: a forged "opened", a swapped header, a team member's word.

The alerts run with no key, so what they believe must be what only a case
role could have written. Each attack here uses only what its person holds:

* a technician (own genuine signing key, group write access) appends a
  validly chained ``drop.opened`` for a report nobody read;
* a keyless group member puts another vault's genuine header (its own
  authority, its own users) in place of ``vault.json``, so that "opened"
  entries signed by keys of their choosing would verify.

Neither may stop the DSL's alert nor the Headteacher's after the limit. The
second succeeds where no authority key is pinned (shown here, as the reason
the README has root install ``/etc/ydsi/authority.pub``).
"""

from __future__ import annotations

import shutil
from datetime import timedelta
from pathlib import Path

import pytest

from tests.support.drop import disclose, make_spool, publish
from tests.support.vaults import DSL_PASS, TECH_PASS, min_kdf
from ydsi_tui.service.alerts import AlertConfig, notify, pinned_authority, spool_view
from ydsi_tui.vault.audit import AuditLog
from ydsi_tui.vault.errors import DamagedFile
from ydsi_tui.vault.fs import FileSystem
from ydsi_tui.vault.saving import utc_now
from ydsi_tui.vault.vault import Vault


class Sent:
    def __init__(self) -> None:
        self.to: list[tuple[str, ...]] = []

    def __call__(self, config: AlertConfig, message: object, recipients: object) -> None:
        self.to.append(tuple(recipients))  # type: ignore[arg-type]


@pytest.fixture
def world(tmp_path: Path) -> tuple[Path, Path, Path, str]:
    vault = tmp_path / "vault"
    session, _ = Vault.create(vault, user="dsl", passphrase=DSL_PASS, full_name="Dana Lead",
                              kdf=min_kdf())  # fmt: skip
    session.add_user("tech", "technician", TECH_PASS, full_name="Tom Tech", kdf=min_kdf())
    spool = make_spool(tmp_path)
    _key, pin = publish(session, spool, tmp_path)
    session.close()
    receipt = disclose(spool, pin, tmp_path / "reporter", "words nobody has read")
    return vault, spool, pin, receipt.report_id


def test_a_technicians_forged_opened_entry_silences_nothing(
    world: tuple[Path, Path, Path, str], tmp_path: Path
) -> None:
    vault, spool, pin, report_id = world
    dsl = Vault.open(vault).unlock("dsl", DSL_PASS)
    dsl.receive_reports(spool)  # received (so the forgery has something to follow)
    dsl.close()
    tech = Vault.open(vault).unlock("tech", TECH_PASS)
    with tech.vault.lock():
        tech.vault.audit.append(
            tech.signer, ts=utc_now(), action="drop.opened", comp="drop", rec=report_id,
            extra={"report_id": report_id, "digest": "0" * 64},
        )  # fmt: skip
    tech.close()
    view = spool_view(spool, vault, pinned_authority=pinned_authority(pin))
    assert [w.report_id for w in view.waiting] == [report_id]
    sent = Sent()
    config = AlertConfig(to=("dsl@school.example",), headteacher=("head@school.example",),
                         smtp=("127.0.0.1", 25))  # fmt: skip
    late = view.present[0][1] + timedelta(minutes=30)
    result = notify(config, view, tmp_path / "state.json", late, sender=sent)
    assert (result.announced, result.escalated) == (1, 1)
    assert sent.to == [("dsl@school.example",), ("head@school.example",)]


def test_another_vaults_header_is_refused_under_the_pin_not_believed(
    world: tuple[Path, Path, Path, str], tmp_path: Path
) -> None:
    vault, spool, pin, report_id = world
    dsl = Vault.open(vault).unlock("dsl", DSL_PASS)
    dsl.receive_reports(spool)
    dsl.close()
    # Mallory makes a vault of their own, whose "DSL" they are, and signs with
    # that key "received" and "opened" entries for the report, on our log.
    other = tmp_path / "other"
    planted, _ = Vault.create(other, user="dsl", passphrase=DSL_PASS, full_name="Mallory",
                              kdf=min_kdf())  # fmt: skip
    log = AuditLog(FileSystem(), vault / "audit.log", planted.vault.header.vault_id)
    for action in ("drop.received", "drop.opened"):
        log.append(planted.signer, ts=utc_now(), action=action, comp="drop", rec=report_id,
                   extra={"report_id": report_id, "digest": "0" * 64})  # fmt: skip
    planted.close()
    shutil.copyfile(other / "vault.json", vault / "vault.json")
    # Without the pin, the planted header's keys would vouch for the forgery:
    unpinned = spool_view(spool, vault)
    assert unpinned.waiting == ()
    # Under the authority key root pinned at install, it is refused, in words.
    with pytest.raises(DamagedFile, match="not the one pinned at install"):
        spool_view(spool, vault, pinned_authority=pinned_authority(pin))
