"""The Textual app: the session's life (unlock, lock, hang-up) and Textual's leaks closed.

What the app object owns, and nothing else: the vault and the unlocked
session (through :class:`~ydsi_tui.service.factory.Services`), the lock that
serialises writes, the idle timer, the poll that notices other users'
writes, and the drafts box that keeps unsaved forms when the terminal goes
away. Screens ask it for services; they never open files themselves.

Textual defaults closed here, because this app shows safeguarding records:

* the crash handler prints a traceback *with local variables* (decrypted
  text, a passphrase): replaced by one line naming the error's type;
* the command palette's "Screenshot" writes the screen as a plain SVG into
  Downloads: the system commands provider is replaced (``COMMANDS``);
* devtools and the debug feature are switched off whatever ``$TEXTUAL`` says;
* text selection (copied to the client's clipboard over OSC 52) is off.

Keys are delivered one at a time (:meth:`YdsiApp.on_event`). Textual's app
forwards every key it reads to whatever has focus *now*, so when several keys
arrive in one read (SSH, a paste, a fast typist) the letters behind a Tab are
queued for the old field before the Tab, bubbling up to the screen's
bindings, moves focus. Here each key (or paste) waits until the one before
it has been handled all the way up, and until the screen it left behind has
caught up (a form just opened has focused its first field; a save has
finished), and only then goes to the widget focused at that moment.
"""

from __future__ import annotations

import contextlib
import re
import threading
import time
from collections import deque
from collections.abc import Iterable
from concurrent.futures import Future
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar, Protocol, runtime_checkable

from rich.text import Text
from textual import events, on, work
from textual.filter import LineFilter, Monochrome, NoColor
from textual.message import Message
from textual.worker import Worker, WorkerState

from ..model.roles import role_name
from .commands import bindings, palette_provider
from .filters import ConsoleGlyphs, WithoutColour
from .jobs import describe_error
from .loading import HomeData, Opened, open_session, start_thread
from .messages import (
    DraftsFound,
    Failed,
    StaffReportsArrived,
    Unlocked,
    VaultChanged,
    VaultOpened,
)
from .navigation import Places
from .paths import stylesheets
from .screens.base import AppScreen
from .settings import AppSettings
from .text import visible

if TYPE_CHECKING:
    from textual.screen import Screen
    from textual.widget import Widget

    from ..service.clock import Clock
    from ..service.factory import Services
    from ..vault.drafts import Draft, DraftBox
    from ..vault.drop import FiledReceipt
    from ..vault.session import Session
    from ..vault.vault import Vault

__all__ = ["DraftSource", "KeyHolder", "UnfiledText", "YdsiApp"]

#: A screen that holds keys (a save, an unlock) lets them go after this long
#: at the most, so that keys are never stuck behind a job that hangs.
KEY_HOLD_LIMIT = 10.0


def escape_then_key(event: events.Key | events.Paste) -> list[events.Key | events.Paste]:
    """Esc and the letter after it, when they arrived together as "alt+letter".

    Over SSH, Esc and the next key typed share one read, and Textual's
    parser takes ESC followed by a letter for Alt+letter. This app binds no
    Alt key, so a person meant Esc (close, go back) then the letter (Y, N,
    D, a shortcut): splitting it back gives the two keys they pressed. Esc
    followed by a digit, b, f, Tab, Enter or space is mapped by the parser
    to other keys (¡, ctrl+left, shift+tab...) that a real key also makes;
    those cannot be told apart here and are left as the parser made them.
    """
    if not isinstance(event, events.Key) or not event.key.startswith("alt+"):
        return [event]
    letter = event.character or ""
    name = event.key.removeprefix("alt+").removeprefix("shift+")
    if len(letter) != 1 or len(name) != 1 or not letter.isalpha() or letter.lower() != name:
        return [event]
    return [events.Key("escape", "\x1b"), events.Key(letter, letter)]


@runtime_checkable
class DraftSource(Protocol):
    """A screen holding typed text that must survive a lock or a dropped connection."""

    draft_id: str | None

    def draft_content(self) -> dict[str, Any] | None:
        """The form as a JSON-safe dict, or None when nothing has been typed."""
        ...


@runtime_checkable
class UnfiledText(Protocol):
    """A screen holding typed text that is kept nowhere, not even as a draft.

    The staff report's form (a reporter has no vault, so no drafts): leaving
    with text typed asks first, and only D, then D again, throws it away.
    """

    def holds_unfiled_text(self) -> bool:
        """True while something typed would be lost by leaving."""
        ...


@runtime_checkable
class KeyHolder(Protocol):
    """A screen that wants keys held back while it works (saving, deriving a key).

    Keys typed during a save belong to what comes after it (the screen the save
    returns to), not to the form being saved.
    """

    @property
    def holds_keys(self) -> bool:
        """True while keys must wait."""
        ...


class KeyTrail(Message):
    """Posted right behind a delivered key to the same widget: it bubbles up the
    same path, so when it reaches the app the key has been fully handled.

    ``stage`` 1 follows the key. Handling a key often posts a message to the
    same widget (Enter in an Input posts ``Submitted``), so stage 2 follows the
    key's path again, behind that message. Stage 3 passes through the current
    screen, so everything it had queued (mounting, focusing) is done first.
    """

    def __init__(self, token: int, stage: int, target: Widget) -> None:
        super().__init__()
        self.token = token
        self.stage = stage
        self.target = target


class YdsiApp(Places):
    """ydsi: the Designated Safeguarding Lead's record keeper."""

    CSS_PATH: ClassVar[list[Path]] = stylesheets()  # type: ignore[assignment]
    TITLE = "ydsi"
    ALLOW_SELECT = False
    COMMANDS: ClassVar[set[Any]] = {palette_provider}
    BINDINGS = bindings("app")
    #: Screens get the class -wide from 100 columns: the styles give lists more room
    #: (the procedure's step names whole, beside the step's detail).
    HORIZONTAL_BREAKPOINTS = [(0, "-narrow"), (100, "-wide")]  # noqa: RUF012

    def __init__(
        self,
        vault_path: Path,
        *,
        user: str | None = None,
        demo: bool = False,
        settings: AppSettings | None = None,
        clock: Clock | None = None,
        session: Session | None = None,
        reporter: bool = False,
    ) -> None:
        """``session``: one already unlocked (benchmarks, embedding); the app then
        starts at home and locks to the usual passphrase prompt.

        ``reporter``: the login is no member of the vault (``ydsi`` decided so
        before starting, see ``cli/app_launch.py``): the app is then only the form
        that reports a concern to the safeguarding team; the vault is not opened.
        """
        super().__init__()
        # Whatever $TEXTUAL asked for: no devtools (localhost is shared on a
        # server), no debug feature (it prints every error, tracebacks included).
        self.features = frozenset(f for f in self.features if f not in ("devtools", "debug"))
        self.devtools = None
        self.vault_path = Path(vault_path)
        self.login = user
        self.demo = demo
        self.settings = settings or AppSettings()
        self.clock = clock
        self.reporter = reporter
        #: What a reporter filed this run: ``ydsi`` prints each receipt again on leaving.
        self.receipts: list[FiledReceipt] = []
        self.title = "ydsi DEMO" if demo else "ydsi"
        self.vault: Vault | None = None
        self.vault_error: str | None = None
        self.vault_users: list[str] = []
        self.session: Session | None = None
        self.services: Services | None = None
        self.draft_box: DraftBox | None = None
        self.vault_lock = threading.RLock()
        self.locked = False
        self.role = ""
        self._last_input = time.monotonic()
        self._audit_seq: int | None = None
        self._polling = False
        #: Report ids the spool held at the last look (None: not looked yet).
        self._spool_seen: frozenset[str] | None = None
        self._spool_polling = False
        self._hung_up = False
        self._home_prefetch: HomeData | None = None
        self._preset: Future[Opened] | None = None
        # Burst-safe input: keys waiting for the one in flight (see on_event).
        self._held_keys: deque[events.Key | events.Paste] = deque()
        self._key_token = 0
        self._key_in_flight: int | None = None
        self._key_sent_at = 0.0
        self._key_trail_at: Widget | None = None
        self._key_hold_since: float | None = None
        self._key_timer_armed = False
        # NO_COLOR and the Linux console (see filters.py): our filters, not Textual's greys.
        self._own_filters: list[LineFilter] = []
        if self.no_color:
            self._own_filters.append(WithoutColour())
        if self.settings.console_glyphs:
            self._own_filters.append(ConsoleGlyphs())
        if session is not None:
            # Read the vault while Textual starts: the home screen then
            # appears with its rows rather than empty. (Starting this before
            # Textual is imported measured slower: the two fight for the GIL.)
            self._preset = start_thread(open_session, session, clock)

    # ------------------------------------------------------------------
    # start
    # ------------------------------------------------------------------
    def on_mount(self) -> None:
        for warning in self.settings.warnings:  # a bad setting: said, then the default
            self.notify(warning, title="Setting ignored", severity="warning", markup=False)
        if self.settings.keymap:
            self.set_keymap(dict(self.settings.keymap))
        if self.settings.theme:
            self.theme = self.settings.theme
        elif self.console.color_system in ("standard", "windows"):
            self.theme = "ansi-dark"  # a 16-colour terminal: use its own palette
        if self.reporter:
            self.open_report_form()
        elif self._preset is not None:
            self._await_preset()
        else:
            from .screens.unlock import UnlockScreen  # not needed when the keys came with us

            self.push_screen(UnlockScreen())
            self.open_vault()
        if self.settings.lock_after > 0:
            tick = min(1.0, self.settings.lock_after / 4)
            self.set_interval(tick, self._check_idle, name="idle-lock")
        if self.settings.poll_seconds > 0:
            self.set_interval(self.settings.poll_seconds, self._poll, name="poll")
        if self.settings.watch_terminal:
            self.set_interval(5.0, self._check_terminal, name="terminal-watch")
        if self.settings.drop_spool is not None and self.settings.drop_poll_seconds > 0:
            self.set_interval(
                self.settings.drop_poll_seconds, self._poll_spool, name="staff-report-watch"
            )

    @work(thread=True, exit_on_error=False, group="vault-open")
    def _await_preset(self) -> None:
        assert self._preset is not None
        try:
            opened = self._preset.result()
        except Exception as error:  # noqa: BLE001 - reported in words, never a traceback
            self.post_message(describe_error("open the vault", error))
            return
        self.post_message(Unlocked(opened.session, opened.services, opened.head, opened.home))

    def on_unlocked(self, message: Unlocked) -> None:
        """Only the preset session's start comes here (the unlock screens handle theirs)."""
        self.vault = message.session.vault
        self.vault_users = [user.name for user in message.session.vault.users()]
        self.begin_session(message)

    def on_failed(self, message: Failed) -> None:
        self.show_error(message)

    @work(thread=True, exit_on_error=False, group="vault-open")
    def open_vault(self) -> None:
        from ..vault.vault import Vault

        try:
            vault = Vault.open(self.vault_path)
            users = [user.name for user in vault.users()]
        except Exception as error:  # noqa: BLE001 - reported in words, never a traceback
            failed = describe_error("open the vault", error)
            self.post_message(VaultOpened(None, [], failed.message))
            return
        self.post_message(VaultOpened(vault, users))

    def on_vault_opened(self, message: VaultOpened) -> None:
        self.vault = message.vault
        self.vault_error = message.error
        self.vault_users = message.users
        for screen in self.screen_stack:
            screen.post_message(VaultOpened(message.vault, message.users, message.error))

    # ------------------------------------------------------------------
    # the session
    # ------------------------------------------------------------------
    def begin_session(self, unlocked: Unlocked) -> None:
        """Called by the unlock and lock screens once a passphrase opened the keys."""
        relock = self.locked
        session, services = unlocked.session, unlocked.services
        self.session = session
        self.services = services
        self.draft_box = session.draft_box()
        self.role = session.role
        self._audit_seq = unlocked.head
        self._home_prefetch = None if relock else unlocked.home
        self._last_input = time.monotonic()
        self.locked = False
        if relock:
            self.pop_screen()  # the lock screen
            for screen in self.screen_stack:
                screen.post_message(VaultChanged(changed=set()))
        else:
            home = self._first_screen(services)
            if isinstance(self.screen, AppScreen) and self.screen.gives_way_to_home:
                self.switch_screen(home)
            else:
                self.push_screen(home)
            self.find_drafts()
            for warning in services.warnings:  # a policy file waiting for a DSL's approval
                self.notify(
                    visible(warning), title="Policy", severity="warning", markup=False, timeout=30
                )
        for warning in session.witness_warnings:  # the vault went back (see witness.py)
            self.notify(
                visible(warning),
                title="Audit log",
                severity="error" if session.rollback else "warning",
                markup=False,
                timeout=120,
            )

    @staticmethod
    def _first_screen(services: Services) -> Screen[Any]:
        """The device log for a technician, else home: only the one shown is imported
        (a launch that imported both measured 11 to 18 ms slower)."""
        if services.cases is None:
            from .screens.devices import DeviceListScreen

            return DeviceListScreen(technician=True)
        from .screens.home import HomeScreen

        return HomeScreen()

    def take_home_prefetch(self) -> HomeData | None:
        """The home screen's first rows, if they were read with the keys (once)."""
        first, self._home_prefetch = self._home_prefetch, None
        return first

    @property
    def role_name(self) -> str:
        return role_name(self.role)

    def now(self) -> datetime:
        return self.clock.now() if self.clock is not None else datetime.now(UTC)

    # ------------------------------------------------------------------
    # lock
    # ------------------------------------------------------------------
    async def on_event(self, event: events.Event) -> None:
        if not event.is_forwarded and isinstance(
            event, events.Key | events.MouseDown | events.MouseScrollDown
        ):
            self._last_input = time.monotonic()
        if isinstance(event, events.Key | events.Paste) and not event.is_forwarded:
            self._held_keys.extend(escape_then_key(event))
            await self._pump_keys()
            return
        await super().on_event(event)

    # ------------------------------------------------------------------
    # keys, one at a time
    # ------------------------------------------------------------------
    @property
    def keys_pending(self) -> bool:
        """Keys typed ahead are still waiting or in flight: the screen has not caught up."""
        return bool(self._held_keys) or self._key_in_flight is not None

    async def _pump_keys(self) -> None:
        """Deliver the next held key if nothing is in flight and the screen is ready."""
        while self._held_keys:
            now = time.monotonic()
            if self._key_in_flight is not None:
                trail_at = self._key_trail_at
                if trail_at is None or not trail_at.is_attached:
                    # The widget the trail was following has been removed (Enter
                    # chose from a menu, and the menu went), perhaps with the trail
                    # inside it. Not a reason to let the next key go: the screen
                    # showing now may still be building the form that key is for.
                    self._send_trail_through_screen(self._key_in_flight)
                    self._arm_key_timer()
                    return
                # A slow screen (a big form being built on a busy server) only
                # delays the trail.
                if now - self._key_sent_at < KEY_HOLD_LIMIT:
                    self._arm_key_timer()
                    return
                self._key_in_flight = None
            screen = self.screen
            if isinstance(screen, KeyHolder) and screen.holds_keys:
                if self._key_hold_since is None:
                    self._key_hold_since = now
                if now - self._key_hold_since < KEY_HOLD_LIMIT:
                    self._arm_key_timer()
                    return
            self._key_hold_since = None
            event = self._held_keys.popleft()
            # The same target Textual's own dispatch picks, read now, after the
            # keys before this one have moved focus.
            target = self.focused or screen
            if isinstance(event, events.Paste):
                event = _paste_for(target, event)
            self._key_token += 1
            self._key_in_flight = self._key_token
            self._key_sent_at = now
            self._key_trail_at = target
            await super().on_event(event)
            target.post_message(KeyTrail(self._key_token, 1, target))

    def _send_trail_through_screen(self, token: int) -> None:
        """The key's last stage: through the current screen's queue, behind what it
        has queued (mounting, focusing its first field)."""
        screen = self.screen
        self._key_trail_at = screen
        self._key_sent_at = time.monotonic()
        screen.post_message(KeyTrail(token, 3, screen))

    def _arm_key_timer(self) -> None:
        """Look again shortly (a lost trail, a screen still holding keys)."""
        if not self._key_timer_armed:
            self._key_timer_armed = True
            self.set_timer(0.02, self._key_timer_fired, name="key-pump")

    async def _key_timer_fired(self) -> None:
        self._key_timer_armed = False
        await self._pump_keys()

    async def on_key_trail(self, message: KeyTrail) -> None:
        message.stop()
        if message.token != self._key_in_flight:
            return  # a trail that timed out earlier
        self._key_sent_at = time.monotonic()
        if message.stage == 1 and message.target.is_attached:
            message.target.post_message(KeyTrail(message.token, 2, message.target))
            return
        if message.stage < 3 or message.target is not self.screen:
            # Stage 3; or stage 3 again, when another screen came up while the trail
            # was passing through the one before: the keys behind it are for the new
            # screen, which may still be mounting. (A menu that closed with the trail
            # inside it is the pump's case above, which sends it through the screen.)
            self._send_trail_through_screen(message.token)
            return
        self._key_trail_at = None
        self._key_in_flight = None
        await self._pump_keys()

    def _check_idle(self) -> None:
        if self.session is None or self.locked:
            return
        if time.monotonic() - self._last_input >= self.settings.lock_after:
            self.action_lock()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "lock":
            return self.session is not None and not self.locked
        return True

    def action_lock(self) -> None:
        """Cover the screen, drop the keys; open forms stay as they are, underneath."""
        from .screens.lock import LockScreen

        if self.session is None or self.locked:
            return
        self.locked = True
        self.push_screen(LockScreen(self.session.name, self.role_name))
        self._close_session()

    @work(thread=True, exit_on_error=False, group="vault-lock")
    def _close_session(self) -> None:
        self._end_session()

    def _end_session(self) -> None:
        """Drop the keys once no save of this process is half-way (saves hold the lock).

        Closing is also what keeps the audit log's index, with the signatures
        this session checked, for the next open (ledger.py): an app that quit
        without closing made its next launch check every record's signature again.
        """
        with self.vault_lock:
            session, self.session, self.services = self.session, None, None
            if session is not None and not session.closed:
                session.close()

    def on_unmount(self) -> None:
        """Quitting closes the session, as locking does (after any save in flight)."""
        self._end_session()

    # ------------------------------------------------------------------
    # other users' writes
    # ------------------------------------------------------------------
    def _poll(self) -> None:
        if self.session is None or self.locked or self._polling:
            return
        self._polling = True
        self._poll_vault()

    @work(thread=True, exit_on_error=False, group="vault-poll")
    def _poll_vault(self) -> None:
        try:
            session, seq = self.session, self._audit_seq
            if session is None or seq is None:
                self.post_message(_Polled(None, set()))
                return
            head = session.audit_head()
            changed = session.changed_since(seq) if head != seq else set()
            self.post_message(_Polled(head, changed))
        except Exception:  # noqa: BLE001 - a failed poll is retried; never fatal
            self.post_message(_Polled(None, set()))

    @on(VaultChanged)
    def _forward_changes(self, message: VaultChanged) -> None:
        if isinstance(message, _Polled):
            self._polling = False
            if message.head is not None:
                self._audit_seq = message.head
            if not message.changed:
                return
            for screen in self.screen_stack:
                screen.post_message(VaultChanged(changed=message.changed))

    # ------------------------------------------------------------------
    # reports from staff (issue 13): told at once, with no content
    # ------------------------------------------------------------------
    def _poll_spool(self) -> None:
        """Look at the spool (DSL and team only: the roles that triage reports)."""
        if self.session is None or self.locked or self._spool_polling:
            return
        if self.role not in ("dsl", "team"):
            return
        self._spool_polling = True
        self._look_at_spool(self._spool_seen)

    @work(thread=True, exit_on_error=False, group="spool-poll")
    def _look_at_spool(self, seen: frozenset[str] | None) -> None:
        from ..service.alerts import pinned_authority, spool_view, spooled_ids

        spool = self.settings.drop_spool
        try:
            assert spool is not None
            if seen is None:
                # The first look: which of the reports already there wait unopened
                # (a log or pin that cannot be read: none said, new ones still rung).
                try:
                    authority = self.settings.drop_authority
                    assert authority is not None
                    view = spool_view(
                        spool, self.vault_path, pinned_authority=pinned_authority(authority)
                    )
                except Exception:  # noqa: BLE001 - the baseline is then the listing alone
                    self.post_message(_SpoolLooked(spooled_ids(spool), 0, 0))
                    return
                ids = frozenset(rid for rid, _ in view.present)
                self.post_message(_SpoolLooked(ids, 0, len(view.waiting)))
                return
            ids = spooled_ids(spool)
            self.post_message(_SpoolLooked(ids, len(ids - seen), len(ids - seen)))
        except Exception:  # noqa: BLE001 - a spool not set up or unreadable: look again later
            self.post_message(_SpoolLooked(seen, 0, 0))

    def on__spool_looked(self, message: _SpoolLooked) -> None:
        self._spool_polling = False
        if message.ids is not None:
            self._spool_seen = message.ids
        if message.new == 0 and message.waiting == 0:
            return
        if message.new:
            text = (
                "A new report from staff is waiting"
                if message.new == 1
                else f"{message.new} new reports from staff are waiting"
            )
        else:
            text = (
                "A report from staff is waiting"
                if message.waiting == 1
                else f"{message.waiting} reports from staff are waiting"
            )
        self.bell()
        self.notify(
            text + ": open the inbox to read it.",
            title="Report from staff",
            severity="warning",
            timeout=60,
            markup=False,
        )
        for screen in self.screen_stack:
            screen.post_message(StaffReportsArrived(message.new, message.waiting))

    # ------------------------------------------------------------------
    # drafts
    # ------------------------------------------------------------------
    def draft_sources(self) -> Iterable[DraftSource]:
        for screen in list(self.screen_stack):
            if isinstance(screen, DraftSource):
                yield screen

    def save_drafts(self) -> int:
        """Seal every open form's contents as a draft (works while locked); returns how many."""
        box = self.draft_box
        if box is None:
            return 0
        saved = 0
        for source in self.draft_sources():
            try:
                content = source.draft_content()
                if content:
                    source.draft_id = box.save(content, source.draft_id)
                    saved += 1
            except Exception:  # noqa: BLE001, S112 - keep going: save every form we can
                continue
        return saved

    @work(thread=True, exit_on_error=False, group="drafts")
    def find_drafts(self) -> None:
        session = self.session
        if session is None:
            return
        try:
            drafts, discarded = session.load_drafts()
        except Exception:  # noqa: BLE001 - drafts are a convenience; never block the app
            return
        if drafts or discarded:
            self.post_message(DraftsFound(drafts, discarded))

    def on_drafts_found(self, message: DraftsFound) -> None:
        from .screens.drafts import DraftsScreen
        from .words import discarded_warning

        if message.discarded:
            self.notify(discarded_warning(message.discarded), severity="warning",
                        timeout=30, markup=False)  # fmt: skip
        if message.drafts:
            self.push_screen(DraftsScreen(message.drafts))

    def discard_draft(self, draft_id: str | None) -> None:
        if draft_id and self.draft_box is not None:
            with contextlib.suppress(OSError):
                self.draft_box.discard(draft_id)

    def restore_draft(self, draft: Draft) -> None:
        from .screens.drafts import restore

        restore(self, draft)

    # ------------------------------------------------------------------
    # leaving
    # ------------------------------------------------------------------
    def hangup(self) -> None:
        """The terminal went away (SIGHUP) or is closing: keep what was typed, then leave."""
        if self._hung_up:
            return
        self._hung_up = True
        self.save_drafts()
        self.exit(return_code=129)

    def _check_terminal(self) -> None:
        import sys

        try:
            gone = not sys.__stdin__ or not sys.__stdin__.isatty()
        except (ValueError, OSError):
            gone = True
        if gone and self.is_headless is False:
            self.hangup()

    async def action_quit(self) -> None:
        from .screens.dialogs import CloseDialog

        unfiled = [
            s for s in self.screen_stack if isinstance(s, UnfiledText) and s.holds_unfiled_text()
        ]
        if unfiled:

            def leave(choice: str | None) -> None:
                if choice == "discard":
                    self.exit(return_code=0)

            self.push_screen(
                CloseDialog(
                    "Quit without filing?",
                    "The report is not filed, and it is kept nowhere (not even as a draft): "
                    "quitting loses what you typed.",
                    keep=None,
                    discard="Discard the report and quit",
                ),
                leave,
            )
            return
        unsaved = [s for s in self.draft_sources() if s.draft_content()]
        if not unsaved:
            self.exit(return_code=0)
            return

        def answer(choice: str | None) -> None:
            if choice is None:
                return  # back to the app, every form as it was
            if choice == "keep":
                self.save_drafts()
            self.exit(return_code=0)

        self.push_screen(
            CloseDialog(
                "Quit with unsaved forms?",
                f"{len(unsaved)} form(s) hold text that is not saved. Keep them as "
                "encrypted drafts (offered next time) and quit, or go back to them?",
                keep="Keep drafts and quit",
                discard="Discard them and quit",
            ),
            answer,
        )

    def action_command_palette(self) -> None:
        """Textual's palette, with the highlighted command marked (palette.py)."""
        from textual.command import CommandPalette

        from .palette import MarkedPalette

        if self.use_command_palette and not isinstance(self.screen, CommandPalette):
            self.push_screen(MarkedPalette(id="--command-palette"))

    def action_toggle_ansi_theme(self) -> None:
        self.theme = "textual-dark" if self.theme.startswith("ansi") else "ansi-dark"

    def action_change_passphrase(self) -> None:
        """Every role's own passphrase, as ``ydsi user passwd``; not while locked."""
        from .screens.passphrase import PassphraseScreen

        if self.services is None or self.locked or isinstance(self.screen, PassphraseScreen):
            return
        self.push_screen(PassphraseScreen())

    async def action_help(self) -> None:
        from .screens.help import HelpScreen

        if isinstance(self.screen, HelpScreen):
            self.pop_screen()
            return
        self.push_screen(HelpScreen(self.screen))

    # ------------------------------------------------------------------
    # errors
    # ------------------------------------------------------------------
    def show_error(self, failed: Failed) -> None:
        from .screens.dialogs import ErrorDialog

        self.push_screen(ErrorDialog(f"Could not {failed.what}", failed.message))

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        """A worker raised something nobody expected: say so in one line, keep running."""
        if event.state != WorkerState.ERROR:
            return
        error = event.worker.error
        if self.locked and error is not None:
            return
        what = event.worker.description or "finish that"
        self.show_error(describe_error(what, error or RuntimeError()))

    def _handle_exception(self, error: Exception) -> None:
        """Textual's handler prints a traceback with local variables; this prints one line."""
        self._return_code = 1
        if self._exception is None:
            self._exception = error
            self._exception_event.set()
        with contextlib.suppress(Exception):  # already failing: keep the exit clean
            self.save_drafts()
        self._exit_renderables.append(
            Text(
                f"ydsi stopped on an internal error ({type(error).__name__}). Nothing was "
                "saved half-way; open forms were kept as encrypted drafts. Please report "
                "what you were doing."
            )
        )
        self._close_messages_no_wait()

    def _fatal_error(self) -> None:  # pragma: no cover - only reached via the handler above
        self._exit_renderables.append(Text("ydsi stopped on an internal error."))
        self._close_messages_no_wait()

    def get_line_filters(self) -> list[LineFilter]:
        """Textual's filters, its NO_COLOR greys replaced by no colour at all, then ours."""
        if not self._own_filters:
            return list(super().get_line_filters())
        kept = [f for f in super().get_line_filters() if not isinstance(f, Monochrome | NoColor)]
        return kept + self._own_filters

    def get_system_commands(self, screen: Screen[Any]) -> Iterable[Any]:
        """No system commands (no Screenshot, no theme picker that lists files)."""
        return ()


def _paste_for(target: object, paste: events.Paste) -> events.Paste:
    """A paste into a one-line field keeps all its text: its lines and tabs become spaces.

    Textual's Input keeps only the first line of a paste and would take a tab
    as text; neither is what someone pasting a sentence meant.
    """
    from textual.widgets import Input

    if not isinstance(target, Input) or not any(c in paste.text for c in "\t\r\n"):
        return paste
    single = events.Paste(re.sub(r"\r\n|[\t\r\n]", " ", paste.text))
    if paste._sender is not None:
        single.set_sender(paste._sender)
    return single


class _SpoolLooked(Message, bubble=False):
    """The spool poll's report: the ids now there, how many are new, how many wait."""

    def __init__(self, ids: frozenset[str] | None, new: int, waiting: int) -> None:
        super().__init__()
        self.ids = ids
        self.new = new
        self.waiting = waiting


class _Polled(VaultChanged, bubble=False):
    """The poll's own report, turned into VaultChanged for the screens by the app."""

    def __init__(self, head: int | None, changed: set[tuple[str, str]]) -> None:
        super().__init__(changed=changed)
        self.head = head
