"""What the audit log vouches for: the reader's index of every record's signed saves.

A record file is shown as genuine only if the log vouches for it: its hash is
the one named by the newest save of that record whose signature verifies,
whose signer's role may write that compartment, and whose key had not been
retired by then. Anything else (a file rolled back, replayed, swapped,
planted, or written by a technician's perfectly valid key into ``case/``) is
:class:`~ydsi_tui.vault.errors.RecordDamaged`, naming what is wrong and since
which entry.

Why an index rather than a search per read: listing 10,000 incidents needs
each one's newest save, and the log holds every save ever made. The ledger
parses the log once, then only its new tail (checking that what it parsed
before is still there, so a log cut back by the save protocol's own undo, or
by anyone else, is re-read rather than trusted). Signatures are checked
lazily, newest first, and each only once: a listing verifies one signature
per record, an opened record one per save it has had.

**Between runs** the index, and which signatures verified, are kept in this
user's private state directory (index_cache.py: MACed under a key only this
account can read, bound to the vault and to a hash of every log byte it
covers), so an open parses only the log's new tail. A cache that is missing,
planted, garbled or stale is ignored, and the log parsed from the start: the
ledger then holds exactly what a full parse would. Records the cache holds
stay packed (one marshal blob per record) until one is needed whole; a
listing unpacks only each record's newest save.
"""

from __future__ import annotations

import hashlib
import itertools
import json
import json.scanner
import marshal
import re
import sys
import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Concatenate, ParamSpec, TypeVar

from .audit import SEALED_ACTION, AuditEntry, genesis_hash
from .chain import ChainState, Prefixes
from .crypto import b64d, verify_signature
from .errors import RecordDamaged, VaultError
from .fs import FileSystem
from .header import HEADER_NAME, Header
from .index_cache import CacheFile, cache_path
from .rights import may_write
from .sealed_entries import EntrySealer, is_sealed_doc

__all__ = ["Author", "Ledger", "Write"]

#: Actions that retire a user's other signing keys (they were given new ones).
_REKEY_ACTIONS = frozenset({"user.reset", "user.recover", "user.enrol", "user.rekey"})
#: The recovery code's signing key made by ``vault.init`` (later ones by ``recovery.reissue``).
_FIRST_RECOVERY_KEY = "recovery.1"


@dataclass(frozen=True, slots=True)
class Write:
    """One save (or destruction) of one file, as the log records it; nothing checked yet."""

    seq: int
    action: str
    actor: str
    key_id: str
    hash: str
    chain: ChainState | None
    legacy: bool
    subject: object
    new_key: object
    offset: int
    length: int
    #: For a DSL's ``record.repair`` that accepted a damaged file as found: that
    #: file's chain state. Heads signed before it are no longer demanded (the
    #: repair named them as lost); what the file held beyond the heads it still
    #: reached is attributed to nobody's signature ("as found").
    restart: ChainState | None = None


@dataclass(frozen=True, slots=True)
class Author:
    """Who added a document to a record: the verified signer of the save that added it.

    ``legacy`` marks documents from before format 2, whose author is only the
    name written inside them ("as recorded"). ``as_found`` marks documents no
    signed save vouched for, kept when a DSL accepted a damaged record as
    found (``ydsi repair --accept-as-found``): ``actor``/``seq`` are that
    repair's, and the author is only the name written inside them.
    """

    actor: str
    key_id: str
    seq: int
    legacy: bool = False
    as_found: bool = False


#: A cache is written while reading only after this many new entries (a first
#: full parse), and at a session's close only after this many: rewriting it costs
#: about 0.1 s at 10,000 incidents, parsing 256 entries about 4 ms.
PERSIST_WHILE_READING = 20_000
PERSIST_AT_CLOSE = 256
_CACHE_VERSION = 3


@dataclass
class _State:
    offset: int = 0
    last_start: int = 0
    seq: int = 0
    last_hash: str = ""
    broken_at: int | None = None
    records: dict[tuple[str, str], list[Write]] = field(default_factory=dict)
    header_writes: int = 0
    #: Records loaded from the cache and not yet needed whole: marshal blobs,
    #: and each one's newest save (packed), which is all a listing needs.
    packed: dict[tuple[str, str], bytes] = field(default_factory=dict)
    tops: dict[tuple[str, str], tuple[object, ...]] = field(default_factory=dict)
    #: The line before the last (start, hash; start -1: unknown), and what the
    #: last line added: enough to persist all but the last entry.
    prev_start: int = -1
    prev_hash: str = ""
    last_key: tuple[str, str] | None = None
    #: Sealed entries parsed with no opener (offset, length): put in their
    #: records when a case role's key arrives (:meth:`Ledger.set_opener`).
    skipped: list[tuple[int, int]] = field(default_factory=list)
    #: Sealed entries that did not open with the key given: indexed nowhere.
    unopened: list[int] = field(default_factory=list)


_P = ParamSpec("_P")
_R = TypeVar("_R")


def _one_thread_at_a_time(
    method: Callable[Concatenate[Ledger, _P], _R],
) -> Callable[Concatenate[Ledger, _P], _R]:
    """Run a Ledger method under the ledger's own lock.

    The app shares one session between its workers: a save's worker refreshing
    the index while a load's worker refreshed it too parsed the same lines twice
    into one state, and the load said "the audit log is broken" of a sound log.
    """

    def locked(self: Ledger, /, *args: _P.args, **kwargs: _P.kwargs) -> _R:
        with self._thread_lock:
            return method(self, *args, **kwargs)

    locked.__name__ = method.__name__
    locked.__doc__ = method.__doc__
    return locked


class Ledger:
    """The audit log as a per-record index; the caller holds no lock to read it."""

    def __init__(
        self,
        fs: FileSystem,
        path: Path,
        vault_id: str,
        *,
        cached: bool = True,
        cache_dir: Path | None = None,
    ) -> None:
        self.fs = fs
        self.path = path
        self.vault_id = vault_id
        self._thread_lock = threading.RLock()
        self._state = _State(last_hash=genesis_hash(vault_id))
        #: Log lines parsed by this ledger, all told (tests: a warm open parses the tail).
        self.lines_parsed = 0
        #: What became of the cache: "off", "none" (there was none), "loaded",
        #: "stale" (the log no longer starts with what it covers), "untrusted"
        #: (planted, altered, garbled or another vault's), "unread" (not tried yet).
        self.cache_status = "unread" if cached else "off"
        self._cache = CacheFile(cache_path(vault_id, path, cache_dir)) if cached else None
        self._persisted = 0
        self._fresh = 0  # signatures verified since the cache was last written
        # SHA-256 of the log up to the start of the last line parsed; the
        # last line itself (with its newline) is kept aside, so that a cache
        # of all but the last entry can be bound as cheaply as one of all.
        self._digest = hashlib.sha256()
        self._fed = 0
        self._unfed = b""
        self._signatures: dict[int, bool] = {}
        #: key id -> (the public key, entries whose signature verified under it).
        self._good: dict[str, tuple[bytes, set[int]]] = {}
        self._retired_cache: tuple[int, dict[str, int]] | None = None
        self._checked: dict[
            tuple[str, str], tuple[int, ChainState, dict[str, dict[str, Author]]]
        ] = {}
        self._opener: EntrySealer | None = None

    @property
    def cache_file(self) -> Path | None:
        """Where this account keeps the index between runs (None: caching is off)."""
        return self._cache.path if self._cache is not None else None

    # ------------------------------------------------------------------
    # reading the log
    # ------------------------------------------------------------------
    @property
    def seq(self) -> int:
        """The last entry parsed."""
        return self._state.seq

    @property
    def broken_at(self) -> int | None:
        """The entry at which the chain breaks; nothing from there on is trusted."""
        return self._state.broken_at

    @_one_thread_at_a_time
    def refresh(self) -> None:
        """Parse what was appended since the last call (or everything, if the log changed).

        The log is read in chunks of :data:`_CHUNK` bytes, never whole: at
        10,000 incidents it is over 100 MB, and holding it (twice, while the
        pieces were joined) beside the index was most of the peak memory.
        """
        if self.cache_status == "unread":
            self._load_cache()
        self._read_on()
        if self._state.seq - self._persisted >= PERSIST_WHILE_READING:
            self.persist()

    def _read_on(self) -> None:
        state = self._state
        # From the start of the last line parsed, which must still be there
        # byte for byte; one read per refresh while the log is under _CHUNK.
        last = state.offset - state.last_start
        position, pending, want = state.last_start, b"", max(_CHUNK, last)
        while True:
            try:
                chunk = self.fs.read_range(self.path, position, want)
            except OSError as exc:
                where = exc.filename or str(self.path)
                raise VaultError(
                    f"{where}: could not be read ({exc.strerror or exc}); nothing was changed"
                ) from exc
            position += len(chunk)
            data = pending + chunk if pending else chunk
            base = position - len(data)
            if last:
                if (
                    len(data) < last
                    or data[last - 1 : last] != b"\n"
                    or hashlib.sha256(data[: last - 1]).hexdigest() != state.last_hash
                ):
                    # The log is not the one we read: cut back (an undone save) or replaced.
                    self._reset()
                    self._read_on()
                    return
                data, base, last = data[last:], base + last, 0
            whole = data.rfind(b"\n") + 1
            # A torn last line (a save in progress or a crash) waits for the next chunk.
            self._parse(data[:whole], base)
            self._feed(data, base)
            pending = data[whole:]
            if len(chunk) < want or state.broken_at is not None:
                return  # a short read of a regular file: its end, as it was then
            want = _CHUNK

    def _feed(self, data: bytes, base: int) -> None:
        """Hash what was just parsed (``data`` starts at ``base``, the offset before it)."""
        state = self._state
        if state.offset <= self._fed + len(self._unfed):
            return  # no new line
        view = memoryview(data)
        self._digest.update(self._unfed)
        self._digest.update(view[: state.last_start - base])
        self._unfed = bytes(view[state.last_start - base : state.offset - base])
        self._fed = state.last_start

    def _reset(self) -> None:
        self._state = _State(last_hash=genesis_hash(self.vault_id))
        self._signatures.clear()
        self._good.clear()
        self._retired_cache = None
        self._checked.clear()
        self._digest = hashlib.sha256()
        self._fed = 0
        self._unfed = b""
        self._persisted = 0
        self._fresh = 0

    # ------------------------------------------------------------------
    # the cache between runs (see index_cache.py)
    # ------------------------------------------------------------------
    def _load_cache(self) -> None:
        """Start from this user's cache if it verifies and the log still starts with it."""
        assert self._cache is not None
        body, why = self._cache.read()
        if body is None:
            self.cache_status = why
            return
        try:
            doc = _unmarshal(body)
            del body
            (version, vault_id, place, offset, last_start, seq, last_hash, digest,
             header_writes, keys, blobs, tops, good, skipped, unopened) = doc  # fmt: skip
            if version != _CACHE_VERSION or vault_id != self.vault_id:
                raise ValueError("another vault's")
            if place != str(self.path.resolve()) or not 0 <= last_start < offset:
                raise ValueError("another place's")
            packed = dict(zip(keys, blobs, strict=True))
            newest = dict(zip(keys, tops, strict=True))
            good = {k: (pub, set(seqs)) for k, (pub, seqs) in good.items()}
            skipped = [(int(o), int(n)) for o, n in skipped]
            unopened = [int(n) for n in unopened]
        except (ValueError, TypeError, EOFError, AttributeError):
            self.cache_status = "untrusted"
            return
        # The log must start with exactly the bytes the cache covers.
        hasher = hashlib.sha256()
        position = 0
        while position < last_start:
            chunk = self._read(position, min(_CHUNK, last_start - position))
            if not chunk:
                break
            hasher.update(chunk)
            position += len(chunk)
        line = self._read(last_start, offset - last_start) if position == last_start else b""
        whole = hasher.copy()
        whole.update(line)
        if (
            position != last_start
            or len(line) != offset - last_start
            or whole.hexdigest() != digest
            or hashlib.sha256(line[:-1]).hexdigest() != last_hash
        ):
            self.cache_status = "stale"
            return
        self._state = _State(
            offset=offset,
            last_start=last_start,
            seq=seq,
            last_hash=last_hash,
            header_writes=header_writes,
            packed=packed,
            tops=newest,
            skipped=skipped,
            unopened=unopened,
        )
        self._digest, self._fed, self._unfed = hasher, last_start, line
        self._good = good
        self._persisted = seq
        self.cache_status = "loaded"
        if self._opener is not None and skipped:
            self.set_opener(self._opener)  # a cache made before this reader held the key

    def _read(self, offset: int, size: int) -> bytes:
        try:
            return self.fs.read_range(self.path, offset, size)
        except OSError as exc:
            where = exc.filename or str(self.path)
            raise VaultError(
                f"{where}: could not be read ({exc.strerror or exc}); nothing was changed"
            ) from exc

    @_one_thread_at_a_time
    def persist(self, acknowledged: int = 0, *, at_least: int = 1) -> bool:
        """Keep the index for the next open (best effort: False when nothing was written).

        Only entries that can no longer be taken back are kept: the last
        entry parsed may be a save still in progress elsewhere, which the
        save protocol may yet undo, so it is left out unless ``acknowledged``
        (an entry this user's session saw acknowledged) reaches it. Any
        earlier entry was followed by another save, which only starts once
        the one before it has finished or been undone. Nothing is written
        for fewer than ``at_least`` new entries and new signatures checked,
        nor for a broken log, nor backwards.
        """
        state = self._state
        if self._cache is None or state.broken_at is not None:
            return False
        full = acknowledged >= state.seq
        seq = state.seq if full else state.seq - 1
        if seq < max(1, self._persisted) or (not full and state.prev_start < 0):
            return False  # only forwards
        if seq - self._persisted < at_least and self._fresh < at_least:
            return False
        digest = self._digest.copy()
        if full:
            digest.update(self._unfed)
            offset, last_start, last_hash = state.offset, state.last_start, state.last_hash
            header_writes, drop = state.header_writes, None
        else:
            offset, last_start, last_hash = state.last_start, state.prev_start, state.prev_hash
            drop = state.last_key
            header_writes = state.header_writes - (drop is not None and drop[0] == "header")
        # Records packed here stay packed in memory too (a blob is a fraction
        # of its Write objects, which are freed as we go: the first open of a
        # large vault peaked here), except the one whose last save is left out.
        for key in [key for key in state.records if key != drop]:
            writes = state.records.pop(key)
            if writes:
                packed = [_pack(w) for w in writes]
                state.packed[key] = marshal.dumps(packed)
                state.tops[key] = packed[-1]
        keys: list[tuple[str, str]] = list(state.packed)
        blobs: list[bytes] = list(state.packed.values())
        tops = [state.tops[key] for key in keys]
        if drop is not None and len(state.records.get(drop, ())) > 1:
            packed = [_pack(w) for w in state.records[drop][:-1]]
            keys.append(drop)
            blobs.append(marshal.dumps(packed))
            tops.append(packed[-1])
        good = {
            key_id: (public, sorted(s for s in seqs if s <= seq))
            for key_id, (public, seqs) in self._good.items()
        }
        skipped = [(o, n) for o, n in state.skipped if o < offset]
        unopened = [n for n in state.unopened if n <= seq]
        body = marshal.dumps(
            (_CACHE_VERSION, self.vault_id, str(self.path.resolve()), offset, last_start, seq,
             last_hash, digest.hexdigest(), header_writes, keys, blobs, tops, good, skipped,
             unopened)
        )  # fmt: skip
        if not self._cache.write(body):
            return False
        self._persisted = seq
        self._fresh = 0
        return True

    @_one_thread_at_a_time
    def persist_at_close(self, acknowledged: int) -> None:
        """A session closes: keep the index if it moved on enough to be worth rewriting.

        The session's own last save is read first (its entry is acknowledged
        but may not have been parsed yet). Never raises: a log that cannot be
        read now is simply not cached.
        """
        try:
            self.refresh()
        except VaultError:
            return
        self.persist(acknowledged, at_least=PERSIST_AT_CLOSE)

    def _list(self, key: tuple[str, str]) -> list[Write]:
        """A record's saves, unpacked from the cache the first time they are needed."""
        writes = self._state.records.get(key)
        if writes is None:
            blob = self._state.packed.pop(key, None)
            if blob is None:
                return []
            del self._state.tops[key]
            writes = self._state.records[key] = [_unpack(t) for t in _unmarshal(blob)]
        return writes

    def _newest(self, key: tuple[str, str]) -> Write | None:
        """A record's newest save, unpacking only that one if the record is still packed."""
        writes = self._state.records.get(key)
        if writes is not None:
            return writes[-1] if writes else None
        top = self._state.tops.get(key)
        return None if top is None else _unpack(top)

    def _parse(self, data: bytes, base: int) -> None:
        state = self._state
        # Decoding each line on its own was most of the parse's cost; an
        # ASCII chunk (every genuine log is) is decoded once and each line
        # read in place, with json.loads for any line that does not read
        # cleanly that way (see _load_line).
        text = data.decode("ascii") if data.isascii() else None
        records = state.records
        start = 0
        while state.broken_at is None:
            end = data.find(b"\n", start)
            if end == -1:
                break  # a torn last line: a save in progress or a crash; never parsed
            line = data[start:end]
            doc = _load_line(line, text, start, end)
            if type(doc) is dict and is_sealed_doc(doc):
                doc = self._open_sealed(doc, base + start, end - start)
            write = _light_parse(line, base + start, doc)
            number = state.seq + 1
            if write is None or write[0] != number or write[1] != state.last_hash:
                state.broken_at = number
                break
            _, _, comp, rec, entry = write
            state.prev_start, state.prev_hash = state.last_start, state.last_hash
            if entry is not None:
                key = (comp, rec)
                writes = records.get(key)
                if writes is None:
                    writes = self._list(key) if key in state.packed else []
                    records[key] = writes
                writes.append(entry)
                state.last_key = key
                if comp == "header":
                    state.header_writes += 1
            else:
                state.last_key = None
            state.seq = number
            state.last_hash = hashlib.sha256(line).hexdigest()
            state.last_start = base + start
            state.offset = base + end + 1
            start = end + 1
            self.lines_parsed += 1

    def _open_sealed(self, doc: dict[str, Any], offset: int, length: int) -> dict[str, Any]:
        """What a sealed entry describes, or the entry as it is (then indexed nowhere)."""
        if self._opener is None:
            self._state.skipped.append((offset, length))
            return doc
        opened = self._opener.open_doc(doc)
        if opened is None:
            seq = doc.get("seq")
            if isinstance(seq, int):
                self._state.unopened.append(seq)
            return doc
        return opened

    @_one_thread_at_a_time
    def set_opener(self, opener: EntrySealer) -> None:
        """A case role has unlocked: index the sealed entries parsed before they could be read.

        The vault's header is vouched for before anyone unlocks, so the log is
        first parsed without the key; what it passed over then is read again
        here, and only that (a re-parse of a 200,000-entry log costs seconds).
        """
        self._opener = opener
        state = self._state
        positions, state.skipped = state.skipped, []
        touched: set[tuple[str, str]] = set()
        buffer_start, buffer = 0, b""
        for offset, length in positions:
            if not (buffer_start <= offset and offset + length <= buffer_start + len(buffer)):
                buffer_start, buffer = offset, self._read(offset, max(_CHUNK, length))
            line = buffer[offset - buffer_start : offset - buffer_start + length]
            doc = _load_line(line, None, 0, len(line))
            if type(doc) is not dict:
                continue  # it parsed before; the log changed under us, and refresh will see it
            parsed = _light_parse(line, offset, self._open_sealed(doc, offset, length))
            if parsed is None:
                continue
            _, _, comp, rec, write = parsed
            if write is None:
                continue  # a read: nothing a file is checked against
            key = (comp, rec)
            writes = state.records.get(key)
            if writes is None:
                writes = state.records[key] = self._list(key) if key in state.packed else []
            writes.append(write)
            touched.add(key)
            if write.seq == state.seq:
                state.last_key = key
        for key in touched:
            state.records[key].sort(key=lambda w: w.seq)
            self._checked.pop(key, None)

    @_one_thread_at_a_time
    def drop_opener(self) -> None:
        """The session locked: sealed entries parsed from now on wait for the next key."""
        self._opener = None

    @property
    @_one_thread_at_a_time
    def unopened(self) -> list[int]:
        """Sealed entries this reader's key did not open (altered, moved, another key's)."""
        return list(self._state.unopened)

    @property
    @_one_thread_at_a_time
    def sealed_unread(self) -> int:
        """Sealed entries passed over because this reader holds no case key."""
        return len(self._state.skipped)

    @_one_thread_at_a_time
    def writes(self, comp: str, rec: str) -> list[Write]:
        return list(self._list((comp, rec)))

    @_one_thread_at_a_time
    def records(self, comp: str) -> Iterable[str]:
        state = self._state
        return [rec for (c, rec) in itertools.chain(state.records, state.packed) if c == comp]

    # ------------------------------------------------------------------
    # what is valid
    # ------------------------------------------------------------------
    def _signature_ok(self, header: Header, write: Write) -> bool:
        known = self._signatures.get(write.seq)
        if known is not None:
            return known
        ok = False
        found = header.public_key(write.key_id)
        good = self._good.get(write.key_id)
        if found is not None and good is not None and good[0] == found[0] and write.seq in good[1]:
            self._signatures[write.seq] = True
            return True
        if found is not None:
            try:
                line = self.fs.read_range(self.path, write.offset, write.length)
            except OSError as exc:
                # A failing disk is not a forgery: say so, and remember nothing.
                where = exc.filename or str(self.path)
                raise VaultError(
                    f"{where}: could not be read ({exc.strerror or exc}); nothing was changed"
                ) from exc
            try:
                entry = AuditEntry.parse(line)
                ok = entry.seq == write.seq and verify_signature(
                    found[0], b64d(entry.sig), entry.signing_bytes()
                )
            except (ValueError, UnicodeDecodeError):
                ok = False
            if ok:
                if good is None or good[0] != found[0]:
                    good = self._good[write.key_id] = (found[0], set())
                good[1].add(write.seq)
                self._fresh += 1
        self._signatures[write.seq] = ok
        return ok

    def _role(self, header: Header, write: Write) -> str | None:
        """The signer's role, if the key is the named author's; None otherwise."""
        found = header.public_key(write.key_id)
        if found is None:
            return None
        role = found[1]
        owner = write.key_id.rsplit(".", 1)[0]
        if owner != write.actor and not (role == "recovery" and write.actor == "recovery"):
            return None
        return role

    def _retired(self, header: Header) -> dict[str, int]:
        """key id -> the entry after which it signs nothing: removals and re-keys."""
        count = self._state.header_writes
        if self._retired_cache is not None and self._retired_cache[0] == count:
            return self._retired_cache[1]
        retired: dict[str, int] = {}
        # A re-key retires only the keys its user already had: later keys are
        # listed in today's header too, and must not be retired in the past.
        introduced: set[str] = set()
        for write in self._list(("header", HEADER_NAME)):
            if retired.get(write.key_id, write.seq + 1) <= write.seq:
                continue
            role = self._role(header, write)
            if role is None or not may_write(
                role, write.action, "header", actor=write.actor, subject=write.subject
            ):
                continue
            if not self._signature_ok(header, write):
                continue
            subject = write.subject
            if not isinstance(subject, str):
                continue
            if write.action == "recovery.reissue" and isinstance(write.new_key, str):
                # The first recovery key was made with the vault, named by no entry.
                for key in header.recovery.sign_keys:
                    was_listed = key.key_id in introduced or key.key_id == _FIRST_RECOVERY_KEY
                    if key.key_id != write.new_key and was_listed:
                        retired.setdefault(key.key_id, write.seq)
                introduced.add(write.new_key)
                continue
            user = header.user_by_id(subject)
            if user is None:
                continue
            if write.action == "user.remove":
                for key in user.sign_keys:
                    if key.key_id in introduced:
                        retired.setdefault(key.key_id, write.seq)
            elif write.action in _REKEY_ACTIONS and isinstance(write.new_key, str):
                for key in user.sign_keys:
                    if key.key_id != write.new_key and key.key_id in introduced:
                        retired.setdefault(key.key_id, write.seq)
            if isinstance(write.new_key, str):
                introduced.add(write.new_key)
        self._retired_cache = (count, retired)
        return retired

    @_one_thread_at_a_time
    def valid(self, header: Header, write: Write, comp: str) -> bool:
        """Signed by its named author, whose role may make it, with a key not yet retired."""
        role = self._role(header, write)
        if role is None:
            return False
        if not may_write(role, write.action, comp, actor=write.actor, subject=write.subject):
            return False
        retired = self._retired(header).get(write.key_id)
        if retired is not None and write.seq > retired:
            return False
        return self._signature_ok(header, write)

    @_one_thread_at_a_time
    def entry_of(self, write: Write) -> AuditEntry | None:
        """The whole audit entry behind a write (its extras), or None if it no longer parses."""
        try:
            entry = AuditEntry.parse(self.fs.read_range(self.path, write.offset, write.length))
        except (ValueError, UnicodeDecodeError):
            return None
        if entry.seq != write.seq:
            return None
        if entry.action == SEALED_ACTION:
            return self._opener.open(entry) if self._opener is not None else None
        return entry

    @_one_thread_at_a_time
    def role_of(self, header: Header, write: Write) -> str | None:
        return self._role(header, write)

    @_one_thread_at_a_time
    def latest_valid(self, header: Header, comp: str, rec: str) -> Write | None:
        """The newest save (or destruction) of a record that counts: what a file must match.

        ``ydsi repair`` puts back the file this names. Reads are not saves.
        """
        for write in reversed(self._list((comp, rec))):
            if write.action != "record.read" and self.valid(header, write, comp):
                return write
        return None

    # ------------------------------------------------------------------
    # vouching for a file
    # ------------------------------------------------------------------
    @_one_thread_at_a_time
    def vouch(self, header: Header, comp: str, rec: str, file_hash: str, label: str) -> Write:
        """The save that vouches for this exact file, or :class:`RecordDamaged` saying why not.

        Newest first: a listing checks one signature per record.
        """
        newest = self._newest((comp, rec))
        if (
            newest is not None
            and newest.hash == file_hash
            and newest.action not in ("record.read", "record.destroy")
            and self.valid(header, newest, comp)
        ):
            return newest  # the common case, without unpacking the record's other saves
        writes = self._list((comp, rec))
        skipped: list[Write] = []
        vouching: Write | None = None
        for write in reversed(writes):
            if write.action == "record.read":
                continue
            if self.valid(header, write, comp):
                vouching = write
                break
            skipped.append(write)
        if vouching is None:
            intruder = next((w for w in skipped if w.hash == file_hash), None)
            if intruder is not None:
                raise RecordDamaged(label, self._intruder_reason(header, intruder), intruder.seq)
            raise RecordDamaged(label, "no signed save in the audit log vouches for this file")
        if vouching.action == "record.destroy":
            raise RecordDamaged(
                label,
                f"destroyed at entry {vouching.seq} but present again",
                vouching.seq,
                transient=True,
            )
        if vouching.hash == file_hash:
            return vouching
        intruder = next((w for w in skipped if w.hash == file_hash), None)
        if intruder is not None:
            raise RecordDamaged(label, self._intruder_reason(header, intruder), intruder.seq)
        earlier = next(
            (w for w in reversed(writes) if w.hash == file_hash and w.seq < vouching.seq), None
        )
        if earlier is not None:
            raise RecordDamaged(
                label,
                f"rolled back to the version saved at entry {earlier.seq} "
                f"(the latest signed save is entry {vouching.seq})",
                vouching.seq,
                transient=True,
            )
        elsewhere = self._owner_of(file_hash, (comp, rec))
        if elsewhere is not None:
            raise RecordDamaged(
                label,
                f"holds the content of another record ({elsewhere[0]}/{elsewhere[1][:8]}...: "
                "files swapped or copied over)",
                vouching.seq,
            )
        if self._state.broken_at is not None:
            raise RecordDamaged(
                label,
                f"the audit log is broken at entry {self._state.broken_at}, so the saves "
                "after it cannot be vouched for: run 'ydsi verify'",
                self._state.broken_at,
            )
        raise RecordDamaged(
            label,
            f"altered or replaced outside ydsi (does not match the signed save at entry "
            f"{vouching.seq})",
            vouching.seq,
        )

    def _owner_of(self, file_hash: str, exclude: tuple[str, str]) -> tuple[str, str] | None:
        """Which other record a save with this hash belongs to (only when a file is wrong)."""
        for key, writes in self._state.records.items():
            if key != exclude and any(w.hash == file_hash for w in writes):
                return key
        for key, blob in self._state.packed.items():
            if key != exclude and any(_unpack_hash(t[4]) == file_hash for t in _unmarshal(blob)):
                return key
        return None

    def _intruder_reason(self, header: Header, write: Write) -> str:
        role = self._role(header, write)
        if role is None:
            return f"written at entry {write.seq} under a key that is not its author's"
        if not self._signature_ok(header, write):
            return f"written at entry {write.seq}, whose signature does not verify (forged)"
        retired = self._retired(header).get(write.key_id)
        if retired is not None and write.seq > retired:
            return (
                f"written at entry {write.seq} with a key retired at entry {retired} "
                "(a removed user, or an old key)"
            )
        return f"written at entry {write.seq} by a {role}, who may not write this record"

    @_one_thread_at_a_time
    def authors(
        self, header: Header, comp: str, rec: str, prefixes: Prefixes, vouching: Write, label: str
    ) -> dict[str, dict[str, Author]]:
        """Check the file's history against every signed head; attribute each document.

        The file must extend every chain state a valid save of this record
        named, and hold exactly what the vouching save named. Returns
        {table: {doc id: Author}}.
        """
        if vouching.chain is not None and prefixes.current() != vouching.chain:
            raise RecordDamaged(
                label,
                f"its history is not the one signed at entry {vouching.seq} (entries edited, "
                "removed or reordered by someone holding the key)",
                vouching.seq,
            )
        # A file that reaches the newest head checked before holds, as its
        # prefix, exactly the documents that were checked against every
        # earlier head: only the saves since then need checking.
        checked = self._checked.get((comp, rec))
        authors: dict[str, dict[str, Author]] = {}
        done: dict[str, int] = {}
        after = 0
        if checked is not None and checked[0] <= vouching.seq:
            seq, seen, known = checked
            again = prefixes.state_at(dict(seen.counts))
            if again is not None and again.head == seen.head:
                after = seq
                authors = {table: dict(docs) for table, docs in known.items()}
                done = dict(seen.counts)
        pending: list[Write] = []
        for write in reversed(self._list((comp, rec))):
            if write.seq <= after:
                break
            if write.seq <= vouching.seq and write.action != "record.read":
                pending.append(write)
        valid = [w for w in reversed(pending) if self.valid(header, w, comp)]
        # A DSL's acceptance of the record as found (a valid record.repair with
        # a restart state) is a new starting point: the heads signed before it
        # were named as lost, so they are attributed where the file still
        # reaches them and otherwise no longer demanded. Everything from the
        # restart on is checked as strictly as ever.
        restart_at = max(
            (i for i, w in enumerate(valid) if w.restart is not None and w.chain is not None),
            default=-1,
        )
        newest: tuple[int, ChainState] | None = None
        for index_w, write in enumerate(valid):
            if write.chain is None:
                continue
            counts = dict(write.chain.counts)
            state = prefixes.state_at(counts)
            if state is None or state.head != write.chain.head:
                if index_w < restart_at:
                    continue  # lost before the acceptance, which named it
                raise RecordDamaged(
                    label,
                    f"history rewritten: what was saved at entry {write.seq} is no longer in it "
                    "(entries removed, edited or reordered)",
                    write.seq,
                )
            if write.restart is not None:
                found = prefixes.state_at(dict(write.restart.counts))
                if found is None or found.head != write.restart.head:
                    raise RecordDamaged(
                        label,
                        f"history rewritten: what was accepted as found at entry {write.seq} "
                        "is no longer in it (entries removed, edited or reordered)",
                        write.seq,
                    )
                for table, count in write.restart.counts:
                    ids = prefixes.ids.get(table, [])
                    for index in range(done.get(table, 0), count):
                        authors.setdefault(table, {})[ids[index]] = Author(
                            write.actor, write.key_id, write.seq, as_found=True
                        )
                    done[table] = max(done.get(table, 0), count)
            for table, count in counts.items():
                ids = prefixes.ids.get(table, [])
                for index in range(done.get(table, 0), count):
                    authors.setdefault(table, {})[ids[index]] = Author(
                        write.actor, write.key_id, write.seq, legacy=write.legacy
                    )
                done[table] = max(done.get(table, 0), count)
            newest = (write.seq, write.chain)
        if newest is not None:
            self._checked[(comp, rec)] = (
                newest[0],
                newest[1],
                {table: dict(docs) for table, docs in authors.items()},
            )
        return authors


def _unmarshal(data: bytes | memoryview) -> Any:
    """marshal.loads, only ever of this account's own MAC-checked cache (index_cache.py).

    marshal builds plain values only (no code runs, unlike pickle); what it
    does not promise is safety on hostile bytes, and a cache whose MAC did
    not verify under the account's private key is never unmarshalled.
    """
    return marshal.loads(data)  # noqa: S302 - authenticated, see above


_HEX64 = re.compile(r"[0-9a-f]{64}")


def _pack_hash(text: str) -> str | bytes:
    """A SHA-256 in lowercase hex as its 32 bytes (half the cache); anything else as is."""
    return bytes.fromhex(text) if _HEX64.fullmatch(text) else text


def _unpack_hash(packed: Any) -> str:
    return packed.hex() if isinstance(packed, bytes) else packed


def _pack_chain(chain: ChainState | None) -> object:
    return None if chain is None else (chain.counts, _pack_hash(chain.head))


def _unpack_chain(packed: Any) -> ChainState | None:
    return None if packed is None else ChainState(packed[0], _unpack_hash(packed[1]))


def _pack(w: Write) -> tuple[object, ...]:
    """A write as marshal keeps it (interned strings stay shared, and interned)."""
    return (w.seq, w.action, w.actor, w.key_id, _pack_hash(w.hash), _pack_chain(w.chain),
            w.legacy, w.subject, w.new_key, w.offset, w.length,
            _pack_chain(w.restart))  # fmt: skip


def _unpack(t: Any) -> Write:
    return Write(t[0], t[1], t[2], t[3], _unpack_hash(t[4]), _unpack_chain(t[5]), t[6],
                 t[7], t[8], t[9], t[10], _unpack_chain(t[11]))  # fmt: skip


#: How much of the log is read at a time when parsing it.
_CHUNK = 4 << 20
#: What json.loads reads a value with (``JSONDecoder().scan_once``); the
#: stubs mistype make_scanner's argument, which is the decoder.
_SCAN: Callable[[str, int], tuple[object, int]] = json.scanner.make_scanner(
    json.JSONDecoder()  # type: ignore[arg-type]
)
_SPACE = re.compile(r"[ \t\n\r]*")  # what json.loads skips around a value


def _skip_space(text: str, pos: int, end: int) -> int:
    found = _SPACE.match(text, pos, end)
    return found.end() if found is not None else pos


_UNREADABLE = object()


def _load_line(line: bytes, text: str | None, start: int, end: int) -> object:
    """``json.loads(line)``, read in place from the chunk's ``text`` when it reads cleanly.

    ``text[start:end]`` is ``line`` (an ASCII chunk). The value is taken
    from there only when it starts after optional blanks and ends, followed
    by blanks only, within the line: then json.loads on the line alone reads
    the same characters to the same value (a JSON value cannot run past a
    newline without ending or failing, and strict strings refuse control
    characters, so no NUL makes json.loads guess another encoding). Any
    other line, valid or not, is handed to json.loads itself. Returns
    :data:`_UNREADABLE` where json.loads raises ValueError.
    """
    if text is not None:
        try:
            value, stop = _SCAN(text, _skip_space(text, start, end))
        except (StopIteration, ValueError):
            pass
        else:
            if stop <= end and _skip_space(text, stop, end) == end:
                return value
    try:
        return json.loads(line)
    except (ValueError, UnicodeDecodeError):
        return _UNREADABLE


def _light_parse(
    line: bytes, offset: int, doc: object
) -> tuple[int, str, str, str, Write | None] | None:
    """(seq, prev, comp, rec, the write or None for a read) from one line; None if unreadable.

    Only what the index needs: the signature is checked later, from the line
    re-read at ``offset``, by the strict parser. ``doc`` is the line as
    :func:`_load_line` read it.
    """
    if doc is _UNREADABLE:
        return None
    if not isinstance(doc, dict):
        return None
    seq, prev, comp, rec = doc.get("seq"), doc.get("prev"), doc.get("comp"), doc.get("rec")
    action, actor, key_id, file_hash = (
        doc.get("action"),
        doc.get("actor"),
        doc.get("key_id"),
        doc.get("hash"),
    )
    extra = doc.get("extra")
    if not (
        isinstance(seq, int)
        and isinstance(prev, str)
        and isinstance(comp, str)
        and isinstance(rec, str)
        and isinstance(action, str)
        and isinstance(actor, str)
        and isinstance(key_id, str)
        and isinstance(file_hash, str)
        and isinstance(extra, dict)
    ):
        return None
    if action == "record.read" or (not file_hash and action != "record.destroy"):
        return seq, prev, comp, rec, None
    chain = ChainState.from_doc(extra["chain"]) if "chain" in extra else None
    restart = None
    if action == "record.repair" and extra.get("from") == "as-found" and "found" in extra:
        restart = ChainState.from_doc(extra["found"])
    # Who, with which key, did what: a few dozen distinct strings over
    # 200,000 entries. One shared copy each keeps the index within the
    # memory target (json.loads makes a new string per line).
    write = Write(
        seq=seq,
        action=sys.intern(action),
        actor=sys.intern(actor),
        key_id=sys.intern(key_id),
        hash=file_hash,
        chain=chain,
        legacy=extra.get("legacy") is True,
        subject=extra.get("user"),
        new_key=extra.get("key_id"),
        offset=offset,
        length=len(line),
        restart=restart,
    )
    return seq, prev, comp, rec, write
