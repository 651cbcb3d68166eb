"""A leaked passphrase or recovery code, held with an old copy of vault.json (H5, M3).

Every group member can read ``vault.json`` and every backup holds it, so the
attacker here is anyone who copied it before the leak was noticed (a
technician, say) and has learned the secret: they hold the old slot, the old
passphrase and so the old private keys. The review showed them reading a
note written after ``passwd`` and a full rotation, because both left the
private keys as they were. After ``ydsi user passwd --compromised`` (or
``ydsi recovery-code reissue``) nothing saved afterwards may open to them,
offline with their copy or online with ydsi itself.
"""

from __future__ import annotations

import json
from pathlib import Path

from tests.support.adversary import DSL, HEAD, TEAM, TECH, Checks, World, expect_intact, plain_write
from tests.support.vaults import copy_vault, tree_hashes
from ydsi_tui.service.user_removal import reissue_recovery_code
from ydsi_tui.vault.errors import VaultError
from ydsi_tui.vault.header import RECOVERY_ID, Header, UserEntry
from ydsi_tui.vault.keys import open_slot, unseal_keys
from ydsi_tui.vault.recordfile import RECORD_SUFFIX, decode
from ydsi_tui.vault.revocation import ALL_TARGETS
from ydsi_tui.vault.vault import Vault
from ydsi_tui.vault.verify import verify_vault

NEW_DSL_PASS = "a new passphrase nobody has seen"


def _keys_from_old_copy(old_header: bytes, owner: str, secret: str) -> dict[str, bytes]:
    """Everything the old slot opens: from the old copy's own seals and from today's header."""
    header = Header.from_bytes(old_header)
    slot = header.slots[owner]
    identity = open_slot(header.vault_id, owner, secret, slot.kdf, slot.wrapped)
    sealed = header.recovery.sealed if owner == RECOVERY_ID else _user(header, owner).sealed
    return unseal_keys(header.vault_id, identity, sealed)


def _today_with_old_identity(
    world: World, old_header: bytes, owner: str, secret: str
) -> dict[str, bytes]:
    """The old private key tried on the keys today's header seals (what a rotation alone left)."""
    old = Header.from_bytes(old_header)
    slot = old.slots[owner]
    identity = open_slot(old.vault_id, owner, secret, slot.kdf, slot.wrapped)
    today = Header.from_bytes((world.path / "vault.json").read_bytes())
    sealed = today.recovery.sealed if owner == RECOVERY_ID else _user(today, owner).sealed
    try:
        return unseal_keys(today.vault_id, identity, sealed)
    except VaultError:
        return {}


def _user(header: Header, user_id: str) -> UserEntry:
    user = header.user_by_id(user_id)
    assert user is not None
    return user


def _readable(world: World, keys: dict[str, bytes], refs: list[str]) -> dict[str, str]:
    """Try every key on the file of each incident: "READ" or why not."""
    session = world.unlock(DSL)
    out: dict[str, str] = {}
    for ref in refs:
        record_id = session.record_id("case", ref)
        path = world.path / "case" / f"{record_id}{RECORD_SUFFIX}"
        out[ref] = "refused"
        for name, key in keys.items():
            if not name.startswith("case:"):
                continue
            try:
                decode(
                    path.read_bytes(),
                    str(path),
                    vault_id=session.vault.header.vault_id,
                    compartment="case",
                    record_id=record_id,
                    keys={name: key},
                )
            except VaultError:
                continue
            out[ref] = f"READ with {name}"
    return out


def _dsl_id(world: World) -> str:
    return world.unlock(DSL).user.id


def _write_after(world: World) -> list[str]:
    book = world.cases(DSL)
    book.note(world.incidents[0], "Written after the revocation: Ava disclosed coercion")
    return [world.incidents[0], book.create("A new incident after the revocation")]


def test_plain_passwd_and_rotate_still_leak_documented(world: World) -> None:
    """The finding as it stands for a plain passphrase change: why --compromised exists."""
    old_header = (world.path / "vault.json").read_bytes()
    dsl = world.unlock(DSL)
    dsl.change_passphrase(DSL.passphrase, NEW_DSL_PASS)
    dsl.rotate(list(ALL_TARGETS), passphrase=NEW_DSL_PASS)
    refs = _write_after(world)
    keys = _today_with_old_identity(world, old_header, _dsl_id(world), DSL.passphrase)
    found = _readable(world, keys, refs)
    print(f"\nplain passwd + rotate, old slot on today's header: {found}")
    assert all(v.startswith("READ") for v in found.values()), found


def test_dsl_compromised_passphrase_opens_nothing_saved_afterwards(world: World) -> None:
    old_header = (world.path / "vault.json").read_bytes()
    kept = copy_vault(world.path, world.path.parent / "kept-by-technician")
    dsl = world.unlock(DSL)
    dsl_id = dsl.user.id
    revoked = dsl.declare_compromised(NEW_DSL_PASS)
    checks = Checks("technician", "leaked DSL passphrase + old vault.json, after --compromised")
    checks.keep("the DSL got new keys", revoked.new_keys)
    checks.same("what must be rotated", sorted(revoked.rotate), sorted(ALL_TARGETS))
    checks.keep(
        "the rotation due is flagged in the signed header",
        any(d.name == DSL.login for d in dsl.revocations_due()),
        repr(dsl.revocations_due()),
    )
    dsl.rotate(revoked.rotate, passphrase=NEW_DSL_PASS)
    checks.keep("the flag is cleared by the rotation", not dsl.revocations_due())
    refs = _write_after(world)
    before = world.genuine()

    # Offline: the old slot and passphrase, on the old copy and on today's header.
    old_keys = _keys_from_old_copy(old_header, dsl_id, DSL.passphrase)
    checks.keep("the old copy still opens its own old keys (the limit)", bool(old_keys))
    for ref, result in _readable(world, old_keys, refs).items():
        checks.attack(f"{ref} under the old copy's keys", result == "refused", result)
    today = _today_with_old_identity(world, old_header, dsl_id, DSL.passphrase)
    checks.attack("the old private key opens no key today's header seals", not today, str(today))
    # Offline: the attacker's whole copy of the vault, unlocked in ydsi itself.
    old_session = Vault.open(kept).unlock(DSL.login, DSL.passphrase)
    name, key = old_session.current_key("case")
    old_session.close()
    for ref, result in _readable(world, {name: key}, refs).items():
        checks.attack(f"{ref} under the kept copy's current key", result == "refused", result)

    # Online: the old passphrase on the live vault, and the old slot spliced back in.
    checks.refused(
        "the old passphrase on the live vault",
        lambda: Vault.open(world.path).unlock(DSL.login, DSL.passphrase),
        damaged=False,
    )
    live = (world.path / "vault.json").read_bytes()
    doc = json.loads(live)
    doc["slots"][dsl_id] = json.loads(old_header)["slots"][dsl_id]
    plain_write(world.path / "vault.json", json.dumps(doc).encode())
    checks.refused(
        "the old slot spliced into today's vault.json, unlocked with the old passphrase",
        lambda: Vault.open(world.path).unlock(DSL.login, DSL.passphrase),
        contains=None,
    )
    report = verify_vault(world.path)
    checks.attack("verify names the spliced header", not report.ok, "; ".join(report.problems))
    plain_write(world.path / "vault.json", live)
    checks.keep(
        "the new passphrase unlocks",
        Vault.open(world.path).unlock(DSL.login, NEW_DSL_PASS).user.id == dsl_id,
    )
    expect_intact(world, checks, before)
    report = verify_vault(world.path)
    checks.keep("verify ok after the revocation", report.ok, "; ".join(report.problems))
    checks.finish()


def test_team_member_compromised_slot_is_disabled_at_once(world: World) -> None:
    old_header = (world.path / "vault.json").read_bytes()
    team = world.unlock(TEAM)
    team_id = team.user.id
    revoked = team.declare_compromised(None)
    checks = Checks("technician", "leaked team passphrase + old vault.json")
    checks.keep("no new keys for a non-DSL (they are invited again)", not revoked.new_keys)
    message = checks.refused(
        "the old passphrase at once",
        lambda: Vault.open(world.path).unlock(TEAM.login, TEAM.passphrase),
        damaged=False,
    )
    checks.keep("the refusal says why", "no key slot" in message, message)
    checks.keep("the refusal is not 'damaged'", "damaged" not in message.lower(), message)
    dsl = world.unlock(DSL, fresh=True)
    due = [d.name for d in dsl.revocations_due()]
    checks.keep("every DSL is shown it", TEAM.login in due, repr(due))
    held = dsl.remove_user(TEAM.login)
    dsl.rotate(held, passphrase=DSL.passphrase)
    checks.keep("the flag clears once removed", not dsl.revocations_due())
    refs = _write_after(world)
    before = world.genuine()
    old_keys = _keys_from_old_copy(old_header, team_id, TEAM.passphrase)
    for ref, result in _readable(world, old_keys, refs).items():
        checks.attack(f"{ref} under the old copy's keys", result == "refused", result)
    expect_intact(world, checks, before)
    report = verify_vault(world.path)
    checks.keep("verify ok", report.ok, "; ".join(report.problems))
    checks.finish()


def test_nobody_else_can_clear_the_rotation_flag(world: World) -> None:
    """The flag is in the authority-signed body: a technician editing it breaks the header."""
    dsl = world.unlock(DSL)
    dsl.declare_compromised(NEW_DSL_PASS)  # the rotation is interrupted before it starts
    live = (world.path / "vault.json").read_bytes()
    doc = json.loads(live)
    assert doc["body"]["rotation_due"] == [dsl.user.id]
    doc["body"].pop("rotation_due")
    plain_write(world.path / "vault.json", json.dumps(doc).encode())
    checks = Checks("technician", "clears the rotation-due flag")
    checks.refused(
        "the header without the flag",
        lambda: Vault.open(world.path).unlock(DSL.login, NEW_DSL_PASS),
        contains="signature",
    )
    plain_write(world.path / "vault.json", live)
    fresh = Vault.open(world.path).unlock(DSL.login, NEW_DSL_PASS)
    checks.keep("the flag is still shown", bool(fresh.revocations_due()))
    fresh.close()
    checks.finish()


def test_recovery_code_reissued_old_code_opens_nothing(world: World, tmp_path: Path) -> None:
    # The world's code was thrown away when it was built: give the vault a known one first.
    dsl = world.unlock(DSL)
    first_code = dsl.reissue_recovery_code()
    dsl.rotate(list(ALL_TARGETS), passphrase=DSL.passphrase)
    old_header = (world.path / "vault.json").read_bytes()  # a technician's copy
    checks = Checks("technician", "an opened recovery envelope + old vault.json, after reissue")
    new_code = dsl.reissue_recovery_code()
    checks.keep("the flag is up until the rotation", bool(dsl.revocations_due()))
    dsl.rotate(list(ALL_TARGETS), passphrase=DSL.passphrase)
    checks.keep("the flag clears", not dsl.revocations_due())
    refs = _write_after(world)
    before = world.genuine()
    old_keys = _keys_from_old_copy(old_header, RECOVERY_ID, first_code)
    for ref, result in _readable(world, old_keys, refs).items():
        checks.attack(f"{ref} under the old code's keys", result == "refused", result)
    today = _today_with_old_identity(world, old_header, RECOVERY_ID, first_code)
    checks.attack("the old code opens no key today's header seals", not today, str(today))
    checks.refused(
        "the old code on the live vault",
        lambda: Vault.open(world.path).unlock_recovery(first_code),
        damaged=False,
    )
    recovery = Vault.open(world.path).unlock_recovery(new_code)
    header = recovery.vault.header
    checks.keep(
        "the old recovery signing keys are retired",
        [k.active for k in header.recovery.sign_keys] == [False, False, True],
        repr(header.recovery.sign_keys),
    )
    recovery.reset_user(TECH.login, "technician after a recovery")
    recovery.close()
    checks.keep(
        "the new code still resets a passphrase",
        Vault.open(world.path).unlock(TECH.login, "technician after a recovery").role
        == "technician",
    )
    expect_intact(world, checks, before)
    report = verify_vault(world.path)
    checks.keep("verify ok", report.ok, "; ".join(report.problems))
    checks.finish()


def test_the_shared_reissue_leaves_the_old_envelope_nothing_new(world: World) -> None:
    """The act the CLI and the app's Users screen share: the opened envelope opens nothing new.

    The technician kept a copy of ``vault.json`` and read the envelope in the
    safe when it was left open. After a DSL re-issues the code (``c`` on
    Users and keys, or ``ydsi recovery-code reissue``), nothing saved
    afterwards opens to the old code: offline with the copy, or online.
    """
    dsl = world.unlock(DSL)
    # The world's code was thrown away when it was built: give the vault a known one first.
    first = reissue_recovery_code(dsl, DSL.passphrase, drop=None)
    checks = Checks("technician", "an opened envelope + old vault.json, after the shared reissue")
    checks.keep("the first reissue finished", first.rotated is not None, str(first.unfinished))
    old_header = (world.path / "vault.json").read_bytes()  # the technician's copy
    second = reissue_recovery_code(dsl, DSL.passphrase, drop=None)
    checks.keep("the second reissue finished", second.rotated is not None, str(second.unfinished))
    refs = _write_after(world)
    before = world.genuine()

    old_keys = _keys_from_old_copy(old_header, RECOVERY_ID, first.code)
    checks.keep("the old copy still opens its own old keys (the limit)", bool(old_keys))
    for ref, result in _readable(world, old_keys, refs).items():
        checks.attack(f"{ref} under the old code's keys", result == "refused", result)
    today = _today_with_old_identity(world, old_header, RECOVERY_ID, first.code)
    checks.attack("the old code opens no key today's header seals", not today, str(today))
    checks.refused(
        "the old code on the live vault",
        lambda: Vault.open(world.path).unlock_recovery(first.code),
        damaged=False,
    )

    # At the DSL's unlocked screen, left alone: no new code without the DSL's passphrase.
    hashes = tree_hashes(world.path, skip_throttle=True)
    checks.refused(
        "a reissue at an unlocked DSL session with a guessed passphrase",
        lambda: reissue_recovery_code(dsl, "a guess at the dsl's passphrase", drop=None),
        damaged=False,
    )
    checks.keep("the guess changed nothing", tree_hashes(world.path, skip_throttle=True) == hashes)
    recovery = Vault.open(world.path).unlock_recovery(second.code)
    recovery.reset_user(TECH.login, "technician after a recovery")
    recovery.close()
    checks.keep(
        "the new code resets a passphrase",
        Vault.open(world.path).unlock(TECH.login, "technician after a recovery").role
        == "technician",
    )
    expect_intact(world, checks, before)
    report = verify_vault(world.path)
    checks.keep("verify ok", report.ok, "; ".join(report.problems))
    checks.finish()


def test_others_keep_self_service_passwd(world: World) -> None:
    """Headteachers, team members and technicians change their own passphrase, no DSL needed."""
    for person in (HEAD, TEAM, TECH):
        session = world.unlock(person)
        session.change_passphrase(person.passphrase, f"{person.login} new passphrase here")
        again = Vault.open(world.path).unlock(person.login, f"{person.login} new passphrase here")
        assert again.user.name == person.login
        again.close()
    assert verify_vault(world.path).ok
