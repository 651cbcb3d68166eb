"""The chronology of one incident: the hand-over to the police or children's social care.

Every entry in the order things happened (then the order they were
recorded), with who recorded it and when; the decisions with their reasons;
the Headteacher's sign-offs with their Ed25519 signatures checked against
the vault's keys and shown as verified or not; the device custody chains;
the policy (name, version, digest) the incident was handled under; what is
still not recorded. Corrections are shown beside what they correct, never
instead of it.

Opening the incident for an export is a read, and is audited like any other
(:meth:`CaseBook.open`); so is opening each device.

JSON shape (``ydsi export REF --format json``), ``shape`` 1::

    {"shape": 1, "kind": "chronology", "marking": "OFFICIAL-SENSITIVE",
     "generated_at": ISO, "generated_by": str,
     "incident": <the shape of ``ydsi incident show --json``>,
     "devices": [<the shape of ``ydsi device show --json``>, ...]}
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from ...model import rules
from ...model.roles import role_name
from ...model.timeparse import format_local, format_local_date, to_iso_utc
from ..casebook import CaseBook, IncidentView, SignoffCheck
from ..describe import KIND_LABELS, describe
from ..devices import DeviceLog, DeviceRow, DeviceView
from ..shapes import SHAPE_VERSION, device_json, incident_json
from .document import MARKING, Block, Document, Fields, Heading, Item, Paragraph, Table

if TYPE_CHECKING:
    from ...model.records import TimelineEntry

__all__ = [
    "Chronology",
    "chronology",
    "chronology_document",
    "chronology_json",
    "entry_marks",
    "signature_mark",
]


@dataclass(frozen=True)
class Chronology:
    """An opened incident, its devices, and who asked for the chronology, when."""

    view: IncidentView
    device_rows: tuple[DeviceRow, ...]
    devices: tuple[DeviceView, ...]
    generated_at: datetime
    generated_by: str

    @property
    def ref(self) -> str:
        return self.view.ref


def chronology(cases: CaseBook, devices: DeviceLog | None, ref: str) -> Chronology:
    """Open (and so audit) the incident and each of its devices."""
    view = cases.open(ref)
    rows = tuple(devices.rows(incident_ref=ref)) if devices is not None else ()
    opened = tuple(
        devices.open(row.ref) for row in rows if devices is not None and row.error is None
    )
    return Chronology(view, rows, opened, cases.clock.now(), cases.author)


def chronology_json(chrono: Chronology) -> dict[str, Any]:
    return {
        "shape": SHAPE_VERSION,
        "kind": "chronology",
        "marking": MARKING,
        "generated_at": to_iso_utc(chrono.generated_at),
        "generated_by": chrono.generated_by,
        "incident": incident_json(chrono.view, list(chrono.device_rows)),
        "devices": [device_json(device, chrono.view.policy) for device in chrono.devices],
    }


def signature_mark(check: SignoffCheck | None) -> str:
    """How a sign-off's signature is shown: verified, or not and why."""
    if check is None:
        return "SIGNATURE NOT CHECKED"
    if check.valid:
        return f"SIGNATURE VERIFIED: Ed25519 signature by {check.signer}'s key over this decision"
    reason = check.reason.removeprefix("NOT VERIFIED: ")
    return f"SIGNATURE NOT VERIFIED: {reason}"


def entry_marks(
    entry: TimelineEntry, view: IncidentView, shown: Callable[[str], str] = str
) -> tuple[str, ...]:
    """What an export marks beside a timeline entry: a correction either way, a sign-off's
    signature as checked, and each problem found in it. One wording for the incident's
    chronology and a child's (where ``shown`` masks the other young people in a problem)."""
    event = entry.event
    marks: list[str] = []
    if entry.superseded:
        marks.append("CORRECTED BY A LATER ENTRY (both are kept)")
    if entry.corrects:
        marks.append(f"CORRECTS THE ENTRY {entry.corrects[:8]}")
    if event.kind == "signoff":
        marks.append(signature_mark(view.signoffs.get(event.id)))
    marks.extend(f"PROBLEM: {shown(problem)}" for problem in entry.problems)
    return tuple(marks)


def _by(name: str, role: str) -> str:
    return f"{name} ({role_name(role, in_sentence=True)})"


def chronology_document(chrono: Chronology) -> Document:
    view = chrono.view
    incident = view.incident
    policy = view.policy
    meta = incident.meta
    names = {pid: p.name for pid, p in incident.pupils.items()}
    blocks: list[Block] = []

    if view.referral.pending:
        whom = "; ".join(view.referral.outstanding)
        blocks.append(
            Paragraph(f"The policy requires an immediate referral ({whom}); none is recorded.",
                      "warning")
        )  # fmt: skip
    policy_line = f"{meta.policy_name}, version {meta.policy_version} (digest {meta.policy_digest})"
    if not view.policy_in_force:
        policy_line += "; the school's policy has changed since, this incident follows this one"
    blocks.append(
        Fields(
            (
                ("Reference", incident.ref),
                ("Status", rules.status_words(rules.incident_status(incident, policy))),
                ("Kind", _kind(view)),
                ("Summary", incident.summary),
                ("Opened", format_local(incident.opened_at or meta.created_at)),
                ("Policy", policy_line),
                ("Trigger 4 age threshold", str(policy.settings.trigger4_age_threshold)),
                ("Crime references", ", ".join(incident.crime_refs) or "none recorded"),
            )
        )
    )

    blocks.append(Heading("Young people"))
    blocks.append(
        Table(
            ("Name", "Born / year", "Sex", "Part", "SEN"),
            tuple(
                (
                    p.name,
                    format_local_date(p.dob)
                    if p.dob
                    else (f"Year {p.year_group}" if p.year_group else ""),
                    p.sex,
                    ", ".join(p.parts),
                    "yes" if p.special_needs else "no",
                )
                for p in incident.pupils.values()
            ),
            (4, 2, 1, 2, 1),
        )
    )
    for p in incident.pupils.values():
        if p.known_to_csc:
            blocks.append(Paragraph(f"{p.name}: children's social care: {'; '.join(p.csc_facts)}."))

    blocks.append(Heading("Decisions and their reasons"))
    if not incident.decisions:
        blocks.append(Paragraph("No decision recorded yet.", "muted"))
    for decision in incident.decisions:
        event = decision.event
        agencies = " and ".join("the police" if r == "police" else "CSC" for r in decision.refer_to)
        title = f"Refer to {agencies}" if decision.outcome == "refer" else "Respond in school"
        parts = [f"Reason: {decision.reason}" if decision.reason else "No reason recorded."]
        if decision.override_reason:
            parts.append(f"Decided although a trigger applies, because: {decision.override_reason}")
        if decision.input_from:
            parts.append(f"Input from: {', '.join(decision.input_from)}")
        blocks.append(
            Item(
                format_local(event.at),
                title,
                "\n".join(parts),
                f"Recorded {format_local(event.recorded_at)} by {_by(event.by, event.by_role)}",
            )
        )

    blocks.append(Heading("Headteacher sign-offs"))
    if not incident.signoffs:
        blocks.append(Paragraph("No sign-off recorded.", "muted"))
    for signoff in incident.signoffs:
        blocks.append(
            Item(
                format_local(signoff.at),
                f"Signed off by {signoff.by}",
                signoff.statement,
                f"Key {signoff.key_id}; signs the decision entry {signoff.decision_id[:8]}",
                (signature_mark(view.signoffs.get(signoff.event_id)),),
            )
        )

    if incident.holds:
        blocks.append(Heading("Legal holds"))
        for hold in incident.holds:
            lifted = (
                f"Lifted {format_local(hold.lifted.at)} by {hold.lifted.by}: "
                f"{hold.lifted.text('reason')}"
                if hold.lifted
                else "IN FORCE: this record may not be destroyed"
            )
            blocks.append(
                Item(
                    format_local(hold.at),
                    f"Hold set by {_by(hold.by, hold.by_role)}",
                    f"Why: {hold.reason}" + (f" (for {hold.authority})" if hold.authority else ""),
                    lifted,
                )
            )

    blocks.append(Heading("Chronology: every entry, in the order things happened"))
    for entry in incident.timeline:
        event = entry.event
        blocks.append(
            Item(
                format_local(event.at),
                KIND_LABELS.get(event.kind, event.kind),
                describe(event, policy, names),
                f"Recorded {format_local(event.recorded_at)} by {_by(event.by, event.by_role)}; "
                f"entry {event.id[:8]}",
                entry_marks(entry, view),
            )
        )

    if chrono.devices:
        blocks.append(Heading("Devices: the custody chain"))
    for device_view in chrono.devices:
        device = device_view.device
        blocks.append(Heading(f"Device {device.meta.ref}", 2))
        blocks.append(
            Fields(
                (
                    ("Description", device.description),
                    ("Owner", device.owner),
                    ("Status", device.status or "not yet seized"),
                    ("Where", device.location),
                    ("Handed to", device.officer or "not handed over"),
                    ("Crime reference", device.crime_ref or "none"),
                )
            )
        )
        for link in device.chain:
            event = link.event
            blocks.append(
                Item(
                    format_local(event.at),
                    KIND_LABELS.get(event.kind, event.kind),
                    describe(event, policy, {}),
                    f"Recorded {format_local(event.recorded_at)} by {_by(event.by, event.by_role)}",
                    ("CORRECTED BY A LATER ENTRY (both are kept)",) if link.superseded else (),
                )
            )

    blocks.append(Heading("Not yet recorded"))
    if view.gaps:
        blocks.extend(Paragraph(f"- {gap.text}") for gap in view.gaps)
    else:
        blocks.append(Paragraph("Nothing: every step the policy asks for is recorded.", "muted"))
    if view.problems:
        blocks.append(Heading("Problems found in the stored record"))
        blocks.extend(Paragraph(f"- {problem}", "warning") for problem in view.problems)
    blocks.append(
        Paragraph(
            "Entries are never edited or deleted: a correction is a later entry, and both are "
            "shown. Times are UK times (GMT or BST, as written). Each entry shows when it was "
            "recorded and by whom; every save is signed by its author in the vault's audit log.",
            "muted",
        )
    )
    return Document(
        title=f"Chronology of incident {incident.ref}",
        subtitle=f"Exported {format_local(chrono.generated_at)} by {chrono.generated_by}. "
        f"Policy: {meta.policy_name}, version {meta.policy_version}.",
        blocks=tuple(blocks),
    )


def _kind(view: IncidentView) -> str:
    kind = view.incident.kind or ""
    try:
        return view.policy.label("incident_kinds", kind)
    except KeyError:
        return kind
