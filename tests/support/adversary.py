"""The adversary suite's world, and what an attacker can do with their own keys.

One shared vault as a school runs it: a DSL ("Dee Ess-Ell"), a Headteacher
("Sam Head"), a safeguarding team member ("Tam Member") and an IT technician
("Jo Tech"); two incidents with a pupil and notes each; one seized device with
a custody chain. Each attack in ``tests/adversary/`` acts as one of these
people, holding only their own passphrase (so only the keys their role is
sealed) and the vault group's plain file access: read, write, rename or keep
a copy of any file in the vault directory. Attacks go through the project's
public modules (``Vault``, ``Session``, ``CaseBook``, ``DeviceLog``,
``recordfile``, ``AuditLog``) or plain file operations; nothing here calls a
private helper a real attacker could not.

The harness (not the attacker) reads the ground truth with a DSL's session:
which file holds which record, and what every record held before the attack,
so that each test can assert both halves: the attack is refused, and nothing
acknowledged that ydsi still holds is lost.

Run as ``python -m tests.support.adversary``: one honest writer process for
the lock test (see :func:`writer_main`).
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import partial
from pathlib import Path
from typing import Any

from tinydb import TinyDB
from tinydb.storages import MemoryStorage

from tests.support import vaults as vaults_module
from tests.support.vaults import DSL_PASS, HEAD_PASS, TEAM_PASS, TECH_PASS, min_kdf
from ydsi_tui.model import rules
from ydsi_tui.model.events import Event, make_event, new_id
from ydsi_tui.model.folding import fold
from ydsi_tui.model.incident import IncidentMeta, new_incident_meta
from ydsi_tui.model.policy import bundled_policy
from ydsi_tui.service.casebook import CaseBook
from ydsi_tui.service.clock import FixedClock, SystemClock
from ydsi_tui.service.devices import DeviceLog
from ydsi_tui.service.factory import Services, services_for
from ydsi_tui.service.policies import approve_policy_file
from ydsi_tui.service.records import append_event, read_events, read_meta_doc, write_summary
from ydsi_tui.vault.chain import chain_state
from ydsi_tui.vault.crypto import sha256_hex
from ydsi_tui.vault.errors import DamagedFile, NotSaved, VaultBusy, VaultError
from ydsi_tui.vault.recordfile import RECORD_SUFFIX, encode, peek
from ydsi_tui.vault.session import Session
from ydsi_tui.vault.vault import Vault
from ydsi_tui.vault.verify import VerifyReport, verify_vault

__all__ = [
    "DSL",
    "HEAD",
    "PEOPLE",
    "PUPILS",
    "TEAM",
    "TECH",
    "Checks",
    "Person",
    "World",
    "build_world",
    "enrol",
    "enrolment_helper",
    "forge_incident_tables",
    "incident_files_in_creation_order",
    "rewrite_events",
]


@dataclass(frozen=True)
class Person:
    """A member of staff: login, role, the name entries carry, and their passphrase."""

    login: str
    role: str
    full_name: str
    passphrase: str


DSL = Person("dsl", "dsl", "Dee Ess-Ell", DSL_PASS)
HEAD = Person("head", "headteacher", "Sam Head", HEAD_PASS)
TEAM = Person("team", "team", "Tam Member", TEAM_PASS)
TECH = Person("tech", "technician", "Jo Tech", TECH_PASS)
PEOPLE = (DSL, HEAD, TEAM, TECH)

#: Pupil names in the world's records: a stolen backup must not contain them.
PUPILS = ("Ava Example", "Cara Third")
#: The DSL's note the Headteacher would like gone (the review's H2 reproduction).
CRITICAL_NOTE = "Headteacher told me not to refer to the police; I disagree"
FORGED_SUMMARY = "Misunderstanding: no image was ever shared"


def enrolment_helper() -> str:
    """Which way staff join in this checkout: the enrolment helper once it lands."""
    return "enrol_user" if hasattr(vaults_module, "enrol_user") else "add_user"


def enrol(
    dsl: Session, path: Path, name: str, role: str, passphrase: str, *, full_name: str = ""
) -> None:
    """Add a member of staff the way the project does it now.

    With enrolment (issue 9: keys their owners made) the new user generates
    their own keys and only then do their sign-offs count; until
    ``tests.support.vaults.enrol_user`` lands, ``add_user`` is all there is.
    """
    helper = getattr(vaults_module, "enrol_user", None)
    if helper is not None:
        helper(dsl, path, name, role, passphrase, full_name=full_name)
    else:
        dsl.add_user(name, role, passphrase, full_name=full_name, kdf=min_kdf())


@dataclass(frozen=True)
class Genuine:
    """What one record held, as its honest readers saw it (the harness's ground truth)."""

    ref: str
    entries: tuple[tuple[str, str, str, str], ...]  # (id, kind, by, by_role)
    summary: str


@dataclass
class World:
    """The shared vault and the people in it."""

    path: Path
    clock: FixedClock
    incidents: tuple[str, ...]
    device: str
    opened: list[Session] = field(default_factory=list)
    cached: dict[str, Session] = field(default_factory=dict)

    # -- people ---------------------------------------------------------
    def unlock(self, person: Person, *, fresh: bool = False) -> Session:
        """That person's session: one per person, as a long-running app keeps it.

        ``fresh`` opens the vault and unlocks again (a new program start).
        """
        cached = self.cached.get(person.login)
        if cached is not None and not cached.closed and not fresh:
            return cached
        session = Vault.open(self.path).unlock(person.login, person.passphrase)
        self.opened.append(session)
        self.cached[person.login] = session
        return session

    def services(self, person: Person) -> Services:
        return services_for(self.unlock(person), clock=self.clock)

    def cases(self, person: Person) -> CaseBook:
        book = self.services(person).cases
        assert book is not None, f"{person.role} holds no case key"
        return book

    def devices(self, person: Person) -> DeviceLog:
        return self.services(person).devices

    def verify(self) -> VerifyReport:
        """The DSL's ``ydsi verify --entries``: every file, case files against the opened log.

        A keyless ``verify_vault`` (anyone in the group) checks every entry's
        chain, signature and signer's role, but leaves the case files to a
        case role, since the entries they are checked against are sealed.
        """
        return verify_vault(self.path, opener=self.unlock(DSL).vault.audit.sealer)

    def close(self) -> None:
        for session in self.opened:
            session.close()
        self.opened.clear()
        self.cached.clear()

    # -- the harness's ground truth (a DSL's view) ------------------------
    def file(self, compartment: str, ref: str) -> Path:
        """The file holding a record (needs the index key: the harness asks a DSL)."""
        session = self.unlock(DSL)
        return self.path / compartment / f"{session.record_id(compartment, ref)}{RECORD_SUFFIX}"

    def relpath(self, compartment: str, ref: str) -> str:
        return self.file(compartment, ref).relative_to(self.path).as_posix()

    def genuine(self, only: tuple[str, ...] | None = None) -> dict[str, Genuine]:
        """Every record's entries, read by a fresh DSL session (reads not audited)."""
        services = self.services(DSL)
        assert services.cases is not None
        wanted = only if only is not None else (*self.incidents, self.device)
        out: dict[str, Genuine] = {}
        for ref in self.incidents:
            if ref not in wanted:
                continue
            view = services.cases.open(ref, log=False)
            out[ref] = Genuine(
                ref,
                tuple(
                    (t.event.id, t.event.kind, t.event.by, t.event.by_role)
                    for t in view.incident.timeline
                ),
                view.incident.summary,
            )
        if self.device not in wanted:
            return out
        device = services.devices.open(self.device, log=False)
        out[self.device] = Genuine(
            self.device,
            tuple(
                (t.event.id, t.event.kind, t.event.by, t.event.by_role) for t in device.device.chain
            ),
            device.device.description,
        )
        return out


class Checks:
    """What one attack tried and what came of it, printed for ``pytest -s``.

    Every refusal expected of the vault is one ``attack`` line; every piece of
    genuine data that must survive is one ``kept`` line. The test fails at
    :meth:`finish` listing every line that did not hold, so a failure on a
    vault without the defence says exactly which read showed the forgery.
    """

    def __init__(self, role: str, what: str) -> None:
        self.role = role
        self.what = what
        self.attacks: list[tuple[str, bool, str]] = []
        self.kept: list[tuple[str, bool, str]] = []

    # -- the attack half ---------------------------------------------------
    def refused(
        self,
        label: str,
        call: Callable[[], object],
        *,
        damaged: bool = True,
        contains: str | None = "DAMAGED",
    ) -> str:
        """``call`` must raise: DamagedFile (with ``contains``) when ``damaged``, else any
        VaultError. Returns the message (or what was shown instead)."""
        try:
            shown = call()
        except DamagedFile as exc:
            message = str(exc)
            ok = contains is None or contains in message
            self.attacks.append((label, ok, message))
            return message
        except VaultError as exc:
            message = f"{type(exc).__name__}: {exc}"
            self.attacks.append((label, not damaged, message))
            return message
        self.attacks.append((label, False, f"accepted: {_short(shown)}"))
        return ""

    def attack(self, label: str, refused: bool, detail: str = "") -> None:
        self.attacks.append((label, refused, detail))

    # -- the data half -----------------------------------------------------
    def keep(self, label: str, ok: bool, detail: str = "") -> None:
        self.kept.append((label, ok, detail))

    def same(self, label: str, found: object, expected: object) -> None:
        self.keep(label, found == expected, f"found {_short(found)}")

    def finish(self) -> None:
        refused = sum(1 for _, ok, _ in self.attacks if ok)
        kept = sum(1 for _, ok, _ in self.kept if ok)
        print(
            f"\n{self.role}: {self.what}: {len(self.attacks)} attacks, {refused} refused; "
            f"{len(self.kept)} checks of genuine data, {kept} held"
        )
        for label, ok, detail in [*self.attacks, *self.kept]:
            print(f"  {'ok ' if ok else 'NO '} {label}: {_short(detail, 160)}")
        failed = [
            f"{label}: {_short(detail, 300)}"
            for label, ok, detail in [*self.attacks, *self.kept]
            if not ok
        ]
        assert not failed, "\n".join(failed)


def _short(value: object, limit: int = 120) -> str:
    text = repr(value) if not isinstance(value, str) else value
    return text if len(text) <= limit else text[: limit - 3] + "..."


def expect_unvouched(
    world: World,
    checks: Checks,
    compartment: str,
    ref: str,
    *,
    forged: str | None = None,
) -> None:
    """A record file the log does not vouch for: refused at every read and save.

    Every reader that holds the key refuses it with DamagedFile saying
    DAMAGED; the list shows a "damaged" row (never the forged summary); a
    save on top is refused and leaves the file as it was; verify names it.
    """
    target = world.file(compartment, ref)
    before = target.read_bytes()
    if compartment == "case":
        for person in (DSL, HEAD, TEAM):
            book = world.cases(person)
            checks.refused(f"{person.role} CaseBook.open({ref})", partial(book.open, ref))
        session = world.unlock(DSL)
        checks.refused(f"dsl Session.read(case, {ref})", lambda: session.read("case", ref))
        rows = world.cases(DSL).rows()
        damaged = [r for r in rows if r.status == "damaged"]
        shown = [r for r in rows if r.ref == ref and r.status != "damaged"]
        checks.attack(
            f"CaseBook.rows() lists {ref} as damaged",
            bool(damaged) and not shown,
            f"rows: {[(r.ref, r.status, r.summary) for r in rows]}",
        )
        if forged is not None:
            leaked = [r.ref for r in rows if forged in r.summary]
            checks.attack("the forged summary is never listed", not leaked, f"shown in {leaked}")
        book = world.cases(DSL)
        checks.refused(
            f"dsl CaseBook.note({ref}) on top",
            lambda: book.note(ref, "Phoned parents"),
            damaged=False,
        )
    else:
        for person in (DSL, TECH):
            log = world.devices(person)
            checks.refused(f"{person.role} DeviceLog.open({ref})", partial(log.open, ref))
        device_rows = world.devices(DSL).rows()
        checks.attack(
            f"DeviceLog.rows() lists {ref} as damaged",
            any(r.status == "damaged" for r in device_rows)
            and not any(r.ref == ref and r.status != "damaged" for r in device_rows),
            f"rows: {[(r.ref, r.status, r.description) for r in device_rows]}",
        )
        log = world.devices(DSL)
        checks.refused(
            f"dsl DeviceLog.record({ref}) on top",
            lambda: log.record(ref, "device.note", {"text": "Checked the bag"}),
            damaged=False,
        )
    checks.attack("the save on top left the file as it was", target.read_bytes() == before)
    expect_verify_names(world, checks, target.relative_to(world.path).as_posix())


def expect_verify_names(world: World, checks: Checks, relpath: str) -> None:
    """A DSL's ``verify --entries`` names the file (case entries open only to a case key)."""
    report = world.verify()
    checks.attack(
        f"verify is not ok and names {relpath}",
        not report.ok and any(relpath in p for p in report.problems),
        "; ".join(report.problems) or "verify: ok",
    )


def expect_intact(
    world: World, checks: Checks, before: dict[str, Genuine], *, lost: tuple[str, ...] = ()
) -> None:
    """Every record not attacked still reads exactly as before, entry for entry."""
    wanted = tuple(ref for ref in before if ref not in lost)
    try:
        after = world.genuine(wanted)
    except VaultError as exc:
        checks.keep(f"genuine records {', '.join(wanted)} still read", False, str(exc))
        return
    for ref in wanted:
        checks.same(
            f"{ref} reads as before ({len(before[ref].entries)} entries)",
            after.get(ref),
            before[ref],
        )


def build_world(path: Path, clock: FixedClock) -> World:
    """A shared vault with four staff, two incidents and one device, built as the app does."""
    dsl, _code = Vault.create(
        path,
        user=DSL.login,
        passphrase=DSL.passphrase,
        full_name=DSL.full_name,
        kdf=min_kdf(),
        shared=True,
    )
    approve_policy_file(dsl)
    for person in (HEAD, TEAM, TECH):
        enrol(dsl, path, person.login, person.role, person.passphrase, full_name=person.full_name)
    dsl.close()
    world = World(path, clock, ("", ""), "")
    book = world.cases(DSL)
    first = book.create("Nude image shared between two Year 10 pupils")
    _pupil(book, first, PUPILS[0])
    book.note(first, "Ava disclosed to her form tutor; image not viewed by staff")
    book.note(first, CRITICAL_NOTE)
    second = book.create("Image sent to an older pupil")
    _pupil(book, second, PUPILS[1])
    book.note(second, "Parents of Cara informed by phone")
    devices = world.devices(DSL)
    device = devices.seize(
        first,
        {
            "description": "black phone in a green case",
            "owner": "AE",
            "seized_by": DSL.full_name,
            "powered_off": True,
            "locked_where": "safe in the DSL's office",
        },
    )
    devices.record(
        device,
        "device.accessed",
        {"by": TECH.full_name, "reason": "Technician opened the phone's photo gallery"},
    )
    devices.record(device, "device.note", {"text": "Sealed in an evidence bag"})
    world.incidents = (first, second)
    world.device = device
    world.close()
    return world


def _pupil(book: CaseBook, ref: str, name: str) -> None:
    book.record(
        ref,
        "pupil.added",
        {
            "pupil_id": new_id(),
            "name": name,
            "sex": "female",
            "parts": ["pictured"],
            "sen": False,
            "vulnerabilities": "",
            "year_group": 10,
        },
    )


def now() -> datetime:
    return datetime.now(UTC).replace(microsecond=0)


# ----------------------------------------------------------------------
# what attackers do
# ----------------------------------------------------------------------
def incident_files_in_creation_order(path: Path) -> list[str]:
    """Incident record ids, the first incident's first, from what a group member can see.

    The audit log no longer tells (its case entries are sealed: review M2), so
    a technician without a case group of its own goes by the files of
    ``case/``: the stored policy is by far the largest, the ``__refs__`` index
    the smallest, and the rest are incidents, the longest story largest (the
    world's first incident has the most entries). Sizes in buckets are among
    what SECURITY.md says a technician can still learn.
    """
    folder = path / "case"
    sizes = {
        name[: -len(RECORD_SUFFIX)]: (folder / name).stat().st_size
        for name in os.listdir(folder)
        if name.endswith(RECORD_SUFFIX)
    }
    by_size = sorted(sizes, key=lambda rec: sizes[rec], reverse=True)
    return by_size[1:-1]


def forge_incident_tables(
    ref: str, *, summary: str = FORGED_SUMMARY, by: str = DSL.full_name
) -> tuple[dict[str, Any], dict[str, Any]]:
    """(summary segment, body) of a made-up incident whose entries claim to be the DSL's."""
    policy = bundled_policy()
    moment = now()
    meta = new_incident_meta(ref, policy, now=moment, by=by)
    opened = make_event(
        "incident.opened",
        {"summary": summary, "kind": "peer_sharing"},
        at=moment,
        now=moment,
        by=by,
        by_role="dsl",
        policy=policy,
    )
    note = make_event(
        "note",
        {"text": "Pupil withdrew the allegation. No further action."},
        at=moment,
        now=moment,
        by=by,
        by_role="dsl",
        policy=policy,
    )
    state = rules.summarize(fold(meta, [opened, note]), policy)
    body = {"meta": {"1": meta.to_doc()}, "events": {"1": opened.to_doc(), "2": note.to_doc()}}
    return {"1": {**state, "type": "incident"}}, body


def encode_over(
    session: Session,
    target: Path,
    *,
    key_compartment: str,
    summary: dict[str, Any],
    body: dict[str, Any],
    generation: int | None = None,
) -> bytes:
    """A record file for ``target``'s name and compartment, under a key the attacker holds.

    The generation goes one past the file it replaces (readable without a
    key), so that nothing about it looks older than what it replaces.
    """
    if generation is None:
        generation = peek(target.read_bytes(), str(target)).generation + 1 if target.exists() else 1
    key_name, key = session.current_key(key_compartment)
    return encode(
        vault_id=session.vault.header.vault_id,
        compartment=target.parent.name,
        record_id=target.name[: -len(RECORD_SUFFIX)],
        key_name=key_name,
        data_key=key,
        generation=generation,
        summary=summary,
        body=body,
    )


def plain_write(path: Path, data: bytes) -> None:
    """Put bytes at ``path`` as a group member would: a new file renamed over the old."""
    tmp = path.with_name(f"{path.name}.adv")
    tmp.write_bytes(data)
    os.chmod(tmp, 0o660)
    os.replace(tmp, path)


REWRITES = ("delete", "edit", "reorder", "reattribute", "cut")


def rewrite_events(
    db: TinyDB, how: str, *, target: str | None = None, by: str = "", by_role: str = ""
) -> str:
    """Rewrite a record's stored history inside the attacker's own transaction.

    ``target`` picks the first entry whose JSON contains it (default: the
    first entry not of kind ``*opened``/``device.seized``). Returns a line
    saying what was done, for the test's output.

    - ``delete``: remove that entry;
    - ``edit``: change its text (or its reason);
    - ``reorder``: swap it with the entry before it;
    - ``reattribute``: make it claim another author (``by``/``by_role``);
    - ``cut``: keep only the entries before it (a valid but shorter prefix).
    """
    table = db.table("events", cache_size=0)
    docs = {doc.doc_id: dict(doc) for doc in table.all()}
    ids = sorted(docs)
    chosen = next(
        (
            i
            for i in ids
            if (target is None and not str(docs[i]["kind"]).endswith(("opened", "seized")))
            or (target is not None and target in json.dumps(docs[i]))
        ),
        None,
    )
    assert chosen is not None, f"no entry matching {target!r} to rewrite"
    doc = docs[chosen]
    if how == "delete":
        table.remove(doc_ids=[chosen])
    elif how == "edit":
        data = dict(doc["data"])
        field_name = "text" if "text" in data else "reason"
        data[field_name] = "Nothing of note."
        table.update({"data": data}, doc_ids=[chosen])
    elif how == "reorder":
        before = ids[ids.index(chosen) - 1]
        table.update(docs[before], doc_ids=[chosen])
        table.update(doc, doc_ids=[before])
    elif how == "reattribute":
        table.update({"by": by, "by_role": by_role}, doc_ids=[chosen])
    elif how == "cut":
        table.remove(doc_ids=[i for i in ids if i >= chosen])
    else:
        raise ValueError(how)
    return f"{how} of a {doc['kind']} entry by {doc['by']}"


def event_claiming(
    kind: str, data: dict[str, Any], person: Person, at: datetime | None = None
) -> Event:
    """An entry that says ``person`` wrote it (whoever saves it), at ``at`` or now.

    A test that compares the planted entry's place with entries the world's fixed
    clock dates passes ``at`` from that clock: a forger picks any time, and a real
    one beside a fixed one sorts by how long ago the world was made.
    """
    moment = now() if at is None else at
    return make_event(
        kind,
        data,
        at=moment,
        now=moment,
        by=person.full_name,
        by_role=person.role,
        policy=bundled_policy(),
    )


def rename_over(path: Path, stop: Any, counter: dict[str, int]) -> None:
    """A group member renaming fresh files over ``path`` until ``stop`` is set."""
    n = 0
    while not stop.is_set():
        tmp = path.with_name(f".adv-lock-{n}")
        fd = os.open(tmp, os.O_CREAT | os.O_WRONLY | os.O_TRUNC, 0o660)
        os.close(fd)
        os.replace(tmp, path)
        n += 1
    counter["renames"] = n


def iter_tar_bytes(path: Path, chunk: int = 1 << 20) -> Iterator[bytes]:
    with open(path, "rb") as stream:
        while block := stream.read(chunk):
            yield block


# ----------------------------------------------------------------------
# sign-offs and history: what any holder of the case key can write
# ----------------------------------------------------------------------
IN_SCHOOL = {"outcome": "in_school", "reason": "No trigger applies; handled in school"}


def decide_in_school(world: World, ref: str) -> Event:
    """The DSL answers every trigger no and decides to respond in school.

    The decision then waits for the Headteacher, who may sign it off only
    once each trigger is answered ("if none of the above apply").
    """
    cases = world.cases(DSL)
    for n in range(1, 6):
        cases.record(ref, "trigger.answered", {"n": n, "answer": "no", "basis": "asked both"})
    return cases.record(ref, "decision", IN_SCHOOL)


def forge_signoff(session: Session, ref: str, *, signature: str) -> Event:
    """A sign-off "by Sam Head" written with the forger's own case key.

    ``signature`` is ``"zero"`` (64 zero bytes under the Headteacher's key id)
    or ``"own-key"`` (a real Ed25519 signature by the forger's own key). The
    summary is recomputed by the forger's client too, so the list would say
    "signed off" if the vault believed the entry.
    """
    with session.transaction("case", ref) as db:
        tables = db.storage.read() or {}
        meta = IncidentMeta.from_doc(read_meta_doc(tables))
        events, _ = read_events(tables)
        incident = fold(meta, events)
        decision = incident.current_decision
        assert decision is not None
        moment = now()
        statement = "I agree this can be handled in school."
        payload = rules.signoff_payload(
            meta,
            incident.events_by_id[decision.event_id],
            signer=HEAD.full_name,
            signed_at=moment,
            statement=statement,
        )
        if signature == "zero":
            head = session.vault.header.user_by_name(HEAD.login)
            assert head is not None
            key_id, raw = head.sign_keys[-1].key_id, bytes(64)
        else:
            key_id, raw = session.sign(payload)
        event = make_event(
            "signoff",
            {
                "decision_id": decision.event_id,
                "statement": statement,
                "signature": base64.b64encode(raw).decode("ascii"),
                "key_id": key_id,
                "payload_sha256": hashlib.sha256(payload).hexdigest(),
            },
            at=moment,
            now=moment,
            by=HEAD.full_name,
            by_role="headteacher",
            policy=bundled_policy(),
        )
        append_event(db, event)
        write_summary(
            db, rules.summarize(fold(meta, [*events, event]), bundled_policy()), "incident"
        )
    return event


def expect_signoff_not_counted(world: World, checks: Checks, ref: str, event_id: str) -> None:
    """A sign-off that does not verify counts for nothing, everywhere, and says so."""
    view = world.cases(DSL).open(ref)
    checks.attack("rules.signoff_needed stays True", rules.signoff_needed(view.incident))
    check = view.signoffs.get(event_id)
    checks.attack("the sign-off is not valid", check is not None and not check.valid, repr(check))
    checks.attack(
        "it says NOT VERIFIED",
        check is not None and "NOT VERIFIED" in check.reason,
        check.reason if check is not None else "no check",
    )
    world.cases(DSL).note(ref, "Checked in with the pupil's form tutor")
    row = next((r for r in world.cases(DSL).rows() if r.ref == ref), None)
    checks.attack(
        "the list still says sign-off needed after the DSL's next note",
        row is not None and row.signoff_needed,
        repr(row),
    )


@contextmanager
def own_client(session: Session, compartment: str, ref: str) -> Iterator[TinyDB]:
    """A save made by the attacker's own program instead of ydsi's.

    ydsi's storage refuses to save a changed or removed entry, but nothing
    stops a key holder from writing their own client: read the record, change
    it in memory, encrypt it under the key they hold, and save it through the
    vault's ordinary, audited protocol with an audit entry they sign
    themselves, naming the history chain of what they wrote. Only public
    pieces are used: ``Session.read``, ``recordfile.encode``,
    ``chain.chain_state`` and ``Vault.commit_file``.
    """
    snapshot = session.read(compartment, ref, log=False)
    db = TinyDB(storage=MemoryStorage)
    db.storage.write({k: dict(v) for k, v in snapshot.tables.items()})
    yield db
    tables = db.storage.read() or {}
    summary = tables.get("_summary", {})
    body = {k: v for k, v in tables.items() if k != "_summary"}
    record_id = session.record_id(compartment, ref)
    path = session.vault.path / compartment / f"{record_id}{RECORD_SUFFIX}"
    key_name, key = session.current_key(compartment)
    vault_id = session.vault.header.vault_id
    blob = encode(
        vault_id=vault_id,
        compartment=compartment,
        record_id=record_id,
        key_name=key_name,
        data_key=key,
        generation=snapshot.generation + 1,
        summary=summary,
        body=body,
    )
    chain = chain_state(vault_id, compartment, record_id, body)
    with session.vault.lock():
        session.vault.commit_file(
            session.signer,
            comp=compartment,
            rec=record_id,
            path=path,
            data=blob,
            previous=path.read_bytes(),
            action="record.write",
            extra={"gen": snapshot.generation + 1, "chain": chain.to_doc()},
        )


def honest_client_refuses(session: Session, compartment: str, ref: str, how: str) -> bool:
    """ydsi's own storage will not save a rewritten history (it would be refused by all)."""
    try:
        with session.transaction(compartment, ref) as db:
            rewrite_events(db, how, target=None)
    except NotSaved as exc:
        return "cannot be changed or removed" in str(exc)
    return False


def rewrite_case_history(world: World, attacker: Person, ref: str, how: str) -> Checks:
    """``attacker`` rewrites ``ref``'s entries with their own client and an audited save."""
    session = world.unlock(attacker)
    refused_by_ydsi = honest_client_refuses(session, "case", ref, how)
    with own_client(session, "case", ref) as db:
        target = "Ava disclosed" if how == "cut" else CRITICAL_NOTE  # cut: a shorter prefix
        done = rewrite_events(db, how, target=target, by=HEAD.full_name, by_role=HEAD.role)
    checks = Checks(attacker.role, f"{ref} history rewritten: {done}")
    checks.attack("ydsi's own client refused to save the rewrite", refused_by_ydsi)
    for person in (DSL, HEAD, TEAM):
        book = world.cases(person)
        checks.refused(
            f"{person.role} CaseBook.open({ref})", partial(book.open, ref), contains=None
        )
    dsl = world.unlock(DSL)
    checks.refused(f"dsl Session.read(case, {ref})", lambda: dsl.read("case", ref), contains=None)
    expect_save_visible(world, checks, session, "case", ref)
    return checks


def expect_save_visible(
    world: World, checks: Checks, attacker: Session, compartment: str, ref: str
) -> None:
    """The rewriting save is an audited write by the attacker: it cannot be hidden."""
    current = sha256_hex(world.file(compartment, ref).read_bytes())
    entries = [
        e
        for e in attacker.vault.audit.entries()
        if e.comp == compartment and e.actor == attacker.user.id and e.hash == current
    ]
    checks.attack(f"the {attacker.role}'s save stays in the audit log", bool(entries))
    report = world.verify()
    checks.attack(
        "verify walks past it",
        bool(entries) and report.entries >= entries[-1].seq,
        f"{report.entries} entries checked",
    )


# ----------------------------------------------------------------------
# one honest writer (a separate process) for the lock test
# ----------------------------------------------------------------------
def _say(line: str) -> None:
    os.write(1, (line + "\n").encode())


def writer_main() -> int:
    """stdin: {"vault", "user", "passphrase", "label", "count", "refs"} then "GO".

    stdout: "READY", then "ACK <ref> <label>-<i>" after each note is saved
    (``CaseBook.note`` returned), then "DONE <json>". A VaultBusy saved
    nothing: it is counted and the note tried again.
    """
    config = json.loads(sys.stdin.readline())
    session = Vault.open(config["vault"]).unlock(config["user"], config["passphrase"])
    book = services_for(session, clock=SystemClock()).cases
    assert book is not None
    _say("READY")
    if sys.stdin.readline().strip() != "GO":
        return 2
    busy = 0
    refs = config["refs"]
    for i in range(config["count"]):
        ref = refs[i % len(refs)]
        text = f"{config['label']}-{i}"
        while True:
            try:
                book.note(ref, text)
                break
            except VaultBusy:
                busy += 1
        _say(f"ACK {ref} {text}")
    _say("DONE " + json.dumps({"busy": busy}))
    return 0


if __name__ == "__main__":
    sys.exit(writer_main())
