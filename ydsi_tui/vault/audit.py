"""The audit log: append-only, hash-chained, every entry signed by its author.

One line of canonical JSON per entry, in ``audit.log``. Each entry carries the
hash of the line before it, so any edit, deletion, reordering or insertion
breaks the chain from that point on; each is signed with its author's Ed25519
key, so nobody can write an entry in someone else's name. Cutting entries off
the *end* leaves a valid shorter chain: only a checkpoint kept off the server
(:mod:`ydsi_tui.vault.checkpoint`) catches that.

Entries name records by opaque id and users by opaque id, never by a pupil's
name or a word of a note: the log is readable by everyone in the vault's
group, technicians included, so that anyone can verify it.

Appends happen under the vault lock. A crash mid-append leaves a final line
without its newline; the next open cuts it off (it was never acknowledged).
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import re
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Protocol

from .crypto import b64d, b64e, canonical_json
from .errors import NotSaved
from .fs import FileSystem

__all__ = [
    "AUDIT_NAME",
    "SEALED_ACTION",
    "AuditAppendFailed",
    "AuditEntry",
    "AuditLog",
    "EntryOpener",
    "Signer",
    "genesis_hash",
]

AUDIT_NAME = "audit.log"
#: The clear ``action`` of an entry whose description is sealed (sealed_entries.py).
SEALED_ACTION = "sealed"
MAX_LINE = 16 * 1024
_HEX64 = re.compile(r"^[0-9a-f]{64}$")
_FIELDS = ("action", "actor", "comp", "extra", "hash", "key_id", "prev", "rec", "seq", "sig", "ts")


class AuditAppendFailed(NotSaved):
    """The append failed; ``cut_back`` says whether the log was restored.

    When it was not, the caller keeps its temporary file: recovery then either
    rolls the save forward (the whole entry reached the disk) or cuts the torn
    line and discards the file, and the vault stays consistent either way.
    """

    cut_back: bool = True


class Signer(Protocol):
    """Whoever is writing: their opaque id, key id and a way to sign."""

    @property
    def actor_id(self) -> str: ...

    @property
    def key_id(self) -> str: ...

    def sign(self, message: bytes) -> bytes: ...


def genesis_hash(vault_id: str) -> str:
    """The ``prev`` of the first entry: ties the chain to this vault."""
    return hashlib.sha256(b"ydsi audit genesis|" + vault_id.encode("ascii")).hexdigest()


@dataclass(frozen=True)
class AuditEntry:
    """One line of the log."""

    seq: int
    ts: str
    actor: str
    key_id: str
    action: str
    comp: str
    rec: str
    hash: str
    prev: str
    extra: dict[str, Any] = field(default_factory=dict)
    sig: str = ""
    #: True for what a sealed entry describes, opened by a case role: its
    #: action, record, hash and extras are not the signed line's, so it can
    #: be read but never re-serialised or checked against the signature.
    opened: bool = field(default=False, compare=False)

    def body_doc(self) -> dict[str, Any]:
        return {
            "seq": self.seq,
            "ts": self.ts,
            "actor": self.actor,
            "key_id": self.key_id,
            "action": self.action,
            "comp": self.comp,
            "rec": self.rec,
            "hash": self.hash,
            "prev": self.prev,
            "extra": self.extra,
        }

    def signing_bytes(self) -> bytes:
        self._refuse_if_opened()
        return b"ydsi audit v1|" + canonical_json(self.body_doc())

    def line(self) -> bytes:
        self._refuse_if_opened()
        return canonical_json({**self.body_doc(), "sig": self.sig})

    def _refuse_if_opened(self) -> None:
        if self.opened:
            raise ValueError("an opened sealed entry is not the line that was signed")

    def entry_hash(self) -> str:
        return hashlib.sha256(self.line()).hexdigest()

    @classmethod
    def parse(cls, line: bytes) -> AuditEntry:
        """Strict: the line must be exactly the canonical form of a valid entry."""
        if len(line) > MAX_LINE:
            raise ValueError("entry too long")
        doc = json.loads(line.decode("ascii"))
        if not isinstance(doc, dict) or tuple(sorted(doc)) != _FIELDS:
            raise ValueError("entry has the wrong fields")
        seq = doc["seq"]
        if not isinstance(seq, int) or isinstance(seq, bool) or seq < 1:
            raise ValueError("bad sequence number")
        texts = [doc[k] for k in ("ts", "actor", "key_id", "action", "comp", "rec", "hash", "prev")]
        if not all(isinstance(t, str) for t in texts) or not isinstance(doc["extra"], dict):
            raise ValueError("bad field type")
        if not _HEX64.match(doc["prev"]):
            raise ValueError("bad chain hash")
        b64d(doc["sig"], length=64)
        entry = cls(
            seq=seq,
            ts=doc["ts"],
            actor=doc["actor"],
            key_id=doc["key_id"],
            action=doc["action"],
            comp=doc["comp"],
            rec=doc["rec"],
            hash=doc["hash"],
            prev=doc["prev"],
            extra=doc["extra"],
            sig=doc["sig"],
        )
        if entry.line() != line:
            raise ValueError("entry is not in canonical form (altered)")
        return entry


@dataclass(frozen=True)
class Head:
    """The end of the chain: last sequence number, its hash, the file length."""

    seq: int
    hash: str
    length: int


class EntryOpener(Protocol):
    """Seals and opens the entries of the sealed compartments (sealed_entries.EntrySealer)."""

    def seal(self, entry: AuditEntry) -> AuditEntry: ...

    def open(self, entry: AuditEntry) -> AuditEntry | None: ...

    def open_filer(
        self, report_id: str, digest: str, sealed: object
    ) -> tuple[int, str, str] | None: ...


class AuditLog:
    """Reads and appends ``audit.log``; the caller holds the vault lock for writes.

    With a :attr:`sealer` (a case role's session sets one), entries about
    case records are written sealed, and the readers below hand back what
    they describe; without one, a sealed entry reads as ``action="sealed"``
    naming no record, and is passed over by everything that looks for a
    record's writes.
    """

    def __init__(self, fs: FileSystem, path: Path, vault_id: str) -> None:
        self.fs = fs
        self.path = path
        self.vault_id = vault_id
        self.sealer: EntryOpener | None = None
        #: Compartments whose entries are sealed when a sealer is set.
        self.sealed_compartments: frozenset[str] = frozenset()

    def described(self, entry: AuditEntry) -> AuditEntry:
        """What an entry describes: a sealed one opened if this log can, else as it is."""
        if entry.action != SEALED_ACTION or self.sealer is None:
            return entry
        return self.sealer.open(entry) or entry

    # -- reading ---------------------------------------------------------
    def head(self) -> Head:
        """The last complete entry; a torn final line (a crash mid-append) is ignored."""
        size = 8192
        while True:
            length, tail = self.fs.read_tail(self.path, size)
            whole = len(tail) >= length
            end = tail.rfind(b"\n")
            if end == -1:
                if whole:
                    return Head(0, genesis_hash(self.vault_id), 0)
                size *= 4
                continue
            start = tail.rfind(b"\n", 0, end)
            if start == -1 and not whole:
                size *= 4
                continue
            entry = AuditEntry.parse(tail[start + 1 : end])
            return Head(entry.seq, entry.entry_hash(), length - len(tail) + end + 1)

    def read_lines(self) -> list[bytes]:
        """Every line, the last one possibly torn (no newline)."""
        data = self.fs.read_bytes(self.path)
        lines = data.split(b"\n")
        if lines and lines[-1] == b"":
            lines.pop()
        return lines

    def entries_after(self, seq: int) -> list[AuditEntry]:
        """Complete entries numbered above ``seq``, read back from the end of the file.

        Cheap when few entries are new (the app polls for other users' writes
        every few seconds); ``entries()`` would parse the whole log each time.
        """
        size = 16384
        while True:
            length, tail = self.fs.read_tail(self.path, size)
            whole = len(tail) >= length
            lines = tail.split(b"\n")[:-1]  # what follows the last newline is torn
            if not whole:
                lines = lines[1:]  # the first line may start before the tail
            found: list[AuditEntry] = []
            reached = whole
            for line in reversed(lines):
                try:
                    entry = AuditEntry.parse(line)
                except (ValueError, UnicodeDecodeError):
                    continue
                if entry.seq <= seq:
                    reached = True
                    break
                found.append(self.described(entry))
            if reached:
                return found[::-1]
            size *= 4

    def entries(self) -> Iterator[AuditEntry]:
        """Every complete, parseable entry, for callers that only need to look things up."""
        data = self.fs.read_bytes(self.path)
        for line in data.split(b"\n")[:-1]:
            with contextlib.suppress(ValueError, UnicodeDecodeError):
                yield self.described(AuditEntry.parse(line))

    def last_for(self, comp: str, rec: str) -> AuditEntry | None:
        """The latest entry that wrote or destroyed a record (used by crash recovery only)."""
        last: AuditEntry | None = None
        for entry in self.entries():
            if (
                entry.comp == comp
                and entry.rec == rec
                and (entry.hash or entry.action == "record.destroy")
            ):
                last = entry
        return last

    # -- writing ---------------------------------------------------------
    def repair_tail(self) -> bool:
        """Cut off a torn final line left by a crash mid-append. True if it did."""
        length, tail = self.fs.read_tail(self.path, 1)
        if length == 0 or tail == b"\n":
            return False
        data = self.fs.read_bytes(self.path)
        self._truncate_to(data.rfind(b"\n") + 1)
        return True

    def append(
        self,
        signer: Signer,
        *,
        ts: str,
        action: str,
        comp: str,
        rec: str,
        file_hash: str = "",
        extra: dict[str, Any] | None = None,
    ) -> tuple[AuditEntry, int]:
        """Append one signed entry durably; return it and the log's previous length.

        The previous length lets a caller whose next step fails take the entry
        back (:meth:`undo`). If the append itself fails the log is cut back
        before :class:`NotSaved` is raised. An entry of a sealed compartment
        is written sealed and returned as what it describes (``opened``).
        """
        head = self.head()
        length, _ = self.fs.read_tail(self.path, 0)
        if length != head.length:
            self._truncate_to(head.length)
        entry = AuditEntry(
            seq=head.seq + 1,
            ts=ts,
            actor=signer.actor_id,
            key_id=signer.key_id,
            action=action,
            comp=comp,
            rec=rec,
            hash=file_hash,
            prev=head.hash,
            extra=dict(extra or {}),
        )
        described: AuditEntry | None = None
        if self.sealer is not None and comp in self.sealed_compartments:
            described = entry
            entry = self.sealer.seal(entry)
        entry = replace(entry, sig=b64e(signer.sign(entry.signing_bytes())))
        line = entry.line() + b"\n"
        if len(line) > MAX_LINE:
            raise ValueError("the audit entry is too long")
        fd = self.fs.open_append(self.path)
        try:
            try:
                self.fs.write_all(fd, line, str(self.path))
                self.fs.fsync(fd, str(self.path))
            except OSError as exc:
                failure = AuditAppendFailed(
                    f"not saved: the audit log could not be written ({exc.strerror or exc})"
                )
                failure.cut_back = self._cut(fd, head.length)
                raise failure from exc
        finally:
            self.fs.close(fd)
        if described is not None:
            return replace(described, sig=entry.sig, opened=True), head.length
        return entry, head.length

    def undo(self, length: int) -> bool:
        """Take back the entry just appended (its save failed after the append).

        Returns False if the disk refused even that; the caller then keeps its
        temporary file so that recovery can roll the save forward instead.
        """
        try:
            fd = self.fs.open_append(self.path)
        except OSError:
            return False
        try:
            return self._cut(fd, length)
        finally:
            self.fs.close(fd)

    def _truncate_to(self, length: int) -> None:
        fd = self.fs.open_append(self.path)
        try:
            self.fs.truncate(fd, length, str(self.path))
            self.fs.fsync(fd, str(self.path))
        finally:
            self.fs.close(fd)

    def _cut(self, fd: int, length: int) -> bool:
        try:
            self.fs.truncate(fd, length, str(self.path))
            self.fs.fsync(fd, str(self.path))
        except OSError:
            return False
        return True
