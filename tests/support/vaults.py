"""Small helpers for building, copying, hashing and damaging test vaults.

Everything here works on real files with the real vault code: nothing is
mocked. Test vaults use the cheapest key-derivation settings the vault accepts
(64 MiB, 3 passes, 1 lane), so that an unlock costs a fraction of a second.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

from ydsi_tui.vault import keys as keys_module
from ydsi_tui.vault.crypto import KdfParams, normalise_passphrase
from ydsi_tui.vault.fs import TEMP_PREFIX

if TYPE_CHECKING:
    import pytest

    from ydsi_tui.vault.header import UserEntry
    from ydsi_tui.vault.session import Session

#: The ``make_vault`` fixture's type: (name=None, *, user, passphrase, shared, full_name)
#: -> (session, recovery code, path).
MakeVault = Callable[..., "tuple[Session, str, Path]"]

#: Passphrases of the synthetic test users (not secrets: they guard fake data).
DSL_PASS = "dsl test passphrase one"
TECH_PASS = "technician test passphrase"
TEAM_PASS = "team member test passphrase"
HEAD_PASS = "headteacher test passphrase"

#: The vault's floor: the lowest-cost settings it accepts.
MIN_KDF = (64 * 1024, 3, 1)


def min_kdf() -> KdfParams:
    """Fresh minimum-cost Argon2id settings (a new salt every call)."""
    return KdfParams.new(*MIN_KDF)


def vault_files(path: Path) -> list[Path]:
    """Every regular file under a vault, sorted."""
    return sorted(p for p in Path(path).rglob("*") if p.is_file())


def tree_hashes(path: Path, *, skip_throttle: bool = False) -> dict[str, str]:
    """{relative path: sha256} of every file under ``path``."""
    out: dict[str, str] = {}
    for file in vault_files(path):
        rel = file.relative_to(path).as_posix()
        if skip_throttle and rel.startswith("throttle/"):
            continue
        out[rel] = hashlib.sha256(file.read_bytes()).hexdigest()
    return out


def copy_vault(src: Path, dst: Path) -> Path:
    """A byte-for-byte copy of a vault directory, modes included.

    Copying over an existing vault puts it back to an earlier state: its
    users' witnesses are forgotten (see :func:`forget_witnesses`).
    """
    replacing = dst.exists()
    if replacing:
        shutil.rmtree(dst)
    shutil.copytree(src, dst, symlinks=True)
    if replacing:
        forget_witnesses(dst)
    return dst


def restore_vault(snapshot: Path, target: Path) -> None:
    """Make ``target`` hold exactly what ``snapshot`` holds (in place, same inode dir)."""
    for child in list(target.iterdir()):
        if child.is_dir() and not child.is_symlink():
            shutil.rmtree(child)
        else:
            child.unlink()
    for child in snapshot.iterdir():
        if child.is_dir():
            shutil.copytree(child, target / child.name, symlinks=True)
        else:
            shutil.copy2(child, target / child.name)
    forget_witnesses(target)


def forget_witnesses(vault: Path) -> int:
    """Drop this process's users' witnesses of ``vault`` (see ydsi_tui/vault/witness.py).

    A harness that puts a vault back to an earlier snapshot to start afresh
    is rolling it back, exactly what a witness exists to notice; the harness
    is not an attacker, so it forgets what its users saw. Returns how many
    files went.
    """
    from ydsi_tui.vault.witness import state_dir

    try:
        vault_id = json.loads((vault / "vault.json").read_bytes())["body"]["vault_id"]
    except (OSError, ValueError, KeyError, TypeError):
        return 0
    directory = state_dir() / "witness"
    gone = 0
    for path in directory.glob(f"{vault_id}.*"):
        path.unlink(missing_ok=True)
        gone += 1
    return gone


def temp_files(path: Path) -> list[Path]:
    """Leftover temporary files anywhere under a vault."""
    return list(Path(path).rglob(f"{TEMP_PREFIX}*"))


def record_files(path: Path, compartment: str) -> list[Path]:
    return sorted((Path(path) / compartment).glob("*.ydsr"))


def flip(data: bytes, offset: int, mask: int = 0xFF) -> bytes:
    """``data`` with the byte at ``offset`` XOR-ed with ``mask`` (non-zero)."""
    assert mask & 0xFF, "a zero mask changes nothing"
    out = bytearray(data)
    out[offset] ^= mask & 0xFF
    return bytes(out)


def write_raw(path: Path, data: bytes) -> None:
    """Overwrite a file outside the vault's protocol, as an attacker would."""
    mode = os.stat(path).st_mode & 0o7777 if path.exists() else 0o600
    path.write_bytes(data)
    os.chmod(path, mode)


@contextmanager
def cached_kdf() -> Iterator[dict[str, int]]:
    """Memoise Argon2id while checking many crash states of the same vault.

    The crash and fault tests unlock after every kill or fault, hundreds of
    times, with the same passphrase, settings and salt: the same pure function
    with the same inputs. This caches its result on exactly those inputs
    (normalised passphrase, memory, passes, lanes, salt), so every unlock still
    reads vault.json from disk, checks its signature, authenticates and
    unwraps the slot, checks the identity and unseals the keys: only the
    repeated derivation is skipped. A changed salt or passphrase misses the
    cache and runs the real KDF. Yields hit/miss counters.
    """
    real = keys_module.derive_kek
    cache: dict[tuple[bytes, int, int, int, bytes], bytes] = {}
    counts = {"hits": 0, "misses": 0}
    lock = threading.Lock()

    def derive(passphrase: str, params: KdfParams) -> bytes:
        key = (
            normalise_passphrase(passphrase),
            params.memory_kib,
            params.iterations,
            params.lanes,
            params.salt,
        )
        with lock:
            found = cache.get(key)
            counts["hits" if found is not None else "misses"] += 1
        if found is None:
            found = real(passphrase, params)
            with lock:
                cache[key] = found
        return found

    keys_module.derive_kek = derive
    try:
        yield counts
    finally:
        keys_module.derive_kek = real


def enrol_user(
    dsl_session: Session,
    vault_path: Path,
    name: str,
    role: str,
    passphrase: str,
    *,
    full_name: str = "",
) -> UserEntry:
    """Add a user the real way: a code issued, enrolment with it, a DSL's endorsement.

    The new user's keys are made by their own (here: a second) client, under
    a passphrase the DSL's session never sees, so they are owner-made: use
    this for any user whose signature must count (a Headteacher who signs off).
    The new user's slot gets the cheapest KDF, like every test user.
    """
    from ydsi_tui.vault.vault import Vault

    code = dsl_session.issue_enrolment(name, role, full_name)
    Vault.open(vault_path).enrol(name, code, passphrase, kdf=min_kdf())
    endorsed = dsl_session.endorse_requests()
    assert endorsed == [name], endorsed
    entry = dsl_session.vault.header.user_by_name(name)
    assert entry is not None and entry.owner_made_key(entry.sign_key.key_id)
    return entry


def enrolment_code(stdout: str) -> str:
    """The enrolment code printed by ``ydsi user add`` (seven groups of four)."""
    codes = [line.strip() for line in stdout.splitlines() if line.strip().count("-") == 6]
    assert len(codes) == 1, stdout
    return codes[0]


def old_copy_reads(kept: Path, live: Path, login: str, passphrase: str, ref: str) -> str:
    """What a removed user's own copy of the vault opens of today's case file ``ref``.

    They unlock their copy (taken before they left) with their old
    passphrase and try its case key on the live vault's file, as
    ``tests/adversary/test_removed_user.py`` does: "READ ..." or "refused: ...".
    """
    from ydsi_tui.vault.errors import VaultError
    from ydsi_tui.vault.recordfile import RECORD_SUFFIX, decode
    from ydsi_tui.vault.vault import Vault

    old = Vault.open(kept).unlock(login, passphrase)
    try:
        name, key = old.current_key("case")
        record_id = old.record_id("case", ref)  # the index key is not rotated
        path = live / "case" / f"{record_id}{RECORD_SUFFIX}"
        decode(
            path.read_bytes(),
            str(path),
            vault_id=old.vault.header.vault_id,
            compartment="case",
            record_id=record_id,
            keys={name: key},
        )
        return f"READ with {name}"
    except VaultError as exc:
        return f"refused: {exc}"
    finally:
        old.close()


def count_signature_checks(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """Count every Ed25519 check the audit log's index makes from now on (one item each):
    what the index cache between runs saves is how many are not made again."""
    from ydsi_tui.vault import ledger as ledger_module

    checked: list[int] = []
    real = ledger_module.verify_signature

    def counting(public: bytes, signature: bytes, message: bytes) -> bool:
        checked.append(1)
        return real(public, signature, message)

    monkeypatch.setattr(ledger_module, "verify_signature", counting)
    return checked
