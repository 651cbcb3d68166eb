"""``python -m ydsi_tui``: the same as the ``ydsi`` command (for a venv not on PATH)."""

from ydsi_tui.cli.main import entry

if __name__ == "__main__":
    entry()
