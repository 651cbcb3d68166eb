"""Policy commands: which procedure is in force, and a DSL's approval of a new one.

The policy in force is pinned by digest in the vault's signed header, so a
changed policy file (a school's edit, a package upgrade, or someone swapping
the file in the shared directory) is used for new incidents only once a DSL
has looked at what changed and approved it here.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from ..vault.errors import AccessDenied
from .context import CliError, Context
from .output import ask, emit_json, safe, say, warn

if TYPE_CHECKING:
    from ..service.policies import PolicyFile

__all__ = ["register"]


def _configured_file(args: argparse.Namespace) -> PolicyFile:
    from ..service.policies import read_policy_file

    bundled = getattr(args, "bundled", None)
    if bundled:
        if args.file:
            raise CliError("give a FILE or --bundled, not both")
        return read_policy_file(bundled=bundled)
    return read_policy_file(Path(args.file).expanduser() if args.file else None)


def cmd_policy_approve(ctx: Context) -> int:
    from ..service.policies import PolicyLibrary

    args = ctx.args
    file = _configured_file(args)
    if file.policy is None:
        raise CliError(f"the policy file {safe(file.origin)} {safe(file.problem or '')}")
    policy = file.policy
    session = ctx.unlock()
    try:
        if session.role != "dsl":
            raise AccessDenied("only a DSL can approve the policy in force")
        library = PolicyLibrary.build(session, file)
        pin = library.approved
        if pin is not None and pin.digest == policy.digest:
            say(
                f"{safe(policy.name)} {safe(policy.version)} (digest {policy.digest[:12]}) "
                "is already the approved policy: nothing changed."
            )
            return 0
        say(f"Policy file: {safe(file.origin)}")
        say(f"  Name:     {safe(policy.name)}")
        say(f"  Version:  {safe(policy.version)}")
        say(f"  School:   {safe(policy.school)}")
        say(f"  Digest:   {policy.digest}")
        age = policy.settings.trigger4_age_threshold
        before = library.in_force
        if before is not None and before.settings.trigger4_age_threshold != age:
            was = f" (the approved policy says {before.settings.trigger4_age_threshold})"
        else:
            was = ""
        say(f"  Trigger 4 age threshold: {age}{was}")
        for note in file.notes:
            say(f"  Note: {safe(note)}")
        if pin is None:
            say("Approved now: none (no new incident can be opened).")
        else:
            say(f"Approved now: {safe(pin.name)} {safe(pin.version)} (digest {pin.digest[:12]})")
        if not args.yes:
            if not sys.stdin.isatty():
                raise CliError("no terminal to confirm: add --yes to approve without a prompt")
            answer = ask("Approve this policy for every new incident? [y/N] ").strip().lower()
            if answer not in ("y", "yes"):
                say("Not approved: nothing changed.")
                return 1
        library.approve(file)
    finally:
        session.close()
    say(
        f"Approved {safe(policy.name)} {safe(policy.version)} (digest {policy.digest[:12]}): "
        "new incidents follow it. Incidents opened before keep the policy they were handled under."
    )
    return 0


def cmd_policy_show(ctx: Context) -> int:
    from ..service.policies import PolicyLibrary

    file = _configured_file(ctx.args)
    session = ctx.unlock()
    try:
        library = PolicyLibrary.build(session, file)
        approver = None
        if library.approved is not None:
            user = session.vault.header.user_by_id(library.approved.approved_by)
            approver = user.name if user is not None else library.approved.approved_by
    finally:
        session.close()
    in_force, pin, candidate = library.in_force, library.approved, file.policy
    if ctx.args.json:
        emit_json(
            {
                "in_force": None
                if in_force is None
                else {
                    "name": in_force.name,
                    "version": in_force.version,
                    "digest": in_force.digest,
                    "age_threshold": in_force.settings.trigger4_age_threshold,
                },
                "approved": None
                if pin is None
                else {
                    "name": pin.name,
                    "version": pin.version,
                    "digest": pin.digest,
                    "approved_by": approver,
                    "approved_at": pin.approved_at,
                },
                "file": {
                    "origin": file.origin,
                    "name": candidate.name if candidate else None,
                    "version": candidate.version if candidate else None,
                    "digest": candidate.digest if candidate else None,
                    "problem": file.problem,
                    "notes": list(file.notes),
                },
                "matches": library.file_matches,
                "warnings": library.warnings,
            }
        )
        return 0
    if in_force is None:
        say("In force: none (no new incident can be opened until a DSL approves a policy)")
    else:
        age = in_force.settings.trigger4_age_threshold
        say(
            f"In force: {safe(in_force.name)} {safe(in_force.version)} "
            f"(trigger 4 age threshold {age})"
        )
    if pin is None:
        say("Approved: none")
    else:
        say(f"Approved: {pin.digest} by {safe(approver or '?')} at {safe(pin.approved_at)}")
    if candidate is None:
        say(f"File:     {safe(file.origin)} {safe(file.problem or '')}")
    else:
        say(f"File:     {candidate.digest} {safe(file.origin)}")
    say("Match:    yes" if library.file_matches else "Match:    NO (the file waits for approval)")
    for warning in library.warnings:
        warn(f"ydsi: warning: {safe(warning)}")
    return 0


def cmd_policy_list(ctx: Context) -> int:
    """Every policy shipped with ydsi, and which one (if any) this vault has approved."""
    from ..model.policy import DEFAULT_BUNDLED
    from ..service.policies import bundled_files

    session = ctx.unlock()
    try:
        pin = session.vault.header.policy
    finally:
        session.close()
    files = bundled_files()
    rows = []
    for file in files:
        policy = file.policy
        rows.append(
            {
                "name": file.bundled_name,
                "title": policy.name if policy else None,
                "version": policy.version if policy else None,
                "source": policy.source if policy else None,
                "digest": policy.digest if policy else None,
                "age_threshold": policy.settings.trigger4_age_threshold if policy else None,
                "allow_trigger_override": (
                    policy.settings.allow_trigger_override if policy else None
                ),
                "default": file.bundled_name == DEFAULT_BUNDLED,
                "approved": bool(policy and pin and pin.digest == policy.digest),
                "problem": file.problem,
                "approve_command": file.approve_command,
            }
        )
    if ctx.args.json:
        emit_json({"bundled": rows, "approved_digest": pin.digest if pin else None})
        return 0
    for file, row in zip(files, rows, strict=True):
        marks = [m for m, on in (("default", row["default"]), ("APPROVED", row["approved"])) if on]
        say(f"{file.bundled_name}{'  (' + ', '.join(marks) + ')' if marks else ''}")
        policy = file.policy
        if policy is None:
            say(f"  {safe(file.problem or '')}")
            continue
        say(f"  {safe(policy.name)} {safe(policy.version)}")
        say(f"  Source: {safe(policy.source)}")
        age = policy.settings.trigger4_age_threshold
        say(f"  Trigger 4 age threshold: {age}   digest {policy.digest[:12]}")
        if not row["approved"]:
            say(f"  To use it: {safe(file.approve_command)}")
    if pin is not None and not any(row["approved"] for row in rows):
        say(f"Approved for this vault: {safe(pin.name)} {safe(pin.version)} (a policy file)")
    return 0


def register(
    sub: argparse._SubParsersAction[argparse.ArgumentParser], common: argparse.ArgumentParser
) -> None:
    """Add ``ydsi policy list``, ``ydsi policy approve`` and ``ydsi policy show``."""
    policy = sub.add_parser("policy", help="the policy in force; approve a new one (DSL)")
    psub = policy.add_subparsers(dest="policy_command", metavar="COMMAND", required=True)
    p = psub.add_parser(
        "approve",
        parents=[common],
        help="make a policy file the one new incidents follow (DSL only)",
        description="Show the policy file's name, version, digest and trigger-4 age threshold, "
        "ask, then pin its digest in the vault's signed header (an audited act). Without FILE: "
        "the file $YDSI_POLICY names, else the bundled policy.",
    )
    p.add_argument("file", nargs="?", metavar="FILE", help="the policy file (TOML)")
    p.add_argument(
        "--bundled",
        nargs="?",
        const=True,
        metavar="NAME",
        help="a policy shipped with ydsi: hindley-2016 (the default) or ukcis-2024 "
        "(see 'ydsi policy list')",
    )
    p.add_argument("--yes", action="store_true", help="approve without asking")
    p.set_defaults(func=cmd_policy_approve)
    p = psub.add_parser(
        "show",
        parents=[common],
        help="the policy in force, the approved digest, the file's digest, and whether they match",
    )
    p.add_argument("file", nargs="?", metavar="FILE", help="compare this file, not $YDSI_POLICY")
    p.add_argument(
        "--bundled",
        nargs="?",
        const=True,
        metavar="NAME",
        help="compare a shipped policy (default hindley-2016)",
    )
    p.add_argument("--json", action="store_true", help="print JSON")
    p.set_defaults(func=cmd_policy_show)
    p = psub.add_parser(
        "list",
        parents=[common],
        help="the policies shipped with ydsi, and which this vault has approved",
    )
    p.add_argument("--json", action="store_true", help="print JSON")
    p.set_defaults(func=cmd_policy_list)
