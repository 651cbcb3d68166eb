"""The one-line bars: the top bar (where you are, DEMO, your role) and the pane bar.

Both say everything in words and symbols as well as colour: the active pane
is marked with arrows, DEMO is spelt out.
"""

from __future__ import annotations

from collections.abc import Sequence

from textual.reactive import reactive
from textual.widgets import Static

from ..text import join, styled

__all__ = ["PaneBar", "TopBar"]


class TopBar(Static):
    """`` ydsi │ DEMO │ Incident 2026-001 │ DSL``: never a person's name or a note."""

    place: reactive[str] = reactive("", layout=False)

    def __init__(self, place: str = "", *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.set_reactive(TopBar.place, place)

    def on_mount(self) -> None:
        self._show()

    def watch_place(self) -> None:
        self._show()

    def _show(self) -> None:
        app = self.app
        demo = bool(getattr(app, "demo", False))
        role = str(getattr(app, "role_name", "") or "")
        parts: list[object] = [(" ydsi ", "bold")]
        if demo:
            parts += ["│", (" DEMO: made-up people ", "bold reverse")]
        if self.place:
            parts += ["│ ", self.place, " "]
        if role:
            parts += ["│ ", role, " "]
        self.update(join(parts))  # type: ignore[arg-type]


class PaneBar(Static):
    """`` 1 Guide │▶2 Timeline◀│ 3 Triggers ...``: the number is the key."""

    active: reactive[str] = reactive("", layout=False)

    def __init__(self, panes: Sequence[tuple[str, str]], *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.panes = tuple(panes)

    def on_mount(self) -> None:
        self._show()

    def watch_active(self) -> None:
        self._show()

    def _show(self) -> None:
        pieces = []
        for number, (pane_id, title) in enumerate(self.panes, start=1):
            if pane_id == self.active:
                pieces.append(styled(f"▶{number} {title}◀", "bold reverse"))
            else:
                pieces.append(styled(f" {number} {title} ", ""))
        self.update(join(pieces, "│"))
