"""The pupil register against its people (issue 15): a forged merge, a technician's reach.

A merge joins two children's records: their incidents count as one child's,
and a chronology of one carries the other's. Only a DSL merges. A team member
holds the case key and so can write any entry into a register record with a
modified client ("merged, by the DSL") and write the summary the lists read.
What they cannot do is sign the save with a DSL's key, and only that counts,
whether the record is opened or only listed.

A technician holds the custody key only: a register record is a case record,
so they can neither find which file is a child's nor read it.
"""

from __future__ import annotations

import dataclasses

import pytest

from tests.support.adversary import DSL, TEAM, TECH, Checks, World, event_claiming
from ydsi_tui.model.register import fold_register, register_ref, register_summary
from ydsi_tui.service.casebook import CaseBook
from ydsi_tui.service.records import append_event, read_events, write_summary
from ydsi_tui.service.register import PupilRegister, incidents_of
from ydsi_tui.vault.errors import AccessDenied

BEN = {"name": "Ben Forgeable", "dob": "2011-03-04", "sex": "male"}


def test_a_team_members_forged_merge_attributed_to_the_dsl_counts_for_nothing(
    world: World,
) -> None:
    register = PupilRegister(world.cases(DSL))
    keep = register.add(BEN)
    other = register.add({**BEN, "name": "Benjamin Forgeable", "dob": "2011-09-09"})
    ref = world.incidents[0]
    ava = next(iter(world.cases(DSL).open(ref).incident.pupils))
    register.link(ref, other, pupil_id=ava)

    # Through ydsi: refused outright.
    team = PupilRegister(world.cases(TEAM))
    checks = Checks("team", "a merge of two children's records 'by the DSL'")
    try:
        team.merge(keep, other, "same boy")
        refused = False
    except AccessDenied:
        refused = True
    checks.attack("ydsi refuses a team member's merge", refused)

    # A modified client: the entry claims the DSL, the summary says merged.
    forged = event_claiming(
        "pupil.merged", {"register_id": other, "into": keep, "reason": "same boy"}, DSL
    )
    session = world.unlock(TEAM)
    with session.transaction("case", register_ref(other)) as db:
        events, _ = read_events(db.storage.read() or {})
        append_event(db, forged)
        believed = fold_register(other, [*events, dataclasses.replace(forged, verified=True)])
        assert believed.merged_into == keep  # what the forger's summary says
        write_summary(db, register_summary(believed, updated_at=forged.recorded_at), "pupil")

    dsl = PupilRegister(world.cases(DSL))
    view = dsl.open(other)
    checks.attack("the opened record is not merged", view.pupil.merged_into is None)
    entry = next(e for e in view.pupil.timeline if e.event.id == forged.id)
    checks.attack(
        "the entry is shown as the team member's, not the DSL's",
        entry.event.by == TEAM.full_name and entry.event.by_role == "team",
        f"{entry.event.by} ({entry.event.by_role})",
    )
    checks.attack(
        "the entry is named as not counted",
        any("NOT COUNTED" in p for p in entry.problems),
        repr(entry.problems),
    )
    rows = {row.register_id: row for row in dsl.rows()}
    checks.attack("the list still shows two children", set(rows) == {keep, other}, repr(rows))
    checks.attack(
        "the other child's incident is not counted under the kept record",
        [i.ref for i in rows[keep].incidents] == [] and incidents_of(world.cases(DSL), keep) == [],
    )
    checks.attack(
        "no repeat flag comes of the forged merge",
        all(row.repeat == () for row in world.cases(DSL).rows()),
    )
    # The DSL's own merge still works and counts.
    dsl.merge(keep, other, "the same boy, checked with the office")
    checks.keep(
        "the DSL's merge counts",
        [row.register_id for row in dsl.rows()] == [keep]
        and [i.ref for i in dsl.rows()[0].incidents] == [ref],
    )
    checks.finish()


def test_a_technician_cannot_find_or_read_a_pupil_record(world: World) -> None:
    register = PupilRegister(world.cases(DSL))
    pid = register.add(BEN)
    tech = world.unlock(TECH)
    checks = Checks("technician", "a pupil register record (custody key only)")
    for label, attempt in (
        ("no case book", lambda: CaseBook(tech, world.services(TECH).policies)),
        ("no record id for a pupil reference", lambda: tech.record_id("case", register_ref(pid))),
        ("no read of the record", lambda: tech.read("case", register_ref(pid))),
        ("no listing of the case compartment", lambda: tech.list_records("case")),
    ):
        with pytest.raises(AccessDenied):
            attempt()
        checks.attack(label, True)
    name = BEN["name"].encode()
    leaked = [p.name for p in world.path.rglob("*") if p.is_file() and name in p.read_bytes()]
    checks.attack(
        "no file in the vault holds the child's name in clear", leaked == [], repr(leaked)
    )
    checks.finish()
