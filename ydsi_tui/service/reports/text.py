"""Text as recorded, made safe to put in a file someone will open elsewhere.

A name or a note may hold anything a keyboard (or an attacker) can type:
terminal escapes, right-to-left overrides that reorder what is displayed, NUL
bytes. Exports keep every letter of every script, and show the characters
that could hide or disguise text as visible codes such as ``[U+202E]``, so
what a reader sees is what was recorded.
"""

from __future__ import annotations

import unicodedata

__all__ = ["code", "is_hidden", "visible"]

# Bidi embeddings, overrides, isolates and marks (the "Trojan Source" characters).
_BIDI = frozenset(
    chr(c) for c in (*range(0x202A, 0x202F), *range(0x2066, 0x206A), 0x200E, 0x200F, 0x061C)
)


def code(ch: str) -> str:
    return f"[U+{ord(ch):04X}]"


def is_hidden(ch: str) -> bool:
    """Control, surrogate, unassigned-format or direction characters (never a newline)."""
    if ch == "\n":
        return False
    return ch in _BIDI or unicodedata.category(ch) in ("Cc", "Cs", "Co", "Cn")


def visible(text: str, *, multiline: bool = True) -> str:
    """``text`` with hidden characters as codes; tabs as spaces; newlines kept or joined."""
    out: list[str] = []
    for ch in text:
        if ch == "\t":
            out.append("    ")
        elif ch == "\r":
            continue
        elif ch == "\n":
            out.append("\n" if multiline else " / ")
        elif is_hidden(ch):
            out.append(code(ch))
        else:
            out.append(ch)
    return "".join(out)
