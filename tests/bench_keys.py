"""Keystroke count: prints figures; it never passes or fails on a count.

    python -m tests.bench_keys

Issue 11, finding 4: the walk counted about 59 control keys plus the text to
log one disclosure with two pupils, five separate trigger forms and seven
risk-question forms (per young person) of 8 to 10 keys each, and no dropdown
could be chosen by typing a letter. This drives the real app (headless,
80x24, on the seeded test vault, unlock excluded) through one fixed
scenario, :data:`SCENARIO`: a disclosure with two pupils on the new-incident
form, the five triggers, then the risk questions for each young person;
twice:

* before: dropdowns by Enter, arrows to the option, Enter; lists by arrows;
  one form per trigger (Enter on each row of the Triggers pane opened it, now
  the Add menu's "Answer trigger" does) and per risk question (the decision
  step's Add menu);
* after: type-to-select (one letter, see widgets/options.py), ``t`` for the
  five triggers in one form and ``k`` for each young person's risk questions.

Every control key (Tab, Enter, arrows, space, letters that choose, F-keys,
Esc and the screen's letter keys) goes through :func:`Keys.press` and is
counted; typed text is set into its field and not counted (it is the same
both ways). Where letters are allowed, an option is reached by whichever
takes fewer keys, its letter or the arrows, as a person would.
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
#: The risk questions' answers, the same for each young person (question id, answer).
RISKS: Sequence[tuple[str, str]] = (
    ("why_shared", "sent when asked; no pressure described"),
    ("who_where", "shared in the Year 10 group chat"),
    ("adults", "none known"),
    ("impact", "upset; talked to the school nurse"),
    ("vulnerabilities", "none known to the school"),
    ("consent", "yes, explained in their own words"),
    ("before", "not that the school knows"),
)
SCENARIO = {"disclosure": DISCLOSURE, "triggers": TRIGGERS, "risks": RISKS}


class Keys:
    """Presses keys on the app and counts them; ``letters``: type-to-select allowed."""

    def __init__(self, pilot: Pilot[Any], *, letters: bool) -> None:
        self.pilot = pilot
        self.letters = letters
        self.count = 0

    async def press(self, *keys: str) -> None:
        from tests.app.conftest import settle

        for key in keys:
            self.count += 1
            await self.pilot.press(key)
            await settle(self.pilot)

    def _by_letter(self, labels: Sequence[str], here: int | None, there: int) -> list[str]:
        """The letters that move from ``here`` to ``there`` (empty: none would)."""
        from ydsi_tui.app.widgets.options import initial, next_match

        if not self.letters:
            return []
        char = initial(labels[there])
        keys: list[str] = []
        while here != there and char and len(keys) < len(labels):
            here = next_match(labels, here, char)
            keys.append(char)
        return keys if here == there else []

    async def pick(self, options: Any, there: int) -> None:
        """Move an option list (a menu, a checkbox list) to option ``there``."""
        here = options.highlighted if options.highlighted is not None else 0
        labels = [options.get_option_at_index(i).prompt.plain for i in range(options.option_count)]
        arrows = ["down" if there > here else "up"] * abs(there - here)
        letters = self._by_letter(labels, options.highlighted, there)
        await self.press(*(letters if letters and len(letters) < len(arrows) else arrows))
        if options.highlighted != there:
            raise RuntimeError(f"reached option {options.highlighted}, not {there}")

    async def menu(self, item: str) -> None:
        """Choose ``item`` in the open menu."""
        from ydsi_tui.app.screens.dialogs import MenuDialog

        menu = self.pilot.app.screen
        if not isinstance(menu, MenuDialog):
            raise RuntimeError(f"no menu, but {menu!r}")
        await self.pick(menu.query_one("#menu"), [i for i, _ in menu.items].index(item))
        await self.press("enter")

    async def dropdown(self, target: Any, value: object) -> None:
        from textual.widgets import Select

        options = [(label, v) for label, v in target._options if v is not Select.NULL]
        values = [v for _, v in options]
        there = values.index(value)
        current = values.index(target.value) if target.value in values else None
        named = [k for k, v in target.letters.items() if v == value] if self.letters else []
        letters = named[:1] or self._by_letter([str(label) for label, _ in options], current, there)
        # Opened, the list starts on the value chosen, else on the blank prompt (first).
        blank = 1 if target._allow_blank else 0
        at = current + blank if current is not None else 0
        opened = abs(there + blank - at) + 2
        if letters and len(letters) <= opened:
            await self.press(*letters)
        else:
            await self.press("enter")
            overlay = target.query_one("SelectOverlay")
            at = overlay.highlighted or 0
            goal = there + blank
            await self.press(*["down" if goal > at else "up"] * abs(goal - at), "enter")
        if target.value != value:
            raise RuntimeError(f"chose {target.value!r}, not {value!r}")

    async def fill(self, values: Sequence[tuple[str, object]]) -> None:
        """Fill a form's fields in order, moving with Tab, then save with F2."""
        from ydsi_tui.app.formspec import field_id
        from ydsi_tui.app.widgets.choices import ChoiceList

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
            elif isinstance(target, Select):
                await self.dropdown(target, value)
            elif isinstance(target, ChoiceList):
                for wanted in value:  # type: ignore[attr-defined]
                    index = [v for _, v in target.choices].index(wanted)
                    await self.pick(target, index)
                    await self.press("space")
        await self.press("f2")


async def _run(path: Path, *, new: bool) -> tuple[int, int, int]:
    """(disclosure, triggers, risks) control keys, the old way or the new."""
    from tests.app.conftest import CLOCK, PASS, TEST_SETTINGS, unlock
    from ydsi_tui.app.formspec import risk_field
    from ydsi_tui.app.main import make_app
    from ydsi_tui.app.screens.forms import FormScreen
    from ydsi_tui.app.screens.incident import IncidentScreen
    from ydsi_tui.app.widgets.panes import GuidePane, TriggersPane

    app = make_app(path, user="dsl", settings=TEST_SETTINGS, clock=CLOCK)
    async with app.run_test(size=(80, 24)) as pilot:
        await unlock(pilot, PASS)  # excluded
        keys = Keys(pilot, letters=new)

        def saved(what: str) -> IncidentScreen:
            screen = app.screen
            if not isinstance(screen, IncidentScreen):
                raise RuntimeError(f"{what} not saved: {getattr(screen, 'errors', screen)}")
            return screen

        await keys.press("n")
        await keys.fill(DISCLOSURE)
        saved("the disclosure")
        disclosure = keys.count
        await keys.press("3")
        if new:
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
                await keys.press("a")
                await keys.menu("trigger.answered")
                if not isinstance(app.screen, FormScreen):
                    raise RuntimeError(f"no form for trigger {n}")
                await keys.fill([("answer", answer), ("basis", basis)])
                saved(f"trigger {n}")
        screen = saved("the triggers")
        triggers = keys.count - disclosure
        assert screen.view is not None
        answered = {n: a.answer for n, a in screen.view.incident.triggers.items()}
        if answered != {n: answer for n, answer, _ in TRIGGERS}:
            raise RuntimeError(f"saved {answered}")
        pupils = list(screen.view.incident.pupils)
        if new:
            for pupil_id in pupils:
                await keys.press("k")
                await keys.menu(pupil_id)
                await keys.fill([(risk_field(q), answer) for q, answer in RISKS])
                saved("the risk questions")
        else:
            await keys.press("1")
            for pupil_id in pupils:
                for question, answer in RISKS:
                    guide = app.screen.query_one(GuidePane)
                    assert guide.view is not None
                    ids = [s.step.id for s in guide.view.steps]
                    await keys.pick(guide.query_one("#steps"), ids.index("risks"))
                    await keys.press("a")
                    await keys.menu("risk.answered")
                    await keys.fill([("pupil_id", pupil_id), ("question_id", question),
                                     ("answer", answer)])  # fmt: skip
                    saved(f"risk question {question}")
        screen = saved("the risk questions")
        assert screen.view is not None
        risks = keys.count - disclosure - triggers
        for pupil_id in pupils:
            got = {
                q: e.text("answer") for q, e in screen.view.incident.risk_answers[pupil_id].items()
            }
            if got != dict(RISKS):
                raise RuntimeError(f"saved {got}")
        return disclosure, triggers, risks


def main() -> int:
    import shutil

    from tests.app.conftest import _seed

    with tempfile.TemporaryDirectory() as tmp:
        template = Path(tmp) / "template"
        _seed(template)
        figures = {}
        for new in (False, True):
            path = Path(tmp) / f"vault-{new}"
            shutil.copytree(template, path, symlinks=True)
            figures[new] = asyncio.run(_run(path, new=new))
    old, new_ = figures[False], figures[True]
    print("Scenario 'disclosure with two pupils', then the five triggers and the risk")
    print("questions for both young people (control keys; typed text not counted)")
    print(f"{'':50}{'old way':>9}{'new way':>9}")
    rows = [
        ("disclosure with two pupils (new-incident form)", 0),
        ("five triggers (five forms / one form, t)", 1),
        ("risk questions, 2 x 7 (14 forms / 2 forms, k)", 2),
    ]
    for label, i in rows:
        print(f"  {label:48}{old[i]:>9}{new_[i]:>9}")
    print(f"  {'total':48}{sum(old):>9}{sum(new_):>9}")
    print("  old way: no type-to-select, one form per entry; new: letters, t and k")
    return 0


if __name__ == "__main__":
    sys.exit(main())
