"""``ydsi disclose``: any member of staff reports a concern, with no passphrase (issue 13).

Its own module, importing only what filing needs (no vault session, no
reports, no PDF library): a member of staff waits for its start-up, and
``main.run`` builds just this command when it is the one asked for
(``tests/bench_disclose.py`` measures start to receipt).
"""

from __future__ import annotations

import argparse
import sys

from ..service.staff_reports import (
    ABOUT_HEADTEACHER_NOTICE,
    Disclosure,
    file_staff_report,
    receipt_text,
    reporter_state_dir,
    young_people_from,
)
from .content import Field, takes_content
from .context import CliError, Context
from .output import emit_json, say, warn

__all__ = ["register"]


def _at_terminal(_args: argparse.Namespace) -> bool:
    """Ask every question at a terminal; from a file only the words are required."""
    return sys.stdin is not None and sys.stdin.isatty()


def _ask_line(prompt: str, what: str) -> str:
    """Ask at a terminal; with none (a script, ssh without a tty) refuse in one line."""
    flag = "--" + what.replace(" ", "-")
    if sys.stdin is None or not sys.stdin.isatty():
        raise CliError(f"no {what} given: nothing was filed (give it with {flag})")
    warn(f"{prompt}:")
    try:
        got = sys.stdin.readline()
    except (OSError, ValueError):
        got = ""
    if not got.strip():
        raise CliError(f"no {what} given: nothing was filed (give it with {flag})")
    return got.rstrip("\r\n")


def cmd_disclose(ctx: Context) -> int:
    args = ctx.args
    if getattr(args, "passphrase_file", None):
        raise CliError(
            "ydsi disclose takes no passphrase: anyone with a login may file, and no "
            "passphrase opens a report once filed"
        )
    # Over ssh with ForceCommand no option can be given: the name and title may
    # then come as "name:" and "job_title:" lines of the fields on stdin.
    name = args.name or getattr(args, "name_in_fields", None) or _ask_line("Your name", "name")
    title = (
        args.job_title
        or getattr(args, "job_title_in_fields", None)
        or _ask_line("Your job title", "job title")
    )
    disclosure = Disclosure(
        reporter_name=name,
        job_title=title,
        words=args.words or "",
        disclosed_by=args.disclosed_by or "",
        disclosed_when_text=args.disclosed_when or "",
        how=args.how or "",
        young_people=young_people_from(args.young_people or []),
        already_done=args.already_done or "",
        about_staff=bool(args.about_staff),
        about_headteacher=bool(args.about_headteacher),
    )
    if disclosure.about_headteacher:
        warn(ABOUT_HEADTEACHER_NOTICE)
    receipt = file_staff_report(
        disclosure,
        spool=ctx.settings.drop_spool,
        pin_file=ctx.settings.drop_authority,
        state_dir=reporter_state_dir(),
    )
    if args.json:
        emit_json(
            {
                "report_id": receipt.report_id,
                "filed_at": receipt.filed_at.isoformat(),
                "sha256": receipt.digest,
            }
        )
        return 0
    say(receipt_text(receipt))
    return 0


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser(
        "disclose",
        help="report a concern to the DSL (any member of staff; no passphrase)",
        description="Write a report for the DSL: what was disclosed in the young person's "
        "words, who disclosed, when and how, the young people involved, what you did. It is "
        "sealed so that only the DSL and safeguarding team (or, for a report about a member "
        "of staff, the Headteacher alone) can read it; you get a receipt, not a copy.",
    )
    p.add_argument(
        "--vault", metavar="DIR", help="the vault the spool belongs to (not read: no access needed)"
    )
    p.add_argument(
        "--spool", metavar="DIR", help="the staff-report spool (default /var/spool/ydsi)"
    )
    p.add_argument("--name", metavar="NAME", help="your name (asked if not given)")
    p.add_argument("--job-title", metavar="TITLE", help="your job title (asked if not given)")
    p.add_argument(
        "--about-staff",
        action="store_true",
        help="an allegation against an adult in school: sealed to the Headteacher only",
    )
    p.add_argument(
        "--about-headteacher",
        action="store_true",
        help="an allegation against the Headteacher: sealed to the key the school names "
        "(its content only: the Headteacher can see that a report they cannot open was filed)",
    )
    p.add_argument("--json", action="store_true", help="print the receipt as JSON")
    # The options every command takes, accepted so that scripts and wrappers that
    # pass them to any ydsi command still work; hidden, since none applies here:
    # the login (not --user) is who files, and a passphrase is refused outright.
    p.add_argument("--allow-argv", action="store_true", help=argparse.SUPPRESS)
    p.add_argument("--user", help=argparse.SUPPRESS)
    p.add_argument("--passphrase-file", help=argparse.SUPPRESS)
    takes_content(
        p,
        Field(
            "words",
            "--words",
            "what was disclosed, in the young person's words as far as you remember them",
            True,
            long=True,
        ),
        Field(
            "disclosed_by",
            "--disclosed-by",
            "who disclosed it (a pupil, a parent, ...)",
            _at_terminal,
        ),
        Field(
            "disclosed_when",
            "--disclosed-when",
            "when it was disclosed, as you remember",
            _at_terminal,
        ),
        Field("how", "--how", "how it came to light", _at_terminal),
        Field(
            "young_people",
            "--young-person",
            "the young people involved (comma-separated)",
            _at_terminal,
            many=True,
        ),
        Field("already_done", "--already-done", "what you have done already", _at_terminal),
        # Your own name and title: --name and --job-title above, or in the fields.
        Field("name", "--name", "your name", attr="name_in_fields"),
        Field("job_title", "--job-title", "your job title", attr="job_title_in_fields"),
        primary="words",
    )
    p.set_defaults(func=cmd_disclose)
