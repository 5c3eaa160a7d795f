"""The audit log in a real browser (Debian's Chromium, driven by Playwright) on a live server that runs on
the test's clock: filter by a member and an action (the URL follows), export CSV after confirming it is
you, and read the downloaded file; verify the chain; acknowledge an alert. Axe-core on each state.

Each test ends with a screenshot of its final page under test-artifacts/screenshots/.
"""

from __future__ import annotations

import csv
import re

from playwright.sync_api import expect
from sqlalchemy import select
from web_helpers import PASSWORD

from caregate.store.audit import AuditEvent


def record(services, org_id: str, action: str, member_id: str, patient_id: str) -> str:  # type: ignore[no-untyped-def]
    with services.unit() as uow:
        uow.record(action, org_id=org_id, actor_member_id=member_id, patient_id=patient_id, object_type="patients",
                   object_id=patient_id, ip="10.1.2.3")
    with services.unit(write=False) as uow:
        return str(uow.session.scalar(select(AuditEvent.id).where(AuditEvent.chain == org_id)
                                      .order_by(AuditEvent.seq.desc()).limit(1)))


def test_filter_and_export_the_audit_log(console, world, services, clock, axe_clean):
    org_id, owner = world.org("Harbour Health")
    clara = world.member(org_id, "clara@example.org")
    bob = world.member(org_id, "bob@example.org")
    wanted = [record(services, org_id, "patients.read", clara.member_id, f"pat_{n}") for n in range(4)]
    record(services, org_id, "patients.edit", clara.member_id, "pat_0")  # same member, another action
    record(services, org_id, "patients.read", bob.member_id, "pat_0")  # same action, another member
    console.sign_in(owner.email, PASSWORD)
    page = console.page
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Audit").click()
    expect(page.get_by_role("heading", name="Audit log")).to_be_visible()
    axe_clean(console)
    page.get_by_label("Member").select_option(label="clara")  # the list updates in place, the URL follows
    expect(page).to_have_url(re.compile(rf"member={clara.member_id}"))
    page.get_by_label("Action").fill("patients.read")
    page.get_by_role("button", name="Filter").click()
    expect(page).to_have_url(re.compile(r"action=patients.read"))
    expect(page.locator("#events tbody tr")).to_have_count(len(wanted))
    expect(page.locator("#result-count")).to_contain_text("4 events match this filter")
    page.get_by_role("button", name="Verify the chain").click()
    expect(page.locator("#chain-intact")).to_contain_text("The chain is intact")
    axe_clean(console)
    console.screenshot("audit-log")

    clock.advance(minutes=16)  # an export needs a sign-in younger than 15 minutes
    page.get_by_role("button", name="Export CSV").click()
    expect(page.get_by_role("heading", name="Confirm it is you")).to_be_visible()
    expect(page.get_by_text("To export the audit log")).to_be_visible()
    axe_clean(console)
    page.get_by_label("Your password").fill(PASSWORD)
    page.get_by_role("button", name="Confirm").click()
    expect(page.get_by_role("heading", name="Thank you, it is you")).to_be_visible()
    with page.expect_download() as download:
        page.get_by_role("link", name="Continue").click()
    path = download.value.path()
    assert download.value.suggested_filename == f"audit-{org_id}.csv"
    with open(path, newline="", encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    assert [r["id"] for r in rows] == wanted  # exactly the filtered events, oldest first
    assert {r["actor_member_id"] for r in rows} == {clara.member_id} and {r["action"] for r in rows} == {
        "patients.read"}
    console.screenshot("audit-export-confirmed")
    assert not console.errors, console.errors


def test_alerts_are_shown_and_acknowledged(console, world, services, axe_clean):
    org_id, owner = world.org("Harbour Health")
    clara = world.member(org_id, "clara@example.org")
    with services.unit() as uow:
        uow.record("break_glass.declare", org_id=org_id, actor_member_id=clara.member_id, patient_id="pat_1",
                   purpose="emergency")
    console.sign_in(owner.email, PASSWORD)
    page = console.page
    console.go(f"/o/{org_id}/audit")
    page.get_by_role("navigation", name="Audit").get_by_role("link", name="Alerts").click()
    row = page.locator("#alerts tbody tr")
    expect(row).to_have_count(1)
    expect(row).to_contain_text("Break glass")
    axe_clean(console)
    row.get_by_label(re.compile("Note on the break glass alert")).fill("Cardiac arrest in room 2, reviewed")
    row.get_by_role("button", name=re.compile("Acknowledge")).click()
    expect(page.locator("#flash")).to_contain_text("is acknowledged")
    expect(row).to_contain_text("Acknowledged")
    expect(row).to_contain_text("Cardiac arrest in room 2, reviewed")
    axe_clean(console)
    console.screenshot("audit-alerts")
    assert not console.errors, console.errors
