"""Helpers for tests of the staff-report drop: a real spool, a published key, a report.

The spool is a real directory with the real mode (3773); the drop key is
signed by the vault's real authority key; reports are sealed and filed by
the real client code. Only who runs it differs: these run as the test's own
user (tests needing other Unix users make them, see test_staff_drop.py).
"""

from __future__ import annotations

import os
from pathlib import Path

from ydsi_tui.service.staff_reports import Disclosure, file_staff_report
from ydsi_tui.vault.drop import DropKey, FiledReceipt, pin_text
from ydsi_tui.vault.fs import FileSystem
from ydsi_tui.vault.session import Session

#: A report's words: hostile on purpose (markup, an escape, a newline).
HOSTILE_WORDS = "She said [bold]he[/bold] hit her\x1b[2J\nand not to tell anyone"


def make_spool(base: Path, *, gid: int | None = None) -> Path:
    """A spool as the README asks root to make it: setgid, sticky, world-writable, unlistable."""
    spool = base / "spool"
    spool.mkdir()
    if gid is not None:
        os.chown(spool, 0, gid)
    os.chmod(spool, 0o3773)
    return spool


def publish(session: Session, spool: Path, base: Path) -> tuple[DropKey, Path]:
    """A DSL publishes the drop key; root installs the pin (the first authority key)."""
    key = session.publish_drop_key(spool)
    pin = base / "authority.pub"
    pin.write_text(pin_text(key.vault_id, session.vault.header.authority[0].public))
    os.chmod(pin, 0o644)
    return key, pin


def disclose(
    spool: Path,
    pin: Path,
    state: Path,
    words: str = HOSTILE_WORDS,
    *,
    fs: FileSystem | None = None,
    **fields: object,
) -> FiledReceipt:
    """File one report as a member of staff would (no passphrase, no vault access)."""
    disclosure = Disclosure(
        reporter_name=str(fields.pop("reporter_name", "Ann Tutor")),
        job_title=str(fields.pop("job_title", "Form tutor")),
        words=words,
        **fields,  # type: ignore[arg-type]
    )
    return file_staff_report(disclosure, spool=spool, pin_file=pin, state_dir=state, fs=fs)
