"""``ydsi config``: the settings in force, where each came from, and what is wrong."""

from __future__ import annotations

import argparse
import getpass
from collections.abc import Collection

from ..settings import SPECS, Settings, load_settings
from .context import Context
from .output import print_table, safe, say, warn

__all__ = ["app_names", "register"]


def app_names() -> tuple[Collection[str] | None, Collection[str] | None]:
    """The theme names and command ids the app knows (imported only for this command)."""
    try:
        from textual.theme import BUILTIN_THEMES

        from ..app.commands import COMMANDS
    except ImportError:  # pragma: no cover - an install without the app: check the form only
        return None, None
    return set(BUILTIN_THEMES), {command.id for command in COMMANDS}


def _shown(settings: Settings, key: str) -> str:
    value = settings.resolved(key).value
    if key == "user" and not value:
        return f"{getpass.getuser()} (your login)"
    if settings.resolved(key).problem is not None:
        return "(not usable: see below)"
    if key == "keymap":
        return "; ".join(f"{k}={v}" for k, v in sorted(value.items())) or "(none)"
    if value is None or value == ():
        return "(none)"
    if key == "alert_smtp":
        return f"{value[0]}:{value[1]}"
    if key == "alert_mail_command":
        return " ".join(value)
    if isinstance(value, tuple):
        return ", ".join(value)
    if key in ("alert_message", "alert_late_message"):
        return str(value).replace("\n", " / ")
    return str(value)


def cmd_config(ctx: Context) -> int:
    themes, command_ids = app_names()
    options = {"vault": getattr(ctx.args, "vault", None), "user": getattr(ctx.args, "user", None)}
    settings = load_settings(options=options, themes=themes, command_ids=command_ids)
    say("Config files (later ones win, then YDSI_* variables, then options):")
    for path, state in settings.files:
        say(f"  {safe(str(path))}: {safe(state)}")
    say()
    rows = []
    for spec in SPECS:
        entry = settings.resolved(spec.key)
        shown = _shown(settings, spec.key)
        if spec.key == "vault" and entry.problem is None:
            shown = str(settings.vault)  # the data dir default, spelt out
        rows.append([spec.key, safe(shown), safe(entry.source)])
    print_table(["SETTING", "VALUE", "FROM"], rows)
    critical = [
        settings.resolved(spec.key).problem
        for spec in SPECS
        if spec.critical and settings.resolved(spec.key).problem
    ]
    for warning in dict.fromkeys(settings.warnings):
        say(f"warning: {safe(warning)}")
    for problem in dict.fromkeys(critical):  # what would stop a command, said as it would
        warn(f"ydsi: {safe(str(problem))}")
    return 2 if critical else 0


def register(
    sub: argparse._SubParsersAction[argparse.ArgumentParser], common: argparse.ArgumentParser
) -> None:
    p = sub.add_parser(
        "config",
        parents=[common],
        help="show the settings in force and where each came from",
        description="Show every setting, its value and where it came from: "
        "/etc/ydsi/config.toml ($YDSI_SYSTEM_CONFIG), then your "
        "~/.config/ydsi/config.toml, then YDSI_* variables, then options. "
        "Exit status 2 if the vault, user or policy setting is wrong.",
    )
    p.set_defaults(func=cmd_config)
