"""The pupil register on a real vault: records, links, merges and repeat involvement (issue 15)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from pathlib import Path

import pytest

from ydsi_tui.model.errors import ValidationError
from ydsi_tui.service.casebook import CaseBook
from ydsi_tui.service.factory import Services
from ydsi_tui.service.register import PupilRegister, incidents_of
from ydsi_tui.vault.errors import AccessDenied

from .test_casebook import add_pupil, cases

Make = Callable[[str], Services]

BEN = {"name": "Ben Okafor", "dob": "2011-03-04", "sex": "male"}
BEN_DOB = date(2011, 3, 4)


def _incident(book: CaseBook, name: str, parts: list[str], **extra: object) -> tuple[str, str]:
    ref = book.create(f"an image shared, {name.split()[0]}")
    pupil = add_pupil(book, ref, name, parts=parts, sex="male", **extra)
    return ref, pupil


def test_a_record_is_an_encrypted_case_record_listed_with_its_incidents(services: Make) -> None:
    book = cases(services)
    register = PupilRegister(book)
    pid = register.add(BEN)
    ref, pupil = _incident(book, "Ben Okafor", ["shared"], dob="2011-03-04")
    register.link(ref, pid)  # the incident's one pupil, matched by name and birth
    (row,) = register.rows()
    assert row.register_id == pid and row.names == ("Ben Okafor",)
    assert [(i.ref, i.pupil_id, i.parts) for i in row.incidents] == [(ref, pupil, ("shared",))]
    # The record's file is in case/ under a keyed name; no file holds the name in clear.
    files = list((book.session.vault.path / "case").iterdir())
    assert all(b"Okafor" not in f.read_bytes() for f in files)
    assert book.session.record_id("case", f"pupil:{pid}") in {f.stem for f in files}


def test_opening_a_record_is_an_audited_read(services: Make) -> None:
    book = cases(services)
    pid = PupilRegister(book).add(BEN)
    session = book.session
    rec = session.record_id("case", f"pupil:{pid}")
    before = [e for e in session.vault.audit.entries_after(0) if e.action == "record.read"]
    PupilRegister(book).open(pid)
    after = [e for e in session.vault.audit.entries_after(0) if e.action == "record.read"]
    assert len(after) == len(before) + 1 and after[-1].rec == rec


def test_adding_a_pupil_offers_the_register_child_who_matches(services: Make) -> None:
    book = cases(services)
    register = PupilRegister(book)
    ben = register.add(BEN)
    other_ben = register.add({**BEN, "dob": "2012-07-01"})
    found = register.candidates(["okafor ben"], dob=None)
    assert {m.register_id for m in found} == {ben, other_ben}
    found = register.candidates(["Ben Okafr"], dob=BEN_DOB)
    assert [(m.register_id, m.offered) for m in found] == [(ben, True), (other_ben, False)]


def test_a_link_refuses_a_pupil_who_does_not_look_like_the_child(services: Make) -> None:
    book = cases(services)
    register = PupilRegister(book)
    pid = register.add(BEN)
    ref, pupil = _incident(book, "Ava Smith", ["pictured"], dob="2011-05-05")
    with pytest.raises(ValidationError, match="--pupil-id"):
        register.link(ref, pid)
    register.link(ref, pid, pupil_id=pupil)  # said explicitly: linked
    with pytest.raises(ValidationError, match="linked to"):
        register.link(ref, pid, pupil_id=pupil)


def test_a_wrong_link_is_undone_and_stays_in_the_timeline(services: Make) -> None:
    book = cases(services)
    register = PupilRegister(book)
    pid = register.add(BEN)
    ref, pupil = _incident(book, "Ben Okafor", ["sent"], dob="2011-03-04")
    register.link(ref, pid)
    register.unlink(ref, pid, "another Ben: wrong child")
    assert register.rows()[0].incidents == ()
    view = book.open(ref)
    assert view.incident.pupils[pupil].register_id == ""
    kinds = [e.event.kind for e in view.incident.timeline]
    assert "pupil.linked" in kinds and "pupil.unlinked" in kinds
    assert incidents_of(book, pid) == []


def test_repeat_involvement_is_flagged_on_the_later_incident_and_in_attention(
    services: Make,
) -> None:
    book = cases(services)
    register = PupilRegister(book)
    pid = register.add(BEN)
    first, _ = _incident(book, "Ben Okafor", ["shared"], dob="2011-03-04")
    register.link(first, pid)
    book.record(first, "incident.closed", {"summary": "s", "actions": "a", "outcome": "o",
                                           "rationale": "r", "gaps_reason": "test"})  # fmt: skip
    second, _ = _incident(book, "Okafor Ben", ["sent"], dob="2011-03-04")
    register.link(second, pid)
    rows = {row.ref: row for row in book.rows()}
    assert rows[first].repeat == ()
    assert rows[second].repeat == (f"2nd incident for a pupil; earlier: shared on ({first})",)
    assert (second, rows[second].repeat[0]) in book.attention()
    links = incidents_of(book, pid)
    assert [(link.ref, link.parts) for link in links] == [(first, ("shared",)), (second, ("sent",))]


def test_the_same_outside_person_recurring_is_flagged(services: Make) -> None:
    book = cases(services)
    first = book.create("messages from an account")
    book.record(first, "adult.added", {"adult_id": "a1", "name": "@dark_knight99"})
    second = book.create("messages again")
    book.record(second, "adult.added", {"adult_id": "a2", "name": "@Dark_Knight99"})
    rows = {row.ref: row for row in book.rows()}
    assert rows[first].repeat == ()
    assert rows[second].repeat == (
        f"a person outside school named here was named before ({first})",
    )


def test_merge_counts_the_incidents_under_one_child_and_undo_splits_them(services: Make) -> None:
    book = cases(services)
    register = PupilRegister(book)
    keep = register.add(BEN)
    dup = register.add({"name": "Benjamin Okafor", "year_group": 11, "sex": "male"})
    first, _ = _incident(book, "Ben Okafor", ["shared"], dob="2011-03-04")
    register.link(first, keep)
    second, p2 = _incident(book, "Benjamin Okafor", ["received"])
    register.link(second, dup, pupil_id=p2)
    assert len(register.rows()) == 2
    register.merge(keep, dup, "the same boy: his full name")
    (row,) = register.rows()
    assert row.register_id == keep and row.merged_from == (dup,)
    assert [i.ref for i in row.incidents] == [first, second]
    assert [link.ref for link in incidents_of(book, dup)] == [first, second]
    assert {r.ref: r.repeat for r in book.rows()}[second] != ()
    # A link to the merged record is refused: link to the one it joined.
    with pytest.raises(ValidationError, match="merged into"):
        register.link(first, dup)
    register.unmerge(dup, "not the same boy after all: different birthday")
    assert len(register.rows()) == 2
    view = register.open(dup)
    merges = [e for e in view.pupil.timeline if e.event.kind == "pupil.merged"]
    assert len(merges) == 2 and merges[0].superseded  # the merge and its undoing, both kept
    assert view.pupil.merged_into is None


def test_an_incidents_linked_pupils_carry_their_record_and_repeat(services: Make) -> None:
    book = cases(services)
    register = PupilRegister(book)
    keep = register.add(BEN)
    dup = register.add({"name": "Benjamin Okafor", "year_group": 11, "sex": "male"})
    first, p1 = _incident(book, "Ben Okafor", ["shared"], dob="2011-03-04")
    other = add_pupil(book, first, "Ava Smith", dob="2014-01-01")  # not linked
    register.link(first, keep, pupil_id=p1)
    second, p2 = _incident(book, "Benjamin Okafor", ["received"])
    register.link(second, dup, pupil_id=p2)
    assert register.linked(book.open(second).incident)[p2].repeat == ""  # two children yet
    register.merge(keep, dup, "the same boy: his full name")

    linked = register.linked(book.open(first).incident)
    assert set(linked) == {p1} and other not in linked
    assert linked[p1].register_id == keep
    assert linked[p1].repeat == f"1st of 2 incidents; later: {second}"
    later = register.linked(book.open(second).incident)[p2]
    assert later.register_id == keep  # linked to the merged record: opens the one it joined
    assert [i.ref for i in later.incidents] == [first, second]
    assert later.repeat == f"2nd incident; earlier: shared on ({first})"
    alone = book.create("nobody linked")
    add_pupil(book, alone, "Cal Third")
    assert register.linked(book.open(alone).incident) == {}


def test_only_a_dsl_merges(services: Make) -> None:
    dsl = cases(services)
    register = PupilRegister(dsl)
    keep, dup = register.add(BEN), register.add(BEN)
    with pytest.raises(AccessDenied):
        PupilRegister(cases(services, "head")).merge(keep, dup, "same child")
    with pytest.raises(ValidationError, match="itself"):
        register.merge(keep, keep, "same child")
    register.merge(keep, dup, "same child")
    with pytest.raises(ValidationError, match=r"circle|itself merged"):
        register.merge(dup, keep, "the other way round")


def test_a_record_is_kept_as_long_as_its_longest_kept_incident(services: Make) -> None:
    book = cases(services)
    register = PupilRegister(book)
    pid = register.add(BEN)
    first, _ = _incident(book, "Ben Okafor", ["shared"], dob="2011-03-04")
    second, other = _incident(book, "Ben Okafor", ["sent"], dob="2011-03-04")
    add_pupil(book, second, "Ava Smith", dob="2014-01-01")  # kept until 2039
    register.link(first, pid)
    register.link(second, pid)
    view = register.open(pid)
    assert view.keep_until == date(2039, 1, 1)  # Ava's dob + 25 years, not Ben's 2036
    assert not view.on_hold
    book.record(second, "hold.set", {"reason": "an inquiry's moratorium"})
    assert register.open(pid).on_hold
    assert other


def test_the_demo_vault_shows_a_repeat_involvement(tmp_path: Path) -> None:
    from datetime import UTC, datetime

    from ydsi_tui.service.clock import FixedClock
    from ydsi_tui.service.demo import DEMO_PASSPHRASE, ensure_demo_vault
    from ydsi_tui.service.factory import services_for
    from ydsi_tui.vault.vault import Vault

    now = datetime(2026, 11, 18, 14, 0, tzinfo=UTC)
    session = Vault.open(ensure_demo_vault(tmp_path / "demo", now=now)).unlock(
        "dsl", DEMO_PASSPHRASE
    )
    book = services_for(session, clock=FixedClock(now)).cases
    assert book is not None
    repeat = {row.ref: row.repeat for row in book.rows() if row.repeat}
    assert repeat == {"2026-001": ("2nd incident for a pupil; earlier: shared on (2026-004)",)}
    assert ("2026-001", repeat["2026-001"][0]) in book.attention()
    rows = PupilRegister(book).rows()
    assert len(rows) == 3
    ben = next(row for row in rows if row.names == ("Ben Sample (DEMO)",))
    assert [(i.ref, i.parts) for i in ben.incidents] == [
        ("2026-004", ("shared",)),
        ("2026-001", ("received", "shared")),
    ]


def test_a_record_made_from_an_old_incident_keeps_the_year_group_of_its_day(
    services: Make,
) -> None:
    from datetime import UTC, datetime

    book = cases(services)
    ref = book.create("an old incident", disclosed_at=datetime(2024, 10, 1, 9, 0, tzinfo=UTC))
    pupil = add_pupil(book, ref, "Dan Elder", year_group=10)  # Year 10 in 2024-25
    register = PupilRegister(book)
    pid = register.register_incident_pupil(ref, pupil)
    assert register.open(pid).pupil.cohort == 2009  # born 2009-10, as the incident said
    # In 2026-27 he is in Year 12: the same child, offered.
    found = register.candidates(["Dan Elder"], year_group=12, as_of=date(2026, 11, 16))
    assert [(m.register_id, m.offered, m.birth_agrees) for m in found] == [(pid, True, True)]
