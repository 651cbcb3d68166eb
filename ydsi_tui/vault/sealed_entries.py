"""Audit entries about case records, sealed so that only the case roles read what they say.

The audit log is readable by every member of the vault's group, technicians
included, so that everyone's ``verify`` can check the chain, every signature
and every signer's right to write. An entry about a case record used to say
in clear which record, which version, which action (a read, a save, a
destruction) and its extras: enough for a technician to follow one pupil's
file through time, to see that a Headteacher wrote to it (in practice a
sign-off of a decision not to refer) and who read it when (review M2).

Now such an entry keeps in clear only what checking the chain needs: its
number, time, author, key id, compartment, the previous entry's hash and the
signature. What it describes (``action``, ``rec``, ``hash``, ``extra``) is one
AES-256-GCM blob in ``extra["sealed"]`` under a key derived from the case
index key, which every case role holds and no technician does, and which is
never rotated, so history stays readable. The blob is bound to its entry (the
clear fields are its associated data), so it cannot be moved to another
entry, and padded to a size bucket, so its length does not tell a read from
a save. The signature covers the sealed line: a technician still sees a
forged, edited or misattributed entry, and a case role's reader checks the
opened action against the signer's rights (:mod:`ydsi_tui.vault.rights`).
"""

from __future__ import annotations

import json
import os
from dataclasses import replace
from typing import Any

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from .audit import SEALED_ACTION, AuditEntry
from .crypto import NONCE_BYTES, TAG_BYTES, b64d, b64e, canonical_json, hkdf

__all__ = ["SEALED_COMPARTMENTS", "EntrySealer", "is_sealed_doc"]

#: The compartments whose entries are sealed (custody stays in clear: a
#: technician keeps the device log and must be able to check it).
SEALED_COMPARTMENTS = frozenset({"case"})

_INFO = b"ydsi sealed audit entry v1"
_FILER_INFO = b"ydsi staff report filer v1"
#: A filer's uid and login are padded to this (a login's length tells nothing).
_FILER_BUCKET = 128
#: Plaintext sizes are padded to a multiple of this (a read and a save then
#: seal to the same length; only long extras such as a repair's grow).
_BUCKET = 512


def is_sealed_doc(doc: dict[str, Any]) -> bool:
    """True for an entry (as parsed JSON) whose description is sealed."""
    return doc.get("action") == SEALED_ACTION and doc.get("comp") in SEALED_COMPARTMENTS


class EntrySealer:
    """Seals and opens case entries for one vault with its case index key."""

    def __init__(self, index_key: bytes, vault_id: str) -> None:
        self.vault_id = vault_id
        self._aead = AESGCM(hkdf(index_key, vault_id.encode("ascii"), _INFO))
        self._filer = AESGCM(hkdf(index_key, vault_id.encode("ascii"), _FILER_INFO))

    # -- who filed a report from staff (drop_inbox.py) ---------------------
    def _filer_aad(self, report_id: str, digest: str) -> bytes:
        return b"ydsi staff report filer v1|" + canonical_json([self.vault_id, report_id, digest])

    def seal_filer(
        self, report_id: str, digest: str, uid: int, login: str, sealed_for: str = ""
    ) -> str:
        """Who filed a report, and whom it is sealed for, for its plain ``drop.received``
        entry: only case roles read them.

        The entry stays in clear for the keyless alert timer (which report,
        when, opened or not), but the whole vault group reads the log,
        technicians included, and every backup holds it: the filer's login
        there told them which member of staff had reported a concern, and
        "sealed for the Headteacher only" that it was about a member of staff
        (or about the Headteacher). Bound to the report and its ciphertext's
        hash, so it cannot be moved to another report's entry.
        """
        inner = canonical_json({"uid": uid, "login": login, "for": sealed_for})
        padded = inner + b" " * (-len(inner) % _FILER_BUCKET)
        nonce = os.urandom(NONCE_BYTES)
        blob = nonce + self._filer.encrypt(nonce, padded, self._filer_aad(report_id, digest))
        return b64e(blob)

    def open_filer(
        self, report_id: str, digest: str, sealed: object
    ) -> tuple[int, str, str] | None:
        """(uid, login, sealed for) from :meth:`seal_filer`'s blob; None if it does not open."""
        if not isinstance(sealed, str):
            return None
        try:
            blob = b64d(sealed)
            if len(blob) < NONCE_BYTES + TAG_BYTES:
                return None
            plain = self._filer.decrypt(
                blob[:NONCE_BYTES], blob[NONCE_BYTES:], self._filer_aad(report_id, digest)
            )
            inner = json.loads(plain)
        except (InvalidTag, ValueError, UnicodeDecodeError):
            return None
        if not isinstance(inner, dict) or set(inner) != {"uid", "login", "for"}:
            return None
        uid, login, sealed_for = inner["uid"], inner["login"], inner["for"]
        if not isinstance(uid, int) or isinstance(uid, bool) or not isinstance(login, str):
            return None
        if not isinstance(sealed_for, str):
            return None
        return uid, login, sealed_for

    def _aad(self, seq: object, ts: object, actor: object, key_id: object, comp: object,
             prev: object) -> bytes:  # fmt: skip
        return b"ydsi sealed entry v1|" + canonical_json(
            [self.vault_id, seq, ts, actor, key_id, comp, prev]
        )

    def seal(self, entry: AuditEntry) -> AuditEntry:
        """The entry as the log keeps it (unsigned: the caller signs this form)."""
        inner = canonical_json(
            {"action": entry.action, "rec": entry.rec, "hash": entry.hash, "extra": entry.extra}
        )
        # Pad with spaces after the JSON (json.loads ignores trailing blanks).
        padded = inner + b" " * (-len(inner) % _BUCKET)
        nonce = os.urandom(NONCE_BYTES)
        aad = self._aad(entry.seq, entry.ts, entry.actor, entry.key_id, entry.comp, entry.prev)
        blob = nonce + self._aead.encrypt(nonce, padded, aad)
        return replace(
            entry, action=SEALED_ACTION, rec="", hash="", extra={"sealed": b64e(blob)}, sig=""
        )

    def open_doc(self, doc: dict[str, Any]) -> dict[str, Any] | None:
        """A sealed entry's JSON with what it describes put back; None if it does not open.

        It does not open when the blob was altered before signing, moved from
        another entry, or sealed under another vault's key.
        """
        extra = doc.get("extra")
        sealed = extra.get("sealed") if isinstance(extra, dict) else None
        if not isinstance(sealed, str) or len(extra or {}) != 1:
            return None
        try:
            blob = b64d(sealed)
            if len(blob) < NONCE_BYTES + TAG_BYTES:
                return None
            aad = self._aad(doc.get("seq"), doc.get("ts"), doc.get("actor"), doc.get("key_id"),
                            doc.get("comp"), doc.get("prev"))  # fmt: skip
            plain = self._aead.decrypt(blob[:NONCE_BYTES], blob[NONCE_BYTES:], aad)
            inner = json.loads(plain)
        except (InvalidTag, ValueError, UnicodeDecodeError):
            return None
        if not isinstance(inner, dict) or set(inner) != {"action", "rec", "hash", "extra"}:
            return None
        action, rec, file_hash, inner_extra = (
            inner["action"], inner["rec"], inner["hash"], inner["extra"]
        )  # fmt: skip
        if not (
            isinstance(action, str)
            and action != SEALED_ACTION
            and isinstance(rec, str)
            and isinstance(file_hash, str)
            and isinstance(inner_extra, dict)
        ):
            return None
        return {**doc, "action": action, "rec": rec, "hash": file_hash, "extra": inner_extra}

    def open(self, entry: AuditEntry) -> AuditEntry | None:
        """What a sealed entry describes (marked ``opened``: not for checking signatures)."""
        doc = self.open_doc(entry.body_doc())
        if doc is None:
            return None
        return replace(
            entry,
            action=doc["action"],
            rec=doc["rec"],
            hash=doc["hash"],
            extra=doc["extra"],
            opened=True,
        )
