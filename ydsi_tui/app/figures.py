"""The governors' figures as text charts: numbers first, a bar beside each.

Every bar of a chart is drawn to the same scale (the largest count on the
chart fills its column), so one bar can be compared with another: how many
of the incidents were referred to the police is the police bar against the
incidents bar. Partial cells use the eighth blocks (``▏▎▍▌▋▊▉█``); a zero
is a ``·``. The numbers are always written beside the bars: a bar only makes
them quicker to read, and means nothing without them (nor does colour,
which is never used). A hidden count (a small number, or one that would
give a small number away) is written ``c`` and has no bar: its length would
say what the number is.

Everything here reads the report's *published* figures
(:meth:`GovernorsReport.shown`), never its true counts.
"""

from __future__ import annotations

from textual.content import Content

from ..service.reports.governors import (
    HIDDEN,
    REPEAT_LABELS,
    YEAR,
    Breakdown,
    GovernorsReport,
    timing_words,
)
from .text import join

__all__ = [
    "MEASURES",
    "breakdown_lines",
    "chart_lines",
    "outcome_lines",
    "repeat_lines",
    "text_bar",
]

#: (field of Counts, column heading, what it means): the chart's columns, left to right.
MEASURES = (
    ("incidents", "Incidents", "incidents recorded"),
    ("referred_police", "→ police", "referred to the police"),
    ("referred_csc", "→ CSC", "referred to children's social care"),
    ("in_school", "In school", "handled in school"),
    ("devices_seized", "Devices", "devices seized"),
    ("viewings", "Viewings", "viewings of imagery recorded"),
)

#: Short words for the policy's kinds, so a row fits beside its bar at 80 columns.
SHORT = {
    "peer_sharing": "Peer sharing",
    "non_consensual": "Non-consensual",
    "sextortion": "Sextortion",
    "ai_generated": "AI-generated",
    "other": "Other",
    "not_recorded": "Not recorded",
}

_EIGHTHS = " ▏▎▍▌▋▊▉"
_LABEL = 8
_COUNT = 3
_ROW_LABEL = 16
_NUMBER = 5


def text_bar(value: int, largest: int, width: int) -> str:
    """``value`` of ``largest`` as a bar ``width`` cells wide (eighths of a cell)."""
    if value <= 0 or largest <= 0 or width <= 0:
        return "·".ljust(max(width, 1))
    eighths = max(1, round(value * width * 8 / largest))
    full, part = divmod(min(eighths, width * 8), 8)
    drawn = "█" * full + (_EIGHTHS[part] if part else "")
    return drawn.ljust(width)


def _shown(value: int | None) -> str:
    return HIDDEN if value is None else str(value)


def _bar(value: int | None, largest: int, width: int) -> str:
    """A bar, or blank for a hidden count (never a length that tells it)."""
    return " " * width if value is None else text_bar(value, largest, width)


def chart_lines(report: GovernorsReport, width: int) -> list[Content]:
    """The terms chart, ``width`` columns wide at most (78 or more is comfortable)."""
    column = max(_COUNT + 6, (width - _LABEL - 1) // len(MEASURES))
    bar_width = column - _COUNT - 2
    terms = [term.name for term, _ in report.terms]
    values = {
        (key, name): report.shown("terms", key, name)
        for key, _, _ in MEASURES
        for name in [*terms, YEAR]
    }
    largest = max(
        (v for (_, name), v in values.items() if name != YEAR and v is not None), default=0
    )
    heading = f"{'Term':<{_LABEL}}" + "".join(f"{h:<{column}}" for _, h, _ in MEASURES)
    lines = [join([(heading, "bold")])]
    for name in terms:
        cells = "".join(
            f"{_bar(values[key, name], largest, bar_width)}{_shown(values[key, name]):>{_COUNT}}  "
            for key, _, _ in MEASURES
        )
        lines.append(join([(f"{name.capitalize():<{_LABEL}}", "bold"), cells]))
    lines.append(join(["─" * min(width, _LABEL + column * len(MEASURES))]))
    totals = "".join(
        f"{'':<{bar_width}}{_shown(values[key, YEAR]):>{_COUNT}}  " for key, _, _ in MEASURES
    )
    lines.append(join([(f"{'Year':<{_LABEL}}", "bold"), (totals, "bold")]))
    return lines


def _table_lines(
    title: str,
    rows: list[tuple[str, list[int | None]]],
    total: tuple[str, list[int | None]] | None,
    width: int,
) -> list[Content]:
    """Rows of ``label  aut spr sum  year  bar``, the bar drawn to the year's figure."""
    numbers = _NUMBER * 3 + _NUMBER + 1
    bar_width = max(4, width - _ROW_LABEL - numbers - 2)
    largest = max((r[-1] for _, r in rows if r[-1] is not None), default=0)
    heading = f"{title[: _ROW_LABEL + 2]:<{_ROW_LABEL}}"[: _ROW_LABEL + 2]
    header = (
        f"{heading:<{_ROW_LABEL}}{'Aut':>{_NUMBER}}{'Spr':>{_NUMBER}}{'Sum':>{_NUMBER}}"
        f"{'Year':>{_NUMBER + 1}}"
    )
    lines = [join([(header, "bold")])]
    for label, values in rows:
        *terms, year = values
        text = (
            f"{label[: _ROW_LABEL - 1]:<{_ROW_LABEL}}"
            + "".join(f"{_shown(v):>{_NUMBER}}" for v in terms)
            + f"{_shown(year):>{_NUMBER + 1}}  "
        )
        lines.append(join([text, _bar(year, largest, bar_width).rstrip()]))
    if total is not None:
        label, values = total
        *terms, year = values
        text = (
            f"{label:<{_ROW_LABEL}}"
            + "".join(f"{_shown(v):>{_NUMBER}}" for v in terms)
            + f"{_shown(year):>{_NUMBER + 1}}"
        )
        lines.append(join([(text, "bold")]))
    return lines


def _columns(report: GovernorsReport) -> list[str]:
    return [term.name for term, _ in report.terms] + [YEAR]


def outcome_lines(report: GovernorsReport, width: int) -> list[Content]:
    """Referred (either agency) against handled in school against not yet decided."""
    columns = _columns(report)
    rows = [
        (label, [report.shown("terms", key, c) for c in columns])
        for key, label in (("referred", "Referred"), ("in_school", "In school"),
                           ("undecided", "Not decided"))
    ]  # fmt: skip
    total = ("Incidents", [report.shown("terms", "incidents", c) for c in columns])
    return _table_lines("Decision", rows, total, width)


def breakdown_lines(report: GovernorsReport, breakdown: Breakdown, width: int) -> list[Content]:
    """One breakdown (kind, year group, sex) by term, with its year's bars."""
    columns = _columns(report)
    rows = [
        (SHORT.get(row.id, row.label), [report.shown(breakdown.key, row.id, c) for c in columns])
        for row in breakdown.rows
    ]
    total = (
        "Incidents" if breakdown.counts == "incidents" else "Young people",
        [report.shown("terms", breakdown.measure, c) for c in columns],
    )
    title = {"by_kind": "Kind", "by_year_group": "Year group", "by_sex": "Sex"}
    return _table_lines(title.get(breakdown.key, breakdown.title), rows, total, width)


def repeat_lines(report: GovernorsReport) -> list[Content]:
    """Repeat involvement and the median times, as labelled numbers."""
    lines = [join([("Repeat involvement (the year)", "bold")])]
    for key, label in REPEAT_LABELS:
        lines.append(join([f"{_shown(report.shown('repeat', key)):>4}  ", label]))
    lines.append(join([("Median times (the year)", "bold")]))
    for timing in report.times:
        lines.append(join([f"{timing.label}: ", timing_words(report, timing)]))
    return lines
