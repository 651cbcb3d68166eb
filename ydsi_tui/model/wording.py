"""A stored value in the words people read, never the code it is stored as.

Records keep stable codes (``call_101``, ``csc``, ``not_applicable``, a step's
id, a date as ``2010-03-14``) so that they survive a reworded policy. A
screen, a command's output or an export shows the words: the policy's label
for a vocabulary id, the question or rule text for its id, the schema's own
words for a fixed choice (:data:`CHOICE_WORDS`, the same words the forms
offer), UK dates and times. One place, so the timeline, an entry read in
full and the forms never disagree about what a code is called.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ydsi_tui.model.policy import VOCABULARIES, Policy, Question
from ydsi_tui.model.roles import ROLE_NAMES
from ydsi_tui.model.schema import Field
from ydsi_tui.model.timeparse import date_from_iso, format_local, format_local_date, from_iso

__all__ = ["CHOICE_WORDS", "choice_words", "policy_words", "value_words"]

#: The schema's fixed choices (model/schema.py), as a form offers them.
CHOICE_WORDS: Mapping[str, str] = {
    "yes": "Yes",
    "no": "No",
    "unknown": "Not yet known",
    "female": "Female",
    "male": "Male",
    "other": "Other",
    "refer": "Refer to the police and/or children's social care",
    "in_school": "Respond in school (reasons, Headteacher's sign-off)",
    "police": "The police",
    "csc": "Children's social care",
    "both": "Both",
    "confirmed": "Confirmed: the decision stands",
    "escalated": "Escalated",
    "contact": "Contact",
    "referral": "Referral",
    "dsl": ROLE_NAMES["dsl"],
    "team": ROLE_NAMES["team"],
    "headteacher": ROLE_NAMES["headteacher"],
    "technician": ROLE_NAMES["technician"],
    "slt": "Senior leadership team",
    "other_staff": "Other member of staff",
    "not_possible": "Not possible",
    "done": "Done",
    "not_applicable": "Not applicable",
    "later": "Later",
}


def choice_words(value: str) -> str:
    """A fixed choice in words (an unknown one as itself, with its underscores spaced)."""
    return CHOICE_WORDS.get(value, value.replace("_", " "))


def policy_words(policy: Policy, vocabulary: str, item_id: str) -> str:
    """The policy's words for an id of one of its lists (a vocabulary, a step, a question)."""
    if vocabulary in VOCABULARIES:
        for choice in policy.vocabulary(vocabulary):
            if choice.id == item_id:
                return choice.label
        return item_id.replace("_", " ")
    if vocabulary == "steps":
        items: tuple[tuple[str, str], ...] = tuple((s.id, s.title) for s in policy.steps)
    elif vocabulary == "triggers":
        items = tuple((str(t.n), t.wording(policy.settings.trigger4_age_threshold))
                      for t in policy.triggers)  # fmt: skip
    elif vocabulary == "viewing_rules":
        items = tuple((rule.id, rule.text) for rule in policy.viewing_rules)
    else:
        questions: dict[str, tuple[Question, ...]] = {
            "review_considerations": policy.review_considerations,
            "risk_questions": policy.risk_questions,
            "viewing_reasons": policy.viewing_reasons,
        }
        items = tuple((q.id, q.text) for q in questions.get(vocabulary, ()))
    return dict(items).get(item_id, item_id.replace("_", " "))


def value_words(spec: Field, value: Any, policy: Policy) -> str:
    """A stored value of a field declared by ``spec``, as people read it."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    kind = spec.type
    if kind == "choice" and isinstance(value, str):
        return choice_words(value)
    if kind == "vocab" and isinstance(value, str):
        return policy_words(policy, spec.vocab or "", value)
    if kind == "int" and spec.vocab == "triggers":
        return f"{value}. {policy_words(policy, 'triggers', str(value))}"
    if kind in ("choices", "vocabs", "names", "refs") and isinstance(value, list | tuple):
        one = Field("choice" if kind == "choices" else "vocab" if kind == "vocabs" else "text",
                    vocab=spec.vocab)  # fmt: skip
        return "; ".join(value_words(one, item, policy) for item in value)
    if kind == "datetime" and isinstance(value, str):
        try:
            return format_local(from_iso(value, "time"))
        except ValueError:
            return value
    if kind == "date" and isinstance(value, str):
        try:
            return format_local_date(date_from_iso(value, "date"))
        except ValueError:
            return value
    if kind in ("answers", "acknowledgements") and isinstance(value, Mapping):
        return "\n".join(
            f"{policy_words(policy, spec.vocab or '', str(k))}: {v}" for k, v in value.items()
        )
    if isinstance(value, list | tuple):
        return "; ".join(str(v) for v in value)
    return str(value)
