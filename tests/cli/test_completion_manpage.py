"""Shell completion and the man page: made from the parser, complete, and valid.

The parser is walked here directly (argparse's own actions, as
``tests/cli/test_bad_input.py`` walks it), not through ``cli/commandtree.py``,
so a command the tree-walker skipped would be missed by the outputs and found
here. Then: bash and zsh accept the scripts, bash completes what a user types,
and roff tools render the page without a warning.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from ydsi_tui import __version__
from ydsi_tui.cli.completion import bash_script, zsh_script
from ydsi_tui.cli.main import EXIT_CODES, build_parser, main
from ydsi_tui.cli.manpage import manpage
from ydsi_tui.settings import SPECS


def commands(
    parser: argparse.ArgumentParser,
) -> list[tuple[tuple[str, ...], argparse.ArgumentParser]]:
    """Every parser in the tree with the words that name it, ``ydsi`` itself first."""
    found = [((), parser)]
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for name, child in action.choices.items():
                found += [((name, *path), p) for path, p in commands(child)]
    return found


def visible_flags(parser: argparse.ArgumentParser) -> list[str]:
    return [
        flag
        for action in parser._actions
        if action.option_strings and action.help is not argparse.SUPPRESS
        for flag in action.option_strings
    ]


def has_subcommands(parser: argparse.ArgumentParser) -> bool:
    return any(isinstance(a, argparse._SubParsersAction) for a in parser._actions)


PARSER = build_parser()
TREE = commands(PARSER)
ROOT_FLAGS = set(visible_flags(PARSER))


def test_the_walk_sees_the_whole_tree() -> None:
    names = {" ".join(path) for path, _ in TREE}
    assert {"user add", "report subject-access", "completion", "manpage", "device seize"} <= names
    assert len(names) > 60


# ------------------------------------------------------------------ bash


def bash_entry(script: str, function: str, key: str) -> str:
    """The REPLY of one case entry of one generated function."""
    body = script.split(f"{function}() {{", 1)[1].split("\n}", 1)[0]
    match = re.search(rf"^\s*'{re.escape(key)}'\) REPLY='([^']*)' ;;$", body, flags=re.MULTILINE)
    assert match, f"{function} has no entry for {key!r}"
    return match[1]


@pytest.fixture(scope="module")
def bash() -> str:
    return bash_script(PARSER)


def test_bash_offers_every_command_and_option(bash: str) -> None:
    for path, parser in TREE:
        key = " ".join(path)
        offered = bash_entry(bash, "_ydsi_options", key).split()
        for flag in visible_flags(parser):
            assert flag in offered, f"{flag} of 'ydsi {key}' is not completed"
        if has_subcommands(parser):
            subs = bash_entry(bash, "_ydsi_subcommands", key).split()
            children = [p[-1] for p, _ in TREE if p[:-1] == path and len(p) == len(path) + 1]
            assert sorted(subs) == sorted(children)


def test_bash_accepts_the_script(bash: str, tmp_path: Path) -> None:
    script = tmp_path / "ydsi.bash"
    script.write_text(bash)
    result = subprocess.run(
        ["bash", "-n", str(script)], capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stderr


HARNESS = r"""
source "$1"
shift
COMP_WORDS=("$@")
COMP_CWORD=$((${#COMP_WORDS[@]} - 1))
_ydsi
printf '%s\n' "${COMPREPLY[@]}"
"""


def complete(bash: str, tmp_path: Path, *words: str) -> list[str]:
    """What bash offers for the last word, as a user's Tab would ask it."""
    script = tmp_path / "ydsi.bash"
    script.write_text(bash)
    (tmp_path / "a-report.pdf").write_text("")
    (tmp_path / "a-folder").mkdir(exist_ok=True)
    result = subprocess.run(
        ["bash", "-c", HARNESS, "harness", str(script), "ydsi", *words],
        capture_output=True, text=True, check=True, cwd=tmp_path,
    )  # fmt: skip
    return [line for line in result.stdout.splitlines() if line]


@pytest.mark.parametrize(
    ("words", "offered"),
    [
        (("us",), ["user"]),
        (("user", ""), ["list", "add", "endorse", "remove", "passwd", "rotate"]),
        (("user", "add", "--ro"), ["--role"]),
        (("user", "add", "--role", "t"), ["team", "technician"]),
        # bash splits --role=te at '='; the value is still completed.
        (("user", "add", "--role", "=", "te"), ["team", "technician"]),
        # An option's value is skipped over: 'REF' is not taken for a command.
        (("--vault", "a-folder", "incident", "s"), ["show"]),
        (("trigger", "2026-001", ""), ["1", "2", "3", "4", "5"]),
        (("trigger", "2026-001", "3", ""), ["yes", "no", "unknown"]),
        (("export", "2026-001", "--format", ""), ["pdf", "md", "json"]),
        (("export", "2026-001", "--output", "a-r"), ["a-report.pdf"]),
        (("--vault", "a-f"), ["a-folder"]),
        (("completion", ""), ["bash", "zsh"]),
        (("note", "2026-001", "--text-file", "a-"), ["a-folder", "a-report.pdf"]),
        (("note", "2026-001", "--at", ""), []),  # free text: nothing to offer
    ],
)
def test_bash_completes_what_a_user_types(
    bash: str, tmp_path: Path, words: tuple[str, ...], offered: list[str]
) -> None:
    assert sorted(complete(bash, tmp_path, *words)) == sorted(offered)


# ------------------------------------------------------------------ zsh


@pytest.fixture(scope="module")
def zsh() -> str:
    return zsh_script(PARSER)


def zsh_function(script: str, path: tuple[str, ...]) -> str:
    name = "_" + "__".join(("ydsi", *(word.replace("-", "_") for word in path)))
    assert f"\n{name}() {{\n" in script, f"no zsh function for 'ydsi {' '.join(path)}'"
    return script.split(f"\n{name}() {{\n", 1)[1].split("\n}\n", 1)[0]


def test_zsh_offers_every_command_and_option(zsh: str) -> None:
    assert zsh.startswith("#compdef ydsi\n")
    for path, parser in TREE:
        body = zsh_function(zsh, path)
        for flag in visible_flags(parser):
            assert re.search(rf"'\*?{re.escape(flag)}=?\[", body), f"{flag} of {path} missing"
        for child, _ in TREE:
            if child[:-1] == path and len(child) == len(path) + 1:
                assert f"'{child[-1]}:" in body and f"{child[-1]}) _ydsi" in body


ZSH = shutil.which("zsh")


@pytest.mark.skipif(ZSH is None, reason="zsh is not installed")
def test_zsh_accepts_and_loads_the_script(zsh: str, tmp_path: Path) -> None:
    script = tmp_path / "_ydsi"
    script.write_text(zsh)
    assert ZSH is not None
    checked = subprocess.run([ZSH, "-n", str(script)], capture_output=True, text=True, check=False)
    assert checked.returncode == 0, checked.stderr
    # compinit, then source: every function defined, and ydsi bound to _ydsi.
    loaded = subprocess.run(
        [ZSH, "-f", "-c",
         f"autoload -U compinit; compinit -u -d {tmp_path}/dump; source {script}; "
         "print -r -- $_comps[ydsi]; whence -w _ydsi__user__add _ydsi__report__subject_access"],
        capture_output=True, text=True, check=False,
        env={"HOME": str(tmp_path), "PATH": "/usr/bin:/bin"},
    )  # fmt: skip
    assert loaded.returncode == 0, loaded.stderr
    assert loaded.stdout.splitlines()[0] == "_ydsi"
    assert loaded.stderr == ""


# ------------------------------------------------------------------ man page


@pytest.fixture(scope="module")
def page() -> str:
    return manpage(PARSER)


def roff(text: str) -> str:
    return text.replace("-", r"\-")


def section(page: str, heading: str) -> str:
    """The roff between a heading (``.SH NAME`` or ``.SS "name"``) and the next one."""
    assert heading in page, f"no {heading}"
    return re.split(r"^\.S[HS] ", page.split(heading, 1)[1], maxsplit=1, flags=re.MULTILINE)[0]


def test_the_man_page_documents_every_command_and_option(page: str) -> None:
    options = section(page, ".SH OPTIONS")
    for flag in ROOT_FLAGS:
        assert roff(flag) in options, f"{flag} is not under OPTIONS"
    for path, parser in TREE[1:]:
        if has_subcommands(parser):
            continue  # a group is documented by its commands
        own = section(page, f'.SS "{roff(" ".join(("ydsi", *path)))}"')
        for flag in visible_flags(parser):
            assert roff(flag) in own or flag in ROOT_FLAGS, f"{flag} of {path} undocumented"


def test_the_man_page_lists_settings_and_exit_statuses(page: str) -> None:
    settings = section(page, ".SH SETTINGS")
    for spec in SPECS:
        assert f"${roff(spec.env)}" in settings
    statuses = section(page, ".SH EXIT STATUS")
    for code in [*EXIT_CODES, 70]:
        assert f"\\fB{code}\\fR" in statuses
    assert page.startswith(f'.TH YDSI 1 "" "ydsi {__version__}"')


KNOWN_REQUESTS = {"TH", "SH", "SS", "TP", "PP", "B", "br", '\\"'}


def test_the_man_page_is_plain_roff(page: str) -> None:
    """Without groff: every request is a man macro we mean, and no text line looks like one."""
    for line in page.splitlines():
        if line.startswith((".", "'")):
            assert line[1:].split(" ", 1)[0] in KNOWN_REQUESTS, line
    assert "\t" not in page


@pytest.mark.skipif(shutil.which("groff") is None, reason="groff is not installed")
def test_groff_renders_the_man_page_without_a_warning(page: str) -> None:
    result = subprocess.run(
        ["groff", "-man", "-Tutf8", "-ww", "-z"], input=page,
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert result.returncode == 0 and result.stderr == "", result.stderr


@pytest.mark.skipif(shutil.which("man") is None, reason="man is not installed")
def test_man_shows_the_page(page: str, tmp_path: Path) -> None:
    path = tmp_path / "ydsi.1"
    path.write_text(page)
    env = {**os.environ, "MANPAGER": "cat", "PAGER": "cat", "MANWIDTH": "80", "LANG": "C.UTF-8"}
    result = subprocess.run(
        ["man", "-l", str(path)], capture_output=True, text=True, check=False, env=env,
        stdin=subprocess.DEVNULL,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    shown = re.sub(r".\x08", "", result.stdout)  # overstrike bold, if any
    assert "ydsi user add" in shown and "EXIT STATUS" in shown
    assert "--passphrase-file" in shown


# ------------------------------------------------------------------ from the parser, via ydsi


def test_the_commands_print_what_the_parser_makes(capsys: pytest.CaptureFixture[str]) -> None:
    for argv, expected in (
        (["completion", "bash"], bash_script(PARSER)),
        (["completion", "zsh"], zsh_script(PARSER)),
        (["manpage"], manpage(PARSER)),
    ):
        assert main(argv) == 0
        assert capsys.readouterr().out == expected


def test_a_broken_setting_does_not_stop_them(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """Completion is set up once, often before the config is right; it reads no vault."""
    broken = tmp_path / "config.toml"
    broken.write_text("vault = [\n")
    monkeypatch.setenv("YDSI_SYSTEM_CONFIG", str(broken))
    assert main(["incident", "list"]) == 2  # the file does stop a command
    capsys.readouterr()
    assert main(["completion", "bash"]) == 0
    assert main(["manpage"]) == 0
    assert "complete -F _ydsi ydsi" in capsys.readouterr().out


def test_a_new_command_and_option_appear_without_a_list_to_update() -> None:
    parser = build_parser()
    sub = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    child = sub.add_parser("zz-planted", help="a command added after the fact")
    child.add_argument("--zz-colour", choices=["red", "blue"], help="a planted option")
    child.add_argument("--zz-hidden", help=argparse.SUPPRESS)
    bash, zsh, page = bash_script(parser), zsh_script(parser), manpage(parser)
    assert "zz-planted" in bash_entry(bash, "_ydsi_subcommands", "")
    assert bash_entry(bash, "_ydsi_value_of", "zz-planted|--zz-colour") == "choices:red blue"
    assert "'--zz-colour=[a planted option]:ZZ_COLOUR:(red blue)'" in zsh_function(
        zsh, ("zz-planted",)
    )
    assert roff("--zz-colour") in section(page, f'.SS "{roff("ydsi zz-planted")}"')
    assert "zz-hidden" not in bash + zsh + page
