"""Subject access on a real vault: one pupil across incidents, others marked for redaction."""

from __future__ import annotations

import io
import json

import pypdf
import pytest

from ydsi_tui.model.errors import ValidationError
from ydsi_tui.service.reports.formats import render
from ydsi_tui.service.reports.markdown import render_markdown
from ydsi_tui.service.reports.subject_access import (
    subject_access,
    subject_access_document,
    subject_access_json,
)

from .conftest import World, add_pupil, reads_of


@pytest.fixture
def two_incidents(world: World) -> tuple[str, str, str]:
    dsl = world.cases()
    first = dsl.create("Image shared in Year 10")
    ava = add_pupil(dsl, first, "Ava Smith", dob="2011-01-02")
    ben = add_pupil(dsl, first, "Ben Smith", parts=["received"], dob="2010-10-10")
    dsl.record(first, "adult.added", {"adult_id": "a1", "name": "Carl Stranger"})
    dsl.note(first, "Ava Smith told us Ben Smith forwarded it; Ben apologised")
    talk = {"by_whom": "Dana Lead"}
    dsl.record(first, "conversation", {**talk, "pupil_id": ben, "note": "Ben was upset"})
    dsl.record(first, "conversation", {**talk, "pupil_id": ava, "note": "Ava wants it deleted"})
    second = dsl.create("A second incident")
    add_pupil(dsl, second, "  ava   SMITH ", year_group=11)  # same cohort: the same girl
    other = dsl.create("Unrelated")
    add_pupil(dsl, other, "Dan Jones")
    return first, second, other


def entry(report_json: dict, ref: str, kind: str, contains: str = "") -> dict:
    incident = next(i for i in report_json["incidents"] if i["ref"] == ref)
    return next(e for e in incident["entries"] if e["kind"] == kind and contains in e["text"])


def test_everything_about_one_pupil_with_others_marked(
    world: World, two_incidents: tuple[str, str, str]
) -> None:
    first, second, _ = two_incidents
    dsl = world.cases()
    report = subject_access(dsl, world.devices(), "Ava Smith")
    assert [i.ref for i in report.incidents] == [first, second]
    data = subject_access_json(report)
    assert data["subject"] == {"name": "Ava Smith", "dob": "2011-01-02"}
    # Another pupil's name is replaced (and marked) wherever it appears; the shared
    # surname alone is not (it is Ava's too), but a lone first name is.
    note = entry(data, first, "note")
    marked = [(s["text"], s["redact"]) for s in note["segments"] if s["redact"]]
    assert marked == [("another pupil", "other pupil"), ("another pupil", "other pupil")]
    assert note["segments"][0] == {"text": "Ava Smith told us ", "redact": ""}
    assert note["redact"].startswith("review against the serious-harm exemption: staff's note")
    # Entries about someone else are withheld and marked whole; entries about Ava are not.
    withheld = [e for i in data["incidents"] for e in i["entries"] if "withheld" in e["text"]]
    assert {e["kind"] for e in withheld} == {"pupil.added", "conversation"}
    assert {e["redact"] for e in withheld} == {"about another pupil"}
    assert entry(data, first, "pupil.added", "Ava")["redact"] == ""
    assert entry(data, first, "conversation", "deleted")["redact"].startswith(
        "review against the serious-harm exemption"
    )  # what Ava said in confidence: reviewed before it goes to anyone
    assert "a third party's details" in entry(data, first, "adult.added")["redact"]
    assert "ben" not in json.dumps(data).lower() and "2010-10-10" not in json.dumps(data)
    assert report.marked >= 6
    # Renderings carry the marks.
    text = render_markdown(subject_access_document(report))
    assert "NOT FOR RELEASE AS IT STANDS" in text
    assert "**\\[REDACT other pupil:** another pupil**\\]**" in text
    assert "REDACT THIS ENTRY: about another pupil" in text
    pdf = render("pdf", subject_access_document(report), data)
    pages = [p.extract_text() or "" for p in pypdf.PdfReader(io.BytesIO(pdf)).pages]
    assert all("OFFICIAL-SENSITIVE" in p for p in pages)
    assert "[REDACT other pupil: another pupil]" in " ".join(" ".join(pages).split())
    assert "Ben" not in " ".join(pages)
    assert "Dan Jones" not in json.dumps(data)


def test_subject_access_reads_are_audited_and_only_the_pupils_incidents(
    world: World, two_incidents: tuple[str, str, str]
) -> None:
    first, second, other = two_incidents
    dsl = world.cases()
    ids = {ref: dsl.session.record_id("case", ref) for ref in (first, second, other)}
    before = {ref: reads_of(world, rid) for ref, rid in ids.items()}
    subject_access(dsl, None, "Ava Smith")
    after = {ref: reads_of(world, rid) for ref, rid in ids.items()}
    assert after[first] == before[first] + 1
    assert after[second] == before[second] + 1
    assert after[other] == before[other]


def test_two_pupils_with_one_name_need_a_date_of_birth(world: World) -> None:
    from datetime import date

    dsl = world.cases()
    a = dsl.create("one")
    add_pupil(dsl, a, "Sam Lee", dob="2010-01-01")
    b = dsl.create("two")
    add_pupil(dsl, b, "Sam Lee", dob="2012-06-06")
    with pytest.raises(ValidationError, match="More than one young person"):
        subject_access(dsl, None, "Sam Lee")
    report = subject_access(dsl, None, "sam lee", dob=date(2012, 6, 6))
    assert [i.ref for i in report.incidents] == [b]
    with pytest.raises(ValidationError, match="No young person"):
        subject_access(dsl, None, "Nobody Here")


def test_devices_are_matched_to_the_young_person_by_id_never_by_a_label(
    world: World, two_incidents: tuple[str, str, str]
) -> None:
    """The device log holds initials or a code; a SAR finds the device by the pupil's id."""
    first, _, _ = two_incidents
    view = world.cases().open(first, log=False)
    ids = {p.name: pid for pid, p in view.incident.pupils.items()}
    seized = {"seized_by": "Dana Lead", "powered_off": True, "locked_where": "safe"}
    devices = world.devices()
    avas = devices.seize(first, {**seized, "description": "Ava's phone", "owner": "AS",
                                 "owner_pupil_id": ids["Ava Smith"]})  # fmt: skip
    bens = devices.seize(first, {**seized, "description": "Ben's phone", "owner": "AS-2",
                                 "owner_pupil_id": ids["Ben Smith"]})  # fmt: skip
    data = subject_access_json(subject_access(world.cases(), devices, "Ava Smith"))
    listed = [d["ref"] for i in data["incidents"] for d in i["devices"]]
    assert listed == [avas], (listed, bens)
