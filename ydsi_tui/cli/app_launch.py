"""Opening the app (``ydsi`` with no command), or the demo (``ydsi --demo``).

Who the app is for is decided here, before Textual starts: a login the
vault's header names (``--user``, ``$YDSI_USER`` or the login itself, as
every command reads it) gets the unlock screen; any other login is a member
of staff without a vault account and gets only the form that reports a
concern to the safeguarding team, with no passphrase (issue 13). If no
report could be filed (no spool, no published drop key, no pinned authority
key), the app does not start: one line says why, as ``ydsi disclose`` would.
"""

from __future__ import annotations

import importlib
import os
from pathlib import Path
from typing import Any

from .context import Context
from .output import safe, say, warn

__all__ = ["launch"]


def launch(ctx: Context, *, demo: bool) -> int:
    """Start the Textual app; imported lazily so CLI commands never pay for Textual."""
    vault_path = ctx.vault_path
    if demo:
        from ..service.demo import DEMO_PASSPHRASE, DEMO_USERS, ensure_demo_vault

        vault_path = ensure_demo_vault()
        warn(f"DEMO vault at {safe(str(vault_path))}")
        warn(f"DEMO passphrase (not secret): {DEMO_PASSPHRASE}")
        warn("DEMO users: " + ", ".join(f"{login} ({role})" for login, role, _ in DEMO_USERS))
    # Before Textual is imported (it reads these once, at import): no log file
    # of the screen's contents, no devtools on the server's shared localhost.
    for variable in ("TEXTUAL_LOG", "TEXTUAL_DEBUG"):
        os.environ.pop(variable, None)
    try:
        app_main = importlib.import_module("ydsi_tui.app.main")
    except ModuleNotFoundError:  # the app is not built yet: point at the CLI instead
        warn("The app is not available in this build; try 'ydsi incident list'.")
        return 0
    # The demo starts as its DSL unless a demo user was asked for (--user head).
    user = ctx.user
    if demo and not getattr(ctx.args, "user", None):
        user = "dsl"
    if not demo:
        from ..service.staff_reports import check_drop_ready, reporter_state_dir, vault_member

        if vault_member(vault_path, user) is False:
            # Raises DropError, shown by main() as one line: nothing is started.
            check_drop_ready(
                ctx.settings.drop_spool, ctx.settings.drop_authority, reporter_state_dir()
            )
            return _report_form(app_main, vault_path, user)
    return int(app_main.run_app(vault_path, user=user, demo=demo))


def _report_form(app_main: Any, vault_path: Path, user: str) -> int:
    """The staff report's form; each receipt printed again once the screen is gone."""
    from ..service.staff_reports import receipt_text

    receipts: list[Any] = []
    code = int(app_main.run_app(vault_path, user=user, reporter=True, receipts=receipts))
    for receipt in receipts:
        say(receipt_text(receipt))
    return code
