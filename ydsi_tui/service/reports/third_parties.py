"""Other people in a record about one pupil: what a transfer or a subject access carries.

A record about an incident is about several young people at once. When it
leaves the school about *one* of them (a transfer to their next school, or a
subject access request made for them or by their parents), the others and
their families must not go with it: the audit found a transfer about Ava
carrying Ben's date of birth and "parents not informed: father violent".

So, for each kind of entry (every kind the schema knows has a decision in
:data:`ENTRY_RULES`, and a test fails for a kind without one):

* ``about``: the payload field naming the pupil an entry is about. An entry
  about another pupil is left out (a transfer) or withheld (a subject
  access); another pupil's own details keep only their part in the incident,
  and their name becomes "another pupil".
* ``harm``: why releasing the entry could harm someone (a decision not to
  tell parents and why, a risk of harm, police and social care contacts,
  staff's notes about people). A subject access marks such entries for the
  DSL to review against the serious-harm exemption, even when the entry is
  about the requester's own child.

Other pupils' names (whole, and each part not also part of the subject's
name, so a shared surname stays) are replaced by "another pupil" in every
free-text field, matched case-insensitively; so is the name of a discloser
who is a young person other than the subject. Names nobody recorded as a
pupil cannot be recognised: the subject access says so, and the DSL reads it.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from ...model import rules
from ...model.events import Event
from ...model.folding import fold
from ...model.incident import Incident
from ...model.records import Pupil
from ...model.schema import SCHEMAS
from ...model.suggestions import suggest_triggers
from ..casebook import IncidentView
from ..pupils import name_key

__all__ = [
    "ENTRY_RULES",
    "OTHER_PUPIL",
    "EntryRule",
    "People",
    "about_other_pupil",
    "harm_review",
    "transfer_events",
    "transfer_view",
    "young_disclosers",
]

#: How another young person appears in anything that leaves the school about one pupil.
OTHER_PUPIL = "another pupil"
#: A discloser of these kinds is a young person (their name is another pupil's).
_YOUNG_DISCLOSERS = frozenset({"young_person", "friend"})
#: Fields whose type is free text a person typed (names may be in any of them).
_TEXT_TYPES = frozenset({"text", "name", "names", "ref", "refs", "answers"})


@dataclass(frozen=True)
class EntryRule:
    """What a kind of entry means for other people when a record about one pupil leaves.

    ``about``: the payload field naming the pupil the entry is about (None: the
    incident as a whole). ``harm``: why its release could harm someone, or "".
    """

    about: str | None = None
    harm: str = ""


_PARENTS_NOT_TOLD = "a decision not to tell parents, and why"
_RISK = "an assessment of risk of harm"
_POLICE = "police contact details"
_CSC = "a social care contact"

#: A decision for every kind of entry the schema knows (incident and device custody).
ENTRY_RULES: dict[str, EntryRule] = {
    "incident.opened": EntryRule(),
    "incident.kind": EntryRule(),
    "note": EntryRule(harm="staff's note: it may be about another person"),
    "disclosure": EntryRule(),
    "content.described": EntryRule(),
    "pupil.added": EntryRule(about="pupil_id"),
    "pupil.updated": EntryRule(about="pupil_id"),
    "pupil.linked": EntryRule(about="pupil_id"),
    "pupil.unlinked": EntryRule(about="pupil_id"),
    # The register's own record of one child (never inside an incident): it is
    # about that child only, and a chronology of another child never reads it.
    "pupil.registered": EntryRule(about="register_id"),
    "pupil.details": EntryRule(about="register_id"),
    "pupil.merged": EntryRule(about="register_id"),
    "adult.added": EntryRule(harm="a third party's details"),
    "staff.added": EntryRule(),
    "review.meeting": EntryRule(),
    "trigger.answered": EntryRule(),
    "concern.harm": EntryRule(harm="a concern that a young person is at risk of harm"),
    "decision": EntryRule(),
    "decision.reviewed": EntryRule(),
    "signoff": EntryRule(),
    "signoff.declined": EntryRule(),
    "risk.answered": EntryRule(about="pupil_id", harm=_RISK),
    "parents.informed": EntryRule(about="pupil_id"),
    "parents.not_informed": EntryRule(about="pupil_id", harm=_PARENTS_NOT_TOLD),
    "police.contact": EntryRule(harm=_POLICE),
    "police.outcome": EntryRule(harm="a police outcome"),
    "csc.contact": EntryRule(harm=_CSC),
    "agency.meeting": EntryRule(harm="a meeting with other agencies"),
    "other_setting.contact": EntryRule(),
    "viewing": EntryRule(about="pupil_id"),
    "sighting": EntryRule(about="pupil_id"),
    "viewing.acknowledged": EntryRule(harm="the Headteacher's note on a viewing"),
    "staff.support_offered": EntryRule(),
    "support.route": EntryRule(about="pupil_id"),
    "deletion.requested": EntryRule(about="pupil_id"),
    "deletion.confirmed": EntryRule(about="pupil_id"),
    "deletion.search": EntryRule(about="pupil_id"),
    "discipline": EntryRule(about="pupil_id"),
    "conversation": EntryRule(about="pupil_id", harm="what a young person said in confidence"),
    "conversation.not_held": EntryRule(
        about="pupil_id", harm="why a young person was not spoken to"
    ),
    "support.not_offered": EntryRule(about="pupil_id"),
    # The police's agreement before any deletion in a sextortion case: their officer.
    "deletion.police_agreed": EntryRule(harm="a police officer's details"),
    "step.status": EntryRule(),
    "incident.closed": EntryRule(),
    "incident.reopened": EntryRule(),
    "hold.set": EntryRule(harm="an inquiry or legal matter"),
    "hold.lifted": EntryRule(),
    "transfer.sent": EntryRule(about="pupil_id"),
    "transfer.receipt": EntryRule(),
    "retention.reviewed": EntryRule(),
    # A member of staff's own words about what a young person told them: it may
    # name others, and the reporter did not write it for the family to read.
    "staff_report.taken_in": EntryRule(harm="a member of staff's first-hand report"),
    "device.seized": EntryRule(about="owner_pupil_id"),
    "device.powered_off": EntryRule(),
    "device.locked": EntryRule(),
    "device.accessed": EntryRule(),
    "device.moved": EntryRule(),
    "device.handover": EntryRule(harm=_POLICE),
    "device.returned": EntryRule(),
    "device.note": EntryRule(),
    "device.relinked": EntryRule(),
}


def young_disclosers(incident: Incident) -> list[str]:
    """The name of a discloser who is a young person (a friend, the young person), if any."""
    disclosure = incident.disclosure
    if (
        disclosure is not None
        and disclosure.discloser_type in _YOUNG_DISCLOSERS
        and disclosure.discloser_name
    ):
        return [disclosure.discloser_name]
    return []


def about_other_pupil(event: Event, subject_id: str) -> bool:
    """The entry is about a named pupil who is not the subject."""
    rule = ENTRY_RULES.get(event.kind)
    if rule is None or rule.about is None:
        return False
    pupil = event.data.get(rule.about)
    return isinstance(pupil, str) and bool(pupil) and pupil != subject_id


def harm_review(kind: str) -> str:
    """Why an entry of ``kind`` is reviewed against the serious-harm exemption, or ""."""
    rule = ENTRY_RULES.get(kind)
    if rule is None:
        return "an entry this program does not know: review before release"
    return rule.harm


class People:
    """The other young people of an incident, found in text and replaced."""

    def __init__(self, incident: Incident, subject: Pupil) -> None:
        names = [p.name for p in incident.pupils.values() if p.pupil_id != subject.pupil_id]
        names.extend(young_disclosers(incident))
        self._compile(names, (subject.name,))

    @classmethod
    def of_names(cls, names: Iterable[str], own: Iterable[str]) -> People:
        """Other pupils' ``names`` (from any incidents), keeping the subject's ``own`` names.

        For a record about one pupil across incidents, where another pupil
        recorded in one incident may be named in the free text of another.
        """
        people = cls.__new__(cls)
        people._compile(names, own)
        return people

    def _compile(self, names: Iterable[str], own_names: Iterable[str]) -> None:
        own_keys = {name_key(name) for name in own_names}
        own = {part for key in own_keys for part in key.split()}
        terms: set[str] = set()
        for person in names:
            key = name_key(person)
            if not key or key in own_keys:
                continue
            terms.add(key)
            terms.update(part for part in key.split() if len(part) >= 2 and part not in own)
        ordered = sorted(terms, key=len, reverse=True)
        self.pattern = (
            re.compile(
                r"(?<!\w)(" + "|".join(re.escape(t) for t in ordered) + r")(?!\w)", re.IGNORECASE
            )
            if ordered
            else None
        )

    def finditer(self, text: str) -> Iterable[re.Match[str]]:
        return self.pattern.finditer(text) if self.pattern is not None and text else ()

    def replace(self, text: str) -> str:
        if self.pattern is None or not text:
            return text
        return self.pattern.sub(OTHER_PUPIL, text)

    def replace_value(self, value: Any) -> Any:
        if isinstance(value, str):
            return self.replace(value)
        if isinstance(value, Mapping):
            return {k: self.replace_value(v) for k, v in value.items()}
        if isinstance(value, list | tuple):
            return [self.replace_value(v) for v in value]
        return value


def _thaw(value: Any) -> Any:
    if isinstance(value, Mapping):
        return {k: _thaw(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_thaw(v) for v in value]
    return value


def redact_payload(kind: str, data: Mapping[str, Any], people: People) -> dict[str, Any]:
    """The payload with other pupils' names replaced in every free-text field."""
    schema = SCHEMAS.get(kind, {})
    out: dict[str, Any] = {}
    for key, value in data.items():
        spec = schema.get(key)
        if spec is None or spec.type in _TEXT_TYPES:
            out[key] = people.replace_value(_thaw(value))
        else:
            out[key] = _thaw(value)
    return out


def transfer_events(
    incident: Incident, subject: Pupil, people: People | None = None
) -> tuple[list[Event], int]:
    """The incident's entries as they may go to another school about ``subject``.

    Returns the entries and how many were left out. Another pupil keeps only
    their part in the incident, under the name "another pupil"; entries
    about them (their parents, conversations, deletion, discipline…) are
    left out; their names are replaced in all free text.
    """
    people = people or People(incident, subject)
    out: list[Event] = []
    left_out = 0
    for item in incident.timeline:
        event = item.event
        if event.kind not in ENTRY_RULES:
            left_out += 1
            continue
        if about_other_pupil(event, subject.pupil_id):
            if event.kind in ("pupil.added", "pupil.updated"):
                kept: dict[str, Any] = {"pupil_id": event.data["pupil_id"]}
                if event.kind == "pupil.added":
                    kept["name"] = OTHER_PUPIL
                if "parts" in event.data:
                    kept["parts"] = _thaw(event.data["parts"])
                if event.kind == "pupil.updated" and len(kept) < 2:
                    left_out += 1
                    continue
                out.append(dataclasses.replace(event, data=kept))
            else:
                left_out += 1
            continue
        out.append(dataclasses.replace(event, data=redact_payload(event.kind, event.data, people)))
    return out, left_out


def transfer_view(
    view: IncidentView, subject: Pupil, now: datetime, people: People | None = None
) -> tuple[IncidentView, int]:
    """``view`` refolded from :func:`transfer_events`, so every rendering of it agrees."""
    people = people or People(view.incident, subject)
    events, left_out = transfer_events(view.incident, subject, people)
    incident = fold(view.incident.meta, events)
    policy = view.policy
    redone = dataclasses.replace(
        view,
        incident=incident,
        referral=rules.referral(incident, policy),
        next_step=rules.next_step(incident, policy),
        steps=rules.step_states(incident, policy),
        gaps=rules.gaps(incident, policy),
        overdue=rules.overdue(incident, policy, now),
        obligations=rules.obligations(incident, policy),
        trigger4=rules.suggest_trigger4(incident, policy),
        problems=[people.replace(p) for p in view.problems],
        suggestions=suggest_triggers(incident, policy),
    )
    return redone, left_out
