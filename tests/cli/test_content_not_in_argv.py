"""Record content never on the command line (red-team H4): refused there, taken the safe ways.

Every command that takes a name or free text is found by walking the parser
(a command added later is walked too). For each one: the content given as
an argument is refused in one line naming the safe ways, before anything is
unlocked or written; ``--text-file``, ``--fields-file`` and stdin put the
content in the record; ``--allow-argv`` (and the setting, and a ``/proc``
mounted ``hidepid=2``) lets an argument through. Runs are in-process
(``main(argv)``) on one real vault at the cheapest KDF, the derivation memoised.
"""

from __future__ import annotations

import argparse
import functools
import io
import json
import os
import sys
from collections.abc import Iterator
from contextlib import redirect_stderr, redirect_stdout
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.support.cli_bench import isolated_cli, make_cli_vault
from tests.support.vaults import cached_kdf
from ydsi_tui.cli import content
from ydsi_tui.cli.content import (
    MAX_CONTENT_BYTES,
    Content,
    Field,
    content_fields,
    proc_hides_other_users,
    read_fields,
)
from ydsi_tui.cli.context import CliError
from ydsi_tui.cli.main import build_parser, main

PASS = "content tests passphrase"
SECRET = "Dana says her stepfather took the photo"
VISIBLE = "would be visible to every user of this server in the process list"
PNG = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + b"\x00" * 32


# ----------------------------------------------------------------------
# the hidepid detector: pure, over sample mount lines
# ----------------------------------------------------------------------
MOUNTINFO_PLAIN = (
    "22 28 0:21 / /sys rw,nosuid,nodev,noexec,relatime shared:7 - sysfs sysfs rw\n"
    "23 28 0:22 / /proc rw,nosuid,nodev,noexec,relatime shared:12 - proc proc rw\n"
)
MOUNTINFO_HIDDEN = (
    "23 28 0:22 / /proc rw,nosuid,nodev,noexec,relatime shared:12 - proc proc rw,hidepid=2\n"
)
MOUNTINFO_NAMED = (
    "23 28 0:22 / /proc rw,relatime shared:12 - proc proc rw,hidepid=invisible,gid=1001\n"
)


@pytest.mark.parametrize(
    ("mounts", "hidden"),
    [
        (MOUNTINFO_PLAIN, False),
        (MOUNTINFO_HIDDEN, True),
        (MOUNTINFO_NAMED, True),
        ("proc /proc proc rw,nosuid,nodev,noexec,relatime 0 0\n", False),
        ("proc /proc proc rw,nosuid,nodev,noexec,relatime,hidepid=2 0 0\n", True),
        ("proc /proc proc rw,hidepid=invisible 0 0\n", True),
        ("proc /proc proc rw,hidepid=noaccess 0 0\n", True),  # files protected too
        ("proc /proc proc rw,hidepid=0 0 0\n", False),
        ("proc /proc proc rw,hidepid=off 0 0\n", False),
        # a hidepid proc somewhere else protects nothing at /proc
        ("proc /srv/chroot/proc proc rw,hidepid=2 0 0\n", False),
        # not a proc file system, though mounted on /proc
        ("tmpfs /proc tmpfs rw,hidepid=2 0 0\n", False),
        # the last mount on /proc wins: a plain one over a hiding one hides nothing
        (MOUNTINFO_HIDDEN + MOUNTINFO_PLAIN, False),
        (MOUNTINFO_PLAIN + MOUNTINFO_HIDDEN, True),
        ("", False),
        ("garbage\n - \n", False),
    ],
)
def test_the_hidepid_detector_reads_mount_lines(mounts: str, hidden: bool) -> None:
    assert proc_hides_other_users(mounts) is hidden


# ----------------------------------------------------------------------
# the bench: one vault, in-process runs with stdin of our choosing
# ----------------------------------------------------------------------
@dataclass
class Bench:
    root: Path
    vault: Path
    passphrase_file: Path
    plain_mounts: Path
    pupil_id: str = ""
    device: str = ""

    def common(self, user: str = "dsl") -> list[str]:
        secret = str(self.passphrase_file)
        return ["--vault", str(self.vault), "--user", user, "--passphrase-file", secret]

    def run(
        self, argv: list[str], *, stdin: str | bytes = b"", user: str = "dsl"
    ) -> tuple[int, str, str]:
        data = stdin.encode("utf-8") if isinstance(stdin, str) else stdin
        out, err = io.StringIO(), io.StringIO()
        saved = sys.stdin
        sys.stdin = io.TextIOWrapper(io.BytesIO(data), encoding="utf-8")
        try:
            with redirect_stdout(out), redirect_stderr(err):
                code = main([*argv, *self.common(user)])
        finally:
            sys.stdin = saved
        return code, out.getvalue(), err.getvalue()

    def ok(self, argv: list[str], *, stdin: str | bytes = b"", user: str = "dsl") -> str:
        code, out, err = self.run(argv, stdin=stdin, user=user)
        assert code == 0, (argv, err)
        return out

    def show(self, ref: str) -> dict[str, object]:
        data: dict[str, object] = json.loads(self.ok(["incident", "show", ref, "--json"]))
        return data

    def entries(self, ref: str, kind: str) -> list[dict[str, object]]:
        timeline = self.show(ref)["timeline"]
        assert isinstance(timeline, list)
        return [e["data"] for e in timeline if e["kind"] == kind]

    def device_json(self, ref: str) -> str:
        return self.ok(["device", "show", ref, "--json"])

    def audit_size(self) -> int:
        return (self.vault / "audit.log").stat().st_size


@pytest.fixture(scope="module")
def bench(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Bench]:
    root = tmp_path_factory.mktemp("content")
    users = (("head", "headteacher", "Hana Head"), ("tech", "technician", "Tom Tech"))
    with isolated_cli(root):
        vault, secret = make_cli_vault(root, PASS, users)
        yield from _bench(root, vault, secret)


def _bench(root: Path, vault: Path, secret: Path) -> Iterator[Bench]:
    """Judged as on a plain /proc; an incident with a pupil and a device to act on."""
    plain = root / "mountinfo"
    plain.write_text(MOUNTINFO_PLAIN, encoding="utf-8")
    # Whatever this machine's /proc says, the refusals are judged as on a plain one.
    sources = content.MOUNT_SOURCES
    content.MOUNT_SOURCES = (str(plain),)
    try:
        tool = Bench(root, vault, secret, plain)
        with cached_kdf():
            assert tool.ok(["incident", "new"], stdin="first").strip() == "2026-001"
            tool.ok(
                ["pupil", "add", "2026-001", "--part", "pictured", "--year-group", "9"],
                stdin="Ann Example",
            )
            tool.pupil_id = tool.show("2026-001")["pupils"][0]["id"]  # type: ignore[index]
            seized = tool.ok(
                ["device", "seize", "--incident", "2026-001", "--fields-file", "-"],
                stdin="description: phone\nowner: AN\n",
            )
            tool.device = seized.strip().split()[0]
            yield tool
    finally:
        content.MOUNT_SOURCES = sources


# ----------------------------------------------------------------------
# (a) every content argument of every command is refused
# ----------------------------------------------------------------------
@functools.cache  # the parser is 50 ms to build: once per process, not once per case
def _leaves() -> list[tuple[tuple[str, ...], argparse.ArgumentParser]]:
    found: list[tuple[tuple[str, ...], argparse.ArgumentParser]] = []

    def walk(parser: argparse.ArgumentParser, path: tuple[str, ...]) -> None:
        subs = [a for a in parser._actions if isinstance(a, argparse._SubParsersAction)]
        if not subs:
            found.append((path, parser))
        for sub in subs:
            for name, child in sub.choices.items():
                walk(child, (*path, name))

    walk(build_parser(), ())
    return found


CASES = [
    (path, f.name)
    for path, parser in _leaves()
    for f in content_fields(parser)
    if not f.attr  # the transfer's pupil shares its positional: a case of its own below
]


def test_the_walk_finds_the_commands_the_review_named() -> None:
    commands = {" ".join(path) for path, _ in CASES}
    for expected in (
        "pupil add", "note", "incident new", "incident close", "transfer", "device seize",
        "report subject-access", "repair", "view", "decide", "parents", "police", "record",
        "trigger", "hold set", "retention review", "device move", "user add", "init",
    ):  # fmt: skip
        assert expected in commands, expected
    assert len(CASES) >= 45


def _filler(path: tuple[str, ...], action: argparse.Action, bench: Bench) -> str:
    if action.choices is not None:
        return str(next(iter(action.choices)))
    values = {
        "ref": bench.device if path[0] == "device" else "2026-001",
        "incident": "2026-001",
        "format": "md",
        "output": "out.md",
        "keep_until": "01/01/2040",
        "kind": "note",
        "name": "newbie",
        "target": "list",
        # The pupil register's ids (ydsi pupil show/link/unlink/merge/unmerge).
        "id": "P-000000000000",
        "keep": "P-000000000000",
        "other": "P-000000000001",
    }
    return values.get(action.dest, "x")


def _argv(path: tuple[str, ...], name: str, bench: Bench) -> list[str]:
    parser = dict(_leaves())[path]
    argv = list(path)
    for action in parser._actions:
        if action.dest == name:
            value = "{}" if name == "data" else SECRET
            argv += [f"{action.option_strings[0]}={value}"] if action.option_strings else [value]
        elif action.required and action.dest not in ("vault", "user", "passphrase_file"):
            text = _filler(path, action, bench)
            argv += [action.option_strings[0], text] if action.option_strings else [text]
        elif not action.option_strings and action.nargs is None and action.dest != "help":
            argv.append(_filler(path, action, bench))
    return argv


@pytest.mark.parametrize(("path", "name"), CASES, ids=[f"{' '.join(p)}:{n}" for p, n in CASES])
def test_content_as_an_argument_is_refused_naming_the_safe_ways(
    path: tuple[str, ...], name: str, bench: Bench
) -> None:
    before = bench.audit_size()
    argv = _argv(path, name, bench)
    code, out, err = bench.run(argv)
    assert code == 2, (argv, err)
    (line,) = err.splitlines()
    assert VISIBLE in line, line
    assert "run without it to be asked" in line
    assert "--text-file FILE" in line or "--fields-file FILE" in line
    assert "--text-file - (stdin)" in line or "--fields-file - (stdin)" in line
    assert SECRET not in err + out  # never echoed back either
    assert bench.audit_size() == before  # refused before any unlock or write


def test_a_pupil_named_in_a_transfer_is_refused(bench: Bench) -> None:
    code, _, err = bench.run(["transfer", SECRET, "--output", "t.ydst"])
    assert code == 2 and VISIBLE in err and "--text-file" in err


def test_a_pupil_picked_by_id_is_not_content(bench: Bench) -> None:
    """Ids name no one: they stay arguments, and a name in their place is refused."""
    code, _, err = bench.run(["deletion", "2026-001", "Ann Example", "request"])
    assert code == 2 and VISIBLE in err and "the pupil's id" in err
    bench.ok(
        [
            "deletion",
            "2026-001",
            bench.pupil_id[:8],
            "request",
            "--deadline",
            "+2d",
            "--told-illegal",
        ]
    )
    assert bench.entries("2026-001", "deletion.requested")[-1]["pupil_id"] == bench.pupil_id


# ----------------------------------------------------------------------
# (b) the safe ways put the content in the record
# ----------------------------------------------------------------------
def test_a_note_from_a_file_from_stdin_and_implicit_stdin(bench: Bench, tmp_path: Path) -> None:
    file = tmp_path / "note.txt"
    file.write_text(f"{SECRET}\nand a second line\n", encoding="utf-8")
    bench.ok(["note", "2026-001", "--text-file", str(file)])
    bench.ok(["note", "2026-001", "--text-file", "-"], stdin="from stdin, named\n")
    bench.ok(["note", "2026-001"], stdin="from stdin, implied")
    texts = [e["text"] for e in bench.entries("2026-001", "note")]
    # The file's own newlines are kept; only the editor's final one is dropped.
    assert f"{SECRET}\nand a second line" in texts
    assert "from stdin, named" in texts and "from stdin, implied" in texts


def test_a_fields_file_in_lines_and_in_json(bench: Bench, tmp_path: Path) -> None:
    lines = tmp_path / "pupil.txt"
    lines.write_text(
        "# a comment\nname: Bea Example\nvulnerabilities: looked after;\n  known to CSC\n",
        encoding="utf-8",
    )
    bench.ok(
        [
            "pupil",
            "add",
            "2026-001",
            "--fields-file",
            str(lines),
            "--part",
            "sent",
            "--year-group",
            "9",
        ]
    )
    as_json = json.dumps({"name": "Cal Example", "vulnerabilities": "none known"})
    bench.ok(
        [
            "pupil",
            "add",
            "2026-001",
            "--fields-file",
            "-",
            "--part",
            "received",
            "--year-group",
            "9",
        ],
        stdin=as_json,
    )
    pupils = {p["name"]: p for p in bench.entries("2026-001", "pupil.added")}  # type: ignore[misc]
    assert pupils["Bea Example"]["vulnerabilities"] == "looked after;\nknown to CSC"
    assert pupils["Cal Example"]["vulnerabilities"] == "none known"


def test_every_incident_command_takes_its_fields_the_safe_way(bench: Bench) -> None:
    ref = bench.ok(["incident", "new", "--text-file", "-"], stdin="summary by stdin").strip()
    assert bench.show(ref)["summary"] == "summary by stdin"
    bench.ok(["pupil", "add", ref, "--part", "pictured", "--year-group", "10"], stdin="Dee Example")
    pupil = bench.show(ref)["pupils"][0]["id"]  # type: ignore[index]
    for n in range(1, 6):
        bench.ok(
            ["trigger", ref, str(n), "no", "--fields-file", "-"],
            stdin=f"basis: asked both, trigger {n}\n",
        )
    assert bench.entries(ref, "trigger.answered")[0]["basis"] == "asked both, trigger 1"
    bench.ok(
        ["decide", ref, "in-school", "--fields-file", "-"],
        stdin="reason: no trigger applies\ninput_from: Hana Head\ninput-from: the tutor\n",
    )
    decision = bench.entries(ref, "decision")[-1]
    assert decision["reason"] == "no trigger applies"
    assert decision["input_from"] == ["Hana Head", "the tutor"]
    bench.ok(["signoff", ref, "--text-file", "-"], stdin="I agree, having read it.", user="head")
    assert bench.entries(ref, "signoff")[-1]["statement"] == "I agree, having read it."
    assert bench.show(ref)["signoffs"][0]["signature_valid"] is True  # type: ignore[index]
    bench.ok(
        ["view", ref, "--fields-file", "-", "--reason", "report_for_takedown",
         "--viewer-role", "dsl", "--on-premises", "--same-sex", "yes", "--not-copied",
         "--head-consulted", "--distress-considered"],
        stdin=json.dumps({
            "viewer": "Dana Lead", "where": "the DSL's office", "actions": "decided in school",
            "present": ["Hana Head"], "pupil": pupil,
        }),
    )  # fmt: skip
    viewing = bench.entries(ref, "viewing")[-1]
    assert (viewing["viewer"], viewing["where"]) == ("Dana Lead", "the DSL's office")
    assert viewing["present"] == ["Hana Head"] and viewing["pupil_id"] == pupil
    bench.ok(
        ["parents", ref, pupil[:8], "informed", "--fields-file", "-"],
        stdin="who: her mother\nhow: phone call\n",
    )
    told = bench.entries(ref, "parents.informed")[-1]
    assert (told["who"], told["how"], told["pupil_id"]) == ("her mother", "phone call", pupil)
    bench.ok(
        ["police", ref, "--route", "call-101", "--fields-file", "-"],
        stdin="spoken_to: PC Example\nnote: advice only\n",
    )
    contact = bench.entries(ref, "police.contact")[-1]
    assert (contact["spoken_to"], contact["note"]) == ("PC Example", "advice only")
    bench.ok(["deletion", ref, pupil, "confirm"], stdin="how: showed me the empty album\n")
    assert bench.entries(ref, "deletion.confirmed")[-1]["how"] == "showed me the empty album"
    bench.ok(["record", ref, "note", "--fields-file", "-"], stdin="text: via record\n")
    assert bench.entries(ref, "note")[-1]["text"] == "via record"
    bench.ok(
        ["incident", "close", ref, "--fields-file", "-"],
        stdin=(
            "summary: shared once, deleted\nactions: spoke to both\n  parents told\n"
            "outcome: resolved in school\nrationale: no aggravating factors\n"
            "gaps_reason: the rest was not needed\n"
        ),
    )
    closed = bench.entries(ref, "incident.closed")[-1]
    assert closed["actions"] == "spoke to both\nparents told"
    assert closed["gaps_reason"] == "the rest was not needed"
    bench.ok(["incident", "reopen", ref], stdin="new information")
    assert bench.entries(ref, "incident.reopened")[-1]["reason"] == "new information"
    bench.ok(["concern", ref], stdin="a worry, in words")
    assert bench.entries(ref, "concern.harm")[-1]["text"] == "a worry, in words"


def test_the_custody_log_takes_its_fields_the_safe_way(bench: Bench) -> None:
    made = bench.ok(
        ["device", "seize", "--incident", "2026-001", "--fields-file", "-"],
        stdin="description: red tablet\nowner: E.X.\nseized_by: Tom Tech\nlocked_where: safe A\n",
        user="tech",
    )
    ref = made.strip().split()[0]
    steps = [
        (["device", "move", ref, "--fields-file", "-"], "to: safe B\nreason: audit\n"),
        (["device", "lock", ref], "cabinet C"),
        (["device", "poweroff", ref, "--text-file", "-"], "Tom Tech"),
        (["device", "access", ref], "by: PC Example\nreason: evidence\n"),
        (["device", "handover", ref, "--crime-ref", "AB/1"], "PC Officer"),
    ]
    for argv, stdin in steps:
        bench.ok(argv, stdin=stdin, user="tech")
    shown = bench.device_json(ref)
    for text in ("red tablet", "E.X.", "safe B", "audit", "cabinet C", "PC Example", "PC Officer"):
        assert text in shown, text


def test_reports_holds_and_transfers_name_pupils_by_id(bench: Bench, tmp_path: Path) -> None:
    out = tmp_path / "sar.md"
    bench.ok(["report", "subject-access", "--pupil-id", bench.pupil_id[:8], "--format", "md",
              "--output", str(out)])  # fmt: skip
    assert "Ann Example" in out.read_text(encoding="utf-8")
    by_name = tmp_path / "sar2.md"
    bench.ok(["report", "subject-access", "--format", "md", "--output", str(by_name)],
             stdin="Ann Example")  # fmt: skip
    assert "Ann Example" in by_name.read_text(encoding="utf-8")
    code, _, err = bench.run(["report", "subject-access", "--pupil-id", "ffffffff",
                              "--format", "md", "--output", str(tmp_path / "none.md")])  # fmt: skip
    assert code == 2 and "no pupil has the id ffffffff" in err
    bench.ok(["hold", "set", "2026-001", "--fields-file", "-"],
             stdin="reason: an inquiry\nauthority: The Inquiry\n")  # fmt: skip
    holds = bench.entries("2026-001", "hold.set")
    assert holds[-1]["reason"] == "an inquiry" and holds[-1]["authority"] == "The Inquiry"
    bench.ok(["hold", "lift", "2026-001"], stdin="inquiry reported")
    bench.ok(["retention", "review", "2026-001", "--keep-until", "01/01/2045"], stdin="a claim")
    sent = bench.ok(
        ["transfer", "--pupil-id", bench.pupil_id, "--output", str(tmp_path / "t.ydst"),
         "--fields-file", "-"],
        stdin="to_school: Ash Grove\nto_dsl: Mo Receiver\n",
    )  # fmt: skip
    assert "recorded in 2026-001" in sent
    pending = json.loads(bench.ok(["transfer", "list", "--json"]))
    transfer_id = pending[-1]["id"]
    bench.ok(["transfer", "receipt", transfer_id], stdin="received_by: Mo Receiver\nnote: ok\n")
    assert transfer_id not in [
        p["id"] for p in json.loads(bench.ok(["transfer", "list", "--json"]))
    ]


def test_staff_names_for_user_add(bench: Bench) -> None:
    code, _, err = bench.run(["user", "add", "ivy", "--role", "team", "--full-name", "Ivy Team"])
    assert code == 2 and VISIBLE in err
    bench.ok(["user", "add", "ivy", "--role", "team", "--text-file", "-"], stdin="Ivy Team")
    users = json.loads(bench.ok(["user", "list", "--json"]))
    assert {u["name"]: u["full_name"] for u in users}["ivy"] == "Ivy Team"


# ----------------------------------------------------------------------
# (c) --allow-argv, the setting, and a hiding /proc let an argument through
# ----------------------------------------------------------------------
def test_allow_argv_before_or_after_the_command(bench: Bench) -> None:
    bench.ok(["--allow-argv", "note", "2026-001", "allowed before"])
    bench.ok(["note", "2026-001", "allowed after", "--allow-argv"])
    texts = [e["text"] for e in bench.entries("2026-001", "note")]
    assert "allowed before" in texts and "allowed after" in texts


def test_the_setting_and_the_variable_allow_it(bench: Bench) -> None:
    config = bench.root / "config" / "ydsi" / "config.toml"
    config.parent.mkdir(parents=True, exist_ok=True)
    config.write_text("allow_argv = true\n", encoding="utf-8")
    try:
        bench.ok(["note", "2026-001", "allowed by the config file"])
    finally:
        config.unlink()
    os.environ["YDSI_ALLOW_ARGV"] = "1"
    try:
        bench.ok(["note", "2026-001", "allowed by the variable"])
    finally:
        del os.environ["YDSI_ALLOW_ARGV"]
    code, _, err = bench.run(["note", "2026-001", "refused again"])
    assert code == 2 and VISIBLE in err
    os.environ["YDSI_ALLOW_ARGV"] = "maybe"  # not a yes: warned, and the default (no) holds
    try:
        code, _, err = bench.run(["note", "2026-001", "refused still"])
    finally:
        del os.environ["YDSI_ALLOW_ARGV"]
    assert code == 2 and VISIBLE in err


def test_a_proc_mounted_hidepid_allows_it(bench: Bench, tmp_path: Path) -> None:
    hidden = tmp_path / "mountinfo"
    hidden.write_text(MOUNTINFO_HIDDEN, encoding="utf-8")
    content.MOUNT_SOURCES = (str(hidden),)
    try:
        bench.ok(["note", "2026-001", "allowed under hidepid=2"])
    finally:
        content.MOUNT_SOURCES = (str(bench.plain_mounts),)
    assert "allowed under hidepid=2" in [e["text"] for e in bench.entries("2026-001", "note")]


# ----------------------------------------------------------------------
# files are read safely
# ----------------------------------------------------------------------
def test_files_that_are_not_text_are_refused_in_one_line(bench: Bench, tmp_path: Path) -> None:
    before = bench.audit_size()
    photo = tmp_path / "IMG_0001.jpg"
    photo.write_bytes(b"\xff\xd8\xff\xe0\x00\x10JFIF\x00")
    disguised = tmp_path / "notes.txt"
    disguised.write_bytes(PNG)
    latin = tmp_path / "latin1.txt"
    latin.write_bytes("caf\xe9".encode("latin-1"))
    huge = tmp_path / "huge.txt"
    huge.write_bytes(b"a" * (MAX_CONTENT_BYTES + 1))
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)  # a FIFO nobody writes to: refused at once, never waited on
    cases = {
        photo: "image or video file",
        disguised: "is an image or video",
        latin: "not valid UTF-8",
        huge: "over 1,048,576 bytes",
        fifo: "not a regular file",
        tmp_path: "not a regular file",
        tmp_path / "missing.txt": "cannot read",
    }
    for path, expected in cases.items():
        code, _, err = bench.run(["note", "2026-001", "--text-file", str(path)])
        assert code == 2, (path, err)
        (line,) = [x for x in err.splitlines() if not x.startswith("ydsi: warning:")]
        assert expected in line, (path, line)
    code, _, err = bench.run(["note", "2026-001", "--text-file", "-"], stdin=PNG)
    assert code == 2 and "is an image or video" in err
    code, _, err = bench.run(["note", "2026-001"], stdin=b"")
    assert code == 2 and "no note given" in err
    assert bench.audit_size() == before


def test_a_text_file_others_can_read_is_used_with_a_warning(bench: Bench, tmp_path: Path) -> None:
    shared = tmp_path / "shared.txt"
    shared.write_text("from a file others can read", encoding="utf-8")
    shared.chmod(0o644)
    code, _, err = bench.run(["note", "2026-001", "--text-file", str(shared)])
    assert code == 0 and "can be read by other users (mode 0644)" in err
    private = tmp_path / "private.txt"
    private.write_text("from a private file", encoding="utf-8")
    private.chmod(0o600)
    code, _, err = bench.run(["note", "2026-001", "--text-file", str(private)])
    assert code == 0 and "warning" not in err


def test_stdin_without_a_flag_is_the_main_text_or_the_fields(bench: Bench) -> None:
    """Fields only when every line names a field of the command; else the main text."""
    bench.ok(["trigger", "2026-001", "1", "no"], stdin="no adult involved: both pupils said so")
    assert bench.entries("2026-001", "trigger.answered")[-1]["basis"] == (
        "no adult involved: both pupils said so"
    )
    bench.ok(
        ["trigger", "2026-001", "2", "no"],
        stdin="basis: no money asked for\nreason-against-suggestion: none\n",
    )
    answered = bench.entries("2026-001", "trigger.answered")[-1]
    assert answered["basis"] == "no money asked for"


def test_fields_files_are_checked(bench: Bench) -> None:
    spec = Content(
        (Field("who", "--who"), Field("present", "--present", many=True)),
        None,
        by_name={"who": Field("who", "--who"), "present": Field("present", "--present", many=True)},
    )
    assert read_fields("who: a\npresent: b\npresent: c\n", spec, "f") == {
        "who": "a",
        "present": ["b", "c"],
    }
    for text, expected in [
        ("nobody: x\n", "no field 'nobody' here (the fields are: who, present)"),
        ("who: a\nwho: b\n", "who is given twice"),
        ("who a\n", "line 1: not 'field: value'"),
        ("  continued\n", "an indented line with no field above"),
        ('{"who": 3}', "who must be text"),
        ("[1, 2]", "not 'field: value'"),
        ('{"who": ', "not a JSON object"),
    ]:
        with pytest.raises(CliError, match=expected.replace("(", r"\(").replace(")", r"\)")):
            read_fields(text, spec, "f")
    code, _, err = bench.run(["device", "move", bench.device, "--fields-file", "-"],
                             stdin="to: safe\nwhere: nowhere\n")  # fmt: skip
    assert code == 2 and "no field 'where' here (the fields are: to, reason)" in err


def test_an_argument_and_a_file_for_the_same_field_is_refused(bench: Bench) -> None:
    code, _, err = bench.run(
        ["device", "move", bench.device, "--to", "safe", "--fields-file", "-", "--allow-argv"],
        stdin="to: elsewhere\nreason: audit\n",
    )
    assert code == 2 and "--to is given twice" in err


# ----------------------------------------------------------------------
# at a terminal, what is needed is asked for
# ----------------------------------------------------------------------
def _converse(
    argv: list[str], answers: list[tuple[str, str]], *, stdout_piped: bool = False
) -> tuple[int, str]:
    """Run ``ydsi`` on a pseudo-terminal; answer each prompt when it appears.

    With ``stdout_piped`` stdout goes to a pipe (as in ``REF=$(ydsi ...)``) and
    what it carried is returned instead of the screen.
    """
    import pty
    import select
    import subprocess
    import time

    leader, follower = pty.openpty()
    process = subprocess.Popen(
        [sys.executable, "-m", "ydsi_tui.cli.main", *argv],
        stdin=follower, stdout=subprocess.PIPE if stdout_piped else follower, stderr=follower,
        close_fds=True,
    )  # fmt: skip
    os.close(follower)
    seen = b""
    deadline = time.monotonic() + 60
    pending = list(answers)
    try:
        while True:
            assert time.monotonic() < deadline, seen.decode(errors="replace")
            ready, _, _ = select.select([leader], [], [], 1.0)
            if ready:
                try:
                    chunk = os.read(leader, 4096)
                except OSError:  # the terminal closed: the process is gone
                    break
                if not chunk:
                    break
                seen += chunk
            if pending and pending[0][0].encode() in seen:
                os.write(leader, pending.pop(0)[1].encode())
            if process.poll() is not None and not ready:
                break
    finally:
        os.close(leader)
    code = process.wait(timeout=60)
    if stdout_piped:
        assert process.stdout is not None
        with process.stdout:
            return code, process.stdout.read().decode()
    return code, seen.decode(errors="replace")


@pytest.mark.terminal  # a pseudo-terminal
def test_at_a_terminal_the_content_is_asked_for(bench: Bench) -> None:
    code, screen = _converse(
        ["note", "2026-001", *bench.common()],
        [("end with an empty line", "typed at the prompt\nover two lines\n\n")],
    )
    assert code == 0, screen
    assert "Recorded in 2026-001" in screen
    assert "typed at the prompt\nover two lines" in [
        e["text"] for e in bench.entries("2026-001", "note")
    ]
    code, screen = _converse(
        ["device", "move", bench.device, *bench.common()],
        [("Where it is now:", "the head's safe\n"), ("Why it was moved:", "office move\n")],
    )
    assert code == 0, screen
    assert "the head's safe" in bench.device_json(bench.device)
    code, stdout = _converse(
        ["incident", "new", *bench.common()],
        [("A short description, in words:", "asked for at the terminal\n")],
        stdout_piped=True,
    )
    assert code == 0 and stdout.count("\n") == 1 and stdout.startswith("2026-"), stdout
    assert bench.show(stdout.strip())["summary"] == "asked for at the terminal"
