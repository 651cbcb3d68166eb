"""Settings: files, then the environment, then options; every value checked with its place."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from ydsi_tui.app.settings import DEFAULT_LOCK_AFTER, AppSettings
from ydsi_tui.settings import SettingsError, load_settings


@pytest.fixture
def places(tmp_path: Path) -> dict[str, str]:
    """An environment naming a system and a user config file under tmp_path."""
    (tmp_path / "user" / "ydsi").mkdir(parents=True)
    return {
        "YDSI_SYSTEM_CONFIG": str(tmp_path / "system.toml"),
        "XDG_CONFIG_HOME": str(tmp_path / "user"),
        "HOME": str(tmp_path),
    }


def write(env: dict[str, str], which: str, text: str) -> Path:
    path = (
        Path(env["YDSI_SYSTEM_CONFIG"])
        if which == "system"
        else Path(env["XDG_CONFIG_HOME"]) / "ydsi" / "config.toml"
    )
    path.write_text(text, encoding="utf-8")
    return path


def test_later_layers_win_and_each_value_says_where_it_came_from(places: dict[str, str]) -> None:
    system = write(places, "system", 'vault = "/srv/ydsi/vault"\ntheme = "nord"\nlock_after = 10\n')
    user = write(places, "user", '# mine\ntheme = "dracula"\n')
    env = {**places, "YDSI_LOCK_AFTER": "2"}
    settings = load_settings(env, {"user": "dana"})
    assert settings.vault == Path("/srv/ydsi/vault")
    assert settings.resolved("vault").source == f"{system}:1"
    assert (settings.theme, settings.resolved("theme").source) == ("dracula", f"{user}:2")
    assert settings.lock_after_seconds == 120
    assert settings.resolved("lock_after").source == "$YDSI_LOCK_AFTER"
    assert (settings.user, settings.resolved("user").source) == ("dana", "--user")
    over = load_settings({**env, "YDSI_VAULT": "/elsewhere"}, {"vault": "/given"})
    assert over.vault == Path("/given")
    assert settings.warnings == []


def test_a_bad_vault_stops_with_the_file_and_line(places: dict[str, str]) -> None:
    path = write(places, "system", '\n\nvault = "relative/vault"\n')
    settings = load_settings(places)
    with pytest.raises(SettingsError, match=rf"^{path}:3: vault .*not an absolute path"):
        _ = settings.vault
    assert load_settings(places, {"vault": "/given"}).vault == Path("/given")  # overridden


def test_a_bad_user_stops(places: dict[str, str]) -> None:
    with pytest.raises(SettingsError, match=r"\$YDSI_USER: user 'Bad Name'"):
        _ = load_settings({**places, "YDSI_USER": "Bad Name"}).user


def test_a_broken_file_stops_what_it_might_have_named(places: dict[str, str]) -> None:
    path = write(places, "system", 'vault = "/srv/ydsi\n')
    settings = load_settings(places)
    with pytest.raises(SettingsError, match=rf"{path}: is not valid TOML \(.*line 1"):
        _ = settings.vault
    assert settings.theme is None and settings.warnings  # cosmetic: said, default used


def test_a_bad_policy_setting_stops_the_command(places: dict[str, str]) -> None:
    write(places, "user", "policy = 7\n")
    with pytest.raises(SettingsError, match="policy must be text"):
        load_settings(places).export_to_environment({})


def test_a_file_policy_reaches_the_service_as_the_environment_would(
    places: dict[str, str],
) -> None:
    write(places, "system", 'policy = "/etc/ydsi/policy.toml"\n')
    environ: dict[str, str] = {}
    load_settings(places).export_to_environment(environ)
    assert environ == {"YDSI_POLICY": "/etc/ydsi/policy.toml"}
    environ = {"YDSI_POLICY": "/mine.toml"}
    load_settings(places).export_to_environment(environ)
    assert environ == {"YDSI_POLICY": "/mine.toml"}  # the environment wins over the file


@pytest.mark.parametrize(
    ("env", "words"),
    [
        ({"YDSI_THEME": "nosuchtheme"}, "$YDSI_THEME: theme 'nosuchtheme' is not a theme here"),
        ({"YDSI_KEYMAP": "incident.nosuch=m"}, "'incident.nosuch' is not a command id"),
        ({"YDSI_KEYMAP": "garbage"}, "'garbage' is not id=key"),
        ({"YDSI_LOCK_AFTER": "soon"}, "'soon' is not a number of minutes"),
        ({"YDSI_LOCK_AFTER": "0"}, "0 must be more than 0 and at most 1440 minutes"),
        ({"YDSI_LOCK_AFTER": "nan"}, "nan must be more than 0 and at most 1440"),
    ],
)
def test_a_bad_cosmetic_setting_is_said_and_the_default_used(
    places: dict[str, str], env: dict[str, str], words: str
) -> None:
    settings = AppSettings.from_env({**places, **env})
    assert settings.theme is None and settings.keymap == {}
    assert settings.lock_after == DEFAULT_LOCK_AFTER
    assert len(settings.warnings) == 1
    assert words in settings.warnings[0] and "using the default" in settings.warnings[0]


def test_good_app_settings_come_through(places: dict[str, str]) -> None:
    write(places, "user", 'theme = "nord"\nlock_after = 1.5\n[keymap]\n"incident.note" = "m"\n')
    settings = AppSettings.from_env(places)
    assert (settings.theme, settings.lock_after) == ("nord", 90)
    assert settings.keymap == {"incident.note": "m"}
    assert settings.warnings == ()


def test_a_bad_keymap_entry_in_a_file_names_the_file(places: dict[str, str]) -> None:
    path = write(places, "user", '[keymap]\n"incident.note" = "no such key!"\n')
    (warning,) = AppSettings.from_env(places).warnings
    assert warning.startswith(f"{path}:1: keymap")


def test_an_unknown_key_is_a_warning(places: dict[str, str]) -> None:
    path = write(places, "user", 'vualt = "/srv"\n')
    assert load_settings(places).warnings == [f"{path}:1: unknown setting 'vualt' (ignored)"]


def run(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "ydsi_tui", *args],
        capture_output=True, text=True, env=env, stdin=subprocess.DEVNULL, check=False,
    )  # fmt: skip


def test_ydsi_config_prints_each_setting_and_its_source(places: dict[str, str]) -> None:
    system = write(places, "system", 'vault = "/srv/ydsi/vault"\n')
    env = {**places, "PATH": "/usr/bin:/bin", "YDSI_THEME": "nosuchtheme"}
    result = run(env, "config")
    assert result.returncode == 0, result.stderr
    lines = {line.split()[0]: line for line in result.stdout.splitlines() if line.strip()}
    assert "/srv/ydsi/vault" in lines["vault"] and f"{system}:1" in lines["vault"]
    assert "default" in lines["theme"]
    assert "warning: $YDSI_THEME: theme 'nosuchtheme'" in result.stdout
    write(places, "system", 'vault = "relative"\n')
    bad = run(env, "config")
    assert bad.returncode == 2
    assert bad.stderr.splitlines() == [
        f"ydsi: {system}:1: vault 'relative' is not an absolute path (start it with / or ~)"
    ]


def test_a_command_stops_on_a_bad_vault_setting_in_one_line(places: dict[str, str]) -> None:
    path = write(places, "system", 'vault = "relative"\n')
    result = run({**places, "PATH": "/usr/bin:/bin"}, "incident", "list")
    assert result.returncode == 2
    assert result.stderr.strip().splitlines() == [
        f"ydsi: {path}:1: vault 'relative' is not an absolute path (start it with / or ~)"
    ]


def test_options_before_the_command_are_not_lost(places: dict[str, str], tmp_path: Path) -> None:
    result = run({**places, "PATH": "/usr/bin:/bin"}, "--vault", str(tmp_path / "v"), "config")
    vault_line = next(line for line in result.stdout.splitlines() if line.startswith("vault"))
    assert str(tmp_path / "v") in vault_line and "--vault" in vault_line


def test_allow_argv_is_a_checked_yes_or_no(places: dict[str, str]) -> None:
    """Off unless said: true in a file, 1/yes/true in the variable; anything else warns."""
    assert load_settings(places).values["allow_argv"].value is False
    file = write(places, "user", "allow_argv = true\n")
    on = load_settings(places).resolved("allow_argv")
    assert (on.value, on.source) == (True, f"{file}:1")
    assert load_settings({**places, "YDSI_ALLOW_ARGV": "0"}).values["allow_argv"].value is False
    write(places, "user", 'allow_argv = "perhaps"\n')
    bad = load_settings(places)
    assert bad.values["allow_argv"].value is False
    assert any("allow_argv must be true or false" in w for w in bad.warnings)
