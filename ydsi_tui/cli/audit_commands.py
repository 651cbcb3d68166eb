"""``ydsi audit reads``: who opened which case record, when (the DSL's read audit).

Each read shown is an audit entry ``verify`` accepts (see
:mod:`ydsi_tui.service.read_audit`); an entry that is not is named on
stderr as a problem and the command exits 1, so a script run from cron
notices a tampered log as surely as a person does.
"""

from __future__ import annotations

import argparse

from ..model.timeparse import format_local
from ..service.read_audit import read_audit, read_audit_json, who_words
from .context import Context, open_services
from .output import emit_json, print_table, say, warn

__all__ = ["register"]


def cmd_audit_reads(ctx: Context) -> int:
    a = ctx.args
    with open_services(ctx) as services:
        audit = read_audit(services.session, a.ref)
    if a.json:
        emit_json(read_audit_json(audit))
    else:
        what = f"of {a.ref}" if a.ref else "of case records"
        say(f"{len(audit.rows)} read(s) {what}, oldest first (each one a signed audit entry):")
        print_table(
            ("When", "Who", "Record", "Version", "Entry"),
            [
                (
                    format_local(row.at) if row.at is not None else "?",
                    who_words(row),
                    f"{row.record} {row.ref}" if row.ref else f"{row.record} (reference unknown)",
                    str(row.generation) if row.generation is not None else "",
                    str(row.seq),
                )
                for row in audit.rows
            ],
        )
    for problem in audit.problems:
        warn(f"ydsi: not vouched for: {problem}")
    if audit.problems:
        warn("ydsi: entries above are not shown as anyone's read; run 'ydsi verify --entries'")
        return 1
    return 0


def register(
    sub: argparse._SubParsersAction[argparse.ArgumentParser], common: argparse.ArgumentParser
) -> None:
    audit = sub.add_parser("audit", help="the audit log read for people: who opened what")
    asub = audit.add_subparsers(dest="audit_command", metavar="COMMAND", required=True)
    p = asub.add_parser(
        "reads",
        parents=[common],
        help="who opened which incident, when (DSL only)",
        description="Every read of a case record the audit log vouches for (chain, signature, "
        "the signer's right, as 'ydsi verify' checks), oldest first: who, which record, "
        "when, which version. An entry that fails those checks is named on stderr, never "
        "shown as a read, and the exit status is 1. DSL only.",
    )
    p.add_argument("--ref", metavar="REF", help="only the reads of this incident")
    p.add_argument("--json", action="store_true", help="print JSON (see service/read_audit.py)")
    p.set_defaults(func=cmd_audit_reads)
