"""Item 10: nothing a user typed is ever on disk in a readable form.

A scripted session in its own process (``tests/support/plaintext_session.py``)
writes distinctive pupil names, notes, a device and a case reference, reads
them back, changes a passphrase and rotates keys. Then every file under the
vault, and under the HOME, TMPDIR and XDG cache/config directories the process
was given, is searched for each string in UTF-8 (any case), UTF-16, UTF-32,
JSON-escaped and base64 forms (base64 at all three alignments).
"""

from __future__ import annotations

import base64
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

# Real vaults with several users per test (key derivations), seconds each.
pytestmark = pytest.mark.slow

REPO = Path(__file__).resolve().parents[2]

CANARIES = {
    "pupil": "Zéphyrine Quillfeather-Okonkwo",
    "second_pupil": "Barnabus Xylophanes",
    "title": "Sextortion threat reported by Zéphyrine",
    "note": "disclosed the Snapchat message to Mrs Thistlewood at 10:42 in room K7",
    "staff": "Mrs Thistlewood",
    "device": "cracked lilac iPhone with a Quokka sticker",
    "reference": "INC-ZEPHYRINE-4471",
    "device_ref": "DEV-QUOKKA-9902",
}


def encodings(text: str) -> dict[str, bytes]:
    forms: dict[str, bytes] = {}
    utf8 = text.encode()
    forms["utf-8"] = utf8
    for codec in ("utf-16-le", "utf-16-be", "utf-32-le", "utf-32-be"):
        forms[codec] = text.encode(codec)
    forms["json-ascii"] = json.dumps(text)[1:-1].encode()
    forms["json-utf8"] = json.dumps(text, ensure_ascii=False)[1:-1].encode()
    for shift in range(3):
        encoded = base64.b64encode(b"\0" * shift + utf8)
        # drop the characters that depend on the padding bytes and on the tail
        start = (shift * 4 + 2) // 3
        forms[f"base64-{shift}"] = encoded[start + 1 : -4]
    # parts long enough to be telling
    for word in text.split():
        if len(word) >= 9:
            forms[f"word:{word}"] = word.encode()
    return forms


def find(root: Path, canaries: dict[str, str]) -> list[str]:
    hits: list[str] = []
    patterns = {
        f"{name}/{form}": data
        for name, text in canaries.items()
        for form, data in encodings(text).items()
    }
    for file in (p for p in root.rglob("*") if p.is_file()):
        data = file.read_bytes()
        lowered = data.lower()
        for label, pattern in patterns.items():
            if pattern in data or (label.endswith("/utf-8") and pattern.lower() in lowered):
                hits.append(f"{file.relative_to(root)}: {label}")
    return hits


def test_no_canary_in_any_file(tmp_path: Path) -> None:
    home, tmp, cache, config = (tmp_path / d for d in ("home", "tmp", "cache", "config"))
    for d in (home, tmp, cache, config):
        d.mkdir()
    vault = tmp_path / "vault"
    env = {
        **os.environ,
        "HOME": str(home),
        "TMPDIR": str(tmp),
        "XDG_CACHE_HOME": str(cache),
        "XDG_CONFIG_HOME": str(config),
    }
    done = subprocess.run(
        [sys.executable, "-m", "tests.support.plaintext_session"],
        input=json.dumps({"vault": str(vault), "canaries": CANARIES}) + "\n",
        capture_output=True,
        text=True,
        cwd=REPO,
        env=env,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0 and "DONE" in done.stdout, done.stderr
    files = [p for p in tmp_path.rglob("*") if p.is_file()]
    assert len(files) >= 6
    assert find(tmp_path, CANARIES) == []


def test_the_search_would_find_them(tmp_path: Path) -> None:
    """The detector itself works: each encoding of each canary is found."""
    for name, text in CANARIES.items():
        for form, data in encodings(text).items():
            (tmp_path / "probe").write_bytes(b"..." + data + b"...")
            assert find(tmp_path, {name: text}), (name, form)
    sample = base64.b64encode(b"xy" + CANARIES["note"].encode())
    (tmp_path / "probe").write_bytes(sample)
    assert find(tmp_path, {"note": CANARIES["note"]})
