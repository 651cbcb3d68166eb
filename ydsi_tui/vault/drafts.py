"""Encrypted, authenticated drafts: unsaved forms that survive a dropped SSH connection.

When the terminal goes away (SIGHUP) the app may already be locked, its keys
dropped, so writing a draft must not need the user's private keys. It must
not be possible for anyone else either: a draft is offered back as the user's
own unsaved form, one Enter from being saved, so a draft anybody in the vault
group could write (a technician sealing one to the DSL's public key, say)
would let them put words in the DSL's mouth.

Hence a *draft key* per session:

* While unlocked, the session makes a random 32-byte key and a small **key
  file** holding it sealed to the user's own box key *and signed with the
  user's own signing key* (the signature binds the vault, the user and the
  key file's id). The :class:`DraftBox` keeps the key in memory after the
  session locks: it is good for nothing but drafts.
* Each **draft** is AES-256-GCM under that key, its associated data binding
  vault, owner, draft id and key id; the draft names its key file.
* **Loading** (unlocked again) opens a key file only if its signature is by
  one of the owner's active signing keys in the (signed) vault header, then
  only drafts under such keys. Everything else (an old-style draft sealed to
  the public key, a key file signed by someone else, a draft moved to another
  id, a damaged file) is never offered: it is deleted and counted, so the app
  can say how many were discarded. Key files no draft uses any more are
  deleted too; a live box writes its key file again if it finds it gone.

Drafts are not records: private to one user, not audited, deleted once used
or discarded. They live in ``drafts/<user id>/``, written atomically with the
vault's file modes, so a half-written draft never replaces a good one. What
this does not stop: the owner's own genuine draft copied back after it was
used (a replay of their own words); the app shows any correction it carries.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import secrets
import stat
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, NamedTuple

from cryptography.exceptions import InvalidTag

from .crypto import (
    KEY_BYTES,
    b64d,
    b64e,
    canonical_json,
    open_wrapped,
    random_key,
    seal,
    sign,
    unseal,
    verify_signature,
    wrap,
)
from .fs import TEMP_PREFIX, FileSystem, Modes

if TYPE_CHECKING:
    from .keys import Identity

__all__ = ["DRAFTS_DIR", "Draft", "DraftBox", "DraftKey", "DraftsLoaded", "new_draft_key"]

DRAFTS_DIR = "drafts"
MAX_DRAFT_BYTES = 2 * 1024 * 1024
DRAFT_SUFFIX = ".draft"
KEY_SUFFIX = ".key"
#: A draft file: this magic, the key file's id (32 hex digits), then nonce || ct || tag.
DRAFT_MAGIC = b"YDSIDFT2"
MAX_KEY_FILE_BYTES = 4096
#: The largest draft file a reader will even look at (a planted huge file is discarded unread).
MAX_DRAFT_FILE_BYTES = MAX_DRAFT_BYTES + 1024
_DRAFT_ID = re.compile(r"^[0-9a-f]{16}$")
_KEY_ID = re.compile(r"^[0-9a-f]{32}$")


@dataclass(frozen=True)
class Draft:
    """One saved draft: an id, and the app's own description of the form."""

    draft_id: str
    content: dict[str, Any]


class DraftsLoaded(NamedTuple):
    """What loading found: the drafts to offer, and how many were discarded unverified."""

    drafts: list[Draft]
    discarded: int


@dataclass(frozen=True)
class DraftKey:
    """A session's draft key, and its key file exactly as it is (or will be) written."""

    key_id: str
    key: bytes = field(repr=False)
    key_file: bytes = field(repr=False)


def _key_seal_context(vault_id: str, owner_id: str, key_id: str) -> bytes:
    return b"ydsi draft key v1|" + canonical_json([vault_id, owner_id, key_id])


def _key_signing_bytes(
    vault_id: str, owner_id: str, key_id: str, sign_key_id: str, sealed: bytes
) -> bytes:
    """What the owner signs: the sealed key and where it belongs (vault, owner, key id)."""
    return b"ydsi draft key v1|" + canonical_json(
        {
            "vault": vault_id,
            "owner": owner_id,
            "key_id": key_id,
            "sign_key": sign_key_id,
            "sealed": b64e(sealed),
        }
    )


def _draft_aad(vault_id: str, owner_id: str, draft_id: str, key_id: str) -> bytes:
    return b"ydsi draft v2|" + canonical_json([vault_id, owner_id, draft_id, key_id])


def new_draft_key(vault_id: str, owner_id: str, box_public: bytes, identity: Identity) -> DraftKey:
    """A fresh draft key sealed to ``box_public`` and signed by ``identity`` (needs it unlocked)."""
    key_id = secrets.token_hex(16)
    key = random_key()
    sealed = seal(box_public, key, _key_seal_context(vault_id, owner_id, key_id))
    signature = sign(
        identity.sign,
        _key_signing_bytes(vault_id, owner_id, key_id, identity.sign_key_id, sealed),
    )
    doc = {
        "v": 1,
        "key_id": key_id,
        "owner": owner_id,
        "sealed": b64e(sealed),
        "sign_key": identity.sign_key_id,
        "sig": b64e(signature),
    }
    return DraftKey(key_id, key, canonical_json(doc))


def open_key_file(
    data: bytes,
    *,
    vault_id: str,
    owner_id: str,
    key_id: str,
    identity: Identity,
    sign_keys: Mapping[str, bytes],
) -> bytes:
    """The draft key in a key file, if its owner signed it; ValueError otherwise.

    ``sign_keys`` are the owner's signing keys as the signed vault header lists
    them: a key file signed by anyone else (or by nobody) opens nothing.
    """
    if len(data) > MAX_KEY_FILE_BYTES:
        raise ValueError("key file too large")
    doc = json.loads(data)
    if not isinstance(doc, dict) or doc.get("v") != 1:
        raise ValueError("not a draft key file")
    if doc.get("key_id") != key_id or doc.get("owner") != owner_id:
        raise ValueError("key file names another key or owner")
    sign_key_id = doc.get("sign_key")
    public = sign_keys.get(sign_key_id) if isinstance(sign_key_id, str) else None
    if public is None or not isinstance(sign_key_id, str):
        raise ValueError("key file not signed by its owner")
    sealed = b64d(doc.get("sealed"))
    signature = b64d(doc.get("sig"), length=64)
    message = _key_signing_bytes(vault_id, owner_id, key_id, sign_key_id, sealed)
    if not verify_signature(public, signature, message):
        raise ValueError("key file signature does not verify")
    key = unseal(identity.box, sealed, _key_seal_context(vault_id, owner_id, key_id))
    if len(key) != KEY_BYTES:
        raise ValueError("draft key has the wrong length")
    return key


def _is_directory(path: Path) -> bool:
    try:
        return stat.S_ISDIR(path.lstat().st_mode)
    except OSError:
        return False


class DraftBox:
    """One user's drafts. Writing needs only the session's draft key; reading, the user's keys."""

    def __init__(
        self,
        fs: FileSystem,
        vault_path: Path,
        vault_id: str,
        owner_id: str,
        draft_key: DraftKey,
        shared: bool,
    ) -> None:
        self.fs = fs
        self.directory = vault_path / DRAFTS_DIR / owner_id
        self.vault_id = vault_id
        self.owner_id = owner_id
        self._draft_key = draft_key
        self.modes = Modes(shared)

    @property
    def key_id(self) -> str:
        return self._draft_key.key_id

    def _key_path(self, key_id: str) -> Path:
        return self.directory / f"{key_id}{KEY_SUFFIX}"

    def _draft_path(self, draft_id: str) -> Path:
        return self.directory / f"{draft_id}{DRAFT_SUFFIX}"

    def _ensure_key_file(self) -> None:
        """Write this box's key file if it is not there (first draft, or tidied away)."""
        for directory in (self.directory.parent, self.directory):
            if not self.fs.exists(directory):
                self.fs.mkdir(directory, self.modes.dir)
        path = self._key_path(self.key_id)
        if not self.fs.exists(path):
            self.fs.write_file_atomic(path, self._draft_key.key_file, self.modes.file)

    def save(self, content: dict[str, Any], draft_id: str | None = None) -> str:
        """Encrypt and write a draft atomically; returns its id (reuse it to replace it).

        Works after the session locked: only the draft key is needed.
        """
        draft_id = draft_id or secrets.token_hex(8)
        if not _DRAFT_ID.match(draft_id):
            raise ValueError("not a draft id")
        plaintext = canonical_json(content)
        if len(plaintext) > MAX_DRAFT_BYTES:
            raise ValueError("draft too large to keep")
        self._ensure_key_file()
        key = self._draft_key
        aad = _draft_aad(self.vault_id, self.owner_id, draft_id, key.key_id)
        blob = DRAFT_MAGIC + key.key_id.encode("ascii") + wrap(key.key, plaintext, aad)
        self.fs.write_file_atomic(self._draft_path(draft_id), blob, self.modes.file)
        return draft_id

    def load(self, identity: Identity, sign_keys: Mapping[str, bytes]) -> DraftsLoaded:
        """Every draft that verifies; every other file here is deleted and counted.

        ``sign_keys``: the owner's signing keys (id -> public key) from the
        signed vault header. Needs the owner's unlocked ``identity``.
        """
        if not self.fs.exists(self.directory):
            return DraftsLoaded([], 0)
        # Drafts are listed before key files are read: a draft written by a
        # live session after this listing is not looked at, and any draft seen
        # here had its key file written first, so it is found below.
        names = sorted(self.fs.listdir(self.directory))
        keys: dict[str, bytes | None] = {self.key_id: self._draft_key.key}
        drafts: list[Draft] = []
        used: set[str] = set()
        discarded = 0
        for name in names:
            if name.startswith(TEMP_PREFIX) or not name.endswith(DRAFT_SUFFIX):
                continue
            if _is_directory(self.directory / name):
                continue  # not a draft, and not one unlink could remove
            draft_id = name[: -len(DRAFT_SUFFIX)]
            opened = self._open_draft(draft_id, identity, sign_keys, keys)
            if opened is None:
                discarded += 1
                self._delete(self.directory / name)
            else:
                drafts.append(Draft(draft_id, opened[1]))
                used.add(opened[0])
        self._tidy_keys(used, set(names))
        return DraftsLoaded(drafts, discarded)

    def _open_draft(
        self,
        draft_id: str,
        identity: Identity,
        sign_keys: Mapping[str, bytes],
        keys: dict[str, bytes | None],
    ) -> tuple[str, dict[str, Any]] | None:
        """(key id, content) of a draft under a verified key of this owner, else None."""
        if not _DRAFT_ID.match(draft_id):
            return None
        try:
            key_id, blob = self._read_draft(self._draft_path(draft_id))
            if key_id not in keys:
                keys[key_id] = self._open_key(key_id, identity, sign_keys)
            key = keys[key_id]
            if key is None:
                return None
            aad = _draft_aad(self.vault_id, self.owner_id, draft_id, key_id)
            content = json.loads(open_wrapped(key, blob, aad))
        except (OSError, InvalidTag, ValueError, UnicodeDecodeError):
            return None
        return (key_id, content) if isinstance(content, dict) else None

    def _read_planted(self, path: Path, limit: int) -> bytes:
        """A file anyone in the group may have put here: regular, small, never a stall.

        ``O_NONBLOCK`` and the ``fstat`` check mean a FIFO or device planted
        under a draft's name cannot hang the app; a symlink is refused.
        """
        self.fs.hook("read", str(path))
        fd = os.open(path, os.O_RDONLY | os.O_CLOEXEC | os.O_NOFOLLOW | os.O_NONBLOCK)
        try:
            info = os.fstat(fd)
            if not stat.S_ISREG(info.st_mode):
                raise ValueError("not a regular file")
            if info.st_size > limit:
                raise ValueError("file too large")
            chunks: list[bytes] = []
            size = 0
            while chunk := os.read(fd, 1 << 20):
                size += len(chunk)
                if size > limit:
                    raise ValueError("file too large")
                chunks.append(chunk)
            return b"".join(chunks)
        finally:
            os.close(fd)

    def _read_draft(self, path: Path) -> tuple[str, bytes]:
        """(key id, sealed part) of a draft file; ValueError if it is not one."""
        data = self._read_planted(path, MAX_DRAFT_FILE_BYTES)
        head = len(DRAFT_MAGIC) + 32
        if len(data) < head or not data.startswith(DRAFT_MAGIC):
            raise ValueError("not a draft file of this version")
        key_id = data[len(DRAFT_MAGIC) : head].decode("ascii")
        if not _KEY_ID.match(key_id):
            raise ValueError("bad key id")
        return key_id, data[head:]

    def _open_key(
        self, key_id: str, identity: Identity, sign_keys: Mapping[str, bytes]
    ) -> bytes | None:
        try:
            data = self._read_planted(self._key_path(key_id), MAX_KEY_FILE_BYTES)
            return open_key_file(
                data,
                vault_id=self.vault_id,
                owner_id=self.owner_id,
                key_id=key_id,
                identity=identity,
                sign_keys=sign_keys,
            )
        except (OSError, InvalidTag, ValueError, UnicodeDecodeError):
            return None

    def _tidy_keys(self, used: set[str], seen: set[str]) -> None:
        """Delete key files no offered draft uses (never this box's own).

        A draft that appeared since the first listing (another live session of
        this user) keeps its key file too; one written in the instant between
        this listing and the deletion loses it, and its box writes it again
        with its next draft.
        """
        now = self.fs.listdir(self.directory)
        for name in now:
            if name in seen or name.startswith(TEMP_PREFIX) or not name.endswith(DRAFT_SUFFIX):
                continue
            with contextlib.suppress(OSError, ValueError, UnicodeDecodeError):
                used.add(self._read_draft(self.directory / name)[0])
        for name in now:
            if name.startswith(TEMP_PREFIX) or not name.endswith(KEY_SUFFIX):
                continue
            key_id = name[: -len(KEY_SUFFIX)]
            if key_id != self.key_id and key_id not in used:
                self._delete(self.directory / name)

    def _delete(self, path: Path) -> None:
        """Best effort: a file that cannot be removed (a directory, say) is not offered anyway."""
        with contextlib.suppress(OSError):
            self.fs.unlink(path)

    def discard(self, draft_id: str) -> None:
        path = self._draft_path(draft_id)
        if self.fs.exists(path):
            self.fs.unlink(path)
