"""The policy in force is the one a DSL approved: pinned by digest in the signed header."""

from __future__ import annotations

import json
import os
import threading
from importlib import resources
from pathlib import Path

import pytest

from ydsi_tui.model.policy import bundled_policy
from ydsi_tui.service.factory import services_for
from ydsi_tui.service.policies import (
    PolicyLibrary,
    PolicyNotApproved,
    approve_policy_file,
    read_policy_file,
)
from ydsi_tui.vault.crypto import KdfParams
from ydsi_tui.vault.errors import AccessDenied
from ydsi_tui.vault.header import HEADER_NAME, Header
from ydsi_tui.vault.vault import Vault
from ydsi_tui.vault.verify import verify_vault

from .conftest import PASS, World


def bundled_text() -> str:
    return (
        resources.files("ydsi_tui.model")
        .joinpath("policies", "hindley-2016.toml")
        .read_text(encoding="utf-8")
    )


def national_file(tmp_path: Path, name: str = "national.toml") -> Path:
    """The bundled policy with the national age threshold (13) and its own version."""
    text = bundled_text()
    edited = text.replace("trigger4_age_threshold = 17", "trigger4_age_threshold = 13")
    edited = edited.replace('version = "', 'version = "national-', 1)
    assert edited != text
    path = tmp_path / name
    path.write_text(edited, encoding="utf-8")
    path.chmod(0o640)
    return path


def actions(path: Path) -> list[tuple[str, dict[str, object]]]:
    vault = Vault.open(path)
    return [(e.action, dict(e.extra)) for e in vault.audit.entries() if e.comp == "header"]


def test_a_header_without_a_pin_signs_the_same_bytes_and_a_pin_round_trips(world: World) -> None:
    raw = (world.path / HEADER_NAME).read_bytes()
    header = Header.from_bytes(raw)
    assert header.signature_ok() and header.policy is not None
    assert header.policy.digest == bundled_policy().digest
    assert "policy" in header.body_doc()
    assert Header.from_bytes(header.to_bytes()).policy == header.policy
    header.policy = None
    assert "policy" not in header.body_doc()  # a format-1 body, byte for byte
    assert not header.signature_ok()  # dropping the pin breaks the signature


def test_an_unapproved_vault_refuses_new_incidents_and_still_reads(tmp_path: Path) -> None:
    kdf = KdfParams.new(64 * 1024, 3, 1)
    session, _ = Vault.create(tmp_path / "v", user="dsl", passphrase=PASS, kdf=kdf)
    services = services_for(session)
    assert services.cases is not None
    assert len(services.warnings) == 1
    assert "has not been approved" in services.warnings[0]
    assert "ydsi policy approve --bundled" in services.warnings[0]
    with pytest.raises(PolicyNotApproved, match="No new incident can be opened"):
        services.cases.create("before approval")
    assert services.cases.rows() == []  # reading still works
    pin = approve_policy_file(session, read_policy_file(bundled=True))
    assert pin.digest == bundled_policy().digest and pin.approved_by == session.user.id
    after = services_for(session)
    assert after.warnings == []
    assert after.cases is not None
    ref = after.cases.create("after approval")
    assert after.cases.open(ref).policy.settings.trigger4_age_threshold == 17
    session.close()
    print("\nunapproved vault: 1 create refused, 1 allowed after approval")


def test_approval_is_a_dsls_audited_act_with_the_digest_only(world: World, tmp_path: Path) -> None:
    national = national_file(tmp_path)
    file = read_policy_file(national)
    assert file.policy is not None
    head = world.services("head")
    before = (world.path / HEADER_NAME).read_bytes()
    assert head.policies is not None
    with pytest.raises(AccessDenied, match="only a DSL"):
        head.policies.approve(file)
    with pytest.raises(AccessDenied, match="only a DSL"):
        head.session.approve_policy(file.policy.digest, "x", "y")
    assert (world.path / HEADER_NAME).read_bytes() == before
    dsl = world.services("dsl")
    assert dsl.policies is not None
    dsl.policies.approve(file)
    approvals = [extra for action, extra in actions(world.path) if action == "policy.approve"]
    assert set(approvals[-1].pop("binding")) == {"body", "slots"}  # every header save's digests
    assert approvals[-1] == {"digest": file.policy.digest}
    count = len(list(Vault.open(world.path).audit.entries()))
    dsl.policies.approve(file)  # the same digest again: nothing written
    assert len(list(Vault.open(world.path).audit.entries())) == count
    report = verify_vault(world.path)
    assert report.ok, report.problems
    # approve_policy is the header's policy.approve; a Headteacher-signed one would not verify.
    again = services_for(Vault.open(world.path).unlock("dsl", PASS), policy_path=national)
    assert again.warnings == [] and again.policy.settings.trigger4_age_threshold == 13


def test_a_changed_file_waits_and_new_incidents_follow_the_approved_policy(
    world: World, tmp_path: Path
) -> None:
    dsl = world.services("dsl")
    assert dsl.cases is not None
    old = dsl.cases.create("under the approved policy")
    national = national_file(tmp_path)
    session = Vault.open(world.path).unlock("dsl", PASS)
    swapped = services_for(session, clock=world.clock, policy_path=national)
    assert swapped.cases is not None
    (warning,) = swapped.warnings
    assert f"The policy file {national}" in warning
    assert "is not the approved one" in warning
    assert bundled_policy().digest[:12] in warning
    assert f"'ydsi policy approve {national}'" in warning
    assert swapped.policy.settings.trigger4_age_threshold == 17
    new = swapped.cases.create("while the file waits")
    assert swapped.cases.open(new).policy.digest == bundled_policy().digest
    assert swapped.cases.open(old).policy.settings.trigger4_age_threshold == 17
    # Approved: new incidents follow it, the earlier ones keep theirs.
    assert swapped.policies is not None
    swapped.policies.approve(swapped.policies.file)
    assert swapped.warnings != [] and swapped.policies.warnings == []
    third = swapped.cases.create("after approval")
    assert swapped.cases.open(third).policy.settings.trigger4_age_threshold == 13
    assert swapped.cases.open(new).policy.settings.trigger4_age_threshold == 17


def test_an_upgraded_bundled_policy_waits_and_the_stored_approved_text_is_used(
    world: World, tmp_path: Path
) -> None:
    """The vault keeps the approved text, so a file that changed (here: back to the bundled
    one, as after a package upgrade) does not take over: the stored text stays in force."""
    national = national_file(tmp_path)
    dsl = services_for(Vault.open(world.path).unlock("dsl", PASS), policy_path=national)
    assert dsl.policies is not None
    dsl.policies.approve(dsl.policies.file)
    national.unlink()  # the text now exists only inside the vault
    later = services_for(Vault.open(world.path).unlock("dsl", PASS), clock=world.clock)
    assert later.cases is not None
    (warning,) = later.warnings
    assert "<bundled>/hindley-2016.toml" in warning and "is not the approved one" in warning
    assert "New incidents follow the approved policy" in warning
    ref = later.cases.create("after the upgrade")
    assert later.cases.open(ref).policy.settings.trigger4_age_threshold == 13
    # A technician holds no case key, so the stored text is not at hand: the warning says so.
    tech = services_for(Vault.open(world.path).unlock("tech", PASS))
    assert tech.cases is None
    assert tech.policies is not None and tech.policies.in_force is None
    assert "is not stored in this vault" in tech.warnings[0]


def test_a_missing_or_unusable_policy_file_is_one_clear_warning(
    world: World, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    missing = tmp_path / "no-such-policy.toml"
    monkeypatch.setenv("YDSI_POLICY", str(missing))
    services = world.services("dsl")
    (warning,) = services.warnings
    assert warning.startswith(f"The policy file {missing} cannot be read (No such file")
    assert "\n" not in warning
    assert services.cases is not None
    ref = services.cases.create("the approved bundled policy is still at hand")
    assert services.cases.open(ref).policy.digest == bundled_policy().digest

    broken = tmp_path / "broken.toml"
    broken.write_text("[policy\n", encoding="utf-8")
    assert "is not a usable policy (TOML syntax error" in str(read_policy_file(broken).problem)
    open_to_all = national_file(tmp_path, "everyone.toml")
    open_to_all.chmod(0o666)
    refused = read_policy_file(open_to_all)
    assert refused.policy is None and "every user on this server may change it" in str(
        refused.problem
    )
    group = national_file(tmp_path, "group.toml")
    group.chmod(0o660)
    assert read_policy_file(group).notes == ("its group may change it (mode 0660)",)
    fifo = tmp_path / "fifo.toml"
    os.mkfifo(fifo)
    result: list[str | None] = []
    reader = threading.Thread(target=lambda: result.append(read_policy_file(fifo).problem))
    reader.start()
    reader.join(timeout=10)
    assert not reader.is_alive(), "a FIFO named as the policy hung the program"
    assert result == ["is not a regular file"]


def test_the_pin_survives_every_other_header_change(world: World) -> None:
    dsl = Vault.open(world.path).unlock("dsl", PASS)
    pin = dsl.vault.header.policy
    dsl.add_user("team", "team", PASS, kdf=KdfParams.new(64 * 1024, 3, 1))
    dsl.remove_user("team")
    dsl.rotate(["case", "custody", "authority"], passphrase=PASS)
    header = json.loads((world.path / HEADER_NAME).read_bytes())
    assert header["body"]["policy"]["digest"] == bundled_policy().digest
    assert Vault.open(world.path).header.policy == pin
    library = PolicyLibrary.build(Vault.open(world.path).unlock("dsl", PASS))
    assert library.warnings == [] and library.in_force == bundled_policy()
