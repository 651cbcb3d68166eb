"""Fixtures for the adversary suite: a school's shared vault, fresh for every attack.

The world (see ``tests/support/adversary.py``) is built once per test worker
and copied byte for byte for each test, so every attack starts from the same
genuine vault at the lowest accepted KDF cost (memoised across the copies).
Each test runs with its own HOME and XDG directories: a user's client keeps
state about each vault there (drafts, and under issue 9 a signed witness of
the log), and one test's memory of a vault must not leak into the next test's copy of it.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from tests.support.adversary import World, build_world
from tests.support.vaults import cached_kdf, copy_vault
from ydsi_tui.service.clock import FixedClock

_HOME_VARS = ("HOME", "XDG_STATE_HOME", "XDG_DATA_HOME", "XDG_CONFIG_HOME", "XDG_CACHE_HOME")


def _home_env(home: Path) -> dict[str, str]:
    return {
        "HOME": str(home),
        "XDG_STATE_HOME": str(home / ".local" / "state"),
        "XDG_DATA_HOME": str(home / ".local" / "share"),
        "XDG_CONFIG_HOME": str(home / ".config"),
        "XDG_CACHE_HOME": str(home / ".cache"),
    }


@pytest.fixture(autouse=True)
def own_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """A private HOME per test, the bundled policy, and the umask put back afterwards."""
    home = tmp_path / "home"
    home.mkdir(mode=0o700)
    for name, value in _home_env(home).items():
        monkeypatch.setenv(name, value)
    monkeypatch.delenv("YDSI_POLICY", raising=False)
    umask = os.umask(0o077)
    os.umask(umask)
    yield home
    os.umask(umask)


def _clock() -> FixedClock:
    return FixedClock(datetime.now(UTC).replace(microsecond=0))


@pytest.fixture(scope="session", autouse=True)
def kdf_cache() -> Iterator[dict[str, int]]:
    """Argon2id memoised on (passphrase, settings, salt): see ``cached_kdf``.

    Every test copies the same template, so every unlock would repeat the same
    derivation with the same salt; each unlock still reads the header, checks
    its signature, unwraps the slot and unseals the keys. A new passphrase or
    salt (a changed passphrase, a new user) runs the real KDF.
    """
    with cached_kdf() as counts:
        yield counts


@pytest.fixture(scope="session")
def world_template(tmp_path_factory: pytest.TempPathFactory, kdf_cache: dict[str, int]) -> World:
    """The genuine world, built once per worker under a HOME of its own."""
    base = tmp_path_factory.mktemp("adversary")
    saved = {name: os.environ.get(name) for name in _HOME_VARS}
    umask = os.umask(0o077)
    os.umask(umask)
    (base / "home").mkdir(mode=0o700)
    os.environ.update(_home_env(base / "home"))
    try:
        return build_world(base / "template", _clock())
    finally:
        os.umask(umask)
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


@pytest.fixture
def world(world_template: World, tmp_path: Path) -> Iterator[World]:
    """A fresh copy of the genuine world for one attack."""
    path = copy_vault(world_template.path, tmp_path / "vault")
    made = World(path, _clock(), world_template.incidents, world_template.device)
    yield made
    made.close()
