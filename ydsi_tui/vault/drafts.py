"""Encrypted drafts: unsaved form contents that survive a dropped SSH connection.

When the terminal goes away (SIGHUP) the app may already be locked, its keys
dropped. Drafts are therefore *sealed to the user's public box key*: writing
one needs no secret at all, and only that user, once unlocked, can open it.
They are not records: they are private to one user, not audited, and deleted
once used or discarded. They live in ``drafts/<user id>/``, written
atomically, 0600, so a half-written draft never replaces a good one.
"""

from __future__ import annotations

import json
import secrets
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from cryptography.exceptions import InvalidTag

from .crypto import canonical_json, seal, unseal
from .fs import TEMP_PREFIX, FileSystem, Modes

if TYPE_CHECKING:
    from .keys import Identity

__all__ = ["DRAFTS_DIR", "Draft", "DraftBox"]

DRAFTS_DIR = "drafts"
MAX_DRAFT_BYTES = 2 * 1024 * 1024


@dataclass(frozen=True)
class Draft:
    """One saved draft: an id, and the app's own description of the form."""

    draft_id: str
    content: dict[str, Any]


class DraftBox:
    """One user's drafts. Writing needs only their public key; reading, their private key."""

    def __init__(
        self,
        fs: FileSystem,
        vault_path: Path,
        vault_id: str,
        owner_id: str,
        box_public: bytes,
        shared: bool,
    ) -> None:
        self.fs = fs
        self.directory = vault_path / DRAFTS_DIR / owner_id
        self.vault_id = vault_id
        self.owner_id = owner_id
        self.box_public = box_public
        self.modes = Modes(shared)

    def _context(self, draft_id: str) -> bytes:
        return b"ydsi draft v1|" + canonical_json([self.vault_id, self.owner_id, draft_id])

    def save(self, content: dict[str, Any], draft_id: str | None = None) -> str:
        """Seal and write a draft atomically; returns its id (reuse it to replace it)."""
        draft_id = draft_id or secrets.token_hex(8)
        plaintext = canonical_json(content)
        if len(plaintext) > MAX_DRAFT_BYTES:
            raise ValueError("draft too large to keep")
        for directory in (self.directory.parent, self.directory):
            if not self.fs.exists(directory):
                self.fs.mkdir(directory, self.modes.dir)
        blob = seal(self.box_public, plaintext, self._context(draft_id))
        self.fs.write_file_atomic(self.directory / f"{draft_id}.draft", blob, self.modes.file)
        return draft_id

    def load(self, identity: Identity) -> list[Draft]:
        """Every draft that opens; ones that do not (damaged, tampered) are skipped."""
        if not self.fs.exists(self.directory):
            return []
        drafts: list[Draft] = []
        for name in sorted(self.fs.listdir(self.directory)):
            if not name.endswith(".draft") or name.startswith(TEMP_PREFIX):
                continue
            draft_id = name[: -len(".draft")]
            try:
                blob = self.fs.read_bytes(self.directory / name)
                content = json.loads(unseal(identity.box, blob, self._context(draft_id)))
            except (OSError, InvalidTag, ValueError):
                continue
            if isinstance(content, dict):
                drafts.append(Draft(draft_id, content))
        return drafts

    def discard(self, draft_id: str) -> None:
        path = self.directory / f"{draft_id}.draft"
        if self.fs.exists(path):
            self.fs.unlink(path)
