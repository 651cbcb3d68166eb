"""Item 2 (audit log): every edit, deletion, reordering or insertion is detected.

A log of a mixed history (DSL case writes, technician custody writes, audited
reads) is mutated at every entry in every way, and ``verify`` must report the
first bad entry each time (100%). Cutting entries off the end leaves a valid
shorter chain, which only a checkpoint (``make_checkpoint``) detects: both
halves of that statement are tested.

Cost: every mutation is a full ``verify_vault``. Signature checks of the
unchanged entries repeat identically thousands of times, so the verifier's
``verify_signature`` is wrapped in a cache here: a pure function memoised on
(public key, signature, message), so every *changed* entry still goes through
a real Ed25519 check. The 1,000-entry log (about 5,000 mutations) is split
into interleaved parts that pytest-xdist runs side by side.
"""

from __future__ import annotations

import functools
import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.support.vaults import DSL_PASS, TECH_PASS, copy_vault, min_kdf, write_raw
from ydsi_tui.vault import verify as verify_module
from ydsi_tui.vault.audit import AuditEntry
from ydsi_tui.vault.checkpoint import Checkpoint, make_checkpoint
from ydsi_tui.vault.crypto import b64e, canonical_json, sign
from ydsi_tui.vault.session import Session
from ydsi_tui.vault.vault import Vault
from ydsi_tui.vault.verify import verify_vault

_ENTRY = re.compile(r"^audit\.log entry (\d+):")


@dataclass
class Log:
    path: Path
    lines: list[bytes]
    dsl: Session
    tech: Session


def build_log(path: Path, entries: int) -> Log:
    """A vault whose audit log holds about ``entries`` entries of every kind."""
    dsl, _ = Vault.create(path, user="dsl", passphrase=DSL_PASS, kdf=min_kdf())
    dsl.add_user("tech", "technician", TECH_PASS)
    tech = Vault.open(path).unlock("tech", TECH_PASS)
    step = 0
    while len((path / "audit.log").read_bytes().splitlines()) < entries:
        kind = step % 5
        ref = f"R-{step % 7}"
        if kind in (0, 1):
            with dsl.transaction("case", ref, create=not dsl.exists("case", ref)) as db:
                db.table("timeline").insert({"n": step})
        elif kind == 2:
            with tech.transaction("custody", ref, create=not tech.exists("custody", ref)) as db:
                db.table("log").insert({"n": step})
        elif kind == 3 and dsl.exists("case", ref):
            dsl.read("case", ref)
        elif tech.exists("custody", ref):
            tech.read("custody", ref)
        step += 1
    lines = (path / "audit.log").read_bytes().splitlines()
    return Log(path, lines, dsl, tech)


@pytest.fixture
def cached_signatures(monkeypatch: pytest.MonkeyPatch) -> None:
    real = verify_module.verify_signature
    monkeypatch.setattr(verify_module, "verify_signature", functools.lru_cache(maxsize=None)(real))


# ---------------------------------------------------------------------------
# mutations
# ---------------------------------------------------------------------------

FIELDS = ["ts", "actor", "key_id", "action", "comp", "rec", "hash", "prev", "extra", "seq", "sig"]


def _other_hex(text: str) -> str:
    return ("1" if text[:1] != "1" else "2") + text[1:]


def edit_field(lines: list[bytes], index: int, field: str) -> list[bytes]:
    """Change one field of entry ``index`` (0-based), keeping canonical form."""
    doc = json.loads(lines[index])
    other = json.loads(lines[index - 1 if index else index + 1])
    if field == "ts":
        doc["ts"] = doc["ts"][:-2] + ("1Z" if doc["ts"][-2] != "1" else "2Z")
    elif field in ("actor", "key_id"):
        doc[field] = other[field] if other[field] != doc[field] else _other_hex(doc[field])
    elif field == "action":
        doc["action"] = "record.read" if doc["action"] != "record.read" else "record.write"
    elif field == "comp":
        doc["comp"] = "custody" if doc["comp"] != "custody" else "case"
    elif field in ("rec", "prev"):
        doc[field] = _other_hex(doc[field])
    elif field == "hash":
        doc["hash"] = _other_hex(doc["hash"]) if doc["hash"] else "0" * 64
    elif field == "extra":
        doc["extra"] = {**doc["extra"], "note": "added later"}
    elif field == "seq":
        doc["seq"] += 1
    elif field == "sig":
        doc["sig"] = other["sig"]
    out = list(lines)
    out[index] = canonical_json(doc)
    assert out[index] != lines[index]
    return out


def delete(lines: list[bytes], index: int) -> list[bytes]:
    return lines[:index] + lines[index + 1 :]


def swap_with_next(lines: list[bytes], index: int) -> list[bytes]:
    out = list(lines)
    out[index], out[index + 1] = out[index + 1], out[index]
    return out


def insert_copy(lines: list[bytes], index: int) -> list[bytes]:
    return [*lines[: index + 1], lines[index], *lines[index + 1 :]]


def resign_by_author(lines: list[bytes], index: int, session: Session) -> list[bytes]:
    """The entry's own author edits and re-signs it: only the chain can tell."""
    entry = AuditEntry.parse(lines[index])
    body = {**entry.body_doc(), "extra": {**entry.extra, "note": "rewritten by its author"}}
    edited = AuditEntry(**body, sig="")
    signature = sign(session._require_identity().sign, edited.signing_bytes())
    out = list(lines)
    out[index] = AuditEntry(**body, sig=b64e(signature)).line()
    return out


def first_bad_entry(vault: Path, lines: list[bytes], checkpoint: bytes | None = None) -> int | None:
    write_raw(vault / "audit.log", b"".join(line + b"\n" for line in lines))
    report = verify_vault(vault, checkpoint=checkpoint)
    for problem in report.problems:
        match = _ENTRY.match(problem)
        if match:
            return int(match.group(1))
    assert report.ok, f"problems without an entry number: {report.problems}"
    return None


def mutate_every_entry(log: Log, work: Path, part: int = 0, parts: int = 1) -> dict[str, int]:
    """Apply every mutation at every entry (of one ``part`` in ``parts``, so that
    the pieces of a long log can be checked in parallel); return the counts."""
    vault = copy_vault(log.path, work)
    lines = log.lines
    n = len(lines)
    counts = dict.fromkeys(["edit", "delete", "swap", "insert", "resign"], 0)
    failures: list[str] = []

    def expect(kind: str, mutated: list[bytes], index: int, want: int) -> None:
        counts[kind] += 1
        got = first_bad_entry(vault, mutated)
        if got != want:
            failures.append(f"{kind} at entry {index + 1}: first bad reported {got}, want {want}")

    authors = {log.dsl.signer.actor_id: log.dsl, log.tech.signer.actor_id: log.tech}
    for i in range(n)[part::parts]:
        field = FIELDS[i % len(FIELDS)]
        expect("edit", edit_field(lines, i, field), i, i + 1)
        if i < n - 1:
            # (deleting the last entry is truncation: see the checkpoint tests)
            expect("delete", delete(lines, i), i, i + 1)
            expect("swap", swap_with_next(lines, i), i, i + 1)
            # A re-signed edit is self-consistent; the chain breaks at the next entry.
            author = authors.get(AuditEntry.parse(lines[i]).actor)
            if author is not None:
                expect("resign", resign_by_author(lines, i, author), i, i + 2)
        expect("insert", insert_copy(lines, i), i, i + 2)
    write_raw(vault / "audit.log", b"".join(line + b"\n" for line in lines))
    assert verify_vault(vault).ok
    assert not failures, f"{len(failures)} mutations missed or misplaced: {failures[:10]}"
    return counts


@pytest.fixture(scope="module")
def small_log(tmp_path_factory: pytest.TempPathFactory) -> Log:
    return build_log(tmp_path_factory.mktemp("audit") / "vault", 120)


@pytest.fixture(scope="module")
def thousand_log(tmp_path_factory: pytest.TempPathFactory) -> Log:
    return build_log(tmp_path_factory.mktemp("audit") / "vault", 1000)


#: The 1,000-entry log is checked in this many interleaved parts, so that
#: pytest-xdist spreads its 5,000 full verifies over the machine's cores.
PARTS = 4


@pytest.mark.slow  # minutes: every mutation
@pytest.mark.parametrize("part", range(PARTS))
@pytest.mark.usefixtures("cached_signatures")
def test_every_mutation_of_a_thousand_entry_log_is_detected(
    thousand_log: Log, tmp_path: Path, part: int
) -> None:
    counts = mutate_every_entry(thousand_log, tmp_path / "work", part, PARTS)
    n = len(thousand_log.lines)
    assert n >= 1000
    mine = range(n)[part::PARTS]
    assert counts["edit"] == counts["insert"] == len(mine)
    assert counts["delete"] == counts["swap"] == len([i for i in mine if i < n - 1])
    assert counts["resign"] > len(mine) // 2
    print(f"audit mutations detected (part {part + 1} of {PARTS}): {sum(counts.values())} {counts}")


def test_raw_byte_damage_inside_an_entry_is_detected(small_log: Log, tmp_path: Path) -> None:
    vault = copy_vault(small_log.path, tmp_path / "work")
    for index in (0, 1, len(small_log.lines) // 2, len(small_log.lines) - 2):
        line = small_log.lines[index]
        for offset in (0, 1, len(line) // 3, len(line) // 2, len(line) - 2, len(line) - 1):
            mutated = list(small_log.lines)
            damaged = bytearray(line)
            damaged[offset] ^= 0x20 if damaged[offset] ^ 0x20 != 0x0A else 0x01
            mutated[index] = bytes(damaged)
            assert first_bad_entry(vault, mutated) == index + 1, (index, offset)


# ---------------------------------------------------------------------------
# truncation and checkpoints
# ---------------------------------------------------------------------------


@pytest.fixture
def checkpointed(small_log: Log, tmp_path: Path) -> Iterator[tuple[Path, Session, Checkpoint]]:
    vault = copy_vault(small_log.path, tmp_path / "cp")
    session = Vault.open(vault).unlock("dsl", DSL_PASS)
    case = session.list_records("case")[0].record_id
    # End the log with audit-only entries, the case a chain alone cannot defend.
    ref = next(f"R-{i}" for i in range(7) if session.record_id("case", f"R-{i}") == case)
    for _ in range(3):
        session.read("case", ref)
    checkpoint = make_checkpoint(session)
    assert checkpoint.seq == session.audit_head()
    yield vault, session, checkpoint
    session.close()


def _lines(vault: Path) -> list[bytes]:
    return (vault / "audit.log").read_bytes().splitlines(keepends=True)


def test_truncated_log_passes_the_chain_but_fails_the_checkpoint(
    checkpointed: tuple[Path, Session, Checkpoint],
) -> None:
    vault, _, checkpoint = checkpointed
    assert verify_vault(vault, checkpoint=checkpoint.to_bytes()).ok
    lines = _lines(vault)
    write_raw(vault / "audit.log", b"".join(lines[:-2]))
    # The chain alone cannot see two audit-only entries cut from the end...
    assert verify_vault(vault).ok
    # ...the checkpoint kept off the server can.
    report = verify_vault(vault, checkpoint=checkpoint.to_bytes())
    assert any("truncated" in p and str(checkpoint.seq) in p for p in report.problems)


def test_log_cut_mid_line_is_caught_by_the_checkpoint(
    checkpointed: tuple[Path, Session, Checkpoint],
) -> None:
    vault, _, checkpoint = checkpointed
    data = (vault / "audit.log").read_bytes()
    write_raw(vault / "audit.log", data[: len(data) - 40])
    report = verify_vault(vault, checkpoint=checkpoint.to_bytes())
    assert any("truncated" in p for p in report.problems)


def test_truncated_writes_are_caught_even_without_a_checkpoint(
    small_log: Log, tmp_path: Path
) -> None:
    vault = copy_vault(small_log.path, tmp_path / "work")
    lines = _lines(vault)
    last_write = max(i for i, line in enumerate(lines) if AuditEntry.parse(line.rstrip(b"\n")).hash)
    write_raw(vault / "audit.log", b"".join(lines[:last_write]))
    report = verify_vault(vault)
    assert not report.ok
    assert any("does not match entry" in p or "rolled back" in p for p in report.problems)


def test_rewritten_tail_is_caught_by_the_checkpoint(
    checkpointed: tuple[Path, Session, Checkpoint],
) -> None:
    vault, session, checkpoint = checkpointed
    lines = _lines(vault)
    write_raw(vault / "audit.log", b"".join(lines[:-3]))
    ref = next(f"R-{i}" for i in range(7) if session.exists("case", f"R-{i}"))
    for _ in range(3):  # a valid, re-chained, re-signed replacement tail
        session.read("case", ref)
    assert verify_vault(vault).ok
    report = verify_vault(vault, checkpoint=checkpoint.to_bytes())
    assert any("rewritten" in p for p in report.problems)


@pytest.mark.parametrize("field", ["seq", "hash", "vault_id", "sig"])
def test_forged_checkpoint_is_refused(
    checkpointed: tuple[Path, Session, Checkpoint], field: str
) -> None:
    vault, _, checkpoint = checkpointed
    doc = json.loads(checkpoint.to_bytes())
    if field == "seq":
        doc["seq"] += 5
    elif field == "sig":
        doc["sig"] = b64e(bytes(64))
    else:
        doc[field] = _other_hex(doc[field])
    report = verify_vault(vault, checkpoint=json.dumps(doc).encode())
    assert report.problems and (
        "signature does not verify" in report.problems[0] or "different vault" in report.problems[0]
    )


def test_checkpoint_round_trips_and_damaged_file_is_reported(
    checkpointed: tuple[Path, Session, Checkpoint],
) -> None:
    vault, _, checkpoint = checkpointed
    assert Checkpoint.from_bytes(checkpoint.to_bytes()) == checkpoint
    report = verify_vault(vault, checkpoint=b"{not json")
    assert any(p.startswith("checkpoint:") for p in report.problems)


def test_entries_after_reads_back_from_the_end(tmp_path: Path) -> None:
    """What the app's poll uses: the same entries as a full read, from the tail only."""
    from ydsi_tui.vault.crypto import KdfParams
    from ydsi_tui.vault.vault import Vault

    session, _ = Vault.create(
        tmp_path / "v", user="dsl", passphrase="entries after test pass",
        kdf=KdfParams.new(64 * 1024, 3, 1),
    )  # fmt: skip
    for n in range(300):  # several tail reads' worth of lines
        with session.transaction("case", f"2026-{n:03d}", create=True) as db:
            db.table("events").insert({"n": n})
    audit = session.vault.audit
    every = list(audit.entries())
    head = every[-1].seq
    for seq in (0, 1, head // 2, head - 3, head - 1, head):
        assert [e.seq for e in audit.entries_after(seq)] == [e.seq for e in every if e.seq > seq]
    written = {(e.comp, e.rec) for e in every if e.seq > head - 10 and e.hash}
    assert session.changed_since(head - 10) == {w for w in written if w[0] in ("case", "custody")}


# ---------------------------------------------------------------------------
# incremental verify from a checkpoint
# ---------------------------------------------------------------------------


def _forge_last_signature(vault: Path) -> int:
    """Replace the signature of the log's last entry (no later entry chains to it)."""
    lines = _lines(vault)
    doc = json.loads(lines[-1])
    doc["sig"] = b64e(bytes(64))
    lines[-1] = json.dumps(doc, separators=(",", ":")).encode() + b"\n"
    write_raw(vault / "audit.log", b"".join(lines))
    return int(doc["seq"])


def test_incremental_verify_rechecks_only_what_the_checkpoint_does_not_cover(
    checkpointed: tuple[Path, Session, Checkpoint],
) -> None:
    vault, session, checkpoint = checkpointed
    ref = next(f"R-{i}" for i in range(7) if session.exists("case", f"R-{i}"))
    with session.transaction("case", ref) as db:
        db.table("timeline").insert({"n": "after the checkpoint"})
    full = verify_vault(vault)
    report = verify_vault(vault, checkpoint=checkpoint.to_bytes(), checker="dsl")
    assert full.ok and full.vouched_by_checkpoint == 0
    assert report.ok and report.vouched_by_checkpoint == checkpoint.seq
    assert report.entries == full.entries > checkpoint.seq

    # A signature after the checkpoint is still checked...
    forged = _forge_last_signature(vault)
    assert forged > checkpoint.seq
    report = verify_vault(vault, checkpoint=checkpoint.to_bytes(), checker="dsl")
    assert any(p.startswith(f"audit.log entry {forged}:") for p in report.problems)


def test_incremental_verify_still_hashes_every_file_and_the_whole_chain(
    checkpointed: tuple[Path, Session, Checkpoint],
) -> None:
    vault, session, checkpoint = checkpointed
    record = next(iter(sorted((vault / "case").iterdir())))
    data = bytearray(record.read_bytes())
    data[-1] ^= 1  # a file whose save the checkpoint covers
    write_raw(record, bytes(data))
    # The DSL's verify --entries: case files are checked against the sealed entries, opened.
    report = verify_vault(
        vault, checkpoint=checkpoint.to_bytes(), checker="dsl", opener=session.vault.audit.sealer
    )
    assert report.vouched_by_checkpoint == checkpoint.seq
    assert any(record.name in p for p in report.problems), report.problems
    write_raw(record, bytes(data[:-1]) + bytes([data[-1] ^ 1]))

    # An entry inside the covered range altered: the chain no longer reaches the
    # checkpoint's head, and the vault is not intact.
    lines = _lines(vault)
    doc = json.loads(lines[2])
    doc["ts"] = "2020-01-01T00:00:00Z"
    lines[2] = json.dumps(doc, separators=(",", ":")).encode() + b"\n"
    write_raw(vault / "audit.log", b"".join(lines))
    report = verify_vault(vault, checkpoint=checkpoint.to_bytes(), checker="dsl")
    assert not report.ok
    assert any("entry 4" in p or "rewritten" in p for p in report.problems), report.problems


def test_a_technicians_checkpoint_vouches_for_nothing(small_log: Log, tmp_path: Path) -> None:
    """A technician signs a checkpoint over a log with a forged entry: verify still checks
    every signature (their key is valid, but only a DSL's or the checker's own counts)."""
    vault = copy_vault(small_log.path, tmp_path / "tech-cp")
    forged = _forge_last_signature(vault)
    tech = Vault.open(vault).unlock("tech", TECH_PASS)
    mark = make_checkpoint(tech)
    tech.close()
    assert mark.seq >= forged
    report = verify_vault(vault, checkpoint=mark.to_bytes(), checker="dsl")
    assert report.vouched_by_checkpoint == 0
    assert any(p.startswith(f"audit.log entry {forged}:") for p in report.problems)
    assert any("signed by a technician" in p for p in report.problems)
