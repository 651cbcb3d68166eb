"""Who may sign which kind of audit entry: the one rule both readers and ``verify`` apply.

A signature proves who wrote an entry; it does not prove they were allowed
to. A technician holds a valid signing key and group write access, so an
entry they sign for a case file is genuine *as their entry* and must still
vouch for nothing. Keeping the rule in one place means a record a reader
refuses is exactly a record ``verify`` reports.
"""

from __future__ import annotations

__all__ = ["CASE_ROLES", "DSL_HEADER_ACTIONS", "may_write"]

CASE_ROLES = frozenset({"dsl", "headteacher", "team"})
CUSTODY_ROLES = frozenset({"dsl", "headteacher", "team", "technician"})
#: Header changes only a DSL (the authority's holder) may make.
DSL_HEADER_ACTIONS = frozenset(
    {
        "vault.init",
        "vault.upgrade",
        "user.add",
        "user.remove",
        "user.reset",
        "key.rotate.begin",
        "key.rotate.end",
        "vault.settings",
        "vault.restore",
        "policy.approve",
        "user.enrol.issue",
        "user.enrol",
        "user.enrol.cancel",
        "user.rekey",
        "witness.ack",
    }
)
#: Record actions only a DSL may sign (whole-vault work: rotation, upgrade, destruction, repair).
DSL_RECORD_ACTIONS = frozenset(
    {"record.destroy", "record.rekey", "record.upgrade", "record.repair"}
)


#: What the triage side of the staff drop records (content-free, plain entries).
DROP_ACTIONS = frozenset({"drop.received", "drop.opened"})


def may_write(role: str, action: str, comp: str, *, actor: str, subject: object) -> bool:
    """True when a signer of ``role`` may make this entry.

    ``subject`` is the ``user`` named in a header entry's extra: people may
    change only their own passphrase slot.
    """
    if comp == "header":
        if action == "user.recover":
            return role == "recovery"
        if action in ("user.passwd", "user.repin"):
            return subject == actor
        return role == "dsl"
    if action in DSL_RECORD_ACTIONS:
        return role == "dsl"
    if comp == "case":
        return role in CASE_ROLES
    if comp == "drop":  # staff reports received and opened (drop_inbox.py)
        return role in CASE_ROLES and action in DROP_ACTIONS
    if comp == "custody":
        return role in CUSTODY_ROLES
    return False
