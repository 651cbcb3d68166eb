"""The write-only staff-report drop: a spool outside the vault, and what goes in it.

Any member of staff with a login may file a report; nobody but the vault's
case roles may read one, and nobody may change or remove one unnoticed once a
triage client has seen it. How, and why each piece:

* **The spool** is a root-owned directory outside the vault, mode 3773 with
  the triage group (DSLs and team): setgid (files join that group), sticky
  (only a file's owner may remove or rename it), writable by everyone, and
  not listable by others (``o`` has ``-wx``). So a reporter can add a file
  but cannot see, replace or delete anyone else's; a technician (not in the
  triage group) cannot see them either.
* **A report file** is named by 128 random bits, created ``O_EXCL|O_NOFOLLOW``
  with mode 0200 (nobody may read it while it is written), fsynced, then made
  0440: the group-read bit is the "complete" mark, so a reader never sees
  half a report. Its owner is the kernel's word for who filed it.
* **Sealing**: a fresh content key encrypts the padded JSON (AES-256-GCM, the
  clear head as associated data); the content key is sealed (the vault's
  X25519 sealing, ``crypto.seal``) to the drop key, or for a report about a
  member of staff to each Headteacher's box key only, or for a report about
  the Headteacher to the key the school names. Files are padded to a few
  fixed sizes so their length says little.
* **The drop key** is derived from the case key of the current epoch (HKDF),
  so it is held exactly by those who hold the case key (DSL, Headteacher,
  team, the recovery code) and rotates with it, with no new key slots. Its
  public half, the Headteachers' box keys and a serial are signed by the
  vault authority into ``drop-key.json`` in the spool; the reporter's client
  checks that against the authority key root pinned at install and refuses a
  serial lower than the highest it has seen.

Reporters need no passphrase and run no Argon2: filing is one X25519 and one
AES-GCM operation and one fsync.
"""

from __future__ import annotations

import contextlib
import errno
import json
import os
import pwd
import re
import secrets
import stat
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey

from .crypto import (
    KEY_BYTES,
    b64d,
    b64e,
    canonical_json,
    ed25519_public_bytes,
    hkdf,
    open_wrapped,
    private_bytes,
    random_key,
    seal,
    sha256_hex,
    sign,
    unseal,
    verify_signature,
    wrap,
    x25519_public_bytes,
)
from .errors import DamagedFile, VaultError
from .fs import FileSystem
from .header import AuthorityKey, Header, endorsement_bytes

__all__ = [
    "BUCKETS",
    "DROP_KEY_NAME",
    "MAX_REPORT_FILE",
    "REPORT_SUFFIX",
    "DropError",
    "DropKey",
    "FiledReceipt",
    "SealedHead",
    "SpooledReport",
    "check_spool_dir",
    "drop_private_key",
    "file_report",
    "keygen_recipient",
    "list_spool",
    "make_drop_key",
    "open_report_bytes",
    "parse_pin",
    "parse_recipient",
    "pin_text",
    "publish_drop_key",
    "read_drop_key",
    "read_head",
    "read_recipient_secret",
    "read_spooled",
    "seal_report",
]

DROP_KEY_NAME = "drop-key.json"
REPORT_SUFFIX = ".report"
#: The sizes a report file may have: each report is padded up to the first
#: that fits, so a file's length says only roughly how long it is.
BUCKETS = (8 * 1024, 32 * 1024, 128 * 1024, 512 * 1024, 2 * 1024 * 1024)
MAX_REPORT_FILE = BUCKETS[-1]
MAX_DROP_KEY_FILE = 64 * 1024
_MAGIC = b"ydsi-drop-report v1\n"
_MAX_HEAD = 8 * 1024
_ID = re.compile(r"^[A-Za-z0-9_-]{22}$")
_NONCE_AND_TAG = 12 + 16
#: Who a report is sealed for (the clear ``for`` of its head).
FOR_TRIAGE = "triage"
FOR_HEADTEACHER = "headteacher"
FOR_ABOUT_HEADTEACHER = "about_headteacher"
_FOR = (FOR_TRIAGE, FOR_HEADTEACHER, FOR_ABOUT_HEADTEACHER)
ABOUT_HEADTEACHER_ID = "about-headteacher"
_PIN_PREFIX = "ydsi-authority v1"


class DropError(VaultError):
    """The drop cannot be used as asked: one line that says why and what to do."""


# ---------------------------------------------------------------- the spool


@dataclass(frozen=True)
class SpooledReport:
    """One complete report file in the spool, as the file system describes it."""

    report_id: str  # the file's random name stem (url-safe, no path separators)
    owner_uid: int  # st_uid: the kernel's word for who filed it
    size: int  # padded size in bytes
    filed_at: datetime  # st_mtime, aware UTC
    digest: str  # sha256 hex of the whole ciphertext file

    @property
    def owner_login(self) -> str:
        return login_of(self.owner_uid)


def login_of(uid: int) -> str:
    """The login name of ``uid``, or "" when the system does not know it."""
    try:
        return pwd.getpwuid(uid).pw_name
    except KeyError:
        return ""


def report_path(spool: Path, report_id: str) -> Path:
    if not _ID.match(report_id):
        raise DropError(f"{report_id[:40]!r} is not a report id (22 letters, digits, - or _)")
    return Path(spool) / f"{report_id}{REPORT_SUFFIX}"


def _spooled_stat(path: Path) -> os.stat_result | None:
    """The file's status if it is a complete report file, else None (ignored)."""
    try:
        info = os.lstat(path)
    except OSError:
        return None
    if not stat.S_ISREG(info.st_mode) or info.st_size not in BUCKETS:
        return None
    if not info.st_mode & stat.S_IRGRP:
        return None  # still being written (0200), or abandoned half-way
    return info


def read_spooled(
    spool: Path, report_id: str, fs: FileSystem | None = None
) -> tuple[SpooledReport, bytes] | None:
    """One report's description and bytes, or None when no complete report has that id."""
    fs = fs or FileSystem()
    path = report_path(spool, report_id)
    if _spooled_stat(path) is None:
        return None
    fs.hook("read", str(path))
    try:
        fd = os.open(path, os.O_RDONLY | os.O_CLOEXEC | os.O_NOFOLLOW | os.O_NONBLOCK)
    except OSError:
        return None
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode) or info.st_size not in BUCKETS:
            return None
        data = os.pread(fd, MAX_REPORT_FILE + 1, 0)
    finally:
        os.close(fd)
    if len(data) != info.st_size:
        return None
    moment = datetime.fromtimestamp(info.st_mtime, UTC)
    entry = SpooledReport(report_id, info.st_uid, len(data), moment, sha256_hex(data))
    return entry, data


def list_spool(spool: Path, fs: FileSystem | None = None) -> list[SpooledReport]:
    """Every complete report in the spool, oldest first; anything else is ignored.

    Only ``<22 random characters>.report`` regular files of a bucket size with
    the group-read bit count: a symlink, a FIFO, a planted name or a file
    still being written is skipped, never followed or waited on.
    """
    fs = fs or FileSystem()
    try:
        names = fs.listdir(Path(spool))
    except FileNotFoundError:
        raise DropError(f"the staff-report spool {spool} does not exist") from None
    except PermissionError:
        raise DropError(
            f"the staff-report spool {spool} cannot be listed: only the triage group "
            "(DSLs and team) may list it"
        ) from None
    found: list[SpooledReport] = []
    for name in names:
        stem = name[: -len(REPORT_SUFFIX)] if name.endswith(REPORT_SUFFIX) else ""
        if not _ID.match(stem):
            continue
        read = read_spooled(Path(spool), stem, fs)
        if read is not None:
            found.append(read[0])
    found.sort(key=lambda r: (r.filed_at, r.report_id))
    return found


def check_spool_dir(spool: Path) -> None:
    """Refuse to file into a spool that would not keep reports safe.

    It must be a real directory (not a symlink), sticky (else anyone could
    delete others' reports) and not readable by others (else anyone could list
    them). A reporter cannot check the group; ``ydsi doctor`` and the README
    say what it must be.
    """
    try:
        info = os.lstat(spool)
    except FileNotFoundError:
        raise DropError(
            f"the staff-report spool {spool} does not exist: ask the IT manager to create "
            "it (see 'Staff reporting' in the README)"
        ) from None
    except OSError as exc:
        raise DropError(
            f"the staff-report spool {spool} cannot be reached ({exc.strerror})"
        ) from None
    if not stat.S_ISDIR(info.st_mode):
        raise DropError(f"the staff-report spool {spool} is not a directory: nothing was filed")
    mode = stat.S_IMODE(info.st_mode)
    if not mode & stat.S_ISVTX or mode & stat.S_IROTH:
        raise DropError(
            f"the staff-report spool {spool} is mode {mode:04o}, not sticky and unlistable "
            "(3773): refusing to file into it; tell the IT manager"
        )


@dataclass(frozen=True)
class FiledReceipt:
    """What the reporter is given: enough to prove they reported, nothing of the content."""

    report_id: str
    filed_at: datetime
    digest: str
    size: int


def file_report(
    spool: Path, report_id: str, data: bytes, *, fs: FileSystem | None = None
) -> FiledReceipt:
    """Write one sealed report into the spool: all of it, durably, or nothing.

    Created exclusive and without following links, unreadable (0200) while
    written, fsynced, then marked complete (0440) and fsynced again. Any
    failure (a full disk, a quota) removes the file and raises
    :class:`DropError`: the caller shows no receipt.
    """
    fs = fs or FileSystem()
    if len(data) not in BUCKETS:
        raise DropError("a sealed report has an impossible size: nothing was filed")
    path = report_path(spool, report_id)
    try:
        fd = fs.open_new(path, 0o200)
    except FileExistsError:
        raise DropError(
            "a report with this id exists already: nothing was filed; try again"
        ) from None
    except OSError as exc:
        raise DropError(_not_filed(exc)) from None
    try:
        try:
            fs.write_all(fd, data, str(path))
            fs.fsync(fd, str(path))
            fs.fchmod(fd, 0o440, str(path))
            fs.fsync(fd, str(path))
            info = os.fstat(fd)
        finally:
            fs.close(fd)
        with contextlib.suppress(PermissionError):
            # Others may not open the spool to fsync it; its own fsync commits
            # a new file's name on the file systems a server uses (ext4, xfs).
            fs.fsync_dir(Path(spool))
    except OSError as exc:
        with contextlib.suppress(OSError):
            os.unlink(path)
        raise DropError(_not_filed(exc)) from None
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(path)
        raise
    moment = datetime.fromtimestamp(info.st_mtime, UTC)
    return FiledReceipt(report_id, moment, sha256_hex(data), len(data))


def _not_filed(exc: OSError) -> str:
    if exc.errno in (errno.ENOSPC, errno.EDQUOT):
        return (
            "not filed: the staff-report spool is full (no space or over quota); nothing "
            "was kept: tell the DSL in person now, and the IT manager"
        )
    if exc.errno in (errno.EACCES, errno.EPERM):
        return "not filed: you may not write to the staff-report spool; tell the DSL in person"
    return f"not filed: the report could not be written ({exc.strerror or exc}); nothing was kept"


# ---------------------------------------------------------------- the drop key


def drop_private_key(vault_id: str, epoch: int, case_key: bytes) -> X25519PrivateKey:
    """The drop key of one case-key epoch: whoever holds that case key holds it."""
    seed = hkdf(case_key, vault_id.encode("ascii"), b"ydsi drop key v1|" + str(epoch).encode())
    return X25519PrivateKey.from_private_bytes(seed)


@dataclass(frozen=True)
class DropKey:
    """The signed public half of the drop key, as published in the spool."""

    vault_id: str
    serial: int
    epoch: int
    public: bytes
    headteachers: tuple[tuple[str, bytes], ...]  # (user id, box public key)
    about_headteacher: bytes | None
    authority: tuple[AuthorityKey, ...]
    published_at: str
    signature_key: str = ""
    signature: bytes = b""

    def body_doc(self) -> dict[str, Any]:
        return {
            "vault_id": self.vault_id,
            "serial": self.serial,
            "epoch": self.epoch,
            "public": b64e(self.public),
            "headteachers": [{"id": i, "public": b64e(p)} for i, p in self.headteachers],
            "about_headteacher": (
                b64e(self.about_headteacher) if self.about_headteacher is not None else None
            ),
            "authority": [a.to_doc() for a in self.authority],
            "published_at": self.published_at,
        }

    def signing_bytes(self) -> bytes:
        return b"ydsi drop key v1|" + canonical_json(self.body_doc())

    def to_bytes(self) -> bytes:
        doc = {
            "format": "ydsi-drop-key",
            "version": 1,
            "body": self.body_doc(),
            "signature": {"key_id": self.signature_key, "sig": b64e(self.signature)},
        }
        return canonical_json(doc) + b"\n"

    @classmethod
    def from_bytes(cls, data: bytes) -> DropKey:
        try:
            doc = json.loads(data.decode("utf-8"))
            if doc.get("format") != "ydsi-drop-key" or doc.get("version") != 1:
                raise ValueError("not a drop key file")
            body = doc["body"]
            serial, epoch = body["serial"], body["epoch"]
            if not all(isinstance(v, int) and not isinstance(v, bool) for v in (serial, epoch)):
                raise ValueError("serial and epoch must be whole numbers")
            about = body["about_headteacher"]
            heads = body["headteachers"]
            if not isinstance(heads, list) or len(heads) > 8:
                raise ValueError("headteachers")
            return cls(
                vault_id=str(body["vault_id"]),
                serial=serial,
                epoch=epoch,
                public=b64d(body["public"], length=KEY_BYTES),
                headteachers=tuple(
                    (str(h["id"]), b64d(h["public"], length=KEY_BYTES)) for h in heads
                ),
                about_headteacher=None if about is None else b64d(about, length=KEY_BYTES),
                authority=tuple(AuthorityKey.from_doc(a) for a in body["authority"]),
                published_at=str(body["published_at"]),
                signature_key=str(doc["signature"]["key_id"]),
                signature=b64d(doc["signature"]["sig"], length=64),
            )
        except (UnicodeDecodeError, ValueError, KeyError, TypeError, AttributeError) as exc:
            raise DropError(
                "the published drop key is unreadable: tell the DSL (nothing was filed)"
            ) from exc

    def vouched_by(self, pinned: bytes) -> bool:
        """Signed by the newest key of an authority chain that starts from ``pinned``."""
        chain = list(self.authority)
        if not chain or not any(a.public == pinned for a in chain):
            return False
        start = next(i for i, a in enumerate(chain) if a.public == pinned)
        for previous, current in zip(chain[start:], chain[start + 1 :], strict=False):
            message = endorsement_bytes(self.vault_id, current.key_id, current.public)
            if current.endorsement is None or not verify_signature(
                previous.public, current.endorsement, message
            ):
                return False
        newest = chain[-1]
        return self.signature_key == newest.key_id and verify_signature(
            newest.public, self.signature, self.signing_bytes()
        )


def make_drop_key(
    header: Header,
    keys: dict[str, bytes],
    *,
    about_headteacher: bytes | None,
    published_at: str,
) -> DropKey:
    """The drop key file for the header as it is now, signed with the authority key."""
    epoch = header.epochs["case"]
    private = drop_private_key(header.vault_id, epoch, keys[f"case:{epoch}"])
    heads = tuple(
        (u.id, u.box_public) for u in header.users if u.active and u.role == "headteacher"
    )
    unsigned = DropKey(
        vault_id=header.vault_id,
        serial=header.serial,
        epoch=epoch,
        public=x25519_public_bytes(private),
        headteachers=heads,
        about_headteacher=about_headteacher,
        authority=tuple(header.authority),
        published_at=published_at,
    )
    authority = header.current_authority
    signer = Ed25519PrivateKey.from_private_bytes(keys[authority.key_id])
    if ed25519_public_bytes(signer) != authority.public:
        raise DamagedFile("vault.json", "the authority key does not match the header")
    signature = sign(signer, unsigned.signing_bytes())
    return replace(unsigned, signature_key=authority.key_id, signature=signature)


def publish_drop_key(spool: Path, drop_key: DropKey, fs: FileSystem | None = None) -> Path:
    """Write ``drop-key.json`` into the spool, readable by everyone (it is public)."""
    fs = fs or FileSystem()
    path = Path(spool) / DROP_KEY_NAME
    try:
        fs.write_file_atomic(path, drop_key.to_bytes(), 0o644)
        with contextlib.suppress(OSError):
            os.chmod(path, 0o644)  # the umask may have taken the others' read bit
    except PermissionError:
        raise DropError(
            f"{path} could not be replaced: another user published it and the spool is "
            "sticky; ask them (or root) to remove it, then publish again"
        ) from None
    except OSError as exc:
        raise DropError(f"the drop key was not published ({exc.strerror or exc})") from None
    return path


def pin_text(vault_id: str, authority_public: bytes) -> str:
    """The content of ``/etc/ydsi/authority.pub``: the key root pins for reporters."""
    return f"{_PIN_PREFIX} {vault_id} {b64e(authority_public)}\n"


def parse_pin(text: str) -> tuple[str, bytes]:
    parts = text.strip().split()
    if len(parts) != 4 or " ".join(parts[:2]) != _PIN_PREFIX:
        raise DropError("the pinned authority key file is not one 'ydsi-authority v1' line")
    try:
        return parts[2], b64d(parts[3], length=KEY_BYTES)
    except ValueError:
        raise DropError("the pinned authority key file holds no valid key") from None


def read_drop_key(
    spool: Path, pin_file: Path, state_dir: Path, fs: FileSystem | None = None
) -> DropKey:
    """The published drop key, if the pinned authority vouches for it and it is not stale.

    A group member can write ``drop-key.json``; only the vault authority can
    sign one, and an older genuine one (a key since rotated away from) is
    refused by its serial once this user has seen a newer.
    """
    fs = fs or FileSystem()
    try:
        pinned_vault, pinned = parse_pin(Path(pin_file).read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise DropError(
            f"no pinned authority key at {pin_file}: the IT manager installs it "
            "('ydsi drop publish' prints it); nothing was filed"
        ) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise DropError(f"the pinned authority key {pin_file} cannot be read ({exc})") from None
    path = Path(spool) / DROP_KEY_NAME
    try:
        info = os.lstat(path)
        if not stat.S_ISREG(info.st_mode) or info.st_size > MAX_DROP_KEY_FILE:
            raise DropError(f"{path} is not a drop key file: tell the DSL; nothing was filed")
        fs.hook("read", str(path))
        fd = os.open(path, os.O_RDONLY | os.O_CLOEXEC | os.O_NOFOLLOW | os.O_NONBLOCK)
        try:
            data = os.read(fd, MAX_DROP_KEY_FILE + 1)
        finally:
            os.close(fd)
    except FileNotFoundError:
        raise DropError(
            f"no drop key published in {spool}: a DSL runs 'ydsi drop publish'; nothing was filed"
        ) from None
    except OSError as exc:
        raise DropError(f"the drop key {path} cannot be read ({exc.strerror})") from None
    key = DropKey.from_bytes(data)
    if key.vault_id != pinned_vault or not key.vouched_by(pinned):
        raise DropError(
            "the published drop key is not signed by this school's vault authority: it may "
            "have been swapped; nothing was filed: tell the DSL in person"
        )
    seen_file = Path(state_dir) / "drop-serials.json"
    seen = _read_seen(seen_file)
    highest = seen.get(key.vault_id, 0)
    if key.serial < highest:
        raise DropError(
            f"the published drop key is older (serial {key.serial}) than one already seen "
            f"here ({highest}): it may have been put back; nothing was filed: tell the DSL"
        )
    if key.serial > highest:
        seen[key.vault_id] = key.serial
        with contextlib.suppress(OSError):
            Path(state_dir).mkdir(parents=True, exist_ok=True, mode=0o700)
            fs.write_file_atomic(seen_file, canonical_json(seen), 0o600)
    return key


def _read_seen(path: Path) -> dict[str, int]:
    try:
        doc = json.loads(path.read_bytes()[:65536])
    except (OSError, ValueError):
        return {}
    if not isinstance(doc, dict):
        return {}
    return {str(k): v for k, v in doc.items() if isinstance(v, int) and not isinstance(v, bool)}


# ---------------------------------------------------------------- sealing


@dataclass(frozen=True)
class SealedHead:
    """A report file's clear head: who it is sealed for, never a word of the content."""

    vault_id: str
    report_id: str
    serial: int
    sealed_for: str  # "triage", "headteacher" or "about_headteacher"
    recipients: dict[str, bytes]  # recipient id ("drop:N", a user id, ...) -> sealed key

    def to_bytes(self) -> bytes:
        return canonical_json(
            {
                "vault_id": self.vault_id,
                "report_id": self.report_id,
                "serial": self.serial,
                "for": self.sealed_for,
                "recipients": {k: b64e(v) for k, v in sorted(self.recipients.items())},
            }
        )


def _context(vault_id: str, report_id: str, recipient: str) -> bytes:
    return b"ydsi drop v1|" + canonical_json([vault_id, report_id, recipient])


def new_report_id() -> str:
    """128 random bits as 22 URL-safe characters, never starting with ``-``.

    The id is typed after a command (``ydsi inbox take ID``), where a leading
    dash reads as an option: 1 report in 64 could not be taken in without
    ``--`` (a CLI test failed so, now and then). Skipping those ids costs
    0.02 bits of the 128.
    """
    while True:
        report_id = secrets.token_urlsafe(16)
        if not report_id.startswith("-"):
            return report_id


def seal_report(
    drop_key: DropKey, report_id: str, doc: dict[str, Any], *, sealed_for: str = FOR_TRIAGE
) -> bytes:
    """The whole report file: magic, clear head, and the padded document sealed."""
    if sealed_for not in _FOR:
        raise ValueError(sealed_for)
    if sealed_for == FOR_TRIAGE:
        targets = {f"drop:{drop_key.epoch}": drop_key.public}
    elif sealed_for == FOR_HEADTEACHER:
        if not drop_key.headteachers:
            raise DropError(
                "this vault has no Headteacher to receive a report about a member of staff: "
                "nothing was filed; tell the Headteacher in person"
            )
        targets = dict(drop_key.headteachers)
    else:
        if drop_key.about_headteacher is None:
            raise DropError(
                "the school names nobody to receive reports about the Headteacher "
                "([drop] about_headteacher_key): nothing was filed; contact the chair of "
                "governors or the LADO directly"
            )
        targets = {ABOUT_HEADTEACHER_ID: drop_key.about_headteacher}
    content_key = random_key()
    head = SealedHead(
        drop_key.vault_id,
        report_id,
        drop_key.serial,
        sealed_for,
        {
            rid: seal(public, content_key, _context(drop_key.vault_id, report_id, rid))
            for rid, public in targets.items()
        },
    ).to_bytes()
    plain = canonical_json(doc)
    fixed = len(_MAGIC) + len(head) + 1 + _NONCE_AND_TAG + 4
    need = fixed + len(plain)
    bucket = next((b for b in BUCKETS if b >= need), None)
    if bucket is None:
        raise DropError(
            f"the report is too long to file ({len(plain):,} bytes sealed; at most "
            f"{MAX_REPORT_FILE - fixed:,}): shorten it"
        )
    padded = len(plain).to_bytes(4, "big") + plain + bytes(bucket - need)
    data = _MAGIC + head + b"\n" + wrap(content_key, padded, head)
    assert len(data) == bucket
    return data


def read_head(data: bytes, report_id: str) -> tuple[SealedHead, bytes, bytes]:
    """(head, its bytes, the sealed body) of a report file; DamagedFile if it is not one."""
    label = f"{report_id}{REPORT_SUFFIX}"
    if not data.startswith(_MAGIC):
        raise DamagedFile(label, "not a staff report file")
    end = data.find(b"\n", len(_MAGIC), len(_MAGIC) + _MAX_HEAD)
    if end < 0:
        raise DamagedFile(label, "the report's head is unreadable")
    head_bytes = data[len(_MAGIC) : end]
    try:
        doc = json.loads(head_bytes)
        recipients = {str(k): b64d(v) for k, v in dict(doc["recipients"]).items()}
        head = SealedHead(
            str(doc["vault_id"]),
            str(doc["report_id"]),
            int(doc["serial"]),
            str(doc["for"]),
            recipients,
        )
    except (ValueError, KeyError, TypeError) as exc:
        raise DamagedFile(label, "the report's head is unreadable") from exc
    if head.report_id != report_id or head.sealed_for not in _FOR:
        raise DamagedFile(label, "the report's head does not match its name (moved or forged)")
    return head, head_bytes, data[end + 1 :]


def open_report_bytes(
    data: bytes, report_id: str, vault_id: str, recipient: str, private: X25519PrivateKey
) -> dict[str, Any]:
    """Open a report file with one recipient's private key; DamagedFile on any change."""
    label = f"{report_id}{REPORT_SUFFIX}"
    head, head_bytes, body = read_head(data, report_id)
    if head.vault_id != vault_id:
        raise DamagedFile(label, "the report was sealed for another vault")
    sealed = head.recipients.get(recipient)
    if sealed is None:
        raise DropError("this report is not sealed to a key you hold")
    try:
        content_key = unseal(private, sealed, _context(vault_id, report_id, recipient))
        padded = open_wrapped(content_key, body, head_bytes)
    except (InvalidTag, ValueError):
        raise DamagedFile(label, "the report does not open: it was altered or forged") from None
    size = int.from_bytes(padded[:4], "big")
    try:
        doc = json.loads(padded[4 : 4 + size])
    except ValueError:
        raise DamagedFile(label, "the report opened to something unreadable") from None
    if not isinstance(doc, dict) or doc.get("report_id") != report_id:
        raise DamagedFile(label, "the report's content does not match its name")
    return doc


# ---------------------------------------------------------------- a key outside the vault

_RECIPIENT_PREFIX = "ydsi-drop-recipient v1"


def parse_recipient(text: str) -> bytes:
    """The X25519 public key of a ``ydsi-drop-recipient v1 KEY`` line."""
    parts = text.strip().split()
    if len(parts) != 3 or " ".join(parts[:2]) != _RECIPIENT_PREFIX:
        raise DropError("not a 'ydsi-drop-recipient v1 KEY' line as 'ydsi drop keygen' prints")
    try:
        return b64d(parts[2], length=KEY_BYTES)
    except ValueError:
        raise DropError("the drop recipient line holds no valid key") from None


def keygen_recipient(target: Path, fs: FileSystem | None = None) -> str:
    """A key pair for reports about the Headteacher: private half to ``target`` (0600, new).

    Its holder (the chair of governors, say) keeps the file off the server;
    the returned public line goes in the system config file.
    """
    fs = fs or FileSystem()
    private = X25519PrivateKey.generate()
    line = f"{_RECIPIENT_PREFIX} {b64e(x25519_public_bytes(private))}"
    secret = f"ydsi-drop-recipient-secret v1 {b64e(private_bytes(private))}\n".encode("ascii")
    try:
        fd = fs.open_new(Path(target), 0o600)
    except FileExistsError:
        raise DropError(f"{target} exists already: nothing was written") from None
    except OSError as exc:
        raise DropError(f"{target} cannot be written ({exc.strerror})") from None
    try:
        fs.write_all(fd, secret, str(target))
        fs.fsync(fd, str(target))
    except OSError as exc:
        fs.close(fd)
        with contextlib.suppress(OSError):
            os.unlink(target)
        raise DropError(f"{target} could not be written ({exc.strerror})") from None
    fs.close(fd)
    return line


def read_recipient_secret(path: Path) -> X25519PrivateKey:
    """The private key ``keygen_recipient`` wrote (to open a report about the Headteacher)."""
    try:
        parts = Path(path).read_text(encoding="ascii").split()
    except (OSError, UnicodeDecodeError) as exc:
        raise DropError(f"{path} cannot be read as a drop recipient key ({exc})") from None
    if len(parts) != 3 or parts[0] != "ydsi-drop-recipient-secret":
        raise DropError(f"{path} is not a key 'ydsi drop keygen' wrote")
    try:
        return X25519PrivateKey.from_private_bytes(b64d(parts[2], length=KEY_BYTES))
    except ValueError:
        raise DropError(f"{path} holds no valid key") from None
