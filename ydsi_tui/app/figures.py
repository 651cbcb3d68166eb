"""The governors' figures as a text chart: one row per term, a bar and a count per measure.

Every bar is drawn to the same scale (the largest count on the chart fills
its column), so a column can be compared with another: how many of the
incidents were referred to the police is the police bar against the
incidents bar. Partial cells use the eighth blocks (``▏▎▍▌▋▊▉█``); a zero
is a ``·``. The numbers are always written beside the bars: a bar only makes
them quicker to read, and means nothing without them (nor does colour,
which is never used).
"""

from __future__ import annotations

from textual.content import Content

from ..service.reports.governors import Counts, GovernorsReport
from .text import join

__all__ = ["MEASURES", "chart_lines", "text_bar"]

#: (field of Counts, column heading, what it means): the chart's columns, left to right.
MEASURES = (
    ("incidents", "Incidents", "incidents recorded"),
    ("referred_police", "→ police", "referred to the police"),
    ("referred_csc", "→ CSC", "referred to children's social care"),
    ("in_school", "In school", "handled in school"),
    ("devices_seized", "Devices", "devices seized"),
    ("viewings", "Viewings", "viewings of imagery recorded"),
)

_EIGHTHS = " ▏▎▍▌▋▊▉"
_LABEL = 8
_COUNT = 3


def text_bar(value: int, largest: int, width: int) -> str:
    """``value`` of ``largest`` as a bar ``width`` cells wide (eighths of a cell)."""
    if value <= 0 or largest <= 0 or width <= 0:
        return "·".ljust(max(width, 1))
    eighths = max(1, round(value * width * 8 / largest))
    full, part = divmod(min(eighths, width * 8), 8)
    drawn = "█" * full + (_EIGHTHS[part] if part else "")
    return drawn.ljust(width)


def _count(counts: Counts, key: str) -> int:
    return int(getattr(counts, key))


def chart_lines(report: GovernorsReport, width: int) -> list[Content]:
    """The chart, ``width`` columns wide at most (80 or more is comfortable)."""
    column = max(_COUNT + 6, (width - _LABEL - 1) // len(MEASURES))
    bar_width = column - _COUNT - 2
    largest = max(
        (_count(counts, key) for _, counts in report.terms for key, _, _ in MEASURES), default=0
    )
    lines = [
        join(
            [
                (
                    f"{'Term':<{_LABEL}}"
                    + "".join(f"{heading:<{column}}" for _, heading, _ in MEASURES),
                    "bold",
                )
            ]
        )
    ]
    for term, counts in report.terms:
        cells = [
            f"{text_bar(_count(counts, key), largest, bar_width)}{_count(counts, key):>{_COUNT}}  "
            for key, _, _ in MEASURES
        ]
        lines.append(join([(f"{term.name.capitalize():<{_LABEL}}", "bold"), "".join(cells)]))
    lines.append(join(["─" * min(width, _LABEL + column * len(MEASURES))]))
    totals = "".join(
        f"{'':<{bar_width}}{_count(report.total, key):>{_COUNT}}  " for key, _, _ in MEASURES
    )
    lines.append(join([(f"{'Year':<{_LABEL}}", "bold"), (totals, "bold")]))
    return lines
