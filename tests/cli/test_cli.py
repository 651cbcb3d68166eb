"""The ``ydsi`` command as a user (or a script) runs it: real processes, real vaults."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.support.vaults import enrolment_code

# Each test runs many ydsi processes, each deriving its user's key.
pytestmark = pytest.mark.slow

PASS = "cli tests passphrase"
KDF = ["--kdf-memory-mib", "64", "--kdf-lanes", "1"]


class Ydsi:
    """Runs ``python -m ydsi_tui.cli.main`` against one vault."""

    def __init__(self, tmp: Path) -> None:
        self.tmp = tmp
        self.vault = tmp / "vault"
        self.files: dict[str, Path] = {}

    def secret(self, name: str, text: str, mode: int = 0o600) -> Path:
        path = self.tmp / f"{name}.secret"
        path.write_text(text + "\n", encoding="utf-8")
        path.chmod(mode)
        return path

    def run(
        self,
        *args: str | bytes,
        user: str = "dsl",
        passphrase: str | None = PASS,
        stdin: str | None = None,
    ) -> subprocess.CompletedProcess[str]:
        """Record content goes on stdin (``stdin=``), never in argv."""
        command: list[str | bytes] = [sys.executable, "-m", "ydsi_tui.cli.main", *args]
        command += ["--vault", str(self.vault), "--user", user]
        if passphrase is not None:
            command += ["--passphrase-file", str(self.secret(f"pass-{user}", passphrase))]
        env = {**os.environ, "HOME": str(self.tmp), "XDG_DATA_HOME": str(self.tmp / "data")}
        if stdin is not None:
            return subprocess.run(
                command, capture_output=True, text=True, env=env, input=stdin, check=False
            )
        return subprocess.run(
            command, capture_output=True, text=True, env=env, stdin=subprocess.DEVNULL, check=False
        )


@pytest.fixture(scope="module")
def ydsi(tmp_path_factory: pytest.TempPathFactory) -> Ydsi:
    tool = Ydsi(tmp_path_factory.mktemp("cli"))
    made = tool.run("init", "--text-file", "-", *KDF, stdin="Dana Lead\n")
    assert made.returncode == 0, made.stderr
    assert "RECOVERY CODE" in made.stdout
    code = next(line.strip() for line in made.stdout.splitlines() if line.count("-") == 7)
    tool.files["recovery"] = tool.secret("recovery", code)
    for name, role in (("head", "headteacher"), ("tech", "technician")):
        new = tool.secret(f"new-{name}", PASS)
        added = tool.run("user", "add", name, "--role", role)
        assert added.returncode == 0, added.stderr
        code = tool.secret(f"code-{name}", enrolment_code(added.stdout))
        enrolled = tool.run(
            "enrol", "--code-file", str(code), "--new-passphrase-file", str(new),
            user=name, passphrase=None,
        )  # fmt: skip
        assert enrolled.returncode == 0, enrolled.stderr
    # The DSL's next unlock endorses both requests.
    # Every test may rely on incident 2026-001 existing, whichever worker runs it.
    first = tool.run("incident", "new", stdin="the first incident")
    assert first.stdout.strip() == "2026-001", first.stderr
    return tool


def no_traceback(result: subprocess.CompletedProcess[str]) -> None:
    assert "Traceback" not in result.stderr
    assert len(result.stderr.strip().splitlines()) <= 1, result.stderr


def test_incident_twins_and_the_json_shape(ydsi: Ydsi) -> None:
    made = ydsi.run(
        "incident", "new", "--text-file", "-", "--disclosed-at", "yesterday 09:00",
        stdin="Image shared [b]x[/b]",
    )  # fmt: skip
    assert made.returncode == 0, made.stderr
    ref = made.stdout.strip()
    assert ref.count("-") == 1 and ref[:4].isdigit()  # the reference alone on stdout
    steps = [
        (("pupil", "add", ref, "--fields-file", "-", "--year-group", "9", "--part", "pictured"),
         "name: Ann [b]Bold[/b]\n"),
        (("note", ref, "--text-file", "-", "--at", "yesterday 09:30"),
         "spoke to \x1b]0;tutor\x07 her tutor\n"),
        *((("trigger", ref, str(n), "no"), "asked both") for n in range(1, 6)),
        (("decide", ref, "in-school", "--text-file", "-"), "no trigger applies"),
    ]  # fmt: skip
    for step, content in steps:
        result = ydsi.run(*step, stdin=content)
        assert result.returncode == 0, (step, result.stderr)
    shown = ydsi.run("incident", "show", ref, "--json")
    assert shown.returncode == 0, shown.stderr
    data = json.loads(shown.stdout)
    for key in ("ref", "status", "referral_required", "referral_reasons", "next_step", "gaps"):
        assert key in data
    assert data["ref"] == ref and data["status"] == "in_school"
    assert data["referral_required"] is False and data["referral_reasons"] == []
    assert data["pupils"][0]["name"] == "Ann [b]Bold[/b]"
    for entry in data["timeline"]:
        assert {"at", "recorded_at", "by", "kind", "text"} <= set(entry)
    notes = [e for e in data["timeline"] if e["kind"] == "note"]
    assert notes[0]["data"]["text"] == "spoke to \x1b]0;tutor\x07 her tutor"
    human = ydsi.run("incident", "show", ref)
    assert "\x1b" not in human.stdout and "\\x1b" in human.stdout
    assert "status: in school" in human.stdout  # words for people; the code stays in JSON
    signed = ydsi.run("signoff", ref, user="head")
    assert signed.returncode == 0, signed.stderr
    after = json.loads(ydsi.run("incident", "show", ref, "--json").stdout)
    assert after["signoffs"][0]["signature_valid"] is True
    listed = json.loads(ydsi.run("incident", "list", "--json").stdout)
    assert ref in [row["ref"] for row in listed]


def test_a_trigger_yes_is_reported_as_referral_required(ydsi: Ydsi) -> None:
    ref = ydsi.run("incident", "new", "--kind", "sextortion", stdin="sextortion").stdout.strip()
    ydsi.run("trigger", ref, "2", "yes", stdin="demands for money")
    data = json.loads(ydsi.run("incident", "show", ref, "--json").stdout)
    assert data["referral_required"] is True
    assert len(data["referral_reasons"]) == 1
    refused = ydsi.run("decide", ref, "in-school", stdin="we will manage")
    assert refused.returncode == 2
    # The bundled policy allows no override: "if none of the above apply".
    assert "none of the triggers" in refused.stderr
    no_traceback(refused)
    # A decision to refer is not the referral: still required, status says so.
    ydsi.run("decide", ref, "refer", "--refer-to", "police", "--text-file", "-", stdin="trigger 2")
    data = json.loads(ydsi.run("incident", "show", ref, "--json").stdout)
    assert data["referral_required"] is True and data["status"] == "referral_decided"


def test_technicians_use_the_custody_log_only(ydsi: Ydsi) -> None:
    seized = ydsi.run(
        "device", "seize", "--incident", "2026-001", "--fields-file", "-", "--powered-off",
        user="tech", stdin="description: black phone\nowner: AN\nlocked-where: cabinet B\n",
    )  # fmt: skip
    assert seized.returncode == 0, seized.stderr
    device = seized.stdout.strip()
    assert device.startswith("D-")
    moved = ydsi.run(
        "device", "move", device, user="tech", stdin='{"to": "safe", "reason": "audit"}'
    )
    assert moved.returncode == 0, moved.stderr
    handed = ydsi.run(
        "device", "handover", device, "--text-file", "-", "--crime-ref", "AB/1", user="tech",
        stdin="PC Example",
    )  # fmt: skip
    assert handed.returncode == 0, handed.stderr
    rows = json.loads(ydsi.run("device", "list", "--json", user="tech").stdout)
    assert rows[0]["status"] == "handed_over"
    denied = ydsi.run("incident", "list", user="tech")
    assert denied.returncode == 8
    no_traceback(denied)


def test_clear_errors_and_exit_codes(ydsi: Ydsi, tmp_path: Path) -> None:
    wrong = ydsi.run("incident", "list", passphrase="not the passphrase at all")
    assert wrong.returncode == 3 and "passphrase not recognised" in wrong.stderr
    no_traceback(wrong)
    missing = Ydsi(tmp_path).run("incident", "list")
    assert missing.returncode == 4 and "no vault" in missing.stderr
    loose = ydsi.secret("loose", PASS, mode=0o644)
    command = [sys.executable, "-m", "ydsi_tui.cli.main", "incident", "list"]
    result = subprocess.run(
        [*command, "--vault", str(ydsi.vault), "--user", "dsl", "--passphrase-file", str(loose)],
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert result.returncode == 2 and "chmod 600" in result.stderr
    unknown = ydsi.run("incident", "list", user="nobody")
    assert unknown.returncode == 4 and "nobody" in unknown.stderr
    bad_time = ydsi.run("note", "2026-001", "--at", "31/02 10:00", stdin="x")
    assert bad_time.returncode == 2
    no_traceback(bad_time)
    future = ydsi.run("note", "2026-001", "--at", "tomorrow 10:00", stdin="x")
    assert future.returncode == 2 and "not happened yet" in future.stderr
    image = ydsi.run("note", "2026-001", stdin="file:///home/dsl/IMG_0001.jpeg")
    assert image.returncode == 2 and "illegal" in image.stderr
    env = {**os.environ}
    raw = subprocess.run(
        [sys.executable, "-m", "ydsi_tui.cli.main", "note", "2026-001", b"bad \xff utf8",
         "--vault", str(ydsi.vault), "--user", "dsl"],
        capture_output=True, text=True, env=env, check=False,
    )  # fmt: skip
    assert raw.returncode == 2 and "UTF-8" in raw.stderr
    no_traceback(raw)


def test_no_passphrase_and_no_terminal_is_a_clear_error(ydsi: Ydsi) -> None:
    result = ydsi.run("incident", "list", passphrase=None)
    assert result.returncode == 2 and "--passphrase-file" in result.stderr


def test_users_recovery_and_passphrase_change(ydsi: Ydsi) -> None:
    listed = json.loads(ydsi.run("user", "list", "--json", passphrase=None).stdout)
    assert {u["name"]: u["role"] for u in listed} == {
        "dsl": "dsl",
        "head": "headteacher",
        "tech": "technician",
    }
    forgotten = ydsi.secret("reset", "a brand new passphrase")
    recovered = ydsi.run(
        "recover", "head", "--recovery-code-file", str(ydsi.files["recovery"]),
        "--new-passphrase-file", str(forgotten), passphrase=None,
    )  # fmt: skip
    assert recovered.returncode == 0, recovered.stderr
    assert ydsi.run("incident", "list", user="head").returncode == 3
    assert (
        ydsi.run("incident", "list", user="head", passphrase="a brand new passphrase").returncode
        == 0
    )
    back = ydsi.secret("back", PASS)
    changed = ydsi.run(
        "user", "passwd", "--new-passphrase-file", str(back), user="head",
        passphrase="a brand new passphrase",
    )  # fmt: skip
    assert changed.returncode == 0, changed.stderr
    assert ydsi.run("incident", "list", user="head").returncode == 0


def test_verify_and_checkpoint(ydsi: Ydsi, tmp_path: Path) -> None:
    intact = ydsi.run("verify", passphrase=None)
    assert intact.returncode == 0, intact.stdout + intact.stderr
    checkpoint = tmp_path / "checkpoint.json"
    made = ydsi.run("checkpoint", "--output", str(checkpoint))
    assert made.returncode == 0, made.stderr
    ydsi.run("note", "2026-001", stdin="one more entry after the checkpoint")
    assert ydsi.run("verify", "--checkpoint", str(checkpoint), passphrase=None).returncode == 0
    victim = next((ydsi.vault / "case").glob("*.ydsr"))
    original = victim.read_bytes()
    victim.write_bytes(original[:-1] + bytes([original[-1] ^ 1]))
    try:
        # Keyless, the case file cannot be checked (its entries are sealed), and it says so.
        keyless = json.loads(ydsi.run("verify", "--json", passphrase=None).stdout)
        assert keyless["sealed_unread"] > 0
        assert any("not checked here" in note for note in keyless["notes"]), keyless
        damaged = ydsi.run("verify", "--entries", "--json")
        assert damaged.returncode == 1
        report = json.loads(damaged.stdout)
        assert report["ok"] is False
        assert any(victim.name in problem for problem in report["problems"])
    finally:
        victim.write_bytes(original)
    assert ydsi.run("verify", passphrase=None).returncode == 0


def test_help_says_what_each_command_does() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "ydsi_tui.cli.main", "--help"],
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert result.returncode == 0
    for command in ("init", "user", "recover", "verify", "incident", "note", "trigger", "device"):
        assert command in result.stdout


def test_enrolment_from_invitation_to_endorsement(tmp_path: Path) -> None:
    tool = Ydsi(tmp_path)
    made = tool.run("init", "--text-file", "-", *KDF, stdin="Dana Lead")
    assert made.returncode == 0, made.stderr
    recovery = next(line.strip() for line in made.stdout.splitlines() if line.count("-") == 7)
    old_way = tool.run(
        "user", "add", "head", "--role", "headteacher",
        "--new-passphrase-file", str(tool.secret("typed-by-dsl", PASS)),
    )  # fmt: skip
    assert old_way.returncode == 2 and "ydsi enrol" in old_way.stderr
    no_traceback(old_way)

    invited = tool.run(
        "user", "add", "head", "--role", "headteacher", "--text-file", "-", stdin="Hana Head"
    )
    assert invited.returncode == 0, invited.stderr
    assert "in person" in invited.stdout and "ydsi enrol" in invited.stdout
    code = enrolment_code(invited.stdout)
    listed = json.loads(tool.run("user", "list", "--json", passphrase=None).stdout)
    head = next(row for row in listed if row["name"] == "head")
    assert head["status"] == "pending enrolment" and head["request"] is None
    early = tool.run("incident", "list", user="head")
    assert early.returncode == 4 and "has not enrolled yet" in early.stderr
    no_traceback(early)

    new = tool.secret("head-own", "the head's own passphrase")
    wrong = tool.run(
        "enrol", "--code-file", str(tool.secret("wrong-code", recovery)),
        "--new-passphrase-file", str(new), user="head", passphrase=None,
    )  # fmt: skip
    assert wrong.returncode == 3 and "enrolment code" in wrong.stderr
    no_traceback(wrong)
    enrolled = tool.run(
        "enrol", "--code-file", str(tool.secret("code", code)),
        "--new-passphrase-file", str(new), user="head", passphrase=None,
    )  # fmt: skip
    assert enrolled.returncode == 0, enrolled.stderr
    again = tool.run(
        "enrol", "--code-file", str(tool.secret("code", code)),
        "--new-passphrase-file", str(new), user="head", passphrase=None,
    )  # fmt: skip
    assert again.returncode == 1 and "already waiting" in again.stderr
    table = tool.run("user", "list", passphrase=None).stdout
    assert "enrol request waiting (will be endorsed)" in table

    dsl = tool.run("incident", "list")  # a DSL's unlock endorses it
    assert dsl.returncode == 0 and "endorsed the new keys of head" in dsl.stderr
    assert tool.run("incident", "list", user="head", passphrase="the head's own passphrase")
    listed = json.loads(tool.run("user", "list", "--json", passphrase=None).stdout)
    head = next(row for row in listed if row["name"] == "head")
    assert head["status"] == "active" and head["key_issued_by"] is None
    replay = tool.run(
        "enrol", "--code-file", str(tool.secret("code", code)),
        "--new-passphrase-file", str(new), user="head", passphrase=None,
    )  # fmt: skip
    assert replay.returncode == 1 and "already enrolled" in replay.stderr

    # A reset by the recovery code: the key is shown as issued, until head re-keys.
    reset = tool.run(
        "recover", "head", "--recovery-code-file", str(tool.secret("recovery", recovery)),
        "--new-passphrase-file", str(tool.secret("reset", "passphrase typed at the safe")),
        passphrase=None,
    )  # fmt: skip
    assert reset.returncode == 0, reset.stderr
    assert "passwd --new-keys" in reset.stdout
    assert "key issued by the recovery code" in tool.run("user", "list", passphrase=None).stdout
    rekey = tool.run(
        "user", "passwd", "--new-keys", "--new-passphrase-file", str(new),
        user="head", passphrase="passphrase typed at the safe",
    )  # fmt: skip
    assert rekey.returncode == 0 and "DSL's next unlock" in rekey.stdout, rekey.stderr
    still = tool.run("incident", "list", user="head", passphrase="passphrase typed at the safe")
    assert still.returncode == 0, still.stderr  # old keys work until endorsed
    endorsed = tool.run("user", "endorse")
    assert endorsed.returncode == 0 and "Endorsed the new keys of head" in endorsed.stdout
    assert "issued" not in tool.run("user", "list", passphrase=None).stdout
    renewed = tool.run("incident", "list", user="head", passphrase="the head's own passphrase")
    assert renewed.returncode == 0, renewed.stderr

    # A DSL re-keys and endorses their own request in the same command.
    own = tool.secret("dsl-own", "the dsl's renewed passphrase")
    mine = tool.run("user", "passwd", "--new-keys", "--new-passphrase-file", str(own))
    assert mine.returncode == 0 and "endorsed" in mine.stdout, mine.stderr
    assert tool.run("verify", passphrase=None).returncode == 0


def test_a_forged_request_is_refused_and_shown(tmp_path: Path) -> None:
    tool = Ydsi(tmp_path)
    assert tool.run("init", *KDF).returncode == 0
    assert tool.run("user", "add", "ann", "--role", "team").returncode == 0
    header = json.loads((tool.vault / "vault.json").read_text(encoding="utf-8"))
    ann_id = next(u["id"] for u in header["body"]["users"] if u["name"] == "ann")
    (tool.vault / "requests").mkdir(mode=0o700, exist_ok=True)
    (tool.vault / "requests" / f"{ann_id}.json").write_text('{"format": "x"}', encoding="utf-8")
    refused = tool.run("user", "endorse")
    assert refused.returncode == 1 and "REFUSED: request of ann" in refused.stdout
    warned = tool.run("incident", "list")
    assert warned.returncode == 0 and "request of ann" in warned.stderr
    listed = json.loads(tool.run("user", "list", "--json", passphrase=None).stdout)
    ann = next(row for row in listed if row["name"] == "ann")
    assert ann["status"] == "pending enrolment" and "refused" in ann["request"]
    dropped = tool.run("user", "endorse", "--discard", "ann")
    assert dropped.returncode == 0 and "Discarded" in dropped.stdout
    assert tool.run("user", "endorse").stdout.strip() == "No requests are waiting."
    cancelled = tool.run("user", "remove", "ann")
    assert cancelled.returncode == 0 and "Cancelled the enrolment" in cancelled.stdout
