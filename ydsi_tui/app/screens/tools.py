"""What the report and records screens share: slow jobs with a progress line.

A :class:`ToolScreen` runs one job at a time in a thread worker
(:func:`~ydsi_tui.app.jobs.start_job`), shows its progress on its
:class:`~ydsi_tui.app.widgets.progress.ProgressLine`, and hands the result
to the function given when the job was started. A refusal comes back as the
service's own words in the error dialog (never a traceback); while the app
is locked nothing pops up.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from ..jobs import Job, start_job
from ..messages import Failed, JobDone, Progressed, VaultChanged
from ..widgets.progress import ProgressLine
from .base import AppScreen

if TYPE_CHECKING:
    pass

__all__ = ["ToolScreen"]


class ToolScreen(AppScreen[None]):
    """A screen whose work is slow: ``run_job(what, job, then)``."""

    def __init__(self) -> None:
        super().__init__()
        self.busy = False
        self.writing = False
        self._then: dict[str, Callable[[Any], None]] = {}

    @property
    def progress(self) -> ProgressLine:
        return self.query_one(ProgressLine)

    def run_job(
        self, what: str, job: Job, then: Callable[[Any], None], *, write: bool = False
    ) -> bool:
        """Start ``job`` unless one is running; ``then(result)`` runs on the UI thread."""
        if self.busy:
            self.notify("Still working on the last request: wait for it to finish.",
                        markup=False)  # fmt: skip
            return False
        self.busy = True
        self.writing = write
        self._then[what] = then
        self.progress.begin(what[:1].upper() + what[1:])
        start_job(self, self.ydsi, what, job, write=write)
        self.refresh_bindings()
        return True

    def on_progressed(self, message: Progressed) -> None:
        self.progress.show(message)

    def on_job_done(self, message: JobDone) -> None:
        self.busy = False
        self.progress.finish()
        self.refresh_bindings()
        then = self._then.pop(message.what, None)
        if then is not None:
            then(message.result)

    def on_failed(self, message: Failed) -> None:
        self.busy = False
        self.progress.finish()
        self.refresh_bindings()
        self._then.pop(message.what, None)
        handled = self.job_failed(message)
        if not handled and message.error_type != "Locked" and not self.ydsi.locked:
            self.ydsi.show_error(message)

    def job_failed(self, message: Failed) -> bool:
        """Say on the screen that the job failed; True if that says it all (no dialog)."""
        return False

    def on_vault_changed(self, message: VaultChanged) -> None:
        self.reload()

    def reload(self) -> None:
        """Read again (another user wrote, or the app was unlocked again)."""

    def action_refresh(self) -> None:
        self.reload()

    def action_back(self) -> None:
        """Back; not while a write is under way (its outcome must be seen)."""
        if self.busy and self.writing:
            self.notify("Wait: this is being written.", markup=False)
            return
        self.dismiss(None)
