"""Opening the app (``ydsi`` with no command), or the demo (``ydsi --demo``)."""

from __future__ import annotations

import importlib
import os

from .context import Context
from .output import safe, warn

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
    return int(app_main.run_app(vault_path, user=user, demo=demo))
