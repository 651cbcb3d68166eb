"""The exact bytes a Headteacher signs when signing off a decision not to refer.

The vault makes and checks the signature; the model decides what is signed,
so the meaning of a sign-off does not depend on how or where records are
stored. The bytes name the incident, the decision (by id, and by what it
says), the signer and the time, so a signature cannot be moved to another
decision or survive a change to the reason it approved.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from datetime import datetime
from typing import TYPE_CHECKING, Any

from ydsi_tui.model.timeparse import to_iso_utc

if TYPE_CHECKING:
    from ydsi_tui.model.events import Event
    from ydsi_tui.model.incident import IncidentMeta

SIGNOFF_DOMAIN = b"ydsi-tui signoff v1\n"


def signoff_payload(
    incident_meta: IncidentMeta,
    decision_event: Event,
    *,
    signer: str,
    signed_at: datetime,
    statement: str,
) -> bytes:
    """Canonical bytes to sign: a fixed prefix, then sorted-key ASCII JSON.

    ASCII escaping keeps the bytes identical whatever the platform's
    encoding, and any text (including characters JSON would otherwise pass
    through) serialises the same way every time.
    """
    data: Mapping[str, Any] = decision_event.data
    facts = {
        "incident_ref": incident_meta.ref,
        "policy_digest": incident_meta.policy_digest,
        "decision_id": decision_event.id,
        "decision_at": to_iso_utc(decision_event.at),
        "decided_by": decision_event.by,
        "outcome": _text(data.get("outcome")),
        "reason": _text(data.get("reason")),
        "override_reason": _text(data.get("override_reason")),
        "signer": signer,
        "signed_at": to_iso_utc(signed_at),
        "statement": statement,
    }
    body = json.dumps(facts, sort_keys=True, separators=(",", ":"), ensure_ascii=True)
    return SIGNOFF_DOMAIN + body.encode("ascii")


def signoff_digest(
    incident_meta: IncidentMeta,
    decision_event: Event,
    *,
    signer: str,
    signed_at: datetime,
    statement: str,
) -> str:
    """SHA-256 (hex) of `signoff_payload`: what a signoff entry's payload_sha256 holds."""
    payload = signoff_payload(
        incident_meta, decision_event, signer=signer, signed_at=signed_at, statement=statement
    )
    return hashlib.sha256(payload).hexdigest()


def _text(value: object) -> str:
    return value if isinstance(value, str) else ""
