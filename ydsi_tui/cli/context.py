"""What every command needs: which vault, which user, and their passphrase.

Passphrases come from a no-echo prompt, or from a file for scripts. Never from
an argument or an environment variable: other users on the server can read
both (``ps``, ``/proc``). A passphrase file that others could read is refused,
because then it is no longer a secret.
"""

from __future__ import annotations

import argparse
import getpass
import stat
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING

import platformdirs

from ..settings import Settings, load_settings
from ..vault.errors import AccessDenied, UnknownUser, VaultNotFound
from ..vault.header import HEADER_NAME, check_user_name
from .output import safe, warn

if TYPE_CHECKING:
    # Imported where used: ``ydsi disclose`` (any member of staff, no vault)
    # must start fast, and never needs a session (bench_disclose.py).
    from ..service.casebook import CaseBook
    from ..service.factory import Services
    from ..vault.session import Session
    from ..vault.vault import Vault

__all__ = [
    "CliError",
    "Context",
    "default_vault_path",
    "open_services",
    "prompt_secret",
    "read_secret_file",
    "require",
    "require_cases",
    "user_name",
]


class CliError(Exception):
    """A usage problem, reported in one line with exit code 2."""


def user_name(text: str) -> str:
    """An argparse ``type`` for every argument that names a vault user.

    The vault checks names with a plain ``ValueError`` (it is not the CLI's
    business how errors are shown); here that becomes argparse's own usage
    error, so ``ydsi user add "Bad Name"`` is one line with exit status 2
    instead of an internal error.
    """
    try:
        return check_user_name(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(f"'{safe(text)}': {exc}") from None


def default_vault_path() -> Path:
    """The vault in force with no option given (config files, ``$YDSI_VAULT``, data dir)."""
    return load_settings().vault


def default_user() -> str:
    return load_settings().user


def read_secret_file(path: str, what: str) -> str:
    """A passphrase (or recovery code) from a file only its owner can read."""
    file = Path(path).expanduser()
    try:
        info = file.stat()
    except OSError as exc:
        raise CliError(f"cannot read {what} file {path}: {exc.strerror}") from exc
    if not stat.S_ISREG(info.st_mode):
        raise CliError(f"{what} file {path} is not a regular file")
    if info.st_mode & 0o077:
        raise CliError(
            f"{what} file {path} can be read by other users "
            f"(mode {stat.S_IMODE(info.st_mode):04o}): run 'chmod 600 {path}' first"
        )
    try:
        text = file.read_bytes().decode("utf-8")
    except UnicodeDecodeError as exc:
        raise CliError(f"{what} file {path} is not valid UTF-8 text") from exc
    except OSError as exc:
        raise CliError(f"cannot read {what} file {path}: {exc.strerror}") from exc
    if text.endswith("\r\n"):
        text = text[:-2]
    elif text.endswith("\n"):
        text = text[:-1]
    if not text:
        raise CliError(f"{what} file {path} is empty")
    return text


def prompt_secret(prompt: str, *, confirm: bool = False) -> str:
    """Ask at the terminal with no echo; refuse when there is no terminal."""
    if not sys.stdin.isatty():
        raise CliError(
            "no terminal to ask for the passphrase: use --passphrase-file "
            "(or --new-passphrase-file) for scripts"
        )
    first = getpass.getpass(prompt)
    if confirm:
        again = getpass.getpass("Type it again: ")
        if again != first:
            raise CliError("the two passphrases differ: nothing was changed")
    return first


@dataclass
class Context:
    """The parsed command line plus the helpers every command shares."""

    args: argparse.Namespace

    @cached_property
    def settings(self) -> Settings:
        """Config files, then the environment, then ``--vault`` and ``--user``."""
        return load_settings(
            options={
                "vault": getattr(self.args, "vault", None),
                "user": getattr(self.args, "user", None),
                "drop_spool": getattr(self.args, "spool", None),
            }
        )

    @property
    def vault_path(self) -> Path:
        return self.settings.vault

    @property
    def user(self) -> str:
        return self.settings.user

    def passphrase(self, *, prompt: str | None = None) -> str:
        given = getattr(self.args, "passphrase_file", None)
        if given:
            return read_secret_file(given, "passphrase")
        return prompt_secret(prompt or f"Passphrase for {self.user}: ")

    def new_passphrase(self, *, who: str) -> str:
        given = getattr(self.args, "new_passphrase_file", None)
        if given:
            return read_secret_file(given, "new passphrase")
        return prompt_secret(f"New passphrase for {who}: ", confirm=True)

    def open_vault(self) -> Vault:
        from ..vault.vault import Vault

        try:
            vault = Vault.open(self.vault_path)
        except VaultNotFound as exc:
            raise VaultNotFound(self._elsewhere(str(exc))) from None
        for warning in vault.warnings:
            warn(f"ydsi: warning: {safe(warning)}")
        return vault

    def _elsewhere(self, message: str) -> str:
        """Name the vault the user probably meant, if there is one where ydsi looks by default."""
        default = platformdirs.user_data_path("ydsi") / "vault"
        if default != self.vault_path and (default / HEADER_NAME).is_file():
            head = message.split(": create one with", 1)[0]
            return f"{head}; there is a vault at {default}: did you mean '--vault {default}'?"
        return message

    def unlock(self) -> Session:
        return self.unlock_keeping_passphrase()[0]

    def unlock_keeping_passphrase(self) -> tuple[Session, str]:
        """For the few commands that need the passphrase again (re-pinning after rotation)."""
        vault = self.open_vault()
        passphrase = self.passphrase()
        try:
            session = vault.unlock(self.user, passphrase)
        except UnknownUser:
            if vault.header.pending_by_name(self.user) is not None:
                raise UnknownUser(
                    f"{self.user} has not enrolled yet: run 'ydsi enrol' with the code a DSL "
                    "gave you (after that, a DSL's unlock endorses your keys)"
                ) from None
            raise
        for warning in session.witness_warnings:  # a rollback this user's client noticed
            warn(f"ydsi: warning: {safe(warning)}")
        from ..vault.enrolment import endorse_quietly

        endorsed, refused = endorse_quietly(session)
        for name in endorsed:
            warn(f"ydsi: endorsed the new keys of {name}")
        for problem in refused:
            warn(f"ydsi: warning: {safe(problem)} ('ydsi user list' shows it)")
        if session.role == "dsl":
            for due in session.revocations_due():
                warn(f"ydsi: warning: {safe(due.reason)}")
        if session.rotation_pending and session.role == "dsl":
            warn(
                "ydsi: warning: a key rotation was interrupted; run 'ydsi user rotate' to finish it"
            )
        return session, passphrase


def require(condition: bool, message: str) -> None:
    if not condition:
        raise CliError(message)


@contextmanager
def open_services(ctx: Context) -> Iterator[Services]:
    """The services of one command's session, closed (keys dropped) however it ends."""
    from ..service.factory import services_for  # not for vault commands: they start quicker
    from .output import safe

    session = ctx.unlock()
    try:
        services = services_for(session)
        for warning in services.warnings:
            warn(f"ydsi: warning: {safe(warning)}")
        yield services
    finally:
        session.close()


def require_cases(services: Services) -> CaseBook:
    """The case book, or the refusal a technician gets for any incident command."""
    if services.cases is None:
        raise AccessDenied("your role records device custody only; incidents are not yours to open")
    return services.cases
