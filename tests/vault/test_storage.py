"""Item 1: our EncryptedStorage behaves exactly like TinyDB's own storage.

The same behavioural tests run over TinyDB's ``MemoryStorage`` and over our
``EncryptedStorage`` (written through ``Session.transaction`` and read back
after a "reopen": a fresh TinyDB for the next transaction, and the decrypted
file via ``Session.read``). Then a Hypothesis round trip: any JSON-able
document, with any Unicode (control characters, terminal escapes, Rich markup,
RTL overrides, emoji), saved and read back equal, including ~1 MB strings.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Protocol

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from tinydb import Query, TinyDB, where
from tinydb.operations import increment
from tinydb.storages import MemoryStorage

from tests.support.vaults import DSL_PASS, min_kdf
from ydsi_tui.vault.session import Session
from ydsi_tui.vault.vault import Vault


class Backend(Protocol):
    def open(self) -> Any: ...  # a context manager yielding a TinyDB
    def dump(self) -> dict[str, dict[str, Any]]: ...


class MemoryBackend:
    """TinyDB's MemoryStorage; "reopening" starts a new TinyDB on the same memory."""

    def __init__(self) -> None:
        self._memory: dict[str, Any] | None = None

    @contextmanager
    def open(self) -> Iterator[TinyDB]:
        db = TinyDB(storage=MemoryStorage)
        storage = db.storage
        assert isinstance(storage, MemoryStorage)
        storage.memory = self._memory
        yield db
        self._memory = storage.memory

    def dump(self) -> dict[str, dict[str, Any]]:
        return dict(self._memory or {})


class EncryptedBackend:
    """One encrypted record: every ``open`` is a new locked transaction."""

    def __init__(self, session: Session, ref: str) -> None:
        self.session = session
        self.ref = ref

    @contextmanager
    def open(self) -> Iterator[TinyDB]:
        create = not self.session.exists("case", self.ref)
        with self.session.transaction("case", self.ref, create=create) as db:
            yield db

    def dump(self) -> dict[str, dict[str, Any]]:
        if not self.session.exists("case", self.ref):
            return {}
        return self.session.read("case", self.ref, log=False).tables


@pytest.fixture(scope="module")
def storage_session(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Session]:
    path = tmp_path_factory.mktemp("storage") / "vault"
    session, _ = Vault.create(path, user="dsl", passphrase=DSL_PASS, kdf=min_kdf())
    yield session
    session.close()


_refs = itertools.count(1)


@pytest.fixture(params=["memory", "encrypted"])
def backend(request: pytest.FixtureRequest, storage_session: Session) -> Backend:
    if request.param == "memory":
        return MemoryBackend()
    return EncryptedBackend(storage_session, f"STORE-{next(_refs)}")


def test_insert_and_get(backend: Backend) -> None:
    with backend.open() as db:
        assert db.insert({"name": "first"}) == 1
        assert db.insert({"name": "second", "n": 2}) == 2
    with backend.open() as db:
        assert db.get(doc_id=1) == {"name": "first"}
        assert db.get(doc_id=2) == {"name": "second", "n": 2}
        assert db.get(doc_id=3) is None
        assert [doc.doc_id for doc in db.all()] == [1, 2]
        assert len(db) == 2
    assert backend.dump() == {"_default": {"1": {"name": "first"}, "2": {"name": "second", "n": 2}}}


def test_insert_multiple_and_contains(backend: Backend) -> None:
    with backend.open() as db:
        assert db.insert_multiple([{"k": i} for i in range(5)]) == [1, 2, 3, 4, 5]
    with backend.open() as db:
        assert db.contains(where("k") == 3)
        assert not db.contains(where("k") == 9)
        assert db.contains(doc_id=5)
        assert db.count(where("k") >= 2) == 3


def test_update(backend: Backend) -> None:
    with backend.open() as db:
        db.insert({"ref": "A", "status": "open", "count": 0})
        db.insert({"ref": "B", "status": "open", "count": 0})
    with backend.open() as db:
        assert db.update({"status": "closed"}, Query().ref == "A") == [1]
        assert db.update(increment("count"), doc_ids=[1, 2]) == [1, 2]
    with backend.open() as db:
        assert db.get(doc_id=1) == {"ref": "A", "status": "closed", "count": 1}
        assert db.get(doc_id=2) == {"ref": "B", "status": "open", "count": 1}


def test_remove(backend: Backend) -> None:
    with backend.open() as db:
        db.insert_multiple([{"v": "a"}, {"v": "b"}, {"v": "c"}])
    with backend.open() as db:
        assert db.remove(where("v") == "b") == [2]
        assert db.remove(doc_ids=[1]) == [1]
    with backend.open() as db:
        assert db.all() == [{"v": "c"}]
        assert db.all()[0].doc_id == 3
    assert backend.dump() == {"_default": {"3": {"v": "c"}}}


def test_search(backend: Backend) -> None:
    people = [
        {"name": "Ann", "age": 14, "tags": ["shared", "y9"]},
        {"name": "Bo", "age": 15, "tags": ["y10"]},
        {"name": "Cy", "age": 13, "tags": ["shared"], "nested": {"deep": True}},
    ]
    with backend.open() as db:
        db.insert_multiple(people)
    q = Query()
    with backend.open() as db:
        assert [d["name"] for d in db.search(q.age > 13)] == ["Ann", "Bo"]
        assert [d["name"] for d in db.search(q.tags.any(["shared"]))] == ["Ann", "Cy"]
        assert [d["name"] for d in db.search(q.nested.deep == True)] == ["Cy"]  # noqa: E712
        assert [d["name"] for d in db.search(q.name.matches("[AB].*"))] == ["Ann", "Bo"]
        assert db.search((q.age < 15) & ~q.tags.any(["y9"])) == [people[2]]


def test_multiple_tables(backend: Backend) -> None:
    with backend.open() as db:
        db.table("timeline").insert({"at": "2026-01-01", "what": "disclosed"})
        db.table("people").insert({"role": "pupil"})
        db.table("_summary").insert({"title": "summary row"})
        db.insert({"default": True})
    with backend.open() as db:
        assert db.tables() == {"_default", "timeline", "people", "_summary"}
        assert db.table("timeline").all() == [{"at": "2026-01-01", "what": "disclosed"}]
        assert db.table("_summary").get(doc_id=1) == {"title": "summary row"}
        db.drop_table("people")
    with backend.open() as db:
        assert db.tables() == {"_default", "timeline", "_summary"}
    dumped = backend.dump()
    assert set(dumped) == {"_default", "timeline", "_summary"}
    assert dumped["timeline"] == {"1": {"at": "2026-01-01", "what": "disclosed"}}


def test_doc_ids_survive_reopen(backend: Backend) -> None:
    with backend.open() as db:
        db.insert_multiple([{"n": 1}, {"n": 2}, {"n": 3}, {"n": 4}])
        db.remove(doc_ids=[2])
    with backend.open() as db:
        assert [d.doc_id for d in db.all()] == [1, 3, 4]
        assert db.get(doc_id=3) == {"n": 3}
        assert db.insert({"n": 5}) == 5  # ids are never reused below the highest
    with backend.open() as db:
        assert [(d.doc_id, d["n"]) for d in db.all()] == [(1, 1), (3, 3), (4, 4), (5, 5)]


def test_upsert(backend: Backend) -> None:
    q = Query()
    with backend.open() as db:
        assert db.upsert({"ref": "X", "v": 1}, q.ref == "X") == [1]
    with backend.open() as db:
        assert db.upsert({"ref": "X", "v": 2}, q.ref == "X") == [1]
        assert db.upsert({"ref": "Y", "v": 1}, q.ref == "Y") == [2]
    with backend.open() as db:
        assert db.all() == [{"ref": "X", "v": 2}, {"ref": "Y", "v": 1}]


def test_truncate_and_drop_tables(backend: Backend) -> None:
    with backend.open() as db:
        db.insert({"a": 1})
        db.table("t2").insert({"b": 2})
    with backend.open() as db:
        db.truncate()
        assert len(db) == 0
    with backend.open() as db:
        assert db.all() == []
        assert db.table("t2").all() == [{"b": 2}]
        db.drop_tables()
    with backend.open() as db:
        assert db.tables() == set()


def test_failed_transaction_changes_nothing(storage_session: Session) -> None:
    """An exception inside the transaction abandons it: nothing saved, nothing logged."""
    ref = f"STORE-{next(_refs)}"
    with storage_session.transaction("case", ref, create=True) as db:
        db.insert({"kept": True})
    head = storage_session.audit_head()
    before = storage_session.read("case", ref, log=False)

    def cancelled() -> None:
        with storage_session.transaction("case", ref) as db:
            db.insert({"kept": False})
            raise RuntimeError("user cancelled")

    with pytest.raises(RuntimeError):
        cancelled()
    after = storage_session.read("case", ref, log=False)
    assert after == before
    assert storage_session.audit_head() == head


# ---------------------------------------------------------------------------
# Hypothesis: any JSON-able document round-trips exactly
# ---------------------------------------------------------------------------

HOSTILE_TEXT = [
    "[b]x[/b] [red]alert[/red] [link=https://example.invalid]y[/link] [/]",
    "\x1b[31mred\x1b[0m \x1b]0;title\x07 \x1b[2J\x1b[H \x9b31m",
    "nul\x00inside \x7f del \r\n crlf \t tab \x0b\x0c",
    "مرحبا \u202eevil\u202c \u2067isolate\u2069 עברית",
    "emoji 👩‍👩‍👧‍👦 🏳️‍🌈 e\u0301 \ufeff bom \u200b zw",
    '"quotes" \\backslash\\ \\u0041 not an escape {braces} %s',
    "\U0010ffff \ufffd \U0001f600",
]

json_text = st.text() | st.sampled_from(HOSTILE_TEXT)
json_scalar = (
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**70), max_value=2**70)
    | st.floats(allow_nan=False, allow_infinity=False)
    | json_text
)
json_value = st.recursive(
    json_scalar,
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(json_text, children, max_size=4)
    ),
    max_leaves=12,
)
documents = st.dictionaries(json_text, json_value, max_size=6)
table_names = st.sampled_from(["_default", "timeline", "_summary"]) | st.text(min_size=1)


def _big(seed: str, size: int) -> str:
    return (seed * (size // max(1, len(seed)) + 1))[:size]


big_text = st.builds(_big, st.text(min_size=1, max_size=6), st.integers(0, 1 << 20))


@pytest.mark.slow  # 100 generated documents, each saved
@settings(
    max_examples=100,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(tables=st.dictionaries(table_names, st.lists(documents, max_size=3), max_size=3))
@example(tables={"_default": [{t: t for t in HOSTILE_TEXT}]})
def test_round_trip_any_document(
    storage_session: Session, tables: dict[str, list[dict[str, Any]]]
) -> None:
    _check_round_trip(storage_session, tables)


@settings(
    max_examples=5,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(text=big_text, extra=documents)
def test_round_trip_large_strings(
    storage_session: Session, text: str, extra: dict[str, Any]
) -> None:
    _check_round_trip(storage_session, {"timeline": [{"note": text, **extra}]})


@pytest.mark.parametrize(
    "text",
    [
        pytest.param("A" * (1 << 20), id="1MB-ascii"),
        pytest.param(_big("".join(HOSTILE_TEXT), 1 << 20), id="1MB-hostile-unicode"),
        pytest.param(_big("\x00\x1b\x07\x7f\u202e😀", 1 << 20), id="1MB-controls-emoji"),
    ],
)
def test_round_trip_one_megabyte(storage_session: Session, text: str) -> None:
    _check_round_trip(
        storage_session, {"timeline": [{"note": text}], "_summary": [{"t": text[:80]}]}
    )


def _check_round_trip(session: Session, tables: dict[str, list[dict[str, Any]]]) -> None:
    ref = f"RT-{next(_refs)}"
    expected: dict[str, dict[str, Any]] = {}
    with session.transaction("case", ref, create=True) as db:
        db.table("_marker").insert({"present": True})  # so an all-empty example still saves
        expected["_marker"] = {"1": {"present": True}}
        for name, docs in tables.items():
            if docs:  # (TinyDB keeps an empty table only in memory; not our concern here)
                ids = db.table(name).insert_multiple(docs)
                expected[name] = {str(i): d for i, d in zip(ids, docs, strict=True)}
    # Read back through a fresh decrypt of the file...
    snapshot = session.read("case", ref, log=False)
    assert snapshot.tables == expected
    # ...and through TinyDB itself, in a new transaction (a "reopen").
    with session.transaction("case", ref) as db:
        for name, rows in expected.items():
            assert {str(d.doc_id): dict(d) for d in db.table(name).all()} == rows


def test_round_trip_file_never_holds_plain_text(storage_session: Session) -> None:
    """A sanity anchor for the round trip: what comes back was encrypted on disk."""
    marker = "QuillfeatherRoundTripMarker"
    ref = f"RT-{next(_refs)}"
    with storage_session.transaction("case", ref, create=True) as db:
        db.insert({"note": marker})
    record_id = storage_session.record_id("case", ref)
    raw = (Path(storage_session.vault.path) / "case" / f"{record_id}.ydsr").read_bytes()
    assert marker.encode() not in raw
    assert storage_session.read("case", ref, log=False).tables["_default"]["1"]["note"] == marker
