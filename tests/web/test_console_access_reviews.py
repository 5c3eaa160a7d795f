"""An access review in a real browser (Debian's Chromium) on a live server: an administrator starts one,
certifies a member, revokes another (whose session ends, and who shows as disabled), and cannot decide
their own access.
"""

from __future__ import annotations

import re
from typing import Any

from playwright.sync_api import expect

PASSWORD = "correct horse battery staple"  # the `world` fixture's password


def test_an_administrator_certifies_and_revokes_but_never_their_own(console_factory: Any, world: Any,
                                                                     axe_clean: Any) -> None:
    org_id, owner = world.org("Harbour Health")
    team = world.team(org_id, "Clinicians North")
    ada = world.member(org_id, "ada@example.org", roles=("administrator",))
    world.member(org_id, "cleo@example.org", teams=(team,))
    finn = world.member(org_id, "finn@example.org", roles=("front_desk",))

    leaving = console_factory()  # finn is signed in when their access is revoked
    leaving.sign_in(finn.email, PASSWORD)
    expect(leaving.page.get_by_role("navigation", name="Main").get_by_role("link", name="Access reviews")) \
        .to_have_count(0)  # shown only to those the engine allows members:review

    admin = console_factory()
    admin.sign_in(ada.email, PASSWORD)
    page = admin.page
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Access reviews").click()
    expect(page.get_by_role("heading", name="Access reviews", level=1)).to_be_visible()
    axe_clean(admin)
    page.get_by_label("Title").fill("Quarterly access review")
    page.get_by_label("Due in (days)").fill("14")
    page.get_by_label("Repeats").select_option("90")
    page.get_by_role("button", name="Start the review").click()

    expect(page.get_by_role("heading", name="Quarterly access review", level=1)).to_be_visible()
    expect(page.locator("#flash")).to_contain_text("Access review started: 4 members")
    expect(page.locator("#review-status")).to_have_text("Open")
    expect(page.locator("#count-pending")).to_have_text("4")
    items = page.locator("#review-items")
    expect(items).to_contain_text("Clinicians North")  # the snapshot: teams and roles as they were
    expect(items).to_contain_text("Front Desk")

    # her own access: no Certify, no Revoke; someone else reviews it
    own = items.locator("tr", has=page.get_by_text("ada", exact=True))
    expect(own).to_contain_text("Your own access: someone else reviews it.")
    expect(own.get_by_role("button")).to_have_count(0)

    page.get_by_role("button", name="Certify cleo's access").click()
    expect(page.locator("#flash")).to_have_text("cleo's access is certified.")
    expect(items.locator("tr", has=page.get_by_text("cleo", exact=True))).to_contain_text("Certified")

    # a revoke needs a note: the page says so and nothing changes
    page.get_by_role("button", name="Revoke finn's access").click()
    expect(page.get_by_role("alert")).to_contain_text("Say why in a note")
    expect(page.locator("#count-pending")).to_have_text("3")
    page.get_by_label("Note on finn's access").fill("Left the clinic in October")
    page.get_by_role("button", name="Revoke finn's access").click()
    expect(page.locator("#flash")).to_have_text("finn's access is revoked: they are disabled.")
    finn_row = items.locator("tr", has=page.get_by_text("finn", exact=True))
    expect(finn_row).to_contain_text("Revoked")
    expect(finn_row).to_contain_text("Left the clinic in October")
    expect(page.locator("#count-certified")).to_have_text("1")
    expect(page.locator("#count-revoked")).to_have_text("1")
    expect(page.locator("#count-pending")).to_have_text("2")
    axe_clean(admin)
    admin.screenshot("access-review")

    # finn's session ended with the disable; the team shows them disabled
    leaving.page.reload()
    expect(leaving.page.get_by_role("button", name="Sign in")).to_be_visible()
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Team").click()
    expect(page.locator("tr", has=page.get_by_text(finn.email, exact=True))).to_contain_text("Disabled")

    page.get_by_role("navigation", name="Main").get_by_role("link", name="Access reviews").click()
    expect(page.locator("#access-reviews")).to_contain_text(re.compile(r"2 of 4"))
    expect(page.locator("#access-reviews")).to_contain_text("Every 90 days")

    # the other reviewer was told, and the notification opens the review
    reviewer = console_factory()
    reviewer.sign_in(owner.email, PASSWORD)
    reviewer.page.get_by_role("link", name=re.compile("^Notifications")).click()
    reviewer.page.get_by_role("button", name=re.compile("^Open access review")).click()
    expect(reviewer.page.get_by_role("heading", name="Quarterly access review", level=1)).to_be_visible()
    expect(reviewer.page.locator("#count-revoked")).to_have_text("1")
    assert not admin.errors + leaving.errors + reviewer.errors, admin.errors + leaving.errors + reviewer.errors
