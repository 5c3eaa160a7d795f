"""Every console page through axe-core (WCAG 2.x A/AA and best practice): no serious or critical violation.

Checked at a laptop and a tablet width, with dialogs open where a page has them, and on the pages a
member who may do little sees.
"""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from caregate.store import repo

PASSWORD = "correct horse battery staple"  # the `world` fixture's password


@pytest.fixture
def clinic(world, services):  # type: ignore[no-untyped-def]
    """An organisation with teams, locations, a custom role, invited and disabled members, on the free plan."""
    org_id, owner = world.org("Harbour Health", plan="free", preset="multi_location")
    clara = world.member(org_id, "clara@example.org")
    world.member(org_id, "ivy.invited@example.org", status="invited")
    world.member(org_id, "dan.disabled@example.org", roles=("front_desk",), status="disabled")
    with services.unit(write=False) as uow:
        teams = repo.teams(uow.session, org_id=org_id)
    return {"org_id": org_id, "owner": owner, "clara": clara, "teams": teams}


LAPTOP, TABLET = (1280, 860), (820, 1180)


@pytest.mark.parametrize("size", [LAPTOP, TABLET], ids=["laptop", "tablet"])
def test_every_page_has_no_serious_accessibility_violation(console_factory, clinic, size, axe_clean,
                                                           invitation_link, world):
    org = f"/o/{clinic['org_id']}"
    visitor = console_factory(*size)
    visitor.go("/login")
    axe_clean(visitor)
    visitor.page.get_by_label("Email").fill("nobody@example.org")
    visitor.page.get_by_label("Password").fill("wrong password")
    visitor.page.get_by_role("button", name="Sign in").click()
    expect(visitor.page.get_by_role("alert")).to_be_visible()
    axe_clean(visitor)  # the sign-in page with its error
    visitor.go("/accept?token=cgi_not-a-real-token-at-all-000000")
    axe_clean(visitor)

    owner = console_factory(*size)
    owner.sign_in(clinic["owner"].email, PASSWORD)
    pages = [f"{org}/team", f"{org}/team?status=invited", f"{org}/team?q=nobody-at-all", f"{org}/roles",
             f"{org}/roles?feature=charges", f"{org}/roles/new", f"{org}/settings", f"{org}/seats",
             f"{org}/team/new", f"{org}/team/{clinic['clara'].member_id}/edit",
             f"{org}/team/{clinic['clara'].member_id}/delete", f"{org}/audit", f"{org}/audit?from=2026-13-01",
             f"{org}/audit/alerts", f"{org}/audit/verify"]
    for path in pages:
        owner.go(path)
        axe_clean(owner)
    owner.go(f"{org}/team/mem_nothere/edit")  # the not-found page
    axe_clean(owner)
    owner.errors.remove("Failed to load resource: the server responded with a status of 404 (Not Found)")

    owner.go(f"{org}/team")  # the dialogs, opened as a person would
    owner.page.get_by_role("link", name="Add team member").click()
    dialog = owner.page.locator("dialog#dialog")
    dialog.get_by_label("Email").fill("new.person@example.org")
    dialog.get_by_label("Provider", exact=True).check()  # the multi-location preset's name for Clinician
    dialog.get_by_role("button", name="Review seat and price").click()
    expect(dialog.locator("#seat-quote")).to_be_visible()
    axe_clean(owner)
    dialog.get_by_role("button", name="Cancel").click()
    owner.page.locator("tr", has_text="clara@example.org").get_by_text("Actions").click()
    axe_clean(owner)  # the open row menu
    owner.go(f"{org}/roles/new")
    owner.page.get_by_label("Name", exact=True).fill("Owner")
    owner.page.get_by_role("button", name="Create role").click()
    expect(owner.page.get_by_role("alert")).to_be_visible()
    axe_clean(owner)  # the role editor with its validation messages

    member = console_factory(*size)
    member.sign_in(clinic["clara"].email, PASSWORD)
    member.go(f"{org}/team")
    axe_clean(member)
    member.go(f"{org}/settings")  # refused: the error page
    axe_clean(member)
    member.screenshot(f"accessibility-{size[0]}")
    assert not owner.errors + member.errors + visitor.errors, owner.errors + member.errors + visitor.errors
