"""The school's own term and INSET dates: a vault setting a DSL approves (issue 14).

School-day deadlines (a transfer's receipt, due in 5 school days) count only
days the school is open. Bank holidays ship with the program; terms and INSET
days are each school's own, so a DSL writes them in a small TOML file and
approves it (``ydsi calendar set FILE``). The dates go into the vault's signed
header, like the policy pin: they move deadlines, so nobody else can change
them, and every change is an audit entry (``vault.settings``). Everyone's
deadlines then use them; nobody's config file can.

The file::

    terms = [["2026-09-03", "2026-10-23"], ["2026-11-02", "2026-12-18"]]
    inset = ["2026-09-03", "2026-11-02"]
"""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import TYPE_CHECKING

from ..model.errors import ValidationError
from ..model.schoolyear import SchoolCalendar

if TYPE_CHECKING:
    from ..vault.header import Header
    from ..vault.session import Session

__all__ = ["CalendarFileError", "approve_calendar", "read_calendar_file", "vault_calendar"]


class CalendarFileError(ValueError):
    """A calendar file that cannot be approved: says which file and why."""


def vault_calendar(header: Header) -> SchoolCalendar | None:
    """The calendar a DSL approved for this vault, or None (bank holidays only)."""
    if header.calendar is None:
        return None
    try:
        return SchoolCalendar.from_doc(
            {"terms": header.calendar["terms"], "inset": header.calendar["inset"]}
        )
    except ValidationError:
        return None  # signed, so only a DSL's ydsi of another version could write it


def read_calendar_file(path: Path) -> SchoolCalendar:
    """Parse and check a calendar file; CalendarFileError names the file and the problem."""
    try:
        doc = tomllib.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise CalendarFileError(f"{path}: cannot be read ({exc.strerror})") from None
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise CalendarFileError(f"{path}: not a TOML file ({exc})") from None
    try:
        return SchoolCalendar.from_doc(doc)
    except ValidationError as exc:
        raise CalendarFileError(f"{path}: {exc.message}") from None


def approve_calendar(session: Session, calendar: SchoolCalendar | None) -> bool:
    """Put ``calendar`` (None: none) in the vault's signed header; a DSL only."""
    return session.approve_calendar(None if calendar is None else dict(calendar.to_doc()))
