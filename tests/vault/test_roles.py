"""Items 3 and 4: roles are enforced by keys, not by checks in the interface.

A technician with their passphrase and read access to every file gathers every
key their slot and sealed keys yield and still decrypts no case record. A
removed user's saved copy of ``vault.json`` and old passphrase open nothing
after a rotation. A group member who seals a key of their own choosing to the
DSL, or plants a slot, is detected.
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass
from pathlib import Path

import pytest
from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from tests.support.vaults import (
    DSL_PASS,
    TEAM_PASS,
    TECH_PASS,
    copy_vault,
    min_kdf,
    record_files,
    write_raw,
)
from ydsi_tui.vault.crypto import (
    derive_kek,
    ed25519_public_bytes,
    private_bytes,
    random_key,
    seal,
    sign,
    unseal,
)
from ydsi_tui.vault.errors import AccessDenied, DamagedFile, UnknownUser
from ydsi_tui.vault.header import AuthorityKey, Header, Slot, endorsement_bytes, sealed_context
from ydsi_tui.vault.keys import Identity, open_slot, unseal_keys, wrap_slot
from ydsi_tui.vault.recordfile import decode, peek
from ydsi_tui.vault.vault import Vault
from ydsi_tui.vault.verify import verify_vault

# Real vaults with several users per test (key derivations), seconds each.
pytestmark = pytest.mark.slow

CASES = ["INC-A", "INC-B", "INC-C"]
DEVICES = ["DEV-1", "DEV-2"]


@dataclass
class Base:
    path: Path


@pytest.fixture(scope="module")
def base(tmp_path_factory: pytest.TempPathFactory) -> Base:
    path = tmp_path_factory.mktemp("roles") / "base"
    dsl, _ = Vault.create(path, user="dsl", passphrase=DSL_PASS, kdf=min_kdf())
    dsl.add_user("tech", "technician", TECH_PASS)
    dsl.add_user("team1", "team", TEAM_PASS)
    for ref in CASES:
        with dsl.transaction("case", ref, create=True) as db:
            db.table("_summary").insert({"title": f"{ref} summary"})
            db.table("timeline").insert({"note": f"{ref} disclosure"})
    for ref in DEVICES:
        with dsl.transaction("custody", ref, create=True) as db:
            db.table("devices").insert({"bag": ref})
    return Base(path)


@pytest.fixture
def vault(base: Base, tmp_path: Path) -> Path:
    return copy_vault(base.path, tmp_path / "vault")


def every_technician_secret(vault: Path, name: str, passphrase: str) -> dict[str, bytes]:
    """Every 32-byte secret a user can derive from vault.json and their passphrase."""
    header = Header.from_bytes((vault / "vault.json").read_bytes())
    user = header.user_by_name(name)
    assert user is not None
    slot = header.slots[user.id]
    identity = open_slot(header.vault_id, user.id, passphrase, slot.kdf, slot.wrapped)
    secrets = dict(unseal_keys(header.vault_id, identity, user.sealed))
    secrets["kek"] = derive_kek(passphrase, slot.kdf)
    secrets["box-private"] = private_bytes(identity.box)
    secrets["sign-private"] = private_bytes(identity.sign)
    # Anything else sealed in the header that this identity could open (none should).
    for owner in [*header.users, header.recovery]:
        owner_id = getattr(owner, "id", "recovery")
        for key_name, blob in owner.sealed.items():
            if owner_id == user.id:
                continue
            for context_owner in {owner_id, user.id}:
                with contextlib.suppress(InvalidTag):
                    secrets[f"stolen:{owner_id}:{key_name}"] = unseal(
                        identity.box, blob, sealed_context(header.vault_id, context_owner, key_name)
                    )
    return secrets


def try_every_key(vault: Path, compartment: str, secrets: dict[str, bytes]) -> int:
    """Try each secret, under every key name, on every record file; return files opened."""
    vault_id = Header.from_bytes((vault / "vault.json").read_bytes()).vault_id
    opened = 0
    files = record_files(vault, compartment)
    assert files
    for file in files:
        raw = file.read_bytes()
        record_id = file.name.removesuffix(".ydsr")
        key_name = peek(raw, file.name).key_name
        attempts = [dict(secrets), *({key_name: s} for s in secrets.values())]
        for keys in attempts:
            try:
                decode(
                    raw,
                    file.name,
                    vault_id=vault_id,
                    compartment=compartment,
                    record_id=record_id,
                    keys=keys,
                )
            except DamagedFile:
                continue
            opened += 1
            break
    return opened


def test_technician_keys_decrypt_no_case_record(vault: Path) -> None:
    secrets = every_technician_secret(vault, "tech", TECH_PASS)
    assert not [name for name in secrets if name.startswith("stolen:")]
    assert {"custody:1", "index:custody"} <= set(secrets)
    assert not [name for name in secrets if name.startswith(("case", "index:case", "authority"))]
    assert try_every_key(vault, "case", secrets) == 0
    # The same harvest does open custody records: the attempt itself is sound.
    assert try_every_key(vault, "custody", secrets) == len(record_files(vault, "custody"))


def test_technician_session_holds_no_case_key_and_is_refused(vault: Path) -> None:
    tech = Vault.open(vault).unlock("tech", TECH_PASS)
    assert not [name for name in tech._keys if name.startswith(("case", "index:case"))]
    assert not tech.can_read("case")
    for call in (
        lambda: tech.read("case", CASES[0]),
        lambda: tech.list_records("case"),
        lambda: tech.record_id("case", CASES[0]),
        lambda: tech.transaction("case", CASES[0]).__enter__(),
    ):
        with pytest.raises(AccessDenied):
            call()
    with pytest.raises(AccessDenied):
        tech.add_user("evil", "dsl", "a passphrase long enough")
    assert tech.read("custody", DEVICES[0]).tables["devices"]


def test_removed_users_old_keys_open_nothing_after_rotation(vault: Path) -> None:
    old_header = (vault / "vault.json").read_bytes()
    dsl = Vault.open(vault).unlock("dsl", DSL_PASS)
    held = dsl.remove_user("team1")
    assert set(held) == {"case", "custody"}
    rekeyed = dsl.rotate(held)
    assert rekeyed == len(CASES) + len(DEVICES)
    assert verify_vault(vault).ok
    with pytest.raises(UnknownUser):
        Vault.open(vault).unlock("team1", TEAM_PASS)

    # The removed member kept a copy of the old vault.json and their passphrase.
    (vault.parent / "old.json").write_bytes(old_header)
    old_dir = vault.parent / "old-view"
    old_dir.mkdir()
    (old_dir / "vault.json").write_bytes(old_header)
    secrets = every_technician_secret(old_dir, "team1", TEAM_PASS)
    assert {"case:1", "custody:1"} <= set(secrets)
    for compartment in ("case", "custody"):
        assert try_every_key(vault, compartment, secrets) == 0

    # Putting the old header back is refused at open (format 2): the audit
    # log vouches for the newer one, so nobody unlocks against the rollback.
    write_raw(vault / "vault.json", old_header)
    with pytest.raises(DamagedFile, match="rolled back"):
        Vault.open(vault).unlock("team1", TEAM_PASS)
    assert any("vault.json" in p for p in verify_vault(vault).problems)


def test_rotation_keeps_everyone_else_reading(vault: Path) -> None:
    dsl = Vault.open(vault).unlock("dsl", DSL_PASS)
    dsl.rotate(dsl.remove_user("team1"))
    fresh = Vault.open(vault).unlock("dsl", DSL_PASS)
    for ref in CASES:
        assert fresh.read("case", ref).tables["timeline"]
    tech = Vault.open(vault).unlock("tech", TECH_PASS)
    for ref in DEVICES:
        assert tech.read("custody", ref).tables["devices"]
    assert {n for n in fresh._keys if n.startswith("case:")} == {"case:2"}


# ---------------------------------------------------------------------------
# key substitution (item 4)
# ---------------------------------------------------------------------------


def test_technician_sealing_own_key_to_the_dsl_is_detected(vault: Path) -> None:
    header = Header.from_bytes((vault / "vault.json").read_bytes())
    dsl = header.user_by_name("dsl")
    assert dsl is not None
    chosen = random_key()  # the technician would read everything sealed with this
    dsl.sealed["case:1"] = seal(
        dsl.box_public, chosen, sealed_context(header.vault_id, dsl.id, "case:1")
    )
    write_raw(vault / "vault.json", header.to_bytes())
    with pytest.raises(DamagedFile, match="signature"):
        Vault.open(vault)
    assert any("vault.json" in p for p in verify_vault(vault).problems)


def test_technician_with_own_authority_is_refused_at_unlock(vault: Path) -> None:
    """Re-signing the substituted header with a self-made authority fails the DSL's pin."""
    header = Header.from_bytes((vault / "vault.json").read_bytes())
    dsl = header.user_by_name("dsl")
    assert dsl is not None
    dsl.sealed["case:1"] = seal(
        dsl.box_public, random_key(), sealed_context(header.vault_id, dsl.id, "case:1")
    )
    fake = Ed25519PrivateKey.generate()
    header.authority = [AuthorityKey("authority:1", ed25519_public_bytes(fake), None)]
    header.signature_key = "authority:1"
    header.signature = sign(fake, header.signing_bytes())
    write_raw(vault / "vault.json", header.to_bytes())
    with pytest.raises(DamagedFile, match=r"authority|not match the signed save"):
        Vault.open(vault).unlock("dsl", DSL_PASS)


def test_planted_dsl_slot_does_not_make_the_technician_a_dsl(vault: Path) -> None:
    header = Header.from_bytes((vault / "vault.json").read_bytes())
    dsl, tech = header.user_by_name("dsl"), header.user_by_name("tech")
    assert dsl is not None and tech is not None
    # (a) the technician's own slot copied into the DSL's place
    header.slots[dsl.id] = header.slots[tech.id]
    write_raw(vault / "vault.json", header.to_bytes())
    # A slot that is not the one last audited for its owner is set aside: never used.
    with pytest.raises(DamagedFile, match="key slot of dsl was changed outside ydsi"):
        Vault.open(vault).unlock("dsl", TECH_PASS)
    # (b) a slot made by the technician, for the DSL's id, under a passphrase they chose
    evil = Identity.generate(dsl.id, f"{dsl.id}.1", header.authority[0].public)
    kdf = min_kdf()
    header.slots[dsl.id] = Slot(kdf, wrap_slot(header.vault_id, evil, "evil passphrase 1", kdf))
    write_raw(vault / "vault.json", header.to_bytes())
    with pytest.raises(DamagedFile, match="key slot of dsl was changed outside ydsi"):
        Vault.open(vault).unlock("dsl", "evil passphrase 1")
    assert Vault.open(vault).unlock("tech", TECH_PASS).role == "technician"  # nobody else
    # The checks behind the open still hold: with the audit entry rewritten to match
    # (which needs a DSL's signature the technician does not have), the slot opens
    # nothing of the DSL's: that is covered by test_tamper's slot tests.


def test_removed_dsl_cannot_substitute_keys_after_authority_rotation(vault: Path) -> None:
    dsl = Vault.open(vault).unlock("dsl", DSL_PASS)
    dsl.add_user("dsl2", "dsl", "second dsl passphrase")
    old = Header.from_bytes((vault / "vault.json").read_bytes())
    dsl2_id = old.user_by_name("dsl2").id  # type: ignore[union-attr]
    slot = old.slots[dsl2_id]
    ident = open_slot(old.vault_id, dsl2_id, "second dsl passphrase", slot.kdf, slot.wrapped)
    stolen = unseal_keys(old.vault_id, ident, old.user_by_name("dsl2").sealed)  # type: ignore[union-attr]
    dsl.rotate(dsl.remove_user("dsl2"), passphrase=DSL_PASS)  # re-pins the rotating DSL

    header = Header.from_bytes((vault / "vault.json").read_bytes())
    root = Ed25519PrivateKey.from_private_bytes(stolen["authority:1"])
    evil = Ed25519PrivateKey.generate()
    evil_public = ed25519_public_bytes(evil)
    header.authority = [
        header.authority[0],
        AuthorityKey(
            "authority:2",
            evil_public,
            sign(root, endorsement_bytes(header.vault_id, "authority:2", evil_public)),
        ),
    ]
    target = header.user_by_name("dsl")
    assert target is not None
    header.epochs["case"] += 1
    name = f"case:{header.epochs['case']}"
    target.sealed[name] = seal(
        target.box_public, bytes(32), sealed_context(header.vault_id, target.id, name)
    )
    header.signature_key = "authority:2"
    header.signature = sign(evil, header.signing_bytes())
    write_raw(vault / "vault.json", header.to_bytes())
    with pytest.raises(DamagedFile):
        Vault.open(vault).unlock("dsl", DSL_PASS)


def test_other_users_are_repinned_to_the_new_authority_when_they_next_unlock(vault: Path) -> None:
    """A slot pinned to the old authority accepts a fork of it; the next unlock re-pins it."""
    dsl = Vault.open(vault).unlock("dsl", DSL_PASS)
    dsl.add_user("dsl2", "dsl", "second dsl passphrase")
    dsl.add_user("head", "headteacher", "headteacher passphrase")
    dsl.rotate(dsl.remove_user("dsl2"), passphrase=DSL_PASS)
    before = Header.from_bytes((vault / "vault.json").read_bytes())
    head_id = before.user_by_name("head").id  # type: ignore[union-attr]
    slot = before.slots[head_id]
    pinned = open_slot(before.vault_id, head_id, "headteacher passphrase", slot.kdf, slot.wrapped)
    assert pinned.trusted_authority == before.authority[0].public  # still the old one
    Vault.open(vault).unlock("head", "headteacher passphrase").close()
    after = Header.from_bytes((vault / "vault.json").read_bytes())
    slot = after.slots[head_id]
    repinned = open_slot(after.vault_id, head_id, "headteacher passphrase", slot.kdf, slot.wrapped)
    assert repinned.trusted_authority == after.current_authority.public
    assert after.current_authority.public != after.authority[0].public
    assert verify_vault(vault).ok
