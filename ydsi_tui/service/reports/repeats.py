"""Repeat involvement: the same young person in more than one incident, for the figures.

Until the vault holds a pupil register, a young person exists only inside
each incident, so this finds them the way subject access does
(:mod:`ydsi_tui.service.pupils`): the same name (``name_key``: case, spacing
and Unicode forms ignored) and the same birth cohort (the school year they
were born in, from the date of birth or the year group). A record with
neither joins the one cohort known for that name, if there is exactly one;
otherwise it stands alone. Two children of one name in one cohort are
counted as one: the figure can only err towards "seen before".

:func:`repeat_incidents` is the one function the governors' figures ask; the
pupil register replaces its body, not its callers. The keys it hands back
are for counting in memory and never shown.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass

from ...model.incident import Incident
from ..pupils import birth_cohort, name_key

__all__ = ["Involvement", "repeat_incidents"]


@dataclass(frozen=True)
class Involvement:
    """One young person in one incident, and how many earlier incidents they were in."""

    ref: str
    pupil_id: str
    #: Equal for the same young person across incidents (holds the name: never shown).
    person: str
    #: Earlier incidents of this young person (by the incident's date, then reference).
    earlier: int


def repeat_incidents(incidents: Iterable[Incident]) -> tuple[Involvement, ...]:
    """Every young person in every incident given, with their earlier incidents counted."""
    ordered = sorted(incidents, key=lambda i: (i.incident_date, i.ref))
    cohorts: dict[str, set[int]] = defaultdict(set)
    for incident in ordered:
        for pupil in incident.pupils.values():
            cohort = birth_cohort(incident, pupil)
            if cohort is not None:
                cohorts[name_key(pupil.name)].add(cohort)
    seen: dict[str, set[str]] = defaultdict(set)
    found: list[Involvement] = []
    for incident in ordered:
        for pupil in incident.pupils.values():
            key = name_key(pupil.name)
            cohort = birth_cohort(incident, pupil)
            if cohort is None and len(cohorts[key]) == 1:
                cohort = next(iter(cohorts[key]))
            person = f"{key}\x00{cohort if cohort is not None else '?'}"
            earlier = len(seen[person] - {incident.ref})
            found.append(Involvement(incident.ref, pupil.pupil_id, person, earlier))
        for involvement in found[len(found) - len(incident.pupils) :]:
            seen[involvement.person].add(incident.ref)
    return tuple(found)
