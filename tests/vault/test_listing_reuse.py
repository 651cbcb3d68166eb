"""A second listing reuses what it checked only for a file unchanged and still vouched for.

``Session.list_records`` skips decrypting a file it listed before when the
file's identity (device, inode, size, mtime, ctime) is the same and the audit
log still vouches for the hash it had. Each way the file or the log can move
on must show at the next listing.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

from tests.support.vaults import DSL_PASS, MakeVault, flip
from ydsi_tui.vault.recordfile import RECORD_SUFFIX
from ydsi_tui.vault.session import Session
from ydsi_tui.vault.vault import Vault


def _save(session: Session, ref: str, n: int, *, create: bool = False) -> None:
    with session.transaction("case", ref, create=create) as db:
        db.table("_summary").truncate()
        db.table("_summary").insert({"ref": ref, "n": n})


def _listing(session: Session) -> dict[str, tuple[object, str | None]]:
    return {
        listed.record_id: ((listed.summary or {}).get("n"), listed.error)
        for listed in session.list_records("case")
    }


def _path(session: Session, path: Path, ref: str) -> Path:
    return path / "case" / f"{session.record_id('case', ref)}{RECORD_SUFFIX}"


def test_a_second_listing_sees_every_change(make_vault: MakeVault) -> None:
    session, _, path = make_vault()
    _save(session, "2026-001", 1, create=True)
    _save(session, "2026-002", 1, create=True)
    rid1, rid2 = session.record_id("case", "2026-001"), session.record_id("case", "2026-002")
    assert _listing(session)[rid1] == (1, None)
    reads: list[str] = []
    real = session.vault.fs.read_bytes

    def counting(file: Path) -> bytes:
        reads.append(file.name)
        return real(file)

    session.vault.fs.read_bytes = counting  # type: ignore[method-assign]
    assert _listing(session)[rid1] == (1, None)
    assert not [name for name in reads if name.endswith(RECORD_SUFFIX)]  # nothing decrypted again

    # Another session's save: a new file and a new vouching entry.
    other = Vault.open(path).unlock("dsl", DSL_PASS)
    _save(other, "2026-001", 2)
    assert _listing(session)[rid1] == (2, None)

    # A byte flipped in place (the same size; its mtime put back): damaged at once.
    file = _path(session, path, "2026-002")
    before = os.stat(file)
    with open(file, "r+b") as handle:  # in place: the same inode and size
        handle.write(flip(file.read_bytes(), 200)[:201])
    os.utime(file, ns=(before.st_atime_ns, before.st_mtime_ns))
    assert _listing(session)[rid2][1] is not None

    # An older copy renamed over the newest: refused, not the cached summary.
    file1 = _path(session, path, "2026-001")
    old = path / "old-copy"
    shutil.copy2(file1, old)
    _save(other, "2026-001", 3)
    assert _listing(session)[rid1] == (3, None)
    os.replace(old, file1)
    assert _listing(session)[rid1][1] is not None
    other.close()
    session.close()


def test_a_listing_reads_the_log_once_not_once_per_file(make_vault: MakeVault) -> None:
    """The log was read again before each file (1,000 reads to list 1,000 incidents)."""
    session, _, path = make_vault()
    for n in range(1, 7):
        _save(session, f"2026-00{n}", n, create=True)
    fresh = Vault.open(path).unlock("dsl", DSL_PASS)  # nothing listed before
    log_reads: list[str] = []
    real = fresh.vault.fs.read_range

    def counting(file: Path, offset: int, size: int) -> bytes:
        if Path(file).name == "audit.log":
            log_reads.append(f"{offset}+{size}")
        return real(file, offset, size)

    fresh.vault.fs.read_range = counting  # type: ignore[method-assign]
    listing = _listing(fresh)
    assert sorted(n for n, _ in listing.values()) == [1, 2, 3, 4, 5, 6]
    assert all(error is None for _, error in listing.values())
    # One read of the log's new tail; signatures checked re-read single entries.
    tail_reads = [r for r in log_reads if int(r.split("+")[1]) >= 1 << 16]
    assert len(tail_reads) <= 1, log_reads
    fresh.close()
    session.close()


def test_a_save_landing_during_a_listing_is_listed_not_called_damage(
    make_vault: MakeVault,
) -> None:
    """Read once per listing, the log may lag a save made meanwhile: that file is
    checked again against the log read anew, and listed as saved."""
    session, _, path = make_vault()
    for n in (1, 2, 3):
        _save(session, f"2026-00{n}", 1, create=True)
    other = Vault.open(path).unlock("dsl", DSL_PASS)
    target = _path(session, path, "2026-002").name
    real = session.vault.fs.read_bytes
    landed: list[str] = []

    def save_first(file: Path) -> bytes:
        if Path(file).name == target and not landed:
            _save(other, "2026-002", 2)  # after the listing read the log
            landed.append(target)
        return real(file)

    session.vault.fs.read_bytes = save_first  # type: ignore[method-assign]
    listing = _listing(session)
    assert landed
    assert listing[session.record_id("case", "2026-002")] == (2, None)
    assert listing[session.record_id("case", "2026-001")] == (1, None)

    # And an altered file is still damage when the log moves on as it is read.
    file = _path(session, path, "2026-003")
    with open(file, "r+b") as handle:
        handle.write(flip(file.read_bytes(), 200)[:201])

    def log_moves_first(read: Path) -> bytes:
        if Path(read).name == file.name:
            _save(other, "2026-001", 3)
        return real(read)

    session.vault.fs.read_bytes = log_moves_first  # type: ignore[method-assign]
    listing = _listing(session)
    assert listing[session.record_id("case", "2026-003")][1] is not None
    # 2026-001 is listed as saved before or after the save, whichever it met.
    assert listing[session.record_id("case", "2026-001")][1] is None
    other.close()
    session.close()
