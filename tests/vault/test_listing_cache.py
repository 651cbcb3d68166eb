"""A launch decrypts only the files saved since this user last closed ydsi.

The findings of a listing (a file's identity, the hash its vouching save
named, its summary) are kept encrypted in the user's private state directory
(``vault/listing_cache.py``). A new session believes a row only for a file
that is the same file, unchanged, and still vouched for by the log read now:
each way a file or the log can move on between two runs must show at the
next launch, and the cache must never hold a pupil's name in the clear.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from tests.support.vaults import DSL_PASS, MakeVault, flip
from ydsi_tui.vault.recordfile import RECORD_SUFFIX
from ydsi_tui.vault.session import Session
from ydsi_tui.vault.vault import Vault
from ydsi_tui.vault.witness import state_dir

NAME = "Tamsin Okonkwo-Reyes"  # a made-up pupil, found nowhere else in the vault's files


def _save(session: Session, ref: str, n: int, *, create: bool = False) -> None:
    with session.transaction("case", ref, create=create) as db:
        db.table("_summary").truncate()
        db.table("_summary").insert({"ref": ref, "n": n, "pupil": NAME})


def _listing(session: Session) -> dict[str, tuple[object, str | None, str]]:
    return {
        listed.record_id: ((listed.summary or {}).get("n"), listed.error, listed.saved_by_role)
        for listed in session.list_records("case")
    }


def _file(session: Session, path: Path, ref: str) -> Path:
    return path / "case" / f"{session.record_id('case', ref)}{RECORD_SUFFIX}"


class Reads:
    """Every record file a session decrypts (read whole) from now on."""

    def __init__(self, session: Session) -> None:
        self.names: list[str] = []
        real = session.vault.fs.read_bytes

        def counting(file: Path) -> bytes:
            if file.name.endswith(RECORD_SUFFIX):
                self.names.append(file.name)
            return real(file)

        session.vault.fs.read_bytes = counting  # type: ignore[method-assign]


def _launch(path: Path) -> tuple[Session, Reads]:
    """A new process's session, counting reads before its first listing."""
    session = Vault.open(path).unlock("dsl", DSL_PASS)
    return session, Reads(session)


def _listing_files() -> list[Path]:
    return sorted((state_dir() / "witness").glob("*.listing"))


@pytest.fixture
def vault(make_vault: MakeVault) -> tuple[Path, dict[str, str]]:
    session, _, path = make_vault()
    refs = ("2026-001", "2026-002", "2026-003")
    for ref in refs:
        _save(session, ref, 1, create=True)
    ids = {ref: session.record_id("case", ref) for ref in refs}
    _listing(session)
    session.close()  # the cache is written at close
    return path, ids


def test_a_new_session_decrypts_only_what_was_saved_since(
    vault: tuple[Path, dict[str, str]],
) -> None:
    path, ids = vault
    session, reads = _launch(path)
    first = _listing(session)
    assert reads.names == []  # 3 records, none decrypted
    assert {first[rid] for rid in ids.values()} == {(1, None, "dsl")}
    session.close()

    other = Vault.open(path).unlock("dsl", DSL_PASS)
    _save(other, "2026-002", 2)
    other.close()
    session, reads = _launch(path)
    listing = _listing(session)
    assert reads.names == [f"{ids['2026-002']}{RECORD_SUFFIX}"]
    assert listing[ids["2026-002"]] == (2, None, "dsl")
    assert listing[ids["2026-001"]] == (1, None, "dsl")
    session.close()


def test_every_change_between_two_runs_shows_at_the_next_launch(
    vault: tuple[Path, dict[str, str]],
) -> None:
    path, ids = vault
    probe = Vault.open(path).unlock("dsl", DSL_PASS)
    one, two, three = (_file(probe, path, ref) for ref in ids)
    kept = path.parent / "older-copy"
    shutil.copy2(one, kept)
    _save(probe, "2026-001", 2)
    _listing(probe)
    probe.close()

    # While nobody runs ydsi: a byte flipped in place (same inode and size, the
    # mtime put back), an older copy renamed over the newest, a file deleted.
    before = os.stat(two)
    with open(two, "r+b") as handle:
        handle.write(flip(two.read_bytes(), 200)[:201])
    os.utime(two, ns=(before.st_atime_ns, before.st_mtime_ns))
    os.replace(kept, one)
    three.unlink()

    session, _ = _launch(path)
    listing = _listing(session)
    for ref in ids.values():
        assert listing[ref][1] is not None, ref  # every one DAMAGED, none the cached summary
    session.close()


def test_a_destroyed_record_leaves_the_cache_at_the_next_close(
    vault: tuple[Path, dict[str, str]],
) -> None:
    path, ids = vault
    session, _ = _launch(path)
    _listing(session)
    session.destroy_record("case", "2026-003")
    assert ids["2026-003"] not in _listing(session)
    session.close()
    later, reads = _launch(path)
    assert set(_listing(later)) == {ids["2026-001"], ids["2026-002"]}
    assert reads.names == []
    kept = later._listing_cache
    assert kept is not None
    name = f"case:{later.vault.header.epochs['case']}"
    assert set(kept.load("case", name, later._keys[name])) == {ids["2026-001"], ids["2026-002"]}
    later.close()


def test_the_cache_holds_no_pupil_data_in_the_clear(vault: tuple[Path, dict[str, str]]) -> None:
    (cache,) = _listing_files()
    data = cache.read_bytes()
    for clear in (NAME, NAME.encode("utf-16-le").decode("latin-1"), "2026-001", '"pupil"'):
        assert clear.encode("latin-1") not in data
    assert cache.stat().st_mode & 0o777 == 0o600
    assert cache.parent.stat().st_mode & 0o777 == 0o700


def test_after_a_key_rotation_the_old_cache_is_not_used(
    vault: tuple[Path, dict[str, str]],
) -> None:
    path, ids = vault
    session = Vault.open(path).unlock("dsl", DSL_PASS)
    session.rotate(["case"])
    session.close()  # the cache of before the rotation stays as it was: nothing was listed
    session, reads = _launch(path)
    listing = _listing(session)
    assert sorted(reads.names) == sorted(f"{rid}{RECORD_SUFFIX}" for rid in ids.values())
    assert {listing[rid] for rid in ids.values()} == {(1, None, "dsl")}
    session.close()


def test_a_garbled_cache_is_ignored(vault: tuple[Path, dict[str, str]]) -> None:
    path, ids = vault
    (cache,) = _listing_files()
    cache.write_bytes(flip(cache.read_bytes(), len(cache.read_bytes()) - 5))
    session, reads = _launch(path)
    listing = _listing(session)
    assert len(reads.names) == 3
    assert {listing[rid] for rid in ids.values()} == {(1, None, "dsl")}
    session.close()
