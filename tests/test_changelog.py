"""CHANGELOG.md names the version being built and has a note for every vault format.

A vault outlives many ydsi versions (records are kept until a pupil is 25), so
whoever upgrades needs to read what each format change asks of them: a format
bumped in ``vault/header.py`` without its note fails here.
"""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

from ydsi_tui.vault.header import FORMAT_VERSION

ROOT = Path(__file__).resolve().parents[1]
TEXT = (ROOT / "CHANGELOG.md").read_text(encoding="utf-8")


def test_the_newest_entry_is_the_version_in_pyproject() -> None:
    version = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"][
        "version"
    ]
    releases = re.findall(r"^## \[([^\]]+)\]", TEXT, flags=re.MULTILINE)
    assert releases, "no release headings (## [x.y.z] - date)"
    assert releases[0] == version


def test_every_vault_format_has_a_note() -> None:
    notes = TEXT.split("### Vault format", 1)
    assert len(notes) == 2, "no 'Vault format' section"
    for version in range(1, FORMAT_VERSION + 1):
        assert f"**Format {version}**" in notes[1], f"no note for vault format {version}"
    assert "ydsi upgrade" in notes[1]
