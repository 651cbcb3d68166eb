"""``ydsi verify``: is every record exactly what its author last saved?

Walks the audit log (sequence, chain, signatures, who may write what), then
compares every file with the last entry that wrote it. Needs no passphrase:
the log and the file hashes are keyless, so any member of the vault's group,
technicians included, can check the vault. Detects a flipped byte anywhere, a
deleted file, a file rolled back to an older version, two files swapped, an
unknown file added, and (with a checkpoint) entries cut from the log's end.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from .audit import AUDIT_NAME, SEALED_ACTION, AuditEntry, EntryOpener, genesis_hash
from .checkpoint import Checkpoint
from .crypto import b64d, sha256_hex, verify_signature
from .drop import DropError, list_spool
from .drop_inbox import DROP_COMP, drop_entries
from .errors import DamagedFile, VaultBusy, VaultError
from .fs import TEMP_PREFIX, FileSystem, open_checked
from .header import COMPARTMENTS, HEADER_NAME, Header
from .recordfile import RECORD_SUFFIX, peek
from .rights import may_write
from .sealed_entries import SEALED_COMPARTMENTS
from .vault import RECOVERY_ID, Vault

if TYPE_CHECKING:
    from .session import Session

__all__ = ["CouldNotCheck", "VerifyReport", "entry_problems", "verify_entries", "verify_vault"]


class CouldNotCheck(VaultBusy):
    """``verify`` could not start: the vault's lock stayed held (not a finding about it)."""


_MAX_LISTED = 25


@dataclass
class VerifyReport:
    """What verify found; ``ok`` only when there are no problems."""

    problems: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    entries: int = 0
    records: int = 0
    #: Entries whose signatures were not checked again because a checkpoint
    #: that vouches for the log (a DSL's or the checker's own) covers them.
    vouched_by_checkpoint: int = 0
    #: Sealed entries (about case records) this check could not open: their
    #: chain, signature and signer's role were checked, not what they describe.
    sealed_unread: int = 0

    @property
    def ok(self) -> bool:
        return not self.problems

    def add(self, problem: str) -> None:
        self.problems.append(problem)


def verify_vault(
    path: Path | str,
    *,
    checkpoint: bytes | None = None,
    fs: FileSystem | None = None,
    checker: str | None = None,
    opener: EntryOpener | None = None,
    spool: Path | None = None,
) -> VerifyReport:
    """Check the log, every signature, the header and every file (no key needed).

    With ``spool``, every staff report the log says was received is also
    compared with the spool, by its ciphertext's hash (nothing is decrypted).

    ``checker`` is the login name of whoever runs it: a checkpoint counts only
    if a DSL or they signed it. Entries about case records are sealed
    (sealed_entries.py): without an ``opener`` (a case role's, given by
    ``verify --entries``) they are checked for chain, signature and role
    only, and the case files they vouch for are left to a case role's check.
    """
    path = Path(path)
    fs = fs or FileSystem()
    report = VerifyReport()
    try:
        header = _open_header(path, fs, report)
    except VaultBusy as exc:
        # Opening settles an interrupted save under the lock; a lock someone
        # holds on and on (or a planted ``flock``) is no finding about the
        # files, and a report of 0 entries would read as "NOT intact".
        raise CouldNotCheck(
            "could not check: the lock is held by another user (a save in progress, or a "
            "process holding it): try again later; nothing was checked or changed"
        ) from exc
    if header is None:
        return report
    mark: Checkpoint | None = None
    if checkpoint is not None:
        try:
            mark = Checkpoint.from_bytes(checkpoint)
        except ValueError as exc:
            report.add(f"checkpoint: {exc}")
    # Incremental: the entries a vouching checkpoint covers are bound to its
    # signed head by the hash chain, which is still recomputed in full below;
    # only their signatures are not checked again. If the chain does not reach
    # that head, the check below says so and the vault is not intact.
    covered = mark.seq if mark is not None and mark.refusal(header, checker=checker) is None else 0
    drops: list[AuditEntry] = []
    chain, writes, history = _walk_log(
        path, fs, header, report, covered=covered, opener=opener, drops=drops
    )
    _check_files(path, fs, header, writes, history, report)
    if spool is not None:
        _check_spool(spool, fs, header, drops, report, opener)
    _note_planted(path, report)
    if mark is not None:
        report.problems.extend(mark.check(header, chain, checker=checker))
    if len(report.problems) > _MAX_LISTED:
        hidden = len(report.problems) - _MAX_LISTED
        report.problems = [*report.problems[:_MAX_LISTED], f"... and {hidden} more problems"]
    return report


def _open_header(path: Path, fs: FileSystem, report: VerifyReport) -> Header | None:
    try:
        vault = Vault.open(path, fs=fs, repair=True, any_format=True)
        report.notes.extend(vault.warnings)
        for owner, reason in sorted(vault.slot_problems.items()):
            who = vault.header.owner_name(owner)
            report.add(f"{HEADER_NAME}: the key slot of {who} {reason}; only they are locked out")
        return vault.header
    except DamagedFile as exc:
        report.add(str(exc))
    except VaultBusy:
        raise
    except VaultError as exc:
        report.add(str(exc))
        return None
    # The header is damaged; still check the rest if it parses at all.
    try:
        return Header.from_bytes(fs.read_bytes(path / HEADER_NAME))
    except (VaultError, OSError):
        report.add("the vault header cannot be read, so signatures cannot be checked")
        return None


def _lines(data: bytes) -> Iterator[tuple[int, bytes]]:
    """(number, line) for every complete line, without splitting the whole log at once."""
    start = 0
    number = 0
    while True:
        end = data.find(b"\n", start)
        if end == -1:
            return
        number += 1
        yield number, data[start:end]
        start = end + 1


def _walk_log(
    path: Path,
    fs: FileSystem,
    header: Header,
    report: VerifyReport,
    *,
    covered: int = 0,
    opener: EntryOpener | None = None,
    drops: list[AuditEntry] | None = None,
) -> tuple[list[str], dict[tuple[str, str], AuditEntry], dict[tuple[str, str], dict[str, int]]]:
    """Check the chain and signatures; collect each record's last write and past hashes.

    The log is walked as a stream: entries go to the signature checkers in
    batches and are not kept, so a 200,000-entry log stays within a modest
    amount of memory.
    """
    chain: list[str] = []
    writes: dict[tuple[str, str], AuditEntry] = {}
    history: dict[tuple[str, str], dict[str, int]] = {}
    try:
        data = fs.read_bytes(path / AUDIT_NAME)
    except VaultError as exc:  # a FIFO, a link, a sparse giant: named, not read
        report.add(str(exc))
        return chain, writes, history
    except OSError:
        report.add("audit.log is missing or unreadable")
        return chain, writes, history
    if data and not data.endswith(b"\n"):
        report.add(
            "audit.log: the last entry is incomplete (an interrupted save); reopen the vault"
        )
    previous = genesis_hash(header.vault_id)
    broken = False
    removed: dict[str, int] = {}
    found: dict[int, list[str]] = {}  # problems by entry number, merged in order at the end
    batch: list[tuple[AuditEntry, AuditEntry]] = []
    workers = max(1, min(4, os.cpu_count() or 1))
    with ThreadPoolExecutor(max_workers=workers) as pool:
        pending: list[Future[dict[int, list[str]]]] = []
        signature_problems: dict[int, list[str]] = {}
        for number, line in _lines(data):
            try:
                entry = AuditEntry.parse(line)
            except (ValueError, UnicodeDecodeError):
                found.setdefault(number, []).append(
                    f"audit.log entry {number}: damaged or altered (not a valid entry)"
                )
                broken = True
                chain.append("")
                previous = ""
                continue
            report.entries += 1
            if not broken and (entry.seq != number or entry.prev != previous):
                found.setdefault(number, []).append(
                    f"audit.log entry {number}: the chain is broken here "
                    "(an entry was edited, removed, inserted or reordered)"
                )
                broken = True
            if entry.actor in removed:
                found.setdefault(number, []).append(
                    f"audit.log entry {entry.seq}: signed by a user removed at entry "
                    f"{removed[entry.actor]} (their access was restored outside ydsi)"
                )
            if entry.action == "user.remove" and isinstance(entry.extra.get("user"), str):
                removed[entry.extra["user"]] = entry.seq
            chain.append(entry.entry_hash())
            previous = chain[-1]
            described = entry
            if entry.action == SEALED_ACTION and entry.comp in SEALED_COMPARTMENTS:
                opened = opener.open(entry) if opener is not None else None
                if opened is not None:
                    described = opened
                elif opener is not None:
                    found.setdefault(number, []).append(
                        f"audit.log entry {number}: what it describes does not open with the "
                        "case key (sealed under another key, or moved from another entry)"
                    )
                else:
                    report.sealed_unread += 1
            if number <= covered and not broken:
                report.vouched_by_checkpoint += 1
            else:
                batch.append((entry, described))
            if len(batch) >= _BATCH:
                pending.append(pool.submit(_check_batch, batch, header))
                batch = []
                # Back-pressure: parsing outruns checking, and every batch waiting
                # in the queue keeps its entries in memory.
                while len(pending) > 2 * workers:
                    _collect(pending.pop(0), signature_problems)
            if drops is not None and described.comp == DROP_COMP:
                drops.append(described)
            if described.action == "record.read" or (
                not described.hash and described.action != "record.destroy"
            ):
                continue  # not a write: a read, a header entry naming no file, a sealed entry
            key = (described.comp, described.rec)
            writes[key] = described
            history.setdefault(key, {})[described.hash] = described.seq
        if batch:
            pending.append(pool.submit(_check_batch, batch, header))
        for future in pending:
            _collect(future, signature_problems)
    for number in sorted(set(found) | set(signature_problems)):
        report.problems.extend(found.get(number, []))
        report.problems.extend(signature_problems.get(number, []))
    return chain, writes, history


#: Entries per signature-checking task: Ed25519 verification dominates verify's
#: time and ``cryptography`` releases the GIL while it runs, so a small pool
#: roughly halves it on two cores.
_BATCH = 2000


def _collect(future: Future[dict[int, list[str]]], into: dict[int, list[str]]) -> None:
    for seq, problems in future.result().items():
        into.setdefault(seq, []).extend(problems)


def _check_batch(
    batch: list[tuple[AuditEntry, AuditEntry]], header: Header
) -> dict[int, list[str]]:
    out: dict[int, list[str]] = {}
    for entry, described in batch:
        problems = _check_signature(entry, header, described)
        if problems:
            out.setdefault(entry.seq, []).extend(problems)
    return out


def _check_signature(
    entry: AuditEntry, header: Header, described: AuditEntry | None = None
) -> list[str]:
    """The problems with one entry's signature and its author's right to make it.

    ``described`` is what a sealed entry says, opened: the right is checked
    against that action (a team member may write a sealed case entry, not a
    sealed destruction).
    """
    described = described or entry
    known = header.public_key(entry.key_id)
    where = f"audit.log entry {entry.seq}"
    if known is None:
        return [f"{where}: signed with a key this vault never issued"]
    public, role = known
    problems: list[str] = []
    owner = entry.key_id.rsplit(".", 1)[0]
    if owner != entry.actor and not (role == "recovery" and entry.actor == RECOVERY_ID):
        problems.append(f"{where}: the signer is not the named author")
    if not verify_signature(public, b64d(entry.sig), entry.signing_bytes()):
        return [*problems, f"{where}: the signature does not verify (altered or forged)"]
    allowed = may_write(
        role,
        described.action,
        described.comp,
        actor=entry.actor,
        subject=described.extra.get("user"),
    )
    if not allowed:
        problems.append(f"{where}: a {role} may not make this change ({described.action})")
    return problems


def entry_problems(
    entry: AuditEntry, header: Header, described: AuditEntry | None = None
) -> list[str]:
    """What ``verify`` finds wrong with one entry's signature and its author's right.

    Public so that a reader of the log that shows entries one by one (the
    read audit, :mod:`.read_log`) applies exactly the checks ``verify`` does.
    """
    return _check_signature(entry, header, described)


def _check_spool(
    spool: Path,
    fs: FileSystem,
    header: Header,
    drops: list[AuditEntry],
    report: VerifyReport,
    opener: EntryOpener | None,
) -> None:
    """Every received staff report still in the spool, byte for byte (by its hash).

    A report file's owner is the only login (root aside) that can remove or
    change it in the sticky spool, so each finding names that login, when the
    checker is a case role: who filed a report is sealed to them.
    """
    received = drop_entries(drops, header, opener)
    if not received:
        return
    try:
        present = {item.report_id: item for item in list_spool(spool, fs)}
    except DropError as exc:
        report.notes.append(f"staff reports were not compared with the spool: {exc}")
        return
    for rid, known in sorted(received.items(), key=lambda kv: kv[1].received_at):
        who = (
            known.owner_login
            or (f"uid {known.owner_uid}" if known.owner_uid >= 0 else "")
            or "the one who filed it (a case role's 'ydsi verify --entries' names them)"
        )
        what = f"staff report {rid} (received {known.received_at[:16].replace('T', ' ')})"
        item = present.get(rid)
        if item is None:
            report.add(
                f"{what} is missing from the spool: only its owner's login, {who}, or root "
                "could have removed it"
            )
        elif item.digest != known.digest:
            report.add(
                f"{what} was altered after it was received: only its owner's login, {who}, "
                "or root could have changed it"
            )
        elif known.owner_uid >= 0 and item.owner_uid != known.owner_uid:
            report.add(
                f"{what} now belongs to uid {item.owner_uid}, not {who} who filed it: it was "
                "removed and put back"
            )


def _check_key_name(
    data: bytes, label: str, comp: str, header: Header, report: VerifyReport
) -> None:
    """A record must be under one of its own compartment's keys that the header still seals."""
    try:
        name = peek(data, label).key_name
    except VaultError as exc:
        report.add(str(exc))
        return
    held = {f"{comp}:{header.epochs[comp]}"}
    for user in header.users:
        if user.active:
            held.update(n for n in user.sealed if n.startswith(f"{comp}:"))
    if name not in held:
        report.add(
            f"{label}: encrypted under {name[:40]!r}, not a {comp} key this vault holds "
            "(forged with another key, or its key was lost to a header rollback)"
        )


#: Said after a record file's problem: the way back.
_REPAIR = "; a DSL puts it right with 'ydsi repair REF'"


def _check_files(
    path: Path,
    fs: FileSystem,
    header: Header,
    writes: dict[tuple[str, str], AuditEntry],
    history: dict[tuple[str, str], dict[str, int]],
    report: VerifyReport,
) -> None:
    """Every file must hash to its last audited write, and nothing may be unaccounted for."""
    latest_owner = {entry.hash: key for key, entry in writes.items() if entry.hash}
    on_disk: dict[tuple[str, str], Path] = {("header", HEADER_NAME): path / HEADER_NAME}
    closed: set[str] = set()
    if report.sealed_unread:
        for comp in sorted(SEALED_COMPARTMENTS):
            closed.add(comp)
            report.notes.append(
                f"{comp}/: {report.sealed_unread} audit entries about its files are sealed "
                "(only the case roles read what they describe): their chain, signatures and "
                "signers' roles were checked, its files were not checked here; "
                "'ydsi verify --entries' by a DSL, the Headteacher or a team member checks them"
            )
    for comp in COMPARTMENTS:
        if comp in closed:
            continue
        directory = path / comp
        try:
            names = fs.listdir(directory)
        except PermissionError:
            if not directory.is_dir():
                report.add(f"{comp}/ is missing or unreadable")
                continue
            # Its own Unix group (the server install): closed to this account by design.
            closed.add(comp)
            count = sum(1 for key in writes if key[0] == comp)
            report.notes.append(
                f"{comp}/ is not yours to list (it has a group of its own), so its {count} "
                "files were not checked here: the audit log, its signatures and every other "
                "file were; a DSL's verify checks them"
            )
            continue
        except OSError:
            report.add(f"{comp}/ is missing or unreadable")
            continue
        for name in names:
            if name.endswith(RECORD_SUFFIX) and not name.startswith(TEMP_PREFIX):
                on_disk[(comp, name[: -len(RECORD_SUFFIX)])] = directory / name
    for key, entry in sorted(writes.items()):
        if key[0] in closed:
            continue
        label = HEADER_NAME if key[0] == "header" else f"{key[0]}/{key[1]}{RECORD_SUFFIX}"
        file = on_disk.pop(key, None)
        if entry.action == "record.destroy":
            if file is not None:
                report.add(f"{label}: destroyed at entry {entry.seq} but present again")
            continue
        report.records += 1 if key[0] != "header" else 0
        # A damaged record has a way back; say which (keyless verify cannot name its REF).
        fix = "" if key[0] == "header" else _REPAIR
        if file is None or not fs.exists(file):
            report.add(
                f"{label}: missing (deleted outside ydsi; last saved at entry {entry.seq}){fix}"
            )
            continue
        try:
            data = fs.read_bytes(file)
        except VaultError as exc:  # planted in its place: a FIFO, a link, a directory...
            report.add(f"{exc}{fix}")
            continue
        except OSError as exc:
            report.add(f"{label}: could not be read ({exc.strerror or type(exc).__name__}){fix}")
            continue
        found = sha256_hex(data)
        if found == entry.hash:
            if key[0] != "header":
                _check_key_name(data, label, key[0], header, report)
            continue
        earlier = history.get(key, {}).get(found)
        owner = latest_owner.get(found)
        if earlier is not None:
            report.add(
                f"{label}: rolled back to the version saved at entry {earlier} "
                f"(the latest is entry {entry.seq}){fix}"
            )
        elif owner is not None and owner != key:
            report.add(f"{label}: holds the content of {owner[0]}/{owner[1]} (files swapped){fix}")
        else:
            report.add(f"{label}: altered outside ydsi (does not match entry {entry.seq}){fix}")
    for key, file in sorted(on_disk.items()):
        if key[0] == "header":
            report.add(f"{HEADER_NAME}: the audit log has no entry for it")
        else:
            report.add(f"{key[0]}/{file.name}: not in the audit log (added outside ydsi)")


def _note_planted(path: Path, report: VerifyReport) -> None:
    """Name what was planted where only small plain files belong (throttle/, requests/).

    No record is at stake there, so these are notes, not problems: a FIFO or
    a link at a throttle file's name only makes ydsi ignore that user's
    failure count, and one among the requests is refused when a DSL unlocks.
    But only someone outside ydsi puts one there, and the app never says so
    at unlock, so verify does.
    """
    for folder in ("throttle", "requests"):
        directory = path / folder
        try:
            names = sorted(os.listdir(directory))
        except OSError:
            continue
        for name in names:
            if name.startswith(TEMP_PREFIX):
                continue
            try:
                fd, _size = open_checked(directory / name)
            except VaultError as exc:
                report.notes.append(str(exc))
                continue
            except OSError:
                continue
            os.close(fd)


def verify_entries(session: Session) -> tuple[list[str], int]:
    """``verify --entries``: every record this user may open, checked entry by entry.

    Keyless verify proves each file is what its last signer saved; only a
    key holder can decrypt a record and check that its history extends
    every head the log recorded for it (nobody edited, removed, reordered or
    re-attributed an entry). Returns the problems and the records checked.
    """
    problems: list[str] = []
    checked = 0
    vault = session.vault
    for compartment in COMPARTMENTS:
        if not session.can_read(compartment):
            continue
        directory = vault.path / compartment
        try:
            names = sorted(vault.fs.listdir(directory))
        except OSError:
            problems.append(f"{compartment}/ is missing or unreadable")
            continue
        for name in names:
            if not name.endswith(RECORD_SUFFIX) or name.startswith((".", TEMP_PREFIX)):
                continue
            record_id = name[: -len(RECORD_SUFFIX)]
            checked += 1
            try:
                raw = vault.fs.read_bytes(directory / name)
                session.decode_vouched(raw, compartment, record_id, body=True)
            except (VaultError, OSError) as exc:
                problems.append(str(exc))
    return problems, checked
