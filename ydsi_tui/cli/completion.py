"""``ydsi completion bash|zsh``: a shell completion script made from the parser itself.

The script is printed, not shipped as a file, so it always matches the ydsi
that prints it: a command added to the parser is completed by the next
``ydsi completion bash``, with nothing to keep in step by hand. It completes
commands, options, the choices an option or argument takes, and file or
directory names where a value is a path; record content (names, notes) is
never offered, since completion would read nothing from the vault anyway.

Install (either shell reads it on its next start)::

    ydsi completion bash > ~/.local/share/bash-completion/completions/ydsi
    ydsi completion zsh > ~/.zfunc/_ydsi    # with fpath=(~/.zfunc $fpath) before compinit

or system-wide into ``/usr/share/bash-completion/completions/ydsi`` and
``/usr/share/zsh/vendor-completions/_ydsi``.
"""

from __future__ import annotations

import argparse
import re
from collections.abc import Iterable

from .. import __version__
from .commandtree import Command, Option, Positional, command_tree
from .context import Context
from .output import say_block

__all__ = ["SHELLS", "bash_script", "common_flags", "register", "zsh_script"]

SHELLS = ("bash", "zsh")

#: What may appear as a bare word in a script: anything else would need quoting
#: rules of its own, and the parser has no such names (a test walks it all).
_WORD = re.compile(r"[A-Za-z0-9_.+-][A-Za-z0-9_.+|-]*")


def _word(text: str) -> str:
    if not _WORD.fullmatch(text):
        raise ValueError(f"a command, option or choice that needs quoting: {text!r}")
    return text


def _words(texts: Iterable[str]) -> str:
    return " ".join(_word(t) for t in texts)


def common_flags(root: Command) -> frozenset[str]:
    """The option flags every command takes (``--vault``, ``--user``, ``--help`` ...)."""
    leaves = [c for c in root.walk() if not c.subcommands]
    return frozenset(
        flag
        for option in root.options
        for flag in option.flags
        if all(any(flag in o.flags for o in leaf.options) for leaf in leaves)
    )


def _kind(value_kind: str, choices: tuple[str, ...]) -> str:
    """How to complete a value: ``choices:a b``, ``file``, ``dir`` or ``text``."""
    if choices:
        return "choices:" + _words(choices)
    return value_kind or "text"


# ---------------------------------------------------------------- bash

_BASH_MAIN = r"""
_ydsi_complete_kind() {
    # $1: what to offer for the word being typed ($cur): choices, files, directories.
    case $1 in
        choices:*) mapfile -t COMPREPLY < <(compgen -W "${1#choices:}" -- "$cur") ;;
        file)
            compopt -o filenames 2>/dev/null
            mapfile -t COMPREPLY < <(compgen -f -- "$cur")
            ;;
        dir)
            compopt -o filenames 2>/dev/null
            mapfile -t COMPREPLY < <(compgen -d -- "$cur")
            ;;
        *) COMPREPLY=() ;;
    esac
}

_ydsi() {
    local REPLY cur path='' value_of='' word join=0 i npos=0
    local -a words=()
    COMPREPLY=()
    # bash splits '--vault=DIR' at '='; put such words back together.
    for ((i = 0; i <= COMP_CWORD; i++)); do
        word=${COMP_WORDS[i]}
        if [ "$word" = "=" ] && [ "${#words[@]}" -gt 0 ]; then
            words[${#words[@]}-1]+="="
            join=1
        elif [ "$join" = 1 ]; then
            words[${#words[@]}-1]+=$word
            join=0
        else
            words+=("$word")
        fi
    done
    cur=${words[${#words[@]}-1]}
    # Walk the words before the cursor: commands extend the path, options may
    # take the next word as their value, anything else is a positional.
    i=1
    while [ "$i" -lt $((${#words[@]} - 1)) ]; do
        word=${words[i]}
        i=$((i + 1))
        case $word in
            --*=*) ;;
            -*)
                _ydsi_value "$path" "$word"
                if [ -n "$REPLY" ]; then
                    if [ "$i" -eq $((${#words[@]} - 1)) ]; then
                        value_of=$word
                    fi
                    i=$((i + 1))
                fi
                ;;
            *)
                _ydsi_subcommands "$path"
                case " $REPLY " in
                    *" $word "*)
                        path=${path:+$path }$word
                        npos=0
                        ;;
                    *) npos=$((npos + 1)) ;;
                esac
                ;;
        esac
    done
    case $cur in
        --*=*)
            value_of=${cur%%=*}
            cur=${cur#*=}
            ;;
    esac
    if [ -n "$value_of" ]; then
        _ydsi_value "$path" "$value_of"
        _ydsi_complete_kind "$REPLY"
        return 0
    fi
    case $cur in
        -*)
            _ydsi_options "$path"
            mapfile -t COMPREPLY < <(compgen -W "$REPLY" -- "$cur")
            return 0
            ;;
    esac
    _ydsi_subcommands "$path"
    if [ -n "$REPLY" ]; then
        mapfile -t COMPREPLY < <(compgen -W "$REPLY" -- "$cur")
        return 0
    fi
    _ydsi_positional "$path" "$npos"
    _ydsi_complete_kind "$REPLY"
    return 0
}

complete -F _ydsi ydsi
"""


def _bash_case(function: str, comment: str, entries: list[tuple[str, str]]) -> list[str]:
    lines = [f"{function}() {{", f"    # {comment}", "    case $1 in"]
    lines += [f"        {pattern}) REPLY='{value}' ;;" for pattern, value in entries]
    lines += ["        *) REPLY='' ;;", "    esac", "}", ""]
    return lines


def _positional_entries(command: Command) -> list[tuple[str, str]]:
    """``'PATH 0'`` -> what the first positional takes, and so on (a last ``*`` one repeats)."""
    key = _words(command.path)
    entries: list[tuple[str, str]] = []
    for index, positional in enumerate(command.positionals):
        kind = _kind(positional.value_kind, positional.choices)
        entries.append((f"'{key} {index}'", kind))
        if positional.nargs in ("*", "+") and index == len(command.positionals) - 1:
            entries.append((f"'{key} '[0-9]*", kind))  # after the ones before it: first wins
    return entries


def bash_script(parser: argparse.ArgumentParser) -> str:
    """The bash completion script for ``parser`` (``ydsi``'s own, in practice)."""
    root = command_tree(parser)
    common = common_flags(root)
    commands = root.walk()
    subcommands = [
        (f"'{_words(c.path)}'", _words(s.path[-1] for s in c.subcommands))
        for c in commands
        if c.subcommands
    ]
    options = [
        (f"'{_words(c.path)}'", _words(f for o in c.options for f in o.flags)) for c in commands
    ]
    values: list[tuple[str, str]] = []
    for command in commands:
        for option in command.own_options(common):
            if option.takes_value:
                key = _words(command.path)
                values += [
                    (f"'{key}|{_word(flag)}'", _option_kind(option)) for flag in option.flags
                ]
    for option in root.options:  # the common ones: the same under every command
        if option.takes_value and set(option.flags) <= common:
            values += [(f"*'|{_word(flag)}'", _option_kind(option)) for flag in option.flags]
    positionals = [entry for c in commands for entry in _positional_entries(c)]
    lines = [
        f"# bash completion for ydsi {__version__}, made from its own parser",
        "# by 'ydsi completion bash': change the parser, not this file.",
        "# Install: ydsi completion bash > ~/.local/share/bash-completion/completions/ydsi",
        "",
    ]
    lines += _bash_case(
        "_ydsi_subcommands", "$1: a command path; the commands under it", subcommands
    )
    lines += _bash_case("_ydsi_options", "$1: a command path; the options it takes", options)
    lines += _bash_case(
        "_ydsi_value_of", "$1: 'PATH|OPTION'; what its value is ('' for a flag)", values
    )
    lines += _bash_case(
        "_ydsi_positional_of", "$1: 'PATH N'; what the Nth positional is", positionals
    )
    lines += [
        '_ydsi_value() { _ydsi_value_of "$1|$2"; }',
        '_ydsi_positional() { _ydsi_positional_of "$1 $2"; }',
    ]
    return "\n".join(lines) + _BASH_MAIN


def _option_kind(option: Option) -> str:
    return _kind(option.value_kind, option.choices)


# ---------------------------------------------------------------- zsh


def _zsh_quote(text: str) -> str:
    """Inside single quotes: a quote becomes '\\''."""
    return text.replace("'", "'\\''")


def _zsh_escape(text: str) -> str:
    """For _arguments' brackets and messages: backslash before what it parses."""
    return re.sub(r"([\\\[\]:])", r"\\\1", text)


def _zsh_action(kind: str, choices: tuple[str, ...]) -> str:
    if choices:
        return "(" + _words(choices) + ")"
    return {"file": "_files", "dir": "_files -/"}.get(kind, " ")


def _zsh_option_specs(option: Option) -> list[str]:
    specs = []
    for flag in option.flags:
        spec = ("*" if option.repeatable else "") + _word(flag)
        if option.takes_value:
            spec += "=" if flag.startswith("--") else "+"
        spec += f"[{_zsh_escape(option.help)}]"
        if option.takes_value:
            action = _zsh_action(option.value_kind, option.choices)
            spec += f":{_zsh_escape(option.metavar)}:{action}"
        specs.append(spec)
    return specs


def _zsh_positional_spec(positional: Positional) -> str:
    lead = {"?": "::", "*": "*:", "+": "*:"}.get(positional.nargs or "", ":")
    action = _zsh_action(positional.value_kind, positional.choices)
    return f"{lead}{_zsh_escape(positional.name)}:{action}"


def _zsh_function(command: Command) -> str:
    return "_" + "__".join(("ydsi", *(part.replace("-", "_") for part in command.path)))


def _zsh_node(command: Command) -> list[str]:
    """One function per command: its options and arguments, and its commands' functions."""
    specs = [spec for option in command.options for spec in _zsh_option_specs(option)]
    specs += [_zsh_positional_spec(p) for p in command.positionals]
    name = _zsh_function(command)
    if not command.subcommands:
        quoted = [f"        '{_zsh_quote(spec)}'" for spec in specs]
        return [f"{name}() {{", "    _arguments -s -S \\", " \\\n".join(quoted), "}", ""]
    specs += [": :->command", "*:: :->argument"]
    quoted = [f"        '{_zsh_quote(spec)}'" for spec in specs]
    items = [f"{_word(sub.path[-1])}:{sub.help}" for sub in command.subcommands]
    lines = [
        f"{name}() {{",
        "    local curcontext=$curcontext state state_descr line ret=1",
        "    typeset -A opt_args",
        "    _arguments -C -s -S \\",
        " \\\n".join(quoted) + " && ret=0",
        "    case $state in",
        "        command)",
        "            local -a commands",
        "            commands=(",
        *(f"                '{_zsh_quote(item)}'" for item in items),
        "            )",
        f"            _describe -t commands '{_zsh_quote(command.name)} command' commands && ret=0",
        "            ;;",
        "        argument)",
        "            case $words[1] in",
        *(
            f"                {_word(sub.path[-1])}) {_zsh_function(sub)} && ret=0 ;;"
            for sub in command.subcommands
        ),
        "            esac",
        "            ;;",
        "    esac",
        "    return ret",
        "}",
        "",
    ]
    return lines


def zsh_script(parser: argparse.ArgumentParser) -> str:
    """The zsh completion function for ``parser``, for fpath or for ``source``."""
    root = command_tree(parser)
    lines = [
        "#compdef ydsi",
        f"# zsh completion for ydsi {__version__}, made from its own parser",
        "# by 'ydsi completion zsh': change the parser, not this file.",
        "# Install: ydsi completion zsh > ~/.zfunc/_ydsi (with fpath=(~/.zfunc $fpath)).",
        "",
    ]
    for command in root.walk():
        lines += _zsh_node(command)
    lines += [
        'if [ "${funcstack[1]}" = _ydsi ]; then',
        '    _ydsi "$@"',
        "else",
        "    compdef _ydsi ydsi",
        "fi",
    ]
    return "\n".join(lines) + "\n"


# ---------------------------------------------------------------- the command


def cmd_completion(ctx: Context) -> int:
    from .main import build_parser  # the whole tree, as ydsi itself parses it

    script = {"bash": bash_script, "zsh": zsh_script}[ctx.args.shell](build_parser())
    say_block(script)
    return 0


def register(
    sub: argparse._SubParsersAction[argparse.ArgumentParser], common: argparse.ArgumentParser
) -> None:
    p = sub.add_parser(
        "completion",
        parents=[common],
        help="print a shell completion script (bash or zsh)",
        description="Print a completion script for SHELL, made from this ydsi's own commands "
        "and options. bash: ydsi completion bash > "
        "~/.local/share/bash-completion/completions/ydsi; zsh: ydsi completion zsh > "
        "~/.zfunc/_ydsi, with fpath=(~/.zfunc $fpath) before compinit in ~/.zshrc. "
        "It reads no vault.",
    )
    p.add_argument("shell", choices=SHELLS, metavar="SHELL", help="bash or zsh")
    p.set_defaults(func=cmd_completion)
