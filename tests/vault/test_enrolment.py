"""Enrolment and re-key requests: users make their own keys; a DSL only endorses them.

Real vaults, real crypto, real request files. The header save of an
endorsement is an ordinary ``commit_file`` (whose crash-safety the crash
suite covers); here we check what is particular to enrolment: one-time codes,
refusals that name what is wrong, forged and tampered requests, concurrency,
and the leftover request of a crash between the save and its removal.
"""

from __future__ import annotations

import shutil
import stat
import threading
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from tests.support.vaults import (
    DSL_PASS,
    HEAD_PASS,
    TEAM_PASS,
    MakeVault,
    enrol_user,
    min_kdf,
)
from ydsi_tui.vault.crypto import b64e
from ydsi_tui.vault.enrolment import (
    REQUESTS_DIR,
    KeyRequest,
    generate_code,
    make_request,
    normalise_code,
    request_path,
    vouch_public,
    write_request,
)
from ydsi_tui.vault.errors import UnknownUser, VaultError, WrongPassphrase
from ydsi_tui.vault.header import HEADER_NAME, Header, SignKey
from ydsi_tui.vault.session import Session
from ydsi_tui.vault.vault import Vault
from ydsi_tui.vault.verify import verify_vault

# Real vaults with several users per test (key derivations), seconds each.
pytestmark = pytest.mark.slow

NEW_PASS = "headteacher's own new passphrase"


def _requests(path: Path) -> list[str]:
    directory = path / REQUESTS_DIR
    return sorted(p.name for p in directory.iterdir()) if directory.exists() else []


def _save_case(session: Session, ref: str, text: str) -> None:
    with session.transaction("case", ref, create=True) as db:
        db.insert({"text": text})


def test_the_whole_flow_gives_the_user_keys_nobody_else_made(make_vault: MakeVault) -> None:
    dsl, _, path = make_vault()
    _save_case(dsl, "2026-001", "made before the Headteacher joined")
    code = dsl.issue_enrolment("head", "headteacher", "Hana Head")
    assert normalise_code(code) == code and len(code.replace("-", "")) == 28

    header = Vault.open(path).header
    pending = header.pending_by_name("head")
    assert pending is not None and pending.pending and not pending.active
    assert pending.sign_keys == [] and pending.sealed == {} and pending.box_public == b""
    assert len(pending.enrol_verifier) == 32 and header.user_by_name("head") is None
    assert header.slots.get(pending.id) is None
    with pytest.raises(UnknownUser):
        Vault.open(path).unlock("head", HEAD_PASS)

    before = (path / HEADER_NAME).read_bytes()
    written = Vault.open(path).enrol("head", code, HEAD_PASS, kdf=min_kdf())
    assert written == request_path(path, pending.id)
    assert stat.S_IMODE(written.stat().st_mode) == 0o600
    assert (path / HEADER_NAME).read_bytes() == before  # nothing changes until endorsed
    assert HEAD_PASS.encode() not in written.read_bytes()

    assert dsl.endorse_requests() == ["head"]
    assert _requests(path) == []
    header = Vault.open(path).header
    head_entry = header.user_by_name("head")
    assert head_entry is not None and head_entry.active and not head_entry.pending
    assert head_entry.enrol_verifier == b"" and head_entry.id == pending.id
    assert head_entry.owner_made_key(head_entry.sign_key.key_id)
    assert head_entry.sign_key.key_id == f"{pending.id}.1"
    assert set(head_entry.sealed) == {"case:1", "custody:1", "index:case", "index:custody"}

    head = Vault.open(path).unlock("head", HEAD_PASS)
    assert head.read("case", "2026-001").tables["_default"]["1"]["text"].startswith("made before")
    _save_case(head, "2026-002", "the Headteacher's own save")
    entries = list(Vault.open(path).audit.entries())
    issued = [e for e in entries if e.action == "user.enrol.issue"]
    enrolled = [e for e in entries if e.action == "user.enrol"]
    assert _without_binding(issued[0].extra) == {"user": pending.id, "role": "headteacher"}
    assert _without_binding(enrolled[0].extra) == {"user": pending.id, "key_id": f"{pending.id}.1"}
    assert enrolled[0].actor == dsl.user.id
    report = verify_vault(path)
    assert report.ok, report.problems


def test_the_code_works_once(make_vault: MakeVault) -> None:
    dsl, _, path = make_vault()
    code = dsl.issue_enrolment("head", "headteacher")
    vault = Vault.open(path)
    vault.enrol("head", code, HEAD_PASS, kdf=min_kdf())
    assert dsl.endorse_requests() == ["head"]
    with pytest.raises(VaultError, match="already enrolled"):
        Vault.open(path).enrol("head", code, "someone else's passphrase", kdf=min_kdf())
    # Someone who kept the code and the old header plants a request made with it.
    old = vault.header  # the header as it was while head was pending
    pending = old.pending_by_name("head")
    assert pending is not None
    from ydsi_tui.vault.enrolment import verifier_key

    key = verifier_key(code, old.vault_id, pending.id)
    planted = make_request(
        "enrol", old, pending, "attacker passphrase", min_kdf(), key, vouch_public(key), "now"
    )
    request_path(path, pending.id).write_bytes(planted.to_bytes())
    refused: list[str] = []
    assert dsl.endorse_requests(refused=refused) == []
    assert len(refused) == 1 and "not waiting to enrol" in refused[0]
    assert _requests(path) == [f"{pending.id}.json"]  # left for the DSL to see
    head = Vault.open(path).unlock("head", HEAD_PASS)  # the real user is untouched
    assert head.user.sign_key.key_id == f"{pending.id}.1"


def test_wrong_and_mistyped_codes_are_refused_before_anything_is_written(
    make_vault: MakeVault,
) -> None:
    dsl, _, path = make_vault()
    dsl.issue_enrolment("head", "headteacher")
    other = generate_code()
    with pytest.raises(WrongPassphrase, match="not the one issued for head"):
        Vault.open(path).enrol("head", other, HEAD_PASS, kdf=min_kdf())
    mistyped = other[:-1] + ("A" if other[-1] != "A" else "B")
    with pytest.raises(WrongPassphrase, match="typing mistake"):
        Vault.open(path).enrol("head", mistyped, HEAD_PASS, kdf=min_kdf())
    with pytest.raises(WrongPassphrase, match="28 characters"):
        Vault.open(path).enrol("head", "ABCD-1234", HEAD_PASS, kdf=min_kdf())
    with pytest.raises(UnknownUser, match="no enrolment is waiting"):
        Vault.open(path).enrol("nobody", other, HEAD_PASS, kdf=min_kdf())
    with pytest.raises(VaultError, match="at least 10"):
        Vault.open(path).enrol("head", other, "short", kdf=min_kdf())
    assert _requests(path) == []


def test_reissuing_replaces_the_code_and_drops_the_waiting_request(make_vault: MakeVault) -> None:
    dsl, _, path = make_vault()
    first = dsl.issue_enrolment("head", "headteacher")
    Vault.open(path).enrol("head", first, HEAD_PASS, kdf=min_kdf())
    second = dsl.issue_enrolment("head", "headteacher", "Hana Head")
    assert _requests(path) == []
    with pytest.raises(WrongPassphrase):
        Vault.open(path).enrol("head", first, HEAD_PASS, kdf=min_kdf())
    Vault.open(path).enrol("head", second, HEAD_PASS, kdf=min_kdf())
    assert dsl.endorse_requests() == ["head"]
    assert Vault.open(path).unlock("head", HEAD_PASS).user.full_name == "Hana Head"


def test_a_forged_request_is_refused_and_left_for_the_dsl(make_vault: MakeVault) -> None:
    dsl, _, path = make_vault()
    dsl.issue_enrolment("head", "headteacher")
    header = Vault.open(path).header
    pending = header.pending_by_name("head")
    assert pending is not None
    # A technician (no code) signs with a key of their own choosing.
    guess = Ed25519PrivateKey.generate()
    forged = make_request(
        "enrol", header, pending, "technician passphrase", min_kdf(), guess, "", "now"
    )
    write_request(Vault.open(path), forged, "head")
    refused: list[str] = []
    assert dsl.endorse_requests(refused=refused) == []
    assert len(refused) == 1 and "not signed with the enrolment code" in refused[0]
    assert _requests(path) == [f"{pending.id}.json"]
    assert Vault.open(path).header.pending_by_name("head") is not None
    with pytest.raises(VaultError, match="already waiting"):
        write_request(Vault.open(path), forged, "head")
    assert dsl.discard_request("head") is True and _requests(path) == []
    assert verify_vault(path).ok


def test_a_genuine_request_with_a_swapped_key_is_refused(make_vault: MakeVault) -> None:
    """Whoever can write requests/ swaps in their own box key to have data keys sealed to it."""
    dsl, _, path = make_vault()
    code = dsl.issue_enrolment("head", "headteacher")
    written = Vault.open(path).enrol("head", code, HEAD_PASS, kdf=min_kdf())
    genuine = KeyRequest.from_bytes(written.read_bytes())
    for field, value in (
        ("box_public", bytes(32)),
        ("sign_public", bytes(range(32))),
        ("key_id", genuine.user + ".2"),
    ):
        tampered = KeyRequest.from_bytes(written.read_bytes())
        setattr(tampered, field, value)
        written.write_bytes(tampered.to_bytes())
        refused: list[str] = []
        assert dsl.endorse_requests(refused=refused) == [], field
        assert len(refused) == 1 and "refused" in refused[0], field
    written.write_bytes(genuine.to_bytes())
    # A request copied under another pending user's name does not vouch for them.
    dsl.issue_enrolment("team1", "team")
    other = Vault.open(path).header.pending_by_name("team1")
    assert other is not None
    shutil.copy(written, request_path(path, other.id))
    refused = []
    assert dsl.endorse_requests(refused=refused) == ["head"]
    assert len(refused) == 1 and "file name does not match" in refused[0]
    assert Vault.open(path).header.pending_by_name("team1") is not None
    (path / REQUESTS_DIR / "garbage.json").write_bytes(b"\x00not json")
    refused = []
    assert dsl.endorse_requests(refused=refused) == []
    assert any("not readable" in r for r in refused)


def test_concurrent_enrolments(make_vault: MakeVault) -> None:
    dsl, _, path = make_vault()
    codes = {name: dsl.issue_enrolment(name, "team") for name in ("ann", "bob")}
    errors: list[BaseException] = []
    done: list[str] = []
    barrier = threading.Barrier(4)

    def enrol(name: str, passphrase: str) -> None:
        barrier.wait()
        try:
            Vault.open(path).enrol(name, codes[name], passphrase, kdf=min_kdf())
            done.append(name)
        except VaultError as exc:
            errors.append(exc)

    runs = [("ann", TEAM_PASS), ("ann", "another passphrase for ann"), ("bob", TEAM_PASS)]
    threads = [threading.Thread(target=enrol, args=run) for run in runs]
    for thread in threads:
        thread.start()
    barrier.wait()
    for thread in threads:
        thread.join()
    assert sorted(done) == ["ann", "bob"] and len(errors) == 1
    assert "already waiting" in str(errors[0])
    assert sorted(dsl.endorse_requests()) == ["ann", "bob"]
    unlocked = 0
    for passphrase in (TEAM_PASS, "another passphrase for ann"):
        try:
            Vault.open(path).unlock("ann", passphrase)
            unlocked += 1
        except WrongPassphrase:
            pass
    assert unlocked == 1
    Vault.open(path).unlock("bob", TEAM_PASS)
    assert verify_vault(path).ok


def test_a_request_left_by_a_crash_after_the_save_is_recognised_as_done(
    make_vault: MakeVault,
) -> None:
    dsl, _, path = make_vault()
    code = dsl.issue_enrolment("head", "headteacher")
    written = Vault.open(path).enrol("head", code, HEAD_PASS, kdf=min_kdf())
    kept = written.read_bytes()
    assert dsl.endorse_requests() == ["head"]
    written.write_bytes(kept)  # as if the process died between the save and the unlink
    serial = Vault.open(path).header.serial
    refused: list[str] = []
    assert dsl.endorse_requests(refused=refused) == [] and refused == []
    assert _requests(path) == [] and Vault.open(path).header.serial == serial


def test_rotation_while_a_request_waits_seals_the_new_keys(make_vault: MakeVault) -> None:
    dsl, _, path = make_vault()
    _save_case(dsl, "2026-001", "before the rotation")
    code = dsl.issue_enrolment("head", "headteacher")
    Vault.open(path).enrol("head", code, HEAD_PASS, kdf=min_kdf())
    dsl.rotate(["case", "custody", "authority"], passphrase=DSL_PASS)
    assert dsl.endorse_requests() == ["head"]
    head = Vault.open(path).unlock("head", HEAD_PASS)
    assert set(head.user.sealed) == {"case:2", "custody:2", "index:case", "index:custody"}
    assert head.read("case", "2026-001").generation >= 1


def test_cancelling_an_invitation(make_vault: MakeVault) -> None:
    dsl, _, path = make_vault()
    code = dsl.issue_enrolment("head", "headteacher")
    written = Vault.open(path).enrol("head", code, HEAD_PASS, kdf=min_kdf())
    assert dsl.remove_user("head") == []
    assert Vault.open(path).header.user_by_id(written.stem) is None
    assert _requests(path) == [] and Vault.open(path).header.pending_by_name("head") is None
    with pytest.raises(UnknownUser):
        Vault.open(path).enrol("head", code, HEAD_PASS, kdf=min_kdf())
    assert verify_vault(path).ok


def test_keys_a_dsl_made_are_marked_issued_by_them(make_vault: MakeVault) -> None:
    dsl, code, path = make_vault()
    added = dsl.add_user("head", "headteacher", HEAD_PASS, kdf=min_kdf())
    assert added.sign_key.issued_by == dsl.user.id
    assert not added.owner_made_key(added.sign_key.key_id)
    dsl.reset_user("head", "a reset passphrase by the DSL")
    recovery = Vault.open(path).unlock_recovery(code)
    recovery.reset_user("head", "a reset passphrase by recovery")
    keys = Vault.open(path).header.user_by_name("head")
    assert keys is not None
    assert [k.issued_by for k in keys.sign_keys] == [dsl.user.id, dsl.user.id, "recovery"]
    assert [k.active for k in keys.sign_keys] == [False, False, True]
    assert verify_vault(path).ok


def test_new_keys_of_ones_own_after_a_reset(make_vault: MakeVault) -> None:
    dsl, _, path = make_vault()
    dsl.add_user("head", "headteacher", HEAD_PASS, kdf=min_kdf())
    head = Vault.open(path).unlock("head", HEAD_PASS)
    _save_case(head, "2026-001", "signed with the issued key")
    old_key = head.user.sign_key.key_id
    head.request_new_keys(NEW_PASS)
    # Until endorsed, the old passphrase and keys keep working.
    again = Vault.open(path).unlock("head", HEAD_PASS)
    _save_case(again, "2026-002", "still the issued key")
    with pytest.raises(WrongPassphrase):
        Vault.open(path).unlock("head", NEW_PASS)
    assert dsl.endorse_requests() == ["head"]
    with pytest.raises(WrongPassphrase):
        Vault.open(path).unlock("head", HEAD_PASS)
    renewed = Vault.open(path).unlock("head", NEW_PASS)
    entry = renewed.user
    assert [k.key_id for k in entry.sign_keys] == [old_key, old_key[:-1] + "2"]
    assert [k.active for k in entry.sign_keys] == [False, True]
    assert entry.owner_made_key(entry.sign_key.key_id) and not entry.owner_made_key(old_key)
    assert renewed.read("case", "2026-001").generation == 1
    rekeyed = [e for e in Vault.open(path).audit.entries() if e.action == "user.rekey"]
    assert _without_binding(rekeyed[0].extra) == {"user": entry.id, "key_id": entry.sign_key.key_id}
    report = verify_vault(path)  # the entries signed with the retired key still verify
    assert report.ok, report.problems


def test_a_rekey_request_signed_by_someone_else_is_refused(make_vault: MakeVault) -> None:
    dsl, _, path = make_vault()
    enrol_user(dsl, path, "head", "headteacher", HEAD_PASS)
    header = Vault.open(path).header
    head = header.user_by_name("head")
    assert head is not None
    # The DSL tries to re-key the Headteacher with keys of the DSL's making: it
    # holds every data key and the authority, but not the Headteacher's key.
    forged = make_request(
        "rekey", header, head, "dsl chosen passphrase", min_kdf(),
        Ed25519PrivateKey.generate(), head.sign_key.key_id, "now",
    )  # fmt: skip
    write_request(Vault.open(path), forged, "head")
    refused: list[str] = []
    assert dsl.endorse_requests(refused=refused) == []
    assert "not signed with head's current key" in refused[0]
    Vault.open(path).unlock("head", HEAD_PASS)


def test_a_dsl_renews_their_own_keys_at_once(make_vault: MakeVault) -> None:
    dsl, _, path = make_vault()
    dsl.request_new_keys(NEW_PASS)
    assert dsl.endorse_requests() == [dsl.name]
    dsl.close()
    renewed = Vault.open(path).unlock("dsl", NEW_PASS)
    assert renewed.user.sign_key.key_id.endswith(".2")
    assert renewed.user.owner_made_key(renewed.user.sign_key.key_id)
    _save_case(renewed, "2026-001", "after renewing")
    assert verify_vault(path).ok


def test_a_header_without_the_new_fields_reads_and_writes_byte_for_byte(
    make_vault: MakeVault,
) -> None:
    dsl, _, path = make_vault()
    data = (path / HEADER_NAME).read_bytes()
    assert b"issued_by" not in data and b"pending" not in data
    assert Header.from_bytes(data).to_bytes() == data
    dsl.issue_enrolment("head", "headteacher")
    dsl.add_user("tech", "technician", "technician test passphrase", kdf=min_kdf())
    data = (path / HEADER_NAME).read_bytes()
    assert data.count(b'"issued_by"') == 1 and data.count(b'"pending"') == 1
    assert Header.from_bytes(data).to_bytes() == data
    key = SignKey("x.1", bytes(32))
    assert "issued_by" not in key.to_doc()
    assert SignKey.from_doc({**key.to_doc(), "issued_by": "abc"}).issued_by == "abc"
    with pytest.raises(ValueError):
        SignKey.from_doc({**key.to_doc(), "issued_by": ""})
    assert b64e(bytes(32)) in key.to_doc()["public"]


def _without_binding(extra: dict[str, object]) -> dict[str, object]:
    """A header save's extras, less the slot digests every one of them records."""
    binding = extra.get("binding")
    assert isinstance(binding, dict) and set(binding) == {"body", "slots"}, extra
    return {k: v for k, v in extra.items() if k != "binding"}
