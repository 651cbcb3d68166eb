"""The app's settings: from the environment for real runs, fixed for tests."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field

from .commands import parse_keymap

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

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> AppSettings:
        """``YDSI_LOCK_AFTER`` (minutes), ``YDSI_THEME``, ``YDSI_KEYMAP`` ("id=key;...")."""
        env = os.environ if environ is None else environ
        lock_after = DEFAULT_LOCK_AFTER
        raw = env.get("YDSI_LOCK_AFTER", "").strip()
        if raw:
            try:
                minutes = float(raw)
            except ValueError:
                minutes = DEFAULT_LOCK_AFTER / 60
            # Never "off" by mistake: a negative or silly value keeps the default.
            lock_after = minutes * 60 if 0 < minutes <= 24 * 60 else DEFAULT_LOCK_AFTER
        return cls(
            lock_after=lock_after,
            theme=env.get("YDSI_THEME") or None,
            keymap=parse_keymap(env.get("YDSI_KEYMAP", "")),
        )
