"""Hostile input at every door: only documented errors, or a faithful round trip.

Hypothesis throws arbitrary text (control characters, escape sequences, Rich
markup, bidi overrides, very long strings) and arbitrary JSON-like values at
the parsers and validators that take what people type or what a file says.
Each may refuse, with its own error class and a message; none may crash.
"""

from __future__ import annotations

import io
from contextlib import redirect_stderr, redirect_stdout, suppress
from datetime import UTC, datetime
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ydsi_tui.cli.main import main
from ydsi_tui.model.custody import DeviceMeta
from ydsi_tui.model.errors import ValidationError
from ydsi_tui.model.events import make_event
from ydsi_tui.model.incident import IncidentMeta
from ydsi_tui.model.schema import SCHEMAS
from ydsi_tui.vault.checkpoint import Checkpoint
from ydsi_tui.vault.crypto import KdfParams
from ydsi_tui.vault.errors import VaultError
from ydsi_tui.vault.header import check_user_name
from ydsi_tui.vault.recovery_code import normalise

# Hostile input at every parser, some through real vaults: seconds.
pytestmark = pytest.mark.slow

NOW = datetime(2026, 11, 16, 10, 0, tzinfo=UTC)

HOSTILE = st.one_of(
    st.text(),
    st.sampled_from(
        [
            "[b]Ann[/b]",
            "[/",
            "[link=file:///etc/passwd]x[/link]",
            "\x1b]0;owned\x07",
            "\x1b[2J\x1b[H",
            "\u202eevil\u202c",
            "\x00\x01\x7f",
            "A" * 1_000_000,
            "/home/dsl/Downloads/IMG_0001.JPG",
            "data:image/png;base64,iVBORw0KGgo=",
        ]
    ),
)
JSONISH = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=True) | HOSTILE,
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4)
    ),
    max_leaves=12,
)
FAST = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@FAST
@given(kind=st.sampled_from(sorted(SCHEMAS)), data=st.dictionaries(st.text(max_size=20), JSONISH))
def test_any_payload_for_any_kind_is_built_or_refused(kind: str, data: dict[str, Any]) -> None:
    role = "technician" if kind.startswith("device.") else "dsl"
    try:
        event = make_event(kind, data, at=NOW, now=NOW, by="Dana Lead", by_role=role)
    except ValidationError as refused:
        message = refused.message
    else:
        assert event.kind == kind
        return
    assert message  # a refusal always says why


@FAST
@given(
    kind=st.sampled_from(sorted(SCHEMAS)),
    field=st.text(max_size=20),
    value=HOSTILE,
)
def test_hostile_text_in_a_known_field_is_kept_exactly_or_refused(
    kind: str, field: str, value: str
) -> None:
    names = list(SCHEMAS[kind])
    key = names[hash(field) % len(names)] if names else field
    role = "technician" if kind.startswith("device.") else "dsl"
    try:
        event = make_event(kind, {key: value}, at=NOW, now=NOW, by="Dana Lead", by_role=role)
    except ValidationError:
        return
    stored = event.data.get(key)
    if isinstance(stored, str):
        assert stored == value


@FAST
@given(st.dictionaries(st.text(max_size=16), JSONISH))
def test_stored_identities_are_read_or_refused(doc: dict[str, Any]) -> None:
    for reader in (IncidentMeta.from_doc, DeviceMeta.from_doc):
        with pytest.raises(ValidationError):
            reader(doc)


@FAST
@given(HOSTILE)
def test_names_codes_and_checkpoints_refuse_cleanly(text: str) -> None:
    for check in (check_user_name, normalise):
        with suppress(ValueError):
            check(text)
    with suppress(ValueError):
        Checkpoint.from_bytes(text.encode("utf-8", "surrogatepass"))


@FAST
@given(st.dictionaries(st.text(max_size=12), JSONISH))
def test_key_derivation_settings_from_a_file_are_checked_before_use(doc: dict[str, Any]) -> None:
    try:
        params = KdfParams.from_doc(doc)
    except (ValueError, TypeError, VaultError):
        return
    params.check()  # anything accepted is within the floor and the cap


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(args=st.lists(HOSTILE.filter(lambda t: len(t) < 2000), min_size=1, max_size=4))
def test_the_cli_never_shows_a_traceback(args: list[str], tmp_path_factory: Any) -> None:
    vault = tmp_path_factory.mktemp("hostile") / "no-vault-here"
    out, err = io.StringIO(), io.StringIO()
    with redirect_stdout(out), redirect_stderr(err):
        code = main(["note", *args, "--allow-argv", "--vault", str(vault), "--user", "dsl"])
    assert isinstance(code, int)
    assert "Traceback" not in err.getvalue()
    assert code != 0 or "usage" in out.getvalue()
