"""Backup and restore on a real vault: one file, still encrypted, verifiable, restorable."""

from __future__ import annotations

import io
import json
import os
import stat
import tarfile
from pathlib import Path

import pytest

from ydsi_tui.service.casebook import CaseBook
from ydsi_tui.service.factory import services_for
from ydsi_tui.vault.backup import (
    MANIFEST_NAME,
    BackupRefused,
    compare_logs,
    restore_backup,
    verify_backup,
    write_backup,
)
from ydsi_tui.vault.crypto import KdfParams
from ydsi_tui.vault.errors import AccessDenied, VaultError
from ydsi_tui.vault.vault import Vault
from ydsi_tui.vault.verify import verify_vault

from .conftest import KDF, PASS, World, add_pupil


@pytest.fixture
def backed_up(world: World, tmp_path: Path) -> tuple[Path, str]:
    dsl = world.cases()
    ref = dsl.create("Image shared between two Year 9 pupils")
    add_pupil(dsl, ref, "Ava Example")
    world.devices().seize(
        ref,
        {"description": "blue tablet", "owner": "AE", "seized_by": "Dana Lead",
         "powered_off": True},
    )  # fmt: skip
    out = tmp_path / "vault-backup.tar"
    write_backup(dsl.session, out)
    return out, ref


def members(path: Path) -> dict[str, bytes]:
    with tarfile.open(path) as tar:
        out: dict[str, bytes] = {}
        for m in tar.getmembers():
            stream = tar.extractfile(m)
            assert stream is not None
            out[m.name] = stream.read()
        return out


def rewrite(path: Path, change: dict[str, bytes | None]) -> None:
    """Rebuild the archive with some members replaced (None: removed)."""
    old = members(path)
    path.unlink()
    with tarfile.open(path, "w") as tar:
        for name, data in {**old, **change}.items():
            if data is None:
                continue
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))


def test_a_backup_is_one_private_file_with_nothing_decrypted(
    world: World, backed_up: tuple[Path, str]
) -> None:
    path, _ = backed_up
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    files = members(path)
    assert next(iter(files)) == MANIFEST_NAME
    assert {"vault.json", "audit.log"} <= set(files)
    assert sum(name.startswith("case/") for name in files) >= 3  # incident, refs, policy
    assert sum(name.startswith("custody/") for name in files) == 2  # device, refs
    blob = b"".join(files.values())
    for secret in (b"Ava Example", b"Year 9", b"blue tablet", PASS.encode()):
        assert secret not in blob
    manifest = json.loads(files[MANIFEST_NAME])
    assert manifest["made_by"] == "dsl" and manifest["audit"]["seq"] > 0


def test_a_backup_verifies_on_its_own_and_restores_to_a_new_directory(
    world: World, backed_up: tuple[Path, str], tmp_path: Path
) -> None:
    path, ref = backed_up
    check = verify_backup(path)
    assert check.ok, check.problems
    # Keyless: header and custody files against the log, case files against the
    # DSL-signed manifest (their entries are sealed: counted, checked for chain and signer).
    assert check.report is not None and check.report.records >= 1
    assert check.report.sealed_unread >= 4
    assert check.manifest is not None and len(check.manifest.files) >= 5
    result = restore_backup(path, tmp_path / "restored")
    assert result.previous == "none" and result.report.ok
    assert verify_vault(tmp_path / "restored").ok
    session = Vault.open(tmp_path / "restored").unlock("dsl", PASS)
    try:
        services = services_for(session, clock=world.clock)
        assert services.cases is not None
        view = services.cases.open(ref)
        assert [p.name for p in view.incident.pupils.values()] == ["Ava Example"]
        assert services.devices.rows()[0].description == "blue tablet"
        services.cases.note(ref, "written after the restore")  # the restored vault works
    finally:
        session.close()
    assert verify_vault(tmp_path / "restored").ok


@pytest.mark.slow  # every kind of damage
@pytest.mark.parametrize("damage", ["flip", "drop", "extra", "truncate-log", "manifest"])
def test_a_damaged_backup_does_not_verify_and_is_not_restored(
    backed_up: tuple[Path, str], tmp_path: Path, damage: str
) -> None:
    path, _ = backed_up
    files = members(path)
    record = next(name for name in files if name.startswith("case/"))
    if damage == "flip":
        data = bytearray(files[record])
        data[len(data) // 2] ^= 0x01
        rewrite(path, {record: bytes(data)})
    elif damage == "drop":
        rewrite(path, {record: None})
    elif damage == "extra":
        rewrite(path, {"../../evil": b"x"})
    elif damage == "truncate-log":
        log = files["audit.log"].split(b"\n")
        rewrite(path, {"audit.log": b"\n".join(log[:-2]) + b"\n"})
    else:
        manifest = json.loads(files[MANIFEST_NAME])
        manifest["made_by"] = "head"
        rewrite(path, {MANIFEST_NAME: json.dumps(manifest).encode()})
    check = verify_backup(path)
    assert not check.ok and check.problems
    with pytest.raises(BackupRefused):
        restore_backup(path, tmp_path / "restored")
    assert not (tmp_path / "restored").exists()
    assert not (tmp_path / "../../evil").exists()
    assert not [p for p in tmp_path.iterdir() if ".restoring-" in p.name]


def test_restore_never_overwrites_a_newer_vault_without_force(
    world: World, backed_up: tuple[Path, str], tmp_path: Path
) -> None:
    path, ref = backed_up
    world.cases().note(ref, "newer than the backup")
    with pytest.raises(BackupRefused, match="newer work"):
        restore_backup(path, world.path)
    assert world.verify().ok
    result = restore_backup(path, world.path, force=True)
    assert result.previous == "newer" and result.replaced is not None
    assert result.report.ok
    # Nothing is lost: the replaced vault is kept beside, and still verifies.
    assert verify_vault(result.replaced).ok
    kept = Vault.open(result.replaced).unlock("dsl", PASS)
    try:
        cases = services_for(kept).cases
        assert cases is not None
        assert any(
            n.text("text") == "newer than the backup" for n in cases.open(ref).incident.notes
        )
    finally:
        kept.close()


def test_restore_over_an_older_copy_of_the_same_vault_is_allowed(
    world: World, tmp_path: Path
) -> None:
    old = tmp_path / "old"
    dsl = world.cases()
    ref = dsl.create("first")
    restore_backup(_backup(dsl, tmp_path / "b1.tar"), old)
    dsl.note(ref, "later")
    newer = _backup(dsl, tmp_path / "b2.tar")
    result = restore_backup(newer, old)
    assert result.previous == "older" and result.report.ok


def test_restore_refuses_a_different_vault_and_a_non_vault_directory(
    backed_up: tuple[Path, str], tmp_path: Path
) -> None:
    path, _ = backed_up
    other, _ = Vault.create(tmp_path / "other", user="x", passphrase=PASS, kdf=KdfParams.new(*KDF))
    other.close()
    with pytest.raises(BackupRefused, match="different vault"):
        restore_backup(path, tmp_path / "other")
    stuff = tmp_path / "stuff"
    stuff.mkdir()
    (stuff / "notes.txt").write_text("mine")
    with pytest.raises(BackupRefused, match="holds no vault"):
        restore_backup(path, stuff, force=True)
    assert (stuff / "notes.txt").read_text() == "mine"


def test_only_a_dsl_backs_up_and_never_over_a_file(world: World, tmp_path: Path) -> None:
    with pytest.raises(AccessDenied):
        write_backup(world.cases("head").session, tmp_path / "b.tar")
    assert not (tmp_path / "b.tar").exists()
    (tmp_path / "taken.tar").write_bytes(b"keep me")
    with pytest.raises(VaultError, match="already exists"):
        write_backup(world.cases().session, tmp_path / "taken.tar")
    assert (tmp_path / "taken.tar").read_bytes() == b"keep me"
    os.symlink(tmp_path / "target", tmp_path / "link.tar")
    with pytest.raises(VaultError):
        write_backup(world.cases().session, tmp_path / "link.tar")
    assert not (tmp_path / "target").exists()


def test_compare_logs() -> None:
    a, b, c = b"1\n", b"1\n2\n", b"1\n3\n"
    assert compare_logs(a, a) == "same"
    assert compare_logs(a, b) == "older"
    assert compare_logs(b, a) == "newer"
    assert compare_logs(b, c) == "diverged"
    assert compare_logs(b"1\n2", b"1\n") == "same"  # a torn last line was never acknowledged


def _backup(cases: CaseBook, path: Path) -> Path:
    write_backup(cases.session, path)
    return path
