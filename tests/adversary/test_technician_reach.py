"""Everything a technician can reach, searched for what custody does not need (M2).

The technician holds the custody key, their own passphrase and read access to
every file of the vault's group. The review found the device log naming the
pupil whose phone was seized. This reads every file, name and size they can
reach, decrypts everything their key opens (every custody record, body and
summary) and reads what the device service shows them, then looks for the
young people's names, the notes, and the reference of an incident that has no
device (which custody never needs).
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from tests.support.adversary import CRITICAL_NOTE, DSL, PUPILS, TECH, Checks, World
from ydsi_tui.cli.main import main
from ydsi_tui.model.errors import ValidationError
from ydsi_tui.vault.recordfile import RECORD_SUFFIX


def _everything_a_technician_reads(world: World) -> dict[str, str]:
    """Where -> what, as text: raw files, names, sizes, decrypted custody, service views."""
    seen: dict[str, str] = {}
    for root, dirs, files in os.walk(world.path):
        for name in [*dirs, *files]:
            path = os.path.join(root, name)
            rel = os.path.relpath(path, world.path)
            seen[f"name {rel}"] = rel
            info = os.lstat(path)
            seen[f"stat {rel}"] = f"{info.st_size} {info.st_mtime_ns} {info.st_ino}"
            if os.path.isfile(path):
                data = open(path, "rb").read()  # noqa: SIM115 - short read in a test
                seen[f"bytes {rel}"] = data.decode("latin-1")
    tech = world.unlock(TECH)
    for listed in tech.list_records("custody"):
        raw = (world.path / "custody" / f"{listed.record_id}{RECORD_SUFFIX}").read_bytes()
        _, summary, body = tech.decode_record(raw, "custody", listed.record_id, body=True)
        seen[f"custody {listed.record_id}"] = json.dumps([summary, body], ensure_ascii=False)
    devices = world.devices(TECH)
    for row in devices.rows():
        seen[f"device row {row.ref}"] = repr(row)
        seen[f"device {row.ref}"] = repr(devices.open(row.ref, log=False).device)
    return seen


#: What a technician runs (each as themselves, in the CLI): every command their role has.
_COMMANDS = (
    ("device", "list"),
    ("device", "list", "--json"),
    ("device", "show", "{device}"),
    ("verify",),
    ("verify", "--json"),
    ("verify", "--entries"),
    ("witness", "show"),
    ("user", "list"),
    ("incident", "list"),
    ("config",),
    ("doctor",),
)


def _every_command_a_technician_runs(
    world: World, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> dict[str, str]:
    secret = tmp_path / "tech.pass"
    secret.write_text(TECH.passphrase + "\n", encoding="utf-8")
    secret.chmod(0o600)
    seen: dict[str, str] = {}
    world.close()
    for command in _COMMANDS:
        args = [part.format(device=world.device) for part in command]
        args += ["--vault", str(world.path), "--user", TECH.login, "--passphrase-file", str(secret)]
        code = main(args)
        out = capsys.readouterr()
        seen[f"ydsi {' '.join(command)} (exit {code})"] = out.out + out.err
    return seen


def test_a_technician_finds_no_name_note_or_deviceless_incident(
    world: World, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    without_device = [ref for ref in world.incidents if ref != world.incidents[0]]
    secrets = [*PUPILS, CRITICAL_NOTE, "Ava disclosed", *without_device]
    seen = _everything_a_technician_reads(world)
    commands = _every_command_a_technician_runs(world, capsys, tmp_path)
    seen.update(commands)
    checks = Checks("technician", "everything their key and the group's files give them")
    print(f"\n{len(seen)} things read by the technician")
    for secret in secrets:
        found = [where for where, text in seen.items() if secret.casefold() in text.casefold()]
        checks.attack(f"{secret!r} appears nowhere they can reach", not found, repr(found[:5]))
    checks.keep(
        "what custody needs is there (the device's incident)",
        any(world.incidents[0] in text for where, text in seen.items() if "device" in where),
    )
    checks.keep(
        f"every one of the {len(commands)} commands ran (none crashed)",
        all("internal error" not in text and "Traceback" not in text for text in commands.values()),
        repr({k: v[-200:] for k, v in commands.items() if "internal error" in v}),
    )
    ran = {where.split(" (exit ")[0]: where.endswith("(exit 0)") for where in commands}
    checks.keep("their device list, show and verify succeed", all(
        ran[f"ydsi {c}"] for c in ("device list", "device show {device}", "verify")
    ), repr(ran))  # fmt: skip
    checks.finish()


@pytest.mark.parametrize("owner", ["Ava Example", "ava", "Ava.Example Y10"])
def test_the_device_log_refuses_a_name_as_its_owner(world: World, owner: str) -> None:
    """The mechanism: a seizure names its owner by initials or a code, never a name."""
    with pytest.raises(ValidationError, match="never a name"):
        world.devices(DSL).seize(
            world.incidents[1],
            {"description": "tablet", "owner": owner, "seized_by": "Dee", "powered_off": True},
        )


def test_a_sealed_entry_note_opens_to_no_key_a_technician_holds(world: World) -> None:
    """A destruction's reference and kept_until travel sealed under a case-only key."""
    from ydsi_tui.vault.entry_notes import open_note

    dsl = world.unlock(DSL)
    details = {"ref": world.incidents[1], "basis": "dob", "kept_until": "2036-05-01"}
    sealed = dsl.seal_entry_note("case", world.incidents[1], details)
    record_id = dsl.record_id("case", world.incidents[1])
    tech = world.unlock(TECH)
    vault_id = tech.vault.header.vault_id
    tried = {name: open_note(key, vault_id, "case", record_id, sealed)
             for name, key in tech._keys.items()}  # fmt: skip
    checks = Checks("technician", "a sealed destruction note")
    checks.attack("no key of theirs opens it", all(v is None for v in tried.values()), repr(tried))
    checks.keep(
        "the DSL's does",
        open_note(dsl._keys["index:case"], vault_id, "case", record_id, sealed) == details,
    )
    checks.attack(
        "moved to another record, it opens to nobody",
        open_note(dsl._keys["index:case"], vault_id, "case", "0" * 32, sealed) is None,
    )
    checks.finish()
