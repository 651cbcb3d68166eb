"""A technician outside the case directory's own Unix group cannot list, read or write it.

The custody key already keeps incidents unreadable to a technician; the file
system can keep even their names, sizes and times out of reach. The server
install gives ``case/`` a group of its own (DSL, Headteacher, team: see the
README's server section), mode 2770, so a technician, in the vault's group but
not that one, gets "permission denied" from the kernel, and ydsi still works
for them: the device log reads and saves, ``verify`` checks everything else and
says what it could not check.

The technician's process is run as root without the capabilities that bypass
file modes (setpriv), and without supplementary groups, so the case directory,
owned by another uid and group, is closed to it exactly as to a real account.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.support.adversary import TECH, World

REPO = Path(__file__).resolve().parents[2]
CASE_UID, CASE_GID = 64001, 64002  # an owner and group the technician is not

pytestmark = pytest.mark.skipif(
    os.geteuid() != 0 or shutil.which("setpriv") is None,
    reason="needs root and setpriv to run a process outside the case group",
)


def _close_case_dir(world: World) -> None:
    case = world.path / "case"
    os.chown(case, CASE_UID, CASE_GID)
    os.chmod(case, 0o2770)
    for item in case.iterdir():
        os.chown(item, CASE_UID, CASE_GID)
        os.chmod(item, 0o660)


def _as_technician(
    world: World, tmp_path: Path, *args: str, stdin: str = ""
) -> subprocess.CompletedProcess[str]:
    secret = tmp_path / "tech.pass"
    secret.write_text(TECH.passphrase + "\n", encoding="utf-8")
    secret.chmod(0o600)
    home = tmp_path / "tech-home"
    home.mkdir(exist_ok=True)
    command = [
        shutil.which("setpriv") or "setpriv",
        "--inh-caps=-all",
        "--bounding-set=-dac_override,-dac_read_search,-fowner",
        "--clear-groups",
        sys.executable, "-m", "ydsi_tui.cli.main", *args,
        "--vault", str(world.path), "--user", TECH.login, "--passphrase-file", str(secret),
    ]  # fmt: skip
    env = {**os.environ, "HOME": str(home), "XDG_STATE_HOME": str(home / "state")}
    return subprocess.run(
        command, input=stdin, capture_output=True, text=True, cwd=REPO, env=env, timeout=120,
        check=False,
    )  # fmt: skip


def _probe(world: World, tmp_path: Path) -> subprocess.CompletedProcess[str]:
    """What the kernel lets the technician's process do to case/ (listing, reading, writing)."""
    code = (
        "import os, sys\n"
        "case = sys.argv[1]\n"
        "out = []\n"
        "for what, fn in (('list', lambda: os.listdir(case)),\n"
        "                 ('write', lambda: open(os.path.join(case, 'x.ydsr'), 'wb'))):\n"
        "    try:\n"
        "        fn(); out.append(what + ' allowed')\n"
        "    except PermissionError:\n"
        "        out.append(what + ' denied')\n"
        "print(' '.join(out))\n"
    )
    command = [
        shutil.which("setpriv") or "setpriv",
        "--inh-caps=-all",
        "--bounding-set=-dac_override,-dac_read_search,-fowner",
        "--clear-groups",
        sys.executable, "-c", code, str(world.path / "case"),
    ]  # fmt: skip
    return subprocess.run(command, capture_output=True, text=True, timeout=60, check=False)


def test_outside_the_case_group_a_technician_sees_nothing_of_case_and_still_works(
    world: World, tmp_path: Path
) -> None:
    _close_case_dir(world)
    probe = _probe(world, tmp_path)
    assert probe.stdout.strip() == "list denied write denied", probe.stdout + probe.stderr

    listed = _as_technician(world, tmp_path, "device", "list")
    assert listed.returncode == 0, listed.stderr
    assert world.device in listed.stdout

    moved = _as_technician(
        world, tmp_path, "device", "move", world.device, "--fields-file", "-",
        stdin="to: IT office safe\nreason: Bag seal checked by the technician\n",
    )  # fmt: skip
    assert moved.returncode == 0, moved.stderr
    shown = _as_technician(world, tmp_path, "device", "show", world.device)
    assert shown.returncode == 0 and "IT office safe" in shown.stdout, shown.stderr

    verified = _as_technician(world, tmp_path, "verify")
    assert "Traceback" not in verified.stderr and "internal error" not in verified.stderr
    out = verified.stdout + verified.stderr
    assert "case/" in out and "not checked" in out, out
    assert verified.returncode == 0, out  # everything it could check is intact
