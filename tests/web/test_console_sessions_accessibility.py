"""The Sessions pages, the Share dialog and notifications through axe-core: no serious or critical violation,
at laptop and tablet widths, with the dialog open, its search results and its messages shown."""

from __future__ import annotations

from typing import Any

import pytest
from playwright.sync_api import expect

PASSWORD = "correct horse battery staple"  # the `world` fixture's password
LAPTOP, TABLET = (1280, 860), (820, 1180)
NOT_FOUND = "Failed to load resource: the server responded with a status of 404 (Not Found)"


@pytest.mark.parametrize("size", [LAPTOP, TABLET], ids=["laptop", "tablet"])
def test_sessions_pages_have_no_serious_accessibility_violation(console_factory: Any, world: Any, size: Any,
                                                                 axe_clean: Any) -> None:
    org_id, _ = world.org("Harbour Health")
    team = world.team(org_id, "Clinicians North")
    carol = world.member(org_id, "carol@example.org", teams=(team,))
    colin = world.member(org_id, "colin@example.org")
    world.member(org_id, "fiona@example.org", roles=("front_desk", "clinician"))
    patient = world.patient(org_id, care_team=(carol.member_id,), team=team)
    session = world.session(org_id, carol.member_id, team=team, patient=patient,
                            shares={colin.member_id: "view"})
    world.session(org_id, colin.member_id, shares={carol.member_id: "edit"})
    base = f"/o/{org_id}/sessions"

    owner = console_factory(*size)
    owner.sign_in(carol.email, PASSWORD)
    for path in [base, f"{base}/{session}", f"{base}/{session}/share", f"{base}/{session}/share?q=nobody",
                 f"/o/{org_id}/notifications", f"{base}/ses_nothere0000"]:
        owner.go(path)
        axe_clean(owner)
    owner.errors.remove(NOT_FOUND)

    owner.go(f"{base}/{session}")  # the dialog, opened and used as a person would
    owner.page.get_by_role("link", name="Share").click()
    dialog = owner.page.locator("dialog#dialog")
    dialog.get_by_label("Search a colleague by name or email").fill("fio")
    expect(dialog.locator("#share-targets")).to_contain_text("fiona@example.org")
    axe_clean(owner)
    dialog.get_by_role("button", name="Share", exact=True).click()  # nobody chosen: the problem is shown
    expect(dialog.get_by_role("alert")).to_contain_text("choose the colleague")
    axe_clean(owner)
    dialog.get_by_label("Access of colin").select_option("full")
    dialog.get_by_role("button", name="Change access of colin").click()
    expect(dialog.locator("#share-message")).to_be_visible()
    axe_clean(owner)

    colleague = console_factory(*size)
    colleague.sign_in(colin.email, PASSWORD)
    colleague.go(f"/o/{org_id}/notifications")  # one unread: the level changed
    expect(colleague.page.locator("#unread-count")).to_contain_text("1")
    axe_clean(colleague)
    colleague.screenshot(f"sessions-accessibility-{size[0]}")
    assert not owner.errors + colleague.errors, owner.errors + colleague.errors
