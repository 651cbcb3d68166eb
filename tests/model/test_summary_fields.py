"""Summary fields are checked when read: a list prints only values of their shape.

A stored summary is written by whoever holds the compartment's key; for the
custody log that is any technician, with their own client if they like. So
``ref``, ``incident_ref``, ``status`` and a flag's ``code`` are checked
against their pattern or choices as they are read (red-team finding H3).
"""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from ydsi_tui.model.custody import DEVICE_STATUSES
from ydsi_tui.model.summary import (
    DEVICE_REF_PATTERN,
    INCIDENT_REF_PATTERN,
    INVALID_VALUE,
    STATUS_WORDS,
    summary_field,
    summary_flags,
)


@pytest.mark.parametrize("ref", ["D-2026-001", "D-2027-0042"])
def test_a_device_reference_of_its_shape_is_kept(ref: str) -> None:
    assert summary_field({"ref": ref}, "ref", pattern=DEVICE_REF_PATTERN) == ref


@pytest.mark.parametrize(
    "value",
    [
        "D-2026-001\n",  # re.match with "$" would accept this: fullmatch does not
        "D-2026-001\x1b]0;PWNED\x07",
        "D-2026-" + "1" * 40,
        " D-2026-001",
        7,
        ["D-2026-001"],
    ],
)
def test_anything_else_is_shown_as_invalid(value: object) -> None:
    assert summary_field({"ref": value}, "ref", pattern=DEVICE_REF_PATTERN) == INVALID_VALUE


def test_incident_references_and_statuses() -> None:
    assert summary_field({"r": "2026-001"}, "r", pattern=INCIDENT_REF_PATTERN) == "2026-001"
    assert summary_field({"r": "2026-001\x9b"}, "r", pattern=INCIDENT_REF_PATTERN) == INVALID_VALUE
    for status in DEVICE_STATUSES:
        assert summary_field({"s": status}, "s", choices=DEVICE_STATUSES) == status
    assert summary_field({"s": "seized\u2028"}, "s", choices=DEVICE_STATUSES) == INVALID_VALUE
    assert summary_field({"s": "closed"}, "s", choices=STATUS_WORDS) == "closed"
    assert summary_field({"s": "Closed"}, "s", choices=STATUS_WORDS) == INVALID_VALUE


def test_a_missing_field_is_not_an_invalid_one() -> None:
    assert summary_field({}, "ref", pattern=DEVICE_REF_PATTERN, missing="?") == "?"
    assert summary_field({"ref": ""}, "ref", pattern=DEVICE_REF_PATTERN) == ""
    assert summary_field({"ref": None}, "ref", pattern=DEVICE_REF_PATTERN) == ""


def test_an_overdue_flag_code_of_the_wrong_shape_is_marked() -> None:
    due = "2026-01-01T09:00:00Z"
    summary = {
        "due": [
            {"code": "poweroff_due", "text": "Power it off.", "due_at": due},
            {"code": "x\x1b[2J", "text": "Forged.", "due_at": due},
        ]
    }
    flags = summary_flags(summary, datetime(2026, 6, 1, tzinfo=UTC))
    assert sorted(f.code for f in flags) == sorted(["poweroff_due", INVALID_VALUE])
