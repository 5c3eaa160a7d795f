"""Posting alerts to an organisation's webhook, signed, after the transaction that raised them commits.

The body is the alert as JSON; `X-Caregate-Signature: sha256=<hex>` is HMAC-SHA256 with the webhook's
secret over `<X-Caregate-Timestamp>.<body>`, so the receiver can check origin and freshness. Delivery
happens outside any transaction (no network wait while holding a lock, which on SQLite would stop every
writer); failures are kept and retried by the next delivery, up to MAX_ATTEMPTS.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import socket
import threading
import urllib.error
import urllib.request
from dataclasses import dataclass
from ipaddress import ip_address
from typing import Any
from urllib.parse import urlparse

import structlog

from caregate.service.audit_settings import AuditSettings
from caregate.service.context import Services, UnitOfWork
from caregate.store import audit_repo
from caregate.store.audit import AuditAlert

log = structlog.get_logger("caregate.audit")
MAX_ATTEMPTS = 5
TIMEOUT_SECONDS = 5


def signature(secret: str, timestamp: str, body: bytes) -> str:
    return "sha256=" + hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256).hexdigest()


def payload(alert: AuditAlert) -> dict[str, Any]:
    return {"type": "caregate.audit.alert", "id": alert.id, "org_id": alert.org_id, "rule": alert.rule,
            "severity": alert.severity, "at": alert.at.isoformat(), "summary": alert.summary,
            "member_id": alert.member_id, "event_id": alert.event_id, "detail": alert.detail}


def _reachable(url: str, allow_private: bool) -> str | None:
    """Why this URL must not be called (a private or loopback address), or None."""
    host = urlparse(url).hostname or ""
    try:
        addresses = {str(info[4][0]) for info in socket.getaddrinfo(host, None)}
    except OSError as exc:
        return f"cannot resolve {host}: {exc}"
    if allow_private:
        return None
    for address in addresses:
        ip = ip_address(address.split("%")[0])
        if ip.is_private or ip.is_loopback or ip.is_link_local or ip.is_reserved or ip.is_multicast:
            return f"{host} resolves to a private address ({ip}); webhooks go to public endpoints"
    return None


def _post(url: str, secret: str, body: bytes, timestamp: str) -> None:
    request = urllib.request.Request(url, data=body, method="POST", headers={  # noqa: S310 -- scheme checked
        "content-type": "application/json", "user-agent": "caregate-audit-webhook/1",
        "x-caregate-timestamp": timestamp, "x-caregate-signature": signature(secret, timestamp, body)})
    with urllib.request.urlopen(request, timeout=TIMEOUT_SECONDS) as response:  # noqa: S310
        if not 200 <= response.status < 300:
            raise OSError(f"the webhook answered {response.status}")


@dataclass(frozen=True, slots=True)
class _Job:
    alert_id: str
    url: str
    secret: str
    body: bytes


def _claim(services: Services, limit: int) -> tuple[list[_Job], str]:
    """Take pending alerts in a short transaction (marked "sending", so no other deliverer takes them)."""
    jobs = []
    with services.unit() as uow:
        for alert in audit_repo.pending_webhooks(uow.session, limit=limit, max_attempts=MAX_ATTEMPTS):
            row = audit_repo.get_settings_row(uow.session, org_id=alert.org_id)
            settings = AuditSettings.model_validate(row.settings) if row else AuditSettings()
            if not settings.webhook_url or row is None or not row.webhook_secret:
                alert.webhook_state = "none"
                continue
            alert.webhook_attempts += 1
            alert.webhook_state = "sending"
            jobs.append(_Job(alert.id, settings.webhook_url, row.webhook_secret,
                             json.dumps(payload(alert), sort_keys=True).encode()))
        return jobs, str(int(uow.now.timestamp()))


def deliver_pending(services: Services, *, limit: int = 20) -> int:
    """Post the alerts waiting for their webhook, outside any transaction; return how many went."""
    jobs, timestamp = _claim(services, limit)
    if not jobs:
        return 0
    errors: dict[str, str | None] = {}
    for job in jobs:
        problem = _reachable(job.url, services.settings.audit_webhook_allow_private)
        try:
            if problem:
                raise OSError(problem)
            _post(job.url, job.secret, job.body, timestamp)
            errors[job.alert_id] = None
        except (OSError, urllib.error.URLError) as exc:
            errors[job.alert_id] = f"{type(exc).__name__}: {exc}"[:500]
            log.warning("audit webhook failed", alert=job.alert_id, error=errors[job.alert_id])
    with services.unit() as uow:
        for alert in audit_repo.alerts_by_id(uow.session, alert_ids=list(errors)):
            error = errors[alert.id]
            alert.webhook_error = error
            alert.webhook_state = "sent" if error is None else \
                "failed" if alert.webhook_attempts >= MAX_ATTEMPTS else "pending"
    return sum(1 for e in errors.values() if e is None)


def deliver_after_commit(uow: UnitOfWork) -> None:
    services = uow.services

    def start(_session: Any) -> None:
        threading.Thread(target=_deliver_quietly, args=(services,), name="caregate-audit-webhook",
                         daemon=True).start()

    audit_repo.after_commit(uow.session, start, key="audit_webhooks")


def _deliver_quietly(services: Services) -> None:
    try:
        deliver_pending(services)
    except Exception:  # a background thread must not die loudly; the alert stays pending for a retry
        log.exception("audit webhook delivery failed")
