"""The hand-over commands as a DSL runs them: real processes on a real vault."""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
import tarfile
from datetime import date, timedelta
from pathlib import Path

import pytest

from tests.support.vaults import enrolment_code

# Each test runs many ydsi processes, each deriving its user's key.
pytestmark = pytest.mark.slow

PASS = "cli report tests passphrase"
KDF = ["--kdf-memory-mib", "64", "--kdf-lanes", "1"]


class Ydsi:
    def __init__(self, tmp: Path) -> None:
        self.tmp = tmp
        self.vault = tmp / "vault"

    def secret(self, name: str, text: str) -> Path:
        path = self.tmp / f"{name}.secret"
        path.write_text(text + "\n", encoding="utf-8")
        path.chmod(0o600)
        return path

    def run(
        self, *args: str, user: str = "dsl", vault: Path | None = None, stdin: str | None = None
    ) -> subprocess.CompletedProcess[str]:
        command = [sys.executable, "-m", "ydsi_tui.cli.main", *args]
        command += ["--vault", str(vault or self.vault), "--user", user]
        command += ["--passphrase-file", str(self.secret(f"pass-{user}", PASS))]
        env = {**os.environ, "HOME": str(self.tmp), "XDG_DATA_HOME": str(self.tmp / "data")}
        if stdin is not None:  # record content: on stdin, never in argv
            return subprocess.run(
                command, capture_output=True, text=True, env=env, input=stdin, check=False
            )
        return subprocess.run(
            command, capture_output=True, text=True, env=env, stdin=subprocess.DEVNULL, check=False
        )

    def ok(self, *args: str, user: str = "dsl", stdin: str | None = None) -> str:
        result = self.run(*args, user=user, stdin=stdin)
        assert result.returncode == 0, (args, result.stderr)
        return result.stdout

    def incident(self, summary: str, pupil: str, *extra: str) -> str:
        ref = self.ok("incident", "new", "--text-file", "-", stdin=summary).strip()
        self.ok("pupil", "add", ref, "--text-file", "-", "--part", "pictured", *extra, stdin=pupil)
        return ref


def one_line_error(result: subprocess.CompletedProcess[str], code: int) -> None:
    assert result.returncode == code, (result.returncode, result.stderr)
    assert "Traceback" not in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1, result.stderr


@pytest.fixture(scope="module")
def ydsi(tmp_path_factory: pytest.TempPathFactory) -> Ydsi:
    tool = Ydsi(tmp_path_factory.mktemp("cli-reports"))
    made = tool.run("init", "--text-file", "-", *KDF, stdin="Dana Lead")
    assert made.returncode == 0, made.stderr
    new = tool.secret("new-head", PASS)
    added = tool.ok("user", "add", "head", "--role", "headteacher")
    code = tool.secret("code-head", enrolment_code(added))
    tool.ok("enrol", "--code-file", str(code), "--new-passphrase-file", str(new), user="head")
    assert "head" in tool.ok("user", "endorse")
    return tool


def test_export_in_every_format_to_new_private_files(ydsi: Ydsi) -> None:
    ref = ydsi.incident("Image shared", "Zoë Łukasz", "--year-group", "10")
    for fmt in ("pdf", "md", "json"):
        out = ydsi.tmp / f"{ref}.{fmt}"
        said = ydsi.ok("export", ref, "--format", fmt, "--output", str(out))
        assert str(out) in said and "outside the vault's protection" in said
        assert stat.S_IMODE(out.stat().st_mode) == 0o600
    assert out.read_text(encoding="utf-8").count('"marking": "OFFICIAL-SENSITIVE"') == 1
    assert "Zoë Łukasz" in (ydsi.tmp / f"{ref}.md").read_text(encoding="utf-8")
    assert (ydsi.tmp / f"{ref}.pdf").read_bytes().startswith(b"%PDF")
    again = ydsi.run("export", ref, "--format", "md", "--output", str(ydsi.tmp / f"{ref}.md"))
    one_line_error(again, 1)
    assert "already exists" in again.stderr
    one_line_error(ydsi.run("export", "2001-999", "--format", "md", "--output", "x.md"), 4)


def test_reports_print_or_write(ydsi: Ydsi) -> None:
    other = ydsi.incident("Another", "Ann Other", "--year-group", "9")
    ydsi.ok("decide", other, "in-school", stdin="no trigger applies")
    inspection = ydsi.ok("report", "inspection")
    assert "incident(s) complete" in inspection
    assert f"{other} (in school):" in inspection  # words, not the code in_school
    shape = json.loads(ydsi.ok("report", "inspection", "--json"))
    assert shape["kind"] == "inspection" and shape["incomplete"] >= 1
    year = date.today().year if date.today().month >= 9 else date.today().year - 1
    label = f"{year}-{(year + 1) % 100:02d}"
    governors = ydsi.ok("report", "governors", "--year", label)
    assert "OFFICIAL-SENSITIVE" in governors and "Ann Other" not in governors
    figures = ydsi.ok("report", "governors", "--year", label, "--format", "json")
    shape = json.loads(figures)
    assert shape["shape"] == 2 and "Ann Other" not in figures
    for key in ("by_kind", "by_year_group", "by_sex", "repeat", "times", "terms", "year_total"):
        assert key in shape, key
    assert shape["year_total"]["incidents"] is None  # 1 or 2 this year: hidden
    one_line_error(ydsi.run("report", "governors", "--year", label, "--format", "pdf"), 2)
    out = ydsi.tmp / "governors.pdf"
    ydsi.ok("report", "governors", "--year", label, "--format", "pdf", "--output", str(out))
    assert out.read_bytes().startswith(b"%PDF")
    one_line_error(ydsi.run("report", "governors", "--year", "2025-27"), 2)
    retention = json.loads(ydsi.ok("report", "retention", "--json"))
    assert retention["kind"] == "retention" and retention["incidents"]
    out = ydsi.tmp / "sar.md"
    said = ydsi.ok(
        "report", "subject-access", "--format", "md", "--output", str(out), stdin="Ann Other"
    )
    assert "marked for redaction" in said and "NOT FOR RELEASE" in out.read_text()


def test_backup_verify_and_restore(ydsi: Ydsi) -> None:
    ydsi.incident("Backed up", "Bea Backup", "--year-group", "7")  # whatever ran before
    out = ydsi.tmp / "backup.tar"
    said = ydsi.ok("backup", "--output", str(out))
    assert "still encrypted" in said
    checked = ydsi.run("verify", "--backup", str(out))
    assert checked.returncode == 0 and "Backup intact" in checked.stdout, checked.stdout
    target = ydsi.tmp / "restored"
    restored = ydsi.run("restore", str(out), vault=target)
    assert restored.returncode == 0 and "Vault intact" in restored.stdout, restored.stderr
    assert ydsi.run("verify", vault=target).returncode == 0
    ydsi.ok("note", ydsi.incident("Newer", "Nia Newer", "--year-group", "8"), stdin="after")
    refused = ydsi.run("restore", str(out))
    one_line_error(refused, 1)
    assert "newer work" in refused.stderr
    damaged = ydsi.tmp / "damaged.tar"
    with tarfile.open(out) as tar:
        record = next(m for m in tar.getmembers() if m.name.startswith("case/"))
    data = bytearray(out.read_bytes())
    data[record.offset_data + 100] ^= 0xFF
    damaged.write_bytes(bytes(data))
    bad = ydsi.run("verify", "--backup", str(damaged), "--json")
    assert bad.returncode == 1 and json.loads(bad.stdout)["ok"] is False


def test_hold_blocks_destruction_until_lifted(ydsi: Ydsi) -> None:
    # 25 years and about 2 weeks ago: due for review, still 25 (a date, not .replace(year=...),
    # which fails on 29 February).
    born = date.today() - timedelta(days=25 * 365 + 6 + 14)
    ref = ydsi.incident("Due for review", "Old Pupil", "--dob", born.strftime("%d/%m/%Y"))
    due = json.loads(ydsi.ok("report", "retention", "--json"))
    assert ref in [row["ref"] for row in due["incidents"] if row["due"]]
    ydsi.ok(
        "hold", "set", ref, "--fields-file", "-",
        stdin="reason: Inquiry moratorium\nauthority: The Inquiry\n",
    )  # fmt: skip
    blocked = ydsi.run("retention", "destroy", ref, "--confirm", ref)
    one_line_error(blocked, 1)
    assert "legal hold" in blocked.stderr
    one_line_error(ydsi.run("retention", "destroy", ref), 2)  # no --confirm, no terminal
    ydsi.ok("hold", "lift", ref, stdin="Inquiry reported")
    one_line_error(ydsi.run("retention", "destroy", ref, "--confirm", ref, user="head"), 8)
    said = ydsi.ok("retention", "destroy", ref, "--confirm", ref)
    assert "Destroyed" in said and "none of its content" in said
    assert ydsi.run("verify").returncode == 0
    assert f"destroyed: {ref}" in ydsi.ok("report", "retention")
    one_line_error(ydsi.run("incident", "show", ref), 4)


def test_transfer_round_trip(ydsi: Ydsi) -> None:
    ref = ydsi.incident("Leaver's incident", "Lee Leaver", "--year-group", "11")
    out = ydsi.tmp / "lee.transfer"
    said = ydsi.ok(
        "transfer", "--output", str(out), "--fields-file", "-",
        stdin="pupil: Lee Leaver\nto-school: Ash Grove\n",
    )  # fmt: skip
    assert ref in said and "by phone" in said
    lines = said.splitlines()
    passphrase = lines[lines.index(next(line for line in lines if "by phone" in line)) + 1]
    transfer_id = said.split("Transfer ", 1)[1].split()[0]
    pending = json.loads(ydsi.ok("transfer", "list", "--json"))
    assert [p["id"] for p in pending if p["id"] == transfer_id] == [transfer_id]
    opened = ydsi.tmp / "received"
    ydsi.ok(
        "transfer", "open", str(out), "--output", str(opened),
        "--transfer-passphrase-file", str(ydsi.secret("transfer", passphrase.strip())),
    )  # fmt: skip
    assert "Lee Leaver" in (opened / "records.md").read_text(encoding="utf-8")
    assert (opened / "records.pdf").read_bytes().startswith(b"%PDF")
    assert json.loads((opened / "records.json").read_text())["transfer_id"] == transfer_id
    wrong = ydsi.run(
        "transfer", "open", str(out), "--output", str(ydsi.tmp / "nope"),
        "--transfer-passphrase-file", str(ydsi.secret("wrong", "wrong passphrase here")),
    )  # fmt: skip
    one_line_error(wrong, 3)
    ydsi.ok("transfer", "receipt", transfer_id, stdin="received_by: Mo Receiver")
    pending = json.loads(ydsi.ok("transfer", "list", "--json"))
    assert transfer_id not in [p["id"] for p in pending]


def test_a_transfer_and_a_subject_access_keep_other_pupils_out(ydsi: Ydsi) -> None:
    """Finding 9: Ava's transfer carried Ben's date of birth and "father violent"; Ben's
    own subject access did not mark that entry for review against the serious-harm
    exemption."""
    ref = ydsi.incident("Ava's image forwarded", "Ava Away", "--dob", "02/01/2011")
    ydsi.ok(
        "pupil", "add", ref, "--text-file", "-", "--part", "received", "--dob", "10/10/2010",
        "--sex", "male", stdin="Ben Remains",
    )  # fmt: skip
    ydsi.ok(
        "parents", ref, "not-informed", "--agreed-with", "csc", "--fields-file", "-",
        stdin="pupil: Ben Remains\nreason: father violent\n",
    )  # fmt: skip
    ydsi.ok("note", ref, "--text-file", "-", stdin="Ava said ben REMAINS sent it on")
    out = ydsi.tmp / "ava.transfer"
    said = ydsi.ok(
        "transfer", "--output", str(out), "--fields-file", "-",
        stdin="pupil: Ava Away\nto-school: Ash Grove\n",
    )  # fmt: skip
    lines = said.splitlines()
    passphrase = lines[lines.index(next(line for line in lines if "by phone" in line)) + 1]
    opened = ydsi.tmp / "ava-received"
    ydsi.ok(
        "transfer", "open", str(out), "--output", str(opened),
        "--transfer-passphrase-file", str(ydsi.secret("ava-transfer", passphrase.strip())),
    )  # fmt: skip
    for name in ("records.md", "records.json"):
        text = (opened / name).read_text(encoding="utf-8").lower()
        for leak in ("ben", "remains", "2010-10-10", "10/10/2010", "father violent"):
            assert leak not in text, (name, leak)
        assert "another pupil" in text and "ava away" in text
    sar_file = ydsi.tmp / "ben-sar.json"
    ydsi.ok(
        "report", "subject-access", "--format", "json", "--output", str(sar_file),
        stdin="Ben Remains",
    )  # fmt: skip
    sar = json.loads(sar_file.read_text(encoding="utf-8"))
    (incident,) = sar["incidents"]
    not_told = next(e for e in incident["entries"] if e["kind"] == "parents.not_informed")
    assert not_told["redact"].startswith("review against the serious-harm exemption")
    assert "ava" not in json.dumps(sar["incidents"]).lower().replace("ava's", "")


def test_audit_reads_lists_who_opened_what_for_the_dsl_only(ydsi: Ydsi) -> None:
    ref = ydsi.incident("Looked at twice", "Rhi Reader", "--year-group", "9")
    ydsi.ok("incident", "show", ref)
    ydsi.ok("incident", "show", ref, user="head")
    shown = json.loads(ydsi.ok("audit", "reads", "--ref", ref, "--json"))
    assert shown["kind"] == "read_audit" and shown["problems"] == []
    assert [(r["user"], r["role"], r["ref"]) for r in shown["reads"]] == [
        ("dsl", "dsl", ref),
        ("head", "headteacher", ref),
    ]
    table = ydsi.ok("audit", "reads", "--ref", ref)
    assert "2 read(s) of" in table and f"incident {ref}" in table and "(Headteacher)" in table
    assert "Rhi Reader" not in table  # who looked, never what they saw
    everything = json.loads(ydsi.ok("audit", "reads", "--json"))
    assert len(everything["reads"]) >= 2
    one_line_error(ydsi.run("audit", "reads", user="head"), 8)
    one_line_error(ydsi.run("audit", "reads", "--ref", "1999-999"), 4)


def test_export_one_pupil_across_incidents(ydsi: Ydsi) -> None:
    first = ydsi.incident("Pia's image shared", "Pia Across", "--dob", "03/03/2011")
    ydsi.ok(
        "pupil", "add", first, "--text-file", "-", "--part", "shared", "--year-group", "10",
        stdin="Oli Other",
    )  # fmt: skip
    second = ydsi.incident("Pia again", "Pia Across", "--dob", "03/03/2011")
    ydsi.ok("note", second, "--text-file", "-", stdin="Oli Other was seen with the phone")
    shown = json.loads(ydsi.ok("incident", "show", first, "--json"))
    pupil_id = next(p["id"] for p in shown["pupils"] if p["name"] == "Pia Across")
    for fmt in ("pdf", "md", "json"):
        out = ydsi.tmp / f"pia.{fmt}"
        said = ydsi.ok("export", "--pupil", pupil_id[:8], "--format", fmt, "--output", str(out))
        assert "across 2 incident(s)" in said and "another pupil" in said
        assert stat.S_IMODE(out.stat().st_mode) == 0o600
    data = json.loads((ydsi.tmp / "pia.json").read_text(encoding="utf-8"))
    assert data["kind"] == "child_chronology" and data["marking"] == "OFFICIAL-SENSITIVE"
    assert [i["ref"] for i in data["incidents"]] == [first, second]
    markdown = (ydsi.tmp / "pia.md").read_text(encoding="utf-8")
    assert "Oli" not in markdown and "another pupil was seen with the phone" in markdown
    reads = json.loads(ydsi.ok("audit", "reads", "--json"))["reads"]
    assert {r["ref"] for r in reads[-2:]} == {first, second}  # each incident opened, audited
    one_line_error(ydsi.run("export", "--format", "md", "--output", "x.md"), 2)
    one_line_error(ydsi.run("export", first, "--pupil", pupil_id, "--format", "md",
                            "--output", "x.md"), 2)  # fmt: skip


def test_export_by_register_id_and_its_read_in_the_audit(ydsi: Ydsi) -> None:
    from ydsi_tui.service.factory import services_for
    from ydsi_tui.service.register import PupilRegister
    from ydsi_tui.vault.vault import Vault

    ref = ydsi.incident("Rae's incident", "Rae Register", "--dob", "04/04/2011")
    session = Vault.open(ydsi.vault).unlock("dsl", PASS)
    try:
        cases = services_for(session).cases
        assert cases is not None
        register = PupilRegister(cases)
        rid = register.add({"name": "Rae Register", "dob": "2011-04-04", "sex": "female"})
        register.link(ref, rid)
    finally:
        session.close()
    out = ydsi.tmp / "rae.json"
    ydsi.ok("export", "--pupil", rid, "--format", "json", "--output", str(out))
    data = json.loads(out.read_text(encoding="utf-8"))
    assert data["pupil"]["register_id"] == rid and [i["ref"] for i in data["incidents"]] == [ref]
    reads = json.loads(ydsi.ok("audit", "reads", "--json"))["reads"]
    assert [(r["record"], r["ref"]) for r in reads[-2:]] == [
        ("pupil record", rid),
        ("incident", ref),
    ]
    one_line_error(ydsi.run("export", "--pupil", "P-000000000000", "--format", "json",
                            "--output", str(ydsi.tmp / "none.json")), 2)  # fmt: skip
