"""Fixtures for the vault suite: cheap-KDF vaults on real disk.

Every test here runs in CI, the 500-save concurrency runs and the exhaustive
1,000-entry audit mutation included: the faults issue asks for them there.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.support.vaults import DSL_PASS, MakeVault, min_kdf
from ydsi_tui.vault.crypto import KdfParams
from ydsi_tui.vault.session import Session
from ydsi_tui.vault.vault import Vault


@pytest.fixture
def kdf() -> KdfParams:
    """The KDF's lowest accepted cost: 64 MiB, 3 passes, 1 lane."""
    return min_kdf()


@pytest.fixture
def make_vault(tmp_path: Path) -> MakeVault:
    """Factory: a new vault with a DSL; returns (session, recovery code, path)."""
    counter = 0

    def make(
        name: str | None = None,
        *,
        user: str = "dsl",
        passphrase: str = DSL_PASS,
        shared: bool = False,
        full_name: str = "Test DSL",
    ) -> tuple[Session, str, Path]:
        nonlocal counter
        counter += 1
        path = tmp_path / (name or f"vault{counter}")
        session, code = Vault.create(
            path,
            user=user,
            passphrase=passphrase,
            full_name=full_name,
            kdf=min_kdf(),
            shared=shared,
        )
        return session, code, path

    return make
