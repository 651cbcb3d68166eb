"""Drafts kept when the app last closed (a dropped connection, a lock, Esc with "keep").

Offered right after unlocking: restore one (its form opens where it was),
discard it, or leave them all for later. The list names the form and the
record reference, never the text.

A draft only ever comes back as what it shows: its typed values in the form's
fields. What a form carries unseen (the entry a correction replaces, the ids
in ``fixed``) is never taken from the draft: a correction is re-derived from
the entry it names, and said in words at the top of the form ("This draft
corrects the entry ... of 14/11 10:30"); a target that is not there is left
out with a notice; hidden ids are worked out afresh as for a new form.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from textual.app import ComposeResult
from textual.containers import Vertical
from textual.widgets import Label, OptionList, Static
from textual.widgets.option_list import Option

from ...model.errors import ValidationError
from ...model.timeparse import format_local_short, from_iso
from ..commands import bindings
from ..text import plain, styled
from ..widgets.options import Options
from ..words import DROPPED_CORRECTION, correction_notice, discarded_warning
from .base import AppModal

if TYPE_CHECKING:
    from ...vault.drafts import Draft
    from ..app import YdsiApp

__all__ = [
    "DROPPED_CORRECTION",
    "DraftsScreen",
    "correction_notice",
    "discarded_warning",
    "draft_title",
    "restore",
]


def draft_title(draft: Draft) -> str:
    content = draft.content
    title = str(content.get("title") or content.get("form") or "A form")
    saved = content.get("saved_at")
    when = ""
    if isinstance(saved, str):
        try:
            when = f", kept {format_local_short(from_iso(saved))}"
        except ValidationError:
            when = ""
    return f"{title}{when}"


class DraftsScreen(AppModal[None]):
    BINDINGS = bindings("drafts")

    def __init__(self, drafts: list[Draft]) -> None:
        super().__init__(classes="dialog")
        self.drafts = list(drafts)

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog-box menu-box"):
            yield Label(styled("Unsaved forms were kept as drafts", "bold"), classes="dialog-title")
            yield Options(id="drafts")
            yield Static(
                plain("Enter: open it again   d: discard…   Esc: later (kept)"),
                classes="dialog-hint",
            )

    def on_mount(self) -> None:
        self._show()
        self.query_one("#drafts", OptionList).focus()

    def _show(self) -> None:
        options = self.query_one("#drafts", OptionList)
        options.set_options([Option(plain(draft_title(d)), id=d.draft_id) for d in self.drafts])
        if self.drafts:
            options.highlighted = 0

    def _current(self) -> Draft | None:
        index = self.query_one("#drafts", OptionList).highlighted
        return self.drafts[index] if index is not None and index < len(self.drafts) else None

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        draft = self._current()
        if draft is None:
            return
        self.dismiss(None)
        self.ydsi.restore_draft(draft)

    def action_discard(self) -> None:
        """Asks once more (D again): a draft is typed work, and there is no undo."""
        from .dialogs import DiscardDialog

        draft = self._current()
        if draft is None:
            return

        def answer(sure: bool | None) -> None:
            if sure:
                self._discard(draft)

        self.app.push_screen(DiscardDialog("Discard this draft"), answer)

    def _discard(self, draft: Draft) -> None:
        if draft not in self.drafts:
            return
        self.ydsi.discard_draft(draft.draft_id)
        self.drafts.remove(draft)
        if not self.drafts:
            self.dismiss(None)
            return
        self._show()

    def action_later(self) -> None:
        self.dismiss(None)


def restore(app: YdsiApp, draft: Draft) -> None:
    """Open a draft's form again, inside its incident or device where it has one."""
    content = draft.content
    target = str(content.get("target", ""))
    ref = content.get("ref")
    values = content.get("values")
    typed = values if isinstance(values, dict) else {}
    services = app.services
    if services is None:
        return
    if target != "incident" and content.get("supersedes"):
        # No form outside an incident corrects an entry: this one was not ours.
        app.notify(DROPPED_CORRECTION, severity="warning", timeout=20, markup=False)
    if target == "new_incident":
        from ..formspec import new_incident_spec

        app.open_form(new_incident_spec(services.policy), typed, draft_id=draft.draft_id)
        return
    report_id = content.get("report_id")
    spool = app.settings.drop_spool
    if target == "from_report" and isinstance(report_id, str) and spool is not None:
        # The report itself is not in the draft: saving opens it again (logged).
        from dataclasses import replace

        from ..formspec import ReportSource, new_incident_spec

        form_spec = replace(
            new_incident_spec(services.policy),
            title="New incident from a report from staff",
            target="from_report",
            source=ReportSource(report_id, spool),
        )
        app.open_form(form_spec, typed, draft_id=draft.draft_id)
        return
    if target == "new_device":
        from ..formspec import device_spec

        incident_ref = ref if isinstance(ref, str) and ref else None
        form_spec = device_spec("device.seized", services.policy, ref=None,
                                incident_ref=incident_ref)  # fmt: skip
        app.open_form(form_spec, typed, draft_id=draft.draft_id)
        return
    if target == "device" and isinstance(ref, str):
        app.open_device(ref, restore=draft)
        return
    if isinstance(ref, str) and services.cases is not None:
        app.open_incident(ref, restore=draft)
