"""``ydsi repair`` as a tool for attackers: it must launder nothing.

Repair is the one way a damaged record becomes genuine again, so it is what
an attacker would reach for after a forgery: a Headteacher or a technician
running it, or signing a ``record.repair`` entry of their own with their
valid key; a group member planting a fake "backup" under the name the DSL
will give ``--backup``. Each test asserts both halves: the abuse is refused
(readers still say DAMAGED, ``verify`` names it, the file is left as found),
and the genuine record comes back whole once a DSL repairs it from a real
backup.
"""

from __future__ import annotations

import io
import json
import tarfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

from tests.support.adversary import (
    DSL,
    FORGED_SUMMARY,
    HEAD,
    TEAM,
    TECH,
    Checks,
    Person,
    World,
    encode_over,
    expect_intact,
    forge_incident_tables,
    plain_write,
)
from ydsi_tui.service.repair import RepairNeedsChoice, repair_record
from ydsi_tui.vault.backup import MANIFEST_NAME, Manifest, write_backup
from ydsi_tui.vault.chain import chain_state
from ydsi_tui.vault.crypto import b64e, sha256_hex
from ydsi_tui.vault.errors import AccessDenied, VaultError
from ydsi_tui.vault.recordfile import peek
from ydsi_tui.vault.session import Session


def _backup(world: World, path: Path) -> Path:
    write_backup(world.unlock(DSL), path)
    return path


def _signed_repair(
    session: Session, compartment: str, target: Path, summary: Any, body: Any, how: str
) -> None:
    """A ``record.repair`` entry signed with the attacker's own valid key, over a forged file."""
    vault = session.vault
    with vault.lock():
        previous = target.read_bytes()
        blob = encode_over(session, target, key_compartment=compartment, summary=summary, body=body)
        chain = chain_state(vault.header.vault_id, compartment, target.stem, body)
        extra: dict[str, Any] = {"gen": peek(blob, "x").generation, "chain": chain.to_doc()}
        if how == "as-found":
            extra.update({"from": "as-found", "found": chain.to_doc(), "lost_since": 1})
        else:
            extra.update({"from": "backup", "entry": 1})
        vault.commit_file(
            session.signer, comp=compartment, rec=target.stem, path=target, data=blob,
            previous=previous, action="record.repair", extra=extra,
        )  # fmt: skip


def _refused_repair(checks: Checks, who: Person, world: World, ref: str, backup: Path) -> None:
    def attempt() -> object:
        return repair_record(world.services(who), ref, backups=[backup])

    try:
        attempt()
    except AccessDenied as exc:
        checks.attack(f"{who.role} runs 'ydsi repair {ref}': refused", True, str(exc))
    except VaultError as exc:
        checks.attack(f"{who.role} runs 'ydsi repair {ref}': refused", False, repr(exc))
    else:
        checks.attack(f"{who.role} runs 'ydsi repair {ref}': refused", False, "it repaired")


def _dsl_puts_it_back(
    checks: Checks, world: World, compartment: str, ref: str, backup: Path, genuine: bytes
) -> None:
    target = world.file(compartment, ref)
    try:
        result = repair_record(world.services(DSL), ref, backups=[backup])
    except VaultError as exc:
        checks.keep(f"a DSL repairs {ref} from the real backup", False, str(exc))
        return
    checks.keep(f"a DSL repairs {ref} from the real backup", result.method == "backup")
    checks.keep("the file is the genuine bytes again", target.read_bytes() == genuine)
    report = world.verify()
    files = [p for p in report.problems if target.name in p]
    checks.keep("verify no longer names the file", not files, "; ".join(files))


def test_headteacher_cannot_launder_a_forgery_with_repair(world: World, tmp_path: Path) -> None:
    before = world.genuine()
    ref = world.incidents[0]
    target = world.file("case", ref)
    genuine = target.read_bytes()
    backup = _backup(world, tmp_path / "real.tar")
    checks = Checks("headteacher", "repair used to launder a forged incident")
    head = world.unlock(HEAD)
    summary, body = forge_incident_tables(ref)
    plain_write(target, encode_over(head, target, key_compartment="case", summary=summary,
                                    body=body))  # fmt: skip
    _refused_repair(checks, HEAD, world, ref, backup)
    for how in ("as-found", "backup"):
        _signed_repair(head, "case", target, summary, body, how)
        forged = target.read_bytes()
        checks.refused(
            f"a record.repair ({how}) signed by the Headteacher: the DSL's read",
            lambda: world.cases(DSL).open(ref),
        )
        rows = world.cases(DSL).rows()
        checks.attack(
            "the forged summary is never listed",
            not any(FORGED_SUMMARY in r.summary for r in rows),
        )
        report = world.verify()
        checks.attack(
            "verify names the Headteacher's record.repair",
            any("a headteacher may not make this change (record.repair)" in p
                for p in report.problems),
            "; ".join(report.problems),
        )  # fmt: skip
        checks.attack("the forgery is left as found for the DSL", target.read_bytes() == forged)
    _dsl_puts_it_back(checks, world, "case", ref, backup, genuine)
    expect_intact(world, checks, before)
    checks.finish()


def test_technician_cannot_launder_a_forged_custody_chain(world: World, tmp_path: Path) -> None:
    before = world.genuine()
    ref = world.device
    target = world.file("custody", ref)
    genuine = target.read_bytes()
    backup = _backup(world, tmp_path / "real.tar")
    checks = Checks("technician", "repair used to launder a cut custody chain")
    tech = world.unlock(TECH)
    tables = dict(tech.read("custody", ref, log=False).tables)
    summary = tables.pop("_summary")
    events = dict(tables["events"])
    # The access entry the technician would like gone.
    access = next(k for k, v in events.items() if v["kind"] == "device.accessed")
    events = {k: v for k, v in events.items() if int(k) < int(access)}
    tables["events"] = events
    _refused_repair(checks, TECH, world, ref, backup)
    _signed_repair(tech, "custody", target, summary, tables, "as-found")
    forged = target.read_bytes()
    checks.refused(
        "a record.repair signed by the technician: the DSL's read",
        lambda: world.devices(DSL).open(ref),
    )
    checks.refused(
        "and the technician's own read", lambda: world.devices(TECH).open(ref, log=False)
    )
    checks.attack("the cut chain is left as found", target.read_bytes() == forged)
    _dsl_puts_it_back(checks, world, "custody", ref, backup, genuine)
    after = world.devices(DSL).open(ref, log=False).device.chain
    checks.keep(
        "the access entry is back",
        any(t.event.kind == "device.accessed" for t in after),
    )
    expect_intact(world, checks, before)
    checks.finish()


def _rewrite_tar(
    source: Path,
    output: Path,
    member: str,
    change: Callable[[bytes], bytes],
    manifest: Callable[[dict[str, Any], bytes], dict[str, Any]] | None = None,
) -> None:
    """A copy of a backup with one member's bytes changed (and maybe the manifest too)."""
    with tarfile.open(source, "r:") as tar:
        items = []
        for info in tar:
            stream = tar.extractfile(info)
            assert stream is not None
            items.append((info, stream.read()))
    changed = {name: data for info, data in items for name in [info.name]}
    changed[member] = change(changed[member])
    if manifest is not None:
        doc = json.loads(changed[MANIFEST_NAME])
        changed[MANIFEST_NAME] = (
            json.dumps(manifest(doc, changed[member]), indent=1, sort_keys=True).encode() + b"\n"
        )
    with tarfile.open(output, "w", format=tarfile.PAX_FORMAT) as out:
        for info, _ in items:
            data = changed[info.name]
            info.size = len(data)
            out.addfile(info, io.BytesIO(data))


def test_a_planted_backup_is_refused_by_verification(world: World, tmp_path: Path) -> None:
    """A group member replaces the file the DSL will name with --backup: every variant refused."""
    before = world.genuine()
    ref = world.incidents[1]
    target = world.file("case", ref)
    member = world.relpath("case", ref)
    shared = tmp_path / "shared"
    shared.mkdir()
    old = target.read_bytes()
    # The damage the DSL wants to repair: the record rolled back by a group member.
    world.cases(DSL).note(ref, "Newest note, in the real backup only")
    genuine = target.read_bytes()
    real = _backup(world, tmp_path / "kept-safe.tar")
    plain_write(target, old)
    checks = Checks("group member", "a planted backup under the name the DSL will use")
    planted = shared / "ydsi-backup.tar"

    def flip(data: bytes) -> bytes:
        return data[:-40] + bytes(b ^ 0x5A for b in data[-40:])

    def keep_hash(doc: dict[str, Any], data: bytes) -> dict[str, Any]:
        return doc  # the manifest still names the genuine hash: the member's hash differs

    def claim(doc: dict[str, Any], data: bytes) -> dict[str, Any]:
        for item in doc["files"]:
            if item["path"] == member:
                item["sha256"] = sha256_hex(data)
        return doc

    team = world.unlock(TEAM)

    def team_signed(doc: dict[str, Any], data: bytes) -> dict[str, Any]:
        claim(doc, data)
        doc["made_by"], doc["key_id"] = TEAM.login, team.signer.key_id
        parsed = Manifest.from_bytes(json.dumps({**doc}).encode())
        doc["sig"] = b64e(team.sign(parsed.signing_bytes())[1])
        return doc

    variants = {
        "other bytes under the genuine manifest": (member, keep_hash),
        "other bytes, the manifest's hash changed to match": (member, claim),
        "other bytes, the manifest re-signed by a team member": (member, team_signed),
        "the genuine record beside an altered audit log": ("audit.log", keep_hash),
    }
    for label, (changed, manifest) in variants.items():
        _rewrite_tar(real, planted, changed, flip, manifest)
        try:
            repair_record(world.services(DSL), ref, backups=[planted])
        except RepairNeedsChoice as exc:
            outcome = [t.outcome for t in exc.tried if t.path]
            checks.attack(
                f"{label}: not used", outcome in (["failed"], ["does not hold it"]), str(outcome)
            )
        except VaultError as exc:
            checks.attack(f"{label}: not used", False, repr(exc))
        else:
            checks.attack(f"{label}: not used", False, "it was used")
        checks.attack(f"{label}: the record is left as found", target.read_bytes() == old)
    _dsl_puts_it_back(checks, world, "case", ref, real, genuine)
    notes = [n.text("text") for n in world.cases(DSL).open(ref, log=False).incident.notes]
    checks.keep("the newest note is back", notes[-1] == "Newest note, in the real backup only")
    expect_intact(world, checks, before, lost=(ref,))
    checks.finish()
