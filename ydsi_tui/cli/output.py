"""The one output gate of the command line: every byte for the terminal passes here.

Whatever reaches the terminal may hold text someone else chose: a pupil's name
or a note typed by a colleague, a custody summary a technician wrote with their
own key, a file name anyone in the vault's group can plant in ``case/``. Printed
raw, ``ESC c`` clears the screen, ``ESC [8m`` hides the real verdict of
``ydsi verify`` behind a forged one, ``ESC ]0;`` retitles the window and
``ESC ]52;`` puts a command in the clipboard; bidi and other format characters
make text read in an order other than the one stored.

So no module of :mod:`ydsi_tui.cli` calls ``print`` or writes to
``sys.stdout``/``sys.stderr`` itself (``tests/cli/test_output_gate.py`` checks
that): they call :func:`say`, :func:`warn`, :func:`say_block`,
:func:`print_table`, :func:`emit_json` or :func:`ask`, and each of those passes
its text through :func:`safe`. A caller still applies ``safe()`` to a single
vault value inside a line: that also shows a newline in it as ``\\x0a``, so
a value cannot start a line of its own (a forged "Vault intact"). ``safe`` is
idempotent, so text made safe twice reads the same.

What is escaped, and why (``unicodedata`` categories):

- ``Cc``: C0 controls, DEL and the C1 controls U+0080-U+009F (U+009B is a
  one-byte CSI to many terminals). A newline is kept only in ``multiline``
  text; a tab becomes spaces.
- ``Cf``: format characters: bidi embeddings, overrides, isolates and marks
  (U+202A-U+202E, U+2066-U+2069, U+200E/U+200F, U+061C), zero-width ones
  (U+200B-U+200D, U+2060, U+FEFF), soft hyphen, tag characters.
- ``Zl``/``Zp``: U+2028/U+2029, which some terminals and viewers break lines at.
- ``Cs``: lone surrogates, which is how a file name that is not valid UTF-8
  arrives (``surrogateescape``); written raw they would be the original bytes.
- ``Cn``: unassigned code points. Harmless today, but the terminal's Unicode
  may be newer than this Python's and give one a meaning (a new format
  character): what we cannot name, we show as a number.

Private-use characters (``Co``) are left as they are: a terminal draws them
as a glyph (or a box) and never acts on them. A backslash is not escaped, so
a typed ``\\x1b`` reads like an escaped ESC; it is four harmless characters
either way.
"""

from __future__ import annotations

import json
import sys
import unicodedata
from collections.abc import Sequence
from typing import Any, TextIO

__all__ = [
    "ask",
    "emit_json",
    "is_terminal_safe",
    "print_table",
    "safe",
    "say",
    "say_block",
    "warn",
]

_ESCAPED_CATEGORIES = frozenset({"Cc", "Cf", "Zl", "Zp", "Cs", "Cn"})


def _escape(ch: str) -> str:
    code = ord(ch)
    if code < 0x100:
        return f"\\x{code:02x}"
    if code < 0x10000:
        return f"\\u{code:04x}"
    return f"\\U{code:08x}"


def safe(text: str, *, multiline: bool = False) -> str:
    """Text fit for a terminal: every control, format and separator character as an escape.

    ``multiline`` keeps newlines (a note's paragraphs); otherwise a newline is
    shown as ``\\x0a`` too, so one value stays on one line.
    """
    out: list[str] = []
    for ch in text:
        if ch == "\n" and multiline:
            out.append(ch)
        elif ch == "\t":
            out.append("    " if multiline else " ")
        elif ch.isascii() and ch.isprintable():
            out.append(ch)  # the common case, without a table look-up
        elif unicodedata.category(ch) in _ESCAPED_CATEGORIES:
            out.append(_escape(ch))
        else:
            out.append(ch)
    return "".join(out)


def is_terminal_safe(text: str) -> bool:
    """True if `text` holds nothing :func:`safe` would escape, newlines apart (for tests)."""
    return all(ch == "\n" or unicodedata.category(ch) not in _ESCAPED_CATEGORIES for ch in text)


def _stream(stream: TextIO | None, default: TextIO) -> TextIO:
    return stream if stream is not None else default


def say(text: str = "", *, stream: TextIO | None = None) -> None:
    """One line (or a few) on stdout, through :func:`safe` (newlines kept)."""
    _stream(stream, sys.stdout).write(safe(text, multiline=True) + "\n")


def warn(text: str) -> None:
    """One line on stderr, through :func:`safe`: errors, warnings, notes beside the output."""
    sys.stderr.write(safe(text, multiline=True) + "\n")


def say_block(text: str) -> None:
    """A whole document on stdout as it is (a report, a checkpoint), through :func:`safe`."""
    sys.stdout.write(safe(text, multiline=True))


def ask(prompt: str) -> str:
    """``input()`` with its prompt made safe (a prompt may quote a reference)."""
    return input(safe(prompt))


def emit_json(value: Any, stream: TextIO | None = None) -> None:
    """Stable JSON on stdout: sorted keys, two-space indent, ASCII only.

    ``ensure_ascii`` writes every character beyond ASCII as ``\\uXXXX``; the
    encoder already escapes C0 controls, and this covers C1 controls, bidi and
    format characters and U+2028/U+2029 too, so ``--json`` on a terminal is as
    harmless as a table. Every JSON reader decodes the escapes back.
    """
    stream = _stream(stream, sys.stdout)
    stream.write(json.dumps(value, indent=2, sort_keys=True, ensure_ascii=True) + "\n")


def print_table(headers: Sequence[str], rows: Sequence[Sequence[str]]) -> None:
    """A plain, aligned table; each cell is made safe here, so no caller can forget.

    A cell a caller already made safe (and perhaps cut to a width) reads the
    same: :func:`safe` is idempotent.
    """
    cells = [[safe(cell) for cell in row] for row in rows]
    widths = [len(h) for h in headers]
    for row in cells:
        widths = [max(w, len(cell)) for w, cell in zip(widths, row, strict=True)]
    say("  ".join(h.ljust(w) for h, w in zip(headers, widths, strict=True)).rstrip())
    for row in cells:
        say("  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)).rstrip())
