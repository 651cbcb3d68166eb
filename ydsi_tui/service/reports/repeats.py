"""Repeat involvement: the same young person in more than one incident, for the figures.

The pupil register says who is who: a young person linked to a register
record is that record's child in every incident linked to it, whatever name
each incident spelt (merges followed: two records of one child count as one,
and two children of one name in one year group, linked to two records, stay
two).

A young person not (yet) linked is found the way subject access finds them
(:mod:`ydsi_tui.service.pupils`): the same name (``name_key``: case, spacing
and Unicode forms ignored) and the same birth cohort (the school year they
were born in, from the date of birth or the year group). A record with
neither joins the one cohort known for that name, if there is exactly one.
Such a name and cohort joins the register child linked under it elsewhere
when there is exactly one; with none or several it stands as itself. Two
unlinked children of one name in one cohort are counted as one: the figure
can only err towards "seen before", and linking them corrects it.

:func:`repeat_incidents` is the one function the governors' figures ask. The
keys it hands back are for counting in memory and never shown.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from ...model.incident import Incident, Pupil
from ...model.register import resolve
from ..pupils import birth_cohort, name_key

__all__ = ["Involvement", "repeat_incidents"]


@dataclass(frozen=True)
class Involvement:
    """One young person in one incident, and how many earlier incidents they were in."""

    ref: str
    pupil_id: str
    #: Equal for the same young person across incidents (may hold the name: never shown).
    person: str
    #: Earlier incidents of this young person (by the incident's date, then reference).
    earlier: int


def repeat_incidents(
    incidents: Iterable[Incident], merges: Mapping[str, str] | None = None
) -> tuple[Involvement, ...]:
    """Every young person in every incident given, with their earlier incidents counted.

    ``merges`` is the register's {merged record: the record it joined}; a
    link to a merged record counts under the record it joined.
    """
    merges = merges or {}
    ordered = sorted(incidents, key=lambda i: (i.incident_date, i.ref))
    cohorts: dict[str, set[int]] = defaultdict(set)
    for incident in ordered:
        for pupil in incident.pupils.values():
            cohort = birth_cohort(incident, pupil)
            if cohort is not None:
                cohorts[name_key(pupil.name)].add(cohort)

    def by_name(incident: Incident, pupil: Pupil) -> str:
        key = name_key(pupil.name)
        cohort = birth_cohort(incident, pupil)
        if cohort is None and len(cohorts[key]) == 1:
            cohort = next(iter(cohorts[key]))
        return f"{key}\x00{cohort if cohort is not None else '?'}"

    # The register children each name and cohort was linked to, anywhere.
    linked_as: dict[str, set[str]] = defaultdict(set)
    for incident in ordered:
        for pupil in incident.pupils.values():
            if pupil.register_id:
                linked_as[by_name(incident, pupil)].add(resolve(pupil.register_id, merges))

    def person(incident: Incident, pupil: Pupil) -> str:
        if pupil.register_id:
            return "register\x00" + resolve(pupil.register_id, merges)
        named = by_name(incident, pupil)
        children = linked_as.get(named, set())
        return "register\x00" + next(iter(children)) if len(children) == 1 else named

    seen: dict[str, set[str]] = defaultdict(set)
    found: list[Involvement] = []
    for incident in ordered:
        here = [
            Involvement(incident.ref, pupil.pupil_id, who, len(seen[who] - {incident.ref}))
            for pupil in incident.pupils.values()
            for who in (person(incident, pupil),)
        ]
        found.extend(here)
        for involvement in here:
            seen[involvement.person].add(incident.ref)
    return tuple(found)
