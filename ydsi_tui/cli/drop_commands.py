"""``ydsi inbox`` and ``ydsi drop``: the triage side of the write-only staff-report drop.

``disclose`` (disclose_command.py) is for any member of staff with a login:
no passphrase, no vault membership, nothing to read back. ``inbox`` is the
triage side (a DSL, the Headteacher or a team member, unlocked): new reports are logged as
received, listed without content, and opened one at a time (audited).
``drop publish`` is a DSL's: it signs the drop key into the spool and prints
the authority key root pins for reporters at ``/etc/ydsi/authority.pub``.
"""

from __future__ import annotations

import argparse
import os
from datetime import datetime
from pathlib import Path

from ..model.timeparse import format_local
from ..service.staff_reports import (
    open_staff_report,
    open_with_named_key,
    receive_staff_reports,
)
from ..vault.drop import (
    DROP_KEY_NAME,
    DropError,
    keygen_recipient,
    parse_recipient,
    pin_text,
)
from ..vault.drop_inbox import ReceivedReport
from . import disclose_command
from .context import CliError, Context
from .output import emit_json, print_table, safe, say

__all__ = ["register"]


def _when(text: str) -> str:
    try:
        return format_local(datetime.fromisoformat(text.replace("Z", "+00:00")))
    except ValueError:
        return text


def _row(report: ReceivedReport, who: dict[str, str]) -> dict[str, object]:
    return {
        "report_id": report.report_id,
        "received_at": report.received_at,
        "filed_by_login": report.owner_login,
        "owner_uid": report.owner_uid,
        "sealed_to_headteacher_only": report.sealed_to_headteacher_only,
        "sealed_for": report.sealed_for,
        "opened": report.opened,
        "opened_by": who.get(report.opened_by, report.opened_by),
        "in_spool": report.in_spool,
    }


def cmd_inbox_list(ctx: Context) -> int:
    session = ctx.unlock()
    try:
        reports = receive_staff_reports(session, ctx.settings.drop_spool)
        header = session.vault.header
        who = {u.id: u.name for u in header.users}
    finally:
        session.close()
    rows = [_row(r, who) for r in reports]
    if ctx.args.json:
        emit_json(rows)
        return 0
    new = [r for r in reports if not r.opened]
    if not reports:
        say("No reports from staff.")
        return 0
    say(f"{len(new)} new report{'s' if len(new) != 1 else ''} from staff ({len(reports)} in all).")
    table: list[list[str]] = []
    for r in reports:
        if r.sealed_for == "headteacher":
            state = "about staff: for the Headteacher only"
        elif r.sealed_for == "about_headteacher":
            state = "about the Headteacher: for the named key only"
        elif r.opened:
            state = f"opened by {who.get(r.opened_by, r.opened_by[:8])}"
        else:
            state = "NEW"
        if not r.in_spool:
            state += " (MISSING from the spool: run 'ydsi verify')"
        table.append([r.report_id, _when(r.received_at), r.owner_login or str(r.owner_uid), state])
    print_table(["report", "received", "login", "state"], table)
    return 0


def cmd_inbox_open(ctx: Context) -> int:
    if ctx.args.key_file:
        key = Path(ctx.args.key_file).expanduser()
        report = open_with_named_key(ctx.settings.drop_spool, ctx.args.report_id, key)
    else:
        session = ctx.unlock()
        try:
            report = open_staff_report(session, ctx.settings.drop_spool, ctx.args.report_id)
        finally:
            session.close()
    if ctx.args.json:
        emit_json(
            {
                "report_id": report.report_id,
                "reporter_name": report.reporter_name,
                "job_title": report.job_title,
                "words": report.words,
                "disclosed_by": report.disclosed_by,
                "disclosed_when": report.disclosed_when_text,
                "how": report.how,
                "young_people": list(report.young_people),
                "already_done": report.already_done,
                "about_staff": report.about_staff,
                "filed_at": report.filed_at.isoformat(),
                "owner_uid": report.owner_uid,
                "owner_login": report.owner_login,
            }
        )
        return 0
    login = report.owner_login or f"uid {report.owner_uid}"
    say(f"Report {report.report_id}, filed {format_local(report.filed_at)} by login {safe(login)}")
    say(
        f"Name given: {safe(report.reporter_name)} ({safe(report.job_title)}) "
        "(as typed: the login is the server's word, the name is not proof)"
    )
    if report.about_staff:
        say("This report is about a member of staff.")
    for label, value in (
        ("Who disclosed", report.disclosed_by),
        ("When", report.disclosed_when_text),
        ("How it came to light", report.how),
        ("Young people", ", ".join(report.young_people)),
        ("Already done", report.already_done),
    ):
        if value:
            say(f"{label}: {safe(value)}")
    say("In the young person's words:")
    say(safe(report.words, multiline=True))
    return 0


def cmd_drop_publish(ctx: Context) -> int:
    spool = ctx.settings.drop_spool
    about = ctx.settings.drop_about_headteacher_key
    session = ctx.unlock()
    try:
        key = session.publish_drop_key(
            spool, about_headteacher=parse_recipient(about) if about else None
        )
    finally:
        session.close()
    pin = pin_text(key.vault_id, key.authority[-1].public)
    if ctx.args.pin_file:
        target = Path(ctx.args.pin_file).expanduser()
        try:
            fd = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o644)
        except FileExistsError:
            raise CliError(f"{target} exists already: remove it first (nothing written)") from None
        with os.fdopen(fd, "w", encoding="ascii") as out:
            out.write(pin)
    say(f"Published the drop key (serial {key.serial}) to {spool / DROP_KEY_NAME}.")
    say("Root installs this line as /etc/ydsi/authority.pub (mode 0644) once, for reporters:")
    say(pin.rstrip("\n"))
    return 0


def cmd_drop_keygen(ctx: Context) -> int:
    target = Path(ctx.args.out).expanduser()
    try:
        line = keygen_recipient(target)
    except DropError as exc:
        raise CliError(str(exc)) from None
    say(f"Wrote the private key to {target} (0600): keep it off the server, with its holder.")
    say("Name the public key in /etc/ydsi/config.toml for reports about the Headteacher:")
    say(f'drop_about_headteacher_key = "{line}"')
    return 0


def register(
    sub: argparse._SubParsersAction[argparse.ArgumentParser], common: argparse.ArgumentParser
) -> None:
    disclose_command.register(sub)
    inbox = sub.add_parser(
        "inbox",
        help="reports from staff: list them (no content) and open one (audited)",
        description="Reports filed with 'ydsi disclose'. Listing logs each new one as received "
        "(its id, its hash and its owner's login, never its content) so that 'ydsi verify' "
        "notices one deleted or altered afterwards.",
    )
    isub = inbox.add_subparsers(dest="inbox_command", metavar="COMMAND", required=True)
    q = isub.add_parser("list", parents=[common], help="every report received, newest last")
    q.add_argument("--spool", metavar="DIR", help="the staff-report spool")
    q.add_argument("--json", action="store_true", help="print JSON (a list of report rows)")
    q.set_defaults(func=cmd_inbox_list)
    q = isub.add_parser("open", parents=[common], help="open one report (audited)")
    q.add_argument("report_id", metavar="ID")
    q.add_argument("--spool", metavar="DIR", help="the staff-report spool")
    q.add_argument("--json", action="store_true", help="print the report as JSON")
    q.add_argument(
        "--key-file",
        metavar="FILE",
        help="open a report about the Headteacher with the key 'ydsi drop keygen' wrote "
        "(no vault passphrase)",
    )
    q.set_defaults(func=cmd_inbox_open)

    drop = sub.add_parser(
        "drop",
        help="the staff-report drop's key: publish it (a DSL), or make a key for reports "
        "about the Headteacher",
    )
    dsub = drop.add_subparsers(dest="drop_command", metavar="COMMAND", required=True)
    q = dsub.add_parser(
        "publish",
        parents=[common],
        help="sign the drop key into the spool and print the line root pins (a DSL)",
    )
    q.add_argument("--spool", metavar="DIR", help="the staff-report spool")
    q.add_argument(
        "--pin-file", metavar="FILE", help="also write the pin line to FILE (a new file)"
    )
    q.set_defaults(func=cmd_drop_publish)
    q = dsub.add_parser(
        "keygen",
        help="make the key reports about the Headteacher are sealed to (e.g. the chair of "
        "governors')",
    )
    q.add_argument("--out", metavar="FILE", required=True, help="where the private key goes (new)")
    q.set_defaults(func=cmd_drop_keygen)
