"""The DSL's inbox of reports from staff: what arrived, and what became of each (issue 13).

A report filed through the drop (service/staff_reports.py) is triaged once,
by a DSL, a team member or (for a report sealed to them) the Headteacher:

* **taken in**: a new incident is opened from it, the disclosure filled in
  from what the reporter typed, and the report kept verbatim as the
  first-hand account (a ``staff_report.taken_in`` entry);
* **added** to an existing incident, as the same entry;
* **dismissed**: not for this procedure, with the DSL's reason (for example
  "recorded in the school's main safeguarding system, reference ...").

The entry is signed into the record by whoever takes it in, and the audit log
links back (``drop.triaged`` names the incident; ``drop.dismissed`` seals the
reason). A report triaged once is refused a second time with the one line
saying where it went. The list itself never shows content: the time received,
the login that filed it, and whether it was opened.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from pathlib import Path
from typing import Any

from ..model.errors import ValidationError
from ..model.events import Event
from ..model.staff_reports import StaffReport
from ..model.text import NAME_MAX_CHARS, check_text
from ..model.timeparse import format_local, from_iso, parse_when, to_iso_utc
from ..vault.drop import list_spool
from ..vault.drop_inbox import ReceivedReport
from ..vault.drop_triage import Triage
from ..vault.errors import AccessDenied, Conflict, NotSaved, VaultError
from .casebook import CaseBook, When
from .records import SIGNED
from .staff_reports import open_staff_report, receive_staff_reports

__all__ = [
    "Inbox",
    "InboxRow",
    "SpoolComparison",
    "disclosure_from",
    "disclosure_from_words",
    "reported_time",
    "taken_in_payload",
]

#: How the disclosure says it reached the DSL when the reporter did not say how.
_BY_THE_DROP = "reported by a member of staff through the staff report drop"


@dataclass(frozen=True)
class InboxRow:
    """One report as the inbox lists it: never a word of its content."""

    received: ReceivedReport
    triage: Triage | None

    @property
    def report_id(self) -> str:
        return self.received.report_id

    @property
    def received_at(self) -> datetime:
        return from_iso(self.received.received_at, "received_at")

    @property
    def new(self) -> bool:
        """Not yet taken in, added or dismissed."""
        return self.triage is None

    @property
    def status(self) -> str:
        """What became of it, in words (no content: a reference at most)."""
        if self.triage is not None:
            if self.triage.taken_in:
                return f"taken into {self.triage.ref}" if self.triage.ref else "taken in"
            return "dismissed: not for this procedure"
        if self.received.sealed_to_headteacher_only:
            return "about staff: for the Headteacher only"
        return "opened, not yet taken in" if self.received.opened else "new, not opened"


@dataclass
class SpoolComparison:
    """Reports from staff in the records, against the spool's ciphertexts."""

    #: An entry whose words are not the report's as filed (a problem).
    differs: list[str] = field(default_factory=list)
    #: A report that could not be compared: gone from the spool, or not yours to open.
    uncompared: list[str] = field(default_factory=list)
    #: Reports compared (as filed, or differing).
    compared: int = 0


class Inbox:
    """Reports from staff for one unlocked triage user, and the three things done with one."""

    def __init__(self, cases: CaseBook, spool: Path) -> None:
        self.cases = cases
        self.session = cases.session
        self.spool = spool

    # ------------------------------------------------------------------ reading
    def rows(self) -> list[InboxRow]:
        """Every report received (new ones are logged as received now), oldest first."""
        received = receive_staff_reports(self.session, self.spool)
        marks = self.session.triaged_reports()
        return [InboxRow(r, marks.get(r.report_id)) for r in received]

    def waiting(self) -> list[InboxRow]:
        """The reports nobody has triaged yet, oldest first: what heads the home screen."""
        return [row for row in self.rows() if row.new]

    def open(self, report_id: str) -> StaffReport:
        """Decrypt one report; the opening is audited (``drop.opened``)."""
        return open_staff_report(self.session, self.spool, report_id)

    def triage_of(self, report_id: str) -> Triage | None:
        return self.session.triaged_reports().get(report_id)

    # ------------------------------------------------------------------ triage
    def take_in(
        self,
        report: StaffReport,
        *,
        summary: str,
        kind: str = "peer_sharing",
        disclosure: Mapping[str, Any] | None = None,
        disclosed_at: When = None,
        pupils: Sequence[Mapping[str, Any]] = (),
        discloser_type: str = "young_person",
    ) -> str:
        """Open a new incident from ``report``; returns its reference.

        ``disclosure`` is the disclosure form as the DSL completed it (see
        :func:`disclosure_from` for what the report fills in); ``disclosed_at``
        defaults to the time the reporter gave, if they gave one. Without
        ``disclosure`` the report fills it in, with ``discloser_type`` (the
        report says who in words; the record's choice is the DSL's).
        """
        self._refuse_if_triaged(report.report_id)  # first: the one line that matters then
        self._require_own_keys()
        received = self._received(report)
        when = disclosed_at if disclosed_at is not None else reported_time(report)
        if when is None:
            said = (
                f" (the report says {report.disclosed_when_text!r})"
                if report.disclosed_when_text
                else ""
            )
            raise ValidationError(
                "disclosed_at", f"Say when it was disclosed{said}: the report gives no time."
            )
        data = taken_in_payload(report, received)
        with self.session.vault.lock():
            self._refuse_if_triaged(report.report_id)
            ref = self.cases.create(
                summary,
                kind,
                disclosed_at=when,
                disclosure=disclosure
                if disclosure is not None
                else disclosure_from(report, received, discloser_type=discloser_type),
                pupils=pupils,
                taken_in=(data, from_iso(received.received_at)),
            )
            self._mark(report, received, ref)
        return ref

    def add(self, report: StaffReport, ref: str) -> Event | None:
        """Add ``report`` to incident ``ref`` as its first-hand account.

        Returns the entry, or None when the incident already held this report
        (an earlier attempt saved it, then could not log its triage: this
        finishes that, and adds nothing twice).
        """
        self._require_own_keys()
        received = self._received(report)
        data = taken_in_payload(report, received)
        with self.session.vault.lock():
            self._refuse_if_triaged(report.report_id)
            view = self.cases.open(ref, log=False)
            # Held already only if this user saved it (an interrupted take-in); an
            # entry anyone else saved for this report must not stop the real one.
            held = any(
                e.kind == "staff_report.taken_in"
                and e.data.get("report_id") == report.report_id
                and e.authorship == SIGNED
                and e.by == self.cases.author
                and e.by_role == self.session.role
                for e in view.incident.events_by_id.values()
            )
            event = None
            if not held:
                event = self.cases.record(
                    ref,
                    "staff_report.taken_in",
                    data,
                    at=from_iso(received.received_at),
                    via_inbox=True,
                )
            self._mark(report, received, view.ref)
        return event

    def dismiss(self, report: StaffReport, reason: str) -> Triage:
        """Record that ``report`` is not for this procedure, and why (audited; reason sealed)."""
        check_text(reason, "reason")
        received = self._received(report)
        with self.session.vault.lock():
            self._refuse_if_triaged(report.report_id)
            return self.session.mark_dismissed(report.report_id, reason, received.digest)

    def compare_with_spool(self, ref: str) -> list[str]:
        """Each report from staff in ``ref`` against the report as filed: what differs.

        The entry holds the digest of the spooled ciphertext, so while the spool
        still holds that file the words can be checked: anyone who took a report
        in could have typed other words into the entry. Opening is logged, as
        every opening is. A report no longer in the spool (or changed there,
        which ``ydsi verify`` names) cannot be compared, and says so.
        """
        found = self._compare(ref, self._spooled())
        return found.differs + found.uncompared

    def compare_all_with_spool(self) -> SpoolComparison:
        """Every incident's reports from staff against the spool (each line names its incident).

        Every incident is read, not only those the triage marks name: an entry
        typed into an incident no mark names is the one most worth seeing.
        ``ydsi verify --entries`` runs this for a triage role.
        """
        spooled = self._spooled()
        total = SpoolComparison()
        for row in self.cases.rows():
            if row.error is not None:
                continue  # damaged: verify names it already
            found = self._compare(row.ref, spooled)
            total.differs.extend(f"{row.ref}: {line}" for line in found.differs)
            total.uncompared.extend(f"{row.ref}: {line}" for line in found.uncompared)
            total.compared += found.compared
        return total

    def _spooled(self) -> dict[str, ReceivedReport]:
        """What the log says was received, marked where the spool no longer lists it.

        Read only: a comparison (run by ``verify``) logs no report as received;
        one taken in was received before.
        """
        known = self.session.received_reports()
        present = {item.report_id for item in list_spool(self.spool, self.session.vault.fs)}
        return {
            report_id: report if report_id in present else replace(report, in_spool=False)
            for report_id, report in known.items()
        }

    def _compare(self, ref: str, spooled: Mapping[str, ReceivedReport]) -> SpoolComparison:
        view = self.cases.open(ref, log=False)
        found = SpoolComparison()
        for event in view.incident.events_by_id.values():
            if event.kind != "staff_report.taken_in":
                continue
            report_id = str(event.data.get("report_id", ""))
            here = spooled.get(report_id)
            if here is None or not here.in_spool or here.digest != event.data.get("digest"):
                found.uncompared.append(
                    f"report {report_id}: not in the spool as filed; not compared"
                )
                continue
            try:
                opened = self.open(report_id)
            except (VaultError, ValidationError) as exc:
                found.uncompared.append(f"report {report_id}: not opened ({exc}); not compared")
                continue
            filed = taken_in_payload(opened, here)
            differs = [
                name
                for name, value in filed.items()
                if name not in ("received_at", "owner_login")
                and _stored(event.data.get(name)) != _stored(value)
            ]
            found.compared += 1
            if differs:
                found.differs.append(
                    f"report {report_id}: the entry by {event.by} differs from the report "
                    f"as filed ({', '.join(differs)})"
                )
        return found

    # ------------------------------------------------------------------ helpers
    def _require_own_keys(self) -> None:
        """Refuse before anything is written: a DSL-issued key's entry would never count."""
        own = self.session.own_signer()
        if own is None or not own.owner_made:
            raise AccessDenied(
                "your signing key was issued by a DSL, so a report you take in would not count "
                "as yours: make your own keys first ('ydsi user passwd --new-keys')"
            )

    def _received(self, report: StaffReport) -> ReceivedReport:
        received = self.session.received_reports().get(report.report_id)
        if received is None:
            raise ValidationError(
                "report_id", f"report {report.report_id} is not in the log as received"
            )
        return received

    def _refuse_if_triaged(self, report_id: str) -> None:
        done = self.triage_of(report_id)
        if done is not None:
            raise Conflict(already_done(done))

    def _mark(self, report: StaffReport, received: ReceivedReport, ref: str) -> None:
        try:
            self.session.mark_taken_in(report.report_id, ref, received.digest)
        except NotSaved as exc:
            raise NotSaved(
                f"{exc}: the report is in {ref}, but its triage was not logged; "
                f"run 'ydsi inbox add {report.report_id} {ref}' to finish"
            ) from exc


def _stored(value: object) -> object:
    """A payload value as the record stores it (lists as tuples, times as UTC ISO)."""
    if isinstance(value, list | tuple):
        return tuple(value)
    if isinstance(value, str) and value.endswith("Z") and "T" in value:
        try:
            return to_iso_utc(from_iso(value))
        except ValidationError:
            return value
    return value


def already_done(done: Triage) -> str:
    """The one line for a report that was triaged already (in local time)."""
    when = format_local(from_iso(done.at, "at"))
    if done.taken_in:
        where = f"incident {done.ref}" if done.ref else "an incident"
        return f"This report was already taken into {where} ({when}); nothing was changed."
    return (
        f"This report was already dismissed as not for this procedure ({when}); "
        "nothing was changed."
    )


def reported_time(report: StaffReport) -> datetime | None:
    """When the reporter said it was disclosed: their time, or their words read as one.

    Words such as "today 3:20pm" are read against the time the report was
    filed (not now: "today" was the day they typed it). None if neither.
    """
    if report.disclosed_at is not None:
        return report.disclosed_at
    words = report.disclosed_when_text.strip()
    if not words:
        return None
    try:
        return parse_when(words, now=report.filed_at)
    except ValidationError:
        return None


def taken_in_payload(report: StaffReport, received: ReceivedReport) -> dict[str, Any]:
    """The report verbatim, with what the drop's log says of it: the first-hand account."""
    data: dict[str, Any] = {
        "report_id": report.report_id,
        "digest": received.digest,
        "received_at": received.received_at,
        "filed_at": to_iso_utc(report.filed_at),
        "reporter_name": report.reporter_name,
        "job_title": report.job_title,
        "owner_login": report.owner_login,
        "owner_uid": report.owner_uid,
        "about_staff": report.about_staff,
        "about_headteacher": report.about_headteacher,
        "words": report.words,
        "disclosed_by": report.disclosed_by,
        "disclosed_when_text": report.disclosed_when_text,
        "how": report.how,
        "young_people": list(report.young_people),
        "already_done": report.already_done,
    }
    if report.disclosed_at is not None:
        data["disclosed_at"] = to_iso_utc(report.disclosed_at)
    return data


def disclosure_from(
    report: StaffReport, received: ReceivedReport, *, discloser_type: str = "young_person"
) -> dict[str, Any]:
    """The disclosure's fields as the report fills them (see :func:`disclosure_from_words`)."""
    return disclosure_from_words(
        report,
        received_at=from_iso(received.received_at, "received_at"),
        discloser_type=discloser_type,
    )


def disclosure_from_words(
    report: StaffReport, *, received_at: datetime, discloser_type: str = "young_person"
) -> dict[str, Any]:
    """The disclosure form's fields as the report fills them (the DSL may change any).

    Disclosed to the reporter, by name and job title as they typed them; the
    DSL told when the report was received (the earliest they could have known).
    """
    to_whom = f"{report.reporter_name} ({report.job_title})" if report.job_title else ""
    if not to_whom or len(to_whom) > NAME_MAX_CHARS:
        to_whom = report.reporter_name
    data: dict[str, Any] = {
        "discloser_type": discloser_type,
        "to_whom": to_whom,
        "how": report.how.strip() or _BY_THE_DROP,
        "dsl_told_at": to_iso_utc(received_at),
    }
    if report.disclosed_by.strip() and len(report.disclosed_by) <= NAME_MAX_CHARS:
        data["discloser_name"] = report.disclosed_by
    return data
