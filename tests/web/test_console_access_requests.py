"""Just-in-time access requests in a real browser (Debian's Chromium) on a live server: a clinician asks for
access to a patient; an administrator opens it from the notification and approves it, and the clinician
reads the patient's session; a denial needs a note; nobody is offered the approval of their own, and a
crafted one is refused in words; the settings change the longest access and the hours follow. Every page
passes axe-core."""

from __future__ import annotations

import re
from typing import Any

import pytest
from playwright.sync_api import expect
from web_helpers import PASSWORD, clinic

from caregate.service.actors import load_actor
from caregate.service.clinical import requests
from caregate.service.context import Caller
from caregate.store.clinical import AccessRequest, PatientAccess

REASON = "Covering for Dr Chen this week; I need the history"
NOT_FOUND = "Failed to load resource: the server responded with a status of 404 (Not Found)"
LAPTOP, TABLET = (1280, 860), (820, 1180)


def asked(services: Any, who: Any, org_id: str, patient: str) -> str:
    with services.unit() as uow:
        return requests.ask(uow, load_actor(uow, Caller(token=who.token), org_id), patient_id=patient,
                            reason=REASON, hours=8).id


def stored(services: Any) -> list[AccessRequest]:
    with services.unit(write=False) as uow:
        rows = list(uow.session.query(AccessRequest))
        for row in rows:
            uow.session.expunge(row)
        return rows


def grants(services: Any) -> int:
    with services.unit(write=False) as uow:
        return uow.session.query(PatientAccess).filter_by(kind="requested").count()


def main_nav(console: Any, name: str) -> Any:
    return console.page.get_by_role("navigation", name="Main").get_by_role("link", name=name)


def test_a_clinician_asks_an_administrator_approves_from_the_notification_and_the_clinician_reads_the_session(
        console_factory: Any, world: Any, services: Any, axe_clean: Any) -> None:
    s = clinic(world)
    colin = console_factory()
    colin.sign_in(s.colin.email, PASSWORD)
    page = colin.page
    main_nav(colin, "Access requests").click()
    expect(page.get_by_role("heading", name="Access requests", level=1)).to_be_visible()
    expect(page.get_by_label("Hours")).to_have_value("24")  # the default, within the organisation's 72
    expect(page.locator("#ar-reason-hint")).to_have_text("At least 10 characters; the approvers read it first.")
    axe_clean(colin)
    page.get_by_label("Patient ID").fill(s.patient)
    page.get_by_label("Reason").fill(REASON)
    page.get_by_label("Hours").select_option("8")
    page.get_by_role("button", name="Ask for access").click()

    expect(page.get_by_role("heading", name=f"Access request for patient {s.patient}", level=1)).to_be_visible()
    expect(page.locator("#flash")).to_contain_text(f"You asked for access to patient {s.patient} for 8 hours")
    expect(page.locator("#request-status")).to_have_text("Pending")
    expect(page.locator("#request-approvals")).to_have_text("0 of 1")
    expect(page.get_by_role("button", name="Cancel the request")).to_be_visible()
    expect(page.locator("#approve-form")).to_have_count(0)
    axe_clean(colin)
    [made] = stored(services)
    request_id = made.id

    ada = console_factory()
    ada.sign_in(s.admin.email, PASSWORD)
    admin = ada.page
    bell = admin.get_by_role("link", name=re.compile("^Notifications"))
    expect(bell).to_have_accessible_name("Notifications 1 unread")
    bell.click()
    expect(admin.locator("#notifications")).to_contain_text("colin asks for access to a patient record")
    axe_clean(ada)
    admin.get_by_role("button", name=re.compile("^Open access request")).click()

    expect(admin.get_by_role("heading", name=f"Access request for patient {s.patient}", level=1)).to_be_visible()
    assert admin.url.endswith(f"/o/{s.org_id}/access-requests/{request_id}")
    expect(admin.locator("#request-facts")).to_contain_text(REASON)
    expect(admin.locator("#request-facts")).to_contain_text("colin@example.org")
    axe_clean(ada)
    approve = admin.locator("#approve-form")
    approve.get_by_label("Note (optional)").fill("Fine for the week of cover.")
    approve.get_by_role("button", name="Approve").click()

    expect(admin.locator("#flash")).to_contain_text(f"Approved: colin can read patient {s.patient} until")
    expect(admin.locator("#request-status")).to_have_text("Approved")
    expect(admin.locator("#request-active")).to_have_text("active now")
    expect(admin.locator("#request-answers")).to_contain_text("Fine for the week of cover.")
    expect(admin.locator("#approve-form")).to_have_count(0)
    axe_clean(ada)
    ada.screenshot("access-request-approved")

    page.reload()
    expect(page.locator("#request-status")).to_have_text("Approved")
    expect(page.locator("#access-running")).to_contain_text("you can read this patient's record")
    page.locator("#access-running").get_by_role("link", name="sessions").click()
    page.get_by_role("link", name="Consultation").click()
    expect(page.get_by_role("heading", name="Consultation", level=1)).to_be_visible()
    expect(page.locator("#patient-facts")).to_contain_text("Pat Ient")

    main_nav(colin, "Access requests").click()
    row = page.locator("#access-requests tbody tr")
    expect(row).to_have_count(1)
    expect(row).to_contain_text("Approved")
    expect(row).to_contain_text("1 of 1")
    axe_clean(colin)
    colin.screenshot("access-request-list")
    assert grants(services) == 1
    assert not colin.errors + ada.errors, colin.errors + ada.errors


def test_a_denial_needs_a_note(console_factory: Any, world: Any, services: Any, axe_clean: Any) -> None:
    s = clinic(world)
    request_id = asked(services, s.colin, s.org_id, s.patient)
    ada = console_factory()
    ada.sign_in(s.admin.email, PASSWORD)
    page = ada.page
    ada.go(f"/o/{s.org_id}/access-requests/{request_id}")
    deny = page.locator("#deny-form")
    deny.get_by_role("button", name="Deny").click()  # no note: the use case asks for one
    expect(page.locator("#deny-form").get_by_role("alert")).to_contain_text("Note must not be empty")
    expect(page.locator("#request-status")).to_have_text("Pending")
    axe_clean(ada)
    ada.screenshot("access-request-deny-without-note")
    page.locator("#deny-form").get_by_label("Note (required)").fill("Ask the care team for a handover instead.")
    page.locator("#deny-form").get_by_role("button", name="Deny").click()

    expect(page.locator("#flash")).to_have_text("Denied. The member who asked has been told, with your note.")
    expect(page.locator("#request-status")).to_have_text("Denied")
    expect(page.locator("#request-answers")).to_contain_text("Ask the care team for a handover instead.")
    expect(page.locator("#deny-form")).to_have_count(0)
    axe_clean(ada)
    [row] = stored(services)
    assert row.status == "denied" and grants(services) == 0
    assert not ada.errors, ada.errors


def test_nobody_is_offered_the_approval_of_their_own_and_a_crafted_one_is_refused(
        console_factory: Any, world: Any, services: Any, axe_clean: Any) -> None:
    s = clinic(world)
    other = world.patient(s.org_id)
    request_id = asked(services, s.admin, s.org_id, other)  # an Administrator asks: they approve others'
    ada = console_factory()
    ada.sign_in(s.admin.email, PASSWORD)
    page = ada.page
    ada.go(f"/o/{s.org_id}/access-requests/{request_id}")
    expect(page.locator("#answer-pending")).to_contain_text("Someone other than you approves it")
    expect(page.locator("#approve-form")).to_have_count(0)
    expect(page.locator("#deny-form")).to_have_count(0)
    # sent by hand anyway, with the page's own CSRF token: refused on the page, in words, not a 500
    page.evaluate("""([action]) => {
        const form = document.createElement("form");
        form.method = "post";
        form.action = action;
        for (const [name, value] of [["csrf_token", document.querySelector("input[name=csrf_token]").value],
                                     ["note", "fine by me"]]) {
            const input = document.createElement("input");
            input.type = "hidden"; input.name = name; input.value = value;
            form.appendChild(input);
        }
        document.body.appendChild(form);
        form.submit();
    }""", [f"/o/{s.org_id}/access-requests/{request_id}/approve"])
    expect(page.get_by_role("alert")).to_contain_text("Separation of duties")
    expect(page.get_by_role("heading", name=f"Access request for patient {other}", level=1)).to_be_visible()
    expect(page.locator("#request-status")).to_have_text("Pending")
    axe_clean(ada)
    ada.screenshot("access-request-own-approval-refused")
    [row] = stored(services)
    assert row.status == "pending" and grants(services) == 0
    assert not ada.errors, ada.errors


def test_the_settings_change_the_longest_access_and_the_hours_follow(console_factory: Any, world: Any,
                                                                    axe_clean: Any) -> None:
    s = clinic(world)
    owner = console_factory()
    owner.sign_in(s.owner.email, PASSWORD)
    page = owner.page
    main_nav(owner, "Settings").click()
    fieldset = page.get_by_role("group", name="Access requests (just-in-time)")
    expect(fieldset.get_by_label("Approvals needed")).to_have_value("1")
    expect(fieldset.get_by_label("Longest access (hours)")).to_have_value("72")
    fieldset.get_by_label("Approvals needed").fill("2")
    fieldset.get_by_label("Longest access (hours)").fill("12")
    page.get_by_role("button", name="Save access requests").click()
    expect(page.locator("#flash")).to_have_text("Access requests need 2 approvals and give access for at most "
                                                "12 hours.")
    expect(page.locator("#access-requests-state")).to_have_text("2 approvals, access for at most 12 hours")
    axe_clean(owner)

    colin = console_factory()
    colin.sign_in(s.colin.email, PASSWORD)
    main_nav(colin, "Access requests").click()
    hours = colin.page.get_by_label("Hours")
    expect(hours).to_have_value("12")  # the default of 24 is more than the limit
    expect(hours.locator("option")).to_have_count(12)
    expect(colin.page.locator("#ar-hours-hint")).to_contain_text("At most 12 hours")
    expect(colin.page.locator("#ask-explained")).to_contain_text("It needs 2 approvals")
    colin.screenshot("access-request-hours-follow-the-settings")
    assert not owner.errors + colin.errors, owner.errors + colin.errors


@pytest.mark.parametrize("size", [LAPTOP, TABLET], ids=["laptop", "tablet"])
def test_access_request_pages_have_no_serious_accessibility_violation(console_factory: Any, world: Any,
                                                                      services: Any, size: Any,
                                                                      axe_clean: Any) -> None:
    s = clinic(world)
    theirs = asked(services, s.colin, s.org_id, s.patient)
    mine = asked(services, s.admin, s.org_id, world.patient(s.org_id))
    base = f"/o/{s.org_id}/access-requests"
    ada = console_factory(*size)
    ada.sign_in(s.admin.email, PASSWORD)
    for path in [base, f"{base}?status=pending", f"{base}?status=denied", f"{base}/{theirs}", f"{base}/{mine}",
                 f"/o/{s.org_id}/settings", f"/o/{s.org_id}/notifications", f"{base}/areq_nothere0000"]:
        ada.go(path)
        axe_clean(ada)
    ada.errors.remove(NOT_FOUND)
    ada.screenshot(f"access-requests-accessibility-{size[0]}")
    colin = console_factory(*size)
    colin.sign_in(s.colin.email, PASSWORD)
    for path in [base, f"{base}/{theirs}"]:
        colin.go(path)
        axe_clean(colin)
    assert not ada.errors + colin.errors, ada.errors + colin.errors
