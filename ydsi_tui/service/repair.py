"""``ydsi repair REF``: the procedure's side of putting a damaged record right.

The vault decides what is genuine (vault/repair.py); this module knows which
compartment a reference lives in, and what an incident or a device must
gain when a DSL accepts one as found: a note, in the record itself, naming
what was lost, and a summary recomputed from the entries found.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from ..model.errors import ValidationError
from ..vault.errors import AccessDenied
from ..vault.repair import (
    AsFound,
    BackupTried,
    Damage,
    RepairRefused,
    RepairResult,
    accept_as_found,
    assess_as_found,
    diagnose,
    restore_from_backup,
)
from .factory import Services

__all__ = ["RepairNeedsChoice", "compartment_of", "repair_hint", "repair_record"]


def compartment_of(ref: str) -> str:
    """Devices are ``D-2026-001``; every other reference is an incident's."""
    return "custody" if ref.upper().startswith("D-") else "case"


def repair_hint(ref: str, role: str) -> str:
    """What a damaged row says (plain text): the command that is the way back."""
    command = f"'ydsi repair {ref}'" if ref else "'ydsi repair' with its reference"
    return f"DAMAGED: run {command}" if role == "dsl" else f"DAMAGED: ask a DSL to run {command}"


class RepairNeedsChoice(RepairRefused):
    """No backup holds the signed version: the DSL may only accept the record as found.

    Carries what was tried and what acceptance would lose, for the command
    to show before it stops.
    """

    def __init__(
        self, message: str, damage: Damage, tried: list[BackupTried], as_found: AsFound
    ) -> None:
        super().__init__(message)
        self.damage = damage
        self.tried = tried
        self.as_found = as_found


def repair_record(
    services: Services,
    ref: str,
    *,
    backups: Sequence[Path],
    accept: bool = False,
    reason: str = "",
) -> RepairResult:
    """Repair one record: from the newest verified backup holding it, else (if asked) as found."""
    compartment = compartment_of(ref)
    session = services.session
    if session.role != "dsl" or session.is_recovery:
        raise AccessDenied("only a DSL can repair a record")
    damage = diagnose(session, compartment, ref)
    result, tried = restore_from_backup(session, damage, backups)
    if result is not None:
        return result
    found = assess_as_found(session, damage)
    signed = f"entry {damage.target.seq}" + (
        f" ({damage.target_ts[:16].replace('T', ' ')} UTC)" if damage.target_ts else ""
    )
    if not accept:
        looked = [t for t in tried if t.path]
        where = f"{len(looked)} backups looked at" if looked else "no backup found"
        if found.decrypts:
            then = (
                f"; to accept it as found, naming what was lost, run: ydsi repair {ref} "
                "--accept-as-found (you are asked why; or --text-file FILE)"
            )
        else:
            then = (
                f"; it cannot be accepted as found either ({found.why_not}): "
                f"name the backup that holds it with: ydsi repair {ref} --backup FILE"
            )
        raise RepairNeedsChoice(
            f"not repaired: no backup holds the version of {ref} signed at {signed} "
            f"({where}){then}",
            damage,
            tried,
            found,
        )
    if not found.decrypts:
        raise RepairNeedsChoice(
            f"not repaired: {ref} cannot be accepted as found ({found.why_not}), and no backup "
            f"holds the version signed at {signed}: name one with --backup FILE",
            damage,
            tried,
            found,
        )
    amend = _amender(services, compartment)
    try:
        outcome = accept_as_found(session, damage, reason, amend)
    except ValidationError as exc:
        raise RepairRefused(
            f"not repaired: {ref} as found is not a readable "
            f"{'device' if compartment == 'custody' else 'incident'} ({exc.field}): it cannot "
            "be accepted as found; name a backup that holds it with --backup FILE"
        ) from None
    return dataclasses.replace(outcome, tried=tuple(tried))


def _amender(services: Services, compartment: str) -> Any:
    if compartment == "custody":
        return services.devices.amend_as_found
    if services.cases is None:
        raise AccessDenied("your role does not hold the case key")
    return services.cases.amend_as_found
