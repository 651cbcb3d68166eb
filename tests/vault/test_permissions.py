"""Item 9: file modes, loud warnings for loose ones, and no temporary files left."""

from __future__ import annotations

import ctypes
import ctypes.util
import os
import resource
import shutil
import stat
import sys
from pathlib import Path

import pytest

from tests.support.vaults import DSL_PASS, TECH_PASS, MakeVault, temp_files
from ydsi_tui.vault.errors import WrongPassphrase
from ydsi_tui.vault.session import Session
from ydsi_tui.vault.vault import Vault
from ydsi_tui.vault.verify import verify_vault

# Real vaults with several users per test (key derivations), seconds each.
pytestmark = pytest.mark.slow


def exercise(session: Session, path: Path) -> None:
    """Every kind of save, so every kind of file exists."""
    session.add_user("tech", "technician", TECH_PASS)
    for n in range(3):
        with session.transaction("case", "INC-1", create=n == 0) as db:
            db.table("timeline").insert({"n": n})
    with session.transaction("custody", "DEV-1", create=True) as db:
        db.table("devices").insert({"bag": "B1"})
    session.read("case", "INC-1")
    session.change_passphrase(DSL_PASS, DSL_PASS + " changed")
    session.rotate(["case"])
    with pytest.raises(WrongPassphrase):
        Vault.open(path).unlock("tech", "not the technician's passphrase")


def modes(path: Path) -> tuple[set[int], set[int]]:
    files, dirs = set(), set()
    for item in [path, *path.rglob("*")]:
        mode = stat.S_IMODE(item.lstat().st_mode)
        (dirs if item.is_dir() else files).add(mode)
    return files, dirs


def test_private_vault_is_0600_and_0700(make_vault: MakeVault) -> None:
    session, _, path = make_vault()
    exercise(session, path)
    files, dirs = modes(path)
    assert files == {0o600}
    assert dirs == {0o700}
    assert (path / "throttle").iterdir()  # the failure counter was written too
    assert not temp_files(path)
    old = os.umask(0o022)
    os.umask(old)
    assert old == 0o077  # every file private from birth, not chmod-ed after
    assert resource.getrlimit(resource.RLIMIT_CORE) == (0, 0)  # no core dumps with keys
    if sys.platform.startswith("linux"):  # and no ptrace by the same user's processes
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
        assert libc.prctl(3, 0, 0, 0, 0) == 0  # PR_GET_DUMPABLE


def test_shared_vault_is_0660_and_2770(make_vault: MakeVault) -> None:
    session, _, path = make_vault(shared=True)
    exercise(session, path)
    files, dirs = modes(path)
    assert files == {0o660}
    assert dirs == {0o2770}
    assert not temp_files(path)
    assert Vault.open(path).warnings == []  # group access is the point of a shared vault


@pytest.mark.parametrize(
    ("shared", "target", "mode"),
    [
        (False, "vault.json", 0o644),
        (False, "audit.log", 0o640),
        (False, "case", 0o750),
        (False, ".", 0o755),
        (True, "vault.json", 0o664),
        (True, "custody", 0o2775),
    ],
)
def test_open_warns_about_files_others_can_read(
    make_vault: MakeVault, shared: bool, target: str, mode: int
) -> None:
    _, _, path = make_vault(shared=shared)
    assert Vault.open(path).warnings == []
    os.chmod(path / target, mode)
    warnings = Vault.open(path).warnings
    assert warnings, "no warning for a readable vault file"
    assert any(str((path / target).resolve()).rstrip("/.") in w or target in w for w in warnings)
    assert all("chmod" in w for w in warnings)


def test_no_temporary_file_survives_many_saves(make_vault: MakeVault) -> None:
    session, _, path = make_vault()
    for n in range(30):
        with session.transaction("case", f"INC-{n % 3}", create=n < 3) as db:
            db.table("timeline").insert({"n": n})
        assert not temp_files(path)
    case_files = sorted(p.name for p in (path / "case").iterdir())
    assert len(case_files) == 3 and all(name.endswith(".ydsr") for name in case_files)


@pytest.mark.parametrize("shared", [False, True])
def test_vault_restored_without_empty_directories_works(
    make_vault: MakeVault, shared: bool
) -> None:
    """Backups and git drop empty directories: the vault recreates its own."""
    session, _, path = make_vault(shared=shared)
    with session.transaction("case", "INC-1", create=True) as db:
        db.table("timeline").insert({"n": 1})
    (path / "custody").rmdir()
    (path / "throttle").rmdir()
    opened = Vault.open(path)
    assert (path / "custody").is_dir() and (path / "throttle").is_dir()
    assert verify_vault(path).ok
    dsl = opened.unlock("dsl", DSL_PASS)
    assert dsl.list_records("custody") == []
    with dsl.transaction("custody", "DEV-1", create=True) as db:
        db.table("devices").insert({"bag": "B1"})
    files, dirs = modes(path)
    assert dirs == ({0o2770} if shared else {0o700})
    assert files == ({0o660} if shared else {0o600})


def test_deleting_a_directory_of_records_is_still_reported(make_vault: MakeVault) -> None:
    session, _, path = make_vault()
    with session.transaction("custody", "DEV-1", create=True) as db:
        db.table("devices").insert({"bag": "B1"})
    shutil.rmtree(path / "custody")
    Vault.open(path)  # recreates the directory...
    problems = verify_vault(path).problems
    assert any("custody/" in p and "missing" in p for p in problems)  # ...but not the record
