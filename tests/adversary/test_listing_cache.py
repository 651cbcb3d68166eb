"""People who try to make the DSL's home screen show what a record does not say.

Since 12/2026 a launch shows each incident's row from the user's listing
cache (``vault/listing_cache.py``) when the file is unchanged and still
vouched for, instead of decrypting it again. A row believed from a cache the
DSL did not make would be a way to hide a referral that is due, or to show
a closed case as open, without touching the record at all. Here:

* a team member, who holds the same case key (so can encrypt a cache the
  DSL's key derivation opens) and, for the sake of the attack, write access
  to the DSL's state directory, plants a cache giving a genuine, unchanged
  file a summary of their own, and edits the DSL's own cache in place;
* a group member puts the DSL's own older, genuine cache back, alone and
  with the record file rolled back to match it;
* a thief with a copy of the DSL's home directory (the state directory with
  its MAC key) and of the vault looks for a pupil's name in the cache.

Each time the DSL's next launch shows what the record says (or DAMAGED), and
every other record reads as before.
"""

from __future__ import annotations

import hashlib
import json
import shutil
from pathlib import Path

from tests.support.adversary import (
    DSL,
    PUPILS,
    TEAM,
    Checks,
    World,
    expect_intact,
    plain_write,
)
from ydsi_tui.vault.crypto import wrap
from ydsi_tui.vault.index_cache import MAGIC, cache_path
from ydsi_tui.vault.listing_cache import ListingCache, Row
from ydsi_tui.vault.recordfile import RECORD_SUFFIX
from ydsi_tui.vault.witness import state_dir

PLANTED = "Closed: no further action (planted)"


def _dsl_cache(world: World) -> Path:
    dsl = world.unlock(DSL)
    vault_id = dsl.vault.header.vault_id
    index = cache_path(vault_id, world.path / "audit.log")
    return ListingCache(index, vault_id, dsl.user.id).path("case")


def _dsl_rows(world: World) -> dict[str, tuple[str, str]]:
    """What a fresh launch of the DSL's app shows: reference -> (status, summary)."""
    world.close()
    book = world.cases(DSL)
    # A damaged row is named by the reference the log gives it (a DSL may repair it).
    return {row.repair_ref or row.ref: (row.status, row.summary) for row in book.rows()}


def _listed_once(world: World) -> dict[str, tuple[str, str]]:
    """The DSL lists (and so caches) every incident, then closes the app."""
    shown = _dsl_rows(world)
    world.close()
    assert _dsl_cache(world).exists()
    world.close()
    return shown


def _forged_rows(world: World, ref: str) -> tuple[str, dict[str, Row]]:
    """The team member's cache rows: every file as it is, one summary rewritten."""
    team = world.unlock(TEAM)
    target = world.file("case", ref)
    rows: dict[str, Row] = {}
    for listed in team.list_records("case"):
        assert listed.summary is not None
        file = world.path / "case" / f"{listed.record_id}{RECORD_SUFFIX}"
        info = file.stat()
        identity = (info.st_dev, info.st_ino, info.st_size, info.st_mtime_ns, info.st_ctime_ns)
        summary = dict(listed.summary)
        if file == target:
            summary.update(status="closed", summary=PLANTED, referral_required=False, due=[])
        rows[listed.record_id] = (identity, hashlib.sha256(file.read_bytes()).hexdigest(), summary)
    return team.current_key("case")[0], rows


def test_a_cache_made_by_a_team_member_is_not_believed(world: World, tmp_path: Path) -> None:
    ref = world.incidents[0]
    honest = _listed_once(world)
    before = world.genuine()
    world.close()
    name, rows = _forged_rows(world, ref)
    team = world.unlock(TEAM)
    vault_id, dsl_id = team.vault.header.vault_id, world.unlock(DSL).user.id
    # Made under the team member's own account (their own MAC key), with the real case key ...
    own = tmp_path / "team-state"
    theirs = ListingCache(cache_path(vault_id, world.path / "audit.log", own), vault_id, dsl_id)
    assert theirs.save("case", name, team.current_key("case")[1], rows)
    world.close()
    # ... and put where the DSL's client looks.
    plain_write(_dsl_cache(world), theirs.path("case").read_bytes())
    world.close()
    checks = Checks("team member", "a listing cache for the DSL, with a summary of their own")
    shown = _dsl_rows(world)
    checks.attack("the planted summary is not shown", shown[ref] == honest[ref], str(shown[ref]))
    checks.attack("no row says the planted words", all(PLANTED not in s for _, s in shown.values()))
    expect_intact(world, checks, before)
    checks.finish()


def test_the_dsls_own_cache_edited_in_place_is_not_believed(world: World) -> None:
    ref = world.incidents[0]
    honest = _listed_once(world)
    before = world.genuine()
    world.close()
    cache = _dsl_cache(world)
    dsl = world.unlock(DSL)
    listing = ListingCache(
        cache_path(dsl.vault.header.vault_id, world.path / "audit.log"),
        dsl.vault.header.vault_id,
        dsl.user.id,
    )
    name, key = world.unlock(TEAM).current_key("case")
    rows = listing.load("case", name, key)  # the team member can decrypt it: same key
    assert rows, "the team member's key opens the DSL's cache (the attack's premise)"
    record_id = world.file("case", ref).name.split(".")[0]
    identity, digest, summary = rows[record_id]
    rows[record_id] = (identity, digest, {**summary, "status": "closed", "summary": PLANTED})
    mac = cache.read_bytes()[: len(MAGIC) + 32]
    world.close()
    # Re-encrypted with the real key; the MAC left as it was (the MAC key is the DSL's).
    body = name.encode() + b"\n" + _reseal(listing, name, key, rows)
    plain_write(cache, mac + body)
    checks = Checks("team member", "the DSL's own listing cache, re-encrypted with an edit")
    shown = _dsl_rows(world)
    checks.attack("the edited summary is not shown", shown[ref] == honest[ref], str(shown[ref]))
    expect_intact(world, checks, before)
    checks.finish()


def _reseal(listing: ListingCache, name: str, key: bytes, rows: dict[str, Row]) -> bytes:
    """The sealed part of a cache as ListingCache.save writes it (the format is in the source)."""
    doc = {rid: [list(i), d, s] for rid, (i, d, s) in rows.items()}
    plain = json.dumps(doc).encode()
    return wrap(listing._key("case", key), plain, listing._aad("case", name))


def test_the_dsls_own_older_cache_put_back_shows_nothing_older(world: World) -> None:
    ref = world.incidents[0]
    _listed_once(world)
    cache = _dsl_cache(world)
    older_cache = cache.read_bytes()
    target = world.file("case", ref)
    older_file = target.with_name("older-copy")
    shutil.copy2(target, older_file)
    world.cases(DSL).note(ref, "Police now involved: referral made at 14:05")
    newest = _dsl_rows(world)
    world.close()
    before = world.genuine()
    world.close()
    checks = Checks("group member", "the DSL's own older listing cache put back")
    plain_write(cache, older_cache)
    shown = _dsl_rows(world)
    checks.attack("the newest summary is shown", shown[ref] == newest[ref], str(shown[ref]))
    world.close()
    # And with the file rolled back to the version the old cache describes.
    plain_write(cache, older_cache)
    older_file.replace(target)
    shown = _dsl_rows(world)
    checks.attack("the rolled-back file is DAMAGED", shown[ref][0] == "damaged", str(shown[ref]))
    expect_intact(world, checks, before, lost=(ref,))
    checks.finish()


def test_a_thief_with_the_dsls_home_finds_no_name_in_the_cache(world: World) -> None:
    _listed_once(world)
    checks = Checks("thief", "a copy of the DSL's home directory and of the vault")
    files = [p for p in (state_dir()).rglob("*") if p.is_file()]
    listing_files = [p for p in files if p.name.endswith(".listing")]
    checks.attack("the DSL's listing cache is among the files", bool(listing_files))
    for name in PUPILS:
        for encoded in (name.encode(), name.encode("utf-16-le")):
            found = [p.name for p in files if encoded in p.read_bytes()]
            checks.attack(
                f"{name!r} ({len(encoded)} bytes) in no state file", not found, str(found)
            )
    checks.finish()
