"""Sign-off: the Headteacher reads exactly what they sign, confirms, and signs with their key.

What is shown is what is signed: the decision as recorded (outcome, reasons,
who gave input, review date), with the triggers' answers it rests on. The
signature is made by the service with the Headteacher's own key, over the
decision and the statement; if the record changed while they were reading,
the service refuses (the file hash no longer matches) and nothing is signed.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from textual import work
from textual.app import ComposeResult
from textual.containers import VerticalScroll
from textual.widgets import Button, Footer, Input, Label, Static

from ...model.decisions import (
    check_signoff,
    signoff_declined,
    signoff_needed,
    unanswered_triggers,
)
from ...model.errors import ValidationError
from ...model.referrals import trigger_overridden
from ...model.suggestions import against_suggestion, suggest_triggers
from ...model.timeparse import format_local
from ...service.describe import describe
from ..commands import bindings
from ..jobs import call
from ..messages import Failed, Saved
from ..text import join, plain
from ..widgets.bars import TopBar
from ..widgets.panes import answer_words, differences_from_text, pupil_names
from .base import AppScreen

if TYPE_CHECKING:
    from textual.content import Content

    from ...service.casebook import IncidentView
    from ...service.factory import Services

__all__ = ["DEFAULT_STATEMENT", "SignoffScreen", "signoff_refusal", "what_is_signed"]

DEFAULT_STATEMENT = "I agree with this decision and its reasons."


def what_is_signed(view: IncidentView) -> Content:
    """The decision as the Headteacher will sign it, in full, with what it rests on.

    An override of a trigger, a trigger not answered, and an answer that goes
    against what the record suggests are each said in words at the place they
    arise: the Headteacher signs knowing them, and the screen refuses what the
    policy refuses before a key is touched.
    """
    decision = view.incident.current_decision
    if decision is None:
        return plain("There is no decision recorded yet: nothing to sign.")
    event = decision.event
    policy = view.policy
    threshold = policy.settings.trigger4_age_threshold
    parts: list[Content | str | tuple[str, str]] = [
        ("The decision you are signing\n", "bold underline"),
        ("Decision: ", "bold"),
        "respond in school, without referring to the police or children's social care"
        if decision.outcome == "in_school"
        else describe(event, policy, pupil_names(view)),
        "\n",
        ("Reasons: ", "bold"),
        decision.reason or "(none recorded)",
        "\n",
    ]
    if trigger_overridden(view.incident, policy):
        parts += [
            ("⚠ TRIGGER OVERRIDDEN: ", "bold reverse"),
            "a trigger applies and the referral it needs is not recorded.\n",
            ("Override reason: ", "bold"),
            decision.override_reason or "(none recorded)",
            "\n",
        ]
    elif decision.override_reason:
        parts += [("Override reason: ", "bold"), decision.override_reason, "\n"]
    parts += [
        ("Input from: ", "bold"),
        "; ".join(decision.input_from) or "(nobody recorded)",
        "\n",
        ("Recorded by: ", "bold"),
        f"{event.by} on {format_local(event.recorded_at)}",
        "\n",
    ]
    if decision.review_by is not None:
        parts += [("To be reviewed by: ", "bold"), format_local(decision.review_by), "\n"]
    parts.append(("\nThe five triggers it rests on\n", "bold underline"))
    suggestions = suggest_triggers(view.incident, policy)
    unexplained = {s.n for s in against_suggestion(view.incident, policy)}
    for trigger in policy.triggers:
        answer = view.incident.triggers.get(trigger.n)
        words, style = answer_words(answer.answer if answer else None)
        parts += [(f"{trigger.n}. {words}", style or "bold"), f" {trigger.wording(threshold)}\n"]
        if answer is not None and answer.basis:
            parts += ["   Basis: ", answer.basis, "\n"]
        suggestion = suggestions.get(trigger.n)
        if (
            suggestion is not None
            and suggestion.answer == "yes"
            and (answer is None or answer.answer != "yes")
        ):
            parts += [("   ! The record suggests YES: ", "bold"), suggestion.basis, "\n"]
            if answer is not None and answer.reason_against_suggestion:
                parts += ["   Why not: ", answer.reason_against_suggestion, "\n"]
            elif trigger.n in unexplained:
                parts += [("   No reason is recorded for answering against it.", "bold"), "\n"]
    parts += risk_assessment(view)
    declined = signoff_declined(view.incident)
    if declined is not None:
        parts += [
            ("\n✗ Declined ", "bold"),
            f"by {declined.by} on {format_local(declined.at)}: ",
            declined.text("reason"),
            "\n",
        ]
    missing = unanswered_triggers(view.incident, policy)
    if missing:
        listed = ", ".join(str(n) for n in missing)
        parts += [("\n✗ Not answered yet: trigger(s) ", "bold"), (listed, "bold"), "\n"]
    parts.extend(differences_from_text(policy.notes_for("signoff")))
    return join(parts)


def risk_assessment(view: IncidentView) -> list[Content | str | tuple[str, str]]:
    """Each young person's answers to the risk questions: what an in-school response rests on."""
    incident, policy = view.incident, view.policy
    parts: list[Content | str | tuple[str, str]] = [
        ("\nThe risk assessment, for each young person\n", "bold underline")
    ]
    if not incident.pupils:
        return [*parts, ("✗ No young person is recorded.\n", "bold")]
    for pupil_id, pupil in incident.pupils.items():
        answers = incident.risk_answers.get(pupil_id, {})
        parts += [(pupil.name or "(no name)", "bold"), "\n"]
        for question in policy.risk_questions:
            entry = answers.get(question.id)
            answer = entry.text("answer") if entry is not None else ""
            parts += [f"   {question.text}\n", "      "]
            parts.append(answer if answer.strip() else ("✗ not answered", "bold"))
            parts.append("\n")
    return parts


def signoff_refusal(view: IncidentView) -> str | None:
    """Why the policy refuses this sign-off now (the model's own words), or None."""
    try:
        check_signoff(view.incident, view.policy)
    except ValidationError as refused:
        return refused.message
    return None


class SignoffScreen(AppScreen[Saved | None]):
    COMMAND_SCOPES = ("signoff",)
    BINDINGS = bindings("signoff")

    def __init__(self, view: IncidentView) -> None:
        super().__init__()
        self.view = view
        self.saving = False
        self.draft_id: str | None = None

    @property
    def holds_keys(self) -> bool:
        """Keys typed while a save is under way wait for what comes next (see YdsiApp)."""
        return self.saving

    def compose(self) -> ComposeResult:
        yield TopBar(f"Sign-off {self.view.ref}")
        with VerticalScroll(id="signoff-body"):
            yield Static(what_is_signed(self.view), id="signoff-decision")
            yield Label(plain("Your statement (signed with the decision):"), classes="field-label")
            yield Input(DEFAULT_STATEMENT, id="statement")
            yield Button(plain("F2  Sign with my key"), id="sign", variant="primary")
            yield Button(plain("F3  Decline, saying why"), id="decline")
        yield Static("", id="signoff-status")
        yield Footer(compact=True, show_command_palette=False)

    def on_mount(self) -> None:
        status = self.query_one("#signoff-status", Static)
        refusal = signoff_refusal(self.view)
        if refusal is not None:
            status.update(join([("✗ Cannot be signed: ", "bold"), refusal]))
            self.query_one("#sign", Button).disabled = True
        else:
            status.update(plain("Read the decision, then F2 to sign it with your own key."))
        self.query_one("#statement", Input).cursor_blink = self.ydsi.settings.cursor_blink
        self.query_one("#signoff-body").focus()

    def on_button_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        if event.button.id == "decline":
            self.action_decline()
        else:
            self.action_sign()

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self.query_one("#sign", Button).focus()

    def action_sign(self) -> None:
        from .dialogs import ConfirmDialog

        statement = self.query_one("#statement", Input).value.strip()
        if not statement or self.saving:
            return
        refusal = signoff_refusal(self.view)
        if refusal is not None:
            self.ydsi.show_error(Failed("sign the decision", refusal))
            return

        def answer(yes: bool | None) -> None:
            if yes:
                self.saving = True
                self.query_one("#signoff-status", Static).update(plain("⏳ Signing…"))
                self._sign(statement)

        self.app.push_screen(
            ConfirmDialog(
                "Sign this decision?",
                "Your signature will be made with your own key over the decision shown and "
                "your statement. It cannot be taken back (a later decision replaces it).",
                yes="Sign",
                no="Not now",
            ),
            answer,
        )

    def action_decline(self) -> None:
        """Refuse to sign, with a reason the DSL will read: the decision stays waiting."""
        from .dialogs import ReasonDialog

        if self.saving or not signoff_needed(self.view.incident):
            return

        def answer(reason: str | None) -> None:
            if reason:
                self.saving = True
                self.query_one("#signoff-status", Static).update(plain("⏳ Saving…"))
                self._decline(reason)

        self.app.push_screen(
            ReasonDialog(
                "Decline to sign off?",
                "Say why. The decision stays waiting for sign-off; the DSL is asked at once "
                "to revise it or refer, and reads your reason in the record.",
            ),
            answer,
        )

    @work(thread=True, exit_on_error=False, group="vault-write", description="decline to sign")
    def _decline(self, reason: str) -> None:
        ref, file_hash = self.view.ref, self.view.file_hash

        def job(services: Services) -> Saved:
            assert services.cases is not None
            event = services.cases.decline_signoff(ref, reason, expect_hash=file_hash)
            return Saved(ref, "decline", event)

        self.post_message(call(self.ydsi, "decline to sign", job, write=True))

    @work(thread=True, exit_on_error=False, group="vault-write", description="sign the decision")
    def _sign(self, statement: str) -> None:
        ref, file_hash = self.view.ref, self.view.file_hash

        def job(services: Services) -> Saved:
            assert services.cases is not None
            event = services.cases.sign_off(ref, statement, expect_hash=file_hash)
            return Saved(ref, "sign-off", event)

        self.post_message(call(self.ydsi, "sign the decision", job, write=True))

    def on_saved(self, message: Saved) -> None:
        self.saving = False
        if message.what == "decline":
            self.notify("Declined: the DSL is asked to revise the decision or refer.", markup=False)
        else:
            self.notify("Signed.", markup=False)
        self.dismiss(message)

    def on_failed(self, message: Failed) -> None:
        self.saving = False
        self.query_one("#signoff-status", Static).update(join([("✗ ", "bold"), message.message]))
        if message.error_type == "Conflict":
            message = Failed(
                message.what,
                "The incident changed while you were reading it, so nothing was signed. "
                "Go back, read the decision again and sign the current version.",
            )
        self.ydsi.show_error(message)

    def action_close(self) -> None:
        if not self.saving:
            self.dismiss(None)
