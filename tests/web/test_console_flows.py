"""The console's flows in a real browser (Debian's Chromium, driven by Playwright), on a live server.

Each test ends with a screenshot of its final page under test-artifacts/screenshots/.
"""

from __future__ import annotations

import re

from playwright.sync_api import expect

from caregate.store import repo

PASSWORD = "correct horse battery staple"  # the `world` fixture's password
NEW_PASSWORD = "a quiet harbour at dawn 2026"


def set_purchased(services, org_id: str, seats: int) -> None:  # type: ignore[no-untyped-def]
    with services.unit() as uow:
        org = repo.get_org(uow.session, org_id=org_id)
        assert org is not None
        org.seats_purchased = seats


def row(console, email: str):  # type: ignore[no-untyped-def]
    return console.page.locator("tr", has=console.page.get_by_text(email, exact=True))


def test_sign_in_search_and_sign_out(console, world):
    org_id, owner = world.org("Harbour Health")
    world.member(org_id, "clara@example.org")
    world.member(org_id, "chris@example.org")
    console.sign_in(owner.email, PASSWORD)
    page = console.page
    expect(page).to_have_url(re.compile(f"/o/{org_id}/team$"))
    expect(page.get_by_role("heading", name="Team", level=1)).to_be_visible()
    expect(page.get_by_role("link", name="Settings")).to_be_visible()

    page.get_by_label("Search by name or email").fill("clara")  # htmx: the table updates in place
    expect(page.locator("#member-results")).to_contain_text("1 member matching")
    expect(page.get_by_text("chris@example.org")).to_have_count(0)
    expect(page).to_have_url(re.compile(r"q=clara"))
    console.screenshot("search")

    page.locator("details.user-menu summary").click()
    page.get_by_role("button", name="Sign out").click()
    expect(page).to_have_url(re.compile("/login$"))
    expect(page.get_by_role("heading", name="Sign in")).to_be_visible()
    console.go(f"/o/{org_id}/team")
    expect(page).to_have_url(re.compile("/login"))
    console.screenshot("sign-in-and-out")
    assert not console.errors, console.errors


def test_add_a_member_with_the_seat_quote_then_follow_the_invitation(console_factory, world, services,
                                                                     invitation_link):
    org_id, owner = world.org("Harbour Health")
    set_purchased(services, org_id, 1)  # the owner fills it: a new clinician costs a seat
    manager = console_factory()
    manager.sign_in(owner.email, PASSWORD)
    page = manager.page
    page.get_by_role("link", name="Add team member").click()
    dialog = page.locator("dialog#dialog")
    expect(dialog).to_be_visible()
    dialog.get_by_label("Email").fill("nina.new@example.org")
    dialog.get_by_label("Name (optional)").fill("Nina New")
    dialog.get_by_label("Clinician", exact=True).check()
    dialog.get_by_role("button", name="Review seat and price").click()
    expect(dialog.locator("#seat-quote")).to_contain_text("standard seat")
    confirm = dialog.get_by_role("button", name=re.compile(r"^Confirm USD [\d.,]+ and send invitation$"))
    expect(confirm).to_be_visible()
    confirm.click()
    expect(page.locator("#flash")).to_contain_text("Invitation sent to nina.new@example.org")
    expect(row(manager, "nina.new@example.org")).to_contain_text("Invited")

    link = invitation_link("nina.new@example.org")
    assert link.startswith(manager.base + "/accept?token=cgi_")
    nina = console_factory()
    nina.page.goto(link)
    nina.page.get_by_label("Password").fill(NEW_PASSWORD)
    nina.page.get_by_role("button", name="Activate my account").click()
    expect(nina.page).to_have_url(re.compile(f"/o/{org_id}/team$"))
    expect(nina.page.locator("details.user-menu summary")).to_contain_text("Nina New")
    expect(nina.page.get_by_role("link", name="Add team member")).to_have_count(0)

    again = console_factory()  # and she signs in with the password she chose
    again.sign_in("nina.new@example.org", NEW_PASSWORD)
    expect(again.page).to_have_url(re.compile(f"/o/{org_id}/team$"))
    manager.go(f"/o/{org_id}/team")
    expect(row(manager, "nina.new@example.org")).to_contain_text("Active")
    again.screenshot("invitation-accepted")
    manager.screenshot("add-member")
    assert not manager.errors + nina.errors, manager.errors + nina.errors


def test_a_role_change_takes_effect_at_once(console_factory, world):
    org_id, owner = world.org("Harbour Health")
    clara = world.member(org_id, "clara@example.org")
    admin, member = console_factory(), console_factory()
    admin.sign_in(owner.email, PASSWORD)
    member.sign_in(clara.email, PASSWORD)
    expect(member.page.get_by_role("link", name="Settings")).to_have_count(0)
    expect(member.page.get_by_role("link", name="Add team member")).to_have_count(0)

    def give(*labels: str) -> None:
        admin.go(f"/o/{org_id}/team")
        row(admin, clara.email).get_by_role("link", name=re.compile("change roles of")).first.click()
        dialog = admin.page.locator("dialog#dialog")
        expect(dialog.get_by_role("heading", name="Roles of")).to_be_visible()
        for box in dialog.locator("input[name=role]").all():
            box.uncheck()
        for label in labels:
            dialog.get_by_label(label, exact=True).check()
        dialog.get_by_role("button", name="Save roles").click()
        expect(admin.page.locator("#flash")).to_contain_text("now holds")

    give("Clinician", "Administrator")
    member.page.reload()  # no new sign-in: the very next page load sees the new role
    expect(member.page.get_by_role("link", name="Settings")).to_be_visible()
    expect(member.page.get_by_role("link", name="Add team member")).to_be_visible()
    member.screenshot("role-change-promoted")

    give("Clinician")
    member.page.reload()
    expect(member.page.get_by_role("link", name="Settings")).to_have_count(0)
    member.go(f"/o/{org_id}/settings")
    expect(member.page.get_by_role("heading", name="Not allowed")).to_be_visible()
    admin.go(f"/o/{org_id}/team")
    expect(row(admin, clara.email)).to_contain_text("Clinician")
    admin.screenshot("role-change")
    assert not admin.errors, admin.errors


def test_team_visibility_behind_the_plan_gate_then_on_and_off(console, world, services):
    org_id, owner = world.org("Small Practice", plan="free")
    console.sign_in(owner.email, PASSWORD)
    page = console.page
    console.go(f"/o/{org_id}/settings")
    gate = page.locator("#plan-gate")
    expect(gate).to_contain_text("comes with the Practice and Enterprise plans")
    expect(gate).to_contain_text("on the Free plan")
    switch = page.get_by_label("Let the chosen roles read all sessions of their teams")
    expect(switch).to_be_disabled()
    console.screenshot("visibility-gated")

    page.get_by_role("button", name="Start the 30-day trial").click()
    expect(page.locator("#flash")).to_contain_text("Your trial runs until")
    expect(gate).to_contain_text("with your trial until")
    expect(switch).to_be_enabled()
    switch.check()
    page.get_by_role("button", name="Save visibility").click()
    expect(page.locator("#flash")).to_contain_text("Team session visibility is on")
    expect(page.locator("#visibility-state")).to_have_text("On")
    with services.unit(write=False) as uow:
        org = repo.get_org(uow.session, org_id=org_id)
        assert org is not None and org.settings["session_visibility"] is True

    page.get_by_label("Let the chosen roles read all sessions of their teams").uncheck()
    page.get_by_role("button", name="Save visibility").click()
    expect(page.locator("#flash")).to_contain_text("Team session visibility is off")
    expect(page.locator("#visibility-state")).to_have_text("Off")
    console.screenshot("visibility")
    assert not console.errors, console.errors


def test_create_a_custom_role_and_see_it_in_the_matrix(console, world):
    org_id, owner = world.org("Harbour Health")
    console.sign_in(owner.email, PASSWORD)
    page = console.page
    console.go(f"/o/{org_id}/roles")
    page.get_by_role("link", name="Create custom role").click()
    page.get_by_label("Name", exact=True).fill("Owner")  # taken: the server says so
    page.get_by_label("Parent role").select_option("billing")
    page.get_by_role("button", name="Create role").click()
    expect(page.get_by_role("alert")).to_contain_text("a role called 'Owner' already exists")

    page.get_by_label("Name", exact=True).fill("Billing Lead")
    page.locator("summary", has_text="Charges").click()
    page.get_by_label("Approve charges").select_option("org")
    page.get_by_label("Applies to").select_option("charges:approve")
    page.get_by_label("Only when the amount is under").fill("500")
    page.get_by_role("button", name="Create role").click()
    expect(page.locator("#flash")).to_contain_text("The role Billing Lead was created")
    header = page.get_by_role("columnheader", name=re.compile("Billing Lead"))
    expect(header).to_contain_text("custom")
    column = [h.inner_text() for h in page.locator("table.matrix thead th").all()].index(header.inner_text())
    approve = page.locator("table.matrix tr", has=page.get_by_role("rowheader", name="approve charges"))
    expect(approve.locator("td").nth(column - 1)).to_contain_text("org")
    expect(approve.locator("td").nth(column - 1)).to_contain_text("amount < 500")
    page.get_by_label("Feature").select_option("charges")  # htmx narrows the matrix in place
    expect(page.locator("#matrix tbody tr.feature-row")).to_have_count(1)
    console.screenshot("custom-role")
    assert not console.errors, console.errors


def test_delete_is_refused_with_the_reason(console, world):
    org_id, owner = world.org("Harbour Health")
    clara = world.member(org_id, "clara@example.org")
    world.session(org_id, clara.member_id)
    console.sign_in(owner.email, PASSWORD)
    page = console.page
    clara_row = row(console, clara.email)
    clara_row.get_by_text("Actions").click()
    clara_row.get_by_role("link", name="Delete…").click()
    dialog = page.locator("dialog#dialog")
    expect(dialog.get_by_role("heading", name="Delete clara?")).to_be_visible()
    dialog.get_by_role("button", name="Delete clara").click()
    expect(dialog.get_by_role("alert")).to_contain_text("clara cannot be deleted")
    expect(dialog.get_by_role("alert")).to_contain_text("owns 1 clinical session(s)")
    console.screenshot("delete-refused")
    dialog.get_by_role("button", name="Close").click()
    expect(row(console, clara.email)).to_contain_text("Active")
    assert not console.errors, console.errors


def test_a_long_name_keeps_the_top_bar_on_one_line(console, world, services):
    """An Owner sees every section; a long display name and organisation name are cut short on screen
    (whole in the menu and for screen readers) rather than pushing the top bar onto a second line."""
    org_id, owner = world.org("The Northern Harbour Community Physiotherapy and Sports Injury Clinic")
    with services.unit() as uow:
        user = repo.user_by_email(uow.session, email=owner.email)
        assert user is not None
        user.name = "Dr Maximiliana Alexandrina Featherstonehaugh-Cholmondeley"
    world.org("A second organisation", owner=owner.email)  # the organisation switcher, not a plain name
    console.sign_in(owner.email, PASSWORD)
    page = console.page
    page.goto(console.base + f"/o/{org_id}/team")
    console.screenshot("long-names")
    brand, menu = page.locator(".brand").bounding_box(), page.locator(".user-menu summary").bounding_box()
    assert brand and menu and abs(menu["y"] - brand["y"]) < brand["height"], "the top bar wrapped"
    expect(page.locator(".user-menu summary")).to_contain_text("Featherstonehaugh-Cholmondeley")
