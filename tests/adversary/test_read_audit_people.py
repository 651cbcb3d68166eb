"""The read audit against the people it watches: who can see it, and who can bend it.

Each person uses only what they hold. The team member and the Headteacher hold
the case key (their own program could open the sealed entries: the DSL-only
rule is ydsi's, said in SECURITY.md); the technician holds no case key and
group write access to audit.log. A hand-edited read entry must never show as
anyone's read: the signature and chain checks ``verify`` makes catch it, and
the read audit names the entry instead.
"""

from __future__ import annotations

from dataclasses import replace

import pytest

from tests.support.adversary import DSL, HEAD, TEAM, TECH, Checks, World
from ydsi_tui.service.read_audit import read_audit
from ydsi_tui.vault.audit import AuditEntry
from ydsi_tui.vault.errors import AccessDenied
from ydsi_tui.vault.read_log import read_log
from ydsi_tui.vault.saving import utc_now
from ydsi_tui.vault.verify import verify_vault


def _lines(world: World) -> list[bytes]:
    return (world.path / "audit.log").read_bytes().splitlines(keepends=True)


def _write(world: World, lines: list[bytes]) -> None:
    (world.path / "audit.log").write_bytes(b"".join(lines))


def _read_seqs(world: World) -> list[int]:
    """The entry numbers of the case reads, as the DSL's read audit shows them."""
    return [row.seq for row in read_audit(world.unlock(DSL, fresh=True)).rows]


def test_a_team_member_headteacher_or_technician_cannot_see_the_reads(world: World) -> None:
    world.cases(DSL).open(world.incidents[0])
    checks = Checks("team, headteacher, technician", "the list of who opened what")
    for person in (TEAM, HEAD):
        try:
            read_audit(world.unlock(person))
            checks.attack(f"{person.role}: ydsi refuses", False, "shown")
        except AccessDenied as exc:
            checks.attack(f"{person.role}: ydsi refuses", "only a DSL" in str(exc), str(exc))
    tech = world.unlock(TECH)
    for label, call in (
        ("the service refuses", lambda: read_audit(tech)),
        ("the vault's reader refuses (no case key to open the entries)", lambda: read_log(tech)),
    ):
        try:
            call()
            checks.attack(f"technician: {label}", False, "shown")
        except AccessDenied as exc:
            checks.attack(f"technician: {label}", True, str(exc))
    checks.attack(
        "technician: their session holds no case entry opener", tech.vault.audit.sealer is None
    )
    checks.keep("the DSL sees the read", len(_read_seqs(world)) >= 1)
    checks.finish()


@pytest.mark.parametrize("field", ["ts", "actor"])
def test_a_hand_edited_read_entry_is_caught_not_shown(world: World, field: str) -> None:
    """The technician moves the DSL's read in time, or puts it on the team member's name."""
    world.cases(DSL).open(world.incidents[0])
    world.close()
    before = _read_seqs(world)
    world.close()
    lines = _lines(world)
    index = before[-1] - 1
    entry = AuditEntry.parse(lines[index].rstrip(b"\n"))
    team_id = world.unlock(TEAM).user.id
    world.close()
    value = "2020-01-01T00:00:00Z" if field == "ts" else team_id
    lines[index] = replace(entry, **{field: value}).line() + b"\n"
    _write(world, lines)
    checks = Checks("technician", f"the {field} of a read entry edited in audit.log")
    audit = read_audit(world.unlock(DSL, fresh=True))
    checks.attack(
        "the edited read is not shown as anyone's read",
        entry.seq not in [row.seq for row in audit.rows],
        repr([(r.seq, r.user, r.at) for r in audit.rows]),
    )
    checks.attack(
        "the read audit names the entry",
        any(f"entry {entry.seq}:" in p for p in audit.problems),
        "; ".join(audit.problems),
    )
    report = verify_vault(world.path)  # the existing keyless check, as anyone runs it
    checks.attack(
        "verify names the same entry (the signature does not verify)",
        any(f"entry {entry.seq}: " in p and "signature" in p for p in report.problems),
        "; ".join(report.problems),
    )
    checks.keep("the other reads are still shown", set(before[:-1]) <= {r.seq for r in audit.rows})
    checks.finish()


def test_a_read_cut_from_the_log_breaks_the_chain_it_is_named(world: World) -> None:
    """The team member, with group write access, removes the line of their own read."""
    world.cases(TEAM).open(world.incidents[1])
    world.cases(DSL).open(world.incidents[0])  # a read after theirs
    world.close()
    audit = read_audit(world.unlock(DSL, fresh=True))
    theirs = next(row.seq for row in audit.rows if row.user == TEAM.login)
    world.close()
    lines = _lines(world)
    del lines[theirs - 1]
    _write(world, lines)
    checks = Checks("team", "their own read removed from audit.log")
    after = read_audit(world.unlock(DSL, fresh=True))
    checks.attack(
        "the read audit says the chain is broken where it was cut",
        any(f"entry {theirs}:" in p and "chain is broken" in p for p in after.problems),
        "; ".join(after.problems),
    )
    checks.attack(
        "no read after the cut is shown as vouched for",
        all(row.seq < theirs for row in after.rows),
        repr([r.seq for r in after.rows]),
    )
    checks.finish()


def test_a_read_replayed_under_another_name_opens_for_nobody(world: World) -> None:
    """A Headteacher's modified client copies the DSL's sealed read into an entry of theirs."""
    world.cases(DSL).open(world.incidents[0])
    world.close()
    dsl_read = _read_seqs(world)[-1]
    world.close()
    source = AuditEntry.parse(_lines(world)[dsl_read - 1].rstrip(b"\n"))
    head = world.unlock(HEAD)
    head.vault.audit.sealer = None  # their client writes the line as they choose
    with head.vault.lock():
        entry, _ = head.vault.audit.append(
            head.signer, ts=utc_now(), action="sealed", comp="case", rec="",
            extra=dict(source.extra),
        )  # fmt: skip
    world.close()
    checks = Checks("headteacher", "the DSL's sealed read replayed as their own entry")
    audit = read_audit(world.unlock(DSL, fresh=True))
    checks.attack("it is not shown as a read", entry.seq not in [r.seq for r in audit.rows])
    checks.attack(
        "it is named as an entry that may hide a read",
        audit.unopened == 1 and any(f"entry {entry.seq}:" in p for p in audit.problems),
        "; ".join(audit.problems),
    )
    checks.finish()
