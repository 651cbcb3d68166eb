"""Every policy an incident was handled under, kept inside the vault.

An incident records the digest of its policy. If the school later edits its
policy file (or upgrades ydsi with a new bundled one), old incidents must
still be read against the procedure they were handled under, so the policy's
exact text is stored, encrypted, in the vault the first time it is used.
"""

from __future__ import annotations

from ..model.policy import Policy, parse_policy
from ..vault.session import Session

__all__ = ["PolicyLibrary", "policy_record_ref"]


def policy_record_ref(digest: str) -> str:
    return f"policy-{digest[:32]}"


class PolicyLibrary:
    """Policies by digest: the one in force, and every one stored in the vault."""

    def __init__(self, session: Session, current: Policy, current_text: bytes) -> None:
        self._session = session
        self.current = current
        self._current_text = current_text
        self._cache: dict[str, Policy] = {current.digest: current}

    def ensure_stored(self) -> None:
        """Store the policy in force, once; idempotent (called when an incident is opened)."""
        ref = policy_record_ref(self.current.digest)
        if self._session.exists("case", ref):
            return
        with self._session.transaction("case", ref, create=True) as db:
            db.table("policy").insert(
                {
                    "name": self.current.name,
                    "version": self.current.version,
                    "digest": self.current.digest,
                    "text": self._current_text.decode("utf-8"),
                }
            )
            db.table("_summary").insert({"type": "policy", "digest": self.current.digest})

    def get(self, digest: str) -> Policy:
        """The policy with this digest; falls back to the one in force if it was never stored."""
        if digest in self._cache:
            return self._cache[digest]
        ref = policy_record_ref(digest)
        if not self._session.exists("case", ref):
            return self.current
        snapshot = self._session.read("case", ref, log=False)
        doc = next(iter(snapshot.tables.get("policy", {}).values()))
        policy = parse_policy(
            str(doc["text"]).encode("utf-8"), origin=f"vault policy {digest[:12]}"
        )
        self._cache[digest] = policy
        return policy
