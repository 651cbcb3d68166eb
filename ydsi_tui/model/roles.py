"""The four roles of a vault and the words for them, defined once.

The vault holds its own copy of the role ids (it may not import the model:
it stores bytes it cannot interpret); `tests/test_layers.py` checks the two
lists are the same, so a fifth role cannot be added to one layer only.
"""

from __future__ import annotations

__all__ = ["ROLES", "ROLE_NAMES", "role_name"]

#: Who may unlock a vault: what each may open is the vault's business.
ROLES = ("dsl", "headteacher", "team", "technician")

#: The role as a heading or a label shows it (capitalised, the school's words).
ROLE_NAMES: dict[str, str] = {
    "dsl": "DSL",
    "headteacher": "Headteacher",
    "team": "Safeguarding team",
    "technician": "IT technician",
}


def role_name(role: str, *, in_sentence: bool = False) -> str:
    """The words for `role`; inside a sentence a common noun starts lower case.

    An unknown role (an old record, a damaged one) is shown as stored, so
    nothing is hidden by being unrecognised.
    """
    name = ROLE_NAMES.get(role, role)
    if in_sentence and role in ("team", "technician"):
        return name[0].lower() + name[1:]
    return name
