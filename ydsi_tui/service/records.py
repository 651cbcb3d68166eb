"""How an incident or a device sits in its TinyDB file: three small tables.

``meta``     one document: the record's identity (and, for an incident, its policy)
``events``   one document per event, never updated or removed
``_summary`` one document: what the lists show, stored in the file's summary segment

Kept in one module so that the layout is written down once, for both kinds.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from typing import Any

from tinydb import TinyDB

from ..model.errors import ValidationError
from ..model.events import Event
from ..vault.session import Author, Session, Signer
from ..vault.storage import EncryptedStorage

__all__ = [
    "EVENTS",
    "META",
    "REFS_RECORD",
    "SUMMARY",
    "allocate_ref",
    "append_event",
    "author_name",
    "read_attested",
    "read_events",
    "read_meta_doc",
    "refs_by_record",
    "require_correction_reason",
    "saved_authors",
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


#: How an entry's author is known (``Event.authorship``).
SIGNED = "signed"
AS_RECORDED = "as recorded (before format 2)"
#: Entries no signed save vouched for, kept when a DSL accepted the record as found.
AS_FOUND = "as found (not vouched by a signed save; accepted at repair)"


def read_attested(
    tables: Mapping[str, Mapping[str, Any]],
    authors: Mapping[str, Mapping[str, Author]],
    session: Session,
) -> tuple[list[Event], list[str], dict[str, Signer]]:
    """Every stored event, with its author taken from the signed save that added it.

    The ``by`` and ``by_role`` written inside an entry are the writer's word;
    anyone holding the key could have written "by the DSL". What is shown is
    the verified signer of the save that added the entry (see vault/chain.py),
    except for entries from before format 2, which are marked "as recorded".
    Returns the events, the problems, and each signed entry's signer by id.
    """
    docs = tables.get(EVENTS) or {}
    by_doc = authors.get(EVENTS) or {}
    events: list[Event] = []
    problems: list[str] = []
    signers: dict[str, Signer] = {}
    for doc_id, doc in docs.items():
        try:
            event = Event.from_doc(doc)
        except ValidationError as exc:
            problems.append(f"entry {doc_id} could not be read ({exc.field})")
            continue
        author = by_doc.get(doc_id)
        if author is not None and author.as_found:
            # Kept by a DSL's acceptance of a damaged record: no signature vouches for it.
            events.append(dataclasses.replace(event, authorship=AS_FOUND))
            continue
        signer = session.signer_of(author) if author is not None and not author.legacy else None
        if signer is None:
            events.append(dataclasses.replace(event, authorship=AS_RECORDED))
            continue
        signers[event.id] = signer
        events.append(
            dataclasses.replace(event, by=signer.full_name, by_role=signer.role, authorship=SIGNED)
        )
    return events, problems, signers


def saved_authors(db: TinyDB) -> Mapping[str, Mapping[str, Author]]:
    """Inside a transaction: who added each document of the record being changed."""
    storage = db.storage
    return storage.authors if isinstance(storage, EncryptedStorage) else {}


def append_event(db: TinyDB, event: Event) -> None:
    db.table(EVENTS, cache_size=0).insert(event.to_doc())


def write_summary(db: TinyDB, summary: Mapping[str, Any], kind: str) -> None:
    table = db.table(SUMMARY, cache_size=0)
    table.truncate()
    table.insert({**summary, "type": kind})


def refs_by_record(session: Session, compartment: str) -> dict[str, str]:
    """{record id: reference} for every reference handed out (empty if that list is unreadable).

    A damaged record cannot say its own reference (that is inside the
    encrypted file); the list of references handed out can, through the
    keyed file names, so a damaged row can name the command that repairs it.
    """
    from ..vault.errors import VaultError

    try:
        snapshot = session.read(compartment, REFS_RECORD, log=False)
    except VaultError:
        return {}
    docs = list((snapshot.tables.get("refs") or {}).values())
    refs = docs[0].get("refs") if docs and isinstance(docs[0], Mapping) else None
    if not isinstance(refs, list):
        return {}
    return {
        session.record_id(compartment, ref): ref for ref in refs if isinstance(ref, str) and ref
    }


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


def require_correction_reason(supersedes: str | None, reason: str) -> None:
    """A correction needs its reason; a reason without a correction is a mistake too."""
    if supersedes is not None and not reason.strip():
        raise ValidationError(
            "correction_reason",
            "Say why this entry is corrected (what was wrong): the record keeps both "
            "versions and your reason.",
        )
