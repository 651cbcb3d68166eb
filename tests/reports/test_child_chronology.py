"""The child's chronology on a real vault: one pupil across incidents, others masked."""

from __future__ import annotations

import io
import json
from datetime import timedelta

import pypdf
import pytest

from ydsi_tui.model.errors import ValidationError
from ydsi_tui.service.pupils import find_pupil
from ydsi_tui.service.read_audit import read_audit
from ydsi_tui.service.register import PupilRegister
from ydsi_tui.service.reports.child_chronology import (
    child_chronology,
    child_chronology_document,
    child_chronology_json,
    register_chronology,
)
from ydsi_tui.service.reports.formats import render
from ydsi_tui.service.reports.markdown import render_markdown

from .conftest import NOW, World, add_pupil

DAY = timedelta(days=1)


@pytest.fixture
def three(world: World) -> tuple[str, str, str]:
    """Ava in two incidents (with Ben in the first); Cara in a third, without Ava."""
    dsl = world.cases()
    world.at(NOW)
    first = dsl.create("Ava's image forwarded by Ben Jones", disclosed_at=NOW - 2 * DAY)
    ava = add_pupil(dsl, first, "Ava Smith", dob="2011-01-02")
    ben = add_pupil(dsl, first, "Ben Jones", parts=["shared"], sex="male")
    dsl.note(first, "Ben Jones sent it to the Year 10 group; Ava told her tutor", at=NOW - DAY)
    talk = {"by_whom": "Dana Lead"}
    dsl.record(first, "conversation", {**talk, "pupil_id": ben, "note": "Ben was sorry"})
    dsl.record(first, "conversation", {**talk, "pupil_id": ava, "note": "Ava wants it gone"})
    world.at(NOW + DAY)
    second = dsl.create("A second image of Ava", disclosed_at=NOW + DAY)
    add_pupil(dsl, second, "ava smith", year_group=11)
    # Ben is recorded only in the first incident; Cara only in the third: both masked here.
    dsl.note(second, "Mum says BEN and cara third are still messaging Ava", at=NOW + DAY)
    # Recorded last, but it happened before anything in the second incident.
    world.at(NOW + 3 * DAY)
    dsl.note(first, "Back-dated: Ben's father phoned the school", at=NOW + timedelta(hours=2))
    third = dsl.create("Unrelated")
    add_pupil(dsl, third, "Cara Third")
    return first, second, third


def test_one_timeline_across_incidents_in_order_of_happening(
    world: World, three: tuple[str, str, str]
) -> None:
    first, second, _ = three
    dsl = world.cases()
    links = find_pupil(dsl, "Ava Smith")
    chrono = child_chronology(dsl, links, other_names=["Cara Third"])
    assert [i.ref for i in chrono.incidents] == [first, second]
    ats = [e.event.at for e in chrono.entries]
    assert ats == sorted(ats)  # the order of happening, not of recording
    notes = [(e.ref, e.text) for e in chrono.entries if e.event.kind == "note"]
    assert [ref for ref, _ in notes] == [first, first, second]  # the back-dated note is 2nd
    assert {e.ref for e in chrono.entries} == {first, second}  # Cara's incident is not in it
    assert chrono.dob is not None and chrono.year_group == 11


def test_entries_at_the_same_moment_keep_the_incidents_own_order(world: World) -> None:
    """Ties were broken by the entries' random ids: the same record read in a new order."""
    dsl = world.cases()
    world.at(NOW)
    ref = dsl.create("Several notes made at once", disclosed_at=NOW)
    add_pupil(dsl, ref, "Ava Smith")
    for n in range(8):
        dsl.note(ref, f"note number {n}", at=NOW)
    chrono = child_chronology(dsl, find_pupil(dsl, "Ava Smith"))
    shown = [e.event.id for e in chrono.entries]
    own = [t.event.id for t in dsl.open(ref, log=False).incident.timeline]
    assert shown == [i for i in own if i in shown]
    assert [e.text for e in chrono.entries if e.event.kind == "note"] == [
        f"note number {n}" for n in range(8)
    ]


def test_other_pupils_are_another_pupil_everywhere(
    world: World, three: tuple[str, str, str]
) -> None:
    dsl = world.cases()
    chrono = child_chronology(dsl, find_pupil(dsl, "Ava Smith"), other_names=["Cara Third"])
    data = child_chronology_json(chrono)
    text = json.dumps(data, ensure_ascii=False).lower()
    for name in ("ben", "jones", "cara", "third"):
        assert f"{name} " not in text and f"{name}'" not in text and f'{name}"' not in text
    notes = [e["text"] for e in data["entries"] if e["kind"] == "note"]
    # Free text of the second incident names a pupil recorded only in the first, in capitals.
    assert "another pupil and another pupil are still messaging Ava" in notes[2]
    assert notes[0].startswith("another pupil sent it to the Year 10 group")
    assert data["incidents"][0]["summary"] == "Ava's image forwarded by another pupil"
    # Entries about Ben (the conversation with him) are left out; about Ava, kept.
    conversations = [e["text"] for e in data["entries"] if e["kind"] == "conversation"]
    assert len(conversations) == 1 and "gone" in conversations[0]
    assert data["left_out"] >= 1
    # Ben's own details keep only his part, under "another pupil".
    added = [e["text"] for e in data["entries"] if e["kind"] == "pupil.added"]
    assert any("another pupil" in t and "shared" in t for t in added)
    assert "2010" not in text and "male" not in text.replace("female", "")


def test_without_other_names_an_unlinked_pupil_is_not_known(
    world: World, three: tuple[str, str, str]
) -> None:
    """The documented limit: a name recorded in none of the child's incidents stays."""
    dsl = world.cases()
    chrono = child_chronology(dsl, find_pupil(dsl, "Ava Smith"))
    note = [e.text for e in chrono.entries if e.event.kind == "note"][2]
    assert "another pupil and cara third" in note


def test_every_incident_opened_is_an_audited_read(
    world: World, three: tuple[str, str, str]
) -> None:
    first, second, _ = three
    dsl = world.cases()
    before = len(read_audit(dsl.session).rows)
    child_chronology(dsl, find_pupil(dsl, "Ava Smith"), devices=world.devices())
    rows = read_audit(dsl.session).rows[before:]
    assert sorted(row.ref or "" for row in rows) == sorted([first, second])


def test_exports_are_marked_on_every_page(world: World, three: tuple[str, str, str]) -> None:
    first, _, _ = three
    dsl = world.cases()
    for n in range(60):  # enough for several PDF pages
        dsl.note(first, f"Follow-up call number {n} with Ava's mother about Ben Jones")
    chrono = child_chronology(dsl, find_pupil(dsl, "Ava Smith"))
    document = child_chronology_document(chrono)
    data = child_chronology_json(chrono)
    pdf = render("pdf", document, data)
    pages = [p.extract_text() or "" for p in pypdf.PdfReader(io.BytesIO(pdf)).pages]
    assert len(pages) >= 3
    assert all(p.count("OFFICIAL-SENSITIVE") >= 2 for p in pages)  # head and foot
    assert not any("Jones" in p for p in pages)
    markdown = render_markdown(document)
    assert markdown.startswith("**OFFICIAL-SENSITIVE**")
    assert markdown.rstrip().endswith("**OFFICIAL-SENSITIVE**")
    assert "Jones" not in markdown and "Chronology of Ava Smith" in markdown
    assert json.loads(render("json", document, data))["marking"] == "OFFICIAL-SENSITIVE"


def test_a_link_to_no_such_pupil_is_refused(world: World, three: tuple[str, str, str]) -> None:
    first, _, _ = three
    dsl = world.cases()

    class Link:
        ref = first
        pupil_id = "not-a-pupil"

    with pytest.raises(ValidationError, match="no pupil with that id"):
        child_chronology(dsl, [Link()])
    with pytest.raises(ValidationError, match="in no incident"):
        child_chronology(dsl, [])


def test_by_register_id_every_other_registered_child_is_masked(
    world: World, three: tuple[str, str, str]
) -> None:
    first, second, third = three
    dsl = world.cases()
    register = PupilRegister(dsl)
    ava = register.add({"name": "Ava Smith", "other_names": ["Ava-Rose Smith"],
                        "dob": "2011-01-02", "sex": "female"})  # fmt: skip
    cara = register.add({"name": "Cara Third", "dob": "2011-06-06", "sex": "female"})
    for link in find_pupil(dsl, "Ava Smith"):
        register.link(link.ref, ava, pupil_id=link.pupil_id)
    before = len(read_audit(dsl.session).rows)
    chrono = register_chronology(dsl, ava)
    assert chrono.register_id == ava and [i.ref for i in chrono.incidents] == [first, second]
    note = [e.text for e in chrono.entries if e.event.kind == "note"][2]
    # Cara is in no incident of Ava's: the register knows her, so she is masked too.
    assert note == "Mum says another pupil and another pupil are still messaging Ava"
    rows = read_audit(dsl.session).rows[before:]
    assert (rows[0].record, rows[0].ref) == ("pupil record", ava)  # the record, audited
    assert sorted(r.ref or "" for r in rows[1:]) == sorted([first, second])
    assert child_chronology_json(chrono)["pupil"]["register_id"] == ava
    with pytest.raises(ValidationError):
        register_chronology(dsl, "P-000000000000")
    assert cara != ava and third


def test_a_link_the_incident_does_not_confirm_is_left_out_and_named(
    world: World, three: tuple[str, str, str]
) -> None:
    """The links come from summaries, which their writer composes: the incident decides."""
    first, second, _ = three
    dsl = world.cases()
    register = PupilRegister(dsl)
    ava = register.add({"name": "Ava Smith", "dob": "2011-01-02", "sex": "female"})
    links = find_pupil(dsl, "Ava Smith")
    register.link(first, ava, pupil_id=links[0].pupil_id)  # the second is not linked
    chrono = child_chronology(dsl, links, register_ids={ava})
    assert [i.ref for i in chrono.incidents] == [first] and chrono.unmatched == (second,)
    assert second in render_markdown(child_chronology_document(chrono)).split("Left out: ")[1]


def test_a_correction_is_marked_both_ways_as_in_the_incidents_chronology(world: World) -> None:
    """A child's chronology marks a corrected entry and its correction in the words of the
    incident's own chronology (one function makes both), and keeps both entries."""
    dsl = world.cases()
    world.at(NOW)
    ref = dsl.create("A note corrected later", disclosed_at=NOW)
    add_pupil(dsl, ref, "Ava Smith")
    wrong = dsl.note(ref, "spoke to mum at 10:00", at=NOW)
    fixed = dsl.record(
        ref, "note", {"text": "spoke to dad at 10:00"}, supersedes=wrong.id,
        correction_reason="It was her father who phoned",
    )  # fmt: skip
    chrono = child_chronology(dsl, find_pupil(dsl, "Ava Smith"))
    marks = {e.event.id: e.marks for e in chrono.entries}
    assert marks[wrong.id] == ("CORRECTED BY A LATER ENTRY (both are kept)",)
    assert marks[fixed.id] == (f"CORRECTS THE ENTRY {wrong.id[:8]}",)
    whole = render_markdown(child_chronology_document(chrono))
    assert "CORRECTED BY A LATER ENTRY" in whole and f"CORRECTS THE ENTRY {wrong.id[:8]}" in whole
