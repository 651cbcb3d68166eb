"""A launch imports what its first screen needs, not every screen it might have shown.

Each module named here was imported by every launch and used by none of the ones
named (a benchmark of issue 11 measured them: the device list 11 to 18 ms, the
unlock screen 2 to 3 ms, dateutil's parser 11 ms, on a 2-CPU machine). Checked in
a fresh interpreter, since this test process has imported all of them already.
"""

from __future__ import annotations

import importlib
import json
import subprocess
import sys
from pathlib import Path

import pytest

from tests.app.conftest import PASS, MakeApp, unlock
from ydsi_tui.app.unlocking import session_modules

ROOT = Path(__file__).resolve().parents[2]

#: Opens the vault with the keys (as a benchmark or an embedding may) or, given no
#: passphrase, not (as ``ydsi`` does: the unlock screen asks); runs the app headless
#: until its first screen has settled, and names which of the watched modules are loaded.
_LAUNCH = """
import asyncio, json, sys
from pathlib import Path
from ydsi_tui.app.main import make_app
from ydsi_tui.app.settings import AppSettings
from ydsi_tui.vault.vault import Vault

vault, user, passphrase, expected = sys.argv[1:5]
watched = sys.argv[5:]
session = Vault.open(Path(vault)).unlock(user, passphrase) if passphrase else None
settings = AppSettings(lock_after=0, poll_seconds=0, cursor_blink=False, watch_terminal=False)
app = make_app(Path(vault), user=user, settings=settings, session=session)

async def main():
    async with app.run_test(size=(80, 24)) as pilot:
        for _ in range(400):  # until the first screen is up and every worker is done
            await pilot.pause()
            if (
                type(app.screen).__name__ == expected
                and app.vault is not None  # the unlock screen's users are read
                and not any(w.is_running for w in app.workers)
            ):
                break
            await app.workers.wait_for_complete()
        shown = type(app.screen).__name__
    return shown

shown = asyncio.run(main())
print(json.dumps({"shown": shown, "loaded": sorted(set(watched) & set(sys.modules))}))
"""

UNLOCK = "ydsi_tui.app.screens.unlock"
HOME = "ydsi_tui.app.screens.home"
DEVICES = "ydsi_tui.app.screens.devices"
DATE_PARSER = "dateutil.parser"
RECORDS = "ydsi_tui.model.records"


def _launch(
    vault: Path, user: str, expected: str, watched: list[str], passphrase: str = PASS
) -> list[str]:
    result = subprocess.run(
        [sys.executable, "-c", _LAUNCH, str(vault), user, passphrase, expected, *watched],
        capture_output=True, text=True, cwd=ROOT, timeout=120,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr[-2000:]
    said = json.loads(result.stdout.strip().splitlines()[-1])
    assert said["shown"] == expected, said
    loaded: list[str] = said["loaded"]
    return loaded


@pytest.mark.parametrize(
    ("user", "first", "not_needed"),
    [
        ("dsl", "HomeScreen", [UNLOCK, DEVICES, DATE_PARSER]),
        ("tech", "DeviceListScreen", [UNLOCK, HOME, DATE_PARSER]),
    ],
    ids=["dsl-home", "technician-device-list"],
)
def test_a_launch_with_the_keys_imports_only_its_first_screen(
    vault: Path, user: str, first: str, not_needed: list[str]
) -> None:
    assert _launch(vault, user, first, not_needed) == []


def test_the_unlock_screen_imports_nothing_of_a_session(vault: Path) -> None:
    """Up to the passphrase, nothing of a session is needed: the session, the services
    (and the procedure's model with them) and the screens after it are imported while
    the key derivation runs."""
    watched = [*session_modules("dsl"), *session_modules("technician"), RECORDS]
    assert _launch(vault, "dsl", "UnlockScreen", watched, passphrase="") == []


@pytest.mark.slow
@pytest.mark.parametrize(("user", "role"), [("dsl", "dsl"), ("tech", "technician")])
async def test_what_the_unlock_imports_beside_the_key_derivation_is_what_follows_it(
    app_factory: MakeApp, user: str, role: str
) -> None:
    """The unlock imports the session's modules while Argon2id runs (it releases the
    GIL), by name; a screen moved or renamed would leave that import failing quietly
    and every unlock waiting for it again after the key derivation."""
    for name in session_modules(role):
        importlib.import_module(name)  # each named module exists
    app = app_factory(user=user)
    async with app.run_test(size=(80, 24)) as pilot:
        await unlock(pilot)
        assert type(app.screen).__module__ in session_modules(role)
