"""Item 8: several processes, as different users, saving at the same time.

Two and then eight real processes (a DSL writing case records, technicians
writing custody records, and all of them appending to the same shared custody
record through ``Session.transaction``) save N notes each. Meanwhile this
process keeps reading every record and must never see a torn or
unauthenticated file. Afterwards every acknowledged note is present exactly
once, nothing else is, and ``verify`` passes.
"""

from __future__ import annotations

import json
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from tests.support.vaults import DSL_PASS, TECH_PASS, copy_vault, min_kdf
from ydsi_tui.vault.errors import VaultError
from ydsi_tui.vault.vault import Vault
from ydsi_tui.vault.verify import verify_vault

# Hundreds of saves from up to eight processes at once.
pytestmark = pytest.mark.slow

REPO = Path(__file__).resolve().parents[2]
TECHS = [f"tech{n}" for n in range(1, 8)]
SHARED = ["custody", "DEV-SHARED"]


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("concurrency") / "template"
    dsl, _ = Vault.create(path, user="dsl", passphrase=DSL_PASS, kdf=min_kdf())
    for tech in TECHS:
        dsl.add_user(tech, "technician", f"{TECH_PASS} {tech}")
    for comp, ref in [("case", "INC-DSL"), SHARED, *(("custody", f"DEV-{t}") for t in TECHS)]:
        with dsl.transaction(comp, ref, create=True) as db:
            db.table("_summary").insert({"title": ref})
    dsl.close()
    return path


def _writers(processes: int) -> list[dict[str, object]]:
    writers: list[dict[str, object]] = [
        {"user": "dsl", "passphrase": DSL_PASS, "targets": [["case", "INC-DSL"], SHARED]}
    ]
    for tech in TECHS[: processes - 1]:
        writers.append(
            {
                "user": tech,
                "passphrase": f"{TECH_PASS} {tech}",
                "targets": [["custody", f"DEV-{tech}"], SHARED],
            }
        )
    return writers


def run_writers(vault: Path, processes: int, count: int) -> dict[str, object]:
    procs: list[subprocess.Popen[str]] = []
    for n, writer in enumerate(_writers(processes)):
        proc = subprocess.Popen(
            [sys.executable, "-m", "tests.support.concurrent_writer"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            cwd=REPO,
            text=True,
        )
        assert proc.stdin is not None and proc.stdout is not None
        proc.stdin.write(
            json.dumps({**writer, "vault": str(vault), "name": f"p{n}", "count": count}) + "\n"
        )
        proc.stdin.flush()
        procs.append(proc)
    for proc in procs:
        assert proc.stdout is not None
        assert proc.stdout.readline().strip() == "READY", proc.stderr.read() if proc.stderr else ""

    reader = Vault.open(vault).unlock("dsl", DSL_PASS)
    stop = threading.Event()
    seen = {"reads": 0, "errors": []}

    def keep_reading() -> None:
        refs = [("case", "INC-DSL"), tuple(SHARED), *(("custody", f"DEV-{t}") for t in TECHS)]
        while not stop.is_set():
            for comp, ref in refs:
                try:
                    reader.read(comp, ref, log=False)
                    seen["reads"] += 1  # type: ignore[operator]
                except VaultError as exc:
                    seen["errors"].append(str(exc))  # type: ignore[union-attr]
            stop.wait(0.005)  # leave the writers most of the CPU

    thread = threading.Thread(target=keep_reading)
    thread.start()
    for proc in procs:  # all start together
        assert proc.stdin is not None
        proc.stdin.write("GO\n")
        proc.stdin.flush()
    acked: dict[str, set[str]] = {}
    busy = 0
    try:
        for proc in procs:
            out, err = proc.communicate(timeout=600)
            assert proc.returncode == 0, err
            for line in out.splitlines():
                if line.startswith("ACK "):
                    _, _, ref, note = line.split()
                    acked.setdefault(ref, set()).add(note)
                elif line.startswith("DONE "):
                    busy += json.loads(line[5:])["busy"]
    finally:
        stop.set()
        thread.join()
    return {"acked": acked, "busy": busy, "reads": seen["reads"], "read_errors": seen["errors"]}


def check(vault: Path, result: dict[str, object], processes: int, count: int) -> None:
    acked: dict[str, set[str]] = result["acked"]  # type: ignore[assignment]
    assert sum(len(v) for v in acked.values()) == processes * count
    assert len(acked["DEV-SHARED"]) >= processes * (count // 2)
    assert result["read_errors"] == [], result["read_errors"]
    assert result["reads"] > 0  # type: ignore[operator]
    report = verify_vault(vault)
    assert report.ok, report.problems
    dsl = Vault.open(vault).unlock("dsl", DSL_PASS)
    for ref, notes in acked.items():
        comp = "case" if ref.startswith("INC") else "custody"
        stored = [doc["note"] for doc in dsl.read(comp, ref, log=False).tables["notes"].values()]
        assert len(stored) == len(set(stored)), f"{ref}: a note saved twice"
        assert set(stored) == notes, f"{ref}: lost {sorted(notes - set(stored))[:5]}"
    print(
        f"\n{processes} processes x {count} saves: {processes * count} acknowledged, 0 lost, "
        f"{result['reads']} concurrent reads, 0 torn, {result['busy']} busy retries"
    )


@pytest.mark.parametrize("processes", [2, 8])
def test_concurrent_writers_500_saves_each(template: Path, tmp_path: Path, processes: int) -> None:
    vault = copy_vault(template, tmp_path / "vault")
    check(vault, run_writers(vault, processes, 500), processes, 500)
