"""The output gate: what ``safe()`` escapes, and that no CLI module goes around it.

The red-team review (H3) found vault values printed raw at three places that
had each forgotten ``safe()``. The structural fix is one module that writes to
the terminal; the test below reads every other module of ``ydsi_tui.cli`` and
fails on any direct ``print``, ``input`` or ``sys.stdout``/``sys.stderr``
use, or any Rich import, so the class of bug cannot come back unnoticed.
"""

from __future__ import annotations

import ast
import io
import json
import unicodedata
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ydsi_tui.cli import output
from ydsi_tui.cli.output import emit_json, is_terminal_safe, print_table, safe

CLI = Path(output.__file__).parent

# (what a terminal or viewer would act on, what the user sees instead)
DANGEROUS = [
    ("\x1b", "\\x1b"),  # ESC: every CSI/OSC sequence starts here
    ("\x07", "\\x07"),  # BEL ends an OSC
    ("\x9b", "\\x9b"),  # C1 CSI
    ("\x9d", "\\x9d"),  # C1 OSC
    ("\x85", "\\x85"),  # C1 NEL: a line break to some terminals
    ("\r", "\\x0d"),  # rewrites the line from its start
    ("\x7f", "\\x7f"),
    ("\u200b", "\\u200b"),  # zero-width space (Cf)
    ("\u061c", "\\u061c"),  # Arabic letter mark (Cf, bidi)
    ("\ufeff", "\\ufeff"),  # zero-width no-break space / BOM (Cf)
    ("\u202e", "\\u202e"),  # right-to-left override
    ("\u2067", "\\u2067"),  # right-to-left isolate
    ("\u2028", "\\u2028"),  # line separator (Zl)
    ("\u2029", "\\u2029"),  # paragraph separator (Zp)
    ("\U000e0041", "\\U000e0041"),  # tag latin capital A (Cf, beyond the BMP)
    ("\udc9b", "\\udc9b"),  # a lone surrogate: an undecodable byte of a file name
    ("\u0378", "\\u0378"),  # unassigned (Cn)
]


@pytest.mark.parametrize(("char", "shown"), DANGEROUS)
def test_safe_shows_each_dangerous_character_as_an_escape(char: str, shown: str) -> None:
    assert safe(f"a{char}b") == f"a{shown}b"
    assert safe(f"a{char}b", multiline=True) == f"a{shown}b"


def test_safe_keeps_ordinary_text_and_private_use() -> None:
    text = "Zoë Ørsted-Ābele 9Y (año) 日本 \ue000 ✓"
    assert safe(text) == text


def test_newline_is_kept_only_in_multiline_text() -> None:
    assert safe("one\ntwo") == "one\\x0atwo"
    assert safe("one\ntwo", multiline=True) == "one\ntwo"
    assert safe("a\tb") == "a b"


@given(st.text())
def test_safe_is_idempotent_and_leaves_nothing_dangerous(text: str) -> None:
    once = safe(text)
    assert safe(once) == once
    assert is_terminal_safe(once)
    assert "\n" not in once
    assert is_terminal_safe(safe(text, multiline=True))


def test_json_output_is_ascii_and_reads_back_the_same() -> None:
    value = {"ref": "D-2026-001\x1b]0;PWNED\x07\x9b\u2028\u200b", "name": "Zoë"}
    stream = io.StringIO()
    emit_json(value, stream)
    written = stream.getvalue()
    assert written.isascii()
    assert is_terminal_safe(written)
    assert json.loads(written) == value


def test_print_table_escapes_its_cells_itself(capsys: pytest.CaptureFixture[str]) -> None:
    print_table(["REF", "STATUS"], [["D-1\x1b[8m", "seized\nVault intact"]])
    out = capsys.readouterr().out
    assert "\x1b" not in out
    assert "D-1\\x1b[8m" in out
    assert out.count("\n") == 2  # the header and one row: the cell's newline is shown


def test_say_and_warn_escape_what_reaches_each_stream(capsys: pytest.CaptureFixture[str]) -> None:
    output.say("out\x1bc\u2028")
    output.warn("err\x9b2J\u061c")
    captured = capsys.readouterr()
    assert captured.out == "out\\x1bc\\u2028\n"
    assert captured.err == "err\\x9b2J\\u061c\n"


# ----------------------------------------------------------------------
# nothing under ydsi_tui/cli writes to the terminal except output.py
# ----------------------------------------------------------------------
_STREAMS = {"stdout", "stderr", "__stdout__", "__stderr__"}


def _bypasses(tree: ast.AST) -> list[str]:
    found: list[str] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Name) and node.id in ("print", "input", "breakpoint"):
            found.append(f"line {node.lineno}: {node.id}")
        elif isinstance(node, ast.Attribute) and node.attr in _STREAMS:
            found.append(f"line {node.lineno}: .{node.attr}")
        elif isinstance(node, ast.Import | ast.ImportFrom):
            names = [a.name for a in node.names]
            module = node.module if isinstance(node, ast.ImportFrom) else ""
            for name in [module or "", *names]:
                if name.split(".")[0] in ("rich", "pprint") or name in ("stdout", "stderr"):
                    found.append(f"line {node.lineno}: import {name}")
    return found


def test_the_checker_sees_each_way_around_the_gate() -> None:
    source = (
        "import sys\nfrom sys import stderr\nfrom rich.console import Console\n"
        "print('x')\nsys.stdout.write('x')\nw = sys.stderr.write\nf = print\ninput('?')\n"
    )
    assert len(_bypasses(ast.parse(source))) == 7  # all but "import sys"


def test_no_cli_module_writes_to_the_terminal_except_the_gate() -> None:
    modules = sorted(p for p in CLI.glob("*.py") if p.name != "output.py")
    assert len(modules) >= 8  # the glob found the package
    offences = {
        p.name: found
        for p in modules
        if (found := _bypasses(ast.parse(p.read_text(encoding="utf-8"), str(p))))
    }
    assert offences == {}, "write through ydsi_tui.cli.output (say/warn/ask/...), not directly"


def test_the_gate_covers_every_category_the_review_named() -> None:
    # Every code point of these categories in the BMP, at once.
    wanted = {"Cc", "Cf", "Zl", "Zp"}
    chars = "".join(
        chr(c) for c in range(0x10000) if unicodedata.category(chr(c)) in wanted and c != 0x0A
    )
    assert len(chars) > 100
    assert is_terminal_safe(safe(chars))
    assert safe(chars).isascii()
