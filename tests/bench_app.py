"""App benchmark: prints figures; it never passes or fails on a clock.

    python -m tests.bench_app [--incidents 1000] [--entries 20] [--typing-incidents 10000]
                              [--runs 5] [--dir DIR]

Two measurements, each in real pseudo-terminals (80x24), so that drawing to
a terminal is part of what is timed:

1. Launch to an interactive home screen listing ``--incidents`` incidents of
   ``--entries`` entries each,
   unlock excluded (the clock starts after the passphrase has opened the
   keys, before Textual is imported), against a bare Textual app that shows a
   DataTable of the same number of rows, timed the same way. Both runs
   alternate, ``--runs`` times each; the medians and their ratio are printed
   (target: at most 1.3).
   Also the app's own unlock: from Enter on the unlock screen to the same home,
   the key derivation's time subtracted (what staff wait for beyond the KDF);
   and with it the launch as staff have it, unlock excluded: to an unlock
   screen ready for the passphrase, plus that wait after Enter (typing the
   passphrase and the key derivation are the unlock). Against the same bare app.
2. Key to screen while typing in the quick note with ``--typing-incidents``
   incidents in the vault: the time from writing a key to the terminal until
   the terminal receives the redrawn field holding it, for 40 keys.

Vaults are built through the service, one save per incident, at the lowest
KDF cost; ``--dir`` keeps them between runs (building 10,000 takes a while).

Diagnosis: ``BENCH_VERBOSE=1`` prints every key's latency; ``BENCH_GC_LOG=FILE``
makes the typing child log garbage collections and any message handler slower
than 30 ms (that is how a 0.5 s stall from a full home reload was found).
"""

from __future__ import annotations

import argparse
import json
import os
import pty
import select
import shutil
import signal
import statistics
import struct
import sys
import tempfile
import termios
import time
from dataclasses import dataclass
from pathlib import Path

PASSPHRASE = "benchmark passphrase only"
COLUMNS, LINES = 80, 24
TYPED = "abcdefghijklmnopqrstuvwxyz0123456789ABCD"


# ------------------------------------------------------------------ building


def build(path: Path, incidents: int, entries: int = 1) -> None:
    """A vault of ``incidents`` incidents of ``entries`` entries each, saved through the service.

    Each incident is opened with two pupils (three entries, one save), then
    gains notes one save at a time: the issue's launch figure is for 1,000
    incidents of 20 entries each, a log of about 18 saves per incident.
    """
    from ydsi_tui.model.events import new_id
    from ydsi_tui.service.factory import services_for
    from ydsi_tui.service.policies import approve_policy_file
    from ydsi_tui.vault.crypto import KdfParams
    from ydsi_tui.vault.vault import Vault

    marker = path / "bench-incidents"
    shape = f"{incidents}" if entries <= 1 else f"{incidents}x{entries}"
    if marker.exists() and marker.read_text() == shape:
        return
    if path.exists():
        shutil.rmtree(path)
    session, _ = Vault.create(
        path, user="bench", passphrase=PASSPHRASE, full_name="Bench DSL",
        kdf=KdfParams.new(64 * 1024, 3, 1),
    )  # fmt: skip
    approve_policy_file(session)
    cases = services_for(session).cases
    assert cases is not None
    started = time.monotonic()
    for n in range(incidents):
        summary = f"Made-up incident number {n + 1} for the benchmark"
        if entries <= 1:
            cases.create(summary, "peer_sharing")
        else:
            pupils = [
                {"pupil_id": new_id(), "name": f"Made-up Pupil{n}-{k}", "year_group": 10,
                 "sex": "female", "parts": [part], "sen": False}
                for k, part in enumerate(("pictured", "shared"))
            ]  # fmt: skip
            ref = cases.create(summary, "peer_sharing", pupils=pupils)
            for k in range(entries - 1 - len(pupils)):
                cases.note(ref, f"Made-up note {k + 1}: spoken to, supported, recorded")
        if incidents >= 1000 and (n + 1) % (incidents // 10) == 0:
            print(f"    built {n + 1} incidents ({time.monotonic() - started:.0f} s)",
                  file=sys.stderr, flush=True)  # fmt: skip
    session.close()
    marker.write_text(shape)


# ------------------------------------------------------------------ children


def _report(path: str, seconds: float, cpu_started: float | None = None, **marks: float) -> None:
    """``cpu_started``: ``time.process_time()`` when the clock started; the CPU time
    of every thread since then is reported too (steadier than wall time on a busy
    machine, so it tells a real saving from noise). ``marks``: other times, named."""
    cpu = None if cpu_started is None else time.process_time() - cpu_started
    Path(path).write_text(json.dumps({"seconds": seconds, "cpu": cpu, **marks}))


def child_app(vault: str, report: str, rows: int) -> None:
    """The real app on an unlocked session: how long until home is drawn with every row."""
    from ydsi_tui.vault.vault import Vault

    session = Vault.open(vault).unlock("bench", PASSPHRASE)  # not timed
    started, cpu_started = time.monotonic(), time.process_time()

    from ydsi_tui.app.app import YdsiApp
    from ydsi_tui.app.main import close_textual_leaks
    from ydsi_tui.app.screens.home import HomeScreen
    from ydsi_tui.app.settings import AppSettings
    from ydsi_tui.app.widgets.table import RecordTable

    close_textual_leaks()

    class BenchApp(YdsiApp):
        def on_mount(self) -> None:
            # Textual calls YdsiApp.on_mount itself (handlers run for each class).
            self.set_interval(0.002, self._bench_check)

        def _bench_check(self) -> None:
            screen = self.screen
            if isinstance(screen, HomeScreen) and screen.loaded:
                table = screen.query_one("#incidents", RecordTable)
                if table.row_count == rows:  # every row in the table
                    self.call_after_refresh(self._bench_done)

        def _bench_done(self) -> None:
            _report(report, time.monotonic() - started, cpu_started)
            self.exit()

    settings = AppSettings(lock_after=0, poll_seconds=0, watch_terminal=False)
    BenchApp(Path(vault), user="bench", settings=settings, session=session).run()


def child_unlock(vault: str, report: str, rows: int) -> None:
    """The real app's own unlock: Enter on the unlock screen to home with every row,
    minus the time the key derivation took (what a member of staff waits for after
    typing their passphrase, beyond the KDF the school chose); and, before it, the
    launch to an unlock screen ready for the passphrase.

    Nothing the session needs is imported here ahead of the app (the screens are
    recognised by name): what the unlock imports is part of what is measured."""
    started = time.monotonic()  # the launch, as the bare child's clock starts
    from textual.widgets import Input

    from ydsi_tui.app.app import YdsiApp
    from ydsi_tui.app.main import close_textual_leaks
    from ydsi_tui.app.settings import AppSettings
    from ydsi_tui.vault.vault import Vault

    close_textual_leaks()
    marks: dict[str, float] = {}
    real_unlock = Vault.unlock

    def timed_unlock(self: Vault, *args: object, **kwargs: object) -> object:
        began = time.monotonic()
        try:
            return real_unlock(self, *args, **kwargs)  # type: ignore[arg-type]
        finally:
            marks["kdf"] = time.monotonic() - began

    Vault.unlock = timed_unlock  # type: ignore[assignment,method-assign]

    class BenchApp(YdsiApp):
        def on_mount(self) -> None:
            self.set_interval(0.002, self._bench_check)

        def _bench_check(self) -> None:
            screen = self.screen
            name = type(screen).__name__
            if name == "UnlockScreen" and "ready" not in marks:
                field = screen.query_one("#passphrase", Input)
                if self.vault is not None and field.has_focus:
                    marks["ready"] = 0.0  # once: the mark itself follows the refresh
                    self.call_after_refresh(self._type_passphrase, field)
            elif name == "HomeScreen" and getattr(screen, "loaded", False) and "kdf" in marks:
                table = screen.query_one("#incidents")
                if getattr(table, "row_count", 0) == rows:
                    self.call_after_refresh(self._bench_done)

        def _type_passphrase(self, field: Input) -> None:
            marks["ready"] = time.monotonic() - started
            field.value = PASSPHRASE
            marks["enter"] = time.monotonic()
            self.call_later(field.action_submit)  # as Enter does

        def _bench_done(self) -> None:
            waited = time.monotonic() - marks["enter"] - marks["kdf"]
            _report(report, waited, ready=marks["ready"], kdf=marks["kdf"])
            self.exit()

    settings = AppSettings(lock_after=0, poll_seconds=0, watch_terminal=False)
    BenchApp(Path(vault), user="bench", settings=settings).run()


def child_bare(report: str, rows: int) -> None:
    """A bare Textual app: one DataTable of ``rows`` rows, timed the same way."""
    started, cpu_started = time.monotonic(), time.process_time()

    from rich.text import Text
    from textual.app import App, ComposeResult
    from textual.widgets import DataTable, Footer

    class Bare(App[None]):
        def compose(self) -> ComposeResult:
            yield DataTable(cursor_type="row")
            yield Footer()

        def on_mount(self) -> None:
            table = self.query_one(DataTable)
            table.add_columns("Ref", "Opened", "Status", "Next step", "Flags")
            for n in range(rows):
                table.add_row(
                    Text(f"2026-{n + 1:03d}"), Text("16/11 10:00"), Text("open"),
                    Text("Disclosure"), Text(""), key=str(n),
                )  # fmt: skip
            self.call_after_refresh(self._bench_done)

        def _bench_done(self) -> None:
            _report(report, time.monotonic() - started, cpu_started)
            self.exit()

    Bare().run()


def child_typing(vault: str) -> None:
    """The real app, for the parent to type into (the parent does the timing)."""
    from ydsi_tui.vault.vault import Vault

    session = Vault.open(vault).unlock("bench", PASSPHRASE)
    if os.environ.get("BENCH_GC_LOG"):
        import gc

        log = open(os.environ["BENCH_GC_LOG"], "w")  # noqa: SIM115
        marks: dict[str, float] = {}

        def gc_timer(phase: str, info: dict[str, int]) -> None:
            if phase == "start":
                marks["t"] = time.perf_counter()
            else:
                took = (time.perf_counter() - marks["t"]) * 1000
                log.write(f"gen{info['generation']} {took:.1f} ms\n")
                log.flush()

        gc.callbacks.append(gc_timer)
        from textual.message_pump import MessagePump

        original = MessagePump._dispatch_message

        async def timed(self: MessagePump, message: object) -> object:
            started = time.perf_counter()
            result = await original(self, message)  # type: ignore[arg-type]
            took = (time.perf_counter() - started) * 1000
            if took > 30:
                log.write(f"{type(self).__name__} {type(message).__name__} {took:.0f} ms\n")
                log.flush()
            return result

        MessagePump._dispatch_message = timed  # type: ignore[method-assign]
    from ydsi_tui.app.app import YdsiApp
    from ydsi_tui.app.main import close_textual_leaks
    from ydsi_tui.app.settings import AppSettings

    close_textual_leaks()
    settings = AppSettings(lock_after=0, cursor_blink=False, watch_terminal=False)
    YdsiApp(Path(vault), user="bench", settings=settings, session=session).run()


# ------------------------------------------------------------------ terminals


class Terminal:
    """A child process on a pseudo-terminal of 80x24 that we read and write."""

    def __init__(self, args: list[str]) -> None:
        pid, fd = pty.fork()
        if pid == 0:  # the child
            env = dict(os.environ, TERM="xterm-256color", COLUMNS=str(COLUMNS),
                       LINES=str(LINES))  # fmt: skip
            os.execve(sys.executable, [sys.executable, "-m", "tests.bench_app", *args], env)
        self.pid, self.fd = pid, fd
        size = struct.pack("HHHH", LINES, COLUMNS, 0, 0)
        import fcntl

        fcntl.ioctl(fd, termios.TIOCSWINSZ, size)
        self.output = b""

    def read(self, timeout: float) -> bytes:
        ready, _, _ = select.select([self.fd], [], [], timeout)
        if not ready:
            return b""
        try:
            data = os.read(self.fd, 65536)
        except OSError:
            return b""
        self.output += data
        return data

    def drain_until_exit(self, timeout: float = 120.0) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            self.read(0.05)
            done, _ = os.waitpid(self.pid, os.WNOHANG)
            if done:
                return
        os.kill(self.pid, signal.SIGKILL)
        os.waitpid(self.pid, 0)
        raise RuntimeError("the benchmark child did not finish")

    def wait_for(self, text: bytes, timeout: float = 120.0) -> None:
        deadline = time.monotonic() + timeout
        start = len(self.output)
        while time.monotonic() < deadline:
            self.read(0.05)
            if text in self.output[start:]:
                return
        raise RuntimeError(f"{text!r} never appeared")

    def send(self, data: bytes) -> None:
        os.write(self.fd, data)

    def close(self) -> None:
        try:
            os.kill(self.pid, signal.SIGTERM)
            deadline = time.monotonic() + 10
            while time.monotonic() < deadline:
                self.read(0.05)
                if os.waitpid(self.pid, os.WNOHANG)[0]:
                    break
            else:
                os.kill(self.pid, signal.SIGKILL)
                os.waitpid(self.pid, 0)
        except ChildProcessError:
            pass
        os.close(self.fd)


@dataclass(frozen=True)
class Launch:
    """What one child said: its wall time to its mark, its CPU time (all threads) if
    it said, and any other times it named."""

    seconds: float
    cpu: float | None
    marks: dict[str, float]


def timed_launch(args: list[str], workdir: Path) -> Launch:
    report = workdir / f"report-{time.monotonic_ns()}.json"
    terminal = Terminal([*args, "--report", str(report)])
    try:
        terminal.drain_until_exit()
    finally:
        os.close(terminal.fd)
    if not report.exists():
        tail = terminal.output[-2000:].decode(errors="replace")
        raise RuntimeError(f"the benchmark child failed; its terminal showed:\n{tail}")
    said = json.loads(report.read_text())
    report.unlink()  # --dir keeps the vaults, not a file per run
    seconds, cpu = float(said.pop("seconds")), said.pop("cpu", None)
    return Launch(
        seconds, None if cpu is None else float(cpu), {k: float(v) for k, v in said.items()}
    )


def key_to_screen(vault: Path) -> list[float]:
    terminal = Terminal(["--child", "typing", "--vault", str(vault)])
    try:
        terminal.wait_for(b"Incidents (", timeout=300)
        terminal.wait_for(b"Made-up incident", timeout=300)  # the list is drawn
        terminal.send(b"\r")
        terminal.wait_for(b"Guide", timeout=60)
        time.sleep(0.5)
        terminal.send(b"n")
        terminal.wait_for(b"Quick note", timeout=60)
        time.sleep(0.5)
        while terminal.read(0.1):
            pass
        latencies: list[float] = []
        for char in TYPED:
            while terminal.read(0.03):  # let the last redraw finish arriving
                pass
            mark = len(terminal.output)
            started = time.perf_counter()
            terminal.send(char.encode())
            while char.encode() not in terminal.output[mark:]:
                if not terminal.read(5.0):
                    raise RuntimeError(f"no redraw after typing {char!r}")
            latencies.append(time.perf_counter() - started)
            time.sleep(0.05)  # a fast typist: 20 keys a second
        return latencies
    finally:
        terminal.close()


# ------------------------------------------------------------------ main


def _compile_bytecode() -> str:
    """Compile ydsi's bytecode first, as an installed ydsi has it (pip compiles at
    install; an editable install under PYTHONDONTWRITEBYTECODE never would, and
    every launch would then compile the source: not what a school's server does)."""
    import compileall

    import ydsi_tui

    package = Path(ydsi_tui.__file__).parent
    ok = compileall.compile_dir(str(package), quiet=1)
    return f"compiled for {package}" if ok else f"could not compile all of {package}"


def _ms(seconds: float) -> str:
    return f"{seconds * 1000:7.1f} ms"


def _row(label: str, times: list[float]) -> None:
    """One figure: its median, then every run's."""
    runs = ", ".join(f"{t * 1000:.0f}" for t in times)
    print(f"  {label:<24}{_ms(statistics.median(times))}   runs: {runs}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tests.bench_app")
    parser.add_argument("--incidents", type=int, default=1000)
    parser.add_argument("--entries", type=int, default=20, help="entries per incident")
    parser.add_argument("--typing-incidents", type=int, default=10000)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--dir", type=Path, default=None, help="keep the built vaults here")
    parser.add_argument(
        "--child", choices=("app", "unlock", "bare", "typing"), help=argparse.SUPPRESS
    )
    parser.add_argument("--vault", help=argparse.SUPPRESS)
    parser.add_argument("--report", help=argparse.SUPPRESS)
    parser.add_argument("--rows", type=int, default=1000, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)

    if args.child == "app":
        child_app(args.vault, args.report, args.rows)
        return 0
    if args.child == "unlock":
        child_unlock(args.vault, args.report, args.rows)
        return 0
    if args.child == "bare":
        child_bare(args.report, args.rows)
        return 0
    if args.child == "typing":
        child_typing(args.vault)
        return 0

    base = args.dir or Path(tempfile.mkdtemp(prefix="ydsi-bench-app-"))
    base.mkdir(parents=True, exist_ok=True)
    print(f"ydsi app benchmark ({os.cpu_count()} CPUs, Python {sys.version.split()[0]})")

    vault = base / f"vault-{args.incidents}x{args.entries}"
    print(f"building {args.incidents} incidents of {args.entries} entries ...",
          file=sys.stderr, flush=True)  # fmt: skip
    build(vault, args.incidents, args.entries)
    compiled = _compile_bytecode()
    print(f"bytecode: {compiled}")
    app: list[Launch] = []
    bare: list[Launch] = []
    unlock: list[Launch] = []
    for _ in range(args.runs):
        app.append(timed_launch(["--child", "app", "--vault", str(vault),
                                 "--rows", str(args.incidents)], base))  # fmt: skip
        bare.append(timed_launch(["--child", "bare", "--rows", str(args.incidents)], base))
        unlock.append(timed_launch(["--child", "unlock", "--vault", str(vault),
                                    "--rows", str(args.incidents)], base))  # fmt: skip
    app_times, bare_times = [r.seconds for r in app], [r.seconds for r in bare]
    unlock_times = [r.seconds for r in unlock]
    app_median = statistics.median(app_times)
    bare_median = statistics.median(bare_times)
    print(f"\nLaunch to an interactive home screen, {args.incidents} rows of "
          f"{args.entries} entries each, unlock excluded "
          f"(median of {args.runs}):")  # fmt: skip
    _row("ydsi home screen", app_times)
    _row("bare Textual DataTable", bare_times)
    print(f"  ratio                     {app_median / bare_median:7.2f}   (target <= 1.30)")
    app_cpu = [r.cpu for r in app if r.cpu is not None]
    bare_cpu = [r.cpu for r in bare if r.cpu is not None]
    if app_cpu and bare_cpu:  # every thread's CPU over the same span: less noisy
        app_cpu_median, bare_cpu_median = statistics.median(app_cpu), statistics.median(bare_cpu)
        print(
            f"  CPU, all threads: ydsi {_ms(app_cpu_median)}, bare {_ms(bare_cpu_median)}, "
            f"ratio {app_cpu_median / bare_cpu_median:.2f}"
        )
    print("  after Enter on the unlock screen, the key derivation subtracted:")
    _row("ydsi unlock to home", unlock_times)
    _row("  (key derivation)", [r.marks["kdf"] for r in unlock])
    ready = [r.marks["ready"] for r in unlock]
    _row("launch to unlock screen", ready)
    staff = [r.marks["ready"] + r.seconds for r in unlock]  # each run's own sum
    _row("the two together", staff)
    print(
        f"  ratio to the bare app     {statistics.median(staff) / bare_median:7.2f}   "
        "(the launch as staff have it, unlock excluded)"
    )

    if args.typing_incidents <= 0:  # the launch figures only
        return 0
    typing_vault = base / f"vault-{args.typing_incidents}"
    print(f"building {args.typing_incidents} incidents ...", file=sys.stderr, flush=True)
    build(typing_vault, args.typing_incidents)
    latencies = key_to_screen(typing_vault)
    if os.environ.get("BENCH_VERBOSE"):
        print(" ".join(f"{t * 1000:.0f}" for t in latencies))
    ordered = sorted(latencies)
    p95 = ordered[max(0, round(0.95 * len(ordered)) - 1)]
    print(f"\nKey to screen, typing a quick note with {args.typing_incidents} incidents "
          f"({len(latencies)} keys):")  # fmt: skip
    print(
        f"  median {_ms(statistics.median(latencies))}   p95 {_ms(p95)}   max {_ms(max(latencies))}"
    )
    if args.dir is None:
        shutil.rmtree(base, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
