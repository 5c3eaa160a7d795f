"""The audit trail's tables (owned by caregate.audit, which writes and verifies them).

`audit_events` holds one row per event: `body` is the event's canonical JSON, the text its `hash`
covers; the other columns repeat its fields so that search can use indexes, and since format 2 the
hash covers them too, as the row holds them (`CHAINED`), so an edited column breaks the chain like an
edited body. Events form one hash chain per organisation (`chain` = org id) and one
for events that belong to no organisation (`chain` = "system"). `audit_chain_heads` holds each chain's
last position, signed; the other tables keep signed checkpoints, archives, alerts and settings.
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from sqlalchemy import BigInteger, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from caregate.store.tables import ID, Base

SYSTEM_CHAIN = "system"
# Columns that repeat a field of the body, so that search can use indexes.
MIRRORED = ("id", "chain", "org_id", "actor_user_id", "actor_member_id", "on_behalf_of", "action", "object_type",
            "object_id", "patient_id", "outcome", "ip", "user_agent", "request_id", "purpose")
# What an event's hash covers besides its body (format 2): every mirrored column, its position and its time,
# as they read back from the row. An edited column then breaks the hash like an edited body does.
CHAINED = (*MIRRORED, "seq", "at")


class AuditEvent(Base):
    __tablename__ = "audit_events"
    __table_args__ = (
        UniqueConstraint("chain", "seq", name="uq_audit_chain_seq"),
        Index("ix_audit_org_at", "org_id", "at"),
        Index("ix_audit_org_member", "org_id", "actor_member_id", "seq"),
        Index("ix_audit_org_patient", "org_id", "patient_id", "seq"),
    )

    id: Mapped[str] = mapped_column(ID, primary_key=True)
    chain: Mapped[str] = mapped_column(ID)
    seq: Mapped[int] = mapped_column(BigInteger)
    prev_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64))
    body: Mapped[str] = mapped_column(Text)
    org_id: Mapped[str | None] = mapped_column(ID)
    at: Mapped[datetime]
    actor_user_id: Mapped[str | None] = mapped_column(ID)
    actor_member_id: Mapped[str | None] = mapped_column(ID)
    on_behalf_of: Mapped[str | None] = mapped_column(String(80))
    action: Mapped[str] = mapped_column(String(60))
    object_type: Mapped[str | None] = mapped_column(String(40))
    object_id: Mapped[str | None] = mapped_column(String(80))
    patient_id: Mapped[str | None] = mapped_column(ID)
    outcome: Mapped[str] = mapped_column(String(10))
    ip: Mapped[str | None] = mapped_column(String(45))
    user_agent: Mapped[str | None] = mapped_column(String(300))
    request_id: Mapped[str | None] = mapped_column(String(64))
    purpose: Mapped[str | None] = mapped_column(String(40))

    # The structured fields live only in the body, the one copy the hash protects.
    @property
    def content(self) -> dict[str, Any]:
        parsed: dict[str, Any] = json.loads(self.body)
        return parsed

    @property
    def reasons(self) -> list[dict[str, str]]:
        return list(self.content.get("reasons") or [])

    @property
    def before(self) -> dict[str, Any] | None:
        return self.content.get("before")

    @property
    def after(self) -> dict[str, Any] | None:
        return self.content.get("after")

    @property
    def detail(self) -> dict[str, Any]:
        return dict(self.content.get("detail") or {})


class AuditChainHead(Base):
    """Where a chain ends, signed at every append; and where its archived part stops."""

    __tablename__ = "audit_chain_heads"

    chain: Mapped[str] = mapped_column(ID, primary_key=True)
    org_id: Mapped[str | None] = mapped_column(ID)
    seq: Mapped[int] = mapped_column(BigInteger, default=0)
    hash: Mapped[str] = mapped_column(String(64))
    key_id: Mapped[str | None] = mapped_column(String(32))
    signature: Mapped[str | None] = mapped_column(String(128))
    archived_seq: Mapped[int] = mapped_column(BigInteger, default=0)
    archived_hash: Mapped[str | None] = mapped_column(String(64))
    updated_at: Mapped[datetime]


class AuditCheckpoint(Base):
    """A chain head kept with its signature, every so many events (the history of the head)."""

    __tablename__ = "audit_checkpoints"
    __table_args__ = (UniqueConstraint("chain", "seq", name="uq_audit_checkpoint_seq"),)

    id: Mapped[str] = mapped_column(ID, primary_key=True)
    chain: Mapped[str] = mapped_column(ID)
    seq: Mapped[int] = mapped_column(BigInteger)
    hash: Mapped[str] = mapped_column(String(64))
    key_id: Mapped[str] = mapped_column(String(32))
    signature: Mapped[str] = mapped_column(String(128))
    created_at: Mapped[datetime]


class AuditArchive(Base):
    """Events moved to a file by the retention procedure: the range, the file and the signed manifest."""

    __tablename__ = "audit_archives"
    __table_args__ = (Index("ix_audit_archives_chain", "chain", "last_seq"),)

    id: Mapped[str] = mapped_column(ID, primary_key=True)
    chain: Mapped[str] = mapped_column(ID)
    org_id: Mapped[str | None] = mapped_column(ID)
    first_seq: Mapped[int] = mapped_column(BigInteger)
    last_seq: Mapped[int] = mapped_column(BigInteger)
    start_hash: Mapped[str] = mapped_column(String(64))
    last_hash: Mapped[str] = mapped_column(String(64))
    count: Mapped[int] = mapped_column(Integer)
    path: Mapped[str] = mapped_column(String(500))
    file_sha256: Mapped[str] = mapped_column(String(64))
    key_id: Mapped[str] = mapped_column(String(32))
    signature: Mapped[str] = mapped_column(String(128))
    created_at: Mapped[datetime]


class AuditPatientSeen(Base):
    """When a member last touched a patient's records: a short-lived index for the bulk-access alert."""

    __tablename__ = "audit_patient_seen"
    __table_args__ = (Index("ix_audit_patient_seen", "org_id", "member_id", "at"),)

    org_id: Mapped[str] = mapped_column(ID, primary_key=True)
    member_id: Mapped[str] = mapped_column(ID, primary_key=True)
    patient_id: Mapped[str] = mapped_column(ID, primary_key=True)
    at: Mapped[datetime]


class AuditAlert(Base):
    __tablename__ = "audit_alerts"
    __table_args__ = (Index("ix_audit_alerts_org", "org_id", "id"),
                      Index("ix_audit_alerts_dedupe", "org_id", "rule", "dedupe_key", "at"))

    id: Mapped[str] = mapped_column(ID, primary_key=True)
    org_id: Mapped[str] = mapped_column(ForeignKey("organisations.id", ondelete="CASCADE"))
    rule: Mapped[str] = mapped_column(String(40))
    severity: Mapped[str] = mapped_column(String(10))
    at: Mapped[datetime]
    summary: Mapped[str] = mapped_column(String(300))
    member_id: Mapped[str | None] = mapped_column(ID)
    user_id: Mapped[str | None] = mapped_column(ID)
    event_id: Mapped[str | None] = mapped_column(ID)
    dedupe_key: Mapped[str] = mapped_column(String(200))
    detail: Mapped[dict[str, Any]] = mapped_column(default=dict)
    webhook_state: Mapped[str] = mapped_column(String(10), default="none")
    webhook_attempts: Mapped[int] = mapped_column(Integer, default=0)
    webhook_error: Mapped[str | None] = mapped_column(Text)
    # who looked into the alert, when, and what they found (empty while it waits for someone)
    acknowledged_at: Mapped[datetime | None]
    acknowledged_by: Mapped[str | None] = mapped_column(ID)
    acknowledged_note: Mapped[str | None] = mapped_column(String(500))


class AuditSettingsRow(Base):
    """An organisation's audit settings (retention, alert thresholds, webhook); defaults when absent."""

    __tablename__ = "audit_settings"

    org_id: Mapped[str] = mapped_column(ForeignKey("organisations.id", ondelete="CASCADE"), primary_key=True)
    settings: Mapped[dict[str, Any]] = mapped_column(default=dict)
    webhook_secret: Mapped[str | None] = mapped_column(String(100))
    updated_at: Mapped[datetime]
