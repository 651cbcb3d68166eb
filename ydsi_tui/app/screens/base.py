"""The base of this app's screens: each reaches its app, typed, through one accessor.

Textual types ``Screen.app`` as any app. Rather than every screen narrowing it
with its own ``type: ignore`` (the review counted thirteen), the narrowing is
written once here; the import of the app is for the type checker only, so no
screen imports the app at run time.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar, TypeVar, cast

from textual.dom import DOMNode
from textual.screen import ModalScreen, Screen

if TYPE_CHECKING:
    from ..app import YdsiApp

__all__ = ["AppModal", "AppScreen", "ydsi_app"]

ResultT = TypeVar("ResultT")


def ydsi_app(node: DOMNode) -> YdsiApp:
    """The running app, as the one type it always is here (only YdsiApp mounts these)."""
    return cast("YdsiApp", node.app)


class AppScreen(Screen[ResultT]):
    """A full screen of the app."""

    #: The session's first screen replaces this one rather than covering it (the
    #: unlock screen): asked of the screen, so starting a session need not import it.
    gives_way_to_home: ClassVar[bool] = False

    @property
    def ydsi(self) -> YdsiApp:
        return ydsi_app(self)


class AppModal(ModalScreen[ResultT]):
    """A dialog of the app over another screen."""

    @property
    def ydsi(self) -> YdsiApp:
        return ydsi_app(self)
