"""The just-in-time access-request pages in-process (no browser): who is offered them, the form to ask and
its refusals, one request's page with Approve, Deny and Cancel, the approval chain, the settings, the
notifications; CSRF on every new form; a request the reader may not see, and another organisation's, read
as "not found"."""

from __future__ import annotations

import re
from typing import Any

import pytest
from sqlalchemy import func, select
from web_helpers import Clinic, assert_csrf_refused, clinic, csrf_of, error_box, sign_in

from caregate.service.actors import load_actor
from caregate.service.clinical import requests
from caregate.service.context import Caller
from caregate.service.orgs import settings_of
from caregate.store import repo
from caregate.store.clinical import AccessRequest, AccessRequestApproval, PatientAccess
from caregate.web.routes import access_requests as request_pages

REASON = "Covering for Dr Chen this week; I need the history"


class Scene(Clinic):
    """The clinic of `web_helpers.clinic`: Ada approves (patients:approve) and may ask; Carol, on the patient's
    care team, neither needs to ask nor approves; Colin cannot read the patient, so asks; Fiona (Front Desk)
    neither asks nor approves."""

    @property
    def base(self) -> str:
        return f"/o/{self.org_id}/access-requests"


@pytest.fixture
def scene(world: Any) -> Scene:
    return Scene(**vars(clinic(world)))


def asked(services: Any, who: Any, org_id: str, patient: str, reason: str = REASON, hours: int | None = None) -> str:
    """Set the scene: a request made through the use case."""
    with services.unit() as uow:
        actor = load_actor(uow, Caller(token=who.token), org_id)
        return requests.ask(uow, actor, patient_id=patient, reason=reason, hours=hours).id


def stored(services: Any, request_id: str) -> AccessRequest:
    with services.unit(write=False) as uow:
        row = uow.session.get(AccessRequest, request_id)
        assert row is not None
        uow.session.expunge(row)
        return row


def count(services: Any, model: Any) -> int:
    with services.unit(write=False) as uow:
        return int(uow.session.scalar(select(func.count()).select_from(model)) or 0)


def limits(services: Any, org_id: str) -> dict[str, int]:
    with services.unit(write=False) as uow:
        org = repo.get_org(uow.session, org_id=org_id)
        assert org is not None
        return settings_of(org).access_requests.model_dump()


def form(web: Any, scene: Scene, path: str, **data: str) -> Any:
    """Post a form with the signed-in member's CSRF token (every console page carries it)."""
    return web.post(path, data={"csrf_token": csrf_of(web.get(f"/o/{scene.org_id}/team").text), **data})


def test_only_who_may_ask_or_approve_is_offered_access_requests(web: Any, scene: Scene, services: Any) -> None:
    for who, offered, ask in ((scene.colin, True, True), (scene.admin, True, True), (scene.owner, True, True),
                              (scene.fiona, False, False)):
        web.cookies.clear()
        sign_in(web, who.email)
        team = web.get(f"/o/{scene.org_id}/team").text
        assert (f'href="{scene.base}"' in team) is offered, who.email
        listing = web.get(scene.base)
        assert listing.status_code == 200
        assert ('id="ask-form"' in listing.text) is ask, who.email
    # asked for by hand, Front Desk gets an empty list of their own: nothing to ask, nothing to approve
    assert "0 requests" in listing.text and 'id="access-requests"' not in listing.text

    r = form(web, scene, scene.base, patient_id=scene.patient, reason=REASON, hours="1")  # crafted by hand
    assert r.status_code == 403 and error_box(r.text).strip() and 'id="ask-form"' not in r.text
    assert count(services, AccessRequest) == 0


def test_ask_then_an_approver_approves_and_the_member_reads_the_session(web: Any, scene: Scene,
                                                                         services: Any) -> None:
    sign_in(web, scene.colin.email)
    assert web.get(f"/o/{scene.org_id}/sessions/{scene.session}").status_code == 404
    page = web.get(scene.base).text
    hours = re.findall(r'<option value="(\d+)"( selected)?', page)
    assert len(hours) == 72 and ("24", " selected") in hours  # the limit, and the default of 24
    assert "at least 10 characters; the approvers read it first" in page.lower()
    r = web.post(scene.base, data={"csrf_token": csrf_of(page), "patient_id": scene.patient, "reason": REASON,
                                   "hours": "8"})
    assert r.status_code == 303
    request_id = r.headers["location"].rsplit("/", 1)[1]
    assert r.headers["location"] == f"{scene.base}/{request_id}"
    detail = web.get(r.headers["location"]).text
    assert f"You asked for access to patient {scene.patient} for 8 hours" in detail  # the flash
    assert REASON in detail and "Pending" in detail and "Cancel the request" in detail and "0 of 1" in detail
    assert 'id="approve-form"' not in detail and 'id="deny-form"' not in detail
    assert "Someone other than you approves it" in detail
    assert web.get(f"/o/{scene.org_id}/sessions/{scene.session}").status_code == 404  # nothing until approved
    row = stored(services, request_id)
    assert row.membership_id == scene.colin.member_id and row.hours == 8 and row.status == "pending"

    web.cookies.clear()
    sign_in(web, scene.admin.email)
    page = web.get(f"{scene.base}/{request_id}").text
    assert 'id="approve-form"' in page and 'id="deny-form"' in page and "Cancel the request" not in page
    assert "colin" in page and REASON in page
    r = web.post(f"{scene.base}/{request_id}/approve", data={"csrf_token": csrf_of(page), "note": "ok for a week"})
    assert r.status_code == 303 and r.headers["location"] == f"{scene.base}/{request_id}"
    after = web.get(r.headers["location"]).text
    assert f"Approved: colin can read patient {scene.patient} until" in after
    assert 'id="approve-form"' not in after and "ok for a week" in after and "1 of 1" in after
    assert "active now" in after and 'id="request-until"' in after

    web.cookies.clear()
    sign_in(web, scene.colin.email)
    mine = web.get(f"{scene.base}/{request_id}").text
    assert 'id="access-running"' in mine and "Cancel the request" not in mine and "Approved" in mine
    assert web.get(f"/o/{scene.org_id}/sessions/{scene.session}").status_code == 200
    listing = web.get(scene.base).text
    assert f'id="request-{request_id}"' in listing and "1 request." in listing and "1 of 1" in listing


@pytest.mark.parametrize(("data", "status", "words"), [
    ({"reason": "urgent"}, 422, "Say why in at least 10 characters: the approver reads it first"),
    ({"reason": "   "}, 422, "Reason must not be empty"),
    ({"reason": "x" * 501}, 422, "Reason must be at most 500 characters"),
    ({"hours": "73"}, 422, "Hours must be between 1 and 72"),
    ({"hours": "many"}, 422, "Choose for how many hours"),
    ({"patient_id": ""}, 422, "Enter the ID of the patient"),
    ({"patient_id": "pat_nope"}, 404, "Patient pat_nope not found"),
])
def test_a_bad_request_is_shown_on_the_form_and_creates_nothing(web: Any, scene: Scene, services: Any,
                                                                 data: dict[str, str], status: int,
                                                                 words: str) -> None:
    sign_in(web, scene.colin.email)
    typed = {"patient_id": scene.patient, "reason": REASON, "hours": "3", **data}
    r = form(web, scene, scene.base, **typed)
    assert r.status_code == status, r.text
    assert words in error_box(r.text)
    assert f'value="{typed["patient_id"]}"' in r.text  # what was typed stays
    if data.get("reason", "").strip() and len(data["reason"]) < 100:
        assert f'>{data["reason"]}</textarea>' in r.text
    if typed["hours"].isdigit() and int(typed["hours"]) <= 72:
        assert f'<option value="{typed["hours"]}" selected>' in r.text
    assert count(services, AccessRequest) == 0


def test_asking_twice_is_refused_on_the_form(web: Any, scene: Scene, services: Any) -> None:
    asked(services, scene.colin, scene.org_id, scene.patient)
    sign_in(web, scene.colin.email)
    r = form(web, scene, scene.base, patient_id=scene.patient, reason=REASON, hours="1")
    assert r.status_code == 409 and "You already asked for access to this patient" in error_box(r.text)
    assert count(services, AccessRequest) == 1


def test_a_request_the_reader_may_not_see_is_not_found(web: Any, world: Any, scene: Scene, services: Any) -> None:
    request_id = asked(services, scene.colin, scene.org_id, scene.patient)
    other_org, other_owner = world.org("Elsewhere")
    for who in (scene.fiona, scene.carol):  # neither the member who asked nor an approver
        web.cookies.clear()
        sign_in(web, who.email)
        hidden = web.get(f"{scene.base}/{request_id}")
        missing = web.get(f"{scene.base}/areq_doesnotexist00")
        assert hidden.status_code == missing.status_code == 404, who.email
        assert hidden.text.replace(request_id, "X") == missing.text.replace("areq_doesnotexist00", "X")
        assert REASON not in hidden.text and "Not found" in hidden.text
        assert request_id not in web.get(scene.base).text  # nor listed
        token = csrf_of(web.get(scene.base).text)
        for action in ("approve", "deny", "cancel"):
            r = web.post(f"{scene.base}/{request_id}/{action}", data={"csrf_token": token, "note": "no thanks"})
            assert r.status_code == 404 and REASON not in r.text, (who.email, action)
    assert stored(services, request_id).status == "pending" and count(services, AccessRequestApproval) == 0
    web.cookies.clear()
    sign_in(web, other_owner.email)
    assert web.get(f"/o/{other_org}/access-requests/{request_id}").status_code == 404
    assert web.get(scene.base).status_code == 404
    assert request_id not in web.get(f"/o/{other_org}/access-requests").text


def test_nobody_approves_their_own_and_a_crafted_approval_is_refused_clearly(web: Any, world: Any, scene: Scene,
                                                                            services: Any) -> None:
    other = world.patient(scene.org_id)
    request_id = asked(services, scene.admin, scene.org_id, other)  # an Administrator may approve others'
    sign_in(web, scene.admin.email)
    page = web.get(f"{scene.base}/{request_id}")
    assert page.status_code == 200 and 'id="approve-form"' not in page.text and 'id="deny-form"' not in page.text
    assert "Someone other than you approves it" in page.text
    for action in ("approve", "deny"):
        r = web.post(f"{scene.base}/{request_id}/{action}", data={"csrf_token": csrf_of(page.text),
                                                                 "note": "fine by me"})
        assert r.status_code == 403, r.text
        assert "Separation of duties: the person who asked for it cannot approve it" in error_box(r.text)
        assert "Access request for patient" in r.text
    assert stored(services, request_id).status == "pending" and count(services, PatientAccess) == 0
    web.cookies.clear()  # a clinician, who does not approve at all, crafting the same on their own
    sign_in(web, scene.colin.email)
    own = asked(services, scene.colin, scene.org_id, scene.patient)
    page = web.get(f"{scene.base}/{own}")
    r = web.post(f"{scene.base}/{own}/approve", data={"csrf_token": csrf_of(page.text)})
    assert r.status_code == 403 and "Waiting for approval" in r.text and "alert-error" in r.text
    assert stored(services, own).status == "pending" and count(services, AccessRequestApproval) == 0


def test_a_denial_needs_a_note_and_ends_the_request(web: Any, scene: Scene, services: Any) -> None:
    request_id = asked(services, scene.colin, scene.org_id, scene.patient)
    sign_in(web, scene.admin.email)
    url = f"{scene.base}/{request_id}"
    page = web.get(url).text
    r = web.post(f"{url}/deny", data={"csrf_token": csrf_of(page), "note": "  "})
    assert r.status_code == 422
    box = r.text.split('id="deny-form"')[1]
    assert "Note must not be empty" in error_box(box)
    assert "Note must not be empty" not in r.text.split('id="approve-form"')[0]  # said at the form, once
    assert stored(services, request_id).status == "pending" and count(services, AccessRequestApproval) == 0
    r = web.post(f"{url}/approve", data={"csrf_token": csrf_of(page), "note": "x" * 1001})
    box = error_box(r.text.split('id="approve-form"')[1])
    assert r.status_code == 422 and "Note must be at most 1000 characters" in box
    assert f'>{"x" * 1001}</textarea>' in r.text  # what was typed stays
    r = web.post(f"{url}/deny", data={"csrf_token": csrf_of(page), "note": "Ask the care team instead."})
    assert r.status_code == 303 and r.headers["location"] == url
    after = web.get(url).text
    assert "Denied. The member who asked has been told" in after and 'id="deny-form"' not in after
    assert "Ask the care team instead." in after and 'id="request-status">Denied' in after
    row = stored(services, request_id)
    assert row.status == "denied" and row.grant_id is None
    r = web.post(f"{url}/approve", data={"csrf_token": csrf_of(page)})
    assert r.status_code == 409 and "This access request is already denied" in error_box(r.text)
    assert count(services, PatientAccess) == 0


def test_the_member_cancels_their_own_while_it_is_pending(web: Any, scene: Scene, services: Any) -> None:
    request_id = asked(services, scene.colin, scene.org_id, scene.patient)
    sign_in(web, scene.colin.email)
    url = f"{scene.base}/{request_id}"
    page = web.get(url).text
    r = web.post(f"{url}/cancel", data={"csrf_token": csrf_of(page)})
    assert r.status_code == 303 and r.headers["location"] == url
    after = web.get(url).text
    assert f"Your request for access to patient {scene.patient} is cancelled." in after
    assert "Cancel the request" not in after and 'id="request-status">Cancelled' in after
    r = web.post(f"{url}/cancel", data={"csrf_token": csrf_of(page)})
    assert r.status_code == 409 and "This access request is already cancelled" in error_box(r.text)
    assert stored(services, request_id).status == "cancelled"


def test_an_approval_chain_needs_different_approvers(web: Any, scene: Scene, services: Any) -> None:
    sign_in(web, scene.owner.email)
    assert form(web, scene, f"/o/{scene.org_id}/settings/access-requests", approvals="2",
                max_hours="72").status_code == 303
    request_id = asked(services, scene.colin, scene.org_id, scene.patient)
    url = f"{scene.base}/{request_id}"
    web.cookies.clear()
    sign_in(web, scene.admin.email)
    page = web.get(url).text
    assert "0 of 2" in page and "it needs 2 approvals from different people" in page
    r = web.post(f"{url}/approve", data={"csrf_token": csrf_of(page)})
    assert r.status_code == 303
    after = web.get(url).text
    assert "Approved: 1 of 2 approvals. It needs another approver." in after
    assert 'id="approve-form"' not in after and "You approved it; it needs another approver." in after
    r = web.post(f"{url}/approve", data={"csrf_token": csrf_of(page)})  # the same approver again
    assert r.status_code == 409 and "You already approved this request" in error_box(r.text)
    web.cookies.clear()
    sign_in(web, scene.owner.email)
    page = web.get(url).text
    assert 'id="approve-form"' in page and "1 of 2" in page
    assert web.post(f"{url}/approve", data={"csrf_token": csrf_of(page)}).status_code == 303
    done = web.get(url).text
    assert "2 of 2" in done and "Approved: colin can read patient" in done and "active now" in done
    assert stored(services, request_id).status == "approved"


def test_the_list_filters_by_status_and_pages(web: Any, world: Any, scene: Scene, services: Any,
                                              monkeypatch: Any) -> None:
    first = asked(services, scene.colin, scene.org_id, scene.patient)
    second = asked(services, scene.carol, scene.org_id, world.patient(scene.org_id))
    monkeypatch.setattr(request_pages, "PAGE_SIZE", 1)
    sign_in(web, scene.owner.email)
    page = web.get(scene.base).text
    assert re.findall(r'id="request-(areq_\w+)"', page) == [second] and "2 requests" in page
    more = re.search(r'href="(/o/\w+/access-requests\?after=\w+)">Next page', page)
    assert more
    rest = web.get(more.group(1)).text
    assert re.findall(r'id="request-(areq_\w+)"', rest) == [first] and "Next page" not in rest
    assert "0 requests approved" in web.get(f"{scene.base}?status=approved").text
    assert 'aria-current="page">Approved<' in web.get(f"{scene.base}?status=approved").text
    assert f'id="request-{first}"' in web.get(f"{scene.base}?status=pending&after={second}").text
    bad = web.get(f"{scene.base}?status=lost")
    assert bad.status_code == 422 and "status is one of" in bad.text
    web.cookies.clear()
    sign_in(web, scene.colin.email)  # a member who does not approve sees their own only
    assert re.findall(r'id="request-(areq_\w+)"', web.get(scene.base).text) == [first]


def test_the_settings_change_the_requests_and_say_what_is_wrong(web: Any, scene: Scene, services: Any) -> None:
    sign_in(web, scene.owner.email)
    page = web.get(f"/o/{scene.org_id}/settings").text
    assert 'id="requests-approvals" name="approvals"' in page and 'value="72"' in page
    path = f"/o/{scene.org_id}/settings/access-requests"
    for approvals, hours, words in (("4", "72", "Approvals needed: should be less than or equal to 3"),
                                    ("0", "72", "Approvals needed: should be greater than or equal to 1"),
                                    ("1", "721", "Longest access (hours): should be less than or equal to 720"),
                                    ("1", "soon", "Longest access (hours): should be a valid integer")):
        r = web.post(path, data={"csrf_token": csrf_of(page), "approvals": approvals, "max_hours": hours})
        assert r.status_code == 422 and words in error_box(r.text), r.text
        assert "Access requests were not saved" in error_box(r.text)
        assert f'value="{hours}"' in r.text and f'value="{approvals}"' in r.text
    assert limits(services, scene.org_id) == {"approvals": 1, "max_hours": 72}
    r = web.post(path, data={"csrf_token": csrf_of(page), "approvals": "2", "max_hours": "12"})
    assert r.status_code == 303 and r.headers["location"] == f"/o/{scene.org_id}/settings#access-requests"
    after = web.get(f"/o/{scene.org_id}/settings").text
    assert "Access requests need 2 approvals and give access for at most 12 hours." in after
    assert 'id="access-requests-state">2 approvals, access for at most 12 hours' in after
    assert limits(services, scene.org_id) == {"approvals": 2, "max_hours": 12}
    web.cookies.clear()
    sign_in(web, scene.colin.email)
    page = web.get(scene.base).text
    hours = re.findall(r'<option value="(\d+)"( selected)?', page)
    assert [h for h, _ in hours] == [str(h) for h in range(1, 13)] and hours[-1][1] == " selected"
    assert "It needs 2 approvals" in page
    r = form(web, scene, path, approvals="1", max_hours="1")  # a clinician may not change the settings
    assert r.status_code == 403


def test_notifications_open_the_request_for_approvers_and_for_the_member(web: Any, scene: Scene,
                                                                         services: Any) -> None:
    request_id = asked(services, scene.colin, scene.org_id, scene.patient)
    sign_in(web, scene.admin.email)
    page = web.get(f"/o/{scene.org_id}/notifications").text
    assert "Access request to a patient record" in page and "Open access request" in page
    [ntf] = re.findall(r'/notifications/(ntf_\w+)/open', page)
    r = web.post(f"/o/{scene.org_id}/notifications/{ntf}/open", data={"csrf_token": csrf_of(page)})
    assert r.status_code == 303 and r.headers["location"] == f"{scene.base}/{request_id}"
    page = web.get(r.headers["location"]).text
    assert web.post(f"{scene.base}/{request_id}/deny", data={"csrf_token": csrf_of(page),
                                                             "note": "Not your patient."}).status_code == 303
    web.cookies.clear()
    sign_in(web, scene.colin.email)  # told of the decision
    page = web.get(f"/o/{scene.org_id}/notifications").text
    assert "Your access request was denied" in page
    [ntf] = re.findall(r'/notifications/(ntf_\w+)/open', page)
    r = web.post(f"/o/{scene.org_id}/notifications/{ntf}/open", data={"csrf_token": csrf_of(page)})
    assert r.status_code == 303 and r.headers["location"] == f"{scene.base}/{request_id}"
    assert "Not your patient." in web.get(r.headers["location"]).text


@pytest.mark.parametrize("which", ["ask", "approve", "deny", "cancel", "settings"])
def test_every_new_form_refuses_a_missing_or_wrong_csrf_token(web: Any, scene: Scene, services: Any,
                                                              which: str) -> None:
    request_id = asked(services, scene.colin, scene.org_id, scene.patient)
    who = scene.colin if which in ("ask", "cancel") else scene.owner
    sign_in(web, who.email)
    other = "pat_" + "x" * 8
    url, data = {
        "ask": (scene.base, {"patient_id": other, "reason": REASON, "hours": "1"}),
        "approve": (f"{scene.base}/{request_id}/approve", {"note": "fine"}),
        "deny": (f"{scene.base}/{request_id}/deny", {"note": "not needed"}),
        "cancel": (f"{scene.base}/{request_id}/cancel", {}),
        "settings": (f"/o/{scene.org_id}/settings/access-requests", {"approvals": "2", "max_hours": "9"}),
    }[which]
    assert_csrf_refused(web, services, url, data, csrf_of(web.get(f"/o/{scene.org_id}/team").text))
    assert stored(services, request_id).status == "pending" and count(services, AccessRequest) == 1
    assert count(services, AccessRequestApproval) == 0
    assert limits(services, scene.org_id) == {"approvals": 1, "max_hours": 72}
