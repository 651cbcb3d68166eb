"""Both shipped policies: the school's own (2016) and one following the UKCIS 2024 advice.

Every existing policy-level model test that takes only the ``policy`` and
``record`` fixtures is run again here against each shipped policy (found by
looking, so a new such test is covered without being listed). The few that
check this school's own words or its age threshold of 17 are named below,
each with why it cannot hold for the 2024 procedure; the 2024 policy's own
words and settings are checked by hand from the advice instead.
"""

from __future__ import annotations

import importlib
import inspect
from collections.abc import Callable
from typing import Any

import pytest

from ydsi_tui.model.policy import (
    BUNDLED_POLICIES,
    DEFAULT_BUNDLED,
    Policy,
    bundled_policy,
    iter_checks,
    load_bundled,
)
from ydsi_tui.model.predicates import PREDICATES
from ydsi_tui.model.suggestions import ASK_FACTS, YES_FACTS
from ydsi_tui.model.viewing_rules import VIEWING_PREDICATES

from .support import HEAD, Record

MODULES = (
    "test_policy",
    "test_procedure_findings",
    "test_rules",
    "test_scenarios",
    "test_summary_fields",
    "test_incident",
    "test_events",
    "test_custody",
    "test_handover",
)

#: Tests about this school's own text (quoted words, threshold 17, its file's bytes).
SCHOOL_ONLY = {
    "test_policy::test_bundled_policy_identity": "the bytes and school of hindley-2016.toml",
    "test_policy::test_settings_are_this_schools": "this school's threshold of 17",
    "test_policy::test_twelve_steps_in_the_policys_order": "the school's heading words",
    "test_policy::test_lists_have_the_policys_counts_and_words": "the school's trigger words, 17",
    "test_procedure_findings::test_a_suggested_yes_answered_no_needs_a_reason": "a pupil of 15 "
    "is under 17 but not under 13",
    "test_scenarios::test_an_adult_involved_requires_referral_and_refuses_in_school_without_"
    "override": "the school's trigger 1 words",
    "test_scenarios::test_trigger4_from_a_year_group_says_probably": "threshold 17",
    "test_scenarios::test_trigger4_needs_both_acts_and_age": "threshold 17",
    "test_scenarios::test_a_viewing_alone_is_named_refused_then_accepted_with_acknowledgement": (
        "the school's viewing rule words"
    ),
}


def _policy_level_tests() -> list[tuple[str, Callable[..., Any]]]:
    found: list[tuple[str, Callable[..., Any]]] = []
    for module_name in MODULES:
        module = importlib.import_module(f"tests.model.{module_name}")
        for name, function in vars(module).items():
            if not name.startswith("test_") or not inspect.isfunction(function):
                continue
            if hasattr(function, "pytestmark"):  # parametrized: not cheaply re-run
                continue
            params = set(inspect.signature(function).parameters)
            if params and params <= {"policy", "record"}:
                found.append((f"{module_name}::{name}", function))
    return found


TESTS = _policy_level_tests()


def test_the_reuse_finds_the_tests() -> None:
    assert len(TESTS) >= 80
    names = {name for name, _ in TESTS}
    assert set(SCHOOL_ONLY) <= names  # nothing excluded that no longer exists


@pytest.mark.parametrize("bundled", list(BUNDLED_POLICIES))
@pytest.mark.parametrize(("name", "function"), TESTS, ids=[name for name, _ in TESTS])
def test_every_policy_level_test_holds_for_each_shipped_policy(
    bundled: str, name: str, function: Callable[..., Any]
) -> None:
    if bundled != DEFAULT_BUNDLED and name in SCHOOL_ONLY:
        pytest.skip(f"about the school's own policy: {SCHOOL_ONLY[name]}")
    policy = load_bundled(bundled)
    params = inspect.signature(function).parameters
    function(**{key: (Record(policy) if key == "record" else policy) for key in params})


@pytest.mark.parametrize("bundled", list(BUNDLED_POLICIES))
def test_each_shipped_policy_loads_and_names_only_checks_that_exist(bundled: str) -> None:
    policy = load_bundled(bundled)
    assert policy.origin == f"<bundled>/{BUNDLED_POLICIES[bundled]}"
    for check in iter_checks(policy):
        assert check == "confirmed_by_dsl" or check in PREDICATES, check
    for rule in policy.viewing_rules:
        assert rule.check in VIEWING_PREDICATES
    for trigger in policy.triggers:
        assert set(trigger.suggest_yes) <= set(YES_FACTS)
        assert set(trigger.ask_when) <= set(ASK_FACTS)
    # The app's forms and the fix-step links use these step ids: both policies keep them.
    assert [s.id for s in policy.steps] == [s.id for s in bundled_policy().steps]


def _scenarios(policy: Policy) -> list[Record]:
    """A few incidents in different states, for running every predicate over."""
    empty = Record(policy)
    empty.open()
    busy = Record(policy)
    busy.open(kind="sextortion")
    busy.pupil("p1", "Carl Young", parts=["pictured"], year_group=9, sex="male")
    busy.content(sexual_acts="yes")
    busy.review_meeting()
    busy.add("police.contact", {"route": "ceop", "spoken_to": "CEOP online report"})
    school = Record(policy)
    school.open()
    school.pupil("p1", "Amy Jones", parts=["pictured", "sent"], year_group=11)
    school.triggers({})
    school.add("decision", {"outcome": "in_school", "reason": "Low risk", "input_from": [HEAD]})
    return [empty, busy, school]


@pytest.mark.parametrize("bundled", list(BUNDLED_POLICIES))
def test_every_predicate_a_shipped_policy_names_reads_real_records(bundled: str) -> None:
    policy = load_bundled(bundled)
    for record in _scenarios(policy):
        incident = record.incident
        for check in set(iter_checks(policy)) - {"confirmed_by_dsl"}:
            assert isinstance(PREDICATES[check](incident, policy), bool), check


def test_the_2024_policy_has_the_national_threshold_and_no_override() -> None:
    policy = load_bundled("ukcis-2024")
    assert policy.settings.trigger4_age_threshold == 13
    assert policy.settings.allow_trigger_override is False
    assert policy.trigger_text(4).endswith("younger than 13")
    assert "Sharing nudes and semi-nudes" in policy.source
    assert "2024" in policy.source and "UK Council for Internet Safety" in policy.source
    assert policy.trigger(1).refer_to == "police"  # an adult involved: the police
    assert policy.digest != bundled_policy().digest


def test_the_schools_2016_policy_stays_the_default() -> None:
    assert DEFAULT_BUNDLED == "hindley-2016"
    assert bundled_policy().settings.trigger4_age_threshold == 17
    assert bundled_policy().school == "Hindley J and I School"


def test_the_2024_policy_is_in_our_own_words_not_the_schools() -> None:
    """No step guidance or trigger is copied from the school's (2016-based) text."""
    ours, school = load_bundled("ukcis-2024"), bundled_policy()
    for mine, theirs in zip(ours.steps, school.steps, strict=True):
        assert mine.guidance != theirs.guidance, mine.id
        for line in theirs.guidance.strip().splitlines():
            assert line not in mine.guidance, (mine.id, line[:60])
    for mine_t, theirs_t in zip(ours.triggers, school.triggers, strict=True):
        assert mine_t.text != theirs_t.text
