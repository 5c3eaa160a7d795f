"""Helpers of the audit tests: reading a chain back, and tampering with it as a database owner could."""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import select, text

from caregate.audit import verify as verifying
from caregate.service.context import Services
from caregate.store.audit import AuditEvent

PASSWORD = "correct horse battery staple"  # the password World gives everyone (tests/conftest.py)


def events(services: Services, chain: str, **where: Any) -> list[dict[str, Any]]:
    """The chain's events (bodies, with their column values checked equal), oldest first."""
    with services.unit(write=False) as uow:
        query = select(AuditEvent).where(AuditEvent.chain == chain)
        for name, value in where.items():
            query = query.where(getattr(AuditEvent, name) == value)
        rows = list(uow.session.scalars(query.order_by(AuditEvent.seq)))
        return [{**json.loads(r.body), "hash": r.hash} for r in rows]


def actions(services: Services, chain: str) -> list[str]:
    return [e["action"] for e in events(services, chain)]


def verify(services: Services, chain: str) -> verifying.ChainReport:
    with services.unit(write=False) as uow:
        return verifying.verify_chain(uow.session, services.keyring.get(), chain)


@contextmanager
def tampering(services: Services) -> Iterator[Any]:
    """A connection that edits audit tables the way an owner of the database could (triggers bypassed)."""
    db = services.db
    with db.engine.begin() as conn:
        if db.is_postgres:
            conn.execute(text("SET LOCAL session_replication_role = replica"))  # superuser: triggers off
        else:
            conn.connection.info["caregate_audit_flag"].open = True  # as if the trigger had been dropped
        yield conn
