"""What reaches the terminal under ``NO_COLOR`` and on the Linux console.

Textual turns every line a widget draws into segments and passes them
through the app's line filters (:meth:`textual.app.App.get_line_filters`)
on their way out. Two of ours sit there:

* :class:`WithoutColour` for ``NO_COLOR``. Textual's own answer to it
  (``Monochrome``) turns each colour into a grey, and still sends it as a
  256-colour or true-colour code (``ESC[38;5;253m``): a terminal or a reader
  that asked for no colour gets forty greys. This one takes the colour out of
  every style and keeps what is not colour (bold, reverse, underline, dim),
  so not one colour code is written. What colour used to show is drawn in
  characters (``✔ ✗ ⚠ ▶``) or in reverse video (``styles/base.tcss``,
  ``:nocolor`` rules).
* :class:`ConsoleGlyphs` for ``TERM=linux``: every character the console's
  font lacks becomes the one :mod:`ydsi_tui.app.glyphs` names for it.
"""

from __future__ import annotations

from functools import lru_cache

from rich.segment import Segment
from rich.style import Style
from textual.color import Color
from textual.filter import LineFilter

from .glyphs import console_text

__all__ = ["ConsoleGlyphs", "WithoutColour"]


@lru_cache(maxsize=1024)
def _without_colour(style: Style) -> Style:
    if style.color is None and style.bgcolor is None:
        return style
    # Rich's without_color also drops the meta Textual keeps mouse actions in.
    meta = style.meta
    return style.without_color + Style.from_meta(meta) if meta else style.without_color


class WithoutColour(LineFilter):
    """Every colour removed (foreground and background); every other attribute kept."""

    def apply(self, segments: list[Segment], background: Color) -> list[Segment]:
        return [
            Segment(text, None if style is None else _without_colour(style), control)
            for text, style, control in segments
        ]


class ConsoleGlyphs(LineFilter):
    """Every character the Linux console cannot draw replaced, cell for cell."""

    def apply(self, segments: list[Segment], background: Color) -> list[Segment]:
        shown: list[Segment] = []
        for segment in segments:
            text, style, control = segment
            if control or text.isascii():
                shown.append(segment)
            else:
                shown.append(Segment(console_text(text), style, control))
        return shown
