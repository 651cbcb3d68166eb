"""Retention on a real vault: what is due, legal holds, and audited destruction."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from ydsi_tui.model.errors import ValidationError
from ydsi_tui.service.reports.markdown import render_markdown
from ydsi_tui.service.reports.retention import (
    retention_document,
    retention_json,
    retention_report,
)
from ydsi_tui.service.retention import Refused, RetentionDesk
from ydsi_tui.vault.errors import AccessDenied, RecordNotFound

from .conftest import NOW, World, add_pupil

LONG_AGO = datetime(2005, 3, 14, 10, 0, tzinfo=UTC)


@pytest.fixture
def old_and_new(world: World) -> tuple[str, str]:
    """An incident of 2005 about a pupil born in 1990 (due in 2015), and one of today."""
    world.at(LONG_AGO)
    dsl = world.cases()
    old = dsl.create("An old incident: Zed Quill's photo shared")
    add_pupil(dsl, old, "Zed Quill", dob="1990-02-01")
    dsl.note(old, "Zed Quill spoke to the DSL about the photo")
    world.devices().seize(
        old,
        {"description": "silver phone", "owner": "ZQ", "seized_by": "Dana Lead",
         "powered_off": True},
    )  # fmt: skip
    world.at(NOW)
    new = dsl.create("A recent incident")
    add_pupil(dsl, new, "Amy New", dob="2011-05-05")
    return old, new


def desk(world: World, user: str = "dsl") -> RetentionDesk:
    services = world.services(user)
    assert services.cases is not None
    return RetentionDesk(services.cases, services.devices)


def test_the_retention_report_lists_what_is_due(world: World, old_and_new: tuple[str, str]) -> None:
    old, new = old_and_new
    report = retention_report(world.cases())
    assert [row.ref for row in report.due] == [old]
    row = next(r for r in report.rows if r.ref == new)
    assert row.until == date(2036, 5, 5) and not row.due and row.basis == "dob"
    data = retention_json(report)
    assert data["due"] == 1 and data["incidents"][0]["keep_until"] == "2015-02-01"
    text = render_markdown(retention_document(report))
    assert old in text and "Zed" not in text and "Quill" not in text


def test_a_due_record_is_destroyed_with_an_audit_entry_and_no_content(
    world: World, old_and_new: tuple[str, str]
) -> None:
    old, new = old_and_new
    dsl = world.cases()
    record_id = dsl.session.record_id("case", old)
    dsl_id = dsl.session.user.id
    done = desk(world).destroy(old)
    assert done.ref == old and len(done.devices) == 1
    # What was destroyed (opaque id and reference), why, when and by whom.
    entry = done.entry
    assert (entry.action, entry.comp, entry.rec) == ("record.destroy", "case", record_id)
    # The details are sealed for the case roles (M2: kept_until is date of birth + 25).
    assert set(entry.extra) == {"reason", "note"} and entry.extra["reason"] == "retention"
    assert dsl.session.open_entry_note(entry) == {
        "ref": old, "basis": "dob", "kept_until": "2015-02-01"
    }  # fmt: skip
    assert entry.actor == dsl_id and entry.ts.startswith(str(datetime.now(UTC).year))
    logged = [e for e in world.audit() if e.action == "record.destroy"]
    assert [e.comp for e in logged] == ["custody", "case"]
    custody_note = dsl.session.open_entry_note(logged[0])
    assert custody_note is not None and custody_note["incident"] == old
    # Nothing of its content, anywhere in the log, nor its reference or kept_until.
    log = (world.path / "audit.log").read_bytes()
    for secret in (b"Zed Quill", b"silver phone", b"old incident", old.encode(), b"2015-02-01"):
        assert secret not in log
    # Gone, the other incident untouched, and the vault still verifies.
    with pytest.raises(RecordNotFound):
        world.cases().open(old)
    assert world.cases().open(new).incident.summary == "A recent incident"
    assert not (world.path / "case" / f"{record_id}.ydsr").exists()
    report = world.verify()
    assert report.ok, report.problems
    destroyed = retention_report(world.cases()).destroyed
    assert [(d.ref, d.by, d.basis) for d in destroyed] == [(old, "Dana Lead", "dob")]
    # The reference is never handed out again.
    assert world.cases().create("next") not in (old, new)


def test_a_legal_hold_blocks_destruction_until_lifted(
    world: World, old_and_new: tuple[str, str]
) -> None:
    old, _ = old_and_new
    head = desk(world, "head")
    hold = head.set_hold(old, "Inquiry moratorium on destruction", authority="The Inquiry")
    report = retention_report(world.cases())
    row = next(r for r in report.rows if r.ref == old)
    assert row.due and row.on_hold
    assert row.holds[0].by == "Hana Head" and row.holds[0].reason.startswith("Inquiry")
    with pytest.raises(Refused, match="legal hold set by Hana Head"):
        desk(world).destroy(old)
    assert world.verify().ok
    assert world.cases().open(old, log=False).incident.active_holds
    desk(world).lift_hold(old, "The inquiry has reported")
    incident = world.cases().open(old, log=False).incident
    assert incident.holds[0].event_id == hold.id and incident.holds[0].lifted is not None
    assert incident.holds[0].lifted.by == "Dana Lead"
    desk(world).destroy(old)
    assert world.verify().ok


def test_only_a_dsl_destroys_and_only_when_due(world: World, old_and_new: tuple[str, str]) -> None:
    old, new = old_and_new
    with pytest.raises(AccessDenied):
        desk(world, "head").destroy(old)
    with pytest.raises(Refused, match="not due for review until 05/05/2036"):
        desk(world).destroy(new)
    with pytest.raises(ValidationError):
        desk(world, "head").review(old, date(2030, 1, 1), "police investigation continues")


def test_a_review_keeps_a_due_record(world: World, old_and_new: tuple[str, str]) -> None:
    old, _ = old_and_new
    desk(world).review(old, date(2030, 1, 1), "police investigation continues")
    row = next(r for r in retention_report(world.cases()).rows if r.ref == old)
    assert not row.due and row.until == date(2030, 1, 1) and row.basis == "review"
    with pytest.raises(Refused):
        desk(world).destroy(old)


def test_lifting_needs_a_hold(world: World, old_and_new: tuple[str, str]) -> None:
    old, _ = old_and_new
    with pytest.raises(Refused, match="no active legal hold"):
        desk(world).lift_hold(old, "nothing to lift")
    d = desk(world)
    d.set_hold(old, "first")
    d.set_hold(old, "second")
    with pytest.raises(Refused, match="2 active holds"):
        d.lift_hold(old, "which?")


def test_a_crash_between_devices_and_the_incident_leaves_a_consistent_vault(
    world: World, old_and_new: tuple[str, str]
) -> None:
    """Destroying again finishes the job: each file's destruction is atomic and audited."""
    old, _ = old_and_new
    d = desk(world)
    device = world.devices().rows(incident_ref=old)[0].ref
    d.cases.session.destroy_record("custody", device, extra={"ref": device, "incident": old})
    assert world.verify().ok
    done = d.destroy(old)
    assert done.devices == ()
    assert world.verify().ok


def test_check_destroy_refuses_as_destroy_would_and_destroys_nothing(
    world: World, old_and_new: tuple[str, str]
) -> None:
    old, new = old_and_new
    with pytest.raises(AccessDenied, match="only a DSL can destroy a record"):
        desk(world, "head").check_destroy(old)
    with pytest.raises(Refused, match="not due for review until 05/05/2036"):
        desk(world).check_destroy(new)
    desk(world, "head").set_hold(old, "Inquiry moratorium on destruction")
    with pytest.raises(Refused, match="legal hold set by Hana Head") as checked:
        desk(world).check_destroy(old)
    with pytest.raises(Refused) as destroying:
        desk(world).destroy(old)
    assert str(checked.value) == str(destroying.value)
    desk(world).lift_hold(old, "The inquiry has reported")
    desk(world).check_destroy(old)  # may now be destroyed: nothing raised, nothing gone
    assert world.cases().open(old, log=False).incident.ref == old


def test_a_pupil_record_goes_with_its_last_incident_and_not_before(
    world: World, old_and_new: tuple[str, str]
) -> None:
    from ydsi_tui.service.register import PupilRegister

    old, new = old_and_new
    dsl = world.cases()
    register = PupilRegister(dsl)
    zed = register.add({"name": "Zed Quill", "dob": "1990-02-01", "sex": "male"})
    register.link(old, zed)
    amy = register.add({"name": "Amy New", "dob": "2011-05-05", "sex": "female"})
    register.link(new, amy)
    again = add_pupil(dsl, new, "Zed Quill", year_group=11)
    register.link(new, zed, pupil_id=again)  # in the recent incident too: his record stays
    assert desk(world).destroy(old).pupils == ()
    assert {row.register_id for row in register.rows()} == {zed, amy}
    assert [i.ref for i in register.open(zed).incidents] == [new]
    # Years later the recent incident is due too: it was Zed's and Amy's last.
    world.at(datetime(2040, 6, 1, 10, 0, tzinfo=UTC))
    done = desk(world).destroy(new)
    assert set(done.pupils) == {zed, amy}
    assert PupilRegister(world.cases()).rows() == []
    entries = [e for e in world.audit() if e.action == "record.destroy"]
    notes = [world.cases().session.open_entry_note(e) for e in entries[-2:]]
    assert all(n is not None and n["basis"] == "last_incident" and n["with"] == new
               for n in notes)  # fmt: skip
    report = world.verify()
    assert report.ok, report.problems
