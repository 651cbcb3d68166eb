"""An in-process CLI bench: a real vault, a private home, and nothing of the host's settings.

Tests that call ``ydsi_tui.cli.main.main`` in this process (to walk the whole
argparse tree quickly) must not read the machine's config files or ``YDSI_*``
variables, nor leave their own behind for the next test.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from tests.support.vaults import enrol_user, min_kdf
from ydsi_tui.service.policies import approve_policy_file
from ydsi_tui.vault.vault import Vault

__all__ = ["isolated_cli", "make_cli_vault"]


@contextmanager
def isolated_cli(root: Path) -> Iterator[None]:
    """HOME, XDG directories and the system config under ``root``; no ``YDSI_*``; cwd there."""
    saved = dict(os.environ)
    here = Path.cwd()
    for name in [n for n in os.environ if n.startswith("YDSI_")]:
        del os.environ[name]
    os.environ.update(
        HOME=str(root),
        XDG_DATA_HOME=str(root / "data"),
        XDG_CONFIG_HOME=str(root / "config"),
        YDSI_SYSTEM_CONFIG=str(root / "no-system-config.toml"),
    )
    os.chdir(root)
    try:
        yield
    finally:
        os.chdir(here)
        os.environ.clear()
        os.environ.update(saved)


def make_cli_vault(
    root: Path, passphrase: str, others: tuple[tuple[str, str, str], ...]
) -> tuple[Path, Path]:
    """A vault with DSL ``dsl`` and enrolled ``others`` (login, role, full name); returns
    (vault, a 0600 passphrase file every user shares)."""
    vault = root / "vault"
    session, _ = Vault.create(vault, user="dsl", passphrase=passphrase, full_name="Dana",
                              kdf=min_kdf())  # fmt: skip
    approve_policy_file(session)
    for login, role, full_name in others:
        enrol_user(session, vault, login, role, passphrase, full_name=full_name)
    session.close()
    secret = root / "pass.secret"
    secret.write_text(passphrase + "\n", encoding="utf-8")
    secret.chmod(0o600)
    return vault, secret
