"""``ydsi correct REF ENTRY``: the app's ``c`` from the command line (issue 10, finding 11)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.cli.test_cli import KDF, Ydsi, no_traceback

# Runs ydsi processes on a real vault, each deriving its user's key.
pytestmark = pytest.mark.slow


def _timeline(tool: Ydsi, ref: str) -> list[dict]:  # type: ignore[type-arg]
    shown = tool.run("incident", "show", ref, "--json")
    assert shown.returncode == 0, shown.stderr
    return json.loads(shown.stdout)["timeline"]


def _vault_with_a_note(tmp_path: Path) -> tuple[Ydsi, str, dict]:  # type: ignore[type-arg]
    tool = Ydsi(tmp_path)
    assert tool.run("init", *KDF).returncode == 0
    ref = tool.run("incident", "new", "--text-file", "-", stdin="correct test\n").stdout.strip()
    noted = tool.run("note", ref, "--text-file", "-", stdin="Parents phoned at 3pm\n")
    assert noted.returncode == 0, noted.stderr
    note = next(e for e in _timeline(tool, ref) if e["kind"] == "note")
    return tool, ref, note


def test_an_entry_is_corrected_and_the_old_one_kept(tmp_path: Path) -> None:
    tool, ref, note = _vault_with_a_note(tmp_path)
    done = tool.run(
        "correct", ref, note["id"][:8], "--fields-file", "-",
        stdin=json.dumps({"text": "Parents phoned at 4pm, not 3pm",
                          "correction_reason": "The call log says 4pm"}),
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert f"entry {note['id'][:8]} is now entry" in done.stdout
    timeline = _timeline(tool, ref)
    old = next(e for e in timeline if e["id"] == note["id"])
    new = next(e for e in timeline if e["supersedes"] == note["id"])
    assert old["superseded_by"] == [new["id"]]
    assert new["data"]["text"] == "Parents phoned at 4pm, not 3pm" and new["kind"] == "note"
    assert new["at"] == old["at"]  # it still happened when it happened
    assert new["correction_reason"] == "The call log says 4pm"
    assert tool.run("verify", passphrase=None).returncode == 0


def test_a_wrong_entry_id_or_bad_fields_is_one_line(tmp_path: Path) -> None:
    tool, ref, note = _vault_with_a_note(tmp_path)
    for entry, stdin, says in (
        ("0123", '{"text": "x"}', "8 or more"),
        ("ffffffffff", '{"text": "x"}', "no entry ffffffffff"),
        (note["id"][:8], "[1, 2]", "field"),
        (note["id"][:8], '{"nonsense": 1, "correction_reason": "x"}', "nonsense"),
        (note["id"][:8], '{"text": "no reason given"}', "correction_reason"),
    ):
        done = tool.run("correct", ref, entry, "--fields-file", "-", stdin=stdin)
        no_traceback(done)
        assert done.returncode != 0 and says in done.stderr, (entry, done.stderr)
    assert [e["id"] for e in _timeline(tool, ref) if e["kind"] == "note"] == [note["id"]]
