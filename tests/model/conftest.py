"""Fixtures for the model tests: the bundled policy, its text, and a record builder."""

from __future__ import annotations

import pytest

from ydsi_tui.model.policy import Policy, load_policy

from .support import Record, bundled_policy_text


@pytest.fixture(scope="session")
def policy() -> Policy:
    return load_policy()


@pytest.fixture(scope="session")
def policy_text() -> str:
    return bundled_policy_text()


@pytest.fixture
def record(policy: Policy) -> Record:
    return Record(policy)
