"""Item 5: passphrases, slots, the recovery code, KDF bounds and format versions.

Unlocks here are real Argon2id runs at the floor (64 MiB, 3 passes): each one
costs a fraction of a second, which is the point of them.
"""

from __future__ import annotations

import json
import unicodedata
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.support.vaults import (
    DSL_PASS,
    TECH_PASS,
    MakeVault,
    copy_vault,
    min_kdf,
    record_files,
    tree_hashes,
    write_raw,
)
from ydsi_tui.vault import keys as keys_module
from ydsi_tui.vault.crypto import MAX_MEMORY_KIB, KdfParams
from ydsi_tui.vault.errors import (
    AccessDenied,
    DamagedFile,
    NewerFormat,
    UnknownUser,
    VaultError,
    VaultNotFound,
    WeakSettings,
    WrongPassphrase,
)
from ydsi_tui.vault.header import FORMAT_VERSION
from ydsi_tui.vault.recovery_code import generate as generate_recovery_code
from ydsi_tui.vault.recovery_code import normalise
from ydsi_tui.vault.vault import FREE_ATTEMPTS, MAX_DELAY, Vault
from ydsi_tui.vault.verify import verify_vault

# Real vaults with several users per test (key derivations), seconds each.
pytestmark = pytest.mark.slow


@pytest.fixture
def kdf_calls(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[KdfParams]]:
    """Spy on the slow step: records every Argon2id run (and refuses absurd ones)."""
    calls: list[KdfParams] = []
    real = keys_module.derive_kek

    def spy(passphrase: str, params: KdfParams) -> bytes:
        calls.append(params)
        assert params.memory_kib <= MAX_MEMORY_KIB, "a planted stall reached the KDF"
        return real(passphrase, params)

    monkeypatch.setattr(keys_module, "derive_kek", spy)
    return calls


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One vault to copy for the crafted-header tests (each needs no unlock)."""
    path = tmp_path_factory.mktemp("passphrases") / "template"
    Vault.create(path, user="dsl", passphrase=DSL_PASS, kdf=min_kdf())
    return path


@pytest.fixture
def crafted(template: Path, tmp_path: Path) -> Path:
    return copy_vault(template, tmp_path / "vault")


def _with_records(session: Any) -> None:
    with session.transaction("case", "INC-1", create=True) as db:
        db.table("timeline").insert({"note": "record that must not change"})
    with session.transaction("custody", "DEV-1", create=True) as db:
        db.table("devices").insert({"bag": "B1"})


# ---------------------------------------------------------------------------
# wrong passphrases
# ---------------------------------------------------------------------------


def test_wrong_passphrase_is_its_own_error_and_changes_nothing(make_vault: MakeVault) -> None:
    dsl, _, path = make_vault()
    _with_records(dsl)
    before = tree_hashes(path, skip_throttle=True)
    vault = Vault.open(path)
    wrong = [DSL_PASS[:-1], DSL_PASS + " ", DSL_PASS.upper(), "", "x" * 1024]
    for attempt in wrong:
        with pytest.raises(WrongPassphrase) as info:
            vault.unlock("dsl", attempt)
        assert not isinstance(info.value, DamagedFile)
        assert "passphrase not recognised" in str(info.value)
        assert "damaged" not in str(info.value)
    # Nothing but the failure counter moved: header, log and records are byte-identical.
    assert tree_hashes(path, skip_throttle=True) == before
    assert sorted(p.parent.name for p in path.joinpath("throttle").iterdir()) == ["throttle"]
    assert vault.unlock("dsl", DSL_PASS).role == "dsl"
    with pytest.raises(UnknownUser):
        vault.unlock("nobody", DSL_PASS)


def test_failures_slow_down_after_five(make_vault: MakeVault) -> None:
    _, _, path = make_vault()
    vault = Vault.open(path)
    delays: list[float] = []
    vault.sleep = delays.append
    for n in range(FREE_ATTEMPTS):
        with pytest.raises(WrongPassphrase) as info:
            vault.unlock("dsl", f"wrong passphrase {n}")
    assert delays == []
    assert "slowed down" in str(info.value)
    for n in range(3):
        with pytest.raises(WrongPassphrase):
            vault.unlock("dsl", f"still wrong {n}")
    assert delays == [1.0, 2.0, 4.0]
    # Another process sees the same count (it lives in the vault, not in memory).
    other = Vault.open(path)
    other.sleep = delays.append
    assert other.unlock("dsl", DSL_PASS).role == "dsl"
    # Doubling, up to the cap a planted counter cannot turn into a lockout (4 s).
    assert delays == [1.0, 2.0, 4.0, min(8.0, MAX_DELAY)]
    # Success resets the count.
    with pytest.raises(WrongPassphrase):
        other.unlock("dsl", "wrong again, once")
    # Doubling, up to the cap a planted counter cannot turn into a lockout (4 s).
    assert delays == [1.0, 2.0, 4.0, min(8.0, MAX_DELAY)]


def test_nfc_and_nfd_spellings_both_unlock(make_vault: MakeVault) -> None:
    passphrase = "Café crème brûlée à Zürich"
    nfc = unicodedata.normalize("NFC", passphrase)
    nfd = unicodedata.normalize("NFD", passphrase)
    assert nfc != nfd
    dsl, _, path = make_vault(passphrase=nfd)
    dsl.add_user("tech", "technician", nfc + " tech")
    vault = Vault.open(path)
    assert vault.unlock("dsl", nfc).role == "dsl"
    assert vault.unlock("tech", unicodedata.normalize("NFD", nfc + " tech")).role == "technician"


# ---------------------------------------------------------------------------
# changing a passphrase; the recovery code
# ---------------------------------------------------------------------------


def test_change_passphrase_rewraps_only(make_vault: MakeVault) -> None:
    dsl, _, path = make_vault()
    _with_records(dsl)
    records_before = {
        p.name: p.read_bytes() for c in ("case", "custody") for p in record_files(path, c)
    }
    with pytest.raises(WrongPassphrase):
        dsl.change_passphrase("not the old one", "a brand new passphrase")
    dsl.change_passphrase(DSL_PASS, "a brand new passphrase")
    vault = Vault.open(path)
    with pytest.raises(WrongPassphrase):
        vault.unlock("dsl", DSL_PASS)
    fresh = vault.unlock("dsl", "a brand new passphrase")
    assert fresh.read("case", "INC-1").tables["timeline"]
    records_after = {
        p.name: p.read_bytes() for c in ("case", "custody") for p in record_files(path, c)
    }
    assert records_after == records_before
    assert verify_vault(path).ok


def test_recovery_code_resets_a_user_and_old_signatures_still_verify(
    make_vault: MakeVault,
) -> None:
    dsl, code, path = make_vault()
    dsl.add_user("tech", "technician", TECH_PASS)
    tech = Vault.open(path).unlock("tech", TECH_PASS)
    old_key_id, signature = tech.sign(b"custody sign-off by tech")
    tech.close()

    vault = Vault.open(path)
    recovery = vault.unlock_recovery(code.lower().replace("-", " "))
    with pytest.raises(AccessDenied):
        recovery.read("case", "anything")
    recovery.reset_user("tech", "tech's new passphrase")
    with pytest.raises(WrongPassphrase):
        vault.unlock("tech", TECH_PASS)
    tech = vault.unlock("tech", "tech's new passphrase")
    assert tech.signer.key_id != old_key_id
    ok, who = tech.verify(old_key_id, b"custody sign-off by tech", signature)
    assert (ok, who) == (True, "tech")
    assert tech.verify(old_key_id, b"altered sign-off", signature)[0] is False
    assert verify_vault(path).ok


def test_mistyped_recovery_code_is_refused_before_the_kdf(
    make_vault: MakeVault, kdf_calls: list[KdfParams]
) -> None:
    _, code, path = make_vault()
    vault = Vault.open(path)
    kdf_calls.clear()
    raw = code.replace("-", "")
    typo = raw[:5] + ("A" if raw[5] != "A" else "B") + raw[6:]
    for bad in (typo, raw[:-1], raw + "7", "not a code at all", ""):
        with pytest.raises(WrongPassphrase) as info:
            vault.unlock_recovery(bad)
        assert "recovery code" in str(info.value)
    assert kdf_calls == []
    # Confusable letters are forgiven: O for 0, I or L for 1.
    confusable = code.replace("0", "O").replace("1", "l")
    assert normalise(confusable) == normalise(code)
    session = vault.unlock_recovery(confusable)
    assert session.is_recovery and len(kdf_calls) == 1


# ---------------------------------------------------------------------------
# crafted headers: KDF bounds and format versions
# ---------------------------------------------------------------------------


def _edit_header(path: Path, edit: Any) -> None:
    doc = json.loads((path / "vault.json").read_bytes())
    edit(doc)
    write_raw(path / "vault.json", json.dumps(doc).encode())


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("memory_kib", 32 * 1024),  # below the floor: a downgrade
        ("iterations", 2),
        ("memory_kib", 4 * 1024 * 1024),  # above the cap: a planted stall
        ("iterations", 1000),
        ("lanes", 0),
        ("lanes", 64),
        ("memory_kib", True),
        ("iterations", "3"),
    ],
)
def test_slot_kdf_settings_out_of_bounds_are_refused_before_any_work(
    crafted: Path, kdf_calls: list[KdfParams], field: str, value: object
) -> None:
    path = crafted

    def edit(doc: dict[str, Any]) -> None:
        for slot in doc["slots"].values():
            slot["kdf"][field] = value

    _edit_header(path, edit)
    # A slot is its owner's alone: every slot is set aside (and named), the vault
    # still opens, and nobody's unlock runs the key derivation with those settings.
    vault = Vault.open(path)
    assert set(vault.slot_problems) == set(json.loads((path / "vault.json").read_bytes())["slots"])
    for user in vault.users():
        with pytest.raises(DamagedFile, match=f"key slot of {user.name}"):
            vault.unlock(user.name, "any passphrase at all")
    with pytest.raises(DamagedFile, match="recovery code's slot"):
        vault.unlock_recovery(generate_recovery_code())
    assert kdf_calls == []


def test_signed_default_kdf_settings_cannot_be_lowered(crafted: Path) -> None:
    path = crafted
    _edit_header(path, lambda doc: doc["body"]["kdf_default"].update(memory_kib=1024))
    with pytest.raises(DamagedFile, match="signature"):
        Vault.open(path)


def test_creating_with_weak_settings_is_refused(tmp_path: Path) -> None:
    with pytest.raises(WeakSettings):
        KdfParams.new(32 * 1024, 3, 1)
    with pytest.raises(WeakSettings):
        Vault.create(
            tmp_path / "v",
            user="dsl",
            passphrase=DSL_PASS,
            kdf=KdfParams(1024, 1, 1, bytes(16)),
        )
    assert not (tmp_path / "v" / "vault.json").exists()


def test_newer_vault_format_is_refused_clearly(crafted: Path) -> None:
    path = crafted
    _edit_header(path, lambda doc: doc.update(version=FORMAT_VERSION + 1))
    with pytest.raises(NewerFormat, match="upgrade"):
        Vault.open(path)


def test_newer_record_format_names_the_file(make_vault: MakeVault) -> None:
    dsl, _, path = make_vault()
    _with_records(dsl)
    (file,) = record_files(path, "case")
    data = bytearray(file.read_bytes())
    data[4] = 2  # the record format version
    write_raw(file, bytes(data))
    with pytest.raises(NewerFormat) as info:
        dsl.read("case", "INC-1")
    assert f"case/{file.name}" in str(info.value)
    (listed,) = dsl.list_records("case")
    assert listed.error and file.name.removesuffix(".ydsr") in listed.error
    assert dsl.read("custody", "DEV-1").tables  # the other record is unaffected


def test_missing_vault_and_bad_names_are_clear_errors(tmp_path: Path) -> None:
    with pytest.raises(VaultNotFound):
        Vault.open(tmp_path / "nowhere")
    with pytest.raises(VaultError, match="10 characters"):
        Vault.create(tmp_path / "v", user="dsl", passphrase="short")
    with pytest.raises(ValueError, match="user name"):
        Vault.create(tmp_path / "v", user="bad name!", passphrase=DSL_PASS)
