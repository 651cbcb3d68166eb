"""Packaging as users expect: ``python -m ydsi_tui``, metadata, help that documents itself."""

from __future__ import annotations

import subprocess
import sys
import tomllib
from pathlib import Path

from ydsi_tui import __version__
from ydsi_tui.cli.main import EXIT_CODES
from ydsi_tui.settings import SPECS

ROOT = Path(__file__).resolve().parents[1]


def test_python_dash_m_runs_the_command() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "ydsi_tui", "--version"],
        capture_output=True, text=True, check=False, stdin=subprocess.DEVNULL,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == f"ydsi {__version__}"


def test_help_lists_every_exit_code_and_setting() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "ydsi_tui", "--help"],
        capture_output=True, text=True, check=False, stdin=subprocess.DEVNULL,
    )  # fmt: skip
    assert result.returncode == 0
    for code, meaning in EXIT_CODES.items():
        assert f"{code:<4} {meaning}" in result.stdout
    for spec in SPECS:
        assert f"${spec.env}" in result.stdout
    assert "/etc/ydsi/config.toml" in result.stdout and "ydsi config" in result.stdout


def test_metadata_declares_rich_classifiers_and_the_licence_file() -> None:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    names = [dep.split("=")[0].split(">")[0].split("<")[0] for dep in project["dependencies"]]
    assert "rich" in names  # imported directly by the package
    assert "textual==8.2.8" in project["dependencies"]  # still exact: minors move snapshots
    assert "Programming Language :: Python :: 3.11" in project["classifiers"]
    assert project["license"] == {"text": "Proprietary"}
    assert "Proprietary" in (ROOT / "LICENSE").read_text(encoding="utf-8")
