"""Transfers on a real vault: the file opens with the passphrase, and receipts are chased."""

from __future__ import annotations

import base64
import io
import json
import stat
from datetime import timedelta
from pathlib import Path

import pypdf
import pytest

from ydsi_tui.service.transfers import TransferDesk
from ydsi_tui.vault.crypto import KdfParams
from ydsi_tui.vault.errors import (
    AccessDenied,
    DamagedFile,
    VaultError,
    WeakSettings,
    WrongPassphrase,
)
from ydsi_tui.vault.transfer import generate_passphrase, open_transfer, peek_transfer, seal_transfer

from .conftest import NOW, World, add_pupil

PASSPHRASE = "a passphrase read out over the phone"


@pytest.fixture
def leaver(world: World) -> tuple[str, str]:
    """Two incidents about Ava (one closed), one about someone else."""
    dsl = world.cases()
    first = dsl.create("Image shared in Year 10")
    add_pupil(dsl, first, "Ava Leaver", dob="2011-01-02")
    add_pupil(dsl, first, "Ben Stays", parts=["received"])
    dsl.note(first, "Ava was supported by her form tutor")
    dsl.record(first, "incident.closed", {
        "summary": "done", "actions": "talked", "outcome": "closed", "rationale": "low risk",
        "gaps_reason": "pupil leaving",
    })  # fmt: skip
    second = dsl.create("Second incident")
    add_pupil(dsl, second, "Ava Leaver", dob="2011-01-02", parts=["sent"])
    other = dsl.create("Someone else")
    add_pupil(dsl, other, "Cara Other")
    return first, second


def desk(world: World, user: str = "dsl") -> TransferDesk:
    services = world.services(user)
    assert services.cases is not None
    return TransferDesk(services.cases, services.devices)


def test_the_transfer_file_opens_with_the_passphrase_and_holds_the_records(
    world: World, leaver: tuple[str, str], tmp_path: Path
) -> None:
    first, second = leaver
    out = tmp_path / "ava.ydsi-transfer"
    sent = desk(world).send(
        "Ava Leaver", out, PASSPHRASE, to_school="Ash Grove Academy", to_dsl="Mo Receiver"
    )
    assert sent.refs == (first, second)
    assert stat.S_IMODE(out.stat().st_mode) == 0o600
    data = out.read_bytes()
    # Nothing readable without the passphrase; the envelope says how to open it.
    for secret in (b"Ava Leaver", b"form tutor", b"Ash Grove"):
        assert secret not in data
    envelope = peek_transfer(data)
    assert envelope["transfer_id"] == sent.transfer_id and "ydsi transfer open" in envelope["about"]
    assert KdfParams.from_doc(envelope["kdf"]).memory_kib >= 64 * 1024
    with pytest.raises(WrongPassphrase):
        open_transfer(data, "not the passphrase at all")
    opened = open_transfer(data, PASSPHRASE)
    contents = json.loads(opened.plaintext)
    assert contents["kind"] == "transfer" and contents["marking"] == "OFFICIAL-SENSITIVE"
    assert contents["pupil"] == {"name": "Ava Leaver", "dob": "2011-01-02"}
    assert contents["to"] == {"school": "Ash Grove Academy", "dsl": "Mo Receiver"}
    assert [i["incident"]["ref"] for i in contents["incidents"]] == [first, second]
    assert "Cara Other" not in opened.plaintext.decode()
    assert "Ava was supported by her form tutor" in contents["markdown"]
    pdf = pypdf.PdfReader(io.BytesIO(base64.b64decode(contents["pdf_base64"])))
    assert all("OFFICIAL-SENSITIVE" in (p.extract_text() or "") for p in pdf.pages)
    # The transfer is recorded in each incident, the closed one too, with the file's hash.
    for ref in (first, second):
        incident = world.cases().open(ref, log=False).incident
        (transfer,) = incident.transfers
        assert transfer.transfer_id == sent.transfer_id and transfer.to_school.startswith("Ash")
        assert transfer.file_sha256 == sent.sha256 and not transfer.received


def test_any_change_to_the_file_is_detected(world: World, leaver: tuple[str, str]) -> None:
    data = seal_transfer(
        b"records", PASSPHRASE, kdf=KdfParams.new(64 * 1024, 3, 1), transfer_id="t1",
        created_at="2026-11-16T10:00:00Z",
    )  # fmt: skip
    assert open_transfer(data, PASSPHRASE).plaintext == b"records"
    doc = json.loads(data)
    for key, value in (("transfer_id", "t2"), ("created_at", "2026-11-17T10:00:00Z")):
        with pytest.raises(WrongPassphrase):
            open_transfer(json.dumps({**doc, key: value}).encode(), PASSPHRASE)
    weak = {**doc, "kdf": {**doc["kdf"], "memory_kib": 1024}}
    with pytest.raises(WeakSettings):
        open_transfer(json.dumps(weak).encode(), PASSPHRASE)
    with pytest.raises(DamagedFile):
        open_transfer(b"not json", PASSPHRASE)


def test_a_generated_passphrase_survives_being_read_out(world: World) -> None:
    phrase = generate_passphrase()
    data = seal_transfer(
        b"x", phrase, kdf=KdfParams.new(64 * 1024, 3, 1), transfer_id="t1", created_at="now"
    )
    typed = phrase.lower().replace("-", " ")
    assert open_transfer(data, typed).plaintext == b"x"


def test_a_missing_receipt_is_flagged_after_five_school_days(
    world: World, leaver: tuple[str, str], tmp_path: Path
) -> None:
    first, second = leaver
    sent = desk(world).send("Ava Leaver", tmp_path / "t", PASSPHRASE, to_school="Ash Grove")
    # Sent on Monday 16 November at 10:00: due the next Monday at 10:00.
    world.at(NOW + timedelta(days=6, hours=23))  # Sunday night: not yet
    (pending,) = desk(world).pending()
    assert pending.transfer_id == sent.transfer_id and pending.refs == (first, second)
    assert not pending.overdue
    assert not any("receipt" in text for _, text in world.cases().attention())
    world.at(NOW + timedelta(days=7))
    assert desk(world).pending()[0].overdue
    flagged = [(ref, text) for ref, text in world.cases().attention() if "receipt" in text]
    assert sorted(ref for ref, _ in flagged) == [first, second]
    assert all("Ava" not in text and "Ash" not in text for _, text in flagged)
    # The receiving school confirms: recorded in both incidents, and the flag goes.
    refs = desk(world).receipt(sent.transfer_id[:6], "Mo Receiver, DSL", note="by email")
    assert refs == (first, second)
    assert desk(world).pending() == []
    assert not any("receipt" in text for _, text in world.cases().attention())
    incident = world.cases().open(first, log=False).incident
    assert incident.transfers[0].receipt is not None
    assert incident.transfers[0].receipt.text("received_by") == "Mo Receiver, DSL"
    with pytest.raises(VaultError, match="no single transfer"):
        desk(world).receipt(sent.transfer_id, "again")


def test_only_a_dsl_transfers_and_never_over_a_file(
    world: World, leaver: tuple[str, str], tmp_path: Path
) -> None:
    with pytest.raises(AccessDenied):
        desk(world, "head").send("Ava Leaver", tmp_path / "t", PASSPHRASE, to_school="Ash")
    (tmp_path / "taken").write_bytes(b"mine")
    with pytest.raises(VaultError, match="already exists"):
        desk(world).send("Ava Leaver", tmp_path / "taken", PASSPHRASE, to_school="Ash")
    assert (tmp_path / "taken").read_bytes() == b"mine"
    assert desk(world).pending() == []


def test_the_incident_json_shows_transfers_and_retention(
    world: World, leaver: tuple[str, str], tmp_path: Path
) -> None:
    from ydsi_tui.service.shapes import incident_json

    first, _ = leaver
    sent = desk(world).send("Ava Leaver", tmp_path / "t", PASSPHRASE, to_school="Ash Grove")
    shape = incident_json(world.cases().open(first, log=False))
    (transfer,) = shape["transfers"]
    assert transfer["id"] == sent.transfer_id and transfer["received_at"] is None
    # Ben (Year 10, no date of birth) is kept longest, on an estimate that says so.
    assert shape["retention"]["keep_until"] == "2038-08-31" and shape["retention"]["estimated"]
    assert shape["holds"] == []


def test_the_transfer_carries_the_child_s_chronology_masking_across_incidents(
    world: World, leaver: tuple[str, str], tmp_path: Path
) -> None:
    """Ben is recorded in the first incident only; the second's free text names him.

    Before the child's chronology, each incident masked only its own pupils:
    "ben STAYS" in the second incident went to the next school as written.
    """
    first, second = leaver
    dsl = world.cases()
    dsl.note(second, "Ava says ben STAYS still has the picture")
    out = tmp_path / "ava.ydsi-transfer"
    desk(world).send("Ava Leaver", out, PASSPHRASE, to_school="Ash Grove Academy")
    contents = json.loads(open_transfer(out.read_bytes(), PASSPHRASE).plaintext)
    chrono = contents["chronology"]
    assert chrono["kind"] == "child_chronology" and chrono["marking"] == "OFFICIAL-SENSITIVE"
    assert [i["ref"] for i in chrono["incidents"]] == [first, second]
    everything = json.dumps(contents, ensure_ascii=False).lower()
    assert "stays" not in everything and "ben " not in everything
    assert "Ava says another pupil still has the picture" in contents["markdown"]
    assert contents["markdown"].index("Chronology of Ava Leaver") < contents["markdown"].index(
        f"Chronology of incident {first}"
    )
