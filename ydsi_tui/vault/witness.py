"""Every user is a witness: what this user's client last saw of a vault's audit log.

The audit log is hash-chained and signed, but a chain can be cut back to any
earlier entry and stay valid, and an old backup unpacked over the vault is a
whole older vault, self-consistent on disk (the header is vouched for by the
older log, every file by its entries). Nothing *in* the vault can tell it
from the current one. Something outside it can: each user's client keeps, in
the user's own state directory (``$XDG_STATE_HOME/ydsi/witness``, mode 0700,
which no member of the vault's group can write), a small file per vault and
user recording the last entry it saw acknowledged (number, hash, byte
offsets), the header's serial and hash, the authority key and key epochs,
signed with the user's own signing key. Beside it, ``.lines`` keeps the last
1,000 audit lines it saw, so a rollback can be shown and proved (they are
the authors' own signed entries, chained to the signed head).

**When it moves.** Only forwards, and only to an entry that was
acknowledged: after a save committed (under the vault lock, so the head is
the save's own entry), after an audited read (likewise), or, for an
unaudited read, up to the save that vouched for the file read (its file is
in place, so its save finished). An entry the save protocol itself took back
(``audit.undo``, a save that failed after the append) was never
acknowledged, so no witness ever holds it and it raises no alarm.

**At unlock** the line at the witnessed offset must still be there with the
same hash. If the log is shorter, or holds another line there (a fork), the
session carries a loud warning naming the lost range, and saves are refused
(:class:`~ydsi_tui.vault.errors.RolledBack`) until a DSL signs a
``witness.ack`` entry (``ydsi witness ack``). A DSL-signed ``witness.ack`` or
``vault.restore`` entry in the log after the point where it left what this
user saw accepts the new history: the witness says so once and moves on.

A witness file that does not verify (altered, truncated, another user's
planted in its place) is never trusted: it is ignored with a warning and
rebuilt from the vault as it is at the next acknowledged read or save.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import json
import os
import secrets
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace
from datetime import datetime
from pathlib import Path
from typing import Any

import platformdirs

from .audit import AUDIT_NAME, AuditEntry
from .crypto import b64d, b64e, canonical_json, sha256_hex, verify_signature
from .fs import FileSystem
from .header import Header

__all__ = [
    "ACCEPTING_ACTIONS",
    "KEEP_LINES",
    "Finding",
    "Seen",
    "Witness",
    "WitnessBusy",
    "ensure_private_dir",
    "state_dir",
    "witness_path",
]

KEEP_LINES = 1000
#: Seconds to wait for this user's other program to finish updating the witness.
LOCK_TIMEOUT = 5.0
#: Audit actions by which a DSL accepts that the log left what users saw.
ACCEPTING_ACTIONS = frozenset({"witness.ack", "vault.restore"})
_VERSION = 1
_MAX_STATE = 64 * 1024
_NEW_FILE = os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_CLOEXEC | os.O_NOFOLLOW
_TAIL_GUESS = 600  # bytes per audit line, for the first read of a log's tail


class WitnessBusy(OSError):
    """The per-user lock stayed taken: the update is skipped (the witness stays behind)."""


def state_dir() -> Path:
    """This user's ydsi state directory (``$XDG_STATE_HOME/ydsi`` on Linux)."""
    return platformdirs.user_state_path("ydsi")


def witness_path(
    vault_id: str, user_id: str, vault_path: Path, directory: Path | None = None
) -> Path:
    """Where one user's witness of one vault, opened at one place, is kept.

    By place as well as by vault id: ``ydsi restore`` to a second directory
    (to look at an old state) makes a copy with the same id, and the copy's
    history must not make the live vault look rolled back, nor the reverse.
    Nobody in the vault's group can move the vault directory (its parent
    must not be group-writable), so an attacker cannot change the place.
    The ``.lines`` file sits beside it.
    """
    base = directory if directory is not None else state_dir() / "witness"
    where = hashlib.sha256(os.fsencode(vault_path.resolve())).hexdigest()[:16]
    return base / f"{vault_id}.{user_id}.{where}.json"


def ensure_private_dir(path: Path) -> None:
    """Make ``path`` (and its parents) and keep it 0700: only its owner may touch it."""
    path.mkdir(parents=True, exist_ok=True, mode=0o700)
    info = path.lstat()
    if info.st_mode & 0o077:
        os.chmod(path, 0o700)


@dataclass(frozen=True)
class Seen:
    """The signed body of a witness: the last acknowledged entry and the header then."""

    vault_id: str
    user_id: str
    seq: int
    hash: str
    start: int  # byte offset of that entry's line in audit.log
    end: int  # just past its newline
    header_serial: int
    header_hash: str
    authority: str
    epochs: dict[str, int]
    at: str  # when it was seen (UTC, ISO 8601)
    lines: int = 0  # lines written to the .lines file since it was last rewritten
    key_id: str = ""
    sig: bytes = b""

    def body(self) -> dict[str, Any]:
        return {
            "version": _VERSION,
            "vault_id": self.vault_id,
            "user_id": self.user_id,
            "seq": self.seq,
            "hash": self.hash,
            "start": self.start,
            "end": self.end,
            "header": {"serial": self.header_serial, "hash": self.header_hash},
            "authority": self.authority,
            "epochs": dict(self.epochs),
            "at": self.at,
            "lines": self.lines,
            "key_id": self.key_id,
        }

    def signing_bytes(self) -> bytes:
        return b"ydsi witness v1|" + canonical_json(self.body())

    def to_bytes(self) -> bytes:
        return canonical_json({**self.body(), "sig": b64e(self.sig)}) + b"\n"

    @classmethod
    def from_bytes(cls, data: bytes) -> Seen:
        """Parse strictly; ValueError (or KeyError, TypeError) for anything else."""
        if len(data) > _MAX_STATE:
            raise ValueError("too large")
        doc = json.loads(data.decode("ascii"))
        if not isinstance(doc, dict) or doc.get("version") != _VERSION:
            raise ValueError("not a witness of this version")
        header = doc["header"]
        epochs = doc["epochs"]
        if not isinstance(epochs, dict) or not all(
            isinstance(k, str) and _is_int(v) for k, v in epochs.items()
        ):
            raise ValueError("bad epochs")
        ints = [doc["seq"], doc["start"], doc["end"], header["serial"], doc["lines"]]
        texts = [
            doc["vault_id"],
            doc["user_id"],
            doc["hash"],
            header["hash"],
            doc["authority"],
            doc["at"],
            doc["key_id"],
        ]
        if not all(_is_int(v) and v >= 0 for v in ints) or not all(
            isinstance(t, str) for t in texts
        ):
            raise ValueError("bad field")
        seen = cls(
            vault_id=doc["vault_id"],
            user_id=doc["user_id"],
            seq=doc["seq"],
            hash=doc["hash"],
            start=doc["start"],
            end=doc["end"],
            header_serial=header["serial"],
            header_hash=header["hash"],
            authority=doc["authority"],
            epochs=dict(epochs),
            at=doc["at"],
            lines=doc["lines"],
            key_id=doc["key_id"],
            sig=b64d(doc["sig"], length=64),
        )
        if seen.end <= seen.start or seen.seq < 1:
            raise ValueError("bad position")
        return seen


def _is_int(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


@dataclass(frozen=True)
class Finding:
    """What the check at unlock found.

    ``rollback`` is the refusal (saves are refused until a DSL acknowledges
    it); ``note`` a one-off message (a restore or acknowledgement accepted);
    ``warning`` a witness file that could not be trusted. ``lost`` are the
    witnessed lines that are not in the vault (the proof), oldest first.
    """

    rollback: str | None = None
    note: str | None = None
    warning: str | None = None
    first_lost: int = 0
    witnessed: Seen | None = None
    lost: tuple[bytes, ...] = ()
    accepted: bool = False


@dataclass
class _Line:
    seq: int
    prev: str
    hash: str
    start: int
    end: int
    raw: bytes


def _parse_lines(data: bytes, base: int) -> Iterator[_Line]:
    """Complete lines of ``data`` (which starts at byte ``base`` of the log), lightly parsed."""
    start = 0
    while True:
        end = data.find(b"\n", start)
        if end == -1:
            return
        raw = data[start:end]
        seq, prev = _seq_prev(raw)
        yield _Line(seq, prev, hashlib.sha256(raw).hexdigest(), base + start, base + end + 1, raw)
        start = end + 1


def _seq_prev(raw: bytes) -> tuple[int, str]:
    try:
        doc = json.loads(raw)
    except (ValueError, UnicodeDecodeError):
        return 0, ""
    if not isinstance(doc, dict):
        return 0, ""
    seq, prev = doc.get("seq"), doc.get("prev")
    if not isinstance(seq, int) or isinstance(seq, bool) or not isinstance(prev, str):
        return 0, ""
    return seq, prev


def _when(iso: str) -> str:
    """``01/12 10:30`` in local time, for messages."""
    try:
        moment = datetime.fromisoformat(iso.replace("Z", "+00:00"))
    except ValueError:
        return iso[:16]
    return moment.astimezone().strftime("%d/%m %H:%M")


def _span(first: int, last: int) -> tuple[str, str]:
    """("entry 41", "is") or ("entries 41-52", "are")."""
    return (f"entry {first}", "is") if first == last else (f"entries {first}-{last}", "are")


class Witness:
    """One user's witness of one vault: where its files are and how to move it."""

    def __init__(
        self,
        *,
        fs: FileSystem,
        vault_path: Path,
        vault_id: str,
        user_id: str,
        key_id: Callable[[], str],
        sign: Callable[[bytes], bytes],
        header: Callable[[], Header],
        now: Callable[[], str],
        directory: Path | None = None,
    ) -> None:
        self.fs = fs
        self.log_path = vault_path / AUDIT_NAME
        self.vault_id = vault_id
        self.user_id = user_id
        self._key_id = key_id
        self._sign = sign
        self._header = header
        self._now = now
        self.directory = directory if directory is not None else state_dir() / "witness"
        self.path = witness_path(vault_id, user_id, vault_path, self.directory)
        self.lines_path = self.path.with_suffix(".lines")
        self.lock_path = self.directory / ".lock"
        #: The witness on disk could not be trusted: the next advance rebuilds it.
        self.rebuild = False
        self._cache: tuple[tuple[int, int, int], Seen] | None = None

    # ------------------------------------------------------------------
    # keys this account made
    # ------------------------------------------------------------------
    @property
    def _keys_path(self) -> Path:
        return self.path.with_suffix(".keys")

    def remember_own_key(self, key_id: str) -> None:
        """Note a signing key this account's client made (``user passwd --new-keys``).

        Kept in this user's private state directory, which nobody in the
        vault's group can write: a key made by another account's client is
        then recognisable (see ``Witnessing._own_keys_check``).
        """
        ensure_private_dir(self.directory)
        fd = os.open(
            self._keys_path,
            os.O_WRONLY | os.O_CREAT | os.O_APPEND | os.O_CLOEXEC | os.O_NOFOLLOW,
            0o600,
        )
        try:
            os.write(fd, key_id.encode("ascii", "replace") + b"\n")
            os.fsync(fd)
        finally:
            os.close(fd)

    def own_keys(self) -> set[str]:
        """The signing keys this account's client made (empty when none is noted)."""
        try:
            fd = os.open(self._keys_path, os.O_RDONLY | os.O_CLOEXEC | os.O_NOFOLLOW)
        except OSError:
            return set()
        try:
            data = os.read(fd, _MAX_STATE)
        finally:
            os.close(fd)
        return {line.strip() for line in data.decode("ascii", "replace").splitlines()}

    def seen_seq(self) -> int:
        """The last entry this witness holds as acknowledged (0: none known; no I/O)."""
        return self._cache[1].seq if self._cache is not None else 0

    # ------------------------------------------------------------------
    # the files
    # ------------------------------------------------------------------
    @contextlib.contextmanager
    def locked(self) -> Iterator[None]:
        """The per-user lock: the app and the CLI of one user race for the same file."""
        ensure_private_dir(self.directory)
        fd = os.open(self.lock_path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC | os.O_NOFOLLOW, 0o600)
        try:
            deadline = time.monotonic() + LOCK_TIMEOUT
            delay = 0.001
            while True:
                try:
                    fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                    break
                except BlockingIOError:
                    if time.monotonic() >= deadline:
                        # Another of this user's programs is stuck holding it (stopped
                        # in a debugger, say): never stop a save for the witness.
                        raise WitnessBusy(
                            "another of your ydsi programs holds your witness's lock"
                        ) from None
                    time.sleep(delay)
                    delay = min(delay * 2, 0.05)
            try:
                yield
            finally:
                fcntl.flock(fd, fcntl.LOCK_UN)
        finally:
            os.close(fd)

    def load(self) -> tuple[Seen | None, str | None]:
        """(the witness, None), (None, None) when there is none, or (None, why not trusted)."""
        try:
            info = os.stat(self.path, follow_symlinks=False)
        except FileNotFoundError:
            return None, None
        except OSError as exc:
            return None, f"could not be read ({exc.strerror or exc})"
        stamp = (info.st_ino, info.st_size, info.st_mtime_ns)
        if self._cache is not None and self._cache[0] == stamp:
            return self._cache[1], None
        try:
            with open(self.path, "rb") as stream:
                seen = Seen.from_bytes(stream.read(_MAX_STATE + 1))
        except OSError as exc:
            return None, f"could not be read ({exc.strerror or exc})"
        except (ValueError, KeyError, TypeError, UnicodeDecodeError):
            return None, "is damaged or was altered"
        problem = self._trust(seen)
        if problem is not None:
            return None, problem
        self._cache = (stamp, seen)
        return seen, None

    def _trust(self, seen: Seen) -> str | None:
        """Why a parsed witness is not this user's own for this vault (None: it is)."""
        if seen.vault_id != self.vault_id:
            return "belongs to another vault"
        if seen.user_id != self.user_id or seen.key_id.rsplit(".", 1)[0] != self.user_id:
            return "was signed by another user (planted)"
        user = self._header().user_by_id(self.user_id)
        keys = [k.public for k in (user.sign_keys if user else []) if k.key_id == seen.key_id]
        if not keys or not verify_signature(keys[0], seen.sig, seen.signing_bytes()):
            return "does not carry your signature (altered or forged)"
        return None

    def _store(self, seen: Seen) -> None:
        """Write the signed witness atomically: O_EXCL temp, rename (no fsync).

        Not fsynced: it was one of four fsyncs in every save, and no record
        depends on it. A power cut can leave the previous witness (still
        valid: it only moves forwards, so an older one raises no alarm, it
        just notices less) or, on a file system that does not flush a file
        renamed over another, an empty one, which is reported as not
        trusted and rebuilt. The ``.lines`` file, rewritten once in 1,000
        entries, is still fsynced.
        """
        seen = replace(seen, key_id=self._key_id())
        seen = replace(seen, sig=self._sign(seen.signing_bytes()))
        ensure_private_dir(self.directory)
        tmp = self.directory / f".{self.path.name}.{secrets.token_hex(6)}"
        fd = os.open(tmp, _NEW_FILE, 0o600)
        try:
            data = seen.to_bytes()
            view = memoryview(data)
            while view:
                view = view[os.write(fd, view) :]
        except BaseException:
            os.close(fd)
            with contextlib.suppress(OSError):
                os.unlink(tmp)
            raise
        os.close(fd)
        os.replace(tmp, self.path)
        info = os.stat(self.path, follow_symlinks=False)
        self._cache = ((info.st_ino, info.st_size, info.st_mtime_ns), seen)

    def _append_lines(self, seen: Seen, lines: list[bytes]) -> int:
        """Add lines to ``.lines``; rewrite it with the last 1,000 when it has grown to 2,000."""
        count = seen.lines + len(lines)
        if count < 2 * KEEP_LINES:
            fd = os.open(
                self.lines_path,
                os.O_WRONLY | os.O_APPEND | os.O_CREAT | os.O_CLOEXEC | os.O_NOFOLLOW,
                0o600,
            )
            try:
                os.write(fd, b"".join(line + b"\n" for line in lines))
            finally:
                os.close(fd)
            return count
        kept = [*self.witnessed_lines(seen), *lines][-KEEP_LINES:]
        self._write_lines(kept)
        return len(kept)

    def _write_lines(self, lines: list[bytes]) -> None:
        tmp = self.directory / f".{self.lines_path.name}.{secrets.token_hex(6)}"
        fd = os.open(tmp, _NEW_FILE, 0o600)
        try:
            os.write(fd, b"".join(line + b"\n" for line in lines))
            os.fsync(fd)
        finally:
            os.close(fd)
        os.replace(tmp, self.lines_path)

    def witnessed_lines(self, seen: Seen) -> list[bytes]:
        """The lines this witness saw, oldest first, ending at its signed head.

        Only lines that chain to the signed head count: anything else in the
        file (a torn append, an edit) is dropped, never believed.
        """
        try:
            with open(self.lines_path, "rb") as stream:
                data = stream.read()
        except OSError:
            return []
        parsed = list(_parse_lines(data, 0))
        index = next(
            (i for i in range(len(parsed) - 1, -1, -1) if parsed[i].hash == seen.hash), None
        )
        if index is None:
            return []
        chain = [parsed[index]]
        for line in reversed(parsed[:index]):
            if chain[-1].prev != line.hash or line.seq != chain[-1].seq - 1:
                break
            chain.append(line)
        return [line.raw for line in reversed(chain)]

    # ------------------------------------------------------------------
    # the check at unlock
    # ------------------------------------------------------------------
    def check(self, who: Callable[[str], str]) -> Finding:
        """Compare the vault's log with what this user saw; ``who`` names a user id."""
        seen, problem = self.load()
        if problem is not None:
            self.rebuild = True
            return Finding(
                warning=f"your witness of this vault ({self.path}) {problem}: it is not "
                "trusted, and is rebuilt from the vault as it is now"
            )
        if seen is None:
            return Finding()
        if self._still_there(seen):
            return self._check_header(seen)
        return self._lost(seen, who)

    def _still_there(self, seen: Seen) -> bool:
        """The witnessed line is where it was, byte for byte (one small read)."""
        size = seen.end - seen.start
        data = self.fs.read_range(self.log_path, seen.start, size)
        return (
            len(data) == size
            and data.endswith(b"\n")
            and hashlib.sha256(data[:-1]).hexdigest() == seen.hash
        )

    def _check_header(self, seen: Seen) -> Finding:
        header = self._header()
        lower = [c for c, e in seen.epochs.items() if header.epochs.get(c, 0) < e]
        if header.serial >= seen.header_serial and not lower:
            return Finding(witnessed=seen)
        return Finding(
            rollback=f"the vault header went back: you saw serial {seen.header_serial} on "
            f"{_when(seen.at)}, this vault's is serial {header.serial}",
            witnessed=seen,
            first_lost=seen.seq + 1,
        )

    def _lost(self, seen: Seen, who: Callable[[str], str]) -> Finding:
        """The log left what this user saw: name the range, look for a DSL's acceptance."""
        current = self.fs.read_bytes(self.log_path).split(b"\n")[:-1]
        mine = self.witnessed_lines(seen)
        first = seen.seq - len(mine) + 1 if mine else seen.seq
        first_lost = first
        for offset, line in enumerate(mine):
            seq = first + offset
            if seq > len(current) or current[seq - 1] != line:
                first_lost = seq
                break
        else:
            first_lost = seen.seq
        earlier = " (and perhaps earlier ones)" if first_lost == first and first > 1 else ""
        ends = len(current)
        if ends < first_lost:
            first_lost = ends + 1  # a cut: everything after the new end is gone
            earlier = ""
        lost = tuple(mine[max(first_lost - first, 0) :])
        span, verb = _span(first_lost, seen.seq)
        if earlier:
            verb = "are"
        if ends < first_lost:
            what = (
                f"the audit log ends at entry {ends}, but you saw entry {seen.seq} on "
                f"{_when(seen.at)}: {span}{earlier} {verb} not in this vault"
            )
        else:
            what = (
                f"the audit log was rewritten after entry {first_lost - 1}: you saw entry "
                f"{seen.seq} on {_when(seen.at)}, and {span}{earlier} in this vault {verb} not "
                "what you saw"
            )
        accepted = self._acceptance(current, first_lost, who)
        if accepted is not None:
            entry, by = accepted
            self.rebuild = True
            if entry.action == "vault.restore":
                note = (
                    f"restored from a backup by {by} (entry {entry.seq}); {span}{earlier} "
                    f"{verb} not in the restored vault (you saw up to entry {seen.seq} on "
                    f"{_when(seen.at)})"
                )
            else:
                note = (
                    f"{what}; {by} acknowledged this at entry {entry.seq}, so saves go on "
                    "from the vault as it is"
                )
            return Finding(
                note=note, first_lost=first_lost, witnessed=seen, lost=lost, accepted=True
            )
        return Finding(rollback=what, first_lost=first_lost, witnessed=seen, lost=lost)

    def _acceptance(
        self, current: list[bytes], first_lost: int, who: Callable[[str], str]
    ) -> tuple[AuditEntry, str] | None:
        """The newest DSL-signed ``witness.ack`` / ``vault.restore`` at or after ``first_lost``."""
        header = self._header()
        for raw in reversed(current[max(first_lost - 1, 0) :]):
            if b'"witness.ack"' not in raw and b'"vault.restore"' not in raw:
                continue
            try:
                entry = AuditEntry.parse(raw)
            except (ValueError, UnicodeDecodeError):
                continue
            if entry.action not in ACCEPTING_ACTIONS or entry.comp != "header":
                continue
            if entry.seq < first_lost:
                continue
            known = header.public_key(entry.key_id)
            if known is None or known[1] != "dsl":
                continue
            if entry.key_id.rsplit(".", 1)[0] != entry.actor:
                continue
            if not verify_signature(known[0], b64d(entry.sig), entry.signing_bytes()):
                continue
            return entry, who(entry.actor)
        return None

    # ------------------------------------------------------------------
    # moving forwards
    # ------------------------------------------------------------------
    def advance(self, upto: int | None) -> bool:
        """Move the witness forwards to entry ``upto`` (None: the log's head).

        The caller guarantees that everything up to there was acknowledged.
        False when the log no longer holds what was witnessed (a rollback
        while this session ran): nothing is written then, and the caller
        runs :meth:`check` to name what was lost.
        """
        with self.locked():
            seen, problem = self.load()
            if problem is not None or self.rebuild:
                seen = None
            if seen is None:
                self._rebuild(upto)
                self.rebuild = False
                return True
            if upto is not None and upto <= seen.seq:
                return True  # forwards only
            length, data = self.fs.read_from(self.log_path, seen.start)
            size = seen.end - seen.start
            if (
                length < seen.end
                or not data[:size].endswith(b"\n")
                or hashlib.sha256(data[: size - 1]).hexdigest() != seen.hash
            ):
                return False
            new: list[_Line] = []
            last_hash, last_seq = seen.hash, seen.seq
            for line in _parse_lines(data[size:], seen.end):
                if line.seq != last_seq + 1 or line.prev != last_hash:
                    break  # damage: the vault's own checks report it; do not witness past it
                if upto is not None and line.seq > upto:
                    break
                new.append(line)
                last_hash, last_seq = line.hash, line.seq
            if not new:
                return True
            count = self._append_lines(seen, [line.raw for line in new])
            self._store(self._seen_at(new[-1], count))
            return True

    def _seen_at(self, line: _Line, lines: int) -> Seen:
        header = self._header()
        return Seen(
            vault_id=self.vault_id,
            user_id=self.user_id,
            seq=line.seq,
            hash=line.hash,
            start=line.start,
            end=line.end,
            header_serial=header.serial,
            header_hash=sha256_hex(header.to_bytes()),
            authority=header.current_authority.key_id,
            epochs=dict(header.epochs),
            at=self._now(),
            lines=lines,
        )

    def _rebuild(self, upto: int | None) -> None:
        """A new witness from the log's tail (first use, or the old one was not trusted)."""
        size = _TAIL_GUESS * KEEP_LINES
        length, tail = self.fs.read_tail(self.log_path, size)
        lines = list(_parse_lines(tail, length - len(tail)))
        if len(tail) < length and lines:
            lines = lines[1:]  # may start mid-line
        if upto is not None:
            lines = [line for line in lines if line.seq <= upto]
        if not lines:
            return
        chain = [lines[-1]]
        for line in reversed(lines[:-1]):
            if chain[-1].prev != line.hash or line.seq != chain[-1].seq - 1:
                break
            chain.append(line)
            if len(chain) >= KEEP_LINES:
                break
        chain.reverse()
        if chain[-1].seq < 1:
            return
        self._write_lines([line.raw for line in chain])
        self._store(self._seen_at(chain[-1], len(chain)))
