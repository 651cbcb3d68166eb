"""Users and keys, for the DSL: the same acts as ``ydsi user ...``, through the same service.

The list (:func:`~ydsi_tui.service.users.overview`) shows each user, their
role and the state of their keys, with what a DSL must still do (a rotation
left unfinished, a slot declared compromised) above it. ``a`` invites a
member of staff (a role, a login name; the one-time code is shown once),
``e`` endorses waiting requests, ``r`` resets a forgotten passphrase with the
recovery code, ``x`` removes the highlighted user and rotates the keys they
held, ``t`` rotates every key (or finishes a rotation that stopped), ``c``
re-issues the recovery code (a new code shown once, then every key rotated,
as ``ydsi recovery-code reissue``).

A removal is never one key: ``x`` first asks the service whether it would
refuse, then a dialog wants the user's login name and the DSL's own
passphrase typed, then F2; and it is reported done only once the rotation
is. Every slow step (key derivation, re-encrypting every record) runs in a
thread worker with the progress line turning. Only a DSL reaches this screen
(``open_users`` in ``app/navigation.py``); the service refuses
anyone else again.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from textual import on
from textual.app import ComposeResult
from textual.widgets import Footer, Static

from ...model.errors import ValidationError
from ...model.roles import ROLES, role_name
from ...service.user_removal import (
    DropSettings,
    Reissued,
    Removal,
    RemovalPlan,
    Rotated,
    plan_removal,
    reissue_recovery_code,
    remove_and_rotate,
    rotate_all,
)
from ...service.users import (
    Endorsed,
    Invitation,
    Overview,
    UserRow,
    check_login,
    check_reset,
    endorse_requests,
    invite_user,
    overview,
)
from ..commands import bindings
from ..text import cell, join, plain
from ..widgets.bars import TopBar
from ..widgets.progress import ProgressLine
from ..widgets.table import RecordTable, Row
from .tools import ToolScreen

if TYPE_CHECKING:
    from textual.content import Content

    from ...service.factory import Services
    from ..jobs import Reporter
    from ..messages import Failed

__all__ = ["UsersScreen", "key_words"]


def key_words(row: UserRow) -> str:
    """The Keys column: a symbol and a word or two, so colour is never the only signal."""
    if row.pending:
        return "⌛ invited, not enrolled"
    if not row.has_slot:
        return "✗ no key slot"
    if row.request_refused:
        return "✗ request refused"
    if row.request:
        return "⚠ request waiting"
    if row.key_issued_by:
        return f"• issued by {row.key_issued_by.removeprefix('the ')}"
    return "✔ own keys"


def _held_words(held: tuple[str, ...]) -> str:
    """``("case", "custody", "authority")`` -> "case, custody and authority"."""
    words = list(held)
    return ", ".join(words[:-1]) + f" and {words[-1]}" if len(words) > 1 else "".join(words)


class UsersScreen(ToolScreen):
    COMMAND_SCOPES = ("users",)
    BINDINGS = bindings("users")

    def __init__(self) -> None:
        super().__init__()
        self.listing: Overview | None = None

    @property
    def holds_keys(self) -> bool:
        """Keys typed while a change is written wait for it (see YdsiApp)."""
        return self.busy and self.writing

    @property
    def drop(self) -> DropSettings:
        settings = self.ydsi.settings
        return DropSettings(settings.drop_spool, settings.drop_about_headteacher_key)

    def compose(self) -> ComposeResult:
        yield TopBar("Users and keys")
        yield Static(plain("Reading the users…"), id="users-summary")
        yield ProgressLine(id="users-progress")
        yield RecordTable(
            [
                ("login", "Login", 12),
                ("role", "Role", 18),
                ("name", "Name", None),
                ("keys", "Keys", 26),
            ],
            id="users-table",
        )
        yield Static("", id="users-detail")
        yield Static("", id="users-status")
        yield Footer(compact=True, show_command_palette=False)

    def on_mount(self) -> None:
        self.query_one("#users-table", RecordTable).focus()
        self.reload()

    # ------------------------------------------------------------ the list

    def reload(self) -> None:
        def job(services: Services, reporter: Reporter) -> Overview:
            reporter.stage("Reading the users and their keys")
            return overview(services.session)

        if not self.busy:
            self.run_job("read the users", job, self._show)

    def _show(self, view: Overview) -> None:
        self.listing = view
        rows: list[Row] = [
            (
                user.name,
                [
                    cell(user.name, "bold"),
                    cell(role_name(user.role)),
                    cell(user.full_name),
                    cell(key_words(user)),
                ],
            )
            for user in view.users
        ]
        table = self.query_one("#users-table", RecordTable)
        table.show_rows(rows)
        table.border_title = f"Users ({len(view.users)})"
        self._summary(view)
        self._detail()
        self.refresh_bindings()

    def _summary(self, view: Overview) -> None:
        invited = sum(1 for u in view.users if u.pending)
        waiting = sum(1 for u in view.users if u.request and not u.request_refused)
        parts: list[Content | str | tuple[str, str]] = []
        if view.rotation_unfinished:
            parts += [
                ("⚠ A key rotation stopped part-way: ", "bold"),
                "the old keys still open records; t finishes it.\n",
            ]
        for warning in view.key_warnings[:1]:
            parts += [("⚠ ", "bold"), warning, "\n"]
        parts.append(
            f"{len(view.users) - invited} can unlock; {invited} invited, not enrolled; "
            f"{waiting} request(s) waiting" + (" (e endorses)." if waiting else ".")
        )
        self.query_one("#users-summary", Static).update(join(parts))

    @property
    def current(self) -> UserRow | None:
        key = self.query_one("#users-table", RecordTable).current_key
        view = self.listing
        if view is None or key is None:
            return None
        return next((u for u in view.users if u.name == key), None)

    @on(RecordTable.RowHighlighted, "#users-table")
    def _detail(self) -> None:
        row = self.current
        detail = self.query_one("#users-detail", Static)
        if row is None:
            detail.update("")
            return
        about = f"{row.name}: {role_name(row.role)}" + (
            f", {row.full_name}" if row.full_name else ""
        )
        if self.listing is not None and row.name == self.listing.me:
            state = "This is you: change your own passphrase with 'Change my passphrase' (^p)."
        elif row.pending:
            state = "Invited; their code is not used yet. x cancels the invitation."
        elif not row.has_slot:
            state = "Nobody can unlock as them (compromised): x removes them; then invite again."
        elif row.request:
            state = f"Their {row.request}."
        elif row.key_issued_by:
            state = (
                f"Their key was made by {row.key_issued_by}, not by them: until they run "
                "'ydsi user passwd --new-keys' it does not count for a sign-off."
            )
        else:
            state = "Their keys are their own. r resets a forgotten passphrase; x removes them."
        detail.update(join([(about + ". ", "bold"), state]))

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action in ("reset", "remove"):
            return self.current is not None or None
        if action == "reissue":
            return self.may_reissue
        return True

    @property
    def may_reissue(self) -> bool:
        """A DSL's own session, not the recovery code's (the service refuses it again)."""
        services = self.ydsi.services
        session = services.session if services is not None else None
        return session is not None and session.role == "dsl" and not session.is_recovery

    def job_failed(self, message: Failed) -> bool:
        """Every refusal is one line under the list; then the list is read again."""
        if message.error_type == "KeyChangeIncomplete":
            self._status(("⚠ ", "bold"), message.message)
        else:
            self._status(("✗ ", "bold"), f"Could not {message.what}: {message.message}")
        if message.what != "read the users":
            self.call_later(self.reload)
        return True

    def _status(self, *parts: Content | str | tuple[str, str]) -> None:
        self.query_one("#users-status", Static).update(join(parts))

    # ------------------------------------------------------------ inviting

    def action_add(self) -> None:
        from .dialogs import MenuDialog

        def chosen(role: str | None) -> None:
            if role is not None:
                self._ask_name(role)

        self.app.push_screen(
            MenuDialog("Invite a member of staff as…", [(r, role_name(r)) for r in ROLES]),
            chosen,
        )

    def _ask_name(self, role: str) -> None:
        from .dialogs import FieldDef, FieldsDialog

        def check(values: dict[str, str]) -> dict[str, str]:
            try:
                check_login(values["name"])
            except ValidationError as error:
                return {"name": error.message}
            return {}

        def typed(values: dict[str, str] | None) -> None:
            if values is not None:
                self._invite(values["name"], role, values["full_name"])

        self.app.push_screen(
            FieldsDialog(
                f"New user: {role_name(role)}",
                "A one-time enrolment code is shown next: they choose their own passphrase "
                "with it, so you never know it.",
                [
                    FieldDef(
                        "name",
                        "Their login name on this server",
                        required=True,
                        hint="such as jsmith",
                    ),
                    FieldDef("full_name", "Their name in full, as records should show it"),
                ],
                check=check,
                done="Invite",
            ),
            typed,
        )

    def _invite(self, name: str, role: str, full_name: str) -> None:
        def job(services: Services, reporter: Reporter) -> Invitation:
            reporter.stage("Writing the invitation into the signed header")
            return invite_user(services.session, name, role, full_name)

        self.run_job(f"invite {name}", job, self._invited, write=True)

    def _invited(self, invitation: Invitation) -> None:
        from .user_dialogs import CodeDialog

        name = invitation.name

        def closed(_: None) -> None:
            self._status(
                ("✔ ", "bold"),
                f"Invited {name}. Once they have enrolled, e "
                "endorses their keys (your next unlock does too).",
            )
            self.reload()

        words = role_name(invitation.role, in_sentence=True)
        self.app.push_screen(CodeDialog(invitation, words, str(self.ydsi.vault_path)), closed)

    # ------------------------------------------------------------ endorsing

    def action_endorse(self) -> None:
        def job(services: Services, reporter: Reporter) -> Endorsed:
            reporter.stage("Checking and endorsing the waiting requests")
            return endorse_requests(services.session)

        self.run_job("endorse the waiting requests", job, self._endorsed, write=True)

    def _endorsed(self, done: Endorsed) -> None:
        parts: list[Content | str | tuple[str, str]] = []
        if done.endorsed:
            parts += [("✔ Endorsed ", "bold"), f"the new keys of {', '.join(done.endorsed)}. "]
        for problem in done.refused[:1]:
            parts += [("✗ Refused: ", "bold"), problem]
        if len(done.refused) > 1:
            parts.append(f" (and {len(done.refused) - 1} more: see the list)")
        self._status(*(parts or ["No requests are waiting."]))
        self.reload()

    # ------------------------------------------------------------ resetting

    def action_reset(self) -> None:
        row = self.current
        if row is None:
            return
        name = row.name

        def job(services: Services, reporter: Reporter) -> str:
            reporter.stage(f"Checking whether {name} can be reset")
            session = services.session
            check_reset(session.vault, name, unlocked_as=session.name)
            return name

        self.run_job(f"reset {name}", job, self._ask_reset)

    def _ask_reset(self, name: str) -> None:
        from .user_reset import ResetScreen

        def closed(_: None) -> None:
            self.reload()

        self.app.push_screen(ResetScreen(name), closed)

    # ------------------------------------------------------------ removing

    def action_remove(self) -> None:
        row = self.current
        if row is None:
            return
        name = row.name

        def job(services: Services, reporter: Reporter) -> RemovalPlan:
            reporter.stage(f"Checking whether {name} may be removed")
            return plan_removal(services.session, name)

        self.run_job(f"remove {name}", job, self._confirm_removal)

    def _confirm_removal(self, plan: RemovalPlan) -> None:
        from .user_dialogs import KeyConfirmDialog

        name = plan.name
        if plan.pending:
            title, action = f"Cancel the invitation of {name}?", "Cancel it"
            text = join(
                [
                    f"{name} never enrolled, so held no key: their code stops working "
                    "and nothing needs rotating."
                ]
            )
        else:
            title, action = f"Remove {name} and rotate their keys?", "Remove and rotate"
            text = join(
                [
                    f"{name} ({role_name(plan.role, in_sentence=True)}) can no longer unlock. "
                    "Then the ",
                    (f"{_held_words(plan.held)} keys", "bold"),
                    " they held are replaced and every record re-encrypted, so a copy they "
                    "kept opens nothing saved from now on.",
                ]
            )

        def confirmed(passphrase: str | None) -> None:
            if passphrase is not None:
                self._remove(plan, passphrase)

        self.app.push_screen(KeyConfirmDialog(title, text, action=action, name=name), confirmed)

    def _remove(self, plan: RemovalPlan, passphrase: str) -> None:
        name, drop = plan.name, self.drop

        def job(services: Services, reporter: Reporter) -> Removal:
            reporter.stage(
                f"Removing {name}"
                if plan.pending
                else f"Removing {name}, then re-encrypting every record under new keys"
            )
            return remove_and_rotate(services.session, name, passphrase, drop=drop)

        self.run_job(f"remove {name}", job, self._removed, write=True)

    def _removed(self, removal: Removal) -> None:
        name = removal.plan.name
        if removal.rotated is None:
            self._status(
                ("✔ ", "bold"), f"Cancelled the invitation of {name}: their code no longer works."
            )
        else:
            self._status(
                ("✔ Removed ", "bold"),
                f"{name}: their key slot is gone, and the {_held_words(removal.plan.held)} "
                f"keys are rotated ({removal.rotated.records} records re-encrypted). A copy "
                f"they kept opens nothing saved from now on.{self._drop_words(removal.rotated)}",
            )
        self.reload()

    # ------------------------------------------------------------ rotating

    def action_rotate(self) -> None:
        from .user_dialogs import KeyConfirmDialog

        text = join(
            [
                "New case and custody keys and a new authority key, and every record "
                "re-encrypted (this can take a while); a rotation that stopped part-way is "
                "finished instead. Nobody's access changes.",
            ]
        )

        def confirmed(passphrase: str | None) -> None:
            if passphrase is not None:
                self._rotate(passphrase)

        self.app.push_screen(
            KeyConfirmDialog("Rotate every key?", text, action="Rotate", name=None), confirmed
        )

    def _rotate(self, passphrase: str) -> None:
        drop = self.drop

        def job(services: Services, reporter: Reporter) -> Rotated:
            reporter.stage("Re-encrypting every record under new keys")
            return rotate_all(services.session, passphrase, drop=drop)

        self.run_job("rotate the keys", job, self._rotated, write=True)

    def _rotated(self, rotated: Rotated) -> None:
        self._status(
            ("✔ Rotated ", "bold"),
            f"every key: {rotated.records} records re-encrypted.{self._drop_words(rotated)}",
        )
        self.reload()

    @staticmethod
    def _drop_words(rotated: Rotated) -> str:
        published = rotated.drop_key
        if published is None:
            return ""
        if published.problem is not None:
            return f" ⚠ The staff drop's key was not republished: {published.problem}"
        return f" The staff drop's new key is published (serial {published.serial})."

    # ------------------------------------------------------------ the recovery code

    def action_reissue(self) -> None:
        from .user_dialogs import KeyConfirmDialog

        if not self.may_reissue:
            self._status(("✗ ", "bold"), "Only a DSL re-issues the recovery code: ask a DSL.")
            return
        text = join(
            [
                "A new recovery code, shown once, for the envelope in the school safe. ",
                ("The old code stops opening anything saved afterwards", "bold"),
                " (use this when the envelope was opened or lost): every key is rotated and "
                "every record re-encrypted, which takes a while. Nobody's access changes.",
            ]
        )

        def confirmed(passphrase: str | None) -> None:
            if passphrase is not None:
                self._reissue(passphrase)

        self.app.push_screen(
            KeyConfirmDialog("Re-issue the recovery code?", text, action="Re-issue", name=None),
            confirmed,
        )

    def _reissue(self, passphrase: str) -> None:
        drop = self.drop

        def job(services: Services, reporter: Reporter) -> Reissued:
            reporter.stage("Making a new recovery code, then re-encrypting every record")
            return reissue_recovery_code(services.session, passphrase, drop=drop)

        self.run_job("re-issue the recovery code", job, self._reissued, write=True)

    def _reissued(self, reissued: Reissued) -> None:
        from .user_dialogs import RecoveryCodeDialog

        rotated, unfinished = reissued.rotated, reissued.unfinished  # not the code

        def closed(_: None) -> None:
            if rotated is None:
                self._status(("⚠ ", "bold"), unfinished or "")
            else:
                self._status(
                    ("✔ Re-issued ", "bold"),
                    f"the recovery code: every key rotated ({rotated.records} records "
                    "re-encrypted); the old code opens nothing saved from now on."
                    f"{self._drop_words(rotated)}",
                )
            self.reload()

        self.app.push_screen(RecoveryCodeDialog(reissued), closed)
