"""Record text to screen text: the one door every typed string goes through.

Textual parses markup in ``Static``, ``Label``, DataTable ``str`` cells,
option prompts and ``notify``, and some bracket strings (``"[/"``) crash it.
A pupil named ``[b]Ann[/b]`` must show exactly that, and a note holding an
escape sequence must not reach the terminal as one. So record text is turned
into plain :class:`~textual.content.Content` (or Rich ``Text`` for DataTable
cells) here and nowhere else, with control characters made visible:

* C0 controls (ESC, BEL, NUL...) become their Unicode "control pictures"
  (``␛``, ``␇``, ``␀``); DEL becomes ``␡``;
* C1 controls, invisible format characters (bidi overrides, zero-width
  joiners, BOM) and anything else not printable become ``⟨U+202E⟩``: they
  could reorder or hide text;
* lone surrogates (undecodable input) become ``�``;
* a newline is kept only where the widget shows several lines, otherwise it
  is shown as ``⏎``; a tab becomes spaces.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable

from rich.text import Text
from textual.content import Content

__all__ = ["cell", "join", "line", "plain", "styled", "visible"]

_PICTURE_BASE = 0x2400


def _visible_char(char: str) -> str:
    code = ord(char)
    if code < 0x20:
        return chr(_PICTURE_BASE + code)
    if code == 0x7F:
        return "\u2421"
    if 0x80 <= code <= 0x9F:
        return f"⟨U+{code:04X}⟩"
    if 0xD800 <= code <= 0xDFFF:
        return "\ufffd"
    return f"⟨U+{code:04X}⟩"  # format, unassigned, private: named, never drawn as is


def visible(text: object, *, multiline: bool = False) -> str:
    """``text`` as a string that shows every character and controls nothing."""
    value = text if isinstance(text, str) else ("" if text is None else str(text))
    if value.isascii() and value.isprintable():
        return value  # the common case, kept fast for large tables
    out: list[str] = []
    for char in value.replace("\r\n", "\n"):
        if char == "\n":
            out.append("\n" if multiline else "⏎")
        elif char == "\t":
            out.append("    " if multiline else " ")
        elif char.isprintable() and unicodedata.category(char) not in ("Cf",):
            out.append(char)
        else:
            out.append(_visible_char(char))
    return "".join(out)


def plain(text: object, *, multiline: bool = False) -> Content:
    """Record text as Content that is never parsed as markup."""
    return Content(visible(text, multiline=multiline), strip_control_codes=False)


def styled(text: object, style: str, *, multiline: bool = False) -> Content:
    """Record text in one style (the style is ours; the text is never markup)."""
    return Content.styled(visible(text, multiline=multiline), style, strip_control_codes=False)


def join(parts: Iterable[Content | str | tuple[str, str]], separator: str = "") -> Content:
    """Assemble Content from pieces; bare strings are made visible, never parsed."""
    pieces: list[Content] = []
    for part in parts:
        if isinstance(part, Content):
            pieces.append(part)
        elif isinstance(part, tuple):
            pieces.append(styled(part[0], part[1], multiline=True))
        else:
            pieces.append(plain(part, multiline=True))
    return Content(separator).join(pieces)


def cell(text: object, style: str = "") -> Text:
    """A DataTable cell: one line, plain, cut with an ellipsis if too long."""
    return Text(visible(text), style=style, no_wrap=True, overflow="ellipsis", end="")


def line(*parts: str | tuple[str, str]) -> Text:
    """One line of pieces (plain, or (text, style)), cut with an ellipsis: for list items."""
    text = Text(no_wrap=True, overflow="ellipsis", end="")
    for part in parts:
        if isinstance(part, tuple):
            text.append(visible(part[0]), style=part[1])
        else:
            text.append(visible(part))
    return text
