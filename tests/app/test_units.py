"""The app's pure parts: the text door, form specs, the note's time prefix, the styles path."""

from __future__ import annotations

import zipfile
from datetime import UTC, datetime
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from rich.text import Text
from textual.content import Content

from ydsi_tui.app.formspec import (
    AT,
    check_form,
    collect,
    device_spec,
    entry_spec,
    field_id,
    new_incident_spec,
    split_note_time,
)
from ydsi_tui.app.paths import STYLESHEETS, styles_dir
from ydsi_tui.app.text import cell, plain, visible
from ydsi_tui.model.policy import load_policy
from ydsi_tui.model.schema import DEVICE_SCHEMAS, INCIDENT_SCHEMAS

NOW = datetime(2026, 11, 16, 10, 0, tzinfo=UTC)
POLICY = load_policy()
REPO = Path(__file__).resolve().parents[2]


# ------------------------------------------------------------------ text


@pytest.mark.parametrize(
    ("raw", "shown"),
    [
        ("[b]Ann[/b]", "[b]Ann[/b]"),
        ("a\x1b[31mred", "a␛[31mred"),
        ("bell\x07", "bell␇"),
        ("nul\x00", "nul␀"),
        ("del\x7f", "del␡"),
        ("csi\x9b", "csi⟨U+009B⟩"),
        ("rtl\u202eevil", "rtl⟨U+202E⟩evil"),
        ("zero\u200bwidth", "zero⟨U+200B⟩width"),
        ("line\nbreak", "line⏎break"),
        ("bad\udcff", "bad\ufffd"),
        ("[/", "[/"),
    ],
)
def test_visible_shows_every_character_and_controls_nothing(raw: str, shown: str) -> None:
    assert visible(raw) == shown
    assert plain(raw).plain == shown
    assert cell(raw).plain == shown


def test_multiline_keeps_newlines() -> None:
    assert visible("a\nb\tc", multiline=True) == "a\nb    c"


@settings(deadline=None)  # a test of what is shown, never of how fast
@given(st.text())
def test_nothing_typed_reaches_the_terminal_as_a_control(raw: str) -> None:
    out = visible(raw)
    assert all(ch.isprintable() or ch in "⏎" for ch in out)
    assert isinstance(plain(raw), Content)
    assert isinstance(cell(raw), Text)


# ------------------------------------------------------------------ forms


@pytest.mark.parametrize("kind", sorted(INCIDENT_SCHEMAS))
def test_every_incident_kind_has_a_form(kind: str) -> None:
    if kind == "signoff":
        return  # made by the sign-off screen, with the Headteacher's key
    form = entry_spec(kind, POLICY, None, ref="2026-001")
    ids = [field_id(f.name) for f in form.fields]
    assert len(ids) == len(set(ids))
    assert all(f.label for f in form.fields)
    assert form.title.endswith("(2026-001)")


@pytest.mark.parametrize("kind", sorted(DEVICE_SCHEMAS))
def test_every_device_kind_has_a_form(kind: str) -> None:
    form = device_spec(kind, POLICY, ref="D-2026-001")
    assert form.fields and form.fields[-1].name == AT


def test_the_review_meeting_asks_the_policy_s_nine_considerations() -> None:
    form = entry_spec("review.meeting", POLICY, None, ref="2026-001")
    answers = [f for f in form.fields if f.name.startswith("answers.")]
    assert [f.label.split(". ", 1)[1] for f in answers] == [
        q.text for q in POLICY.review_considerations
    ]


def test_collect_turns_typing_into_the_payload() -> None:
    form = entry_spec("police.contact", POLICY, None, ref="2026-001")
    data, at, errors = collect(
        form,
        {
            "route": "call_101",
            "spoken_to": "PC Example",
            "crime_refs": "AB/1; CD/2",
            AT: "yesterday 3pm",
        },
        NOW,
    )
    assert errors == {}
    assert data == {"route": "call_101", "spoken_to": "PC Example", "crime_refs": ["AB/1", "CD/2"]}
    assert at == datetime(2026, 11, 15, 15, 0, tzinfo=UTC)


def test_check_form_names_the_field_at_fault() -> None:
    form = entry_spec("decision", POLICY, None, ref="2026-001")
    _, _, errors = check_form(form, {"outcome": "in_school", AT: "now"}, NOW, POLICY)
    assert "reason" in errors
    _, _, errors = check_form(form, {"outcome": "refer", AT: "now"}, NOW, POLICY)
    assert "refer_to" in errors


def test_new_incident_form() -> None:
    form = new_incident_spec(POLICY)
    told = {"discloser_type": "staff", "to_whom": "Ms Ray", "how": "saw it"}
    data, at, errors = collect(form, {"summary": "x", "kind": "other", AT: "9:00", **told}, NOW)
    given = {k: v for k, v in data.items() if v != []}  # the young people's empty ticks
    assert errors == {} and given == {"summary": "x", "kind": "other", **told}
    assert at == datetime(2026, 11, 16, 9, 0, tzinfo=UTC)


def test_new_incident_form_takes_the_disclosure_whole() -> None:
    """Issue 10, finding 10: who, to whom, when, how, DSL told, the young people."""
    form = new_incident_spec(POLICY)
    names = [f.name for f in form.fields]
    assert names[:3] == ["summary", "kind", AT]  # as typed before: Tab, Tab, the time
    for name in ("discloser_type", "discloser_name", "to_whom", "how", "dsl_told_at"):
        assert name in names
    assert "disclosed_at" not in names  # asked once: the form's own time
    for part in ("name", "born", "sex", "parts", "sen"):
        assert f"pupils.1.{part}" in names and f"pupils.2.{part}" in names
    values = {
        "summary": "x", "kind": "other", AT: "9:00", "discloser_type": "staff",
        "to_whom": "Ms Ray", "how": "saw it", "dsl_told_at": "8:00",
        "pupils.1.name": "Ava", "pupils.1.born": "31/02/2012",
        "pupils.2.name": "Ben", "pupils.2.born": "9", "pupils.2.sex": "male",
        "pupils.2.parts": ["sent"], "pupils.2.sen": "no",
    }  # fmt: skip
    _, _, errors = check_form(form, values, NOW, POLICY)
    assert set(errors) == {"pupils.1.born"}  # the first error that stops the rest
    _, _, errors = check_form(form, {**values, "pupils.1.born": "14/03/2012"}, NOW, POLICY)
    assert set(errors) == {"dsl_told_at", "pupils.1.sex", "pupils.1.parts", "pupils.1.sen"}
    assert "before the disclosure" in errors["dsl_told_at"]


@pytest.mark.parametrize(
    ("typed", "when", "note", "error"),
    [
        ("spoke to mum", None, "spoke to mum", False),
        ("10:30 spoke to mum", None, "10:30 spoke to mum", True),  # future at 10:00
        ("9:30 spoke to mum", datetime(2026, 11, 16, 9, 30, tzinfo=UTC), "spoke to mum", False),
        ("yesterday 3pm rang CSC", datetime(2026, 11, 15, 15, tzinfo=UTC), "rang CSC", False),
        ("2 boys were seen", None, "2 boys were seen", False),
        ("10:30", None, "10:30", False),
    ],
)
def test_a_quick_note_s_time_prefix(
    typed: str, when: datetime | None, note: str, error: bool
) -> None:
    got_when, got_note, got_error = split_note_time(typed, NOW)
    assert got_when == when and got_note == note and (got_error is not None) == error


# ------------------------------------------------------------------ styles


def test_styles_are_found_in_the_repository() -> None:
    folder = styles_dir()
    assert all((folder / name).is_file() for name in STYLESHEETS)


@pytest.mark.slow  # builds the wheel
def test_the_wheel_carries_the_styles(tmp_path: Path) -> None:
    import subprocess
    import sys

    result = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", str(REPO), "-w", str(tmp_path), "-q"],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    if result.returncode != 0 and "hatchling" in result.stderr and "No matching" in result.stderr:
        pytest.skip("no package index to fetch the build backend from")
    assert result.returncode == 0, result.stderr
    [wheel] = tmp_path.glob("ydsi_tui-*.whl")
    with zipfile.ZipFile(wheel) as archive:
        names = set(archive.namelist())
        for name in STYLESHEETS:
            packaged = f"ydsi_tui/styles/{name}"
            assert packaged in names
            assert archive.read(packaged) == (REPO / "styles" / name).read_bytes()
        archive.extractall(tmp_path / "site")
    # An installed copy finds its own styles, not the repository's.
    found = subprocess.run(
        [sys.executable, "-c", "from ydsi_tui.app.paths import styles_dir; print(styles_dir())"],
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
        cwd=tmp_path,
        env={"PYTHONPATH": str(tmp_path / "site"), "PATH": "/usr/bin:/bin"},
    )
    assert Path(found.stdout.strip()) == tmp_path / "site" / "ydsi_tui" / "styles"


# ------------------------------------------------------------------ reports: pure parts


def test_the_progress_bar_says_how_far_in_two_characters() -> None:
    from ydsi_tui.app.widgets.progress import bar

    assert bar(0, 10, 10) == "▕░░░░░░░░░░▏"
    assert bar(5, 10, 10) == "▕█████░░░░░▏"
    assert bar(10, 10, 10) == "▕██████████▏"
    assert bar(3, 0, 4) == "▕░░░░▏"  # an unknown total never divides by zero


def test_a_text_bar_is_drawn_in_eighths_and_a_zero_is_a_dot() -> None:
    from ydsi_tui.app.figures import text_bar

    assert text_bar(0, 8, 4) == "·   "
    assert text_bar(8, 8, 4) == "████"
    assert text_bar(1, 8, 4) == "▌   "
    assert text_bar(1, 1000, 4) == "▏   "  # never invisible when it is not zero


def test_the_governors_chart_is_numbers_first_and_fits() -> None:
    from ydsi_tui.app.figures import chart_lines
    from ydsi_tui.model.schoolyear import SchoolYear
    from ydsi_tui.service.reports.governors import Counts, GovernorsReport

    year = SchoolYear(2025)
    autumn, spring, summer = year.terms
    # No count of 1 or 2 here (those are hidden: see the next test).
    report = GovernorsReport(
        "Hindley School",
        year,
        ((autumn, Counts(6, 3, 0, 3, 0, 0, 4, 3, 0, 6)), (spring, Counts()),
         (summer, Counts(3, 0, 0, 0, 3, 0, 0, 0, 0, 3))),
        Counts(9, 3, 0, 3, 3, 0, 4, 3, 0, 9),
        NOW,
    )  # fmt: skip
    for width in (78, 118):
        lines = [line.plain for line in chart_lines(report, width)]
        assert all(len(line) <= width for line in lines)
        assert lines[0].split()[:2] == ["Term", "Incidents"]
        assert lines[1].startswith("Autumn  ██████") and lines[1].split()[2] == "6"
        assert lines[2].split()[1:3] == ["·", "0"]
        assert lines[-1].split()[:2] == ["Year", "9"]


def test_a_hidden_count_is_a_c_with_no_bar_on_every_chart() -> None:
    from ydsi_tui.app.figures import breakdown_lines, chart_lines, outcome_lines
    from ydsi_tui.model.schoolyear import SchoolYear
    from ydsi_tui.service.reports.governors import (
        Breakdown,
        BreakdownRow,
        Counts,
        GovernorsReport,
    )

    year = SchoolYear(2025)
    autumn, spring, summer = year.terms
    kinds = Breakdown("by_kind", "Incidents by kind", "incidents", (
        BreakdownRow("peer_sharing", "Sharing between young people", (5, 0, 4)),
        BreakdownRow("sextortion", "Sextortion", (1, 0, 0)),
    ))  # fmt: skip
    report = GovernorsReport(
        "Hindley School",
        year,
        ((autumn, Counts(6, 0, 0, 6, 0, 0, 0, 0, 0, 0)), (spring, Counts()),
         (summer, Counts(4, 0, 0, 4, 0, 0, 0, 0, 0, 0))),
        Counts(10, 0, 0, 10, 0, 0, 0, 0, 0, 0),
        NOW,
        breakdowns=(kinds,),
    )  # fmt: skip
    assert report.shown("by_kind", "sextortion", "autumn") is None
    assert report.shown("by_kind", "sextortion", "year") is None
    assert report.shown("by_kind", "peer_sharing", "autumn") is None  # or 6 - 5 gives the 1
    lines = [line.plain for line in breakdown_lines(report, kinds, 78)]
    assert all(len(line) <= 78 for line in lines)
    sextortion = next(line for line in lines if line.startswith("Sextortion"))
    assert sextortion.split()[1:] == ["c", "0", "0", "c"]  # no bar: its length would tell
    assert "█" not in sextortion and "·" not in sextortion
    assert lines[0].split() == ["Kind", "Aut", "Spr", "Sum", "Year"]
    autumn_line = [line.plain for line in chart_lines(report, 78)][1]
    assert autumn_line.split()[:3] == ["Autumn", "██████", "6"]  # 6 = 5 + 1: both hidden
    assert len(outcome_lines(report, 78)) == 5


def test_export_paths_are_new_and_shown_from_home(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from ydsi_tui.app.exports import default_path, prepare, resolve, shown, with_suffix

    monkeypatch.setenv("HOME", str(tmp_path))
    assert default_path("2026-001-chronology", ".pdf") == "~/ydsi-exports/2026-001-chronology.pdf"
    target = prepare(resolve("~/ydsi-exports/2026-001-chronology.pdf"))
    assert (tmp_path / "ydsi-exports").is_dir()
    assert (tmp_path / "ydsi-exports").stat().st_mode & 0o777 == 0o700
    target.write_text("taken")
    assert default_path("2026-001-chronology", ".pdf") == "~/ydsi-exports/2026-001-chronology-2.pdf"
    assert shown(target) == "~/ydsi-exports/2026-001-chronology.pdf"
    assert shown(Path("/srv/elsewhere.pdf")) == "/srv/elsewhere.pdf"
    assert with_suffix("~/a.pdf", ".pdf", ".md") == "~/a.md"
    assert with_suffix("~/my-own-name", ".pdf", ".md") == "~/my-own-name"
    with pytest.raises(Exception, match="Give the file's name"):
        resolve("   ")


def test_a_document_on_screen_shows_every_redaction_mark_in_words() -> None:
    from ydsi_tui.app.docview import document_content
    from ydsi_tui.service.reports.document import Document, Item, Span

    spans = (Span("Saw "), Span("[b]Ben[/b]", "other pupil"))
    item = Item("Mon 16/11/2026", "Note", spans, "Recorded by Dana", redact="staff's note")
    doc = Document("Subject access", (item,))
    text = document_content(doc).plain
    assert text.startswith("OFFICIAL-SENSITIVE")
    assert "[REDACT THIS ENTRY: staff's note]" in text
    assert "Saw [REDACT other pupil: [b]Ben[/b]]" in text  # markup stays text


def test_a_chart_in_a_document_on_screen_writes_every_count_and_no_hidden_bar() -> None:
    from ydsi_tui.app.docview import document_content
    from ydsi_tui.service.reports.document import Bar, Chart, Document

    chart = Chart("Incidents by kind", (Bar("[b]Peer[/b]", 8), Bar("Sextortion", None),
                                        Bar("Other", 0)))  # fmt: skip
    lines = document_content(Document("Governors", (chart,))).plain.splitlines()
    peer = next(line for line in lines if line.startswith("[b]Peer[/b]"))  # markup stays text
    assert peer.split()[1] == "8" and peer.endswith("█" * 30)
    hidden = next(line for line in lines if line.startswith("Sextortion"))
    assert hidden.split() == ["Sextortion", "c"]
    assert next(line for line in lines if line.startswith("Other")).split() == ["Other", "0", "·"]
