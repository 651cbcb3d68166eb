"""The layers hold: the vault and the service never load Textual or Rich.

Checked in a fresh interpreter, because the test process itself has Textual
loaded; only a clean ``sys.modules`` proves a deferral defers.
"""

from __future__ import annotations

import json
import os
import pkgutil
import subprocess
import sys
from pathlib import Path

import pytest

import ydsi_tui.cli
import ydsi_tui.service
import ydsi_tui.vault

FORBIDDEN = ("textual", "rich")
ROOT = Path(__file__).resolve().parents[1]


def _modules(package: object) -> list[str]:
    name = package.__name__  # type: ignore[attr-defined]
    path = package.__path__  # type: ignore[attr-defined]
    return [f"{name}.{info.name}" for info in pkgutil.iter_modules(path)]


MODULES = (
    _modules(ydsi_tui.vault) + _modules(ydsi_tui.service) + _modules(ydsi_tui.cli)
    + ["ydsi_tui.settings"]
)  # fmt: skip

#: One fresh interpreter imports the modules one by one and, after each, names what
#: of the forbidden packages is loaded. The first module after which one appears is
#: the one that loaded it (those before it did not); the modules after it cannot be
#: told apart, so they are reported as not checked. One interpreter rather than one
#: per module: the same verdict (some module loads the user interface, or none
#: does) in a second instead of twenty.
_WALK = """
import importlib, json, sys
forbidden = tuple(sys.argv[1].split(","))
found = {}
for module in sys.argv[2:]:
    importlib.import_module(module)
    found[module] = sorted({m.split(".")[0] for m in sys.modules} & set(forbidden))
print(json.dumps(found))
"""


@pytest.fixture(scope="module")
def loaded_after() -> dict[str, list[str]]:
    result = subprocess.run(
        [sys.executable, "-c", _WALK, ",".join(FORBIDDEN), *MODULES],
        capture_output=True, text=True, check=True,
    )  # fmt: skip
    found: dict[str, list[str]] = json.loads(result.stdout)
    return found


@pytest.mark.parametrize("module", MODULES)
def test_module_does_not_load_the_user_interface(
    module: str, loaded_after: dict[str, list[str]]
) -> None:
    order = list(loaded_after)
    culprit = next((name for name in order if loaded_after[name]), None)
    if culprit is not None and order.index(module) > order.index(culprit):
        pytest.fail(f"not checked: {culprit} loaded {', '.join(loaded_after[culprit])} first")
    assert loaded_after[module] == [], f"{module} imports {', '.join(loaded_after[module])}"


def test_the_walk_names_a_module_that_loads_the_user_interface(tmp_path: Path) -> None:
    """The walk itself can fail: a planted module that imports Rich is named, not missed."""
    (tmp_path / "planted_ui.py").write_text("import rich.text\n")
    result = subprocess.run(
        [sys.executable, "-c", _WALK, ",".join(FORBIDDEN), "ydsi_tui.model.ages", "planted_ui"],
        capture_output=True, text=True, check=True,
        env={**os.environ, "PYTHONPATH": f"{tmp_path}{os.pathsep}{ROOT}"},
    )  # fmt: skip
    found = json.loads(result.stdout)
    assert found["ydsi_tui.model.ages"] == []
    assert "rich" in found["planted_ui"]


def test_the_vault_never_imports_the_service_or_the_app() -> None:
    code = (
        "import sys, ydsi_tui.vault.session, ydsi_tui.vault.verify\n"
        "print(','.join(m for m in sys.modules if m.startswith(('ydsi_tui.service', 'ydsi_tui.app',"
        " 'ydsi_tui.cli'))))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert result.stdout.strip() == ""
