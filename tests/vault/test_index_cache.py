"""The ledger's index kept between runs (index_cache.py): used only while it is exact.

A warm open parses only the log's new tail (counted with the ledger's public
``lines_parsed``, never timed); a cache whose log was cut, rewritten or
forked, or a garbled cache, is discarded and the whole log parsed, and the
ledger then holds exactly what a fresh full parse holds.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tests.support.vaults import DSL_PASS, count_signature_checks
from ydsi_tui.vault import ledger as ledger_module
from ydsi_tui.vault.fs import FileSystem
from ydsi_tui.vault.index_cache import cache_path
from ydsi_tui.vault.ledger import Ledger
from ydsi_tui.vault.sealed_entries import EntrySealer
from ydsi_tui.vault.session import Session
from ydsi_tui.vault.vault import Vault

from .conftest import MakeVault

# Real vaults with several users per test (key derivations), seconds each.
pytestmark = pytest.mark.slow


@pytest.fixture(autouse=True)
def persist_always(monkeypatch: pytest.MonkeyPatch) -> None:
    """Small vaults: keep the cache after every session, not only after 256 new entries."""
    monkeypatch.setattr(ledger_module, "PERSIST_AT_CLOSE", 1)


def _saves(session: Session, refs: range, *, create: bool = True) -> None:
    for n in refs:
        with session.transaction("case", f"2026-{n:05d}", create=create) as db:
            db.table("events").insert({"kind": "note", "text": f"note {n}"})


def _fresh(path: Path, vault_id: str, opener: EntrySealer | None = None) -> Ledger:
    """A whole parse, no cache; with a case role's opener, the sealed case entries opened."""
    ledger = Ledger(FileSystem(), path / "audit.log", vault_id, cached=False)
    if opener is not None:
        ledger.set_opener(opener)
    ledger.refresh()
    return ledger


def _same_index(ledger: Ledger, other: Ledger) -> None:
    assert (ledger.seq, ledger.broken_at) == (other.seq, other.broken_at)
    for comp in ("header", "case", "custody"):
        assert sorted(ledger.records(comp)) == sorted(other.records(comp))
        for rec in other.records(comp):
            assert ledger.writes(comp, rec) == other.writes(comp, rec), (comp, rec)


def _cached_vault(make_vault: MakeVault) -> tuple[Path, str]:
    session, _, path = make_vault()
    _saves(session, range(5))
    session.close()
    vault_id = session.vault.header.vault_id
    assert cache_path(vault_id, path / "audit.log").is_file()
    return path, vault_id


def test_warm_open_parses_only_the_new_tail(make_vault: MakeVault) -> None:
    path, vault_id = _cached_vault(make_vault)
    other = Vault.open(path).unlock("dsl", DSL_PASS)
    before = other.audit_head()
    _saves(other, range(5, 8))  # three saves the cache has not seen
    appended = other.audit_head() - before
    assert appended >= 3
    vault = Vault.open(path)
    assert vault.ledger.cache_status == "loaded"
    # Only the new entries were parsed; the cached ones were hashed, not read.
    # (The session above closed without writing a new cache: it never closed.)
    assert vault.ledger.lines_parsed == appended
    assert vault.ledger.sealed_unread == appended  # the tail's case saves wait for the key
    session = vault.unlock("dsl", DSL_PASS)
    assert vault.ledger.sealed_unread == 0 and vault.ledger.lines_parsed == appended
    assert isinstance(session.vault.audit.sealer, EntrySealer)
    _same_index(vault.ledger, _fresh(path, vault_id, session.vault.audit.sealer))
    listed = session.list_records("case")
    assert not [x for x in listed if x.error]
    assert len(session.read("case", "2026-00001").tables["events"]) == 1


def test_a_listing_checks_no_signature_the_cache_saw_verify(
    make_vault: MakeVault, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Which signatures verified is kept too: the second run checks none of them again."""
    path, _ = _cached_vault(make_vault)
    first = Vault.open(path).unlock("dsl", DSL_PASS)
    first.list_records("case")
    first.close()  # keeps the newly checked signatures
    vault = Vault.open(path)
    session = vault.unlock("dsl", DSL_PASS)
    checked = count_signature_checks(monkeypatch)
    listed = session.list_records("case")
    assert len(listed) >= 5 and not [x for x in listed if x.error]
    assert checked == []


def _rewrite(log: Path, how: str) -> None:
    lines = log.read_bytes().split(b"\n")[:-1]
    if how == "cut":
        lines = lines[:-2]
    elif how == "rewritten":
        # One byte of an early entry changed, same length: the tail line is as it was.
        line = lines[2]
        at = line.index(b'"ts":"') + 8
        lines[2] = line[:at] + (b"1" if line[at : at + 1] != b"1" else b"2") + line[at + 1 :]
    log.write_bytes(b"".join(line + b"\n" for line in lines))


@pytest.mark.parametrize("how", ["cut", "rewritten"])
def test_a_cache_the_log_no_longer_starts_with_is_discarded(
    make_vault: MakeVault, how: str
) -> None:
    path, vault_id = _cached_vault(make_vault)
    _rewrite(path / "audit.log", how)
    ledger = Ledger(FileSystem(), path / "audit.log", vault_id)
    ledger.refresh()
    assert ledger.cache_status == "stale"
    fresh = _fresh(path, vault_id)
    assert ledger.lines_parsed == fresh.lines_parsed
    _same_index(ledger, fresh)
    if how == "rewritten":
        assert ledger.broken_at is not None  # as a full parse says: never the cache's word


def test_a_forked_log_discards_the_cache(make_vault: MakeVault) -> None:
    """Cut back, then as long as before again with other genuine entries."""
    session, _, path = make_vault()
    _saves(session, range(3))
    log = path / "audit.log"
    base = log.read_bytes()
    _saves(session, range(3, 5))
    session.close()  # the cache covers entries the fork will not have
    vault_id = session.vault.header.vault_id
    log.write_bytes(base)
    # The user's witness would refuse saves on the cut log: this test is about the index.
    state = cache_path(vault_id, log).parent
    for seen in [*state.glob("*.json"), *state.glob("*.lines")]:
        seen.unlink()
    other = Vault.open(path).unlock("dsl", DSL_PASS)
    _saves(other, range(10, 12))  # the same number of entries, other content
    ledger = Ledger(FileSystem(), log, vault_id)
    ledger.refresh()
    assert ledger.cache_status == "stale"
    _same_index(ledger, _fresh(path, vault_id))


@pytest.mark.parametrize("damage", ["truncated", "flipped", "empty", "directory"])
def test_a_garbled_cache_is_ignored_without_an_error(make_vault: MakeVault, damage: str) -> None:
    path, vault_id = _cached_vault(make_vault)
    cache = cache_path(vault_id, path / "audit.log")
    data = cache.read_bytes()
    if damage == "truncated":
        cache.write_bytes(data[: len(data) // 2])
    elif damage == "flipped":
        cache.write_bytes(data[:-5] + bytes([data[-5] ^ 1]) + data[-4:])
    elif damage == "empty":
        cache.write_bytes(b"")
    else:
        cache.unlink()
        cache.mkdir()
    vault = Vault.open(path)
    assert vault.ledger.cache_status == "untrusted"
    _same_index(vault.ledger, _fresh(path, vault_id))
    session = vault.unlock("dsl", DSL_PASS)
    assert not [x for x in session.list_records("case") if x.error]
    if damage != "directory":
        session.close()  # rebuilt from the log
        assert Vault.open(path).ledger.cache_status == "loaded"


def test_a_key_file_others_can_read_turns_caching_off(make_vault: MakeVault) -> None:
    path, vault_id = _cached_vault(make_vault)
    key = cache_path(vault_id, path / "audit.log").parent / "index.key"
    os.chmod(key, 0o644)
    vault = Vault.open(path)
    assert vault.ledger.cache_status == "untrusted"
    _same_index(vault.ledger, _fresh(path, vault_id))


def test_an_undone_last_entry_is_never_kept(make_vault: MakeVault) -> None:
    """The last entry is kept only once acknowledged: a cache without the witness keeps
    all but it (a save elsewhere may still be undone), and the next open parses it."""
    session, _, path = make_vault()
    _saves(session, range(3))
    vault_id = session.vault.header.vault_id
    ledger = Ledger(FileSystem(), path / "audit.log", vault_id)
    ledger.refresh()
    assert ledger.persist(0)
    again = Ledger(FileSystem(), path / "audit.log", vault_id)
    again.refresh()
    assert again.cache_status == "loaded"
    assert again.lines_parsed == 1
    _same_index(again, _fresh(path, vault_id))
