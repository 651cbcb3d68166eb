"""Fixtures for the vault suite: cheap-KDF vaults on real disk, and the slow switch.

Tests marked ``slow`` (the 500-save concurrency runs, the exhaustive 1,000-entry
audit mutation) are skipped unless selected with ``-m slow`` or with
``YDSI_SLOW=1`` in the environment, so that the default run stays well under
two minutes on a 2-core CI machine.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tests.support.vaults import DSL_PASS, MakeVault, min_kdf
from ydsi_tui.vault.crypto import KdfParams
from ydsi_tui.vault.session import Session
from ydsi_tui.vault.vault import Vault


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    markexpr = str(config.getoption("markexpr", "") or "")
    wanted = os.environ.get("YDSI_SLOW") == "1" or (
        "slow" in markexpr and "not slow" not in markexpr
    )
    if wanted:
        return
    here = Path(__file__).parent
    skip = pytest.mark.skip(reason="slow: run with -m slow or YDSI_SLOW=1")
    for item in items:
        if "slow" in item.keywords and here in Path(str(item.fspath)).parents:
            item.add_marker(skip)


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
