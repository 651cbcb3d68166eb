"""``ydsi attention``: is a report from staff waiting? Said, or sent, with no passphrase.

``--brief`` is one line for a login banner (``/etc/profile.d``): how many
reports wait and since when, never a name, a reference or a word of one;
exit status 0 when nothing waits, 1 when something does. ``--notify`` is for
a systemd timer or cron: it sends the school's fixed message to ``alert_to``
for each new report, and to ``alert_headteacher`` when a report has not been
opened within the policy's limit, each once (service/alerts.py).

Both read only the spool's listing and the audit log, which the triage group
can read without a key: a banner and a timer have no passphrase to give.
"""

from __future__ import annotations

import argparse
from datetime import UTC, datetime

from ..model.staff_alerts import brief_line
from ..service.alerts import (
    AlertConfig,
    SpoolView,
    notify,
    pinned_authority,
    spool_view,
)
from ..settings import Settings
from ..vault.errors import VaultError
from .context import Context
from .output import emit_json, safe, say, warn

__all__ = ["register"]


def alert_config(settings: Settings) -> AlertConfig:
    """The alert_* settings as the service takes them (a bad one stops here, exit 2)."""
    return AlertConfig(
        to=tuple(settings.get("alert_to") or ()),
        headteacher=tuple(settings.get("alert_headteacher") or ()),
        sender=settings.get("alert_from"),
        smtp=settings.get("alert_smtp"),
        command=settings.get("alert_mail_command"),
        new_message=settings.get("alert_message"),
        late_message=settings.get("alert_late_message"),
    )


def _view(settings: Settings) -> SpoolView:
    pin = pinned_authority(settings.drop_authority)
    return spool_view(settings.drop_spool, settings.vault, pinned_authority=pin)


def _now() -> datetime:
    return datetime.now(UTC)


def cmd_attention(ctx: Context) -> int:
    settings = ctx.settings  # --spool included
    if ctx.args.notify:
        return _notify(ctx, settings)
    try:
        view = _view(settings)
    except VaultError as exc:
        # Not "something waits" (1): the banner must not cry wolf, nor stay silent.
        warn(f"ydsi: cannot tell whether a report from staff waits: {safe(str(exc))}")
        return 2
    now = _now()
    if ctx.args.json:
        oldest = view.waiting[0].filed_at.isoformat() if view.waiting else None
        emit_json({"waiting": len(view.waiting), "oldest_filed_at": oldest})
    else:
        say(brief_line(view.waiting, now))
    return 1 if view.waiting else 0


def _notify(ctx: Context, settings: Settings) -> int:
    config = alert_config(settings)
    problem = config.problem()
    if problem is not None:
        warn(f"ydsi: {problem}")
        return 2
    state_path = settings.alert_state
    try:
        view = _view(settings)
        result = notify(config, view, state_path, _now())
    except VaultError as exc:
        warn(f"ydsi: no alert sent: {safe(str(exc))}")
        return 2
    for line in result.problems:
        warn(f"ydsi: {safe(line)}")
    if result.announced:
        say(f"ydsi: alert_to told of {result.announced} new report(s) from staff")
    if result.escalated:
        say(
            f"ydsi: alert_headteacher told of {result.escalated} report(s) not opened "
            f"{result.limit.words} of being filed"
        )
    if ctx.args.json:
        emit_json(
            {
                "waiting": len(result.plan.waiting),
                "announced": result.announced,
                "escalated": result.escalated,
                "problems": list(result.problems),
            }
        )
    return 1 if result.problems else 0


def register(
    sub: argparse._SubParsersAction[argparse.ArgumentParser], common: argparse.ArgumentParser
) -> None:
    p = sub.add_parser(
        "attention",
        parents=[common],
        help="is a report from staff waiting? one line, or an alert sent (no passphrase)",
        description="Say whether a report from staff is waiting to be opened by a DSL or team "
        "member, with no passphrase and nothing of any report (no name, no reference, no "
        "word of it). --brief prints one line for a login banner and exits 0 when nothing "
        "waits, 1 when something does, 2 when it cannot tell. --notify, for a systemd "
        "timer or cron, sends the school's fixed message (alert_message) to alert_to once "
        "per new report, and alert_late_message to alert_headteacher once per report not "
        "opened within the policy's limit (staff_report_unopened_minutes, by the clock, at "
        "any hour), by alert_smtp or alert_mail_command; what was sent is remembered in "
        "alert_state. --notify exits 0 when everything due was sent, 1 when a send failed "
        "(tried again next run), 2 when the settings or the spool are wrong.",
    )
    mode = p.add_mutually_exclusive_group()
    mode.add_argument(
        "--brief",
        action="store_true",
        help="one line for a login banner; exit status 1 when a report waits (the default)",
    )
    mode.add_argument(
        "--notify",
        action="store_true",
        help="send the due alerts by mail, each once (for a timer; no passphrase)",
    )
    p.add_argument(
        "--spool", metavar="DIR", help="the staff reports' spool (default: $YDSI_DROP_SPOOL)"
    )
    p.add_argument("--json", action="store_true", help="print JSON instead of the line")
    p.set_defaults(func=cmd_attention)
