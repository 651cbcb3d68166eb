"""No stored code, Textual key name or ISO date on any screen (issue 11, finding 6).

Every SVG snapshot under ``tests/`` is read as the text a person would see,
and searched for what only a program should see:

* a code whose words differ from it: anything written in snake_case
  (``call_101``, ``not_applicable``, ``question_mark``, a field's name), and
  each abbreviation a vocabulary or a fixed choice stores in lower case for
  a label that spells it out (``csc`` for "Children's social care", ``pcso``);
* a date as stored (``2010-03-14``) rather than as it is shown (14/03/2010).

The codes come from the policy and the schema themselves, so a new
vocabulary entry is checked as soon as a snapshot shows it.
"""

from __future__ import annotations

import html
import re
from pathlib import Path

import pytest

from ydsi_tui.model.policy import VOCABULARIES, bundled_policy
from ydsi_tui.model.schema import SCHEMAS
from ydsi_tui.model.wording import CHOICE_WORDS

TESTS = Path(__file__).resolve().parents[1]
SNAPSHOTS = sorted(TESTS.rglob("__snapshots__/**/*.svg"))

#: Login names of the test vaults: data people chose, shown as typed.
LOGINS = {"dsl", "head", "tech"}

_SNAKE = re.compile(r"(?<![\w/.-])[a-z][a-z0-9]*(?:_[a-z0-9]+)+(?![\w/-])")
#: Not inside a file name (``ydsi-backup-2026-11-16.tar`` is the name the file has).
_ISO_DATE = re.compile(r"(?<![\w/-])\d{4}-\d{2}-\d{2}(?![\d])")
_WORD = re.compile(r"[A-Za-z]+")


def screen_lines(svg: str) -> list[str]:
    """The snapshot's text, one string per terminal row, placed by column."""
    rows: dict[float, list[tuple[float, str]]] = {}
    cell = 0.0
    pattern = r'<text[^>]*?x="([\d.]+)" y="([\d.]+)" textLength="([\d.]+)"[^>]*>(.*?)</text>'
    for x, y, length, chunk in re.findall(pattern, svg):
        text = html.unescape(re.sub("<[^>]+>", "", chunk)).replace("\xa0", " ")
        if not cell and text:
            cell = float(length) / len(text)
        rows.setdefault(float(y), []).append((float(x), text))
    lines = []
    for y in sorted(rows):
        line = ""
        for x, text in sorted(rows[y]):
            line = line.ljust(round(x / cell) if cell else 0) + text
        lines.append(line)
    return lines


def _initials(label: str) -> str:
    return "".join(word[0].lower() for word in _WORD.findall(label.replace("'s", "")))


def abbreviations() -> set[str]:
    """Lower-case codes that abbreviate their label (``csc``, ``pcso``, ``ceop``, ``slt``)."""
    policy = bundled_policy()
    labelled = dict(CHOICE_WORDS)
    for name in VOCABULARIES:
        labelled.update({choice.id: choice.label for choice in policy.vocabulary(name)})
    found = set()
    for code, label in labelled.items():
        if not code.isalpha() or len(code) > 5 or re.search(rf"\b{code}\b", label):
            continue  # a word the label itself uses ("police": "The police")
        if code.upper() in label or _initials(label).startswith(code):
            found.add(code)
    return found - LOGINS


def test_the_codes_looked_for_are_the_ones_the_walk_saw() -> None:
    assert {"csc", "pcso", "ceop", "slt"} <= abbreviations()
    snake = {name for fields in SCHEMAS.values() for name in fields if "_" in name}
    assert {"spoken_to", "crime_refs", "pupil_id"} <= snake  # caught by the snake_case rule
    assert _SNAKE.search("route: call_101") and _SNAKE.search("Help (question_mark)")
    assert not _SNAKE.search("~/ydsi-exports/2026-001-chronology.pdf")
    assert _ISO_DATE.search("born 2010-03-14") and not _ISO_DATE.search("14/03/2010 2026-001")
    assert not _ISO_DATE.search("~/ydsi-exports/ydsi-backup-2026-11-16.tar")


def test_there_are_snapshots_to_read() -> None:
    assert len(SNAPSHOTS) > 60
    names = {path.stem for path in SNAPSHOTS}
    assert any(name.startswith("test_entry_read_in_full") for name in names)
    assert any(name.startswith("test_command_palette") for name in names)


@pytest.mark.parametrize("path", SNAPSHOTS, ids=[p.stem for p in SNAPSHOTS])
def test_no_code_or_iso_date_on_screen(path: Path) -> None:
    lines = screen_lines(path.read_text(encoding="utf-8"))
    short = abbreviations()
    found: list[str] = []
    for line in lines:
        found += [f"{m.group()!r} in {line.strip()!r}" for m in _SNAKE.finditer(line)]
        found += [f"{m.group()!r} in {line.strip()!r}" for m in _ISO_DATE.finditer(line)]
        found += [
            f"{word!r} in {line.strip()!r}" for word in re.findall(r"\b[a-z]+\b", line)
            if word in short
        ]  # fmt: skip
    assert not found, "\n".join(found)
