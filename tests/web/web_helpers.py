"""Helpers for the console's tests (a module, so test files can import it; conftest files cannot be imported)."""

from __future__ import annotations

import re
from typing import Any

from sqlalchemy import func, select

from caregate.identity import totp
from caregate.service import auth, mfa
from caregate.service.context import Caller
from caregate.service.errors import Unauthenticated
from caregate.store import repo
from caregate.store.audit import AuditEvent

PASSWORD = "correct horse battery staple"  # the `world` fixture's password
NEW_PASSWORD = "a quiet harbour at dawn 2026"
CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


def csrf_of(html: str) -> str:
    match = CSRF.search(html)
    assert match, "no CSRF field on the page"
    return match.group(1)


def sign_in(web: Any, email: str, password: str = PASSWORD, next_: str = "/") -> Any:
    token = csrf_of(web.get("/login").text)
    return web.post("/login", data={"email": email, "password": password, "csrf_token": token, "next": next_})


def enrol_totp(services: Any, clock: Any, token: str) -> tuple[str, list[str]]:
    """Set up an authenticator for the person behind a login token; the secret and the recovery codes."""
    caller = Caller(token=token)
    with services.unit() as uow:
        secret = mfa.start_totp(uow, caller).secret
    with services.unit() as uow:
        codes = mfa.confirm_totp(uow, caller, code=totp.code_at(secret, clock.now())).recovery_codes
    clock.advance(seconds=31)  # the next code is a new one: a code is never accepted twice
    return secret, codes


def set_policy(services: Any, org_id: str, **sections: Any) -> None:
    """Write an organisation's security policy straight to the store (setting the scene, not the flow)."""
    from caregate.identity.policy import SecurityPolicy

    with services.unit() as uow:
        org = repo.get_org(uow.session, org_id=org_id, lock=True)
        assert org is not None
        current = (org.settings or {}).get("security") or SecurityPolicy().model_dump(mode="json")
        merged = {**current, **{k: ({**current[k], **v} if isinstance(v, dict) and k in current
                                    and k not in ("role_ip_allowlists",) else v) for k, v in sections.items()}}
        org.settings = {**(org.settings or {}), "security": SecurityPolicy.model_validate(merged).model_dump(
            mode="json")}


def lock_out(services: Any, email: str, times: int = 5) -> None:
    for _ in range(times):
        try:
            with services.unit() as uow:
                auth.login(uow, email=email, password="not the password at all")
        except Unauthenticated:
            pass


def audit_count(services: Any) -> int:
    with services.unit(write=False) as uow:
        return int(uow.session.scalar(select(func.count()).select_from(AuditEvent)))


def latest_email(services: Any, to: str, pattern: str) -> str:
    with services.unit(write=False) as uow:
        messages = repo.outbox(uow.session, to_address=to)
        assert messages, f"no email to {to}"
        body = messages[0].body
    match = re.search(pattern, body)
    assert match, body
    return match.group(0)
