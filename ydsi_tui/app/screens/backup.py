"""Backup: the vault, still encrypted, in one new file; then that file verified on its own.

A DSL's job (the service refuses anyone else, and says so). The copy is made
under the vault's lock in a thread worker with a progress line, then
verified exactly as ``ydsi verify --backup`` does: every hash, every
signature, the log against the head it was made at. The result is shown.
Restoring stays in the command line: it replaces a vault, and must not run
from inside the vault it replaces.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from textual import on
from textual.app import ComposeResult
from textual.containers import Vertical, VerticalScroll
from textual.widgets import Footer, Input, Label, Static

from ...model.timeparse import date_to_iso, to_local
from ..commands import bindings
from ..exports import default_path, prepare, resolve, shown
from ..text import join, plain, visible
from ..widgets.bars import TopBar
from ..widgets.progress import ProgressLine
from .tools import ToolScreen

if TYPE_CHECKING:
    from textual.content import Content

    from ...service.factory import Services
    from ...vault.backup import BackupCheck, Manifest
    from ..jobs import Reporter
    from ..messages import Failed

__all__ = ["RESTORE_NOTE", "BackedUp", "BackupScreen", "check_content"]

RESTORE_NOTE = (
    "ydsi restore FILE --vault DIR, from the command line only. Restoring replaces a vault, "
    "so it must never run from inside the vault it replaces: leave ydsi first, and make sure "
    "nobody else has the vault open."
)


@dataclass(frozen=True)
class BackedUp:
    path: Path
    size: int
    manifest: Manifest
    check: BackupCheck


def check_content(done: BackedUp) -> Content:
    """What writing and verifying found, in words."""
    check, manifest = done.check, done.manifest
    n = len(manifest.spool)
    reports = f" and {n} report{'s' if n != 1 else ''} from staff" if n else ""
    parts: list[Content | str | tuple[str, str]] = [
        ("✔ Written: ", "bold"),
        f"{len(manifest.files)} files{reports} (audit entry {manifest.audit_seq}) to\n"
        f"{visible(shown(done.path))}\n({done.size:,} bytes, readable by you only). The records "
        "in it are still encrypted and no key is in it; keep it as securely as the vault, "
        "off this server.\n",
    ]
    if check.ok:
        records = check.report.records if check.report is not None else 0
        parts += [
            ("✔ Verified: the backup is intact. ", "bold"),
            f"Every file's hash, every signature and the audit log up to entry "
            f"{manifest.audit_seq} checked ({records} records). Check it again any time with: "
            "ydsi verify --backup FILE",
        ]
    else:
        parts += [(f"✗ NOT intact: {len(check.problems)} problem(s).", "bold reverse")]
        parts += [f"\n  ✗ {problem}" for problem in check.problems]
    notes = [manifest.spool_note] if manifest.spool_note else []
    parts += [f"\n  note: {note}" for note in [*notes, *check.notes]]
    return join(parts)


class BackupScreen(ToolScreen):
    COMMAND_SCOPES = ("backup",)
    BINDINGS = bindings("backup")

    def __init__(self) -> None:
        super().__init__()
        self.done: BackedUp | None = None

    def compose(self) -> ComposeResult:
        yield TopBar("Backup")
        today = date_to_iso(to_local(self.ydsi.now()).date())
        with VerticalScroll(id="backup-body"):
            yield Static(
                plain(
                    "One file holding the vault as it is now: the signed header, the audit log "
                    "and every record, still encrypted, with no key in it, and a manifest "
                    "signed by you (a DSL). It is checked as soon as it is written.",
                    multiline=True,
                ),
                id="backup-intro",
            )
            with Vertical(classes="field"):
                yield Label(plain("File to write (a new file; ~ is your home folder) *"),
                            classes="field-label")  # fmt: skip
                yield Input(default_path(f"ydsi-backup-{today}", ".tar"), compact=True,
                            id="backup-path")  # fmt: skip
            yield ProgressLine(id="backup-progress")
            yield Static(plain("F2: write the backup, then verify it."), id="backup-result")
            yield Static(join([("To restore: ", "bold"), RESTORE_NOTE]), id="backup-restore")
        yield Footer(compact=True, show_command_palette=False)

    def on_mount(self) -> None:
        field = self.query_one("#backup-path", Input)
        field.cursor_blink = self.ydsi.settings.cursor_blink
        field.focus()

    @on(Input.Submitted, "#backup-path")
    def _submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self.action_write()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "write":
            return (not self.busy and self.done is None) or None
        return True

    def action_write(self) -> None:
        from ...vault.backup import BackupCheck, verify_backup, write_backup
        from ...vault.errors import VaultError

        if self.busy or self.done is not None:
            return
        text = self.query_one("#backup-path", Input).value
        spool = self.ydsi.settings.drop_spool

        def job(services: Services, reporter: Reporter) -> BackedUp:
            path = prepare(resolve(text))
            reporter.stage("Copying the vault's files")
            manifest = write_backup(services.session, path, progress=reporter, spool=spool)
            reporter.stage("Verifying the backup")
            try:
                check = verify_backup(path, session=services.session)
            except VaultError as error:  # written, but could not be checked: say so
                check = BackupCheck(problems=[str(error)])
            return BackedUp(path, path.stat().st_size, manifest, check)

        self.query_one("#backup-result", Static).update(plain(""))
        self.run_job("back up the vault", job, self._written, write=True)

    def _written(self, done: BackedUp) -> None:
        self.done = done
        self.query_one("#backup-result", Static).update(check_content(done))
        self.query_one("#backup-path", Input).disabled = True
        self.query_one("#backup-body", VerticalScroll).focus()
        verdict = "verified intact" if done.check.ok else "NOT intact: see the screen"
        self.notify(
            f"Backed up to {visible(shown(done.path))}: {verdict}.",
            markup=False,
            timeout=12,
            severity="information" if done.check.ok else "error",
        )

    def job_failed(self, message: Failed) -> bool:
        self.query_one("#backup-result", Static).update(
            join([("✗ No backup was made: ", "bold"), message.message])
        )
        return False
