"""What thread workers report back. Workers never touch widgets: they post these.

The handlers (on the screen that started the work, or on the app) own every
change of state. A failure carries a message fit for the user, never a
traceback: the error classes of the vault and the model are written to be
shown (they name files and fields, never record content).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from textual.message import Message

if TYPE_CHECKING:
    from ..service.casebook import IncidentRow, IncidentView
    from ..service.devices import DeviceRow, DeviceView
    from ..service.factory import Services
    from ..service.register import LinkedPupil, RegisterRow
    from ..vault.drafts import Draft
    from ..vault.session import Session
    from ..vault.vault import Vault
    from .loading import HomeData

__all__ = [
    "DeviceLoaded",
    "DevicesLoaded",
    "DraftsFound",
    "Failed",
    "IncidentLoaded",
    "IncidentsLoaded",
    "JobDone",
    "LinkOffered",
    "Progressed",
    "PupilsLinked",
    "RegisterLinkChanged",
    "Saved",
    "StaffReportsArrived",
    "Unlocked",
    "VaultChanged",
    "VaultOpened",
]


@dataclass(repr=False)
class VaultOpened(Message, bubble=False):
    """The vault was opened (``vault`` set), or could not be (``error`` says why)."""

    vault: Vault | None
    users: list[str]
    error: str | None = None


@dataclass(repr=False)
class Unlocked(Message, bubble=False):
    """The keys are open; ``home`` is the first home screen, read in the same thread."""

    session: Session
    services: Services
    head: int = 0
    home: HomeData | None = None


@dataclass(repr=False)
class DraftsFound(Message, bubble=False):
    """Drafts to offer, and how many files were discarded because they did not verify."""

    drafts: list[Draft]
    discarded: int = 0


@dataclass(repr=False)
class Failed(Message, bubble=False):
    """A job failed; ``message`` is one line for the user, ``field`` the form field if any."""

    what: str
    message: str
    field: str | None = None
    error_type: str = ""


@dataclass(repr=False)
class IncidentsLoaded(Message, bubble=False):
    rows: list[IncidentRow]
    device_rows: list[DeviceRow]
    attention: list[tuple[str, str]]
    generation: int = 0


@dataclass(repr=False)
class IncidentLoaded(Message, bubble=False):
    view: IncidentView
    devices: list[DeviceView]
    generation: int = 0


@dataclass(repr=False)
class PupilsLinked(Message, bubble=False):
    """An opened incident's pupils as the register counts them (read just after it)."""

    #: {pupil id: their register record and incidents}, for the pupils linked to one.
    linked: dict[str, LinkedPupil]
    generation: int = 0


@dataclass(repr=False)
class LinkOffered(Message, bubble=False):
    """The register records that may be an incident's young person (not yet linked)."""

    pupil_id: str
    #: The young person as the incident records them: their name, and age in words.
    name: str
    born: str
    #: The records the model offers, likeliest first (another child never is).
    offered: list[RegisterRow]
    #: How many records of the same name are another child (not offered).
    others: int = 0


@dataclass(repr=False)
class RegisterLinkChanged(Message, bubble=False):
    """A young person was linked to the register, or a wrong link undone: what to say."""

    said: str


@dataclass(repr=False)
class DevicesLoaded(Message, bubble=False):
    rows: list[DeviceRow]
    attention: list[tuple[str, str]]
    generation: int = 0


@dataclass(repr=False)
class DeviceLoaded(Message, bubble=False):
    view: DeviceView
    #: Which load this answers: a slower, earlier read must not overwrite a newer one.
    generation: int = 0


@dataclass(repr=False)
class Saved(Message, bubble=False):
    """An entry was saved; ``ref`` is the record it went into (new for a new record)."""

    ref: str
    what: str
    result: Any = None


@dataclass(repr=False)
class VaultChanged(Message, bubble=False):
    """Someone (maybe another user) wrote to these records since we last looked."""

    changed: set[tuple[str, str]] = field(default_factory=set)


@dataclass(repr=False)
class Progressed(Message, bubble=False):
    """How far a slow job has got: a stage in words and, when known, a count."""

    stage: str
    done: int = 0
    total: int = 0  # 0: not known (the indicator turns instead of filling)


@dataclass(repr=False)
class JobDone(Message, bubble=False):
    """A job started with :func:`~ydsi_tui.app.jobs.start_job` finished; ``what`` names it."""

    what: str
    result: Any = None


@dataclass(repr=False)
class StaffReportsArrived(Message, bubble=False):
    """The spool holds reports from staff this app had not seen (posted to every screen).

    Counts only: the app's alert, like every alert, carries no name, no
    reference and no word of a report. ``waiting`` is how many are unopened,
    ``new`` how many appeared since the last look (0 at the first look).
    """

    new: int
    waiting: int
