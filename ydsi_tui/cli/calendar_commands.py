"""``ydsi calendar``: the school's term and INSET dates, shown to anyone, set by a DSL.

They count in every school-day deadline (a transfer's receipt), so they are
a vault setting in the signed header (service/calendar.py), never a line in
someone's config file.
"""

from __future__ import annotations

import argparse
from datetime import date, datetime
from pathlib import Path

from ..model.schoolyear import SchoolCalendar
from ..model.timeparse import format_local
from ..service.calendar import (
    CalendarFileError,
    approve_calendar,
    read_calendar_file,
    vault_calendar,
)
from .context import CliError, Context
from .output import emit_json, safe, say

__all__ = ["register"]


def _day(day: date) -> str:
    return f"{day:%a %d/%m/%Y}"


def _show(calendar: SchoolCalendar) -> None:
    for first, last in calendar.terms:
        say(f"  term  {_day(first)} to {_day(last)}")
    for day in calendar.inset:
        say(f"  INSET {_day(day)}")


def cmd_calendar_show(ctx: Context) -> int:
    vault = ctx.open_vault()
    header = vault.header
    calendar = vault_calendar(header)
    if ctx.args.json:
        emit_json(
            None
            if calendar is None or header.calendar is None
            else {
                **calendar.to_doc(),
                "approved_by": header.owner_name(str(header.calendar["approved_by"])),
                "approved_at": header.calendar["approved_at"],
            }
        )
        return 0
    if calendar is None or header.calendar is None:
        say(
            "No term or INSET dates are approved for this vault: school days are Monday to "
            "Friday less bank holidays. A DSL sets them with 'ydsi calendar set FILE'."
        )
        return 0
    who = header.owner_name(str(header.calendar["approved_by"]))
    try:
        when = format_local(datetime.fromisoformat(str(header.calendar["approved_at"])))
    except ValueError:
        when = str(header.calendar["approved_at"])
    say(f"School calendar approved by {safe(who)} on {safe(when)}:")
    _show(calendar)
    say(
        "School-day deadlines count only term days that are not INSET days or bank holidays, "
        f"from {_day(calendar.terms[0][0])} to {_day(calendar.terms[-1][1])}; outside that, "
        "every weekday but a bank holiday."
    )
    return 0


def cmd_calendar_set(ctx: Context) -> int:
    calendar: SchoolCalendar | None = None
    if not ctx.args.clear:
        if not ctx.args.file:
            raise CliError("name the calendar file (or --clear to remove the dates)")
        try:
            calendar = read_calendar_file(Path(ctx.args.file).expanduser())
        except CalendarFileError as exc:
            raise CliError(str(exc)) from None
    elif ctx.args.file:
        raise CliError("give a calendar file or --clear, not both")
    session = ctx.unlock()
    try:
        changed = approve_calendar(session, calendar)
    finally:
        session.close()
    if calendar is None:
        say("Removed the term and INSET dates." if changed else "No dates were set.")
        return 0
    say(
        f"Approved {len(calendar.terms)} terms and {len(calendar.inset)} INSET days "
        f"(signed, in the audit log):"
        if changed
        else "These dates are already approved:"
    )
    _show(calendar)
    return 0


def register(
    sub: argparse._SubParsersAction[argparse.ArgumentParser], common: argparse.ArgumentParser
) -> None:
    calendar = sub.add_parser(
        "calendar",
        help="the school's term and INSET dates, which school-day deadlines count",
        description="School-day deadlines (a transfer's receipt) count Monday to Friday, less "
        "bank holidays, and, once a DSL approves the school's own dates, only term days that "
        'are not INSET days. The file is TOML: terms = [["2026-09-03", "2026-10-23"], ...] '
        'and inset = ["2026-09-03", ...].',
    )
    csub = calendar.add_subparsers(dest="calendar_command", metavar="COMMAND", required=True)
    p = csub.add_parser("show", parents=[common], help="the approved dates (no passphrase)")
    p.add_argument("--json", action="store_true", help="print JSON: {terms, inset, ...} or null")
    p.set_defaults(func=cmd_calendar_show)
    p = csub.add_parser(
        "set", parents=[common], help="approve the term and INSET dates in FILE (a DSL)"
    )
    p.add_argument("file", nargs="?", help="a TOML file: terms = [[first, last], ...], inset")
    p.add_argument("--clear", action="store_true", help="remove the dates (bank holidays only)")
    p.set_defaults(func=cmd_calendar_set)
