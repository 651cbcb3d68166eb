"""Issue 10, finding 8 from the command line: current advice, 999 and CEOP, both policies.

``ydsi policy list`` shows both shipped policies; ``ydsi init --policy NAME``
and ``ydsi policy approve --bundled NAME`` choose one; the school's 2016
policy stays the default. A sextortion incident shows the advice and refuses
deletion until the police's agreement is recorded (who and when).
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.cli.test_policy_cli import KDF, Ydsi
from ydsi_tui.model.policy import bundled_policy, load_bundled

# Each test runs many ydsi processes, each deriving its user's key.
pytestmark = pytest.mark.slow


def _init(tmp_path: Path, *extra: str) -> Ydsi:
    tmp_path.mkdir(parents=True, exist_ok=True)
    tool = Ydsi(tmp_path)
    made = tool.run("init", "--text-file", "-", *KDF, *extra, stdin="Dana Lead")
    assert made.returncode == 0, made.stderr
    return tool


def test_list_shows_both_policies_and_approve_bundled_name_switches(tmp_path: Path) -> None:
    ydsi = _init(tmp_path)
    listed = ydsi.run("policy", "list", "--json")
    assert listed.returncode == 0, listed.stderr
    rows = {row["name"]: row for row in json.loads(listed.stdout)["bundled"]}
    assert set(rows) == {"hindley-2016", "ukcis-2024"}
    assert rows["hindley-2016"]["default"] and rows["hindley-2016"]["approved"]
    assert not rows["ukcis-2024"]["approved"]
    assert rows["ukcis-2024"]["age_threshold"] == 13
    assert rows["ukcis-2024"]["allow_trigger_override"] is False
    assert "Sharing nudes and semi-nudes" in rows["ukcis-2024"]["source"]
    text = ydsi.run("policy", "list").stdout
    assert "hindley-2016  (default, APPROVED)" in text
    assert "ukcis-2024" in text and "ydsi policy approve --bundled ukcis-2024" in text

    approved = ydsi.run("policy", "approve", "--bundled", "ukcis-2024", "--yes")
    assert approved.returncode == 0, approved.stderr
    assert "Trigger 4 age threshold: 13 (the approved policy says 17)" in approved.stdout
    shown = json.loads(ydsi.run("policy", "show", "--json").stdout)
    assert shown["in_force"]["age_threshold"] == 13
    assert shown["warnings"] == []  # no $YDSI_POLICY: the chosen shipped policy is the file
    rows = {
        row["name"]: row
        for row in json.loads(ydsi.run("policy", "list", "--json").stdout)["bundled"]
    }
    assert rows["ukcis-2024"]["approved"] and not rows["hindley-2016"]["approved"]
    made = ydsi.run("incident", "new", stdin="under the 2024 advice")
    assert made.returncode == 0 and made.stderr == "", made.stderr
    doc = json.loads(ydsi.run("incident", "show", made.stdout.strip(), "--json").stdout)
    assert doc["policy"]["digest"] == load_bundled("ukcis-2024").digest
    assert doc["policy"]["age_threshold"] == 13
    unknown = ydsi.run("policy", "approve", "--bundled", "nope-1999", "--yes")
    assert unknown.returncode != 0 and "is not shipped" in unknown.stderr


def test_init_can_choose_the_2024_policy_and_the_default_is_the_schools(tmp_path: Path) -> None:
    chosen = _init(tmp_path / "a", "--policy", "ukcis-2024")
    shown = json.loads(chosen.run("policy", "show", "--json").stdout)
    assert shown["in_force"]["digest"] == load_bundled("ukcis-2024").digest
    assert shown["in_force"]["age_threshold"] == 13 and shown["warnings"] == []
    default = _init(tmp_path / "b")
    shown = json.loads(default.run("policy", "show", "--json").stdout)
    assert shown["in_force"]["digest"] == bundled_policy().digest
    assert shown["in_force"]["age_threshold"] == 17


def test_sextortion_advice_999_ceop_and_deletion_only_with_police_agreement(
    tmp_path: Path,
) -> None:
    ydsi = _init(tmp_path)
    made = ydsi.run("incident", "new", "--kind", "sextortion", stdin="Blackmailed for money")
    ref = made.stdout.strip()
    assert made.returncode == 0, made.stderr
    added = ydsi.run(
        "pupil", "add", ref, "--fields-file", "-", "--year-group", "10", "--part", "pictured",
        stdin="name: Carl Young\n",
    )  # fmt: skip
    assert added.returncode == 0, added.stderr
    pupil = json.loads(ydsi.run("incident", "show", ref, "--json").stdout)["pupils"][0]["id"]
    shown = ydsi.run("incident", "show", ref)
    assert "Current advice: Sextortion" in shown.stdout
    assert "do not ask the young person to" in shown.stdout and "Do not pay" in shown.stdout
    assert "Deletion is refused for this incident unless the police agree" in shown.stdout

    refused = ydsi.run("deletion", ref, pupil, "request", "--deadline", "+2d", "--told-illegal")
    assert refused.returncode != 0
    assert "police agree" in refused.stderr and "Traceback" not in refused.stderr

    for route in ("call_999", "ceop"):
        called = ydsi.run(
            "police", ref, "--route", route, "--fields-file", "-", stdin="spoken_to: PC Hart\n"
        )
        assert called.returncode == 0, (route, called.stderr)
    agreed = ydsi.run(
        "record", ref, "deletion.police_agreed", "--fields-file", "-",
        stdin="officer: DC Sam Reid, online child abuse team\n",
    )  # fmt: skip
    assert agreed.returncode == 0, agreed.stderr
    asked = ydsi.run("deletion", ref, pupil, "request", "--deadline", "+2d", "--told-illegal")
    assert asked.returncode == 0, asked.stderr
    doc = json.loads(ydsi.run("incident", "show", ref, "--json").stdout)
    assert doc["advice"]["deletion_withheld"] is False
    assert (
        doc["advice"]["police_agreed_to_deletion"]["by"] == "DC Sam Reid, online child abuse team"
    )
    assert doc["advice"]["police_agreed_to_deletion"]["at"]
    routes = [e["data"]["route"] for e in doc["timeline"] if e["kind"] == "police.contact"]
    assert routes == ["call_999", "ceop"]
    assert "The police agreed to deletion: DC Sam Reid" in ydsi.run("incident", "show", ref).stdout
    assert doc["support_routes_missing"] == [{"pupil_id": pupil, "name": "Carl Young"}]
