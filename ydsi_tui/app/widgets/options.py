"""Lists and dropdowns whose highlighted option is marked by a character.

Textual's OptionList and the list a Select drops down show the highlighted
option by its background colour (and bold, in some themes). Without colour
(``NO_COLOR``, a monochrome terminal, a plain ``tmux capture-pane``) nobody
can tell which option Enter will pick. Here the highlighted option also
starts with ``▶`` (``>`` on the Linux console, see glyphs.py), in a column
the styles keep free for it (``styles/base.tcss``: the options' left padding).

:class:`Options` replaces OptionList everywhere in the app (the home screen's
attention list, the steps, menus, drafts, the reports list, and through
:class:`~ydsi_tui.app.widgets.choices.ChoiceList` every checkbox list);
:class:`Dropdown` replaces Select.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from rich.segment import Segment
from rich.style import Style
from textual import events
from textual.strip import Strip
from textual.widgets import OptionList, Select

# The list a Select drops down is not exported by Textual; Textual is pinned
# exactly, and tests/app/test_no_color.py opens a Dropdown and reads the mark.
from textual.widgets._select import SelectCurrent, SelectOverlay

from ..glyphs import HIGHLIGHT

if TYPE_CHECKING:
    from textual.app import ComposeResult

__all__ = ["Dropdown", "Options", "marked"]


def _option_at(strip: Strip) -> int | None:
    """Which option a rendered line belongs to (OptionList tags each line's style)."""
    for segment in strip:
        if segment.style is not None:
            index = segment.style.meta.get("option")
            if isinstance(index, int):
                return index
    return None


def marked(strip: Strip) -> Strip:
    """``strip`` with its first two cells (the options' left padding) made ``▶ ``."""
    first = next(iter(strip), None)
    style = first.style if first is not None else None
    rest = strip.crop(2, strip.cell_length)
    return Strip([Segment(HIGHLIGHT + " ", style), *rest], strip.cell_length)


_REVERSE = Style(reverse=True)


class _MarksHighlight(OptionList):
    """The mark on the first line of the highlighted option (the first one visible).

    Under ``NO_COLOR`` the highlighted option of the focused list is also in
    reverse video: Textual's component styles drop ``reverse`` (it shows the
    highlight by colour only), so it is applied here, to the drawn line.
    """

    def render_line(self, y: int) -> Strip:
        strip = super().render_line(y)
        highlighted = self.highlighted
        if highlighted is None or _option_at(strip) != highlighted:
            return strip
        if self.app.no_color and self.has_focus:
            strip = strip.apply_style(_REVERSE)
        if y > 0 and _option_at(super().render_line(y - 1)) == highlighted:
            return strip  # a wrapped option's second line
        return marked(strip)


class Options(_MarksHighlight):
    """An OptionList whose highlighted option is marked with ``▶``."""


class DropdownList(SelectOverlay, _MarksHighlight):
    """The list a Dropdown opens, marked the same way."""


class Dropdown(Select[str]):
    """A Select whose open list marks the highlighted option with ``▶``."""

    def compose(self) -> ComposeResult:
        # Select.compose, with the marked list in place of SelectOverlay.
        yield SelectCurrent(self.prompt)
        overlay = DropdownList(type_to_search=self._type_to_search)
        yield overlay.data_bind(compact=Select.compact)


class KeyedDropdown(Dropdown):
    """A Dropdown whose options are also chosen, closed, by one letter each.

    A yes/no/unknown answer by Enter, arrows and Enter took four keys; the
    triggers form asks five of them in a row (issue 11, finding 4).
    """

    def __init__(self, *args: Any, letters: Mapping[str, str], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.letters = dict(letters)

    def on_key(self, event: events.Key) -> None:
        value = self.letters.get((event.character or "").lower())
        if value is not None and not self.expanded:
            event.stop()
            event.prevent_default()
            self.value = value
