"""Two sessions on one Vault object: one closing must not unseal the other's entries.

The app unlocks again after a lock on the same Vault object, and a process
may hold a DSL's and a team member's session at once. The case entries'
sealer was the vault's, set by each unlock and dropped by each close: the
first close left the other session writing case entries in clear (record
id, hash and action readable by the technician).
"""

from __future__ import annotations

import json
from pathlib import Path

from tests.support.vaults import DSL_PASS, MakeVault, min_kdf
from ydsi_tui.service.factory import services_for
from ydsi_tui.service.policies import approve_policy_file
from ydsi_tui.vault.vault import Vault


def _case_entries(path: Path) -> list[dict[str, object]]:
    lines = (path / "audit.log").read_bytes().splitlines()
    return [doc for doc in map(json.loads, lines) if doc.get("comp") == "case"]


def test_one_session_closing_leaves_the_other_sealing(make_vault: MakeVault) -> None:
    session, _, path = make_vault()
    approve_policy_file(session)
    session.add_user("tm", "team", "team member passphrase", full_name="Tess Team", kdf=min_kdf())
    session.close()
    vault = Vault.open(path)
    dsl = vault.unlock("dsl", DSL_PASS)
    team = vault.unlock("tm", "team member passphrase")
    dsl.close()
    cases = services_for(team).cases
    assert cases is not None
    ref = cases.create("written after the other session closed")
    cases.note(ref, "and a note")
    entries = _case_entries(path)
    assert entries
    assert all(doc["action"] == "sealed" and doc["rec"] == "" for doc in entries), entries[-1]
    assert cases.open(ref).incident.summary == "written after the other session closed"
    team.close()
    assert vault.audit.sealer is None  # the last case session gone: nothing left to seal with
