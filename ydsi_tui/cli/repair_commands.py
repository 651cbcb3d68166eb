"""``ydsi repair REF``: put back a damaged incident or device (a DSL's audited act).

From the newest verified backup that holds the version the audit log
vouches for (``--backup FILE``, repeatable; by default the backups in
``~/ydsi-exports``), or, when none does and the DSL says so
(``--accept-as-found``), by accepting the file as found, naming every
signed save that is lost.
"""

from __future__ import annotations

import argparse
import sys

from ..service.repair import RepairNeedsChoice, repair_record
from ..vault.repair import DEFAULT_BACKUP_DIR, BackupTried, RepairResult, backups_to_search
from .content import Field, takes_content
from .context import CliError, Context, open_services
from .output import ask, emit_json, safe, say

__all__ = ["register"]


def _reason(ctx: Context) -> str:
    """The reason for an acceptance: ``--reason``, or asked for (kept off the command line)."""
    given: str | None = ctx.args.reason
    if given is not None:
        return given
    if not sys.stdin.isatty():
        raise CliError(
            "--accept-as-found needs a reason: --text-file FILE (or run it in a terminal)"
        )
    try:
        return ask("Why accept it as found (kept inside the record, never in the log)? ")
    except EOFError:
        raise CliError("no reason given: nothing was changed") from None


def _print_tried(tried: list[BackupTried] | tuple[BackupTried, ...]) -> None:
    for item in tried:
        if not item.path:
            continue
        detail = f": {safe(item.detail)}" if item.detail else ""
        say(f"  backup {safe(item.path)}: {item.outcome}{detail}")


def cmd_repair(ctx: Context) -> int:
    args = ctx.args
    if args.reason is not None and not args.accept_as_found:
        raise CliError("--reason goes with --accept-as-found")
    reason = _reason(ctx) if args.accept_as_found else ""
    backups = backups_to_search(args.backup)
    with open_services(ctx) as services:
        try:
            result = repair_record(
                services, args.ref, backups=backups, accept=args.accept_as_found, reason=reason
            )
        except RepairNeedsChoice as refused:
            if args.json:
                emit_json(_refusal_json(args.ref, refused))
            else:
                _print_choice(refused)
            raise
    if args.json:
        emit_json({"ok": result.verified, **result.to_doc()})
    else:
        _print_result(result)
    return 0 if result.verified else 1


def _print_choice(refused: RepairNeedsChoice) -> None:
    """What was found and tried, on stdout; the refusal itself is one line on stderr."""
    damage, found = refused.damage, refused.as_found
    say(f"{safe(damage.ref)}: {safe(damage.problem)}")
    _print_tried(refused.tried)
    if not any(t.path for t in refused.tried):
        say(
            f"  no backup was named, and none is in ~/{DEFAULT_BACKUP_DIR}: name one with "
            "--backup FILE"
        )
    if found.decrypts:
        if found.lost:
            say("Accepting it as found would lose these signed saves:")
            for save in found.lost:
                say(f"  {safe(save.describe())}")
        else:
            say("Accepting it as found would lose no signed save.")
        if found.unvouched:
            say(
                f"It holds {found.unvouched} entries no signed save vouched for; they would be "
                "kept, shown as 'as found'."
            )
        if found.extends_seq is None:
            say("None of its history is vouched for by a signed save.")


def _refusal_json(ref: str, refused: RepairNeedsChoice) -> dict[str, object]:
    found = refused.as_found
    return {
        "ok": False,
        "ref": ref,
        "problem": refused.damage.problem,
        "refused": str(refused),
        "signed_entry": refused.damage.target.seq,
        "tried": [
            {"backup": t.path, "outcome": t.outcome, "detail": t.detail}
            for t in refused.tried
            if t.path
        ],
        "as_found": {
            "possible": found.decrypts,
            "why_not": found.why_not or None,
            "extends_entry": found.extends_seq,
            "lost": [{"entry": s.seq, "ts": s.ts, "by": s.actor} for s in found.lost],
            "unvouched": found.unvouched,
        },
    }


def _print_result(result: RepairResult) -> None:
    say(f"Was: {safe(result.problem)}")
    if result.method == "backup":
        say(
            f"Repaired {safe(result.ref)} from the backup made {safe(result.backup_created_at)} "
            f"({safe(result.backup)}): it is again exactly the version signed at entry "
            f"{result.restored_seq}. The repair is audit entry {result.entry}."
        )
    else:
        say(
            f"Accepted {safe(result.ref)} as found (audit entry {result.entry}); a note in the "
            "record names what was lost."
        )
        if result.lost:
            say("Lost (signed saves whose content is not in the record):")
            for save in result.lost:
                say(f"  {safe(save.describe())}")
        else:
            say("No signed save was lost.")
        if result.unvouched:
            say(
                f"{result.unvouched} entries no signed save vouched for were kept; they show "
                "their author 'as found'."
            )
    if not result.verified:
        say(
            "PROBLEM: the record still does not read as genuine after the repair: run "
            "'ydsi verify --entries'"
        )


def register(
    sub: argparse._SubParsersAction[argparse.ArgumentParser], common: argparse.ArgumentParser
) -> None:
    p = sub.add_parser(
        "repair",
        parents=[common],
        help="put back a damaged incident or device (a DSL): from a backup, or as found",
        description="Puts back the version the audit log vouches for, from the newest backup "
        f"that holds it and verifies (--backup FILE, or the backups in ~/{DEFAULT_BACKUP_DIR}). "
        "When none does, --accept-as-found accepts the file as it is, naming every signed save "
        "that is lost, in the output and in a note inside the record. DSL only.",
    )
    p.add_argument("ref", help="the incident (2026-001) or device (D-2026-001) reference")
    p.add_argument(
        "--backup",
        metavar="FILE",
        action="append",
        help="a backup to look in (repeatable; default: every .tar in ~/ydsi-exports)",
    )
    p.add_argument(
        "--accept-as-found",
        action="store_true",
        help="when no backup holds it: accept the record as found, naming what was lost",
    )
    takes_content(
        p,
        Field(
            "reason",
            "--reason",
            "why it is accepted as found (kept inside the record; leave it out to be asked)",
            lambda a: bool(a.accept_as_found),
            label="reason for accepting it as found",
        ),
    )
    p.add_argument("--json", action="store_true", help="print JSON: {ok, method, entry, lost...}")
    p.set_defaults(func=cmd_repair)
