"""Two-factor authentication: TOTP enrolment with a QR code, the 2FA step at login, no reuse of a code,
recovery codes used once, email codes, and 2FA required for chosen roles."""

from __future__ import annotations

import re
from datetime import timedelta

from identity_helpers import bearer, login, set_policy

from caregate.identity import totp


def enrol(client, clock, headers):
    start = client.post("/v1/auth/mfa/totp", headers=headers)
    assert start.status_code == 200, start.text
    body = start.json()
    assert body["otpauth_uri"].startswith("otpauth://totp/caregate:") and body["qr_svg"].startswith("<svg")
    secret = body["secret"]
    confirm = client.post("/v1/auth/mfa/totp/confirm", json={"code": totp.code_at(secret, clock.now())},
                          headers=headers)
    assert confirm.status_code == 200, confirm.text
    return secret, confirm.json()["recovery_codes"]


def test_enrol_then_every_login_needs_the_second_factor(client, world, clock, services):
    org_id, _ = world.org()
    clin = world.member(org_id, roles=("clinician",))
    secret, recovery = enrol(client, clock, clin.headers)
    assert len(recovery) == 10
    # the seed is stored encrypted, not in clear
    from caregate.store.identity import UserSecurity

    with services.unit() as uow:
        stored = uow.session.get(UserSecurity, clin.user_id).totp_secret
    assert secret not in stored
    clock.advance(seconds=40)
    r = login(client, clin.email)
    assert r.status_code == 200 and r.json()["status"] == "mfa_required" and "totp" in r.json()["methods"]
    pending = bearer(r.json()["token"])
    blocked = client.get(f"/v1/orgs/{org_id}/members", headers=pending)
    assert blocked.status_code == 401 and blocked.json()["step"] == "mfa_required"
    assert blocked.json()["type"] == "urn:caregate:problem:mfa-required"
    code = totp.code_at(secret, clock.now())
    ok = client.post("/v1/auth/mfa/verify", json={"code": code}, headers=pending)
    assert ok.status_code == 200 and ok.json()["status"] == "active"
    assert client.get(f"/v1/orgs/{org_id}/members", headers=pending).status_code == 200
    # the same code never works twice, even in another login
    again = bearer(login(client, clin.email).json()["token"])
    reused = client.post("/v1/auth/mfa/verify", json={"code": code}, headers=again)
    assert reused.status_code == 401


def test_window_is_one_step_either_side(client, world, clock):
    org_id, _ = world.org()
    clin = world.member(org_id, roles=("clinician",))
    secret, _ = enrol(client, clock, clin.headers)
    clock.advance(minutes=5)
    for offset, ok in ((-70, False), (-30, True), (31, True)):
        pending = bearer(login(client, clin.email).json()["token"])
        code = totp.code_at(secret, clock.now() + timedelta(seconds=offset))
        r = client.post("/v1/auth/mfa/verify", json={"code": code}, headers=pending)
        assert (r.status_code == 200) is ok, (offset, r.text)
        clock.advance(minutes=2)


def test_recovery_codes_work_once(client, world, clock):
    org_id, _ = world.org()
    clin = world.member(org_id, roles=("clinician",))
    _, recovery = enrol(client, clock, clin.headers)
    first = bearer(login(client, clin.email).json()["token"])
    r = client.post("/v1/auth/mfa/verify", json={"method": "recovery_code", "recovery_code": recovery[0]},
                    headers=first)
    assert r.status_code == 200 and r.json()["status"] == "active"
    second = bearer(login(client, clin.email).json()["token"])
    r = client.post("/v1/auth/mfa/verify", json={"method": "recovery_code", "recovery_code": recovery[0]},
                    headers=second)
    assert r.status_code == 401
    r = client.post("/v1/auth/mfa/verify", json={"method": "recovery_code", "recovery_code": recovery[1].upper()},
                    headers=second)
    assert r.status_code == 200


def test_email_codes_as_a_second_method(client, world, clock, services):
    org_id, _ = world.org()
    clin = world.member(org_id, roles=("clinician",))
    enrol(client, clock, clin.headers)
    pending = bearer(login(client, clin.email).json()["token"])
    assert client.post("/v1/auth/mfa/email", headers=pending).status_code == 202
    from caregate.store import repo

    with services.unit() as uow:
        body = repo.outbox(uow.session, to_address=clin.email)[0].body
    code = re.search(r"code is (\d{6})", body).group(1)
    wrong = client.post("/v1/auth/mfa/verify", json={"method": "email", "code": f"{(int(code) + 1) % 10**6:06d}"},
                        headers=pending)
    assert wrong.status_code == 401
    ok = client.post("/v1/auth/mfa/verify", json={"method": "email", "code": code}, headers=pending)
    assert ok.status_code == 200 and ok.json()["status"] == "active"
    # used up
    pending2 = bearer(login(client, clin.email).json()["token"])
    assert client.post("/v1/auth/mfa/verify", json={"method": "email", "code": code},
                       headers=pending2).status_code == 401
    # expired after ten minutes
    client.post("/v1/auth/mfa/email", headers=pending2)
    with services.unit() as uow:
        code2 = re.search(r"code is (\d{6})", repo.outbox(uow.session, to_address=clin.email)[0].body).group(1)
    clock.advance(minutes=11)
    pending3_token = login(client, clin.email).json()["token"]
    assert client.post("/v1/auth/mfa/verify", json={"method": "email", "code": code2},
                       headers=bearer(pending3_token)).status_code == 401


def test_organisation_requires_2fa_for_chosen_roles(client, world, clock):
    org_id, owner = world.org()
    set_policy(client, org_id, owner.headers, mfa={"required_roles": ["administrator"]})
    admin = world.member(org_id, roles=("administrator",))
    clin = world.member(org_id, roles=("clinician",))
    assert login(client, clin.email).json()["status"] == "active"
    r = login(client, admin.email)
    assert r.json()["status"] == "mfa_enrolment_required"
    pending = bearer(r.json()["token"])
    blocked = client.get(f"/v1/orgs/{org_id}/roles", headers=pending)
    assert blocked.status_code == 401 and blocked.json()["step"] == "mfa_enrolment_required"
    _, _ = enrol(client, clock, pending)  # enrolment completes the step
    assert client.get(f"/v1/orgs/{org_id}/roles", headers=pending).status_code == 200
    # and 2FA cannot be switched off while the role requires it
    r = client.delete("/v1/auth/mfa", headers=pending)
    assert r.status_code == 409 and "requires two-factor" in r.json()["detail"]


def test_bad_codes_are_clear_4xx(client, world, clock):
    org_id, _ = world.org()
    clin = world.member(org_id, roles=("clinician",))
    enrol(client, clock, clin.headers)
    pending = bearer(login(client, clin.email).json()["token"])
    for body in ({"code": "12ab56"}, {"code": "1234567"}, {"code": "١٢٣٤٥٦"}, {"method": "sms", "code": "123456"},
                 {"method": "recovery_code", "recovery_code": "not-a-code!"}, {"code": "x" * 50}):
        r = client.post("/v1/auth/mfa/verify", json=body, headers=pending)
        assert r.status_code == 422, (body, r.text)
        assert r.headers["content-type"] == "application/problem+json"
    assert client.post("/v1/auth/mfa/totp/confirm", json={"code": "abcdef"}, headers=pending).status_code in (401, 422)


def test_abandoning_a_re_enrolment_keeps_the_working_authenticator(client, world, clock):
    org_id, _ = world.org()
    clin = world.member(org_id, roles=("clinician",))
    secret, _ = enrol(client, clock, clin.headers)
    again = client.post("/v1/auth/mfa/totp", headers=clin.headers)  # a new phone, then never confirmed
    assert again.status_code == 200 and again.json()["secret"] != secret
    clock.advance(minutes=1)
    pending = bearer(login(client, clin.email).json()["token"])
    ok = client.post("/v1/auth/mfa/verify", json={"code": totp.code_at(secret, clock.now())}, headers=pending)
    assert ok.status_code == 200  # the old authenticator still works
    # confirming the new one replaces the old one
    new_secret = again.json()["secret"]
    confirm = client.post("/v1/auth/mfa/totp/confirm", json={"code": totp.code_at(new_secret, clock.now())},
                          headers=pending)
    assert confirm.status_code == 200
    clock.advance(minutes=1)
    pending = bearer(login(client, clin.email).json()["token"])
    assert client.post("/v1/auth/mfa/verify", json={"code": totp.code_at(secret, clock.now())},
                       headers=pending).status_code == 401
    assert client.post("/v1/auth/mfa/verify", json={"code": totp.code_at(new_secret, clock.now())},
                       headers=pending).status_code == 200


def test_changing_2fa_uses_the_organisations_reauth_window(client, world, clock):
    org_id, owner = world.org()
    clin = world.member(org_id, roles=("clinician",))
    client.patch(f"/v1/orgs/{org_id}/security", json={"reauth_minutes": 5, "sessions": {"idle_minutes": 60}},
                 headers=owner.headers)
    headers = bearer(login(client, clin.email).json()["token"])
    enrol(client, clock, headers)
    clock.advance(minutes=6)
    r = client.post("/v1/auth/mfa/recovery-codes", headers=headers)
    assert r.status_code == 401 and r.json()["type"] == "urn:caregate:problem:reauthentication-required"
    client.post("/v1/auth/reauthenticate", json={"password": "correct horse battery staple"}, headers=headers)
    assert client.post("/v1/auth/mfa/recovery-codes", headers=headers).status_code == 200
