"""Email through an outbox: queued in the transaction of what caused it, delivered after commit.

Without CAREGATE_SMTP_URL the message stays in the outbox table and is written to the log, so a demo
or a developer can follow an invitation link. With it, `deliver_pending` sends by SMTP and removes the
body once sent (a link in a sent email should not wait in a table).
"""

from __future__ import annotations

import smtplib
import ssl
import threading
from email.message import EmailMessage
from urllib.parse import unquote, urlparse

import structlog

from caregate.service.context import Services, UnitOfWork
from caregate.store import repo
from caregate.store.ids import new_id
from caregate.store.tables import OutboxMessage

log = structlog.get_logger("caregate.mail")
MAX_ATTEMPTS = 5


def enqueue(uow: UnitOfWork, *, to: str, subject: str, body: str, kind: str, org_id: str | None) -> str:
    message = OutboxMessage(id=new_id("msg"), org_id=org_id, kind=kind, to_address=to.lower(), subject=subject,
                            body=body, created_at=uow.now, attempts=0)
    uow.session.add(message)
    if not uow.services.settings.smtp_url:
        log.info("email queued (no SMTP configured; showing it here)", to=to, subject=subject, body=body)
    return message.id


def _send(smtp_url: str, sender: str, message: OutboxMessage) -> None:
    url = urlparse(smtp_url)
    host, port = url.hostname or "127.0.0.1", url.port or (465 if url.scheme == "smtps" else 25)
    email = EmailMessage()
    email["From"], email["To"], email["Subject"] = sender, message.to_address, message.subject
    email.set_content(message.body)
    smtp_class = smtplib.SMTP_SSL if url.scheme == "smtps" else smtplib.SMTP
    with smtp_class(host, port, timeout=10) as client:
        if url.scheme == "smtp+starttls":
            client.starttls(context=ssl.create_default_context())
        if url.username:
            client.login(unquote(url.username), unquote(url.password or ""))
        client.send_message(email)


class OutboxWorker:
    """Delivers the outbox every few seconds in a background thread while the server runs."""

    def __init__(self, services: Services, *, every_seconds: float = 3.0) -> None:
        self._services = services
        self._every = every_seconds
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="caregate-outbox", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=10)

    def _run(self) -> None:
        while not self._stop.wait(self._every):
            try:
                deliver_pending(self._services)
            except Exception:  # keep delivering; the failure is logged and the message retried
                log.exception("outbox delivery round failed")


def deliver_pending(services: Services, *, limit: int = 50) -> int:
    """Send what waits in the outbox; return how many went. Failures are kept and retried later."""
    if not services.settings.smtp_url:
        return 0
    sent = 0
    with services.unit() as uow:
        for message in repo.outbox(uow.session, unsent_only=True, limit=limit):
            if message.attempts >= MAX_ATTEMPTS:
                continue
            message.attempts += 1
            try:
                _send(services.settings.smtp_url, services.settings.mail_from, message)
            except (OSError, smtplib.SMTPException) as exc:
                message.last_error = f"{type(exc).__name__}: {exc}"[:500]
                log.warning("email delivery failed", to=message.to_address, error=message.last_error)
                continue
            message.sent_at = uow.now
            message.body = "(sent; body removed from the outbox)"
            sent += 1
    return sent
