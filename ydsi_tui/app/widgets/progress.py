"""A one-line progress indicator drawn in characters, not colour.

Textual's ProgressBar tells done from not-yet-done by colour alone (both are
the same line character), which says nothing with ``NO_COLOR``. This one
writes what is happening and how far it is in words and in two different
characters: ``⏳ Checking the incidents: 37 of 120 ▕█████░░░░░░░▏ 31%``.
When the total is not known (rendering a PDF, verifying a backup) a spinner
turns beside the words, so a slow step is never mistaken for a frozen screen.
"""

from __future__ import annotations

from textual.timer import Timer
from textual.widgets import Static

from ..messages import Progressed
from ..text import join

__all__ = ["ProgressLine", "bar"]

SPINNER = "⠋⠙⠹⠸⠼⠴⠦⠧⠇⠏"


def bar(done: int, total: int, width: int = 16) -> str:
    """``▕█████░░░░░░░▏``: filled cells, then empty ones (different characters)."""
    filled = 0 if total <= 0 else min(width, done * width // total)
    return "▕" + "█" * filled + "░" * (width - filled) + "▏"


class ProgressLine(Static):
    """Idle: hidden. Running: the stage, the count and a bar (or a spinner)."""

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__("", id=id, classes="progress-line")
        self.running = False
        self._stage = ""
        self._done = 0
        self._total = 0
        self._turn = 0
        self._timer: Timer | None = None

    def on_mount(self) -> None:
        self.display = False

    def begin(self, stage: str) -> None:
        self.running = True
        self.show(Progressed(stage))

    def show(self, progress: Progressed) -> None:
        if not self.running:
            return
        self._stage, self._done, self._total = progress.stage, progress.done, progress.total
        self.display = True
        if self._total <= 0 and self._timer is None:
            self._timer = self.set_interval(0.12, self._spin, name="progress-spinner")
        elif self._total > 0 and self._timer is not None:
            self._timer.stop()
            self._timer = None
        self._draw()

    def finish(self) -> None:
        """The job is over (done or failed): stop turning and hide."""
        self.running = False
        if self._timer is not None:
            self._timer.stop()
            self._timer = None
        self.display = False

    def _spin(self) -> None:
        self._turn = (self._turn + 1) % len(SPINNER)
        self._draw()

    def _draw(self) -> None:
        if self._total > 0:
            percent = self._done * 100 // self._total
            self.update(
                join(
                    [
                        ("⏳ ", "bold"),
                        f"{self._stage}: {self._done:,} of {self._total:,} ",
                        bar(self._done, self._total),
                        f" {percent}%",
                    ]
                )
            )
        else:
            self.update(join([("⏳ ", "bold"), f"{self._stage}… {SPINNER[self._turn]}"]))
