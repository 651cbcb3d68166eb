"""``ydsi doctor``'s checks of the account and server (issue 14): umask, zone, locale, terminal.

Each is given its inputs, so every value is tried here without changing this
process; one run of the real command shows they are wired in.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from ydsi_tui.vault.backup import write_unattended_backup
from ydsi_tui.vault.crypto import KdfParams
from ydsi_tui.vault.install_checks import (
    FAIL,
    OK,
    WARN,
    environment_checks,
    run_checks,
    system_zone,
)
from ydsi_tui.vault.vault import Vault


def _status(**given: object) -> dict[str, str]:
    values: dict[str, object] = {
        "umask": 0o027, "zone": "Europe/London", "encoding": "UTF-8", "term": "xterm",
        "london_loads": True,
    }  # fmt: skip
    values.update(given)
    return {c.name: c.status for c in environment_checks(**values)}  # type: ignore[arg-type]


def test_a_well_set_account_is_all_ok() -> None:
    assert set(_status().values()) == {OK}


@pytest.mark.parametrize(
    ("given", "name", "status"),
    [
        ({"umask": 0o000}, "umask", WARN),
        ({"umask": 0o020}, "umask", WARN),
        ({"umask": 0o022}, "umask", OK),
        ({"zone": "America/New_York"}, "time zone", WARN),
        ({"zone": "GB"}, "time zone", OK),
        ({"london_loads": False}, "time zone", FAIL),
        ({"encoding": "ANSI_X3.4-1968"}, "locale", WARN),
        ({"encoding": "utf8"}, "locale", OK),
        ({"term": None}, "terminal", WARN),
        ({"term": "dumb"}, "terminal", WARN),
        ({"term": "linux"}, "terminal", OK),
    ],
)
def test_each_finding(given: dict[str, object], name: str, status: str) -> None:
    assert _status(**given)[name] == status


def test_every_warning_says_how_to_mend_it() -> None:
    bad = environment_checks(
        umask=0, zone="Asia/Tokyo", encoding="latin-1", term="dumb", london_loads=True
    )
    assert [c.status for c in bad] == [WARN] * 4
    assert all(c.fix for c in bad)


def test_the_zone_is_read_from_tz_then_localtime(tmp_path: Path) -> None:
    assert system_zone({"TZ": ":Europe/London"}) == "Europe/London"
    link = tmp_path / "localtime"
    link.symlink_to("/usr/share/zoneinfo/Europe/Paris")
    assert system_zone({}, link) == "Europe/Paris"
    assert system_zone({}, tmp_path / "none") == "unknown"


def test_the_authority_fingerprint_matches_an_unattended_backups(tmp_path: Path) -> None:
    session, _ = Vault.create(
        tmp_path / "vault", user="dsl", passphrase="doctor tests passphrase",
        full_name="Dana Lead", kdf=KdfParams.new(64 * 1024, 3, 1),
    )  # fmt: skip
    session.close()
    manifest = write_unattended_backup(tmp_path / "vault", tmp_path / "b.tar")
    (check,) = [c for c in run_checks(tmp_path / "vault") if c.name == "authority"]
    assert manifest.authority[:16] in check.message
    env = {k: v for k, v in os.environ.items() if not k.startswith("YDSI_")}
    env.update(HOME=str(tmp_path), TERM="dumb", LANG="C", LC_ALL="C", TZ="America/New_York")
    done = subprocess.run(
        [sys.executable, "-m", "ydsi_tui", "doctor", "--vault", str(tmp_path / "vault")],
        capture_output=True, text=True, env=env, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    for line in ("warn  terminal:", "warn  time zone:", "ok    authority:"):
        assert line in done.stdout, done.stdout


SWAPS_HEADER = "Filename\t\t\t\tType\t\tSize\t\tUsed\t\tPriority\n"


@pytest.mark.parametrize(
    ("swaps", "status", "says"),
    [
        (SWAPS_HEADER, "ok", "none in use"),
        (SWAPS_HEADER + "/dev/dm-1  partition  2097148  0  -2\n", "ok", "/dev/dm-1"),
        (SWAPS_HEADER + "/swapfile  file  2097148  0  -2\n", "warn", "not encrypted"),
        (None, "warn", "not checked"),
    ],
)
def test_doctor_warns_of_swap_in_clear(swaps: str | None, status: str, says: str) -> None:
    """Issue 14: doctor gives swap encryption advice (a decrypted record may be paged out)."""
    from ydsi_tui.vault.install_checks import host_checks

    [swap] = [
        c for c in host_checks(python=(3, 11), pdf_font=None, swaps=swaps) if c.name == "swap"
    ]
    assert swap.status == status and says in swap.message
    assert swap.status == "ok" or swap.fix or swaps is None  # unreadable: nothing to fix


def test_doctor_checks_python_and_the_pdf_font() -> None:
    from ydsi_tui.vault.install_checks import host_checks

    checks = {c.name: c for c in host_checks(python=(3, 10), pdf_font=None, swaps="")}
    assert checks["python"].status == "FAIL"
    assert checks["pdf font"].status == "warn" and "fonts-dejavu-core" in checks["pdf font"].fix
    found = Path("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf")
    checks = {c.name: c for c in host_checks(python=(3, 12), pdf_font=found, swaps="")}
    assert checks["python"].status == "ok" and checks["pdf font"].status == "ok"


def test_doctor_names_an_older_vault_format(tmp_path: Path) -> None:
    from dataclasses import replace

    from ydsi_tui.vault.install_checks import format_check

    kdf = KdfParams.new(64 * 1024, 3, 1)
    session, _ = Vault.create(
        tmp_path / "v", user="dsl", passphrase="doctor format test", full_name="D", kdf=kdf
    )
    header = session.vault.header
    session.close()
    assert format_check(header).status == "ok"
    older = replace(header, version=header.version - 1)
    check = format_check(older)
    assert check.status == "warn" and "ydsi upgrade" in check.fix
