"""Drafts under a per-session draft key, signed by their owner (issue 9, finding 7).

A draft is offered back as the user's own unsaved form, so only drafts under a
key file the user signed may be offered; writing must still work once the
session has locked. Everything runs on real files with the real crypto.
"""

from __future__ import annotations

import json
import stat
from pathlib import Path

import pytest

from tests.support.vaults import DSL_PASS, TEAM_PASS, copy_vault, flip, min_kdf, write_raw
from ydsi_tui.vault.crypto import b64e
from ydsi_tui.vault.drafts import DRAFTS_DIR, Draft, DraftsLoaded
from ydsi_tui.vault.errors import AccessDenied
from ydsi_tui.vault.session import Session
from ydsi_tui.vault.vault import Vault

NOTE = {"form": "note", "target": "incident", "ref": "2026-001", "values": {"text": "typed"}}
FORM = {"form": "content.described", "target": "incident", "ref": "2026-001", "values": {}}


@pytest.fixture(scope="module")
def base(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("drafts") / "base"
    dsl, _ = Vault.create(path, user="dsl", passphrase=DSL_PASS, kdf=min_kdf())
    dsl.add_user("team1", "team", TEAM_PASS, kdf=min_kdf())
    dsl.close()
    return path


@pytest.fixture
def vault(base: Path, tmp_path: Path) -> Path:
    return copy_vault(base, tmp_path / "vault")


def unlock(path: Path, user: str = "dsl", passphrase: str = DSL_PASS) -> Session:
    return Vault.open(path).unlock(user, passphrase)


def user_dir(path: Path, session: Session) -> Path:
    return path / DRAFTS_DIR / session.user.id


def test_round_trip_offers_the_draft_in_a_later_session(vault: Path) -> None:
    first = unlock(vault)
    box = first.draft_box()
    note_id = box.save(NOTE)
    form_id = box.save(FORM)
    assert box.save({**NOTE, "values": {"text": "typed more"}}, note_id) == note_id
    first.close()

    later = unlock(vault)
    loaded = later.load_drafts()
    assert isinstance(loaded, DraftsLoaded)
    assert loaded.discarded == 0
    assert sorted(loaded.drafts, key=lambda d: d.draft_id) == sorted(
        [Draft(note_id, {**NOTE, "values": {"text": "typed more"}}), Draft(form_id, FORM)],
        key=lambda d: d.draft_id,
    )
    files = sorted(p.name for p in user_dir(vault, later).iterdir())
    assert files == sorted([f"{note_id}.draft", f"{form_id}.draft", f"{box.key_id}.key"])
    for path in user_dir(vault, later).iterdir():
        assert stat.S_IMODE(path.stat().st_mode) == 0o600
        assert b"typed" not in path.read_bytes()


def test_writing_survives_the_lock_and_a_first_call_needs_the_keys(vault: Path) -> None:
    session = unlock(vault)
    box = session.draft_box()
    session.close()  # the keys are gone; what a lock or a SIGHUP leaves
    draft_id = box.save(NOTE)
    assert box.save({**NOTE, "values": {"text": "second"}}, draft_id) == draft_id
    assert session.draft_box() is box  # the same key, without the keys

    other = unlock(vault)
    [draft] = other.load_drafts().drafts
    assert draft == Draft(draft_id, {**NOTE, "values": {"text": "second"}})
    other.close()

    fresh = unlock(vault)
    fresh.close()
    with pytest.raises(AccessDenied):
        fresh.draft_box()  # a key file cannot be signed while locked
    with pytest.raises(AccessDenied):
        fresh.load_drafts()


def test_another_user_cannot_open_a_copy_of_someone_elses_drafts(vault: Path) -> None:
    dsl = unlock(vault)
    dsl.draft_box().save(NOTE)
    team = unlock(vault, "team1", TEAM_PASS)
    own_id = team.draft_box().save(FORM)
    mine = user_dir(vault, team)
    for path in user_dir(vault, dsl).iterdir():  # the DSL's key file and draft, copied
        write_raw(mine / path.name, path.read_bytes())

    loaded = team.load_drafts()
    assert loaded.drafts == [Draft(own_id, FORM)]
    assert loaded.discarded == 1
    assert len(dsl.load_drafts().drafts) == 1  # the DSL's own are untouched


def test_a_tampered_draft_is_discarded_and_deleted(vault: Path) -> None:
    session = unlock(vault)
    box = session.draft_box()
    good = box.save(NOTE)
    bad = box.save(FORM)
    path = user_dir(vault, session) / f"{bad}.draft"
    write_raw(path, flip(path.read_bytes(), len(path.read_bytes()) - 5))

    loaded = unlock(vault).load_drafts()
    assert loaded.drafts == [Draft(good, NOTE)]
    assert loaded.discarded == 1
    assert not path.exists()


def test_a_tampered_key_file_discards_every_draft_under_it(vault: Path) -> None:
    session = unlock(vault)
    box = session.draft_box()
    box.save(NOTE)
    box.save(FORM)
    key_path = user_dir(vault, session) / f"{box.key_id}.key"
    doc = json.loads(key_path.read_bytes())
    doc["sig"] = b64e(bytes(64))  # a well-formed signature that does not verify
    write_raw(key_path, json.dumps(doc).encode())
    session.close()

    loaded = unlock(vault).load_drafts()
    assert loaded == DraftsLoaded([], 2)
    assert not key_path.exists()  # no draft uses it any more
    assert list(user_dir(vault, session).glob("*.draft")) == []


def test_used_key_files_are_tidied_and_a_live_box_writes_its_own_again(vault: Path) -> None:
    old = unlock(vault)
    old_box = old.draft_box()
    used = old_box.save(NOTE)
    old_box.discard(used)
    old.close()
    directory = user_dir(vault, old)
    assert (directory / f"{old_box.key_id}.key").exists()

    live = unlock(vault)
    live_box = live.draft_box()
    live_box.save(FORM)
    reader = unlock(vault)
    loaded = reader.load_drafts()
    assert loaded == DraftsLoaded([Draft(loaded.drafts[0].draft_id, FORM)], 0)
    names = {p.name for p in directory.iterdir()}
    assert f"{old_box.key_id}.key" not in names  # nothing under it: removed
    assert f"{live_box.key_id}.key" in names  # the live session's draft still uses it

    (directory / f"{live_box.key_id}.key").unlink()  # tidied away under a live box
    second = live_box.save(NOTE)
    assert (directory / f"{live_box.key_id}.key").exists()
    assert Draft(second, NOTE) in unlock(vault).load_drafts().drafts


def test_shared_vault_drafts_are_group_readable_only(tmp_path: Path) -> None:
    session, _ = Vault.create(
        tmp_path / "shared", user="dsl", passphrase=DSL_PASS, kdf=min_kdf(), shared=True
    )
    box = session.draft_box()
    box.save(NOTE)
    for path in user_dir(tmp_path / "shared", session).iterdir():
        assert stat.S_IMODE(path.stat().st_mode) == 0o660
    assert len(session.load_drafts().drafts) == 1
