"""The app on real vaults: lowest KDF cost, seeded through the service, a fixed clock.

One seeded vault is built per test session (per xdist worker) and copied for
each test, so every test starts from the same synthetic data and may write
freely. Settings are fixed for determinism: no cursor blink, no polling, no
idle lock (tests lock by key), a fixed theme and clock.
"""

from __future__ import annotations

import itertools
import shutil
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from textual.pilot import Pilot
from textual.widgets import Input

from tests.support.vaults import enrol_user
from ydsi_tui.app.app import YdsiApp
from ydsi_tui.app.main import make_app
from ydsi_tui.app.settings import AppSettings
from ydsi_tui.model import events
from ydsi_tui.model.events import new_id
from ydsi_tui.model.timeparse import to_iso_utc
from ydsi_tui.service.clock import FixedClock
from ydsi_tui.service.factory import services_for
from ydsi_tui.service.policies import approve_policy_file
from ydsi_tui.service.register import PupilRegister
from ydsi_tui.vault.crypto import KdfParams
from ydsi_tui.vault.vault import Vault

PASS = "app tests passphrase"
#: A Monday in term time, 10:00 UK (GMT).
NOW = datetime(2026, 11, 16, 10, 0, tzinfo=UTC)
CLOCK = FixedClock(NOW)

#: Hostile text: must show literally, never as markup or terminal control.
HOSTILE_NAME = "[b]Ann[/b] Markup"
HOSTILE_NOTE = "look \x1b[31mred\x1b[0m and [/ and [bold]x[/bold] \x07 end"

TEST_SETTINGS = AppSettings(
    lock_after=0,
    poll_seconds=0,
    cursor_blink=False,
    theme="textual-dark",
    watch_terminal=False,
)


@dataclass(frozen=True)
class Refs:
    """The seeded incidents and devices."""

    chat: str  # a peer-sharing incident with hostile text, at the review stage
    referral: str  # trigger 2 answered yes: an immediate referral is required
    signoff: str  # handled in school, waiting for the Headteacher's sign-off
    fresh: str  # just opened
    device: str  # a phone seized for the referral incident
    recovery: str  # the vault's recovery code (the envelope in the school safe)


def _seed(path: Path) -> Refs:
    kdf = KdfParams.new(64 * 1024, 3, 1)
    session, recovery = Vault.create(
        path, user="dsl", passphrase=PASS, full_name="Dana Lead", kdf=kdf
    )
    approve_policy_file(session)
    # The Headteacher signs off: their keys must be their own (enrolment, not add_user).
    enrol_user(session, path, "head", "headteacher", PASS, full_name="Hana Head")
    session.add_user("tech", "technician", PASS, full_name="Tom Tech", kdf=kdf)

    day = NOW - timedelta(days=3)
    services = services_for(session, clock=FixedClock(day))
    cases = services.cases
    assert cases is not None
    chat = cases.create(
        "Image shared in a Year 10 group chat",
        "peer_sharing",
        disclosed_at=day - timedelta(hours=2),
    )
    ann, ben = new_id(), new_id()
    cases.record(chat, "disclosure", {
        "discloser_type": "young_person", "discloser_name": HOSTILE_NAME,
        "to_whom": "Form tutor Mr T. Example", "how": "Told the form tutor at break",
        "disclosed_at": to_iso_utc(day - timedelta(hours=2)),
        "dsl_told_at": to_iso_utc(day - timedelta(hours=1)),
    }, at=day - timedelta(hours=2))  # fmt: skip
    cases.record(chat, "pupil.added", {
        "pupil_id": ann, "name": HOSTILE_NAME, "year_group": 10, "sex": "female",
        "parts": ["pictured", "sent"], "sen": False, "vulnerabilities": "",
    })  # fmt: skip
    cases.record(chat, "pupil.added", {
        "pupil_id": ben, "name": "Ben Example", "year_group": 10, "sex": "male",
        "parts": ["received", "shared"], "sen": False, "vulnerabilities": "",
    })  # fmt: skip
    cases.note(chat, HOSTILE_NOTE, at=day - timedelta(minutes=30))

    services = services_for(session, clock=FixedClock(NOW - timedelta(days=1)))
    cases = services.cases
    assert cases is not None
    referral = cases.create("Year 9 pupil threatened unless they pay", "sextortion",
                            disclosed_at=NOW - timedelta(days=1, hours=1))  # fmt: skip
    cara = new_id()
    cases.record(referral, "pupil.added", {
        "pupil_id": cara, "name": "Cara Sample", "year_group": 9, "sex": "female",
        "parts": ["pictured"], "sen": True, "vulnerabilities": "new to the school",
    })  # fmt: skip
    cases.record(
        referral,
        "trigger.answered",
        {"n": 2, "answer": "yes", "basis": "demands for money; threats to share"},
    )
    cases.record(referral, "viewing", {
        "viewer": "Dana Lead", "viewer_role": "dsl", "present": ["Hana Head"],
        "where": "Headteacher's office", "on_premises": True,
        "reason_id": "report_for_takedown", "head_consulted": True, "same_sex": "yes",
        "distress_considered": True, "not_copied": True,
        "actions": "Reported for removal; police informed",
    }, at=NOW - timedelta(days=1))  # fmt: skip
    device = services.devices.seize(referral, {
        "description": "black phone in a blue case", "owner": "CS",
        "seized_by": "Tom Tech", "powered_off": True, "locked_where": "Office cabinet B",
    })  # fmt: skip

    services = services_for(session, clock=FixedClock(NOW - timedelta(days=10)))
    cases = services.cases
    assert cases is not None
    signoff = cases.create("Altered image of a pupil in a group chat", "ai_generated",
                           disclosed_at=NOW - timedelta(days=10, hours=2))  # fmt: skip
    for n in range(1, 6):
        cases.record(
            signoff,
            "trigger.answered",
            {"n": n, "answer": "no", "basis": "established at the review meeting"},
        )
    cases.record(signoff, "decision", {
        "outcome": "in_school", "reason": "removed within the hour; no trigger applies",
        "input_from": ["Hana Head"],
    })  # fmt: skip

    services = services_for(session, clock=CLOCK)
    assert services.cases is not None
    fresh = services.cases.create("A parent reports an image being shared", "peer_sharing",
                                  disclosed_at=NOW - timedelta(minutes=20))  # fmt: skip
    session.close()
    return Refs(chat, referral, signoff, fresh, device, recovery)


#: The pupil register of :func:`register_template`: fixed ids, so screens read the same.
ANN_RECORD, BEN_RECORD, CARA_RECORD = "P-00000000a001", "P-00000000b001", "P-00000000c001"
#: Another name Ann's record holds: an escape sequence, to be shown, never obeyed.
HOSTILE_OTHER_NAME = "Annie\x1b[2J M"


def _seed_register(path: Path, refs: Refs) -> None:
    """The seeded vault's young people in the pupil register; Ben in two incidents.

    Ben is added to the altered-image incident of ten days ago (pictured), so
    the group chat three days ago is his second: the repeat involvement the
    register screens and the People pane show. Nothing else changes.
    """
    session = Vault.open(path).unlock("dsl", PASS)
    then = NOW - timedelta(days=10) + timedelta(hours=1)
    services = services_for(session, clock=FixedClock(then))
    assert services.cases is not None
    ben_then = new_id()
    services.cases.record(refs.signoff, "pupil.added", {
        "pupil_id": ben_then, "name": "Ben Example", "year_group": 10, "sex": "male",
        "parts": ["pictured"], "sen": False, "vulnerabilities": "",
    })  # fmt: skip
    services = services_for(session, clock=FixedClock(NOW - timedelta(hours=1)))
    cases = services.cases
    assert cases is not None
    register = PupilRegister(cases)
    chat = {p.name: p.pupil_id for p in cases.open(refs.chat, log=False).incident.pupils.values()}
    [cara] = cases.open(refs.referral, log=False).incident.pupils
    records = [
        (ANN_RECORD, {"name": HOSTILE_NAME, "other_names": [HOSTILE_OTHER_NAME],
                      "year_group": 10, "sex": "female"}, [(refs.chat, chat[HOSTILE_NAME])]),
        (BEN_RECORD, {"name": "Ben Example", "year_group": 10, "sex": "male"},
         [(refs.signoff, ben_then), (refs.chat, chat["Ben Example"])]),
        (CARA_RECORD, {"name": "Cara Sample", "year_group": 9, "sex": "female", "sen": True},
         [(refs.referral, cara)]),
    ]  # fmt: skip
    for register_id, facts, links in records:
        register.add(facts, register_id=register_id)
        for ref, pupil_id in links:
            register.link(ref, register_id, pupil_id=pupil_id)
    session.close()


#: Spreads counted ids over all 128 bits, so their short forms differ too.
_SPREAD = 0x9E3779B97F4A7C15F39CC0605CEDC835


@pytest.fixture(scope="session")
def seeded_template(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Refs]:
    path = tmp_path_factory.mktemp("template") / "vault"
    with pytest.MonkeyPatch.context() as patch:
        # Entry ids are random in use; here they are counted, so a screen that
        # shows one (the chronology's "entry 1a2b3c4d") reads the same every run.
        counter = itertools.count(1)
        patch.setattr(events.uuid, "uuid4", lambda: uuid.UUID(int=next(counter) * _SPREAD % 2**128))
        refs = _seed(path)
    return path, refs


@pytest.fixture(scope="session")
def register_template(
    seeded_template: tuple[Path, Refs], tmp_path_factory: pytest.TempPathFactory
) -> Path:
    """The seeded vault with its young people in the pupil register (a copy: the
    seeded vault itself, and every snapshot of it, stay as they were)."""
    source, refs = seeded_template
    path = tmp_path_factory.mktemp("register") / "vault"
    shutil.copytree(source, path, symlinks=True)
    with pytest.MonkeyPatch.context() as patch:
        # Its own witness: the seeded vault's copies must not look rolled back after it.
        patch.setenv("XDG_STATE_HOME", str(tmp_path_factory.mktemp("register-state")))
        counter = itertools.count(10_000)
        patch.setattr(events.uuid, "uuid4", lambda: uuid.UUID(int=next(counter) * _SPREAD % 2**128))
        _seed_register(path, refs)
    return path


@pytest.fixture
def vault(seeded_template: tuple[Path, Refs], tmp_path: Path) -> Path:
    """A private copy of the seeded vault."""
    source, _ = seeded_template
    target = tmp_path / "vault"
    shutil.copytree(source, target, symlinks=True)
    return target


@pytest.fixture
def refs(seeded_template: tuple[Path, Refs]) -> Refs:
    return seeded_template[1]


MakeApp = Callable[..., YdsiApp]


def _factory(vault: Path) -> MakeApp:
    def build(user: str = "dsl", **overrides: Any) -> YdsiApp:
        settings = overrides.pop("settings", TEST_SETTINGS)
        return make_app(vault, user=user, settings=settings, clock=CLOCK, **overrides)

    return build


@pytest.fixture
def app_factory(vault: Path) -> MakeApp:
    return _factory(vault)


@pytest.fixture
def register_app_factory(register_template: Path, tmp_path: Path) -> MakeApp:
    """The app on a private copy of :func:`register_template`'s vault."""
    target = tmp_path / "register-vault"
    shutil.copytree(register_template, target, symlinks=True)
    return _factory(target)


@pytest.fixture(autouse=True)
def _no_host_config(monkeypatch: pytest.MonkeyPatch) -> None:
    """Keep the machine running the tests out of them."""
    for name in ("YDSI_KEYMAP", "YDSI_THEME", "YDSI_LOCK_AFTER", "YDSI_POLICY", "NO_COLOR"):
        monkeypatch.delenv(name, raising=False)


async def settle(pilot: Pilot[Any], rounds: int = 40) -> None:
    """Wait until no worker is running, no typed-ahead key is waiting, and the screen
    has caught up (a key held behind a save is delivered by a timer, after the
    save's worker has finished)."""
    app = pilot.app

    def busy() -> bool:
        return bool(getattr(app, "keys_pending", False)) or any(w.is_running for w in app.workers)

    for _ in range(rounds):
        await pilot.pause()
        if not busy():
            await pilot.pause()
            if not busy():
                return
        if any(w.is_running for w in app.workers):
            await app.workers.wait_for_complete()
        else:
            await pilot.pause(0.02)  # the key pump's own timer
    await pilot.pause()


async def unlock(pilot: Pilot[Any], passphrase: str = PASS) -> None:
    """Type the passphrase on the unlock screen and wait for the first screen after it."""
    await settle(pilot)
    field = pilot.app.screen.query_one("#passphrase", Input)
    field.focus()
    field.value = passphrase  # Pilot types ~60 ms a key: set it, then press Enter
    await pilot.press("enter")
    await settle(pilot)


async def open_incident(pilot: Pilot[Any], ref: str) -> None:
    """From home: open ``ref`` (filter to it, Enter)."""
    from ydsi_tui.app.widgets.table import RecordTable

    table = pilot.app.screen.query_one("#incidents", RecordTable)
    table.move_cursor(row=table.keys.index(ref))
    table.focus()
    await pilot.press("enter")
    await settle(pilot)


RunBefore = Callable[[Pilot[Any]], Awaitable[None]]


def screen_text(app: YdsiApp) -> str:
    """Everything on screen as plain text (for asserting what a person would read)."""
    import html
    import re

    svg = app.export_screenshot()
    rows: dict[float, list[str]] = {}
    for y, chunk in re.findall(r'<text[^>]*y="([\d.]+)"[^>]*>(.*?)</text>', svg):
        rows.setdefault(float(y), []).append(html.unescape(re.sub("<[^>]+>", "", chunk)))
    return "\n".join("".join(rows[y]) for y in sorted(rows)).replace("\xa0", " ")
