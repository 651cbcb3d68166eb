"""The holder of a stolen backup: the tar file, and no passphrase at all.

A backup holds the signed header, the audit log and every encrypted record
file, byte for byte. Without a passphrase it must not give away a pupil's
name or a word of a note; and if it is unpacked over the live vault later, the
vault's users must not be shown the old state as the current one.
"""

from __future__ import annotations

import re
import tarfile

from tests.support.adversary import (
    CRITICAL_NOTE,
    DSL,
    PUPILS,
    Checks,
    World,
    expect_intact,
    plain_write,
)
from tests.support.vaults import copy_vault, restore_vault
from ydsi_tui.vault.backup import MANIFEST_NAME, restore_backup, verify_backup, write_backup


def test_stolen_backup_holds_no_names_or_notes(world: World) -> None:
    """Held up in the review, kept as a test: grep the whole tar for what the records say."""
    before = world.genuine()
    backup = world.path.parent / "backup.tar"
    write_backup(world.unlock(DSL), backup)
    data = backup.read_bytes()
    checks = Checks("backup thief", "stolen backup, no passphrase")
    # Texts with a space: base64 in vault.json and audit.log never holds one, so a
    # three-letter first name could match there by chance but these cannot.
    secrets = [*PUPILS, CRITICAL_NOTE, "black phone", "Parents of Cara", "Ava disclosed"]
    for text in secrets:
        for form in {text, text.lower(), text.upper()}:
            found = form.encode() in data or form.encode("utf-16-le") in data
            checks.attack(f"{form!r} is not in the backup", not found)
    check = verify_backup(backup)
    checks.keep("the backup itself verifies, keyless", check.ok, "; ".join(check.problems))
    restored = restore_backup(backup, world.path.parent / "restored")
    checks.keep("a restore of it verifies", restored.report.ok)
    world.close()
    copy = World(world.path.parent / "restored", world.clock, world.incidents, world.device)
    try:
        checks.same("the restored copy reads as the vault did", copy.genuine(), before)
    finally:
        copy.close()
    expect_intact(world, checks, before)
    checks.finish()


def test_old_backup_unpacked_over_the_vault_is_noticed(world: World) -> None:
    """The thief unpacks last week's backup over the live vault after more work was saved."""
    ref, other = world.incidents
    backup = world.path.parent / "backup.tar"
    write_backup(world.unlock(DSL), backup)
    world.cases(DSL).note(ref, "Ava's mother called: she knows about the image")
    world.cases(DSL).open(ref)  # the DSL has seen the note saved
    before = world.genuine()
    live = copy_vault(world.path, world.path.parent / "live-kept-by-the-school")
    with tarfile.open(backup) as tar:
        for member in tar.getmembers():
            if member.name == MANIFEST_NAME or not member.isfile():
                continue
            stream = tar.extractfile(member)
            assert stream is not None
            plain_write(world.path / member.name, stream.read())
    checks = Checks("backup thief", "old backup unpacked over the live vault")

    def next_save() -> object:
        world.close()  # the DSL starts ydsi again
        return world.cases(DSL).note(other, "Cara's parents came in")

    checks.refused(
        "the DSL's next unlock or save notices the vault went back", next_save, damaged=False
    )
    restore_vault(live, world.path)  # the school puts the real vault back
    world.close()
    expect_intact(world, checks, before)
    checks.finish()


def test_a_stolen_backup_with_reports_from_staff_tells_neither_words_nor_filer(
    world: World,
) -> None:
    """A DSL's backup holds the spool's reports not yet taken in (sealed, as filed) and,
    in its audit log and manifest, that they were received: the thief with the tar
    must learn no word of them and not who filed them."""
    import os
    import pwd

    from tests.support.drop import disclose, make_spool, publish

    base = world.path.parent
    dsl = world.unlock(DSL)
    spool = make_spool(base)
    _key, pin = publish(dsl, spool, base)
    words = "the caretaker keeps a phone of pupils' photos quokka-unique"
    disclose(spool, pin, base / "reporter", words, reporter_name="Zed Quill-Reporter")
    disclose(spool, pin, base / "reporter", "a second concern marmoset-unique")
    dsl.receive_reports(spool)  # the first in the log, then one more filed after
    disclose(spool, pin, base / "reporter", "a third, not received, wombat-unique")
    backup = base / "backup-with-reports.tar"
    write_backup(dsl, backup, spool=spool)
    data = backup.read_bytes()
    checks = Checks("backup thief", "stolen backup holding reports from staff")
    for text in (words, "quokka-unique", "marmoset-unique", "wombat-unique", "Zed Quill"):
        for form in {text, text.lower(), text.upper()}:
            found = form.encode() in data or form.encode("utf-16-le") in data
            checks.attack(f"{form!r} is not in the backup", not found)
    login, uid = pwd.getpwuid(os.getuid()).pw_name, os.getuid()
    for key, value in (("owner_login", f'"{login}"'), ("login", f'"{login}"'),
                       ("owner_uid", str(uid)), ("uid", str(uid))):  # fmt: skip
        pattern = rb'"' + key.encode() + rb'"\s*:\s*' + re.escape(value.encode()) + rb"\b"
        checks.attack(f"the filer ({key}) is not in the backup", not re.search(pattern, data))
    check = verify_backup(backup)
    checks.keep("the backup verifies, keyless", check.ok, "; ".join(check.problems))
    checks.finish()
