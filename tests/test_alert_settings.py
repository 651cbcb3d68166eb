"""The alert settings (issue 13): each checked, each problem one line naming its place."""

from __future__ import annotations

from pathlib import Path

import pytest

from ydsi_tui.settings import DEFAULT_DROP_SPOOL, SettingsError, load_settings


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    (tmp_path / "user").mkdir()
    return {
        "YDSI_SYSTEM_CONFIG": str(tmp_path / "system.toml"),
        "XDG_CONFIG_HOME": str(tmp_path / "user"),
        "HOME": str(tmp_path),
    }


def system(env: dict[str, str], text: str) -> None:
    Path(env["YDSI_SYSTEM_CONFIG"]).write_text(text, encoding="utf-8")


def test_a_good_alert_config_is_read_as_plain_values(env: dict[str, str]) -> None:
    system(
        env,
        'alert_to = ["dsl@school.example", "team@school.example"]\n'
        'alert_headteacher = ["head@school.example"]\n'
        'alert_from = "ydsi@school.example"\n'
        'alert_smtp = "localhost:2525"\n'
        'alert_message = """A report waits.\nOpen ydsi."""\n'
        'alert_state = "/var/lib/ydsi/alerts.json"\n'
        'drop_spool = "/srv/spool/ydsi"\n',
    )
    s = load_settings(env)
    assert s.get("alert_to") == ("dsl@school.example", "team@school.example")
    assert s.get("alert_headteacher") == ("head@school.example",)
    assert s.get("alert_smtp") == ("localhost", 2525)
    assert s.get("alert_message") == "A report waits.\nOpen ydsi."
    assert s.alert_state == Path("/var/lib/ydsi/alerts.json")
    assert s.drop_spool == Path("/srv/spool/ydsi")
    assert s.problems == []


def test_defaults_and_variables(env: dict[str, str]) -> None:
    s = load_settings(
        {**env, "YDSI_ALERT_TO": "a@school.example, b@school.example",
         "YDSI_ALERT_MAIL_COMMAND": "/usr/sbin/sendmail -oi"}
    )  # fmt: skip
    assert s.get("alert_to") == ("a@school.example", "b@school.example")
    assert s.get("alert_mail_command") == ("/usr/sbin/sendmail", "-oi")
    assert s.get("alert_smtp") is None and s.get("alert_headteacher") == ()
    assert s.drop_spool == DEFAULT_DROP_SPOOL


@pytest.mark.parametrize(
    ("line", "says"),
    [
        ('alert_to = ["dsl@school.example, evil@elsewhere.example"]', "is not an email address"),
        ('alert_to = ["Dana <dsl@school.example>"]', "is not an email address"),
        ("alert_to = []", "names no address"),
        ('alert_headteacher = "head"', "is not an email address"),
        ('alert_smtp = "localhost:99999"', "the port must be a number from 1 to 65535"),
        ('alert_smtp = "smtp relay:25"', "is not host:port"),
        ('alert_mail_command = "sendmail -oi"', "is not an absolute path"),
        ('alert_mail_command = "/usr/sbin/sendmail \'-oi"', "cannot be split into words"),
        ('alert_message = "ring \\u001b[31m"', "contains control characters"),
        ('alert_from = "ydsi@school.example\\nBcc: x@y.example"', "contains control characters"),
        ('alert_state = "relative/alerts.json"', "is not an absolute path"),
    ],
)
def test_a_bad_value_stops_what_needs_it_with_its_file_and_line(
    env: dict[str, str], line: str, says: str
) -> None:
    system(env, f"# alerts\n{line}\n")
    key = line.split(" ", 1)[0]
    s = load_settings(env)
    with pytest.raises(SettingsError) as caught:
        s.get(key) if key != "alert_state" else s.alert_state
    message = str(caught.value)
    assert says in message
    assert f"{env['YDSI_SYSTEM_CONFIG']}:2: {key}" in message
    assert "\n" not in message
