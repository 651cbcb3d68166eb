"""A report filed by a member of staff through the drop (issue 13).

STAND-IN: the drop branch owns this module (see its contract); this copy
holds only the contract's names so that triage can be written against them,
and is replaced by the drop branch's own when it is merged.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

__all__ = ["StaffReport"]


@dataclass(frozen=True)
class StaffReport:
    """One decrypted report: what the member of staff typed, and what the kernel says."""

    report_id: str
    reporter_name: str  # as typed: NOT proof of identity
    job_title: str
    words: str  # what was disclosed, in the young person's words
    disclosed_by: str  # who disclosed (a pupil, a parent, ...) as typed
    disclosed_at: datetime | None
    how: str  # how it came to light
    young_people: tuple[str, ...]
    already_done: str
    about_staff: bool  # an allegation against an adult: sealed to the HT only
    filed_at: datetime
    owner_uid: int
    owner_login: str  # pwd name of owner_uid, "" if unknown
    #: When the reporter's words for "when" were not a time, kept as typed.
    disclosed_when_text: str = ""
    #: A report about the Headteacher (sealed to the key the school names).
    about_headteacher: bool = False
