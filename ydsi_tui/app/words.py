"""The app's short words for statuses and flags, shared by every screen that lists them.

They live here, not in the home screen, so that a screen showing a status does not
import another screen to say it (the review found a six-screen import cycle that
began with these words).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

from ..model.summary import STATUS_WORDS as MODEL_STATUS_WORDS
from ..model.timeparse import format_local_short

if TYPE_CHECKING:
    from ..model.events import Event
    from ..model.obligations import Flag

__all__ = [
    "DROPPED_CORRECTION",
    "FLAG_WORDS",
    "STATUS_WORDS",
    "correction_notice",
    "discarded_warning",
    "flag_words",
]

STATUS_WORDS = {**MODEL_STATUS_WORDS, "damaged": "✗ DAMAGED"}

#: Short words (and a symbol, so colour is never the only signal) for each flag code.
FLAG_WORDS = {
    "referral_required": "‼ REFER NOW",
    "referral_overdue": "‼ referral overdue",
    "signoff_waiting": "✎ sign-off",
    "viewing_breach": "‼ viewing: Head",
    "staff_support_due": "⚠ staff support",
    "deletion_overdue": "⌛ deletion",
    "decision_review_due": "↻ review",
    "parents_not_informed": "⚠ parents",
    "csc_contact_due": "⚠ contact CSC",
    "dsl_delay": "⚠ late to DSL",
    "device_collection_overdue": "⌛ collection",
    "device_power_unconfirmed": "⚠ not off",
}


def flag_words(flags: Iterable[Flag]) -> str:
    """Each flag's short words; a flag with none yet says its code in words, not as a code."""
    return " ".join(FLAG_WORDS.get(flag.code, "⚠ " + flag.code.replace("_", " ")) for flag in flags)


#: Said when a draft names a correction target the form cannot show.
DROPPED_CORRECTION = (
    "This draft was a correction of an entry that is not here; the correction was left "
    "out and it opens as a new entry. Check it before saving."
)


def discarded_warning(count: int) -> str:
    """The warning after loading: drafts that did not verify are gone, and why that matters."""
    if count == 1:
        return (
            "1 draft could not be verified and was discarded (it was damaged or not "
            "written by you)."
        )
    return (
        f"{count} drafts could not be verified and were discarded (they were damaged or "
        "not written by you)."
    )


def correction_notice(event: Event) -> str:
    """What a restored correction says at the top of its form: which entry it replaces."""
    from ..service.describe import KIND_LABELS

    label = KIND_LABELS.get(event.kind, event.kind)
    return (
        f"This draft corrects the entry “{label}” of {format_local_short(event.at)}, "
        f"recorded by {event.by}. Saving records it as that entry's correction."
    )
