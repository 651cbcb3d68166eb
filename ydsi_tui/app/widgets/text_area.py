"""The app's multi-line field: Textual's TextArea, which may not crash when drawn early.

Textual's TextArea applies its theme's component styles when it draws; drawn
before the stylesheet has given it those styles, it raises ``KeyError: No
'text-area--gutter' key in COMPONENT_CLASSES`` (Textual issues 6208 and 6528).
It depends on timing: CI saw the staff report form stop on it once in a full
run, with "ydsi stopped on an internal error". That draw is left blank and the
field drawn again on the next refresh, when its styles are there.
"""

from __future__ import annotations

from textual.geometry import Region
from textual.strip import Strip
from textual.widgets import TextArea

__all__ = ["TextField"]


class TextField(TextArea):
    """A TextArea that waits for its styles rather than stopping the app."""

    def render_lines(self, crop: Region) -> list[Strip]:
        try:
            return super().render_lines(crop)
        except KeyError as error:
            if "COMPONENT_CLASSES" not in str(error):
                raise  # not the early draw: a real fault, not to be hidden
            self.refresh()
            return [Strip.blank(crop.width) for _ in range(crop.height)]
