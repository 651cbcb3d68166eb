"""Issue 10, finding 7, from the command line: real processes on a real vault.

Step 7 is read from the custody log (the technician hands the phone over; the
DSL's ``incident show`` says the step is done), and ``report inspection``
states each limit (with its setting) and each incident's times.
"""

from __future__ import annotations

import json

import pytest

from tests.cli.test_cli import Ydsi, ydsi  # noqa: F401  (the module's vault, DSL, head, tech)

pytestmark = pytest.mark.slow


def steps(ydsi: Ydsi, ref: str) -> dict[str, str]:  # noqa: F811
    shown = ydsi.run("incident", "show", ref, "--json")
    assert shown.returncode == 0, shown.stderr
    return {s["id"]: s["state"] for s in json.loads(shown.stdout)["steps"]}


def test_step_7_is_done_when_the_device_log_shows_the_handover(ydsi: Ydsi) -> None:  # noqa: F811
    ref = ydsi.run("incident", "new", stdin="phone handed to the police").stdout.strip()
    made = ydsi.run("trigger", ref, "5", "yes", stdin="talk of self-harm")
    assert made.returncode == 0, made.stderr
    for args, stdin in (
        (("decide", ref, "refer", "--refer-to", "police", "--text-file", "-"), "trigger 5"),
        (("police", ref, "--route", "call_101", "--fields-file", "-"), "spoken-to: Handler 7\n"),
    ):
        done = ydsi.run(*args, stdin=stdin)
        assert done.returncode == 0, done.stderr
    assert steps(ydsi, ref)["devices"] != "done"
    seized = ydsi.run(
        "device", "seize", "--incident", ref, "--fields-file", "-", "--powered-off",
        user="tech", stdin="description: blue phone\nowner: AJ\nlocked-where: DSL safe\n",
    )  # fmt: skip
    assert seized.returncode == 0, seized.stderr
    device = seized.stdout.strip()
    assert steps(ydsi, ref)["devices"] != "done"
    handed = ydsi.run(
        "device", "handover", device, "--text-file", "-", user="tech", stdin="PC Example"
    )
    assert handed.returncode == 0, handed.stderr
    assert steps(ydsi, ref)["devices"] == "done"
    report = ydsi.run("report", "inspection")
    assert report.returncode == 0, report.stderr
    out = report.stdout
    assert "Time limits (settings of the policy):" in out
    assert (
        "The DSL told of the disclosure: the same school day (a setting of this policy file; "
        "the policy says “as soon as possible”) [dsl_told_within_school_days = 0]"
    ) in out
    assert "[parents_inform_within_school_days = 1]" in out
    assert "time: Referral to the police or children's social care (trigger 5): from " in out
    shape = json.loads(ydsi.run("report", "inspection", "--json").stdout)
    mine = next(i for i in shape["incidents"] if i["ref"] == ref)
    # The trigger and the decision each required it; one call met both, in time.
    assert [t["limit_id"] for t in mine["times"]] == ["referral", "referral"]
    assert all(t["within"] is True for t in mine["times"])
