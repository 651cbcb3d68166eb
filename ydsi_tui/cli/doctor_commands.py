"""``ydsi doctor``: the server install checked, with no passphrase (see vault/install_checks.py)."""

from __future__ import annotations

import argparse
import locale
import os
import sys
from pathlib import Path

from ..vault.install_checks import (
    FAIL,
    OK,
    environment_checks,
    host_checks,
    run_checks,
    spool_check,
    staff_login_check,
    system_zone,
)
from .content import proc_is_private
from .context import Context
from .output import emit_json, safe, say

__all__ = ["register"]

SSHD_CONFIG = "/etc/ssh/sshd_config"


def _london_loads() -> bool:
    try:
        from zoneinfo import ZoneInfo

        ZoneInfo("Europe/London")
    except (KeyError, OSError, ValueError):  # ZoneInfoNotFoundError is a KeyError
        return False
    return True


def _read(path: str) -> str | None:
    try:
        return Path(path).read_text(encoding="utf-8", errors="replace")
    except OSError:
        return None


def cmd_doctor(ctx: Context) -> int:
    # Imported here: fpdf takes a second to import, and every command (a login
    # banner's 'ydsi attention --brief' too) builds this module's parser.
    from ..service.reports.pdf import find_unicode_font

    checks = run_checks(ctx.vault_path, proc_hides=proc_is_private)
    mask = os.umask(0o077)
    os.umask(mask)
    checks += environment_checks(
        umask=mask,
        zone=system_zone(dict(os.environ)),
        encoding=locale.getpreferredencoding(False),
        term=os.environ.get("TERM"),
        london_loads=_london_loads(),
    )
    checks += host_checks(
        python=(sys.version_info.major, sys.version_info.minor),
        pdf_font=find_unicode_font().regular,
        swaps=_read("/proc/swaps"),
    )
    # Staff reporting (issue 13): the spool, and the SSH login for staff with no account.
    checks.append(spool_check(ctx.settings.drop_spool, ctx.vault_path))
    checks.append(staff_login_check(Path(os.environ.get("YDSI_SSHD_CONFIG") or SSHD_CONFIG)))
    if ctx.args.json:
        emit_json([{"check": c.name, "status": c.status, "message": c.message, "fix": c.fix}
                   for c in checks])  # fmt: skip
    else:
        for check in checks:
            mark = {OK: "ok  ", FAIL: "FAIL"}.get(check.status, "warn")
            say(f"{mark}  {check.name}: {safe(check.message)}")
            if check.fix and check.status != OK:
                say(f"      fix: {safe(check.fix)}")
    return 1 if any(c.status == FAIL for c in checks) else 0


def register(
    sub: argparse._SubParsersAction[argparse.ArgumentParser], common: argparse.ArgumentParser
) -> None:
    p = sub.add_parser(
        "doctor",
        parents=[common],
        help="check the server install: modes, groups, /proc (no passphrase)",
        description="Check how the vault is installed on this server: file modes, the case "
        "directory's own group (no technician in it), the folder above the vault, whether "
        "/proc hides other accounts' processes, the vault's authority fingerprint and format, "
        "your umask, time zone, locale and terminal, Python, a font for PDFs and unencrypted "
        "swap, the staff-report spool (root's, mode 3773, case/'s group) and the SSH login "
        "for staff without an account (ForceCommand ydsi disclose, no forwarding; "
        "$YDSI_SSHD_CONFIG names another sshd_config). Exits 1 if any check FAILs.",
    )
    p.add_argument(
        "--json", action="store_true", help="print JSON: [{check, status, message, fix}]"
    )
    p.set_defaults(func=cmd_doctor)
