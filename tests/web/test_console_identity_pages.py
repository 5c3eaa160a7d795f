"""The identity pages in-process (no browser): unlock and reset links on the team page, the security
policy with its refusals, My account, API keys, re-authentication carrying the form; CSRF on each new
form; what a member may not do is neither offered nor done."""

from __future__ import annotations

import dataclasses
import re

import pytest
from web_helpers import NEW_PASSWORD, PASSWORD, audit_count, csrf_of, latest_email, lock_out, sign_in

from caregate.service import security
from caregate.store import repo


def policy(services, org_id: str):  # type: ignore[no-untyped-def]
    with services.unit(write=False) as uow:
        org = repo.get_org(uow.session, org_id=org_id)
        assert org is not None
        return security.org_policy(org)


def roles_of(services, org_id: str, member_id: str) -> list[str]:  # type: ignore[no-untyped-def]
    with services.unit(write=False) as uow:
        return sorted(r.role_key for r in repo.roles_of(uow.session, member_ids=[member_id])[member_id])


def test_a_locked_member_shows_as_locked_and_is_unlocked_from_the_team_page(web, world, services):
    org_id, owner = world.org()
    clara = world.member(org_id, "clara@example.org")
    lock_out(services, clara.email)
    sign_in(web, owner.email)
    page = web.get(f"/o/{org_id}/team").text
    assert f'id="locked-{clara.member_id}"' in page and f"/team/{clara.member_id}/unlock" in page
    assert f"/team/{owner.member_id}/unlock" not in page  # only where relevant
    from fastapi.testclient import TestClient

    with TestClient(web.app, base_url=str(web.base_url), follow_redirects=False) as elsewhere:
        assert sign_in(elsewhere, clara.email).status_code == 401
    r = web.post(f"/o/{org_id}/team/{clara.member_id}/unlock", data={"csrf_token": csrf_of(page)})
    assert r.status_code == 303
    assert "is unlocked" in web.get(f"/o/{org_id}/team").text
    assert f'id="locked-{clara.member_id}"' not in web.get(f"/o/{org_id}/team").text


def test_a_reset_link_is_sent_but_the_administrator_never_sees_the_password(web, world, services):
    org_id, owner = world.org()
    clara = world.member(org_id, "clara@example.org")
    sign_in(web, owner.email)
    page = web.get(f"/o/{org_id}/team").text
    r = web.post(f"/o/{org_id}/team/{clara.member_id}/password-reset", data={"csrf_token": csrf_of(page)})
    assert r.status_code == 303
    link = latest_email(services, clara.email, r"/reset\?token=cgr_\S+")
    assert link not in web.get(f"/o/{org_id}/team").text


def test_security_policy_lists_every_problem_and_refuses_to_lock_its_author_out(web, world, services):
    org_id, owner = world.org()
    sign_in(web, owner.email)
    page = web.get(f"/o/{org_id}/settings/security")
    assert page.status_code == 200 and "Require 2FA for Clinician" in page.text
    form = dict(re.findall(r'name="(\w+)" type="number"[^>]*value="(\d*)"', page.text))
    form |= {"csrf_token": csrf_of(page.text), "bind_to_client": "none", "mfa_allow_email": "on"}
    r = web.post(f"/o/{org_id}/settings/security", data={**form, "pw_min_length": "4", "idle_clinician": "0",
                                                         "ip_clinician": "not-a-network"})
    assert r.status_code == 422
    assert "Passwords: minimum length: should be greater than or equal to 8" in r.text
    assert "Idle timeout for Clinician: should be greater than or equal to 1" in r.text
    assert "not-a-network" in r.text and 'value="4"' in r.text  # what was typed stays
    r = web.post(f"/o/{org_id}/settings/security", data={**form, "ip_allowlist": "10.9.0.0/16"})
    assert r.status_code == 422 and 'id="lockout-refusal"' in r.text and "would lock you out" in r.text
    assert policy(services, org_id).ip_allowlist == [] and policy(services, org_id).password.min_length == 12
    r = web.post(f"/o/{org_id}/settings/security", data={**form, "pw_min_length": "14", "mfa_role": "clinician",
                                                         "idle_clinician": "10", "ip_nurse": ""})
    assert r.status_code == 303, r.text
    saved = policy(services, org_id)
    assert saved.password.min_length == 14 and saved.mfa.required_roles == ["clinician"]
    assert saved.sessions.role_idle_minutes == {"clinician": 10} and saved.ip_allowlist == []


def test_reauthentication_carries_the_form_and_the_action_is_sent_again_on_continue(web, world, services, clock):
    org_id, owner = world.org()
    clara = world.member(org_id, "clara@example.org")
    sign_in(web, owner.email)
    clock.advance(minutes=16)  # past the 15-minute window, within the 30-minute idle timeout
    token = csrf_of(web.get(f"/o/{org_id}/team").text)
    r = web.post(f"/o/{org_id}/team/{clara.member_id}/edit",
                 data={"csrf_token": token, "role": ["clinician", "administrator"]})
    assert r.status_code == 401 and "Confirm it is you" in r.text and "change this member" in r.text
    assert 'name="carry:role" value="administrator"' in r.text and "carry:csrf_token" not in r.text
    assert "cg_session" not in r.headers.get("set-cookie", "")  # still signed in
    assert roles_of(services, org_id, clara.member_id) == ["clinician"]
    carried = {"csrf_token": token, "return_to": f"/o/{org_id}/team/{clara.member_id}/edit", "method": "post",
               "carry:role": ["clinician", "administrator"]}
    wrong = web.post(f"/o/{org_id}/reauth", data={**carried, "password": "not it"})
    assert wrong.status_code == 401 and "that password is not right".capitalize() in wrong.text
    assert 'name="carry:role" value="administrator"' in wrong.text
    ok = web.post(f"/o/{org_id}/reauth", data={**carried, "password": PASSWORD})
    assert ok.status_code == 200 and "Continue" in ok.text
    assert 'name="role" value="administrator"' in ok.text
    assert roles_of(services, org_id, clara.member_id) == ["clinician"]  # nothing happens without Continue
    again = web.post(f"/o/{org_id}/team/{clara.member_id}/edit",
                     data={"csrf_token": token, "role": ["clinician", "administrator"]})
    assert again.status_code == 303
    assert roles_of(services, org_id, clara.member_id) == ["administrator", "clinician"]


def test_reauthentication_from_a_dialog_asks_in_the_dialog(web, world, clock):
    org_id, owner = world.org()
    clara = world.member(org_id, "clara@example.org")
    sign_in(web, owner.email)
    clock.advance(minutes=16)
    token = csrf_of(web.get(f"/o/{org_id}/team").text)
    r = web.post(f"/o/{org_id}/team/{clara.member_id}/edit", data={"role": "administrator"},
                 headers={"hx-request": "true", "x-csrf-token": token, "hx-target": "edit-box"})
    assert r.status_code == 401 and r.headers["hx-retarget"] == "#dialog-body"
    assert "<html" not in r.text and 'id="reauth-form"' in r.text


@pytest.mark.parametrize("target", ["https://evil.example/", "//evil.example/o/x", "/o/OTHER/team"])
def test_reauthentication_goes_back_only_inside_the_organisation(web, world, target):
    org_id, owner = world.org()
    sign_in(web, owner.email)
    token = csrf_of(web.get(f"/o/{org_id}/team").text)
    r = web.post(f"/o/{org_id}/reauth", data={"csrf_token": token, "return_to": target, "password": PASSWORD})
    assert r.status_code == 200 and f'action="/o/{org_id}/team"' in r.text and "evil" not in r.text


def test_my_account_changes_the_password_and_ends_other_sessions(web, world, services):
    org_id, owner = world.org()
    other = world.relogin(owner)  # another device
    sign_in(web, owner.email)
    page = web.get(f"/o/{org_id}/account")
    assert page.status_code == 200 and "This device" in page.text and page.text.count('class="button small"') >= 2
    token = csrf_of(page.text)
    r = web.post(f"/o/{org_id}/account/password", data={"csrf_token": token, "current_password": "nope",
                                                        "new_password": NEW_PASSWORD, "confirm_password": NEW_PASSWORD})
    assert r.status_code == 422 and "The current password is not right." in r.text
    r = web.post(f"/o/{org_id}/account/password", data={"csrf_token": token, "current_password": PASSWORD,
                                                        "new_password": "short", "confirm_password": "short"})
    assert r.status_code == 422 and "use at least 12 characters" in r.text
    r = web.post(f"/o/{org_id}/account/password", data={"csrf_token": token, "current_password": PASSWORD,
                                                        "new_password": NEW_PASSWORD, "confirm_password": NEW_PASSWORD})
    assert r.status_code == 303
    assert "Your password is changed" in web.get(f"/o/{org_id}/account").text  # the flash, under the new session
    from fastapi.testclient import TestClient

    with TestClient(web.app) as api:
        assert api.get("/v1/me", headers=other.headers).status_code == 401


def test_my_account_ends_another_session_and_everywhere(web, world):
    org_id, owner = world.org()
    other = world.relogin(owner)
    sign_in(web, owner.email)
    page = web.get(f"/o/{org_id}/account").text
    ended = re.findall(r'action="/o/\w+/account/sessions/(\w+)/end"', page)
    assert len(ended) == 2  # the world's login and `other`; not this one
    r = web.post(f"/o/{org_id}/account/sessions/{ended[0]}/end", data={"csrf_token": csrf_of(page)})
    assert r.status_code == 303 and "Signed out on" in web.get(f"/o/{org_id}/account").text
    r = web.post(f"/o/{org_id}/account/logout-everywhere", data={"csrf_token": csrf_of(page)})
    assert r.status_code == 303 and r.headers["location"] == "/login?done=everywhere"
    assert web.get(f"/o/{org_id}/team").status_code == 303
    from fastapi.testclient import TestClient

    with TestClient(web.app) as api:
        assert api.get("/v1/me", headers=other.headers).status_code == 401


def test_two_factor_cannot_be_turned_off_when_a_role_requires_it(web, world, services, clock):
    from web_helpers import enrol_totp, set_policy

    org_id, owner = world.org()
    enrol_totp(services, clock, owner.token)
    set_policy(services, org_id, mfa={"required_roles": ["owner"]})
    sign_in(web, owner.email)
    # pass the 2FA step with an emailed code
    token = csrf_of(web.get("/login/step").text)
    web.post("/login/step/email", data={"csrf_token": token, "next": "/"})
    code = latest_email(services, owner.email, r"\b\d{6}\b")
    web.post("/login/step/verify", data={"csrf_token": token, "method": "email", "code": code, "next": "/"})
    page = web.get(f"/o/{org_id}/account")
    assert page.status_code == 200 and "requires two-step verification for your role" in page.text
    assert "Turn off…" not in page.text
    r = web.post(f"/o/{org_id}/account/mfa/disable", data={"csrf_token": csrf_of(page.text)})
    assert r.status_code == 409 and "requires two-factor authentication" in r.text


def test_api_keys_secret_is_shown_once_and_the_key_works(web, world, services):
    from fastapi.testclient import TestClient

    org_id, _ = world.org()
    admin = world.member(org_id, "ada@example.org", roles=("administrator",))
    sign_in(web, admin.email)
    page = web.get(f"/o/{org_id}/api-keys/new")
    offered = re.findall(r'<label for="role-\w+">([^<]+)', page.text)
    assert page.status_code == 200 and "Administrator" in offered and "Owner" not in offered  # at or below mine
    token = csrf_of(page.text)
    r = web.post(f"/o/{org_id}/api-keys/new", data={"csrf_token": token, "name": "Root", "role": "owner"})
    assert r.status_code == 403 and "Not allowed" in r.text
    r = web.post(f"/o/{org_id}/api-keys/new", data={"csrf_token": token, "name": "Scribe sync"})
    assert r.status_code == 422 and "Choose at least one role" in r.text
    r = web.post(f"/o/{org_id}/api-keys/new", data={"csrf_token": token, "name": "Scribe sync", "role": "manager"})
    assert r.status_code == 303
    account = r.headers["location"].rsplit("/", 1)[-1]
    r = web.post(f"/o/{org_id}/api-keys/{account}/keys/new", data={
        "csrf_token": token, "name": "prod", "reach": "some", "rate_limit": "600", "expires": ""})
    assert r.status_code == 422 and "Choose what the key may do" in r.text
    r = web.post(f"/o/{org_id}/api-keys/{account}/keys/new", data={
        "csrf_token": token, "name": "prod", "reach": "some", "scope": ["members:read"], "rate_limit": "600",
        "expires": "2027-01-31"})
    assert r.status_code == 200
    secret = re.search(r'data-value="(cgk_[a-z0-9]{12}_[A-Za-z0-9_-]{43})"', r.text).group(1)  # type: ignore
    listing = web.get(f"/o/{org_id}/api-keys/{account}").text
    assert secret not in listing and secret[:16] in listing and "31 Jan 2027 23:59" in listing
    with TestClient(web.app) as api:
        assert api.get(f"/v1/orgs/{org_id}/members", headers={"Authorization": f"Bearer {secret}"}).status_code == 200
        assert api.get(f"/v1/orgs/{org_id}/roles", headers={"Authorization": f"Bearer {secret}"}).status_code == 403
    listing = web.get(f"/o/{org_id}/api-keys/{account}").text
    key_id = re.search(r'id="key-(key_\w+)"', listing).group(1)  # type: ignore[union-attr]
    assert re.search(rf'id="usage-{key_id}">2<', listing)  # the refused request used the key too
    r = web.post(f"/o/{org_id}/api-keys/{account}/keys/{key_id}/revoke", data={"csrf_token": token})
    assert r.status_code == 303
    with TestClient(web.app) as api:
        assert api.get(f"/v1/orgs/{org_id}/members", headers={"Authorization": f"Bearer {secret}"}).status_code == 401


def _forms(org_id: str, member: str, account: str, key: str, session: str) -> list[str]:
    o = f"/o/{org_id}"
    return [f"{o}/team/{member}/unlock", f"{o}/team/{member}/password-reset", f"{o}/settings/security",
            f"{o}/reauth", f"{o}/account/password", f"{o}/account/mfa/totp", f"{o}/account/mfa/totp/confirm",
            f"{o}/account/mfa/recovery-codes", f"{o}/account/mfa/disable", f"{o}/account/sessions/{session}/end",
            f"{o}/account/logout-everywhere", f"{o}/api-keys/new", f"{o}/api-keys/{account}/keys/new",
            f"{o}/api-keys/{account}/keys/{key}/rotate", f"{o}/api-keys/{account}/keys/{key}/revoke"]


@pytest.fixture
def scene(web, world, services):  # type: ignore[no-untyped-def]
    """An owner signed in, a locked clinician, another session of the owner, a service account with a key."""
    from caregate.service import accounts
    from caregate.service.actors import actor_for_user
    from caregate.service.members import RoleGrant

    org_id, owner = world.org()
    clara = world.member(org_id, "clara@example.org")
    lock_out(services, clara.email)
    other = world.relogin(owner)
    with services.unit() as uow:
        user = repo.get_user(uow.session, user_id=owner.user_id)
        actor = actor_for_user(uow, user, org_id)
        actor = dataclasses.replace(actor, authenticated_at=uow.now)  # as if just signed in
        made = accounts.create_account(uow, actor, name="Sync", grants=[RoleGrant(role="manager")])
        key = accounts.create_key(uow, actor, member_id=made.id, name="k", scopes=["*:*"], expires_at=None,
                                  rate_limit_per_minute=60)
        session = next(t.id for t in repo_sessions(uow, owner.user_id) if t.id != _token_id(uow, other.token))
    return {"org_id": org_id, "owner": owner, "clara": clara, "account": made.id, "key": key.id,
            "session": session}


def repo_sessions(uow, user_id):  # type: ignore[no-untyped-def]
    from caregate.store import identity_repo

    return identity_repo.live_sessions(uow.session, user_id=user_id, now=uow.now)


def _token_id(uow, token: str) -> str:  # type: ignore[no-untyped-def]
    from caregate.identity import secrets as tokens

    row = repo.token_by_hash(uow.session, token_hash=tokens.token_hash(token))
    return row.id if row else ""


@pytest.mark.parametrize("index", range(15))
def test_every_new_form_needs_its_csrf_token(web, services, scene, index):
    sign_in(web, scene["owner"].email)
    path = _forms(scene["org_id"], scene["clara"].member_id, scene["account"], scene["key"], scene["session"])[index]
    before = audit_count(services)
    data = {"password": PASSWORD, "current_password": PASSWORD, "new_password": NEW_PASSWORD,
            "confirm_password": NEW_PASSWORD, "name": "x", "role": "manager", "scope": "*:*", "rate_limit": "5",
            "grace_hours": "0", "pw_min_length": "20", "code": "123456"}
    for how in ({}, {"csrf_token": "x" * 43}):
        r = web.post(path, data={**data, **how})
        assert r.status_code == 403 and "Request refused" in r.text, path
    assert audit_count(services) == before


def test_what_a_clinician_may_not_do_is_not_offered_and_is_refused(web, services, scene):
    org_id, clara = scene["org_id"], scene["clara"]
    from caregate.service import security as sec
    from caregate.service.actors import actor_for_user

    with services.unit() as uow:  # unlock clara so she can sign in; lock the owner instead
        user = repo.get_user(uow.session, user_id=scene["owner"].user_id)
        sec.unlock(uow, actor_for_user(uow, user, org_id), member_id=clara.member_id)
    lock_out(services, scene["owner"].email)
    sign_in(web, clara.email)
    page = web.get(f"/o/{org_id}/team").text
    for absent in ("API keys", "/unlock", "/password-reset", "Locked", "/settings/security"):
        assert absent not in page, absent
    assert "My account" in page  # everyone has their own account page
    token = csrf_of(page)
    owner = scene["owner"].member_id
    before, allowed = audit_count(services), allowed_count(services)
    refused = [web.post(f"/o/{org_id}/team/{owner}/unlock", data={"csrf_token": token}),
               web.post(f"/o/{org_id}/team/{owner}/password-reset", data={"csrf_token": token}),
               web.post(f"/o/{org_id}/settings/security", data={"csrf_token": token, "pw_min_length": "8"}),
               web.post(f"/o/{org_id}/api-keys/new", data={"csrf_token": token, "name": "x", "role": "clinician"}),
               web.post(f"/o/{org_id}/api-keys/{scene['account']}/keys/{scene['key']}/revoke",
                        data={"csrf_token": token})]
    pages = [web.get(f"/o/{org_id}/api-keys"), web.get(f"/o/{org_id}/settings/security"),
             web.get(f"/o/{org_id}/api-keys/{scene['account']}")]
    for r in [*refused, *pages]:
        assert r.status_code == 403 and "Not allowed" in r.text, r.url
    assert allowed_count(services) == allowed  # nothing was done
    assert audit_count(services) - before == len(refused) + 3  # and each refusal is on the record


def allowed_count(services) -> int:  # type: ignore[no-untyped-def]
    from sqlalchemy import func, select

    from caregate.store.audit import AuditEvent

    with services.unit(write=False) as uow:
        return int(uow.session.scalar(select(func.count()).select_from(AuditEvent).where(
            AuditEvent.outcome == "allowed")))


def test_reauthentication_by_authenticator_code_then_new_recovery_codes(web, world, services, clock):
    from web_helpers import enrol_totp

    from caregate.identity import totp

    org_id, owner = world.org()
    secret, old_codes = enrol_totp(services, clock, owner.token)
    sign_in(web, owner.email)
    token = csrf_of(web.get("/login/step").text)
    web.post("/login/step/verify", data={"csrf_token": token, "method": "totp", "next": "/",
                                         "code": totp.code_at(secret, clock.now())})
    page = web.get(f"/o/{org_id}/account")
    assert "On, with an authenticator app" in page.text and ">10</strong> of 10" in page.text
    clock.advance(minutes=16)
    token = csrf_of(page.text)
    r = web.post(f"/o/{org_id}/account/mfa/recovery-codes", data={"csrf_token": token})
    assert r.status_code == 401 and "Or a code from your authenticator app" in r.text
    assert "make new recovery codes" in r.text
    ok = web.post(f"/o/{org_id}/reauth", data={"csrf_token": token, "method": "post",
                                               "return_to": f"/o/{org_id}/account/mfa/recovery-codes",
                                               "code": totp.code_at(secret, clock.now())})
    assert ok.status_code == 200 and f'action="/o/{org_id}/account/mfa/recovery-codes"' in ok.text
    r = web.post(f"/o/{org_id}/account/mfa/recovery-codes", data={"csrf_token": token})
    codes = re.findall(r"<li><code>([a-z0-9]{5}-[a-z0-9]{5})</code></li>", r.text)
    assert r.status_code == 200 and len(codes) == 10 and not set(codes) & set(old_codes)
