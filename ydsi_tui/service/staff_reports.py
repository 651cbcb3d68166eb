"""Staff reports: filing one (any login, no passphrase) and opening one (the triage roles).

The model says what a report is (:mod:`ydsi_tui.model.staff_reports`); the
vault seals, files, lists and opens the bytes (:mod:`ydsi_tui.vault.drop`,
:mod:`ydsi_tui.vault.drop_inbox`). This module joins the two, since neither
may know the other: the CLI and the app call only what is here.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

from ..model.staff_reports import StaffReport, report_doc
from ..model.timeparse import format_local
from ..vault.drop import (
    ABOUT_HEADTEACHER_ID,
    FOR_ABOUT_HEADTEACHER,
    FOR_HEADTEACHER,
    FOR_TRIAGE,
    DropError,
    FiledReceipt,
    check_spool_dir,
    file_report,
    new_report_id,
    open_report_bytes,
    read_drop_key,
    read_head,
    read_recipient_secret,
    read_spooled,
    seal_report,
)
from ..vault.fs import FileSystem

if TYPE_CHECKING:
    # Not imported to file a report: ``ydsi disclose`` starts without a session.
    from ..vault.drop_inbox import ReceivedReport
    from ..vault.session import Session

__all__ = [
    "ABOUT_HEADTEACHER_NOTICE",
    "Disclosure",
    "check_drop_ready",
    "file_staff_report",
    "open_staff_report",
    "open_with_named_key",
    "receipt_text",
    "receive_staff_reports",
    "reporter_state_dir",
    "vault_member",
    "young_people_from",
]


#: What a reporter is told before a report about the Headteacher is filed: its
#: content is sealed to the key the school names, its existence is not hidden
#: (SECURITY.md, "Not promised"), so they should not rely on the drop alone.
ABOUT_HEADTEACHER_NOTICE = (
    "A report about the Headteacher is sealed so that only the holder of the key the "
    "school names (such as the chair of governors) can read it. Its existence is not "
    "hidden: the Headteacher and the safeguarding team can see that a report they cannot "
    "open was filed, when, and from your login. Tell the chair of governors directly too, "
    "as the school's procedure for allegations against the Headteacher says."
)


@dataclass(frozen=True)
class Disclosure:
    """What a member of staff typed, before it is sealed."""

    reporter_name: str
    job_title: str
    words: str
    disclosed_by: str = ""
    disclosed_when_text: str = ""
    how: str = ""
    young_people: tuple[str, ...] = ()
    already_done: str = ""
    about_staff: bool = False
    about_headteacher: bool = False


def young_people_from(items: str | list[str] | tuple[str, ...]) -> tuple[str, ...]:
    """The young people as typed: one per item, or several split at commas and lines."""
    given = [items] if isinstance(items, str) else list(items)
    return tuple(
        name.strip()
        for item in given
        for name in item.replace("\n", ",").split(",")
        if name.strip()
    )


def reporter_state_dir() -> Path:
    """Where a reporter's client keeps the highest drop-key serial it has seen (no content)."""
    import platformdirs

    return platformdirs.user_state_path("ydsi")


def receipt_text(receipt: FiledReceipt) -> str:
    """The receipt, word for word as ``ydsi disclose`` prints it and the app's form shows it."""
    return (
        "Filed. The DSL is told a report is waiting (never what it says).\n"
        f"Receipt: report {receipt.report_id}\n"
        f"         filed {format_local(receipt.filed_at)}\n"
        f"         sha256 {receipt.digest}\n"
        "Keep this receipt: it proves you reported. Nobody can read the report back here, "
        "you included. If it is urgent, also tell the DSL in person now."
    )


def check_drop_ready(spool: Path, pin_file: Path, state_dir: Path) -> None:
    """Refuse, as filing would, if no report could be filed now (nothing is written).

    The same checks :func:`file_staff_report` makes first: the spool's mode,
    the published drop key vouched for by the pinned authority, its serial.
    """
    check_spool_dir(spool)
    read_drop_key(spool, pin_file, state_dir)


def vault_member(vault_path: Path, login: str) -> bool | None:
    """Whether the vault's header names ``login``: the app then asks for a passphrase.

    False also when this login may not read the vault at all (a member of
    staff outside its group): they can only file a report. None when there is
    no vault to ask, or it cannot be opened for another reason: the unlock
    screen then says why, as it always has.
    """
    from ..vault.errors import VaultError, VaultNotFound
    from ..vault.vault import Vault

    path = Path(vault_path)
    try:
        vault = Vault.open(path, repair=False)
    except VaultNotFound:
        if path.is_dir() and not os.access(path, os.R_OK | os.X_OK):
            return False  # there, but closed to this login
        return None
    except VaultError as error:
        if isinstance(error.__cause__, PermissionError):
            return False
        return None
    return login in {user.name for user in vault.users()}


def file_staff_report(
    disclosure: Disclosure,
    *,
    spool: Path,
    pin_file: Path,
    state_dir: Path,
    fs: FileSystem | None = None,
    now: datetime | None = None,
) -> FiledReceipt:
    """Check, seal and file one report; the receipt names it and its hash, nothing more.

    Every check (the fields, the spool, the drop key's signature and serial)
    runs before a byte is written, and a failed write leaves nothing behind.
    """
    check_spool_dir(spool)
    key = read_drop_key(spool, pin_file, state_dir, fs)
    report_id = new_report_id()
    doc = report_doc(
        report_id=report_id,
        reporter_name=disclosure.reporter_name,
        job_title=disclosure.job_title,
        words=disclosure.words,
        filed_at=now or datetime.now(UTC),
        disclosed_by=disclosure.disclosed_by,
        disclosed_when_text=disclosure.disclosed_when_text,
        how=disclosure.how,
        young_people=disclosure.young_people,
        already_done=disclosure.already_done,
        about_staff=disclosure.about_staff or disclosure.about_headteacher,
        about_headteacher=disclosure.about_headteacher,
    )
    if disclosure.about_headteacher:
        sealed_for = FOR_ABOUT_HEADTEACHER
    elif disclosure.about_staff:
        sealed_for = FOR_HEADTEACHER
    else:
        sealed_for = FOR_TRIAGE
    data = seal_report(key, report_id, doc, sealed_for=sealed_for)
    return file_report(spool, report_id, data, fs=fs)


def open_with_named_key(spool: Path, report_id: str, key_file: Path) -> StaffReport:
    """Open a report about the Headteacher with the school's named key (not a vault key).

    Its holder (the chair of governors, say) is no vault user, so nothing is
    logged here; the triage roles' inbox has logged it as received.
    """
    read = read_spooled(spool, report_id)
    if read is None:
        raise DropError(f"no report {report_id} in the staff-report spool")
    item, data = read
    head = read_head(data, report_id)[0]
    if head.sealed_for != FOR_ABOUT_HEADTEACHER:
        raise DropError("this report is not about the Headteacher: a DSL or the team opens it")
    doc = open_report_bytes(
        data, report_id, head.vault_id, ABOUT_HEADTEACHER_ID, read_recipient_secret(key_file)
    )
    return StaffReport.from_doc(doc, owner_uid=item.owner_uid, owner_login=item.owner_login)


def receive_staff_reports(session: Session, spool: Path) -> list[ReceivedReport]:
    """Every report received (new ones logged now), oldest first, without content."""
    return session.receive_reports(spool)


def open_staff_report(session: Session, spool: Path, report_id: str) -> StaffReport:
    """Open one report (audited ``drop.opened``) and check its fields again."""
    opened = session.open_report(spool, report_id)
    return StaffReport.from_doc(
        opened.doc, owner_uid=opened.owner_uid, owner_login=opened.owner_login
    )
