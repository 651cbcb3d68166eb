"""The symbols the app draws, and what each becomes on the Linux console.

The Linux console (``TERM=linux``: a server's own screen, or a rescue shell)
draws from a font of 256 or 512 glyphs: ASCII, Latin-1, the plain single and
double box-drawing lines and a few whole and half blocks. Anything else (the
app's ``✔ ✗ ⚠ ‼ ▶ ⌛``, Textual's rounded corners, thin blocks and ``▼``, the
command palette's ``🔎``, typographic dashes and quotes in the policy text,
the ``…`` every cut line ends with) comes out as a blank box or a diamond, and
a state drawn that way says nothing.

So this module holds one table: every symbol outside the console's font and
the character the console shows instead, chosen so the meaning survives
(``✔`` ``+``, ``✗`` ``x``, ``⚠`` ``!``, ``▶`` ``>``, ``↳`` ``└``, ``…`` ``~``).
The table is applied where the app's lines reach the terminal (a Textual
line filter, :class:`ydsi_tui.app.filters.ConsoleGlyphs`), not where each
string is written, for three reasons: Textual draws symbols of its own
(borders, scrollbars, the Select arrow, the palette) that our code never
sees; record text carries punctuation the font lacks; and a symbol added to
a screen later cannot forget the table. Layout is done by then, so every
replacement takes exactly as many cells as the symbol it stands for (a wide
emoji becomes two characters).

Everything here is plain Python (no Textual), so the tests can check the
table itself: every replacement is in :data:`CONSOLE_FONT` and as wide as
its symbol.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Mapping
from functools import lru_cache

from rich.cells import cell_len

__all__ = [
    "CONSOLE_FONT",
    "FALLBACKS",
    "HIGHLIGHT",
    "console_text",
    "in_console_font",
    "wants_console_glyphs",
]

#: The mark drawn before the highlighted option of a list, dropdown or
#: checkbox list (``>`` on the console, through the table below).
HIGHLIGHT = "▶"

#: The box-drawing lines of the console's font (code page 437's forty: light
#: and double lines and their joins; no arcs, heavy, dashed or half lines).
_BOX = "─│┌┐└┘├┤┬┴┼═║╒╓╔╕╖╗╘╙╚╛╜╝╞╟╠╡╢╣╤╥╦╧╨╩╪╫╬"
#: Its blocks: whole, halves and shades.
_BLOCKS = "█▀▄▌▐░▒▓"

#: Every character the Linux console's font can show.
CONSOLE_FONT: frozenset[str] = frozenset(
    [chr(c) for c in range(0x20, 0x7F)]
    + [chr(c) for c in range(0xA0, 0x100)]
    + list(_BOX)
    + list(_BLOCKS)
)

#: Symbols outside the font and what the console shows instead (same width).
FALLBACKS: Mapping[str, str] = {
    # states and marks (the words beside them carry the meaning; these keep the shape)
    "✔": "+", "✓": "+", "✗": "x", "✘": "x", "✕": "x", "✖": "X",
    "⚠": "!", "‼": "!", "✎": "*", "⏳": "* ", "⌛": "@ ", "↻": "@", "↺": "@",
    "▶": ">", "►": ">", "◀": "<", "◄": "<", "▼": "v", "▲": "^",
    "○": "o", "●": "*", "◆": "*", "■": "#", "•": "*",
    "↳": "└", "→": ">", "←": "<", "↑": "^", "↓": "v", "⏎": "¶",
    "⟨": "<", "⟩": ">", "\ufffd": "?",
    "🔒": "##", "🔓": "##", "🔎": "> ", "🔍": "> ", "⭘": "o",
    # typography in policy and record text
    "–": "-", "—": "-", "‒": "-", "‐": "-", "‑": "-", "−": "-",
    "‘": "'", "’": "'", "‚": ",", "“": '"', "”": '"', "„": '"',
    "…": "~", "′": "'", "″": '"', "‹": "<", "›": ">",
    # letters NFKD does not take apart
    "Ł": "L", "ł": "l", "Đ": "D", "đ": "d", "Ħ": "H", "ħ": "h", "ı": "i", "Œ": "O", "œ": "o",
    # thin and partial blocks (borders, scrollbars, bars): the nearest the font has
    "▏": "│", "▎": "│", "▍": "▌", "▋": "▌", "▊": "█", "▉": "█", "▕": "│",
    "▁": "_", "▂": "▄", "▃": "▄", "▅": "▄", "▆": "█", "▇": "█", "▔": " ",
    "▖": "▄", "▗": "▄", "▘": "▀", "▝": "▀", "▙": "█", "▛": "█", "▜": "█", "▟": "█",
    "▚": "▒", "▞": "▒",
    # rounded corners and diagonals
    "╭": "┌", "╮": "┐", "╰": "└", "╯": "┘", "╱": "/", "╲": "\\", "╳": "X",
    # the spinner turns as | / - \ instead
    "⠋": "|", "⠙": "/", "⠹": "-", "⠸": "\\", "⠼": "|",
    "⠴": "/", "⠦": "-", "⠧": "\\", "⠇": "|", "⠏": "/",
}  # fmt: skip


def wants_console_glyphs(term: str | None) -> bool:
    """True for the Linux console's own ``TERM`` (``linux``, ``linux-16color``...)."""
    return bool(term) and (term == "linux" or str(term).startswith("linux-"))


def in_console_font(char: str) -> bool:
    """Whether the console's font has ``char``."""
    return char in CONSOLE_FONT


def _box_fallback(char: str) -> str | None:
    """A heavy, dashed or half box line as the light line the font has, by its name."""
    try:
        name = unicodedata.name(char)
    except ValueError:
        return None
    if not name.startswith("BOX DRAWINGS "):
        return None
    light = name.replace("HEAVY", "LIGHT")
    for dashes in (" DOUBLE DASH", " TRIPLE DASH", " QUADRUPLE DASH"):
        light = light.replace(dashes, "")
    try:
        candidate = unicodedata.lookup(light)
    except KeyError:
        candidate = ""
    if candidate in CONSOLE_FONT:
        return candidate
    if "HORIZONTAL" in name or ("LEFT" in name and "RIGHT" in name):
        return "─"
    if "VERTICAL" in name or "UP" in name or "DOWN" in name:
        return "│"
    return "+"


@lru_cache(maxsize=4096)
def _fallback(char: str) -> str:
    if char in CONSOLE_FONT:
        return char
    width = cell_len(char)
    if width == 0:
        return ""  # a combining mark or joiner: the letter before it is shown as is
    replacement = FALLBACKS.get(char) or _box_fallback(char)
    if replacement is None:
        # A letter the font lacks (ł, ő, ş) as its base letter where it has one.
        base = unicodedata.normalize("NFKD", char)[:1]
        replacement = base if base in CONSOLE_FONT and base.isalpha() else "?"
    return replacement.ljust(width)[:width] if cell_len(replacement) != width else replacement


def console_text(text: str) -> str:
    """``text`` with every character the console's font lacks replaced, cell for cell."""
    if text.isascii():
        return text
    return "".join(_fallback(char) for char in text)
