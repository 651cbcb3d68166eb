"""Fixtures for every suite.

Each test gets a private state directory (``$XDG_STATE_HOME``): a user's
client keeps its witness of each vault's audit log there (see
``ydsi_tui/vault/witness.py``), and many tests copy the same template vault,
so one test's memory of a copy must not make another test's copy look rolled
back. The adversary suite sets a whole private HOME on top of this.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import pytest


def pytest_configure(config: pytest.Config) -> None:
    """Session and module fixtures (built before any per-test fixture) stay out of ~ too."""
    os.environ["XDG_STATE_HOME"] = tempfile.mkdtemp(prefix="ydsi-test-state-")
    # No config file of the machine's (/etc/ydsi, ~/.config/ydsi) leaks into a test.
    configs = tempfile.mkdtemp(prefix="ydsi-test-config-")
    os.environ["YDSI_SYSTEM_CONFIG"] = os.path.join(configs, "system.toml")
    os.environ["XDG_CONFIG_HOME"] = configs


#: Folders where every test works on a whole vault world (staff, incidents, devices,
#: policy approval: seconds each). ``./dev test --quick`` (``-m "not slow and not
#: terminal"``) leaves them out; ./dev test and .ci/run run them. Elsewhere a
#: module or a test carries the marker itself.
SLOW_FOLDERS = ("adversary", "reports", "service")


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Mark every test under a slow folder as ``slow``."""
    tests = Path(__file__).parent
    for item in items:
        relative = item.path.relative_to(tests) if item.path.is_relative_to(tests) else None
        if relative is not None and relative.parts[0] in SLOW_FOLDERS:
            item.add_marker(pytest.mark.slow)


@pytest.fixture(autouse=True)
def own_state_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    state = tmp_path / "xdg-state"
    state.mkdir(mode=0o700, exist_ok=True)
    monkeypatch.setenv("XDG_STATE_HOME", str(state))
    return state
