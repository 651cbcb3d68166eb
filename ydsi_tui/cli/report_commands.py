"""Hand-overs and reports: export, report, backup, restore, retention, hold, transfer.

Every file these commands write is new (never written over an existing
file), readable by you alone (0600), and announced with where it went and a
reminder that it is now outside the vault's protection. Reading an incident
for an export, a subject access report or a transfer is audited like any
other read. ``--json`` shapes are documented in the report modules
(:mod:`ydsi_tui.service.reports`).
"""

from __future__ import annotations

import argparse
import base64
import json
import os
import sys
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING

from ..model.register import REGISTER_ID_PATTERN
from ..model.schoolyear import parse_school_year
from ..model.summary import status_words
from ..model.timeparse import format_local, format_local_date, parse_date
from ..service.pupils import PupilRef, find_pupil
from ..service.reports.child_chronology import (
    child_chronology,
    child_chronology_document,
    child_chronology_json,
    register_chronology,
)
from ..service.reports.chronology import chronology, chronology_document, chronology_json
from ..service.reports.formats import FORMATS, render
from ..service.reports.governors import governors_document, governors_json, governors_report
from ..service.reports.inspection import inspection_json, inspection_report, timing_words
from ..service.reports.retention import BASIS_LABELS, retention_json, retention_report
from ..service.reports.subject_access import (
    subject_access,
    subject_access_document,
    subject_access_json,
)
from ..service.retention import RetentionDesk
from ..service.transfers import TransferDesk
from ..vault.backup import (
    BackupCheck,
    RestoreResult,
    backup_generation,
    record_restore,
    restore_backup,
    verify_backup,
    write_backup,
    write_unattended_backup,
)
from ..vault.drop import REPORT_SUFFIX
from ..vault.errors import VaultError
from ..vault.export import write_new_private
from ..vault.transfer import generate_passphrase, open_transfer
from ..vault.verify import verify_entries, verify_vault
from .content import Field, takes_content
from .context import (
    CliError,
    Context,
    open_services,
    prompt_secret,
    read_secret_file,
    require_cases,
)
from .output import ask, emit_json, print_table, safe, say, say_block, warn

if TYPE_CHECKING:
    from ..service.casebook import CaseBook
    from ..vault.audit import EntryOpener

__all__ = ["print_backup_check", "register"]

OUTSIDE = (
    "It is now outside the vault's protection: keep it on an encrypted device, send it only "
    "by a secure route, and delete it when it is no longer needed."
)


def _written(path: Path, what: str, size: int) -> None:
    say(f"Wrote {what} to {safe(str(path))} ({size:,} bytes, readable by you only).")
    say(OUTSIDE)


def _write(path: str, data: bytes, what: str) -> None:
    target = Path(path).expanduser()
    write_new_private(target, data)
    _written(target, what, len(data))


def _pupil_by_id(cases: CaseBook, pupil_id: str) -> tuple[str, date | None]:
    """The name (and date of birth) behind a pupil id, so no name need be typed.

    An id names one pupil in one incident; the report or transfer then finds
    every incident's record of that young person as it would by name.
    """
    from ..service.reports.scan import each_incident

    wanted = pupil_id.strip().lower()
    if len(wanted) < 8:
        raise CliError("--pupil-id takes at least the 8 digits 'ydsi incident show' prints")
    found: dict[str, tuple[str, date | None]] = {}
    for scanned in each_incident(cases, None):
        if scanned.view is None:
            continue
        for pupil in scanned.view.incident.pupils.values():
            if pupil.pupil_id.startswith(wanted):
                found[pupil.pupil_id] = (pupil.name, pupil.dob)
    if len(found) != 1:
        what = "no pupil" if not found else "more than one pupil"
        raise CliError(f"{what} has the id {wanted}: see 'ydsi incident show REF'")
    return next(iter(found.values()))


def _dob(text: str | None) -> date | None:
    if not text:
        return None
    from datetime import UTC, datetime

    return parse_date(text, now=datetime.now(UTC), allow_future=False)


# ----------------------------------------------------------------------
# export and reports
# ----------------------------------------------------------------------
def cmd_export(ctx: Context) -> int:
    a = ctx.args
    if (a.ref is None) == (a.pupil is None):
        raise CliError("give one incident's REF, or --pupil ID for one pupil across incidents")
    if a.pupil is not None:
        return _export_pupil(ctx)
    with open_services(ctx) as services:
        chrono = chronology(require_cases(services), services.devices, a.ref)
    data = render(a.format, chronology_document(chrono), chronology_json(chrono))
    _write(a.output, data, f"the chronology of {a.ref} ({a.format.upper()})")
    return 0


def pupil_links(cases: CaseBook, pupil_id: str) -> list[PupilRef]:
    """The incidents of the pupil ``pupil_id`` names, and their pupil id in each.

    Until the pupil register, an id names one pupil in one incident (as
    ``ydsi incident show`` prints it); the other incidents are found by name
    and date of birth (:func:`~ydsi_tui.service.pupils.find_pupil`), which
    refuses to guess between two children of the same name.
    """
    name, dob = _pupil_by_id(cases, pupil_id)
    return find_pupil(cases, name, dob=dob)


def _export_pupil(ctx: Context) -> int:
    """``--pupil P-…``: a register record; an incident's pupil id: found by name (older records)."""
    a = ctx.args
    with open_services(ctx) as services:
        cases = require_cases(services)
        if REGISTER_ID_PATTERN.fullmatch(a.pupil.strip()):
            chrono = register_chronology(cases, a.pupil.strip(), devices=services.devices)
        else:
            links = pupil_links(cases, a.pupil)
            chrono = child_chronology(cases, links, devices=services.devices)
    data = render(a.format, child_chronology_document(chrono), child_chronology_json(chrono))
    count = len(chrono.incidents)
    _write(a.output, data, f"one pupil's chronology across {count} incident(s) "
                           f"({a.format.upper()})")  # fmt: skip
    say(
        f"Other young people appear as 'another pupil'; {chrono.left_out} entries about them "
        "were left out. Read it before it leaves the school: names nobody recorded as a "
        "pupil cannot be recognised."
    )
    if chrono.unmatched:
        warn(
            f"ydsi: left out {', '.join(chrono.unmatched)}: listed under this pupil, but the "
            "incident itself does not link them (see 'ydsi pupil show')"
        )
    return 0


def cmd_report_inspection(ctx: Context) -> int:
    with open_services(ctx) as services:
        report = inspection_report(require_cases(services))
    if ctx.args.json:
        emit_json(inspection_json(report))
        return 0
    say(f"{report.complete} of {len(report.incidents)} incident(s) complete and up to date.")
    say("Time limits (settings of the policy):")
    for limit in report.limits:
        say(f"   - {safe(limit.what)}: {safe(limit.shown)} [{safe(limit.setting_words)}]")
    for item in report.incidents:
        if item.complete and not item.times:
            continue
        say(f"{safe(item.ref)} ({safe(status_words(item.status))}):")
        if item.error:
            say(f"   could not be read: {safe(item.error)}")
        for timing in item.times:
            say(f"   time: {safe(timing_words(timing))}")
        for missing in item.missing:
            say(f"   - {safe(missing.question)}")
            say(f"     missing: {safe('; '.join(missing.missing))}")
            say(f"     fix at step: {safe(missing.fix_step)}")
        for text in item.overdue:
            say(f"   - OVERDUE: {safe(text)}")
    return 0


def cmd_report_governors(ctx: Context) -> int:
    a = ctx.args
    year = parse_school_year(a.year)
    if a.format == "pdf" and not a.output:  # before the passphrase, not after
        raise CliError("a PDF needs --output FILE")
    with open_services(ctx) as services:
        report = governors_report(require_cases(services), services.devices, year)
    data = render(a.format, governors_document(report), governors_json(report))
    if a.output:
        _write(a.output, data, f"the governors' report for {year.label} ({a.format.upper()})")
    elif a.format == "json":
        emit_json(governors_json(report))  # ASCII: escaped in the JSON's own way
    else:
        say_block(data.decode("utf-8"))
    return 0


def cmd_report_retention(ctx: Context) -> int:
    with open_services(ctx) as services:
        report = retention_report(require_cases(services))
    if ctx.args.json:
        emit_json(retention_json(report))
        return 0
    rows = report.rows if ctx.args.all else report.due
    say(f"{len(report.due)} incident(s) due for review on {format_local_date(report.today)}.")
    if rows:
        print_table(
            ["REF", "KEPT UNTIL", "DUE", "HOLD", "WHY"],
            [
                [
                    r.ref,
                    format_local_date(r.until) if r.until else "?",
                    "DUE" if r.due else "",
                    "ON HOLD" if r.on_hold else "",
                    safe(r.error or r.why),
                ]
                for r in rows
            ],
        )
    for d in report.destroyed:
        when = format_local(d.at) if d.at else "?"
        say(
            f"destroyed: {safe(d.ref)} on {when} by {safe(d.by)} "
            f"({safe(BASIS_LABELS.get(d.basis, d.basis))})"
        )
    return 0


def cmd_report_subject_access(ctx: Context) -> int:
    a = ctx.args
    with open_services(ctx) as services:
        cases = require_cases(services)
        name, dob = a.pupil, _dob(a.dob)
        if a.pupil_id:
            if a.pupil:
                raise CliError("name the pupil once: by --pupil-id or by name, not both")
            name, known = _pupil_by_id(cases, a.pupil_id)
            dob = dob or known
        report = subject_access(cases, services.devices, name, dob=dob)
    data = render(a.format, subject_access_document(report), subject_access_json(report))
    _write(a.output, data, f"the subject access report ({a.format.upper()})")
    say(
        f"{len(report.incidents)} incident(s); {report.marked} item(s) marked for redaction: "
        "review them all before anything is released."
    )
    return 0


# ----------------------------------------------------------------------
# backup and restore
# ----------------------------------------------------------------------
SYSTEMD_SERVICE = """\
# /etc/systemd/system/ydsi-backup.service
[Unit]
Description=Back up the ydsi vault (still encrypted; no passphrase)

[Service]
Type=oneshot
User=ydsi-backup
Group=ydsi
UMask=0077
ExecStart={ydsi} backup --unattended --vault {vault} --dir {dir} --keep {keep}
"""

SYSTEMD_TIMER = """\
# /etc/systemd/system/ydsi-backup.timer
[Unit]
Description=Back up the ydsi vault every night

[Timer]
OnCalendar=*-*-* 02:30:00
Persistent=true

[Install]
WantedBy=timers.target
"""


def _backup_units(ctx: Context) -> int:
    """The systemd units of an unattended backup, filled in with this vault and options."""
    import shutil as _shutil

    ydsi = _shutil.which("ydsi") or "/usr/local/bin/ydsi"
    folder = ctx.args.dir or "/var/backups/ydsi"
    service = SYSTEMD_SERVICE.format(
        ydsi=ydsi, vault=ctx.vault_path, dir=folder, keep=ctx.args.keep
    )
    say_block(service + "\n" + SYSTEMD_TIMER)
    return 0


def _unattended_backup(ctx: Context) -> int:
    """``ydsi backup --unattended``: no passphrase, no terminal; cron's or a timer's."""
    a = ctx.args
    vault = ctx.vault_path

    def waiting() -> None:
        warn("ydsi: the vault's lock is held (a save in progress): waiting for it")

    if a.dir:
        folder = Path(a.dir).expanduser()
        if not folder.is_dir():
            raise CliError(f"--dir {a.dir}: no such folder (make it, mode 0700, first)")
        made = backup_generation(vault, folder, keep=a.keep, on_wait=waiting)
        manifest, target = made.manifest, made.path
    else:
        target = Path(a.output).expanduser()
        manifest = write_unattended_backup(vault, target, on_wait=waiting)
    size = target.stat().st_size
    say(
        f"Backed up {len(manifest.files)} files (audit entry {manifest.audit_seq}) to "
        f"{safe(str(target))} ({size:,} bytes), unattended: nothing was decrypted or signed."
    )
    if a.dir:
        for old in made.pruned:
            say(f"Removed the old generation {safe(str(old))} (keeping {a.keep}).")
    return 0


def cmd_backup(ctx: Context) -> int:
    a = ctx.args
    if a.print_units:
        return _backup_units(ctx)
    if a.dir and not a.unattended:
        raise CliError("--dir and --keep are for --unattended backups")
    if not a.dir and not a.output:
        raise CliError("name the backup file (--output FILE) or, unattended, a folder (--dir)")
    if a.dir and a.output:
        raise CliError("give --output FILE or --dir DIR, not both")
    if a.unattended:
        return _unattended_backup(ctx)
    session = ctx.unlock()
    try:
        target = Path(ctx.args.output).expanduser()
        manifest = write_backup(session, target, spool=ctx.settings.drop_spool)
    finally:
        session.close()
    size = target.stat().st_size
    n = len(manifest.spool)
    reports = f" and {n} report{'s' if n != 1 else ''} from staff" if n else ""
    say(
        f"Backed up {len(manifest.files)} files{reports} (audit entry {manifest.audit_seq}) to "
        f"{safe(str(target))} ({size:,} bytes, readable by you only)."
    )
    if manifest.spool_note:
        warn(f"ydsi: note: {safe(manifest.spool_note)}")
    say(
        "The records in it are still encrypted and no key is in it, but keep it as securely "
        "as the vault, off this server. Check it any time with: ydsi verify --backup FILE"
    )
    return 0


def print_backup_check(check: BackupCheck, *, as_json: bool) -> int:
    """Shared by ``ydsi verify --backup``."""
    manifest = check.manifest
    if as_json:
        emit_json(
            {
                "ok": check.ok,
                "problems": check.problems,
                "notes": check.notes,
                "entries": check.report.entries if check.report else 0,
                "records": check.report.records if check.report else 0,
                "made_by": manifest.made_by or None if manifest else None,
                "created_at": manifest.created_at if manifest else None,
                "unattended": manifest.unattended if manifest else None,
                "case_files_checked": not check.case_files_unchecked,
            }
        )
        return 0 if check.ok else 1
    for note in check.notes:
        say(f"note: {safe(note)}")
    for problem in check.problems:
        say(f"PROBLEM: {safe(problem)}")
    verdict = "intact" if check.ok else f"NOT intact ({len(check.problems)} problems)"
    if manifest is not None:
        by = "unattended" if manifest.unattended else f"by {safe(manifest.made_by)}"
        say(
            f"Backup {verdict}: made {safe(manifest.created_at)} {by}, "
            f"{len(manifest.files)} files, audit entry {manifest.audit_seq}"
        )
        if check.ok and check.case_files_unchecked:
            say("Its case files were not checked: add --entries (a DSL, Headteacher or team).")
    else:
        say(f"Backup {verdict}")
    return 0 if check.ok else 1


def cmd_restore(ctx: Context) -> int:
    target = ctx.vault_path
    result = restore_backup(Path(ctx.args.file).expanduser(), target, force=ctx.args.force)
    say(f"Restored the backup made {safe(result.manifest.created_at)} to {safe(str(target))}.")
    if result.replaced is not None:
        say(f"The vault that was there is kept, renamed, at {safe(str(result.replaced))}.")
    if result.staff_reports is not None:
        say(_restored_reports(result))
    if result.manifest.shared:
        say("A shared vault: give it to the vault's group again (chgrp -R GROUP DIR).")
    verdict = "intact" if result.report.ok else "NOT intact"
    say(
        f"Vault {verdict}: {result.report.entries} audit entries and {result.report.records} "
        "records checked."
    )
    if result.report.ok:
        return _sign_restore(ctx, target, result)
    return 1


def _restored_reports(result: RestoreResult) -> str:
    """What root does with the backup's reports from staff: back to their filers, in the spool."""
    where = safe(str(result.staff_reports))
    n = len(result.manifest.spool)
    owners = _report_owners(result, None)
    return (
        f"{n} report{'s' if n != 1 else ''} from staff from the backup (sealed, as filed) "
        f"are in {where}. Only root can give each back to the login that filed it: as root, "
        "for each file, 'install -p -o UID -g ydsi-case -m 0440 FILE /var/spool/ydsi/' "
        + (
            f"({owners}), then 'ydsi verify' compares them with the audit log."
            if owners
            else "(who filed each is sealed in the backup for the case roles: it is listed "
            "once you have signed the restore), then 'ydsi verify' compares them with the "
            "audit log."
        )
    )


def _report_owners(result: RestoreResult, opener: EntryOpener | None) -> str:
    """``ID.report uid N, ...``; "" while any filer is sealed and no key opens it."""
    owners = [(f.report_id, f.owner(opener)) for f in result.manifest.spool]
    if any(uid is None for _, uid in owners):
        return ""
    return ", ".join(f"{rid}{REPORT_SUFFIX} uid {uid}" for rid, uid in owners)


def _sign_restore(ctx: Context, target: Path, result: RestoreResult) -> int:
    """Put the restore in the audit log, signed by this DSL, when they can unlock.

    Without it, everyone whose client saw entries the backup does not hold
    is told the vault was rolled back, and saves wait for 'ydsi witness ack'.
    """
    from ..vault.vault import Vault

    try:
        passphrase = ctx.passphrase(
            prompt=f"Passphrase for {ctx.user} (to sign the restore in the audit log): "
        )
        session = Vault.open(target).unlock(ctx.user, passphrase)
    except (CliError, VaultError) as exc:
        warn(
            f"ydsi: note: the restore is not in the audit log yet ({safe(str(exc))}); if "
            "anyone's client saw newer entries, a DSL runs 'ydsi witness ack'"
        )
        if result.manifest.unattended:
            warn(
                "ydsi: note: an unattended backup's case files are checked only with a case "
                "role's key: run 'ydsi verify --entries' on the restored vault"
            )
        return 0
    if result.manifest.unattended:
        # Its manifest is unsigned: only the sealed entries, opened with this
        # DSL's key, vouch for the case files. Checked before the restore is
        # signed as good; a vault that fails is left unsigned and named.
        problems, _ = verify_entries(session)
        report = verify_vault(target, checker=ctx.user, opener=session.vault.audit.sealer)
        problems = report.problems + problems
        if problems:
            session.close()
            for problem in problems:
                say(f"PROBLEM: {safe(problem)}")
            kept = f"; the vault that was there is kept at {result.replaced}"
            kept = kept if result.replaced else ""
            say(
                f"The restored vault is NOT intact ({len(problems)} problems): the backup was "
                f"altered, and the restore is not signed. Restore an older generation{kept}."
            )
            return 1
    try:
        entry = record_restore(session, result)
        say(f"The restore is recorded in the audit log (entry {entry.seq}), signed by you.")
        if result.staff_reports is not None and not _report_owners(result, None):
            owners = _report_owners(result, session.filer_sealer())
            say(f"Who filed each report from staff, for root: {owners or 'not readable'}.")
    except VaultError as exc:
        warn(f"ydsi: note: the restore is not in the audit log: {safe(str(exc))}")
    finally:
        session.close()
    return 0


def _generations(text: str) -> int:
    """argparse type of ``--keep``: a whole number from 1 to 1000."""
    import argparse

    if not text.isdigit() or not 1 <= int(text) <= 1000:
        raise argparse.ArgumentTypeError(f"{text!r}: give a whole number from 1 to 1000")
    return int(text)


def verify_backup_command(ctx: Context, checkpoint: bytes | None = None) -> int:
    """``ydsi verify --backup FILE``: keyless, or with ``--entries`` a case role's full check.

    An unattended backup is compared with the vault ydsi would open (its
    authority and audit log), so a backup planted whole is named.
    """
    backup = Path(ctx.args.backup)
    pin = ctx.vault_path
    if not ctx.args.entries:
        return print_backup_check(
            verify_backup(backup, pin=pin, checkpoint=checkpoint), as_json=ctx.args.json
        )
    session = ctx.unlock()
    try:
        check = verify_backup(backup, session=session, pin=pin, checkpoint=checkpoint)
    finally:
        session.close()
    return print_backup_check(check, as_json=ctx.args.json)


# ----------------------------------------------------------------------
# retention and legal holds
# ----------------------------------------------------------------------
def cmd_retention_review(ctx: Context) -> int:
    a = ctx.args
    from datetime import UTC, datetime

    keep = parse_date(a.keep_until, now=datetime.now(UTC))
    with open_services(ctx) as services:
        RetentionDesk(require_cases(services), services.devices).review(a.ref, keep, a.reason)
    say(f"Recorded: {a.ref} is kept until {format_local_date(keep)}.")
    return 0


def cmd_retention_destroy(ctx: Context) -> int:
    a = ctx.args
    if a.confirm is None:
        if not sys.stdin.isatty():
            raise CliError(
                f"destroying is for good: add --confirm {a.ref} to do it without a prompt"
            )
        typed = ask(f"This destroys {a.ref} for good. Type its reference again: ").strip()
        if typed != a.ref:
            raise CliError("the reference typed does not match: nothing was destroyed")
    elif a.confirm != a.ref:
        raise CliError("--confirm must repeat the reference: nothing was destroyed")
    with open_services(ctx) as services:
        done = RetentionDesk(require_cases(services), services.devices).destroy(a.ref)
    devices = f" and {len(done.devices)} device record(s)" if done.devices else ""
    say(
        f"Destroyed {done.ref}{devices}. The audit log (entry {done.entry.seq}) records what was "
        "destroyed, when and by whom; none of its content."
    )
    return 0


def cmd_hold_set(ctx: Context) -> int:
    a = ctx.args
    with open_services(ctx) as services:
        event = RetentionDesk(require_cases(services), services.devices).set_hold(
            a.ref, a.reason, authority=a.authority or ""
        )
    say(f"Legal hold set on {a.ref} (hold {event.id[:8]}): it cannot be destroyed until lifted.")
    return 0


def cmd_hold_lift(ctx: Context) -> int:
    a = ctx.args
    with open_services(ctx) as services:
        RetentionDesk(require_cases(services), services.devices).lift_hold(
            a.ref, a.reason, hold_id=a.hold
        )
    say(f"Legal hold lifted on {a.ref}.")
    return 0


# ----------------------------------------------------------------------
# transfers
# ----------------------------------------------------------------------
def cmd_transfer(ctx: Context) -> int:
    a = ctx.args
    first, second = a.target, a.arg
    if first == "receipt":
        return _transfer_receipt(ctx, second)
    if first == "list":
        return _transfer_list(ctx)
    if first == "open":
        return _transfer_open(ctx, second)
    if second is not None:
        raise CliError("give the pupil's name once, in --text-file or --fields-file (pupil:)")
    if not a.output or not a.to_school:
        raise CliError("a transfer needs --output FILE and the school (to_school:, --fields-file)")
    if a.transfer_passphrase_file:
        passphrase = read_secret_file(a.transfer_passphrase_file, "transfer passphrase")
        generated = False
    else:
        passphrase, generated = generate_passphrase(), True
    with open_services(ctx) as services:
        cases = require_cases(services)
        dob = _dob(a.dob)
        if a.pupil_id:
            if first is not None:
                raise CliError("name the pupil once: by --pupil-id or by name, not both")
            first, known = _pupil_by_id(cases, a.pupil_id)
            dob = dob or known
        sent = TransferDesk(cases, services.devices).send(
            first,
            Path(a.output).expanduser(),
            passphrase,
            to_school=a.to_school,
            to_dsl=a.to_dsl or "",
            dob=dob,
        )
    _written(sent.path, f"the encrypted records of {len(sent.refs)} incident(s)", sent.size)
    say(f"Transfer {sent.transfer_id} recorded in {', '.join(sent.refs)}.")
    if generated:
        say("Give the receiving DSL this passphrase separately (by phone, never with the file):")
        say(f"    {passphrase}")
    say(
        "When they confirm receipt, record it: "
        f"ydsi transfer receipt {sent.transfer_id} (you are asked who confirmed it)"
    )
    return 0


#: The words ``transfer`` takes where a send takes the pupil.
TRANSFER_MODES = frozenset(("receipt", "list", "open"))


def _sending(args: argparse.Namespace) -> bool:
    return args.target not in TRANSFER_MODES


def _sending_by_name(args: argparse.Namespace) -> bool:
    return _sending(args) and not args.pupil_id


def _transfer_receipt(ctx: Context, transfer_id: str | None) -> int:
    a = ctx.args
    if not transfer_id or not a.received_by:
        raise CliError("usage: ydsi transfer receipt TRANSFER_ID [--fields-file FILE] [--at WHEN]")
    with open_services(ctx) as services:
        refs = TransferDesk(require_cases(services), services.devices).receipt(
            transfer_id, a.received_by, at=a.at, note=a.note or ""
        )
    say(f"Receipt recorded in {', '.join(refs)}.")
    return 0


def _transfer_list(ctx: Context) -> int:
    with open_services(ctx) as services:
        pending = TransferDesk(require_cases(services), services.devices).pending()
    if ctx.args.json:
        emit_json(
            [
                {
                    "id": p.transfer_id,
                    "refs": list(p.refs),
                    "sent_at": p.sent_at.isoformat(),
                    "due_at": p.due_at.isoformat(),
                    "overdue": p.overdue,
                }
                for p in pending
            ]
        )
        return 0
    if not pending:
        say("No transfer is waiting for a receipt.")
        return 0
    print_table(
        ["TRANSFER", "INCIDENTS", "SENT", "RECEIPT DUE", ""],
        [
            [
                p.transfer_id,
                ", ".join(p.refs),
                format_local(p.sent_at),
                format_local(p.due_at),
                "OVERDUE" if p.overdue else "",
            ]
            for p in pending
        ],
    )
    return 0


def _transfer_open(ctx: Context, file: str | None) -> int:
    a = ctx.args
    if not file or not a.output:
        raise CliError("usage: ydsi transfer open FILE --output DIR")
    source = Path(file).expanduser()
    try:
        data = source.read_bytes()
    except OSError as exc:
        raise CliError(f"cannot read {file}: {exc.strerror}") from exc
    if a.transfer_passphrase_file:
        passphrase = read_secret_file(a.transfer_passphrase_file, "transfer passphrase")
    else:
        passphrase = prompt_secret("Passphrase given by the sending DSL: ")
    opened = open_transfer(data, passphrase, source.name)
    try:
        contents = json.loads(opened.plaintext.decode("utf-8"))
        pdf = base64.b64decode(contents["pdf_base64"])
        markdown = str(contents["markdown"])
    except (ValueError, KeyError, TypeError) as exc:
        raise VaultError(f"{source.name}: opened, but its contents are damaged") from exc
    target = Path(a.output).expanduser()
    try:
        target.mkdir(mode=0o700)
    except FileExistsError:
        raise CliError(f"{a.output} already exists: give a new directory") from None
    except OSError as exc:
        raise CliError(f"cannot create {a.output}: {exc.strerror}") from exc
    os.chmod(target, 0o700)
    records = {k: v for k, v in contents.items() if k not in ("markdown", "pdf_base64")}
    text = json.dumps(records, indent=2, sort_keys=True, ensure_ascii=False) + "\n"
    write_new_private(target / "records.json", text.encode("utf-8"))
    write_new_private(target / "records.md", markdown.encode("utf-8"))
    write_new_private(target / "records.pdf", pdf)
    say(
        f"Opened transfer {safe(opened.transfer_id)}: records.pdf, records.md and records.json "
        f"are in {safe(str(target))} (readable by you only)."
    )
    say("Confirm receipt to the sending school's DSL, and file them as child protection records.")
    return 0


# ----------------------------------------------------------------------
# the parser
# ----------------------------------------------------------------------
def register(
    sub: argparse._SubParsersAction[argparse.ArgumentParser], common: argparse.ArgumentParser
) -> None:
    p = sub.add_parser(
        "export",
        parents=[common],
        help="export one incident's chronology, or one pupil's across incidents",
        usage="ydsi export (REF | --pupil ID) --format {pdf,md,json} --output FILE",
        description="Every entry in time order with who recorded it and when, decisions with "
        "their reasons, sign-offs with their signatures verified, the policy used; marked "
        "OFFICIAL-SENSITIVE. With --pupil: everything about one young person across their "
        "incidents in the order it happened, other young people shown as 'another pupil'. "
        "The file is new, readable by you only; every read is audited.",
    )
    p.add_argument("ref", nargs="?", help="the incident (or give --pupil)")
    p.add_argument(
        "--pupil",
        metavar="ID",
        help="one pupil across incidents: their register id (P-..., 'ydsi pupil list'), or "
        "for a pupil not in the register their id in one incident ('ydsi incident show')",
    )
    p.add_argument("--format", choices=FORMATS, required=True)
    p.add_argument("--output", metavar="FILE", required=True, help="a new file to write")
    p.set_defaults(func=cmd_export)

    report = sub.add_parser("report", help="inspection check, governors, retention, subject access")
    rsub = report.add_subparsers(dest="report_command", metavar="COMMAND", required=True)
    p = rsub.add_parser(
        "inspection",
        parents=[common],
        help="every incident against the inspectorate's questions: what is missing",
    )
    p.add_argument("--json", action="store_true", help="print JSON (see service/reports)")
    p.set_defaults(func=cmd_report_inspection)
    p = rsub.add_parser(
        "governors",
        parents=[common],
        help="counts by term and school year, with no names or references",
    )
    p.add_argument("--year", required=True, help="the school year, e.g. 2025-26")
    p.add_argument("--format", choices=FORMATS, default="md")
    p.add_argument("--output", metavar="FILE", help="a new file (default: print Markdown/JSON)")
    p.set_defaults(func=cmd_report_governors)
    p = rsub.add_parser(
        "retention", parents=[common], help="records due for review (birth + 25 years)"
    )
    p.add_argument("--all", action="store_true", help="list every incident, not just those due")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_report_retention)
    p = rsub.add_parser(
        "subject-access",
        parents=[common],
        help="everything about one pupil, with others' names marked for redaction",
    )
    takes_content(
        p,
        Field(
            "pupil",
            "PUPIL",
            "the young person's name in full (or give --pupil-id)",
            lambda a: not a.pupil_id,
            label="pupil's name",
        ),
    )
    p.add_argument("--pupil-id", metavar="ID", help="the pupil's id (from 'ydsi incident show')")
    p.add_argument("--dob", help="their date of birth, if two pupils share the name")
    p.add_argument("--format", choices=FORMATS, required=True)
    p.add_argument("--output", metavar="FILE", required=True)
    p.set_defaults(func=cmd_report_subject_access)

    p = sub.add_parser(
        "backup",
        parents=[common],
        help="write one file holding the vault as it is (still encrypted)",
        description="Copies the header, the audit log and every encrypted record, under the "
        "vault's lock, with a manifest you sign. No key leaves the vault. DSL only. "
        "With --unattended (cron, a systemd timer: --print-units shows them) no passphrase "
        "is asked and nothing is signed: any member of the vault's group can run it, and "
        "'ydsi verify --backup' checks the files against the signed audit log instead.",
    )
    p.add_argument("--output", metavar="FILE")
    p.add_argument(
        "--spool",
        metavar="DIR",
        help="the staff-report spool, whose reports (sealed) the backup holds too "
        "(default drop_spool, /var/spool/ydsi)",
    )
    p.add_argument(
        "--unattended",
        action="store_true",
        help="no passphrase: copy the encrypted files as they are, with an unsigned manifest",
    )
    p.add_argument(
        "--dir", metavar="DIR", help="(unattended) write a new generation into this folder"
    )
    p.add_argument(
        "--keep",
        type=_generations,
        default=7,
        metavar="N",
        help="(with --dir) keep the newest N generations (default 7)",
    )
    p.add_argument(
        "--print-units",
        action="store_true",
        help="print a systemd service and timer for a nightly unattended backup",
    )
    p.set_defaults(func=cmd_backup)
    p = sub.add_parser(
        "restore",
        parents=[common],
        help="restore a backup to --vault DIR (verified first)",
        description="Verifies the backup, then puts it at --vault DIR. Refuses a directory "
        "holding a newer vault (or a different history) unless --force; a vault it replaces "
        "is kept beside, renamed.",
    )
    p.add_argument("file", help="the backup file")
    p.add_argument("--force", action="store_true", help="replace a newer or different vault")
    p.set_defaults(func=cmd_restore)

    retention = sub.add_parser("retention", help="review or destroy records due for review")
    tsub = retention.add_subparsers(dest="retention_command", metavar="COMMAND", required=True)
    p = tsub.add_parser("review", parents=[common], help="keep a record longer, with a reason")
    p.add_argument("ref")
    p.add_argument("--keep-until", required=True, metavar="DATE", help="e.g. 31/08/2030")
    takes_content(p, Field("reason", "--reason", "why it is kept longer", True))
    p.set_defaults(func=cmd_retention_review)
    p = tsub.add_parser(
        "destroy",
        parents=[common],
        help="destroy a record due for review (DSL only; refused under a legal hold)",
    )
    p.add_argument("ref")
    p.add_argument("--confirm", metavar="REF", help="repeat the reference (for scripts)")
    p.set_defaults(func=cmd_retention_destroy)

    hold = sub.add_parser("hold", help="legal holds: nothing is destroyed while one is set")
    hsub = hold.add_subparsers(dest="hold_command", metavar="COMMAND", required=True)
    p = hsub.add_parser("set", parents=[common], help="put a legal hold on an incident")
    p.add_argument("ref")
    takes_content(
        p,
        Field("reason", "--reason", "why (e.g. an inquiry's moratorium)", True),
        Field("authority", "--authority", "who asked for it"),
        primary="reason",
    )
    p.set_defaults(func=cmd_hold_set)
    p = hsub.add_parser("lift", parents=[common], help="lift a legal hold")
    p.add_argument("ref")
    takes_content(p, Field("reason", "--reason", "why it is lifted", True))
    p.add_argument("--hold", metavar="ID", help="which hold, if there are several")
    p.set_defaults(func=cmd_hold_lift)

    p = sub.add_parser(
        "transfer",
        parents=[common],
        help="send a pupil's records to their new school; receipts; open a transfer file",
        usage="ydsi transfer [--pupil-id ID] --output FILE [--fields-file FILE|-] [--dob DATE]\n"
        "       ydsi transfer receipt TRANSFER_ID [--fields-file FILE|-] [--at WHEN]\n"
        "       ydsi transfer list [--json]\n"
        "       ydsi transfer open FILE --output DIR",
        description="Writes the pupil's records, encrypted to a passphrase the receiving DSL "
        "is given separately, and records the transfer; a transfer without a receipt after the "
        "policy's school days (5) is flagged.",
    )
    p.add_argument(
        "target",
        metavar="PUPIL",
        nargs="?",
        help="receipt, list or open (a pupil's name here is content: see --fields-file)",
    )
    p.add_argument("arg", nargs="?", help=argparse.SUPPRESS)
    p.add_argument("--output", help="the transfer file to write (or, for open, a new directory)")
    p.add_argument("--pupil-id", metavar="ID", help="the pupil's id (from 'ydsi incident show')")
    takes_content(
        p,
        Field(
            "pupil",
            "PUPIL",
            "the pupil's name in full",
            _sending_by_name,
            attr="target",
            plain=TRANSFER_MODES.__contains__,
            label="pupil's name",
        ),
        Field("to_school", "--to-school", "the receiving school", _sending),
        Field("to_dsl", "--to-dsl", "the receiving DSL's name"),
        Field(
            "received_by",
            "--received-by",
            "receipt: who at the receiving school confirmed it",
            lambda a: a.target == "receipt",
        ),
        Field("note", "--note", "receipt: a note"),
        primary="pupil",
    )
    p.add_argument("--dob", help="the pupil's date of birth, if two pupils share the name")
    p.add_argument(
        "--transfer-passphrase-file",
        help="read the transfer passphrase from this file (default: generate one)",
    )
    p.add_argument("--at", metavar="WHEN", help="receipt: when it was confirmed (default now)")
    p.add_argument("--json", action="store_true", help="list: print JSON")
    p.set_defaults(func=cmd_transfer)
