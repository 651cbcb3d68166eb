"""A vault that is not where the user pointed: a making-one hint only where nothing else is."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.cli.test_cli import KDF, Ydsi, no_traceback

# Runs ydsi processes on a real vault, each deriving its user's key.
pytestmark = pytest.mark.slow


def _run_at(tool: Ydsi, where: Path, *args: str) -> tuple[int, str]:
    tool.vault = where
    result = tool.run(*args)
    no_traceback(result)
    return result.returncode, result.stderr


def test_nothing_there_suggests_init(tmp_path: Path) -> None:
    code, err = _run_at(Ydsi(tmp_path), tmp_path / "nothing-here", "incident", "list")
    assert code == 4 and "create one with 'ydsi init" in err, err


def test_a_folder_of_other_files_never_suggests_a_new_vault(tmp_path: Path) -> None:
    (tmp_path / "documents").mkdir()
    (tmp_path / "documents" / "minutes.txt").write_text("not a vault", encoding="utf-8")
    code, err = _run_at(Ydsi(tmp_path), tmp_path / "documents", "incident", "list")
    assert code == 4 and "holds other files" in err and "ydsi init" not in err, err


def test_a_mistyped_path_beside_the_real_vault_names_the_real_one(tmp_path: Path) -> None:
    tool = Ydsi(tmp_path)
    real = tmp_path / "data" / "ydsi" / "vault"  # where ydsi looks by default (XDG_DATA_HOME)
    real.parent.mkdir(parents=True)
    tool.vault = real
    assert tool.run("init", *KDF).returncode == 0
    for args in (("incident", "list"), ("--vault", str(tmp_path / "vualt"), "incident", "list")):
        tool.vault = tmp_path / "vualt"
        result = tool.run(*args)
        no_traceback(result)
        assert result.returncode == 4, result.stderr
        assert f"did you mean '--vault {real}'" in result.stderr
        assert "ydsi init" not in result.stderr
