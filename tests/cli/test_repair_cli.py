"""``ydsi repair REF`` as a DSL runs it: real processes, a real vault, real damage."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from tests.cli.test_cli import KDF, PASS, Ydsi
from tests.support.vaults import enrolment_code

# Each test runs many ydsi processes, with backups.
pytestmark = pytest.mark.slow


@pytest.fixture
def ydsi(tmp_path: Path) -> Ydsi:
    tool = Ydsi(tmp_path)
    made = tool.run("init", "--text-file", "-", *KDF, stdin="Dana Lead")
    assert made.returncode == 0, made.stderr
    new = tool.secret("new-head", PASS)
    added = tool.run("user", "add", "head", "--role", "headteacher")
    code = tool.secret("code-head", enrolment_code(added.stdout))
    enrolled = tool.run(
        "enrol", "--code-file", str(code), "--new-passphrase-file", str(new),
        user="head", passphrase=None,
    )  # fmt: skip
    assert enrolled.returncode == 0, enrolled.stderr
    assert tool.run("incident", "new", stdin="first").stdout.strip() == "2026-001"
    assert tool.run("note", "2026-001", stdin="first note").returncode == 0
    return tool


def _record_file(ydsi: Ydsi, compartment: str) -> Path:
    """The record file written last (each save renames a new file into place)."""
    files = list((ydsi.vault / compartment).glob("*.ydsr"))
    assert files, "no record written"
    return max(files, key=lambda path: path.stat().st_mtime_ns)


def _one_line(result: subprocess.CompletedProcess[str]) -> str:
    """The refusal: one line, no traceback."""
    assert "Traceback" not in result.stderr
    return result.stderr.strip().splitlines()[-1]


def test_rollback_repaired_from_a_named_backup(ydsi: Ydsi) -> None:
    target = _record_file(ydsi, "case")
    old = target.read_bytes()
    assert ydsi.run("note", "2026-001", stdin="second note").returncode == 0
    backup = ydsi.tmp / "b.tar"
    assert ydsi.run("backup", "--output", str(backup)).returncode == 0
    target.write_bytes(old)
    listed = ydsi.run("incident", "list")
    assert "DAMAGED: run 'ydsi repair 2026-001'" in listed.stdout, listed.stdout
    listed_json = json.loads(ydsi.run("incident", "list", "--json").stdout)
    assert [r["repair_ref"] for r in listed_json if r["status"] == "damaged"] == ["2026-001"]
    verify = ydsi.run("verify", "--entries")
    assert verify.returncode == 1 and "ydsi repair REF" in verify.stdout
    refused = ydsi.run("note", "2026-001", stdin="on top")
    assert refused.returncode == 5 and "DAMAGED" in _one_line(refused)
    head = ydsi.run("repair", "2026-001", "--backup", str(backup), user="head")
    assert head.returncode == 8 and _one_line(head) == "ydsi: only a DSL can repair a record"
    repaired = ydsi.run("repair", "2026-001", "--backup", str(backup), "--json")
    assert repaired.returncode == 0, repaired.stderr
    data = json.loads(repaired.stdout)
    assert data["ok"] is True and data["method"] == "backup" and data["backup"] == str(backup)
    assert ydsi.run("verify", "--entries").returncode == 0
    shown = json.loads(ydsi.run("incident", "show", "2026-001", "--json").stdout)
    assert [e["data"]["text"] for e in shown["timeline"] if e["kind"] == "note"][-1] == (
        "second note"
    )
    again = ydsi.run("repair", "2026-001")
    assert again.returncode == 1 and "is not damaged" in _one_line(again)


def test_deleted_device_repaired_from_the_default_folder(ydsi: Ydsi) -> None:
    seized = ydsi.run(
        "device", "seize", "--incident", "2026-001", "--fields-file", "-",
        stdin="description: blue phone\nowner: AP\nlocked_where: the safe\n",
    )  # fmt: skip
    assert seized.returncode == 0, seized.stderr
    ref = seized.stdout.strip()
    target = _record_file(ydsi, "custody")
    folder = ydsi.tmp / "ydsi-exports"
    folder.mkdir(mode=0o700)
    assert ydsi.run("backup", "--output", str(folder / "ydsi-backup-x.tar")).returncode == 0
    target.unlink()
    repaired = ydsi.run("repair", ref)
    assert repaired.returncode == 0, repaired.stderr
    assert f"Repaired {ref} from the backup made" in repaired.stdout
    assert target.exists() and ydsi.run("verify", "--entries").returncode == 0


def test_forged_file_accepted_as_found_names_what_was_lost(ydsi: Ydsi) -> None:
    target = _record_file(ydsi, "case")
    good = target.read_bytes()
    assert ydsi.run("note", "2026-001", stdin="lost note").returncode == 0
    target.write_bytes(good)  # rolled back, and no backup holds the newest version
    refused = ydsi.run("repair", "2026-001")
    assert refused.returncode == 1
    assert "--accept-as-found" in _one_line(refused)
    assert "Accepting it as found would lose these signed saves:" in refused.stdout
    assert len(refused.stderr.strip().splitlines()) == 1, refused.stderr
    no_reason = ydsi.run("repair", "2026-001", "--accept-as-found")
    assert no_reason.returncode == 2 and "--text-file" in _one_line(no_reason)
    accepted = ydsi.run(
        "repair", "2026-001", "--accept-as-found", "--text-file", "-",
        stdin="no backup since Monday",
    )  # fmt: skip
    assert accepted.returncode == 0, accepted.stderr
    assert "Accepted 2026-001 as found" in accepted.stdout
    lost = [line for line in accepted.stdout.splitlines() if line.startswith("  entry ")]
    assert len(lost) == 1 and "UTC, dsl)" in lost[0]
    assert ydsi.run("verify").returncode == 0
    assert ydsi.run("verify", "--entries").returncode == 0
    shown = json.loads(ydsi.run("incident", "show", "2026-001", "--json").stdout)
    notes = [e["data"]["text"] for e in shown["timeline"] if e["kind"] == "note"]
    assert "lost note" not in notes
    assert notes[-1].startswith("Repaired: accepted as found; entries saved at entry ")
    assert "Monday" not in (ydsi.vault / "audit.log").read_text()
