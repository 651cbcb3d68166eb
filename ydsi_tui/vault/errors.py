"""Every way the vault can refuse, as exception classes with one clear sentence each.

The CLI prints ``str(error)`` on one line and exits non-zero; the app shows it in
a dialog. Messages never contain record content: they name files, users and
what to do next, because an error message may end up in a support ticket.
"""

from __future__ import annotations

__all__ = [
    "AccessDenied",
    "Conflict",
    "DamagedFile",
    "KeyChangeIncomplete",
    "NeedsUpgrade",
    "NewerFormat",
    "NotSaved",
    "RecordDamaged",
    "RecordExists",
    "RecordNotFound",
    "RolledBack",
    "UnknownUser",
    "UnsafeFile",
    "VaultBusy",
    "VaultError",
    "VaultExists",
    "VaultNotFound",
    "WeakSettings",
    "WrongPassphrase",
]


class VaultError(Exception):
    """Base class: anything the vault refuses, with a message fit for a user."""


class VaultNotFound(VaultError):
    """The directory given is not a vault (or does not exist)."""


class VaultExists(VaultError):
    """``init`` was pointed at a directory that already holds a vault."""


class NewerFormat(VaultError):
    """The vault (or one file in it) was written by a newer version of ydsi."""


class NeedsUpgrade(VaultError):
    """The vault is of an older format: ``ydsi upgrade`` (a DSL) migrates it."""


class WrongPassphrase(VaultError):
    """No key slot opened with the passphrase given.

    Kept distinct from :class:`DamagedFile` on purpose: most "corruption" reports
    in password managers turn out to be forgotten passphrases, and the two need
    different help.
    """


class UnknownUser(VaultError):
    """No user of that name in this vault."""


class DamagedFile(VaultError):
    """A file failed to parse or to authenticate: damaged or tampered with.

    ``path`` names the file so that the message can, and one damaged incident
    never hides the others.
    """

    def __init__(self, path: str, reason: str) -> None:
        self.path = path
        self.reason = reason
        super().__init__(f"{path}: {reason}")


class RecordDamaged(DamagedFile):
    """A record file the audit log does not vouch for: never shown as genuine.

    Rolled back, replayed, forged with another key holder's key, written by a
    role that may not write it, or with its history rewritten. ``since`` is the
    audit entry from which the file stopped matching what was signed (0 when
    no entry ever vouched for it). Saves on top of it are refused, so the
    evidence stays for ``ydsi verify`` and ``ydsi repair``.

    ``transient`` marks the only states a save or destruction in progress
    elsewhere can show a reader for an instant (the file one or more saves
    behind the log, not yet there, or not yet removed): those are looked at
    again before they are called damage. Anything else (a file no save
    vouches for, a forged author, a rewritten history) cannot be a save in
    progress, so it is reported at once.
    """

    def __init__(self, path: str, reason: str, since: int = 0, *, transient: bool = False) -> None:
        self.since = since
        self.transient = transient
        super().__init__(path, f"DAMAGED: {reason}")


class UnsafeFile(DamagedFile):
    """A vault file that is not a plain file of a sane size: refused before a byte is read.

    Every member of a shared vault's group can put anything at any name in the
    vault directory: a FIFO (whose read would hang for ever), a symbolic link,
    a directory, or a sparse file of terabytes (which costs nothing on disk but
    would be read into memory whole). ydsi never makes any of those, so such a
    file was put there outside ydsi. ``path`` is the file's name relative to
    the vault (``case/....ydsr``), ``reason`` says what is wrong with it ("is a
    FIFO, not a file"); a damaged file, so one such record never hides the
    others and the CLI's exit code is that of a damaged file.
    """

    def __init__(self, path: str, reason: str) -> None:
        super().__init__(path, reason)
        self.args = (f"{path} {reason}; it was put there outside ydsi, so it was not read",)


class AccessDenied(VaultError):
    """The user's role does not hold the key (or the right) for this."""


class Conflict(VaultError):
    """A save was based on a copy that someone else has changed since."""


class NotSaved(VaultError):
    """The disk refused a write; the previous version is intact.

    Raised only after every partial effect has been undone, so the caller can
    keep the user's work in memory and say plainly that it was not saved.
    """


class VaultBusy(VaultError):
    """Another process held the vault's lock for too long."""


class RecordNotFound(VaultError):
    """No record with that reference."""


class RecordExists(VaultError):
    """A record with that reference already exists."""


class WeakSettings(VaultError):
    """Key-derivation settings below the floor, or absurdly high (a stall attack)."""


class KeyChangeIncomplete(VaultError):
    """A key rotation was interrupted; it must be finished before more changes."""


class RolledBack(VaultError):
    """The audit log is shorter than, or forks from, what this user's client saw.

    Saves are refused until a DSL signs an acknowledgement (``ydsi witness
    ack``): building on a rolled-back vault would bury the lost entries for
    good. Reading still works, with the warning shown.
    """
