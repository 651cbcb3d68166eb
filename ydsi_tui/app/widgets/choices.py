"""A multiple choice list that shows its state in characters, not colour.

Textual's SelectionList and Checkbox tell ticked from unticked by colour
alone; here each line reads ``[x] Sent it`` or ``[ ] Sent it``, and the
highlighted line starts with ``▶`` (:class:`Options`). Space or Enter toggles
the highlighted line; a letter moves to the choice it starts (:class:`Keyed`).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from textual.message import Message
from textual.widgets import OptionList
from textual.widgets.option_list import Option

from ..commands import bindings
from ..text import plain
from .options import Keyed

__all__ = ["ChoiceList"]


class ChoiceList(Keyed):
    """Several choices, each ticked or not; ``selected`` lists the ticked values."""

    BINDINGS = bindings("choices")

    class Changed(Message):
        def __init__(self, choices: ChoiceList) -> None:
            super().__init__()
            self.choices = choices

        @property
        def control(self) -> ChoiceList:
            return self.choices

    def __init__(
        self,
        choices: Sequence[tuple[str, str]],
        selected: Iterable[str] = (),
        *,
        id: str | None = None,
    ) -> None:
        self.choices = tuple(choices)
        self.ticked: set[str] = set(selected)
        super().__init__(*self._choice_options(), id=id)

    def _choice_options(self) -> list[Option]:
        return [
            Option(plain(f"[{'x' if value in self.ticked else ' '}] {label}"), id=value)
            for label, value in self.choices
        ]

    @property
    def selected(self) -> list[str]:
        return [value for _, value in self.choices if value in self.ticked]

    def set_selected(self, values: Iterable[str]) -> None:
        self.ticked = set(values)
        self._redraw()

    def _redraw(self) -> None:
        highlighted = self.highlighted
        self.set_options(self._choice_options())
        if highlighted is not None:
            self.highlighted = highlighted

    def action_tick(self) -> None:
        index = self.highlighted
        if index is None:
            return
        value = self.choices[index][1]
        self.ticked.symmetric_difference_update({value})
        self._redraw()
        self.post_message(self.Changed(self))

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        self.action_tick()
