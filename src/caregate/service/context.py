"""What every use case runs in: the `Services` of one process and a `UnitOfWork` per request.

A unit is one database transaction. The audit events of what it changes are written in it, so a change
and its record commit or roll back together. Denials are the exception: the refused change rolls back,
but the refusal itself is recorded, in a transaction of its own, after it.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from ipaddress import IPv4Address, IPv6Address, ip_address
from typing import Any

from caregate.audit import log
from caregate.clock import Clock, SystemClock
from caregate.config import Settings
from caregate.engine import Context, Decision, IndexCache
from caregate.identity.passwords import Passwords
from caregate.service.errors import Forbidden
from caregate.store.db import Database


@dataclass(frozen=True, slots=True)
class RequestInfo:
    """Where a request came from, as the edge (API, console, CLI) saw it."""

    ip: str | None = None
    user_agent: str | None = None
    request_id: str | None = None
    channel: str = "api"

    @property
    def address(self) -> IPv4Address | IPv6Address | None:
        try:
            return ip_address(self.ip) if self.ip else None
        except ValueError:
            return None


@dataclass(frozen=True, slots=True)
class Caller:
    """The credentials a request presented, resolved at the edge; the service authenticates them."""

    token: str | None
    request: RequestInfo = field(default_factory=RequestInfo)


CLI = Caller(token=None, request=RequestInfo(channel="cli"))


class Services:
    """The long-lived parts of one process: database, clock, settings, caches, hashers."""

    def __init__(
        self,
        db: Database,
        settings: Settings,
        *,
        clock: Clock | None = None,
        passwords: Passwords | None = None,
    ) -> None:
        self.db = db
        self.settings = settings
        self.clock: Clock = clock or SystemClock()
        self.passwords = passwords or Passwords()
        self.index_cache = IndexCache()

    @contextmanager
    def unit(self, request: RequestInfo | None = None, *, write: bool = True) -> Iterator[UnitOfWork]:
        denials: list[log.Record] = []
        try:
            with self.db.transaction(write=write) as session:
                yield UnitOfWork(session, self, self.clock.now(), request or RequestInfo(), denials)
        except Forbidden:
            self._record_denials(denials)
            raise
        else:
            self._record_denials(denials)

    def _record_denials(self, denials: list[log.Record]) -> None:
        if not denials:
            return
        with self.db.transaction(write=True) as session:
            for record in denials:
                log.append(session, record)


class UnitOfWork:
    """One transaction of one request, with the moment it started and who sent it."""

    def __init__(self, session: Any, services: Services, now: datetime, request: RequestInfo,
                 denials: list[log.Record]) -> None:
        self.session = session
        self.services = services
        self.now = now
        self.request = request
        self._denials = denials

    def context(self, *, mfa_at: datetime | None = None, purpose: str | None = None) -> Context:
        attrs = {"purpose": purpose} if purpose else {}
        return Context(now=self.now, ip=self.request.address, mfa_at=mfa_at, attrs=attrs)

    def record(self, action: str, *, org_id: str | None, actor: Any = None, decision: Decision | None = None,
               outcome: str = "allowed", **fields: Any) -> None:
        """Write an audit event in this transaction."""
        log.append(self.session, self._record(action, org_id, actor, decision, outcome, fields))

    def record_denial(self, action: str, *, org_id: str | None, actor: Any, decision: Decision,
                      **fields: Any) -> None:
        """Keep a refusal for the audit trail even though this transaction will roll back."""
        self._denials.append(self._record(action, org_id, actor, decision, "denied", fields))

    def _record(self, action: str, org_id: str | None, actor: Any, decision: Decision | None, outcome: str,
                fields: dict[str, Any]) -> log.Record:
        reasons = tuple({"kind": str(r.kind), "code": r.code, "message": r.message}
                        for r in (decision.reasons if decision is not None else ()))
        who = {"actor_user_id": getattr(actor, "user_id", None), "actor_member_id": getattr(actor, "member_id", None),
               "on_behalf_of": getattr(actor, "on_behalf_of", None)}
        return log.Record(
            action=action,
            at=self.now,
            org_id=org_id,
            outcome=outcome,
            reasons=reasons,
            ip=self.request.ip,
            user_agent=self.request.user_agent,
            request_id=self.request.request_id,
            **{**who, **fields},
        )
