"""One young person across incidents: the vault has no pupil register, so find them by name.

A pupil is recorded inside each incident (their part belongs to that
incident), with a date of birth or a year group. Subject access and
transfers need every incident about the same young person, so they are
matched by name (Unicode-normalised, case and spacing ignored) and checked
for consistency: two pupils of the same name born in different school years
are different people, and the search refuses to guess between them; given a
date of birth, only pupils with that date, or with a year group that fits
it, are taken.

The search decrypts every incident in memory without logging a read (it
shows nothing); the report or transfer that follows opens, and so audits,
each incident it uses.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from datetime import date

from ..model.errors import ValidationError
from ..model.incident import Incident, Pupil
from ..model.schoolyear import school_year_of
from ..model.timeparse import format_local_date
from .casebook import CaseBook
from .reports.scan import Progress, each_incident

__all__ = ["PupilRef", "birth_cohort", "find_pupil", "name_key"]


def name_key(name: str) -> str:
    """The form names are compared in: NFKC, case-folded, single spaces."""
    return " ".join(unicodedata.normalize("NFKC", name).casefold().split())


def birth_cohort(incident: Incident, pupil: Pupil) -> int | None:
    """The school year (its September's year) the pupil was born in, known or implied."""
    if pupil.dob is not None:
        return school_year_of(pupil.dob).start_year
    if pupil.year_group is not None:
        return school_year_of(incident.incident_date).start_year - pupil.year_group - 5
    return None


@dataclass(frozen=True)
class PupilRef:
    """One incident's record of the young person searched for."""

    ref: str
    pupil_id: str
    name: str
    dob: date | None
    year_group: int | None
    cohort: int | None


def find_pupil(
    cases: CaseBook, name: str, *, dob: date | None = None, progress: Progress | None = None
) -> list[PupilRef]:
    """Every incident's record of this young person; refuses an ambiguous name."""
    wanted = name_key(name)
    if not wanted:
        raise ValidationError("pupil", "Give the young person's name.")
    found: list[PupilRef] = []
    for scanned in each_incident(cases, progress):
        if scanned.view is None:
            continue
        incident = scanned.view.incident
        for pupil in incident.pupils.values():
            if name_key(pupil.name) != wanted:
                continue
            found.append(
                PupilRef(
                    incident.ref,
                    pupil.pupil_id,
                    pupil.name,
                    pupil.dob,
                    pupil.year_group,
                    birth_cohort(incident, pupil),
                )
            )
    if dob is not None:
        cohort = school_year_of(dob).start_year
        found = [p for p in found if p.dob == dob or (p.dob is None and p.cohort in (cohort, None))]
    if not found:
        raise ValidationError("pupil", "No young person of that name is in any incident.")
    cohorts = {p.cohort for p in found if p.cohort is not None}
    births = {p.dob for p in found if p.dob is not None}
    if len(cohorts) > 1 or len(births) > 1:
        shown = ", ".join(sorted(format_local_date(d) for d in births)) or "different years"
        raise ValidationError(
            "dob",
            f"More than one young person has that name (born {shown}): give the date of "
            "birth of the one you mean.",
        )
    return found
