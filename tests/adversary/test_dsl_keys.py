"""The DSL against the Headteacher's signing key.

The attacker is a DSL: they hold every data key, the authority key, the
recovery code (the school safe is theirs to open), the passphrases they typed
for other people, and a copy of ``vault.json`` taken at every step (and of
every request file while it waited). The prize is the Headteacher's private
signing key, with which they could sign off a decision not to refer a child.

* With enrolment the key was made by the Headteacher's own client under a
  passphrase the DSL never saw: every attempt fails and the Headteacher's
  private key appears in nothing the DSL can open.
* With ``add_user`` or a reset the DSL's client made the key, so the DSL *can*
  derive it from an old header: the key must then say so (``issued_by``), in
  the header and in ``ydsi user list``.

Both halves are asserted, and no acknowledged data is lost along the way.
Attacks use only what a DSL has: their passphrase, the project's public
modules, and plain file reads.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from tests.support.vaults import DSL_PASS, HEAD_PASS, MakeVault, enrol_user, min_kdf, vault_files
from ydsi_tui.vault.crypto import private_bytes, sign, verify_signature
from ydsi_tui.vault.enrolment import REQUESTS_DIR, KeyRequest, make_request, write_request
from ydsi_tui.vault.errors import DamagedFile, VaultError, WrongPassphrase
from ydsi_tui.vault.header import Header
from ydsi_tui.vault.keys import open_slot, unseal_keys
from ydsi_tui.vault.session import Session
from ydsi_tui.vault.vault import RECOVERY_ID, Vault

MESSAGE = b"signoff|2026-001|I agree with the decision not to refer"


@pytest.fixture
def make_vault(tmp_path: Path) -> MakeVault:
    """A new cheap-KDF vault whose first user, ``dsl``, is the attacker (kept local to this
    file so that it needs no shared conftest)."""

    def make() -> tuple[Session, str, Path]:
        path = tmp_path / "vault"
        session, code = Vault.create(
            path, user="dsl", passphrase=DSL_PASS, full_name="Dana Lead", kdf=min_kdf()
        )
        return session, code, path

    return make


def _dsl_secrets(header: Header, recovery_code: str) -> dict[str, bytes]:
    """Every private key the DSL can open from one header: their own and the recovery slot's."""
    found: dict[str, bytes] = {}
    dsl = header.user_by_name("dsl")
    assert dsl is not None
    for owner, secret, sealed in (
        (dsl.id, DSL_PASS, dsl.sealed),
        (RECOVERY_ID, recovery_code, header.recovery.sealed),
    ):
        slot = header.slots[owner]
        identity = open_slot(header.vault_id, owner, secret, slot.kdf, slot.wrapped)
        found[f"{owner}:box"] = private_bytes(identity.box)
        found[f"{owner}:sign"] = private_bytes(identity.sign)
        found.update(unseal_keys(header.vault_id, identity, sealed))
    return found


def _try_slots(
    header: Header, user_id: str, guesses: list[str]
) -> tuple[int, Ed25519PrivateKey | None]:
    """Try every passphrase the DSL knows on a user's slot: (attempts, signing key if any)."""
    slot = header.slots.get(user_id)
    if slot is None:
        return 0, None
    attempts = 0
    for guess in guesses:
        attempts += 1
        try:
            return attempts, open_slot(header.vault_id, user_id, guess, slot.kdf, slot.wrapped).sign
        except (WrongPassphrase, DamagedFile):
            continue
    return attempts, None


def _user_list(path: Path, tmp: Path) -> list[dict[str, object]]:
    env = {**os.environ, "HOME": str(tmp), "XDG_DATA_HOME": str(tmp / "data")}
    listed = subprocess.run(
        [sys.executable, "-m", "ydsi_tui.cli.main", "user", "list", "--json",
         "--vault", str(path), "--user", "dsl"],
        capture_output=True, text=True, env=env, stdin=subprocess.DEVNULL, check=True,
    )  # fmt: skip
    rows: list[dict[str, object]] = json.loads(listed.stdout)
    return rows


def test_an_enrolled_headteachers_key_is_out_of_the_dsls_reach(
    make_vault: MakeVault, tmp_path: Path
) -> None:
    dsl, recovery_code, path = make_vault()
    with dsl.transaction("case", "2026-001", create=True) as db:
        db.insert({"decision": "in school"})
    copies: list[bytes] = [(path / "vault.json").read_bytes()]
    code = dsl.issue_enrolment("head", "headteacher", "Hana Head")
    copies.append((path / "vault.json").read_bytes())
    request = Vault.open(path).enrol("head", code, HEAD_PASS, kdf=min_kdf())  # head's client
    request_copy = request.read_bytes()  # the DSL copies the waiting request
    assert dsl.endorse_requests() == ["head"]
    copies.append((path / "vault.json").read_bytes())

    # The truth, known to the test (playing the Headteacher), never to the attacker.
    header = Header.from_bytes(copies[-1])
    head = header.user_by_name("head")
    assert head is not None and head.owner_made_key(head.sign_key.key_id)
    head_slot = header.slots[head.id]
    real = open_slot(header.vault_id, head.id, HEAD_PASS, head_slot.kdf, head_slot.wrapped)
    head_private = private_bytes(real.sign)

    # 1. Every passphrase the DSL ever knew, on the Headteacher's slot in every copy
    #    (and in the request file they copied before endorsement).
    guesses = [DSL_PASS, recovery_code, code, "headteacher", "hana head passphrase"]
    attempts = 0
    for data in copies:
        tried, key = _try_slots(Header.from_bytes(data), head.id, guesses)
        attempts += tried
        assert key is None
    pending_slot = KeyRequest.from_bytes(request_copy).slot
    for guess in guesses:
        attempts += 1
        with pytest.raises(WrongPassphrase):
            open_slot(header.vault_id, head.id, guess, pending_slot.kdf, pending_slot.wrapped)

    # 2. Every private key and data key the DSL can open, from every copy: none is it.
    opened: dict[str, bytes] = {}
    for data in copies:
        opened.update(_dsl_secrets(Header.from_bytes(data), recovery_code))
    assert head_private not in opened.values()
    # ... nor does it lie anywhere in the vault's files or the copies, in the clear.
    haystacks = [p.read_bytes() for p in vault_files(path)] + copies + [request_copy]
    assert not any(head_private in hay for hay in haystacks)

    # 3. Sign "as the Headteacher" with every key the DSL holds: none verifies.
    forgeries = 0
    for secret in opened.values():
        if len(secret) != 32:
            continue
        forgeries += 1
        forged = sign(Ed25519PrivateKey.from_private_bytes(secret), MESSAGE)
        assert not verify_signature(head.sign_key.public, forged, MESSAGE)

    # 4. Replace the Headteacher's key with one of the DSL's making: by a re-key
    #    request (not signed by the Headteacher's key), or by a new invitation.
    planted = make_request(
        "rekey", header, head, "dsl chosen passphrase", min_kdf(),
        Ed25519PrivateKey.generate(), head.sign_key.key_id, "now",
    )  # fmt: skip
    write_request(Vault.open(path), planted, "head")
    refused: list[str] = []
    assert dsl.endorse_requests(refused=refused) == [] and len(refused) == 1
    with pytest.raises(VaultError, match="already a user"):
        dsl.issue_enrolment("head", "headteacher")
    after = Vault.open(path).header.user_by_name("head")
    assert after is not None and after.sign_keys == head.sign_keys  # unchanged
    assert any(r["request"] for r in _user_list(path, tmp_path))  # the DSL's list shows it

    # Nothing acknowledged was lost: the Headteacher still unlocks and reads.
    reader = Vault.open(path).unlock("head", HEAD_PASS)
    assert reader.read("case", "2026-001").generation == 1
    print(
        f"\n[adversary: DSL vs enrolled Headteacher] {attempts} slot unlocks with every known "
        f"secret failed; {len(opened)} opened keys and {len(haystacks)} files searched, key "
        f"absent; {forgeries} forged signatures rejected; 1 key-replacement refused"
    )


def test_keys_a_dsl_made_are_theirs_to_use_and_are_marked_so(
    make_vault: MakeVault, tmp_path: Path
) -> None:
    dsl, recovery_code, path = make_vault()
    dsl.add_user("head", "headteacher", HEAD_PASS, full_name="Hana Head", kdf=min_kdf())
    added = (path / "vault.json").read_bytes()
    dsl.reset_user("head", "passphrase the dsl typed in a reset")
    reset = (path / "vault.json").read_bytes()
    Vault.open(path).unlock_recovery(recovery_code).reset_user(
        "head", "passphrase typed at the safe"
    )
    recovered = (path / "vault.json").read_bytes()
    guesses = [
        DSL_PASS,
        HEAD_PASS,
        "passphrase the dsl typed in a reset",
        "passphrase typed at the safe",
    ]
    derived = 0
    for data, issuer in ((added, "dsl"), (reset, "dsl"), (recovered, RECOVERY_ID)):
        header = Header.from_bytes(data)
        head = header.user_by_name("head")
        assert head is not None
        _, key = _try_slots(header, head.id, guesses)
        assert key is not None  # the half that cannot be prevented: the DSL typed it ...
        derived += 1
        public = head.sign_key.public
        assert verify_signature(public, sign(key, MESSAGE), MESSAGE)
        # ... so the key must say who made it.
        expected = header.user_by_name("dsl").id if issuer == "dsl" else RECOVERY_ID  # type: ignore[union-attr]
        assert head.sign_key.issued_by == expected
        assert not head.owner_made_key(head.sign_key.key_id)
    rows = {row["name"]: row for row in _user_list(path, tmp_path)}
    assert rows["head"]["key_issued_by"] == "the recovery code"
    assert rows["dsl"]["key_issued_by"] is None  # the DSL made their own at init

    # Their owner re-keys: from then on the key is theirs alone.
    head_session = Vault.open(path).unlock("head", "passphrase typed at the safe")
    head_session.request_new_keys("the headteacher's own passphrase")
    assert dsl.endorse_requests() == ["head"]
    header = Vault.open(path).header
    head = header.user_by_name("head")
    assert head is not None and head.owner_made_key(head.sign_key.key_id)
    tried, key = _try_slots(header, head.id, guesses)
    assert key is None
    rows = {row["name"]: row for row in _user_list(path, tmp_path)}
    assert rows["head"]["key_issued_by"] is None
    assert Vault.open(path).unlock("head", "the headteacher's own passphrase").role == "headteacher"
    print(
        f"\n[adversary: DSL vs issued keys] {derived} DSL-made keys derivable and all marked "
        f"issued_by; after re-keying, {tried} unlocks with every known secret failed"
    )


def test_the_requests_directory_is_private(make_vault: MakeVault) -> None:
    dsl, _, path = make_vault()
    code = dsl.issue_enrolment("head", "headteacher")
    written = Vault.open(path).enrol("head", code, HEAD_PASS, kdf=min_kdf())
    assert (path / REQUESTS_DIR).stat().st_mode & 0o077 == 0
    assert written.stat().st_mode & 0o077 == 0


def _headteacher_reads_an_incident(dsl: Session, path: Path, passphrase: str) -> None:
    """An acknowledged read: the Headteacher's witness is written, signed with their key."""
    if not dsl.exists("case", "2026-001"):
        with dsl.transaction("case", "2026-001", create=True) as db:
            db.table("events").insert({"kind": "note", "text": "made up"})
    head = Vault.open(path).unlock("shead", passphrase)
    head.read("case", "2026-001")
    head.close()


def _reset_then_rekey(dsl: Session, path: Path, issued: str, *, by_dsl_elsewhere: Path | None,
                      monkeypatch: pytest.MonkeyPatch) -> None:  # fmt: skip
    """A reset with a passphrase the DSL chose; then new "own" keys under it.

    ``by_dsl_elsewhere``: the DSL's own state directory (their account on the
    server), from which they unlock as the Headteacher and make the keys.
    Otherwise the Headteacher does it, from their own account.
    """
    dsl.reset_user("shead", issued)
    if by_dsl_elsewhere is not None:
        monkeypatch.setenv("XDG_STATE_HOME", str(by_dsl_elsewhere))
    as_head = Vault.open(path).unlock("shead", issued)
    as_head.request_new_keys(issued)  # the same passphrase: nothing for the owner to notice
    as_head.close()
    assert dsl.endorse_requests() == ["shead"]


def test_a_dsl_who_makes_new_keys_in_a_headteachers_name_is_found_out(
    make_vault: MakeVault, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A DSL resets the Headteacher, then, before they do, unlocks as them and makes keys
    that count as the Headteacher's own. The Headteacher's next unlock says so, loudly."""
    dsl, _, path = make_vault()
    enrol_user(dsl, path, "shead", "headteacher", HEAD_PASS, full_name="Sam Head")
    head_state = tmp_path / "head-state"
    head_state.mkdir(mode=0o700)
    monkeypatch.setenv("XDG_STATE_HOME", str(head_state))
    _headteacher_reads_an_incident(dsl, path, HEAD_PASS)  # their witness, signed by their key
    dsl_state = tmp_path / "dsl-state"
    dsl_state.mkdir(mode=0o700)
    issued = "issued by the dsl at reset"
    _reset_then_rekey(dsl, path, issued, by_dsl_elsewhere=dsl_state, monkeypatch=monkeypatch)
    entry = dsl.vault.reload_header().user_by_name("shead")
    assert entry is not None and entry.owner_made_key(entry.sign_key.key_id)  # it would count

    monkeypatch.setenv("XDG_STATE_HOME", str(head_state))
    head = Vault.open(path).unlock("shead", issued)
    warnings = [w for w in head.witness_warnings if "signing key was replaced" in w]
    head.close()
    assert len(warnings) == 1, head.witness_warnings
    assert "tell another DSL and the DPO" in warnings[0]
    print("\nDSL, new keys made in a Headteacher's name after a reset: found out at their unlock")


def test_a_headteacher_who_makes_their_own_keys_is_not_warned(
    make_vault: MakeVault, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    dsl, _, path = make_vault()
    enrol_user(dsl, path, "shead", "headteacher", HEAD_PASS, full_name="Sam Head")
    _headteacher_reads_an_incident(dsl, path, HEAD_PASS)
    issued = "issued by the dsl at reset"
    _reset_then_rekey(dsl, path, issued, by_dsl_elsewhere=None, monkeypatch=monkeypatch)
    head = Vault.open(path).unlock("shead", issued)
    assert not [w for w in head.witness_warnings if "signing key" in w], head.witness_warnings
    head.read("case", "2026-001")
    head.close()
