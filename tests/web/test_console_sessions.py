"""The Sessions pages, the Share dialog and notifications, in-process (no browser): what is listed and shown,
what is offered and refused, hidden fields, CSRF on every form, and other organisations answering 404."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from fastapi.testclient import TestClient
from web_helpers import audit_count, csrf_of, sign_in

from caregate.api.app import create_app
from caregate.store import records, repo
from caregate.store.clinical import Notification

HX = {"hx-request": "true", "hx-target": "dialog-body"}
SSN = "000-00-0000"  # the `world` builder's patient


@dataclass
class Scene:
    org_id: str
    owner: Any
    carol: Any  # a clinician who owns sessions
    colin: Any  # a clinician colleague, on another team
    tess: Any  # a Template Manager: never a share target
    fiona: Any  # Front Desk and Clinician: reads patients with their sensitive fields hidden
    dora: Any  # disabled
    ivan: Any  # invited
    patient: str
    session: str

    @property
    def base(self) -> str:
        return f"/o/{self.org_id}/sessions"


@pytest.fixture
def scene(world: Any, web: Any) -> Scene:
    org_id, owner = world.org("Harbour Health")
    team_a, team_b = world.team(org_id, "Team A"), world.team(org_id, "Team B")
    carol = world.member(org_id, "carol@example.org", teams=(team_a,))
    colin = world.member(org_id, "colin@example.org", teams=(team_b,))
    tess = world.member(org_id, "tess@example.org", roles=("template_manager",))
    fiona = world.member(org_id, "fiona@example.org", roles=("front_desk", "clinician"), teams=(team_b,))
    dora = world.member(org_id, "colette.disabled@example.org", status="disabled")
    ivan = world.member(org_id, "colm.invited@example.org", status="invited")
    patient = world.patient(org_id, care_team=(carol.member_id,), team=team_a)
    session = world.session(org_id, carol.member_id, team=team_a, patient=patient)
    r = web.put(f"/v1/orgs/{org_id}/sessions/{session}/note", json={"body": "Follow up in two weeks."},
                headers=carol.headers)
    assert r.status_code == 200, r.text
    return Scene(org_id, owner, carol, colin, tess, fiona, dora, ivan, patient, session)


def share_level(services: Any, session_id: str, member_id: str) -> str | None:
    with services.unit(write=False) as uow:
        found = records.get_share(uow.session, session_id=session_id, member_id=member_id)
        return found.level if found else None


def unread(services: Any, org_id: str, member_id: str) -> int:
    with services.unit(write=False) as uow:
        return records.unread_count(uow.session, org_id=org_id, member_id=member_id)


def share(web: Any, scene: Scene, member_id: str, level: str = "view", **headers: str) -> Any:
    token = csrf_of(web.get(f"{scene.base}/{scene.session}").text)
    return web.post(f"{scene.base}/{scene.session}/share", data={"csrf_token": token, "member_id": member_id,
                                                                  "level": level}, headers=headers)


def test_the_list_shows_what_the_member_may_read_with_names(web: Any, world: Any, scene: Scene) -> None:
    theirs = world.session(scene.org_id, scene.colin.member_id)
    shared = world.session(scene.org_id, scene.colin.member_id, shares={scene.carol.member_id: "view"})
    sign_in(web, scene.carol.email)
    page = web.get(scene.base)
    assert page.status_code == 200
    assert f'href="{scene.base}"' in page.text  # the navigation offers Sessions
    ids = set(re.findall(r'id="session-(ses_\w+)"', page.text))
    assert ids == {scene.session, shared} and theirs not in ids
    assert "2 sessions" in page.text
    row = page.text.split(f'id="session-{scene.session}"')[1].split("</tr>")[0]
    assert "Pat Ient" in row and "carol" in row and "Team A" in row and "Draft" in row
    colins = page.text.split(f'id="session-{shared}"')[1].split("</tr>")[0]
    assert "colin" in colins and "Pat Ient" not in colins


def test_the_list_is_paged_by_the_database(web: Any, world: Any, scene: Scene) -> None:
    made = {world.session(scene.org_id, scene.carol.member_id) for _ in range(50)}
    sign_in(web, scene.carol.email)
    first = web.get(scene.base).text
    assert "51 sessions" in first
    on_first = set(re.findall(r'id="session-(ses_\w+)"', first))
    assert len(on_first) == 50
    next_link = re.search(r'href="(/o/\w+/sessions\?after=\w+)">Next page', first)
    assert next_link
    second = web.get(next_link.group(1)).text
    on_second = set(re.findall(r'id="session-(ses_\w+)"', second))
    assert len(on_second) == 1 and not on_first & on_second
    assert on_first | on_second == made | {scene.session} and "Next page" not in second


def test_sessions_are_offered_only_to_who_may_read_some(web: Any, scene: Scene) -> None:
    for who, offered in ((scene.carol, True), (scene.fiona, True), (scene.tess, False)):
        web.cookies.clear()
        sign_in(web, who.email)
        page = web.get(f"/o/{scene.org_id}/team").text
        assert (f'href="{scene.base}"' in page) is offered, who.email
    listing = web.get(scene.base)  # asked for by hand: an empty list, filtered like any other
    assert listing.status_code == 200 and "0 sessions" in listing.text and scene.session not in listing.text


def test_the_session_page_shows_the_note_and_the_share_button_to_its_owner(web: Any, scene: Scene) -> None:
    sign_in(web, scene.carol.email)
    page = web.get(f"{scene.base}/{scene.session}")
    assert page.status_code == 200
    assert "Follow up in two weeks." in page.text and 'id="share-button"' in page.text
    assert "Pat Ient" in page.text and SSN in page.text  # on her care team: everything
    assert "Not shared with anyone" in page.text


def test_what_may_not_be_read_reads_as_not_found(web: Any, world: Any, scene: Scene) -> None:
    other_org, other_owner = world.org("Elsewhere")
    elsewhere = world.session(other_org, other_owner.member_id)
    sign_in(web, scene.colin.email)
    hidden = web.get(f"{scene.base}/{scene.session}")
    missing = web.get(f"{scene.base}/ses_doesnotexist00")
    assert hidden.status_code == missing.status_code == 404
    assert hidden.text.replace(scene.session, "X") == missing.text.replace("ses_doesnotexist00", "X")
    assert "Follow up" not in hidden.text
    assert web.get(f"{scene.base}/{elsewhere}").status_code == 404  # another organisation's id
    assert web.get(f"/o/{other_org}/sessions").status_code == 404
    assert web.get(f"/o/{other_org}/sessions/{elsewhere}").status_code == 404
    assert web.get(f"/o/{other_org}/notifications").status_code == 404


def test_hidden_fields_are_never_rendered(web: Any, scene: Scene) -> None:
    sign_in(web, scene.carol.email)
    assert share(web, scene, scene.fiona.member_id).status_code == 303
    web.cookies.clear()
    sign_in(web, scene.fiona.email)
    page = web.get(f"{scene.base}/{scene.session}")
    assert page.status_code == 200 and "Pat Ient" in page.text  # Front Desk reads the patient's name
    assert SSN not in page.text and "SSN" not in page.text
    assert "Some of this patient's details are not shown to you" in page.text
    assert SSN not in web.get(scene.base).text


def test_the_share_dialog_offers_only_colleagues_who_may_receive_a_share(web: Any, scene: Scene) -> None:
    sign_in(web, scene.carol.email)
    dialog = web.get(f"{scene.base}/{scene.session}/share", headers=HX)
    assert dialog.status_code == 200 and 'id="share-box"' in dialog.text and "<html" not in dialog.text
    offered = set(re.findall(r'name="member_id" value="(mem_\w+)"', dialog.text))
    assert scene.colin.member_id in offered and scene.fiona.member_id in offered
    for absent in (scene.tess, scene.dora, scene.ivan, scene.carol):
        assert absent.member_id not in offered, absent.email
    # as you type: only the list of colleagues comes back
    typed = web.get(f"{scene.base}/{scene.session}/share", params={"q": "COL"},
                    headers={"hx-request": "true", "hx-target": "share-targets"})
    assert 'id="share-box"' not in typed.text
    assert set(re.findall(r'value="(mem_\w+)"', typed.text)) == {scene.colin.member_id}
    assert "Nobody you can share with matches" in web.get(f"{scene.base}/{scene.session}/share",
                                                          params={"q": "tess"}).text


@pytest.fixture
def other(services: Any) -> Iterator[Any]:
    """A second person's console on the same database (its own cookies)."""
    with TestClient(create_app(services), base_url=services.settings.public_url, follow_redirects=False,
                    raise_server_exceptions=False) as client:
        yield client


def test_share_change_and_remove_with_a_notification(web: Any, other: Any, scene: Scene, services: Any) -> None:
    sign_in(web, scene.carol.email)
    r = share(web, scene, scene.colin.member_id, "view", **HX)
    assert r.status_code == 200 and "colin now has View access." in r.text and 'id="access-' in r.text
    assert share_level(services, scene.session, scene.colin.member_id) == "view"
    assert unread(services, scene.org_id, scene.colin.member_id) == 1
    r = share(web, scene, scene.colin.member_id, "edit")
    assert r.status_code == 303 and r.headers["location"] == f"{scene.base}/{scene.session}/share"
    assert share_level(services, scene.session, scene.colin.member_id) == "edit"
    assert "colin now has Edit access." in web.get(r.headers["location"]).text

    assert sign_in(other, scene.colin.email).status_code == 303
    bell = other.get(f"/o/{scene.org_id}/team").text
    assert re.search(r'id="unread-count">2<', bell)  # shared, then the level changed
    listing = other.get(f"/o/{scene.org_id}/notifications").text
    assert listing.count('class="notification unread"') == 2 and "carol shared a clinical session with you" in listing
    first = re.findall(r'/notifications/(ntf_\w+)/open', listing)[-1]
    opened = other.post(f"/o/{scene.org_id}/notifications/{first}/open", data={"csrf_token": csrf_of(listing)})
    assert opened.status_code == 303 and opened.headers["location"] == f"{scene.base}/{scene.session}"
    assert other.get(opened.headers["location"]).status_code == 200
    assert unread(services, scene.org_id, scene.colin.member_id) == 1

    token = csrf_of(web.get(f"{scene.base}/{scene.session}").text)
    r = web.post(f"{scene.base}/{scene.session}/share/{scene.colin.member_id}/remove", data={"csrf_token": token},
                 headers=HX)
    assert r.status_code == 200 and "colin no longer has access to this session." in r.text
    assert share_level(services, scene.session, scene.colin.member_id) is None
    assert other.get(f"{scene.base}/{scene.session}").status_code == 404


def test_who_may_not_share_is_not_offered_it_and_is_refused(web: Any, scene: Scene, services: Any) -> None:
    sign_in(web, scene.carol.email)
    assert share(web, scene, scene.colin.member_id, "view").status_code == 303
    web.cookies.clear()
    sign_in(web, scene.colin.email)
    page = web.get(f"{scene.base}/{scene.session}")
    assert page.status_code == 200 and 'id="share-button"' not in page.text and "/share" not in page.text
    refused = web.get(f"{scene.base}/{scene.session}/share")
    assert refused.status_code == 403 and "Not allowed" in refused.text
    r = share(web, scene, scene.fiona.member_id, "full")
    assert r.status_code == 403
    assert "Not allowed" in r.text and "allows sessions:share here" in r.text  # the engine's reason
    assert share_level(services, scene.session, scene.fiona.member_id) is None
    token = csrf_of(page.text)
    r = web.post(f"{scene.base}/{scene.session}/share/{scene.colin.member_id}/remove", data={"csrf_token": token})
    assert r.status_code == 403 and share_level(services, scene.session, scene.colin.member_id) == "view"


def test_a_template_manager_sent_by_hand_is_refused_with_the_reason(web: Any, scene: Scene, services: Any) -> None:
    sign_in(web, scene.carol.email)
    r = share(web, scene, scene.tess.member_id, "view", **HX)
    assert r.status_code == 422 and 'id="share-box"' in r.text
    assert "Template Managers" in r.text and "cannot receive a share" in r.text
    assert share_level(services, scene.session, scene.tess.member_id) is None
    r = share(web, scene, scene.colin.member_id, "owner")
    assert r.status_code == 422 and "share level must be view, edit or full" in r.text
    assert share_level(services, scene.session, scene.colin.member_id) is None


def test_notifications_are_only_ones_own(web: Any, scene: Scene, services: Any) -> None:
    sign_in(web, scene.carol.email)
    assert share(web, scene, scene.colin.member_id).status_code == 303
    with services.unit(write=False) as uow:
        colins = uow.session.query(Notification).filter_by(membership_id=scene.colin.member_id).one().id
    page = web.get(f"/o/{scene.org_id}/notifications")
    assert page.status_code == 200 and colins not in page.text and "No notifications" in page.text
    assert 'id="unread-count"' not in page.text
    token = csrf_of(page.text)
    for action in ("open", "read"):
        r = web.post(f"/o/{scene.org_id}/notifications/{colins}/{action}", data={"csrf_token": token})
        assert r.status_code == 404
    assert web.post(f"/o/{scene.org_id}/notifications/read", data={"csrf_token": token}).status_code == 303
    assert unread(services, scene.org_id, scene.colin.member_id) == 1


def test_mark_one_and_all_read(web: Any, world: Any, scene: Scene, services: Any) -> None:
    second = world.session(scene.org_id, scene.carol.member_id)
    sign_in(web, scene.carol.email)
    share(web, scene, scene.colin.member_id)
    token = csrf_of(web.get(f"{scene.base}/{second}").text)
    web.post(f"{scene.base}/{second}/share", data={"csrf_token": token, "member_id": scene.colin.member_id,
                                                   "level": "full"})
    web.cookies.clear()
    sign_in(web, scene.colin.email)
    page = web.get(f"/o/{scene.org_id}/notifications").text
    ids = re.findall(r'/notifications/(ntf_\w+)/read', page)
    assert len(ids) == 2 and "Mark all read" in page
    r = web.post(f"/o/{scene.org_id}/notifications/{ids[0]}/read", data={"csrf_token": csrf_of(page)})
    assert r.status_code == 303 and unread(services, scene.org_id, scene.colin.member_id) == 1
    r = web.post(f"/o/{scene.org_id}/notifications/read", data={"csrf_token": csrf_of(page)})
    assert r.status_code == 303 and unread(services, scene.org_id, scene.colin.member_id) == 0
    assert "1 notification marked as read." in web.get(r.headers["location"]).text


@pytest.mark.parametrize("form", ["share", "remove", "open", "read", "read-all"])
def test_every_new_form_refuses_a_missing_csrf_token(web: Any, scene: Scene, services: Any, form: str) -> None:
    sign_in(web, scene.carol.email)
    share(web, scene, scene.colin.member_id)
    with services.unit(write=False) as uow:
        ntf = uow.session.query(Notification).filter_by(membership_id=scene.colin.member_id).one().id
    if form in ("open", "read", "read-all"):
        web.cookies.clear()
        sign_in(web, scene.colin.email)
    url, data = {
        "share": (f"{scene.base}/{scene.session}/share", {"member_id": scene.fiona.member_id, "level": "view"}),
        "remove": (f"{scene.base}/{scene.session}/share/{scene.colin.member_id}/remove", {}),
        "open": (f"/o/{scene.org_id}/notifications/{ntf}/open", {}),
        "read": (f"/o/{scene.org_id}/notifications/{ntf}/read", {}),
        "read-all": (f"/o/{scene.org_id}/notifications/read", {}),
    }[form]
    before = audit_count(services)
    for token in ({}, {"csrf_token": "x" * 43}):
        r = web.post(url, data={**data, **token})
        assert r.status_code == 403 and "Request refused" in r.text
    assert audit_count(services) == before
    assert share_level(services, scene.session, scene.colin.member_id) == "view"
    assert share_level(services, scene.session, scene.fiona.member_id) is None
    assert unread(services, scene.org_id, scene.colin.member_id) == 1


def test_the_shared_email_links_to_the_console_page(web: Any, scene: Scene, services: Any) -> None:
    sign_in(web, scene.carol.email)
    share(web, scene, scene.colin.member_id)
    with services.unit(write=False) as uow:
        body = repo.outbox(uow.session, to_address=scene.colin.email)[0].body
    assert f"{services.settings.public_url}{scene.base}/{scene.session}" in body
