"""Item 11: the format reference vault made in 2026 still opens and verifies.

``tests/data/reference-vault-v1`` was made once by
``tests/support/make_reference_vault.py`` and is never regenerated: every later
version of ydsi must read it (records outlive many releases). The test works on
a copy, because opening a vault may repair it and unlocking writes counters.
"""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path
from typing import Any

import pytest

from tests.support.vaults import cached_kdf
from ydsi_tui.vault.crypto import b64d, sha256_hex
from ydsi_tui.vault.errors import AccessDenied, WrongPassphrase
from ydsi_tui.vault.vault import Vault
from ydsi_tui.vault.verify import verify_vault

REFERENCE = Path(__file__).resolve().parents[1] / "data" / "reference-vault-v1"


@pytest.fixture(scope="module")
def expected() -> dict[str, Any]:
    data: dict[str, Any] = json.loads((REFERENCE / "expected.json").read_text())
    return data


@pytest.fixture
def vault(tmp_path: Path) -> Path:
    copy = tmp_path / "reference"
    shutil.copytree(REFERENCE / "vault", copy)
    # As a fresh clone has it: git keeps neither empty directories nor modes.
    shutil.rmtree(copy / "throttle", ignore_errors=True)
    for item in [copy, *copy.rglob("*")]:
        os.chmod(item, 0o700 if item.is_dir() else 0o600)
    return copy


def test_committed_files_are_untouched(expected: dict[str, Any]) -> None:
    """The reference is data, not output: its bytes must never change."""
    found = {
        p.relative_to(REFERENCE / "vault").as_posix(): sha256_hex(p.read_bytes())
        for p in sorted((REFERENCE / "vault").rglob("*"))
        if p.is_file()
    }
    assert found == expected["files"]


def test_reference_vault_opens_and_reads(vault: Path, expected: dict[str, Any]) -> None:
    opened = Vault.open(vault)
    assert opened.warnings == []
    assert opened.header.version == expected["format_version"]
    assert {u.name: u.role for u in opened.users()} == {
        name: user["role"] for name, user in expected["users"].items()
    }
    dsl_name, tech_name = "refdsl", "reftech"
    dsl = opened.unlock(dsl_name, expected["users"][dsl_name]["passphrase"])
    tech = opened.unlock(tech_name, expected["users"][tech_name]["passphrase"])
    for comp, records in expected["records"].items():
        for ref, tables in records.items():
            snapshot = dsl.read(comp, ref, log=False)
            assert snapshot.tables == tables, (comp, ref)
            raw = (vault / comp / f"{snapshot.record_id}.ydsr").read_bytes()
            assert raw[4] == expected["record_version"]
            if comp == "custody":
                assert tech.read(comp, ref, log=False).tables == tables
    with pytest.raises(AccessDenied):
        tech.read("case", "REF-CASE-0001")
    assert [item.summary for item in dsl.list_records("case")] == [
        expected["records"]["case"]["REF-CASE-0001"]["_summary"]["1"]
    ]
    signature = expected["signature"]
    ok, who = dsl.verify(signature["key_id"], signature["message"].encode(), b64d(signature["sig"]))
    assert (ok, who) == (True, dsl_name)


def test_reference_vault_verifies_with_its_checkpoint(
    vault: Path, expected: dict[str, Any]
) -> None:
    report = verify_vault(vault, checkpoint=(REFERENCE / "checkpoint.json").read_bytes())
    assert report.ok, report.problems
    assert report.entries == expected["audit_entries"]
    assert report.records == 2


def test_reference_vault_recovery_code_still_works(vault: Path, expected: dict[str, Any]) -> None:
    recovery = Vault.open(vault).unlock_recovery(expected["recovery_code"])
    assert recovery.is_recovery
    recovery.reset_user("reftech", "a new technician passphrase")
    assert Vault.open(vault).unlock("reftech", "a new technician passphrase").role == "technician"


def test_reference_vault_accepts_new_saves(vault: Path, expected: dict[str, Any]) -> None:
    dsl = Vault.open(vault).unlock("refdsl", expected["users"]["refdsl"]["passphrase"])
    with dsl.transaction("case", "REF-CASE-0001") as db:
        db.table("timeline").insert({"note": "added by a later version"})
    assert verify_vault(vault).ok
    assert len(dsl.read("case", "REF-CASE-0001").tables["timeline"]) == 3


def test_reference_vault_from_a_clone_still_slows_guessing(vault: Path) -> None:
    """A checkout has no throttle/ directory; failed unlocks must still be counted."""
    assert not (vault / "throttle").exists()
    opened = Vault.open(vault)
    assert (vault / "throttle").is_dir()
    delays: list[float] = []
    opened.sleep = delays.append
    with cached_kdf():  # the same wrong guess each time: one real Argon2id run
        for _ in range(6):
            with pytest.raises(WrongPassphrase):
                opened.unlock("refdsl", "a wrong guess at the passphrase")
    assert delays == [1.0]
