"""The sign-in steps in-process (no browser): 2FA by app, email or recovery code, forced enrolment, an
expired password, forgot and reset; StepRequired sends to the step page and never loops to sign-in."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from web_helpers import NEW_PASSWORD, PASSWORD, csrf_of, enrol_totp, latest_email, set_policy, sign_in

from caregate.identity import totp


def _step(web, path: str, **data):  # type: ignore[no-untyped-def]
    token = csrf_of(web.get("/login/step").text)
    return web.post(path, data={"csrf_token": token, **data})


def test_a_login_owing_2fa_is_sent_to_the_step_page_from_any_page(web, world, services, clock):
    org_id, owner = world.org()
    secret, _ = enrol_totp(services, clock, owner.token)
    r = sign_in(web, owner.email, next_=f"/o/{org_id}/roles")
    assert r.status_code == 303 and r.headers["location"] == f"/login/step?next=%2Fo%2F{org_id}%2Froles"
    assert "cg_session=cgs_" in r.headers["set-cookie"]
    for path in (f"/o/{org_id}/team", "/"):  # not back to sign-in, and the cookie stays
        r = web.get(path)
        assert r.status_code == 303 and r.headers["location"].startswith("/login/step")
        assert "cg_session" not in r.headers.get("set-cookie", "")
    page = web.get(f"/login/step?next=/o/{org_id}/roles")
    assert page.status_code == 200 and "Code from your authenticator app" in page.text
    assert "Use a recovery code" in page.text and "Email me a code" in page.text
    r = _step(web, "/login/step/verify", method="totp", code="000000", next=f"/o/{org_id}/roles")
    assert r.status_code == 401 and "that code is not right" in r.text.lower()
    r = _step(web, "/login/step/verify", method="totp", code=totp.code_at(secret, clock.now()),
              next=f"/o/{org_id}/roles")
    assert r.status_code == 303
    assert web.get(r.headers["location"]).headers["location"] == f"/o/{org_id}/roles"
    assert web.get(f"/o/{org_id}/roles").status_code == 200


def test_an_emailed_code_and_a_recovery_code_each_pass_the_step(web, world, services, clock):
    _, owner = world.org()
    _, codes = enrol_totp(services, clock, owner.token)
    sign_in(web, owner.email)
    r = _step(web, "/login/step/email", next="/")
    assert r.status_code == 200 and "We emailed you a code" in r.text and "Code from the email" in r.text
    code = latest_email(services, owner.email, r"\b\d{6}\b")
    r = _step(web, "/login/step/verify", method="email", code=code, next="/")
    assert r.status_code == 303 and web.get("/").headers["location"].endswith("/team")

    web.cookies.clear()
    sign_in(web, owner.email)
    r = _step(web, "/login/step/verify", method="recovery_code", recovery_code=codes[0], next="/")
    assert r.status_code == 303 and web.get("/").headers["location"].endswith("/team")
    web.cookies.clear()
    sign_in(web, owner.email)  # a recovery code works once
    r = _step(web, "/login/step/verify", method="recovery_code", recovery_code=codes[0], next="/")
    assert r.status_code == 401 and 'id="recovery-form"' in r.text


def test_forced_enrolment_shows_the_qr_code_keeps_it_after_a_typo_then_the_codes_once(web, world, services, clock):
    org_id, _ = world.org()
    clara = world.member(org_id, "clara@example.org", roles=("clinician",))
    set_policy(services, org_id, mfa={"required_roles": ["clinician"]})
    r = sign_in(web, clara.email)
    assert r.headers["location"] == "/login/step"
    page = web.get("/login/step")
    assert "Set up two-step verification" in page.text and "Set up my authenticator app" in page.text
    assert web.get(f"/o/{org_id}/team").headers["location"].startswith("/login/step")
    r = _step(web, "/login/step/enrol", next="/")
    assert r.status_code == 200 and "<svg" in r.text and "<script>" not in r.text
    secret = re.search(r'data-value="([A-Z2-7]{32})"', r.text).group(1)  # type: ignore[union-attr]
    token = csrf_of(r.text)
    typo = web.post("/login/step/enrol/confirm", data={"csrf_token": token, "code": "123456", "secret": secret,
                                                        "next": "/"})
    assert typo.status_code == 422 and "does not match" in typo.text and "<svg" in typo.text
    assert secret in typo.text  # the same set-up, so a scanned app still works
    forged = web.post("/login/step/enrol/confirm", data={"csrf_token": token, "code": "123456",
                                                          "secret": "A" * 32, "next": "/"})
    assert "<svg" not in forged.text and "Start again" in forged.text  # shown only to who holds it
    done = web.post("/login/step/enrol/confirm", data={"csrf_token": token, "next": "/", "secret": secret,
                                                       "code": totp.code_at(secret, clock.now())})
    assert done.status_code == 200
    codes = re.findall(r"<li><code>([a-z0-9]{5}-[a-z0-9]{5})</code></li>", done.text)
    assert len(codes) == 10 and "I have saved my recovery codes" in done.text
    r = web.get("/login/step", params={"saved": "yes"})
    assert r.status_code == 303 and r.headers["location"] == "/"
    assert web.get(f"/o/{org_id}/team").status_code == 200


def test_an_expired_password_must_be_changed_first_with_every_problem_listed(web, world, services, clock):
    org_id, _ = world.org()
    clara = world.member(org_id, "clara@example.org")
    set_policy(services, org_id, password={"max_age_days": 30, "require_digit": True, "min_length": 14})
    clock.advance(days=31)
    r = sign_in(web, clara.email)
    assert r.headers["location"] == "/login/step"
    page = web.get("/login/step")
    assert "Your password has expired" in page.text and "at least 14 characters" in page.text
    token = csrf_of(page.text)
    form = {"csrf_token": token, "current_password": PASSWORD, "next": "/"}
    r = web.post("/login/step/password", data={**form, "new_password": "short", "confirm_password": "short"})
    assert r.status_code == 422 and "use at least 14 characters" in r.text and "include a digit" in r.text
    r = web.post("/login/step/password", data={**form, "new_password": NEW_PASSWORD, "confirm_password": "x"})
    assert r.status_code == 422 and "are not the same" in r.text
    r = web.post("/login/step/password", data={**form, "current_password": "wrong", "new_password": NEW_PASSWORD,
                                               "confirm_password": NEW_PASSWORD})
    assert r.status_code == 401 and "The current password is not right" in r.text
    old = web.cookies.get("cg_session")
    r = web.post("/login/step/password", data={**form, "new_password": NEW_PASSWORD, "confirm_password": NEW_PASSWORD})
    assert r.status_code == 303 and web.cookies.get("cg_session") != old
    assert web.get(r.headers["location"]).headers["location"] == "/"
    assert web.get(f"/o/{org_id}/team").status_code == 200


def test_forgot_password_answers_the_same_for_anyone_and_the_link_resets(web, world, services):
    org_id, _ = world.org()
    clara = world.member(org_id, "clara@example.org")
    answers = []
    for email in (clara.email, "nobody@example.org"):
        token = csrf_of(web.get("/forgot").text)
        r = web.post("/forgot", data={"csrf_token": token, "email": email})
        assert r.status_code == 200
        answers.append(r.text.replace(email, "EMAIL"))
    assert answers[0] == answers[1]
    link = latest_email(services, clara.email, r"https?://\S+/reset\?token=\S+")
    path = link.split("127.0.0.1", 1)[-1].split(":", 1)[-1]
    path = path[path.index("/"):]
    page = web.get(path)
    token = csrf_of(page.text)
    reset = re.search(r'name="token" value="([^"]+)"', page.text).group(1)  # type: ignore[union-attr]
    r = web.post("/reset", data={"csrf_token": token, "token": reset, "new_password": "short",
                                 "confirm_password": "short"})
    assert r.status_code == 422 and "use at least 12 characters" in r.text
    r = web.post("/reset", data={"csrf_token": token, "token": reset, "new_password": NEW_PASSWORD,
                                 "confirm_password": NEW_PASSWORD})
    assert r.status_code == 303 and r.headers["location"] == "/login?done=reset"
    assert "Your new password is set" in web.get("/login?done=reset").text
    r = web.post("/reset", data={"csrf_token": token, "token": reset, "new_password": NEW_PASSWORD + "!",
                                 "confirm_password": NEW_PASSWORD + "!"})
    assert r.status_code == 422 and "invalid, already used or expired" in r.text  # a link works once
    assert sign_in(web, clara.email, NEW_PASSWORD).headers["location"] == "/"
    assert clara.email in web.get(f"/o/{org_id}/team").text


@pytest.mark.parametrize("path", ["/login/step/verify", "/login/step/email", "/login/step/enrol",
                                  "/login/step/enrol/confirm", "/login/step/password", "/forgot", "/reset"])
def test_every_step_and_public_form_needs_its_csrf_token(web, world, services, clock, path):
    from web_helpers import audit_count

    _, owner = world.org()
    enrol_totp(services, clock, owner.token)
    sign_in(web, owner.email)
    before = audit_count(services)
    data = {"method": "totp", "code": totp.code_at("A" * 32, clock.now()), "email": owner.email, "next": "/",
            "current_password": PASSWORD, "new_password": NEW_PASSWORD, "confirm_password": NEW_PASSWORD,
            "token": "cgr_x", "secret": "A" * 32}
    r = web.post(path, data=data)
    assert r.status_code == 403 and "Request refused" in r.text
    assert audit_count(services) == before


def test_an_ended_session_on_a_step_page_goes_back_to_sign_in(web, world, services, clock):
    _, owner = world.org()
    enrol_totp(services, clock, owner.token)
    sign_in(web, owner.email)
    clock.advance(timedelta(hours=13))  # past the session's maximum length
    r = web.get("/login/step")
    assert r.status_code == 303 and r.headers["location"] == "/login?next=%2Flogin%2Fstep"
