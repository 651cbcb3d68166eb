"""What the record already says about the referral triggers.

The DSL answers each trigger; the program must not answer for them, but it
must not stay silent about facts it already holds either: an adult recorded
as involved, a sextortion incident, a pupil with special educational needs.
Which fact bears on which trigger is policy data (each trigger's
``suggest_yes`` and ``ask_when``); this module says how each named fact is read
from the record. A suggestion of YES answered NO needs a stated reason, and
the inspection check shows any answer that goes against one unexplained.

Suggestion texts never carry pupils' names: they appear in the inspection
report and on shared screens.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from ydsi_tui.model.errors import ValidationError

if TYPE_CHECKING:
    from ydsi_tui.model.events import Event
    from ydsi_tui.model.incident import Incident
    from ydsi_tui.model.policy import Policy

#: A fact reads the record and returns why it holds ("" when it does not).
Fact = Callable[["Incident", "Policy"], str]

#: Facts that suggest a trigger applies (its answer suggested YES).
YES_FACTS: dict[str, Fact] = {}
#: Facts that mean a trigger must be asked about (no answer suggested).
ASK_FACTS: dict[str, Fact] = {}


@dataclass(frozen=True)
class TriggerSuggestion:
    """What the record suggests for one trigger: yes | ask | none, and why."""

    n: int
    answer: str
    basis: str


def _fact(registry: dict[str, Fact], name: str) -> Callable[[Fact], Fact]:
    def register(function: Fact) -> Fact:
        registry[name] = function
        return function

    return register


@_fact(YES_FACTS, "adult_recorded")
def _adult_recorded(incident: Incident, policy: Policy) -> str:
    count = len(incident.adults)
    if not count:
        return ""
    return "An adult is recorded as involved." if count == 1 else f"{count} adults are recorded."


@_fact(YES_FACTS, "kind_sextortion")
def _kind_sextortion(incident: Incident, policy: Policy) -> str:
    if incident.kind != "sextortion":
        return ""
    return "The incident is recorded as sextortion (blackmail, usually by an adult offender)."


@_fact(YES_FACTS, "content_violent")
def _content_violent(incident: Incident, policy: Policy) -> str:
    content = incident.content
    if content is None or content.violent != "yes":
        return ""
    return "The content is described as violent."


@_fact(ASK_FACTS, "pupil_sen")
def _pupil_sen(incident: Incident, policy: Policy) -> str:
    count = sum(1 for pupil in incident.pupils.values() if pupil.special_needs)
    if not count:
        return ""
    who = "A young person has" if count == 1 else f"{count} young people have"
    return f"{who} special educational needs: consider their capacity to consent."


@_fact(ASK_FACTS, "capacity_concern")
def _capacity_concern(incident: Incident, policy: Policy) -> str:
    count = sum(1 for pupil in incident.pupils.values() if pupil.capacity_concern)
    if not count:
        return ""
    who = "a young person" if count == 1 else f"{count} young people"
    return f"A concern about the capacity to consent of {who} is recorded."


def suggest_triggers(incident: Incident, policy: Policy) -> dict[int, TriggerSuggestion]:
    """Each trigger the record has something to say about, by number.

    Trigger 4's suggestion from ages and content is computed separately
    (`triggers.suggest_trigger4`) and joins here only when it says YES.
    """
    from ydsi_tui.model.triggers import AGE_TRIGGER, suggest_trigger4

    found: dict[int, TriggerSuggestion] = {}
    for trigger in policy.triggers:
        yes = [text for name in trigger.suggest_yes if (text := YES_FACTS[name](incident, policy))]
        if trigger.n == AGE_TRIGGER:
            age = suggest_trigger4(incident, policy)
            if age.answer == "yes":
                yes.append(age.basis)
        if yes:
            found[trigger.n] = TriggerSuggestion(trigger.n, "yes", " ".join(yes))
            continue
        ask = [text for name in trigger.ask_when if (text := ASK_FACTS[name](incident, policy))]
        if ask:
            found[trigger.n] = TriggerSuggestion(trigger.n, "ask", " ".join(ask))
    return found


def against_suggestion(incident: Incident, policy: Policy) -> list[TriggerSuggestion]:
    """Triggers suggested YES by the record but answered NO with no reason given."""
    unexplained: list[TriggerSuggestion] = []
    for n, suggestion in sorted(suggest_triggers(incident, policy).items()):
        answer = incident.triggers.get(n)
        if suggestion.answer != "yes" or answer is None or answer.answer != "no":
            continue
        if not answer.reason_against_suggestion.strip():
            unexplained.append(suggestion)
    return unexplained


def check_trigger_answer(incident: Incident, policy: Policy, event: Event) -> None:
    """Refuse NO for a trigger the record suggests is YES, unless the answer says why.

    The basis says what the answer rests on; the reason says why the facts
    the program holds (an adult, sextortion, a pictured pupil's age) do not
    make it YES. Both are read by whoever checks the decision.
    """
    data = event.data
    n = data.get("n")
    if data.get("answer") != "no" or not isinstance(n, int):
        return
    suggestion = suggest_triggers(incident, policy).get(n)
    reason = data.get("reason_against_suggestion")
    if suggestion is None or suggestion.answer != "yes":
        return
    if not (isinstance(reason, str) and reason.strip()):
        raise ValidationError(
            "reason_against_suggestion",
            f"The record suggests YES for trigger {n}: {suggestion.basis} To answer no, "
            "say why in the reason against the suggestion.",
        )
