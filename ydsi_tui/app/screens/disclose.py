"""Report a concern to the safeguarding team: the app of a member of staff not in the vault.

``ydsi`` opens this screen instead of the unlock screen when the login is no
member of the vault (``cli/app_launch.py`` decides, before Textual starts).
No passphrase is asked: the report is sealed to the current drop key, as
``ydsi disclose`` seals it, through the same service function
(:func:`~ydsi_tui.service.staff_reports.file_staff_report`), which checks
every field; this screen checks nothing itself and shows the service's
refusal in words, beside the field at fault, with nothing filed.

**No drafts.** The app keeps unsaved forms as drafts inside the vault,
encrypted to the user's own keys; a reporter has neither a vault account nor
keys, and the report must never reach the disk unsealed. So what is typed
here lives only in this form's widgets: leaving with text typed asks first
(Esc or Ctrl+Q; only D, then D again, throws it away), and a dropped
connection loses it. Once filed, the fields are emptied and removed and the
report is not kept: the screen holds only the receipt (the report id, the
time and the hash, word for word as ``ydsi disclose`` prints it), which
``ydsi`` prints again on leaving.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from textual import events, work
from textual.app import ComposeResult
from textual.containers import Vertical, VerticalScroll
from textual.message import Message
from textual.widgets import Footer, Input, Label, Select, Static, TextArea

from ...model.staff_reports import REPORT_FIELDS
from ...service.staff_reports import (
    ABOUT_HEADTEACHER_NOTICE,
    Disclosure,
    file_staff_report,
    receipt_text,
    reporter_state_dir,
    young_people_from,
)
from ..commands import bindings
from ..jobs import describe_error
from ..messages import Failed
from ..text import join, plain, styled
from ..widgets.bars import TopBar
from ..widgets.options import Dropdown
from ..widgets.text_area import TextField
from .base import AppScreen

if TYPE_CHECKING:
    from textual.widget import Widget

    from ...vault.drop import FiledReceipt

__all__ = ["DiscloseScreen"]

TITLE = "Report a concern to the safeguarding team"

#: The report's fields as the service names them: (widget id, label, a text area?).
#: Their order and words are ``ydsi disclose``'s (``REPORT_FIELDS``, the model's).
_LABELS = dict(REPORT_FIELDS)
FIELDS: tuple[tuple[str, str, bool], ...] = (
    ("reporter_name", "Your name", False),
    ("job_title", "Your job title", False),
    ("words", _LABELS["words"], True),
    ("disclosed_by", _LABELS["disclosed_by"], False),
    ("disclosed_at", _LABELS["disclosed_at"], False),
    ("how", _LABELS["how"], False),
    ("young_people", _LABELS["young_people"] + " (names separated by commas)", False),
    ("already_done", _LABELS["already_done"], True),
)

#: Whom the report is about: ``--about-staff`` and ``--about-headteacher``.
ABOUT: tuple[tuple[str, str], ...] = (
    ("Not about an adult in school", "none"),
    ("About a member of staff: sealed to the Headteacher only", "staff"),
    ("About the Headteacher: sealed to the key the school names", "headteacher"),
)


class Filed(Message):
    """The report is in the spool: its receipt, and nothing of its content."""

    def __init__(self, receipt: FiledReceipt) -> None:
        super().__init__()
        self.receipt = receipt


def _fid(name: str) -> str:
    return f"report-{name.replace('_', '-')}"


class DiscloseScreen(AppScreen[None]):
    """The form, then its receipt. F2 files; Esc leaves (asking first if typed)."""

    COMMAND_SCOPES = ("disclose",)
    BINDINGS = bindings("disclose")

    def __init__(self) -> None:
        super().__init__()
        self.filing = False
        self.receipt: FiledReceipt | None = None

    @property
    def holds_keys(self) -> bool:
        """Keys typed while the report is filed wait for the receipt (see YdsiApp)."""
        return self.filing

    def compose(self) -> ComposeResult:
        yield TopBar("Report a concern")
        with VerticalScroll(id="report-form"):
            yield Label(styled(TITLE, "bold"), id="report-title")
            yield Static(
                plain(
                    "No passphrase is needed. Only the DSL and the safeguarding team can read "
                    "what you file (nobody can read it back here, you included); you get a "
                    "receipt. Nothing is kept until you file it with F2.",
                    multiline=True,
                ),
                id="report-intro",
            )
            # The forms' look (styles/forms.tcss): a bar left of where to type, and
            # the label of the field being typed in in reverse video, not colour alone.
            for name, label, long in FIELDS:
                with Vertical(classes="field"):
                    yield Label(plain(label), classes="field-label -wrap")
                    if long:
                        yield TextField(id=_fid(name), soft_wrap=True, tab_behavior="focus",
                                       compact=True)  # fmt: skip
                    else:
                        yield Input(id=_fid(name), compact=True)
            with Vertical(classes="field"):
                yield Label(plain("Is it about an adult in school?"), classes="field-label")
                yield Dropdown(
                    [(plain(label), value) for label, value in ABOUT],
                    value="none",
                    allow_blank=False,
                    compact=True,
                    id=_fid("about"),
                )
            yield Static(
                plain(
                    "A vault account under another name? Quit (Ctrl+Q) and run: ydsi --user NAME"
                ),
                id="report-other-user",
            )
        yield Static("", id="report-status")
        yield Static("", id="report-receipt")
        yield Footer(compact=True, show_command_palette=False)

    def on_mount(self) -> None:
        blink = self.ydsi.settings.cursor_blink
        for field in self.query(Input):
            field.cursor_blink = blink
        for area in self.query(TextArea):
            area.cursor_blink = blink
        self.query_one("#report-receipt", Static).display = False
        self._field("reporter_name").focus()

    def on_input_submitted(self, event: Input.Submitted) -> None:
        """Enter in a one-line field moves on, as in every form; F2 files."""
        event.stop()
        self.focus_next()

    def on_select_changed(self, event: Select.Changed) -> None:
        """About the Headteacher: the reporter reads, before filing, what sealing does not hide."""
        if event.select.id != _fid("about"):
            return
        if event.value == "headteacher":
            self._say(ABOUT_HEADTEACHER_NOTICE, error=False)
        elif not self.filing and self.receipt is None:
            self._say("", error=False)

    def on_descendant_focus(self, event: events.DescendantFocus) -> None:
        for box in self.query(".field"):
            box.set_class(event.widget in box.query("*"), "-current")

    # ------------------------------------------------------------------
    # what is typed
    # ------------------------------------------------------------------
    def _field(self, name: str) -> Widget:
        return self.query_one(f"#{_fid(name)}")

    def _value(self, name: str) -> str:
        widget = self._field(name)
        if isinstance(widget, TextArea):
            return widget.text
        assert isinstance(widget, Input)
        return widget.value

    def _about(self) -> str:
        value = self.query_one(f"#{_fid('about')}", Dropdown).value
        return value if isinstance(value, str) else "none"

    def holds_unfiled_text(self) -> bool:
        """Something typed and not filed (leaving would lose it: there are no drafts)."""
        if self.receipt is not None:
            return False
        try:
            return any(self._value(name).strip() for name, _, _ in FIELDS) or (
                self._about() != "none"
            )
        except Exception:  # noqa: BLE001 - not mounted (any more): nothing held
            return False

    def _disclosure(self) -> Disclosure:
        about = self._about()
        return Disclosure(
            reporter_name=self._value("reporter_name"),
            job_title=self._value("job_title"),
            words=self._value("words"),
            disclosed_by=self._value("disclosed_by"),
            disclosed_when_text=self._value("disclosed_at"),
            how=self._value("how"),
            young_people=young_people_from(self._value("young_people")),
            already_done=self._value("already_done"),
            about_staff=about == "staff",
            about_headteacher=about == "headteacher",
        )

    def _say(self, text: str, *, error: bool) -> None:
        status = self.query_one("#report-status", Static)
        status.set_class(error, "error")
        status.update(join([("✗ ", "bold"), text]) if error else plain(text))

    # ------------------------------------------------------------------
    # filing
    # ------------------------------------------------------------------
    def action_file(self) -> None:
        if self.filing or self.receipt is not None:
            return
        self.filing = True
        self._say("⏳ Filing the report…", error=False)
        self._file(self._disclosure())

    @work(thread=True, exit_on_error=False, group="drop-file", description="file the report")
    def _file(self, disclosure: Disclosure) -> None:
        settings = self.ydsi.settings
        spool, pin = settings.drop_spool, settings.drop_authority
        if spool is None or pin is None:
            self.post_message(
                Failed(
                    "file the report",
                    "No staff-report spool is set up on this server: "
                    "nothing was filed; tell the DSL in person.",
                )
            )
            return
        try:
            receipt = file_staff_report(
                disclosure,
                spool=spool,
                pin_file=pin,
                state_dir=settings.reporter_state or reporter_state_dir(),
            )
        except Exception as error:  # noqa: BLE001 - every refusal becomes words on the form
            self.post_message(describe_error("file the report", error))
            return
        self.post_message(Filed(receipt))

    def on_failed(self, message: Failed) -> None:
        message.stop()
        self.filing = False
        label = {name: label for name, label, _ in FIELDS}.get(message.field or "")
        if message.field == "about_headteacher":
            label = "Is it about an adult in school?"
        text = (
            f"Not filed. {label}: {message.message}" if label else f"Not filed: {message.message}"
        )
        self._say(text, error=True)
        target = {"about_headteacher": "about", "about_staff": "about"}.get(
            message.field or "", message.field or ""
        )
        if target and self.query(f"#{_fid(target)}"):
            self._field(target).focus()

    async def on_filed(self, message: Filed) -> None:
        message.stop()
        self.filing = False
        self.receipt = message.receipt
        self.ydsi.receipts.append(message.receipt)
        # Nothing of the report stays: the fields are emptied, then removed.
        for area in self.query(TextArea):
            area.text = ""
        for field in self.query(Input):
            field.value = ""
        await self.query_one("#report-form").remove()
        self.query_one("#report-status", Static).display = False
        shown = self.query_one("#report-receipt", Static)
        shown.update(
            join(
                [
                    (TITLE, "bold"),
                    "\n\n",
                    plain(receipt_text(message.receipt), multiline=True),
                    "\n\nEsc or Ctrl+Q leaves.",
                ]
            )
        )
        shown.display = True
        self.refresh_bindings()

    # ------------------------------------------------------------------
    # leaving
    # ------------------------------------------------------------------
    def action_close(self) -> None:
        from .dialogs import CloseDialog

        if self.filing:
            return
        if not self.holds_unfiled_text():
            self.app.exit(return_code=0)
            return

        def answer(choice: str | None) -> None:
            if choice == "discard":
                self.app.exit(return_code=0)

        self.app.push_screen(
            CloseDialog(
                "Leave without filing?",
                "The report is not filed, and it is kept nowhere (not even as a draft): "
                "leaving loses what you typed.",
                keep=None,
                discard="Discard the report and leave",
            ),
            answer,
        )

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "file":
            return self.receipt is None
        return True
