"""Make the format reference vault (done once, in 2026; do not regenerate).

    python -m tests.support.make_reference_vault tests/data/reference-vault-vN

Records are kept until a pupil is 25 or longer, so every later version of ydsi
must open the vault this made, with the passphrases written beside it, and
find exactly the contents listed there. ``tests/vault/test_reference_vault.py``
checks that. Regenerating the committed copy would defeat the point: this
script refuses to write into a directory that exists, and a new format version
gets a new directory (``reference-vault-v2``...) *beside* the old ones.

All content is synthetic. The passphrases guard nothing real. The vault uses
the cheapest key-derivation settings the vault accepts, to keep the test quick.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

from ydsi_tui.vault.checkpoint import make_checkpoint
from ydsi_tui.vault.crypto import KdfParams, b64e, sha256_hex
from ydsi_tui.vault.header import FORMAT_VERSION
from ydsi_tui.vault.recordfile import RECORD_VERSION
from ydsi_tui.vault.vault import Vault
from ydsi_tui.vault.verify import verify_vault

DSL = ("refdsl", "reference vault passphrase 2026", "Reference DSL (synthetic)")
TECH = ("reftech", "reference technician passphrase 2026", "Reference Technician (synthetic)")
CASE_REF = "REF-CASE-0001"
DEVICE_REF = "REF-DEV-0001"
SIGNED_MESSAGE = "reference sign-off: REF-CASE-0001 reviewed by refdsl"

CASE_TABLES: dict[str, list[dict[str, Any]]] = {
    "_summary": [
        {"title": "Reference incident (synthetic)", "opened": "2026-01-15", "status": "open"}
    ],
    "people": [
        {"role": "pupil", "name": "Synthetic Pupil Alpha", "year": 9},
        {"role": "pupil", "name": "Synthetic Pupil Beta", "year": 10},
    ],
    "timeline": [
        {"at": "2026-01-15T09:30:00Z", "note": "Synthetic disclosure note: café, naïve, ÆØÅ, 😀"},
        {
            "at": "2026-01-15T10:05:00Z",
            "note": "Synthetic second note with [b]markup[/b] and \u202erlo",
        },
    ],
}
if FORMAT_VERSION >= 2:
    # Format 2 chains the append-only tables: the reference must exercise one.
    CASE_TABLES["events"] = [
        {"kind": "note", "text": "Synthetic first chained entry", "by": "refdsl"},
        {"kind": "note", "text": "Synthetic second chained entry: ĳ ß ﬁ", "by": "refdsl"},
    ]
DEVICE_TABLES: dict[str, list[dict[str, Any]]] = {
    "_summary": [{"title": "Synthetic test phone"}],
    "devices": [{"description": "Synthetic test phone", "bag": "EVID-0001", "state": "sealed"}],
}


def make(dest: Path) -> dict[str, Any]:
    if dest.exists():
        raise SystemExit(f"{dest} exists: the reference vault is never regenerated in place")
    dest.mkdir(parents=True)
    vault_path = dest / "vault"
    kdf = KdfParams.new(64 * 1024, 3, 1)
    dsl, code = Vault.create(vault_path, user=DSL[0], passphrase=DSL[1], full_name=DSL[2], kdf=kdf)
    dsl.add_user(TECH[0], "technician", TECH[1], full_name=TECH[2])
    with dsl.transaction("case", CASE_REF, create=True) as db:
        for table, rows in CASE_TABLES.items():
            if table not in ("timeline", "events"):
                db.table(table).insert_multiple(rows)
    for table in ("timeline", "events"):
        for row in CASE_TABLES.get(table, []):  # one save per note, as the app does
            with dsl.transaction("case", CASE_REF) as db:
                db.table(table).insert(row)
    tech = Vault.open(vault_path).unlock(TECH[0], TECH[1])
    with tech.transaction("custody", DEVICE_REF, create=True) as db:
        for table, rows in DEVICE_TABLES.items():
            db.table(table).insert_multiple(rows)
    dsl.read("case", CASE_REF)  # an audited read
    key_id, signature = dsl.sign(SIGNED_MESSAGE.encode())
    checkpoint = make_checkpoint(dsl)
    (dest / "checkpoint.json").write_bytes(checkpoint.to_bytes())
    assert verify_vault(vault_path, checkpoint=checkpoint.to_bytes()).ok

    files = sorted(p for p in vault_path.rglob("*") if p.is_file())
    expected = {
        "format_version": FORMAT_VERSION,
        "record_version": RECORD_VERSION,
        "users": {
            DSL[0]: {"role": "dsl", "passphrase": DSL[1], "full_name": DSL[2]},
            TECH[0]: {"role": "technician", "passphrase": TECH[1], "full_name": TECH[2]},
        },
        "recovery_code": code,
        "records": {
            "case": {CASE_REF: _as_stored(CASE_TABLES)},
            "custody": {DEVICE_REF: _as_stored(DEVICE_TABLES)},
        },
        "signature": {"key_id": key_id, "message": SIGNED_MESSAGE, "sig": b64e(signature)},
        "audit_entries": checkpoint.seq,
        "files": {p.relative_to(vault_path).as_posix(): sha256_hex(p.read_bytes()) for p in files},
    }
    (dest / "expected.json").write_text(json.dumps(expected, indent=2, ensure_ascii=True) + "\n")
    (dest / ".gitattributes").write_text("* -text -diff\n*.md text diff\n*.json -text diff\n")
    (dest / "README.md").write_text(_readme(expected))
    return expected


def _as_stored(tables: dict[str, list[dict[str, Any]]]) -> dict[str, dict[str, Any]]:
    return {
        name: {str(i): row for i, row in enumerate(rows, start=1)} for name, rows in tables.items()
    }


def _readme(expected: dict[str, Any]) -> str:
    users = "\n".join(
        f"| `{name}` | {u['role']} | `{u['passphrase']}` |" for name, u in expected["users"].items()
    )
    return f"""# Reference vault, format version {expected["format_version"]}

Made once, in 2026, by `python -m tests.support.make_reference_vault` with
ydsi's vault format {expected["format_version"]} (header format
{expected["format_version"]}, record format {expected["record_version"]}).
**Never regenerate it.** Records are kept until a pupil is 25 or longer, so
every later version of ydsi must open this vault and find exactly these
contents: `tests/vault/test_reference_vault.py` checks that (on a copy; it
never writes here). A new format gets a new
directory beside this one.

All content is synthetic. The passphrases below are **not secrets**: they
guard invented data, and are written down so the test can open the vault.
Key derivation uses the floor the vault accepts (Argon2id, 64 MiB, 3 passes,
1 lane) so that the test stays quick.

| user | role | passphrase |
|---|---|---|
{users}

Recovery code: `{expected["recovery_code"]}`

Contents (`expected.json` holds them exactly, with every file's SHA-256):

* case record `{CASE_REF}` (written by `refdsl`): tables `_summary`, `people`
  (two synthetic pupils), `timeline` (two notes with accents, emoji, Rich
  markup and an RTL override, saved one per transaction).
* custody record `{DEVICE_REF}` (written by `reftech`): tables `_summary`,
  `devices` (one synthetic phone in bag EVID-0001).
* an audited read by `refdsl`; {expected["audit_entries"]} audit entries in all.
* `checkpoint.json`: a checkpoint of the audit log signed by `refdsl`.
* a sign-off signature by `refdsl` over "{expected["signature"]["message"]}"
  (key `{expected["signature"]["key_id"]}`), in `expected.json`.

Git does not keep empty directories, so a checkout has no `throttle/`
directory: the vault must (and does) work without it, as it would after a
backup that drops empty directories. File modes are not kept either; the
test restores 0600/0700 on its copy.
"""


if __name__ == "__main__":
    if len(sys.argv) != 2:
        raise SystemExit(__doc__)
    result = make(Path(sys.argv[1]))
    print(
        f"made {sys.argv[1]}: {len(result['files'])} files, recovery code {result['recovery_code']}"
    )
