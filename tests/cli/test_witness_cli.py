"""``ydsi`` after the vault went back behind what the user saw: warned, refused, acknowledged."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tests.cli.test_cli import KDF, Ydsi

# Runs many ydsi processes, each deriving its user's key.
pytestmark = pytest.mark.slow


def _copy(vault: Path) -> dict[Path, bytes]:
    files = [vault / "audit.log", vault / "vault.json", *vault.glob("*/*.ydsr")]
    return {path: path.read_bytes() for path in files}


def _put_back(files: dict[Path, bytes]) -> None:
    for path, data in files.items():
        tmp = path.with_name(path.name + ".adv")
        tmp.write_bytes(data)
        os.replace(tmp, path)


def test_a_cut_log_is_named_on_stderr_refused_and_acknowledged(tmp_path: Path) -> None:
    ydsi = Ydsi(tmp_path)
    assert ydsi.run("init", *KDF).returncode == 0
    assert ydsi.run("incident", "new", stdin="first").stdout.strip() == "2026-001"
    old = _copy(ydsi.vault)
    for text in ("Phoned parents", "Met the pupil"):
        assert ydsi.run("note", "2026-001", stdin=text).returncode == 0
    assert ydsi.run("incident", "show", "2026-001").returncode == 0
    _put_back(old)  # the log's tail cut, the file rolled back to match
    refused = ydsi.run("note", "2026-001", stdin="on top of the rollback")
    assert refused.returncode == 1
    assert "ydsi: warning: ROLLED BACK: the audit log ends at entry" in refused.stderr
    assert "ydsi witness ack" in refused.stderr
    assert "Traceback" not in refused.stderr
    shown = ydsi.run("witness", "show")
    assert shown.returncode == 1 and '"action":"record.write"' in shown.stdout, shown.stdout
    acked = ydsi.run("witness", "ack")
    assert acked.returncode == 0, acked.stderr
    assert "Acknowledged at audit entry" in acked.stdout
    after = ydsi.run("note", "2026-001", stdin="after the acknowledgement")
    assert after.returncode == 0, after.stderr
    assert "ROLLED BACK" not in after.stderr
    verified = ydsi.run("verify", passphrase=None)
    assert verified.returncode == 0, verified.stdout + verified.stderr
    nothing = ydsi.run("witness", "ack")
    assert nothing.returncode == 1 and "nothing to acknowledge" in nothing.stderr
