"""A team member as adversary against a report from staff "taken in" (issue 13).

A report taken in from the drop is the incident's first-hand account, and its
time received is the earliest the DSL could have known: the figure a slow
response would like to move. A team member holds the case key, so with a
modified client they can write an entry saying "the DSL took this report in,
received at 08:05", recompute the summary, and append audit entries signed
with their own key. What they cannot do is sign as the DSL. The attacks use
only what the team member holds: their passphrase, the files, the spool.
"""

from __future__ import annotations

import dataclasses
import json
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

from tests.support.adversary import DSL, TEAM, TECH, Checks, World, event_claiming
from tests.support.drop import disclose, make_spool, publish
from ydsi_tui.model import rules
from ydsi_tui.model.folding import fold
from ydsi_tui.model.incident import IncidentMeta
from ydsi_tui.model.policy import bundled_policy
from ydsi_tui.model.timeparse import from_iso, to_iso_utc
from ydsi_tui.service.inbox import Inbox, taken_in_payload
from ydsi_tui.service.records import append_event, read_events, read_meta_doc, write_summary
from ydsi_tui.vault.crypto import b64e
from ydsi_tui.vault.saving import utc_now
from ydsi_tui.vault.session import Session


class _SigningAs:
    """An audit signer that names another user but signs with the attacker's own key."""

    def __init__(self, attacker: Session, actor: str, key_id: str) -> None:
        self._signer = attacker.signer
        self.actor_id = actor
        self.key_id = key_id

    def sign(self, message: bytes) -> bytes:
        return self._signer.sign(message)


def _spool(world: World, base: Path) -> tuple[Path, str]:
    spool = make_spool(base)
    _key, pin = publish(world.unlock(DSL), spool, base)
    receipt = disclose(spool, pin, base / "state", "He sent it to everyone in the group")
    world.unlock(DSL).receive_reports(spool)
    return spool, receipt.report_id


def test_a_team_members_forged_taken_in_counts_for_nothing(world: World, tmp_path: Path) -> None:
    spool, report_id = _spool(world, tmp_path)
    ref = world.incidents[0]
    team = world.unlock(TEAM)
    report = Inbox(world.cases(TEAM), spool).open(report_id)
    received = team.received_reports()[report_id]
    # Claim the report arrived an hour earlier than the drop logged, taken in by the DSL.
    earlier = from_iso(received.received_at) - timedelta(hours=1)
    data = {**taken_in_payload(report, received), "received_at": to_iso_utc(earlier)}
    data["filed_at"] = to_iso_utc(earlier - timedelta(seconds=5))
    forged = event_claiming("staff_report.taken_in", data, DSL)
    with team.transaction("case", ref) as db:
        tables = db.storage.read() or {}
        meta = IncidentMeta.from_doc(read_meta_doc(tables))
        events, _ = read_events(tables)
        append_event(db, forged)
        believed = [*events, dataclasses.replace(forged, verified=True)]
        write_summary(db, rules.summarize(fold(meta, believed), bundled_policy()), "incident")
    # And the triage entries to go with it: one naming the DSL, signed with the team key...
    dsl_id = world.unlock(DSL).user.id
    with team.vault.lock():
        team.vault.audit.append(
            _SigningAs(team, dsl_id, team.signer.key_id),
            ts=utc_now(),
            action="drop.triaged",
            comp="drop",
            rec=report_id,
            extra={"report_id": report_id, "record": team.record_id("case", ref)},
        )
        # ...and one naming the DSL's own key, with a signature the DSL never made.
        dsl_key = world.unlock(DSL).signer.key_id
        team.vault.audit.append(
            _SigningAs(team, dsl_id, dsl_key),
            ts=utc_now(),
            action="drop.triaged",
            comp="drop",
            rec=report_id,
            extra={"report_id": report_id, "record": team.record_id("case", ref)},
        )
    checks = Checks("team", "a report 'taken in by the DSL' with an earlier time received")
    view = world.cases(DSL).open(ref)
    entry = view.incident.events_by_id[forged.id]
    checks.attack("the entry is shown as the team member's", entry.by == TEAM.full_name, entry.by)
    checks.attack("the report does not count", view.incident.staff_reports == ())
    checks.attack(
        "the time received moves nothing",
        view.incident.dsl_knew_at is None or view.incident.dsl_knew_at > earlier,
    )
    checks.attack(
        "the forged entry is named as a problem",
        any("not verified" in problem for problem in view.problems),
        repr(view.problems),
    )
    marks = world.unlock(DSL).triaged_reports()
    checks.attack("no forged triage entry counts", report_id not in marks, repr(marks))
    # The DSL can still take the real report in, and it then counts, as theirs.
    inbox = Inbox(world.cases(DSL), spool)
    inbox.add(inbox.open(report_id), ref)
    view = world.cases(DSL).open(ref)
    [taken] = view.incident.staff_reports
    checks.keep("the DSL's own taking-in counts", taken.taken_in_by == DSL.full_name)
    checks.keep(
        "with the time the drop logged",
        taken.received_at == from_iso(received.received_at),
    )
    checks.finish()


def test_a_keyless_dismissal_does_not_silence_a_report(world: World, tmp_path: Path) -> None:
    """A technician appends "dismissed", validly chained, signed with their own key."""
    spool, report_id = _spool(world, tmp_path)
    tech = world.unlock(TECH)
    with tech.vault.lock():
        tech.vault.audit.append(
            tech.signer,
            ts=utc_now(),
            action="drop.dismissed",
            comp="drop",
            rec=report_id,
            extra={"report_id": report_id, "note": b64e(b"not a sealed note")},
        )
    checks = Checks("technician", "a report 'dismissed' to keep it from the DSL")
    inbox = Inbox(world.cases(DSL), spool)
    checks.attack(
        "the report still waits for the DSL",
        [row.report_id for row in inbox.waiting()] == [report_id],
    )
    checks.finish()


def _misquoted(world: World, tmp_path: Path) -> tuple[Path, str, str]:
    """A team member takes a report in, as themselves, with words of their own."""
    spool, report_id = _spool(world, tmp_path)
    ref = world.incidents[1]
    team = world.unlock(TEAM)
    report = Inbox(world.cases(TEAM), spool).open(report_id)
    received = team.received_reports()[report_id]
    data = {**taken_in_payload(report, received), "words": "Nothing happened, she was joking"}
    world.cases(TEAM).record(
        ref,
        "staff_report.taken_in",
        data,
        at=from_iso(received.received_at),
        via_inbox=True,  # a modified client: the honest one never types the words
    )
    team.mark_taken_in(report_id, ref, received.digest)
    return spool, report_id, ref


def test_a_report_misquoted_when_taken_in_is_named_against_the_spool(
    world: World, tmp_path: Path
) -> None:
    spool, report_id, ref = _misquoted(world, tmp_path)
    checks = Checks("team", "a report taken in with other words than were filed")
    found = Inbox(world.cases(DSL), spool).compare_with_spool(ref)
    checks.attack(
        "the DSL's comparison with the spool names it",
        any(report_id in line and "(words)" in line and TEAM.full_name in line for line in found),
        repr(found),
    )
    honest = Inbox(world.cases(DSL), spool)
    other = disclose(spool, tmp_path / "authority.pub", tmp_path / "state", "As filed")
    honest.add(honest.open(other.report_id), world.incidents[0])
    checks.keep(
        "a report taken in as filed compares clean",
        honest.compare_with_spool(world.incidents[0]) == [],
        repr(honest.compare_with_spool(world.incidents[0])),
    )
    checks.finish()


def test_the_dsls_verify_names_a_misquoted_report(world: World, tmp_path: Path) -> None:
    """``ydsi verify --entries`` runs the comparison: no one has to know to ask for it."""
    spool, report_id, ref = _misquoted(world, tmp_path)
    world.close()
    secret = tmp_path / "pass-dsl"
    secret.write_text(DSL.passphrase + "\n", encoding="utf-8")
    secret.chmod(0o600)
    before = (world.path / "audit.log").read_bytes().count(b"drop.received")
    run = subprocess.run(
        [sys.executable, "-m", "ydsi_tui.cli.main", "verify", "--entries", "--json",
         "--spool", str(spool), "--vault", str(world.path), "--user", DSL.login,
         "--passphrase-file", str(secret)],
        capture_output=True, text=True, stdin=subprocess.DEVNULL, timeout=120, check=False,
    )  # fmt: skip
    checks = Checks("team", "a misquoted report, found by the DSL's routine verify")
    result = json.loads(run.stdout)
    checks.attack(
        "verify --entries fails, naming the incident, the report and the field",
        run.returncode == 1
        and any(
            ref in line and report_id in line and "(words)" in line for line in result["problems"]
        ),
        run.stdout + run.stderr,
    )
    checks.keep(
        "it says how many reports it compared",
        any("compared 1 reports from staff" in note for note in result["notes"]),
        repr(result["notes"]),
    )
    checks.keep(
        "comparing logs no report as received (verify reads the spool, it files nothing)",
        (world.path / "audit.log").read_bytes().count(b"drop.received") == before,
    )
    checks.finish()
