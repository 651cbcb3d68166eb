"""Try every kind of save on a vault the process cannot write to; report as JSON.

Run by ``tests/vault/test_faults.py`` as a separate process: when the tests run
as root (which ignores file modes), the parent starts this under ``setpriv``
with the capabilities that bypass modes (CAP_DAC_OVERRIDE, CAP_DAC_READ_SEARCH,
CAP_FOWNER) dropped, so that a chmod 0500 directory is really read-only to it.

stdin: {"vault": PATH, "user": NAME, "passphrase": TEXT}
stdout: {"warnings": [...], "results": {kind: [error class, message]}}
"""

from __future__ import annotations

import json
import sys

from ydsi_tui.vault.session import Session
from ydsi_tui.vault.vault import Vault


def _update(session: Session) -> None:
    with session.transaction("case", "INC-1") as db:
        db.table("timeline").insert({"note": "not on a read-only disk"})


def _create(session: Session) -> None:
    with session.transaction("case", "INC-RO", create=True) as db:
        db.table("timeline").insert({"note": "not on a read-only disk"})


def main() -> int:
    config = json.loads(sys.stdin.read())
    vault = Vault.open(config["vault"])
    session = vault.unlock(config["user"], config["passphrase"])
    kinds = {
        "record-update": _update,
        "record-create": _create,
        "add-user": lambda s: s.add_user("rouser", "team", "read only passphrase"),
        "change-passphrase": lambda s: s.change_passphrase(config["passphrase"], "x" * 12),
        "audit-only-read": lambda s: s.read("case", "INC-1"),
        "record-destroy": lambda s: s.destroy_record("case", "INC-1"),
    }
    results: dict[str, list[str]] = {}
    for name, save in kinds.items():
        try:
            save(session)
        except Exception as exc:  # reported to the parent, which judges it
            results[name] = [type(exc).__name__, str(exc)]
        else:
            results[name] = ["saved", ""]
    print(json.dumps({"warnings": vault.warnings, "results": results}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
