"""Governors' figures and the inspection check, on a real vault."""

from __future__ import annotations

import io
import json
import re
from datetime import UTC, datetime

import pypdf

from ydsi_tui.model.schoolyear import parse_school_year
from ydsi_tui.service.reports.formats import render
from ydsi_tui.service.reports.governors import (
    governors_document,
    governors_json,
    governors_report,
)
from ydsi_tui.service.reports.inspection import (
    inspection_document,
    inspection_json,
    inspection_report,
)
from ydsi_tui.service.reports.markdown import render_markdown

from .conftest import World, add_pupil, decide_in_school, refer

NAMES = ("Quentin Zebedee", "Ophelia Marchbanks", "Dana Lead", "Hana Head", "black phone")


def on(world: World, *when: int) -> datetime:
    moment = datetime(*when, 10, 0, tzinfo=UTC)  # type: ignore[misc]
    world.at(moment)
    return moment


def test_figures_by_term_with_no_names_or_references(world: World) -> None:
    dsl = world.cases()
    refs = []
    on(world, 2025, 10, 6)  # autumn
    refs.append(a := dsl.create("Quentin Zebedee shared an image"))
    add_pupil(dsl, a, "Quentin Zebedee", dob="2011-01-01")
    refer(dsl, a, "police", "csc")
    world.devices().seize(
        a,
        {"description": "black phone", "owner": "QZ", "seized_by": "Dana Lead",
         "powered_off": True},
    )  # fmt: skip
    on(world, 2026, 2, 2)  # spring
    refs.append(b := dsl.create("Ophelia Marchbanks"))
    add_pupil(dsl, b, "Ophelia Marchbanks", dob="2011-02-02")
    decide_in_school(dsl, b)
    dsl.record(b, "viewing", {
        "viewer": "Dana Lead", "viewer_role": "dsl", "present": ["Hana Head"],
        "where": "Head's office", "on_premises": True, "reason_id": "report_for_takedown",
        "head_consulted": True, "same_sex": "yes", "distress_considered": True,
        "not_copied": True, "actions": "none",
    })  # fmt: skip
    on(world, 2026, 4, 5)  # Easter Day 2026: still spring
    refs.append(dsl.create("undecided one"))
    on(world, 2026, 4, 6)  # Easter Monday: summer
    refs.append(c := dsl.create("csc only"))
    refer(dsl, c, "csc")
    on(world, 2026, 9, 10)  # the next school year: not counted
    refs.append(dsl.create("next year"))

    report = governors_report(dsl, world.devices(), parse_school_year("2025-26"))
    # What is counted: the report's true counts (never published as they are).
    by_term = {term.name: counts.as_dict() for term, counts in report.terms}
    autumn = by_term["autumn"]
    assert autumn == {
        "incidents": 1,
        "referred_police": 1,
        "referred_csc": 1,
        "in_school": 0,
        "undecided": 0,
        "devices_seized": 1,
        "viewings": 0,
        "referred": 1,
        "referred_both": 1,
        "young_people": 1,
    }
    assert (by_term["spring"]["incidents"], by_term["spring"]["in_school"]) == (2, 1)
    assert (by_term["spring"]["undecided"], by_term["spring"]["viewings"]) == (1, 1)
    assert (by_term["summer"]["incidents"], by_term["summer"]["referred_csc"]) == (1, 1)
    assert report.total.incidents == 4
    # What is published: every 1 and 2 hidden (null), zeros shown, and the rest as counted.
    data = governors_json(report)
    assert data["shape"] == 2
    published = {t["term"]: t for t in data["terms"]}
    assert published["spring"]["end"] == "2026-04-05"
    for term, counts in by_term.items():
        for key, value in counts.items():
            shown = published[term][key]
            if 0 < value < 3:
                assert shown is None, (term, key)
            elif value == 0:
                assert shown == 0, (term, key)
            else:
                assert shown in (value, None), (term, key)
    assert data["year_total"]["incidents"] in (4, None)
    assert data["year"] == "2025-26"

    md = render_markdown(governors_document(report))
    pdf = render("pdf", governors_document(report), data)
    pdf_text = " ".join(p.extract_text() or "" for p in pypdf.PdfReader(io.BytesIO(pdf)).pages)
    assert "OFFICIAL-SENSITIVE" in pdf_text
    for text in (md, pdf_text, json.dumps(data)):
        for name in NAMES:
            assert name not in text, name
        for ref in refs:
            assert ref not in text, ref
        assert not re.search(r"\b20\d\d-\d{3}\b", text)  # nothing shaped like a reference


def test_the_inspection_check_says_what_is_missing_and_where_to_fix_it(world: World) -> None:
    dsl = world.cases()
    ref = dsl.create("An incident with almost nothing recorded")
    report = inspection_report(dsl)
    (item,) = report.incidents
    assert item.ref == ref and not item.complete
    questions = {m.question_id: m for m in item.missing}
    assert "up_to_date" in questions and "sound_decisions" in questions
    # One entry per step that records what the question lacks (issue 10, finding 7).
    up_to_date = {m.fix_step: m.missing for m in item.missing if m.question_id == "up_to_date"}
    assert set(up_to_date) == {
        "Disclosure",
        "Initial review meeting",
        "Immediate referral triggers and the decision",
    }
    assert up_to_date["Initial review meeting"] == (
        "The initial review meeting: when, and who attended",
        "What is known about the content of the imagery, in words",
    )
    assert any("decision" in text.lower() for text in questions["sound_decisions"].missing)
    data = inspection_json(report)
    assert data["incomplete"] == 1 and data["incidents"][0]["missing"][0]["fix_step"]["id"]
    text = render_markdown(inspection_document(report))
    assert ref in text and "Fix at: Disclosure" in text
