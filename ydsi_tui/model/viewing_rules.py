"""The policy's conditions for viewing imagery, checked against one viewing entry.

Viewing is the step most likely to go wrong in ways that matter (a second
adult not in the room, a copy made), so each condition is checked separately
and each unmet one is named. A DSL may still record a viewing that broke a
condition, because the record must tell the truth, but only by acknowledging
each unmet condition with a reason.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ydsi_tui.model.incident import Incident
    from ydsi_tui.model.policy import Policy
    from ydsi_tui.model.records import Entry

#: Who looked at the imagery. Only the first two are who the policy allows.
VIEWER_ROLES = ("dsl", "team", "headteacher", "slt", "other_staff")
AUTHORISED_VIEWER_ROLES = frozenset({"dsl", "team"})
SAME_SEX = ("yes", "no", "not_possible")

ViewingPredicate = Callable[[Mapping[str, Any], "Policy"], bool]

VIEWING_PREDICATES: dict[str, ViewingPredicate] = {}
_UNMET: dict[str, Callable[[Mapping[str, Any]], str]] = {}


@dataclass(frozen=True)
class Finding:
    """A viewing rule the entry does not meet, for the DSL to acknowledge with a reason."""

    rule_id: str
    text: str
    rule_text: str


def _rule(
    name: str, unmet: str | Callable[[Mapping[str, Any]], str]
) -> Callable[[ViewingPredicate], ViewingPredicate]:
    def register(function: ViewingPredicate) -> ViewingPredicate:
        VIEWING_PREDICATES[name] = function
        _UNMET[name] = unmet if callable(unmet) else (lambda _data: unmet)
        return function

    return register


def _text(data: Mapping[str, Any], key: str) -> str:
    value = data.get(key)
    return value if isinstance(value, str) else ""


@_rule("reason_permitted", "The reason given is not one of the three the policy permits.")
def _reason_permitted(data: Mapping[str, Any], policy: Policy) -> bool:
    return _text(data, "reason_id") in {reason.id for reason in policy.viewing_reasons}


@_rule(
    "distress_considered",
    "It is not recorded that the risk of significant distress or harm to the pupil "
    "was considered before viewing.",
)
def _distress_considered(data: Mapping[str, Any], policy: Policy) -> bool:
    return data.get("distress_considered") is True


@_rule(
    "not_copied_confirmed",
    "It is not confirmed that the imagery was not copied, printed or shared.",
)
def _not_copied(data: Mapping[str, Any], policy: Policy) -> bool:
    return data.get("not_copied") is True


@_rule("head_consulted", "The decision to view was not discussed with the Headteacher.")
def _head_consulted(data: Mapping[str, Any], policy: Policy) -> bool:
    return data.get("head_consulted") is True


@_rule(
    "viewer_is_dsl_or_team",
    "The imagery was viewed by someone other than the DSL or a member of the "
    "safeguarding team with delegated authority.",
)
def _authorised_viewer(data: Mapping[str, Any], policy: Policy) -> bool:
    return data.get("viewer_role") in AUTHORISED_VIEWER_ROLES


@_rule("another_staff_present", "Nobody else was recorded as present in the room.")
def _another_present(data: Mapping[str, Any], policy: Policy) -> bool:
    present = data.get("present")
    if not isinstance(present, list | tuple):
        return False
    viewer = _text(data, "viewer").strip().casefold()
    return any(
        isinstance(name, str) and name.strip() and name.strip().casefold() != viewer
        for name in present
    )


@_rule("on_premises", "The viewing did not take place on school premises.")
def _on_premises(data: Mapping[str, Any], policy: Policy) -> bool:
    return data.get("on_premises") is True


def _same_sex_unmet(data: Mapping[str, Any]) -> str:
    if data.get("same_sex") == "not_possible":
        return "A viewer of the same sex as the young person was not possible."
    return "The viewer was not of the same sex as the young person in the imagery."


@_rule("same_sex_viewer", _same_sex_unmet)
def _same_sex(data: Mapping[str, Any], policy: Policy) -> bool:
    return data.get("same_sex") == "yes"


@_rule(
    "viewing_record_complete",
    "The record does not say who viewed, who was present, where, why, or what happened next.",
)
def _record_complete(data: Mapping[str, Any], policy: Policy) -> bool:
    return all(
        _text(data, key).strip() for key in ("viewer", "where", "reason_id", "actions")
    ) and isinstance(data.get("present"), list | tuple)


def check_viewing(
    data: Mapping[str, Any], incident: Incident | None, policy: Policy
) -> list[Finding]:
    """Every viewing rule in the policy that this entry does not meet.

    `incident` is accepted so that callers need not change if a rule comes
    to depend on the incident's facts; today every rule reads the entry.
    """
    findings: list[Finding] = []
    for rule in policy.viewing_rules:
        predicate = VIEWING_PREDICATES.get(rule.check)
        if predicate is None or not predicate(data, policy):
            explain = _UNMET.get(rule.check)
            text = explain(data) if explain else f"Not met: {rule.text}"
            findings.append(Finding(rule_id=rule.id, text=text, rule_text=rule.text))
    return findings


# --------------------------------------------------- sightings and escalation
#
# The policy's conditions govern a *decision* to view. A member of staff shown
# the imagery by a pupil made no decision: that is a sighting, recorded as its
# own kind of entry, with no conditions to break and the staff member's
# support to follow. A deliberate viewing that broke a condition is a matter
# for the Headteacher, and stays escalated until they acknowledge it.

#: The policy's viewing reason that is no decision at all: a sighting.
UNAVOIDABLE_REASON = "unavoidable"


def stands_for(incident: Incident, event_id: str) -> set[str]:
    """The ids an effective entry answers to: its own and those of every entry it corrects.

    Support recorded after a viewing still follows it once the viewing is
    corrected; an acknowledgement does not (the Headteacher acknowledged what
    they read), so only support uses this.
    """
    ids: set[str] = set()
    current: str | None = event_id
    while current is not None and current not in ids:
        ids.add(current)
        event = incident.events_by_id.get(current)
        current = event.supersedes if event is not None else None
    return ids


def seen_imagery(incident: Incident) -> tuple[Entry, ...]:
    """Every viewing and sighting, in the record's order: each needs support for who saw it."""
    return tuple(sorted((*incident.viewings, *incident.sightings), key=lambda e: e.at))


def support_missing(incident: Incident) -> list[Entry]:
    """Viewings and sightings with no support recorded against them (by entry id, not name)."""
    followed = {entry.text("after_id") for entry in incident.staff_support}
    return [
        entry
        for entry in seen_imagery(incident)
        if not (stands_for(incident, entry.event_id) & followed)
    ]


def breaches(incident: Incident, policy: Policy) -> list[tuple[Entry, list[Finding]]]:
    """Each deliberate viewing that broke any of the policy's conditions, with what it broke."""
    out: list[tuple[Entry, list[Finding]]] = []
    for viewing in incident.viewings:
        findings = check_viewing(viewing.data, incident, policy)
        if findings:
            out.append((viewing, findings))
    return out


def acknowledgement_of(incident: Incident, viewing_id: str) -> Entry | None:
    """The Headteacher's verified acknowledgement of this viewing, if there is one."""
    return next(
        (e for e in incident.viewing_acknowledgements if e.text("viewing_id") == viewing_id), None
    )


def unacknowledged_breaches(
    incident: Incident, policy: Policy
) -> list[tuple[Entry, list[Finding]]]:
    """Viewings that broke a condition and that the Headteacher has not yet acknowledged."""
    return [
        (viewing, findings)
        for viewing, findings in breaches(incident, policy)
        if acknowledgement_of(incident, viewing.event_id) is None
    ]
