"""``ydsi repair REF``: a damaged record put back from a backup, or accepted as found.

Real vaults (the adversary suite's school: a DSL, a Headteacher, a team
member, a technician, two incidents and a device), real backups, real
damage done with plain file operations. Each test checks both halves: the
repair does what it says (``verify`` intact, the newest content back, what
was lost named) and refuses what it must (the file left as it was).
"""

from __future__ import annotations

import os
import tarfile
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from tests.support.adversary import (
    DSL,
    HEAD,
    World,
    build_world,
    encode_over,
    plain_write,
)
from tests.support.vaults import cached_kdf, copy_vault
from ydsi_tui.service.clock import FixedClock
from ydsi_tui.service.records import AS_FOUND, SIGNED
from ydsi_tui.service.repair import RepairNeedsChoice, repair_record
from ydsi_tui.vault.backup import write_backup
from ydsi_tui.vault.chain import chain_state
from ydsi_tui.vault.errors import AccessDenied, RecordDamaged
from ydsi_tui.vault.recordfile import peek
from ydsi_tui.vault.repair import DEFAULT_BACKUP_DIR, NothingToRepair, default_backups
from ydsi_tui.vault.session import Session
from ydsi_tui.vault.verify import VerifyReport, verify_vault

# Real vaults with several users per test (key derivations), seconds each.
pytestmark = pytest.mark.slow

COUNTS = {"repairs": 0, "refusals": 0}


def _clock() -> FixedClock:
    """An hour behind real time, every run: an entry dated by the real clock (as a
    forger's may be) then always sorts apart from the world's, so a test that reads
    places fails every time instead of once in a slow parallel run."""
    return FixedClock(datetime.now(UTC).replace(microsecond=0) - timedelta(hours=1))


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    base = tmp_path_factory.mktemp("repair")
    home = base / "home"
    home.mkdir(mode=0o700)
    saved = os.environ.get("HOME")
    os.environ["HOME"] = str(home)
    try:
        with cached_kdf():
            yield build_world(base / "template", _clock())
    finally:
        if saved is None:
            os.environ.pop("HOME", None)
        else:
            os.environ["HOME"] = saved


@pytest.fixture
def world(template: World, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[World]:
    home = tmp_path / "home"
    home.mkdir(mode=0o700)
    monkeypatch.setenv("HOME", str(home))
    with cached_kdf():
        made = World(
            copy_vault(template.path, tmp_path / "vault"), _clock(), template.incidents,
            template.device,
        )  # fmt: skip
        yield made
        made.close()


def _notes(world: World, ref: str) -> list[str]:
    return [n.text("text") for n in world.cases(DSL).open(ref, log=False).incident.notes]


def _backup(world: World, path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    write_backup(world.unlock(DSL), path)
    return path


def test_rollback_then_repair_from_backup(world: World, tmp_path: Path) -> None:
    ref = world.incidents[0]
    target = world.file("case", ref)
    old = target.read_bytes()
    world.cases(DSL).note(ref, "Latest: parents met in school")
    latest = target.read_bytes()
    backup = _backup(world, tmp_path / "b" / "latest.tar")
    plain_write(target, old)  # any group member can copy an older version back
    with pytest.raises(RecordDamaged, match="rolled back"):
        world.cases(DSL).open(ref)
    result = repair_record(world.services(DSL), ref, backups=[backup])
    COUNTS["repairs"] += 1
    assert result.method == "backup" and result.verified and result.backup == str(backup)
    assert target.read_bytes() == latest  # exactly the vouched bytes
    assert dsl_verify(world).ok, dsl_verify(world).problems
    assert _notes(world, ref)[-1] == "Latest: parents met in school"
    last = world.unlock(DSL).vault.audit.last_for("case", target.stem)
    assert last is not None and last.action == "record.repair"
    assert last.extra["from"] == "backup" and last.extra["entry"] == result.restored_seq
    # And life goes on: a save on top is accepted again, by anyone who may write.
    world.cases(HEAD).note(ref, "Headteacher informed")
    assert _notes(world, ref)[-1] == "Headteacher informed"


def test_deleted_file_then_repair_from_the_default_backup_folder(world: World) -> None:
    ref = world.device
    target = world.file("custody", ref)
    genuine = target.read_bytes()
    older = _backup(world, Path.home() / DEFAULT_BACKUP_DIR / "ydsi-backup-1.tar")
    world.devices(DSL).record(ref, "device.note", {"text": "Bag resealed"})
    genuine = target.read_bytes()
    newer = _backup(world, Path.home() / DEFAULT_BACKUP_DIR / "ydsi-backup-2.tar")
    target.unlink()
    with pytest.raises(RecordDamaged, match="missing"):
        world.devices(DSL).open(ref)
    assert set(default_backups()) == {older, newer}
    result = repair_record(world.services(DSL), ref, backups=default_backups())
    COUNTS["repairs"] += 1
    assert result.method == "backup" and result.backup == str(newer)
    outcomes = {t.path: t.outcome for t in result.tried}
    assert outcomes[str(older)] == "does not hold it" and outcomes[str(newer)] == "used"
    assert target.read_bytes() == genuine
    assert dsl_verify(world).ok
    chain = world.devices(DSL).open(ref, log=False).device.chain
    assert chain[-1].event.data["text"] == "Bag resealed"


def _forge_cut(world: World, ref: str, extra_note: str | None = None) -> bytes:
    """The Headteacher rewrites the file outside the protocol: last entry gone, maybe one added."""
    head = world.unlock(HEAD)
    target = world.file("case", ref)
    tables = dict(head.read("case", ref, log=False).tables)
    summary = tables.pop("_summary")
    events = dict(tables["events"])
    del events[max(events, key=int)]
    if extra_note is not None:
        from tests.support.adversary import event_claiming

        events[str(max(int(k) for k in events) + 5)] = event_claiming(
            "note", {"text": extra_note}, DSL, at=world.clock.now()
        ).to_doc()
    tables["events"] = events
    blob = encode_over(head, target, key_compartment="case", summary=summary, body=tables)
    plain_write(target, blob)
    return blob


def test_forged_file_then_accept_as_found_names_what_was_lost(world: World) -> None:
    ref = world.incidents[0]
    target = world.file("case", ref)
    world.cases(DSL).note(ref, "The note the Headteacher wants gone")
    lost_seq = world.unlock(DSL).vault.audit.last_for("case", target.stem)
    assert lost_seq is not None
    forged = _forge_cut(world, ref, extra_note="Planted: no further action")
    with pytest.raises(RepairNeedsChoice, match="--accept-as-found") as refused:
        repair_record(world.services(DSL), ref, backups=[])
    COUNTS["refusals"] += 1
    assert target.read_bytes() == forged  # the refusal changed nothing
    assert [s.seq for s in refused.value.as_found.lost] == [lost_seq.seq]
    result = repair_record(
        world.services(DSL), ref, backups=[], accept=True, reason="no backup since Monday"
    )
    COUNTS["repairs"] += 1
    assert result.method == "as-found" and result.verified
    assert [s.seq for s in result.lost] == [lost_seq.seq] and result.unvouched == 1
    assert dsl_verify(world).ok
    view = world.cases(DSL).open(ref, log=False)
    notes = view.incident.notes
    texts = [n.text("text") for n in notes]
    assert "The note the Headteacher wants gone" not in texts
    # Found by its words, not its place: which of the planted note and the repair
    # note sorts last is the forger's choice of time, not the repair's.
    (repair_note,) = [t for t in texts if t.startswith("Repaired: accepted as found;")]
    assert f"entries saved at entry {lost_seq.seq} and after are lost" in repair_note
    assert lost_seq.ts[:10] in repair_note and repair_note.endswith("no backup since Monday")
    events = view.incident.events_by_id
    by_text = {n.text("text"): events[n.event_id] for n in notes}
    assert by_text["Planted: no further action"].authorship == AS_FOUND  # never "signed"
    assert by_text["Planted: no further action"].by == DSL.full_name  # only its own word
    assert by_text[repair_note].authorship == SIGNED
    first = "Ava disclosed to her form tutor; image not viewed by staff"
    assert by_text[first].authorship == SIGNED
    # The audit entry holds numbers, never the DSL's words.
    last = world.unlock(DSL).vault.audit.last_for("case", target.stem)
    assert last is not None and last.action == "record.repair"
    assert last.extra["from"] == "as-found" and last.extra["lost_since"] == lost_seq.seq
    assert "Monday" not in str(last.extra)
    world.cases(DSL).note(ref, "After the repair")
    assert _notes(world, ref)[-1] == "After the repair"


def test_a_repair_does_not_hide_later_tampering(world: World) -> None:
    ref = world.incidents[0]
    target = world.file("case", ref)
    world.cases(DSL).note(ref, "To be lost")
    forged = _forge_cut(world, ref)
    repair_record(world.services(DSL), ref, backups=[], accept=True, reason="accepted")
    COUNTS["repairs"] += 1
    repaired = target.read_bytes()
    # The pre-repair (forged, never signed) file put back over the repair.
    plain_write(target, forged)
    with pytest.raises(RecordDamaged, match="does not match the signed save"):
        world.cases(DSL).open(ref)
    COUNTS["refusals"] += 1
    plain_write(target, repaired)
    assert _notes(world, ref)[-1].startswith("Repaired:")
    # A save signed by the Headteacher (who may write case files) that removes
    # the repair note, made past the client's own refusal: history rewritten.
    head = world.unlock(HEAD)
    tables = dict(head.read("case", ref, log=False).tables)
    summary = tables.pop("_summary")
    events = dict(tables["events"])
    del events[max(events, key=int)]
    tables["events"] = events
    _signed_save(head, target, summary, tables, action="record.write")
    with pytest.raises(RecordDamaged, match="history rewritten"):
        world.cases(DSL).open(ref)
    COUNTS["refusals"] += 1


def _signed_save(
    session: Session,
    target: Path,
    summary: dict[str, Any],
    body: dict[str, Any],
    *,
    action: str,
    extra: dict[str, Any] | None = None,
) -> None:
    """A save signed with ``session``'s own key, straight through the vault's public protocol."""
    vault = session.vault
    with vault.lock():
        previous = target.read_bytes()
        blob = encode_over(session, target, key_compartment="case", summary=summary, body=body)
        chain = chain_state(vault.header.vault_id, "case", target.stem, body)
        vault.commit_file(
            session.signer, comp="case", rec=target.stem, path=target, data=blob,
            previous=previous, action=action,
            extra={"gen": peek(blob, "x").generation, "chain": chain.to_doc(), **(extra or {})},
        )  # fmt: skip


def test_a_headteachers_repair_entry_vouches_for_nothing(world: World) -> None:
    """A record.repair "as found" signed by a Headteacher is not a new starting point."""
    ref = world.incidents[0]
    target = world.file("case", ref)
    world.cases(DSL).note(ref, "The note the Headteacher wants gone")
    head = world.unlock(HEAD)
    tables = dict(head.read("case", ref, log=False).tables)
    summary = tables.pop("_summary")
    events = dict(tables["events"])
    del events[max(events, key=int)]
    tables["events"] = events
    found = chain_state(head.vault.header.vault_id, "case", target.stem, tables)
    _signed_save(
        head, target, summary, tables, action="record.repair",
        extra={"from": "as-found", "found": found.to_doc(), "lost_since": 1, "lost": 1},
    )  # fmt: skip
    with pytest.raises(RecordDamaged, match="headteacher, who may not write"):
        world.cases(DSL).open(ref)
    # The entry is sealed: a keyless verify sees a Headteacher's case entry (allowed) and
    # says the case files were left to a case role; the DSL's check opens it.
    keyless = verify_vault(world.path)
    assert any("sealed" in n for n in keyless.notes), keyless.notes
    report = verify_vault(world.path, opener=world.unlock(DSL).vault.audit.sealer)
    assert any(
        "a headteacher may not make this change (record.repair)" in p for p in report.problems
    )
    COUNTS["refusals"] += 2
    # The DSL's honest way back still names the deleted note as lost.
    with pytest.raises(RepairNeedsChoice) as refused:
        repair_record(world.services(DSL), ref, backups=[])
    assert len(refused.value.as_found.lost) == 1


def test_refusals(world: World, tmp_path: Path) -> None:
    ref = world.incidents[1]
    target = world.file("case", ref)
    # Nothing to repair.
    with pytest.raises(NothingToRepair):
        repair_record(world.services(DSL), ref, backups=[])
    stale = _backup(world, tmp_path / "b" / "stale.tar")
    old = target.read_bytes()
    world.cases(DSL).note(ref, "Newer than the stale backup")
    good = _backup(world, tmp_path / "b" / "good.tar")
    plain_write(target, old)
    # Not a DSL.
    with pytest.raises(AccessDenied, match="only a DSL"):
        repair_record(world.services(HEAD), ref, backups=[good])
    # A backup without the hash.
    with pytest.raises(RepairNeedsChoice) as refused:
        repair_record(world.services(DSL), ref, backups=[stale])
    assert [t.outcome for t in refused.value.tried] == ["does not hold it"]
    # A backup that fails verification (its audit log altered inside the tar).
    broken = tmp_path / "b" / "broken.tar"
    _alter_member(good, broken, "audit.log")
    with pytest.raises(RepairNeedsChoice) as refused:
        repair_record(world.services(DSL), ref, backups=[broken])
    assert [t.outcome for t in refused.value.tried] == ["failed"]
    assert "verify" in refused.value.tried[0].detail
    COUNTS["refusals"] += 4
    assert target.read_bytes() == old  # no refusal touched it
    assert not dsl_verify(world).ok
    # The good one still works.
    assert repair_record(world.services(DSL), ref, backups=[broken, good]).backup == str(good)
    COUNTS["repairs"] += 1
    assert dsl_verify(world).ok


def dsl_verify(world: World) -> VerifyReport:
    """The DSL's ``verify --entries``: case files checked against the opened (sealed) log."""
    return verify_vault(world.path, opener=world.unlock(DSL).vault.audit.sealer)


def _alter_member(source: Path, output: Path, name: str) -> None:
    """A copy of a backup with one byte of one member flipped (same size, manifest kept)."""
    with (
        tarfile.open(source, "r:") as tar,
        tarfile.open(output, "w", format=tarfile.PAX_FORMAT) as out,
    ):
        for member in tar:
            data = tar.extractfile(member)
            assert data is not None
            body = bytearray(data.read())
            if member.name == name:
                body[10] ^= 0x01
            import io

            out.addfile(member, io.BytesIO(bytes(body)))


@pytest.fixture(autouse=True)
def print_counts() -> Iterator[None]:
    """Each test prints what it proved (``pytest -s``): repairs made, refusals checked."""
    before = dict(COUNTS)
    yield
    made = COUNTS["repairs"] - before["repairs"]
    refused = COUNTS["refusals"] - before["refusals"]
    print(f"\nrepair: {made} repairs made and checked, {refused} refusals checked")
