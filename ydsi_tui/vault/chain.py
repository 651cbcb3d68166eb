"""The history chain of one record: what makes "append-only" more than a promise.

A record's append-only TinyDB tables (its identity, its events, a stored
policy's text) are hashed, document by document in insertion order, into one running hash per
table that starts from a point binding vault, compartment, record and table.
Every save's audit entry, signed by the saver, names the chain's state:
how many documents each table held and the combined head. A reader then
demands that the file it opened extends *every* head the log recorded for
that record: an entry edited, deleted, reordered or re-attributed by any key
holder, or a valid but shorter prefix saved again, no longer reaches an
earlier head, and the reader names the save whose history was lost.

Documents that a save added are attributed to that save's signer (the
audit entry's verified key), never to the ``by`` a writer put inside them.
"""

from __future__ import annotations

import hashlib
import sys
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from .crypto import canonical_json

__all__ = ["CHAINED_TABLES", "ChainState", "Prefixes", "chain_state", "extends", "prefixes"]

#: The tables whose documents are never changed or removed once saved. The
#: others are rewritten by design (the listing summary, recomputed from the
#: events; the list of references handed out) or are a caller's own: the
#: storage stays a TinyDB storage for any table.
CHAINED_TABLES = frozenset({"meta", "events", "policy"})


@dataclass(frozen=True, slots=True)
class ChainState:
    """How many documents each table held, and the combined head, at one save.

    Slotted: the ledger keeps one per save in the log (200,000 at 10,000
    incidents), and a per-object ``__dict__`` was a tenth of its memory.
    """

    counts: tuple[tuple[str, int], ...]
    head: str

    def to_doc(self) -> dict[str, Any]:
        return {"n": dict(self.counts), "h": self.head}

    @classmethod
    def from_doc(cls, doc: object) -> ChainState | None:
        """Parse the ``chain`` of an audit entry; None when it is malformed."""
        if not isinstance(doc, Mapping):
            return None
        counts, head = doc.get("n"), doc.get("h")
        if not isinstance(counts, Mapping) or not isinstance(head, str) or len(head) != 64:
            return None
        items: list[tuple[str, int]] = []
        for table, count in counts.items():
            if not isinstance(table, str) or not isinstance(count, int) or isinstance(count, bool):
                return None
            if count < 0:
                return None
            items.append((sys.intern(table), count))
        return cls(tuple(sorted(items)), head)

    def count(self, table: str) -> int:
        return dict(self.counts).get(table, 0)


class Prefixes:
    """The running hash of every prefix of every chained table of one record file."""

    def __init__(self, per_table: dict[str, list[str]], ids: dict[str, list[str]]) -> None:
        self._per_table = per_table
        self.ids = ids

    def lengths(self) -> dict[str, int]:
        return {table: len(hashes) - 1 for table, hashes in self._per_table.items()}

    def state_at(self, counts: Mapping[str, int]) -> ChainState | None:
        """The chain as it was after ``counts`` documents; None if the file holds fewer."""
        parts: list[list[object]] = []
        for table, count in sorted(counts.items()):
            if count == 0:
                continue
            hashes = self._per_table.get(table)
            if hashes is None or count >= len(hashes):
                return None
            parts.append([table, count, hashes[count]])
        head = hashlib.sha256(b"ydsi chain v2|" + canonical_json(parts)).hexdigest()
        return ChainState(tuple(sorted((t, n) for t, n in counts.items() if n)), head)

    def current(self) -> ChainState:
        state = self.state_at(self.lengths())
        assert state is not None  # every table holds its own length
        return state


def prefixes(vault_id: str, comp: str, rec: str, tables: Mapping[str, Any]) -> Prefixes:
    """Hash every chained table of a record, document by document.

    Raises ValueError for a document id that is not a number: TinyDB only
    makes numbered ids, so anything else was written outside it.
    """
    per_table: dict[str, list[str]] = {}
    ids: dict[str, list[str]] = {}
    for table in sorted(tables):
        if table not in CHAINED_TABLES:
            continue
        docs = tables[table]
        if not isinstance(docs, Mapping):
            raise ValueError(f"table {table[:20]!r} is not a table")
        order = sorted(docs, key=_doc_number)
        running = hashlib.sha256(
            b"ydsi chain start v2|" + canonical_json([vault_id, comp, rec, table])
        ).digest()
        hashes = [running.hex()]
        for doc_id in order:
            running = hashlib.sha256(running + canonical_json([doc_id, docs[doc_id]])).digest()
            hashes.append(running.hex())
        per_table[table] = hashes
        ids[table] = order
    return Prefixes(per_table, ids)


def chain_state(vault_id: str, comp: str, rec: str, tables: Mapping[str, Any]) -> ChainState:
    """The chain state a save of these tables names in its audit entry."""
    return prefixes(vault_id, comp, rec, tables).current()


def extends(new: Prefixes, old: ChainState) -> bool:
    """True when ``new`` holds every document ``old`` named, unchanged and in order."""
    again = new.state_at(dict(old.counts))
    return again is not None and again.head == old.head


def _doc_number(doc_id: object) -> int:
    if not isinstance(doc_id, str) or not doc_id.isdigit() or len(doc_id) > 12:
        raise ValueError("a document id is not a number")
    return int(doc_id)
