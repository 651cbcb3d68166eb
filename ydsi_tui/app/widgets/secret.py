"""A passphrase field that shows nothing of what is typed, not even its length.

Textual's password Input draws one bullet per character; over a shoulder
(or in a screen recording) that gives away the length. This one shows a
fixed word once something is typed, and a steady cursor.
"""

from __future__ import annotations

from rich.text import Text
from textual.strip import Strip
from textual.widgets import Input

__all__ = ["SecretInput"]

TYPED = "(typed, hidden)"


class SecretInput(Input):
    def __init__(self, *, id: str | None = None, compact: bool = False) -> None:
        super().__init__(password=True, id=id, placeholder="", compact=compact)

    def render_line(self, y: int) -> Strip:
        width = self.scrollable_content_region.width
        if y != 0:
            return Strip.blank(width, self.rich_style)
        text = Text(TYPED if self.value else "", no_wrap=True, overflow="ellipsis", end="")
        text.stylize(self.get_component_rich_style("input--placeholder"))
        if self.has_focus:
            text.append(" ", self.get_component_rich_style("input--cursor"))
        console = self.app.console
        segments = list(console.render(text, self.app.console_options.update_width(width + 1)))
        strip = Strip(segments).crop(0, width + 1).extend_cell_length(width + 1)
        return strip.apply_style(self.rich_style)
