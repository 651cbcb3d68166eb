"""The layers hold: the vault and the service never load Textual or Rich.

Checked in a fresh interpreter per module, because the test process itself
has Textual loaded; only a clean ``sys.modules`` proves a deferral defers.
"""

from __future__ import annotations

import pkgutil
import subprocess
import sys

import pytest

import ydsi_tui.cli
import ydsi_tui.service
import ydsi_tui.vault

FORBIDDEN = ("textual", "rich")


def _modules(package: object) -> list[str]:
    name = package.__name__  # type: ignore[attr-defined]
    path = package.__path__  # type: ignore[attr-defined]
    return [f"{name}.{info.name}" for info in pkgutil.iter_modules(path)]


@pytest.mark.parametrize(
    "module",
    _modules(ydsi_tui.vault)
    + _modules(ydsi_tui.service)
    + _modules(ydsi_tui.cli)
    + ["ydsi_tui.settings"],
)
def test_module_does_not_load_the_user_interface(module: str) -> None:
    code = (
        f"import sys, {module}\n"
        f"bad = [m for m in sys.modules if m.split('.')[0] in {FORBIDDEN!r}]\n"
        "print(','.join(sorted(bad)))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert result.stdout.strip() == "", f"{module} imports {result.stdout.strip()}"


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
