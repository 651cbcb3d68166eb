"""How an incident or a device sits in its TinyDB file: three small tables.

``meta``     one document: the record's identity (and, for an incident, its policy)
``events``   one document per event, never updated or removed
``_summary`` one document: what the lists show, stored in the file's summary segment

Kept in one module so that the layout is written down once, for both kinds.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from tinydb import TinyDB

from ..model.errors import ValidationError
from ..model.events import Event
from ..vault.session import Session

__all__ = [
    "EVENTS",
    "META",
    "REFS_RECORD",
    "SUMMARY",
    "allocate_ref",
    "append_event",
    "author_name",
    "read_events",
    "read_meta_doc",
    "write_summary",
]

META = "meta"
EVENTS = "events"
SUMMARY = "_summary"
#: A record per compartment holding every reference handed out, so numbers never repeat.
REFS_RECORD = "__refs__"


def author_name(session: Session) -> str:
    """Who entries are recorded by: the name in full where the vault has it.

    A chronology handed to the police reads "Jane Smith", not a login.
    """
    user = session.user
    return user.full_name.strip() or user.name


def read_meta_doc(tables: Mapping[str, Mapping[str, Any]]) -> Mapping[str, Any]:
    docs = tables.get(META) or {}
    doc = next(iter(docs.values()), None)
    if not isinstance(doc, Mapping):
        raise ValidationError("meta", "This record has no identity table: it is not an incident")
    return doc


def read_events(tables: Mapping[str, Mapping[str, Any]]) -> tuple[list[Event], list[str]]:
    """Every stored event; a malformed one is reported, never allowed to hide the rest."""
    events: list[Event] = []
    problems: list[str] = []
    for doc_id, doc in (tables.get(EVENTS) or {}).items():
        try:
            events.append(Event.from_doc(doc))
        except ValidationError as exc:
            problems.append(f"entry {doc_id} could not be read ({exc.field})")
    return events, problems


def append_event(db: TinyDB, event: Event) -> None:
    db.table(EVENTS, cache_size=0).insert(event.to_doc())


def write_summary(db: TinyDB, summary: Mapping[str, Any], kind: str) -> None:
    table = db.table(SUMMARY, cache_size=0)
    table.truncate()
    table.insert({**summary, "type": kind})


def allocate_ref(db: TinyDB, make: Any) -> str:
    """Hand out the next reference; ``make(existing) -> str`` is the model's rule."""
    table = db.table("refs", cache_size=0)
    docs = table.all()
    existing: list[str] = list(docs[0]["refs"]) if docs else []
    ref = str(make(existing))
    if ref in existing:
        raise ValidationError("ref", "could not find a free reference")
    table.truncate()
    table.insert({"refs": [*existing, ref]})
    return ref
