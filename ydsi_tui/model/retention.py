"""How long an incident's record is kept, and what stops it being destroyed.

The schools' records-management toolkit keeps a pupil's child-protection
records until the pupil's date of birth plus 25 years, or until they are
transferred to the pupil's next school. An incident file holds several young
people's records, so it is kept until the *last* of them is due. Then it is
due for **review**, not for automatic deletion: a DSL decides, and may keep
it longer (``retention.reviewed``, with a reason and a date).

Where only a year group is known, the date of birth is estimated
conservatively: the latest birthday a pupil of that year group can have, plus
one more year in case they were taught outside their age group. The record
is therefore never due earlier than the rule allows; the listing says when a
date is an estimate.

A legal hold (an inquiry's moratorium, say) blocks destruction until lifted,
whatever the dates say.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING

from ydsi_tui.model.schoolyear import school_year_of
from ydsi_tui.model.timeparse import date_from_iso, format_local_date, to_local

if TYPE_CHECKING:
    from ydsi_tui.model.incident import Incident, Pupil

__all__ = [
    "RETENTION_YEARS",
    "PupilRetention",
    "Retention",
    "add_years",
    "destruction_blockers",
    "pupil_retention",
    "retention",
]

RETENTION_YEARS = 25
#: Bases, as stored in summaries and audit entries (never a name or a date of birth).
BASES = ("dob", "year_group", "transferred", "unknown", "no_pupils", "review")


def add_years(day: date, years: int) -> date:
    """The same day ``years`` later; 29 February becomes 1 March (the later day)."""
    try:
        return day.replace(year=day.year + years)
    except ValueError:
        return date(day.year + years, 3, 1)


@dataclass(frozen=True)
class PupilRetention:
    """Until when one young person's part of the record is kept, and why (no names)."""

    pupil_id: str
    until: date
    basis: str
    text: str

    @property
    def estimated(self) -> bool:
        return self.basis in ("year_group", "unknown")


@dataclass(frozen=True)
class Retention:
    """Until when the whole incident file is kept: the latest of its young people."""

    until: date
    basis: str
    text: str
    estimated: bool
    pupils: tuple[PupilRetention, ...]
    on_hold: bool

    def due(self, today: date) -> bool:
        """Due for review on ``until`` and every day after."""
        return self.until <= today


def pupil_retention(incident: Incident, pupil: Pupil) -> PupilRetention:
    """One young person's date: transferred (with a receipt), else birth + 25 years."""
    for transfer in incident.transfers:
        if transfer.pupil_id == pupil.pupil_id and transfer.receipt is not None:
            received = to_local(transfer.receipt.at).date()
            return PupilRetention(
                pupil.pupil_id,
                received,
                "transferred",
                f"records transferred to the pupil's new school (receipt recorded "
                f"{format_local_date(received)}); this copy is due for review",
            )
    if pupil.dob is not None:
        until = add_years(pupil.dob, RETENTION_YEARS)
        return PupilRetention(
            pupil.pupil_id, until, "dob", f"date of birth + {RETENTION_YEARS} years"
        )
    day = incident.incident_date
    if pupil.year_group is not None:
        year = school_year_of(day)
        latest_birth = date(year.start_year - pupil.year_group - 4, 8, 31)
        assumed = add_years(latest_birth, 1)
        until = add_years(assumed, RETENTION_YEARS)
        return PupilRetention(
            pupil.pupil_id,
            until,
            "year_group",
            f"estimated: no date of birth; Year {pupil.year_group} in {year.label} means born "
            f"by {format_local_date(latest_birth)}; a year added to be safe, then "
            f"{RETENTION_YEARS} years",
        )
    return PupilRetention(
        pupil.pupil_id,
        add_years(day, RETENTION_YEARS),
        "unknown",
        f"estimated: no date of birth or year group; {RETENTION_YEARS} years from the incident",
    )


def retention(incident: Incident) -> Retention:
    """The incident file's retention date, and whether a legal hold is active."""
    on_hold = bool(incident.active_holds)
    pupils = tuple(pupil_retention(incident, p) for p in incident.pupils.values())
    if pupils:
        latest = max(pupils, key=lambda r: (r.until, r.estimated))
        until, basis, text = latest.until, latest.basis, latest.text
        estimated = any(r.estimated and r.until == until for r in pupils)
        if len(pupils) > 1:
            text = f"the last of {len(pupils)} young people: {text}"
    else:
        until = add_years(incident.incident_date, RETENTION_YEARS)
        basis, estimated = "no_pupils", True
        text = f"no young person recorded: {RETENTION_YEARS} years from the incident"
    reviews = sorted(incident.retention_reviews, key=lambda entry: entry.at)
    if reviews:
        review = reviews[-1]
        try:
            keep = date_from_iso(review.text("keep_until"), "keep_until")
        except ValueError:
            keep = None
        if keep is not None and keep > until:
            until, basis, estimated = keep, "review", False
            text = (
                f"kept after a review on {format_local_date(to_local(review.at).date())} "
                f"until {format_local_date(keep)}"
            )
    return Retention(until, basis, text, estimated, pupils, on_hold)


def destruction_blockers(incident: Incident, today: date) -> list[str]:
    """Why this incident may not be destroyed today; empty when it may."""
    reasons = [
        f"a legal hold set by {hold.by} on {format_local_date(to_local(hold.at).date())} "
        "is still in force: lift it first"
        for hold in incident.active_holds
    ]
    kept = retention(incident)
    if not kept.due(today):
        reasons.append(f"not due for review until {format_local_date(kept.until)} ({kept.text})")
    return reasons
