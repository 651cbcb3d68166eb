"""Where each screen is: the one table the app navigates by.

Screens ask the app for a place (``self.ydsi.open_incident(ref)``) instead of
importing the screen they go to, as Textual's own ``SCREENS`` and Harlequin's
app do: so no screen imports another to navigate (the review found a run-time
import cycle through six screens), and where a screen lives is written once.
Each screen is imported when first asked for, so launching the app loads only
the screens it shows.
"""

from __future__ import annotations

from collections.abc import Callable
from importlib import import_module
from typing import TYPE_CHECKING, Any

from textual.app import App
from textual.content import Content
from textual.screen import Screen

if TYPE_CHECKING:
    from ..service.casebook import IncidentView
    from ..service.factory import Services
    from ..vault.drafts import Draft
    from .formspec import FormSpec, Values
    from .messages import Failed, Saved

__all__ = ["TOOL_SCREENS", "Places"]

#: The report and tool screens, by the id the reports menu and the palette use.
#: Each takes no argument; "reads" and "users" are places of their own (a DSL only).
TOOL_SCREENS: dict[str, str] = {
    "inspection": "inspection:InspectionScreen",
    "governors": "governors:GovernorsScreen",
    "retention": "retention:RetentionScreen",
    "subject_access": "subject_access:SubjectAccessScreen",
    "transfer": "transfer:TransferScreen",
    "backup": "backup:BackupScreen",
}

AfterSave = Callable[["Saved | None"], Any]


def _screen_class(place: str) -> type[Screen[Any]]:
    module, _, name = place.partition(":")
    found: type[Screen[Any]] = getattr(import_module(f"{__package__}.screens.{module}"), name)
    return found


class Places(App[int]):
    """The app's places; YdsiApp is one, and screens reach them through ``ydsi``."""

    #: The unlocked vault's services (YdsiApp sets them); None while locked.
    services: Services | None

    def show_error(self, failed: Failed) -> None:
        """One clear line for a refusal (YdsiApp shows it)."""
        raise NotImplementedError

    # The records ---------------------------------------------------------
    def open_incident(
        self,
        ref: str,
        *,
        step: str | None = None,
        restore: Draft | None = None,
        replacing: bool = False,
    ) -> None:
        """``replacing``: in place of the screen on top (a form that made the incident)."""
        from .screens.incident import IncidentScreen

        screen = IncidentScreen(ref, step=step, restore=restore)
        if replacing:
            self.switch_screen(screen)
        else:
            self.push_screen(screen)

    def open_device(
        self, ref: str, after: AfterSave | None = None, *, restore: Draft | None = None
    ) -> None:
        from .screens.devices import DeviceScreen

        self.push_screen(DeviceScreen(ref, restore=restore), after)

    def open_device_list(self, *, technician: bool) -> None:
        from .screens.devices import DeviceListScreen

        self.push_screen(DeviceListScreen(technician=technician))

    def open_report_form(self) -> None:
        """A member of staff who is not in the vault: report a concern (no passphrase)."""
        from .screens.disclose import DiscloseScreen

        self.push_screen(DiscloseScreen())

    def open_inbox(self) -> None:
        from .screens.inbox import InboxScreen

        self.push_screen(InboxScreen())

    # Forms -------------------------------------------------------------
    def open_form(
        self,
        form: FormSpec,
        values: Values | None = None,
        after: AfterSave | None = None,
        *,
        draft_id: str | None = None,
        notice: str | None = None,
        focus: str | None = None,
    ) -> None:
        from .screens.forms import FormScreen

        screen = FormScreen(form, values, draft_id=draft_id, notice=notice, focus=focus)
        self.push_screen(screen, after)

    def open_quick_note(
        self,
        ref: str,
        text: str = "",
        after: AfterSave | None = None,
        *,
        draft_id: str | None = None,
    ) -> None:
        from .screens.quick_note import QuickNoteScreen

        self.push_screen(QuickNoteScreen(ref, text, draft_id=draft_id), after)

    def open_signoff(self, view: IncidentView, after: AfterSave | None = None) -> None:
        from .screens.signoff import SignoffScreen

        self.push_screen(SignoffScreen(view), after)

    # Reading -----------------------------------------------------------
    def open_reader(self, title: str, body: Content) -> None:
        """``body``: what ``text.join`` or ``text.plain`` made (never markup)."""
        from .screens.reader import ReaderScreen

        self.push_screen(ReaderScreen(title, body))

    def open_child_chronology(
        self, *, register_id: str = "", ref: str = "", pupil_id: str = ""
    ) -> None:
        from .screens.child_chronology import ChildChronologyScreen

        self.push_screen(ChildChronologyScreen(register_id=register_id, ref=ref, pupil_id=pupil_id))

    def open_pupils(self) -> None:
        """The pupil register, or why not (a technician holds no case key)."""
        from .messages import Failed

        services = self.services
        if services is None:
            return
        if services.cases is None:
            self.show_error(
                Failed("open the pupil register", "Your role records device custody only.")
            )
            return
        from .screens.pupils import PupilListScreen

        self.push_screen(PupilListScreen())

    def open_pupil_record(self, register_id: str) -> None:
        from .screens.pupil_record import PupilRecordScreen

        self.push_screen(PupilRecordScreen(register_id))

    def open_reports(self) -> None:
        from .screens.reports import ReportsScreen

        self.push_screen(ReportsScreen())

    def open_tool(self, tool_id: str) -> None:
        """A report or tool by its id (from the reports menu, home or the palette)."""
        from .messages import Failed

        services = self.services
        if services is None:
            return
        if services.cases is None:
            self.show_error(Failed("open reports", "Your role records device custody only."))
            return
        if tool_id == "reads":
            self.open_reads(None)
            return
        if tool_id == "users":
            self.open_users()
            return
        place = TOOL_SCREENS.get(tool_id)
        if place is None:
            self.show_error(Failed("open a report", f"There is no report called {tool_id!r}."))
            return
        self.push_screen(_screen_class(place)())

    def open_users(self) -> None:
        """Users and keys: refused at once for anyone but a DSL (the service refuses too)."""
        from .messages import Failed

        services = self.services
        if services is None:
            return
        session = services.session
        if session.role != "dsl" or session.is_recovery:
            self.show_error(Failed("manage users", "Only a DSL manages users and keys: ask a DSL."))
            return
        from .screens.users import UsersScreen

        self.push_screen(UsersScreen())

    def open_reads(self, ref: str | None) -> None:
        """The read audit, of one incident or of all; refused at once for anyone but a DSL."""
        from .messages import Failed

        services = self.services
        if services is None:
            return
        session = services.session
        if session.role != "dsl" or session.is_recovery:
            self.show_error(
                Failed("show who opened which record", "Only a DSL sees the read audit: ask a DSL.")
            )
            return
        from .screens.reads import ReadAuditScreen

        self.push_screen(ReadAuditScreen(ref))
