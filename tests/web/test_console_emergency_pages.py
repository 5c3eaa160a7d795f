"""The emergency-access (break-glass) pages in-process (no browser): who is offered them, the declaration
form and its refusals, one declaration's page with End and the review, the settings, the notifications;
CSRF on every new form; someone else's declaration and another organisation's read as "not found"."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from web_helpers import Clinic, assert_csrf_refused, clinic, csrf_of, sign_in

from caregate.service.actors import load_actor
from caregate.service.clinical import emergency
from caregate.service.context import Caller
from caregate.store import repo
from caregate.store.clinical import PatientAccess
from caregate.web.routes import emergency as emergency_pages

REASON = "Patient collapsed in the waiting room; their clinician is away"


class Scene(Clinic):
    """The clinic of `web_helpers.clinic`: Ada reviews (audit:review) and may declare; Carol is on the patient's
    care team; Colin, on another team, cannot read the patient; Fiona (Front Desk) neither declares nor
    reviews."""

    @property
    def base(self) -> str:
        return f"/o/{self.org_id}/emergency"


@pytest.fixture
def scene(world: Any) -> Scene:
    return Scene(**vars(clinic(world)))


def declared(services: Any, who: Any, org_id: str, patient: str, reason: str = REASON,
             hours: int | None = None) -> str:
    """Set the scene: an emergency access taken through the use case."""
    with services.unit() as uow:
        actor = load_actor(uow, Caller(token=who.token), org_id)
        return emergency.declare(uow, actor, patient_id=patient, reason=reason, hours=hours).id


def access(services: Any, access_id: str) -> PatientAccess:
    with services.unit(write=False) as uow:
        row = uow.session.get(PatientAccess, access_id)
        assert row is not None
        uow.session.expunge(row)
        return row


def break_glass_count(services: Any) -> int:
    with services.unit(write=False) as uow:
        return len(list(uow.session.query(PatientAccess).filter_by(kind="break_glass")))


def form(web: Any, scene: Scene, path: str, **data: str) -> Any:
    """Post a form with the signed-in member's CSRF token (every console page carries it)."""
    return web.post(path, data={"csrf_token": csrf_of(web.get(f"/o/{scene.org_id}/team").text), **data})


def test_only_who_may_declare_or_review_is_offered_emergency_access(web: Any, scene: Scene) -> None:
    for who, offered, declare in ((scene.colin, True, True), (scene.admin, True, True), (scene.owner, True, True),
                                  (scene.fiona, False, False)):
        web.cookies.clear()
        sign_in(web, who.email)
        team = web.get(f"/o/{scene.org_id}/team").text
        assert (f'href="{scene.base}"' in team) is offered, who.email
        listing = web.get(scene.base)
        assert listing.status_code == 200
        assert ('id="declare-form"' in listing.text) is declare, who.email
    # asked for by hand, Front Desk gets an empty list of their own: nothing to declare, nothing to review
    assert "0 declarations" in listing.text and 'id="emergency"' not in listing.text


def test_declare_then_read_the_patient_session(web: Any, scene: Scene, services: Any) -> None:
    sign_in(web, scene.colin.email)
    assert web.get(f"/o/{scene.org_id}/sessions/{scene.session}").status_code == 404
    page = web.get(scene.base).text
    assert re.findall(r'<option value="(\d+)"( selected)?', page) == [("1", ""), ("2", ""), ("3", ""),
                                                                      ("4", " selected")]  # the default limit
    r = web.post(scene.base, data={"csrf_token": csrf_of(page), "patient_id": scene.patient, "reason": REASON,
                                   "hours": "2"})
    assert r.status_code == 303
    access_id = r.headers["location"].rsplit("/", 1)[1]
    assert r.headers["location"] == f"{scene.base}/{access_id}"
    detail = web.get(r.headers["location"]).text
    assert "You have emergency read access to patient" in detail  # the flash
    assert REASON in detail and 'id="access-running"' in detail and "End access now" in detail
    assert 'id="review-form"' not in detail and 'id="audit-link"' not in detail  # neither reviews nor reads audit
    row = access(services, access_id)
    assert row.membership_id == scene.colin.member_id and row.patient_id == scene.patient
    assert row.until is not None and row.until - row.created_at == timedelta(hours=2)
    assert web.get(f"/o/{scene.org_id}/sessions/{scene.session}").status_code == 200
    listing = web.get(scene.base).text
    assert f'id="access-{access_id}"' in listing and "1 declaration." in listing and "Active" in listing


@pytest.mark.parametrize(("data", "status", "words"), [
    ({"reason": "urgent"}, 422, "Say why in at least 10 characters"),
    ({"reason": "   "}, 422, "Reason must not be empty"),
    ({"reason": "x" * 501}, 422, "Reason must be at most 500 characters"),
    ({"hours": "5"}, 422, "Hours must be between 1 and 4"),
    ({"hours": "many"}, 422, "Choose for how many hours"),
    ({"patient_id": ""}, 422, "Enter the ID of the patient"),
    ({"patient_id": "pat_nope"}, 404, "Patient pat_nope not found"),
])
def test_a_bad_declaration_is_shown_on_the_form_and_creates_nothing(web: Any, scene: Scene, services: Any,
                                                                     data: dict[str, str], status: int,
                                                                     words: str) -> None:
    sign_in(web, scene.colin.email)
    typed = {"patient_id": scene.patient, "reason": REASON, "hours": "3", **data}
    r = form(web, scene, scene.base, **typed)
    assert r.status_code == status, r.text
    box = r.text.split('class="alert alert-error"')[1].split("</div>")[0]
    assert words in box
    assert f'value="{typed["patient_id"]}"' in r.text  # what was typed stays
    if data.get("reason", "").strip() and len(data["reason"]) < 100:
        assert f'>{data["reason"]}</textarea>' in r.text
    assert break_glass_count(services) == 0


def test_a_second_declaration_and_a_switched_off_organisation_are_refused(web: Any, scene: Scene,
                                                                         services: Any) -> None:
    declared(services, scene.colin, scene.org_id, scene.patient)
    sign_in(web, scene.colin.email)
    r = form(web, scene, scene.base, patient_id=scene.patient, reason=REASON, hours="1")
    assert r.status_code == 409 and "You already have emergency access to this patient" in r.text
    web.cookies.clear()
    sign_in(web, scene.owner.email)
    r = form(web, scene, f"/o/{scene.org_id}/settings/emergency-access", max_hours="4")  # unchecked: off
    assert r.status_code == 303
    assert "Emergency access is switched off." in web.get(r.headers["location"].split("#")[0]).text
    web.cookies.clear()
    sign_in(web, scene.carol.email)
    page = web.get(scene.base).text
    assert 'id="declare-form"' not in page and 'id="declare-off"' in page
    r = web.post(scene.base, data={"csrf_token": csrf_of(page), "patient_id": scene.patient, "reason": REASON,
                                   "hours": "1"})
    assert r.status_code == 409 and "switched off" in r.text
    assert break_glass_count(services) == 1


def test_someone_elses_emergency_access_is_not_found(web: Any, world: Any, scene: Scene, services: Any) -> None:
    access_id = declared(services, scene.colin, scene.org_id, scene.patient)
    other_org, other_owner = world.org("Elsewhere")
    sign_in(web, scene.fiona.email)  # neither its member, a reviewer, nor on the patient's care team
    hidden = web.get(f"{scene.base}/{access_id}")
    missing = web.get(f"{scene.base}/bgl_doesnotexist00")
    assert hidden.status_code == missing.status_code == 404
    assert hidden.text.replace(access_id, "X") == missing.text.replace("bgl_doesnotexist00", "X")
    assert REASON not in hidden.text and "Not found" in hidden.text
    assert access_id not in web.get(scene.base).text  # nor listed
    token = csrf_of(web.get(scene.base).text)
    for action in ("end", "review"):
        r = web.post(f"{scene.base}/{access_id}/{action}", data={"csrf_token": token, "outcome": "appropriate"})
        assert r.status_code == 404 and REASON not in r.text
    assert access(services, access_id).review_outcome is None and access(services, access_id).ended_at is None
    web.cookies.clear()
    sign_in(web, other_owner.email)
    assert web.get(f"/o/{other_org}/emergency/{access_id}").status_code == 404
    assert web.get(f"/o/{scene.org_id}/emergency").status_code == 404
    assert access_id not in web.get(f"/o/{other_org}/emergency").text


def test_nobody_reviews_their_own_and_a_crafted_review_is_refused_clearly(web: Any, scene: Scene,
                                                                         services: Any) -> None:
    access_id = declared(services, scene.admin, scene.org_id, scene.patient)  # an Administrator may review
    sign_in(web, scene.admin.email)
    page = web.get(f"{scene.base}/{access_id}")
    assert page.status_code == 200 and 'id="review-form"' not in page.text
    assert "Someone other than you reviews it" in page.text
    r = web.post(f"{scene.base}/{access_id}/review", data={"csrf_token": csrf_of(page.text),
                                                          "outcome": "appropriate"})
    assert r.status_code == 403
    box = r.text.split('class="alert alert-error"')[1].split("</div>")[0]
    assert "Separation of duties: the person who asked for it cannot approve it" in box
    assert access(services, access_id).review_outcome is None
    web.cookies.clear()  # a clinician, who does not review at all, crafting the same on their own
    sign_in(web, scene.colin.email)
    own = declared(services, scene.colin, scene.org_id, scene.patient)
    page = web.get(f"{scene.base}/{own}")
    assert 'id="review-form"' not in page.text
    r = web.post(f"{scene.base}/{own}/review", data={"csrf_token": csrf_of(page.text), "outcome": "appropriate"})
    assert r.status_code == 403 and "Not reviewed yet" in r.text and "alert-error" in r.text
    assert access(services, own).review_outcome is None


def test_a_reviewer_reviews_with_a_note_when_inappropriate_and_that_ends_it(web: Any, scene: Scene,
                                                                             services: Any) -> None:
    access_id = declared(services, scene.colin, scene.org_id, scene.patient)
    sign_in(web, scene.admin.email)
    url = f"{scene.base}/{access_id}"
    page = web.get(url).text
    assert 'id="review-form"' in page and "End access now" in page and "colin" in page and REASON in page
    link = re.search(r'href="([^"]+)" id="audit-link"', page)
    assert link
    query = parse_qs(urlsplit(link.group(1).replace("&amp;", "&")).query)
    assert query["member"] == [scene.colin.member_id] and query["patient"] == [scene.patient]
    assert query["outcome"] == ["allowed"] and query["from"] and query["to"]
    audit = web.get(link.group(1).replace("&amp;", "&"))
    assert audit.status_code == 200 and "break_glass.declare" in audit.text
    r = web.post(f"{url}/review", data={"csrf_token": csrf_of(page), "outcome": "inappropriate", "note": ""})
    assert r.status_code == 422 and "Note must not be empty" in r.text
    assert 'id="rv-inappropriate" name="outcome" value="inappropriate" checked' in r.text
    r = web.post(f"{url}/review", data={"csrf_token": csrf_of(page), "outcome": "maybe"})
    assert r.status_code == 422 and "Choose whether" in r.text
    assert access(services, access_id).review_outcome is None
    r = web.post(f"{url}/review", data={"csrf_token": csrf_of(page), "outcome": "inappropriate",
                                       "note": "No emergency: the patient was stable."})
    assert r.status_code == 303 and r.headers["location"] == url
    after = web.get(url).text
    assert "Reviewed: inappropriate. Its access has been ended." in after
    assert 'id="review-form"' not in after and "End access now" not in after
    assert "No emergency: the patient was stable." in after and "ended early by you" in after
    row = access(services, access_id)
    assert row.review_outcome == "inappropriate" and row.ended_by == scene.admin.member_id
    r = web.post(f"{url}/review", data={"csrf_token": csrf_of(page), "outcome": "appropriate"})
    assert r.status_code == 409 and "already reviewed" in r.text
    listing = web.get(f"{scene.base}?status=reviewed").text
    assert f'id="access-{access_id}"' in listing and "Inappropriate" in listing
    assert f'id="access-{access_id}"' not in web.get(f"{scene.base}?status=active").text


def test_the_member_ends_it_early_and_cannot_end_it_twice(web: Any, scene: Scene, services: Any) -> None:
    access_id = declared(services, scene.colin, scene.org_id, scene.patient)
    sign_in(web, scene.colin.email)
    url = f"{scene.base}/{access_id}"
    page = web.get(url).text
    r = web.post(f"{url}/end", data={"csrf_token": csrf_of(page)})
    assert r.status_code == 303 and r.headers["location"] == url
    after = web.get(url).text
    assert "has ended" in after and "Awaiting review" in after and "End access now" not in after
    assert access(services, access_id).ended_by == scene.colin.member_id
    assert web.get(f"/o/{scene.org_id}/sessions/{scene.session}").status_code == 404
    r = web.post(f"{url}/end", data={"csrf_token": csrf_of(page)})
    assert r.status_code == 409 and "already ended" in r.text
    assert f'id="access-{access_id}"' in web.get(f"{scene.base}?status=awaiting_review").text


def test_the_list_filters_by_status_and_pages(web: Any, world: Any, scene: Scene, services: Any,
                                              monkeypatch: Any) -> None:
    first = declared(services, scene.colin, scene.org_id, scene.patient)
    second = declared(services, scene.carol, scene.org_id, world.patient(scene.org_id))
    monkeypatch.setattr(emergency_pages, "PAGE_SIZE", 1)
    sign_in(web, scene.owner.email)
    page = web.get(scene.base).text
    assert re.findall(r'id="access-(bgl_\w+)"', page) == [second] and "2 declarations" in page
    more = re.search(r'href="(/o/\w+/emergency\?after=\w+)">Next page', page)
    assert more
    rest = web.get(more.group(1)).text
    assert re.findall(r'id="access-(bgl_\w+)"', rest) == [first] and "Next page" not in rest
    assert "0 declarations reviewed" in web.get(f"{scene.base}?status=reviewed").text
    assert 'aria-current="page">Reviewed<' in web.get(f"{scene.base}?status=reviewed").text
    bad = web.get(f"{scene.base}?status=lost")
    assert bad.status_code == 422 and "status is one of" in bad.text


def test_the_settings_change_the_longest_duration_and_say_what_is_wrong(web: Any, scene: Scene,
                                                                        services: Any) -> None:
    sign_in(web, scene.owner.email)
    page = web.get(f"/o/{scene.org_id}/settings").text
    assert 'id="emergency-enabled" name="enabled" value="on" checked' in page
    assert 'name="max_hours"' in page and 'value="4"' in page
    path = f"/o/{scene.org_id}/settings/emergency-access"
    for typed, words in (("100", "Longest emergency access (hours): should be less than or equal to 72"),
                         ("0", "Longest emergency access (hours): should be greater than or equal to 1"),
                         ("soon", "Longest emergency access (hours): should be a valid integer")):
        r = web.post(path, data={"csrf_token": csrf_of(page), "enabled": "on", "max_hours": typed})
        assert r.status_code == 422 and words in r.text, r.text
        assert f'value="{typed}"' in r.text
    r = web.post(path, data={"csrf_token": csrf_of(page), "enabled": "on", "max_hours": "12"})
    assert r.status_code == 303 and r.headers["location"] == f"/o/{scene.org_id}/settings#emergency"
    assert "Emergency access is allowed, for at most 12 hours." in web.get(f"/o/{scene.org_id}/settings").text
    with services.unit(write=False) as uow:
        org = repo.get_org(uow.session, org_id=scene.org_id)
        assert org is not None and org.settings["emergency_access"] == {"enabled": True, "max_hours": 12}
    web.cookies.clear()
    sign_in(web, scene.colin.email)
    hours = re.findall(r'<option value="(\d+)"( selected)?', web.get(scene.base).text)
    assert [h for h, _ in hours] == [str(h) for h in range(1, 13)] and hours[-1][1] == " selected"
    r = form(web, scene, path, enabled="on", max_hours="1")  # a clinician may not change the settings
    assert r.status_code == 403


def test_notifications_open_the_emergency_page_for_everyone_told(web: Any, scene: Scene, services: Any) -> None:
    access_id = declared(services, scene.colin, scene.org_id, scene.patient)
    sign_in(web, scene.admin.email)
    page = web.get(f"/o/{scene.org_id}/notifications").text
    assert "Emergency access to a patient record" in page and "Open emergency access" in page
    [ntf] = re.findall(r'/notifications/(ntf_\w+)/open', page)
    r = web.post(f"/o/{scene.org_id}/notifications/{ntf}/open", data={"csrf_token": csrf_of(page)})
    assert r.status_code == 303 and r.headers["location"] == f"{scene.base}/{access_id}"
    web.cookies.clear()
    sign_in(web, scene.carol.email)  # the care team is told, and sees what it was told of, without acting on it
    page = web.get(f"/o/{scene.org_id}/notifications").text
    [ntf] = re.findall(r'/notifications/(ntf_\w+)/open', page)
    r = web.post(f"/o/{scene.org_id}/notifications/{ntf}/open", data={"csrf_token": csrf_of(page)})
    assert r.status_code == 303 and r.headers["location"] == f"{scene.base}/{access_id}"
    detail = web.get(f"{scene.base}/{access_id}").text
    assert REASON in detail and "/review" not in detail and "/end" not in detail


@pytest.mark.parametrize("which", ["declare", "end", "review", "settings"])
def test_every_new_form_refuses_a_missing_or_wrong_csrf_token(web: Any, scene: Scene, services: Any,
                                                              which: str) -> None:
    access_id = declared(services, scene.colin, scene.org_id, scene.patient)
    sign_in(web, scene.owner.email)
    url, data = {
        "declare": (scene.base, {"patient_id": scene.patient, "reason": REASON, "hours": "1"}),
        "end": (f"{scene.base}/{access_id}/end", {}),
        "review": (f"{scene.base}/{access_id}/review", {"outcome": "inappropriate", "note": "not an emergency"}),
        "settings": (f"/o/{scene.org_id}/settings/emergency-access", {"max_hours": "9"}),
    }[which]
    assert_csrf_refused(web, services, url, data, csrf_of(web.get(f"/o/{scene.org_id}/team").text))
    row = access(services, access_id)
    assert row.review_outcome is None and row.ended_at is None and break_glass_count(services) == 1
    with services.unit(write=False) as uow:
        org = repo.get_org(uow.session, org_id=scene.org_id)
        assert org is not None and org.settings["emergency_access"] == {"enabled": True, "max_hours": 4}
