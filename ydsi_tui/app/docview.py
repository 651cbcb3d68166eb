"""A report's :class:`~ydsi_tui.service.reports.document.Document`, drawn on screen.

The same document the Markdown and PDF renderers write, as plain Content: every
piece of recorded text goes through :mod:`.text` (never markup), and what is
marked for redaction is shown in words and reverse video, exactly as the
exports mark it (``[REDACT other pupil: Ben Example]``), so the screen never
shows less than the file will.
"""

from __future__ import annotations

from textual.content import Content

from ..service.reports.document import (
    Chart,
    Document,
    Fields,
    Heading,
    Item,
    Paragraph,
    Table,
    Text,
)
from .figures import text_bar
from .text import join

__all__ = ["document_content"]

Part = Content | str | tuple[str, str]

MARK_STYLE = "bold reverse"


def _text(text: Text, style: str = "") -> list[Part]:
    if isinstance(text, str):
        return [(text, style) if style else text]
    parts: list[Part] = []
    for span in text:
        if span.redact:
            parts.append((f"[REDACT {span.redact}: {span.text}]", MARK_STYLE))
        else:
            parts.append((span.text, style) if style else span.text)
    return parts


def document_content(doc: Document) -> Content:
    """The whole document as one piece of Content (headings, fields, entries, marks)."""
    parts: list[Part] = [(f"{doc.marking}\n", "bold"), (f"{doc.title}\n", "bold underline")]
    if doc.subtitle:
        parts += [doc.subtitle, "\n"]
    for block in doc.blocks:
        if isinstance(block, Heading):
            parts += ["\n", (block.text, "bold underline" if block.level == 1 else "bold"), "\n"]
        elif isinstance(block, Paragraph):
            if block.style == "warning":
                parts += ["\n", ("⚠ ", "bold"), *_text(block.text, "bold"), "\n"]
            elif block.style == "strong":
                parts += ["\n", *_text(block.text, "bold"), "\n"]
            elif block.style == "muted":
                parts += ["\n", *_text(block.text, "dim"), "\n"]
            else:
                parts += ["\n", *_text(block.text), "\n"]
        elif isinstance(block, Fields):
            parts.append("\n")
            for label, value in block.rows:
                parts += [(f"{label}: ", "bold"), *_text(value), "\n"]
        elif isinstance(block, Table):
            parts += ["\n", (" │ ".join(block.headers), "bold"), "\n"]
            for row in block.rows:
                parts += [" │ ".join(row), "\n"]
        elif isinstance(block, Chart):
            parts += ["\n", (block.caption, "bold"), "\n"]
            for bar in block.bars:
                count = block.hidden_mark if bar.value is None else str(bar.value)
                drawn = "" if bar.value is None else text_bar(bar.value, block.largest, 30)
                parts += [f"{bar.label[:28]:<28} {count:>4} {drawn}".rstrip(), "\n"]
        elif isinstance(block, Item):
            parts += ["\n", (f"{block.when}  {block.title}", "bold"), "\n"]
            if block.redact:
                parts += [(f"[REDACT THIS ENTRY: {block.redact}]", MARK_STYLE), "\n"]
            for mark in block.marks:
                parts += [(f"‼ {mark}", "bold"), "\n"]
            if block.text:
                parts += [*_text(block.text), "\n"]
            if block.meta:
                parts += [(block.meta, "dim"), "\n"]
    return join(parts)
