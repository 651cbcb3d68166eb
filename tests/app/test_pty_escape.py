"""Esc and the key after it, in one read (issue 11): over SSH they arrive together.

Textual's parser reads ESC followed by a letter as Alt+letter. A DSL who
presses Esc on a quick note and then N ("no, go back") quickly, over a slow
link, sent both in one packet: the close dialog never opened and the N went
into the note. Written here in ONE write to a real pseudo-terminal.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.app.test_pty_burst import ENTER, PASS, Pty, app_in_pty, poll, pty_vault, read_vault

__all__ = ["app_in_pty", "pty_vault"]  # fixtures, shared with the burst test

pytestmark = pytest.mark.terminal

ESC = "\x1b"


def test_escape_then_n_in_one_read_goes_back_to_the_note(
    app_in_pty: Pty, pty_vault: tuple[Path, str]
) -> None:
    path, ref = pty_vault
    term = app_in_pty
    term.wait_for("Type your passphrase")
    term.write(PASS + ENTER)
    term.wait_for("Incidents (1)")
    term.write(ENTER)  # open the incident
    term.wait_for(ref)
    term.write("n" + "half a thought")
    term.wait_for("half a thought")
    term.write(ESC + "n")  # Esc: keep / go back / discard; then N: go back (one read)
    term.write(" and the rest" + ENTER)

    def saved() -> bool:
        return any(e.kind == "note" for i in read_vault(path) for e in i.effective)

    poll(saved, "the note saved", 60, lambda: term.text()[-2000:])
    [note] = [e for i in read_vault(path) for e in i.effective if e.kind == "note"]
    assert note.data["text"] == "half a thought and the rest"


@pytest.mark.parametrize(
    ("key", "character", "expected"),
    [
        ("alt+n", "n", [("escape", "\x1b"), ("n", "n")]),
        ("alt+shift+d", "D", [("escape", "\x1b"), ("D", "D")]),
        ("alt+enter", "\r", [("alt+enter", "\r")]),  # not a letter: as the parser made it
        ("ctrl+left", None, [("ctrl+left", None)]),
        ("inverted_exclamation_mark", "¡", [("inverted_exclamation_mark", "¡")]),
        ("n", "n", [("n", "n")]),
    ],
)
def test_only_alt_letter_is_split(
    key: str, character: str | None, expected: list[tuple[str, str | None]]
) -> None:
    from textual import events

    from ydsi_tui.app.app import escape_then_key

    keys = escape_then_key(events.Key(key, character))
    assert [(k.key, k.character) for k in keys if isinstance(k, events.Key)] == expected
