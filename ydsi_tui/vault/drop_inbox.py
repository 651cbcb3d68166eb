"""The triage side of the staff drop: receiving reports into the log, and opening them.

:class:`DropInbox` is a mixin of :class:`~ydsi_tui.vault.session.Session`.
Receiving appends one signed ``drop.received`` entry per new report (its id,
the hash of its ciphertext, when, and who filed it), so that from then on a
report deleted or altered in the spool is a finding of ``ydsi verify`` that
names the only login that could have done it. Those entries, and
``drop.opened``, carry no content and stay in clear: the alert timer reads
them without a passphrase (``ydsi attention``). Who filed a report, and whom
it is sealed for, are sealed in the entry (:meth:`EntrySealer.seal_filer`)
for the case roles only: the whole vault group reads the log, technicians
included, and every backup holds it. Entries written before 12/2026 name
both in clear.

Opening needs the drop key (derived from the case key of the report's epoch)
or, for a report about a member of staff, the Headteacher's own box key.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey

from .crypto import b64d, verify_signature
from .drop import (
    FOR_ABOUT_HEADTEACHER,
    FOR_HEADTEACHER,
    DropError,
    DropKey,
    drop_private_key,
    list_spool,
    login_of,
    make_drop_key,
    open_report_bytes,
    publish_drop_key,
    read_head,
    read_spooled,
)
from .errors import AccessDenied, DamagedFile, NotSaved
from .rights import may_write
from .saving import not_saved, utc_now
from .sealed_entries import EntrySealer

if TYPE_CHECKING:
    from .audit import AuditEntry, EntryOpener, Signer
    from .header import Header, UserEntry
    from .keys import Identity
    from .vault import Vault

__all__ = ["DropInbox", "OpenedReport", "ReceivedReport", "drop_entries"]

DROP_COMP = "drop"


@dataclass(frozen=True)
class ReceivedReport:
    """A report the log says was received, and what became of it (no content)."""

    report_id: str
    digest: str
    owner_uid: int
    owner_login: str
    filed_at: str
    received_at: str
    received_by: str  # user id
    sealed_for: str  # "triage", "headteacher", "about_headteacher"; "" to a keyless reader
    opened: bool = False
    opened_by: str = ""  # user id of the first to open it
    opened_at: str = ""
    in_spool: bool = True

    @property
    def sealed_to_headteacher_only(self) -> bool:
        return self.sealed_for in (FOR_HEADTEACHER, FOR_ABOUT_HEADTEACHER)


@dataclass(frozen=True)
class OpenedReport:
    """A report opened: the sealed document, and what the kernel and log attest."""

    report_id: str
    doc: dict[str, Any]
    owner_uid: int
    owner_login: str
    digest: str
    sealed_for: str


def drop_entries(
    entries: list[AuditEntry], header: Header, opener: EntryOpener | None = None
) -> dict[str, ReceivedReport]:
    """The received reports an audit log describes, by report id (no key needed).

    Only entries a case role signed count: a technician can append a validly
    chained entry signed with their own key, and a forged "opened" must not
    silence the alert for a report nobody has read. Who filed each is known
    only with a case role's ``opener`` (uid -1 and no login without it).
    """
    found: dict[str, ReceivedReport] = {}
    for entry in entries:
        if entry.comp != DROP_COMP or not _signed_by_case_role(entry, header):
            continue
        extra = entry.extra
        rid = extra.get("report_id")
        if not isinstance(rid, str):
            continue
        if entry.action == "drop.received" and rid not in found:
            digest = str(extra.get("digest", ""))
            uid, login, sealed_for = _filer(extra, rid, digest, opener)
            found[rid] = ReceivedReport(
                report_id=rid,
                digest=digest,
                owner_uid=uid,
                owner_login=login,
                filed_at=str(extra.get("filed_at", "")),
                received_at=entry.ts,
                received_by=entry.actor,
                sealed_for=sealed_for,
            )
        elif entry.action == "drop.opened" and rid in found and not found[rid].opened:
            old = found[rid]
            found[rid] = replace(old, opened=True, opened_by=entry.actor, opened_at=entry.ts)
    return found


def _filer(
    extra: dict[str, Any], rid: str, digest: str, opener: EntryOpener | None
) -> tuple[int, str, str]:
    """(uid, login, sealed for) of a report: sealed (opened with a case role's key), or
    in clear in an entry from before sealing; (-1, "", "") when it cannot be told."""
    if "filer" in extra:
        opened = opener.open_filer(rid, digest, extra["filer"]) if opener is not None else None
        return opened if opened is not None else (-1, "", "")
    uid = extra.get("owner_uid")
    return (
        uid if isinstance(uid, int) else -1,
        str(extra.get("owner_login", "")),
        str(extra.get("for", "triage")),
    )


class DropInbox:
    """Receiving and opening staff reports, for the case roles (DSL, Headteacher, team)."""

    # What this mixin uses of the Session it is part of (session.py).
    vault: Vault
    user: UserEntry
    _keys: dict[str, bytes]
    is_recovery: bool

    if TYPE_CHECKING:

        @property
        def signer(self) -> Signer: ...

        @property
        def role(self) -> str: ...

        def _require_identity(self) -> Identity: ...

        def _refresh_keys(self) -> None: ...

        def _witnessed(self, upto: int | None) -> None: ...

    def _require_triage(self) -> None:
        self._require_identity()
        if self.role not in ("dsl", "headteacher", "team") or self.is_recovery:
            raise AccessDenied(
                f"your role ({self.role}) does not receive staff reports: a DSL, the "
                "Headteacher or a team member does"
            )

    def received_reports(self) -> dict[str, ReceivedReport]:
        """What the log says was received (and opened), by report id."""
        return drop_entries(
            list(self.vault.audit.entries()), self.vault.header, self._filer_sealer()
        )

    def _filer_sealer(self) -> EntrySealer | None:
        key = self._keys.get("index:case")
        return None if key is None else EntrySealer(key, self.vault.header.vault_id)

    def filer_sealer(self) -> EntrySealer:
        """The case index key's sealer, which seals and opens who filed each report
        (the log's ``drop.received``, a backup's manifest)."""
        self._require_identity()
        sealer = self._filer_sealer()
        if sealer is None:  # every case role holds the case index key
            raise AccessDenied("your keys do not include the case key: ask a DSL")
        return sealer

    def receive_reports(self, spool: Path) -> list[ReceivedReport]:
        """Log every spooled report not yet received; return all received, oldest first.

        Each new one gets a signed ``drop.received`` entry, content-free: its
        id, the hash of its ciphertext, and, sealed for the case roles, its
        owner's uid and login and whom it is sealed for (read from the clear
        head; nothing is decrypted).
        """
        self._require_triage()
        sealer = self.filer_sealer()
        spooled = list_spool(spool, self.vault.fs)
        with self.vault.lock():
            known = self.received_reports()
            for item in spooled:
                if item.report_id in known:
                    continue
                read = read_spooled(spool, item.report_id, self.vault.fs)
                if read is None:
                    continue
                current, data = read
                try:
                    sealed_for = read_head(data, item.report_id)[0].sealed_for
                except DamagedFile:
                    sealed_for = "unreadable"
                extra = {
                    "report_id": current.report_id,
                    "digest": current.digest,
                    "filer": sealer.seal_filer(
                        current.report_id,
                        current.digest,
                        current.owner_uid,
                        current.owner_login,
                        sealed_for,
                    ),
                    "filed_at": current.filed_at.isoformat(),
                }
                try:
                    self.vault.audit.append(
                        self.signer,
                        ts=utc_now(),
                        action="drop.received",
                        comp=DROP_COMP,
                        rec=current.report_id,
                        extra=extra,
                    )
                except (OSError, ValueError) as exc:
                    raise NotSaved(not_saved(exc)) from exc
                self._witnessed(None)
            known = self.received_reports()
        present = {s.report_id for s in spooled}
        out = [r if r.report_id in present else replace(r, in_spool=False) for r in known.values()]
        out.sort(key=lambda r: (r.received_at, r.report_id))
        return out

    def open_report(self, spool: Path, report_id: str) -> OpenedReport:
        """Decrypt one report (received first if need be); audited as ``drop.opened``.

        A report about a member of staff opens only with a Headteacher's own
        key: any other role is told only that it exists.
        """
        self._require_triage()
        read = read_spooled(spool, report_id, self.vault.fs)
        if read is None:
            raise DropError(f"no report {report_id} in the staff-report spool")
        if report_id not in self.received_reports():
            self.receive_reports(spool)
        item, data = read
        known = self.received_reports().get(report_id)
        if known is not None and known.digest != item.digest:
            raise DamagedFile(
                f"{report_id}.report",
                f"the report changed after it was received (only its owner "
                f"{item.owner_login or item.owner_uid} or root could have changed it)",
            )
        head = read_head(data, report_id)[0]
        vault_id = self.vault.header.vault_id
        if head.sealed_for == FOR_HEADTEACHER:
            if self.role != "headteacher" or self.user.id not in head.recipients:
                raise AccessDenied(
                    "this report is about a member of staff: it is sealed to the Headteacher "
                    "only, who has been told it exists"
                )
            doc = open_report_bytes(
                data, report_id, vault_id, self.user.id, self._require_identity().box
            )
        elif head.sealed_for == FOR_ABOUT_HEADTEACHER:
            raise AccessDenied(
                "this report is about the Headteacher: it is sealed to the key the school "
                "names for that (not a vault key); it cannot be opened here"
            )
        else:
            doc = self._open_with_drop_key(data, report_id, head.recipients)
        with self.vault.lock():
            try:
                self.vault.audit.append(
                    self.signer,
                    ts=utc_now(),
                    action="drop.opened",
                    comp=DROP_COMP,
                    rec=report_id,
                    extra={"report_id": report_id, "digest": item.digest},
                )
            except (OSError, ValueError) as exc:
                raise NotSaved(not_saved(exc)) from exc
            self._witnessed(None)
        return OpenedReport(
            report_id, doc, item.owner_uid, login_of(item.owner_uid), item.digest, head.sealed_for
        )

    def _open_with_drop_key(
        self, data: bytes, report_id: str, recipients: dict[str, bytes]
    ) -> dict[str, Any]:
        vault_id = self.vault.header.vault_id
        epochs = [int(r.split(":", 1)[1]) for r in recipients if _is_drop_recipient(r)]
        if not epochs:
            raise DamagedFile(f"{report_id}.report", "the report is sealed to no drop key")
        epoch = epochs[0]
        name, retired = f"case:{epoch}", f"drop:{epoch}"
        if name not in self._keys and retired not in self._keys:
            self._refresh_keys()
        if retired in self._keys:  # kept by a rotation (rotation.py)
            private = X25519PrivateKey.from_private_bytes(self._keys[retired])
        elif name in self._keys:
            private = drop_private_key(vault_id, epoch, self._keys[name])
        else:
            raise DropError(
                f"this report was sealed to the drop key of case-key epoch {epoch}, which "
                "your keys do not include (you joined after it was rotated): ask a DSL to open it"
            )
        return open_report_bytes(data, report_id, vault_id, f"drop:{epoch}", private)

    def drop_key(self, *, about_headteacher: bytes | None = None) -> DropKey:
        """The signed drop key for the vault as it is now (a DSL's: it needs the authority)."""
        self._require_identity()
        header = self.vault.reload_header()
        if self.role != "dsl" or header.current_authority.key_id not in self._keys:
            self._refresh_keys()
        if self.role != "dsl" or header.current_authority.key_id not in self._keys:
            raise AccessDenied("only a DSL (who holds the vault authority) publishes the drop key")
        if f"case:{header.epochs['case']}" not in self._keys:
            self._refresh_keys()
        published = datetime.now(UTC).isoformat()
        return make_drop_key(
            header, self._keys, about_headteacher=about_headteacher, published_at=published
        )

    def publish_drop_key(self, spool: Path, *, about_headteacher: bytes | None = None) -> DropKey:
        """Sign and write ``drop-key.json`` into the spool."""
        key = self.drop_key(about_headteacher=about_headteacher)
        publish_drop_key(spool, key, self.vault.fs)
        return key


def _signed_by_case_role(entry: AuditEntry, header: Header) -> bool:
    known = header.public_key(entry.key_id)
    if known is None or entry.key_id.rsplit(".", 1)[0] != entry.actor:
        return False
    public, role = known
    if not may_write(role, entry.action, entry.comp, actor=entry.actor, subject=None):
        return False
    try:
        signature = b64d(entry.sig, length=64)
    except ValueError:
        return False
    return verify_signature(public, signature, entry.signing_bytes())


def _is_drop_recipient(name: str) -> bool:
    prefix, _, number = name.partition(":")
    return prefix == "drop" and number.isdigit()
