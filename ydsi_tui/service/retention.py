"""Records management: legal holds, retention reviews and destruction.

* **Legal holds** (a DSL or the Headteacher): a ``hold.set`` entry with who
  set it and why (and at whose request, such as an inquiry); lifted by a
  ``hold.lifted`` entry with its reason. While one is active the incident
  cannot be destroyed.
* **Reviews** (a DSL): a record due for review may be kept longer, to a date,
  with a reason; it can never be made due earlier.
* **Destruction** (a DSL only): refused while a hold is active or before the
  record is due. The incident's device custody records go with it. Each file
  is removed by :meth:`Session.destroy_record` (crash-safe), which leaves a
  signed audit entry naming the record's opaque id, its reference, the
  retention basis and the date it was kept until, when and by whom, and
  nothing of its content. The whole check-and-destroy runs under the vault's
  lock, so a hold set at the same moment cannot be missed.
* **Pupil records** (the register, model/register.py) are kept as long as the
  longest-kept of their incidents, and a hold on any of those holds them: they
  are never due on their own. Destroying a child's last incident is their
  record's review too: the record (and any merged into it) is destroyed with
  it, each with its own sealed audit entry saying so.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from ..model import rules
from ..model.events import Event
from ..model.incident import Incident
from ..model.register import register_ref, resolve
from ..model.timeparse import date_to_iso, to_local
from ..vault.audit import AuditEntry
from ..vault.errors import AccessDenied, VaultError
from .casebook import CaseBook
from .devices import COMPARTMENT as CUSTODY
from .devices import DeviceLog
from .register import PupilRegister

__all__ = ["Destroyed", "Refused", "RetentionDesk"]


class Refused(VaultError):
    """The records-management rules forbid this (a hold, or not yet due)."""


@dataclass(frozen=True)
class Destroyed:
    ref: str
    entry: AuditEntry
    devices: tuple[str, ...]
    #: Register records destroyed with their child's last incident.
    pupils: tuple[str, ...] = ()


class RetentionDesk:
    """Holds, reviews and destruction for one unlocked user."""

    def __init__(self, cases: CaseBook, devices: DeviceLog | None) -> None:
        self.cases = cases
        self.devices = devices

    @property
    def today(self) -> date:
        return to_local(self.cases.clock.now()).date()

    def set_hold(self, ref: str, reason: str, *, authority: str = "") -> Event:
        """Put a legal hold on an incident (DSL or Headteacher)."""
        return self.cases.record(ref, "hold.set", {"reason": reason, "authority": authority})

    def lift_hold(self, ref: str, reason: str, *, hold_id: str | None = None) -> Event:
        """Lift a hold; ``hold_id`` may be left out when exactly one is active."""
        active = self.cases.open(ref, log=False).incident.active_holds
        if hold_id is None:
            if len(active) != 1:
                raise Refused(
                    f"{ref} has {len(active)} active holds: say which one to lift"
                    if active
                    else f"{ref} has no active legal hold"
                )
            hold_id = active[0].event_id
        else:
            matches = [h for h in active if h.event_id.startswith(hold_id)]
            if len(matches) != 1:
                raise Refused(f"no single active hold {hold_id!r} in {ref}")
            hold_id = matches[0].event_id
        return self.cases.record(ref, "hold.lifted", {"hold_id": hold_id, "reason": reason})

    def review(self, ref: str, keep_until: date, reason: str) -> Event:
        """Keep a record until a later date, with the reason (a DSL)."""
        return self.cases.record(
            ref, "retention.reviewed", {"keep_until": date_to_iso(keep_until), "reason": reason}
        )

    def blockers(self, ref: str) -> list[str]:
        """Why this incident may not be destroyed today (empty: it may)."""
        incident = self.cases.open(ref, log=False).incident
        return rules.destruction_blockers(incident, self.today)

    def _require_dsl(self) -> None:
        session = self.cases.session
        if session.role != "dsl" or session.is_recovery:
            raise AccessDenied("only a DSL can destroy a record")

    def _refuse_if_blocked(self, ref: str, incident: Incident) -> None:
        blockers = rules.destruction_blockers(incident, self.today)
        if blockers:
            raise Refused(f"{ref} cannot be destroyed: " + "; ".join(blockers))

    def check_destroy(self, ref: str) -> None:
        """Refuse now, with the words :meth:`destroy` would use, if it would refuse today.

        Destroys nothing: a screen calls it before asking for a typed confirmation,
        so nobody types a reference only to be told no. :meth:`destroy` checks again
        under the lock.
        """
        self._require_dsl()
        self._refuse_if_blocked(ref, self.cases.open(ref, log=False).incident)

    def destroy(self, ref: str) -> Destroyed:
        """Destroy a retention-due incident and its devices' custody records (DSL only)."""
        self._require_dsl()
        session = self.cases.session
        with session.vault.lock():
            incident = self.cases.open(ref, log=False).incident
            self._refuse_if_blocked(ref, incident)
            kept = rules.retention(incident)
            # The reference and kept_until (for a pupil, date of birth + 25) are
            # sealed: the plaintext log is every group member's to read.
            details = {"ref": ref, "basis": kept.basis, "kept_until": date_to_iso(kept.until)}
            gone: list[str] = []
            if self.devices is not None:
                for row in self.devices.rows(incident_ref=ref):
                    if row.error is None:
                        note = {**details, "ref": row.ref, "incident": ref}
                        session.destroy_record(CUSTODY, row.ref, extra={
                            "reason": "retention",
                            "note": session.seal_entry_note(CUSTODY, row.ref, note),
                        })  # fmt: skip
                        gone.append(row.ref)
            linked = {p.register_id for p in incident.pupils.values() if p.register_id}
            entry = session.destroy_record("case", ref, extra={
                "reason": "retention", "note": session.seal_entry_note("case", ref, details),
            })  # fmt: skip
            pupils = (
                self._destroy_pupil_records(ref, linked, details["kept_until"]) if linked else ()
            )
        return Destroyed(ref, entry, tuple(gone), pupils)

    def _destroy_pupil_records(
        self, ref: str, linked: set[str], details_until: str
    ) -> tuple[str, ...]:
        """The register records whose last incident ``ref`` was (under the same lock)."""
        session = self.cases.session
        listing = PupilRegister(self.cases).listing()
        merges = listing.merges
        still = listing.involvements()
        gone: list[str] = []
        for target in sorted({resolve(r, merges) for r in linked}):
            if still.get(target):
                continue  # another incident of this child is kept: so is their record
            for record in sorted(r for r in listing.entries if resolve(r, merges) == target):
                pupil_ref = register_ref(record)
                note = {"ref": pupil_ref, "basis": "last_incident", "with": ref,
                        "kept_until": details_until}  # fmt: skip
                session.destroy_record("case", pupil_ref, extra={
                    "reason": "retention",
                    "note": session.seal_entry_note("case", pupil_ref, note),
                })  # fmt: skip
                gone.append(record)
        return tuple(gone)
