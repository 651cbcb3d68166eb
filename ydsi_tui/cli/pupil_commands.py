"""``ydsi pupil list|show|link|unlink|merge|unmerge``: the pupil register (issue 15).

One record per child across incidents (service/register.py). Ids are the
register's own (``P-`` and twelve hex digits) and incident references:
neither names anyone, so they ride on the command line; reasons are content
and come from a prompt, a file or stdin (cli/content.py).
"""

from __future__ import annotations

import argparse
from typing import Any

from ..model.names import Match
from ..model.register import PART_WORDS, REGISTER_ID_PATTERN
from ..model.timeparse import format_local_date, format_local_short
from ..service.describe import KIND_LABELS, describe
from ..service.register import NEW, PupilRegister
from ..service.shapes import pupil_view_json, register_row_json
from .content import Field, takes_content
from .context import Context, open_services, require_cases
from .output import emit_json, print_table, safe, say

__all__ = ["offer_matches", "register_pupil_commands"]


_ID_HELP = (
    "a pupil record's id is P- and twelve characters, e.g. P-3f9a1c2b7d40 "
    "(see 'ydsi pupil list'); never type a name here: others on the server "
    "can read a command line"
)


def register_id(text: str) -> str:
    """An argparse ``type``: a register id, refused (without echoing it) if it is not one."""
    if REGISTER_ID_PATTERN.fullmatch(text) is None:
        raise argparse.ArgumentTypeError(_ID_HELP)
    return text


def register_id_or_new(text: str) -> str:
    return text if text == NEW else register_id(text)


def _born(dob: Any, year_group: int | None) -> str:
    if dob is not None:
        return f"born {format_local_date(dob)}"
    return f"Year {year_group}" if year_group is not None else "age unknown"


def _parts(parts: tuple[str, ...]) -> str:
    return ", ".join(PART_WORDS.get(p, p) for p in parts) or "-"


def cmd_pupil_list(ctx: Context) -> int:
    with open_services(ctx) as services:
        rows = PupilRegister(require_cases(services)).rows()
    if ctx.args.json:
        emit_json([register_row_json(r) for r in rows])
        return 0
    if not rows:
        say("No pupil records yet: 'ydsi pupil link REF new' makes one from an incident's pupil.")
        return 0
    table = [
        [
            r.register_id,
            safe(" / ".join(r.names)),
            _born(r.dob, r.year_group),
            str(len(r.incidents)),
            _parts(r.parts),
            ", ".join(i.ref for i in r.incidents),
        ]
        for r in rows
    ]
    print_table(["ID", "NAMES", "BORN", "INCIDENTS", "PARTS", "REFS"], table)
    return 0


def cmd_pupil_show(ctx: Context) -> int:
    with open_services(ctx) as services:
        view = PupilRegister(require_cases(services)).open(ctx.args.id)
        policy = services.policy
    if ctx.args.json:
        emit_json(pupil_view_json(view, policy))
        return 0
    pupil = view.pupil
    say(f"Pupil record {pupil.register_id}: {safe(pupil.name)}")
    if pupil.other_names:
        say(f"Also known as: {safe(', '.join(pupil.other_names))}")
    say(f"{_born(pupil.dob, pupil.year_group)}, sex: {safe(pupil.sex)}")
    for fact in pupil.csc_facts:
        say(f"Children's social care: {safe(fact)}")
    if pupil.merged_into:
        say(f"MERGED into {pupil.merged_into}: its incidents are counted there.")
    if view.merged_from:
        say(f"Records merged into this one: {', '.join(view.merged_from)}")
    say(f"Incidents ({len(view.incidents)}):")
    for n, item in enumerate(view.incidents, start=1):
        day = format_local_date(item.incident_date) if item.incident_date else "?"
        say(f"   {n}. {item.ref}  {day}  {item.status}  part: {_parts(item.parts)}")
    if view.keep_until is not None:
        hold = "; ON LEGAL HOLD" if view.on_hold else ""
        say(f"Kept until {format_local_date(view.keep_until)} (its longest-kept incident){hold}")
    say("Timeline:")
    for entry in pupil.timeline:
        event = entry.event
        mark = " (corrected)" if entry.superseded else ""
        author = safe(event.by) + (" as recorded" if event.authorship.startswith("as ") else "")
        say(
            f"   {format_local_short(event.at)}  {KIND_LABELS.get(event.kind, event.kind)}{mark}: "
            f"{safe(describe(event, policy, {}))}  [by {author}]"
        )
        for problem in entry.problems:
            say(f"      ! {safe(problem)}")
    return 0


def cmd_pupil_link(ctx: Context) -> int:
    a = ctx.args
    with open_services(ctx) as services:
        register = PupilRegister(require_cases(services))
        if a.id == NEW:
            pupil_id = a.pupil_id or _only_unlinked(register, a.ref)
            made = register.register_incident_pupil(a.ref, pupil_id)
            say(f"Made pupil record {made} and linked {a.ref}'s pupil {pupil_id[:8]} to it.")
            return 0
        event = register.link(a.ref, a.id, pupil_id=a.pupil_id)
    say(f"Linked {a.ref}'s pupil {event.data['pupil_id'][:8]} to pupil record {a.id}.")
    return 0


def _only_unlinked(register: PupilRegister, ref: str) -> str:
    from ..model.errors import ValidationError

    incident = register.cases.open(ref, log=False).incident
    free = [p.pupil_id for p in incident.pupils.values() if not p.register_id]
    if len(free) != 1:
        raise ValidationError(
            "pupil_id",
            f"{ref} has {len(free)} pupils without a record: say which with --pupil-id",
        )
    return free[0]


def cmd_pupil_unlink(ctx: Context) -> int:
    a = ctx.args
    with open_services(ctx) as services:
        PupilRegister(require_cases(services)).unlink(a.ref, a.id, a.reason)
    say(f"Unlinked {a.ref} from pupil record {a.id} (the link stays in the timeline).")
    return 0


def cmd_pupil_merge(ctx: Context) -> int:
    a = ctx.args
    keep, other = a.ids
    with open_services(ctx) as services:
        PupilRegister(require_cases(services)).merge(keep, other, a.reason)
    say(
        f"Merged {other} into {keep}: its incidents count under {keep} "
        f"('ydsi pupil unmerge {other}' undoes it)."
    )
    return 0


def cmd_pupil_unmerge(ctx: Context) -> int:
    a = ctx.args
    with open_services(ctx) as services:
        PupilRegister(require_cases(services)).unmerge(a.id, a.reason)
    say(f"Merge of {a.id} undone: its incidents count under it again.")
    return 0


def offer_matches(ref: str, found: list[Match], names: dict[str, tuple[str, ...]]) -> None:
    """After ``ydsi pupil add``: the register pupils who may be this child."""
    offered = [m for m in found if m.offered]
    for m in offered:
        say(
            f"   may be pupil record {m.register_id} ({safe(' / '.join(names[m.register_id]))}: "
            f"{m.how}): 'ydsi pupil link {ref} {m.register_id}'"
        )
    others = [m for m in found if not m.offered]
    if others:
        say(
            f"   {len(others)} pupil record(s) of the same name are another child "
            "(another date of birth or school year): not offered"
        )
    if not offered:
        say(f"   no pupil record matches: 'ydsi pupil link {ref} new' makes one")


def register_pupil_commands(
    psub: argparse._SubParsersAction[argparse.ArgumentParser],
    common: argparse.ArgumentParser,
) -> None:
    """Add the register's commands to ``ydsi pupil`` (beside ``add`` and ``correct``)."""
    p = psub.add_parser(
        "list", parents=[common], help="every pupil record: incidents and parts, one row per child"
    )
    p.add_argument("--json", action="store_true", help="print JSON (a list of pupil records)")
    p.set_defaults(func=cmd_pupil_list)

    p = psub.add_parser(
        "show", parents=[common], help="one pupil record and its incidents (the read is audited)"
    )
    p.add_argument("id", metavar="ID", type=register_id, help="the pupil record's id (P-…)")
    p.add_argument("--json", action="store_true", help="print JSON: the record and its incidents")
    p.set_defaults(func=cmd_pupil_show)

    p = psub.add_parser(
        "link", parents=[common], help="link an incident's pupil to their pupil record"
    )
    p.add_argument("ref", metavar="REF", help="the incident")
    p.add_argument(
        "id",
        metavar="ID",
        type=register_id_or_new,
        help=f"the pupil record (P-…), or '{NEW}' to make one",
    )
    p.add_argument(
        "--pupil-id",
        metavar="PUPIL",
        help="which of the incident's pupils (default: the one that matches the record)",
    )
    p.set_defaults(func=cmd_pupil_link)

    p = psub.add_parser(
        "unlink", parents=[common], help="undo a wrong link of an incident's pupil to a record"
    )
    p.add_argument("ref", metavar="REF", help="the incident")
    p.add_argument("id", metavar="ID", type=register_id, help="the pupil record (P-…)")
    takes_content(p, Field("reason", "--reason", "why the link was wrong", True))
    p.set_defaults(func=cmd_pupil_unlink)

    p = psub.add_parser(
        "merge",
        parents=[common],
        help="two records of one child made one (a DSL; undone by 'ydsi pupil unmerge')",
    )
    p.add_argument(
        "ids",
        metavar="ID",
        nargs=2,
        type=register_id,
        help="the record to keep, then the one merged into it",
    )
    takes_content(p, Field("reason", "--reason", "why they are the same child", True))
    p.set_defaults(func=cmd_pupil_merge)

    p = psub.add_parser(
        "unmerge", parents=[common], help="undo a merge (a correction: both entries are kept)"
    )
    p.add_argument(
        "id", metavar="ID", type=register_id, help="the record that was merged into another"
    )
    takes_content(p, Field("reason", "--reason", "why they are not the same child", True))
    p.set_defaults(func=cmd_pupil_unmerge)
