"""Small typed dialogs: each returns a value through ``dismiss`` and handles Escape.

Escape always means "back, nothing done": it never confirms and never
destroys anything.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from textual import events
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.content import Content
from textual.screen import ModalScreen, Screen
from textual.widgets import Button, Input, Label, OptionList, Static
from textual.widgets.option_list import Option

from ..commands import bindings
from ..text import join, plain, styled
from ..widgets.options import Keyed

__all__ = [
    "CloseDialog",
    "ConfirmDialog",
    "DiscardDialog",
    "ErrorDialog",
    "FieldDef",
    "FieldsDialog",
    "MenuDialog",
    "ReasonDialog",
    "ShownOnceDialog",
    "steady_cursors",
]


def steady_cursors(screen: Screen[Any]) -> None:
    """Every text field of ``screen`` blinks, or not, as the user's setting says.

    A field left blinking is drawn differently from one moment to the next:
    the user who turned blinking off sees it anyway, and a screenshot differs
    run to run (the retention dialogs' snapshots failed that way under load).
    """
    blink = bool(getattr(getattr(screen.app, "settings", None), "cursor_blink", True))
    for field in screen.query(Input):
        field.cursor_blink = blink


class ConfirmDialog(ModalScreen[bool | None]):
    """A question with two answers (y / n) and, if ``cancel``, a way back (Escape)."""

    BINDINGS = bindings("dialog")

    def __init__(
        self,
        title: str,
        question: str,
        *,
        yes: str = "Yes",
        no: str = "No",
        cancel: bool = False,
    ) -> None:
        super().__init__(classes="dialog")
        self.title_text = title
        self.question = question
        self.yes = yes
        self.no = no
        self.cancel = cancel

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog-box"):
            yield Label(styled(self.title_text, "bold"), classes="dialog-title")
            yield Static(plain(self.question, multiline=True), classes="dialog-text")
            with Horizontal(classes="dialog-buttons"):
                yield Button(plain(f"Y  {self.yes}"), id="yes", variant="primary")
                yield Button(plain(f"N  {self.no}"), id="no")
                if self.cancel:
                    yield Button(plain("Esc  Go back"), id="back")

    def on_button_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        if event.button.id == "back":
            self.dismiss(None)
        else:
            self.dismiss(event.button.id == "yes")

    def action_answer(self, value: bool) -> None:
        self.dismiss(value)

    def action_back(self) -> None:
        self.dismiss(None if self.cancel else False)


class CloseDialog(ModalScreen[str | None]):
    """Leaving with unsaved work: ``"keep"`` (Y), back (N or Escape: None), or ``"discard"``.

    Y and N are both harmless, whichever a person reads the question as: Y
    keeps the work as a draft, N goes back to it. Throwing it away has a key
    of its own (D) and a second question (:class:`DiscardDialog`). With
    ``keep=None`` there is nothing to keep it as (the staff report's form has
    no drafts): no Y button, and Y goes back like N.
    """

    BINDINGS = bindings("closing")

    def __init__(self, title: str, question: str, *, keep: str | None, discard: str) -> None:
        super().__init__(classes="dialog")
        self.title_text = title
        self.question = question
        self.keep_label = keep
        self.discard_label = discard

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog-box"):
            yield Label(styled(self.title_text, "bold"), classes="dialog-title")
            yield Static(plain(self.question, multiline=True), classes="dialog-text")
            with Horizontal(classes="dialog-buttons"):
                if self.keep_label is not None:
                    yield Button(plain(f"Y  {self.keep_label}"), id="keep", variant="primary")
                    yield Button(plain("N/Esc  Go back"), id="back")
                else:
                    yield Button(plain("N/Esc  Go back"), id="back", variant="primary")
                yield Button(plain(f"D  {self.discard_label}…"), id="discard", variant="error")

    def on_button_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        if event.button.id == "keep":
            self.action_keep()
        elif event.button.id == "discard":
            self.action_discard()
        else:
            self.action_back()

    def action_keep(self) -> None:
        self.dismiss("keep" if self.keep_label is not None else None)

    def action_back(self) -> None:
        self.dismiss(None)

    def action_discard(self) -> None:
        def answer(sure: bool | None) -> None:
            if sure:
                self.dismiss("discard")

        self.app.push_screen(DiscardDialog(self.discard_label), answer)


class DiscardDialog(ModalScreen[bool]):
    """The second question before typed work is thrown away: only D again says yes.

    Every other key (Escape, Enter, Y, N) goes back with nothing lost.
    """

    BINDINGS = bindings("discard")

    def __init__(
        self,
        what: str,
        *,
        text: str = "What you typed will be gone for good: there is no undo. "
        "Press D again to discard it; any other key goes back.",
        confirm: str = "Yes, discard it",
    ) -> None:
        super().__init__(classes="dialog")
        self.what = what
        self.text = text
        self.confirm = confirm

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog-box error-box"):
            yield Label(styled(f"{self.what}?", "bold"), classes="dialog-title")
            yield Static(plain(self.text), classes="dialog-text")
            with Horizontal(classes="dialog-buttons"):
                yield Button(plain("Esc  No, go back"), id="back", variant="primary")
                yield Button(plain(f"D  {self.confirm}"), id="discard", variant="error")

    def on_mount(self) -> None:
        self.query_one("#back", Button).focus()

    def on_button_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        self.dismiss(event.button.id == "discard")

    def on_key(self, event: events.Key) -> None:
        """Any key that is not a binding goes back: a stray key never discards."""
        if event.key not in ("d", "tab", "shift+tab", "left", "right"):
            event.stop()
            self.action_back()

    def action_confirm(self) -> None:
        self.dismiss(True)

    def action_back(self) -> None:
        self.dismiss(False)


class ShownOnceDialog(ModalScreen[None]):
    """A secret shown this once (an enrolment code, a transfer's passphrase), then forgotten.

    Enter closes it; Escape asks first, since closing loses the secret for good, and
    only D then says so. A subclass draws it (a ``#done`` button among its widgets),
    forgets it in :meth:`forget`, and says what losing it means.
    """

    #: The question and the words of the second confirmation (Escape).
    LOST_TITLE = "Close without it"
    LOST_TEXT = (
        "It will not be shown again. Press D to close without it; any other key shows it again."
    )

    def __init__(self) -> None:
        super().__init__(classes="dialog")

    def forget(self) -> None:
        """Drop the secret: nothing keeps it once this closes."""

    def lost_text(self) -> str:
        return self.LOST_TEXT

    def on_mount(self) -> None:
        self.query_one("#done", Button).focus()

    def on_button_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        self.action_done()

    def action_done(self) -> None:
        self.forget()
        self.dismiss(None)

    def action_ask_done(self) -> None:
        def answer(sure: bool | None) -> None:
            if sure:
                self.action_done()

        self.app.push_screen(
            DiscardDialog(self.LOST_TITLE, text=self.lost_text(), confirm="Close without it"),
            answer,
        )


class ErrorDialog(ModalScreen[None]):
    """What went wrong, in one or two sentences; Enter or Escape closes it."""

    BINDINGS = bindings("message")

    def __init__(self, title: str, message: str) -> None:
        super().__init__(classes="dialog")
        self.title_text = title
        self.message = message

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog-box error-box"):
            yield Label(styled(f"✗ {self.title_text}", "bold"), classes="dialog-title")
            with VerticalScroll(classes="dialog-scroll"):
                yield Static(plain(self.message, multiline=True), classes="dialog-text")
            with Horizontal(classes="dialog-buttons"):
                yield Button(plain("Enter  OK"), id="ok", variant="primary")

    def on_mount(self) -> None:
        self.query_one("#ok", Button).focus()

    def on_button_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        self.dismiss(None)

    def action_close(self) -> None:
        self.dismiss(None)


class MenuDialog(ModalScreen[str | None]):
    """Pick one of several things to do; returns its id, or None on Escape.

    ``prompt`` (optional) says above the list what is being chosen; a label given
    as ``Content`` is shown as built (two lines, a bold name), a string as typed.
    """

    BINDINGS = bindings("menu")

    def __init__(
        self,
        title: str,
        items: Sequence[tuple[str, str | Content]],
        *,
        prompt: str = "",
        hint: str = "Enter: choose   Esc: back",
    ) -> None:
        super().__init__(classes="dialog")
        self.title_text = title
        self.items = tuple(items)
        self.prompt = prompt
        self.hint = hint

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog-box menu-box"):
            yield Label(styled(self.title_text, "bold"), classes="dialog-title")
            if self.prompt:
                yield Static(plain(self.prompt, multiline=True), classes="dialog-text")
            yield Keyed(
                *[
                    Option(label if isinstance(label, Content) else plain(label), id=item_id)
                    for item_id, label in self.items
                ],
                id="menu",
            )
            yield Static(plain(self.hint), classes="dialog-hint")

    def on_mount(self) -> None:
        self.query_one("#menu", OptionList).focus()

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        self.dismiss(event.option.id)

    def action_back(self) -> None:
        self.dismiss(None)


class ReasonDialog(ModalScreen[str | None]):
    """Ask for one line of text (a reason); Escape returns None and keeps nothing."""

    BINDINGS = bindings("menu")

    def __init__(self, title: str, prompt: str, *, value: str = "") -> None:
        super().__init__(classes="dialog")
        self.title_text = title
        self.prompt = prompt
        self.value = value

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog-box"):
            yield Label(styled(self.title_text, "bold"), classes="dialog-title")
            yield Static(plain(self.prompt, multiline=True), classes="dialog-text")
            yield Input(self.value, id="reason")
            yield Static(plain("Enter: done   Esc: back"), classes="dialog-hint")

    def on_mount(self) -> None:
        steady_cursors(self)

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        if event.value.strip():
            self.dismiss(event.value.strip())

    def action_back(self) -> None:
        self.dismiss(None)


@dataclass(frozen=True)
class FieldDef:
    """One line to type in a :class:`FieldsDialog`."""

    name: str
    label: str
    value: str = ""
    required: bool = False
    hint: str = ""


#: Checks what was typed; returns {field name: what is wrong} (empty: all fine).
Check = Callable[[dict[str, str]], dict[str, str]]


class FieldsDialog(ModalScreen[dict[str, str] | None]):
    """A few labelled lines (a hold's reason and authority, a receipt's who and when).

    Enter moves to the next line and, on the last, finishes; F2 finishes from
    anywhere. What is wrong is said beside its line, in words after a ``✗``.
    Escape returns None: nothing is done.
    """

    BINDINGS = bindings("fields")

    def __init__(
        self,
        title: str,
        prompt: str,
        fields: Sequence[FieldDef],
        *,
        check: Check | None = None,
        done: str = "Done",
    ) -> None:
        super().__init__(classes="dialog")
        self.title_text = title
        self.prompt = prompt
        self.fields = tuple(fields)
        self.check = check
        self.done_label = done

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog-box fields-box"):
            yield Label(styled(self.title_text, "bold"), classes="dialog-title")
            if self.prompt:
                yield Static(plain(self.prompt, multiline=True), classes="dialog-text")
            for spec in self.fields:
                mark = " *" if spec.required else ""
                with Vertical(classes="field", id=f"box-{spec.name}"):
                    yield Label(plain(spec.label + mark), classes="field-label")
                    yield Input(spec.value, placeholder=spec.hint, compact=True,
                                id=f"in-{spec.name}")  # fmt: skip
                    yield Static("", classes="field-feedback", id=f"fb-{spec.name}")
            with Horizontal(classes="dialog-buttons"):
                yield Button(plain(f"F2  {self.done_label}"), id="done", variant="primary")
                yield Button(plain("Esc  Back"), id="back")

    def on_mount(self) -> None:
        steady_cursors(self)
        for spec in self.fields:
            self.query_one(f"#fb-{spec.name}").display = False
        if self.fields:
            self.query_one(f"#in-{self.fields[0].name}", Input).focus()

    def values(self) -> dict[str, str]:
        return {s.name: self.query_one(f"#in-{s.name}", Input).value.strip() for s in self.fields}

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        names = [f"in-{s.name}" for s in self.fields]
        at = names.index(event.input.id) if event.input.id in names else len(names) - 1
        if at + 1 < len(names):
            self.query_one(f"#{names[at + 1]}", Input).focus()
        else:
            self.action_done()

    def on_button_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        if event.button.id == "done":
            self.action_done()
        else:
            self.action_back()

    def action_done(self) -> None:
        values = self.values()
        errors = {
            s.name: "This is required." for s in self.fields if s.required and not values[s.name]
        }
        if not errors and self.check is not None:
            errors = self.check(values)
        for spec in self.fields:
            feedback = self.query_one(f"#fb-{spec.name}", Static)
            error = errors.get(spec.name)
            feedback.update(join([("✗ ", "bold"), error]) if error else "")
            feedback.set_class(bool(error), "error")
            feedback.display = bool(error)
        if errors:
            first = next(s.name for s in self.fields if s.name in errors)
            self.query_one(f"#in-{first}", Input).focus()
            return
        self.dismiss(values)

    def action_back(self) -> None:
        self.dismiss(None)
