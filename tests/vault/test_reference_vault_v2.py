"""The format-2 reference vault, made once in 2026: every later ydsi must read it as it is.

Beside ``reference-vault-v1`` (which must be upgraded first), this one is read
directly: its records carry the history chain, and its entries' authors come
from the signed saves.
"""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path
from typing import Any

import pytest

from ydsi_tui.vault.crypto import sha256_hex
from ydsi_tui.vault.header import FORMAT_VERSION
from ydsi_tui.vault.vault import Vault
from ydsi_tui.vault.verify import verify_entries, verify_vault

REFERENCE = Path(__file__).resolve().parents[1] / "data" / "reference-vault-v2"


@pytest.fixture(scope="module")
def expected() -> dict[str, Any]:
    data: dict[str, Any] = json.loads((REFERENCE / "expected.json").read_text())
    return data


@pytest.fixture
def vault(tmp_path: Path) -> Path:
    copy = tmp_path / "reference"
    shutil.copytree(REFERENCE / "vault", copy)
    shutil.rmtree(copy / "throttle", ignore_errors=True)  # as a clone has it
    for item in [copy, *copy.rglob("*")]:
        os.chmod(item, 0o700 if item.is_dir() else 0o600)
    return copy


def test_committed_files_are_untouched(expected: dict[str, Any]) -> None:
    found = {
        p.relative_to(REFERENCE / "vault").as_posix(): sha256_hex(p.read_bytes())
        for p in sorted((REFERENCE / "vault").rglob("*"))
        if p.is_file()
    }
    assert found == expected["files"]


def test_format_2_reference_reads_and_verifies(vault: Path, expected: dict[str, Any]) -> None:
    assert expected["format_version"] == 2 <= FORMAT_VERSION
    report = verify_vault(vault, checkpoint=(REFERENCE / "checkpoint.json").read_bytes())
    assert report.ok, report.problems
    assert report.entries == expected["audit_entries"]
    opened = Vault.open(vault)
    dsl = opened.unlock("refdsl", expected["users"]["refdsl"]["passphrase"])
    for comp, records in expected["records"].items():
        for ref, tables in records.items():
            snapshot = dsl.read(comp, ref, log=False)
            assert snapshot.tables == tables, (comp, ref)
    events = dsl.read("case", "REF-CASE-0001", log=False)
    authors = events.authors["events"]
    assert len(authors) == 2
    assert {a.actor for a in authors.values()} == {dsl.user.id}
    assert not any(a.legacy for a in authors.values())
    assert verify_entries(dsl) == ([], 2)
