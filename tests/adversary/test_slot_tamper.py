"""A group member with no key edits, splices, plants or deletes one key slot in vault.json.

Slots are not covered by the authority's signature (anyone may change their
own passphrase), so format 2 first bound the whole file to its last audited
save: any slot edited outside ydsi then stopped *every* unlock (the review's
M5: "one slot's KDF settings edited to 8 KiB made the vault, and verify,
unusable for everyone"). Each header save now records a digest of each slot,
so a slot that is not its last audited one disables its owner alone, who is
named; it is never used, and never re-pinned or re-signed as good.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from tests.support.adversary import DSL, HEAD, PEOPLE, TEAM, TECH, Checks, World, plain_write
from ydsi_tui.vault.vault import Vault
from ydsi_tui.vault.verify import verify_vault


def _ids(world: World) -> dict[str, str]:
    doc = json.loads((world.path / "vault.json").read_bytes())
    return {u["name"]: u["id"] for u in doc["body"]["users"]}


def _edit(world: World, change: Callable[[dict[str, Any]], None]) -> None:
    path = world.path / "vault.json"
    doc = json.loads(path.read_bytes())
    change(doc["slots"])
    plain_write(path, json.dumps(doc).encode())


def _unlocks(world: World, login: str, passphrase: str) -> str:
    try:
        session = Vault.open(world.path).unlock(login, passphrase)
    except Exception as exc:  # the message is the point: collected, then asserted
        return f"refused: {type(exc).__name__}: {exc}"
    session.close()
    return "unlocked"


def _only_owner_locked_out(world: World, checks: Checks, victim: str, passphrase: str) -> None:
    result = _unlocks(world, victim, passphrase)
    checks.attack(f"{victim} cannot unlock with that slot", result.startswith("refused"), result)
    checks.keep(f"{victim}'s refusal names their slot", "key slot of" in result, result)
    checks.keep("no internal error", "internal" not in result.lower(), result)
    for person in PEOPLE:
        if person.login != victim:
            outcome = _unlocks(world, person.login, person.passphrase)
            checks.keep(f"{person.login} still unlocks", outcome == "unlocked", outcome)
    report = verify_vault(world.path)
    named = [p for p in report.problems if f"key slot of {victim}" in p]
    checks.attack(
        "verify is not ok and names the slot", not report.ok and bool(named), repr(report.problems)
    )
    checks.keep(
        "verify still checks the whole log",
        report.entries > 0 and report.records > 0,
        f"{report.entries} entries, {report.records} records",
    )
    dsl = Vault.open(world.path).unlock(DSL.login, DSL.passphrase) if victim != DSL.login else None
    if dsl is not None:
        due = [d.name for d in dsl.revocations_due()]
        checks.keep(f"the DSL is shown {victim}", victim in due, repr(due))
        dsl.close()


@pytest.mark.parametrize("victim", [TEAM, HEAD, DSL], ids=lambda p: p.login)
def test_kdf_settings_cut_to_8_kib_lock_out_only_the_owner(world: World, victim: Any) -> None:
    owner = _ids(world)[victim.login]
    _edit(world, lambda slots: slots[owner]["kdf"].update(memory_kib=8))
    checks = Checks("group member", f"{victim.login}'s slot KDF edited to 8 KiB")
    _only_owner_locked_out(world, checks, victim.login, victim.passphrase)
    checks.finish()


def test_an_old_slot_spliced_back_locks_out_only_its_owner(world: World) -> None:
    old = json.loads((world.path / "vault.json").read_bytes())["slots"]
    team = world.unlock(TEAM)
    team.change_passphrase(TEAM.passphrase, "team member's new passphrase")
    team.close()
    owner = _ids(world)[TEAM.login]
    _edit(world, lambda slots: slots.update({owner: old[owner]}))
    checks = Checks("group member", "the team member's old slot spliced back")
    _only_owner_locked_out(world, checks, TEAM.login, TEAM.passphrase)
    checks.finish()


def test_a_deleted_slot_locks_out_only_its_owner(world: World) -> None:
    owner = _ids(world)[TECH.login]
    _edit(world, lambda slots: slots.pop(owner))
    checks = Checks("group member", "the technician's slot deleted")
    _only_owner_locked_out(world, checks, TECH.login, TECH.passphrase)
    checks.finish()


def test_a_planted_slot_is_ignored_and_named(world: World) -> None:
    owner = _ids(world)[TEAM.login]

    def plant(slots: dict[str, Any]) -> None:
        slots["f" * 32] = slots[owner]

    _edit(world, plant)
    checks = Checks("group member", "a slot planted for nobody")
    for person in PEOPLE:
        outcome = _unlocks(world, person.login, person.passphrase)
        checks.keep(f"{person.login} still unlocks", outcome == "unlocked", outcome)
    report = verify_vault(world.path)
    checks.attack(
        "verify names the planted slot",
        not report.ok and any("added outside ydsi" in p for p in report.problems),
        repr(report.problems),
    )
    checks.finish()


def test_a_dsl_header_save_on_top_never_blesses_the_bad_slot(world: World, tmp_path: Path) -> None:
    owner = _ids(world)[TEAM.login]
    _edit(world, lambda slots: slots[owner]["kdf"].update(memory_kib=8))
    dsl = Vault.open(world.path).unlock(DSL.login, DSL.passphrase)
    dsl.change_passphrase(DSL.passphrase, "the dsl's new passphrase here")  # a header save
    dsl.close()
    checks = Checks("group member", "a DSL's header save on top of a bad slot")
    doc = json.loads((world.path / "vault.json").read_bytes())
    checks.attack(
        "the bad slot is not saved again", owner not in doc["slots"], repr(doc["slots"].keys())
    )
    result = _unlocks(world, TEAM.login, TEAM.passphrase)
    checks.attack("the team member still cannot unlock", result.startswith("refused"), result)
    dsl = Vault.open(world.path).unlock(DSL.login, "the dsl's new passphrase here")
    due = [d.name for d in dsl.revocations_due()]
    checks.keep("the DSL is still shown the team member", TEAM.login in due, repr(due))
    dsl.close()
    checks.finish()
