"""Render a :class:`~.document.Document` as Markdown.

Recorded text is escaped so that it can never become a link, an image, HTML
or a heading in a Markdown viewer: a note that says ``[click](http://...)``
stays those characters. The marking opens and closes the file, because
Markdown has no pages.
"""

from __future__ import annotations

import re

from .document import Chart, Document, Fields, Heading, Item, Paragraph, Span, Table, Text
from .text import visible

__all__ = ["render_markdown"]

_SPECIAL = re.compile(r"([\\`*_{}\[\]<>|~!#&])")
_BULLET = re.compile(r"^(\s*)([-+=>])", re.MULTILINE)
_NUMBERED = re.compile(r"^(\s*\d+)([.)])", re.MULTILINE)


def md(text: str, *, inline: bool = False) -> str:
    """Recorded text as literal Markdown (every special character escaped)."""
    # Escape first, then show hidden characters as codes: the codes' brackets stay plain.
    shown = visible(_SPECIAL.sub(r"\\\1", text), multiline=not inline)
    shown = _BULLET.sub(r"\1\\\2", shown)
    shown = _NUMBERED.sub(r"\1\\\2", shown)
    if not inline:
        shown = shown.replace("\n", "  \n")
    return shown


def _text(text: Text, *, inline: bool = False) -> str:
    if isinstance(text, str):
        return md(text, inline=inline)
    return "".join(_span(span, inline=inline) for span in text)


def _span(span: Span, *, inline: bool) -> str:
    if not span.redact:
        return md(span.text, inline=inline)
    return f"**\\[REDACT {md(span.redact, inline=True)}:** {md(span.text, inline=True)}**\\]**"


#: The widest bar of a chart, in characters.
BAR_CHARS = 24


def _chart(chart: Chart) -> list[str]:
    """A chart as a table: the label, the count, and a bar of blocks (no bar when hidden)."""
    largest = chart.largest
    out = [f"**{md(chart.caption, inline=True)}**", "", "| | Count | |", "|---|---:|---|"]
    for bar in chart.bars:
        if bar.value is None:
            count, drawn = chart.hidden_mark, "(hidden)"
        else:
            count = str(bar.value)
            length = max(1, round(bar.value * BAR_CHARS / largest)) if bar.value else 0
            drawn = "█" * length if length else "·"
        out.append(f"| {md(bar.label, inline=True)} | {md(count, inline=True)} | {drawn} |")
    out.append("")
    return out


def render_markdown(doc: Document) -> str:
    marking = f"**{doc.marking}**"
    out: list[str] = [marking, "", f"# {md(doc.title, inline=True)}", ""]
    if doc.subtitle:
        out += [md(doc.subtitle), ""]
    for block in doc.blocks:
        if isinstance(block, Heading):
            out += ["#" * min(block.level + 1, 6) + " " + md(block.text, inline=True), ""]
        elif isinstance(block, Paragraph):
            text = _text(block.text)
            if block.style in ("strong", "warning"):
                text = f"**{text}**"
            elif block.style == "muted":
                text = f"*{text}*"
            out += [text, ""]
        elif isinstance(block, Fields):
            out += [
                f"- **{md(label, inline=True)}:** {_text(value, inline=True)}"
                for label, value in block.rows
            ]
            out.append("")
        elif isinstance(block, Table):
            out.append("| " + " | ".join(md(h, inline=True) for h in block.headers) + " |")
            out.append("|" + "---|" * len(block.headers))
            out += ["| " + " | ".join(md(c, inline=True) for c in row) + " |" for row in block.rows]
            out.append("")
        elif isinstance(block, Chart):
            out += _chart(block)
        elif isinstance(block, Item):
            out.append(f"### {md(block.when, inline=True)}: {md(block.title, inline=True)}")
            out.append("")
            if block.redact:
                out += [f"**\\[REDACT THIS ENTRY: {md(block.redact, inline=True)}\\]**", ""]
            if block.marks:
                out += [" ".join(f"**{md(m, inline=True)}**" for m in block.marks), ""]
            if block.text:
                out += [_text(block.text), ""]
            out += [f"*{md(block.meta, inline=True)}*", ""]
    out += ["---", "", marking, ""]
    return "\n".join(out)
