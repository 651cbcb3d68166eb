"""``ydsi manpage``: the ydsi(1) manual page in roff, made from the parser itself.

Printed by the installed command rather than kept as ``docs/ydsi.1``: a
generated file in the repository goes stale the first time someone adds an
option and forgets to regenerate it, while this is always the page of the
ydsi that prints it. A packager or an IT manager installs it with::

    ydsi manpage | sudo tee /usr/local/share/man/man1/ydsi.1 >/dev/null

Every section comes from what the code already uses: commands, options and
their help from the argparse tree (:mod:`.commandtree`), the settings from
:data:`ydsi_tui.settings.SPECS`, the exit statuses from
:data:`ydsi_tui.cli.main.EXIT_CODES`. No date is written, so the page is the
same byte for byte for the same version.
"""

from __future__ import annotations

import argparse

from .. import __version__
from .commandtree import Command, Option, Positional, command_tree
from .completion import common_flags
from .context import Context
from .output import say_block

__all__ = ["manpage", "register"]


def _text(text: str) -> str:
    """Plain text for roff: backslashes doubled, no line starting as a request."""
    text = text.replace("\\", "\\e")
    lines = []
    for line in text.splitlines() or [""]:
        lines.append("\\&" + line if line.startswith((".", "'")) else line)
    return "\n".join(lines)


def _literal(text: str) -> str:
    """An option, command or value as typed: a hyphen is a minus sign, never a dash."""
    return _text(text).replace("-", "\\-")


def _option_head(option: Option) -> str:
    flags = ", ".join(f"\\fB{_literal(flag)}\\fR" for flag in option.flags)
    if option.takes_value:
        flags += f" \\fI{_literal(option.metavar)}\\fR"
    return flags


def _positional_usage(positional: Positional) -> str:
    name = f"\\fI{_literal(positional.name)}\\fR"
    if positional.nargs == "?":
        return f"[{name}]"
    if positional.nargs in ("*", "+"):
        return f"[{name} ...]" if positional.nargs == "*" else f"{name} [{name} ...]"
    return name


def _option_usage(option: Option) -> str:
    text = f"\\fB{_literal(option.flags[-1])}\\fR"
    if option.takes_value:
        text += f" \\fI{_literal(option.metavar)}\\fR"
    return text if option.required else f"[{text}]"


def _options(options: list[Option]) -> list[str]:
    lines: list[str] = []
    for option in options:
        lines += [".TP", _option_head(option), _text(option.help or "(no description)")]
        lines += _choices(option.choices)
    return lines


def _choices(choices: tuple[str, ...]) -> list[str]:
    """``One of: a, b, c.`` after a value's help, or nothing if any value goes."""
    if not choices:
        return []
    return ["One of: " + ", ".join(f"\\fB{_literal(c)}\\fR" for c in choices) + "."]


def _command(command: Command, common: frozenset[str]) -> list[str]:
    own = command.own_options(common)
    usage = [f"\\fB{_literal(command.name)}\\fR", *(_option_usage(o) for o in own)]
    usage += [_positional_usage(p) for p in command.positionals]
    lines = [f'.SS "{_literal(command.name)}"', " ".join(usage), ".PP"]
    lines.append(_text(command.description or command.help or "(no description)"))
    for positional in command.positionals:
        lines += [".TP", f"\\fI{_literal(positional.name)}\\fR", _text(positional.help or "")]
        lines += _choices(positional.choices)
    lines += _options(own)
    return lines


def manpage(parser: argparse.ArgumentParser) -> str:
    """The whole page for ``parser`` (``ydsi``'s own, in practice), as roff."""
    from ..settings import SPECS
    from .main import EXIT_CODES

    root = command_tree(parser)
    common = common_flags(root)
    summary = root.description.split(". ")[0].rstrip(".")
    first = summary[:1].lower() + summary[1:]
    lines = [
        f'.TH YDSI 1 "" "ydsi {_text(__version__)}" "User Commands"',
        ".\\\" Made by 'ydsi manpage' from the command's own parser: edit the code, not this.",
        ".SH NAME",
        f"ydsi \\- {_text(first)}",
        ".SH SYNOPSIS",
        ".B ydsi",
        "[\\fIOPTIONS\\fR] [\\fB\\-\\-demo\\fR]",
        ".br",
        ".B ydsi",
        "[\\fIOPTIONS\\fR] \\fICOMMAND\\fR [\\fIARGUMENTS\\fR]",
        ".SH DESCRIPTION",
        _text(root.description),
        ".PP",
        "Record content (names, notes, reasons) is never taken from the command line, where "
        "every user of the server can read it: it comes from a prompt, "
        "\\fB\\-\\-text\\-file\\fR or \\fB\\-\\-fields\\-file\\fR (a file, or \\fB\\-\\fR "
        "for standard input).",
        ".SH OPTIONS",
        "These work before the command and after it.",
        *_options(root.options),
        ".SH COMMANDS",
    ]
    for command in root.walk()[1:]:
        if command.subcommands:
            continue  # a group (ydsi user) is documented by its commands
        lines += _command(command, common)
    lines += [".SH SETTINGS", _text(
        "Each setting is read from /etc/ydsi/config.toml ($YDSI_SYSTEM_CONFIG), then "
        "~/.config/ydsi/config.toml, then its environment variable, then its option; "
        "later ones win. 'ydsi config' shows the settings in force and where each came from."
    )]  # fmt: skip
    for spec in SPECS:
        head = f"\\fB{_literal(spec.key)}\\fR, \\fB${_literal(spec.env)}\\fR"
        if spec.option:
            head += f", \\fB{_literal(spec.option)}\\fR"
        lines += [".TP", head, _text(spec.help)]
    lines.append(".SH EXIT STATUS")
    codes = {**EXIT_CODES, 70: "internal error: a bug, never your input (please report it)"}
    for code, meaning in sorted(codes.items()):
        lines += [".TP", f"\\fB{code}\\fR", _text(meaning)]
    lines += [
        ".SH FILES",
        ".TP",
        "\\fI/etc/ydsi/config.toml\\fR",
        "The system's settings (an IT manager's: the vault every user opens).",
        ".TP",
        "\\fI~/.config/ydsi/config.toml\\fR",
        "Your own settings.",
        ".SH SEE ALSO",
        "ydsi's README.md, SECURITY.md and ARCHITECTURE.md; "
        "\\fBydsi completion\\fR for shell completion.",
    ]
    return "\n".join(lines) + "\n"


def cmd_manpage(ctx: Context) -> int:
    from .main import build_parser  # the whole tree, as ydsi itself parses it

    say_block(manpage(build_parser()))
    return 0


def register(
    sub: argparse._SubParsersAction[argparse.ArgumentParser], common: argparse.ArgumentParser
) -> None:
    p = sub.add_parser(
        "manpage",
        parents=[common],
        help="print the ydsi(1) manual page (roff)",
        description="Print the manual page, made from this ydsi's own commands and options, "
        "as roff: ydsi manpage | man -l - to read it, or save it as "
        "/usr/local/share/man/man1/ydsi.1. It reads no vault.",
    )
    p.set_defaults(func=cmd_manpage)
