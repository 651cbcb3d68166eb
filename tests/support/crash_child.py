"""The process the crash tests kill: unlocks once, then forks a worker per run.

Unlocking costs an Argon2id run (~0.2 s even at the floor), and a SIGKILL test
needs hundreds of fresh processes. So this script is a small fork server: it
opens and unlocks the vault once, then for each command forks a worker that
inherits the unlocked session and does the work; the parent test SIGKILLs the
worker at a random moment and asks this server to reap it.

Protocol (one JSON object per line on stdin; replies are lines on stdout,
written with single ``os.write`` calls so lines never interleave):

* first line ``{"vault": PATH, "user": NAME, "passphrase": TEXT}`` -> ``READY``
* ``{"cmd": "notes", "seed": S, "first_id": N, "refs": [[comp, ref], ...]}``
  forks a worker that appends notes ``N, N+1, ...`` to random records, one
  transaction each, and after each transaction returns prints
  ``ACK <comp> <ref> <id>``; replies ``PID <pid>`` (after ``pid_delay`` seconds
  if given: the worker's first lines may come before it, as under load).
* ``{"cmd": "op", "op": "add_user"|"change_passphrase"|"rotate", "args": {...},
  "kill_at": K|null}`` forks a worker that runs one key change (killing itself
  just before file-system primitive K if given) and prints ``OPDONE``.
* ``{"cmd": "reap"}`` waits for the last worker: ``REAPED <signal> <exit code>``.
* ``{"cmd": "quit"}``.
"""

from __future__ import annotations

import json
import os
import random
import sys
import time
import traceback
from typing import Any

from tests.support.faults import KillingFileSystem
from ydsi_tui.vault.session import Session
from ydsi_tui.vault.vault import Vault


def say(line: str) -> None:
    os.write(1, (line + "\n").encode())


def notes_worker(session: Session, seed: int, first_id: int, refs: list[list[str]]) -> None:
    rng = random.Random(seed)
    note_id = first_id
    while True:
        comp, ref = rng.choice(refs)
        with session.transaction(comp, ref) as db:
            db.table("notes").insert(
                {"id": note_id, "text": f"note {note_id} " + "x" * rng.randint(0, 300)}
            )
        say(f"ACK {comp} {ref} {note_id}")
        note_id += 1


def op_worker(
    session: Session, fs: KillingFileSystem, op: str, args: dict[str, Any], kill_at: int | None
) -> None:
    fs.reset()
    fs.kill_at = kill_at
    if op == "add_user":
        session.add_user(args["name"], args["role"], args["passphrase"])
    elif op == "change_passphrase":
        session.change_passphrase(args["old"], args["new"])
    elif op == "rotate":
        session.rotate(args["targets"])
    elif op == "remove_user":
        session.remove_user(args["name"])
    else:
        raise ValueError(op)
    say(f"OPDONE {fs.count}")


def main() -> int:
    config = json.loads(sys.stdin.readline())
    fs = KillingFileSystem()
    vault = Vault.open(config["vault"], fs=fs)
    session = vault.unlock(config["user"], config["passphrase"])
    say("READY")
    worker = 0
    for line in sys.stdin:
        command = json.loads(line)
        if command["cmd"] == "quit":
            break
        if command["cmd"] == "reap":
            _, status = os.waitpid(worker, 0)
            signal = os.WTERMSIG(status) if os.WIFSIGNALED(status) else 0
            code = os.WEXITSTATUS(status) if os.WIFEXITED(status) else -1
            say(f"REAPED {signal} {code}")
            continue
        worker = os.fork()
        if worker == 0:  # the worker: never returns to this loop
            try:
                if command["cmd"] == "notes":
                    notes_worker(session, command["seed"], command["first_id"], command["refs"])
                else:
                    op_worker(session, fs, command["op"], command["args"], command.get("kill_at"))
            except BaseException:
                traceback.print_exc()
                os._exit(3)
            os._exit(0)
        # Tests of the harness itself delay this line, as a loaded machine can.
        time.sleep(float(command.get("pid_delay", 0)))
        say(f"PID {worker}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
