"""The ``ydsi`` parser as plain data: commands, options, positionals, and their help.

Shell completion and the man page are both made from this walk of the argparse
tree that :func:`ydsi_tui.cli.main.build_parser` builds, never from a list
kept by hand, so a command or option added to the parser is completed and
documented the moment it exists. argparse has no public way to walk itself:
this module is the one place that reads its ``_actions`` and the sub-parser
action's ``_choices_actions`` (both in typeshed, and stable since Python 3.2).

Options hidden with ``help=argparse.SUPPRESS`` stay hidden here too: they are
spellings kept for scripts (``--no-X`` beside ``--X``), not something to offer.
"""

from __future__ import annotations

import argparse
from dataclasses import dataclass, field

__all__ = ["Command", "Option", "Positional", "command_tree"]

#: Values these name are paths: complete them as files (or directories).
_FILE_METAVARS = frozenset({"FILE", "FILE|-"})
_FILE_DESTS = frozenset({"output", "checkpoint", "backup", "file"})
_DIR_METAVARS = frozenset({"DIR"})


def _help(action: argparse.Action, prog: str) -> str:
    """The help text as ``--help`` shows it: ``%(default)s`` and the like expanded."""
    text = action.help or ""
    if "%" not in text:
        return " ".join(text.split())
    params = {k: v for k, v in vars(action).items() if v is not argparse.SUPPRESS}
    params["prog"] = prog
    if params.get("choices") is not None:
        params["choices"] = ", ".join(str(c) for c in params["choices"])
    return " ".join((text % params).split())


def _kind(action: argparse.Action) -> str:
    """What a value is, for completion: ``"dir"``, ``"file"`` or ``""`` (free text)."""
    metavar = action.metavar if isinstance(action.metavar, str) else ""
    if metavar in _DIR_METAVARS:
        return "dir"
    if metavar in _FILE_METAVARS or action.dest.endswith("_file") or action.dest in _FILE_DESTS:
        return "file"
    return ""


@dataclass(frozen=True)
class Option:
    """One ``--option`` of one command."""

    flags: tuple[str, ...]
    help: str
    #: The value's name (``DIR``, ``WHEN``), or "" for a flag that takes none.
    metavar: str
    choices: tuple[str, ...]
    #: "file", "dir" or "" (see :func:`_kind`).
    value_kind: str
    required: bool
    repeatable: bool

    @property
    def takes_value(self) -> bool:
        return bool(self.metavar)


@dataclass(frozen=True)
class Positional:
    """One positional argument of one command."""

    name: str
    help: str
    choices: tuple[str, ...]
    value_kind: str
    #: argparse's nargs: None (exactly one), "?", "*" or "+".
    nargs: str | None


@dataclass
class Command:
    """One parser in the tree: ``ydsi`` itself, a group (``user``) or a command (``user add``)."""

    path: tuple[str, ...]
    help: str
    description: str
    options: list[Option] = field(default_factory=list)
    positionals: list[Positional] = field(default_factory=list)
    subcommands: list[Command] = field(default_factory=list)

    @property
    def name(self) -> str:
        return " ".join(("ydsi", *self.path))

    def walk(self) -> list[Command]:
        """This command and every one below it, parents before children."""
        found = [self]
        for sub in self.subcommands:
            found.extend(sub.walk())
        return found

    def own_options(self, common: frozenset[str]) -> list[Option]:
        """The options that are not the common ones every command takes."""
        return [o for o in self.options if not set(o.flags) <= common]


def _metavar(action: argparse.Action) -> str:
    if action.nargs == 0:
        return ""
    if isinstance(action.metavar, str):
        return action.metavar
    return action.dest.upper()


def _option(action: argparse.Action, prog: str) -> Option:
    choices = tuple(str(c) for c in action.choices) if action.choices is not None else ()
    return Option(
        flags=tuple(action.option_strings),
        help=_help(action, prog),
        metavar=_metavar(action),
        choices=choices,
        value_kind=_kind(action) if action.nargs != 0 else "",
        required=bool(action.required),
        repeatable=isinstance(action, argparse._AppendAction),
    )


def _positional(action: argparse.Action, prog: str) -> Positional:
    choices = tuple(str(c) for c in action.choices) if action.choices is not None else ()
    nargs = action.nargs if isinstance(action.nargs, str) else None
    return Positional(
        name=_metavar(action),
        help=_help(action, prog),
        choices=choices,
        value_kind=_kind(action),
        nargs=nargs,
    )


def _build(parser: argparse.ArgumentParser, path: tuple[str, ...], help_text: str) -> Command:
    command = Command(
        path=path, help=help_text, description=" ".join((parser.description or "").split())
    )
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            helps = {a.dest: _help(a, parser.prog) for a in action._choices_actions}
            seen: set[int] = set()
            for name, child in action.choices.items():
                if id(child) in seen:  # an alias of a parser already walked
                    continue
                seen.add(id(child))
                command.subcommands.append(_build(child, (*path, name), helps.get(name, "")))
        elif action.help is argparse.SUPPRESS:
            continue
        elif action.option_strings:
            command.options.append(_option(action, parser.prog))
        else:
            command.positionals.append(_positional(action, parser.prog))
    return command


def command_tree(parser: argparse.ArgumentParser) -> Command:
    """The whole tree under ``parser`` (the root is ``ydsi`` itself, path ``()``)."""
    return _build(parser, (), " ".join((parser.description or "").split()))
