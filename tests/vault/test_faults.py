"""Item 6: an I/O error at every primitive of every kind of save.

For each kind of save, a dry run through :class:`FaultyFileSystem` counts the
primitives it makes (reads, opens, writes, fsyncs, truncates, renames,
directory fsyncs); then, for every N up to that count, the vault is put back
to its starting state and the save is repeated with ENOSPC or EIO raised at
primitive N. Each time the save must raise a vault error (NotSaved for
failures while writing), and afterwards a fresh ``Vault.open`` + unlock must
work, ``verify`` must pass and the vault must hold exactly its previous
content: the record's previous version intact, nothing half-written.

The after-checks run on a byte-for-byte copy of the vault, two at a time in
threads (Argon2id releases the GIL), so the unlocks overlap.
"""

from __future__ import annotations

import errno
import json
import os
import shutil
import subprocess
import sys
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.support.faults import WRITE_OPS, FaultyFileSystem
from tests.support.vaults import (
    DSL_PASS,
    TECH_PASS,
    cached_kdf,
    copy_vault,
    min_kdf,
    restore_vault,
    temp_files,
    tree_hashes,
)
from ydsi_tui.vault.errors import NotSaved, RecordNotFound, UnknownUser, VaultError, WrongPassphrase
from ydsi_tui.vault.session import Session
from ydsi_tui.vault.vault import Vault
from ydsi_tui.vault.verify import verify_vault

# An I/O error at every primitive of every kind of save.
pytestmark = pytest.mark.slow

REPO = Path(__file__).resolve().parents[2]
NEW_PASS = "new passphrase after the fault"
NEW_USER_PASS = "passphrase of the added user"
ORIGINAL_NOTES = [{"note": "first"}, {"note": "second"}]


@dataclass(frozen=True)
class Kind:
    name: str
    user: str
    passphrase: str
    save: Callable[[Session], object]
    #: Only tidying follows this save's commit point (its audit entry): a fault
    #: there may be reported as success, and must then leave the new state.
    tidies_after_commit: bool = False


def _update(session: Session) -> None:
    with session.transaction("case", "INC-1") as db:
        db.table("timeline").insert({"note": "third, never saved"})


def _create(session: Session) -> None:
    with session.transaction("case", "INC-NEW", create=True) as db:
        db.table("timeline").insert({"note": "new record, never saved"})


def _custody(session: Session) -> None:
    with session.transaction("custody", "DEV-1") as db:
        db.table("devices").insert({"bag": "B2"})


KINDS = [
    Kind("record-create", "dsl", DSL_PASS, _create),
    Kind("record-update", "dsl", DSL_PASS, _update),
    Kind("custody-update-by-technician", "tech", TECH_PASS, _custody),
    Kind("header-add-user", "dsl", DSL_PASS, lambda s: s.add_user("newbie", "team", NEW_USER_PASS)),
    Kind(
        "header-change-passphrase",
        "dsl",
        DSL_PASS,
        lambda s: s.change_passphrase(DSL_PASS, NEW_PASS),
    ),
    Kind("audit-only-read", "dsl", DSL_PASS, lambda s: s.read("case", "INC-1")),
    Kind(
        "record-destroy",
        "dsl",
        DSL_PASS,
        lambda s: s.destroy_record("case", "INC-1"),
        tidies_after_commit=True,
    ),
]


@pytest.fixture(scope="module")
def pristine(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("faults") / "pristine"
    dsl, _ = Vault.create(path, user="dsl", passphrase=DSL_PASS, kdf=min_kdf())
    dsl.add_user("tech", "technician", TECH_PASS)
    with dsl.transaction("case", "INC-1", create=True) as db:
        db.table("timeline").insert_multiple(ORIGINAL_NOTES)
    with dsl.transaction("custody", "DEV-1", create=True) as db:
        db.table("devices").insert({"bag": "B1"})
    assert verify_vault(path).ok
    return path


def _comparable(path: Path) -> dict[str, str]:
    hashes = tree_hashes(path, skip_throttle=True)
    hashes.pop(".lock", None)
    return hashes


def check_unchanged(snapshot: Path, pristine: Path, kind: Kind) -> list[str]:
    """After a refused save: opens, unlocks, verifies, and holds exactly what it held."""
    problems: list[str] = []
    vault = Vault.open(snapshot)
    try:
        # A case role's unlock settles case leftovers (whether the log names
        # one is sealed in it), so the files are compared after it.
        session = vault.unlock(kind.user, kind.passphrase)
    except VaultError as exc:
        return [*problems, f"unlock with the old passphrase failed: {exc!r}"]
    if temp_files(snapshot):
        problems.append(f"temporary files left after open and unlock: {temp_files(snapshot)}")
    report = verify_vault(snapshot, opener=session.vault.audit.sealer)
    if not report.ok:
        problems.append(f"verify: {report.problems}")
    if _comparable(snapshot) != _comparable(pristine):
        changed = sorted(
            k
            for k in set(_comparable(snapshot)) | set(_comparable(pristine))
            if _comparable(snapshot).get(k) != _comparable(pristine).get(k)
        )
        problems.append(f"files differ from before the save: {changed}")
    if kind.user == "dsl":
        notes = session.read("case", "INC-1", log=False).tables["timeline"]
        if list(notes.values()) != ORIGINAL_NOTES:
            problems.append(f"INC-1 is not its previous version: {notes}")
        try:
            session.read("case", "INC-NEW", log=False)
            problems.append("the refused new record exists")
        except RecordNotFound:
            pass
    else:
        devices = session.read("custody", "DEV-1", log=False).tables["devices"]
        if list(devices.values()) != [{"bag": "B1"}]:
            problems.append(f"DEV-1 is not its previous version: {devices}")
    try:
        vault.unlock("newbie", NEW_USER_PASS)
        problems.append("the refused user was added")
    except UnknownUser:
        pass
    # (That the new passphrase does not work follows from vault.json being
    # byte-identical to before, checked above: no second Argon2id run needed.)
    return problems


def run_kind(kind: Kind, pristine: Path, work: Path, *, sticky: bool = False) -> dict[str, object]:
    with cached_kdf():  # see tests/support/vaults.py: only repeated identical Argon2id runs
        return _run_kind(kind, pristine, work, sticky=sticky)


def _run_kind(kind: Kind, pristine: Path, work: Path, *, sticky: bool) -> dict[str, object]:
    live = copy_vault(pristine, work / "live")
    fs = FaultyFileSystem()
    session = Vault.open(live, fs=fs).unlock(kind.user, kind.passphrase)

    fs.arm(None)
    kind.save(session)  # warm-up: the ledger checks each signature once per process
    restore_vault(pristine, live)
    fs.arm(None)
    kind.save(session)  # the dry run: count the primitives this save makes
    count = fs.count
    ops = sorted({op for op, _ in fs.calls})
    count_ops = [op for op, _ in fs.calls]
    assert count > 0
    restore_vault(pristine, live)

    failures: list[str] = []
    checks: list[tuple[int, Future[list[str]]]] = []
    with ThreadPoolExecutor(max_workers=2) as pool:
        for n in range(1, count + 1):
            restore_vault(pristine, live)
            # A full disk shows up on writes; a failing disk (EIO) anywhere.
            write = count_ops[n - 1] in WRITE_OPS
            code = errno.ENOSPC if write and n % 2 else errno.EIO
            fs.arm(n, error=code, sticky=sticky)
            # A refused write must say "not saved"; a refused read may be any vault
            # error (it names the file and says nothing was changed); never a raw
            # OSError, never a success.
            expected = NotSaved if write else VaultError
            saved = False
            try:
                kind.save(session)
                saved = True
            except expected:
                pass
            except Exception as exc:
                failures.append(f"fault at call {n} ({fs.calls[n - 1]}): raised {exc!r}")
            finally:
                fs.disarm()
            if saved and not kind.tidies_after_commit:
                failures.append(f"fault at call {n} ({fs.calls[n - 1]}): the save reported success")
            assert fs.fired >= 1, f"fault {n} never fired"
            snap = copy_vault(live, work / f"after-{n:03d}")
            if saved:
                checks.append((n, pool.submit(check_destroyed, snap, kind)))
            elif sticky:
                checks.append((n, pool.submit(check_consistent, snap, kind)))
            else:
                checks.append((n, pool.submit(check_unchanged, snap, pristine, kind)))
        for n, future in checks:
            failures.extend(
                f"fault at call {n} ({fs.calls[n - 1] if n <= len(fs.calls) else '?'}): {p}"
                for p in future.result()
            )
    for n in range(1, count + 1):
        shutil.rmtree(work / f"after-{n:03d}", ignore_errors=True)
    return {"count": count, "ops": ops, "failures": failures}


@pytest.mark.parametrize("kind", KINDS, ids=[k.name for k in KINDS])
def test_io_error_at_every_primitive(kind: Kind, pristine: Path, tmp_path: Path) -> None:
    result = run_kind(kind, pristine, tmp_path)
    print(f"{kind.name}: {result['count']} injection points, ops {result['ops']}")
    assert result["count"] > 0
    assert not result["failures"], "\n".join(map(str, result["failures"]))


def check_destroyed(snapshot: Path, kind: Kind) -> list[str]:
    """A destruction reported done despite a fault in its tidying: it is done."""
    problems: list[str] = []
    vault = Vault.open(snapshot)
    session = vault.unlock(kind.user, kind.passphrase)
    if temp_files(snapshot):
        problems.append(f"temporary files left after open and unlock: {temp_files(snapshot)}")
    report = verify_vault(snapshot, opener=session.vault.audit.sealer)
    if not report.ok:
        problems.append(f"verify: {report.problems}")
    try:
        session.read("case", "INC-1", log=False)
        problems.append("reported destroyed, but INC-1 is still there")
    except RecordNotFound:
        pass
    return problems


def check_consistent(snapshot: Path, kind: Kind) -> list[str]:
    """After a save refused by a disk that stayed broken: old or new, never damaged."""
    problems: list[str] = []
    vault = Vault.open(snapshot)
    passphrases = [kind.passphrase, NEW_PASS] if "passphrase" in kind.name else [kind.passphrase]
    session = None
    for passphrase in passphrases:
        try:
            session = vault.unlock(kind.user, passphrase)
            break
        except WrongPassphrase:
            continue
    if session is None:
        return [*problems, "neither the old nor the new passphrase unlocks"]
    report = verify_vault(snapshot, opener=session.vault.audit.sealer)
    if not report.ok:
        problems.append(f"verify: {report.problems}")
    if kind.user == "dsl":
        try:
            notes = list(session.read("case", "INC-1", log=False).tables["timeline"].values())
        except RecordNotFound:
            if kind.name != "record-destroy":
                problems.append("INC-1 is gone")
            return problems
        if notes not in (ORIGINAL_NOTES, [*ORIGINAL_NOTES, {"note": "third, never saved"}]):
            problems.append(f"INC-1 is neither old nor new: {notes}")
    return problems


STICKY = [
    KINDS[0],
    KINDS[1],
    KINDS[5],
    KINDS[6],
    KINDS[4],
]


@pytest.mark.parametrize("kind", STICKY, ids=lambda k: k.name)
def test_disk_that_stays_full_leaves_old_or_new(kind: Kind, pristine: Path, tmp_path: Path) -> None:
    """ENOSPC from call N onwards (the undo fails too): still never a damaged vault."""
    result = run_kind(kind, pristine, tmp_path, sticky=True)
    assert result["count"] > 0
    assert not result["failures"], "\n".join(map(str, result["failures"]))


# ---------------------------------------------------------------------------
# a read-only vault
# ---------------------------------------------------------------------------

RO_KINDS = [k for k in KINDS if k.user == "dsl"]


def test_read_only_file_system_refuses_every_save(pristine: Path, tmp_path: Path) -> None:
    """EROFS from every primitive that would change the disk: all NotSaved, nothing moved."""
    live = copy_vault(pristine, tmp_path / "live")
    fs = FaultyFileSystem()
    session = Vault.open(live, fs=fs).unlock("dsl", DSL_PASS)
    before = _comparable(live)
    for kind in RO_KINDS:
        fs.arm(None, error=errno.EROFS, ops=WRITE_OPS)
        with pytest.raises(NotSaved, match=r"^not (saved|destroyed)"):
            kind.save(session)
        assert fs.fired >= 1, kind.name
        fs.disarm()
        assert _comparable(live) == before, kind.name
        assert not temp_files(live)
    assert verify_vault(live).ok


def _make_read_only(path: Path, *, undo: bool = False) -> None:
    for item in [path, *path.rglob("*")]:
        if item.is_dir():
            os.chmod(item, 0o700 if undo else 0o500)
        elif item.is_file():
            os.chmod(item, 0o600 if undo else 0o400)


def test_real_read_only_vault_directory(pristine: Path, tmp_path: Path) -> None:
    """chmod 0500/0400 for real. Root ignores modes, so as root the child process
    runs under setpriv without the capabilities that bypass them."""
    live = copy_vault(pristine, tmp_path / "live")
    before = _comparable(live)
    command = [sys.executable, "-m", "tests.support.readonly_child"]
    if os.geteuid() == 0:
        setpriv = shutil.which("setpriv")
        if setpriv is None:
            pytest.skip("running as root without setpriv: see the EROFS test instead")
        command = [
            setpriv,
            "--inh-caps=-all",
            "--bounding-set=-dac_override,-dac_read_search,-fowner",
            *command,
        ]
    _make_read_only(live)
    try:
        done = subprocess.run(
            command,
            input=json.dumps({"vault": str(live), "user": "dsl", "passphrase": DSL_PASS}),
            capture_output=True,
            text=True,
            cwd=REPO,
            timeout=120,
            check=False,
        )
    finally:
        _make_read_only(live, undo=True)
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout)
    assert any("read-only" in w for w in report["warnings"]), report
    for kind, (error, message) in report["results"].items():
        assert error == "NotSaved", (kind, error, message)
        assert message.startswith(("not saved", "not destroyed")), message
        assert "Permission denied" in message or "Read-only" in message, message
    assert _comparable(live) == before
    assert not temp_files(live)
    assert verify_vault(live).ok
