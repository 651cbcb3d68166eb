"""A scripted session with distinctive names and notes, for the plaintext test.

Run as a separate process with HOME, TMPDIR and the XDG cache and config
directories pointed at empty directories, so that the parent can search
everything the session could have written. stdin: {"vault": PATH,
"canaries": {...}}; prints "DONE".
"""

from __future__ import annotations

import contextlib
import json
import sys

from tests.support.vaults import DSL_PASS, TECH_PASS, min_kdf
from ydsi_tui.vault.checkpoint import make_checkpoint
from ydsi_tui.vault.errors import WrongPassphrase
from ydsi_tui.vault.vault import Vault
from ydsi_tui.vault.verify import verify_vault


def main() -> int:
    config = json.loads(sys.stdin.readline())
    c = config["canaries"]
    path = config["vault"]
    dsl, _ = Vault.create(path, user="dsl", passphrase=DSL_PASS, kdf=min_kdf())
    dsl.add_user("tech", "technician", TECH_PASS)
    with dsl.transaction("case", c["reference"], create=True) as db:
        db.table("_summary").insert({"title": c["title"], "pupil": c["pupil"]})
        db.table("people").insert({"name": c["pupil"], "other": c["second_pupil"]})
        db.table("timeline").insert({"note": c["note"]})
    for n in range(3):
        with dsl.transaction("case", c["reference"]) as db:
            db.table("timeline").insert({"note": f"{c['note']} ({n})", "by": c["staff"]})
    dsl.read("case", c["reference"])
    tech = Vault.open(path).unlock("tech", TECH_PASS)
    with tech.transaction("custody", c["device_ref"], create=True) as db:
        db.table("devices").insert({"description": c["device"], "owner": c["pupil"]})
    with contextlib.suppress(WrongPassphrase):
        Vault.open(path).unlock("dsl", "a wrong passphrase for the log")
    dsl.change_passphrase(DSL_PASS, DSL_PASS + " again")
    dsl.rotate(["case", "custody"])
    make_checkpoint(dsl)
    assert verify_vault(path).ok
    print("DONE")
    return 0


if __name__ == "__main__":
    sys.exit(main())
