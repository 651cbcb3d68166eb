"""The ledger's fast parse reads exactly what json.loads line by line would.

The parse reads the log in chunks and each ASCII line in place (ledger.py
``refresh``/``_load_line``) because line-by-line decoding was most of the
cost of opening a large vault. Neither may change what is indexed or where
the log is called broken: these tests compare against json.loads and
against a ledger that reads the log in one piece.
"""

from __future__ import annotations

import json
import random
from pathlib import Path

import pytest

from tests.support.vaults import MakeVault
from ydsi_tui.vault import ledger as ledger_module
from ydsi_tui.vault.errors import VaultError
from ydsi_tui.vault.fs import FileSystem
from ydsi_tui.vault.ledger import _UNREADABLE, Ledger, _load_line


def _reference(line: bytes) -> object:
    try:
        return json.loads(line)
    except (ValueError, UnicodeDecodeError):
        return _UNREADABLE


def _same(got: object, expected: object) -> bool:
    if got is _UNREADABLE or expected is _UNREADABLE:
        return got is expected
    if isinstance(got, float) and got != got:  # NaN
        return isinstance(expected, float) and expected != expected
    return type(got) is type(expected) and json.dumps(got) == json.dumps(expected)


TRICKY = [
    b'{"a":1}',
    b' {"a":1}\t',
    b'{"a":\r1}',
    b"",
    b" ",
    b"5",
    b"tru",
    b"NaN",
    b"-Infinity",
    b"1.",
    b'{"a":1}{"b":2}',
    b'{"a":1},{"b":2}',
    b"[1",
    b"2]",
    b'{\x00"a":1}',
    b'"\x00"',
    b"\x00\x00\x00{",
    b'{"a":"\\u0000"}',
    b'"\\ud800"',
    b'{"a":1} x',
    b"1 2",
    b'{"a":1',
    b'\xef\xbb\xbf{"a":1}',
    b'{"\xc3\xa9":1}',
]


@pytest.mark.parametrize("line", TRICKY)
def test_a_tricky_line_reads_as_json_loads_reads_it(line: bytes) -> None:
    data = b'{"before":[1\n' + line + b"\n2]}\n"
    text = data.decode("ascii") if data.isascii() else None
    start = data.index(b"\n") + 1
    assert _same(_load_line(line, text, start, start + len(line)), _reference(line))


def test_random_lines_read_as_json_loads_reads_them() -> None:
    rng = random.Random(9)
    alphabet = b'{}[]",:0123456789.eE-+ \t\r\x00truefalsnNaIiy\\u'
    for _ in range(20_000):
        line = bytes(rng.choice(alphabet) for _ in range(rng.randint(0, 14)))
        data = b"x\n" + line + b'\n{"next":1}\n'
        text = data.decode("ascii") if data.isascii() else None
        got = _load_line(line, text, 2, 2 + len(line))
        assert _same(got, _reference(line)), line


def _index(ledger: Ledger) -> tuple[object, ...]:
    state = ledger._state
    return (
        state.seq,
        state.offset,
        state.last_start,
        state.last_hash,
        state.broken_at,
        state.records,
    )


def test_chunked_refresh_indexes_what_one_piece_does(
    make_vault: MakeVault, monkeypatch: pytest.MonkeyPatch
) -> None:
    session, _, path = make_vault()
    for n in range(6):
        with session.transaction("case", f"2026-{n:05d}", create=True) as db:
            db.table("events").insert({"kind": "note", "text": "x" * (50 * n)})
    session.close()
    whole = Ledger(FileSystem(), path / "audit.log", session.vault.header.vault_id)
    whole.refresh()
    assert whole.seq >= 7 and whole.broken_at is None
    # Chunks shorter than one line: every line crosses a chunk boundary.
    monkeypatch.setattr(ledger_module, "_CHUNK", 97)
    chunked = Ledger(FileSystem(), path / "audit.log", session.vault.header.vault_id)
    chunked.refresh()
    assert _index(chunked) == _index(whole)


def test_chunked_refresh_stops_where_the_log_breaks(
    make_vault: MakeVault, monkeypatch: pytest.MonkeyPatch
) -> None:
    session, _, path = make_vault()
    for n in range(4):
        with session.transaction("case", f"2026-{n:05d}", create=True) as db:
            db.table("events").insert({"kind": "note", "n": n})
    session.close()
    log = path / "audit.log"
    lines = log.read_bytes().split(b"\n")
    lines[3] = lines[3].replace(b'"seq":4', b'"seq":40')
    log.write_bytes(b"\n".join(lines) + b'{"torn":')
    monkeypatch.setattr(ledger_module, "_CHUNK", 64)
    ledger = Ledger(FileSystem(), log, session.vault.header.vault_id)
    ledger.refresh()
    assert ledger.broken_at == 4
    assert ledger.seq == 3


def test_refresh_rereads_a_log_cut_back_and_rewritten(make_vault: MakeVault) -> None:
    session, _, path = make_vault()
    with session.transaction("case", "2026-00001", create=True) as db:
        db.table("events").insert({"kind": "note"})
    log = path / "audit.log"
    ledger = Ledger(FileSystem(), log, session.vault.header.vault_id)
    ledger.refresh()
    seen = ledger.seq
    original = log.read_bytes()
    # Replace the last line by garbage of the same length: the ledger must notice.
    last_start = original.rstrip(b"\n").rfind(b"\n") + 1
    log.write_bytes(original[:last_start] + b"x" * (len(original) - last_start - 1) + b"\n")
    ledger.refresh()
    assert ledger.seq == seen - 1
    assert ledger.broken_at == seen
    session.close()


def test_a_missing_log_is_an_error(tmp_path: Path) -> None:
    """A missing log is an error naming the file, not an empty index."""
    ledger = Ledger(FileSystem(), tmp_path / "audit.log", "0" * 32)
    with pytest.raises(VaultError, match=r"audit\.log: could not be read"):
        ledger.refresh()
