"""The app's settings: from the environment for real runs, fixed for tests."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from .commands import COMMANDS

__all__ = ["DEFAULT_LOCK_AFTER", "AppSettings"]

#: Lock after five minutes without a key press (the issue's default).
DEFAULT_LOCK_AFTER = 300.0


@dataclass(frozen=True)
class AppSettings:
    """What may differ between a school's server, a demo and a test.

    ``lock_after`` and ``poll_seconds`` are in seconds; 0 turns them off.
    """

    lock_after: float = DEFAULT_LOCK_AFTER
    poll_seconds: float = 5.0
    cursor_blink: bool = True
    theme: str | None = None
    keymap: Mapping[str, str] = field(default_factory=dict)
    watch_terminal: bool = True
    #: Draw only what the Linux console's font has (``TERM=linux``; see glyphs.py).
    console_glyphs: bool = False
    #: The staff reports' spool, watched for new reports (DSL and team only);
    #: None: not watched. Looked at every ``drop_poll_seconds`` (a directory
    #: listing), so a new report is rung within 5 seconds (issue 13).
    drop_spool: Path | None = None
    drop_poll_seconds: float = 2.0
    #: The authority key pinned at install: the log's openings count only under it.
    drop_authority: Path | None = None
    #: The recipient reports about the Headteacher are sealed to: a DSL's
    #: rotation republishes the drop key with it, as ``ydsi user rotate`` does.
    drop_about_headteacher_key: str | None = None
    #: Where a reporter's form keeps the highest drop-key serial seen (None: the
    #: login's own state directory, as ``ydsi disclose``; tests name their own).
    reporter_state: Path | None = None

    #: Settings that were wrong and replaced by defaults: the app shows them.
    warnings: tuple[str, ...] = ()

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> AppSettings:
        """The config files and ``YDSI_LOCK_AFTER`` (minutes), ``YDSI_THEME``, ``YDSI_KEYMAP``;
        ``TERM`` for the Linux console's glyphs.

        Read through :mod:`ydsi_tui.settings`, checked against the themes and
        command ids that exist: a bad value is reported and the default used,
        so a typo never stops the app.
        """
        from textual.theme import BUILTIN_THEMES

        from ..settings import load_settings
        from .glyphs import wants_console_glyphs

        environ = os.environ if environ is None else environ
        settings = load_settings(
            environ,
            themes=set(BUILTIN_THEMES),
            command_ids={command.id for command in COMMANDS},
        )
        spool = settings.resolved("drop_spool")
        authority = settings.resolved("drop_authority")
        return cls(
            drop_spool=settings.drop_spool if spool.problem is None else None,
            drop_authority=settings.drop_authority if authority.problem is None else None,
            drop_about_headteacher_key=settings.drop_about_headteacher_key,
            lock_after=settings.lock_after_seconds,
            theme=settings.theme,
            keymap=settings.keymap,
            warnings=tuple(dict.fromkeys(settings.warnings)),
            console_glyphs=wants_console_glyphs(environ.get("TERM")),
        )
