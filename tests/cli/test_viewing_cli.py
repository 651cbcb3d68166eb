"""Issue 10, finding 6 and finding 5's staff support, from the command line.

The audit read ``cmd_view`` storing ``not_copied: true`` whatever happened,
``--on-premises`` on by default (its ``--no-`` form hidden) and
``--same-sex yes`` unless told otherwise: a viewing record asserting three
conditions nobody typed. Here every condition is stated or the command
refuses in one line; a teacher shown the image has ``ydsi sighting``; support
names the entry it follows; only the Headteacher's ``ydsi acknowledge``
clears a viewing that broke a condition.
"""

from __future__ import annotations

import io
import json
import sys
from collections.abc import Iterator
from contextlib import redirect_stderr, redirect_stdout
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from tests.support.cli_bench import isolated_cli, make_cli_vault
from tests.support.vaults import cached_kdf
from ydsi_tui.cli import content
from ydsi_tui.cli.main import main

PASS = "viewing cli passphrase"
#: /proc as most servers mount it: content must not ride on argv.
MOUNTINFO_PLAIN = "22 27 0:21 / /proc rw,nosuid,nodev,noexec,relatime shared:12 - proc proc rw\n"

#: Every condition, stated: met in full.
ALL_MET = [
    "--reason", "report_for_takedown", "--viewer-role", "dsl", "--on-premises",
    "--same-sex", "yes", "--head-consulted", "--distress-considered", "--not-copied",
]  # fmt: skip
FIELDS = {"viewer": "Dana Lead", "where": "Headteacher's office", "actions": "Reported it",
          "present": ["Hana Head (Headteacher)"]}  # fmt: skip


@dataclass
class Cli:
    vault: Path
    secret: Path

    def run(self, argv: list[str], *, stdin: str = "", user: str = "dsl") -> tuple[int, str, str]:
        out, err = io.StringIO(), io.StringIO()
        saved = sys.stdin
        sys.stdin = io.TextIOWrapper(io.BytesIO(stdin.encode("utf-8")), encoding="utf-8")
        common = ["--vault", str(self.vault), "--user", user, "--passphrase-file", str(self.secret)]
        try:
            with redirect_stdout(out), redirect_stderr(err):
                code = main([*argv, *common])
        finally:
            sys.stdin = saved
        return code, out.getvalue(), err.getvalue()

    def ok(self, argv: list[str], *, stdin: str = "", user: str = "dsl") -> str:
        code, out, err = self.run(argv, stdin=stdin, user=user)
        assert code == 0, (argv, err)
        return out

    def show(self, ref: str) -> dict[str, Any]:
        data: dict[str, Any] = json.loads(self.ok(["incident", "show", ref, "--json"]))
        return data

    def entries(self, ref: str, kind: str) -> list[dict[str, Any]]:
        return [e for e in self.show(ref)["timeline"] if e["kind"] == kind]

    def incident(self) -> str:
        ref = self.ok(["incident", "new"], stdin="Image shown in a science lesson").strip()
        self.ok(
            ["pupil", "add", ref, "--part", "pictured", "--year-group", "10"], stdin="Amy Jones"
        )
        return ref

    def overdue(self, ref: str) -> list[str]:
        return [flag["code"] for flag in self.show(ref)["overdue"]]


@pytest.fixture(scope="module")
def cli(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Cli]:
    """One vault for the module: the tests that share it look only at their own incidents."""
    yield from _vault(tmp_path_factory.mktemp("viewing-cli"))


@pytest.fixture
def own_cli(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Cli]:
    """A vault of its own, for a test that counts the whole year (the shared one holds
    whatever viewings the module's other tests, in any order, have logged)."""
    yield from _vault(tmp_path_factory.mktemp("viewing-cli-own"))


def _vault(root: Path) -> Iterator[Cli]:
    plain = root / "mountinfo"
    plain.write_text(MOUNTINFO_PLAIN, encoding="utf-8")
    sources = content.MOUNT_SOURCES
    content.MOUNT_SOURCES = (str(plain),)
    try:
        with isolated_cli(root), cached_kdf():
            vault, secret = make_cli_vault(root, PASS, (("head", "headteacher", "Hana Head"),))
            yield Cli(vault, secret)
    finally:
        content.MOUNT_SOURCES = sources


# ------------------------------------------------ 2. every condition stated


@pytest.mark.parametrize(
    ("dropped", "named"),
    [
        (("--not-copied",), "--not-copied or --copied"),
        (("--on-premises",), "--on-premises or --not-on-premises"),
        (("--same-sex", "yes"), "--same-sex"),
        (("--viewer-role", "dsl"), "--viewer-role"),
        (("--head-consulted",), "--head-consulted or --head-not-consulted"),
        (("--distress-considered",), "--distress-considered or --distress-not-considered"),
    ],
)
def test_view_refuses_in_one_line_a_condition_left_unstated(
    cli: Cli, dropped: tuple[str, ...], named: str
) -> None:
    ref = cli.incident()
    argv = list(ALL_MET)
    at = argv.index(dropped[0])
    del argv[at : at + len(dropped)]
    code, _out, err = cli.run(["view", ref, "--fields-file", "-", *argv], stdin=json.dumps(FIELDS))
    assert code != 0
    lines = [line for line in err.splitlines() if line.strip()]
    assert len(lines) == 1, err
    assert named in lines[0]
    assert cli.entries(ref, "viewing") == []


def test_view_asks_who_else_was_present_rather_than_assuming_nobody(cli: Cli) -> None:
    ref = cli.incident()
    alone = {k: v for k, v in FIELDS.items() if k != "present"}
    code, _out, err = cli.run(
        ["view", ref, "--fields-file", "-", *ALL_MET], stdin=json.dumps(alone)
    )
    assert code != 0 and "--nobody-else-present" in err


def test_view_stores_exactly_what_was_stated(cli: Cli) -> None:
    """--copied and --not-on-premises are stored as said (the old CLI stored true, true)."""
    ref = cli.incident()
    argv = [a for a in ALL_MET if a not in ("--not-copied", "--on-premises")]
    acks = {"ack": ["never_copy=A colleague photographed the screen",
                    "on_premises=Viewed at the police station"]}  # fmt: skip
    cli.ok(
        ["view", ref, "--fields-file", "-", *argv, "--copied", "--not-on-premises"],
        stdin=json.dumps({**FIELDS, **acks}),
    )
    data = cli.entries(ref, "viewing")[-1]["data"]
    assert data["not_copied"] is False and data["on_premises"] is False
    assert data["same_sex"] == "yes" and data["viewer_role"] == "dsl"


# ------------------------------------------------------ 1. a sighting


def test_a_sighting_has_its_own_command_and_support_is_then_due(cli: Cli) -> None:
    ref = cli.incident()
    out = cli.ok(
        ["sighting", ref, "--fields-file", "-"],
        stdin=json.dumps({
            "seen_by": "Mrs Karen Lowe", "pupil": "Amy Jones",
            "how": "A pupil held up her phone to show her at the end of the lesson",
            "actions": "Told the pupil to put it away; came straight to the DSL",
        }),
    )  # fmt: skip
    assert "Support for them is now due" in out
    shown = cli.show(ref)
    [seen] = shown["viewings"]
    assert (seen["kind"], seen["conditions_not_met"], seen["escalated"]) == ("sighting", [], False)
    assert "staff_support_due" in cli.overdue(ref)
    text = cli.ok(["incident", "show", ref])
    assert "rules not met" not in text and "conditions not met" not in text
    assert "Imagery seen unavoidably" in text


def test_view_for_the_unavoidable_reason_points_to_sighting(cli: Cli) -> None:
    ref = cli.incident()
    argv = [a if a != "report_for_takedown" else "unavoidable" for a in ALL_MET]
    code, _out, err = cli.run(["view", ref, "--fields-file", "-", *argv], stdin=json.dumps(FIELDS))
    assert code != 0 and "unavoidable sighting" in err


# ------------------------------------------- 4. support by entry id, not by name


def test_support_names_the_entry_it_follows_and_any_spelling_of_the_name_counts(cli: Cli) -> None:
    ref = cli.incident()
    cli.ok(
        ["sighting", ref, "--fields-file", "-"],
        stdin=json.dumps({"seen_by": "Mrs Karen Lowe", "how": "Shown in class",
                          "actions": "Came to the DSL"}),
    )  # fmt: skip
    sighting = cli.entries(ref, "sighting")[-1]["id"]
    cli.ok(
        ["support", ref, sighting[:8], "--fields-file", "-"],
        stdin=json.dumps({"staff": "Mrs Karen Lowe (science teacher)",
                          "what": "Talked it through; the EAP number"}),
    )  # fmt: skip
    assert cli.entries(ref, "staff.support_offered")[-1]["data"]["after_id"] == sighting
    assert "staff_support_due" not in cli.overdue(ref)
    assert cli.show(ref)["viewings"][0]["support_recorded"] is True
    steps = {s["id"]: s for s in cli.show(ref)["steps"]}
    assert steps["viewing"]["missing"] == []


def test_support_refuses_an_entry_that_is_no_viewing(cli: Cli) -> None:
    ref = cli.incident()
    note = cli.entries(ref, "pupil.added")[-1]["id"]
    code, _out, err = cli.run(
        ["support", ref, note[:8], "--fields-file", "-"],
        stdin=json.dumps({"staff": "Mr A", "what": "A chat"}),
    )
    assert code != 0 and "not an entry of" in err


# ------------------------------------------- 3. escalation and acknowledgement


def test_a_broken_condition_is_escalated_until_the_headteacher_acknowledges(cli: Cli) -> None:
    ref = cli.incident()
    argv = [a for a in ALL_MET if a != "--head-consulted"]
    cli.ok(
        ["view", ref, "--fields-file", "-", *argv, "--head-not-consulted"],
        stdin=json.dumps({**FIELDS, "ack": ["head_consulted=The Head was off site"]}),
    )
    viewing = cli.entries(ref, "viewing")[-1]["id"]
    assert "viewing_breach" in cli.overdue(ref)
    assert cli.show(ref)["viewings"][0]["conditions_not_met"] == ["head_consulted"]
    inspection = json.loads(cli.ok(["report", "inspection", "--json"]))
    mine = next(i for i in inspection["incidents"] if i["ref"] == ref)
    assert any("Headteacher" in text for text in mine["overdue"])

    code, _out, err = cli.run(
        ["acknowledge", ref, viewing[:8], "--text-file", "-"], stdin="Fine by me"
    )
    assert code != 0 and "only the Headteacher" in err
    assert "viewing_breach" in cli.overdue(ref)

    cli.ok(
        ["acknowledge", ref, viewing[:8], "--text-file", "-"],
        stdin="Discussed with the DSL; agreed it was necessary",
        user="head",
    )
    assert "viewing_breach" not in cli.overdue(ref)
    assert cli.show(ref)["viewings"][0]["acknowledged_by"] == "Hana Head"


def test_the_governors_figures_do_not_count_a_sighting_as_a_viewing(own_cli: Cli) -> None:
    """The audit: a teacher shown the image was counted among the "viewings of imagery"."""
    cli = own_cli

    def viewings() -> int | None:
        """The year's viewings as published: 1 and 2 are hidden (null), 0 is shown."""
        year = 2026 if date.today().month >= 9 else 2025
        out = cli.ok(["report", "governors", "--year", f"{year}-{(year + 1) % 100:02d}",
                      "--format", "json"])  # fmt: skip
        shown: int | None = json.loads(out)["year_total"]["viewings"]
        return shown

    assert viewings() == 0
    ref = cli.incident()
    cli.ok(
        ["sighting", ref, "--fields-file", "-"],
        stdin=json.dumps({"seen_by": "Mr B", "how": "Shown in class", "actions": "To the DSL"}),
    )
    assert viewings() == 0  # counted, the sighting would be a hidden 1 (null)
    cli.ok(["view", ref, "--fields-file", "-", *ALL_MET], stdin=json.dumps(FIELDS))
    assert viewings() is None  # one viewing: counted, and too small to publish
