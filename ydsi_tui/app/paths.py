"""Where the app's stylesheets are.

The design keeps them in ``styles/`` at the top of the repository. An
installed wheel carries them inside the package (``ydsi_tui/styles``, see
``force-include`` in pyproject.toml); an editable install reads the
repository's own folder. This is the only place that knows both.
"""

from __future__ import annotations

from pathlib import Path

__all__ = ["STYLESHEETS", "styles_dir", "stylesheets"]

#: Loaded in this order: later sheets may refine earlier ones.
STYLESHEETS = (
    "base.tcss",
    "home.tcss",
    "incident.tcss",
    "forms.tcss",
    "dialogs.tcss",
    "reports.tcss",
    "inbox.tcss",
)

_PACKAGE = Path(__file__).resolve().parent.parent


def styles_dir() -> Path:
    """The folder holding the .tcss files (inside the package, else the repository's)."""
    for candidate in (_PACKAGE / "styles", _PACKAGE.parent / "styles"):
        if (candidate / STYLESHEETS[0]).is_file():
            return candidate
    raise FileNotFoundError(
        "ydsi's stylesheets are missing (looked in ydsi_tui/styles and styles/): "
        "reinstall the package"
    )


def stylesheets() -> list[Path]:
    """Every stylesheet, in order, as absolute paths."""
    folder = styles_dir()
    return [folder / name for name in STYLESHEETS]
