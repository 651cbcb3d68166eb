"""Issue 10: the roles and their words are defined once (they were in four places,
in three wordings: "safeguarding team", "Safeguarding team", "Safeguarding team
(delegated)").

The vault keeps its own tuple of role ids because it may not import the model;
the two must be the same list. Every other module takes the words from
`ydsi_tui.model.roles`: a string literal that is exactly a role's words
anywhere else is a second definition waiting to drift.
"""

from __future__ import annotations

import ast
from pathlib import Path

import ydsi_tui
from ydsi_tui.model import roles
from ydsi_tui.vault import header

PACKAGE = Path(ydsi_tui.__file__).parent


def test_the_vault_and_the_model_know_the_same_roles() -> None:
    assert header.ROLES == roles.ROLES
    assert set(roles.ROLE_NAMES) == set(roles.ROLES)
    assert set(header.ROLE_COMPARTMENTS) == set(roles.ROLES)


def test_role_words_are_written_in_one_module_only() -> None:
    # Exact, case-sensitive: the ids ("dsl", "headteacher") are keys, not words,
    # and "DSL" is an abbreviation every sentence uses.
    words = {
        roles.role_name(role, in_sentence=sentence)
        for role in roles.ROLES
        for sentence in (False, True)
        if role != "dsl"
    } - set(roles.ROLES)
    found: list[str] = []
    for path in sorted(PACKAGE.rglob("*.py")):
        if path == PACKAGE / "model" / "roles.py":
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if not (isinstance(node, ast.Constant) and isinstance(node.value, str)):
                continue
            if node.value.strip() in words:
                found.append(f"{path.relative_to(PACKAGE)}:{node.lineno} {node.value!r}")
    assert not found, "role words defined outside model/roles.py:\n" + "\n".join(found)


def test_a_role_mid_sentence_reads_as_a_common_noun() -> None:
    assert roles.role_name("team") == "Safeguarding team"
    assert roles.role_name("team", in_sentence=True) == "safeguarding team"
    assert roles.role_name("dsl", in_sentence=True) == "DSL"
    assert roles.role_name("retired-role") == "retired-role"
