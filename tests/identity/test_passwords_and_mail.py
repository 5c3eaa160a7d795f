"""Passwords: policy, history, expiry, change, forgot and reset links, admin resets, and email delivered
through the outbox to a real SMTP server on loopback (aiosmtpd)."""

from __future__ import annotations

import email
import email.policy
import re
import socket

import pytest
from aiosmtpd.controller import Controller
from identity_helpers import bearer, login, set_policy

from caregate.service import mail
from support import PASSWORD


def test_policy_lists_every_unmet_rule_on_change(client, world):
    org_id, owner = world.org()
    set_policy(client, org_id, owner.headers, password={"min_length": 14, "require_digit": True,
                                                         "require_symbol": True, "require_upper": True})
    clin = world.member(org_id, roles=("clinician",))
    r = client.post("/v1/auth/password", json={"current_password": PASSWORD, "new_password": "weakpass"},
                    headers=clin.headers)
    assert r.status_code == 422
    assert r.json()["problems"] == ["use at least 14 characters", "include an upper-case letter", "include a digit",
                                    "include a symbol such as ! @ # $"]


def test_change_needs_the_old_password_ends_other_sessions_and_keeps_history(client, world):
    org_id, owner = world.org()
    set_policy(client, org_id, owner.headers, password={"history": 2})
    clin = world.member(org_id, roles=("clinician",))
    other = bearer(login(client, clin.email).json()["token"])
    wrong = client.post("/v1/auth/password", headers=clin.headers,
                        json={"current_password": "not it at all", "new_password": "N3w pass!phrase"})
    assert wrong.status_code == 401
    r = client.post("/v1/auth/password", json={"current_password": PASSWORD, "new_password": "New passphrase 1"},
                    headers=clin.headers)
    assert r.status_code == 200
    fresh = bearer(r.json()["token"])
    assert client.get("/v1/me", headers=other).status_code == 401
    assert client.get("/v1/me", headers=clin.headers).status_code == 401
    assert client.get("/v1/me", headers=fresh).status_code == 200
    r = client.post("/v1/auth/password", json={"current_password": "New passphrase 1", "new_password": PASSWORD},
                    headers=fresh)
    assert r.status_code == 422 and "not used" in r.json()["detail"]  # the original is still within history
    assert login(client, clin.email, "New passphrase 1").status_code == 200


def test_expired_password_must_be_changed_at_next_login(client, world, clock):
    org_id, owner = world.org()
    set_policy(client, org_id, owner.headers, password={"max_age_days": 90})
    clin = world.member(org_id, roles=("clinician",))
    clock.advance(days=91)
    r = login(client, clin.email)
    assert r.json()["status"] == "password_change_required"
    pending = bearer(r.json()["token"])
    blocked = client.get("/v1/me", headers=pending)
    assert blocked.status_code == 401 and blocked.json()["step"] == "password_change_required"
    r = client.post("/v1/auth/password", json={"current_password": PASSWORD, "new_password": "Spring passphrase"},
                    headers=pending)
    assert r.status_code == 200 and r.json()["status"] == "active"
    assert client.get("/v1/me", headers=bearer(r.json()["token"])).status_code == 200


def test_hash_is_upgraded_when_parameters_change(client, world, services):
    from caregate.identity.passwords import Passwords
    from caregate.store import repo

    org_id, _ = world.org()
    clin = world.member(org_id, roles=("clinician",))
    with services.unit() as uow:
        before = repo.user_by_email(uow.session, email=clin.email).password_hash
    services.passwords = Passwords(time_cost=2, memory_cost=2048, parallelism=1)
    assert login(client, clin.email).status_code == 200
    with services.unit() as uow:
        after = repo.user_by_email(uow.session, email=clin.email).password_hash
    assert before != after and "t=2" in after and "m=2048" in after
    assert login(client, clin.email).status_code == 200


def _reset_token(services, email):
    from caregate.store import repo

    with services.unit() as uow:
        body = repo.outbox(uow.session, to_address=email)[0].body
    return re.search(r"token=(cgr_[A-Za-z0-9_-]+)", body).group(1)


def test_forgot_password_link_is_single_use_expires_and_unlocks(client, world, services, clock):
    org_id, owner = world.org()
    set_policy(client, org_id, owner.headers, lockout={"max_failures": 2, "lock_minutes": 0})
    clin = world.member(org_id, roles=("clinician",))
    for _ in range(2):
        login(client, clin.email, "wrong password here")
    known = client.post("/v1/auth/password/forgot", json={"email": clin.email})
    unknown = client.post("/v1/auth/password/forgot", json={"email": "nobody@example.org"})
    assert known.status_code == unknown.status_code == 202 and known.json() == unknown.json()
    token = _reset_token(services, clin.email)
    assert client.post("/v1/auth/password/reset", json={"token": token, "new_password": "short"}).status_code == 422
    assert client.post("/v1/auth/password/reset", json={"token": token, "new_password": "Reset passphrase 9"}
                       ).status_code == 204
    assert client.post("/v1/auth/password/reset", json={"token": token, "new_password": "Another passphrase"}
                       ).status_code == 422
    assert login(client, clin.email, "Reset passphrase 9").status_code == 200  # and no longer locked
    client.post("/v1/auth/password/forgot", json={"email": clin.email})
    late = _reset_token(services, clin.email)
    clock.advance(minutes=services.settings.reset_ttl_minutes + 1)
    r = client.post("/v1/auth/password/reset", json={"token": late, "new_password": "Late passphrase 1"})
    assert r.status_code == 422 and "expired" in r.json()["detail"]


def test_administrator_sends_a_reset_link(client, world, services):
    org_id, _ = world.org()
    admin = world.member(org_id, roles=("administrator",))
    clin = world.member(org_id, roles=("clinician",))
    colleague = world.member(org_id, roles=("clinician",))
    assert client.post(f"/v1/orgs/{org_id}/members/{clin.member_id}/password-reset",
                       headers=colleague.headers).status_code == 403
    assert client.post(f"/v1/orgs/{org_id}/members/{clin.member_id}/password-reset",
                       headers=admin.headers).status_code == 202
    assert _reset_token(services, clin.email).startswith("cgr_")


@pytest.mark.parametrize("token", ["", "cgr_", "cgr_" + "a" * 300, "cgi_" + "a" * 43, "cgr_!!!!!!!!!!!!!!!!!!!!!!!!"])
def test_malformed_reset_tokens(client, token):
    r = client.post("/v1/auth/password/reset", json={"token": token, "new_password": "Reset passphrase 9"})
    assert r.status_code == 422
    assert r.headers["content-type"] == "application/problem+json"


class Inbox:
    def __init__(self):
        self.messages = []

    async def handle_DATA(self, server, session, envelope):
        message = email.message_from_bytes(envelope.content, policy=email.policy.default)
        text = f"Subject: {message['subject']}\n\n{message.get_content()}"
        self.messages.append((envelope.mail_from, list(envelope.rcpt_tos), text))
        return "250 OK"


@pytest.fixture
def smtp_server():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    inbox = Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    yield inbox, port
    controller.stop()


def test_outbox_delivers_through_smtp_and_forgets_the_body(client, world, services, smtp_server):
    inbox, port = smtp_server
    services.settings.smtp_url = f"smtp://127.0.0.1:{port}"
    org_id, owner = world.org()
    client.post(f"/v1/orgs/{org_id}/members", json={"email": "new.nurse@example.org", "roles": ["assistant"]},
                headers=owner.headers)
    client.post("/v1/auth/password/forgot", json={"email": owner.email})
    assert mail.deliver_pending(services) == 2
    recipients = sorted(rcpt[0] for _, rcpt, _ in inbox.messages)
    assert recipients == sorted(["new.nurse@example.org", owner.email])
    invitation = next(body for _, rcpt, body in inbox.messages if rcpt == ["new.nurse@example.org"])
    assert "token=cgi_" in invitation and "Subject: Your invitation to Clinic" in invitation
    from caregate.store import repo

    with services.unit() as uow:
        sent = repo.outbox(uow.session)
    assert all(m.sent_at is not None and "cgi_" not in m.body and "cgr_" not in m.body for m in sent)
    assert mail.deliver_pending(services) == 0  # nothing twice


def test_outbox_keeps_a_message_when_smtp_is_down(client, world, services):
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]  # nothing listens here
    services.settings.smtp_url = f"smtp://127.0.0.1:{port}"
    _, owner = world.org()
    client.post("/v1/auth/password/forgot", json={"email": owner.email})
    assert mail.deliver_pending(services) == 0
    from caregate.store import repo

    with services.unit() as uow:
        (message,) = repo.outbox(uow.session)
        assert message.sent_at is None and message.attempts == 1 and "Connection" in (message.last_error or "")


def test_the_server_delivers_the_outbox_in_the_background(services, world, smtp_server):
    import time

    from fastapi.testclient import TestClient

    from caregate.api.app import create_app

    inbox, port = smtp_server
    services.settings.smtp_url = f"smtp://127.0.0.1:{port}"
    _, owner = world.org()
    with TestClient(create_app(services)) as running:  # the lifespan starts the worker
        running.post("/v1/auth/password/forgot", json={"email": owner.email})
        deadline = time.time() + 15
        while not inbox.messages and time.time() < deadline:
            time.sleep(0.2)
    assert [rcpt for _, rcpt, _ in inbox.messages] == [[owner.email]]
