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
:class:`Dropdown` replaces Select; the command palette's list is marked the
same way (palette.py).

Type to select (issue 11, finding 4: typing ``p`` in "Who disclosed" chose
nothing): a letter or digit on a closed :class:`Dropdown`, a menu
(:class:`Keyed`) or a checkbox list moves to the next option whose first
word (past "the", "a", "an") starts with it, again and again round the list.
One key, no timer: Textual's own search in an open list resets after 0.7 s,
which a burst of keys over SSH does not respect.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
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

__all__ = ["Dropdown", "Keyed", "MarksHighlight", "Options", "initial", "marked", "next_match"]

#: Words an option's letter skips: "The young person" is chosen by y, "A friend" by f.
_ARTICLES = frozenset({"the", "a", "an"})


def initial(label: str) -> str:
    """The character an option is chosen by: the first letter or digit of its first
    word, past a leading article ("1. The incident..." is 1, "The police" is p)."""
    words = label.split()
    while len(words) > 1 and words[0].lower() in _ARTICLES:
        words = words[1:]
    for word in words:
        for char in word:
            if char.isalnum():
                return char.lower()
    return ""


def next_match(labels: Sequence[str], current: int | None, char: str) -> int | None:
    """The first option after ``current`` (wrapping round) chosen by ``char``, if any."""
    key = char.lower()
    count = len(labels)
    start = -1 if current is None else current
    for step in range(1, count + 1):
        index = (start + step) % count
        if initial(labels[index]) == key:
            return index
    return None


def _typed(event: events.Key) -> str | None:
    """The letter or digit a key types, if that is all it does (no ctrl, no F-key)."""
    char = event.character
    if char is None or len(char) != 1 or not char.isalnum() or event.key.startswith("ctrl+"):
        return None
    return char


def _prompt_text(prompt: object) -> str:
    return prompt.plain if hasattr(prompt, "plain") else str(prompt)


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


class MarksHighlight(OptionList):
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


class Options(MarksHighlight):
    """An OptionList whose highlighted option is marked with ``▶``."""


class Keyed(Options):
    """Options where a letter or digit moves to the next option it starts (see
    :func:`initial`); for lists on screens whose letters are not keys of their own
    (menus, checkbox lists; not the home screen, where n is a new incident)."""

    def check_consume_key(self, key: str, character: str | None = None) -> bool:
        return character is not None and len(character) == 1 and character.isalnum()

    def on_key(self, event: events.Key) -> None:
        char = _typed(event)
        if char is None:
            return
        event.stop()
        event.prevent_default()
        labels = [_prompt_text(self.get_option_at_index(i).prompt)
                  for i in range(self.option_count)]  # fmt: skip
        index = next_match(labels, self.highlighted, char)
        if index is not None:
            self.highlighted = index


class DropdownList(SelectOverlay, MarksHighlight):
    """The list a Dropdown opens, marked the same way."""


class Dropdown(Select[str]):
    """A Select whose open list marks the highlighted option with ``▶``, and whose
    options are chosen, closed, by typing their letter (one key, not four).

    ``letters`` names an option's letter where its label's would not do (the
    triggers' yes, no and not yet known: y, n, u); other letters and digits
    choose by :func:`initial`.
    """

    def __init__(self, *args: Any, letters: Mapping[str, str] | None = None,
                 **kwargs: Any) -> None:  # fmt: skip
        super().__init__(*args, **kwargs)
        self.letters = dict(letters or {})

    def compose(self) -> ComposeResult:
        # Select.compose, with the marked list in place of SelectOverlay.
        yield SelectCurrent(self.prompt)
        overlay = DropdownList(type_to_search=self._type_to_search)
        yield overlay.data_bind(compact=Select.compact)

    def check_consume_key(self, key: str, character: str | None = None) -> bool:
        return character is not None and len(character) == 1 and character.isalnum()

    def choice_for(self, char: str) -> str | None:
        """The value the letter ``char`` chooses from where the dropdown is now."""
        named = self.letters.get(char.lower())
        if named is not None:
            return named
        options = [(_prompt_text(prompt), value) for prompt, value in self._options
                   if value is not Select.NULL]  # fmt: skip
        values = [value for _, value in options]
        current = values.index(self.value) if self.value in values else None
        index = next_match([label for label, _ in options], current, char)
        return None if index is None else str(values[index])

    def on_key(self, event: events.Key) -> None:
        char = _typed(event)
        if char is None or self.expanded:
            return
        event.stop()
        event.prevent_default()
        value = self.choice_for(char)
        if value is not None:
            self.value = value
