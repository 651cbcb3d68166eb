"""Issue 10, finding 6 and finding 5's staff support, as the DSL and the Headteacher see them.

The walk (ux-walk-2026-12.md, scenario E): a teacher shown the image by a
pupil was recorded as "✗ 3 of 9 rules not met" after answering "discussed
with the Headteacher first?"; a deliberate viewing that broke the rules looked
the same and reached nobody; support typed as "Mrs Karen Lowe (science
teacher)" left the Guide's ✗ in place with no explanation.
"""

from __future__ import annotations

from typing import Any

import pytest
from textual.pilot import Pilot
from textual.widgets import Input, Select

from tests.app.conftest import MakeApp, Refs, open_incident, screen_text, settle, unlock
from tests.app.test_flows import choose, fill, services
from ydsi_tui.app.formspec import field_id
from ydsi_tui.app.screens.dialogs import MenuDialog
from ydsi_tui.app.screens.forms import FormScreen
from ydsi_tui.app.screens.home import HomeScreen
from ydsi_tui.app.screens.incident import IncidentScreen

pytestmark = pytest.mark.slow

LOWE = "Mrs Karen Lowe"


async def add(pilot: Pilot[Any], kind: str) -> FormScreen:
    """On the Viewing pane: a, then ``kind`` from the menu."""
    await pilot.press("4", "a")
    await settle(pilot)
    await choose(pilot, kind)
    form = pilot.app.screen
    assert isinstance(form, FormScreen), form
    return form


async def save(pilot: Pilot[Any]) -> None:
    await pilot.press("f2")
    await settle(pilot)
    assert isinstance(pilot.app.screen, IncidentScreen), screen_text(pilot.app)  # type: ignore[arg-type]


async def record_sighting(pilot: Pilot[Any]) -> None:
    form = await add(pilot, "sighting")
    names = {spec.name for spec in form.form.fields}
    assert "head_consulted" not in names and "reason_id" not in names
    for name, value in [
        ("seen_by", LOWE),
        ("how", "A pupil held up her phone to show her at the end of a science lesson"),
        ("actions", "Told the pupil to put it away; came straight to the DSL"),
    ]:
        await fill(pilot, name, value)
    await save(pilot)


async def home(pilot: Pilot[Any]) -> str:
    await pilot.press("escape")
    await settle(pilot)
    assert isinstance(pilot.app.screen, HomeScreen)
    return screen_text(pilot.app)  # type: ignore[arg-type]


async def test_an_unavoidable_sighting_shows_no_broken_rule_and_support_is_due(
    app_factory: MakeApp, refs: Refs
) -> None:
    app = app_factory()
    async with app.run_test(size=(120, 40)) as pilot:
        await unlock(pilot)
        await open_incident(pilot, refs.chat)
        await record_sighting(pilot)
        text = screen_text(app)
        assert "seen unavoidably: no conditions apply; support ✗ due" in text
        assert "rules not met" not in text and "NOT MET" not in text
        assert "Nobody decided to view it" in text
        shown = await home(pilot)
        assert "Support for a member of staff who saw" in shown
        assert "⚠ staff support" in shown


async def test_support_follows_the_highlighted_sighting_whatever_the_name_typed(
    app_factory: MakeApp, refs: Refs
) -> None:
    app = app_factory()
    async with app.run_test(size=(120, 40)) as pilot:
        await unlock(pilot)
        await open_incident(pilot, refs.chat)
        await record_sighting(pilot)
        form = await add(pilot, "staff.support_offered")
        after = form.query_one(f"#{field_id('after_id')}", Select)
        [sighting] = services(app).cases.open(refs.chat).incident.sightings
        assert after.value == sighting.event_id  # the entry it follows, by id
        assert form.query_one(f"#{field_id('staff_name')}", Input).value == LOWE
        await fill(pilot, "staff_name", f"{LOWE} (science teacher)")
        await fill(pilot, "what", "Talked it through; the staff wellbeing line")
        await save(pilot)
        text = screen_text(app)
        assert "seen unavoidably: no conditions apply; support ✔" in text
        assert f"{LOWE} (science teacher): Talked it through" in text
        view = services(app).cases.open(refs.chat)
        steps = {s.step.id: s for s in view.steps}
        assert steps["viewing"].missing == []
        assert "Support for a member of staff who saw" not in await home(pilot)


async def test_the_viewing_form_assumes_no_condition(app_factory: MakeApp, refs: Refs) -> None:
    """Every yes/no starts unanswered, and "not copied" must be answered to save."""
    app = app_factory()
    async with app.run_test(size=(120, 40)) as pilot:
        await unlock(pilot)
        await open_incident(pilot, refs.chat)
        form = await add(pilot, "viewing")
        for name in ("on_premises", "head_consulted", "same_sex", "distress_considered",
                     "not_copied", "viewer_role"):  # fmt: skip
            widget = form.query_one(f"#{field_id(name)}", Select)
            assert widget.value is Select.NULL, name
        reasons = form.query_one(f"#{field_id('reason_id')}", Select)
        assert "unavoidable" not in [value for _label, value in reasons._options]
        for name, value in [
            ("viewer", "Dana Lead"), ("viewer_role", "dsl"), ("present", "Hana Head"),
            ("where", "Headteacher's office"), ("on_premises", "yes"),
            ("reason_id", "report_for_takedown"), ("head_consulted", "yes"),
            ("same_sex", "yes"), ("distress_considered", "yes"),
            ("actions", "Image reported for removal"),
        ]:  # fmt: skip
            await fill(pilot, name, value)
        await pilot.press("f2")
        await settle(pilot)
        assert isinstance(app.screen, FormScreen)
        assert services(app).cases.open(refs.chat).incident.viewings == ()
        await fill(pilot, "not_copied", "yes")
        await save(pilot)
        assert "✔ all 9 conditions met" in screen_text(app)


async def test_a_broken_condition_goes_to_the_headteacher_until_they_acknowledge_it(
    app_factory: MakeApp, refs: Refs
) -> None:
    app = app_factory()
    async with app.run_test(size=(120, 40)) as pilot:
        await unlock(pilot)
        await open_incident(pilot, refs.chat)
        await add(pilot, "viewing")
        for name, value in [
            ("viewer", "Dana Lead"), ("viewer_role", "dsl"), ("present", "Hana Head"),
            ("where", "Headteacher's office"), ("on_premises", "yes"),
            ("reason_id", "only_way_to_decide"), ("head_consulted", "no"),
            ("same_sex", "yes"), ("distress_considered", "yes"), ("not_copied", "yes"),
            ("actions", "Decided to refer"),
        ]:  # fmt: skip
            await fill(pilot, name, value)
        await settle(pilot)
        await fill(pilot, "ack.head_consulted", "The Headteacher was at a conference")
        await save(pilot)
        assert "FOR THE HEADTEACHER" in screen_text(app)
        # The DSL's menu has no acknowledgement: it is the Headteacher's alone.
        await pilot.press("a")
        await settle(pilot)
        menu = app.screen
        assert isinstance(menu, MenuDialog)
        assert "viewing.acknowledged" not in [item for item, _ in menu.items]
        await pilot.press("escape")
        await settle(pilot)
        assert "Headteacher has not acknowledged a deliberate viewing" in await home(pilot)

    head = app_factory(user="head")
    async with head.run_test(size=(120, 40)) as pilot:
        await unlock(pilot)
        shown = screen_text(head)
        # The Headteacher's own home: first in Needs attention, and the row's flag.
        assert "‼ A viewing that broke the policy's conditions waits for you." in shown
        assert "‼ viewing: Head" in shown
        assert "Headteacher has not acknowledged a deliberate viewing" in shown
        await open_incident(pilot, refs.chat)
        form = await add(pilot, "viewing.acknowledged")
        viewing = form.query_one(f"#{field_id('viewing_id')}", Select)
        [viewed] = services(head).cases.open(refs.chat).incident.viewings
        assert viewing.value == viewed.event_id
        await fill(pilot, "note", "Discussed with the DSL the next morning; it stands")
        await save(pilot)
        assert "acknowledged by the Head" in screen_text(head)
        shown = await home(pilot)
        assert "Headteacher has not acknowledged a deliberate viewing" not in shown
        assert "waits for you" not in shown and "‼ viewing: Head" not in shown
