"""Unattended backups (issue 14): no passphrase, N generations, and a planted one named.

A nightly backup from cron or a systemd timer cannot sign its manifest (a
key able to sign would need its passphrase on the server). These tests show
what vouches for it instead, on real vaults: it waits for a writer holding the
lock and holds that writer's save whole; generations are pruned to N; a
backup altered after it was made, or planted whole from another vault, is
named by ``verify --backup`` (keyless where the signed log reaches, with a
case role's key for the case files) and by ``restore``.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import subprocess
import sys
import tarfile
from pathlib import Path

import pytest

from ydsi_tui.service.factory import services_for
from ydsi_tui.vault.backup import (
    MANIFEST_NAME,
    backup_generation,
    verify_backup,
    write_unattended_backup,
)
from ydsi_tui.vault.crypto import KdfParams
from ydsi_tui.vault.vault import Vault

from .conftest import KDF, PASS, World, add_pupil


def members(path: Path) -> dict[str, bytes]:
    with tarfile.open(path) as tar:
        out: dict[str, bytes] = {}
        for m in tar.getmembers():
            stream = tar.extractfile(m)
            assert stream is not None
            out[m.name] = stream.read()
        return out


def forge(path: Path, change: dict[str, bytes]) -> None:
    """Replace members and rewrite the unsigned manifest to match, as an attacker would."""
    old = members(path)
    new = {**old, **change}
    manifest = json.loads(new[MANIFEST_NAME])
    for item in manifest["files"]:
        data = new[item["path"]]
        item["size"], item["sha256"] = len(data), hashlib.sha256(data).hexdigest()
    new[MANIFEST_NAME] = json.dumps(manifest).encode()
    path.unlink()
    with tarfile.open(path, "w") as tar:
        for name, data in new.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))


def flip(data: bytes) -> bytes:
    out = bytearray(data)
    out[len(out) // 2] ^= 0x01
    return bytes(out)


def ydsi(*args: str) -> list[str]:
    return [sys.executable, "-m", "ydsi_tui.cli.main", *args]


def env_for(home: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("YDSI_")}
    env.update(HOME=str(home), XDG_STATE_HOME=str(home / "state"), XDG_DATA_HOME=str(home / "d"))
    return env


@pytest.fixture
def filled(world: World) -> str:
    dsl = world.cases()
    ref = dsl.create("Image shared between two Year 9 pupils")
    add_pupil(dsl, ref, "Ava Example")
    world.devices().seize(
        ref,
        {"description": "blue tablet", "owner": "AE", "seized_by": "Dana Lead",
         "powered_off": True},
    )  # fmt: skip
    return ref


def test_an_unattended_backup_waits_for_a_writer_and_holds_its_save_whole(
    world: World, filled: str, tmp_path: Path
) -> None:
    """As cron runs it (no terminal, no passphrase) while a DSL's save holds the lock."""
    out = tmp_path / "nightly.tar"
    book = world.cases()
    vault = book.session.vault
    with vault.lock():
        child = subprocess.Popen(
            ydsi("backup", "--unattended", "--vault", str(world.path), "--output", str(out)),
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env=env_for(tmp_path),
            start_new_session=True,  # no controlling terminal, as under cron
        )  # fmt: skip
        assert child.stderr is not None
        told = child.stderr.readline()
        assert "waiting" in told, told
        # The writer's save lands while the backup waits: the backup must hold all of it.
        book.note(filled, "written while the backup waited")
        head = vault.audit.head()
    stdout, stderr = child.communicate(timeout=120)
    assert child.returncode == 0, stderr
    assert "unattended" in stdout
    manifest = json.loads(members(out)[MANIFEST_NAME])
    assert manifest["unattended"] is True and "sig" not in manifest
    assert manifest["audit"] == {"seq": head.seq, "hash": head.hash}
    for secret in (b"Ava Example", b"blue tablet", b"written while", PASS.encode()):
        assert all(secret not in data for data in members(out).values())
    check = verify_backup(out, session=book.session, pin=world.path)
    assert check.ok, check.problems
    assert not check.case_files_unchecked
    # And it restores to a vault holding the note written during the wait.
    from ydsi_tui.vault.backup import restore_backup

    restore_backup(out, tmp_path / "restored")
    session = Vault.open(tmp_path / "restored").unlock("dsl", PASS)
    try:
        cases = services_for(session).cases
        assert cases is not None
        notes = [n.text("text") for n in cases.open(filled).incident.notes]
        assert "written while the backup waited" in notes
    finally:
        session.close()


def test_generations_are_pruned_to_n_and_nothing_else_is_touched(
    world: World, filled: str, tmp_path: Path
) -> None:
    folder = tmp_path / "backups"
    folder.mkdir(mode=0o700)
    (folder / "notes.txt").write_text("kept by the IT manager")
    (folder / "ydsi-backup-by-hand.tar").write_bytes(b"not a generation")
    made = [backup_generation(world.path, folder, keep=3) for _ in range(5)]
    names = sorted(p.name for p in folder.iterdir())
    kept = sorted(g.path.name for g in made[-3:])
    assert names == sorted([*kept, "notes.txt", "ydsi-backup-by-hand.tar"])
    assert [p.name for g in made for p in g.pruned] == [made[0].path.name, made[1].path.name]
    assert all(g.check.ok for g in made)
    assert all((p.stat().st_mode & 0o777) == 0o600 for p in folder.glob("ydsi-backup-2*"))


def test_generations_by_the_cli_with_keep(world: World, filled: str, tmp_path: Path) -> None:
    folder = tmp_path / "b"
    folder.mkdir()
    for _ in range(3):
        done = subprocess.run(
            ydsi("backup", "--unattended", "--vault", str(world.path), "--dir", str(folder),
                 "--keep", "2"),
            stdin=subprocess.DEVNULL, capture_output=True, text=True, env=env_for(tmp_path),
            check=False,
        )  # fmt: skip
        assert done.returncode == 0, done.stderr
    assert len(list(folder.iterdir())) == 2
    assert "Removed the old generation" in done.stdout
    bad = subprocess.run(
        ydsi("backup", "--unattended", "--vault", str(world.path), "--dir", str(folder),
             "--keep", "0"),
        stdin=subprocess.DEVNULL, capture_output=True, text=True, env=env_for(tmp_path),
        check=False,
    )  # fmt: skip
    assert bad.returncode == 2 and "internal error" not in bad.stderr
    units = subprocess.run(
        ydsi("backup", "--print-units", "--vault", str(world.path), "--dir", "/srv/b",
             "--keep", "14"),
        stdin=subprocess.DEVNULL, capture_output=True, text=True, env=env_for(tmp_path),
        check=False,
    )  # fmt: skip
    assert units.returncode == 0, units.stderr
    assert f"--vault {world.path} --dir /srv/b --keep 14" in units.stdout
    assert "OnCalendar=" in units.stdout and "[Install]" in units.stdout


@pytest.mark.parametrize("damage", ["case-file", "custody-file", "log-entry", "header"])
def test_an_altered_unattended_backup_is_named_by_verify(
    world: World, filled: str, tmp_path: Path, damage: str
) -> None:
    out = tmp_path / "nightly.tar"
    write_unattended_backup(world.path, out)
    files = members(out)
    if damage == "case-file":
        name = max((n for n in files if n.startswith("case/")), key=lambda n: len(files[n]))
    elif damage == "custody-file":
        name = next(n for n in files if n.startswith("custody/"))
    elif damage == "log-entry":
        name = "audit.log"
    else:
        name = "vault.json"
    if name == "audit.log":
        lines = files[name].split(b"\n")
        lines[2] = lines[2].replace(b'"ts":"2026', b'"ts":"2025', 1)
        assert lines[2] != files[name].split(b"\n")[2]
        forge(out, {name: b"\n".join(lines)})
    elif name == "vault.json":
        edited = files[name].replace(b'"shared":false', b'"shared":true', 1)
        assert edited != files[name]
        forge(out, {name: edited})
    else:
        forge(out, {name: flip(files[name])})
    dsl = world.cases().session
    full = verify_backup(out, session=dsl, pin=world.path)
    assert not full.ok, damage
    keyless = verify_backup(out, pin=world.path)
    if damage == "case-file":
        # Only the sealed entries vouch for case files: the keyless check says it did not look.
        assert keyless.case_files_unchecked
        assert any(name.split("/")[1][:8] in p or "case/" in p for p in full.problems)
    else:
        assert not keyless.ok, keyless.problems


def test_a_backup_planted_whole_from_another_vault_is_named(
    world: World, filled: str, tmp_path: Path
) -> None:
    """Self-consistent and signed throughout, but by another authority: only a pin names it."""
    other, _ = Vault.create(
        tmp_path / "other", user="dsl", passphrase=PASS, full_name="Dana Lead",
        kdf=KdfParams.new(*KDF),
    )  # fmt: skip
    other.close()
    planted = tmp_path / "ydsi-backup-planted.tar"
    write_unattended_backup(tmp_path / "other", planted)
    alone = verify_backup(planted)
    assert alone.ok and any("not compared with the vault" in n for n in alone.notes)
    pinned = verify_backup(planted, pin=world.path)
    assert not pinned.ok
    assert any("not a backup of the vault" in p for p in pinned.problems)


def test_restore_names_an_altered_case_file_and_signs_nothing(
    world: World, filled: str, tmp_path: Path
) -> None:
    """The DSL restores (disaster: an empty folder); the restore checks the case files first."""
    out = tmp_path / "nightly.tar"
    write_unattended_backup(world.path, out)
    files = members(out)
    name = max((n for n in files if n.startswith("case/")), key=lambda n: len(files[n]))
    forge(out, {name: flip(files[name])})
    secret = tmp_path / "pass"
    secret.write_text(PASS + "\n")
    secret.chmod(0o600)
    target = tmp_path / "restored"
    done = subprocess.run(
        ydsi("restore", str(out), "--vault", str(target), "--user", "dsl",
             "--passphrase-file", str(secret)),
        stdin=subprocess.DEVNULL, capture_output=True, text=True, env=env_for(tmp_path),
        check=False,
    )  # fmt: skip
    assert done.returncode == 1, (done.stdout, done.stderr)
    assert "NOT intact" in done.stdout and "not signed" in done.stdout
    assert "internal error" not in done.stderr
    session = Vault.open(target).unlock("dsl", PASS)
    try:
        assert not any(e.action == "vault.restore" for e in session.vault.audit.entries())
    finally:
        session.close()
