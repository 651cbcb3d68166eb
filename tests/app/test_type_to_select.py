"""Issue 11, finding 4: a dropdown could not be chosen by typing a letter.

The walk typed ``p`` in "Who disclosed" and nothing was chosen. Now a letter
or digit on a closed dropdown, a menu or a checkbox list moves to the next
option whose first word (past "the", "a", "an") starts with it, round and
round; the triggers' yes, no and not yet known keep y, n and u.
"""

from __future__ import annotations

import pytest
from textual.widgets import Select

from tests.app.conftest import MakeApp, Refs, open_incident, settle, unlock
from ydsi_tui.app.formspec import (
    device_spec,
    entry_spec,
    field_id,
    new_incident_spec,
    pupil_field,
)
from ydsi_tui.app.screens.dialogs import MenuDialog
from ydsi_tui.app.screens.forms import FormScreen
from ydsi_tui.app.widgets.choices import ChoiceList
from ydsi_tui.app.widgets.options import initial, next_match
from ydsi_tui.model.policy import bundled_policy
from ydsi_tui.model.schema import DEVICE_SCHEMAS, INCIDENT_SCHEMAS


def test_an_option_is_chosen_by_its_first_words_letter() -> None:
    assert initial("The young person") == "y"
    assert initial("A parent or carer") == "p"
    assert initial("1. The incident involves an adult") == "1"
    assert initial("Other") == "o"
    assert initial("The") == "t"  # an article alone is the word
    labels = ["The young person", "A friend", "A parent or carer", "The police", "Other"]
    assert next_match(labels, None, "p") == 2
    assert next_match(labels, 2, "P") == 3, "again: the next one"
    assert next_match(labels, 3, "p") == 2, "round the list"
    assert next_match(labels, 0, "z") is None


def test_every_option_of_every_form_has_a_letter() -> None:
    """Each choice of each form's dropdowns and checkbox lists can be typed to."""
    policy = bundled_policy()
    forms = [new_incident_spec(policy)]
    forms += [entry_spec(kind, policy, None, ref="2026-001") for kind in INCIDENT_SCHEMAS]
    forms += [device_spec(kind, policy, ref="D-1") for kind in DEVICE_SCHEMAS]
    checked = 0
    for form in forms:
        for spec in form.fields:
            if spec.widget not in ("select", "yesno", "multi"):
                continue
            for label, value in spec.options:
                assert initial(label) or value in spec.letters.values(), (form.kind, label)
                checked += 1
    assert checked > 100


@pytest.mark.slow
@pytest.mark.slow
async def test_letters_choose_in_the_new_incident_form(app_factory: MakeApp) -> None:
    app = app_factory()
    async with app.run_test(size=(80, 24)) as pilot:
        await unlock(pilot)
        await pilot.press("n")
        await settle(pilot)
        form = app.screen
        assert isinstance(form, FormScreen)

        def select(name: str) -> Select[str]:
            return form.query_one(f"#{field_id(name)}", Select)

        who = select("discloser_type")
        who.focus()
        for key, value in [("p", "parent"), ("p", "police"), ("y", "young_person"),
                           ("f", "friend"), ("z", "friend")]:  # fmt: skip
            await pilot.press(key)
            await settle(pilot)
            assert who.value == value, key
        assert not who.expanded, "chosen closed: no list to close"
        assert form._read()["discloser_type"] == "friend"

        sex = select(pupil_field(1, "sex"))
        sex.focus()
        await pilot.press("m")
        await settle(pilot)
        assert sex.value == "male"

        sen = select(pupil_field(1, "sen"))
        sen.focus()
        await pilot.press("n")
        await settle(pilot)
        assert sen.value == "no"

        parts = form.query_one(f"#{field_id(pupil_field(1, 'parts'))}", ChoiceList)
        parts.focus()
        # Received it; s: the next s after it, Shared it on; s again, round to Sent it.
        for key in ("r", "space", "s", "space", "s", "space"):
            await pilot.press(key)
            await settle(pilot)
        assert parts.selected == ["sent", "received", "shared"]
        assert form._read()[pupil_field(1, "parts")] == ["sent", "received", "shared"]


@pytest.mark.slow
@pytest.mark.slow
async def test_a_letter_moves_in_a_menu(app_factory: MakeApp, refs: Refs) -> None:
    app = app_factory()
    async with app.run_test(size=(80, 24)) as pilot:
        await unlock(pilot)
        await open_incident(pilot, refs.fresh)
        await pilot.press("r")  # Refer now: police, children's social care, harm concern
        await settle(pilot)
        menu = app.screen
        assert isinstance(menu, MenuDialog)
        await pilot.press("h", "enter")
        await settle(pilot)
        form = app.screen
        assert isinstance(form, FormScreen) and form.form.kind == "concern.harm"
