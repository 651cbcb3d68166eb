"""A Python every Unix account can run, pointed at this checkout: for tests that switch users.

The interpreter running the tests may live where other accounts cannot
reach (under ``/root``, mode 0700, with pyenv), so a test that runs ydsi as
another account cannot use ``sys.executable``. The README's server install
uses the *system* Python instead; so do these tests: a venv made from it
(``--without-pip``), whose ``.pth`` file adds this checkout and the
site-packages this interpreter installed the dependencies into. Same minor
version, so the compiled dependencies load.
"""

from __future__ import annotations

import os
import subprocess
import sys
import sysconfig
from pathlib import Path

__all__ = ["ROOT", "shared_python", "system_python"]

ROOT = Path(__file__).resolve().parents[2]


def system_python() -> str | None:
    """A system Python of this one's minor version, or None."""
    for candidate in (f"/usr/bin/python3.{sys.version_info.minor}", "/usr/bin/python3"):
        if not os.path.exists(candidate):
            continue
        found = subprocess.run(
            [candidate, "-c", "import sys; print(sys.version_info[:2])"],
            capture_output=True, text=True, check=False,
        )  # fmt: skip
        if found.stdout.strip() == str(tuple(sys.version_info[:2])):
            return candidate
    return None


def shared_python(venv: Path) -> tuple[Path | None, str]:
    """Make a venv at ``venv`` (its parents readable by all) running this checkout.

    Returns its interpreter, or None and the reason it cannot be made (the
    caller skips with that reason).
    """
    system = system_python()
    if system is None:
        return None, (
            f"no system Python 3.{sys.version_info.minor} that other accounts can run "
            f"(this interpreter, {sys.executable}, may be unreachable for them)"
        )
    site = Path(sysconfig.get_paths()["purelib"])
    subprocess.run([system, "-m", "venv", "--without-pip", str(venv)], check=True)
    inner = next((venv / "lib").glob("python3*/site-packages"))
    (inner / "ydsi-checkout.pth").write_text(
        f"{ROOT}\nimport site; site.addsitedir({str(site)!r})\n", encoding="utf-8"
    )
    # The test process may run under a vault's umask (077): open it all to every account.
    for folder, _dirs, files in os.walk(venv):
        os.chmod(folder, 0o755)
        for name in files:
            path = os.path.join(folder, name)
            if not os.path.islink(path):
                os.chmod(path, 0o755 if folder.endswith("bin") else 0o644)
    return venv / "bin" / "python", ""
