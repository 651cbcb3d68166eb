"""A group member plants or edits another user's index cache (index_cache.py).

The cache tells a user's client which saves the log holds, so that an open
parses only the log's tail. If a reader believed a cache it did not make, a
group member could pair a rolled-back record file with a cache that names
the old file's hash as the newest save, and the file would read as genuine.
Here the technician (their own keys, the group's file access, and, for the
sake of the attack, write access to the DSL's state directory) tries: a
cache made and MACed under their own account, the DSL's own cache edited in
place, and the DSL's own genuine but older cache put back. Each time the
rolled-back file is still refused, and every other record reads as before.
"""

from __future__ import annotations

import hashlib
import hmac
import marshal
from pathlib import Path

import pytest

from tests.support.adversary import DSL, Checks, World, expect_intact, expect_unvouched, plain_write
from ydsi_tui.vault import ledger as ledger_module
from ydsi_tui.vault.fs import FileSystem
from ydsi_tui.vault.index_cache import MAGIC, cache_path
from ydsi_tui.vault.ledger import Ledger


@pytest.fixture(autouse=True)
def persist_always(monkeypatch: pytest.MonkeyPatch) -> None:
    """The world is small: every session keeps its cache (as at 256 new entries)."""
    monkeypatch.setattr(ledger_module, "PERSIST_AT_CLOSE", 1)


def _roll_back_first_incident(world: World) -> tuple[Path, bytes]:
    """Keep the incident's file, let the DSL add a note (acknowledged), copy the old file back."""
    target = world.file("case", world.incidents[0])
    old = target.read_bytes()
    world.cases(DSL).note(world.incidents[0], "Ava's mother called: she knows about the image")
    world.close()  # the DSL's client keeps its cache
    return target, old


def _vault_id(world: World) -> str:
    return world.unlock(DSL).vault.header.vault_id


def _forge(body: bytes, record_id: str, old_hash: str) -> bytes:
    """The cache's index with the record's newest save naming the old file (as the
    attacker can read the format from the source)."""
    doc = list(marshal.loads(body))
    keys, blobs, tops = doc[9], doc[10], doc[11]
    if ("case", record_id) not in keys:
        # A technician's own index holds no case record (those entries are sealed to
        # them), but the format is in the source: they write one in.
        made = (1, "record.write", "x", "x.1", b"", None, False, None, None, 0, 0, None)
        keys.append(("case", record_id))
        blobs.append(marshal.dumps([made]))
        tops.append(made)
    at = keys.index(("case", record_id))
    top = list(tops[at])
    top[4] = bytes.fromhex(old_hash)
    tops[at] = tuple(top)
    writes = [list(w) for w in marshal.loads(blobs[at])]
    writes[-1][4] = bytes.fromhex(old_hash)
    blobs[at] = marshal.dumps([tuple(w) for w in writes])
    return marshal.dumps(tuple(doc))


def _ledger_status(world: World) -> str:
    return world.unlock(DSL, fresh=True).vault.ledger.cache_status


def test_a_cache_made_under_the_technicians_own_account_is_not_believed(
    world: World, tmp_path: Path
) -> None:
    target, old = _roll_back_first_incident(world)
    before = world.genuine()
    world.close()
    vault_id = _vault_id(world)
    record_id = target.name.split(".")[0]
    # The technician indexes the (group-readable) log under their own account ...
    own = tmp_path / "tech-state"
    theirs = Ledger(FileSystem(), world.path / "audit.log", vault_id, cache_dir=own)
    theirs.refresh()
    assert theirs.persist(10**9)
    made = cache_path(vault_id, world.path / "audit.log", own)
    data = made.read_bytes()
    body = data[len(MAGIC) + 32 :]
    forged = _forge(body, record_id, hashlib.sha256(old).hexdigest())
    key = (own / "index.key").read_bytes()
    # ... and plants the forgery, MACed with their own key, as the DSL's cache.
    planted = MAGIC + hmac.digest(key, forged, "sha256") + forged
    world.close()
    plain_write(cache_path(vault_id, world.path / "audit.log"), planted)
    plain_write(target, old)
    checks = Checks("group member", "index cache planted for the DSL, MACed by the technician")
    checks.attack("the DSL's client does not believe it", _ledger_status(world) == "untrusted")
    expect_unvouched(world, checks, "case", world.incidents[0])
    expect_intact(world, checks, before, lost=(world.incidents[0],))
    checks.finish()


def test_the_dsls_own_cache_edited_in_place_is_not_believed(world: World) -> None:
    target, old = _roll_back_first_incident(world)
    before = world.genuine()
    world.close()
    vault_id = _vault_id(world)
    world.close()
    cache = cache_path(vault_id, world.path / "audit.log")
    data = cache.read_bytes()
    head = len(MAGIC) + 32
    forged = _forge(data[head:], target.name.split(".")[0], hashlib.sha256(old).hexdigest())
    plain_write(cache, data[:head] + forged)  # the DSL's MAC kept: the attacker has no key
    plain_write(target, old)
    checks = Checks("group member", "the DSL's index cache edited to vouch for an old file")
    checks.attack("the DSL's client does not believe it", _ledger_status(world) == "untrusted")
    expect_unvouched(world, checks, "case", world.incidents[0])
    expect_intact(world, checks, before, lost=(world.incidents[0],))
    checks.finish()


def test_the_dsls_own_older_cache_put_back_vouches_for_nothing_newer(world: World) -> None:
    """A genuine cache from before the note, with the file from then: the tail it lacks
    is parsed, and the note's save still names the newer file."""
    world.unlock(DSL).list_records("case")
    world.close()
    vault_id = _vault_id(world)
    world.close()
    cache = cache_path(vault_id, world.path / "audit.log")
    older = cache.read_bytes()
    target, old = _roll_back_first_incident(world)
    before = world.genuine()
    world.close()
    assert cache.read_bytes() != older
    plain_write(cache, older)
    plain_write(target, old)
    checks = Checks("group member", "the DSL's own older index cache put back, file rolled back")
    checks.attack(
        "the old cache is used only for what the log still holds",
        _ledger_status(world) == "loaded",
    )
    expect_unvouched(world, checks, "case", world.incidents[0])
    expect_intact(world, checks, before, lost=(world.incidents[0],))
    checks.finish()
