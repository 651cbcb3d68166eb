"""Starting the app: one factory for the command line and the tests.

``make_app`` builds the app from its settings (the tests pass fixed ones: no
cursor blink, no polling, a fixed clock); ``run_app`` is what ``ydsi`` calls.
``run_app`` also closes what Textual would otherwise leave open: the
``TEXTUAL_LOG`` file and devtools, and a terminal that goes away (SIGHUP) or
a polite kill (SIGTERM) first seals every open form as a draft.
"""

from __future__ import annotations

import os
import signal
import threading
from pathlib import Path
from types import FrameType
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from ..service.clock import Clock
    from ..vault.drop import FiledReceipt
    from ..vault.session import Session
    from .app import YdsiApp
    from .settings import AppSettings

__all__ = ["close_textual_leaks", "install_hangup_handler", "make_app", "run_app"]

#: How long a hung-up app may take to leave before the process ends regardless.
HANGUP_GRACE_SECONDS = 5.0


def close_textual_leaks() -> None:
    """No log file, no devtools, no debug tracebacks, whatever the environment says."""
    os.environ.pop("TEXTUAL_LOG", None)
    os.environ.pop("TEXTUAL_DEBUG", None)
    features = os.environ.get("TEXTUAL", "")
    if features:
        kept = [f for f in features.split(",") if f.strip() not in ("devtools", "debug")]
        os.environ["TEXTUAL"] = ",".join(kept)
    from textual import constants

    constants.LOG_FILE = None  # type: ignore[misc]
    constants.DEBUG = False  # type: ignore[misc]


def make_app(
    vault_path: Path,
    *,
    user: str | None = None,
    demo: bool = False,
    settings: AppSettings | None = None,
    clock: Clock | None = None,
    session: Session | None = None,
    reporter: bool = False,
) -> YdsiApp:
    """The app, as ``ydsi`` and the tests build it (``session``: already unlocked;
    ``reporter``: only the form that reports a concern, for a login not in the vault)."""
    from .app import YdsiApp
    from .settings import AppSettings

    return YdsiApp(
        Path(vault_path),
        user=user,
        demo=demo,
        settings=settings or AppSettings.from_env(),
        clock=clock,
        session=session,
        reporter=reporter,
    )


def install_hangup_handler(app: YdsiApp) -> None:
    """SIGHUP (dropped SSH) and SIGTERM: keep every open form as a draft, then leave."""

    def handler(signum: int, frame: FrameType | None) -> None:
        # A backstop: if the terminal is gone and the exit hangs on writing to it,
        # the drafts are already on disk and the process ends anyway.
        timer = threading.Timer(HANGUP_GRACE_SECONDS, os._exit, args=(128 + signum,))
        timer.daemon = True
        timer.start()
        app.hangup()

    for name in ("SIGHUP", "SIGTERM"):
        number = getattr(signal, name, None)
        if number is not None:
            signal.signal(number, handler)


def run_app(
    vault_path: Path,
    *,
    user: str | None = None,
    demo: bool = False,
    reporter: bool = False,
    receipts: list[FiledReceipt] | None = None,
) -> int:
    """Run the app in this terminal until the user quits; returns the exit code.

    ``receipts``: given, it gets every report a reporter filed, for ``ydsi``
    to print once the screen is gone (the receipt is printed and shown).
    """
    close_textual_leaks()
    app = make_app(vault_path, user=user, demo=demo, reporter=reporter)
    install_hangup_handler(app)
    app.run()
    if receipts is not None:
        receipts.extend(app.receipts)
    return app.return_code or 0
