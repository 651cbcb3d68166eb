"""Issue 11, finding 7, from the command line: real processes on a real vault.

The technician re-links a device logged against a reference that is no
incident (``ydsi device relink``); the DSL's re-link is checked; a hand-over
names who handed it over; power-off and lock-up given at seizure are entries
of their own.
"""

from __future__ import annotations

import json

import pytest

from tests.cli.test_cli import Ydsi, ydsi  # noqa: F401  (the module's vault, DSL, head, tech)

pytestmark = pytest.mark.slow


def chain(ydsi: Ydsi, device: str) -> dict[str, object]:  # noqa: F811
    shown = ydsi.run("device", "show", device, "--json", user="tech")
    assert shown.returncode == 0, shown.stderr
    data: dict[str, object] = json.loads(shown.stdout)
    return data


def test_relink_handover_by_and_seizure_entries(ydsi: Ydsi) -> None:  # noqa: F811
    ref = ydsi.run("incident", "new", stdin="a phone was involved").stdout.strip()
    seized = ydsi.run(
        "device", "seize", "--incident", "2026-999", "--fields-file", "-", "--powered-off",
        user="tech", stdin="description: grey phone\nowner: AJ\nlocked-where: DSL safe\n",
    )  # fmt: skip
    assert seized.returncode == 0, seized.stderr
    device = seized.stdout.strip()
    shown = chain(ydsi, device)
    kinds = [entry["kind"] for entry in shown["chain"]]  # type: ignore[attr-defined]
    assert kinds == ["device.seized", "device.powered_off", "device.locked"]
    # The DSL's re-link is checked against the incidents.
    wrong = ydsi.run("device", "relink", device, "--incident", "2026-998", "--text-file", "-",
                     stdin="typed wrong")  # fmt: skip
    assert wrong.returncode != 0 and "not an incident" in wrong.stderr
    # The technician's is taken; the reason is content, never an argument.
    argv = ydsi.run("device", "relink", device, "--incident", ref, "--reason", "typo", user="tech")
    assert argv.returncode != 0
    moved = ydsi.run("device", "relink", device, "--incident", ref, "--text-file", "-",
                     user="tech", stdin="The DSL gave me the right reference")  # fmt: skip
    assert moved.returncode == 0, moved.stderr
    assert chain(ydsi, device)["incident_ref"] == ref
    listed = ydsi.run("device", "list", "--incident", ref, "--json")
    assert [row["ref"] for row in json.loads(listed.stdout)] == [device]
    handed = ydsi.run(
        "device", "handover", device, "--fields-file", "-", user="tech",
        stdin="officer: PC Example\nhanded-over-by: Dana Lead\n",
    )  # fmt: skip
    assert handed.returncode == 0, handed.stderr
    shown = chain(ydsi, device)
    assert shown["handed_over_by"] == "Dana Lead"
