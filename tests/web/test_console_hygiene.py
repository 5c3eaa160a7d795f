"""The console's web hygiene without a browser: cookies, CSRF, origin, headers, escaping, refusals."""

from __future__ import annotations

import re

import pytest

PASSWORD = "correct horse battery staple"  # the `world` fixture's password

CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


def csrf_of(html: str) -> str:
    match = CSRF.search(html)
    assert match, "no CSRF field on the page"
    return match.group(1)


def sign_in(web, email: str, password: str = PASSWORD):  # type: ignore[no-untyped-def]
    token = csrf_of(web.get("/login").text)
    return web.post("/login", data={"email": email, "password": password, "csrf_token": token, "next": "/"})


def member_status(services, org_id: str, member_id: str) -> str:  # type: ignore[no-untyped-def]
    from caregate.store import repo

    with services.unit(write=False) as uow:
        member = repo.get_member(uow.session, org_id=org_id, member_id=member_id)
        assert member is not None
        return member.status


def test_sign_in_sets_a_hardened_cookie_and_lands_on_the_team(web, world):
    org_id, owner = world.org("Harbour")
    r = sign_in(web, owner.email)
    assert r.status_code == 303
    cookie = r.headers["set-cookie"]
    assert "cg_session=cgs_" in cookie and "HttpOnly" in cookie and "SameSite=lax" in cookie
    assert "Secure" not in cookie  # this test server runs on http with cookie_secure=False
    home = web.get("/")
    assert home.status_code == 303 and home.headers["location"] == f"/o/{org_id}/team"
    page = web.get(f"/o/{org_id}/team")
    assert page.status_code == 200 and "Harbour" in page.text


def test_the_cookie_is_secure_unless_told_otherwise(services, world):
    from fastapi.testclient import TestClient

    from caregate.api.app import create_app
    from caregate.service.context import Services

    _, owner = world.org()
    secure = Services(services.db, services.settings.model_copy(update={"cookie_secure": True}),
                      clock=services.clock, passwords=services.passwords)
    with TestClient(create_app(secure), base_url="https://caregate.test", follow_redirects=False) as client:
        r = sign_in(client, owner.email)
    assert r.status_code == 303 and "Secure" in r.headers["set-cookie"]


def test_wrong_password_and_unknown_email_read_the_same(web, world):
    _, owner = world.org()
    wrong, unknown = sign_in(web, owner.email, "not the password"), sign_in(web, "nobody@example.org")
    assert wrong.status_code == unknown.status_code == 401
    assert "cg_session" not in wrong.headers.get("set-cookie", "")
    assert "the email or password is not right" in wrong.text and "the email or password is not right" in unknown.text


def test_pages_need_a_session_and_return_there_after_sign_in(web, world):
    org_id, owner = world.org()
    r = web.get(f"/o/{org_id}/roles")
    assert r.status_code == 303 and r.headers["location"] == f"/login?next=%2Fo%2F{org_id}%2Froles"
    token = csrf_of(web.get(r.headers["location"]).text)
    r = web.post("/login", data={"email": owner.email, "password": PASSWORD, "csrf_token": token,
                                 "next": f"/o/{org_id}/roles"})
    assert r.headers["location"] == f"/o/{org_id}/roles"


@pytest.mark.parametrize("target", ["https://evil.example/", "//evil.example", "/\\evil.example", "javascript:x"])
def test_no_open_redirect_after_sign_in(web, world, target):
    _, owner = world.org()
    token = csrf_of(web.get("/login").text)
    r = web.post("/login", data={"email": owner.email, "password": PASSWORD, "csrf_token": token, "next": target})
    assert r.status_code == 303 and r.headers["location"] == "/"


def test_security_headers_on_console_pages(web, world):
    org_id, owner = world.org()
    sign_in(web, owner.email)
    for path in ["/login", f"/o/{org_id}/team", f"/o/{org_id}/settings"]:
        r = web.get(path)
        csp = r.headers["content-security-policy"]
        assert "script-src 'self'" in csp and "style-src 'self'" in csp and "frame-ancestors 'none'" in csp
        assert "unsafe-inline" not in csp and "unsafe-eval" not in csp
        assert r.headers["cache-control"] == "no-store"
        assert r.headers["x-frame-options"] == "DENY" and r.headers["x-content-type-options"] == "nosniff"
    assert "<script>" not in web.get(f"/o/{org_id}/team").text  # no inline script at all


def test_the_api_and_its_docs_stay_where_they_were(web, world):
    assert web.get("/docs").status_code == 200
    assert web.get("/openapi.json").status_code == 200
    r = web.get("/v1/nowhere")
    assert r.status_code == 404 and r.headers["content-type"] == "application/problem+json"
    assert "/o/{org_id}/team" not in web.get("/openapi.json").text  # console pages are not API


@pytest.mark.parametrize("how", ["missing", "wrong", "another session's", "cross-site origin"])
def test_changes_without_the_right_csrf_token_are_refused_and_change_nothing(web, world, services, how):
    org_id, owner = world.org()
    member = world.member(org_id)
    other = world.member(org_id, roles=("administrator",))
    sign_in(web, owner.email)
    good = csrf_of(web.get(f"/o/{org_id}/team").text)
    data = {"missing": {}, "wrong": {"csrf_token": "x" * 43}, "cross-site origin": {"csrf_token": good},
            "another session's": {"csrf_token": _csrf_of_other_session(services, other.token)}}[how]
    headers = {"origin": "https://evil.example"} if how == "cross-site origin" else {}
    r = web.post(f"/o/{org_id}/team/{member.member_id}/status/disable", data=data, headers=headers)
    assert r.status_code == 403 and "Request refused" in r.text
    assert member_status(services, org_id, member.member_id) == "active"


def _csrf_of_other_session(services, token: str) -> str:  # type: ignore[no-untyped-def]
    from caregate.web.security import csrf_token

    return csrf_token(token)


def test_the_right_token_in_a_form_or_the_htmx_header_is_accepted(web, world, services):
    org_id, owner = world.org()
    first, second = world.member(org_id), world.member(org_id)
    sign_in(web, owner.email)
    token = csrf_of(web.get(f"/o/{org_id}/team").text)
    r = web.post(f"/o/{org_id}/team/{first.member_id}/status/disable", data={"csrf_token": token})
    assert r.status_code == 303 and member_status(services, org_id, first.member_id) == "disabled"
    r = web.post(f"/o/{org_id}/team/{second.member_id}/status/disable",
                 headers={"x-csrf-token": token, "hx-request": "true"})
    assert r.status_code == 200 and r.headers["hx-redirect"] == f"/o/{org_id}/team"
    assert member_status(services, org_id, second.member_id) == "disabled"


def test_sign_out_ends_the_login_session_on_the_server(web, world):
    org_id, owner = world.org()
    sign_in(web, owner.email)
    stolen = web.cookies.get("cg_session")
    token = csrf_of(web.get(f"/o/{org_id}/team").text)
    r = web.post("/logout", data={"csrf_token": token})
    assert r.status_code == 303 and r.headers["location"] == "/login"
    web.cookies.set("cg_session", stolen)  # the token itself no longer works, not just the cookie
    assert web.get(f"/o/{org_id}/team").status_code == 303


def test_names_are_escaped(web, world, services):
    from caregate.store import repo

    org_id, owner = world.org("<b>Clinic</b>")
    member = world.member(org_id)
    with services.unit() as uow:
        user = repo.get_user(uow.session, user_id=member.user_id)
        assert user is not None
        user.name = '<script>alert("x")</script><img src=x onerror=alert(1)>'
    sign_in(web, owner.email)
    page = web.get(f"/o/{org_id}/team").text
    assert "<script>alert" not in page and "<img src=x" not in page and "<b>Clinic</b>" not in page
    assert "&lt;script&gt;alert" in page and "&lt;b&gt;Clinic&lt;/b&gt;" in page


def test_what_a_member_may_not_do_is_not_offered_and_is_refused_anyway(web, world, services):
    org_id, _ = world.org()
    clinician = world.member(org_id)
    colleague = world.member(org_id)
    sign_in(web, clinician.email)
    page = web.get(f"/o/{org_id}/team").text
    assert colleague.email in page
    for absent in ("Add team member", "Actions", f"/team/{colleague.member_id}/edit", f"/o/{org_id}/settings",
                   f"/o/{org_id}/roles", f"/o/{org_id}/seats"):
        assert absent not in page
    token = csrf_of(page)
    r = web.post(f"/o/{org_id}/team/{colleague.member_id}/status/disable", data={"csrf_token": token})
    assert r.status_code == 403 and "Not allowed" in r.text
    assert member_status(services, org_id, colleague.member_id) == "active"
    assert web.get(f"/o/{org_id}/settings").status_code == 403


def test_another_organisation_is_not_found(web, world):
    _, owner = world.org("A")
    org_b, _ = world.org("B")
    sign_in(web, owner.email)
    for path in ["/team", "/roles", "/settings", "/seats"]:
        assert web.get(f"/o/{org_b}{path}").status_code == 404


def test_an_invalid_invitation_link_says_what_to_do(web):
    page = web.get("/accept?token=cgi_not-a-real-token-at-all-000000")
    token = csrf_of(page.text)
    r = web.post("/accept", data={"token": "cgi_not-a-real-token-at-all-000000", "password": "a long password 123",
                                  "csrf_token": token})
    assert r.status_code == 422 and "invalid, already used or expired" in r.text


def test_unknown_console_input_is_a_page_not_a_stack_trace(web, world):
    org_id, owner = world.org()
    sign_in(web, owner.email)
    r = web.get(f"/o/{org_id}/team", params={"status": "zombie"})
    assert r.status_code == 422 and "text/html" in r.headers["content-type"] and "Please check" in r.text
    assert web.get(f"/o/{org_id}/team/mem_nothere/edit").status_code == 404


def test_a_charge_is_never_made_without_the_quoted_amount(web, world, services):
    from caregate.store import repo

    org_id, owner = world.org()
    with services.unit() as uow:
        org = repo.get_org(uow.session, org_id=org_id)
        assert org is not None
        org.seats_purchased = 1
    sign_in(web, owner.email)
    token = csrf_of(web.get(f"/o/{org_id}/team/new").text)
    form = {"csrf_token": token, "email": "new@example.org", "role": "clinician", "step": "send"}
    for confirm in ("", "1"):  # none, or not the quoted amount: the quote is shown again, nobody is invited
        r = web.post(f"/o/{org_id}/team/new", data={**form, "confirm_charge_cents": confirm})
        assert r.status_code == 200 and "and send invitation" in r.text and 'id="seat-quote"' in r.text
        with services.unit(write=False) as uow:
            assert repo.user_by_email(uow.session, email="new@example.org") is None
    quoted = re.search(r'name="confirm_charge_cents" value="(\d+)"', r.text)
    assert quoted and int(quoted.group(1)) > 0
    r = web.post(f"/o/{org_id}/team/new", data={**form, "confirm_charge_cents": quoted.group(1)})
    assert r.status_code == 303
    with services.unit(write=False) as uow:
        assert repo.user_by_email(uow.session, email="new@example.org") is not None
