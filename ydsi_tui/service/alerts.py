"""Telling the DSL, team and Headteacher that a report from staff waits, with no content.

What every alert may know: how many reports wait, since when, and nothing
else (no name, no reference, no word of a report: see model/staff_alerts.py).
This module reads the spool's listing and the audit log's ``drop.*`` entries
(no key, no passphrase), decides with the model what is due, sends it by the
school's local SMTP relay or its sendmail-style command, and remembers what was
sent in a small state file written atomically (vault/fs.py), so a timer that
runs every minute never sends one alert twice, and a failed send is retried.

Three readers: ``ydsi attention --brief`` (a login banner), ``ydsi attention
--notify`` (the timer), and the app's poll (a bell and a notice).
"""

from __future__ import annotations

import json
import smtplib
import socket
import subprocess
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from email.message import EmailMessage
from email.utils import formatdate, make_msgid
from pathlib import Path

from ..model.policy import Policy, bundled_policy
from ..model.staff_alerts import (
    DEFAULT_LATE_MESSAGE,
    DEFAULT_NEW_MESSAGE,
    LATE_SUBJECT,
    NEW_SUBJECT,
    Plan,
    Sent,
    Waiting,
    plan_alerts,
    waiting_reports,
)
from ..model.timelimits import TimeLimit, staff_report_limit
from ..vault.drop import FOR_ABOUT_HEADTEACHER, list_spool, parse_pin, read_head, read_spooled
from ..vault.drop_watch import DropState, drop_state
from ..vault.errors import DamagedFile, VaultError
from ..vault.fs import FileSystem
from .policies import bundled_files, read_policy_file

__all__ = [
    "AlertConfig",
    "AlertNotSent",
    "NotifyResult",
    "SpoolView",
    "compose",
    "notify",
    "pinned_authority",
    "policy_in_force",
    "read_sent",
    "send",
    "spool_view",
    "spooled_ids",
    "write_sent",
]

#: The state file is small; a bigger one is not ours.
MAX_STATE_BYTES = 1024 * 1024
SEND_TIMEOUT = 30.0


class AlertNotSent(VaultError):
    """The relay or mail command refused: nothing is remembered as sent, so it is retried."""


@dataclass(frozen=True)
class AlertConfig:
    """The school's alert settings (``ydsi_tui.settings``: alert_*), as plain values."""

    to: tuple[str, ...] = ()
    headteacher: tuple[str, ...] = ()
    sender: str | None = None
    smtp: tuple[str, int] | None = None
    command: tuple[str, ...] | None = None
    new_message: str | None = None
    late_message: str | None = None

    def problem(self) -> str | None:
        """Why nothing could be sent with these settings, in one line (None: fine)."""
        if self.smtp is not None and self.command is not None:
            return "set alert_smtp or alert_mail_command, not both"
        if self.smtp is None and self.command is None:
            return (
                'no way to send alerts: set alert_smtp (a local relay, e.g. "localhost:25") '
                'or alert_mail_command (e.g. "/usr/sbin/sendmail -oi") in /etc/ydsi/config.toml'
            )
        if not self.to:
            return "nobody to tell: set alert_to to the DSL's and team's addresses"
        return None


@dataclass(frozen=True)
class SpoolView:
    """The spool as the alerts see it: every report's id and filing time, and who waits."""

    present: tuple[tuple[str, datetime], ...]
    waiting: tuple[Waiting, ...]
    state: DropState = field(default_factory=DropState)
    #: Reports whose clear head says they are about the Headteacher: never sent to them.
    about_headteacher: frozenset[str] = frozenset()


def spool_view(spool: Path, vault: Path, *, pinned_authority: bytes | None = None) -> SpoolView:
    """List the spool and read the log's openings; no key is used or needed."""
    listed = list_spool(spool)
    state = drop_state(vault, pinned_authority=pinned_authority)
    present = tuple((r.report_id, r.filed_at) for r in listed)
    about = _about_headteacher(spool, (r.report_id for r in listed))
    return SpoolView(present, waiting_reports(present, state.opened), state, about)


def _about_headteacher(spool: Path, report_ids: Iterable[str]) -> frozenset[str]:
    """The reports sealed to the school's named key, from their clear heads (no key).

    The head is bound to the report as associated data, so only its filer could
    have said "about the Headteacher", and only of their own report.
    """
    found: set[str] = set()
    for report_id in report_ids:
        read = read_spooled(spool, report_id)
        if read is None:
            continue
        try:
            head = read_head(read[1], report_id)[0]
        except DamagedFile:
            continue
        if head.sealed_for == FOR_ABOUT_HEADTEACHER:
            found.add(report_id)
    return frozenset(found)


def spooled_ids(spool: Path) -> frozenset[str]:
    """The ids of the spool's complete reports (a listing: the app looks every 2 s)."""
    return frozenset(r.report_id for r in list_spool(spool))


def policy_in_force(digest: str | None) -> Policy:
    """The approved policy's text where it is at hand without a key, else this school's.

    The configured file or a shipped one with the approved digest; failing
    that the configured file; failing that the shipped default (its limit is
    the program's default, 30 minutes).
    """
    configured = read_policy_file()
    candidates = [configured, *bundled_files()]
    for file in candidates:
        if file.policy is not None and digest is not None and file.policy.digest == digest:
            return file.policy
    return configured.policy or bundled_policy()


# ---------------------------------------------------------------- memory


def read_sent(path: Path) -> Sent:
    """What was sent before; no file yet is nothing sent. A damaged file is said in words."""
    try:
        data = FileSystem().read_bytes(path)
    except FileNotFoundError:
        return Sent()
    except OSError as exc:
        raise VaultError(f"the alert state {path} cannot be read ({exc.strerror or exc})") from None
    if len(data) > MAX_STATE_BYTES:
        raise VaultError(f"the alert state {path} is too large to be ydsi's: move it away")
    try:
        doc = json.loads(data.decode("utf-8"))
    except (ValueError, UnicodeDecodeError):
        doc = None
    problem = "is not JSON" if not isinstance(doc, dict) else None
    if doc is not None and isinstance(doc, dict):
        try:
            return Sent.from_json(doc)
        except ValueError as exc:
            problem = str(exc)
    raise VaultError(
        f"the alert state {path} {problem}: move it away (alerts may then be sent again)"
    )


def write_sent(path: Path, sent: Sent) -> None:
    """Atomically and durably (temp file, fsync, rename, directory fsync), mode 0600."""
    fs = FileSystem()
    if not path.parent.is_dir():
        path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    data = json.dumps(sent.to_json(), sort_keys=True).encode("utf-8") + b"\n"
    fs.write_file_atomic(path, data, 0o600)


# ---------------------------------------------------------------- sending


def compose(sender: str | None, to: Sequence[str], subject: str, body: str) -> EmailMessage:
    """A plain-text message: fixed subject, the school's fixed text, nothing of any report."""
    message = EmailMessage()
    message["From"] = sender or f"ydsi@{socket.getfqdn() or 'localhost'}"
    message["To"] = ", ".join(to)
    message["Subject"] = subject
    message["Date"] = formatdate(localtime=False)
    message["Message-ID"] = make_msgid(domain="ydsi.invalid")
    message["Auto-Submitted"] = "auto-generated"
    message.set_content(body.rstrip("\n") + "\n")
    return message


def send(config: AlertConfig, message: EmailMessage, recipients: Sequence[str]) -> None:
    """Hand the message to the relay or the mail command; AlertNotSent if either refuses."""
    if config.smtp is not None:
        host, port = config.smtp
        try:
            with smtplib.SMTP(host, port, timeout=SEND_TIMEOUT) as relay:
                refused = relay.send_message(message, to_addrs=list(recipients))
        except (OSError, smtplib.SMTPException) as exc:
            raise AlertNotSent(
                f"the SMTP relay {host}:{port} did not take the alert ({_reason(exc)}); "
                "it will be tried again at the next run"
            ) from None
        if refused:
            raise AlertNotSent(
                f"the SMTP relay {host}:{port} refused {', '.join(sorted(refused))}; "
                "it will be tried again at the next run"
            )
        return
    assert config.command is not None
    try:
        result = subprocess.run(  # noqa: S603 - a fixed command from root's config, no shell
            [*config.command, *recipients],
            input=message.as_bytes(),
            capture_output=True,
            timeout=SEND_TIMEOUT,
            check=False,
        )
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise AlertNotSent(
            f"the mail command {config.command[0]} could not be run ({_reason(exc)}); "
            "it will be tried again at the next run"
        ) from None
    if result.returncode != 0:
        raise AlertNotSent(
            f"the mail command {config.command[0]} failed (exit status {result.returncode}); "
            "it will be tried again at the next run"
        )


def _reason(exc: BaseException) -> str:
    if isinstance(exc, OSError) and exc.strerror:
        return exc.strerror
    if isinstance(exc, smtplib.SMTPResponseException):
        return f"{exc.smtp_code}"
    if isinstance(exc, subprocess.TimeoutExpired):
        return "it did not finish in time"
    return type(exc).__name__


# ---------------------------------------------------------------- the timer's run


@dataclass(frozen=True)
class NotifyResult:
    """What one run did: how many reports it announced and sent to the Headteacher."""

    plan: Plan
    announced: int
    escalated: int
    limit: TimeLimit
    problems: tuple[str, ...] = ()


def _late_body(config: AlertConfig, limit: TimeLimit) -> str:
    if config.late_message:
        return config.late_message
    return DEFAULT_LATE_MESSAGE + f"\n(The policy's limit: {limit.words} of being filed.)"


def notify(
    config: AlertConfig,
    view: SpoolView,
    state_path: Path,
    now: datetime,
    *,
    policy: Policy | None = None,
    sender: Callable[[AlertConfig, EmailMessage, Sequence[str]], None] = send,
) -> NotifyResult:
    """Send what is due once, remember it; a refused send is reported and retried next run.

    The DSL's alert and the Headteacher's are sent and remembered apart: a
    relay that refuses one still gets the other through.
    """
    limit = staff_report_limit(policy or policy_in_force(view.state.policy_digest))
    sent = read_sent(state_path)
    plan = plan_alerts(
        view.waiting, (rid for rid, _ in view.present), sent, now, limit, view.about_headteacher
    )
    problems: list[str] = []
    announced = escalated = False
    if plan.announce:
        message = compose(config.sender, config.to, NEW_SUBJECT,
                          config.new_message or DEFAULT_NEW_MESSAGE)  # fmt: skip
        try:
            sender(config, message, config.to)
            announced = True
        except AlertNotSent as exc:
            problems.append(str(exc))
    if plan.escalate:
        if not config.headteacher:
            problems.append(
                "a report has waited past the policy's limit, but alert_headteacher names "
                "nobody: set it to the Headteacher's address"
            )
        else:
            message = compose(config.sender, config.headteacher, LATE_SUBJECT,
                              _late_body(config, limit))  # fmt: skip
            try:
                sender(config, message, config.headteacher)
                escalated = True
            except AlertNotSent as exc:
                problems.append(str(exc))
    after = plan.remember(announced=announced, escalated=escalated)
    if after != sent:
        write_sent(state_path, after)
    return NotifyResult(
        plan,
        len(plan.announce) if announced else 0,
        len(plan.escalate) if escalated else 0,
        limit,
        tuple(problems),
    )


def pinned_authority(path: Path) -> bytes:
    """The authority key root pinned at install (``/etc/ydsi/authority.pub``): required.

    Without it, a group member could put another vault's genuine header in
    place of ``vault.json`` and have its keys vouch for "opened" entries of
    their making (tests/adversary/test_alert_silencing.py); reporters cannot
    file without it either.
    """
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise VaultError(
            f"no pinned authority key at {path}: root installs the line 'ydsi drop publish' "
            "prints (see 'Staff reporting' in the README)"
        ) from None
    except (OSError, UnicodeDecodeError):
        raise VaultError(f"the pinned authority {path} cannot be read") from None
    return parse_pin(text)[1]
