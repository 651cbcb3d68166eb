"""The form screen: draws a :class:`~ydsi_tui.app.formspec.FormSpec`, checks as you type.

Every field shows its label, the policy's words where they help, and, as you
type, either what the program understood (``= Mon 16/11/2026 10:30 GMT``) or
what is wrong. Saving runs in a worker; the form stays open until the vault
says the entry is saved, so a refusal never loses what was typed. Escape
with anything typed asks first: keep a draft, discard, or go back.
"""

from __future__ import annotations

import contextlib
from dataclasses import replace
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from textual import on, work
from textual.app import ComposeResult
from textual.containers import Vertical, VerticalScroll
from textual.widget import Widget
from textual.widgets import Button, Footer, Input, Label, Select, Static, TextArea

from ...model.errors import ValidationError
from ...model.events import new_id
from ...model.timeparse import format_local, to_iso_utc
from ..commands import bindings
from ..formspec import (
    AT,
    CORRECTION_REASON,
    INCIDENT_REF,
    NEW_INCIDENT_PUPILS,
    FieldSpec,
    FormSpec,
    Values,
    check_form,
    collect,
    entry_spec,
    field_id,
    new_incident_parts,
    new_incident_spec,
    risk_field,
    risk_rows,
    trigger_field,
    trigger_rows,
    unmet_viewing_rules,
)
from ..jobs import call
from ..messages import Failed, Saved
from ..text import join, plain
from ..widgets.bars import TopBar
from ..widgets.choices import ChoiceList
from ..widgets.options import Dropdown
from ..widgets.text_area import TextField
from .base import AppScreen

if TYPE_CHECKING:
    from ...service.factory import Services

__all__ = ["FormScreen", "entry_spec", "new_incident_spec"]

_TIME_WIDGETS = ("when", "deadline", "dob")
#: The columns a label has at 80 (the form's padding and its scroll bar taken off).
_LABEL_ROOM = 74


class FormScreen(AppScreen[Saved | None]):
    """One entry's form. Dismisses with :class:`Saved` once the vault has it."""

    COMMAND_SCOPES = ("form",)
    BINDINGS = bindings("form")

    def __init__(
        self,
        form: FormSpec,
        values: Values | None = None,
        *,
        draft_id: str | None = None,
        notice: str | None = None,
        focus: str | None = None,
    ) -> None:
        """``notice``: a line shown above the fields (what a restored draft will do);
        ``focus``: the field to start on (the row Enter was pressed on), else the first."""
        super().__init__()
        self.notice = notice
        self.start = focus
        self.base_form = form
        self.form = form
        self.initial: Values = {f.name: f.default for f in form.fields}
        self.values: Values = dict(self.initial)
        if values:
            self.values.update(values)
        self.restored = bool(values) and draft_id is not None
        self.draft_id = draft_id
        self.touched: set[str] = set(values or ()) if draft_id else set()
        self.tried = False
        self.saving = False
        self.errors: dict[str, str] = {}

    @property
    def holds_keys(self) -> bool:
        """Keys typed while a save is under way wait for what comes next (see YdsiApp)."""
        return self.saving

    # ------------------------------------------------------------------
    # drawing
    # ------------------------------------------------------------------
    def compose(self) -> ComposeResult:
        yield TopBar(self.form.title)
        with VerticalScroll(id="form-body"):
            if self.restored:
                restored = (
                    "Restored from a draft kept when the app last closed. Check it, "
                    "then save (F2) or close (Esc)."
                )
                yield Static(plain(restored), classes="form-note")
            if self.notice:
                yield Static(plain(self.notice), classes="form-note", id="form-notice")
            for spec in self.form.fields:
                yield self._field(spec)
            yield Vertical(id="acks")
            yield Button(plain("F2  Save"), id="save", variant="primary")
            if self.form.guidance:
                yield Static(plain(self.form.guidance, multiline=True), id="form-guidance")
        yield Static("", id="form-status")
        yield Footer(compact=True, show_command_palette=False)

    def _field(self, spec: FieldSpec) -> Widget:
        fid = field_id(spec.name)
        mark = " *" if spec.required else ""
        # A label longer than 80 columns leave (a risk question in full) wraps, not cut.
        wrap = " -wrap" if len(spec.label) > _LABEL_ROOM else ""
        children: list[Widget] = [Label(plain(spec.label + mark), classes="field-label" + wrap)]
        value = self.values.get(spec.name, spec.default)
        if spec.widget in ("select", "yesno"):
            options = [(plain(label), v) for label, v in spec.options]
            chosen = value if value in {v for _, v in spec.options} else Select.NULL
            children.append(
                Dropdown(options, prompt="— choose —", value=chosen, id=fid, compact=True,
                         letters=spec.letters)
            )  # fmt: skip
        elif spec.widget == "multi":
            chosen = value if isinstance(value, list) else []
            children.append(ChoiceList(spec.options, chosen, id=fid))
        elif spec.widget == "text":
            area = TextField(str(value or ""), id=fid, soft_wrap=True, tab_behavior="focus",
                            compact=True)  # fmt: skip
            area.cursor_blink = self.ydsi.settings.cursor_blink
            children.append(area)
        else:
            field_input = Input(str(value or ""), id=fid, compact=True)
            field_input.cursor_blink = self.ydsi.settings.cursor_blink
            children.append(field_input)
        help_text = spec.help or spec.option_help.get(str(value), "")
        children.append(Static(plain(help_text, multiline=True), classes="field-help",
                               id=f"{fid}-help"))  # fmt: skip
        children.append(Static("", classes="field-feedback", id=f"{fid}-fb"))
        return Vertical(*children, classes="field", id=f"{fid}-box")

    def on_mount(self) -> None:
        for spec in self.form.fields:
            if not (spec.help or spec.option_help.get(str(self.values.get(spec.name)))):
                self.query_one(f"#{field_id(spec.name)}-help").display = False
        self._check()
        first = self.form.field(self.start) if self.start else None
        first = first or (self.form.fields[0] if self.form.fields else None)
        if first is not None:
            # Not Textual's scroll on focus: it centres the widget from a layout that
            # may not be final yet, so where it landed varied run to run. The focus
            # handler below scrolls the whole field into view after the layout.
            self.query_one(f"#{field_id(first.name)}").focus(scroll_visible=False)

    # ------------------------------------------------------------------
    # reading and checking
    # ------------------------------------------------------------------
    def _read(self) -> Values:
        values: Values = {}
        for spec in self.form.fields:
            found = self.query(f"#{field_id(spec.name)}")
            if not found:  # being mounted (an acknowledgement just added)
                values[spec.name] = self.values.get(spec.name, spec.default)
                continue
            widget = found.first()
            if isinstance(widget, Select):
                values[spec.name] = None if widget.value is Select.NULL else widget.value
            elif isinstance(widget, ChoiceList):
                values[spec.name] = widget.selected
            elif isinstance(widget, TextArea):
                values[spec.name] = widget.text
            elif isinstance(widget, Input):
                values[spec.name] = widget.value
        return values

    def _name_of(self, widget: Widget | None) -> str | None:
        while widget is not None and widget is not self:
            if widget.id and widget.id.startswith("f-") and not widget.id.endswith("-box"):
                return next(
                    (s.name for s in self.form.fields if field_id(s.name) == widget.id), None
                )
            widget = widget.parent  # type: ignore[assignment]
        return None

    @on(Input.Changed)
    @on(TextArea.Changed)
    @on(Select.Changed)
    @on(ChoiceList.Changed)
    def _changed(self, event: Any) -> None:
        name = self._name_of(event.control)
        if name is None:
            return
        self.touched.add(name)
        if isinstance(event, Select.Changed):
            spec = self.form.field(name)
            if spec is not None and spec.option_help:
                help_widget = self.query_one(f"#{field_id(name)}-help", Static)
                text = spec.help or spec.option_help.get(str(event.value), "")
                help_widget.update(plain(text, multiline=True))
                help_widget.display = bool(text)
        self._check()

    def _now(self) -> datetime:
        return self.ydsi.now()

    def _check(self) -> None:
        """Check every field as typed; draw what was understood and what is wrong."""
        services = self.ydsi.services
        self.values = self._read()
        now = self._now()
        if services is None:
            return
        data, _at, errors = check_form(self.form, self.values, now, services.policy)
        if self.form.kind == "viewing" and not any(k for k in errors if not k.startswith("ack.")):
            self._sync_acknowledgements(data)
            data, _at, errors = check_form(self.form, self._read(), now, services.policy)
        self.errors = errors
        for spec in self.form.fields:
            self._feedback(spec, errors.get(spec.name), now)
        self._status()

    def _feedback(self, spec: FieldSpec, error: str | None, now: datetime) -> None:
        try:
            feedback = self.query_one(f"#{field_id(spec.name)}-fb", Static)
        except Exception:  # noqa: BLE001 - a field being mounted or removed
            return
        show_error = error is not None and (spec.name in self.touched or self.tried)
        if show_error:
            feedback.update(join([("✗ ", "bold"), error or ""]))
            feedback.set_class(True, "error")
            feedback.display = True
            return
        feedback.set_class(False, "error")
        understood = ""
        if spec.widget in _TIME_WIDGETS and error is None:
            raw = self.values.get(spec.name)
            if isinstance(raw, str) and raw.strip():
                try:
                    single = replace(self.form, fields=(spec,), fixed={})
                    data, at, _ = collect(single, {spec.name: raw}, now)
                    moment = at if spec.name == AT else data.get(spec.name)
                    understood = _understood(moment)
                except ValidationError:
                    understood = ""
        feedback.update(plain(f"= {understood}") if understood else plain(""))
        feedback.display = bool(understood)

    def _status(self) -> None:
        status = self.query_one("#form-status", Static)
        shown = {k for k in self.errors if k in self.touched or self.tried}
        if self.saving:
            status.update(plain("⏳ Saving…"))
        elif any(f.name.startswith("ack.") for f in self.form.fields) and not shown:
            count = sum(1 for f in self.form.fields if f.name.startswith("ack."))
            words = (
                f"Rule not met: {count} of the policy's rules (fields marked ⚠, below). "
                "Say why for each, then F2."
            )
            status.update(join([("⚠ ", "bold"), words]))
        elif shown:
            status.update(join([("✗ ", "bold"), f"{len(shown)} field(s) need attention "
                                "(marked ✗). Esc closes (asks first)."]))  # fmt: skip
        elif self.errors:
            status.update(plain("Fields marked * are required. F2 saves; Esc closes."))
        else:
            status.update(join([("✔ ", "bold"), "Ready to save: F2 (or the Save button)."]))

    # ------------------------------------------------------------------
    # viewing: one acknowledgement per unmet rule
    # ------------------------------------------------------------------
    def _sync_acknowledgements(self, data: dict[str, Any]) -> None:
        services = self.ydsi.services
        if services is None:
            return
        findings = unmet_viewing_rules(data, services.policy)
        wanted = {f"ack.{finding.rule_id}": finding for finding in findings}
        current = {f.name for f in self.form.fields if f.name.startswith("ack.")}
        if set(wanted) == current:
            return
        box = self.query_one("#acks", Vertical)
        for name in current - set(wanted):
            self.query_one(f"#{field_id(name)}-box").remove()
        new_fields: list[FieldSpec] = []
        for name, finding in wanted.items():
            spec = FieldSpec(
                name,
                f"⚠ Rule not met: {finding.text} Why? (required)",
                "line",
                True,
                help=f"The policy says: “{finding.rule_text}”",
            )
            new_fields.append(spec)
            if name not in current:
                box.mount(self._field(spec))
        base = [f for f in self.form.fields if not f.name.startswith("ack.")]
        self.form = replace(self.form, fields=(*base, *new_fields))

    # ------------------------------------------------------------------
    # focus and keys
    # ------------------------------------------------------------------
    @on(Input.Submitted)
    def _next_field(self, event: Input.Submitted) -> None:
        event.stop()
        self.focus_next()

    def on_descendant_focus(self, event: Any) -> None:
        for other in self.query(".field"):
            other.set_class(False, "-current")
        box = self._box_of(self.focused)
        if box is not None:
            box.set_class(True, "-current")
            self._show_box(box)

    def _box_of(self, widget: Widget | None) -> Widget | None:
        while widget is not None and widget is not self:
            if widget.has_class("field"):
                return widget
            widget = widget.parent  # type: ignore[assignment]
        return None

    def _show_box(self, box: Widget) -> None:
        """Scroll the whole field into view (its label, the policy's words and what is
        wrong), not only the line being typed in; after the next layout, because
        feedback shown just now changes the field's height."""

        def scroll() -> None:
            if box.is_attached:
                box.scroll_visible(animate=False)

        self.call_after_refresh(scroll)

    @on(Button.Pressed, "#save")
    def _save_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        self.action_save()

    def action_save(self) -> None:
        if self.saving:
            return
        self.tried = True
        self._check()
        if self.errors:
            # The first field needing attention: focused and scrolled into view with
            # its error, even when focus was already there.
            first = next((f.name for f in self.form.fields if f.name in self.errors), None)
            if first is not None and self.query(f"#{field_id(first)}"):
                widget = self.query_one(f"#{field_id(first)}")
                widget.focus()
                box = self._box_of(widget)
                if box is not None:
                    self._show_box(box)
            return
        self.saving = True
        self._status()
        self._save(self.form, dict(self.values), self._now())

    @work(thread=True, exit_on_error=False, group="vault-write", description="save the entry")
    def _save(self, form: FormSpec, values: Values, now: datetime) -> None:
        def job(services: Services) -> Saved:
            data, at, _ = collect(form, values, now)
            return save_entry(services, form, data, at)

        self.post_message(call(self.ydsi, "save the entry", job, write=True))

    def on_saved(self, message: Saved) -> None:
        self.saving = False
        self.ydsi.discard_draft(self.draft_id)
        self.draft_id = None
        self.values = dict(self.initial)  # nothing unsaved any more
        self.restored = False
        if self.form.target in ("new_incident", "from_report"):
            self._open_new(message)
            return
        self.dismiss(message)

    def _open_new(self, message: Saved) -> None:
        """A new incident opens in place of its form, and says its reference.

        The form is replaced (not closed, then the incident opened) so that keys
        typed during the save go to the new incident, never to the list between.
        """
        count = message.result if isinstance(message.result, int) else 0
        people = f" with {count} young {'person' if count == 1 else 'people'}" if count else ""
        # Not a dialog of its own here, as after adding one young person: keys typed on
        # the heels of F2 are meant for the incident (a note, a pane), not for a dialog.
        who = "each of them" if count > 1 else "them"
        link = f" Not yet in the pupil register: on People (6), p links {who}." if count else ""
        self.app.notify(
            f"Incident {message.ref} opened: the disclosure is recorded{people}.{link}",
            title=f"New incident {message.ref}",
            markup=False,
        )
        self.ydsi.open_incident(message.ref, replacing=True)

    def on_failed(self, message: Failed) -> None:
        self.saving = False
        name = message.field
        if name is not None and name.startswith("acknowledgements."):
            name = "ack." + name.split(".", 1)[1]
        if name is not None and self.form.field(name) is not None:
            self.errors[name] = message.message
            self.touched.add(name)
            spec = self.form.field(name)
            assert spec is not None
            self._feedback(spec, message.message, self._now())
            self._status()
            self.query_one(f"#{field_id(name)}").focus()
            return
        self._status()
        self.ydsi.show_error(message)

    def action_close(self) -> None:
        from .dialogs import CloseDialog

        if self.saving:
            return
        if not self.draft_content():
            self.ydsi.discard_draft(self.draft_id)
            self.dismiss(None)
            return

        def answer(choice: str | None) -> None:
            if choice is None:
                return  # back to the form, as it was
            if choice == "keep":
                self.ydsi.save_drafts()
            else:
                self.ydsi.discard_draft(self.draft_id)
            self.values = dict(self.initial)
            self.restored = False
            self.draft_id = None
            self.dismiss(None)

        self.app.push_screen(
            CloseDialog(
                "Close this form?",
                "You have typed something that is not saved.",
                keep="Keep as a draft",
                discard="Discard the form",
            ),
            answer,
        )

    # ------------------------------------------------------------------
    # drafts
    # ------------------------------------------------------------------
    def draft_content(self) -> dict[str, Any] | None:
        """The form as typed, or None when nothing differs from how it opened."""
        if self.is_mounted and not self.saving:
            with contextlib.suppress(Exception):  # keep the last values read
                self.values = self._read()
        if _meaningful(self.values) == _meaningful(self.initial) and not self.restored:
            return None
        return {
            "v": 1,
            "form": self.base_form.kind,
            "target": self.base_form.target,
            "ref": self.base_form.ref,
            "supersedes": self.base_form.supersedes,
            "fixed": dict(self.base_form.fixed),
            # A form opened from a report from staff: which (the report is not kept).
            **(
                {"report_id": self.base_form.source.report_id}
                if self.base_form.source is not None
                else {}
            ),
            "values": self.values,
            "title": self.base_form.title,
            "saved_at": to_iso_utc(datetime.now(UTC)),
        }


def _meaningful(values: Values) -> dict[str, Any]:
    """What was typed, ignoring fields left empty (None, "" and [] all mean nothing)."""
    return {k: v for k, v in values.items() if v not in (None, "", [])}


def _understood(moment: object) -> str:
    if isinstance(moment, datetime):
        return format_local(moment)
    if isinstance(moment, str):
        try:
            from ...model.timeparse import date_from_iso, from_iso

            if len(moment) == 10:
                return f"{date_from_iso(moment):%d/%m/%Y}"
            return format_local(from_iso(moment))
        except ValidationError:
            return ""
    return ""


def save_entry(
    services: Services, form: FormSpec, data: dict[str, Any], at: datetime | None
) -> Saved:
    """Hand one form's payload to the service (called in a worker thread)."""
    if form.target == "from_report":
        return _save_from_report(services, form, data, at)
    if form.target == "new_incident":
        assert services.cases is not None
        now = services.cases.clock.now()
        parts = new_incident_parts(data, [new_id() for _ in range(NEW_INCIDENT_PUPILS)], now)
        try:
            ref = services.cases.create(
                parts.summary, parts.kind, disclosed_at=at, disclosure=parts.disclosure,
                pupils=parts.pupils,
            )  # fmt: skip
        except ValidationError as error:  # shown on the form field it is about
            group = "disclosure" if error.field in parts.disclosure else ""
            name = parts.fields.get((group, error.field), error.field)
            raise ValidationError(name, error.message) from error
        return Saved(ref, "incident", len(parts.pupils))
    if form.target == "new_device":
        incident_ref = str(data.pop(INCIDENT_REF, "") or form.ref or "")
        if not incident_ref:
            raise ValidationError(INCIDENT_REF, "Give the incident's reference.")
        ref = services.devices.seize(incident_ref, data, at=at)
        return Saved(ref, "device")
    assert form.ref is not None
    if form.target == "triggers":
        return save_triggers(services, form, data, at)
    if form.target == "risks":
        return save_risks(services, form, data, at)
    why = str(data.pop(CORRECTION_REASON, "") or "")
    if form.target == "device":
        event = services.devices.record(form.ref, form.kind, data, at=at,
                                        supersedes=form.supersedes,
                                        correction_reason=why)  # fmt: skip
        return Saved(form.ref, "device entry", event)
    assert services.cases is not None
    event = services.cases.record(
        form.ref, form.kind, data, at=at, supersedes=form.supersedes, correction_reason=why
    )
    return Saved(form.ref, "entry", event)


def _save_from_report(
    services: Services, form: FormSpec, data: dict[str, Any], at: datetime | None
) -> Saved:
    """The new incident opened from a report from staff: the report taken in with it."""
    from ...service.inbox import Inbox

    assert services.cases is not None
    assert form.source is not None
    inbox = Inbox(services.cases, form.source.spool)
    report = form.source.report or inbox.open(form.source.report_id)
    now = services.cases.clock.now()
    parts = new_incident_parts(data, [new_id() for _ in range(NEW_INCIDENT_PUPILS)], now)
    try:
        ref = inbox.take_in(
            report, summary=parts.summary, kind=parts.kind, disclosure=parts.disclosure,
            disclosed_at=at, pupils=parts.pupils,
        )  # fmt: skip
    except ValidationError as error:  # shown on the form field it is about
        group = "disclosure" if error.field in parts.disclosure else ""
        name = parts.fields.get((group, error.field), error.field)
        raise ValidationError(name, error.message) from error
    return Saved(ref, "incident", len(parts.pupils))


def save_triggers(
    services: Services, form: FormSpec, data: dict[str, Any], at: datetime | None
) -> Saved:
    """One ``trigger.answered`` entry per changed row, each checked by the service.

    Rows are compared with the record as it is now, not as the form opened, so
    saving again after a refusal part-way does not record the earlier rows twice.
    A refusal names the row's field (``t3.reason_against_suggestion``).
    """
    assert services.cases is not None
    assert form.ref is not None
    recorded = services.cases.open(form.ref, log=False).incident.triggers
    saved = 0
    for row in trigger_rows(form, data):
        n = int(row["n"])
        now = recorded.get(n)
        if now is not None and (now.answer, now.basis, now.reason_against_suggestion) == (
            row["answer"],
            row.get("basis", ""),
            row.get("reason_against_suggestion", ""),
        ):
            continue
        try:
            services.cases.record(form.ref, "trigger.answered", row, at=at)
        except ValidationError as error:
            raise ValidationError(trigger_field(n, error.field), error.message) from error
        saved += 1
    return Saved(form.ref, "entry", saved)


def save_risks(
    services: Services, form: FormSpec, data: dict[str, Any], at: datetime | None
) -> Saved:
    """One ``risk.answered`` entry per changed row, each checked by the service.

    As with the triggers, rows are compared with the record as it is now, so a
    save again after a refusal part-way records no row twice; a refusal names
    its row's field.
    """
    assert services.cases is not None
    assert form.ref is not None
    pupil_id = str(form.fixed.get("pupil_id", ""))
    recorded = services.cases.open(form.ref, log=False).incident.risk_answers.get(pupil_id, {})
    saved = 0
    for row in risk_rows(form, data):
        question_id = row["question_id"]
        now = recorded.get(question_id)
        if now is not None and now.text("answer") == row["answer"]:
            continue
        try:
            services.cases.record(form.ref, "risk.answered", row, at=at)
        except ValidationError as error:
            raise ValidationError(risk_field(question_id), error.message) from error
        saved += 1
    return Saved(form.ref, "entry", saved)
