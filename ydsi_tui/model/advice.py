"""Current national advice as data: what a kind of incident changes in the procedure.

The policy file's ``[[kind_advice]]`` tables hold the advice in words (shown
on every incident of that kind) and what it changes: for sextortion the
evidence must be kept, so no deletion may be asked for, confirmed or searched
for until the police's agreement is recorded (who agreed; the entry's time
says when). The deletion step's own guidance, written for peer sharing,
would otherwise tell the DSL to do the one thing the advice forbids.

Support and reporting routes (Report Remove, Take It Down, CEOP, Childline)
are offered to each young person pictured in the imagery; the record says
which were offered to whom, or why not.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType
from typing import TYPE_CHECKING

from ydsi_tui.model.errors import ValidationError
from ydsi_tui.model.records import Entry

if TYPE_CHECKING:
    from ydsi_tui.model.events import Event
    from ydsi_tui.model.incident import Incident
    from ydsi_tui.model.policy import KindAdvice, Policy, Step

#: The checks of a deletion step: a step made of these is not part of the
#: procedure while the advice withholds deletion (it would ask for it).
DELETION_CHECKS = frozenset(
    {
        "deletion_requested_for_each_pupil",
        "told_illegal_for_each_pupil",
        "deletion_confirmed_for_each_pupil",
    }
)

#: Entry kinds that delete, or lead to deleting, the imagery.
DELETION_KINDS = frozenset({"deletion.requested", "deletion.confirmed", "deletion.search"})


def _entries(incident: Incident, kind: str) -> list[Entry]:
    empty: MappingProxyType[str, object] = MappingProxyType({})
    return [
        Entry(e.id, e.kind, e.at, e.by, e.data if isinstance(e.data, Mapping) else empty)
        for e in incident.effective
        if e.kind == kind
    ]


def advice_for(incident: Incident, policy: Policy) -> KindAdvice | None:
    """The advice for this incident's kind under its policy, if the policy has any."""
    return policy.advice_for(incident.kind)


def police_deletion_agreement(incident: Incident) -> Entry | None:
    """The latest recorded agreement of the police to deletion, naming who agreed."""
    agreed = [
        entry
        for entry in _entries(incident, "deletion.police_agreed")
        if entry.text("officer").strip()
    ]
    return max(agreed, key=lambda entry: entry.at) if agreed else None


def deletion_withheld(incident: Incident, policy: Policy) -> KindAdvice | None:
    """The advice that withholds deletion now (no police agreement yet), else None."""
    advice = advice_for(incident, policy)
    if advice is None or not advice.deletion_needs_police_agreement:
        return None
    return None if police_deletion_agreement(incident) is not None else advice


def step_withheld(step: Step, incident: Incident, policy: Policy) -> KindAdvice | None:
    """The advice that takes this (deletion) step out of the procedure now, else None."""
    if not any(item.check in DELETION_CHECKS for item in step.checklist):
        return None
    return deletion_withheld(incident, policy)


def check_deletion(incident: Incident, policy: Policy, event: Event) -> None:
    """Refuse a deletion entry while the advice for this kind says keep the evidence."""
    if event.kind not in DELETION_KINDS:
        return
    advice = deletion_withheld(incident, policy)
    if advice is None:
        return
    raise ValidationError(
        "kind",
        f"{advice.title}: the evidence must be kept, so nothing is deleted, and no young "
        "person is asked to delete it, unless the police agree. If they do, record who "
        "agreed and when (a 'police agreed to deletion' entry) first.",
    )


def support_offered(incident: Incident, pupil_id: str) -> bool:
    """A support route offered to this young person, or a reason recorded why not."""
    offered = any(entry.pupil_id == pupil_id for entry in incident.support_routes)
    return offered or any(
        entry.pupil_id == pupil_id and entry.text("reason").strip()
        for entry in _entries(incident, "support.not_offered")
    )


def support_routes_missing(incident: Incident) -> list[str]:
    """Pupil ids of pictured young people with no route offered and no reason recorded."""
    return [
        pupil_id
        for pupil_id, pupil in incident.pupils.items()
        if pupil.pictured and not support_offered(incident, pupil_id)
    ]
