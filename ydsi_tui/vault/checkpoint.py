"""Signed checkpoints of the audit log, to be kept off the server.

A hash chain shows that nothing in the middle of the log changed, but cutting
entries off its end leaves a valid, shorter chain, and anyone with write access
could re-chain a rewritten log. A checkpoint records the chain's head (entry
number and hash), signed by the user who made it; kept on paper, in email to
the DPO or in an off-site backup, it lets ``ydsi verify --checkpoint FILE``
prove that the log still contains that head.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import TYPE_CHECKING

from .crypto import b64d, b64e, canonical_json, verify_signature
from .header import Header
from .saving import utc_now

if TYPE_CHECKING:
    from .session import Session

__all__ = ["Checkpoint", "make_checkpoint"]


@dataclass(frozen=True)
class Checkpoint:
    """The head of the chain at one moment, and who vouched for it."""

    vault_id: str
    seq: int
    hash: str
    ts: str
    key_id: str
    sig: bytes

    def body(self) -> dict[str, object]:
        return {
            "format": "ydsi-checkpoint",
            "version": 1,
            "vault_id": self.vault_id,
            "seq": self.seq,
            "hash": self.hash,
            "ts": self.ts,
            "key_id": self.key_id,
        }

    def signing_bytes(self) -> bytes:
        return b"ydsi checkpoint v1|" + canonical_json(self.body())

    def to_bytes(self) -> bytes:
        doc = {**self.body(), "sig": b64e(self.sig)}
        return json.dumps(doc, indent=2, sort_keys=True).encode("ascii") + b"\n"

    @classmethod
    def from_bytes(cls, data: bytes) -> Checkpoint:
        """Parse a checkpoint file; ValueError says what is wrong with it."""
        try:
            doc = json.loads(data.decode("utf-8"))
            if doc.get("format") != "ydsi-checkpoint" or doc.get("version") != 1:
                raise ValueError("not a ydsi checkpoint")
            seq = doc["seq"]
            if not isinstance(seq, int) or isinstance(seq, bool) or seq < 0:
                raise ValueError("bad entry number")
            return cls(
                vault_id=str(doc["vault_id"]),
                seq=seq,
                hash=str(doc["hash"]),
                ts=str(doc["ts"]),
                key_id=str(doc["key_id"]),
                sig=b64d(doc["sig"], length=64),
            )
        except (UnicodeDecodeError, KeyError, TypeError, AttributeError) as exc:
            raise ValueError("the checkpoint file is damaged") from exc

    def refusal(self, header: Header, *, checker: str | None = None) -> str | None:
        """Why this checkpoint cannot vouch for the log, or None when it can.

        It can only if it is for this vault, its signature verifies under a
        key the header lists, and a DSL or the person checking signed it.
        """
        if self.vault_id != header.vault_id:
            return "the checkpoint belongs to a different vault"
        known = header.public_key(self.key_id)
        if known is None or not verify_signature(known[0], self.sig, self.signing_bytes()):
            return "the checkpoint's signature does not verify: it was altered or forged"
        owner = header.user_by_id(self.key_id.rsplit(".", 1)[0])
        mine = owner is not None and checker is not None and owner.name == checker
        if known[1] != "dsl" and not mine:
            return (
                f"the checkpoint was signed by a {known[1]}, not by a DSL or by you: it "
                "cannot vouch for the log"
            )
        return None

    def check(self, header: Header, chain: list[str], *, checker: str | None = None) -> list[str]:
        """Problems found comparing this checkpoint with a vault's header and chain.

        ``chain[i]`` is the hash of entry ``i + 1`` as found in the log. A
        checkpoint vouches for the log only if a DSL signed it, or the person
        checking (``checker``, a login name) did: a technician's key is a
        valid key, and a checkpoint they signed over a log they cut would
        otherwise "prove" the cut log whole.
        """
        refused = self.refusal(header, checker=checker)
        if refused is not None:
            return [refused]
        if self.seq > len(chain):
            return [
                f"audit log truncated: the checkpoint of {self.ts} records entry {self.seq}, "
                f"but the log ends at entry {len(chain)}"
            ]
        if self.seq and chain[self.seq - 1] != self.hash:
            return [
                f"audit log rewritten: entry {self.seq} differs from the checkpoint of {self.ts}"
            ]
        return []


def make_checkpoint(session: Session) -> Checkpoint:
    """Sign the current head of the chain with this user's key."""
    head = session.vault.audit.head()
    key_id = session.signer.key_id
    body = Checkpoint(session.vault.header.vault_id, head.seq, head.hash, utc_now(), key_id, b"")
    _, sig = session.sign(body.signing_bytes())
    return Checkpoint(body.vault_id, body.seq, body.hash, body.ts, key_id, sig)
