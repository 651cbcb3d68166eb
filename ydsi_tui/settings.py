"""Where ydsi's settings come from, checked: one pure module for the CLI and the app.

Later layers win, key by key:

1. built-in defaults;
2. the system config file, ``/etc/ydsi/config.toml`` (``$YDSI_SYSTEM_CONFIG``
   names another, for tests and unusual servers), which an IT manager uses
   to name the shared vault once for everyone;
3. the user's config file, ``$XDG_CONFIG_HOME/ydsi/config.toml`` (platformdirs);
4. environment variables (``YDSI_VAULT``, ``YDSI_USER``, ...);
5. command-line options (``--vault``, ``--user``).

Every value is checked, and a problem is reported with the file and line (or
the variable or option) it came from. What happens next depends on what the
setting can break. A bad *cosmetic* value (theme, keymap, idle lock time, PDF
font) never stops the program: it is reported and the default is used. A bad
*vault*, *user* or *policy* stops the command that needs it, because acting on
the wrong vault is worse than not starting; a config file that cannot be read
stops them too, since it may be the one naming the vault.

Settings that change deadlines (term and INSET dates) are not here: they are
vault settings a DSL approves, never one person's preference.

No Textual and no Rich: the theme and command names to check against are
passed in by whoever knows them (the app, ``ydsi config``).
"""

from __future__ import annotations

import getpass
import math
import os
import re
import tomllib
from collections.abc import Collection, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import platformdirs

__all__ = [
    "DEFAULT_DROP_SPOOL",
    "DEFAULT_LOCK_AFTER_MINUTES",
    "SPECS",
    "Resolved",
    "Settings",
    "SettingsError",
    "Spec",
    "load_settings",
    "system_config_path",
    "user_config_path",
]

DEFAULT_LOCK_AFTER_MINUTES = 5.0
SYSTEM_CONFIG = Path("/etc/ydsi/config.toml")
DEFAULT_DROP_SPOOL = Path("/var/spool/ydsi")
DEFAULT_DROP_AUTHORITY = Path("/etc/ydsi/authority.pub")
_KEY = re.compile(r"^[a-z0-9_+-]{1,40}$")


class SettingsError(Exception):
    """A setting that must be right (vault, user, policy) is not: one line, exit 2."""


@dataclass(frozen=True)
class Spec:
    """One setting: its key in the file, its variable, whether it may stop the program."""

    key: str
    env: str
    option: str | None
    critical: bool
    help: str


SPECS: tuple[Spec, ...] = (
    Spec("vault", "YDSI_VAULT", "--vault", True, "the vault directory"),
    Spec("user", "YDSI_USER", "--user", True, "who you are in the vault (default: your login)"),
    Spec("policy", "YDSI_POLICY", None, True, "the school's policy file (default: bundled)"),
    Spec("theme", "YDSI_THEME", None, False, "the app's colour theme"),
    Spec("keymap", "YDSI_KEYMAP", None, False, 'keys remapped: "incident.note=m;app.lock=f11"'),
    Spec("lock_after", "YDSI_LOCK_AFTER", None, False, "minutes idle before the app locks"),
    Spec("pdf_font", "YDSI_PDF_FONT", None, False, "a .ttf font for PDF exports"),
    Spec(
        "allow_argv",
        "YDSI_ALLOW_ARGV",
        "--allow-argv",
        False,
        "true: take record content as arguments (others see them in ps)",
    ),
    Spec(
        "drop_spool",
        "YDSI_DROP_SPOOL",
        "--spool",
        True,
        "the staff-report spool (default /var/spool/ydsi)",
    ),
    Spec(
        "drop_authority",
        "YDSI_DROP_AUTHORITY",
        None,
        True,
        "the vault authority key root pinned for reporters (default /etc/ydsi/authority.pub)",
    ),
    Spec(
        "drop_about_headteacher_key",
        "YDSI_DROP_ABOUT_HEADTEACHER_KEY",
        None,
        True,
        "the public key reports about the Headteacher are sealed to ('ydsi drop keygen')",
    ),
    # The alerts of `ydsi attention --notify` (issue 13): none carries content.
    # Critical: a wrong address or relay must stop the timer's run loudly, not
    # send nothing and say nothing.
    Spec("alert_to", "YDSI_ALERT_TO", None, True, "addresses told of a new staff report"),
    Spec(
        "alert_headteacher",
        "YDSI_ALERT_HEADTEACHER",
        None,
        True,
        "addresses told of a staff report not opened in time",
    ),
    Spec("alert_from", "YDSI_ALERT_FROM", None, True, "the From address of the alerts"),
    Spec("alert_smtp", "YDSI_ALERT_SMTP", None, True, "host:port of the SMTP relay for alerts"),
    Spec(
        "alert_mail_command",
        "YDSI_ALERT_MAIL_COMMAND",
        None,
        True,
        'a sendmail-style command for alerts: "/usr/sbin/sendmail -oi"',
    ),
    Spec("alert_message", "YDSI_ALERT_MESSAGE", None, True, "the alert's text (no content)"),
    Spec(
        "alert_late_message",
        "YDSI_ALERT_LATE_MESSAGE",
        None,
        True,
        "the Headteacher's alert text (no content)",
    ),
    Spec("alert_state", "YDSI_ALERT_STATE", None, True, "where the alerts sent are remembered"),
)
_BY_KEY = {spec.key: spec for spec in SPECS}


@dataclass(frozen=True)
class Resolved:
    """A setting's value in force, where it came from, and what was wrong (if anything)."""

    key: str
    value: Any
    source: str
    problem: str | None = None


def system_config_path(environ: Mapping[str, str]) -> Path:
    return Path(environ.get("YDSI_SYSTEM_CONFIG") or SYSTEM_CONFIG)


def user_config_path(environ: Mapping[str, str]) -> Path:
    base = environ.get("XDG_CONFIG_HOME")
    root = Path(base) if base else platformdirs.user_config_path()
    return root / "ydsi" / "config.toml"


@dataclass
class Settings:
    """The resolved settings; reading a critical one with a problem raises."""

    values: dict[str, Resolved]
    warnings: list[str] = field(default_factory=list)
    files: list[tuple[Path, str]] = field(default_factory=list)  # (path, "read"/"absent"/why)

    def resolved(self, key: str) -> Resolved:
        return self.values[key]

    def get(self, key: str) -> Any:
        entry = self.values[key]
        if entry.problem is not None and _BY_KEY[key].critical:
            raise SettingsError(entry.problem)
        return entry.value

    @property
    def vault(self) -> Path:
        value = self.get("vault")
        return Path(value) if value else platformdirs.user_data_path("ydsi") / "vault"

    @property
    def user(self) -> str:
        return str(self.get("user") or getpass.getuser())

    @property
    def policy(self) -> Path | None:
        value = self.get("policy")
        return Path(value) if value else None

    @property
    def theme(self) -> str | None:
        return self.values["theme"].value or None

    @property
    def keymap(self) -> dict[str, str]:
        return dict(self.values["keymap"].value or {})

    @property
    def drop_spool(self) -> Path:
        value = self.get("drop_spool")
        return Path(value) if value else DEFAULT_DROP_SPOOL

    @property
    def drop_authority(self) -> Path:
        value = self.get("drop_authority")
        return Path(value) if value else DEFAULT_DROP_AUTHORITY

    @property
    def drop_about_headteacher_key(self) -> str | None:
        """The recipient line of the key reports about the Headteacher go to, if named."""
        value = self.get("drop_about_headteacher_key")
        return str(value) if value else None

    @property
    def lock_after_seconds(self) -> float:
        return float(self.values["lock_after"].value) * 60

    @property
    def alert_state(self) -> Path:
        value = self.get("alert_state")
        return Path(value) if value else platformdirs.user_state_path("ydsi") / "alerts.json"

    @property
    def problems(self) -> list[str]:
        """Every problem found, critical ones included (``ydsi config`` shows them all)."""
        return [v.problem for v in self.values.values() if v.problem is not None]

    def export_to_environment(self, environ: os._Environ[str] | dict[str, str]) -> None:
        """Hand file-only settings to code that reads the environment (policy, PDF font).

        The service layer finds the policy file and the PDF font through
        ``$YDSI_POLICY`` and ``$YDSI_PDF_FONT``; a value from a config file is
        passed on the same way, and a bad policy setting stops here.
        """
        policy = self.get("policy")
        for key, value in (("policy", policy), ("pdf_font", self.values["pdf_font"].value)):
            spec = _BY_KEY[key]
            if value and spec.env not in environ:
                environ[spec.env] = str(value)


# ---------------------------------------------------------------- checking


class _Bad(ValueError):
    """A value that fails its check; the message says what would be right."""


def _text(value: Any) -> str:
    if not isinstance(value, str):
        raise _Bad("must be text in quotes")
    if not value.strip():
        raise _Bad("is empty")
    if any(ord(ch) < 0x20 or ord(ch) == 0x7F for ch in value):
        raise _Bad("contains control characters")
    return value


def _check_path(value: Any, *, from_file: bool) -> str:
    text = os.path.expanduser(_text(value))
    if from_file and not os.path.isabs(text):
        # A relative path in a config file would mean a different vault in
        # every directory someone starts ydsi from.
        raise _Bad(f"{_show(text)} is not an absolute path (start it with / or ~)")
    return text


def _check_user(value: Any) -> str:
    from .vault.header import check_user_name  # the vault's own rule for names

    name = _text(value)
    try:
        return check_user_name(name)
    except ValueError as exc:
        raise _Bad(f"{_show(name)}: {exc}") from None


def _check_theme(value: Any, themes: Collection[str] | None) -> str:
    name = _text(value).strip()
    if themes is not None and name not in themes:
        raise _Bad(f"{_show(name)} is not a theme here (try one of: {', '.join(sorted(themes))})")
    return name


def _check_keymap(value: Any, command_ids: Collection[str] | None) -> dict[str, str]:
    pairs: list[tuple[str, Any]]
    if isinstance(value, str):
        pairs = []
        for item in value.replace(",", ";").split(";"):
            if not item.strip():
                continue
            name, sep, key = item.partition("=")
            if not sep:
                raise _Bad(f"{_show(item.strip())} is not id=key, e.g. incident.note=m")
            pairs.append((name.strip(), key.strip()))
    elif isinstance(value, dict):
        pairs = list(value.items())
    else:
        raise _Bad('must be a [keymap] table, e.g. "incident.note" = "m"')
    keymap: dict[str, str] = {}
    for name, key in pairs:
        if command_ids is not None and name not in command_ids:
            raise _Bad(f"{_show(name)} is not a command id (F1 in the app lists them)")
        if not isinstance(key, str) or not _KEY.match(key):
            raise _Bad(f"{_show(str(key))} for {_show(name)} is not a key such as m, f11, ctrl+x")
        keymap[name] = key
    return keymap


def _check_minutes(value: Any) -> float:
    if isinstance(value, str):
        try:
            value = float(value.strip())
        except ValueError:
            raise _Bad(f"{_show(value)} is not a number of minutes") from None
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise _Bad("must be a number of minutes")
    if not math.isfinite(value) or not 0 < value <= 24 * 60:
        # Never "off" by mistake: 0, a negative or a silly value is refused.
        raise _Bad(
            f"{value:g} must be more than 0 and at most 1440 minutes (the lock cannot be off)"
        )
    return float(value)


def _check_flag(value: Any) -> bool:
    """true/false in a file; 1/0, yes/no, true/false in a variable."""
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.strip().lower() in ("1", "yes", "true", "0", "no", "false"):
        return value.strip().lower() in ("1", "yes", "true")
    raise _Bad("must be true or false")


#: An address as a relay accepts it: no spaces, quotes, brackets or commas to
#: smuggle a second recipient or a header through.
_ADDRESS = re.compile(
    r"^[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]+@[A-Za-z0-9](?:[A-Za-z0-9.-]*[A-Za-z0-9])?$"
)
_HOST = re.compile(r"^[A-Za-z0-9](?:[A-Za-z0-9.-]*[A-Za-z0-9])?$|^\[[0-9A-Fa-f:.]+\]$")


def _check_address(value: Any) -> str:
    text = _text(value).strip()
    if not _ADDRESS.match(text) or len(text) > 254:
        raise _Bad(f"{_show(text)} is not an email address such as dsl@school.example")
    return text


def _check_addresses(value: Any) -> tuple[str, ...]:
    """A TOML array of addresses, or (in a variable) addresses split by commas."""
    if isinstance(value, str):
        items: list[Any] = [part for part in value.split(",") if part.strip()]
    elif isinstance(value, list):
        items = list(value)
    else:
        raise _Bad('must be a list of addresses, e.g. ["dsl@school.example"]')
    if not items:
        raise _Bad("names no address")
    addresses = tuple(dict.fromkeys(_check_address(item) for item in items))
    return addresses


def _check_relay(value: Any) -> tuple[str, int]:
    text = _text(value).strip()
    host, sep, port_text = text.rpartition(":")
    if not sep:
        host, port_text = text, "25"
    if not _HOST.match(host):
        raise _Bad(f"{_show(text)} is not host:port, e.g. localhost:25")
    if not port_text.isdigit() or not 0 < int(port_text) < 65536:
        raise _Bad(f"{_show(text)}: the port must be a number from 1 to 65535")
    return host.strip("[]"), int(port_text)


def _check_command(value: Any) -> tuple[str, ...]:
    """A TOML array, or one string split as a shell would (no shell ever runs it)."""
    import shlex

    if isinstance(value, str):
        try:
            words = shlex.split(_text(value))
        except ValueError as exc:
            raise _Bad(f"{_show(value)} cannot be split into words ({exc})") from None
    elif isinstance(value, list) and all(isinstance(w, str) for w in value):
        words = [_text(w) for w in value]
    else:
        raise _Bad('must be a command, e.g. "/usr/sbin/sendmail -oi"')
    if not words:
        raise _Bad("is empty")
    if not os.path.isabs(words[0]):
        # A timer's PATH is not the IT manager's: name the program exactly.
        raise _Bad(f"{_show(words[0])} is not an absolute path (e.g. /usr/sbin/sendmail)")
    return tuple(words)


def _check_message(value: Any) -> str:
    if not isinstance(value, str) or not value.strip():
        raise _Bad("must be some text in quotes")
    if any((ord(ch) < 0x20 and ch != "\n") or ord(ch) == 0x7F for ch in value):
        raise _Bad("contains control characters (only line breaks are allowed)")
    if len(value) > 2000:
        raise _Bad("is longer than 2000 characters")
    return value


_RECIPIENT = re.compile(r"^ydsi-drop-recipient v1 [A-Za-z0-9+/]{43}=$")


def _check_recipient(value: Any) -> str:
    """A recipient line as 'ydsi drop keygen' prints it (an X25519 public key)."""
    text = _text(value).strip()
    if not _RECIPIENT.match(text):
        raise _Bad("is not a 'ydsi-drop-recipient v1 KEY' line as 'ydsi drop keygen' prints")
    return text


def _show(text: str) -> str:
    """A value quoted in a message: shortened, controls made visible."""
    short = text if len(text) <= 60 else text[:57] + "..."
    return repr(short)


def _check(
    key: str,
    value: Any,
    *,
    from_file: bool,
    themes: Collection[str] | None,
    command_ids: Collection[str] | None,
) -> Any:
    if key in ("vault", "policy", "pdf_font", "drop_spool", "drop_authority", "alert_state"):
        return _check_path(value, from_file=from_file)
    if key == "drop_about_headteacher_key":
        return _check_recipient(value)
    if key == "user":
        return _check_user(value)
    if key == "theme":
        return _check_theme(value, themes)
    if key == "keymap":
        return _check_keymap(value, command_ids)
    if key == "lock_after":
        return _check_minutes(value)
    if key == "allow_argv":
        return _check_flag(value)
    if key in ("alert_to", "alert_headteacher"):
        return _check_addresses(value)
    if key == "alert_from":
        return _check_address(value)
    if key == "alert_smtp":
        return _check_relay(value)
    if key == "alert_mail_command":
        return _check_command(value)
    if key in ("alert_message", "alert_late_message"):
        return _check_message(value)
    raise AssertionError(key)  # pragma: no cover - SPECS lists every key


def _line_of(text: str, table: str | None, key: str) -> int | None:
    """The line where ``key`` is set (inside ``[table]`` if given), for messages."""
    current: str | None = None
    pattern = re.compile(rf"""^\s*(["']?){re.escape(key)}\1\s*=""")
    for number, line in enumerate(text.splitlines(), start=1):
        header = re.match(r"^\s*\[\s*([^\]]+?)\s*\]", line)
        if header:
            current = header.group(1).strip("\"'")
            if table is None and current == key:
                return number
            continue
        if current == table and pattern.match(line):
            return number
    return None


# ---------------------------------------------------------------- loading


@dataclass
class _Layer:
    name: str  # how a message names the place: a file, "$YDSI_VAULT", "--vault"
    values: dict[str, tuple[Any, str]]  # key -> (raw value, where exactly)
    from_file: bool
    broken: str | None = None  # the file could not be read at all


def _read_file(path: Path, warnings: list[str]) -> tuple[_Layer | None, str]:
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        return None, "absent"
    except OSError as exc:
        why = f"{path}: cannot be read ({exc.strerror or type(exc).__name__})"
        return _Layer(str(path), {}, True, broken=why), why
    try:
        text = raw.decode("utf-8")
        data = tomllib.loads(text)
    except UnicodeDecodeError:
        why = f"{path}: is not UTF-8 text"
        return _Layer(str(path), {}, True, broken=why), why
    except tomllib.TOMLDecodeError as exc:
        why = f"{path}: is not valid TOML ({exc})"
        return _Layer(str(path), {}, True, broken=why), why
    values: dict[str, tuple[Any, str]] = {}
    for key, value in data.items():
        line = _line_of(text, None, key)
        where = f"{path}:{line}" if line else f"{path} ({key})"
        if key not in _BY_KEY:
            warnings.append(f"{where}: unknown setting {key!r} (ignored)")
            continue
        values[key] = (value, where)
    return _Layer(str(path), values, True), "read"


def load_settings(
    environ: Mapping[str, str] | None = None,
    options: Mapping[str, str | None] | None = None,
    *,
    themes: Collection[str] | None = None,
    command_ids: Collection[str] | None = None,
) -> Settings:
    """Read the files, the environment and the options; check every value in force.

    ``themes`` and ``command_ids``, when given, are the names a theme and a
    keymap may use; without them only the form is checked.
    """
    env = os.environ if environ is None else environ
    warnings: list[str] = []
    layers: list[_Layer] = []
    files: list[tuple[Path, str]] = []
    for path in (system_config_path(env), user_config_path(env)):
        layer, state = _read_file(path, warnings)
        files.append((path, state))
        if layer is not None:
            layers.append(layer)
    from_env = {
        spec.key: (env[spec.env], f"${spec.env}") for spec in SPECS if env.get(spec.env, "") != ""
    }
    layers.append(_Layer("the environment", from_env, False))
    given = {
        key: (value, _BY_KEY[key].option or key)
        for key, value in (options or {}).items()
        if value is not None
    }
    layers.append(_Layer("the command line", given, False))

    defaults: dict[str, Any] = {
        "vault": None,
        "user": None,
        "policy": None,
        "theme": None,
        "keymap": {},
        "lock_after": DEFAULT_LOCK_AFTER_MINUTES,
        "pdf_font": None,
        "allow_argv": False,
        "drop_spool": None,
        "drop_authority": None,
        "drop_about_headteacher_key": None,
        "alert_to": (),
        "alert_headteacher": (),
        "alert_from": None,
        "alert_smtp": None,
        "alert_mail_command": None,
        "alert_message": None,
        "alert_late_message": None,
        "alert_state": None,
    }
    values: dict[str, Resolved] = {}
    for spec in SPECS:
        entry = Resolved(spec.key, defaults[spec.key], "default")
        for layer in layers:
            if layer.broken is not None:
                # The file may have set this; nobody can tell which value was meant.
                entry = Resolved(spec.key, defaults[spec.key], layer.name, layer.broken)
                continue
            if spec.key not in layer.values:
                continue
            raw, where = layer.values[spec.key]
            try:
                value = _check(
                    spec.key,
                    raw,
                    from_file=layer.from_file,
                    themes=themes,
                    command_ids=command_ids,
                )
            except _Bad as exc:
                entry = Resolved(spec.key, defaults[spec.key], where, f"{where}: {spec.key} {exc}")
            else:
                entry = Resolved(spec.key, value, where)
        if entry.problem is not None and not spec.critical:
            warnings.append(f"{entry.problem}; using the default")
            entry = Resolved(spec.key, defaults[spec.key], f"default (after {entry.source})")
        values[spec.key] = entry
    return Settings(values, warnings, files)
