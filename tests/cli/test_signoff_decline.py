"""``ydsi decline REF``: the Headteacher declines a sign-off from the command line."""

from __future__ import annotations

import json

import pytest

from tests.cli.test_cli import Ydsi, no_traceback
from tests.cli.test_cli import ydsi as ydsi  # the module's own vault: DSL, head, tech

pytestmark = pytest.mark.slow


def test_the_headteacher_declines_and_the_decision_stays_waiting(ydsi: Ydsi) -> None:
    ref = ydsi.run("incident", "new", stdin="declined sign-off").stdout.strip()
    for n in range(1, 6):
        assert ydsi.run("trigger", ref, str(n), "no", stdin="asked both").returncode == 0
    assert (
        ydsi.run("decide", ref, "in-school", "--text-file", "-", stdin="none apply").returncode == 0
    )
    refused = ydsi.run("decline", ref, "--text-file", "-", stdin="as the DSL\n")
    no_traceback(refused)
    assert refused.returncode != 0
    empty = ydsi.run("decline", ref, "--text-file", "-", stdin="\n", user="head")
    no_traceback(empty)
    assert empty.returncode != 0 and "say why" in empty.stderr
    done = ydsi.run(
        "decline", ref, "--text-file", "-", stdin="Tell the parents first\n", user="head"
    )
    assert done.returncode == 0, done.stderr
    assert "revise it or refer" in done.stdout
    shown = json.loads(ydsi.run("incident", "show", ref, "--json").stdout)
    assert shown["signoff_needed"] is True
    assert shown["signoff_declined"]["reason"] == "Tell the parents first"
    [entry] = [e for e in shown["timeline"] if e["kind"] == "signoff.declined"]
    assert entry["data"]["reason"] == "Tell the parents first" and entry["by"] == "head"
    assert "signoff_declined" in [flag["code"] for flag in shown["overdue"]]
