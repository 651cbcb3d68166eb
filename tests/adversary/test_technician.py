"""The IT technician as adversary: the custody key, their own signing key, group file access.

A technician is sealed ``custody:<epoch>`` and ``index:custody`` only. They
can read and write the custody log through ydsi, and read, write and rename
any file in the vault directory. The review (C1, H2) showed that this let
them write any incident (a case file encrypted under the custody key was
accepted), and rewrite a seized phone's custody chain with a normal save.
"""

from __future__ import annotations

from functools import partial

import pytest

from tests.support.adversary import (
    DSL,
    FORGED_SUMMARY,
    REWRITES,
    TECH,
    Checks,
    World,
    encode_over,
    event_claiming,
    expect_intact,
    expect_unvouched,
    forge_incident_tables,
    honest_client_refuses,
    incident_files_in_creation_order,
    own_client,
    plain_write,
    rewrite_events,
)
from ydsi_tui.vault.audit import AuditLog
from ydsi_tui.vault.crypto import sha256_hex
from ydsi_tui.vault.fs import FileSystem
from ydsi_tui.vault.recordfile import RECORD_SUFFIX, peek


def _second_incident_file(world: World) -> str:
    """The technician finds 2026-002's file from the keyless audit log (review M2)."""
    record_id = incident_files_in_creation_order(world.path)[1]
    assert world.file("case", world.incidents[1]).name == f"{record_id}{RECORD_SUFFIX}"
    return record_id


def test_case_file_forged_under_the_custody_key_is_refused(world: World) -> None:
    """C1: a case file encrypted under custody:1 must never be shown as an incident."""
    before = world.genuine()
    victim = world.incidents[1]
    tech = world.unlock(TECH)
    record_id = _second_incident_file(world)
    target = world.path / "case" / f"{record_id}{RECORD_SUFFIX}"
    summary, body = forge_incident_tables(victim)
    plain_write(
        target, encode_over(tech, target, key_compartment="custody", summary=summary, body=body)
    )
    checks = Checks("technician", "case file forged under the custody key (C1)")
    expect_unvouched(world, checks, "case", victim, forged=FORGED_SUMMARY)
    expect_intact(world, checks, before, lost=(victim,))
    checks.finish()


def test_forged_case_file_vouched_by_a_technician_signed_entry_is_refused(world: World) -> None:
    """A technician's own key signs a valid-looking audit entry naming the forgery's hash.

    The entry is interleaved between genuine ones (the DSL keeps working on the
    other incident after it). A technician may not vouch for a case file: the
    read must still refuse it.
    """
    victim, other = world.incidents[1], world.incidents[0]
    tech = world.unlock(TECH)
    record_id = _second_incident_file(world)
    target = world.path / "case" / f"{record_id}{RECORD_SUFFIX}"
    summary, body = forge_incident_tables(victim)
    blob = encode_over(tech, target, key_compartment="custody", summary=summary, body=body)
    generation = peek(blob, str(target)).generation
    log = AuditLog(FileSystem(), world.path / "audit.log", tech.vault.header.vault_id)
    with tech.vault.lock():
        entry, _ = log.append(
            tech.signer,
            ts="2026-12-01T17:52:00Z",
            action="record.write",
            comp="case",
            rec=record_id,
            file_hash=sha256_hex(blob),
            extra={"gen": generation},
        )
        plain_write(target, blob)
    world.cases(DSL).note(other, "Spoke to Ava's parents")  # genuine entries after the forged one
    before = world.genuine((other, world.device))
    checks = Checks("technician", "forged case file plus a technician-signed audit entry")
    expect_unvouched(world, checks, "case", victim, forged=FORGED_SUMMARY)
    checks.attack(
        "the forged entry stays in the log for all to see",
        any(e.seq == entry.seq and e.actor == tech.user.id for e in tech.vault.audit.entries()),
    )
    expect_intact(world, checks, before)
    checks.finish()


def test_planted_case_file_is_listed_as_damaged_not_as_an_incident(world: World) -> None:
    """A new file in case/, under the custody key, with no audit entry at all."""
    before = world.genuine()
    tech = world.unlock(TECH)
    target = world.path / "case" / f"{'ab' * 16}{RECORD_SUFFIX}"
    summary, body = forge_incident_tables("2026-099")
    plain_write(
        target,
        encode_over(
            tech, target, key_compartment="custody", summary=summary, body=body, generation=1
        ),
    )
    checks = Checks("technician", "planted case file")
    rows = world.cases(DSL).rows()
    checks.attack(
        "the planted file is never listed as an incident",
        not any(r.ref == "2026-099" or FORGED_SUMMARY in r.summary for r in rows),
        f"rows: {[(r.ref, r.status, r.summary) for r in rows]}",
    )
    checks.attack(
        "it is listed as a damaged row instead",
        any(r.status == "damaged" for r in rows),
        f"statuses: {[r.status for r in rows]}",
    )
    report = world.verify()
    checks.attack(
        "verify names the planted file",
        any(target.name in p for p in report.problems),
        "; ".join(report.problems),
    )
    expect_intact(world, checks, before)
    checks.finish()


def test_custody_file_rewritten_outside_the_protocol_is_refused(world: World) -> None:
    """The technician holds the custody key but writes the file directly, with no audit entry."""
    before = world.genuine()
    tech = world.unlock(TECH)
    snapshot = tech.read("custody", world.device, log=False)
    tables = {k: v for k, v in snapshot.tables.items() if k != "_summary"}
    events = dict(tables["events"])
    events.pop(sorted(events, key=int)[1])  # drop the recorded access to the phone's gallery
    tables["events"] = events
    target = world.file("custody", world.device)
    blob = encode_over(
        tech, target, key_compartment="custody", summary=snapshot.tables["_summary"], body=tables
    )
    plain_write(target, blob)
    checks = Checks("technician", "custody file rewritten outside the save protocol")
    expect_unvouched(world, checks, "custody", world.device)
    expect_intact(world, checks, before, lost=(world.device,))
    checks.finish()


@pytest.mark.parametrize("how", REWRITES)
def test_technician_cannot_rewrite_the_custody_chain(world: World, how: str) -> None:
    """H2: a normal save with the technician's own key deletes, edits, reorders,
    re-attributes or cuts the DSL's entries of a seized phone's custody chain."""
    before = world.genuine()
    tech = world.unlock(TECH)
    refused_by_ydsi = honest_client_refuses(tech, "custody", world.device, how)
    with own_client(tech, "custody", world.device) as db:
        done = rewrite_events(
            db, how, target="device.accessed", by=TECH.full_name, by_role=TECH.role
        )
    checks = Checks("technician", f"custody chain rewritten: {done}")
    checks.attack("ydsi's own client refused to save the rewrite", refused_by_ydsi)
    for person in (DSL, TECH):
        log = world.devices(person)
        checks.refused(
            f"{person.role} DeviceLog.open", partial(log.open, world.device), contains=None
        )
    dsl = world.unlock(DSL)
    checks.refused(
        "dsl Session.read(custody)", lambda: dsl.read("custody", world.device), contains=None
    )
    target = world.file("custody", world.device)
    visible = [
        e
        for e in dsl.vault.audit.entries()
        if e.comp == "custody"
        and e.actor == tech.user.id
        and e.hash == sha256_hex(target.read_bytes())
    ]
    checks.attack("the technician's save stays in the audit log", bool(visible))
    expect_intact(world, checks, before, lost=(world.device,))
    checks.finish()


def test_custody_entry_claiming_the_dsl_shows_the_technician(world: World) -> None:
    """The technician adds an entry whose stored author is the DSL: shown as Jo Tech."""
    before = world.genuine()
    tech = world.unlock(TECH)
    claimed = event_claiming("device.note", {"text": "Returned the phone to the pupil"}, DSL)
    with tech.transaction("custody", world.device) as db:
        db.table("events", cache_size=0).insert(claimed.to_doc())
    checks = Checks("technician", "custody entry claiming to be the DSL's")
    view = world.devices(DSL).open(world.device)
    shown = next((t.event for t in view.device.chain if t.event.id == claimed.id), None)
    checks.attack("the entry is shown", shown is not None)
    if shown is not None:
        checks.attack(
            "shown as by Jo Tech, not the DSL", shown.by == TECH.full_name, f"by {shown.by!r}"
        )
        checks.attack(
            "with the technician's role", shown.by_role == TECH.role, f"by_role {shown.by_role!r}"
        )
    after = world.genuine()
    checks.same(
        "the earlier chain is unchanged",
        after[world.device].entries[:-1],
        before[world.device].entries,
    )
    expect_intact(world, checks, before, lost=(world.device,))
    report = world.verify()
    checks.keep("verify ok (an honest, audited save)", report.ok, "; ".join(report.problems))
    checks.finish()


def test_technician_still_cannot_open_incidents(world: World) -> None:
    """Control (held up in the review): no case key, so no incident is readable."""
    tech = world.unlock(TECH)
    checks = Checks("technician", "reading incidents without the case key")
    for ref in world.incidents:
        checks.refused(f"Session.read(case, {ref})", partial(tech.read, "case", ref), damaged=False)
    checks.attack("the session holds no case key", not tech.can_read("case"))
    checks.finish()
