"""Who looked at a child's record: the read audit on a real vault, as the DSL sees it."""

from __future__ import annotations

from datetime import timedelta

import pytest

from ydsi_tui.service.read_audit import read_audit, read_audit_json
from ydsi_tui.service.reports.chronology import chronology
from ydsi_tui.vault.errors import AccessDenied, RecordNotFound

from .conftest import NOW, World, add_pupil


def test_every_read_in_time_order_with_who_and_which_incident(world: World) -> None:
    dsl = world.cases()
    first = dsl.create("Image shared")
    add_pupil(dsl, first, "Ava Smith")
    second = dsl.create("Another")
    assert read_audit(dsl.session).rows == ()  # creating and recording are saves, not reads
    dsl.rows()  # the home list reads summaries only: nobody "looked at" a record
    assert read_audit(dsl.session).rows == ()
    world.at(NOW + timedelta(minutes=5))
    dsl.open(first)
    world.at(NOW + timedelta(minutes=10))
    world.cases("head").open(first)
    world.at(NOW + timedelta(minutes=15))
    chronology(dsl, None, second)  # an export's read is a read like any other

    audit = read_audit(dsl.session)
    shown = [(row.name, row.role, row.record, row.ref) for row in audit.rows]
    assert shown == [
        ("Dana Lead", "dsl", "incident", first),
        ("Hana Head", "headteacher", "incident", first),
        ("Dana Lead", "dsl", "incident", second),
    ]
    seqs = [row.seq for row in audit.rows]
    assert seqs == sorted(seqs) and audit.problems == () and audit.unopened == 0
    assert [row.at is not None and row.at.tzinfo is not None for row in audit.rows] == [True] * 3

    only = read_audit(dsl.session, first)
    assert [row.name for row in only.rows] == ["Dana Lead", "Hana Head"]
    data = read_audit_json(only)
    assert data["kind"] == "read_audit" and data["ref"] == first
    assert [r["role"] for r in data["reads"]] == ["dsl", "headteacher"]
    assert all(isinstance(r["version"], int) for r in data["reads"])
    with pytest.raises(RecordNotFound):
        read_audit(dsl.session, "1999-001")


def test_only_a_dsl_sees_the_reads(world: World) -> None:
    dsl = world.cases()
    ref = dsl.create("Image shared")
    dsl.open(ref)
    with pytest.raises(AccessDenied, match="only a DSL"):
        read_audit(world.cases("head").session)
    tech = world.services("tech").session
    with pytest.raises(AccessDenied):
        read_audit(tech)
