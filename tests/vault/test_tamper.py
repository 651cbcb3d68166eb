"""Item 2: every change made to the files outside ydsi is detected and named.

A record file with any byte flipped never decrypts (``Session.read`` raises
DamagedFile naming the file; altered data is never returned) and ``verify``
reports it. Deleted, rolled-back, swapped, copied-over and planted record
files, and an altered or re-signed ``vault.json``, are each named by verify.
(The audit log's own mutations are in ``test_audit_log.py``.)
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.support.faults import CountingFileSystem
from tests.support.vaults import DSL_PASS, TECH_PASS, copy_vault, flip, min_kdf, write_raw
from ydsi_tui.vault.audit import EntryOpener
from ydsi_tui.vault.crypto import ed25519_public_bytes, sign
from ydsi_tui.vault.errors import (
    DamagedFile,
    NewerFormat,
    RecordDamaged,
    VaultError,
)
from ydsi_tui.vault.header import AuthorityKey, Header
from ydsi_tui.vault.recordfile import RECORD_SUFFIX
from ydsi_tui.vault.session import Session
from ydsi_tui.vault.vault import Vault
from ydsi_tui.vault.verify import VerifyReport, verify_vault

# Flips every byte, or a thousand mutations, of real vault files.
pytestmark = pytest.mark.slow

CASES = ["INC-2026-001", "INC-2026-002"]
DEVICES = ["DEV-PHONE-1", "DEV-TABLET-2"]
RECORD_DECODE_ERRORS = (DamagedFile, NewerFormat)


#: The DSL's key to the sealed case entries (the same in every copy of the base vault):
#: these tests are of a case role's check, which compares every file with the log.
_OPENER: list[EntryOpener] = []


def verified(path: Path) -> VerifyReport:
    """``verify --entries`` as the DSL runs it: case files checked against the opened log."""
    return verify_vault(path, opener=_OPENER[0])


@dataclass
class Base:
    path: Path
    header_bytes: bytes


@pytest.fixture(scope="module")
def base(tmp_path_factory: pytest.TempPathFactory) -> Base:
    """A small vault: a DSL, a technician, two incidents, two devices, a few saves each."""
    path = tmp_path_factory.mktemp("tamper") / "base"
    dsl, _ = Vault.create(path, user="dsl", passphrase=DSL_PASS, kdf=min_kdf())
    dsl.add_user("tech", "technician", TECH_PASS)
    for n, ref in enumerate(CASES):
        with dsl.transaction("case", ref, create=True) as db:
            db.table("_summary").insert({"title": f"Incident {n}"})
            db.table("timeline").insert({"note": f"first note {n}"})
        with dsl.transaction("case", ref) as db:
            db.table("timeline").insert({"note": f"second note {n}"})
    tech = Vault.open(path).unlock("tech", TECH_PASS)
    for n, ref in enumerate(DEVICES):
        with tech.transaction("custody", ref, create=True) as db:
            db.table("devices").insert({"make": f"phone {n}", "bag": f"B{n}"})
    dsl.read("case", CASES[0])  # an audit-only entry too
    assert dsl.vault.audit.sealer is not None
    _OPENER[:] = [dsl.vault.audit.sealer]
    assert verified(path).ok
    return Base(path, (path / "vault.json").read_bytes())


@pytest.fixture
def vault(base: Base, tmp_path: Path) -> Path:
    return copy_vault(base.path, tmp_path / "vault")


@pytest.fixture
def dsl(vault: Path) -> Iterator[Session]:
    session = Vault.open(vault).unlock("dsl", DSL_PASS)
    yield session
    session.close()


def record_path(session: Session, comp: str, ref: str) -> Path:
    return session.vault.path / comp / f"{session.record_id(comp, ref)}{RECORD_SUFFIX}"


def rel(session: Session, comp: str, ref: str) -> str:
    return f"{comp}/{session.record_id(comp, ref)}{RECORD_SUFFIX}"


def problems_naming(vault: Path, needle: str) -> list[str]:
    report = verified(vault)
    assert not report.ok, "verify passed a tampered vault"
    return [p for p in report.problems if needle in p]


# ---------------------------------------------------------------------------
# single-byte flips in record files
# ---------------------------------------------------------------------------


def _assert_read_refused(session: Session, comp: str, ref: str) -> None:
    with pytest.raises(RECORD_DECODE_ERRORS) as info:
        session.read(comp, ref)
    name = rel(session, comp, ref)
    if isinstance(info.value, DamagedFile):
        assert info.value.path == name
    else:
        # Only the format-version byte can say "newer format"; it still names the file.
        assert name in str(info.value)


@pytest.mark.parametrize(("comp", "ref"), [("case", CASES[0]), ("custody", DEVICES[1])])
def test_every_single_byte_flip_of_a_record_is_refused(dsl: Session, comp: str, ref: str) -> None:
    path = record_path(dsl, comp, ref)
    original = path.read_bytes()
    head = dsl.audit_head()
    checked = 0
    for offset in range(len(original)):
        for mask in (0xFF, 1 << (offset % 8)):
            write_raw(path, flip(original, offset, mask))
            try:
                _assert_read_refused(dsl, comp, ref)
            except (AssertionError, pytest.fail.Exception) as exc:
                raise AssertionError(f"offset {offset} mask {mask:#x}: {exc}") from exc
            checked += 1
    write_raw(path, original)
    assert checked == 2 * len(original)
    print(f"\n{comp} record: {checked} byte flips over {len(original)} bytes, all refused")
    # A refused read is never logged as a read.
    assert dsl.audit_head() == head
    assert dsl.read(comp, ref, log=False).tables  # the genuine file still opens


def test_record_truncations_and_extensions_are_refused(dsl: Session) -> None:
    path = record_path(dsl, "case", CASES[1])
    original = path.read_bytes()
    for length in range(len(original)):
        write_raw(path, original[:length])
        _assert_read_refused(dsl, "case", CASES[1])
    for extra in range(1, 65):
        write_raw(path, original + bytes(range(extra)))
        _assert_read_refused(dsl, "case", CASES[1])
    write_raw(path, original)


@settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(data=st.data())
def test_random_record_flips_are_named_by_read_and_verify(
    dsl: Session, data: st.DataObject
) -> None:
    records = [("case", r) for r in CASES] + [("custody", d) for d in DEVICES]
    comp, ref = data.draw(st.sampled_from(records))
    path = record_path(dsl, comp, ref)
    original = path.read_bytes()
    genuine = {item.record_id: item.summary for item in dsl.list_records(comp)}
    offset = data.draw(st.integers(0, len(original) - 1), label="offset")
    mask = data.draw(st.integers(1, 255), label="mask")
    write_raw(path, flip(original, offset, mask))
    try:
        _assert_read_refused(dsl, comp, ref)
        named = problems_naming(dsl.vault.path, rel(dsl, comp, ref))
        assert named and "altered outside ydsi" in named[0]
        # The listing (summaries only) shows this record as damaged, or, when the
        # flip hit the timeline segment, its genuine summary; never an altered one.
        # One damaged record never hides the others.
        for item in dsl.list_records(comp):
            assert item.error is not None or item.summary == genuine[item.record_id]
            if item.record_id != dsl.record_id(comp, ref):
                assert item.error is None
    finally:
        write_raw(path, original)


# ---------------------------------------------------------------------------
# whole-file attacks
# ---------------------------------------------------------------------------


def test_deleted_record_is_named(dsl: Session) -> None:
    record_path(dsl, "case", CASES[0]).unlink()
    named = problems_naming(dsl.vault.path, rel(dsl, "case", CASES[0]))
    assert named and "missing" in named[0]
    # Format 2: the log remembers the record, so its absence is damage, not "no such record".
    with pytest.raises(RecordDamaged, match="missing: deleted outside ydsi"):
        dsl.read("case", CASES[0])
    assert any(item.error and "missing" in item.error for item in dsl.list_records("case"))


def test_rolled_back_record_is_named(dsl: Session) -> None:
    path = record_path(dsl, "case", CASES[0])
    dsl.read("case", CASES[0])  # this session has now seen the current generation
    old = path.read_bytes()
    with dsl.transaction("case", CASES[0]) as db:
        db.table("timeline").insert({"note": "a later note that a rollback would hide"})
    write_raw(path, old)
    named = problems_naming(dsl.vault.path, rel(dsl, "case", CASES[0]))
    assert named and "rolled back to the version saved at entry" in named[0]
    # Every session refuses the older one, not only one that saw the newer version.
    fresh = Vault.open(dsl.vault.path).unlock("dsl", DSL_PASS)
    with pytest.raises(RecordDamaged, match="rolled back to the version saved at entry"):
        fresh.read("case", CASES[0])
    with pytest.raises(DamagedFile, match="rolled back"):
        dsl.read("case", CASES[0])


def test_swapped_records_are_named(dsl: Session) -> None:
    a, b = record_path(dsl, "case", CASES[0]), record_path(dsl, "case", CASES[1])
    data_a, data_b = a.read_bytes(), b.read_bytes()
    write_raw(a, data_b)
    write_raw(b, data_a)
    report = verified(dsl.vault.path)
    for ref in CASES:
        named = [p for p in report.problems if rel(dsl, "case", ref) in p]
        assert named and "files swapped" in named[0], report.problems
        with pytest.raises(DamagedFile, match="another record"):
            dsl.read("case", ref)


def test_record_copied_over_another_is_named(dsl: Session) -> None:
    src, dst = record_path(dsl, "custody", DEVICES[0]), record_path(dsl, "custody", DEVICES[1])
    write_raw(dst, src.read_bytes())
    named = problems_naming(dsl.vault.path, rel(dsl, "custody", DEVICES[1]))
    assert named and "holds the content of" in named[0]
    with pytest.raises(DamagedFile, match="another record"):
        dsl.read("custody", DEVICES[1])
    assert dsl.read("custody", DEVICES[0]).tables["devices"]  # the source is untouched


def test_record_moved_across_compartments_is_refused(dsl: Session) -> None:
    custody = record_path(dsl, "custody", DEVICES[0]).read_bytes()
    write_raw(record_path(dsl, "case", CASES[0]), custody)
    with pytest.raises(DamagedFile):
        dsl.read("case", CASES[0])
    assert problems_naming(dsl.vault.path, rel(dsl, "case", CASES[0]))


def test_planted_record_file_is_named(dsl: Session) -> None:
    planted = dsl.vault.path / "case" / f"{'ab' * 16}{RECORD_SUFFIX}"
    shutil.copy2(record_path(dsl, "case", CASES[0]), planted)
    named = problems_naming(dsl.vault.path, planted.name)
    assert named and "not in the audit log" in named[0]
    listing = {item.record_id: item for item in dsl.list_records("case")}
    assert listing["ab" * 16].error  # it cannot pass for a record either


# ---------------------------------------------------------------------------
# vault.json
# ---------------------------------------------------------------------------


def _signed_span(header: bytes) -> tuple[int, int]:
    """Byte range of the signed ``"body":{...}`` object in canonical vault.json."""
    start = header.index(b'"body":')
    end = header.index(b',"format":')
    return start, end


def test_every_byte_flip_of_the_header_is_refused_or_harmless(vault: Path, base: Base) -> None:
    """Flipping any byte of vault.json: opening refuses it with a vault error, or the
    byte was in a (self-authenticating, unsigned) key slot, and verify names the file
    either way."""
    header_path = vault / "vault.json"
    original = base.header_bytes
    body_start, body_end = _signed_span(original)
    slots_start = original.index(b',"slots":')
    opened_at: list[int] = []
    for offset in range(len(original)):
        write_raw(header_path, flip(original, offset))
        try:
            Vault.open(vault, repair=False)
        except VaultError:
            continue
        opened_at.append(offset)
    write_raw(header_path, original)
    print(f"\nheader: {len(original)} byte flips, {len(original) - len(opened_at)} refused at open,"
          f" {len(opened_at)} in key slots or the envelope (verify names the file)")  # fmt: skip
    # Whatever opened was outside the signed body: slots, or the unsigned envelope.
    assert not [o for o in opened_at if body_start <= o < body_end]
    assert all(o >= slots_start for o in opened_at)
    # And verify names vault.json for flips anywhere (sampled: each costs a full verify).
    for offset in [*range(0, len(original), 97), *opened_at[::25], len(original) - 1]:
        write_raw(header_path, flip(original, offset))
        report = verified(vault)
        assert any("vault.json" in p for p in report.problems), (offset, report.problems)
    write_raw(header_path, original)


def test_flipped_slot_byte_locks_out_but_never_lets_in(vault: Path, base: Base) -> None:
    original = base.header_bytes
    header = Header.from_bytes(original)
    dsl_id = header.user_by_name("dsl").id  # type: ignore[union-attr]
    slot_doc = original.index(f'"{dsl_id}":{{"kdf"'.encode(), original.index(b',"slots":'))
    wrapped = original.index(b'"wrapped":"', slot_doc) + len(b'"wrapped":"')
    # Another base64 letter, so the slot still decodes and the damage must be
    # caught by the key wrap itself. (Flipping a bit could make an invalid
    # letter, refused earlier by the parser, depending on the random key.)
    at = wrapped + 20
    other = b"B" if original[at : at + 1] == b"A" else b"A"
    write_raw(vault / "vault.json", original[:at] + other + original[at + 1 :])
    # Each header save records every slot's digest: the changed slot is set aside,
    # its owner locked out (never let in), everyone else unaffected.
    with pytest.raises(DamagedFile, match="key slot of dsl was changed outside ydsi"):
        Vault.open(vault).unlock("dsl", DSL_PASS)
    assert Vault.open(vault).unlock("tech", TECH_PASS).role == "technician"
    assert any("key slot of dsl" in p for p in verified(vault).problems)
    write_raw(vault / "vault.json", original)
    assert Vault.open(vault).unlock("tech", TECH_PASS).role == "technician"


def test_header_resigned_by_a_fake_authority_is_refused(vault: Path, base: Base) -> None:
    header = Header.from_bytes(base.header_bytes)
    fake = Ed25519PrivateKey.generate()
    header.authority = [AuthorityKey("authority:1", ed25519_public_bytes(fake), None)]
    header.serial += 1
    header.signature_key = "authority:1"
    header.signature = sign(fake, header.signing_bytes())
    assert header.signature_ok()  # self-consistent: only trust anchors can tell
    write_raw(vault / "vault.json", header.to_bytes())
    # Refused at open (the audit log vouches for another header), before any unlock.
    with pytest.raises(DamagedFile, match=r"vault\.json"):
        Vault.open(vault)
    assert any("vault.json" in p for p in verified(vault).problems)


def test_header_body_edit_without_resigning_is_refused(vault: Path, base: Base) -> None:
    header = Header.from_bytes(base.header_bytes)
    tech = header.user_by_name("tech")
    assert tech is not None
    tech.role = "dsl"  # a technician promoting themselves
    write_raw(vault / "vault.json", header.to_bytes())
    with pytest.raises(DamagedFile, match="signature"):
        Vault.open(vault)
    report = verified(vault)
    assert any("vault.json" in p and "signature" in p for p in report.problems)


# ---------------------------------------------------------------------------
# Hypothesis: arbitrary damage to any file meets only documented errors
# ---------------------------------------------------------------------------

_edit = st.one_of(
    st.tuples(st.just("flip"), st.integers(0, 10**6), st.integers(1, 255)),
    st.tuples(st.just("delete"), st.integers(0, 10**6), st.integers(1, 64)),
    st.tuples(st.just("insert"), st.integers(0, 10**6), st.binary(min_size=1, max_size=64)),
    st.tuples(st.just("truncate"), st.integers(0, 10**6), st.just(0)),
    st.tuples(st.just("append"), st.just(0), st.binary(min_size=1, max_size=64)),
)


def _apply(data: bytes, edits: list[tuple[str, int, object]]) -> bytes:
    out = bytearray(data)
    for kind, where, arg in edits:
        at = where % (len(out) + 1)
        if kind == "flip" and out:
            out[at % len(out)] ^= int(arg)  # type: ignore[call-overload]
        elif kind == "delete":
            del out[at : at + int(arg)]  # type: ignore[call-overload]
        elif kind == "insert":
            out[at:at] = arg  # type: ignore[index]
        elif kind == "truncate":
            del out[at:]
        elif kind == "append":
            out += arg  # type: ignore[operator]
    return bytes(out)


@settings(
    max_examples=1000,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    target=st.sampled_from(["case", "custody", "vault.json", "audit.log"]),
    edits=st.lists(_edit, min_size=1, max_size=3),
)
def test_mutated_files_meet_only_documented_errors(
    dsl: Session, base: Base, target: str, edits: list[tuple[str, int, object]]
) -> None:
    vault = dsl.vault.path
    if target in ("case", "custody"):
        ref = CASES[0] if target == "case" else DEVICES[0]
        path = record_path(dsl, target, ref)
    else:
        path = vault / target
    original = path.read_bytes()
    mutated = _apply(original, edits)
    genuine = dsl.read(target, ref, log=False).tables if target in ("case", "custody") else None
    write_raw(path, mutated)
    try:
        if target in ("case", "custody"):
            try:
                tables = dsl.read(target, ref, log=False).tables
            except RECORD_DECODE_ERRORS:
                assert mutated != original
            else:
                assert mutated == original and tables == genuine  # never altered data
        elif target == "vault.json":
            try:
                opened = Vault.open(vault, repair=False)
            except VaultError:
                assert mutated != original
            else:
                # Whatever opened, its signed part is the genuine one.
                assert (
                    opened.header.signing_bytes()
                    == Header.from_bytes(base.header_bytes).signing_bytes()
                )
        report = verified(vault)  # never raises, whatever the damage
        cut = mutated[: mutated.rfind(b"\n") + 1]
        truncation = target == "audit.log" and original.startswith(cut)
        if mutated != original and not truncation:
            assert not report.ok, (target, edits)
    finally:
        write_raw(path, original)
        for leftover in vault.rglob(".tmp-*"):
            leftover.unlink()


def test_only_what_a_save_in_progress_could_show_is_looked_at_again(vault: Path) -> None:
    """A file one save behind the log may be a save in progress: it is read again before
    it is called damage. An altered file cannot be one: it is refused on the first read
    (before, every one of the byte-flip test's 4,000 refusals slept through 8 retries)."""
    fs = CountingFileSystem()
    session = Vault.open(vault, fs=fs).unlock("dsl", DSL_PASS)
    path = record_path(session, "case", CASES[0])
    older = path.read_bytes()
    with session.transaction("case", CASES[0]) as db:
        db.table("timeline").insert({"note": "third note"})
    current = path.read_bytes()

    def reads_of_the_file() -> int:
        return sum(1 for call in fs.calls if call == ("read", str(path)))

    write_raw(path, flip(current, len(current) - 1, 1))
    fs.reset()
    with pytest.raises(RecordDamaged, match="altered"):
        session.read("case", CASES[0])
    assert reads_of_the_file() == 1

    write_raw(path, older)
    fs.reset()
    with pytest.raises(RecordDamaged, match="rolled back"):
        session.read("case", CASES[0])
    assert reads_of_the_file() > 1

    write_raw(path, current)
    notes = session.read("case", CASES[0]).tables["timeline"].values()
    assert "third note" in [doc.get("note") for doc in notes]
    session.close()
