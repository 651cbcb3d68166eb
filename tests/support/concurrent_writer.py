"""One writer of the concurrency tests: unlock, wait for GO, save N notes.

stdin, first line: {"vault": PATH, "user": NAME, "passphrase": TEXT,
"name": LABEL, "count": N, "targets": [[comp, ref], ...]}; then a line "GO".
stdout: "READY", then "ACK <comp> <ref> <label>-<i>" after each transaction
returns, then "DONE <json stats>". A VaultBusy (the lock held too long) is a
clear refusal that saved nothing: it is counted and the note tried again.
"""

from __future__ import annotations

import json
import os
import sys

from ydsi_tui.vault.errors import VaultBusy
from ydsi_tui.vault.vault import Vault


def say(line: str) -> None:
    os.write(1, (line + "\n").encode())


def main() -> int:
    config = json.loads(sys.stdin.readline())
    session = Vault.open(config["vault"]).unlock(config["user"], config["passphrase"])
    say("READY")
    if sys.stdin.readline().strip() != "GO":
        return 2
    targets = config["targets"]
    busy = 0
    for i in range(config["count"]):
        comp, ref = targets[i % len(targets)]
        note = f"{config['name']}-{i}"
        while True:
            try:
                with session.transaction(comp, ref) as db:
                    db.table("notes").insert({"note": note, "by": config["user"]})
                break
            except VaultBusy:
                busy += 1
        say(f"ACK {comp} {ref} {note}")
    say("DONE " + json.dumps({"busy": busy}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
