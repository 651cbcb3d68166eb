"""The parts of what is known about an incident: the immutable records a fold produces.

The whole, :class:`~ydsi_tui.model.incident.Incident`, lives beside its
identity (``IncidentMeta``) in ``incident.py``; the fold that makes it is in
``folding.py``.

Screens and rules read these, never the raw events, so that a payload's
oddities are dealt with once (in the fold) and everything downstream can
trust the types it is given.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ydsi_tui.model.events import Event


@dataclass(frozen=True)
class TimelineEntry:
    """An event as shown in the timeline, with how it relates to corrections."""

    event: Event
    superseded_by: tuple[str, ...]
    corrects: str | None
    problems: tuple[str, ...]

    @property
    def superseded(self) -> bool:
        return bool(self.superseded_by)


@dataclass(frozen=True)
class Problem:
    """Something odd about an entry: kept, shown, and not acted on blindly."""

    event_id: str
    text: str


@dataclass(frozen=True)
class Entry:
    """A recorded entry whose details are shown as they were typed."""

    event_id: str
    kind: str
    at: datetime
    by: str
    data: Mapping[str, Any]

    def text(self, key: str) -> str:
        value = self.data.get(key)
        return value if isinstance(value, str) else ""

    @property
    def pupil_id(self) -> str | None:
        value = self.data.get("pupil_id")
        return value if isinstance(value, str) else None


@dataclass(frozen=True)
class Disclosure:
    event_id: str
    discloser_type: str
    discloser_name: str
    to_whom: str
    how: str
    disclosed_at: datetime | None
    dsl_told_at: datetime | None


@dataclass(frozen=True)
class StaffReportTaken:
    """A report from the staff drop taken into this record (its entry holds the words).

    Only an entry the reader verified counts (saved by a triage role's own key,
    matching the drop's audit entries): its ``received_at`` moves the earliest
    time the DSL could have known, which a forger would like to choose.
    """

    event_id: str
    report_id: str
    digest: str
    received_at: datetime
    reporter_name: str
    job_title: str
    owner_login: str
    taken_in_by: str


@dataclass(frozen=True)
class ContentDescription:
    event_id: str
    description: str
    sexual_acts: str
    violent: str


#: The yes/no facts of children's social care's involvement with a young person,
#: in the order shown (the social worker, a name, comes first).
CSC_FACT_WORDS = {
    "cp_plan": "child protection plan",
    "child_in_need": "child in need",
    "looked_after": "looked-after child",
    "ehcp": "education, health and care plan (EHCP)",
    "previously_known": "previously known to children's social care",
}


@dataclass(frozen=True)
class Pupil:
    """A young person and their part in this incident (the part is theirs, not the incident's)."""

    pupil_id: str
    name: str
    dob: date | None
    year_group: int | None
    sex: str
    parts: tuple[str, ...]
    sen: bool
    vulnerabilities: str
    event_ids: tuple[str, ...]
    #: A concern about this young person's capacity to consent (trigger 2).
    capacity_concern: bool = False
    #: Known to children's social care: the allocated social worker (and who), ...
    social_worker: str = ""
    cp_plan: bool = False
    child_in_need: bool = False
    looked_after: bool = False
    ehcp: bool = False
    previously_known: bool = False
    #: When the record first showed CSC are, may be or have been involved (None: never).
    csc_since: datetime | None = None
    #: The pupil register's record of this child ("": not linked; see model/register.py).
    register_id: str = ""

    @property
    def pictured(self) -> bool:
        return "pictured" in self.parts

    @property
    def special_needs(self) -> bool:
        """SEN recorded, or implied: an EHCP is a plan for special educational needs."""
        return self.sen or self.ehcp

    @property
    def csc_facts(self) -> tuple[str, ...]:
        """What the record says of children's social care's involvement, in words."""
        words: list[str] = []
        if self.social_worker.strip():
            words.append(f"allocated social worker: {self.social_worker.strip()}")
        words.extend(text for name, text in CSC_FACT_WORDS.items() if getattr(self, name) is True)
        return tuple(words)

    @property
    def known_to_csc(self) -> bool:
        """The policy's "are, may be or have been involved": a CSC contact is due."""
        return bool(self.csc_facts)


@dataclass(frozen=True)
class Adult:
    adult_id: str
    name: str
    description: str
    event_id: str


@dataclass(frozen=True)
class StaffMember:
    name: str
    role: str
    involvement: str
    event_id: str


@dataclass(frozen=True)
class ReviewMeeting:
    event_id: str
    held_at: datetime | None
    attendees: tuple[str, ...]
    answers: Mapping[str, str]


@dataclass(frozen=True)
class TriggerAnswer:
    n: int
    answer: str  # yes | no | unknown
    basis: str
    event_id: str
    at: datetime
    by: str
    #: Why the answer goes against what the record suggests (see `suggestions`).
    reason_against_suggestion: str = ""


@dataclass(frozen=True)
class Decision:
    event: Event
    outcome: str  # refer | in_school
    refer_to: tuple[str, ...]
    reason: str
    input_from: tuple[str, ...]
    override_reason: str
    review_by: datetime | None

    @property
    def event_id(self) -> str:
        return self.event.id

    @property
    def at(self) -> datetime:
        return self.event.at


@dataclass(frozen=True)
class DecisionReview:
    event_id: str
    at: datetime
    decision_id: str
    outcome: str
    note: str


@dataclass(frozen=True)
class Signoff:
    event_id: str
    at: datetime
    by: str
    by_role: str
    decision_id: str
    statement: str
    key_id: str
    signature: str
    payload_sha256: str
    payload_matches: bool
    #: The vault verified it: added by a save signed with a Headteacher's own
    #: key, valid at that point of the log, and the signature over the
    #: decision checks out. Nothing the writer stores can set this.
    verified: bool = False

    @property
    def valid(self) -> bool:
        """Verified, by a Headteacher, and over exactly the decision it names."""
        return self.verified and self.by_role == "headteacher" and self.payload_matches


@dataclass(frozen=True)
class ParentsEntry:
    event_id: str
    at: datetime
    informed: bool
    who: str
    how: str
    informed_by: str
    reason: str
    agreed_with: str


@dataclass(frozen=True)
class PoliceContact:
    event_id: str
    at: datetime
    route: str
    spoken_to: str
    crime_refs: tuple[str, ...]
    note: str


@dataclass(frozen=True)
class PoliceOutcome:
    event_id: str
    at: datetime
    outcome: str
    crime_ref: str
    note: str


@dataclass(frozen=True)
class CscContact:
    event_id: str
    at: datetime
    type: str  # contact | referral
    spoken_to: str
    reference: str
    note: str


@dataclass(frozen=True)
class DeletionRequest:
    event_id: str
    at: datetime
    deadline: datetime | None
    told_illegal: bool


@dataclass(frozen=True)
class Deletion:
    """Deletion for one young person: every request and every confirmation."""

    pupil_id: str
    requests: tuple[DeletionRequest, ...]
    confirmations: tuple[Entry, ...]

    @property
    def confirmed(self) -> bool:
        return bool(self.confirmations)

    @property
    def deadline(self) -> datetime | None:
        """The latest deadline given: a later request extends an earlier one."""
        deadlines = [r.deadline for r in self.requests if r.deadline is not None]
        return max(deadlines, default=None)

    @property
    def told_illegal(self) -> bool:
        return any(r.told_illegal for r in self.requests)


@dataclass(frozen=True)
class StepStatus:
    step_id: str
    status: str  # done | not_applicable | later
    reason: str
    event_id: str
    at: datetime


@dataclass(frozen=True)
class Hold:
    """A legal hold (an inquiry's moratorium, say): no destruction while it is active."""

    event_id: str
    at: datetime
    by: str
    by_role: str
    reason: str
    authority: str
    lifted: Entry | None = None

    @property
    def active(self) -> bool:
        return self.lifted is None


@dataclass(frozen=True)
class DeviceCustody:
    """One device of an incident as its custody chain stands: its reference and status."""

    ref: str
    #: One of `custody.DEVICE_STATUSES`; None until its seizure is recorded.
    status: str | None


@dataclass(frozen=True)
class Transfer:
    """One pupil's records sent to another school, and the receipt, once recorded."""

    transfer_id: str
    event_id: str
    at: datetime
    by: str
    pupil_id: str
    to_school: str
    to_dsl: str
    file_sha256: str
    receipt: Entry | None = None

    @property
    def received(self) -> bool:
        return self.receipt is not None


@dataclass(frozen=True)
class Closure:
    status: str  # open | closed
    closed: Entry | None  # the closing entry in force, if closed
    history: tuple[Entry, ...]  # every close and reopen, in order
