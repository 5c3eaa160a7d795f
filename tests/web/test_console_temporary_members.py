"""Temporary members and access that lapses, in a real browser (Debian's Chromium) on a live server: an
administrator gives a member an end date on the member's page, which the page and the team list then
show, and clears it; an Owner is never temporary, said in the service's words; an invitation can end on a
day; the security policy saves the inactivity days. Every page passes axe-core."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Any

from playwright.sync_api import expect

from caregate.service.actors import security_of
from caregate.store import repo

PASSWORD = "correct horse battery staple"  # the `world` fixture's password
DAY = "2026-12-31"  # the tests' clock stands at 23 Nov 2026
END = datetime(2026, 12, 31, 23, 59, 59, tzinfo=UTC)


def access_until(services: Any, org_id: str, email: str) -> datetime | None:
    with services.unit(write=False) as uow:
        user = repo.user_by_email(uow.session, email=email)
        assert user is not None
        member = repo.member_of_user(uow.session, org_id=org_id, user_id=user.id)
        assert member is not None
        value = member.access_until
    return value.replace(tzinfo=UTC) if value is not None and value.tzinfo is None else value


def row(console: Any, email: str) -> Any:
    return console.page.locator(f'tr[data-email="{email}"]')


def test_an_administrator_sets_a_members_end_date_and_the_member_page_shows_it(
        console_factory: Any, world: Any, services: Any, axe_clean: Any) -> None:
    org_id, _ = world.org("Harbour Health")
    ada = world.member(org_id, "ada@example.org", roles=("administrator",))
    clara = world.member(org_id, "clara@example.org")
    console_factory().sign_in(clara.email, PASSWORD)  # her first request as a member is activity
    admin = console_factory()
    admin.sign_in(ada.email, PASSWORD)
    page = admin.page
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Team").click()
    row(admin, "clara@example.org").get_by_role("link", name="clara", exact=True).click()

    expect(page.get_by_role("heading", name="clara", level=1)).to_be_visible()
    expect(page.locator("#access-state")).to_have_text("Permanent")
    expect(page.locator("#last-active")).to_have_text("Last active 23 Nov 2026")
    axe_clean(admin)
    page.get_by_label("Access until").fill(DAY)
    page.get_by_role("button", name="Save end date").click()

    expect(page.locator("#flash")).to_have_text("clara is temporary: their access ends on 31 Dec 2026 at 23:59 UTC.")
    expect(page.locator("#access-state")).to_contain_text("Temporary until 31 Dec 2026")
    expect(page.get_by_label("Access until")).to_have_value(DAY)
    axe_clean(admin)
    admin.screenshot("temporary-member")
    assert access_until(services, org_id, "clara@example.org") == END

    page.get_by_role("navigation", name="Breadcrumb").get_by_role("link", name="Team").click()
    expect(row(admin, "clara@example.org")).to_contain_text("Temporary until 31 Dec 2026")
    row(admin, "clara@example.org").get_by_role("link", name="clara", exact=True).click()
    page.get_by_role("button", name="Remove the end date").click()
    expect(page.locator("#flash")).to_have_text("clara is permanent: their access has no end date.")
    expect(page.locator("#access-state")).to_have_text("Permanent")
    assert access_until(services, org_id, "clara@example.org") is None
    assert not admin.errors, admin.errors


def test_an_owner_is_never_temporary_said_in_the_problems_box(console_factory: Any, world: Any, services: Any,
                                                             axe_clean: Any) -> None:
    org_id, owner = world.org("Harbour Health")
    olive = world.member(org_id, "olive@example.org", roles=("owner",))
    console = console_factory()
    console.sign_in(owner.email, PASSWORD)
    page = console.page
    console.go(f"/o/{org_id}/team/{olive.member_id}")
    page.get_by_label("Access until").fill(DAY)
    page.get_by_role("button", name="Save end date").click()
    expect(page.get_by_role("alert")).to_contain_text("An Owner is never temporary")
    expect(page.get_by_label("Access until")).to_have_value(DAY)  # what was typed stays
    expect(page.locator("#access-state")).to_have_text("Permanent")
    axe_clean(console)
    console.screenshot("temporary-owner-refused")
    assert access_until(services, org_id, "olive@example.org") is None
    assert not console.errors, console.errors


def test_an_invitation_ends_on_the_day_chosen(console_factory: Any, world: Any, services: Any,
                                              axe_clean: Any) -> None:
    org_id, owner = world.org("Harbour Health")
    console = console_factory()
    console.sign_in(owner.email, PASSWORD)
    page = console.page
    page.get_by_role("link", name="Add team member").click()
    dialog = page.locator("dialog#dialog")
    dialog.get_by_label("Email").fill("tess.temp@example.org")
    dialog.get_by_label("Clinician", exact=True).check()
    dialog.get_by_label("Access until (optional)").fill(DAY)
    dialog.get_by_role("button", name="Review seat and price").click()
    expect(dialog.locator("#seat-quote")).to_be_visible()
    expect(dialog.get_by_label("Access until (optional)")).to_have_value(DAY)
    axe_clean(console)
    dialog.get_by_role("button", name=re.compile("send invitation", re.I)).click()
    expect(page.locator("#flash")).to_contain_text("Invitation sent to tess.temp@example.org")
    expect(row(console, "tess.temp@example.org")).to_contain_text("Temporary until 31 Dec 2026")
    assert access_until(services, org_id, "tess.temp@example.org") == END
    assert not console.errors, console.errors


def test_the_security_page_saves_the_inactivity_days(console_factory: Any, world: Any, services: Any,
                                                     axe_clean: Any) -> None:
    org_id, owner = world.org("Harbour Health")
    console = console_factory()
    console.sign_in(owner.email, PASSWORD)
    page = console.page
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Settings").click()
    page.get_by_role("link", name="Open the security policy").click()
    days = page.get_by_role("group", name="Inactivity").get_by_label("Disable members after (days without use)")
    expect(days).to_have_value("0")
    expect(page.locator("#f-inactivity_days-hint")).to_contain_text("0 turns it off")
    axe_clean(console)
    days.fill("90")
    page.get_by_role("button", name="Save security policy").click()
    expect(page.locator("#flash")).to_contain_text("The security policy is saved")
    expect(page.get_by_label("Disable members after (days without use)")).to_have_value("90")
    axe_clean(console)
    console.screenshot("security-inactivity")
    with services.unit(write=False) as uow:
        org = repo.get_org(uow.session, org_id=org_id)
        assert org is not None and security_of(org).inactivity_days == 90
    assert not console.errors, console.errors
