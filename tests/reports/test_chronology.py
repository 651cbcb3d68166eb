"""The chronology export on a real vault: PDF text extracted and checked, Markdown, JSON."""

from __future__ import annotations

import base64
import hashlib
import io
import json
import re
from datetime import timedelta

import pypdf
import pytest

from ydsi_tui.model import rules
from ydsi_tui.model.events import make_event
from ydsi_tui.service.records import append_event
from ydsi_tui.service.reports.chronology import (
    chronology,
    chronology_document,
    chronology_json,
)
from ydsi_tui.service.reports.formats import render
from ydsi_tui.service.reports.markdown import render_markdown
from ydsi_tui.service.reports.pdf import FontChoice, find_unicode_font, render_pdf

from .conftest import NOW, World, add_pupil, decide_in_school, reads_of

#: Names a school might really record, and some no one should be able to break a PDF with.
LATIN = "Zoë Łukasz-Ångström O'Brien"
CYRILLIC = "Аня Петрова"
CJK = "李小龙"
HOSTILE = "Eve \u202eredrah\u202c [b]bold[/b] \x1b]0;title\x07 <script>"


def pdf_pages(data: bytes) -> list[str]:
    reader = pypdf.PdfReader(io.BytesIO(data))
    return [" ".join((page.extract_text() or "").split()) for page in reader.pages]


def squash(text: str) -> str:
    """pypdf may split a word at a line wrap or double a space: compare without spaces."""
    return re.sub(r"\s+", "", text)


@pytest.fixture
def incident(world: World) -> str:
    """An incident whose entries were recorded out of order, signed off, with a device."""
    world.at(NOW - timedelta(days=2))
    dsl = world.cases()
    ref = dsl.create("Image shared in a Year 10 group chat", disclosed_at=NOW - timedelta(days=2))
    add_pupil(dsl, ref, LATIN, dob="2011-03-04")
    add_pupil(dsl, ref, CYRILLIC, parts=["received"])
    add_pupil(dsl, ref, CJK, parts=["shared"])
    add_pupil(dsl, ref, HOSTILE, parts=["received"])
    world.at(NOW - timedelta(days=1))
    # Written up after the fact: recorded now, happened earlier, and in reverse order.
    dsl.note(ref, "THIRD-EVENT spoke to the form tutor", at=NOW - timedelta(days=1, hours=1))
    dsl.note(ref, "SECOND-EVENT spoke to the parents", at=NOW - timedelta(days=1, hours=3))
    dsl.note(ref, "FIRST-EVENT called the safer schools officer", at=NOW - timedelta(days=2))
    decide_in_school(dsl, ref)
    world.at(NOW)
    world.cases("head").sign_off(ref, "I agree with this decision.")
    world.devices().seize(
        ref,
        {"description": "black phone", "owner": "LT-1", "seized_by": "Dana Lead",
         "powered_off": True, "locked_where": "safe"},
    )  # fmt: skip
    return ref


def test_the_pdf_is_marked_ordered_verified_and_keeps_every_name(
    world: World, incident: str
) -> None:
    if find_unicode_font().regular is None:
        pytest.skip("no Unicode font on this machine (the fallback is tested below)")
    dsl = world.cases()
    chrono = chronology(dsl, world.devices(), incident)
    pages = pdf_pages(render("pdf", chronology_document(chrono), chronology_json(chrono)))
    assert len(pages) >= 2
    assert all("OFFICIAL-SENSITIVE" in page for page in pages)
    text = " ".join(pages)
    flat = squash(text)
    # Every entry in the order things happened, not the order they were recorded.
    positions = [flat.index(word) for word in ("FIRST-EVENT", "SECOND-EVENT", "THIRD-EVENT")]
    assert positions == sorted(positions)
    # The Headteacher's sign-off, with its signature checked against the vault's keys.
    assert "SIGNATUREVERIFIED" in flat
    assert "NOTVERIFIED" not in flat
    # The policy the incident was handled under, and its status in words, not a code.
    assert "version2016.4" in flat
    assert "Status:inschool" in flat and "in_school" not in text
    # Names in any script survive; what the font cannot draw, or what could disguise
    # text, is written as a code rather than dropped.
    for name in (LATIN, CYRILLIC):
        assert squash(name) in flat, name
    assert "[U+674E][U+5C0F][U+9F99]" in flat
    assert "[U+202E]redrah[U+202C]" in flat and "[U+001B]" in flat
    assert "\u202e" not in text and "\x1b" not in text
    # The device's custody chain comes with it.
    assert "blackphone" in flat


def test_exporting_is_an_audited_read(world: World, incident: str) -> None:
    dsl = world.cases()
    record_id = dsl.session.record_id("case", incident)
    before = reads_of(world, record_id)
    chronology(dsl, world.devices(), incident)
    assert reads_of(world, record_id) == before + 1


def test_a_forged_signoff_is_shown_as_not_verified(world: World, incident: str) -> None:
    """A DSL holds the case key, so could write a sign-off entry: it must not pass as one."""
    dsl = world.cases()
    head_key = world.cases("head").session.signer.key_id
    with dsl.session.transaction("case", incident) as db:
        meta, _, policy, incident_now = dsl._load(db)
        decision = incident_now.events_by_id[incident_now.current_decision.event_id]  # type: ignore[union-attr]
        statement = "forged"
        payload = rules.signoff_payload(
            meta, decision, signer="Hana Head", signed_at=NOW, statement=statement
        )
        forged = make_event(
            "signoff",
            {
                "decision_id": decision.id,
                "statement": statement,
                "signature": base64.b64encode(bytes(64)).decode(),
                "key_id": head_key,
                "payload_sha256": hashlib.sha256(payload).hexdigest(),
            },
            at=NOW, now=NOW, by="Hana Head", by_role="headteacher", policy=policy,
        )  # fmt: skip
        append_event(db, forged)
    chrono = chronology(dsl, None, incident)
    markdown = render_markdown(chronology_document(chrono))
    # Written by the DSL's own save: the author is attested, so it is not a Headteacher's.
    assert "SIGNATURE NOT VERIFIED: added by Dana Lead (dsl), not a Headteacher" in markdown
    assert "SIGNATURE VERIFIED" in markdown  # the genuine one still is
    shape = chronology_json(chrono)
    assert sorted(s["signature_valid"] for s in shape["incident"]["signoffs"]) == [False, True]


def test_markdown_cannot_be_turned_into_links_or_html(world: World, incident: str) -> None:
    dsl = world.cases()
    dsl.note(incident, "see [this](http://evil.example) <img src=x> # not a heading")
    text = render_markdown(chronology_document(chronology(dsl, None, incident)))
    assert text.startswith("**OFFICIAL-SENSITIVE**") and text.rstrip().endswith(
        "**OFFICIAL-SENSITIVE**"
    )
    assert "\\[this\\](http://evil.example)" in text
    assert "\\<img src=x\\>" in text
    assert "[U+202E]" in text and "\u202e" not in text and "\x1b" not in text


def test_the_json_export_has_the_documented_shape(world: World, incident: str) -> None:
    chrono = chronology(world.cases(), world.devices(), incident)
    data = json.loads(render("json", chronology_document(chrono), chronology_json(chrono)))
    assert data["shape"] == 1 and data["kind"] == "chronology"
    assert data["marking"] == "OFFICIAL-SENSITIVE"
    assert data["generated_by"] == "Dana Lead"
    timeline = data["incident"]["timeline"]
    assert [e["at"] for e in timeline] == sorted(e["at"] for e in timeline)
    assert {p["name"] for p in data["incident"]["pupils"]} == {LATIN, CYRILLIC, CJK, HOSTILE}
    assert data["incident"]["policy"]["version"] == "2016.4"
    assert data["incident"]["status"] == "in_school"  # codes stay codes in JSON
    assert data["devices"][0]["owner"] == "LT-1"  # a label: the device log holds no name


def test_without_a_unicode_font_the_pdf_says_so_and_never_fails(
    world: World, incident: str
) -> None:
    chrono = chronology(world.cases(), world.devices(), incident)
    pages = pdf_pages(render_pdf(chronology_document(chrono), font=FontChoice(None)))
    text = " ".join(pages)
    flat = squash(text)
    assert all("OFFICIAL-SENSITIVE" in page for page in pages)
    assert "withoutaUnicodefont" in flat
    assert "ZoëLukasz-ÅngströmO'Brien" in flat  # Latin-1 kept, Ł transliterated
    assert "[U+0410][U+043D][U+044F]" in flat  # Cyrillic as codes, never dropped
    assert "SIGNATUREVERIFIED" in flat


@pytest.mark.slow  # a PDF per hostile text
@pytest.mark.parametrize(
    "text",
    [
        "x" * 20_000,
        "\n" * 500,
        "a\u0301" * 3000,
        "\ud800 lone surrogate",
        "\x00\x01\x7f",
        "🙂" * 50,
    ],
)
def test_no_text_breaks_the_pdf(text: str) -> None:
    from ydsi_tui.service.reports.document import Document, Fields, Item, Table

    doc = Document(
        text[:200],
        (
            Fields((("Name", text),)),
            Table(("a", "b"), ((text, text),)),
            Item(text, text, text, text),
        ),
    )
    for font in (find_unicode_font(), FontChoice(None)):
        pages = pdf_pages(render_pdf(doc, font=font))
        assert all("OFFICIAL-SENSITIVE" in page for page in pages)
