"""Issue 10, findings 4 and 5 from the command line: each child's CSC facts, answers, talk.

``ydsi pupil add`` and ``ydsi pupil correct`` take the CSC-involvement facts
(``--social-worker NAME``, ``--cp-plan``, ``--child-in-need``, ``--looked-after``,
``--ehcp``, ``--previously-known``); ``ydsi risk`` and ``ydsi conversation`` take
the young person they are about.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from tests.cli.test_cli import KDF, Ydsi, no_traceback
from ydsi_tui.model.policy import load_policy

# Runs ydsi processes on a real vault, each deriving its user's key.
pytestmark = pytest.mark.slow


def _show(tool: Ydsi, ref: str) -> dict[str, Any]:
    shown = tool.run("incident", "show", ref, "--json")
    assert shown.returncode == 0, shown.stderr
    data: dict[str, Any] = json.loads(shown.stdout)
    return data


def _step(data: dict[str, Any], step_id: str) -> dict[str, Any]:
    return next(s for s in data["steps"] if s["id"] == step_id)


def _ok(tool: Ydsi, *args: str, stdin: str | None = None) -> str:
    done = tool.run(*args, stdin=stdin)
    assert done.returncode == 0, (args, done.stderr)
    return done.stdout


def _in_school_with_two(tmp_path: Path) -> tuple[Ydsi, str]:
    tool = Ydsi(tmp_path)
    assert tool.run("init", *KDF, stdin="Dana Lead\n").returncode == 0
    ref = _ok(tool, "incident", "new", "--text-file", "-", stdin="two pupils\n").strip()
    _ok(tool, "pupil", "add", ref, "--year-group", "11", "--part", "pictured", "--sex", "female",
        stdin="Ava Example\n")  # fmt: skip
    _ok(tool, "pupil", "add", ref, "--year-group", "11", "--part", "received", "--sex", "male",
        stdin="Ben Sample\n")  # fmt: skip
    for n in range(1, 6):
        _ok(tool, "trigger", ref, str(n), "no", stdin="asked both pupils")
    _ok(tool, "decide", ref, "in-school", "--text-file", "-", stdin="no trigger applies")
    return tool, ref


def test_pupil_add_takes_the_csc_facts_and_makes_contact_due(tmp_path: Path) -> None:
    tool, ref = _in_school_with_two(tmp_path)
    assert _step(_show(tool, ref), "csc")["state"] == "skipped_by_rule"
    _ok(tool, "pupil", "add", ref, "--fields-file", "-", "--year-group", "10",
        "--part", "shared", "--looked-after", "--ehcp",
        stdin="name: Cal Third\nsocial_worker: Jo Hart, Hindley children's services\n")  # fmt: skip
    data = _show(tool, ref)
    cal = next(p for p in data["pupils"] if p["name"] == "Cal Third")
    assert cal["social_worker"] == "Jo Hart, Hindley children's services"
    assert cal["looked_after"] is True and cal["ehcp"] is True and cal["cp_plan"] is False
    assert cal["known_to_csc"] is True
    assert _step(data, "csc")["state"] != "skipped_by_rule"
    assert "csc_contact_due" in [flag["code"] for flag in data["overdue"]]
    shown = tool.run("incident", "show", ref).stdout
    assert "allocated social worker Jo Hart" in shown  # the timeline says it in words

    _ok(tool, "record", ref, "csc.contact", "--fields-file", "-",
        stdin=json.dumps({"type": "contact", "spoken_to": "Jo Hart, social worker"}))  # fmt: skip
    data = _show(tool, ref)
    assert "csc_contact_due" not in [flag["code"] for flag in data["overdue"]]


def test_pupil_correct_sets_and_clears_a_fact(tmp_path: Path) -> None:
    tool, ref = _in_school_with_two(tmp_path)
    ben = next(p["id"] for p in _show(tool, ref)["pupils"] if p["name"] == "Ben Sample")
    _ok(tool, "pupil", "correct", ref, ben, "--cp-plan")
    data = _show(tool, ref)
    assert next(p for p in data["pupils"] if p["id"] == ben)["cp_plan"] is True
    assert _step(data, "csc")["state"] != "skipped_by_rule"
    _ok(tool, "pupil", "correct", ref, ben, "--no-cp-plan")
    data = _show(tool, ref)
    assert next(p for p in data["pupils"] if p["id"] == ben)["known_to_csc"] is False
    assert _step(data, "csc")["state"] == "skipped_by_rule"
    _ok(tool, "pupil", "correct", ref, ben, "--fields-file", "-", stdin="social_worker: Jo Hart\n")
    assert next(p for p in _show(tool, ref)["pupils"] if p["id"] == ben)["known_to_csc"]
    nothing = tool.run("pupil", "correct", ref, ben)
    assert nothing.returncode != 0 and "what has changed" in nothing.stderr
    no_traceback(nothing)
    named = tool.run("pupil", "correct", ref, "Ben Sample", "--ehcp")
    assert named.returncode != 0 and "process list" in named.stderr  # a name: never argv


def test_risk_answers_and_conversations_are_per_pupil(tmp_path: Path) -> None:
    tool, ref = _in_school_with_two(tmp_path)
    pupils = {p["name"]: p["id"] for p in _show(tool, ref)["pupils"]}
    questions = [q.id for q in load_policy().risk_questions]  # the bundled policy, in force
    for question in questions:
        _ok(tool, "risk", ref, pupils["Ava Example"], question, stdin="pressured to send")
    data = _show(tool, ref)
    assert _step(data, "risks")["state"] != "done"
    for question in questions:
        _ok(tool, "risk", ref, pupils["Ben Sample"], question, stdin="shared it on")
    assert _step(_show(tool, ref), "risks")["state"] == "done"

    _ok(tool, "conversation", ref, pupils["Ava Example"], stdin="Talked about consent.")
    assert _step(_show(tool, ref), "talking")["state"] != "done"
    _ok(tool, "conversation", ref, pupils["Ben Sample"], "--not-held",
        stdin="Parents withdrew him from school this week.")  # fmt: skip
    assert _step(_show(tool, ref), "talking")["state"] == "done"
    shown = tool.run("incident", "show", ref).stdout
    assert "why not: Parents withdrew him" in shown
