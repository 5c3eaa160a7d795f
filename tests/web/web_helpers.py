"""Helpers for the console's tests (a module, so test files can import it; conftest files cannot be imported)."""

from __future__ import annotations

import re
from dataclasses import dataclass
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


def error_box(html: str) -> str:
    """The text of a page's first problems box (`problems_box`)."""
    return html.split('class="alert alert-error"')[1].split("</div>", maxsplit=1)[0]


def assert_csrf_refused(web: Any, services: Any, url: str, data: dict[str, Any], good: str) -> None:
    """A form posted without its CSRF token, with a wrong one, or from another site is refused, unrecorded."""
    before = audit_count(services)
    for token in ({}, {"csrf_token": "x" * 43}):
        r = web.post(url, data={**data, **token})
        assert r.status_code == 403 and "Request refused" in r.text
    r = web.post(url, data={**data, "csrf_token": good}, headers={"origin": "https://evil.example"})
    assert r.status_code == 403 and "Request refused" in r.text
    assert audit_count(services) == before


@dataclass
class Clinic:
    """A patient out of reach: Carol (team A) treats them and owns their session; Colin (team B) cannot read
    them; Ada administers; Fiona is Front Desk on team B; and the Owner."""

    org_id: str
    owner: Any
    admin: Any
    carol: Any
    colin: Any
    fiona: Any
    patient: str
    session: str


def clinic(world: Any) -> Clinic:
    org_id, owner = world.org("Harbour Health")
    team_a, team_b = world.team(org_id, "Team A"), world.team(org_id, "Team B")
    admin = world.member(org_id, "ada@example.org", roles=("administrator",))
    carol = world.member(org_id, "carol@example.org", teams=(team_a,))
    colin = world.member(org_id, "colin@example.org", teams=(team_b,))
    fiona = world.member(org_id, "fiona@example.org", roles=("front_desk",), teams=(team_b,))
    patient = world.patient(org_id, care_team=(carol.member_id,), team=team_a)
    session = world.session(org_id, carol.member_id, team=team_a, patient=patient)
    return Clinic(org_id, owner, admin, carol, colin, fiona, patient, session)
