"""The governors' breakdowns on a real vault: what is counted, what is published, what leaks.

One school year, built through the service layer as the app builds it:
nine incidents of 2025-26 (four in autumn, four in spring, one in summer),
one of the year before (so a repeat can reach back) and one of the year
after (not counted). The true counts are checked on the report; the
published ones are read from the JSON, as a governor (or anyone the JSON is
forwarded to) reads them, and attacked from there.
"""

from __future__ import annotations

import io
import json
import re
from collections.abc import Hashable
from datetime import UTC, datetime, timedelta
from fractions import Fraction
from math import gcd
from typing import Any

import pypdf

from tests.reports.test_suppression import attacker_solves_by_elimination
from ydsi_tui.model.schoolyear import parse_school_year
from ydsi_tui.service.casebook import CaseBook
from ydsi_tui.service.register import PupilRegister
from ydsi_tui.service.reports.document import Chart
from ydsi_tui.service.reports.formats import render
from ydsi_tui.service.reports.governors import (
    GovernorsReport,
    governors_document,
    governors_json,
    governors_report,
)
from ydsi_tui.service.reports.markdown import render_markdown
from ydsi_tui.service.reports.repeats import repeat_incidents
from ydsi_tui.service.reports.suppression import Identity

from .conftest import World, add_pupil, decide_in_school, refer

NAMES = ("Quentin Zebedee", "Ophelia Marchbanks", "Xavier Quill", "Yara Penhaligon",
         "Zoe Trelawney", "Wren Ashdown", "Dana Lead", "Hana Head", "PC Pemberton")  # fmt: skip
TERMS = ("autumn", "spring", "summer", "year")


def on(world: World, *when: int) -> datetime:
    moment = datetime(*when, 10, 0, tzinfo=UTC)  # type: ignore[misc]
    world.at(moment)
    return moment


def later(world: World, at: datetime) -> None:
    """Entries are recorded after they happened: the clock moves to the end of that day."""
    world.at(max(world.clock.moment, at.replace(hour=23)))


def disclosed(world: World, book: CaseBook, ref: str, at: datetime, dsl_after: int) -> None:
    """A disclosure at ``at``, the DSL told ``dsl_after`` minutes later."""
    later(world, at)
    book.record(ref, "disclosure", {
        "discloser_type": "young_person", "to_whom": "a form tutor", "how": "in person",
        "disclosed_at": at.isoformat(),
        "dsl_told_at": (at + timedelta(minutes=dsl_after)).isoformat(),
    }, at=at)  # fmt: skip


def police(world: World, book: CaseBook, ref: str, at: datetime) -> None:
    later(world, at)
    book.record(ref, "police.contact", {"route": "safer_schools_officer",
                                        "spoken_to": "PC Pemberton"}, at=at)  # fmt: skip


def build_year(world: World) -> tuple[CaseBook, list[str]]:
    dsl = world.cases()
    refs: list[str] = []
    # 2024-25: Yara, in Year 7 (born 2012-13), so her spring incident is a repeat.
    on(world, 2025, 3, 3)
    refs.append(old := dsl.create("Yara Penhaligon last year", "peer_sharing"))
    add_pupil(dsl, old, "Yara Penhaligon", year_group=7)
    # Autumn 2025: four incidents.
    start = on(world, 2025, 10, 6)
    refs.append(a1 := dsl.create("Quentin Zebedee and Ophelia Marchbanks", "peer_sharing"))
    disclosed(world, dsl, a1, start, 30)
    add_pupil(dsl, a1, "Quentin Zebedee", dob="2012-01-15", sex="male")  # Year 9 in 2025-26
    add_pupil(dsl, a1, "Ophelia Marchbanks", year_group=9)
    refer(dsl, a1, "police")
    police(world, dsl, a1, start + timedelta(minutes=30 + 120))
    start = on(world, 2025, 10, 13)
    refs.append(a2 := dsl.create("Quentin again", "peer_sharing"))
    disclosed(world, dsl, a2, start, 60)
    add_pupil(dsl, a2, "QUENTIN  zebedee", year_group=9, sex="male")  # the same boy
    decide_in_school(dsl, a2)
    start = on(world, 2025, 11, 3)
    refs.append(a3 := dsl.create("Xavier Quill threatened", "sextortion"))
    disclosed(world, dsl, a3, start, 90)
    add_pupil(dsl, a3, "Xavier Quill", year_group=10, sex="male")
    refer(dsl, a3, "police", "csc")
    police(world, dsl, a3, start + timedelta(minutes=90 + 180))
    on(world, 2025, 12, 1)
    refs.append(a4 := dsl.create("Ophelia again", "peer_sharing"))
    add_pupil(dsl, a4, "Ophelia Marchbanks", year_group=9)
    # Spring 2026: four incidents, three of AI-made imagery.
    for name in ("Yara Penhaligon", "Zoe Trelawney", "Wren Ashdown"):
        on(world, 2026, 2, 2 + len(refs))
        refs.append(ref := dsl.create(f"Altered image of {name}", "ai_generated"))
        add_pupil(dsl, ref, name, year_group=8)
        decide_in_school(dsl, ref)
    start = on(world, 2026, 3, 2)
    refs.append(b4 := dsl.create("Xavier again", "sextortion"))
    disclosed(world, dsl, b4, start, 120)
    add_pupil(dsl, b4, "Xavier Quill", year_group=10, sex="male")
    refer(dsl, b4, "police")
    police(world, dsl, b4, start + timedelta(minutes=120 + 60))
    # Summer 2026: another Zoe Trelawney, in Year 11: a different child, not a repeat.
    on(world, 2026, 5, 4)
    refs.append(c1 := dsl.create("Zoe Trelawney (Year 11)", "peer_sharing"))
    add_pupil(dsl, c1, "Zoe Trelawney", year_group=11)
    decide_in_school(dsl, c1)
    on(world, 2026, 9, 14)
    refs.append(dsl.create("next year", "sextortion"))
    return dsl, refs


def row(report: GovernorsReport, key: str, row_id: str) -> tuple[int, ...]:
    (breakdown,) = (b for b in report.breakdowns if b.key == key)
    (found,) = (r for r in breakdown.rows if r.id == row_id)
    return (*found.terms, found.year)


def test_the_year_is_counted_by_kind_year_group_sex_outcome_repeat_and_time(
    world: World,
) -> None:
    dsl, _ = build_year(world)
    report = governors_report(dsl, world.devices(), parse_school_year("2025-26"))
    totals = [(c.incidents, c.young_people) for _, c in report.terms]
    assert totals == [(4, 5), (4, 4), (1, 1)]
    assert row(report, "by_kind", "peer_sharing") == (3, 0, 1, 4)
    assert row(report, "by_kind", "sextortion") == (1, 1, 0, 2)
    assert row(report, "by_kind", "ai_generated") == (0, 3, 0, 3)
    assert row(report, "by_kind", "non_consensual") == (0, 0, 0, 0)  # every kind is a row
    assert row(report, "by_year_group", "year_9") == (4, 0, 0, 4)  # one from a date of birth
    assert row(report, "by_year_group", "year_8") == (0, 3, 0, 3)
    assert row(report, "by_year_group", "year_11") == (0, 0, 1, 1)
    assert row(report, "by_sex", "female") == (2, 3, 1, 6)
    assert row(report, "by_sex", "male") == (3, 1, 0, 4)
    autumn = report.terms[0][1]
    assert (autumn.referred, autumn.referred_both, autumn.in_school, autumn.undecided) == (
        2,
        1,
        1,
        1,
    )
    # Quentin (typed differently), Ophelia, Xavier and Yara (from last year) were seen before;
    # the second Zoe Trelawney is in another year group: another child.
    assert (report.repeat.incidents, report.repeat.young_people) == (4, 7)
    assert report.repeat.involved_before == 4
    times = {t.key: t for t in report.times}
    assert sorted(times["disclosure_to_dsl"].minutes) == [30, 60, 90, 120]
    assert times["disclosure_to_dsl"].median == 75
    assert sorted(times["dsl_to_referral"].minutes) == [60, 120, 180]
    assert times["dsl_to_referral"].median == 120


def test_the_json_gains_the_breakdowns_and_publishes_no_small_number(world: World) -> None:
    dsl, _ = build_year(world)
    report = governors_report(dsl, world.devices(), parse_school_year("2025-26"))
    data = governors_json(report)
    assert data["shape"] == 2
    for key in ("by_kind", "by_year_group", "by_sex", "repeat", "times", "terms", "year_total"):
        assert key in data, key
    assert [r["id"] for r in data["by_kind"]["rows"]][:4] == [
        "peer_sharing", "non_consensual", "sextortion", "ai_generated",
    ]  # fmt: skip
    assert data["by_sex"]["counts"] == "young people"
    for published, true in _pairs(data, report):
        if 0 < true < 3:
            assert published is None
        elif true == 0:
            assert published == 0
        else:
            assert published in (true, None)
    # Enough is large enough to be shown: the year's incidents, and AI-made imagery this spring.
    assert data["year_total"]["incidents"] == 9
    spring_ai = next(r for r in data["by_kind"]["rows"] if r["id"] == "ai_generated")
    assert spring_ai["spring"] is None  # 4 - 3 would give the one sextortion away
    assert data["times"]["disclosure_to_dsl"] == {"incidents": 4, "median_minutes": 75}
    assert data["times"]["dsl_to_referral"] == {"incidents": 3, "median_minutes": 120}
    assert data["repeat"] == {"incidents": 4, "young_people": 7, "involved_before": 4}


def test_a_median_over_fewer_than_three_incidents_is_not_published(world: World) -> None:
    dsl = world.cases()
    start = on(world, 2025, 10, 6)
    for minutes in (10, 500):
        ref = dsl.create("one of two")
        disclosed(world, dsl, ref, start, minutes)
    data = governors_json(governors_report(dsl, None, parse_school_year("2025-26")))
    assert data["times"]["disclosure_to_dsl"] == {"incidents": None, "median_minutes": None}
    assert data["times"]["dsl_to_referral"] == {"incidents": 0, "median_minutes": None}


def _pairs(data: dict[str, Any], report: GovernorsReport) -> list[tuple[Any, int]]:
    """Every published count beside its true value."""
    pairs: list[tuple[Any, int]] = []
    for (term, counts), shown in zip(report.terms, data["terms"], strict=True):
        assert shown["term"] == term.name
        pairs += [(shown[k], v) for k, v in counts.as_dict().items()]
    pairs += [(data["year_total"][k], v) for k, v in report.total.as_dict().items()]
    for breakdown in report.breakdowns:
        rows = {r["id"]: r for r in data[breakdown.key]["rows"]}
        for true in breakdown.rows:
            pairs += list(zip((rows[true.id][t] for t in TERMS), (*true.terms, true.year),
                              strict=True))  # fmt: skip
    pairs += [(data["repeat"][k], getattr(report.repeat, k)) for k in data["repeat"]]
    return pairs


def published_system(data: dict[str, Any]) -> tuple[dict[Hashable, int | None], list[Identity]]:
    """What an attacker builds from the JSON alone: its cells, and the identities its
    documentation promises (each row's terms add up to its year; each breakdown's rows add up
    to the incidents or young people of the term; the outcomes add up; the overlap)."""
    cells: dict[Hashable, int | None] = {}
    identities: list[Identity] = []
    by_term = {t["term"]: t for t in data["terms"]}
    by_term["year"] = data["year_total"]
    measures = [k for k, v in data["year_total"].items() if v is None or isinstance(v, int)]
    for measure in measures:
        for term in TERMS:
            cells[("terms", measure, term)] = by_term[term][measure]
        identities.append(Identity(tuple(("terms", measure, t) for t in TERMS[:3]),
                                   (("terms", measure, "year"),)))  # fmt: skip
    for term in TERMS:
        t = {m: ("terms", m, term) for m in measures}
        identities.append(Identity((t["referred"], t["in_school"], t["undecided"]),
                                   (t["incidents"],)))  # fmt: skip
        identities.append(Identity((t["referred"], t["referred_both"]),
                                   (t["referred_police"], t["referred_csc"])))  # fmt: skip
    for key in ("by_kind", "by_year_group", "by_sex"):
        measure = "incidents" if data[key]["counts"] == "incidents" else "young_people"
        for r in data[key]["rows"]:
            for term in TERMS:
                cells[(key, r["id"], term)] = r[term]
            identities.append(Identity(tuple((key, r["id"], t) for t in TERMS[:3]),
                                       ((key, r["id"], "year"),)))  # fmt: skip
        for term in TERMS:
            assert data[key]["total"][term] == cells[("terms", measure, term)]
            identities.append(Identity(tuple((key, r["id"], term) for r in data[key]["rows"]),
                                       (("terms", measure, term),)))  # fmt: skip
    return cells, identities


def true_cells(report: GovernorsReport) -> dict[Hashable, int]:
    """The true value behind every cell of :func:`published_system` (the test knows them)."""
    truth: dict[Hashable, int] = {}
    for term, counts in report.terms:
        truth.update({("terms", k, term.name): v for k, v in counts.as_dict().items()})
    truth.update({("terms", k, "year"): v for k, v in report.total.as_dict().items()})
    for b in report.breakdowns:
        for r in b.rows:
            truth.update({(b.key, r.id, t): v for t, v in zip(TERMS, (*r.terms, r.year),
                                                                strict=True)})  # fmt: skip
    return truth


def another_filling(
    shown: dict[Hashable, int],
    hidden: set[Hashable],
    identities: list[Identity],
    truth: dict[Hashable, int],
    cell: Hashable,
) -> dict[Hashable, int] | None:
    """A whole-number filling of the hidden cells, other than the truth at ``cell``, that fits
    every published figure: proof that no solving, however clever, can single the truth out.

    Found by moving the truth along the null space of the published identities (over the
    hidden cells), one basis vector or two at a time, keeping every count at 0 or more.
    """
    cells = sorted(hidden, key=repr)
    col = {c: i for i, c in enumerate(cells)}
    rows = []
    for identity in identities:
        row = [Fraction(0)] * len(cells)
        for sign, side in ((1, identity.parts), (-1, identity.wholes)):
            for c in side:
                if c in col:
                    row[col[c]] += sign
        rows.append(row)
    pivots: dict[int, int] = {}
    r = 0
    for c in range(len(cells)):
        p = next((i for i in range(r, len(rows)) if rows[i][c] != 0), None)
        if p is None:
            continue
        rows[r], rows[p] = rows[p], rows[r]
        rows[r] = [v / rows[r][c] for v in rows[r]]
        for i in range(len(rows)):
            if i != r and rows[i][c] != 0:
                f = rows[i][c]
                rows[i] = [a - f * b for a, b in zip(rows[i], rows[r], strict=True)]
        pivots[c] = r
        r += 1
    basis = []
    for free in (c for c in range(len(cells)) if c not in pivots):
        v = [Fraction(0)] * len(cells)
        v[free] = Fraction(1)
        for c, row_index in pivots.items():
            v[c] = -rows[row_index][free]
        scale = 1
        for x in v:
            scale = scale * x.denominator // gcd(scale, x.denominator)
        basis.append([int(x * scale) for x in v])
    moves = [b for b in basis if b[col[cell]]]
    moves += [[a + s * b for a, b in zip(u, w, strict=True)]
              for u in moves for w in basis for s in (1, -1)]  # fmt: skip
    for move in moves:
        for sign in (1, -1):
            filling = {c: truth[c] + sign * move[col[c]] for c in cells}
            if filling[cell] != truth[cell] and min(filling.values()) >= 0:
                return filling
    return None


def test_an_attacker_with_the_json_recovers_no_hidden_count(world: World) -> None:
    dsl, _ = build_year(world)
    report = governors_report(dsl, world.devices(), parse_school_year("2025-26"))
    data = json.loads(json.dumps(governors_json(report)))  # exactly what is handed over
    cells, identities = published_system(data)
    hidden = {cell for cell, value in cells.items() if value is None}
    shown = {cell: value for cell, value in cells.items() if value is not None}
    assert hidden, "this year has small numbers: some cells must be hidden"
    # Elimination: no hidden cell follows from the published totals.
    assert not attacker_solves_by_elimination(shown, hidden, identities)
    # Whole numbers, none below 0: for every hidden cell a second filling fits everything
    # published, so the attacker cannot tell the truth from it. Each is checked here, by
    # hand, against every identity.
    truth = true_cells(report)
    for cell in sorted(hidden, key=repr):
        other = another_filling(shown, hidden, identities, truth, cell)
        assert other is not None, f"{cell} (truly {truth[cell]}) has no other filling"
        every = {**shown, **other}
        assert all(v >= 0 for v in every.values()) and other[cell] != truth[cell]
        for identity in identities:
            assert sum(every[c] for c in identity.parts) == sum(every[c] for c in identity.wholes)


def test_no_name_or_reference_in_any_rendering_and_every_pdf_page_marked(world: World) -> None:
    dsl, refs = build_year(world)
    report = governors_report(dsl, world.devices(), parse_school_year("2025-26"))
    data = governors_json(report)
    document = governors_document(report)
    md = render_markdown(document)
    pdf = render("pdf", document, data)
    pages = pypdf.PdfReader(io.BytesIO(pdf)).pages
    assert len(pages) >= 2
    for page in pages:
        assert (page.extract_text() or "").count("OFFICIAL-SENSITIVE") >= 2  # top and foot
    pdf_text = " ".join(p.extract_text() or "" for p in pages)
    for text in (md, pdf_text, json.dumps(data, ensure_ascii=False)):
        for name in NAMES:
            assert name.lower() not in text.lower(), name
        for ref in refs:
            assert ref not in text, ref
        assert not re.search(r"\b20\d\d-\d{3}\b", text)  # nothing shaped like a reference
    # The charts are drawn: a filled rectangle for each shown, non-zero bar.
    drawn = sum(
        len(re.findall(rb" re f\b", page.get_contents().get_data()))  # type: ignore[union-attr]
        for page in pages
    )
    charts = [b for b in document.blocks if isinstance(b, Chart)]
    bars = sum(1 for c in charts for bar in c.bars if bar.value)
    assert bars >= 5 and drawn >= bars
    # The year's largest shown count fills the Markdown bar; a hidden one has no bar.
    assert "| Sharing between young people | 4 | " + "█" * 24 + " |" in md
    assert "| Financially motivated sexual extortion (“sextortion”) | c | (hidden) |" in md
    assert "AI-generated or altered imagery" in md and "█" in md


def test_repeat_incidents_is_one_function_over_the_incidents(world: World) -> None:
    """The swap point for the pupil register: incidents in, each one's earlier count out."""
    dsl, _ = build_year(world)
    incidents = [dsl.open(row.ref, log=False).incident for row in dsl.rows()]
    involvements = repeat_incidents(incidents)
    assert len(involvements) == sum(len(i.pupils) for i in incidents)
    earlier = sorted(i.earlier for i in involvements)
    assert earlier.count(1) == 4 and earlier.count(0) == len(earlier) - 4
    people = {i.person for i in involvements}
    assert len(people) == 7  # the two Zoe Trelawneys are two children


def test_the_register_says_who_is_one_child_in_the_repeat_figure(world: World) -> None:
    """Links count before names: one child under two spellings is a repeat; two children
    of one name and year, linked to two records, are not; a merge makes two records one;
    a young person not yet linked joins the one register child of their name and year."""
    dsl = world.cases()
    register = PupilRegister(dsl)

    def incident(day: int, name: str) -> tuple[str, str]:
        on(world, 2025, 10, day)
        ref = dsl.create(f"Incident about {name}", "peer_sharing")
        return ref, add_pupil(dsl, ref, name, year_group=9)

    def figures() -> tuple[int, int, int]:
        report = governors_report(dsl, world.devices(), parse_school_year("2025-26"))
        r = report.repeat
        return r.incidents, r.young_people, r.involved_before

    def repeats() -> set[str]:
        incidents = [dsl.open(r.ref, log=False).incident for r in dsl.rows()]
        merges = register.listing().merges
        return {i.ref for i in repeat_incidents(incidents, merges) if i.earlier}

    sam1, sam2 = incident(6, "Sam Okoro"), incident(7, "Samuel Okoro")
    alex1, alex2 = incident(8, "Alex Kim"), incident(9, "Alex Kim")
    jo1, jo2 = incident(10, "Jo Bell"), incident(13, "Joanna Bell")
    # By names alone: the two Alex Kims are one child, Sam and Samuel two, Jo and Joanna two.
    assert figures() == (1, 5, 1) and repeats() == {alex2[0]}
    sam = register.register_incident_pupil(*sam1)
    register.link(sam2[0], sam, pupil_id=sam2[1])
    register.register_incident_pupil(*alex1)
    register.register_incident_pupil(*alex2)  # another boy of the same name and year
    jo = register.register_incident_pupil(*jo1)
    joanna = register.register_incident_pupil(*jo2)
    assert figures() == (1, 5, 1)
    assert repeats() == {sam2[0]}  # Sam is a repeat now, the Alex Kims are not
    register.merge(jo, joanna, "the same girl: Joanna is her full name")
    assert figures() == (2, 4, 2) and repeats() == {sam2[0], jo2[0]}
    incident(14, "sam okoro")  # not linked: joins the one register child of that name
    assert figures() == (3, 4, 2)
    involvements = repeat_incidents(
        [dsl.open(r.ref, log=False).incident for r in dsl.rows()],
        register.listing().merges,
    )
    assert sorted(i.earlier for i in involvements) == [0, 0, 0, 0, 1, 1, 2]
