"""Appending audit events. The caller passes the session of the change it records: one transaction."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from caregate.store.audit import AuditEvent
from caregate.store.ids import new_id


@dataclass(frozen=True, slots=True)
class Record:
    """One thing that happened: who, on whose behalf, did what to which object, with what outcome and why."""

    action: str
    at: datetime
    org_id: str | None
    outcome: str = "allowed"
    actor_user_id: str | None = None
    actor_member_id: str | None = None
    on_behalf_of: str | None = None
    object_type: str | None = None
    object_id: str | None = None
    patient_id: str | None = None
    reasons: tuple[dict[str, str], ...] = ()
    before: dict[str, Any] | None = None
    after: dict[str, Any] | None = None
    detail: dict[str, Any] = field(default_factory=dict)
    ip: str | None = None
    user_agent: str | None = None
    request_id: str | None = None
    purpose: str | None = None


def append(session: Any, record: Record) -> str:
    event = AuditEvent(
        id=new_id("evt"),
        org_id=record.org_id,
        at=record.at,
        actor_user_id=record.actor_user_id,
        actor_member_id=record.actor_member_id,
        on_behalf_of=record.on_behalf_of,
        action=record.action,
        object_type=record.object_type,
        object_id=record.object_id,
        patient_id=record.patient_id,
        outcome=record.outcome,
        reasons=list(record.reasons),
        before=record.before,
        after=record.after,
        detail=record.detail,
        ip=record.ip,
        user_agent=record.user_agent,
        request_id=record.request_id,
        purpose=record.purpose,
    )
    session.add(event)
    return event.id
