"""Rolling the vault back past what its users saw: each user's witness notices.

Variants of the group member's cut tail and the backup thief's old backup
(tests/adversary/test_group_member.py, test_backup_thief.py): a forked log
(cut back, then longer again with new genuine entries signed by a
technician), an "acknowledgement" signed by someone who is not a DSL, and
another user's genuine witness file planted in place of the DSL's. Each
asserts both halves: the rollback is noticed and saves are refused, and
every acknowledged record still held reads as before.
"""

from __future__ import annotations

from pathlib import Path

from tests.support.adversary import DSL, HEAD, TECH, Checks, World, expect_intact, plain_write
from ydsi_tui.vault.vault import utc_now
from ydsi_tui.vault.witness import witness_path


def _vault_files(world: World) -> dict[Path, bytes]:
    """What a group member copies: the log, the header and every record file."""
    files = [world.path / "audit.log", world.path / "vault.json"]
    files += sorted(world.path.glob("*/*.ydsr"))
    return {path: path.read_bytes() for path in files}


def _put_back(files: dict[Path, bytes]) -> None:
    for path, data in files.items():
        plain_write(path, data)


def _dsl_saves_and_sees(world: World) -> None:
    ref = world.incidents[0]
    world.cases(DSL).open(ref)
    world.cases(DSL).note(ref, "Ava's mother called: she knows about the image")
    world.cases(DSL).open(ref)


def _next_save(world: World) -> object:
    world.close()  # the DSL starts ydsi again: a new unlock, the same user's state
    return world.cases(DSL).note(world.incidents[1], "Cara's parents came in")


def test_forked_log_with_entries_replaced_after_the_witnessed_point_is_noticed(
    world: World,
) -> None:
    """Cut back, then made longer than before with a technician's genuine custody notes."""
    old = _vault_files(world)
    _dsl_saves_and_sees(world)
    saw = world.unlock(DSL).vault.audit.head().seq
    _put_back(old)
    world.close()
    log = world.devices(TECH)
    added = 0
    while world.unlock(TECH).vault.audit.head().seq <= saw + 1:
        log.record(world.device, "device.note", {"text": "Bag checked, seal intact"})
        added += 1
    before = world.genuine((world.incidents[1], world.device))
    checks = Checks("technician", f"log cut back and forked with {added} new signed entries")
    message = checks.refused(
        "the DSL's next save notices the fork", lambda: _next_save(world), damaged=False
    )
    checks.attack("it names the rewrite", "rewritten after entry" in message, message)
    checks.attack("verify alone sees nothing (the fork is consistent)", world.verify().ok)
    expect_intact(world, checks, before)
    checks.finish()


def test_an_acknowledgement_signed_by_a_technician_does_not_clear_it(world: World) -> None:
    old = _vault_files(world)
    _dsl_saves_and_sees(world)
    seen = world.unlock(DSL).vault.audit.head()
    _put_back(old)
    world.close()
    tech = world.unlock(TECH)
    with tech.vault.lock():
        head = tech.vault.audit.head()
        tech.vault.audit.append(
            tech.signer,
            ts=utc_now(),
            action="witness.ack",
            comp="header",
            rec="witness",
            extra={
                "abandoned": {"seq": seen.seq, "hash": seen.hash},
                "head": {"seq": head.seq, "hash": head.hash},
            },
        )
    before = world.genuine((world.incidents[1], world.device))
    checks = Checks("technician", "a witness.ack entry signed with the technician's own key")
    checks.refused("the DSL's next save is still refused", lambda: _next_save(world), damaged=False)
    report = world.verify()
    checks.attack(
        "verify names the technician's entry",
        any("may not make this change (witness.ack)" in p for p in report.problems),
        "; ".join(report.problems),
    )
    expect_intact(world, checks, before)
    checks.finish()


def test_another_users_witness_planted_neither_hides_nor_fakes_a_rollback(world: World) -> None:
    """The Headteacher's genuine witness, from before the cut, put in place of the DSL's."""
    head = world.unlock(HEAD)
    world.cases(HEAD).open(world.incidents[0])
    old = _vault_files(world)
    _dsl_saves_and_sees(world)
    world.cases(HEAD).open(world.incidents[0])  # the Headteacher saw the note too
    vault_id = head.vault.header.vault_id
    dsl_id = world.unlock(DSL).user.id
    theirs = witness_path(vault_id, head.user.id, world.path).read_bytes()
    plain_write(witness_path(vault_id, dsl_id, world.path), theirs)
    _put_back(old)
    world.close()
    before = world.genuine((world.incidents[1], world.device))
    dsl = world.unlock(DSL)
    checks = Checks("group member", "another user's witness planted as the DSL's, tail cut")
    checks.attack(
        "the DSL is told their witness is not theirs",
        any("another user" in w for w in dsl.witness_warnings),
        "; ".join(dsl.witness_warnings),
    )
    checks.refused(
        "the Headteacher's own witness still refuses their save",
        lambda: world.cases(HEAD).note(world.incidents[1], "Spoke to Cara's tutor"),
        damaged=False,
    )
    expect_intact(world, checks, before)
    checks.finish()
