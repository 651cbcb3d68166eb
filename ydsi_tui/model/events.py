"""An incident's record is an append-only list of events.

Nothing recorded is ever edited or deleted: a safeguarding record has to
show what was known and when, including what was got wrong. A correction is
a new event whose `supersedes` names the event it corrects; both stay in the
timeline and the folded state uses the correction.

Every event carries two times: `at`, when the thing happened, and
`recorded_at`, when it was written down, because entries are often made
after the fact and both matter to an inspector.
"""

from __future__ import annotations

import math
import re
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from types import MappingProxyType
from typing import Any

from ydsi_tui.model.errors import ValidationError
from ydsi_tui.model.policy import Policy, bundled_policy
from ydsi_tui.model.roles import ROLES, role_name
from ydsi_tui.model.schema import (
    INCIDENT_SCHEMAS,
    KIND_ROLES,
    REGISTER_SCHEMAS,
    SCHEMAS,
    Context,
    validate_payload,
)
from ydsi_tui.model.text import NAME_MAX_CHARS, check_text
from ydsi_tui.model.timeparse import (
    FUTURE_TOLERANCE,
    format_local,
    from_iso,
    is_offset,
    local_offset,
    to_iso_utc,
    to_utc,
)

#: Version of the stored document shape written by `Event.to_doc`.
DOC_VERSION = 1
MAX_DEPTH = 12

_EVENT_ID = re.compile(r"^[0-9a-f]{32}$")
_KIND = re.compile(r"^[a-z][a-z0-9_]*(?:\.[a-z][a-z0-9_]*)*$")


def new_id() -> str:
    """A fresh random id (uuid4 hex) for an event, a pupil or an adult."""
    return uuid.uuid4().hex


@dataclass(frozen=True)
class Event:
    """One entry in a record. Build with `make_event` or `Event.from_doc`.

    `data` is frozen on construction (mappings become read-only, lists become
    tuples) so a folded view can hand events out without fear of them being
    changed underneath the record.
    """

    id: str
    kind: str
    at: datetime
    at_offset: str
    recorded_at: datetime
    by: str
    by_role: str
    data: Mapping[str, Any] = field(hash=False)
    supersedes: str | None = None
    #: Why a correction was made (what was wrong). Required of every new
    #: correction by the service; a correction recorded before it was asked
    #: for has none.
    correction_reason: str = ""
    #: How ``by``/``by_role`` are known: "signed" (from the verified signature
    #: of the save that added the entry), "as recorded" (before format 2: the
    #: writer's own word), or "" (not read from a vault). Never stored.
    authorship: str = field(default="", compare=False)
    #: A sign-off whose Headteacher's signature the vault verified. Only the
    #: reader can know this, so it is never stored and defaults to False.
    verified: bool = field(default=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "data", _freeze(self.data))

    @property
    def is_correction(self) -> bool:
        return self.supersedes is not None

    def to_doc(self) -> dict[str, Any]:
        """A JSON-safe dict for storage; times as ISO UTC strings."""
        return {
            "v": DOC_VERSION,
            "id": self.id,
            "kind": self.kind,
            "at": to_iso_utc(self.at),
            "at_offset": self.at_offset,
            "recorded_at": to_iso_utc(self.recorded_at),
            "by": self.by,
            "by_role": self.by_role,
            "data": _thaw(self.data),
            "supersedes": self.supersedes,
            **({"correction_reason": self.correction_reason} if self.correction_reason else {}),
        }

    @classmethod
    def from_doc(cls, doc: Mapping[str, Any]) -> Event:
        """Rebuild a stored event, refusing anything malformed with ValidationError.

        Only the envelope and JSON-safety are checked, not the payload's
        schema: a record written under an older schema must still open, and
        the fold reads payloads defensively. Keys the vault keeps beside the
        event are ignored.
        """
        if not isinstance(doc, Mapping):
            raise ValidationError("event", "A stored entry must be a mapping.")
        version = doc.get("v", DOC_VERSION)
        if not isinstance(version, int) or isinstance(version, bool) or version > DOC_VERSION:
            raise ValidationError(
                "v", "This entry was written by a newer version of the program; upgrade to read it."
            )
        event_id = _required_str(doc, "id")
        if not _EVENT_ID.match(event_id):
            raise ValidationError("id", "An entry id is 32 lower-case hex characters.")
        kind = _required_str(doc, "kind")
        if len(kind) > 64 or not _KIND.match(kind):
            raise ValidationError("kind", "An entry kind is a short dotted name such as 'note'.")
        at_offset = _required_str(doc, "at_offset")
        if not is_offset(at_offset):
            raise ValidationError("at_offset", "An offset looks like +01:00.")
        by = _required_str(doc, "by")
        if len(by) > NAME_MAX_CHARS or not by.strip():
            raise ValidationError(
                "by", "The name of who recorded the entry is missing or too long."
            )
        by_role = _required_str(doc, "by_role")
        if by_role not in ROLES:
            raise ValidationError("by_role", f"{by_role[:20]!r} is not a role: {', '.join(ROLES)}.")
        supersedes = doc.get("supersedes")
        if supersedes is not None and (
            not isinstance(supersedes, str) or not _EVENT_ID.match(supersedes)
        ):
            raise ValidationError("supersedes", "This must be the id of another entry.")
        data = doc.get("data")
        if not isinstance(data, Mapping):
            raise ValidationError("data", "An entry's details must be a mapping.")
        check_json_safe(data, "data")
        why = doc.get("correction_reason", "")
        if not isinstance(why, str) or (why and supersedes is None):
            raise ValidationError(
                "correction_reason", "A correction's reason is text, and only a correction has one."
            )
        return cls(
            id=event_id,
            kind=kind,
            at=from_iso(_required_str(doc, "at"), "at"),
            at_offset=at_offset,
            recorded_at=from_iso(_required_str(doc, "recorded_at"), "recorded_at"),
            by=by,
            by_role=by_role,
            data=data,
            supersedes=supersedes,
            correction_reason=why,
        )


def make_event(
    kind: str,
    data: Mapping[str, Any],
    *,
    at: datetime,
    now: datetime,
    by: str,
    by_role: str,
    supersedes: str | None = None,
    event_id: str | None = None,
    policy: Policy | None = None,
    correction_reason: str = "",
) -> Event:
    """Check a new entry against its schema and the policy, and build it.

    `policy` is the procedure the incident is handled under (its
    vocabularies and viewing rules); None means the bundled one.
    Datetimes and dates in `data` may be given as objects or ISO strings and
    are stored as ISO strings; text is stored exactly as given.
    """
    if kind not in SCHEMAS:
        raise ValidationError(
            "kind", f"{str(kind)[:40]!r} is not a kind of entry this program records."
        )
    for name, moment in (("at", at), ("now", now)):
        if not isinstance(moment, datetime) or moment.tzinfo is None or moment.utcoffset() is None:
            raise ValueError(f"{name} must be a timezone-aware datetime")
    if to_utc(at) > to_utc(now) + FUTURE_TOLERANCE:
        raise ValidationError("at", f"{format_local(at)} is in the future; type when it happened.")
    check_text(by, "by", max_chars=NAME_MAX_CHARS)
    _check_role(kind, by_role)
    for name, value in (("supersedes", supersedes), ("event_id", event_id)):
        if value is not None and (not isinstance(value, str) or not _EVENT_ID.match(value)):
            raise ValidationError(name, "This must be an entry id (32 lower-case hex characters).")
    if supersedes is not None and supersedes == event_id:
        raise ValidationError("supersedes", "An entry cannot correct itself.")
    if correction_reason:
        if supersedes is None:
            raise ValidationError("correction_reason", "Only a correction has a reason for it.")
        check_text(correction_reason, "correction_reason")
    context = Context(at=to_utc(at), now=to_utc(now), policy=policy or bundled_policy())
    payload = validate_payload(kind, data, context)
    return Event(
        id=event_id or new_id(),
        kind=kind,
        at=to_utc(at),
        at_offset=local_offset(at),
        recorded_at=to_utc(now),
        by=by,
        by_role=by_role,
        data=payload,
        supersedes=supersedes,
        correction_reason=correction_reason.strip(),
    )


def _check_role(kind: str, by_role: str) -> None:
    if by_role not in ROLES:
        raise ValidationError(
            "by_role", f"{str(by_role)[:20]!r} is not a role: {', '.join(ROLES)}."
        )
    if kind == "signoff" and by_role != "headteacher":
        raise ValidationError(
            "by_role", "Only the Headteacher can sign off a decision not to refer out."
        )
    allowed = KIND_ROLES.get(kind)
    if allowed is not None and by_role not in allowed:
        who = " or the ".join(role_name(role, in_sentence=True) for role in allowed)
        raise ValidationError("by_role", f"Only the {who} may record this ({kind}).")
    if (kind in INCIDENT_SCHEMAS or kind in REGISTER_SCHEMAS) and by_role == "technician":
        raise ValidationError(
            "by_role", "IT technicians record device custody only, not incident entries."
        )
    if kind not in SCHEMAS:  # pragma: no cover
        raise ValidationError("kind", f"{kind!r} is not a kind of entry.")


def _required_str(doc: Mapping[str, Any], key: str) -> str:
    value = doc.get(key)
    if not isinstance(value, str):
        raise ValidationError(key, "This is missing or not text.")
    return value


def check_json_safe(value: Any, where: str, depth: int = 0) -> None:
    """Refuse anything JSON cannot hold faithfully (NaN, non-string keys, objects)."""
    if depth > MAX_DEPTH:
        raise ValidationError(where, "This is nested too deeply to be an entry.")
    if value is None or isinstance(value, str | bool | int):
        return
    if isinstance(value, float):
        if not math.isfinite(value):
            raise ValidationError(where, "Numbers must be finite.")
        return
    if isinstance(value, list | tuple):
        for index, item in enumerate(value):
            check_json_safe(item, f"{where}[{index}]", depth + 1)
        return
    if isinstance(value, Mapping):
        for key, item in value.items():
            if not isinstance(key, str):
                raise ValidationError(where, "Field names must be text.")
            check_json_safe(item, f"{where}.{key[:40]}", depth + 1)
        return
    raise ValidationError(where, f"A {type(value).__name__} cannot be stored in an entry.")


def _freeze(value: Any) -> Any:
    if isinstance(value, Mapping):
        return MappingProxyType({key: _freeze(item) for key, item in value.items()})
    if isinstance(value, list | tuple):
        return tuple(_freeze(item) for item in value)
    return value


def _thaw(value: Any) -> Any:
    if isinstance(value, Mapping):
        return {key: _thaw(item) for key, item in value.items()}
    if isinstance(value, tuple | list):
        return [_thaw(item) for item in value]
    return value
