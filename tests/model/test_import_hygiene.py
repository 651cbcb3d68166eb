"""The model stays pure: importing it never loads the UI, the store or the crypto.

Checked in a fresh interpreter so that whatever other tests imported
cannot hide a stray import.
"""

from __future__ import annotations

import json
import subprocess
import sys

FORBIDDEN = ("textual", "rich", "tinydb", "cryptography")
OTHER_LAYERS = ("ydsi_tui.app", "ydsi_tui.vault", "ydsi_tui.service", "ydsi_tui.cli")

SCRIPT = """
import importlib, json, pkgutil, sys
import ydsi_tui.model as package
names = sorted(
    f"{package.__name__}.{info.name}" for info in pkgutil.iter_modules(package.__path__)
)
for name in names:
    importlib.import_module(name)
print(json.dumps({"modules": names, "loaded": sorted(sys.modules)}))
"""


def test_model_imports_nothing_heavy() -> None:
    result = subprocess.run(
        [sys.executable, "-c", SCRIPT], capture_output=True, text=True, check=True
    )
    report = json.loads(result.stdout)
    modules, loaded = report["modules"], set(report["loaded"])
    assert {
        "ydsi_tui.model.custody",
        "ydsi_tui.model.events",
        "ydsi_tui.model.incident",
        "ydsi_tui.model.policy",
        "ydsi_tui.model.rules",
        "ydsi_tui.model.timeparse",
    } <= set(modules)
    assert set(modules) <= loaded
    for name in FORBIDDEN:
        assert not any(m == name or m.startswith(f"{name}.") for m in loaded), name
    for layer in OTHER_LAYERS:
        assert not any(m == layer or m.startswith(f"{layer}.") for m in loaded), layer
