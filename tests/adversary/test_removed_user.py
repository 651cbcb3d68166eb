"""A removed member of staff, with their old passphrase and an old copy of vault.json.

Anyone who was ever in the vault's group may have kept copies of its files.
The review (H6) showed a copied-back ``vault.json`` giving a removed
Headteacher their access back, unnoticed at open, and the DSL's next header
save making the rollback official. With a key rotation at removal, records
written afterwards must stay unreadable to the old keys; without one, the
old data keys still open what they encrypted (the documented limit).
"""

from __future__ import annotations

from functools import partial
from pathlib import Path

from tests.support.adversary import (
    DSL,
    Checks,
    World,
    enrol,
    expect_intact,
    expect_verify_names,
    plain_write,
)
from tests.support.vaults import copy_vault
from ydsi_tui.vault.errors import VaultError
from ydsi_tui.vault.recordfile import RECORD_SUFFIX, decode
from ydsi_tui.vault.session import Session
from ydsi_tui.vault.vault import Vault

EX = "exhead"
EX_PASS = "former headteacher passphrase"
NEW_DSL_PASS = "the dsl's second passphrase"


def _join_and_leave(world: World, *, rotate: bool) -> tuple[bytes, Path]:
    """Ex Head joins; a group member keeps vault.json (and a whole copy); Ex Head is removed."""
    dsl = world.unlock(DSL)
    enrol(dsl, world.path, EX, "headteacher", EX_PASS, full_name="Ex Head")
    old_header = (world.path / "vault.json").read_bytes()
    kept = copy_vault(world.path, world.path.parent / "kept-by-exhead")
    held = dsl.remove_user(EX)
    if rotate:
        dsl.rotate(held, passphrase=DSL.passphrase)
    return old_header, kept


def _unlock(path: Path, login: str, passphrase: str) -> Session:
    return Vault.open(path).unlock(login, passphrase)


def _rollback_refused(world: World, checks: Checks, dsl: Session, old_header: bytes) -> None:
    for login, passphrase in ((EX, EX_PASS), (DSL.login, DSL.passphrase)):
        message = checks.refused(
            f"{login}'s unlock on the rolled-back header",
            partial(_unlock, world.path, login, passphrase),
            contains=None,
        )
        checks.attack(f"{login}'s refusal names the rollback", "roll" in message.lower(), message)
    checks.refused(
        "the DSL's header save on top (a new member of staff)",
        lambda: enrol(dsl, world.path, "newteam", "team", "new team test passphrase"),
        damaged=False,
    )
    checks.refused(
        "the DSL's header save on top (a passphrase change)",
        lambda: dsl.change_passphrase(DSL.passphrase, NEW_DSL_PASS),
        damaged=False,
    )
    checks.attack(
        "vault.json is left as it was, so verify keeps saying so",
        (world.path / "vault.json").read_bytes() == old_header,
    )
    expect_verify_names(world, checks, "vault.json")


def test_header_rollback_restoring_a_removed_user_is_refused(world: World) -> None:
    """H6 A: the copy from before the removal is put back."""
    old_header, _ = _join_and_leave(world, rotate=False)
    before = world.genuine()
    current = (world.path / "vault.json").read_bytes()
    dsl = world.unlock(DSL)  # the DSL's app is still open
    plain_write(world.path / "vault.json", old_header)
    checks = Checks("removed user", "vault.json rolled back to list them again")
    _rollback_refused(world, checks, dsl, old_header)
    plain_write(world.path / "vault.json", current)  # the school puts the real one back
    world.close()
    expect_intact(world, checks, before)
    try:
        Vault.open(world.path).unlock(EX, EX_PASS)
        checks.keep("the removed user stays removed", False, "unlocked")
    except VaultError as exc:
        checks.keep("the removed user stays removed", True, str(exc))
    report = world.verify()
    checks.keep("verify ok with the real header back", report.ok, "; ".join(report.problems))
    checks.finish()


def test_header_rollback_past_a_rotation_is_refused(world: World) -> None:
    """H6 B: the old header no longer holds the keys the records are under."""
    old_header, _ = _join_and_leave(world, rotate=True)
    world.cases(DSL).note(world.incidents[0], "Written after Ex Head left")
    before = world.genuine()
    current = (world.path / "vault.json").read_bytes()
    dsl = world.unlock(DSL)
    plain_write(world.path / "vault.json", old_header)
    checks = Checks("removed user", "vault.json rolled back past a key rotation")
    _rollback_refused(world, checks, dsl, old_header)
    plain_write(world.path / "vault.json", current)
    world.close()
    expect_intact(world, checks, before)
    report = world.verify()
    checks.keep("verify ok with the real header back", report.ok, "; ".join(report.problems))
    checks.finish()


def _read_with_old_keys(world: World, kept: Path, refs: list[str]) -> dict[str, str]:
    """The removed user's own copy of the vault unlocks; try its keys on today's files."""
    old = Vault.open(kept).unlock(EX, EX_PASS)
    name, key = old.current_key("case")
    out: dict[str, str] = {}
    for ref in refs:
        record_id = old.record_id("case", ref)  # the index key is not rotated
        path = world.path / "case" / f"{record_id}{RECORD_SUFFIX}"
        try:
            _, _, body = decode(
                path.read_bytes(),
                str(path),
                vault_id=old.vault.header.vault_id,
                compartment="case",
                record_id=record_id,
                keys={name: key},
            )
            out[ref] = f"READ ({len((body or {}).get('events', {}))} entries with {name})"
        except VaultError as exc:
            out[ref] = f"refused: {exc}"
    old.close()
    return out


def test_removed_user_cannot_read_what_was_written_after_removal_and_rotation(
    world: World,
) -> None:
    """Held up in the review, kept as a test: old header + old passphrase, new keys."""
    _, kept = _join_and_leave(world, rotate=True)
    book = world.cases(DSL)
    book.note(world.incidents[0], "Ava disclosed coercion (after Ex Head left)")
    new = book.create("A new incident after Ex Head left")
    before = world.genuine()
    checks = Checks("removed user", "old copy and old passphrase after removal with rotation")
    found = _read_with_old_keys(world, kept, [world.incidents[0], new])
    for ref, result in found.items():
        checks.attack(
            f"{ref} (written after the rotation) stays unreadable",
            result.startswith("refused"),
            result,
        )
    expect_intact(world, checks, before)
    report = world.verify()
    checks.keep(
        "verify ok (the live vault was never touched)", report.ok, "; ".join(report.problems)
    )
    checks.finish()


def test_without_rotation_old_keys_still_open_records_documented_limit(world: World) -> None:
    """The documented limit: removal without rotation leaves the data keys the user had.

    What happens, measured: the removed user's old copy opens every case file
    still under ``case:1``, including a note written after their removal. A
    rotation then closes it for everything saved afterwards.
    """
    _, kept = _join_and_leave(world, rotate=False)
    book = world.cases(DSL)
    book.note(world.incidents[0], "Written after Ex Head left, before any rotation")
    checks = Checks("removed user", "old keys without rotation (documented limit)")
    found = _read_with_old_keys(world, kept, list(world.incidents))
    readable = [ref for ref, result in found.items() if result.startswith("READ")]
    print(f"\nwithout rotation the removed user reads {len(readable)} of {len(found)} incidents:")
    for ref, result in found.items():
        print(f"  {ref}: {result}")
    checks.keep(
        "documented: without rotation the old data keys still open records",
        len(readable) == len(found),
        repr(found),
    )
    dsl = world.unlock(DSL)
    dsl.rotate(["case", "custody"], passphrase=DSL.passphrase)
    new = world.cases(DSL).create("A new incident after the rotation")
    before = world.genuine()
    after_rotation = _read_with_old_keys(world, kept, [*world.incidents, new])
    for ref, result in after_rotation.items():
        checks.attack(
            f"{ref} after the rotation is unreadable to the old keys",
            result.startswith("refused"),
            result,
        )
    expect_intact(world, checks, before)
    checks.finish()


def test_removed_through_the_apps_removal_the_old_copy_opens_nothing_new(world: World) -> None:
    """The app's path (``remove_and_rotate``, the Users screen's x): one act, rotated."""
    from ydsi_tui.service.user_removal import remove_and_rotate

    dsl = world.unlock(DSL)
    enrol(dsl, world.path, EX, "headteacher", EX_PASS, full_name="Ex Head")
    kept = copy_vault(world.path, world.path.parent / "kept-by-exhead")
    removal = remove_and_rotate(dsl, EX, DSL.passphrase, drop=None)
    book = world.cases(DSL)
    book.note(world.incidents[0], "Ava disclosed coercion (after Ex Head left)")
    new = book.create("A new incident after Ex Head left")
    before = world.genuine()
    checks = Checks("removed user", "old copy and old passphrase after the app's removal")
    checks.keep("the removal says the keys were rotated", removal.rotated is not None)
    checks.refused(
        "the old passphrase on the live vault",
        partial(_unlock, world.path, EX, EX_PASS),
        damaged=False,
    )
    for ref, result in _read_with_old_keys(world, kept, [world.incidents[0], new]).items():
        checks.attack(f"{ref} (written after the removal) stays unreadable",
                      result.startswith("refused"), result)  # fmt: skip
    expect_intact(world, checks, before)
    checks.finish()
