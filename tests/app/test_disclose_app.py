"""The app of a member of staff not in the vault: report a concern, no passphrase (issue 13).

A real vault (the seeded copy), a real spool with the DSL's published drop
key and the pinned authority key (``tests/support/drop.py``, as the CLI's
``school`` fixture makes them), and the real filing code: the form calls the
same service function as ``ydsi disclose``, and the triage side (the service
``ydsi inbox list`` and ``open`` use) reads what was filed.
"""

from __future__ import annotations

import dataclasses
import errno
import hashlib
import json
import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from textual.pilot import Pilot
from textual.widgets import Input, TextArea

from tests.app.conftest import CLOCK, PASS, TEST_SETTINGS, screen_text, settle
from tests.app.test_burst import burst
from tests.support.drop import make_spool, publish
from ydsi_tui.app.app import YdsiApp
from ydsi_tui.app.main import make_app
from ydsi_tui.app.screens.dialogs import CloseDialog, DiscardDialog
from ydsi_tui.app.screens.disclose import DiscloseScreen
from ydsi_tui.app.screens.unlock import UnlockScreen
from ydsi_tui.cli.main import main
from ydsi_tui.service.staff_reports import (
    open_staff_report,
    receipt_text,
    receive_staff_reports,
    vault_member,
)
from ydsi_tui.vault.drop import DROP_KEY_NAME, DropKey, pin_text
from ydsi_tui.vault.vault import Vault

# A whole app on a real vault per test, seconds each.
pytestmark = pytest.mark.slow

HOSTILE = "He said [red]don't[/red] tell\x1b]0;owned\x07 anyone"


@dataclass
class Drop:
    vault: Path
    spool: Path
    pin: Path
    state: Path

    def settings(self) -> Any:
        return dataclasses.replace(
            TEST_SETTINGS, drop_spool=self.spool, drop_authority=self.pin,
            reporter_state=self.state,
        )  # fmt: skip

    def app(self, user: str = "ptutor") -> YdsiApp:
        """The app as ``ydsi`` starts it for a login the vault does not name."""
        return make_app(self.vault, user=user, settings=self.settings(), clock=CLOCK,
                        reporter=True)  # fmt: skip

    def files(self) -> list[str]:
        return sorted(name for name in os.listdir(self.spool) if name != DROP_KEY_NAME)


@pytest.fixture
def drop(vault: Path, tmp_path: Path) -> Iterator[Drop]:
    session = Vault.open(vault).unlock("dsl", PASS)
    spool = make_spool(tmp_path)
    _key, pin = publish(session, spool, tmp_path)
    session.close()
    return Drop(vault, spool, pin, tmp_path / "reporter-state")


def _form(app: YdsiApp) -> DiscloseScreen:
    screen = app.screen
    assert isinstance(screen, DiscloseScreen), type(screen)
    return screen


def _fill(app: YdsiApp, **values: str) -> None:
    """Put text in the form's fields directly (the burst test types it key by key)."""
    screen = _form(app)
    for name, value in values.items():
        widget = screen.query_one(f"#report-{name.replace('_', '-')}")
        if isinstance(widget, TextArea):
            widget.text = value
        else:
            assert isinstance(widget, Input)
            widget.value = value


async def _file(pilot: Pilot[Any]) -> None:
    await pilot.press("f2")
    await settle(pilot)


def _status(app: YdsiApp) -> str:
    return str(app.screen.query_one("#report-status").render())


async def test_a_non_member_gets_the_form_types_it_and_the_dsl_reads_the_same_words(
    drop: Drop,
) -> None:
    app = drop.app()
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        screen = _form(app)
        assert app.vault is None and app.session is None  # the vault is not even opened
        assert "passphrase" not in " ".join(w.id or "" for w in screen.query("*"))
        # One terminal read: the fields typed with Tabs between them, no pause.
        burst(app, "Pat Tutor", ["tab"], "Form tutor, 9B", ["tab"],
              "She said he took a photo", ["enter"], "and sent it on", ["tab"],
              "Ava, Year 9", ["tab"], "today 3:20pm", ["tab"], "after registration",
              ["tab"], "Ava Pupil, Ben Pupil", ["tab"], "Told her I must pass it on")  # fmt: skip
        await settle(pilot)
        assert screen.query_one("#report-reporter-name", Input).value == "Pat Tutor"
        assert screen.query_one("#report-job-title", Input).value == "Form tutor, 9B"
        assert screen.query_one("#report-words", TextArea).text == (
            "She said he took a photo\nand sent it on"
        )
        assert screen.query_one("#report-young-people", Input).value == "Ava Pupil, Ben Pupil"
        await _file(pilot)
        assert screen.receipt is not None
        [name] = drop.files()
        path = drop.spool / name
        assert screen.receipt.digest == hashlib.sha256(path.read_bytes()).hexdigest()
        shown = screen_text(app)
        for line in receipt_text(screen.receipt).splitlines()[:4]:
            assert line.strip() in shown
        assert screen.receipt.digest in shown and screen.receipt.report_id in shown
        # Nothing of the content on screen or in any widget: the fields are gone.
        assert "photo" not in shown and "Ava" not in shown
        assert not screen.query(Input) and not screen.query(TextArea)
        assert app.receipts == [screen.receipt]
    session = Vault.open(drop.vault).unlock("dsl", PASS)
    try:
        listed = receive_staff_reports(session, drop.spool)
        assert [r.report_id for r in listed] == [screen.receipt.report_id]
        report = open_staff_report(session, drop.spool, screen.receipt.report_id)
    finally:
        session.close()
    assert report.reporter_name == "Pat Tutor" and report.job_title == "Form tutor, 9B"
    assert report.words == "She said he took a photo\nand sent it on"
    assert report.disclosed_by == "Ava, Year 9"
    assert report.disclosed_when_text == "today 3:20pm"
    assert report.how == "after registration"
    assert report.young_people == ("Ava Pupil", "Ben Pupil")
    assert report.already_done == "Told her I must pass it on"
    assert not report.about_staff


async def test_hostile_text_is_shown_as_typed_and_filed_as_typed(drop: Drop) -> None:
    app = drop.app()
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        # Typed: markup, never read as markup, in a field and in the words (no "/":
        # the burst helper cannot type it; "[b]" alone would make the rest bold).
        burst(app, "[b]Ann Markup", ["tab"], "TA", ["tab"], "He said [red]don't tell",
              ["shift+tab", "shift+tab"])  # fmt: skip
        await settle(pilot)
        shown = screen_text(app)
        assert "[b]Ann Markup" in shown
        assert "He said [red]don't tell" in shown
        _fill(app, reporter_name="[b]Ann[/b] Markup")
        # A terminal escape cannot be typed; one pasted is filed exactly as it came.
        _fill(app, words=HOSTILE)
        await _file(pilot)
        receipt = _form(app).receipt
        assert receipt is not None
    session = Vault.open(drop.vault).unlock("dsl", PASS)
    try:
        receive_staff_reports(session, drop.spool)
        report = open_staff_report(session, drop.spool, receipt.report_id)
    finally:
        session.close()
    assert report.words == HOSTILE and report.reporter_name == "[b]Ann[/b] Markup"


def _swap_pin(drop: Drop) -> None:
    """Another authority's key pinned: the published drop key no longer matches."""
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    from ydsi_tui.vault.crypto import ed25519_public_bytes

    other = ed25519_public_bytes(Ed25519PrivateKey.generate())
    key = DropKey.from_bytes((drop.spool / DROP_KEY_NAME).read_bytes())
    drop.pin.write_text(pin_text(key.vault_id, other))


def _seen_newer(drop: Drop) -> None:
    """This login saw a newer drop key before: the published one was put back."""
    key = DropKey.from_bytes((drop.spool / DROP_KEY_NAME).read_bytes())
    drop.state.mkdir(parents=True, exist_ok=True)
    (drop.state / "drop-serials.json").write_text(json.dumps({key.vault_id: key.serial + 5}))


def _full_disk(monkeypatch: pytest.MonkeyPatch) -> None:
    def full(*_args: object, **_kwargs: object) -> None:
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr("ydsi_tui.vault.fs.FileSystem.write_all", full)


REFUSALS: list[tuple[str, dict[str, str], str, str]] = [
    ("empty", {"words": "   "}, "", "cannot be left empty"),
    ("no-name", {"reporter_name": ""}, "", "cannot be left empty"),
    ("huge", {"words": "x" * 300_000}, "", "limit here is"),
    ("imagery-path", {"words": "see /home/ann/photo.jpg"}, "", "image or video"),
    ("pin-mismatch", {}, "pin", "not signed by this school's vault authority"),
    ("no-pin", {}, "no-pin", "no pinned authority key"),
    ("serial-rollback", {}, "serial", "older (serial"),
    ("no-headteacher-key", {}, "about-head", "names nobody to receive reports"),
    ("full-disk", {}, "disk", "spool is full"),
]


@pytest.mark.parametrize(
    ("changes", "setup", "said"),
    [case[1:] for case in REFUSALS],
    ids=[case[0] for case in REFUSALS],
)
async def test_every_refusal_is_words_on_the_form_and_nothing_is_filed(
    drop: Drop, monkeypatch: pytest.MonkeyPatch, changes: dict[str, str], setup: str, said: str
) -> None:
    if setup == "pin":
        _swap_pin(drop)
    elif setup == "no-pin":
        drop.pin.unlink()
    elif setup == "serial":
        _seen_newer(drop)
    elif setup == "disk":
        _full_disk(monkeypatch)
    app = drop.app()
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        values = {"reporter_name": "Ann", "job_title": "TA", "words": "She told me", **changes}
        _fill(app, **values)
        if setup == "about-head":
            from ydsi_tui.app.widgets.options import Dropdown

            _form(app).query_one("#report-about", Dropdown).value = "headteacher"
        await settle(pilot)
        if setup == "about-head":  # told before filing what sealing does not hide
            assert "Its existence is not hidden" in " ".join(_status(app).split())
        await _file(pilot)
        screen = _form(app)  # still the form: no traceback, no receipt
        assert screen.receipt is None and app.receipts == []
        status = _status(app)
        assert "Not filed" in status and said in status, status
        assert "Traceback" not in screen_text(app)
        assert drop.files() == []
        for name, value in values.items():  # what was typed is still there
            widget = screen.query_one(f"#report-{name.replace('_', '-')}")
            got = widget.text if isinstance(widget, TextArea) else widget.value  # type: ignore[attr-defined]
            assert got == value


async def test_escape_asks_and_only_d_then_d_discards(drop: Drop) -> None:
    app = drop.app()
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        _fill(app, words="typed, not filed")
        await pilot.press("escape")
        await settle(pilot)
        assert isinstance(app.screen, CloseDialog)
        await pilot.press("y")  # nothing to keep it as: Y goes back, as N does
        await settle(pilot)
        assert _form(app).query_one("#report-words", TextArea).text == "typed, not filed"
        await pilot.press("ctrl+q")  # quitting asks too
        await settle(pilot)
        assert isinstance(app.screen, CloseDialog)
        await pilot.press("n")
        await settle(pilot)
        _form(app)
        await pilot.press("escape", "d")
        await settle(pilot)
        assert isinstance(app.screen, DiscardDialog)
        await pilot.press("enter")  # any other key: back, nothing lost
        await settle(pilot)
        assert isinstance(app.screen, CloseDialog)
        await pilot.press("escape")
        await settle(pilot)
        assert _form(app).query_one("#report-words", TextArea).text == "typed, not filed"
        await pilot.press("escape", "d", "d")
        await settle(pilot)
    assert app.return_code == 0 and drop.files() == []


async def test_escape_on_an_empty_form_leaves_at_once(drop: Drop) -> None:
    app = drop.app()
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("escape")
        await settle(pilot)
    assert app.return_code == 0


async def test_a_member_still_gets_the_unlock_screen(drop: Drop) -> None:
    app = make_app(drop.vault, user="dsl", settings=drop.settings(), clock=CLOCK)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        assert isinstance(app.screen, UnlockScreen)


def test_membership_is_read_from_the_vault_header(drop: Drop, tmp_path: Path) -> None:
    assert vault_member(drop.vault, "dsl") is True
    assert vault_member(drop.vault, "head") is True
    assert vault_member(drop.vault, "ptutor") is False
    assert vault_member(tmp_path / "no-vault-here", "ptutor") is None


@pytest.fixture
def launched(drop: Drop, monkeypatch: pytest.MonkeyPatch) -> list[dict[str, Any]]:
    """``ydsi`` run through main(), the app itself replaced by a recorder."""
    calls: list[dict[str, Any]] = []

    def run_app(vault_path: Path, **kwargs: Any) -> int:
        calls.append(kwargs)
        return 0

    monkeypatch.setattr("ydsi_tui.app.main.run_app", run_app)
    monkeypatch.setenv("YDSI_DROP_SPOOL", str(drop.spool))
    monkeypatch.setenv("YDSI_DROP_AUTHORITY", str(drop.pin))
    monkeypatch.setenv("XDG_STATE_HOME", str(drop.state))
    monkeypatch.delenv("YDSI_USER", raising=False)
    return calls


def test_ydsi_opens_the_form_for_a_non_member_and_unlock_for_a_member(
    drop: Drop, launched: list[dict[str, Any]]
) -> None:
    assert main(["--vault", str(drop.vault), "--user", "ptutor"]) == 0
    assert main(["--vault", str(drop.vault), "--user", "dsl"]) == 0
    assert [call.get("reporter", False) for call in launched] == [True, False]


def test_ydsi_does_not_start_for_a_non_member_when_no_report_could_be_filed(
    drop: Drop, launched: list[dict[str, Any]], capsys: pytest.CaptureFixture[str]
) -> None:
    drop.pin.unlink()
    code = main(["--vault", str(drop.vault), "--user", "ptutor"])
    err = capsys.readouterr().err
    assert code == 1 and launched == []
    assert "no pinned authority key" in err and len(err.strip().splitlines()) == 1
    (drop.spool / DROP_KEY_NAME).unlink()
    os.rmdir(drop.spool)
    code = main(["--vault", str(drop.vault), "--user", "ptutor"])
    err = capsys.readouterr().err
    assert code == 1 and launched == [] and "does not exist" in err


def test_the_receipts_are_printed_on_leaving(
    drop: Drop, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from ydsi_tui.vault.drop import FiledReceipt

    receipt = FiledReceipt("r" * 22, CLOCK.now(), "ab" * 32, 4096)

    def run_app(vault_path: Path, **kwargs: Any) -> int:
        kwargs["receipts"].append(receipt)
        return 0

    monkeypatch.setattr("ydsi_tui.app.main.run_app", run_app)
    monkeypatch.setenv("YDSI_DROP_SPOOL", str(drop.spool))
    monkeypatch.setenv("YDSI_DROP_AUTHORITY", str(drop.pin))
    monkeypatch.setenv("XDG_STATE_HOME", str(drop.state))
    assert main(["--vault", str(drop.vault), "--user", "ptutor"]) == 0
    assert receipt_text(receipt) in capsys.readouterr().out


def test_the_form_at_80x24(snap_compare: Any, drop: Drop) -> None:
    async def typed(pilot: Pilot[Any]) -> None:
        await settle(pilot)
        burst(pilot.app, "Pat [b]Tutor", ["tab"], "Form tutor")
        await settle(pilot)

    assert snap_compare(drop.app(), terminal_size=(80, 24), run_before=typed)


async def test_help_and_the_palette_work_with_no_vault_session(drop: Drop) -> None:
    from ydsi_tui.app.screens.help import HelpScreen

    app = drop.app()
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        _fill(app, words="kept while looking at the help")
        await pilot.press("f1")
        await settle(pilot)
        assert isinstance(app.screen, HelpScreen)
        assert "File the report" in screen_text(app)
        await pilot.press("escape")
        await settle(pilot)
        await pilot.press("ctrl+p")
        await settle(pilot)
        await pilot.press("escape")
        await settle(pilot)
        assert _form(app).query_one("#report-words", TextArea).text == (
            "kept while looking at the help"
        )


async def test_a_hang_up_writes_nothing_typed_anywhere(drop: Drop, tmp_path: Path) -> None:
    """No drafts for this form: what was typed and not filed never reaches the disk."""
    phrase = "zebra-unfiled-phrase"
    app = drop.app()
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        _fill(app, reporter_name="Ann", job_title="TA", words=phrase)
        assert app.save_drafts() == 0
        app.hangup()
        await settle(pilot)
    assert app.return_code == 129
    assert drop.files() == []
    for path in tmp_path.rglob("*"):
        if path.is_file():
            assert phrase.encode() not in path.read_bytes(), path


def test_ydsi_in_a_real_terminal_files_and_prints_the_receipt(drop: Drop, tmp_path: Path) -> None:
    """The real ``ydsi`` on a pseudo-terminal, as a login the vault does not name."""
    import sys

    from tests.app.test_pty_burst import F2, TAB, Pty, poll

    ydsi = Path(sys.executable).with_name("ydsi")
    argv = [str(ydsi)] if ydsi.exists() else [sys.executable, "-m", "ydsi_tui.cli.main"]
    env = {
        "HOME": str(tmp_path / "home"),
        "XDG_DATA_HOME": str(tmp_path / "home" / "data"),
        "XDG_CONFIG_HOME": str(tmp_path / "home" / "config"),
        "XDG_STATE_HOME": str(drop.state),
        "YDSI_DROP_SPOOL": str(drop.spool),
        "YDSI_DROP_AUTHORITY": str(drop.pin),
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "PYTHONPATH": os.environ.get("PYTHONPATH", ""),
        "TERM": "xterm-256color",
        "LANG": "C.UTF-8",
        "LC_ALL": "C.UTF-8",
    }
    term = Pty([*argv, "--vault", str(drop.vault), "--user", "ptutor"], env)
    try:
        term.wait_for("Report a concern to the safeguarding team")
        assert "Passphrase" not in term.text()
        since = len(term.text())
        term.write("Pat Tutor" + TAB + "Form tutor" + TAB + "She said he sent it on")
        term.write(F2)
        term.wait_for("Receipt: report", since=since)
        term.write("\x11")  # Ctrl+Q: the receipt is shown, nothing unfiled, so it leaves
        poll(lambda: term.process.poll() is not None, "ydsi to leave", 30, term.text)
        assert term.process.returncode == 0
    finally:
        term.close()
    [name] = drop.files()
    digest = hashlib.sha256((drop.spool / name).read_bytes()).hexdigest()
    text = term.text()
    assert f"Receipt: report {name.removesuffix('.report')}" in text
    assert text.count(f"sha256 {digest}") >= 2  # shown on the screen, then printed on leaving
    assert "sent it on" not in text[text.index("Receipt: report") :]
