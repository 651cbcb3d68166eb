"""``ydsi pupil list|show|link|unlink|merge|unmerge``, and what ``pupil add`` offers (issue 15)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from tests.cli.test_cli import KDF, Ydsi

pytestmark = pytest.mark.slow


def _ok(tool: Ydsi, *args: str, stdin: str | None = None) -> str:
    done = tool.run(*args, stdin=stdin)
    assert done.returncode == 0, (args, done.stderr)
    return done.stdout


def _json(tool: Ydsi, *args: str) -> Any:
    return json.loads(_ok(tool, *args, "--json"))


def _incident(tool: Ydsi, name: str, part: str, dob: str) -> str:
    ref = _ok(tool, "incident", "new", "--text-file", "-", stdin="an image shared\n").strip()
    _ok(tool, "pupil", "add", ref, "--dob", dob, "--part", part, "--sex", "male", stdin=name)
    return ref


def test_one_child_across_incidents_from_the_command_line(tmp_path: Path) -> None:
    tool = Ydsi(tmp_path)
    assert tool.run("init", *KDF, stdin="Dana Lead\n").returncode == 0
    first = _incident(tool, "Ben Okafor\n", "shared", "04/03/2011")
    assert "No pupil records yet" in _ok(tool, "pupil", "list")
    made = _ok(tool, "pupil", "link", first, "new")
    (row,) = _json(tool, "pupil", "list")
    pid = row["id"]
    assert pid in made and row["names"] == ["Ben Okafor"] and row["incident_count"] == 1

    # Adding the same boy (name in another order, a slip) to a new incident offers his record.
    second = _ok(tool, "incident", "new", "--text-file", "-", stdin="again\n").strip()
    offered = _ok(tool, "pupil", "add", second, "--dob", "04/03/2011", "--part", "sent",
                  stdin="Okafr Ben\n")  # fmt: skip
    assert f"ydsi pupil link {second} {pid}" in offered
    _ok(tool, "pupil", "link", second, pid)
    (row,) = _json(tool, "pupil", "list")
    assert row["incident_count"] == 2 and row["parts"] == ["shared", "sent"]
    listed = {r["ref"]: r for r in _json(tool, "incident", "list")}
    assert listed[second]["repeat"] == [f"2nd incident for a pupil; earlier: shared on ({first})"]
    assert "REPEAT: 2nd incident" in _ok(tool, "incident", "show", second)

    shown = _json(tool, "pupil", "show", pid)
    assert [i["ref"] for i in shown["incidents"]] == [first, second]
    assert "Ben Okafor" in _ok(tool, "pupil", "show", pid)

    # The same name, another birthday: another child, not offered.
    third = _ok(tool, "incident", "new", "--text-file", "-", stdin="another Ben\n").strip()
    out = _ok(tool, "pupil", "add", third, "--dob", "01/07/2012", "--part", "received",
              stdin="Ben Okafor\n")  # fmt: skip
    assert pid not in out and "another child" in out
    assert "Made pupil record" in _ok(tool, "pupil", "link", third, "new")
    assert len(_json(tool, "pupil", "list")) == 2

    # Unlink (a reason from stdin), merge and unmerge.
    _ok(tool, "pupil", "unlink", second, pid, "--text-file", "-", stdin="wrong Ben\n")
    assert {r["id"]: r["incident_count"] for r in _json(tool, "pupil", "list")}[pid] == 1
    other = next(r["id"] for r in _json(tool, "pupil", "list") if r["id"] != pid)
    _ok(tool, "pupil", "merge", pid, other, "--text-file", "-", stdin="the same boy\n")
    (row,) = _json(tool, "pupil", "list")
    assert row["merged_from"] == [other] and row["incident_count"] == 2
    _ok(tool, "pupil", "unmerge", other, "--text-file", "-", stdin="not the same boy\n")
    assert len(_json(tool, "pupil", "list")) == 2


def test_bad_ids_and_reasons_on_argv_are_one_line_refusals(tmp_path: Path) -> None:
    tool = Ydsi(tmp_path)
    assert tool.run("init", *KDF, stdin="Dana Lead\n").returncode == 0
    done = tool.run("pupil", "show", "Ben Okafor")  # a name where an id goes: refused, not echoed
    assert done.returncode == 2 and "P-" in done.stderr and "Okafor" not in done.stderr
    done = tool.run("pupil", "merge", "P-000000000000", "Ben Okafor")
    assert done.returncode == 2 and "Okafor" not in done.stderr
    done = tool.run("pupil", "show", "P-000000000000")
    assert done.returncode != 0 and "No pupil record" in done.stderr
    done = tool.run("pupil", "unlink", "2026-001", "P-000000000000", "--reason", "Ben is wrong")
    assert done.returncode != 0 and "Ben is wrong" not in done.stderr
