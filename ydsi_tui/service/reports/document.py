"""A rendering-neutral document: what the Markdown and PDF renderers draw.

Reports say *what* to show (headings, labelled fields, tables, timeline
items, text marked for redaction); the renderers decide how. All text here is
data, exactly as recorded: the renderers make it safe for their format.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = [
    "MARKING",
    "Bar",
    "Block",
    "Chart",
    "Document",
    "Fields",
    "Heading",
    "Item",
    "Paragraph",
    "Span",
    "Table",
    "Text",
    "plain",
]

#: The Government Security Classification marking on every page of every export.
MARKING = "OFFICIAL-SENSITIVE"


@dataclass(frozen=True)
class Span:
    """A piece of text; ``redact`` names why it is marked for redaction (empty: not marked)."""

    text: str
    redact: str = ""


#: Plain text, or text in spans some of which are marked for redaction.
Text = str | tuple[Span, ...]


def plain(text: Text) -> str:
    """The text without redaction marks (for JSON and for searching)."""
    return text if isinstance(text, str) else "".join(span.text for span in text)


@dataclass(frozen=True)
class Heading:
    text: str
    level: int = 1


@dataclass(frozen=True)
class Paragraph:
    """``style``: normal, strong, warning (shown prominently) or muted (small print)."""

    text: Text
    style: str = "normal"


@dataclass(frozen=True)
class Fields:
    """Label: value pairs (a key-value table)."""

    rows: tuple[tuple[str, Text], ...]


@dataclass(frozen=True)
class Table:
    """A table; ``widths`` are relative column widths (empty: equal)."""

    headers: tuple[str, ...]
    rows: tuple[tuple[str, ...], ...]
    widths: tuple[int, ...] = ()


@dataclass(frozen=True)
class Item:
    """One timeline entry: when, what, the text, who recorded it, and marks.

    ``marks`` are short flags shown prominently, such as ``SIGNATURE VERIFIED``
    or ``CORRECTED BY A LATER ENTRY``; ``redact`` marks the whole entry.
    """

    when: str
    title: str
    text: Text
    meta: str
    marks: tuple[str, ...] = ()
    redact: str = ""


@dataclass(frozen=True)
class Bar:
    """One bar of a chart: what it counts and the count (None: hidden, drawn as no bar)."""

    label: str
    value: int | None


@dataclass(frozen=True)
class Chart:
    """A bar chart of counts on one scale (the largest shown count fills the width).

    Every renderer writes each count beside its bar: the bar only makes the
    numbers quicker to compare, and a hidden count has no bar at all (its
    length would give it away).
    """

    caption: str
    bars: tuple[Bar, ...]
    hidden_mark: str = "c"

    @property
    def largest(self) -> int:
        return max((bar.value for bar in self.bars if bar.value is not None), default=0)


Block = Heading | Paragraph | Fields | Table | Item | Chart


@dataclass(frozen=True)
class Document:
    title: str
    blocks: tuple[Block, ...]
    subtitle: str = ""
    marking: str = MARKING
