"""Finding 7: a technician plants drafts that the DSL's app would offer as the DSL's own.

The technician has their own passphrase and keys, the DSL's public keys (in
``vault.json``) and the vault group's write access to ``drafts/<dsl id>/``.
Each attack writes files there through the project's own modules or plain
file writes, then the DSL unlocks and loads their drafts. Each test asserts
both halves: nothing planted is offered (it is discarded, deleted and
counted), and every genuine draft the DSL kept is still offered, unchanged.
Counts are printed (``pytest -s``).
"""

from __future__ import annotations

import json
import os
import secrets
import shutil
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.support.vaults import DSL_PASS, TECH_PASS, copy_vault, min_kdf
from ydsi_tui.vault.crypto import canonical_json, seal, wrap
from ydsi_tui.vault.drafts import DRAFT_MAGIC, DRAFTS_DIR, DraftBox, new_draft_key
from ydsi_tui.vault.fs import FileSystem
from ydsi_tui.vault.header import HEADER_NAME, Header
from ydsi_tui.vault.keys import Identity, open_slot
from ydsi_tui.vault.vault import Vault

PLANTED = "PLANTED by the technician"
GENUINE = [
    {"form": "note", "target": "incident", "ref": "2026-001", "values": {"text": "dsl note"}},
    {
        "form": "content.described",
        "target": "incident",
        "ref": "2026-001",
        "values": {"description": "dsl words"},
    },
    {"form": "incident.opened", "target": "new_incident", "values": {"summary": "dsl summary"}},
]


def planted_content() -> dict[str, object]:
    """What the technician wants the DSL to save: a correction with hidden values."""
    return {
        "form": "content.described",
        "target": "incident",
        "ref": "2026-001",
        "supersedes": "0123456789abcdef0123456789abcdef",
        "fixed": {"pupil_id": "not-a-pupil"},
        "values": {"description": PLANTED},
        "title": "Quick note (2026-001)",
    }


@dataclass
class World:
    path: Path
    header: Header
    dsl_id: str
    tech: Identity
    genuine: dict[str, dict[str, object]]  # draft id -> content

    @property
    def dsl_drafts(self) -> Path:
        return self.path / DRAFTS_DIR / self.dsl_id

    def dsl_box_public(self) -> bytes:
        user = self.header.user_by_id(self.dsl_id)
        assert user is not None
        return user.box_public


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("planted") / "vault"
    dsl, _ = Vault.create(path, user="dsl", passphrase=DSL_PASS, kdf=min_kdf())
    dsl.add_user("tech", "technician", TECH_PASS, kdf=min_kdf())
    box = dsl.draft_box()
    for content in GENUINE:
        box.save(content)
    dsl.close()
    return path


@pytest.fixture
def world(template: Path, tmp_path: Path) -> World:
    path = copy_vault(template, tmp_path / "vault")
    header = Header.from_bytes((path / HEADER_NAME).read_bytes())
    dsl = header.user_by_name("dsl")
    tech = header.user_by_name("tech")
    assert dsl is not None and tech is not None
    slot = header.slots[tech.id]  # the technician opens their own slot, nobody else's
    identity = open_slot(header.vault_id, tech.id, TECH_PASS, slot.kdf, slot.wrapped)
    session = Vault.open(path).unlock("dsl", DSL_PASS)
    genuine = {d.draft_id: d.content for d in session.load_drafts().drafts}
    session.close()
    assert len(genuine) == len(GENUINE)
    return World(path, header, dsl.id, identity, genuine)


# ---------------------------------------------------------------- the attacks
# Each writes into the DSL's drafts directory and returns how many files it planted.


def old_style_sealed_to_the_dsl(world: World) -> int:
    """(a) A draft sealed, as drafts used to be, to the DSL's public box key."""
    draft_id = secrets.token_hex(8)
    context = b"ydsi draft v1|" + canonical_json([world.header.vault_id, world.dsl_id, draft_id])
    blob = seal(world.dsl_box_public(), canonical_json(planted_content()), context)
    (world.dsl_drafts / f"{draft_id}.draft").write_bytes(blob)
    return 1


def new_format_under_an_unknown_key(world: World) -> int:
    """(a') The new format under a key of the technician's choosing, with no key file."""
    draft_id, key_id, key = secrets.token_hex(8), secrets.token_hex(16), secrets.token_bytes(32)
    aad = b"ydsi draft v2|" + canonical_json(
        [world.header.vault_id, world.dsl_id, draft_id, key_id]
    )
    blob = DRAFT_MAGIC + key_id.encode() + wrap(key, canonical_json(planted_content()), aad)
    (world.dsl_drafts / f"{draft_id}.draft").write_bytes(blob)
    return 1


def key_file_signed_by_the_technician(world: World) -> int:
    """(b) A key file sealed to the DSL, signed with the technician's own key, and a draft."""
    forged = new_draft_key(world.header.vault_id, world.dsl_id, world.dsl_box_public(), world.tech)
    box = DraftBox(FileSystem(), world.path, world.header.vault_id, world.dsl_id, forged, False)
    box.save(planted_content())  # the project's own code writes the key file and the draft
    return 1


def key_file_claiming_the_dsls_signing_key(world: World) -> int:
    """(b') The same, but the key file names the DSL's signing key id as its signer."""
    forged = new_draft_key(world.header.vault_id, world.dsl_id, world.dsl_box_public(), world.tech)
    box = DraftBox(FileSystem(), world.path, world.header.vault_id, world.dsl_id, forged, False)
    box.save(planted_content())
    dsl = world.header.user_by_id(world.dsl_id)
    assert dsl is not None
    key_path = world.dsl_drafts / f"{forged.key_id}.key"
    doc = json.loads(key_path.read_bytes())
    doc["sign_key"] = dsl.sign_key.key_id
    key_path.write_bytes(json.dumps(doc).encode())
    return 1


def genuine_draft_copied_to_another_id(world: World) -> int:
    """(c) A copy of one of the DSL's genuine drafts under a new draft id."""
    for draft_id in world.genuine:
        shutil.copyfile(
            world.dsl_drafts / f"{draft_id}.draft",
            world.dsl_drafts / f"{secrets.token_hex(8)}.draft",
        )
    return len(world.genuine)


def genuine_draft_moved_to_another_id(world: World) -> int:
    """(c') One genuine draft renamed to another id (that one is lost: renaming deletes it)."""
    first = sorted(world.genuine)[0]
    (world.dsl_drafts / f"{first}.draft").rename(world.dsl_drafts / f"{secrets.token_hex(8)}.draft")
    del world.genuine[first]  # any group member can delete a draft outright; the rest survive
    return 1


def technicians_own_genuine_drafts_copied_in(world: World) -> int:
    """(d) The technician's own genuine key file and draft, copied into the DSL's directory."""
    session = Vault.open(world.path).unlock("tech", TECH_PASS)
    session.draft_box().save(planted_content())
    own = world.path / DRAFTS_DIR / session.user.id
    session.close()
    for path in own.iterdir():
        shutil.copyfile(path, world.dsl_drafts / path.name)
    return 1  # one draft (its key file is tidied away as unused)


def odd_files_under_draft_names(world: World) -> int:
    """(e) A FIFO (a read would hang), a symlink to a genuine draft, and a directory."""
    os.mkfifo(world.dsl_drafts / f"{secrets.token_hex(8)}.draft")
    genuine = sorted(world.genuine)[0]
    (world.dsl_drafts / f"{secrets.token_hex(8)}.draft").symlink_to(f"{genuine}.draft")
    (world.dsl_drafts / f"{secrets.token_hex(8)}.draft").mkdir()
    return 2  # the directory is never a draft: skipped, not counted, left alone


ATTACKS: list[Callable[[World], int]] = [
    old_style_sealed_to_the_dsl,
    new_format_under_an_unknown_key,
    key_file_signed_by_the_technician,
    key_file_claiming_the_dsls_signing_key,
    genuine_draft_copied_to_another_id,
    genuine_draft_moved_to_another_id,
    technicians_own_genuine_drafts_copied_in,
    odd_files_under_draft_names,
]


@pytest.mark.parametrize("attack", ATTACKS, ids=[a.__name__ for a in ATTACKS])
def test_planted_draft_is_not_offered_and_genuine_ones_are(
    world: World, attack: Callable[[World], int]
) -> None:
    planted = attack(world)

    session = Vault.open(world.path).unlock("dsl", DSL_PASS)
    loaded = session.load_drafts()
    offered = {d.draft_id: d.content for d in loaded.drafts}
    print(
        f"[technician] {attack.__name__}: planted {planted}, discarded {loaded.discarded}, "
        f"offered {len(offered)} (genuine {len(world.genuine)})"
    )

    # The attack is refused: nothing planted is offered, and it is discarded and counted.
    assert all(PLANTED not in json.dumps(content) for content in offered.values())
    assert loaded.discarded == planted
    # No genuine draft is lost or changed.
    assert offered == world.genuine
    # What was discarded is gone: a second load finds the same drafts and nothing to discard.
    again = session.load_drafts()
    assert again.discarded == 0
    assert {d.draft_id: d.content for d in again.drafts} == world.genuine
    leftover = sorted(
        p.name for p in world.dsl_drafts.iterdir() if p.suffix == ".draft" and not p.is_dir()
    )
    assert leftover == sorted(f"{draft_id}.draft" for draft_id in world.genuine)
    # Only the genuine drafts' key file is left: forged and copied ones are tidied away.
    assert len(list(world.dsl_drafts.glob("*.key"))) == 1
