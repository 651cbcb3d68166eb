"""The procedure applied to a real vault: scenarios from the policy, through the service."""

from __future__ import annotations

import base64
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path

import pytest

from ydsi_tui.model.errors import ValidationError
from ydsi_tui.model.events import new_id
from ydsi_tui.service.casebook import CaseBook
from ydsi_tui.service.factory import Services, services_for
from ydsi_tui.vault.audit import AuditLog
from ydsi_tui.vault.errors import AccessDenied, Conflict, DamagedFile
from ydsi_tui.vault.vault import Vault

from .conftest import NOW, PASS, World

Make = Callable[[str], Services]


def cases(make: Make, user: str = "dsl") -> CaseBook:
    book = make(user).cases
    assert book is not None
    return book


def add_pupil(book: CaseBook, ref: str, name: str, **extra: object) -> str:
    pupil_id = new_id()
    data: dict[str, object] = {
        "pupil_id": pupil_id,
        "name": name,
        "sex": "female",
        "parts": ["pictured"],
        "sen": False,
        "vulnerabilities": "",
        "year_group": 11,
    }
    data.update(extra)
    book.record(ref, "pupil.added", data)
    return pupil_id


def answer_triggers_no(book: CaseBook, ref: str) -> None:
    """Every trigger answered no: the Headteacher signs off only then."""
    for n in range(1, 6):
        book.record(ref, "trigger.answered", {"n": n, "answer": "no", "basis": "asked both"})


def test_references_are_sequential_per_year_and_never_reused(services: Make) -> None:
    book = cases(services)
    refs = [book.create(f"incident {n}") for n in range(3)]
    assert refs == ["2026-001", "2026-002", "2026-003"]
    assert [row.ref for row in book.rows()] == sorted(refs, reverse=True)


def test_an_adult_involved_requires_referral_and_refuses_in_school_without_override(
    services: Make,
) -> None:
    book = cases(services)
    ref = book.create("an adult sent messages")
    book.record(ref, "trigger.answered", {"n": 1, "answer": "yes", "basis": "adult in the chat"})
    view = book.open(ref)
    assert view.referral.required
    assert any("adult" in reason.lower() for reason in view.referral.reasons)
    assert book.rows()[0].referral_required
    with pytest.raises(ValidationError) as refused:
        book.record(ref, "decision", {"outcome": "in_school", "reason": "we can manage it"})
    assert refused.value.field == "outcome"  # the bundled policy allows no override
    with pytest.raises(ValidationError):
        book.record(
            ref,
            "decision",
            {"outcome": "in_school", "reason": "manageable", "override_reason": "police said"},
        )
    assert book.open(ref).incident.current_decision is None


def test_signoff_is_a_real_signature_by_the_headteachers_key(services: Make) -> None:
    dsl = cases(services)
    ref = dsl.create("two 16-year-olds, consensual")
    answer_triggers_no(dsl, ref)
    dsl.record(ref, "decision", {"outcome": "in_school", "reason": "no trigger applies"})
    assert dsl.rows()[0].signoff_needed
    with pytest.raises(AccessDenied):
        dsl.sign_off(ref, "I agree")
    head = cases(services, "head")
    waiting = head.attention()
    assert [r for r, _ in waiting] == [ref]
    assert "sign-off" in waiting[0][1]
    event = head.sign_off(ref, "I agree with this decision")
    view = dsl.open(ref)
    check = view.signoffs[event.id]
    assert check.valid and check.signer == "Hana Head"  # names in full, for the police
    assert not dsl.rows()[0].signoff_needed
    with pytest.raises(ValidationError):
        head.sign_off(ref, "again")


def test_a_forged_signoff_written_with_the_case_key_does_not_verify(
    services: Make, world: World
) -> None:
    """A DSL holds the case key and could write any entry: the signature still fails."""
    dsl = cases(services)
    ref = dsl.create("in school")
    answer_triggers_no(dsl, ref)
    decision = dsl.record(ref, "decision", {"outcome": "in_school", "reason": "manageable"})
    head = cases(services, "head")
    real = head.sign_off(ref, "I agree")
    doc = real.to_doc()
    doc["id"] = new_id()
    doc["data"]["statement"] = "I agree, and more"  # changes what was signed
    with dsl.session.transaction("case", ref) as db:
        db.table("events").insert(doc)
    view = dsl.open(ref)
    assert view.signoffs[real.id].valid
    assert not view.signoffs[doc["id"]].valid
    forged = {**real.to_doc(), "id": new_id()}
    forged["data"]["signature"] = base64.b64encode(bytes(64)).decode()
    with dsl.session.transaction("case", ref) as db:
        db.table("events").insert(forged)
    assert not dsl.open(ref).signoffs[forged["id"]].valid
    assert decision.id == view.incident.current_decision.event_id  # type: ignore[union-attr]


def test_a_technician_gets_the_custody_log_and_no_incidents(services: Make) -> None:
    dsl = cases(services)
    ref = dsl.create("a phone was involved")
    tech = services("tech")
    assert tech.cases is None
    with pytest.raises(AccessDenied):
        CaseBook(tech.session, dsl.policies)
    device = tech.devices.seize(
        ref,
        {
            "description": "black phone",
            "owner": "AE",
            "seized_by": "Tom Tech",
            "powered_off": True,
            "locked_where": "cabinet B",
        },
    )
    assert device == "D-2026-001"
    tech.devices.record(device, "device.accessed", {"by": "Tom Tech", "reason": "check it is off"})
    rows = services("dsl").devices.rows(incident_ref=ref)
    assert [r.ref for r in rows] == [device]
    assert rows[0].status == "locked"


def test_device_collection_becomes_overdue(services: Make, world: World) -> None:
    tech = services("tech")
    ref = tech.devices.seize(
        "2026-001",
        {"description": "tablet", "owner": "B-10", "seized_by": "Tom", "powered_off": True},
    )
    world.clock.moment = NOW + timedelta(days=5)
    rows = services("tech").devices.rows()
    assert [f.code for f in rows[0].overdue] == ["device_collection_overdue"]
    assert services("tech").devices.attention()[0][0] == ref


def test_closed_incidents_take_only_notes_and_a_reopening(services: Make) -> None:
    book = cases(services)
    ref = book.create("closing test")
    with pytest.raises(ValidationError):  # gaps remain and no reason is given
        book.record(
            ref,
            "incident.closed",
            {"summary": "s", "actions": "a", "outcome": "o", "rationale": "r"},
        )
    book.record(
        ref,
        "incident.closed",
        {
            "summary": "s",
            "actions": "a",
            "outcome": "o",
            "rationale": "r",
            "gaps_reason": "the pupil left the school before anything else could happen",
        },
    )
    assert book.rows()[0].status == "closed"
    with pytest.raises(ValidationError):
        book.record(ref, "concern.harm", {"text": "x"})
    book.note(ref, "a later note is still possible")
    book.record(ref, "incident.reopened", {"reason": "new information"})
    assert book.rows()[0].status != "closed"


def test_entries_about_a_pupil_need_that_pupil(services: Make) -> None:
    book = cases(services)
    ref = book.create("pupil check")
    with pytest.raises(ValidationError) as refused:
        book.record(ref, "conversation", {"pupil_id": new_id(), "by_whom": "DSL", "note": "talked"})
    assert refused.value.field == "pupil_id"


def test_a_correction_supersedes_and_both_stay_in_the_timeline(services: Make) -> None:
    book = cases(services)
    ref = book.create("corrections")
    wrong = book.note(ref, "spoke to mum at 10:00", at="09:00")
    with pytest.raises(ValidationError) as refused:  # a correction says why (issue 11)
        book.record(ref, "note", {"text": "spoke to dad at 10:00"}, supersedes=wrong.id)
    assert refused.value.field == "correction_reason"
    fixed = book.record(
        ref,
        "note",
        {"text": "spoke to dad at 10:00"},
        supersedes=wrong.id,
        correction_reason="It was his father who phoned",
    )
    assert fixed.correction_reason == "It was his father who phoned"
    timeline = book.open(ref).incident.timeline
    ids = [entry.event.id for entry in timeline]
    assert wrong.id in ids and fixed.id in ids
    old = next(e for e in timeline if e.event.id == wrong.id)
    assert old.superseded and fixed.id in old.superseded_by
    with pytest.raises(ValidationError):
        book.record(
            ref, "concern.harm", {"text": "x"}, supersedes=wrong.id, correction_reason="kind"
        )


def test_concurrent_appends_both_land_and_stale_closing_is_refused(services: Make) -> None:
    alice = cases(services)
    ref = alice.create("shared record")
    looked_at = alice.open(ref)
    other = cases(services)
    other.note(ref, "written by the other session meanwhile")
    alice.note(ref, "written from a copy that is now stale")
    texts = [e.event.data.get("text") for e in other.open(ref).incident.timeline]
    assert "written by the other session meanwhile" in texts
    assert "written from a copy that is now stale" in texts
    with pytest.raises(Conflict):
        alice.record(
            ref,
            "incident.closed",
            {
                "summary": "s",
                "actions": "a",
                "outcome": "o",
                "rationale": "r",
                "gaps_reason": "test",
            },
            expect_hash=looked_at.file_hash,
        )


def test_opening_an_incident_is_audited_but_listing_is_not(services: Make, world: World) -> None:
    book = cases(services)
    ref = book.create("who looked")
    log = AuditLog(
        book.session.vault.fs, world.path / "audit.log", book.session.vault.header.vault_id
    )
    before = log.head().seq
    book.rows()
    assert log.head().seq == before
    book.open(ref)
    # Keyless, the read is an entry of the case compartment that says nothing else.
    assert [(e.comp, e.action, e.rec) for e in log.entries()][-1] == ("case", "sealed", "")
    log.sealer = book.session.vault.audit.sealer  # a case role's key opens what it describes
    reads = [e for e in log.entries() if e.action == "record.read"]
    assert len(reads) == 1
    assert reads[0].actor == book.session.user.id
    assert reads[0].rec == book.session.record_id("case", ref)


def test_a_damaged_file_is_a_row_and_never_hides_the_others(services: Make, world: World) -> None:
    book = cases(services)
    first = book.create("first")
    book.create("second")
    path = world.path / "case" / f"{book.session.record_id('case', first)}.ydsr"
    original = path.read_bytes()
    # A flipped byte in the timeline: format 2 checks the whole file against its
    # signed save, so even the list (summaries only) shows it as damaged, and
    # opening it refuses to show altered data.
    body_damaged = bytearray(original)
    body_damaged[-20] ^= 0x01
    path.write_bytes(bytes(body_damaged))
    rows = book.rows()
    assert {r.ref for r in rows if r.error is None} == {"2026-002"}
    assert any("DAMAGED" in (r.error or "") for r in rows)
    with pytest.raises(DamagedFile):
        book.open(first)
    # A flipped byte in the summary: the row says so; the other incident still lists.
    header_length = int.from_bytes(original[5:7], "big")
    summary_damaged = bytearray(original)
    summary_damaged[7 + header_length + 4 + 20] ^= 0x01
    path.write_bytes(bytes(summary_damaged))
    rows = book.rows()
    assert {r.ref for r in rows if r.error is None} == {"2026-002"}
    damaged = [r for r in rows if r.error is not None]
    assert len(damaged) == 1 and "DAMAGED" in (damaged[0].error or "")
    assert book.open("2026-002").incident.summary == "second"


def test_an_incident_keeps_the_policy_it_was_handled_under(
    services: Make, world: World, tmp_path: Path
) -> None:
    book = cases(services)
    old = book.create("under the school's policy (threshold 17)")
    pupil = add_pupil(book, old, "Young Pupil", year_group=None, dob="2011-01-10")
    book.record(
        old, "content.described", {"description": "d", "sexual_acts": "yes", "violent": "no"}
    )
    assert book.open(old).trigger4.answer == "yes"  # 15 is under 17
    from importlib import resources

    text = (
        resources.files("ydsi_tui.model")
        .joinpath("policies", "hindley-2016.toml")
        .read_text(encoding="utf-8")
    )
    edited = text.replace("trigger4_age_threshold = 17", "trigger4_age_threshold = 13")
    edited = edited.replace('version = "', 'version = "national-', 1)
    assert edited != text
    policy_file = tmp_path / "national.toml"
    policy_file.write_text(edited, encoding="utf-8")
    session = Vault.open(world.path).unlock("dsl", PASS)
    national = services_for(session, clock=world.clock, policy_path=policy_file).cases
    assert national is not None
    # A changed file is used for new incidents only once a DSL has approved it.
    national.policies.approve(national.policies.file)
    view = national.open(old)
    assert view.policy.settings.trigger4_age_threshold == 17
    assert view.trigger4.answer == "yes"
    new = national.create("under the national threshold")
    add_pupil(national, new, "Same Age", year_group=None, dob="2011-01-10")
    national.record(
        new, "content.described", {"description": "d", "sexual_acts": "yes", "violent": "no"}
    )
    assert national.open(new).policy.settings.trigger4_age_threshold == 13
    assert national.open(new).trigger4.answer == "no"
    assert pupil


def test_imagery_paths_are_refused_and_hostile_text_round_trips(services: Make) -> None:
    book = cases(services)
    ref = book.create("text handling")
    with pytest.raises(ValidationError) as refused:
        book.note(ref, "see /home/dsl/Downloads/IMG_0042.JPG")
    assert "illegal" in refused.value.message.lower()
    hostile = "[b]Ann[/b] [/ \x1b]0;title\x07 \x1b[31mred\x1b[0m \u202eevil\u202c \x00 end"
    note = book.note(ref, hostile)
    stored = book.open(ref).incident.events_by_id[note.id]
    assert stored.data["text"] == hostile


def test_a_device_logged_against_no_incident_is_told_to_a_case_role(services: Make) -> None:
    """A technician cannot check an incident reference (no case key); whoever can is told."""
    real = cases(services).create("the real incident")
    tech = services("tech")
    seized = {"description": "phone", "owner": "X1", "seized_by": "Tom", "powered_off": True}
    good = tech.devices.seize(real, seized)
    typo = tech.devices.seize("2026-999", seized)
    dsl = services("dsl")
    incidents = {row.ref for row in cases(services).rows()}
    items = dsl.devices.attention(incidents=incidents)
    flagged = [ref for ref, text in items if "not an incident" in text]
    assert flagged == [typo], items
    assert good not in flagged
    assert "2026-999" in next(text for ref, text in items if ref == typo)
    assert not [t for _, t in tech.devices.attention() if "not an incident" in t]


def test_an_incident_opens_with_its_disclosure_and_young_people_in_one_save(
    services: Make,
) -> None:
    """Issue 10, finding 10: the disclosure whole, recorded with the incident, at its time."""
    book = cases(services)
    disclosed = NOW - timedelta(hours=2)
    told = {"discloser_type": "friend", "discloser_name": "Cara", "to_whom": "Mr Hughes",
            "how": "in person", "dsl_told_at": (NOW - timedelta(hours=1)).isoformat()}  # fmt: skip
    ava = {"pupil_id": new_id(), "name": "Ava", "dob": "2011-03-14", "sex": "female",
           "parts": ["pictured"], "sen": False}  # fmt: skip
    ben = {"pupil_id": new_id(), "name": "Ben", "year_group": 9, "sex": "male",
           "parts": ["sent"], "sen": True}  # fmt: skip
    ref = book.create("shared", disclosed_at=disclosed, disclosure=told, pupils=[ava, ben])
    incident = book.open(ref).incident
    assert incident.disclosure is not None and incident.disclosure.disclosed_at == disclosed
    assert incident.disclosure.to_whom == "Mr Hughes"
    assert [p.name for p in incident.pupils.values()] == ["Ava", "Ben"]
    assert {e.event.at for e in incident.timeline} == {disclosed}  # all at the disclosure
    # A mistake in any part opens nothing (no reference taken, no half incident).
    rows = len(book.rows())
    with pytest.raises(ValidationError) as refused:
        book.create("bad", disclosed_at=disclosed, disclosure=told, pupils=[{**ben, "sex": "x"}])
    assert refused.value.field == "sex"
    early = {**told, "dsl_told_at": (disclosed - timedelta(hours=1)).isoformat()}
    with pytest.raises(ValidationError):
        book.create("told first", disclosed_at=disclosed, disclosure=early)
    assert len(book.rows()) == rows
    assert book.create("next") == f"{ref[:5]}{int(ref[5:]) + 1:03d}"
