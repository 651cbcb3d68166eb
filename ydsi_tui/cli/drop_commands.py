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
from typing import TYPE_CHECKING

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
from ..vault.drop_triage import Triage

if TYPE_CHECKING:
    from ..service.factory import Services
    from ..service.inbox import Inbox
from . import disclose_command
from .content import Field, takes_content
from .context import CliError, Context, open_services, require_cases
from .output import emit_json, print_table, safe, say

#: Ids filed before 12/2026 may start with a dash, which argparse reads as an option.
_ID_HELP = "the report's id (one that starts with '-' goes after '--': inbox take -- -Ab...)"

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


def _triage_json(mark: Triage | None) -> dict[str, object]:
    """What became of a report, for ``inbox list --json`` (a reference at most, no reason)."""
    if mark is None:
        return {"triage": None, "ref": None}
    return {"triage": "taken_in" if mark.taken_in else "dismissed", "ref": mark.ref or None}


def cmd_inbox_list(ctx: Context) -> int:
    session = ctx.unlock()
    try:
        reports = receive_staff_reports(session, ctx.settings.drop_spool)
        header = session.vault.header
        who = {u.id: u.name for u in header.users}
        marks = session.triaged_reports()
    finally:
        session.close()
    rows = [{**_row(r, who), **_triage_json(marks.get(r.report_id))} for r in reports]
    if ctx.args.json:
        emit_json(rows)
        return 0
    new = [r for r in reports if not r.opened and r.report_id not in marks]
    if not reports:
        say("No reports from staff.")
        return 0
    say(f"{len(new)} new report{'s' if len(new) != 1 else ''} from staff ({len(reports)} in all).")
    table: list[list[str]] = []
    for r in reports:
        mark = marks.get(r.report_id)
        if mark is not None:
            state = (
                f"taken into {mark.ref or 'an incident'}"
                if mark.taken_in
                else "dismissed: not for this procedure"
            )
        elif r.sealed_for == "headteacher":
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


# ----------------------------------------------------------------------
# triage: take a report in, add it to an incident, or dismiss it (service/inbox.py)
# ----------------------------------------------------------------------
def _inbox(ctx: Context, services: Services) -> Inbox:
    from ..service.inbox import Inbox

    return Inbox(require_cases(services), ctx.settings.drop_spool)


def cmd_inbox_take(ctx: Context) -> int:
    a = ctx.args
    with open_services(ctx) as services:
        inbox = _inbox(ctx, services)
        report = inbox.open(a.report_id)
        ref = inbox.take_in(
            report,
            summary=a.summary,
            kind=a.kind,
            disclosed_at=a.disclosed_at,
            discloser_type=a.discloser_type,
        )
    say(
        f"{ref}: opened from report {a.report_id}, which is its first-hand account, word for "
        "word, taken in by you. Add the young people with 'ydsi pupil add'."
    )
    return 0


def cmd_inbox_add(ctx: Context) -> int:
    a = ctx.args
    with open_services(ctx) as services:
        inbox = _inbox(ctx, services)
        event = inbox.add(inbox.open(a.report_id), a.ref)
    if event is None:
        say(f"Report {a.report_id} was already in {a.ref}: its triage is now logged too.")
    else:
        say(
            f"Added report {a.report_id} to {a.ref} as a first-hand account (entry {event.id[:8]})."
        )
    return 0


def cmd_inbox_dismiss(ctx: Context) -> int:
    a = ctx.args
    reason = (a.reason or "").strip()
    if not reason:
        raise CliError("say why the report is not for this procedure (it is kept, sealed)")
    with open_services(ctx) as services:
        inbox = _inbox(ctx, services)
        inbox.dismiss(inbox.open(a.report_id), reason)
    say(f"Report {a.report_id} recorded as not for this procedure, with your reason.")
    return 0


def _register_triage(
    isub: argparse._SubParsersAction[argparse.ArgumentParser], common: argparse.ArgumentParser
) -> None:
    q = isub.add_parser(
        "take",
        parents=[common],
        help="open a new incident from a report: the disclosure filled in from it, the report "
        "kept word for word as its first-hand account",
    )
    q.add_argument("report_id", metavar="ID", help=_ID_HELP)
    q.add_argument("--spool", metavar="DIR", help="the staff-report spool")
    takes_content(q, Field("summary", "--summary", "a short description, in words", True))
    q.add_argument(
        "--kind",
        default="peer_sharing",
        help="peer_sharing (the default), non_consensual, sextortion, ai_generated or other",
    )
    q.add_argument(
        "--discloser-type",
        required=True,
        metavar="WHO",
        help="who disclosed, as the record says it: young_person, friend, parent, staff, "
        "police or other (the report says it in words; the choice is yours)",
    )
    q.add_argument(
        "--disclosed-at",
        metavar="WHEN",
        help="when it was disclosed (default: what the report says, if it is a time)",
    )
    q.set_defaults(func=cmd_inbox_take)
    q = isub.add_parser(
        "add", parents=[common], help="add a report to an incident as a first-hand account"
    )
    q.add_argument("report_id", metavar="ID", help=_ID_HELP)
    q.add_argument("ref", metavar="REF", help="the incident, such as 2026-007")
    q.add_argument("--spool", metavar="DIR", help="the staff-report spool")
    q.set_defaults(func=cmd_inbox_add)
    q = isub.add_parser(
        "dismiss",
        parents=[common],
        help="record why a report is not for this procedure (the reason kept sealed)",
    )
    q.add_argument("report_id", metavar="ID", help=_ID_HELP)
    q.add_argument("--spool", metavar="DIR", help="the staff-report spool")
    takes_content(
        q,
        Field(
            "reason",
            "--reason",
            "why it is not for this procedure (for example: recorded in the school's main "
            "safeguarding system, reference ...)",
            True,
        ),
    )
    q.set_defaults(func=cmd_inbox_dismiss)


def register(
    sub: argparse._SubParsersAction[argparse.ArgumentParser], common: argparse.ArgumentParser
) -> None:
    disclose_command.register(sub)
    inbox = sub.add_parser(
        "inbox",
        help="reports from staff: list them (no content), open one (audited), then take it "
        "in, add it to an incident, or dismiss it",
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
    q.add_argument("report_id", metavar="ID", help=_ID_HELP)
    q.add_argument("--spool", metavar="DIR", help="the staff-report spool")
    q.add_argument("--json", action="store_true", help="print the report as JSON")
    q.add_argument(
        "--key-file",
        metavar="FILE",
        help="open a report about the Headteacher with the key 'ydsi drop keygen' wrote "
        "(no vault passphrase)",
    )
    q.set_defaults(func=cmd_inbox_open)
    _register_triage(isub, common)

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
