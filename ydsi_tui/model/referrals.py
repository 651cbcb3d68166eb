"""A referral is an act with a time: a recorded contact, not a decision.

The policy says that any trigger, or a concern at any point that a young
person has been harmed or is at risk, means a referral to the police and/or
children's social care *immediately*. A decision to refer records intent;
the referral is made when the contact is recorded: the police by a route,
with the person spoken to (and any crime reference), children's social care
by a referral to a named person (and any reference). Until each required
referral is recorded the incident says REFER NOW, and it is overdue after the
policy's `referral_max_hours` (by the clock: "immediately" does not wait for
Monday).

Whom each trigger requires is policy data (`Trigger.refer_to`): "police",
"csc", "police_or_csc" (either one) or "police_and_csc" (both). Agencies the
decision names are required too, from the decision's time.

A trigger can be met by a referral recorded before it was answered (the call
is often made first and written up after); a harm concern is new
information, so only a referral at or after the concern meets it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from ydsi_tui.model.incident import Incident
    from ydsi_tui.model.policy import Policy

#: The agencies a referral goes to, in the words people read. Defined once.
AGENCY_WORDS = {"police": "the police", "csc": "children's social care"}


@dataclass(frozen=True)
class Requirement:
    """A referral the record requires: to any one of `agencies`, from `since`."""

    agencies: tuple[str, ...]
    since: datetime
    source: str  # "trigger 1", "harm concern", "decision"
    #: Only referrals at or after `since` meet it (harm concerns).
    after_only: bool = False

    @property
    def words(self) -> str:
        return " or ".join(AGENCY_WORDS.get(a, a) for a in self.agencies)


@dataclass(frozen=True)
class ReferralMade:
    """A recorded contact that makes a referral: who, how, when and any reference."""

    agency: str
    at: datetime
    event_id: str
    route: str
    person: str
    reference: str


@dataclass(frozen=True)
class ReferralState:
    """What the record requires, what it shows was made, and what is still owed."""

    requirements: tuple[Requirement, ...] = ()
    made: tuple[ReferralMade, ...] = ()
    outstanding: tuple[Requirement, ...] = ()
    #: Requirements an allowed, signed-off override of the triggers set aside.
    waived: tuple[Requirement, ...] = ()
    #: For each met requirement, the referral that met it.
    met_by: tuple[tuple[Requirement, ReferralMade], ...] = field(default=())

    @property
    def pending(self) -> bool:
        return bool(self.outstanding)

    @property
    def since(self) -> datetime | None:
        """When the earliest outstanding referral became due (REFER NOW from then)."""
        return min((r.since for r in self.outstanding), default=None)

    def due_at(self, policy: Policy) -> datetime | None:
        """When the earliest outstanding referral becomes overdue."""
        since = self.since
        return (
            None if since is None else since + timedelta(hours=policy.settings.referral_max_hours)
        )

    def first_made(self) -> datetime | None:
        return min((m.at for _, m in self.met_by), default=None)

    def late(self, policy: Policy) -> list[tuple[Requirement, ReferralMade | None]]:
        """Requirements met later than the policy's limit, or not met at all."""
        limit = timedelta(hours=policy.settings.referral_max_hours)
        found: list[tuple[Requirement, ReferralMade | None]] = [
            (req, made) for req, made in self.met_by if made.at - req.since > limit
        ]
        found.extend((req, None) for req in self.outstanding)
        return found


def referrals_made(incident: Incident) -> tuple[ReferralMade, ...]:
    """Every recorded contact that counts as a referral, in time order.

    Police: a contact by a route with the person spoken to. Children's social
    care: a contact recorded as a referral, with the person spoken to (a
    contact about a child they already know is not a referral).
    """
    made: list[ReferralMade] = [
        ReferralMade("police", c.at, c.event_id, c.route, c.spoken_to, "; ".join(c.crime_refs))
        for c in incident.police_contacts
        if c.route.strip() and c.spoken_to.strip()
    ]
    made.extend(
        ReferralMade("csc", c.at, c.event_id, "referral", c.spoken_to, c.reference)
        for c in incident.csc_contacts
        if c.type == "referral" and c.spoken_to.strip()
    )
    return tuple(sorted(made, key=lambda m: m.at))


def _split(rule: str) -> list[tuple[str, ...]]:
    """A `refer_to` rule as the requirements it makes (each met by any one agency)."""
    if rule == "police_or_csc":
        return [("police", "csc")]
    if rule == "police_and_csc":
        return [("police",), ("csc",)]
    return [(rule,)]


def base_requirements(incident: Incident, policy: Policy) -> list[Requirement]:
    """What the triggers answered YES and the harm concerns require, whatever was decided."""
    found: list[Requirement] = []
    for n, answer in sorted(incident.triggers.items()):
        if answer.answer != "yes":
            continue
        try:
            rule = policy.trigger(n).refer_to
        except KeyError:
            rule = "police_or_csc"
        found.extend(Requirement(agencies, answer.at, f"trigger {n}") for agencies in _split(rule))
    for concern in incident.harm_concerns:
        found.extend(
            Requirement(agencies, concern.at, "harm concern", after_only=True)
            for agencies in _split(policy.harm_concern_refer_to)
        )
    return found


def override_signed_off(incident: Incident, policy: Policy) -> bool:
    """The current decision overrides the triggers, as this policy allows, signed off.

    Signed off means the Headteacher's own verified sign-off of that very
    decision (its payload covers the override reason): nothing else counts.
    """
    current = incident.current_decision
    if current is None or current.outcome != "in_school" or not current.override_reason.strip():
        return False
    if not policy.settings.allow_trigger_override:
        return False
    return any(s.valid and s.decision_id == current.event_id for s in incident.signoffs)


def referral_state(incident: Incident, policy: Policy) -> ReferralState:
    """Every required referral, and which recorded contact (if any) makes it."""
    requirements = base_requirements(incident, policy)
    current = incident.current_decision
    waived: list[Requirement] = []
    if override_signed_off(incident, policy) and current is not None:
        waived = [r for r in requirements if r.since <= current.at]
        requirements = [r for r in requirements if r.since > current.at]
    if current is not None and current.outcome == "refer":
        requirements.extend(
            Requirement((agency,), current.at, "decision")
            for agency in current.refer_to
            if agency in AGENCY_WORDS
        )
    made = referrals_made(incident)
    outstanding, met_by = match_referrals(requirements, made)
    return ReferralState(
        requirements=tuple(requirements),
        made=made,
        outstanding=tuple(outstanding),
        waived=tuple(waived),
        met_by=tuple(met_by),
    )


def match_referrals(
    requirements: list[Requirement], made: tuple[ReferralMade, ...]
) -> tuple[list[Requirement], list[tuple[Requirement, ReferralMade]]]:
    """Split requirements into those no recorded referral meets and those met (by which)."""
    outstanding: list[Requirement] = []
    met_by: list[tuple[Requirement, ReferralMade]] = []
    for requirement in requirements:
        match = next(
            (
                m
                for m in made
                if m.agency in requirement.agencies
                and (not requirement.after_only or m.at >= requirement.since)
            ),
            None,
        )
        if match is None:
            outstanding.append(requirement)
        else:
            met_by.append((requirement, match))
    return outstanding, met_by


def unmet_base(incident: Incident, policy: Policy) -> list[Requirement]:
    """What the triggers and harm concerns require that no recorded referral meets.

    Ignores any override: this is what an in-school response would set aside.
    """
    outstanding, _ = match_referrals(base_requirements(incident, policy), referrals_made(incident))
    return outstanding


def trigger_overridden(incident: Incident, policy: Policy) -> bool:
    """The current decision is to respond in school although a referral it needs is not made.

    Flagged in every list and report whether or not the override was allowed
    and signed off: it is the one decision an inspector must see.
    """
    current = incident.current_decision
    if current is None or current.outcome != "in_school":
        return False
    return any(r.since <= current.at for r in unmet_base(incident, policy))


def outstanding_words(state: ReferralState) -> str:
    """Whom the outstanding referrals are still owed to, in words, each once."""
    words = list(dict.fromkeys(r.words for r in state.outstanding))
    return "; ".join(words)


def referral_times(incident: Incident, policy: Policy) -> dict[str, object]:
    """The times from disclosure to the DSL to the referral, for the summary and reports.

    Minutes are whole numbers (None when either end is not recorded): an
    inspector asks "how long did it take?", and a late DSL or a slow
    referral is part of the record, not a task.
    """
    from ydsi_tui.model.timeparse import to_iso_utc

    state = referral_state(incident, policy)
    d = incident.disclosure
    disclosed = d.disclosed_at if d is not None else None
    # The earliest the DSL could have known: a staff report's receipt counts.
    told = incident.dsl_knew_at if d is not None else None
    required = min((r.since for r in state.requirements), default=None)
    referred = state.first_made() if state.requirements else None

    def minutes(start: datetime | None, end: datetime | None) -> int | None:
        if start is None or end is None:
            return None
        return int((end - start).total_seconds() // 60)

    def iso(value: datetime | None) -> str | None:
        return to_iso_utc(value) if value is not None else None

    return {
        "disclosed_at": iso(disclosed),
        "dsl_told_at": iso(told),
        "referral_required_at": iso(required),
        "referred_at": iso(referred),
        "disclosure_to_dsl_minutes": minutes(disclosed, told),
        "dsl_to_referral_minutes": minutes(told, referred),
        "required_to_referral_minutes": minutes(required, referred),
        "limit_hours": policy.settings.referral_max_hours,
        "referrals": [
            {"agency": m.agency, "at": to_iso_utc(m.at), "event_id": m.event_id} for m in state.made
        ],
        "outstanding": [list(r.agencies) for r in state.outstanding],
    }
