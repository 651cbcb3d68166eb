"""A technician changes the school's procedure (red-team M4, issue 9 finding 8).

The attacker is a member of the vault's group with their own technician keys
and nothing else: they can write any file in the shared directory, including
the policy file ``$YDSI_POLICY`` names and ``vault.json``. Their aim is the
red team's: new incidents judged with a trigger-4 age threshold of 13 instead
of the approved 17, with nobody told. Each test checks both halves: the
attack is refused or detected, and the records that were there are intact.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime
from importlib import resources
from pathlib import Path

import pytest

from tests.support.vaults import DSL_PASS, HEAD_PASS, TECH_PASS, min_kdf
from ydsi_tui.service.clock import FixedClock
from ydsi_tui.service.factory import Services, services_for
from ydsi_tui.service.policies import approve_policy_file, policy_record_ref, read_policy_file
from ydsi_tui.vault.errors import AccessDenied, DamagedFile
from ydsi_tui.vault.header import HEADER_NAME
from ydsi_tui.vault.vault import Vault
from ydsi_tui.vault.verify import verify_vault

NOW = datetime(2026, 11, 16, 10, 0, tzinfo=UTC)


@dataclass
class School:
    vault: Path
    policy: Path  # the shared policy file, as $YDSI_POLICY names it
    approved_digest: str
    first_ref: str

    def services(self, user: str, passphrase: str) -> Services:
        session = Vault.open(self.vault).unlock(user, passphrase)
        return services_for(session, policy_path=self.policy, clock=FixedClock(NOW))


def bundled_text() -> str:
    return (
        resources.files("ydsi_tui.model")
        .joinpath("policies", "hindley-2016.toml")
        .read_text(encoding="utf-8")
    )


def case_files(vault: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted((vault / "case").iterdir())}


@pytest.fixture
def school(tmp_path: Path) -> School:
    shared = tmp_path / "shared"
    shared.mkdir()
    policy = shared / "school-policy.toml"
    policy.write_text(bundled_text(), encoding="utf-8")
    policy.chmod(0o640)
    session, _ = Vault.create(
        tmp_path / "vault", user="dsl", passphrase=DSL_PASS, full_name="Dana Lead", kdf=min_kdf()
    )
    pin = approve_policy_file(session, read_policy_file(policy))
    session.add_user("head", "headteacher", HEAD_PASS, kdf=min_kdf())
    session.add_user("tech", "technician", TECH_PASS, kdf=min_kdf())
    session.close()
    made = School(tmp_path / "vault", policy, pin.digest, "")
    dsl = made.services("dsl", DSL_PASS)
    assert dsl.cases is not None and dsl.warnings == []
    made.first_ref = dsl.cases.create("an incident from before the attack")
    dsl.cases.record(made.first_ref, "note", {"text": "recorded before the attack"})
    dsl.session.close()
    return made


def swap_policy_as_technician(policy: Path) -> None:
    """What the red team did: sed 17 -> 13 into a temporary file, then mv over the original."""
    text = policy.read_text(encoding="utf-8")
    swapped = text.replace("trigger4_age_threshold = 17", "trigger4_age_threshold = 13")
    assert swapped != text
    temporary = policy.with_name(".p.tmp")
    temporary.write_text(swapped, encoding="utf-8")
    temporary.chmod(0o644)
    temporary.replace(policy)


def first_incident_intact(school: School, services: Services) -> None:
    assert services.cases is not None
    view = services.cases.open(school.first_ref)
    assert view.incident.meta.policy_digest == school.approved_digest
    assert view.policy.settings.trigger4_age_threshold == 17
    texts = [entry.event.data.get("text") for entry in view.incident.timeline]
    assert "recorded before the attack" in texts


def test_a_swapped_policy_file_is_not_used_and_the_dsl_is_told(school: School) -> None:
    before = case_files(school.vault)
    swap_policy_as_technician(school.policy)
    refused = 0

    # The technician cannot make their file the approved one with their own keys.
    tech = school.services("tech", TECH_PASS)
    assert tech.policies is not None
    with pytest.raises(AccessDenied):
        tech.policies.approve(tech.policies.file)
    with pytest.raises(AccessDenied):
        tech.session.approve_policy(tech.policies.file.policy.digest, "x", "y")  # type: ignore[union-attr]
    refused += 2
    tech.session.close()

    dsl = school.services("dsl", DSL_PASS)
    assert dsl.cases is not None
    (warning,) = dsl.warnings
    assert f"The policy file {school.policy}" in warning
    assert f"is not the approved one ({school.approved_digest[:12]})" in warning
    assert "ydsi policy approve" in warning
    new = dsl.cases.create("the DSL's next incident, after the swap")
    view = dsl.cases.open(new)
    assert view.incident.meta.policy_digest == school.approved_digest
    assert view.policy.settings.trigger4_age_threshold == 17
    refused += 1
    first_incident_intact(school, dsl)
    after = case_files(school.vault)
    kept = [
        f"{dsl.session.record_id('case', ref)}.ydsr"
        for ref in (school.first_ref, policy_record_ref(school.approved_digest))
    ]
    assert [after[name] for name in kept] == [before[name] for name in kept]  # not rewritten
    report = verify_vault(school.vault)
    assert report.ok, report.problems
    dsl.session.close()
    print(
        f"\ntechnician, policy file swap: {refused} attempts refused, 0 accepted; 1 incident intact"
    )


def test_an_edited_policy_pin_in_the_header_is_refused_for_everyone(school: School) -> None:
    swap_policy_as_technician(school.policy)
    swapped_digest = read_policy_file(school.policy).policy.digest  # type: ignore[union-attr]
    header_path = school.vault / HEADER_NAME
    original = header_path.read_bytes()
    before = case_files(school.vault)
    detected = 0
    variants = {
        "repointed": lambda body: body["policy"].update(digest=swapped_digest),
        "renamed": lambda body: body["policy"].update(version="2016.99"),
        "removed": lambda body: body.pop("policy"),
    }
    for name, edit in variants.items():
        doc = json.loads(original)
        edit(doc["body"])
        header_path.write_bytes(json.dumps(doc).encode("utf-8"))
        for user, passphrase in (("dsl", DSL_PASS), ("head", HEAD_PASS), ("tech", TECH_PASS)):
            with pytest.raises(DamagedFile, match="signature does not verify"):
                school.services(user, passphrase)
            detected += 1
        report = verify_vault(school.vault)
        assert not report.ok, name
        assert any("vault.json" in p for p in report.problems), report.problems
        detected += 1
        assert case_files(school.vault) == before  # the records were not touched
    header_path.write_bytes(original)  # what the DSL puts back (from a backup)
    dsl = school.services("dsl", DSL_PASS)
    assert dsl.warnings != []  # the swapped file still waits for approval
    first_incident_intact(school, dsl)
    assert verify_vault(school.vault).ok
    dsl.session.close()
    print(
        f"\ntechnician, header pin edits: {len(variants)} variants, {detected} refusals "
        "(3 users + verify each); 1 incident intact"
    )


def test_only_a_dsls_approval_changes_the_policy_in_force_and_it_is_audited(
    school: School,
) -> None:
    swap_policy_as_technician(school.policy)  # say the school really did change it
    dsl = school.services("dsl", DSL_PASS)
    assert dsl.policies is not None and dsl.cases is not None
    pin = dsl.policies.approve(dsl.policies.file)
    assert dsl.policies.warnings == []
    new = dsl.cases.create("after the DSL approved the change")
    assert dsl.cases.open(new).policy.settings.trigger4_age_threshold == 13
    first_incident_intact(school, dsl)
    entries = list(Vault.open(school.vault).audit.entries())
    approvals = [e for e in entries if e.action == "policy.approve"]
    assert all(set(e.extra["binding"]) == {"body", "slots"} for e in approvals)
    assert [{k: v for k, v in e.extra.items() if k != "binding"} for e in approvals] == [
        {"digest": school.approved_digest},
        {"digest": pin.digest},
    ]
    assert approvals[-1].actor == dsl.session.user.id
    report = verify_vault(school.vault)
    assert report.ok, report.problems
    dsl.session.close()
    print(f"\nDSL approval: {len(approvals)} policy.approve entries in the audit log, verified")


def test_a_header_rolled_back_to_an_older_approval_is_refused(school: School) -> None:
    swap_policy_as_technician(school.policy)
    dsl = school.services("dsl", DSL_PASS)
    assert dsl.policies is not None
    dsl.policies.approve(dsl.policies.file)  # 13 approved for a while...
    with_13 = (school.vault / HEADER_NAME).read_bytes()
    dsl.session.approve_policy(school.approved_digest, "back", "to 17")  # ...then 17 again
    dsl.session.close()
    (school.vault / HEADER_NAME).write_bytes(with_13)  # the technician's plain copy
    with pytest.raises(DamagedFile):
        Vault.open(school.vault)
