"""Every command, every option, fed bad values: always one clear line, never an internal error.

The parser is introspected, not listed by hand, so a command added later is
walked too. Each case fills the command's required arguments with plausible
values and replaces one argument (or option) with a bad one: empty, hostile
text (Rich markup and terminal escapes), an impossible date, a huge number, a
name with a space, a negative number. Runs are in-process (``main(argv)``)
against one real vault at the cheapest KDF, with the derivation memoised
(``cached_kdf``: every unlock still reads and checks the real files), so the
whole tree takes seconds rather than minutes of subprocesses.

What must hold for every case:
* no "internal error" and no traceback;
* the exit status is one ``ydsi --help`` documents;
* a validation failure (exit 2) is exactly one line on stderr (warnings aside);
* nothing raw reaches the terminal: no ESC or BEL, and Rich markup typed by
  the user is printed as typed (never interpreted, so never stripped).
"""

from __future__ import annotations

import argparse
import io
import sys
from collections.abc import Iterator
from contextlib import redirect_stderr, redirect_stdout
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.support.cli_bench import isolated_cli, make_cli_vault
from tests.support.vaults import cached_kdf
from ydsi_tui.cli.content import content_fields
from ydsi_tui.cli.main import EXIT_CODES, build_parser, main

PASS = "bad input tests passphrase"
HOSTILE = "[b]MARK[/b] [link=x]y[/link] \x1b]0;owned\x07\x1b[31mred\x1b[0m"
BAD_VALUES: tuple[str, ...] = (
    "",
    HOSTILE,
    "31/02 10:00",
    "9" * 40,
    "Bad Name",
    "-1",
)
DOCUMENTED = set(EXIT_CODES)


def leaves() -> list[tuple[str, ...]]:
    """Every runnable command, as the words that name it."""
    found: list[tuple[str, ...]] = []

    def walk(parser: argparse.ArgumentParser, path: tuple[str, ...]) -> None:
        subs = [a for a in parser._actions if isinstance(a, argparse._SubParsersAction)]
        if not subs:
            found.append(path)
        for action in subs:
            for name, child in action.choices.items():
                walk(child, (*path, name))

    walk(build_parser(), ())
    return [path for path in found if path]  # the bare command opens the app


def parser_for(path: tuple[str, ...]) -> argparse.ArgumentParser:
    parser = build_parser()
    for word in path:
        action = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
        parser = action.choices[word]
    return parser


@dataclass
class Bench:
    """One vault, its users' passphrase file, and the refs every command can use."""

    root: Path
    vault: Path
    passphrase_file: Path
    device: str

    def run(self, argv: list[str]) -> tuple[int, str, str]:
        out, err = io.StringIO(), io.StringIO()
        with redirect_stdout(out), redirect_stderr(err):
            code = main(argv)
        return code, out.getvalue(), err.getvalue()


@pytest.fixture(scope="module")
def bench(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Bench]:
    root = tmp_path_factory.mktemp("bad-input")
    with isolated_cli(root):
        vault, secret = make_cli_vault(root, PASS, (("head", "headteacher", "Hana Head"),))
        stdin = sys.stdin
        sys.stdin = io.StringIO("")  # no terminal: prompts refuse rather than wait
        try:
            yield from _bench(root, vault, secret)
        finally:
            sys.stdin = stdin


def _bench(root: Path, vault: Path, secret: Path) -> Iterator[Bench]:
    """The records every walk needs: an incident, a pupil and a device."""
    tool = Bench(root, vault, secret, device="")
    common = ["--vault", str(vault), "--user", "dsl", "--passphrase-file", str(secret)]
    common.append("--allow-argv")  # setting up; content in argv is tested on its own
    code, out, err = tool.run(["incident", "new", "--summary", "first", *common])
    assert (code, out.strip()) == (0, "2026-001"), err
    code, _, err = tool.run(
        ["pupil", "add", "2026-001", "Ann", "--part", "pictured", "--year-group", "9", *common]
    )
    assert code == 0, err
    code, out, err = tool.run(
        ["device", "seize", "--incident", "2026-001", "--description", "phone",
         "--owner", "AN", *common]
    )  # fmt: skip
    assert code == 0, err
    tool.device = out.strip().split()[0]
    with cached_kdf():
        yield tool


def filler(path: tuple[str, ...], action: argparse.Action, bench: Bench) -> str:
    """A plausible value, so the bad one is what gets judged."""
    dest = action.dest
    if action.choices is not None:
        return str(next(iter(action.choices)))
    values = {
        "vault": str(bench.vault),
        "user": "dsl",
        "passphrase_file": str(bench.passphrase_file),
        "new_passphrase_file": str(bench.passphrase_file),
        "transfer_passphrase_file": str(bench.passphrase_file),
        "code_file": str(bench.passphrase_file),
        "recovery_code_file": str(bench.passphrase_file),
        "ref": bench.device if path[0] == "device" else "2026-001",
        "incident": "2026-001",
        "pupil": "Ann",
        "owner": "AN",
        "name": "nobody" if path[-1] in ("remove", "recover") else "newbie",
        "target": "list",
        "file": "missing-file",
        "at": "yesterday 09:00",
        "disclosed_at": "yesterday 09:00",
        "dob": "01/09/2012",
        "deadline": "tomorrow",
        "review_by": "next monday",
        "keep_until": "01/01/2040",
        "year_group": "9",
        "year": "2026",
        "kdf_memory_mib": "64",
        "kdf_passes": "3",
        "kdf_lanes": "1",
        "data": "{}",
        "output": "out.bin",
        "kind": "note",
    }
    return values.get(dest, "plain words")


def argv_for(
    path: tuple[str, ...], parser: argparse.ArgumentParser, bad: argparse.Action, value: str,
    bench: Bench,
) -> list[str]:  # fmt: skip
    argv = list(path)
    common = {"vault", "user", "passphrase_file"}
    # Content a command needs is filled as before; --allow-argv lets the bad value
    # reach the checks it always reached (refusing argv content is a test of its own).
    needed = {f.dest for f in content_fields(parser) if f.required is not False}
    argv.append("--allow-argv")
    for action in parser._actions:
        if isinstance(action, argparse._HelpAction) or action.nargs == 0:
            continue
        if action is bad:
            text = value
        elif action.required or action.dest in common or action.dest in needed:
            text = filler(path, action, bench)
        else:
            continue
        if action.option_strings:
            argv.append(f"{action.option_strings[0]}={text}")
        else:
            argv.append(text)
    return argv


def problems_with(code: int, out: str, err: str) -> list[str]:
    found: list[str] = []
    both = out + err
    # How ydsi reports one, "internal error (TypeName)"; the man page documents exit 70.
    if "internal error (" in both:
        found.append("internal error")
    if "Traceback" in both:
        found.append("traceback")
    if code not in DOCUMENTED:
        found.append(f"undocumented exit status {code}")
    if "\x1b" in both or "\x07" in both:
        found.append("a raw escape code reached the terminal")
    if "MARK" in both and "[b]MARK[/b]" not in both:
        found.append("markup was interpreted")
    if code == 2:
        lines = [line for line in err.splitlines() if not line.startswith("ydsi: warning")]
        if len(lines) != 1:
            found.append(f"{len(lines)} lines of error, not one")
    return found


@pytest.mark.slow  # every command x option
@pytest.mark.parametrize("path", leaves(), ids=" ".join)
def test_every_option_refuses_bad_values_in_one_clear_line(
    path: tuple[str, ...], bench: Bench
) -> None:
    parser = parser_for(path)
    failures: list[str] = []
    targets = [
        a for a in parser._actions if not isinstance(a, argparse._HelpAction) and a.nargs != 0
    ]
    for action in targets:
        for value in BAD_VALUES:
            argv = argv_for(path, parser, action, value, bench)
            code, out, err = bench.run(argv)
            for problem in problems_with(code, out, err):
                failures.append(f"{argv!r}: {problem} (exit {code}): {err.strip()[:300]!r}")
    assert not failures, "\n".join(failures)


def test_the_walk_reaches_every_command() -> None:
    """A guard on the walker itself: it finds the commands a user knows."""
    found = {" ".join(path) for path in leaves()}
    for expected in ("user add", "incident new", "note", "device seize", "report governors"):
        assert expected in found
    assert len(found) > 40


def common_args(bench: Bench) -> list[str]:
    return [
        "--vault",
        str(bench.vault),
        "--user",
        "dsl",
        "--passphrase-file",
        str(bench.passphrase_file),
    ]


@pytest.mark.parametrize("name", ["Bad Name", "李明", "", "-x"])
def test_a_bad_user_name_is_one_line_with_status_2(name: str, bench: Bench) -> None:
    code, _, err = bench.run(["user", "add", *common_args(bench), "--role", "team", "--", name])
    assert code == 2, err
    assert "internal error" not in err
    assert len(err.strip().splitlines()) == 1
    assert "a user name is 1 to 64 letters" in err


def test_an_impossible_day_is_explained_without_a_placeholder_year(bench: Bench) -> None:
    code, _, err = bench.run(
        ["note", "2026-001", "words", "--at", "31/02 10:00", "--allow-argv", *common_args(bench)]
    )
    assert code == 2
    assert "February has no 31st" in err
    assert "2000" not in err
    assert len(err.strip().splitlines()) == 1


def test_a_usage_error_is_one_line_that_shows_the_bad_value_safely(bench: Bench) -> None:
    code, _, err = bench.run(
        ["user", "add", "someone", "--role", "boss\x1b[2J", *common_args(bench)]
    )
    assert code == 2
    assert err.count("\n") == 1 and "\x1b" not in err
    assert "\\x1b[2J" in err and "ydsi user add --help" in err
