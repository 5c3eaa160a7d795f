"""Retention: events older than an organisation's policy go to an archive file, then leave the database.

Only a prefix of a chain is ever archived (from its current start up to the last event older than the
cut-off), so the chain in the database always continues from the signed end of the last archive. The
file and its manifest are written and synced before the events are deleted, in the transaction that
moves the chain's start and records the archive; if that transaction fails, the file stays as an extra
copy and the events stay in the database.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from caregate.audit import archive, chain
from caregate.service import audit_settings
from caregate.service.context import Services, UnitOfWork
from caregate.service.errors import NotFound
from caregate.store import audit_guard, audit_repo
from caregate.store.audit import SYSTEM_CHAIN, AuditArchive
from caregate.store.ids import new_id

MAX_PER_ARCHIVE = 1_000_000


@dataclass(frozen=True, slots=True)
class Archived:
    chain: str
    count: int
    first_seq: int | None = None
    last_seq: int | None = None
    path: str | None = None


def _retention_days(uow: UnitOfWork, chain_name: str) -> int:
    if chain_name == SYSTEM_CHAIN:
        return uow.services.settings.audit_system_retention_days
    return audit_settings.load(uow, chain_name).retention_days


def archive_chain(services: Services, *, chain_name: str, older_than_days: int | None = None) -> Archived:
    """Archive the chain's events past its retention (or past `older_than_days`), then remove them."""
    with services.unit() as uow:
        head = audit_repo.head(uow.session, chain=chain_name)
        if head is None:
            raise NotFound(f"no audit chain {chain_name}")
        days = older_than_days if older_than_days is not None else _retention_days(uow, chain_name)
        cutoff = uow.now - timedelta(days=days)
        rows = audit_repo.archivable(uow.session, chain=chain_name, after_seq=head.archived_seq, cutoff=cutoff,
                                     limit=MAX_PER_ARCHIVE)
        if not rows:
            return Archived(chain_name, 0)
        start_hash = head.archived_hash or chain.genesis(chain_name)
        org_id = None if chain_name == SYSTEM_CHAIN else chain_name
        keyring = services.keyring.get()
        written = archive.write(services.settings.audit_archive_path(), chain_name=chain_name, org_id=org_id,
                                start_hash=start_hash, events=[(seq, h, body) for seq, h, _, body, _ in rows],
                                keyring=keyring, now=uow.now)
        doc = written.manifest
        audit_repo.add_archive(uow.session, AuditArchive(
            id=new_id("arc"), chain=chain_name, org_id=org_id, first_seq=doc["first_seq"], last_seq=doc["last_seq"],
            start_hash=start_hash, last_hash=doc["last_hash"], count=doc["count"], path=str(written.path),
            file_sha256=doc["file_sha256"], key_id=doc["key_id"], signature=doc["signature"], created_at=uow.now))
        audit_guard.allow_removal(uow.session)
        audit_repo.remove_archived(uow.session, chain=chain_name, upto_seq=doc["last_seq"],
                                   archived_hash=doc["last_hash"])
        uow.record("audit.archived", org_id=org_id, object_type="audit_archive", object_id=written.path.name,
                   detail={"first_seq": doc["first_seq"], "last_seq": doc["last_seq"], "count": doc["count"],
                           "retention_days": days, "file": str(written.path)})
        return Archived(chain_name, doc["count"], doc["first_seq"], doc["last_seq"], str(written.path))


def archive_all(services: Services, *, org_id: str | None = None, older_than_days: int | None = None
                ) -> list[Archived]:
    """Apply every chain's retention policy (or one organisation's)."""
    with services.unit(write=False) as uow:
        chains = [h.chain for h in audit_repo.heads(uow.session, org_id=org_id)]
    if org_id is not None and not chains:
        raise NotFound(f"organisation {org_id} has no audit trail")
    return [archive_chain(services, chain_name=c, older_than_days=older_than_days) for c in chains]
