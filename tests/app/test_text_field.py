"""A multi-line field drawn before its styles exist is drawn blank, not a crash.

CI saw the staff report form stop with "ydsi stopped on an internal error"
(KeyError: No 'text-area--gutter' key in COMPONENT_CLASSES, Textual issues 6208
and 6528): Textual's TextArea drew before the stylesheet had reached it. The
timing cannot be forced from outside, so the early state is made by hand: the
component styles taken away, as they are before the first styling.
"""

from __future__ import annotations

import pytest
from textual.app import App, ComposeResult
from textual.geometry import Region
from textual.widgets import TextArea

from ydsi_tui.app.widgets.text_area import TextField


class _Holder(App[None]):
    def compose(self) -> ComposeResult:
        yield TextArea("typed words", id="plain")
        yield TextField("typed words", id="field")


async def test_drawn_before_its_styles_a_field_is_blank_and_drawn_again() -> None:
    app = _Holder()
    async with app.run_test(size=(40, 12)) as pilot:
        await pilot.pause()
        plain = app.query_one("#plain", TextArea)
        field = app.query_one("#field", TextField)
        crop = Region(0, 0, 20, 2)
        assert "typed words" in "".join(s.text for s in field.render_lines(crop))
        for area in (plain, field):
            area._component_styles.clear()  # as before the stylesheet reaches it
            area._rich_style_cache.clear()
        with pytest.raises(KeyError, match="COMPONENT_CLASSES"):
            plain.render_lines(crop)  # Textual's own: the crash CI saw
        strips = field.render_lines(crop)
        assert [s.text for s in strips] == [" " * 20, " " * 20]
        app.stylesheet.update(app)  # the stylesheet reaches it: drawn as typed
        await pilot.pause()
        assert "typed words" in "".join(s.text for s in field.render_lines(crop))
