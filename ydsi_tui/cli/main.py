"""``ydsi``: the entry point.

Every failure is one clear line on stderr and a distinct exit code, never a
traceback: a traceback can print local variables, and here those may be a
pupil's name or a passphrase.

Exit codes: 0 done; 1 verify found problems, or another refusal; 2 usage or
invalid input; 3 wrong passphrase; 4 no such vault, user or record;
5 damaged or tampered file; 6 not saved (the disk refused); 7 changed by
someone else meanwhile; 8 not allowed for your role; 9 vault busy;
70 internal error; 130 interrupted.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence
from typing import NoReturn

from .. import __version__
from .context import CliError, Context, user_name
from .output import safe, warn

__all__ = ["EXIT_CODES", "build_parser", "main"]

#: Every exit status ``ydsi`` uses, and what it means (``ydsi --help`` lists them).
EXIT_CODES: dict[int, str] = {
    0: "done",
    1: "verify found problems, or another refusal",
    2: "usage or invalid input",
    3: "wrong passphrase",
    4: "no such vault, user or record",
    5: "damaged or tampered file, or a newer format",
    6: "not saved (the disk refused)",
    7: "changed by someone else meanwhile",
    8: "not allowed for your role",
    9: "vault busy",
    130: "interrupted",
}


class Parser(argparse.ArgumentParser):
    """argparse, but a usage error is one safe line: what is wrong, and where to look.

    argparse's own error prints the whole usage block and then echoes the bad
    value raw, so a value holding terminal escapes would reach the terminal
    as typed. Here it is shown through :func:`safe`, with a pointer to
    ``--help`` instead of the block.
    """

    def error(self, message: str) -> NoReturn:
        warn(f"{self.prog}: {safe(message)} (see '{self.prog} --help')")
        self.exit(2)


def _epilog() -> str:
    """The settings and exit codes, for ``ydsi --help`` (from the tables the code uses)."""
    from ..settings import SPECS

    lines = [
        "settings: /etc/ydsi/config.toml ($YDSI_SYSTEM_CONFIG), then",
        "~/.config/ydsi/config.toml, then variables, then options; 'ydsi config' shows them:",
    ]
    for spec in SPECS:
        option = f" {spec.option}" if spec.option else ""
        lines.append(f"  {spec.key:<11} ${spec.env}{option}: {spec.help}")
    lines += ["", "exit status:"]
    lines += [f"  {code:<4} {meaning}" for code, meaning in EXIT_CODES.items()]
    lines.append("  70   internal error: a bug, never your input (please report it)")
    return "\n".join(lines)


def build_parser() -> argparse.ArgumentParser:
    from . import (
        attention_commands,
        audit_commands,
        calendar_commands,
        completion,
        config_commands,
        doctor_commands,
        drop_commands,
        manpage,
        policy_commands,
        record_commands,
        repair_commands,
        report_commands,
        vault_commands,
    )

    # SUPPRESS: an option left out after the command must not overwrite the same
    # option given before it (``ydsi --vault V incident list``).
    common = Parser(add_help=False, argument_default=argparse.SUPPRESS)
    common.add_argument(
        "--vault", metavar="DIR", help="the vault directory (default: $YDSI_VAULT or your data dir)"
    )
    common.add_argument(
        "--user",
        metavar="NAME",
        type=user_name,
        help="who you are in the vault (default: $YDSI_USER or login)",
    )
    common.add_argument(
        "--passphrase-file",
        metavar="FILE",
        help="read your passphrase from FILE (for scripts; must be readable by you alone)",
    )
    common.add_argument(
        "--allow-argv",
        action="store_true",
        help="accept record content (names, notes, reasons) as arguments, though every user "
        "of the server can read them in the process list (safe only if /proc is mounted "
        "hidepid=2; by default content comes from a prompt, --text-file or --fields-file)",
    )
    parser: argparse.ArgumentParser = Parser(
        prog="ydsi",
        epilog=_epilog(),
        formatter_class=argparse.RawDescriptionHelpFormatter,
        description="The Designated Safeguarding Lead's encrypted record of incidents of "
        "youth-produced sexual imagery, step by step through the school's procedure. "
        "Run with no command to open the app.",
        parents=[common],
    )
    parser.add_argument("--version", action="version", version=f"ydsi {__version__}")
    parser.add_argument(
        "--demo",
        action="store_true",
        help="open a demo vault of made-up people (created on first use)",
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    vault_commands.register(sub, common)
    record_commands.register(sub, common)
    report_commands.register(sub, common)
    policy_commands.register(sub, common)
    repair_commands.register(sub, common)
    config_commands.register(sub, common)
    doctor_commands.register(sub, common)
    calendar_commands.register(sub, common)
    audit_commands.register(sub, common)
    drop_commands.register(sub, common)
    attention_commands.register(sub, common)
    completion.register(sub, common)
    manpage.register(sub, common)
    return parser


def _check_text_arguments(args: argparse.Namespace) -> None:
    """Arguments that were not valid UTF-8 arrive as lone surrogates: refuse them."""
    for name, value in vars(args).items():
        values = value if isinstance(value, list) else [value]
        for item in values:
            if isinstance(item, str):
                try:
                    item.encode("utf-8")
                except UnicodeEncodeError:
                    raise CliError(
                        f"--{name.replace('_', '-')} is not valid UTF-8 text: check the terminal's "
                        "character set"
                    ) from None


def _disclose_parser() -> argparse.ArgumentParser:
    """Only ``ydsi disclose``: what a member of staff runs, built without the rest (fast)."""
    from . import disclose_command

    parser: argparse.ArgumentParser = Parser(prog="ydsi")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    disclose_command.register(sub)
    return parser


def run(argv: Sequence[str] | None = None) -> int:
    given = list(sys.argv[1:] if argv is None else argv)
    parser = _disclose_parser() if given[:1] == ["disclose"] else build_parser()
    args = parser.parse_args(given)
    _check_text_arguments(args)
    ctx = Context(args)
    if args.command not in ("config", "completion", "manpage"):  # these need no settings
        # A config file's policy (and PDF font) reach the service as the
        # environment would; a bad policy setting stops here.
        ctx.settings.export_to_environment(os.environ)
    if args.command is None:
        from .app_launch import launch

        return launch(ctx, demo=args.demo)
    from .content import resolve_content

    resolve_content(ctx)  # names and notes from files, stdin or prompts, never argv
    func = args.func
    result = func(ctx)
    return int(result)


def main(argv: Sequence[str] | None = None) -> int:
    """Run a command; translate every failure into one line and an exit code."""
    from ..model.errors import ValidationError
    from ..settings import SettingsError
    from ..vault import errors as ve

    codes: list[tuple[type[BaseException], int]] = [
        (CliError, 2),
        (ValidationError, 2),
        (SettingsError, 2),
        (ve.WrongPassphrase, 3),
        (ve.VaultNotFound, 4),
        (ve.UnknownUser, 4),
        (ve.RecordNotFound, 4),
        (ve.DamagedFile, 5),
        (ve.NewerFormat, 5),
        (ve.NotSaved, 6),
        (ve.Conflict, 7),
        (ve.AccessDenied, 8),
        (ve.VaultBusy, 9),
        (ve.VaultError, 1),
    ]
    try:
        code = run(argv)
    except SystemExit as exc:  # argparse's own usage errors and --help
        code = exc.code if isinstance(exc.code, int) else 2
    except KeyboardInterrupt:
        warn("ydsi: interrupted; nothing half-saved")
        code = 130
    except BrokenPipeError:
        code = 0
    except OSError as exc:
        # A file the user named (an output, a policy, a backup) that cannot be
        # used: say which and why; the vault's own file errors arrive as
        # VaultError subclasses below and never get here.
        code = _os_error(exc)
    except Exception as exc:  # noqa: BLE001 - the one place that must catch everything
        for kind, number in codes:
            if isinstance(exc, kind):
                # Messages may quote a path or a name as typed: shown, never obeyed.
                warn(f"ydsi: {safe(str(exc))}")
                code = number
                break
        else:
            # Deliberately no traceback and no str(exc): either may carry record text.
            warn(
                f"ydsi: internal error ({type(exc).__name__}); nothing was saved half-way. "
                "Please report what you were doing."
            )
            code = 70
    return code


def _os_error(exc: OSError) -> int:
    """One line for a file the user named; 1 if it exists already (a refusal), else 2."""
    code = 1 if isinstance(exc, FileExistsError) else 2
    reason = exc.strerror or type(exc).__name__
    if exc.filename is not None:
        warn(f"ydsi: cannot use {safe(str(exc.filename))}: {reason}")
    else:
        warn(f"ydsi: a file could not be used: {reason}")
    return code


def entry() -> None:
    sys.exit(main())


if __name__ == "__main__":
    entry()
