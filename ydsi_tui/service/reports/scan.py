"""Walking every incident, for reports that need more than the stored summaries.

Listing reads only the small summaries; the inspection check, governors'
figures, retention and subject access need the folded record. They decrypt
each incident in memory *without* logging a read (nothing of its content is
shown, only what is missing, counts or dates); a report that shows content
opens each incident it shows with :meth:`CaseBook.open`, which logs the read. A damaged
file never stops a report: it is returned as a problem to show.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass

from ...model.errors import ValidationError
from ...vault.errors import VaultError
from ..casebook import CaseBook, IncidentView

__all__ = ["Progress", "Scanned", "each_incident"]

#: ``progress(done, total)``, for the app's progress indicator.
Progress = Callable[[int, int], None]


@dataclass(frozen=True)
class Scanned:
    """One incident: its view, or why it could not be read."""

    ref: str
    view: IncidentView | None
    error: str = ""


def each_incident(cases: CaseBook, progress: Progress | None = None) -> Iterator[Scanned]:
    """Every incident, oldest first, opened without logging a read."""
    rows = sorted(cases.rows(), key=lambda row: row.ref)
    total = len(rows)
    for index, row in enumerate(rows, start=1):
        if row.error is not None:
            yield Scanned(row.ref, None, row.error)
        else:
            try:
                yield Scanned(row.ref, cases.open(row.ref, log=False))
            except (VaultError, ValidationError) as exc:
                yield Scanned(row.ref, None, str(exc))
        if progress is not None:
            progress(index, total)
