"""Audit entries about case records are sealed: what each person can do with that (M2).

The log stays readable by the whole group so that anyone can check its chain,
signatures and signers' roles; what a case entry describes (which record,
which version, a read or a save or a destruction, its extras) is sealed under
a key only the case roles hold. Each test acts as one person with only what
they hold: the technician (their key and group access to every file), a team
member or Headteacher (a case key and their own signing key, and a client
they may have modified), and the DSL whose check must catch the others.
"""

from __future__ import annotations

import base64
import json
import os
import secrets
from pathlib import Path

from tests.support.adversary import DSL, HEAD, TEAM, TECH, Checks, World
from ydsi_tui.vault.audit import AuditEntry
from ydsi_tui.vault.fs import TEMP_PREFIX
from ydsi_tui.vault.recordfile import RECORD_SUFFIX
from ydsi_tui.vault.saving import utc_now
from ydsi_tui.vault.vault import Vault
from ydsi_tui.vault.verify import VerifyReport, verify_vault


def _raw_entries(world: World) -> list[dict[str, object]]:
    """The log as the technician reads it: every line, parsed, nothing opened."""
    lines = (world.path / "audit.log").read_bytes().splitlines()
    return [json.loads(line) for line in lines]


def _dsl_verify(world: World) -> VerifyReport:
    return verify_vault(world.path, opener=world.unlock(DSL).vault.audit.sealer)


def test_a_technician_reads_no_record_version_or_action_of_a_case(world: World) -> None:
    dsl = world.unlock(DSL)
    world.cases(DSL).open(world.incidents[1])  # an audited read, too
    described = [e for e in dsl.vault.audit.entries() if e.comp == "case"]
    records = {e.rec for e in described if e.rec}
    hashes = {e.hash for e in described if e.hash}
    actions = {e.action for e in described}
    log = (world.path / "audit.log").read_text("ascii")
    raw_case = [doc for doc in _raw_entries(world) if doc["comp"] == "case"]
    checks = Checks("technician", "the audit log's entries about case records")
    print(f"\n{len(raw_case)} case entries; {len(records)} records, actions {sorted(actions)}")
    checks.keep("the world has case reads and saves to hide", {"record.read"} < actions)
    checks.attack(
        "no case record id is in the log",
        not [r for r in records if r in log],
        repr([r for r in records if r in log][:3]),
    )
    checks.attack("no case file's hash is in the log", not [h for h in hashes if h in log])
    checks.attack(
        "every case entry's action reads 'sealed', naming no record",
        all(doc["action"] == "sealed" and doc["rec"] == "" for doc in raw_case),
    )
    sizes: dict[str, set[int]] = {}
    for e, doc in zip(described, raw_case, strict=True):
        sizes.setdefault(e.action, set()).add(len(json.dumps(doc["extra"])))
    checks.keep("reads and saves both", {"record.read", "record.write"} <= set(sizes))
    checks.attack(
        "a read and a save seal to the same length",
        len(sizes["record.read"] | sizes["record.write"]) == 1,
        repr(sizes),
    )
    checks.keep("a case role opens every one", all(e.opened and e.rec for e in described))
    # Their own verify still checks the chain, every signature and every signer's role.
    theirs = verify_vault(world.path)
    checks.keep("their verify passes", theirs.ok, "; ".join(theirs.problems))
    checks.keep(
        "... counting the sealed entries",
        theirs.sealed_unread == len(raw_case) and any("sealed" in n for n in theirs.notes),
    )
    checks.finish()


def test_an_edited_sealed_entry_is_caught_by_anyone_s_verify(world: World) -> None:
    """The technician flips a byte of a sealed blob: the signature covers it."""
    log = world.path / "audit.log"
    lines = log.read_bytes().splitlines(keepends=True)
    index = next(i for i, line in enumerate(lines) if b'"sealed":"' in line)
    doc = json.loads(lines[index])
    blob = bytearray(base64.b64decode(doc["extra"]["sealed"]))
    blob[20] ^= 1
    doc["extra"]["sealed"] = base64.b64encode(bytes(blob)).decode()
    entry = AuditEntry.parse(lines[index].rstrip(b"\n"))
    edited = AuditEntry(**{**entry.__dict__, "extra": doc["extra"]})
    lines[index] = edited.line() + b"\n"
    log.write_bytes(b"".join(lines))
    checks = Checks("technician", "one byte of a sealed case entry")
    report = verify_vault(world.path)  # keyless, as the technician runs it
    checks.attack(
        "their own keyless verify names the entry",
        any(f"entry {index + 1}: " in p and "signature" in p for p in report.problems),
        "; ".join(report.problems),
    )
    checks.finish()


def test_a_team_member_s_sealed_destruction_counts_for_nothing(world: World) -> None:
    """A case key and a valid signature, for an act only a DSL may sign."""
    team = world.unlock(TEAM)
    ref = world.incidents[1]
    record_id = team.record_id("case", ref)
    with team.vault.lock():
        team.vault.audit.append(
            team.signer, ts=utc_now(), action="record.destroy", comp="case", rec=record_id
        )
    checks = Checks("team", f"a sealed record.destroy of {ref}")
    fresh = world.unlock(DSL, fresh=True)
    checks.keep(f"the DSL still reads {ref}", bool(fresh.read("case", ref, log=False).tables))
    report = _dsl_verify(world)
    checks.attack(
        "the DSL's verify --entries names it",
        any("a team may not make this change (record.destroy)" in p for p in report.problems),
        "; ".join(report.problems),
    )
    keyless = verify_vault(world.path)
    checks.keep(
        "a keyless verify cannot tell (it is sealed) and says so",
        any("sealed" in n for n in keyless.notes),
    )
    checks.finish()


def test_a_sealed_blob_moved_to_another_entry_opens_for_nobody(world: World) -> None:
    """A Headteacher copies the DSL's sealed save into an entry of their own (a modified client)."""
    head = world.unlock(HEAD)
    dsl_id = world.unlock(DSL).user.id
    source = next(
        doc for doc in _raw_entries(world) if doc["comp"] == "case" and doc["actor"] == dsl_id
    )
    head.vault.audit.sealer = None  # their client writes the line as they choose
    with head.vault.lock():
        entry, _ = head.vault.audit.append(
            head.signer, ts=utc_now(), action="sealed", comp="case", rec="",
            extra=dict(source["extra"]),  # type: ignore[arg-type]
        )  # fmt: skip
    checks = Checks("headteacher", "the DSL's sealed save replayed under their name")
    report = _dsl_verify(world)
    checks.attack(
        "the DSL's verify says it does not open",
        any(f"entry {entry.seq}: " in p and "does not open" in p for p in report.problems),
        "; ".join(report.problems),
    )
    fresh = world.unlock(DSL, fresh=True)
    checks.attack("the DSL's reader indexes it nowhere", entry.seq in fresh.vault.ledger.unopened)
    checks.finish()


def test_a_technician_forging_a_sealed_case_entry_is_named_by_their_own_verify(
    world: World,
) -> None:
    tech = world.unlock(TECH)
    noise = base64.b64encode(secrets.token_bytes(540)).decode()
    with tech.vault.lock():
        entry, _ = tech.vault.audit.append(
            tech.signer, ts=utc_now(), action="sealed", comp="case", rec="",
            extra={"sealed": noise},
        )  # fmt: skip
    checks = Checks("technician", "a sealed-looking case entry under their own key")
    keyless = verify_vault(world.path)
    checks.attack(
        "a keyless verify names a technician writing case entries",
        any(f"entry {entry.seq}: a technician may not" in p for p in keyless.problems),
        "; ".join(keyless.problems),
    )
    checks.keep(f"the DSL still reads {world.incidents[0]}",
                bool(world.cases(DSL).open(world.incidents[0], log=False)))  # fmt: skip
    checks.finish()


def test_a_technician_s_open_leaves_a_case_save_in_flight_for_a_case_role(
    world: World, tmp_path: Path
) -> None:
    """A crash between the log entry and the rename: only a case role can tell it is a save."""
    ref = world.incidents[1]
    target = world.file("case", ref)
    before = target.read_bytes()
    world.cases(DSL).note(ref, "Saved just before the server lost power")
    after = target.read_bytes()
    world.close()
    # The state a crash leaves: the log names the new file, which is still a temporary one.
    leftover = target.parent / f"{TEMP_PREFIX}{target.stem}-{secrets.token_hex(6)}"
    leftover.write_bytes(after)
    os.replace(target, tmp_path / "gone")
    target.write_bytes(before)
    checks = Checks("technician", "a case save half done when they open the vault")
    tech = Vault.open(world.path).unlock(TECH.login, TECH.passphrase)
    tech.close()
    checks.attack("their open leaves the temporary file alone", leftover.exists())
    checks.attack("... and the old version in place", target.read_bytes() == before)
    dsl = Vault.open(world.path).unlock(DSL.login, DSL.passphrase)
    try:
        checks.keep("the DSL's unlock finishes the save", target.read_bytes() == after)
        notes = [t.event.data.get("text") for t in world.cases(DSL).open(ref).incident.timeline]
        checks.keep("the note is there", "Saved just before the server lost power" in notes)
        checks.keep("no temporary file is left", not leftover.exists())
        left = [n for n in os.listdir(target.parent) if n.startswith(TEMP_PREFIX)]
        checks.keep("no other file is left over", not left, repr(left))
        checks.keep("the record's name is unchanged", target.name.endswith(RECORD_SUFFIX))
    finally:
        dsl.close()
    checks.finish()
