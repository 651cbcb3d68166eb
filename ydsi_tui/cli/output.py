"""Printing record text safely, and the stable JSON shapes of read commands.

Whatever a user typed (a pupil's name, a note) may contain terminal escape
sequences: printed raw, ``ESC]0;...`` would retitle the terminal and worse
sequences can move the cursor or rewrite what is on screen. Text meant for a
terminal therefore goes through :func:`safe`, which shows control and
direction-changing characters as visible escapes. JSON output needs no such
care: the encoder escapes every control character.
"""

from __future__ import annotations

import json
import sys
import unicodedata
from collections.abc import Sequence
from typing import Any, TextIO

__all__ = ["emit_json", "print_table", "safe"]

# Bidi embeddings/overrides/isolates: they can make text display in an order
# other than the one stored (the "Trojan Source" trick).
_BIDI = {chr(c) for c in (*range(0x202A, 0x202F), *range(0x2066, 0x206A), 0x200E, 0x200F)}


def safe(text: str, *, multiline: bool = False) -> str:
    """Text fit for a terminal: controls and bidi overrides shown as escapes."""
    out: list[str] = []
    for ch in text:
        if ch == "\n" and multiline:
            out.append(ch)
        elif ch == "\t":
            out.append("    " if multiline else " ")
        elif ch in _BIDI or unicodedata.category(ch) in ("Cc", "Cs"):
            code = ord(ch)
            out.append(f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}")
        else:
            out.append(ch)
    return "".join(out)


def emit_json(value: Any, stream: TextIO | None = None) -> None:
    """Stable JSON on stdout: sorted keys, two-space indent, UTF-8."""
    stream = stream or sys.stdout
    stream.write(json.dumps(value, indent=2, sort_keys=True, ensure_ascii=False) + "\n")


def print_table(headers: Sequence[str], rows: Sequence[Sequence[str]]) -> None:
    """A plain, aligned table; every cell already made safe by the caller."""
    widths = [len(h) for h in headers]
    for row in rows:
        widths = [max(w, len(cell)) for w, cell in zip(widths, row, strict=True)]
    line = "  ".join(h.ljust(w) for h, w in zip(headers, widths, strict=True))
    print(line.rstrip())
    for row in rows:
        print("  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)).rstrip())
