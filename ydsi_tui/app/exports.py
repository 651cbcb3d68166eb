"""Where files leaving the vault go from the app, and the words said once they have.

Every export, report, transfer and backup is offered a default path in the
user's own ``~/ydsi-exports`` folder (made 0700 the first time), shown with
``~`` so the screen does not spell out the home directory; it can be edited
to anywhere. Files are written by :mod:`ydsi_tui.vault.export`: new (never
over an existing file or through a symlink), 0600, durable before reported.
"""

from __future__ import annotations

import os
from pathlib import Path

from ..vault.errors import VaultError

__all__ = [
    "EXPORT_DIR",
    "OUTSIDE",
    "default_path",
    "export_dir",
    "prepare",
    "resolve",
    "shown",
    "with_suffix",
]

#: The folder, under the user's home, that defaults point into.
EXPORT_DIR = "ydsi-exports"

#: Said after every file is written (the CLI says the same).
OUTSIDE = (
    "It is now outside the vault's protection: keep it on an encrypted device, send it only "
    "by a secure route, and delete it when it is no longer needed."
)


def export_dir() -> Path:
    return Path("~").expanduser() / EXPORT_DIR


def default_path(stem: str, suffix: str) -> str:
    """``~/ydsi-exports/STEM.SUFFIX``, or ``STEM-2...`` if that file is already there."""
    folder = export_dir()
    name = f"{stem}{suffix}"
    n = 2
    while (folder / name).exists() or (folder / name).is_symlink():
        name = f"{stem}-{n}{suffix}"
        n += 1
    return f"~/{EXPORT_DIR}/{name}"


def with_suffix(text: str, old: str, new: str) -> str:
    """The path typed, its suffix changed if it still ends in the old one."""
    if old and text.endswith(old):
        return text[: -len(old)] + new
    return text


def resolve(text: str) -> Path:
    """The path typed, ``~`` expanded, made absolute (relative to where ydsi was started)."""
    cleaned = text.strip()
    if not cleaned:
        raise VaultError("Give the file's name (and folder) to write.")
    return Path(cleaned).expanduser().absolute()


def prepare(path: Path) -> Path:
    """Make the default export folder (0700) if the file goes there and it is missing."""
    folder = export_dir()
    if path.parent == folder and not folder.exists():
        try:
            folder.mkdir(mode=0o700)
            os.chmod(folder, 0o700)
        except OSError as exc:
            raise VaultError(f"{folder}: cannot be created ({exc.strerror or exc})") from None
    return path


def shown(path: Path) -> str:
    """A path written out as the user would type it: ``~/...`` under their home."""
    home = Path("~").expanduser()
    try:
        return "~/" + str(path.relative_to(home)) if path != home else "~"
    except ValueError:
        return str(path)
