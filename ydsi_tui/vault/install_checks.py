"""``ydsi doctor``: is this vault installed on this server the way SECURITY.md assumes?

Each check reads only what any member of the vault's group can read (no
passphrase, no key), so an IT manager can run it, and so can a DSL before
trusting a new server. Each says what it found and, when it is not right, the
one command that puts it right. The checks are about the file system and the
groups the kernel enforces: the promises that no code inside ydsi can keep
alone.
"""

from __future__ import annotations

import grp
import os
import stat
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

from .errors import VaultError
from .header import COMPARTMENTS, FORMAT_VERSION, HEADER_NAME, Header

__all__ = [
    "Check",
    "authority_check",
    "environment_checks",
    "restricted_login_block",
    "run_checks",
    "spool_check",
    "staff_login_check",
    "system_zone",
]

OK, WARN, FAIL = "ok", "warn", "FAIL"


@dataclass(frozen=True)
class Check:
    """One finding: ``status`` is ok, warn or FAIL; ``fix`` the command that mends it."""

    name: str
    status: str
    message: str
    fix: str = ""


def run_checks(vault: Path, *, proc_hides: Callable[[], bool] | None = None) -> list[Check]:
    """Every check, in the order an administrator would fix them.

    ``proc_hides`` says whether ``/proc`` hides other accounts' processes (the
    CLI's reading of the mount table, ``cli/content.py``).
    """
    checks: list[Check] = []
    header = _header(vault, checks)
    if header is None:
        return checks
    checks.append(_folders(vault))
    checks.extend(_vault_modes(vault, header))
    checks.extend(_case_group(vault, header))
    checks.append(_parent(vault))
    if proc_hides is not None:
        checks.append(_hidepid(proc_hides))
    checks.append(authority_check(header))
    checks.append(format_check(header))
    return checks


def format_check(header: Header) -> Check:
    """The vault's format against this ydsi's: an older one keeps opening until upgraded."""
    if header.version < FORMAT_VERSION:
        return Check(
            "format",
            WARN,
            f"the vault is format {header.version}; this ydsi writes format {FORMAT_VERSION}",
            "ydsi upgrade   # as a DSL, once (see CHANGELOG.md, 'Vault format')",
        )
    return Check("format", OK, f"the vault is format {header.version}, this ydsi's own")


def host_checks(
    *, python: tuple[int, int], pdf_font: Path | None, swaps: str | None
) -> list[Check]:
    """What the server brings: Python, a font for names in PDFs, and swap.

    ``swaps`` is the text of ``/proc/swaps`` (None: not readable). Swap is where
    a decrypted record can land when memory runs short; an encrypted swap (a
    device-mapper device) or none keeps it off the disk in clear.
    """
    checks: list[Check] = []
    if python >= (3, 11):
        checks.append(Check("python", OK, f"Python {python[0]}.{python[1]}"))
    else:
        checks.append(
            Check("python", FAIL, f"Python {python[0]}.{python[1]}: ydsi needs 3.11 or newer")
        )
    if pdf_font is not None:
        checks.append(Check("pdf font", OK, f"names in any script are drawn with {pdf_font}"))
    else:
        checks.append(
            Check(
                "pdf font",
                WARN,
                "no Unicode font found: PDFs write names outside Latin-1 as codes such as [U+674E]",
                "apt-get install fonts-dejavu-core   # or set YDSI_PDF_FONT to a .ttf file",
            )
        )
    devices = [line.split()[0] for line in (swaps or "").splitlines()[1:] if line.strip()]
    clear = [d for d in devices if not d.startswith(("/dev/dm-", "/dev/mapper/", "/dev/zram"))]
    if swaps is None:
        checks.append(Check("swap", WARN, "/proc/swaps could not be read: swap not checked"))
    elif clear:
        checks.append(
            Check(
                "swap",
                WARN,
                f"swap on {', '.join(clear)} is not encrypted: memory holding an open record "
                "may be written to it in clear",
                "encrypt swap (cryptsetup, a random key at each boot) or turn it off",
            )
        )
    else:
        where = ", ".join(devices) if devices else "none in use"
        checks.append(Check("swap", OK, f"no unencrypted swap ({where})"))
    return checks


def authority_check(header: Header) -> Check:
    """The vault's authority fingerprint, to compare with an unattended backup's manifest."""
    import hashlib

    print_ = hashlib.sha256(header.authority[0].public).hexdigest()
    return Check(
        "authority",
        OK,
        f"the vault's authority key is {print_[:16]} (an unattended backup's manifest names "
        "the same; write it down with the recovery code)",
    )


def system_zone(environ: dict[str, str], localtime: Path = Path("/etc/localtime")) -> str:
    """The server's time zone name: ``$TZ``, else where /etc/localtime points, else "unknown"."""
    zone = environ.get("TZ", "").lstrip(":")
    if zone:
        return zone
    try:
        target = os.readlink(localtime)
    except OSError:
        return "unknown"
    marker = "zoneinfo/"
    return target.split(marker, 1)[1] if marker in target else target


def environment_checks(
    *, umask: int, zone: str, encoding: str, term: str | None, london_loads: bool
) -> list[Check]:
    """What the account running ydsi brings: umask, time zone, locale and terminal.

    Passed in (the CLI reads them) so that each can be checked for every value.
    """
    checks: list[Check] = []
    if umask & 0o002:
        checks.append(
            Check(
                "umask",
                OK,
                f"umask {umask:04o}; ydsi uses its own for the vault (007 shared, 077 private), "
                "and writes exports and backups 0600",
            )
        )
    else:
        checks.append(
            Check(
                "umask",
                WARN,
                f"umask {umask:04o} lets every account write the files you make outside ydsi "
                "(the vault's own are safe: ydsi sets 007 or 077 while it works)",
                "umask 027   # in ~/.profile, or UMask= in the systemd unit",
            )
        )
    if not london_loads:
        checks.append(
            Check(
                "time zone",
                FAIL,
                "the zone Europe/London cannot be loaded, so no time can be shown or "
                "deadline computed",
                "apt-get install tzdata",
            )
        )
    elif zone in ("Europe/London", "GB", "GB-Eire"):
        checks.append(Check("time zone", OK, f"the server's zone is {zone}"))
    else:
        checks.append(
            Check(
                "time zone",
                WARN,
                f"the server's zone is {zone}: ydsi shows and counts UK time (Europe/London) "
                "whatever it is, but cron and systemd timers run by the server's clock",
                "timedatectl set-timezone Europe/London",
            )
        )
    if encoding.replace("-", "").lower() == "utf8":
        checks.append(Check("locale", OK, "text is UTF-8"))
    else:
        checks.append(
            Check(
                "locale",
                WARN,
                f"text is {encoding}, not UTF-8: a name with an accent may not print",
                "export LANG=C.UTF-8   # or en_GB.UTF-8 (apt-get install locales)",
            )
        )
    if not term or term == "dumb":
        checks.append(
            Check(
                "terminal",
                WARN,
                f"TERM is {term or 'not set'}: the app needs a terminal (the commands work)",
                "export TERM=xterm-256color   # or log in over SSH from a terminal",
            )
        )
    else:
        checks.append(Check("terminal", OK, f"TERM is {term}"))
    return checks


def _header(vault: Path, checks: list[Check]) -> Header | None:
    try:
        data = (vault / HEADER_NAME).read_bytes()
        header = Header.from_bytes(data, str(vault / HEADER_NAME))
    except FileNotFoundError:
        checks.append(Check("vault", FAIL, f"no vault at {vault}"))
        return None
    except (OSError, VaultError) as exc:
        checks.append(Check("vault", FAIL, f"{vault / HEADER_NAME}: {exc}"))
        return None
    kind = "shared (group)" if header.shared else "private (one account)"
    checks.append(Check("vault", OK, f"a {kind} vault at {vault}"))
    return header


def _folders(vault: Path) -> Check:
    """case/, custody/ and throttle/ must be the vault's own folders, not links elsewhere."""
    linked = [name for name in (*COMPARTMENTS, "throttle") if (vault / name).is_symlink()]
    if linked:
        return Check(
            "folders", FAIL,
            f"symbolic links in place of the vault's folders: {', '.join(linked)}",
            f"put the real folders back in {vault} (and find out who made the links)",
        )  # fmt: skip
    return Check("folders", OK, "case/, custody/ and throttle/ are the vault's own folders")


def _vault_modes(vault: Path, header: Header) -> Iterator[Check]:
    loose = 0o007 if header.shared else 0o077
    fix = f"chmod -R o-rwx {vault}" if header.shared else f"chmod -R go-rwx {vault}"
    open_to_others = []
    for item in (vault, vault / HEADER_NAME, *(vault / c for c in COMPARTMENTS)):
        try:
            if stat.S_IMODE(os.stat(item).st_mode) & loose:
                open_to_others.append(item.name or str(item))
        except OSError:
            continue
    if open_to_others:
        yield Check(
            "modes", FAIL, f"readable beyond the vault's users: {', '.join(open_to_others)}", fix
        )
    else:
        yield Check("modes", OK, "no file of the vault is open to other accounts")
    if header.shared:
        mode = stat.S_IMODE(os.stat(vault).st_mode)
        if not mode & stat.S_ISGID:
            yield Check(
                "setgid", WARN, "the vault folder is not setgid: new files may get the wrong group",
                f"chmod g+s {vault}",
            )  # fmt: skip


def _case_group(vault: Path, header: Header) -> Iterator[Check]:
    """Technicians must not be able to list case/ (README: Setting up a school's vault)."""
    technicians = {u.name for u in header.users if u.active and u.role == "technician"}
    if not header.shared:
        return
    try:
        vault_gid = os.stat(vault).st_gid
        case_gid = os.stat(vault / "case").st_gid
    except OSError as exc:
        yield Check("case group", WARN, f"case/ could not be checked ({exc.strerror})")
        return
    if case_gid == vault_gid:
        severity = WARN if technicians else OK
        who = f" (technicians: {', '.join(sorted(technicians))})" if technicians else ""
        yield Check(
            "case group",
            severity,
            "case/ has the vault's own group, so every member, technicians included, can list "
            f"incidents' files, their sizes and times{who}",
            f"groupadd ydsi-case; add the DSLs, Headteacher and team; "
            f"chgrp -R ydsi-case {vault / 'case'} && chmod 2770 {vault / 'case'}",
        )
        return
    try:
        members = set(grp.getgrgid(case_gid).gr_mem)
        name = grp.getgrgid(case_gid).gr_name
    except KeyError:
        members, name = set(), str(case_gid)
    inside = sorted(technicians & members)
    if inside:
        yield Check(
            "case group",
            FAIL,
            f"technicians in case/'s group {name}: {', '.join(inside)}",
            f"gpasswd -d {inside[0]} {name}",
        )
    else:
        yield Check("case group", OK, f"case/ has a group of its own ({name}); no technician in it")


def _parent(vault: Path) -> Check:
    parent = vault.resolve().parent
    try:
        mode = os.stat(parent).st_mode
    except OSError as exc:
        return Check("parent", WARN, f"{parent} could not be checked ({exc.strerror})")
    if mode & 0o022 and not mode & stat.S_ISVTX:
        return Check(
            "parent", FAIL,
            f"{parent} can be written by others: renaming the vault folder defeats its lock",
            f"chmod go-w {parent}",
        )  # fmt: skip
    return Check("parent", OK, f"{parent} can be written only by its owner")


def _hidepid(proc_hides: Callable[[], bool]) -> Check:
    """Other accounts must not read a ydsi process's arguments (SECURITY.md, process list)."""
    if proc_hides():
        return Check("hidepid", OK, "/proc hides other accounts' processes (hidepid=2)")
    return Check(
        "hidepid", WARN,
        "/proc shows every process's arguments to every account (no hidepid=2); ydsi "
        "refuses content as arguments, but other tools may not",
        "mount -o remount,hidepid=2 /proc (and add hidepid=2 to /proc in /etc/fstab)",
    )  # fmt: skip


# ---------------------------------------------------------------- staff reporting (issue 13)

#: What a staff-reporting login must not be able to do besides run the forced
#: program: each sshd keyword and the value that turns it off.
_LOGIN_OFF = (
    ("DisableForwarding", "yes"),
    ("AllowTcpForwarding", "no"),
    ("AllowStreamLocalForwarding", "no"),
    ("AllowAgentForwarding", "no"),
    ("X11Forwarding", "no"),
    ("PermitTunnel", "no"),
    ("PermitUserRC", "no"),
)


def restricted_login_block(match: str, command: str) -> list[str]:
    """The sshd_config block the README gives: ``Match {match}``, the forced program, no more.

    ``ForceCommand`` runs ``command`` whatever the client asks (a shell, a
    command, sftp); the rest turn off every kind of forwarding and the user's
    own ``~/.ssh/rc``. A terminal is allowed: ``ydsi disclose`` asks its
    questions in one.
    """
    return [
        f"Match {match}",
        f"    ForceCommand {command}",
        *(f"    {keyword} {value}" for keyword, value in _LOGIN_OFF),
        "    PermitTTY yes",
    ]


def _sshd_lines(path: Path, seen: set[Path]) -> list[tuple[str, str]]:
    """(keyword lower-cased, rest) of a config file, Include files read in place."""
    import glob

    if path in seen:
        return []
    seen.add(path)
    try:
        text = path.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return []
    lines: list[tuple[str, str]] = []
    for raw in text.splitlines():
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        keyword, _, rest = line.replace("=", " ", 1).partition(" ")
        keyword, rest = keyword.lower(), rest.strip()
        if keyword == "include":
            for pattern in rest.split():
                full = pattern if os.path.isabs(pattern) else str(Path("/etc/ssh") / pattern)
                for name in sorted(glob.glob(full)):
                    lines.extend(_sshd_lines(Path(name), seen))
            continue
        lines.append((keyword, rest))
    return lines


def staff_login_check(config: Path = Path("/etc/ssh/sshd_config")) -> Check:
    """Is there a restricted SSH login for staff reporting, and does it allow nothing else?

    Reads sshd's config as a member of the group can (it is world-readable on
    Debian): a ``Match`` block whose ``ForceCommand`` runs ``ydsi disclose``,
    with every kind of forwarding and ``~/.ssh/rc`` off, in the block or
    before any block. Per-person keys (``restrict,command=`` in an
    authorized_keys file) cannot be read from here; the README says how.
    """
    lines = _sshd_lines(config, set())
    if not lines:
        return Check(
            "staff login", WARN, f"{config} could not be read: the staff login was not checked"
        )
    fix = "see 'Staff reporting' in the README: a Match block with ForceCommand ydsi disclose"
    global_values: dict[str, str] = {}
    blocks: list[tuple[str, dict[str, str]]] = []
    for keyword, rest in lines:
        if keyword == "match":
            blocks.append((rest, {}))
        elif blocks:
            blocks[-1][1].setdefault(keyword, rest)
        else:
            global_values.setdefault(keyword, rest)
    forced = [
        (criteria, values)
        for criteria, values in blocks
        if "disclose" in values.get("forcecommand", "").split()
    ]
    if not forced:
        return Check(
            "staff login",
            WARN,
            "no SSH login for staff without a server account (no Match block with "
            "ForceCommand ... ydsi disclose): staff with no login cannot report",
            fix,
        )
    problems: list[str] = []
    for criteria, values in forced:
        merged = {**global_values, **values}
        if merged.get("disableforwarding", "no").lower() == "yes":
            off = {"disableforwarding"} | {k.lower() for k, _ in _LOGIN_OFF[1:5]}
        else:
            off = set()
        missing = [
            f"{keyword} {value}"
            for keyword, value in _LOGIN_OFF[1:]
            if keyword.lower() not in off and merged.get(keyword.lower(), "").lower() != value
        ]
        if missing:
            problems.append(f"Match {criteria} lacks {', '.join(missing)}")
    if problems:
        return Check(
            "staff login",
            FAIL,
            "the staff reporting login allows more than ydsi disclose: " + "; ".join(problems),
            fix,
        )
    who = ", ".join(f"Match {criteria}" for criteria, _ in forced)
    return Check("staff login", OK, f"staff report through a restricted SSH login ({who})")


def spool_check(spool: Path, vault: Path) -> Check:
    """The staff-report spool: root's, 3773, in the case group (no technician can list it)."""
    fix = (
        f"install -d -o root -g GROUP -m 3773 {spool}   # GROUP: case/'s group "
        "(DSLs, Headteacher, team; see 'Staff reporting' in the README)"
    )
    try:
        info = os.lstat(spool)
    except FileNotFoundError:
        return Check(
            "staff spool", WARN, f"no staff-report spool at {spool}: staff cannot report", fix
        )
    except OSError as exc:
        return Check("staff spool", WARN, f"{spool} could not be checked ({exc.strerror})")
    if not stat.S_ISDIR(info.st_mode):
        return Check("staff spool", FAIL, f"{spool} is not a directory (a link?)", fix)
    mode = stat.S_IMODE(info.st_mode)
    wrong: list[str] = []
    if info.st_uid != 0:
        wrong.append("not owned by root (its owner could open it to everyone)")
    if not mode & stat.S_ISVTX:
        wrong.append("not sticky (anyone could delete or replace others' reports)")
    if mode & stat.S_IROTH:
        wrong.append("listable by every account")
    if not mode & stat.S_IWOTH or not mode & stat.S_IXOTH:
        wrong.append("not writable by every account (staff cannot file)")
    if not mode & stat.S_ISGID:
        wrong.append("not setgid (reports would not be readable by the triage group)")
    try:
        case_gid = os.stat(vault / "case").st_gid
    except OSError:
        case_gid = None
    if case_gid is not None and info.st_gid != case_gid:
        wrong.append("its group is not case/'s group (the DSLs, Headteacher and team)")
    if wrong:
        return Check("staff spool", FAIL, f"{spool} (mode {mode:04o}): " + "; ".join(wrong), fix)
    return Check("staff spool", OK, f"{spool} is root's, mode {mode:04o}, in case/'s group")
