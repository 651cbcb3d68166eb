"""User administration through the service the CLI and the app share (issue 11).

Real vaults at the lowest KDF cost: a DSL, a Headteacher who enrolled the
real way, and a technician whose keys a DSL made. Each refusal is checked to
change nothing; removal is checked as the removed person would attack it:
their old passphrase, and a copy of the vault taken before they left.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.service.conftest import PASS
from tests.support.drop import make_spool, publish
from tests.support.vaults import copy_vault, enrol_user, min_kdf, old_copy_reads, tree_hashes
from ydsi_tui.model.errors import ValidationError
from ydsi_tui.service.casebook import CaseBook
from ydsi_tui.service.factory import services_for
from ydsi_tui.service.policies import approve_policy_file
from ydsi_tui.service.user_removal import (
    ALL_DATA_KEYS,
    DropSettings,
    plan_removal,
    reissue_recovery_code,
    remove_and_rotate,
    rotate_keys,
)
from ydsi_tui.service.users import (
    endorse_requests,
    invite_user,
    list_users,
    reset_with_recovery_code,
)
from ydsi_tui.vault.errors import (
    AccessDenied,
    KeyChangeIncomplete,
    UnknownUser,
    VaultError,
    WrongPassphrase,
)
from ydsi_tui.vault.session import Session
from ydsi_tui.vault.vault import Vault

NEW = "a new passphrase for a forgetful head"


@dataclass
class School:
    path: Path
    recovery: str

    def unlock(self, user: str = "dsl", passphrase: str = PASS) -> Session:
        return Vault.open(self.path).unlock(user, passphrase)

    def cases(self, session: Session) -> CaseBook:
        book = services_for(session).cases
        assert book is not None
        return book


@pytest.fixture
def school(tmp_path: Path) -> School:
    path = tmp_path / "vault"
    session, code = Vault.create(path, user="dsl", passphrase=PASS, full_name="Dana Lead",
                                 kdf=min_kdf())  # fmt: skip
    approve_policy_file(session)
    enrol_user(session, path, "head", "headteacher", PASS, full_name="Hana Head")
    session.add_user("tech", "technician", PASS, full_name="Tom Tech", kdf=min_kdf())
    session.close()
    return School(path, code)


def _names(path: Path) -> dict[str, str]:
    return {row.name: row.status for row in list_users(Vault.open(path))}


def test_the_list_says_who_made_each_key_and_what_waits(school: School) -> None:
    rows = {row.name: row for row in list_users(Vault.open(school.path))}
    assert {name: row.role for name, row in rows.items()} == {
        "dsl": "dsl", "head": "headteacher", "tech": "technician",
    }  # fmt: skip
    assert rows["head"].key_issued_by is None  # enrolled: her own key
    assert rows["tech"].key_issued_by == "dsl"  # made by the DSL's client
    dsl = school.unlock()
    code = invite_user(dsl, "newbie", "team", "Nia Newbie").code
    assert list_users(dsl.vault)[-1].status == "pending enrolment"
    Vault.open(school.path).enrol("newbie", code, "newbie's own passphrase", kdf=min_kdf())
    waiting = list_users(dsl.vault)[-1]
    assert waiting.request == "enrol request waiting (will be endorsed)"
    assert not waiting.request_refused
    assert endorse_requests(dsl).endorsed == ("newbie",)
    done = list_users(dsl.vault)[-1]
    assert done.status == "active" and done.request is None and done.key_issued_by is None
    dsl.close()


@pytest.mark.parametrize(
    ("name", "role", "field", "words"),
    [
        ("Bad Name", "team", "name", "'Bad Name' cannot be a login name"),
        ("", "team", "name", "cannot be a login name"),
        ("ok\x1b[2J", "team", "name", "'ok\\x1b[2J'"),
        ("newbie", "boss", "role", "unknown role 'boss'"),
        ("head", "team", "name", "already a user called 'head'"),
    ],
)
def test_an_invitation_refused_says_why_and_changes_nothing(
    school: School, name: str, role: str, field: str, words: str
) -> None:
    dsl = school.unlock()
    before = tree_hashes(school.path, skip_throttle=True)
    with pytest.raises(ValidationError) as refused:
        invite_user(dsl, name, role)
    assert refused.value.field == field and words in refused.value.message
    assert tree_hashes(school.path, skip_throttle=True) == before
    dsl.close()


def test_only_a_dsl_invites_endorses_or_removes(school: School) -> None:
    head = school.unlock("head")
    for act in (
        lambda: invite_user(head, "newbie", "team"),
        lambda: endorse_requests(head),
        lambda: plan_removal(head, "tech"),
        lambda: remove_and_rotate(head, "tech", PASS, drop=None),
    ):
        with pytest.raises(AccessDenied, match="only a DSL"):
            act()
    head.close()
    assert set(_names(school.path)) == {"dsl", "head", "tech"}


def test_inviting_again_replaces_the_code(school: School) -> None:
    dsl = school.unlock()
    first = invite_user(dsl, "newbie", "team")
    second = invite_user(dsl, "newbie", "team")
    assert not first.reissued and second.reissued and first.code != second.code
    assert second.code not in repr(second)  # a repr (a log, a traceback) never shows it
    with pytest.raises(WrongPassphrase):
        Vault.open(school.path).enrol("newbie", first.code, "newbie's own passphrase")
    dsl.close()


def test_removal_rotates_what_they_held_so_an_old_copy_opens_nothing_new(
    school: School,
) -> None:
    dsl = school.unlock()
    ref = school.cases(dsl).create("Written before the Headteacher left")
    kept = copy_vault(school.path, school.path.parent / "kept-by-head")
    plan = plan_removal(dsl, "head")
    assert plan.held == ("case", "custody") and not plan.pending
    old_key = dsl.current_key("case")

    removal = remove_and_rotate(dsl, "head", PASS, drop=None)
    assert removal.rotated is not None and removal.rotated.records >= 1
    assert dsl.current_key("case")[0] != old_key[0]
    school.cases(dsl).note(ref, "Written after the Headteacher left")
    dsl.close()

    with pytest.raises(UnknownUser):
        school.unlock("head")
    assert old_copy_reads(kept, school.path, "head", PASS, ref).startswith("refused")
    school.unlock().close()  # the DSL's own slot still opens (re-pinned, not broken)
    assert "head" not in _names(school.path)


def test_a_wrong_passphrase_at_removal_changes_nothing(school: School) -> None:
    dsl = school.unlock()
    before = tree_hashes(school.path, skip_throttle=True)
    with pytest.raises(WrongPassphrase, match="not recognised"):
        remove_and_rotate(dsl, "head", "not the dsl's passphrase", drop=None)
    assert tree_hashes(school.path, skip_throttle=True) == before
    dsl.close()
    school.unlock("head").close()


def test_removal_refusals_change_nothing(school: School) -> None:
    dsl = school.unlock()
    before = tree_hashes(school.path, skip_throttle=True)
    with pytest.raises(VaultError, match="last DSL"):
        remove_and_rotate(dsl, "dsl", PASS, drop=None)
    with pytest.raises(UnknownUser, match="no user called 'nobody'"):
        remove_and_rotate(dsl, "nobody", PASS, drop=None)
    assert tree_hashes(school.path, skip_throttle=True) == before
    enrol_user(dsl, school.path, "deputy", "dsl", PASS)
    with pytest.raises(VaultError, match="cannot remove yourself"):
        remove_and_rotate(dsl, "dsl", PASS, drop=None)
    deputy = school.unlock("deputy")
    assert remove_and_rotate(deputy, "dsl", PASS, drop=None).rotated is not None
    deputy.close()
    assert set(_names(school.path)) == {"head", "tech", "deputy"}


def test_an_invitation_is_cancelled_and_nothing_is_rotated(school: School) -> None:
    dsl = school.unlock()
    invite_user(dsl, "newbie", "team")
    key = dsl.current_key("case")
    removal = remove_and_rotate(dsl, "newbie", PASS, drop=None)
    assert removal.plan.pending and removal.rotated is None
    assert dsl.current_key("case") == key
    assert "newbie" not in _names(school.path)
    dsl.close()


def test_a_rotation_that_stops_part_way_is_not_called_done(school: School) -> None:
    dsl = school.unlock()
    school.cases(dsl).create("A record the rotation must re-encrypt")
    case_dir = school.path / "case"
    blocked = case_dir.with_name("case-blocked")
    case_dir.rename(blocked)
    case_dir.write_bytes(b"")  # a file where the folder was: listing it fails
    try:
        with pytest.raises(KeyChangeIncomplete, match="head was removed, but the rotation"):
            remove_and_rotate(dsl, "head", PASS, drop=None)
    finally:
        case_dir.unlink()
        blocked.rename(case_dir)
    assert "head" not in _names(school.path)
    dsl.close()
    dsl = school.unlock()
    assert dsl.rotation_pending  # every DSL's unlock says so until one finishes it
    rotate_keys(dsl, ALL_DATA_KEYS, passphrase=PASS, drop=None)
    assert not dsl.rotation_pending
    dsl.close()


def test_the_staff_drop_key_follows_the_rotation(school: School, tmp_path: Path) -> None:
    dsl = school.unlock()
    spool = make_spool(tmp_path)
    first, _ = publish(dsl, spool, tmp_path)
    removal = remove_and_rotate(dsl, "head", PASS, drop=DropSettings(spool))
    assert removal.rotated is not None
    published = removal.rotated.drop_key
    assert published is not None and published.problem is None
    assert published.serial is not None and published.serial > first.serial
    dsl.close()


def test_a_reset_by_the_recovery_code(school: School) -> None:
    vault = Vault.open(school.path)
    assert reset_with_recovery_code(vault, school.recovery, "head", NEW, NEW).name == "head"
    with pytest.raises(WrongPassphrase):
        school.unlock("head")
    school.unlock("head", NEW).close()
    head = next(row for row in list_users(vault) if row.name == "head")
    assert head.key_issued_by == "the recovery code"


@pytest.mark.parametrize(
    ("name", "new", "repeated", "code", "error", "words"),
    [
        ("head", NEW, NEW + "x", None, ValidationError, "not the same"),
        ("head", "short", "short", None, VaultError, "at least 10 characters"),
        ("nobody", NEW, NEW, None, UnknownUser, "no user called 'nobody'"),
        ("dsl", NEW, NEW, None, VaultError, "your own account"),
        ("head", NEW, NEW, "AAAA-BBBB-CCCC-DDDD-EEEE-FFFF-GGGG-HHHH", WrongPassphrase,
         "recovery code"),
    ],
)  # fmt: skip
def test_a_reset_refused_says_why_and_changes_nothing(
    school: School,
    name: str,
    new: str,
    repeated: str,
    code: str | None,
    error: type[Exception],
    words: str,
) -> None:
    before = tree_hashes(school.path, skip_throttle=True)
    vault = Vault.open(school.path)
    with pytest.raises(error, match=words):
        reset_with_recovery_code(vault, code or school.recovery, name, new, repeated,
                                 unlocked_as="dsl")  # fmt: skip
    assert tree_hashes(school.path, skip_throttle=True) == before
    school.unlock("head").close()


def test_a_reset_of_someone_not_yet_enrolled_is_refused(school: School) -> None:
    dsl = school.unlock()
    invite_user(dsl, "newbie", "team")
    dsl.close()
    with pytest.raises(VaultError, match="has not enrolled yet"):
        reset_with_recovery_code(Vault.open(school.path), school.recovery, "newbie", NEW, NEW)


# ---------------------------------------------------------------- the recovery code


def test_a_dsl_reissues_the_recovery_code_and_every_key_is_rotated(school: School) -> None:
    dsl = school.unlock()
    school.cases(dsl).create("A record the rotation must re-encrypt")
    epochs = dict(dsl.vault.reload_header().epochs)
    reissued = reissue_recovery_code(dsl, PASS, drop=None)
    dsl.close()
    assert reissued.rotated is not None and reissued.rotated.records >= 1
    assert reissued.unfinished is None and reissued.code != school.recovery
    assert reissued.code not in repr(reissued)
    after = Vault.open(school.path).header
    assert all(after.epochs[name] == epochs[name] + 1 for name in ("case", "custody"))
    assert not after.rotation_due
    Vault.open(school.path).unlock_recovery(reissued.code).close()
    with pytest.raises(WrongPassphrase):
        Vault.open(school.path).unlock_recovery(school.recovery)


@pytest.mark.parametrize("who", ["head", "tech", "recovery"])
def test_only_a_dsl_reissues_the_recovery_code(school: School, who: str) -> None:
    session = (
        Vault.open(school.path).unlock_recovery(school.recovery)
        if who == "recovery"
        else school.unlock(who)
    )
    before = tree_hashes(school.path, skip_throttle=True)
    with pytest.raises(AccessDenied, match="only a DSL"):
        reissue_recovery_code(session, PASS, drop=None)
    session.close()
    assert tree_hashes(school.path, skip_throttle=True) == before
    Vault.open(school.path).unlock_recovery(school.recovery).close()


def test_a_wrong_passphrase_reissues_nothing(school: School) -> None:
    """An unlocked screen left alone does not hand out a code that resets anyone."""
    dsl = school.unlock()
    before = tree_hashes(school.path, skip_throttle=True)
    with pytest.raises(WrongPassphrase):
        reissue_recovery_code(dsl, "not the dsl's passphrase", drop=None)
    dsl.close()
    assert tree_hashes(school.path, skip_throttle=True) == before
    Vault.open(school.path).unlock_recovery(school.recovery).close()


def test_a_rotation_that_stops_part_way_still_hands_over_the_new_code(school: School) -> None:
    dsl = school.unlock()
    school.cases(dsl).create("A record the rotation must re-encrypt")
    case_dir = school.path / "case"
    blocked = case_dir.with_name("case-blocked")
    case_dir.rename(blocked)
    case_dir.write_bytes(b"")  # a file where the folder was: listing it fails
    try:
        reissued = reissue_recovery_code(dsl, PASS, drop=None)
    finally:
        case_dir.unlink()
        blocked.rename(case_dir)
    dsl.close()
    assert reissued.rotated is None and reissued.unfinished is not None
    assert "did not finish" in reissued.unfinished and "ydsi user rotate" in reissued.unfinished
    # The old code's slot is gone already: the code returned is the only one that works.
    Vault.open(school.path).unlock_recovery(reissued.code).close()
    with pytest.raises(WrongPassphrase):
        Vault.open(school.path).unlock_recovery(school.recovery)
    dsl = school.unlock()
    assert any(slot.role == "recovery" for slot in dsl.revocations_due())
    rotate_keys(dsl, ALL_DATA_KEYS, passphrase=PASS, drop=None)
    assert not dsl.revocations_due()
    dsl.close()
