"""The pupil register: one record per child, across incidents, and what it shows.

A pupil is recorded inside each incident (``pupil.added``: their part belongs
to that incident). The register adds one record per child beside the
incidents, in the case compartment: their names, date of birth or year group,
sex and what children's social care know of them, under a stable id
(``P-`` and twelve hex digits, never a name). It is an append-only list of
events folded like an incident:

``pupil.registered``  the record made, with the child's facts
``pupil.details``     a fact changed (only what is given)
``pupil.merged``      this record is the same child as another (the DSL's
                      call); undone by a correction of it with ``undone`` set

An incident's pupil is linked to a register record by an entry in the
*incident* (``pupil.linked`` / ``pupil.unlinked``), so the link is signed and
audited with the rest of that incident, and the register itself never needs
to be written when an incident is.

What the lists need is in the records' summaries (read without decrypting
any timeline): each incident's summary carries its links (pupil id, register
id, part) and a digest of each outside person's name; each register record's
summary carries the child's names and whether it was merged. From those,
:func:`involvements` gives each child's incidents in order and
:func:`repeat_flags` the flags a later incident carries ("2nd incident;
earlier: shared on"): a pass over the summaries the home screen has already
read, so the flags cost its launch nothing measurable (tests/bench_pupils.py).
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import date, datetime
from typing import Any

from ydsi_tui.model.events import Event
from ydsi_tui.model.folding import Payload, link_corrections
from ydsi_tui.model.names import birth_cohort, name_tokens
from ydsi_tui.model.records import CSC_FACT_WORDS, Problem, TimelineEntry
from ydsi_tui.model.timeparse import date_to_iso, to_iso_utc, to_local

__all__ = [
    "PART_WORDS",
    "REGISTER_ID_PATTERN",
    "IncidentLinks",
    "Involvement",
    "RegisterEntry",
    "RegisteredPupil",
    "fold_register",
    "involvements",
    "links_from_summary",
    "merges_from_summaries",
    "ordinal",
    "outsider_key",
    "pupil_repeat",
    "register_entry_from_summary",
    "register_ref",
    "register_summary",
    "repeat_flags",
    "resolve",
]

REGISTER_ID_PATTERN = re.compile(r"P-[0-9a-f]{12}")
#: The prefix of a register record's reference in the case compartment (its file
#: name is a keyed hash of it, as an incident's is of its reference).
_REF_PREFIX = "pupil:"

#: A part in an incident, as a flag says it ("earlier: shared on").
PART_WORDS = {"pictured": "pictured", "sent": "sent", "received": "received", "shared": "shared on"}


def register_ref(register_id: str) -> str:
    """The record reference of a register pupil (what ``Session.record_id`` is keyed on)."""
    return f"{_REF_PREFIX}{register_id}"


def ordinal(n: int) -> str:
    """1st, 2nd, 3rd, 4th … 11th, 12th, 13th, 21st."""
    suffix = "th" if 10 <= n % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return f"{n}{suffix}"


# ---------------------------------------------------------------- the record


@dataclass(frozen=True)
class RegisteredPupil:
    """One child's register record, folded from its events."""

    register_id: str
    name: str
    other_names: tuple[str, ...]
    dob: date | None
    year_group: int | None
    #: The day the year group was true on (when it was recorded): a cohort needs it.
    year_group_as_of: date | None
    sex: str
    sen: bool
    social_worker: str
    cp_plan: bool
    child_in_need: bool
    looked_after: bool
    ehcp: bool
    previously_known: bool
    #: Merged into another record of the same child (None: not merged, or undone).
    merged_into: str | None
    #: The ``pupil.merged`` entry in force (to correct it when undoing).
    merge_event_id: str | None
    timeline: tuple[TimelineEntry, ...]
    problems: tuple[Problem, ...]

    @property
    def names(self) -> tuple[str, ...]:
        return (self.name, *self.other_names)

    @property
    def cohort(self) -> int | None:
        return birth_cohort(self.dob, self.year_group, self.year_group_as_of)

    @property
    def csc_facts(self) -> tuple[str, ...]:
        words: list[str] = []
        if self.social_worker.strip():
            words.append(f"allocated social worker: {self.social_worker.strip()}")
        words.extend(text for name, text in CSC_FACT_WORDS.items() if getattr(self, name) is True)
        return tuple(words)


_FACTS = ("sen", *CSC_FACT_WORDS)


def _apply_facts(pupil: RegisteredPupil, e: Event, p: Payload) -> RegisteredPupil:
    data = p.data
    changes: dict[str, Any] = {}
    if "name" in data:
        changes["name"] = p.text("name") or pupil.name
    if "other_names" in data:
        changes["other_names"] = p.texts("other_names")
    if "dob" in data:
        changes["dob"] = p.day("dob")
    if "year_group" in data:
        changes["year_group"] = p.number("year_group")
        changes["year_group_as_of"] = to_local(e.at).date()
    if "sex" in data:
        changes["sex"] = p.text("sex") or pupil.sex
    if "social_worker" in data:
        changes["social_worker"] = p.text("social_worker")
    changes.update({name: p.flag(name) for name in _FACTS if name in data})
    return replace(pupil, **changes)


def fold_register(register_id: str, events: Iterable[Event]) -> RegisteredPupil:
    """Read a register record: its timeline with corrections linked, and the child now."""
    linked = link_corrections(events)
    pupil = RegisteredPupil(
        register_id, "", (), None, None, None, "unknown", False, "", False, False, False,
        False, False, None, None, (), (),
    )  # fmt: skip
    problems = linked.problems
    for event in linked.effective:
        p = Payload(event, problems.setdefault(event.id, []))
        if event.kind in ("pupil.registered", "pupil.details"):
            if p.text("register_id") != register_id:
                p.problems.append("This entry names another register record; it is ignored.")
                continue
            pupil = _apply_facts(pupil, event, p)
        elif event.kind == "pupil.merged":
            into = p.text("into")
            if p.text("register_id") != register_id or not REGISTER_ID_PATTERN.fullmatch(into):
                p.problems.append("This merge names no other register record; it is ignored.")
                continue
            if event.by_role != "dsl" or not event.verified:
                # Only a save signed by a DSL's key merges two children's records: a
                # team member's client writing "by the DSL" is shown, never counted.
                p.problems.append(
                    "NOT COUNTED: a merge counts only when a DSL's own signed save made it."
                )
                continue
            undone = p.flag("undone")
            pupil = replace(
                pupil,
                merged_into=None if undone else into,
                merge_event_id=event.id,
            )
        else:
            p.problems.append(f"Entries of kind {event.kind[:40]!r} belong in an incident.")
    timeline = linked.timeline()
    flat = tuple(Problem(eid, text) for eid, texts in problems.items() for text in texts)
    return replace(pupil, timeline=timeline, problems=flat)


def register_summary(pupil: RegisteredPupil, *, updated_at: datetime) -> dict[str, Any]:
    """What the register's list shows of one child (names: the list is the register)."""
    return {
        "v": 1,
        "register_id": pupil.register_id,
        "names": list(pupil.names),
        "dob": date_to_iso(pupil.dob) if pupil.dob else None,
        "year_group": pupil.year_group,
        "cohort": pupil.cohort,
        "sex": pupil.sex,
        "merged_into": pupil.merged_into,
        "known_to_csc": bool(pupil.csc_facts),
        "updated_at": to_iso_utc(updated_at),
    }


@dataclass(frozen=True)
class RegisterEntry:
    """One register record as its summary lists it."""

    register_id: str
    names: tuple[str, ...]
    dob: date | None
    year_group: int | None
    cohort: int | None
    sex: str
    merged_into: str | None
    known_to_csc: bool


def register_entry_from_summary(
    summary: Mapping[str, Any], *, saved_by_dsl: bool
) -> RegisterEntry | None:
    """A register summary read defensively (None if it is not one, or is unreadable).

    A summary is its saver's word. Its ``merged_into`` counts only when a DSL's
    key signed the save (only a DSL merges, and a merged record takes no other
    role's saves): a team member's client writing "merged" changes no list.
    """
    register_id = summary.get("register_id")
    if not isinstance(register_id, str) or not REGISTER_ID_PATTERN.fullmatch(register_id):
        return None
    names = summary.get("names")
    names = tuple(n for n in names if isinstance(n, str)) if isinstance(names, list) else ()
    dob = _day(summary.get("dob"))
    year = summary.get("year_group")
    cohort = summary.get("cohort")
    into = summary.get("merged_into")
    return RegisterEntry(
        register_id,
        names,
        dob,
        year if isinstance(year, int) and not isinstance(year, bool) else None,
        cohort if isinstance(cohort, int) and not isinstance(cohort, bool) else None,
        str(summary.get("sex") or "unknown"),
        into
        if saved_by_dsl and isinstance(into, str) and REGISTER_ID_PATTERN.fullmatch(into)
        else None,
        summary.get("known_to_csc") is True,
    )


def merges_from_summaries(entries: Iterable[RegisterEntry]) -> dict[str, str]:
    """{merged record: the record it was merged into}."""
    return {e.register_id: e.merged_into for e in entries if e.merged_into is not None}


def resolve(register_id: str, merges: Mapping[str, str]) -> str:
    """The record a child's incidents count under: merges followed, a cycle stopped."""
    if register_id not in merges:
        return register_id
    seen = {register_id}
    current = register_id
    while current in merges:
        nxt = merges[current]
        if nxt in seen:
            return min(seen)  # a cycle (two forged merges): one stable choice
        seen.add(nxt)
        current = nxt
    return current


# ---------------------------------------------------------------- incidents


def outsider_key(name: str) -> str:
    """A digest of an outside person's name, so an incident summary holds no name.

    The same name in any order and case, Latin accents ignored, gives the same
    key: "the same person outside school recurs" is a match of keys.
    """
    tokens = name_tokens(name)
    return hashlib.sha256(" ".join(tokens).encode()).hexdigest()[:16] if tokens else ""


def _day(value: object) -> date | None:
    """A stored ``YYYY-MM-DD`` date, or None (a list reads thousands: no regex)."""
    if not isinstance(value, str) or len(value) != 10 or value[4] != "-" or value[7] != "-":
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        return None


@dataclass(frozen=True)
class IncidentLinks:
    """One incident as its summary tells the register: its date and its linked pupils."""

    ref: str
    incident_date: date | None
    status: str
    #: (pupil id in the incident, register id, parts)
    links: tuple[tuple[str, str, tuple[str, ...]], ...]
    outsiders: tuple[str, ...]
    retention_until: date | None = None
    on_hold: bool = False


def links_from_summary(summary: Mapping[str, Any]) -> IncidentLinks | None:
    """An incident summary's register facts, read defensively (None: not an incident)."""
    ref = summary.get("ref")
    if summary.get("type") != "incident" or not isinstance(ref, str):
        return None
    day = _day(summary.get("incident_date"))
    links: list[tuple[str, str, tuple[str, ...]]] = []
    raw = summary.get("register")
    for item in raw if isinstance(raw, list) else ():
        if not isinstance(item, Mapping):
            continue
        pupil_id, register_id, parts = (
            item.get("pupil_id"),
            item.get("register_id"),
            item.get("parts"),
        )
        if not (isinstance(pupil_id, str) and isinstance(register_id, str)):
            continue
        if not REGISTER_ID_PATTERN.fullmatch(register_id):
            continue
        shown = tuple(p for p in parts if isinstance(p, str)) if isinstance(parts, list) else ()
        links.append((pupil_id, register_id, shown))
    raw_out = summary.get("outsiders")
    outsiders = tuple(
        o for o in (raw_out if isinstance(raw_out, list) else ()) if isinstance(o, str) and o
    )
    kept = summary.get("retention")
    until = _day(kept.get("until")) if isinstance(kept, Mapping) else None
    return IncidentLinks(
        ref,
        day,
        str(summary.get("status") or ""),
        tuple(links),
        outsiders,
        until,
        summary.get("on_hold") is True,
    )


@dataclass(frozen=True)
class Involvement:
    """One of a child's incidents and their part in it."""

    ref: str
    pupil_id: str
    parts: tuple[str, ...]
    incident_date: date | None
    status: str


def _order(incident: IncidentLinks) -> tuple[date, str]:
    return (incident.incident_date or date.max, incident.ref)


def involvements(
    incidents: Iterable[IncidentLinks], merges: Mapping[str, str]
) -> dict[str, list[Involvement]]:
    """{register id (merges resolved): that child's incidents, earliest first}."""
    out: dict[str, list[Involvement]] = {}
    for incident in sorted(incidents, key=_order):
        for pupil_id, register_id, parts in incident.links:
            out.setdefault(resolve(register_id, merges), []).append(
                Involvement(incident.ref, pupil_id, parts, incident.incident_date, incident.status)
            )
    return out


def pupil_repeat(history: Sequence[Involvement], ref: str) -> str:
    """One child's repeat involvement as seen from one of their incidents ("" if none).

    ``history`` is the child's incidents earliest first (:func:`involvements`).
    Worded as :func:`repeat_flags` words the incident's flag, but said of this
    child: "2nd incident; earlier: shared on (2026-003)"; an incident that came
    first says what came after ("1st of 2 incidents; later: 2026-005"). The
    People pane shows it on the child's row.
    """
    refs = list(dict.fromkeys(i.ref for i in history))  # merged records: one per incident
    if ref not in refs or len(refs) < 2:
        return ""
    at = refs.index(ref)
    before, later = set(refs[:at]), ", ".join(refs[at + 1 :])
    if not before:
        return f"1st of {len(refs)} incidents; later: {later}"
    parts = (PART_WORDS.get(p, p) for i in history if i.ref in before for p in i.parts)
    words = ", ".join(dict.fromkeys(parts)) or "part not recorded"
    text = f"{ordinal(at + 1)} incident; earlier: {words} ({', '.join(refs[:at])})"
    return f"{text}; later: {later}" if later else text


def repeat_flags(
    incidents: Iterable[IncidentLinks], merges: Mapping[str, str]
) -> dict[str, tuple[str, ...]]:
    """{incident ref: its repeat-involvement flags} (no names: the home screen shows them).

    An incident is flagged for each of its pupils with an earlier incident,
    open or closed ("2nd incident for a pupil; earlier: shared on (2026-003)"),
    and when a person outside school named in it was named in an earlier one.
    """
    ordered = sorted(incidents, key=_order)
    flags: dict[str, list[str]] = {}
    # One pass in order of happening: each child's incidents so far, and their parts.
    history: dict[str, tuple[list[str], dict[str, None]]] = {}
    for incident in ordered:
        for _pupil_id, register_id, parts in incident.links:
            child = resolve(register_id, merges)
            said = dict.fromkeys(PART_WORDS.get(p, p) for p in parts)
            past = history.get(child)
            if past is None:
                history[child] = ([incident.ref], said)
                continue
            refs, words = past
            earlier = [ref for ref in refs if ref != incident.ref]
            if earlier:
                shown = ", ".join(words) if words else "part not recorded"
                flags.setdefault(incident.ref, []).append(
                    f"{ordinal(len(earlier) + 1)} incident for a pupil; earlier: {shown} "
                    f"({', '.join(earlier)})"
                )
            if refs[-1] != incident.ref:
                refs.append(incident.ref)
            words.update(said)
    first_seen: dict[str, list[str]] = {}
    for incident in ordered:
        for key in dict.fromkeys(incident.outsiders):
            before = first_seen.setdefault(key, [])
            if before:
                flags.setdefault(incident.ref, []).append(
                    f"a person outside school named here was named before ({', '.join(before)})"
                )
            before.append(incident.ref)
    return {ref: tuple(texts) for ref, texts in flags.items()}
