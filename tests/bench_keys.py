"""Keystroke count: prints figures; it never passes or fails on a count.

    python -m tests.bench_keys

Issue 11, finding 4: the walk counted about 59 control keys plus the text to
log one disclosure with two pupils, with five separate trigger forms of 8 to
10 keys each. This drives the real app (headless, 80x24, on the seeded test
vault, unlock excluded) through one fixed scenario, :data:`SCENARIO`: a
disclosure with two pupils on the new-incident form, then the five triggers,
first the old way (Enter on each row of the Triggers pane, one form each) and
then the new (``t``: every trigger in one form). Every control key (Tab,
Enter, arrows, space, F-keys, Esc and the screen's letter keys) goes through
:func:`Keys.press` and is counted; typed text is set into its field and not
counted (it is the same both ways). A dropdown is chosen by Enter, arrows to
the option, Enter, as a person would without type-to-select.
"""

from __future__ import annotations

import asyncio
import sys
import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from textual.pilot import Pilot
from textual.widgets import Input, Select, TextArea

#: The scenario, fixed so that before and after compare: (field, value) in form order.
DISCLOSURE: Sequence[tuple[str, object]] = (
    ("summary", "Image of a Year 10 pupil shared by a classmate"),
    ("discloser_type", "young_person"),
    ("discloser_name", "Ann Example"),
    ("to_whom", "Form tutor Mr T. Example"),
    ("how", "Told the form tutor at break"),
    ("pupils.1.name", "Ann Example"),
    ("pupils.1.born", "10"),
    ("pupils.1.sex", "female"),
    ("pupils.1.parts", ["pictured", "sent"]),
    ("pupils.1.sen", "no"),
    ("pupils.2.name", "Ben Example"),
    ("pupils.2.born", "10"),
    ("pupils.2.sex", "male"),
    ("pupils.2.parts", ["received"]),
    ("pupils.2.sen", "no"),
)
#: The five triggers' answers and bases.
TRIGGERS: Sequence[tuple[int, str, str]] = (
    (1, "no", "no adult involved: both pupils are 15"),
    (2, "no", "no coercion or blackmail described by either pupil"),
    (3, "no", "nothing violent in the description"),
    (4, "no", "both pupils are 15"),
    (5, "no", "no immediate risk of harm known"),
)
SCENARIO = {"disclosure": DISCLOSURE, "triggers": TRIGGERS}


class Keys:
    """Presses keys on the app and counts them."""

    def __init__(self, pilot: Pilot[Any]) -> None:
        self.pilot = pilot
        self.count = 0

    async def press(self, *keys: str) -> None:
        from tests.app.conftest import settle

        for key in keys:
            self.count += 1
            await self.pilot.press(key)
            await settle(self.pilot)

    async def fill(self, values: Sequence[tuple[str, object]]) -> None:
        """Fill a form's fields in order, moving with Tab, then save with F2."""
        from ydsi_tui.app.formspec import field_id
        from ydsi_tui.app.widgets.choices import ChoiceList
        from ydsi_tui.app.widgets.options import KeyedDropdown

        app = self.pilot.app
        for name, value in values:
            target = app.screen.query_one(f"#{field_id(name)}")
            for _ in range(80):
                if app.focused is target:
                    break
                await self.press("tab")
            else:
                raise RuntimeError(f"never reached {name}")
            if isinstance(target, Input):
                target.value = str(value)  # typed text: not counted
            elif isinstance(target, TextArea):
                target.text = str(value)
            elif isinstance(target, KeyedDropdown):
                letter = next(k for k, v in target.letters.items() if v == value)
                await self.press(letter)
            elif isinstance(target, Select):
                await self.press("enter")
                values_in_list = [v for _, v in target._options]
                overlay = target.query_one("SelectOverlay")
                here = overlay.highlighted or 0  # type: ignore[attr-defined]
                there = values_in_list.index(value)
                step = "down" if there > here else "up"
                await self.press(*[step] * abs(there - here), "enter")
                if target.value != value:
                    raise RuntimeError(f"{name}: chose {target.value!r}, not {value!r}")
            elif isinstance(target, ChoiceList):
                wanted = [target.choices.index(next(c for c in target.choices if c[1] == v))
                          for v in value]  # type: ignore[attr-defined]  # fmt: skip
                for index in wanted:
                    here = target.highlighted if target.highlighted is not None else 0
                    step = "down" if index > here else "up"
                    await self.press(*[step] * abs(index - here), "space")
        await self.press("f2")


async def _run(path: Path, *, one_form: bool) -> tuple[int, int]:
    from tests.app.conftest import CLOCK, PASS, TEST_SETTINGS, unlock
    from ydsi_tui.app.main import make_app
    from ydsi_tui.app.screens.forms import FormScreen
    from ydsi_tui.app.screens.incident import IncidentScreen
    from ydsi_tui.app.widgets.panes import TriggersPane

    app = make_app(path, user="dsl", settings=TEST_SETTINGS, clock=CLOCK)
    async with app.run_test(size=(80, 24)) as pilot:
        await unlock(pilot, PASS)  # excluded
        keys = Keys(pilot)
        await keys.press("n")
        await keys.fill(DISCLOSURE)
        if not isinstance(app.screen, IncidentScreen):
            raise RuntimeError(f"the disclosure was not saved: {getattr(app.screen, 'errors', '')}")
        disclosure = keys.count
        await keys.press("3")
        if one_form:
            await keys.press("t")
            rows: list[tuple[str, object]] = []
            for n, answer, basis in TRIGGERS:
                rows += [(f"t{n}.answer", answer), (f"t{n}.basis", basis)]
            await keys.fill(rows)
        else:
            for n, answer, basis in TRIGGERS:
                pane = app.screen.query_one(TriggersPane)
                for _ in range(10):
                    if pane.trigger_n == n:
                        break
                    await keys.press("down" if (pane.trigger_n or 0) < n else "up")
                await keys.press("enter")
                if not isinstance(app.screen, FormScreen):
                    raise RuntimeError(f"no form for trigger {n}")
                await keys.fill([("answer", answer), ("basis", basis)])
                if not isinstance(app.screen, IncidentScreen):
                    raise RuntimeError(f"trigger {n} not saved: {app.screen.errors}")  # type: ignore[attr-defined]
        screen = app.screen
        if not isinstance(screen, IncidentScreen) or screen.view is None:
            raise RuntimeError("the triggers were not saved")
        answered = {n: a.answer for n, a in screen.view.incident.triggers.items()}
        if answered != {n: answer for n, answer, _ in TRIGGERS}:
            raise RuntimeError(f"saved {answered}")
        return disclosure, keys.count - disclosure


def main() -> int:
    from tests.app.conftest import _seed

    with tempfile.TemporaryDirectory() as tmp:
        template = Path(tmp) / "template"
        _seed(template)
        figures = {}
        for one_form in (False, True):
            import shutil

            path = Path(tmp) / f"vault-{one_form}"
            shutil.copytree(template, path, symlinks=True)
            figures[one_form] = asyncio.run(_run(path, one_form=one_form))
    (d_old, t_old), (d_new, t_new) = figures[False], figures[True]
    print("Scenario: disclosure with two pupils, then the five triggers (control keys)")
    print(f"  disclosure with two pupils (new-incident form): {d_old}")
    print(f"  five triggers, before (five forms):             {t_old}")
    print(f"  five triggers, after (one form, key t):         {t_new}")
    print(f"  total before: {d_old + t_old}   total after: {d_new + t_new}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
