"""The import-linter contracts in ``pyproject.toml`` hold, and they can break.

``./dev test`` runs ``lint-imports`` before pytest; this runs it too, so a bare
``pytest`` sees a broken layer, and then plants forbidden imports in a copy of
the package to show each kind of contract notices them (a contract that cannot
fail, for instance one naming a module that was renamed, would pass forever).
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
LINT_IMPORTS = Path(sys.executable).with_name("lint-imports")

pytestmark = pytest.mark.skipif(not LINT_IMPORTS.exists(), reason="import-linter not installed")


def lint_imports(root: Path) -> subprocess.CompletedProcess[str]:
    """``lint-imports`` on the package under ``root`` with the project's own contracts."""
    return subprocess.run(
        [str(LINT_IMPORTS), "--no-cache", "--no-logo", str(ROOT / "pyproject.toml")],
        cwd=root, env={"PATH": "/usr/bin:/bin", "PYTHONPATH": str(root)},
        capture_output=True, text=True, check=False, stdin=subprocess.DEVNULL,
    )  # fmt: skip


def test_the_contracts_hold() -> None:
    result = lint_imports(ROOT)
    assert result.returncode == 0, result.stdout + result.stderr
    contracts = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["importlinter"]
    assert f"{len(contracts['contracts'])} kept, 0 broken" in result.stdout


@pytest.mark.slow  # a copy of the package and a lint-imports run each
@pytest.mark.parametrize(
    ("module", "line", "broken"),
    [
        ("model/ages.py", "from ydsi_tui.vault import errors", "Layers"),
        ("vault/crypto.py", "from ydsi_tui.service import clock", "Layers"),
        ("service/clock.py", "from ydsi_tui.app import text", "Layers"),
        ("app/text.py", "from ydsi_tui.cli import output", "Layers"),
        ("app/text.py", "from ydsi_tui.vault import session", "only through the service"),
        ("vault/crypto.py", "import rich", "never import Textual or Rich"),
        ("cli/output.py", "import textual", "through cli/output.py"),
        ("vault/session.py", "from ydsi_tui.vault import vault", "opens it"),
        ("app/screens/reads.py", "from ydsi_tui.app.screens import incident", "each other"),
        ("app/screens/lock.py", "from ydsi_tui.app.screens import unlock", "each other"),
    ],
)
def test_a_planted_import_breaks_its_contract(
    tmp_path: Path, module: str, line: str, broken: str
) -> None:
    shutil.copytree(
        ROOT / "ydsi_tui", tmp_path / "ydsi_tui", ignore=shutil.ignore_patterns("__pycache__")
    )
    target = tmp_path / "ydsi_tui" / module
    # At the end, inside a function: a lazy import counts as much as one at the top.
    target.write_text(target.read_text() + f"\n\ndef _planted() -> None:\n    {line}\n")
    result = lint_imports(tmp_path)
    assert result.returncode != 0
    broken_lines = [text for text in result.stdout.splitlines() if " BROKEN" in text]
    assert any(broken in text for text in broken_lines), result.stdout


@pytest.mark.slow
def test_a_type_checking_import_breaks_nothing(tmp_path: Path) -> None:
    shutil.copytree(
        ROOT / "ydsi_tui", tmp_path / "ydsi_tui", ignore=shutil.ignore_patterns("__pycache__")
    )
    target = tmp_path / "ydsi_tui" / "model" / "ages.py"
    target.write_text(
        target.read_text()
        + "\nfrom typing import TYPE_CHECKING\n\nif TYPE_CHECKING:\n"
        + "    from ydsi_tui.vault import errors\n"
    )
    assert lint_imports(tmp_path).returncode == 0
