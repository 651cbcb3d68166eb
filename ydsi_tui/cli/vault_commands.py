"""Vault commands: init, users, recovery, verify, checkpoint, witness."""

from __future__ import annotations

import argparse
import contextlib
import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..vault.audit import AuditEntry
from ..vault.checkpoint import make_checkpoint
from ..vault.crypto import KdfParams
from ..vault.errors import AccessDenied, VaultError
from ..vault.header import ROLES
from ..vault.vault import Vault
from ..vault.verify import verify_entries, verify_vault
from .content import Field, takes_content
from .context import CliError, Context, prompt_secret, read_secret_file, user_name
from .output import ask, emit_json, print_table, safe, say, say_block, warn

if TYPE_CHECKING:
    from ..service.policies import PolicyFile
    from ..service.user_removal import Rotated
    from ..vault.session import Session
    from ..vault.verify import VerifyReport

__all__ = ["register"]


def cmd_init(ctx: Context) -> int:
    from ..service.policies import approve_policy_file

    args = ctx.args
    try:
        kdf = KdfParams.new(args.kdf_memory_mib * 1024, args.kdf_passes, args.kdf_lanes)
    except VaultError as exc:
        raise CliError(str(exc)) from exc
    # The policy in force at creation is approved by the vault's first DSL: checked first,
    # so that a bad $YDSI_POLICY stops before anything is made.
    policy_file = _init_policy_file(args.policy)
    if policy_file.policy is None:
        raise CliError(
            f"the policy file {safe(policy_file.origin)} {safe(policy_file.problem or '')}"
        )
    passphrase = (
        ctx.new_passphrase(who=ctx.user)
        if not getattr(args, "passphrase_file", None)
        else ctx.passphrase()
    )
    session, code = Vault.create(
        ctx.vault_path,
        user=ctx.user,
        passphrase=passphrase,
        full_name=args.full_name or "",
        kdf=kdf,
        shared=args.shared,
        case_group=_group_id(args.case_group) if args.case_group else None,
    )
    try:
        pin = approve_policy_file(session, policy_file)
    finally:
        session.close()
    say(f"Created a vault at {safe(str(ctx.vault_path))} with {ctx.user} as its DSL.")
    say(
        f"Approved policy: {safe(pin.name)} {safe(pin.version)} (digest {pin.digest[:12]}); "
        "change it with 'ydsi policy approve FILE'."
    )
    _print_recovery_code(code)
    return 0


def _init_policy_file(choice: str | None) -> PolicyFile:
    """``init --policy``: a shipped policy's name or a file; default $YDSI_POLICY, else ours."""
    from pathlib import Path

    from ..model.policy import BUNDLED_POLICIES
    from ..service.policies import read_policy_file

    if not choice:
        return read_policy_file()
    if choice in BUNDLED_POLICIES:
        return read_policy_file(bundled=choice)
    return read_policy_file(Path(choice).expanduser())


def _group_id(name: str) -> int:
    import grp

    try:
        return grp.getgrnam(name).gr_gid
    except KeyError:
        raise CliError(
            f"no group called {safe(name)}: an administrator makes it first (groupadd) and "
            "adds the DSLs, the Headteacher and the safeguarding team, not technicians"
        ) from None


def _print_recovery_code(code: str) -> None:
    say()
    say("RECOVERY CODE (shown once; it can reset any user's passphrase):")
    say()
    say(f"    {code}")
    say()
    say("Print it or write it down, seal it in an envelope and lock it in the school safe.")
    say("Do not store it on this server or in email.")


def cmd_user_list(ctx: Context) -> int:
    from ..service.users import list_users

    users = list_users(ctx.open_vault())
    rows: list[dict[str, Any]] = [
        {
            "name": user.name,
            "role": user.role,
            "full_name": user.full_name,
            "status": user.status,
            "key_issued_by": user.key_issued_by,
            "request": user.request,
        }
        for user in users
    ]
    if ctx.args.json:
        emit_json(rows)
        return 0
    table = []
    for row in rows:
        keys = [row["status"]] if row["status"] != "active" else []
        if row["key_issued_by"]:
            keys.append(f"key issued by {row['key_issued_by']}")
        if row["request"]:
            keys.append(row["request"])
        table.append([row["name"], row["role"], safe(row["full_name"]), safe("; ".join(keys))])
    print_table(["USER", "ROLE", "NAME", "KEYS"], table)
    return 0


def cmd_user_add(ctx: Context) -> int:
    from ..service.users import invite_user

    args = ctx.args
    if args.role not in ROLES:
        raise CliError(f"unknown role {args.role!r}: choose one of {', '.join(ROLES)}")
    if args.new_passphrase_file:
        raise CliError(
            "user add no longer takes the new user's passphrase: it prints an enrolment code, "
            "and they choose their own passphrase with 'ydsi enrol'"
        )
    session = ctx.unlock()
    try:
        code = invite_user(session, args.name, args.role, args.full_name or "").code
    finally:
        session.close()
    say(f"Invited {args.name} as {args.role}.")
    say()
    say(f"ENROLMENT CODE for {args.name} (shown once; it works once):")
    say()
    say(f"    {code}")
    say()
    say(f"Hand it to {args.name} in person (not by email). They run")
    say(f"    ydsi enrol --vault {safe(str(ctx.vault_path))} --user {args.name}")
    say("and choose their own passphrase; a DSL's next unlock then endorses their keys.")
    return 0


def cmd_enrol(ctx: Context) -> int:
    args = ctx.args
    vault = ctx.open_vault()
    if args.code_file:
        code = read_secret_file(args.code_file, "enrolment code")
    else:
        code = prompt_secret("Enrolment code: ")
    passphrase = ctx.new_passphrase(who=ctx.user)
    vault.enrol(ctx.user, code, passphrase)
    say(f"Your keys are made and your request is written, {ctx.user}.")
    say("A DSL's next unlock endorses it; then unlock with the passphrase you chose.")
    return 0


def cmd_user_endorse(ctx: Context) -> int:
    from ..service.users import discard_request, endorse_requests

    args = ctx.args
    vault = ctx.open_vault()
    session = vault.unlock(ctx.user, ctx.passphrase())
    try:
        if args.discard:
            if not discard_request(session, args.discard):
                raise CliError(f"no request is waiting for {args.discard}")
            say(f"Discarded the request waiting for {args.discard}.")
            return 0
        done = endorse_requests(session)
    finally:
        session.close()
    for name in done.endorsed:
        say(f"Endorsed the new keys of {name}.")
    for problem in done.refused:
        say(f"REFUSED: {safe(problem)}")
    if not done.endorsed and not done.refused:
        say("No requests are waiting.")
    return 1 if done.refused else 0


def cmd_user_remove(ctx: Context) -> int:
    from ..service.user_removal import remove_user

    args = ctx.args
    session, passphrase = ctx.unlock_keeping_passphrase()
    try:
        held = remove_user(session, args.name)
        if not held:
            say(f"Cancelled the enrolment of {args.name}: they never held a key.")
            return 0
        say(f"Removed {args.name}: their key slot is gone.")
        rotate = args.rotate
        if rotate is None:
            rotate = _ask_yes(
                f"{args.name} held the {', '.join(held)} keys. Rotate them now and "
                "re-encrypt every record, so that a copy they kept opens nothing? [Y/n] "
            )
        if rotate:
            rotated = rotate_keys_for(ctx, session, held, passphrase)
            say(f"Rotated the keys and re-encrypted {rotated.records} records.")
            say_drop_key(rotated)
        else:
            say("Keys not rotated: run 'ydsi user rotate' to do it later.")
    finally:
        session.close()
    return 0


def rotate_keys_for(
    ctx: Context, session: Session, targets: tuple[str, ...] | list[str], passphrase: str
) -> Rotated:
    """A rotation through the service, the staff drop's key following it (see ``say_drop_key``)."""
    from ..service.user_removal import DropSettings, rotate_keys

    drop = DropSettings(ctx.settings.drop_spool, ctx.settings.drop_about_headteacher_key)
    return rotate_keys(session, targets, passphrase=passphrase, drop=drop)


def say_drop_key(rotated: Rotated) -> None:
    """What became of the staff drop's key after a rotation (nothing when none was published)."""
    published = rotated.drop_key
    if published is None:
        return
    if published.problem is not None:
        warn(f"ydsi: warning: the staff drop's key was not republished: {safe(published.problem)}")
        return
    say(f"Published the new staff-drop key (serial {published.serial}) to {published.path}.")


def cmd_user_rotate(ctx: Context) -> int:
    from ..service.user_removal import ALL_DATA_KEYS

    session, passphrase = ctx.unlock_keeping_passphrase()
    try:
        rotated = rotate_keys_for(ctx, session, ALL_DATA_KEYS, passphrase)
        say_drop_key(rotated)
    finally:
        session.close()
    say(f"Rotated the data keys and re-encrypted {rotated.records} records.")
    return 0


def cmd_user_passwd(ctx: Context) -> int:
    vault = ctx.open_vault()
    old = ctx.passphrase(prompt=f"Current passphrase for {ctx.user}: ")
    session = vault.unlock(ctx.user, old)
    try:
        if ctx.args.compromised:
            return _passwd_compromised(ctx, session)
        new = ctx.new_passphrase(who=ctx.user)
        if not ctx.args.new_keys:
            session.change_passphrase(old, new)
            say(f"Changed the passphrase of {ctx.user}.")
            return 0
        session.request_new_keys(new)
        endorsed: list[str] = []
        if session.role == "dsl":
            with contextlib.suppress(AccessDenied):
                endorsed = session.endorse_requests()
    finally:
        session.close()
    if ctx.user in endorsed:
        say(f"New keys made and endorsed: unlock with your new passphrase, {ctx.user}.")
    else:
        say("New keys made and a request written; a DSL's next unlock endorses it.")
        say("Until then your current passphrase and keys keep working.")
    return 0


def _passwd_compromised(ctx: Context, session: Session) -> int:
    """Revoke a passphrase that may be known to someone else (see vault/revocation.py)."""
    if session.role != "dsl":
        session.declare_compromised(None)
        say(
            f"Your key slot is removed: nobody can unlock as {ctx.user} any more, "
            "with the old passphrase or any other."
        )
        say(
            f"A DSL must now remove you with a key rotation and invite you again "
            f"('ydsi user remove {ctx.user} --rotate', then 'ydsi user add {ctx.user} "
            f"--role {session.role}'); every DSL is shown this until it is done."
        )
        say(
            "Until that rotation, anyone with the old passphrase and a copy of vault.json "
            "from before can still open the keys you held: tell a DSL now."
        )
        return 0
    new = ctx.new_passphrase(who=ctx.user)
    revoked = session.declare_compromised(new)
    say(f"New keys made for {ctx.user}; the old key slot is gone.")
    rotated = rotate_keys_for(ctx, session, revoked.rotate, new)
    say_drop_key(rotated)
    count = rotated.records
    say(f"Rotated the data keys and the authority key, and re-encrypted {count} records.")
    say(
        "Your old passphrase, with any copy of vault.json, opens nothing saved from now on. "
        "What it opened before, in copies taken before, stays readable to whoever holds both."
    )
    return 0


def cmd_recovery_reissue(ctx: Context) -> int:
    """A DSL replaces the recovery code; the old one opens nothing saved afterwards."""
    from ..service.user_removal import DropSettings, reissue_recovery_code

    drop = DropSettings(ctx.settings.drop_spool, ctx.settings.drop_about_headteacher_key)
    session, passphrase = ctx.unlock_keeping_passphrase()
    try:
        reissued = reissue_recovery_code(session, passphrase, drop=drop)
    finally:
        session.close()
    if reissued.rotated is None:
        # The old code's slot is gone already: the new one is printed whatever happened.
        _print_recovery_code(reissued.code)
        say("Destroy the old envelope.")
        warn(f"ydsi: warning: {safe(reissued.unfinished or '')}")
        return 1
    say_drop_key(reissued.rotated)
    say(
        f"Re-issued the recovery code, rotated every key and re-encrypted "
        f"{reissued.rotated.records} records: the old code, with any copy of vault.json, "
        "opens nothing saved from now on."
    )
    _print_recovery_code(reissued.code)
    say("Destroy the old envelope.")
    return 0


def cmd_recover(ctx: Context) -> int:
    from ..service.users import reset_with_recovery_code

    args = ctx.args
    vault = ctx.open_vault()
    if args.recovery_code_file:
        code = read_secret_file(args.recovery_code_file, "recovery code")
    else:
        code = prompt_secret("Recovery code: ")
    new = ctx.new_passphrase(who=args.name)  # asked twice at a terminal: checked there
    reset_with_recovery_code(vault, code, args.name, new, new)
    say(f"Reset the passphrase of {args.name}. Their old signatures still verify.")
    say(
        f"Their new keys were made here, so they count as issued by the recovery code until "
        f"{args.name} runs 'ydsi user passwd --new-keys'."
    )
    say(
        "The recovery code has now been used: re-issue it ('ydsi recovery-code reissue', by a "
        "DSL), so the envelope that was opened cannot be used again."
    )
    return 0


def cmd_verify(ctx: Context) -> int:
    checkpoint = None
    if ctx.args.checkpoint:
        try:
            checkpoint = Path(ctx.args.checkpoint).read_bytes()
        except OSError as exc:
            raise CliError(f"cannot read checkpoint {ctx.args.checkpoint}: {exc.strerror}") from exc
    if ctx.args.backup:
        from .report_commands import verify_backup_command

        return verify_backup_command(ctx, checkpoint)
    if ctx.args.entries:
        # A case role's key opens the sealed entries about case records, so
        # the case files are checked against them too (see sealed_entries.py).
        session = ctx.unlock()
        try:
            report = verify_vault(
                ctx.vault_path,
                checkpoint=checkpoint,
                checker=ctx.user,
                opener=session.vault.audit.sealer,
                spool=ctx.settings.drop_spool,
            )
            if report.entries:
                problems, checked = verify_entries(session)
                report.problems.extend(problems)
                report.notes.append(f"checked the entries of {checked} records with your keys")
                if ctx.settings.drop_spool is not None:
                    _compare_staff_reports(session, ctx.settings.drop_spool, report)
        finally:
            session.close()
    else:
        report = verify_vault(
            ctx.vault_path, checkpoint=checkpoint, checker=ctx.user, spool=ctx.settings.drop_spool
        )
    if ctx.args.json:
        emit_json(
            {
                "ok": report.ok,
                "problems": report.problems,
                "notes": report.notes,
                "entries": report.entries,
                "records": report.records,
                "vouched_by_checkpoint": report.vouched_by_checkpoint,
                "sealed_unread": report.sealed_unread,
            }
        )
    else:
        # File names in case/ and custody/ are anyone's in the group to choose:
        # every line goes through safe(), so no escape sequence reaches the terminal.
        for note in report.notes:
            say(f"note: {safe(note)}")
        for problem in report.problems:
            say(f"PROBLEM: {safe(problem)}")
        verdict = "intact" if report.ok else f"NOT intact ({len(report.problems)} problems)"
        say(
            f"Vault {verdict}: {report.entries} audit entries and {report.records} records checked"
            + (", against the checkpoint" if checkpoint is not None else "")
        )
        if report.vouched_by_checkpoint:
            say(
                f"(incremental: the signatures of the {report.vouched_by_checkpoint} entries "
                "up to the checkpoint were vouched for by it; the chain and every file were "
                "checked in full)"
            )
    return 0 if report.ok else 1


def _compare_staff_reports(session: Session, spool: Path, report: VerifyReport) -> None:
    """Each report from staff taken into an incident, word for word against the spool.

    Only a triage role holds the key that opens the reports; anyone who took a
    report in could have typed other words into its entry, and this is where
    that shows (each report opened is audited, as every opening is).
    """
    from ..service.factory import services_for
    from ..service.inbox import Inbox
    from ..vault.drop_triage import TRIAGE_ROLES

    if session.role not in TRIAGE_ROLES or session.is_recovery:
        return
    services = services_for(session)
    if services.cases is None:
        return
    try:
        found = Inbox(services.cases, spool).compare_all_with_spool()
    except VaultError as exc:
        report.notes.append(f"reports from staff were not compared with the spool: {exc}")
        return
    report.problems.extend(found.differs)
    report.notes.extend(found.uncompared)
    report.notes.append(
        f"compared {found.compared} reports from staff in the records with the spool"
    )


def cmd_upgrade(ctx: Context) -> int:
    """Migrate a vault of an older format (format 1) to this one; DSL only."""
    from ..vault.upgrade import upgrade_vault

    passphrase = ctx.passphrase()
    result = upgrade_vault(ctx.vault_path, ctx.user, passphrase)
    if result.already:
        say(f"The vault at {safe(str(ctx.vault_path))} is already format {result.from_version}.")
        return 0
    say(
        f"Upgraded the vault from format {result.from_version}: {result.records} records now "
        "carry a signed history chain."
    )
    say("Entries written before the upgrade show their author as recorded (before format 2).")
    if result.issued_keys:
        say(
            f"{result.issued_keys} signing keys were made by a DSL for their owners (format 1 "
            "did that): they do not count for sign-offs until each owner runs "
            "'ydsi user passwd --new-keys'. Sign-offs made before the upgrade cannot be "
            "verified and must be made again."
        )
    session = Vault.open(ctx.vault_path).unlock(ctx.user, passphrase)
    try:
        if session.vault.header.policy is None:
            from ..service.policies import approve_policy_file

            pin = approve_policy_file(session)
            say(f"Approved the policy in force: {safe(pin.name)} {safe(pin.version)}.")
    finally:
        session.close()
    return 0


def cmd_checkpoint(ctx: Context) -> int:
    session = ctx.unlock()
    try:
        checkpoint = make_checkpoint(session)
    finally:
        session.close()
    data = checkpoint.to_bytes()
    if ctx.args.output:
        Path(ctx.args.output).write_bytes(data)
        warn(f"Checkpoint of entry {checkpoint.seq} written to {ctx.args.output}.")
        warn("Keep it off this server: print it, or store it with the off-site backup.")
    else:
        say_block(data.decode("ascii"))
    return 0


def cmd_witness_show(ctx: Context) -> int:
    """What your witness of this vault says, with the lost entries as proof."""
    session = ctx.unlock()
    try:
        finding = session.rollback_finding
        if session.rollback is None or finding is None:
            say("The audit log holds everything you have seen of this vault.")
            return 0
        say(safe(session.rollback))
        say(f"The {len(finding.lost)} entries you saw that this vault does not hold:")
        for line in finding.lost:
            say(safe(line.decode("ascii", "replace")))
            described = _described(session, line)
            if described is not None:
                say(f"  which says (sealed for the case roles): {safe(described)}")
    finally:
        session.close()
    return 1


def _described(session: Session, line: bytes) -> str | None:
    """What a sealed entry among the lost ones describes, if this user's key opens it."""
    try:
        entry = AuditEntry.parse(line)
    except (ValueError, UnicodeDecodeError):
        return None
    opened = session.vault.audit.described(entry)
    if not opened.opened:
        return None
    doc = {"action": opened.action, "rec": opened.rec, "hash": opened.hash, "extra": opened.extra}
    return json.dumps(doc, sort_keys=True, separators=(",", ":"), ensure_ascii=True)


def cmd_witness_ack(ctx: Context) -> int:
    """A DSL accepts the vault as it is after a rollback (a signed ``witness.ack`` entry)."""
    session = ctx.unlock()
    try:
        entry = session.acknowledge_rollback()
    finally:
        session.close()
    say(
        f"Acknowledged at audit entry {entry.seq}: the lost entries stay named in the log; "
        "saves go on from the vault as it is. Put back what was lost from the newest backup "
        "if it holds it ('ydsi verify --backup FILE' says what each holds)."
    )
    return 0


def _ask_yes(question: str) -> bool:
    if not sys.stdin.isatty():
        return True  # the safe default for scripts: rotate
    answer = ask(question).strip().lower()
    return answer in ("", "y", "yes")


def register(
    sub: argparse._SubParsersAction[argparse.ArgumentParser], common: argparse.ArgumentParser
) -> None:
    """Add the vault commands to the top-level parser."""
    p = sub.add_parser(
        "init",
        parents=[common],
        help="create a new vault; you become its first DSL",
        description="Create a new, empty vault. The first user is a DSL. A recovery code is "
        "printed once: lock it in the school safe.",
    )
    takes_content(
        p, Field("full_name", "--full-name", "your name in full, as it should appear in records")
    )
    p.add_argument("--shared", action="store_true", help="a group vault (files 0660, dirs 2770)")
    p.add_argument(
        "--case-group",
        metavar="GROUP",
        help="with --shared: give case/ this Unix group of its own (DSLs, Headteacher, team), "
        "so technicians in the vault's group cannot even list it",
    )
    p.add_argument(
        "--policy",
        metavar="NAME|FILE",
        help="the policy new incidents follow: a shipped one by name (hindley-2016, this "
        "school's own, the default; ukcis-2024, the national advice of 2024; see "
        "'ydsi policy list') or a policy file; default $YDSI_POLICY, else hindley-2016",
    )
    p.add_argument("--new-passphrase-file", help=argparse.SUPPRESS)
    p.add_argument("--kdf-memory-mib", type=int, default=256, help="Argon2id memory (default 256)")
    p.add_argument("--kdf-passes", type=int, default=3, help="Argon2id passes (default 3)")
    p.add_argument("--kdf-lanes", type=int, default=4, help="Argon2id lanes (default 4)")
    p.set_defaults(func=cmd_init)

    users = sub.add_parser("user", help="list, add, remove users; change passphrases")
    usub = users.add_subparsers(dest="user_command", metavar="COMMAND", required=True)
    p = usub.add_parser(
        "list", parents=[common], help="list the vault's users, roles and waiting enrolments"
    )
    p.add_argument(
        "--json",
        action="store_true",
        help="print JSON: [{name, role, full_name, status, key_issued_by, request}]",
    )
    p.set_defaults(func=cmd_user_list)
    p = usub.add_parser(
        "add",
        parents=[common],
        help="invite a user: prints a one-time enrolment code (DSL only)",
        description="Invite a member of staff. A one-time enrolment code is printed: hand it "
        "over in person; they run 'ydsi enrol', choose their own passphrase and make their own "
        "keys, which a DSL's next unlock endorses.",
    )
    p.add_argument("name", type=user_name, help="their login name")
    p.add_argument("--role", required=True, choices=ROLES, help="what they may open")
    takes_content(p, Field("full_name", "--full-name", "their name in full"))
    p.add_argument("--new-passphrase-file", help=argparse.SUPPRESS)  # refused with a reason
    p.set_defaults(func=cmd_user_add)
    p = usub.add_parser(
        "endorse",
        parents=[common],
        help="endorse waiting enrolment and new-key requests (DSL only; unlocking does it too)",
    )
    p.add_argument(
        "--discard",
        metavar="NAME",
        type=user_name,
        help="drop the request waiting for NAME instead",
    )
    p.set_defaults(func=cmd_user_endorse)
    p = usub.add_parser("remove", parents=[common], help="remove a user (DSL only)")
    p.add_argument("name", type=user_name, help="their login name")
    group = p.add_mutually_exclusive_group()
    group.add_argument("--rotate", action="store_true", default=None, help="rotate keys now")
    group.add_argument("--no-rotate", dest="rotate", action="store_false", help="do not rotate")
    p.set_defaults(func=cmd_user_remove)
    p = usub.add_parser("passwd", parents=[common], help="change your own passphrase")
    p.add_argument("--new-passphrase-file", help="read the new passphrase from this file")
    keys = p.add_mutually_exclusive_group()
    keys.add_argument(
        "--new-keys",
        action="store_true",
        help="also make new keys of your own (after a reset); a DSL endorses them",
    )
    keys.add_argument(
        "--compromised",
        action="store_true",
        help="your passphrase may be known to someone else: a DSL gets new keys and every key "
        "is rotated; anyone else's key slot is removed at once, until a DSL re-invites them",
    )
    p.set_defaults(func=cmd_user_passwd)
    p = usub.add_parser(
        "rotate", parents=[common], help="new data keys, re-encrypt every record (DSL only)"
    )
    p.set_defaults(func=cmd_user_rotate)

    p = sub.add_parser(
        "enrol",
        parents=[common],
        help="join a vault with the enrolment code a DSL gave you",
        description="Make your own keys under a passphrase you choose, and ask a DSL to "
        "endorse them. Needs the one-time code printed by 'ydsi user add'.",
    )
    p.add_argument("--code-file", help="read the enrolment code from this file (for scripts)")
    p.add_argument("--new-passphrase-file", help="read your new passphrase from this file")
    p.set_defaults(func=cmd_enrol)

    recovery = sub.add_parser("recovery-code", help="the recovery code kept in the school safe")
    rsub = recovery.add_subparsers(dest="recovery_command", metavar="COMMAND", required=True)
    p = rsub.add_parser(
        "reissue",
        parents=[common],
        help="make a new recovery code and rotate every key (DSL only)",
        description="Make a new recovery code, seal the current keys to it, remove the old "
        "code's slot and rotate every key, so the old code (after an envelope was opened, or "
        "lost) opens nothing saved afterwards. The new code is printed once.",
    )
    p.set_defaults(func=cmd_recovery_reissue)

    p = sub.add_parser(
        "recover",
        parents=[common],
        help="reset a user's passphrase with the recovery code",
    )
    p.add_argument("name", type=user_name, help="the user whose passphrase is forgotten")
    p.add_argument("--recovery-code-file", help="read the recovery code from this file")
    p.add_argument("--new-passphrase-file", help="read the new passphrase from this file")
    p.set_defaults(func=cmd_recover)

    p = sub.add_parser(
        "verify",
        parents=[common],
        help="check every signature and every file against the audit log",
        description="Walk the audit log, check every signature, and check that every record "
        "file matches its last audited save. Exits 0 when intact, 1 naming each problem.",
    )
    p.add_argument("--checkpoint", help="also check against a checkpoint kept off the server")
    p.add_argument(
        "--entries",
        action="store_true",
        help="also decrypt every record you may open and check its history entry by entry, "
        "and (a DSL, team member or Headteacher) each report from staff taken in against the "
        "report in the spool, word for word (asks for your passphrase; each report opened is "
        "audited)",
    )
    p.add_argument("--backup", metavar="FILE", help="check a backup file instead of the vault")
    p.add_argument(
        "--spool",
        metavar="DIR",
        help="the staff-report spool whose received reports are compared by hash "
        "(default: the drop_spool setting)",
    )
    p.add_argument("--json", action="store_true", help="print JSON: {ok, problems, ...}")
    p.set_defaults(func=cmd_verify)

    p = sub.add_parser(
        "upgrade",
        parents=[common],
        help="migrate a vault of format 1 to format 2 (a DSL; checks the vault first)",
        description="Check the vault (it must verify), then give every record a signed history "
        "chain and raise the vault's format. Safe to run again after an interruption; no "
        "record file is rewritten.",
    )
    p.set_defaults(func=cmd_upgrade)

    p = sub.add_parser(
        "checkpoint",
        parents=[common],
        help="write a signed checkpoint of the audit log, to keep off the server",
    )
    p.add_argument("--output", help="file to write (default: print it)")
    p.set_defaults(func=cmd_checkpoint)

    witness = sub.add_parser(
        "witness", help="what your client saw of the audit log; acknowledge a rollback"
    )
    wsub = witness.add_subparsers(dest="witness_command", metavar="COMMAND", required=True)
    p = wsub.add_parser(
        "show",
        parents=[common],
        help="say whether the vault still holds every entry you saw; list any lost ones",
    )
    p.set_defaults(func=cmd_witness_show)
    p = wsub.add_parser(
        "ack",
        parents=[common],
        help="DSL: accept the vault as it is after a rollback, so saves can go on",
        description="When the audit log is shorter than, or forks from, what you saw, nothing "
        "can be saved. This signs an audit entry naming the lost entries and the vault's "
        "current head; everyone's client then accepts the vault as it is. DSL only.",
    )
    p.set_defaults(func=cmd_witness_ack)
