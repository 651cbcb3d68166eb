"""The lock files agree with ``pyproject.toml`` and with what the tests run on.

``requirements.txt`` and ``requirements-dev.txt`` are what ``./dev`` installs
(``pip install --require-hashes``). A dependency added to ``pyproject.toml``
without ``./dev lock``, a range the lock no longer satisfies, a pin without a
hash, or a venv that drifted from the lock would each go unnoticed until a
newcomer's install failed, or passed on versions nobody tested: these fail first.
"""

from __future__ import annotations

import importlib.metadata
import re
import tomllib
from pathlib import Path

import pytest
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name
from packaging.version import Version

ROOT = Path(__file__).resolve().parents[1]
PIN = re.compile(r"^([A-Za-z0-9][A-Za-z0-9._-]*)==([^\s;\\]+)")
HASH = re.compile(r"--hash=sha256:[0-9a-f]{64}\b")


def read_lock(path: Path) -> dict[str, tuple[str, frozenset[str]]]:
    """name -> (version, its sha256 hashes), from a pip-compile style lock file."""
    pins: dict[str, tuple[str, frozenset[str]]] = {}
    current: str | None = None
    for line in path.read_text(encoding="utf-8").splitlines():
        if match := PIN.match(line):
            current = canonicalize_name(match[1])
            assert current not in pins, f"{path.name}: {current} pinned twice"
            pins[current] = (match[2], frozenset())
        elif current is not None and (hashes := HASH.findall(line)):
            version, known = pins[current]
            pins[current] = (version, known | frozenset(hashes))
        elif line.strip() and not line.lstrip().startswith("#"):
            raise AssertionError(f"{path.name}: unexpected line {line!r}")
    return pins


def declared(extra: str | None = None) -> list[Requirement]:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    names = project["optional-dependencies"][extra] if extra else project["dependencies"]
    return [Requirement(text) for text in names]


RUN = read_lock(ROOT / "requirements.txt")
DEV = read_lock(ROOT / "requirements-dev.txt")


@pytest.mark.parametrize("name", ["requirements.txt", "requirements-dev.txt"])
def test_every_pin_carries_hashes_and_says_how_to_refresh(name: str) -> None:
    text = (ROOT / name).read_text(encoding="utf-8")
    assert "./dev lock" in text.splitlines()[1], "the header names the command that made it"
    for package, (version, hashes) in read_lock(ROOT / name).items():
        assert hashes, f"{name}: {package}=={version} has no hash"


@pytest.mark.parametrize(("extra", "lock"), [(None, RUN), ("dev", DEV)], ids=["run", "dev"])
def test_every_declared_dependency_is_locked_within_its_range(
    extra: str | None, lock: dict[str, tuple[str, frozenset[str]]]
) -> None:
    for requirement in declared(extra):
        name = canonicalize_name(requirement.name)
        assert name in lock, f"{name} is declared but not locked: run ./dev lock"
        version = lock[name][0]
        assert requirement.specifier.contains(version, prereleases=True), (
            f"{name}=={version} is outside {requirement.specifier}: run ./dev lock"
        )


def test_the_checks_run_on_exactly_the_versions_ydsi_runs_on() -> None:
    for name, pin in RUN.items():
        assert DEV.get(name) == pin, f"{name}: requirements-dev.txt differs from requirements.txt"


def test_this_environment_is_the_lock() -> None:
    """The suite runs on the locked versions (./dev reinstalls when a lock file changes)."""
    drift = {}
    for name, (version, _) in DEV.items():
        try:
            installed = importlib.metadata.version(name)
        except importlib.metadata.PackageNotFoundError:
            drift[name] = f"locked {version}, not installed"
            continue
        if Version(installed) != Version(version):
            drift[name] = f"locked {version}, installed {installed}"
    assert drift == {}, "run ./dev test (it installs from requirements-dev.txt)"


def test_the_lock_reader_sees_a_missing_hash_and_a_stray_line(tmp_path: Path) -> None:
    """The reader above can fail: a pin without hashes, and a line it does not understand."""
    lock = tmp_path / "requirements.txt"
    lock.write_text("# header\n#    ./dev lock\nrich==15.0.0\n    # via textual\n")
    assert read_lock(lock) == {"rich": ("15.0.0", frozenset())}
    lock.write_text("rich>=14\n")
    with pytest.raises(AssertionError, match="unexpected line"):
        read_lock(lock)
