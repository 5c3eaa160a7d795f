"""What every use case runs in: the `Services` of one process and a `UnitOfWork` per request.

A unit is one database transaction. The audit events of what it changes are written in it, so a change
and its record commit or roll back together. Denials are the exception: the refused change rolls back,
but the refusal itself is recorded, in a transaction of its own, after it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from ipaddress import IPv4Address, IPv6Address, ip_address
from typing import Any

from caregate.audit import log
from caregate.audit.keys import LazyKeyring
from caregate.clock import Clock, SystemClock
from caregate.config import Settings
from caregate.engine import Context, Decision, IndexCache
from caregate.identity.crypto import SecretBox, new_key_text
from caregate.identity.passwords import Passwords
from caregate.identity.ratelimit import RateLimiter, limiter_for
from caregate.service.errors import Busy, KeepChanges, ServiceError
from caregate.store.db import Database
from caregate.store.turns import DatabaseBusy


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
_BREAK_GLASS_GRANT = "grant:break_glass:"  # the reason code of a decision made through emergency access


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
        self.rate_limiter: RateLimiter = limiter_for(settings.redis_url)
        self.secret_box = SecretBox.from_text(settings.secret_key or _key_from_file(settings))
        self.keyring = LazyKeyring(key=settings.audit_key, key_file=settings.audit_key_path(),
                                   trusted=settings.audit_trusted_keys)

    @contextmanager
    def unit(self, request: RequestInfo | None = None, *, write: bool = True) -> Iterator[UnitOfWork]:
        try:
            with self._unit(request, write=write) as uow:
                yield uow
        except DatabaseBusy as exc:  # nothing was written: the transaction never began or rolled back
            raise Busy(f"{exc}; nothing was changed, try again in a moment") from exc

    @contextmanager
    def _unit(self, request: RequestInfo | None, *, write: bool) -> Iterator[UnitOfWork]:
        denials: list[log.Record] = []
        redo: list[Callable[[Any], None]] = []
        refusal: ServiceError | None = None
        try:
            with self.db.transaction(write=write) as session:
                uow = UnitOfWork(session, self, self.clock.now(), request or RequestInfo(), denials, redo)
                try:
                    yield uow
                except KeepChanges as keep:
                    refusal = keep.error  # swallowed here so the transaction commits; raised below
                self.seal(session, uow.now)  # chain what the unit recorded, last thing before it commits
        except ServiceError:  # a refusal (Forbidden, a failed login ...): the change rolls back, its record stays
            self._record_denials(denials, redo)
            raise
        self._record_denials(denials, [])
        if refusal is not None:
            raise refusal

    def _record_denials(self, denials: list[log.Record], redo: list[Callable[[Any], None]]) -> None:
        """Write, after a rollback, what must outlive it: refusals, and bookkeeping such as key use."""
        if not denials and not redo:
            return
        with self.db.transaction(write=True) as session:
            for again in redo:
                again(session)
            for record in denials:
                log.append(session, record)
            self.seal(session, self.clock.now())

    def seal(self, session: Any, now: datetime) -> None:
        """Chain and sign the audit events this transaction appended, and raise the alerts they trigger."""
        from caregate.service import audit_alerts  # it imports this module

        def observe(sess: Any, entries: Sequence[log.Entry]) -> None:
            audit_alerts.evaluate(UnitOfWork(sess, self, now, RequestInfo(), []), entries)

        log.seal(session, self.keyring.get(), now=now, observer=observe,
                 checkpoint_every=self.settings.audit_checkpoint_every)


def _key_from_file(settings: Settings) -> str:
    """The server key kept beside the SQLite file when none is configured (one server, or the demo)."""
    path = settings.secret_key_file
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(new_key_text() + "\n")
        path.chmod(0o600)
    return path.read_text().strip()


class UnitOfWork:
    """One transaction of one request, with the moment it started and who sent it."""

    def __init__(self, session: Any, services: Services, now: datetime, request: RequestInfo,
                 denials: list[log.Record], redo: list[Callable[[Any], None]] | None = None) -> None:
        self.session = session
        self.services = services
        self.now = now
        self.request = request
        self._denials = denials
        self._redo = redo if redo is not None else []
        self._allowed: Decision | None = None

    def even_if_refused(self, write: Callable[[Any], None]) -> None:
        """Do `write` in this transaction, and again in the refusals' one if this transaction rolls back
        (for bookkeeping that must count every request, such as an API key's use)."""
        write(self.session)
        self._redo.append(write)

    def allowed(self, decision: Decision | None) -> None:
        """Remember the decision that allowed an action, for the events this unit records without one
        (None: what follows was not decided by a role, e.g. the operator's own command)."""
        self._allowed = decision

    def context(self, *, mfa_at: datetime | None = None, purpose: str | None = None) -> Context:
        attrs = {"purpose": purpose} if purpose else {}
        return Context(now=self.now, ip=self.request.address, mfa_at=mfa_at, attrs=attrs)

    def record(self, action: str, *, org_id: str | None, actor: Any = None, decision: Decision | None = None,
               outcome: str = "allowed", **fields: Any) -> None:
        """Write an audit event in this transaction (a refusal, outcome "denied", outlives a rollback)."""
        record = self._record(action, org_id, actor, decision, outcome, fields)
        if outcome == "denied":
            self._denials.append(record)  # a refused login raises, and its unit rolls back
        else:
            log.append(self.session, record)

    def record_denial(self, action: str, *, org_id: str | None, actor: Any, decision: Decision | None = None,
                      **fields: Any) -> None:
        """Keep a refusal for the audit trail even though this transaction will roll back."""
        self._denials.append(self._record(action, org_id, actor, decision, "denied", fields))

    def _record(self, action: str, org_id: str | None, actor: Any, decision: Decision | None, outcome: str,
                fields: dict[str, Any]) -> log.Record:
        if decision is None and outcome == "allowed":
            decision = self._allowed
        reasons = tuple({"kind": str(r.kind), "code": r.code, "message": r.message}
                        for r in (decision.reasons if decision is not None else ()))  # a denial is falsy
        if "purpose" not in fields and any(r["code"].startswith(_BREAK_GLASS_GRANT) for r in reasons):
            fields = {**fields, "purpose": "break_glass"}  # done through emergency access: its review finds it
        who = {"actor_user_id": getattr(actor, "user_id", None), "actor_member_id": getattr(actor, "member_id", None),
               "on_behalf_of": getattr(actor, "on_behalf_of", None)}
        return log.Record(
            action=action,
            at=self.now,
            org_id=org_id,
            outcome=outcome,
            reasons=reasons,
            # the request's own details, unless the caller names others (e.g. a job acting for a request)
            **{"ip": self.request.ip, "user_agent": self.request.user_agent, "request_id": self.request.request_id,
               **who, **fields},
        )
