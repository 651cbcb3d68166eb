"""The app's short words for statuses and flags, shared by every screen that lists them.

They live here, not in the home screen, so that a screen showing a status does not
import another screen to say it (the review found a six-screen import cycle that
began with these words).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

from ..model.summary import STATUS_WORDS as MODEL_STATUS_WORDS

if TYPE_CHECKING:
    from ..model.obligations import Flag

__all__ = ["FLAG_WORDS", "STATUS_WORDS", "flag_words"]

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
