"""The staff-report drop against the people around it, as real Unix accounts (issue 13).

Run as root (CI and this machine are; anywhere else it skips, saying so), it
makes a triage group (the spool's group: DSL and team), a member of staff
who files reports (in no group), a technician (in the vault's group, not the
triage group) and a keyless member of the triage group, and a spool as the
README asks root to make it (``root:triage``, mode 3773). Each attack runs as
that account, with only what that person holds; the vault side (publishing,
receiving, opening, verify) runs with the real sessions of the adversary world.

What must hold: nobody but the case roles reads a report; nobody alters,
removes or forges one unnoticed once it was received; nobody swaps the drop
key (signature and serial); a reporter cannot read back their own.
"""

from __future__ import annotations

import grp
import json
import os
import pwd
import secrets
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.support.adversary import DSL, HEAD, TEAM, TECH, World
from tests.support.system_python import shared_python
from ydsi_tui.service.staff_reports import open_staff_report
from ydsi_tui.vault.drop import DROP_KEY_NAME, DropKey, list_spool, pin_text
from ydsi_tui.vault.drop_inbox import drop_entries
from ydsi_tui.vault.errors import AccessDenied
from ydsi_tui.vault.saving import utc_now
from ydsi_tui.vault.verify import verify_vault

pytestmark = pytest.mark.slow

WORDS = "He told me his uncle photographs him [b]zebra-unique[/b]"


@dataclass
class People:
    base: Path
    triage: str  # the spool's group
    vaultgroup: str  # the vault's group (the technician's)
    reporter: str
    other_reporter: str
    technician: str
    keyless: str  # in the triage group, holding no vault key
    python: Path  # ydsi, runnable by every account

    def uid(self, name: str) -> int:
        return pwd.getpwnam(name).pw_uid


def _sh(*command: str) -> None:
    subprocess.run(command, check=True, capture_output=True)


@pytest.fixture(scope="module")
def people() -> Iterator[People]:
    if os.geteuid() != 0:
        pytest.skip("needs root: it creates Unix accounts and groups (CI runs it as root)")
    if shutil.which("useradd") is None or shutil.which("groupadd") is None:
        pytest.skip("useradd/groupadd are not installed")
    tag = secrets.token_hex(3)
    groups = [f"ydsitri{tag}", f"ydsivg{tag}"]
    names = [f"ydsirep{tag}", f"ydsirp2{tag}", f"ydsitec{tag}", f"ydsikey{tag}"]
    umask = os.umask(0o022)
    base = Path(tempfile.mkdtemp(prefix="ydsidrop", dir="/tmp"))
    made_groups: list[str] = []
    made_users: list[str] = []
    try:
        base.chmod(0o755)
        for group in groups:
            _sh("groupadd", group)
            made_groups.append(group)
        for name in names:
            _sh("useradd", "--no-create-home", "--shell", "/usr/sbin/nologin", name)
            made_users.append(name)
        _sh("usermod", "-aG", groups[1], names[2])  # the technician: the vault's group
        _sh("usermod", "-aG", groups[0], names[3])  # keyless: the triage group
        python, why = shared_python(base / "venv")
        if python is None:
            pytest.skip(why)
        yield People(base, groups[0], groups[1], names[0], names[1], names[2], names[3], python)
    finally:
        for name in made_users:
            subprocess.run(["userdel", name], capture_output=True, check=False)
        for group in made_groups:
            subprocess.run(["groupdel", group], capture_output=True, check=False)
        shutil.rmtree(base, ignore_errors=True)
        os.umask(umask)


@dataclass
class Drop:
    people: People
    world: World
    spool: Path
    pin: Path
    home: dict[str, Path]

    def run_as(
        self, who: str, *args: str, stdin: str = "", extra: list[str] | None = None
    ) -> subprocess.CompletedProcess[str]:
        """Run a command as ``who``, in their own home, with only their own groups."""
        home = self.home[who]
        env = {k: v for k, v in os.environ.items() if not k.startswith(("YDSI_", "XDG_"))}
        env.update(
            HOME=str(home),
            USER=who,
            LOGNAME=who,
            YDSI_DROP_AUTHORITY=str(self.pin),
            YDSI_DROP_SPOOL=str(self.spool),
            YDSI_SYSTEM_CONFIG=str(home / "none.toml"),
            PYTHONDONTWRITEBYTECODE="1",
        )
        gid = pwd.getpwnam(who).pw_gid
        return subprocess.run(
            list(args), capture_output=True, text=True, env=env, cwd=home, input=stdin,
            user=who, group=gid, extra_groups=extra or [], umask=0o022, timeout=120, check=False,
        )  # fmt: skip

    def groups_of(self, who: str) -> list[str]:
        return [g.gr_name for g in grp.getgrall() if who in g.gr_mem]

    def disclose(self, who: str, words: str = WORDS, *more: str) -> dict[str, str]:
        done = self.run_as(
            who, str(self.people.python), "-m", "ydsi_tui", "disclose", "--name", "Ann Tutor",
            "--job-title", "TA", "--json", "--text-file", "-", *more, stdin=words,
            extra=self.groups_of(who),
        )  # fmt: skip
        assert done.returncode == 0, done.stderr
        receipt: dict[str, str] = json.loads(done.stdout)
        return receipt

    def attack(self, who: str, code: str, *args: str) -> str:
        """A few lines of Python as ``who`` (the system Python: only the os module is needed)."""
        done = self.run_as(who, "/usr/bin/python3", "-c", code, *args, extra=self.groups_of(who))
        assert done.returncode == 0, done.stderr
        return done.stdout.strip()


@pytest.fixture
def drop(people: People, world: World) -> Drop:
    case = people.base / secrets.token_hex(4)
    case.mkdir(mode=0o755)
    case.chmod(0o755)
    spool = case / "spool"
    spool.mkdir()
    os.chown(spool, 0, grp.getgrnam(people.triage).gr_gid)
    spool.chmod(0o3773)
    session = world.unlock(DSL)
    key = session.publish_drop_key(spool)
    pin = case / "authority.pub"
    pin.write_text(pin_text(key.vault_id, key.authority[-1].public))
    pin.chmod(0o644)
    homes: dict[str, Path] = {}
    for who in (people.reporter, people.other_reporter, people.technician, people.keyless):
        home = case / who
        home.mkdir(mode=0o700)
        os.chown(home, people.uid(who), pwd.getpwnam(who).pw_gid)
        homes[who] = home
    return Drop(people, world, spool, pin, homes)


_TRY = """
import errno, os, sys
def attempt(what, fn):
    try:
        fn()
        print(what, "OK")
    except OSError as exc:
        print(what, errno.errorcode.get(exc.errno, exc.errno))
"""


def _outcomes(text: str) -> dict[str, str]:
    return dict(line.split(" ", 1) for line in text.splitlines() if " " in line)


def test_a_member_of_staff_files_and_only_the_case_roles_read_it(drop: Drop) -> None:
    receipt = drop.disclose(drop.people.reporter)
    path = drop.spool / f"{receipt['report_id']}.report"
    info = path.stat()
    assert info.st_uid == drop.people.uid(drop.people.reporter)  # the kernel's word
    assert info.st_gid == grp.getgrnam(drop.people.triage).gr_gid  # setgid spool
    assert info.st_mode & 0o777 == 0o440
    team = drop.world.unlock(TEAM)
    received = team.receive_reports(drop.spool)
    assert [r.owner_login for r in received] == [drop.people.reporter]
    assert open_staff_report(team, drop.spool, receipt["report_id"]).words == WORDS
    with pytest.raises(AccessDenied):
        drop.world.unlock(TECH).open_report(drop.spool, receipt["report_id"])


def test_a_reporter_cannot_list_read_back_replace_or_delete(drop: Drop) -> None:
    mine = drop.disclose(drop.people.reporter)
    theirs = drop.disclose(drop.people.other_reporter)
    code = (
        _TRY
        + """
spool, mine, theirs = sys.argv[1:4]
attempt("list", lambda: os.listdir(spool))
attempt("read_theirs", lambda: open(os.path.join(spool, theirs + ".report"), "rb").read())
attempt("delete_theirs", lambda: os.unlink(os.path.join(spool, theirs + ".report")))
attempt("replace_theirs", lambda: os.rename(
    os.path.join(spool, mine + ".report"), os.path.join(spool, theirs + ".report")))
attempt("write_theirs", lambda: open(os.path.join(spool, theirs + ".report"), "ab"))
attempt("replace_key", lambda: os.unlink(os.path.join(spool, "drop-key.json")))
data = open(os.path.join(spool, mine + ".report"), "rb").read()
print("own_plain", "FOUND" if b"zebra-unique" in data else "ABSENT")
"""
    )
    got = _outcomes(
        drop.attack(drop.people.reporter, code, str(drop.spool), mine["report_id"],
                    theirs["report_id"])
    )  # fmt: skip
    assert got["list"] == "EACCES"
    assert got["read_theirs"] == "EACCES"
    assert got["delete_theirs"] in ("EPERM", "EACCES")
    assert got["replace_theirs"] in ("EPERM", "EACCES")
    assert got["write_theirs"] == "EACCES"
    assert got["replace_key"] in ("EPERM", "EACCES")
    assert got["own_plain"] == "ABSENT"  # their own file is ciphertext: no key opens it here
    # ... and ydsi gives them nothing to open it with: the inbox needs a vault user.
    tried = drop.run_as(
        drop.people.reporter, str(drop.people.python), "-m", "ydsi_tui", "inbox", "open",
        mine["report_id"], "--vault", str(drop.world.path), stdin="x\n",
    )  # fmt: skip
    assert tried.returncode != 0 and "zebra" not in tried.stdout + tried.stderr


def test_a_technician_cannot_see_the_spool_and_a_planted_report_names_them(drop: Drop) -> None:
    report = drop.disclose(drop.people.reporter)
    code = (
        _TRY
        + """
spool, rid = sys.argv[1:3]
attempt("list", lambda: os.listdir(spool))
attempt("read", lambda: open(os.path.join(spool, rid + ".report"), "rb").read())
attempt("delete", lambda: os.unlink(os.path.join(spool, rid + ".report")))
"""
    )
    got = _outcomes(drop.attack(drop.people.technician, code, str(drop.spool), report["report_id"]))
    assert got == {"list": "EACCES", "read": "EACCES", "delete": "EPERM"}
    planted = drop.disclose(drop.people.technician, "the DSL did it")
    logins = {r.report_id: r.owner_login for r in list_spool(drop.spool)}
    assert logins[planted["report_id"]] == drop.people.technician  # never the reporter's


def test_a_keyless_triage_member_reads_only_ciphertext_and_changes_nothing(drop: Drop) -> None:
    report = drop.disclose(drop.people.reporter)
    code = (
        _TRY
        + """
spool, rid = sys.argv[1:3]
path = os.path.join(spool, rid + ".report")
attempt("list", lambda: os.listdir(spool))
data = open(path, "rb").read()
print("plain", "FOUND" if b"zebra-unique" in data else "ABSENT")
attempt("delete", lambda: os.unlink(path))
attempt("write", lambda: open(path, "r+b"))
attempt("chmod", lambda: os.chmod(path, 0o666))
copy = os.path.join(spool, "A" * 22 + ".report")
fd = os.open(copy, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o440)
os.write(fd, data)
os.close(fd)
print("copied OK")
"""
    )
    got = _outcomes(drop.attack(drop.people.keyless, code, str(drop.spool), report["report_id"]))
    assert got["list"] == "OK" and got["plain"] == "ABSENT"
    assert got["delete"] == "EPERM" and got["write"] == "EACCES" and got["chmod"] == "EPERM"
    assert got["copied"] == "OK"
    # The copy is theirs, and sealed to another name: it does not open as a report.
    team = drop.world.unlock(TEAM)
    rows = {r.report_id: r for r in team.receive_reports(drop.spool)}
    assert rows["A" * 22].owner_login == drop.people.keyless
    with pytest.raises(Exception, match="does not match its name"):
        open_staff_report(team, drop.spool, "A" * 22)


def test_a_swapped_or_replayed_drop_key_is_refused_by_the_reporter(
    drop: Drop, tmp_path: Path
) -> None:
    drop.disclose(drop.people.reporter)  # the reporter's client remembers this serial
    genuine = (drop.spool / DROP_KEY_NAME).read_bytes()
    # A key of the group member's own making, signed by a vault authority of their own.
    from tests.support.vaults import DSL_PASS, min_kdf
    from ydsi_tui.vault.vault import Vault

    theirs, _code = Vault.create(
        tmp_path / "theirs", user="dsl", passphrase=DSL_PASS, full_name="X", kdf=min_kdf()
    )
    forged = theirs.drop_key().to_bytes()
    theirs.close()
    for planted in (forged,):
        (drop.spool / DROP_KEY_NAME).write_bytes(planted)
        done = drop.run_as(
            drop.people.reporter, str(drop.people.python), "-m", "ydsi_tui", "disclose",
            "--name", "A", "--job-title", "B", "--text-file", "-", stdin=WORDS,
        )  # fmt: skip
        assert done.returncode == 1 and "not signed by this school" in done.stderr
    # A genuine but older key (before a rotation) put back: refused by its serial.
    session = drop.world.unlock(DSL)
    session.rotate(["case"])
    session.publish_drop_key(drop.spool)
    drop.disclose(drop.people.reporter)
    (drop.spool / DROP_KEY_NAME).write_bytes(genuine)
    assert DropKey.from_bytes(genuine).serial < session.vault.header.serial
    done = drop.run_as(
        drop.people.reporter, str(drop.people.python), "-m", "ydsi_tui", "disclose",
        "--name", "A", "--job-title", "B", "--text-file", "-", stdin=WORDS,
    )  # fmt: skip
    assert done.returncode == 1 and "older" in done.stderr


def test_a_report_removed_or_altered_after_receipt_is_found_naming_its_owner(drop: Drop) -> None:
    gone = drop.disclose(drop.people.reporter)
    changed = drop.disclose(drop.people.other_reporter)
    hidden = drop.disclose(drop.people.other_reporter)
    drop.world.unlock(DSL).receive_reports(drop.spool)
    assert verify_vault(drop.world.path, spool=drop.spool).ok
    code = """
import os, sys
spool, gone, changed, hidden = sys.argv[1:5]
if gone:
    os.unlink(os.path.join(spool, gone + ".report"))
if changed:
    path = os.path.join(spool, changed + ".report")
    os.chmod(path, 0o640)
    with open(path, "r+b") as f:
        f.seek(100)
        f.write(b"X")
    os.chmod(path, 0o440)
if hidden:
    os.chmod(os.path.join(spool, hidden + ".report"), 0o200)
"""
    drop.attack(drop.people.reporter, code, str(drop.spool), gone["report_id"], "", "")
    drop.attack(
        drop.people.other_reporter, code, str(drop.spool), "", changed["report_id"],
        hidden["report_id"],
    )  # fmt: skip
    # Anyone's verify finds each; only a case role's names the login (it is sealed).
    keyless = verify_vault(drop.world.path, spool=drop.spool)
    dsl = drop.world.unlock(DSL)
    named = verify_vault(drop.world.path, spool=drop.spool, opener=dsl.vault.audit.sealer)
    for rid, who, what in (
        (gone["report_id"], drop.people.reporter, "missing"),
        (changed["report_id"], drop.people.other_reporter, "altered"),
        (hidden["report_id"], drop.people.other_reporter, "missing"),
    ):
        for report, naming in ((keyless, False), (named, True)):
            found = [p for p in report.problems if rid in p]
            assert len(found) == 1, " | ".join(report.problems)
            assert what in found[0] and (who in found[0]) is naming, found


def test_a_forged_opened_entry_does_not_silence_a_new_report(drop: Drop) -> None:
    report = drop.disclose(drop.people.reporter)
    dsl = drop.world.unlock(DSL)
    dsl.receive_reports(drop.spool)
    # The technician signs, with their own genuine key, "drop.opened" for it.
    tech = drop.world.unlock(TECH)
    with tech.vault.lock():
        tech.vault.audit.append(
            tech.signer, ts=utc_now(), action="drop.opened", comp="drop",
            rec=report["report_id"],
            extra={"report_id": report["report_id"], "digest": report["sha256"]},
        )  # fmt: skip
    vault = tech.vault
    seen = drop_entries(list(vault.audit.entries()), vault.reload_header())
    assert seen[report["report_id"]].opened is False
    assert not drop.world.unlock(HEAD).receive_reports(drop.spool)[0].opened
    problems = verify_vault(drop.world.path, spool=drop.spool).problems
    assert any("may not make this change (drop.opened)" in p for p in problems), problems


def test_a_report_about_staff_opens_for_the_headteacher_alone(drop: Drop) -> None:
    report = drop.disclose(drop.people.reporter, WORDS, "--about-staff")
    for person in (DSL, TEAM):
        session = drop.world.unlock(person)
        row = session.receive_reports(drop.spool)[0]
        assert row.sealed_to_headteacher_only  # the DSL's inbox shows only that one exists
        with pytest.raises(AccessDenied, match="Headteacher only"):
            session.open_report(drop.spool, report["report_id"])
    opened = open_staff_report(drop.world.unlock(HEAD), drop.spool, report["report_id"])
    assert opened.words == WORDS and opened.about_staff


def test_the_log_does_not_tell_a_technician_or_a_thief_who_reported(drop: Drop) -> None:
    """The vault's whole group reads the audit log (technicians too), and every
    backup holds it: its ``drop.received`` entries named each report's filer,
    which told a technician which member of staff had reported a concern, and
    said which reports were sealed to the Headteacher only (about staff)."""
    ordinary = drop.disclose(drop.people.reporter)
    about_staff = drop.disclose(drop.people.other_reporter, "about the caretaker", "--about-staff")
    team = drop.world.unlock(TEAM)
    team.receive_reports(drop.spool)
    log = (drop.world.path / "audit.log").read_bytes()  # the technician's group read
    # Nor that one report is about a member of staff (sealed to the Headteacher only):
    # each receipt holds its id, hash, filing time and the sealed blob, nothing else.
    receipts = [json.loads(line) for line in log.splitlines() if b'"drop.received"' in line]
    assert len(receipts) == 2
    assert all(set(r["extra"]) == {"report_id", "digest", "filed_at", "filer"} for r in receipts)
    assert b'"for":"headteacher"' not in log and b'"for":"triage"' not in log
    for who in (drop.people.reporter, drop.people.other_reporter):
        assert who.encode() not in log, f"{who} is named in the audit log"
        uid = drop.people.uid(who)
        assert f'"owner_uid":{uid}'.encode() not in log
        assert f'"uid":{uid}'.encode() not in log
    # The technician's own tools tell them no more than the bytes do.
    tech = drop.world.unlock(TECH)
    keyless = drop_entries(list(tech.vault.audit.entries()), tech.vault.header)
    assert {r.owner_login for r in keyless.values()} == {""}
    assert {r.owner_uid for r in keyless.values()} == {-1}
    assert {r.sealed_for for r in keyless.values()} == {""}
    # The case roles still see who filed each (the inbox, verify, the taken-in check).
    names = {r.report_id: r.owner_login for r in team.received_reports().values()}
    assert names == {
        ordinary["report_id"]: drop.people.reporter,
        about_staff["report_id"]: drop.people.other_reporter,
    }
    head = drop.world.unlock(HEAD)
    assert {r.owner_login for r in head.received_reports().values()} == set(names.values())
    sealed_for = {r.report_id: r.sealed_for for r in team.received_reports().values()}
    assert sealed_for == {ordinary["report_id"]: "triage", about_staff["report_id"]: "headteacher"}


def test_a_filer_moved_to_another_reports_entry_does_not_open(drop: Drop) -> None:
    """The sealed filer is bound to its report and ciphertext: a team member cannot
    make one report look filed by the other report's filer by copying the blob."""
    first = drop.disclose(drop.people.reporter)
    second = drop.disclose(drop.people.other_reporter)
    dsl = drop.world.unlock(DSL)
    dsl.receive_reports(drop.spool)
    entries = {
        e.extra.get("report_id"): e
        for e in dsl.vault.audit.entries()
        if e.action == "drop.received"
    }
    sealer = dsl.vault.audit.sealer
    assert sealer is not None
    blob = entries[first["report_id"]].extra["filer"]
    digest = entries[second["report_id"]].extra["digest"]
    assert sealer.open_filer(second["report_id"], digest, blob) is None
    own = entries[first["report_id"]].extra
    assert sealer.open_filer(first["report_id"], own["digest"], blob) == (
        drop.people.uid(drop.people.reporter),
        drop.people.reporter,
        "triage",
    )


def test_a_login_the_vault_is_closed_to_is_a_reporter_not_a_member(drop: Drop) -> None:
    """``ydsi`` decides before Textual starts: a login the vault's header names gets the
    unlock screen, any other member of staff only the report form (cli/app_launch.py).
    As root every vault is readable, so only a real account shows the closed case."""
    code = (
        "import sys\n"
        "from ydsi_tui.service.staff_reports import vault_member\n"
        "print(vault_member(sys.argv[1], sys.argv[2]))\n"
    )
    python = str(drop.people.python)
    reporter = drop.people.reporter
    closed = drop.run_as(reporter, python, "-c", code, str(drop.world.path), reporter)
    assert closed.returncode == 0, closed.stderr
    assert closed.stdout.strip() == "False"  # there, but closed to this login
    # Open to them (a copy every login may read) but not naming them: still a reporter.
    shutil.copytree(drop.world.path, drop.people.base / "readable", symlinks=True)
    readable = drop.people.base / "readable"
    for root, dirs, files in os.walk(readable):
        for name in [*dirs, *files]:
            os.chmod(os.path.join(root, name), 0o755 if name in dirs else 0o644)
    readable.chmod(0o755)
    named_not = drop.run_as(reporter, python, "-c", code, str(readable), reporter)
    assert named_not.stdout.strip() == "False", named_not.stderr
    # ... and a login the header names is a member, whoever runs it.
    member = drop.run_as(reporter, python, "-c", code, str(readable), DSL.login)
    assert member.stdout.strip() == "True", member.stderr
    # No vault at all: not for this function to say (the unlock screen says why).
    missing = drop.run_as(reporter, python, "-c", code, str(drop.people.base / "none"), reporter)
    assert missing.stdout.strip() == "None", missing.stderr
