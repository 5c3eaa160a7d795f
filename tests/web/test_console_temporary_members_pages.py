"""Temporary members and access that lapses, in-process (no browser): the member's page with its end date and
last activity, setting and clearing the date where the engine allows Disable, the invitation's optional
end date, the security policy's inactivity days; refusals in the service's words with nothing written; CSRF
on every new form; a member of another organisation reads as "not found"."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from web_helpers import assert_csrf_refused, csrf_of, error_box, sign_in

from caregate.service.actors import security_of
from caregate.store import repo
from caregate.store.tables import Membership

DAY = "2026-12-31"  # the tests' clock stands at 23 Nov 2026
END = datetime(2026, 12, 31, 23, 59, 59, tzinfo=UTC)


def member(services: Any, org_id: str, member_id: str) -> Membership:
    with services.unit(write=False) as uow:
        found = repo.get_member(uow.session, org_id=org_id, member_id=member_id)
        assert found is not None
        uow.session.expunge(found)
        return found


def until(services: Any, org_id: str, member_id: str) -> datetime | None:
    value = member(services, org_id, member_id).access_until
    return value.replace(tzinfo=UTC) if value is not None and value.tzinfo is None else value


def test_an_administrator_sets_and_clears_a_members_end_date(web: Any, world: Any, services: Any) -> None:
    org_id, _ = world.org("Harbour Health")
    admin = world.member(org_id, "ada@example.org", roles=("administrator",))
    clara = world.member(org_id, "clara@example.org")
    sign_in(web, admin.email)
    team = web.get(f"/o/{org_id}/team").text
    assert f'href="/o/{org_id}/team/{clara.member_id}">clara</a>' in team  # the member's page
    assert f'href="/o/{org_id}/team/{clara.member_id}#access-end">End date of access' in team
    url = f"/o/{org_id}/team/{clara.member_id}"
    page = web.get(url).text
    assert 'id="access-until-form"' in page and 'id="access-state">Permanent' in page
    assert 'min="2026-11-23"' in page and 'id="access-clear-form"' not in page
    assert "Not active since joining" in page
    r = web.post(f"{url}/access-until", data={"csrf_token": csrf_of(page), "until": DAY})
    assert r.status_code == 303 and r.headers["location"] == url
    after = web.get(url).text
    assert "clara is temporary: their access ends on 31 Dec 2026 at 23:59 UTC." in after  # the flash
    assert 'id="access-state">Temporary until <time' in after and "31 Dec 2026" in after
    assert f'value="{DAY}"' in after and 'id="access-clear-form"' in after
    assert until(services, org_id, clara.member_id) == END
    assert f'id="temporary-{clara.member_id}">Temporary until 31 Dec 2026' in web.get(f"/o/{org_id}/team").text
    r = web.post(f"{url}/access-until", data={"csrf_token": csrf_of(page), "clear": "yes"})
    assert r.status_code == 303
    cleared = web.get(url).text
    assert "clara is permanent: their access has no end date." in cleared and 'id="access-state">Permanent' in cleared
    assert until(services, org_id, clara.member_id) is None


def test_the_page_says_when_a_member_was_last_active(web: Any, world: Any, services: Any, clock: Any) -> None:
    org_id, owner = world.org()
    clara = world.member(org_id, "clara@example.org")
    sign_in(web, clara.email)
    assert web.get(f"/o/{org_id}/team").status_code == 200  # a request as a member is activity
    clock.advance(days=3)
    web.cookies.clear()
    sign_in(web, owner.email)
    page = web.get(f"/o/{org_id}/team/{clara.member_id}").text
    assert 'id="last-active">Last active <time' in page and "23 Nov 2026" in page


@pytest.mark.parametrize(("typed", "status", "words"), [
    ({"until": ""}, 422, "Choose the last day of access, or remove the end date"),
    ({"until": "next week"}, 422, "Enter the last day of access as a date"),
    ({"until": "2026-11-22"}, 422, "The access end date must be in the future; to end access now, disable the member"),
])
def test_a_bad_end_date_is_shown_on_the_page_and_changes_nothing(web: Any, world: Any, services: Any,
                                                                 typed: dict[str, str], status: int,
                                                                 words: str) -> None:
    org_id, owner = world.org()
    clara = world.member(org_id, "clara@example.org")
    sign_in(web, owner.email)
    url = f"/o/{org_id}/team/{clara.member_id}"
    r = web.post(f"{url}/access-until", data={"csrf_token": csrf_of(web.get(url).text), **typed})
    assert r.status_code == status, r.text
    assert words in error_box(r.text)
    assert f'value="{typed["until"]}"' in r.text  # what was typed stays
    assert until(services, org_id, clara.member_id) is None


def test_an_owner_is_never_temporary_and_a_member_who_may_not_disable_is_not_offered_it(
        web: Any, world: Any, services: Any) -> None:
    org_id, owner = world.org()
    other_owner = world.member(org_id, "olive@example.org", roles=("owner",))
    clara = world.member(org_id, "clara@example.org")
    colin = world.member(org_id, "colin@example.org")
    sign_in(web, owner.email)
    url = f"/o/{org_id}/team/{other_owner.member_id}"
    r = web.post(f"{url}/access-until", data={"csrf_token": csrf_of(web.get(url).text), "until": DAY})
    assert r.status_code == 422 and "An Owner is never temporary; remove the Owner role first." in error_box(r.text)
    assert until(services, org_id, other_owner.member_id) is None
    web.cookies.clear()
    sign_in(web, colin.email)  # a clinician reads the team, disables nobody
    url = f"/o/{org_id}/team/{clara.member_id}"
    page = web.get(url)
    assert page.status_code == 200 and 'id="access-until-form"' not in page.text
    assert "/access-until" not in page.text and "does not end on its own" in page.text
    r = web.post(f"{url}/access-until", data={"csrf_token": csrf_of(page.text), "until": DAY})
    assert r.status_code == 403 and "alert-error" in r.text and 'id="access-until-form"' not in r.text
    assert until(services, org_id, clara.member_id) is None


def test_another_organisations_member_and_a_missing_one_are_not_found(web: Any, world: Any, services: Any) -> None:
    org_id, owner = world.org("A")
    other_org, _ = world.org("B")
    stranger = world.member(other_org, "stranger@example.org")
    sign_in(web, owner.email)
    token = csrf_of(web.get(f"/o/{org_id}/team").text)
    for path in (f"/o/{org_id}/team/{stranger.member_id}", f"/o/{org_id}/team/mem_nothere",
                 f"/o/{other_org}/team/{stranger.member_id}"):
        assert web.get(path).status_code == 404, path
        r = web.post(f"{path}/access-until", data={"csrf_token": token, "until": DAY})
        assert r.status_code == 404, path
    assert until(services, other_org, stranger.member_id) is None


def _invite(web: Any, org_id: str, **data: Any) -> Any:
    page = web.get(f"/o/{org_id}/team/new").text
    assert 'id="invite-access-until" name="access_until" type="date"' in page
    return web.post(f"/o/{org_id}/team/new", data={"csrf_token": csrf_of(page), "email": "tess@example.org",
                                                  "role": "clinician", "step": "send", **data})


def test_an_invitation_may_end_on_a_day(web: Any, world: Any, services: Any) -> None:
    org_id, owner = world.org()
    sign_in(web, owner.email)
    r = _invite(web, org_id, access_until=DAY)
    assert r.status_code == 303, r.text
    with services.unit(write=False) as uow:
        user = repo.user_by_email(uow.session, email="tess@example.org")
        assert user is not None
        found = repo.member_of_user(uow.session, org_id=org_id, user_id=user.id)
        assert found is not None
        member_id = found.id
    assert until(services, org_id, member_id) == END
    page = web.get(f"/o/{org_id}/team/{member_id}").text
    assert 'id="access-state">Temporary until <time datetime="2026-12-31T23:59:59' in page
    assert 'id="member-status">Invited' in page


@pytest.mark.parametrize(("data", "words"), [
    ({"access_until": "soon"}, "Enter the last day of access as a date"),
    ({"access_until": "2026-01-01"}, "The access end date must be in the future"),
    ({"access_until": DAY, "role": "owner"}, "An Owner is never temporary; invite them without an access end date"),
])
def test_a_bad_invitation_end_date_is_shown_and_invites_nobody(web: Any, world: Any, services: Any,
                                                               data: dict[str, str], words: str) -> None:
    org_id, owner = world.org()
    sign_in(web, owner.email)
    r = _invite(web, org_id, **data)
    assert r.status_code == 422, r.text
    assert words.lower() in error_box(r.text).lower()
    assert f'value="{data["access_until"]}"' in r.text  # what was typed stays
    with services.unit(write=False) as uow:
        assert repo.user_by_email(uow.session, email="tess@example.org") is None


def test_the_security_policy_saves_inactivity_days(web: Any, world: Any, services: Any) -> None:
    import re

    org_id, owner = world.org()
    sign_in(web, owner.email)
    page = web.get(f"/o/{org_id}/settings/security").text
    assert 'id="f-inactivity_days" name="inactivity_days" type="number"' in page
    assert "Disable members after this many days without use; 0 turns it off" in page
    form = dict(re.findall(r'name="(\w+)" type="number"[^>]*value="(\d*)"', page))
    assert form["inactivity_days"] == "0"
    form |= {"csrf_token": csrf_of(page), "bind_to_client": "none", "mfa_allow_email": "on"}
    for typed, words in (("4000", "Inactivity: disable members after (days): should be less than or equal to 3650"),
                         ("-1", "Inactivity: disable members after (days): should be greater than or equal to 0"),
                         ("often", "Inactivity: disable members after (days): should be a valid integer")):
        r = web.post(f"/o/{org_id}/settings/security", data={**form, "inactivity_days": typed})
        assert r.status_code == 422 and words in error_box(r.text), r.text
        assert f'value="{typed}"' in r.text
    r = web.post(f"/o/{org_id}/settings/security", data={**form, "inactivity_days": "90"})
    assert r.status_code == 303, r.text
    with services.unit(write=False) as uow:
        org = repo.get_org(uow.session, org_id=org_id)
        assert org is not None and security_of(org).inactivity_days == 90
    assert 'name="inactivity_days" type="number" inputmode="numeric" min="0" max="3650" value="90"' in \
        web.get(f"/o/{org_id}/settings/security").text


@pytest.mark.parametrize("which", ["set", "clear", "invite", "security"])
def test_every_new_form_refuses_a_missing_or_wrong_csrf_token(web: Any, world: Any, services: Any,
                                                              which: str) -> None:
    org_id, owner = world.org()
    clara = world.member(org_id, "clara@example.org")
    with services.unit() as uow:  # temporary already: neither setting nor clearing may change it
        found = repo.get_member(uow.session, org_id=org_id, member_id=clara.member_id)
        assert found is not None
        found.access_until = END
    sign_in(web, owner.email)
    base = f"/o/{org_id}/team/{clara.member_id}/access-until"
    url, data = {
        "set": (base, {"until": "2027-01-31"}),
        "clear": (base, {"clear": "yes"}),
        "invite": (f"/o/{org_id}/team/new", {"email": "tess@example.org", "role": "clinician", "step": "send",
                                             "access_until": DAY}),
        "security": (f"/o/{org_id}/settings/security", {"inactivity_days": "30"}),
    }[which]
    assert_csrf_refused(web, services, url, data, csrf_of(web.get(f"/o/{org_id}/team").text))
    assert until(services, org_id, clara.member_id) == END
    with services.unit(write=False) as uow:
        assert repo.user_by_email(uow.session, email="tess@example.org") is None
        org = repo.get_org(uow.session, org_id=org_id)
        assert org is not None and security_of(org).inactivity_days == 0
