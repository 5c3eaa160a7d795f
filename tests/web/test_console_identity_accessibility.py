"""Every identity page through axe-core (WCAG 2.x A/AA and best practice), at laptop and tablet widths,
with its messages shown and its dialogs open: no serious or critical violation."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect
from web_helpers import PASSWORD, enrol_totp, latest_email, lock_out, set_policy

LAPTOP, TABLET = (1280, 860), (820, 1180)
SIZES = pytest.mark.parametrize("size", [LAPTOP, TABLET], ids=["laptop", "tablet"])


@SIZES
def test_sign_in_steps_and_public_pages(console_factory, world, services, clock, size, axe_clean):
    org_id, owner = world.org("Harbour Health")
    clara = world.member(org_id, "clara@example.org", roles=("clinician",))
    dan = world.member(org_id, "dan@example.org", roles=("front_desk",))
    enrol_totp(services, clock, owner.token)
    set_policy(services, org_id, mfa={"required_roles": ["clinician"]}, password={"max_age_days": 60})

    visitor = console_factory(*size)
    visitor.go("/forgot")
    axe_clean(visitor)
    visitor.page.get_by_label("Email").fill(dan.email)
    visitor.page.get_by_role("button", name="Email me a link").click()
    expect(visitor.page.locator("#forgot-sent")).to_be_visible()
    axe_clean(visitor)
    visitor.page.goto(latest_email(services, dan.email, r"https?://\S+/reset\?token=\S+"))
    visitor.page.get_by_label("New password", exact=True).fill("short")
    visitor.page.get_by_label("New password again").fill("short")
    visitor.page.get_by_role("button", name="Set my new password").click()
    expect(visitor.page.get_by_role("alert")).to_be_visible()
    axe_clean(visitor)  # the reset page with its problems
    visitor.go("/reset")
    axe_clean(visitor)

    owner_console = console_factory(*size)
    owner_console.sign_in(owner.email, PASSWORD)
    owner_console.page.get_by_label("Code from your authenticator app").fill("000000")
    owner_console.page.get_by_role("button", name="Verify").click()
    expect(owner_console.page.get_by_role("alert")).to_be_visible()
    owner_console.page.get_by_text("Use a recovery code").click()
    axe_clean(owner_console)  # the 2FA step with an error and the recovery form open
    owner_console.page.get_by_role("button", name="Email me a code").click()
    expect(owner_console.page.get_by_label("Code from the email")).to_be_visible()
    axe_clean(owner_console)

    enrolling = console_factory(*size)
    enrolling.sign_in(clara.email, PASSWORD)
    axe_clean(enrolling)  # the enrolment introduction
    enrolling.page.get_by_role("button", name="Set up my authenticator app").click()
    enrolling.page.get_by_label("Code the app shows now").fill("000000")
    enrolling.page.get_by_role("button", name="Turn on two-step verification").click()
    expect(enrolling.page.get_by_role("alert")).to_be_visible()
    axe_clean(enrolling)  # the QR code, the key and the error
    from caregate.identity import totp

    secret = enrolling.page.locator("#totp-secret").get_attribute("data-value")
    enrolling.page.get_by_label("Code the app shows now").fill(totp.code_at(secret or "", clock.now()))
    enrolling.page.get_by_role("button", name="Turn on two-step verification").click()
    axe_clean(enrolling)  # the recovery codes

    clock.advance(days=61)
    expired = console_factory(*size)
    expired.sign_in(dan.email, PASSWORD)
    expired.page.get_by_label("Current password").fill("wrong")
    expired.page.get_by_label("New password", exact=True).fill("x")
    expired.page.get_by_label("New password again").fill("x")
    expired.page.get_by_role("button", name="Change my password").click()
    expect(expired.page.get_by_role("alert")).to_be_visible()
    axe_clean(expired)
    expired.screenshot(f"accessibility-steps-{size[0]}")
    everyone = visitor.errors + owner_console.errors + enrolling.errors + expired.errors
    assert not everyone, everyone


@SIZES
def test_organisation_identity_pages(console_factory, world, services, clock, size, axe_clean):
    org_id, owner = world.org("Harbour Health")
    clara = world.member(org_id, "clara@example.org")
    lock_out(services, clara.email)
    o = f"/o/{org_id}"
    admin = console_factory(*size)
    admin.sign_in(owner.email, PASSWORD)
    page = admin.page
    admin.go(f"{o}/team")
    page.locator("tr", has_text=clara.email).get_by_text("Actions").click()
    axe_clean(admin)  # the locked badge and the menu with Unlock and Send password reset link

    admin.go(f"{o}/settings/security")
    axe_clean(admin)
    page.get_by_label("Networks for Billing").fill("nonsense")
    page.get_by_role("button", name="Save security policy").click()
    expect(page.get_by_role("alert")).to_be_visible()
    axe_clean(admin)
    page.get_by_label("Networks for Billing").fill("")
    page.get_by_label("Organisation allowlist").fill("10.1.0.0/16")
    page.get_by_role("button", name="Save security policy").click()
    expect(page.locator("#lockout-refusal")).to_be_visible()
    axe_clean(admin)

    admin.go(f"{o}/account")
    axe_clean(admin)
    page.get_by_label("Current password").fill("wrong")
    page.get_by_label("New password", exact=True).fill("x")
    page.get_by_label("New password again").fill("x")
    page.get_by_role("button", name="Change password").click()
    expect(page.get_by_role("alert")).to_be_visible()
    axe_clean(admin)
    page.get_by_role("button", name="Set up an authenticator app").click()
    axe_clean(admin)  # the QR code page in the console's layout
    admin.go(f"{o}/account/mfa/disable")
    axe_clean(admin)

    admin.go(f"{o}/api-keys")
    axe_clean(admin)  # empty
    page.get_by_role("link", name="Create service account").click()
    axe_clean(admin)
    dialog = page.locator("dialog#dialog")
    dialog.get_by_label("Name").fill("Sync")
    dialog.get_by_label("Manager", exact=True).check()
    dialog.get_by_role("button", name="Create service account").click()
    page.get_by_role("link", name="Create API key").click()
    dialog.get_by_label("Key name").fill("prod")
    dialog.get_by_label("Only what I tick below").check()
    dialog.get_by_role("button", name="Create key").click()  # nothing ticked: the problem
    expect(dialog.get_by_role("alert")).to_be_visible()
    axe_clean(admin)
    dialog.get_by_label("Everything its account's roles allow").check()
    dialog.get_by_role("button", name="Create key").click()
    expect(dialog.locator("#new-key-secret")).to_be_visible()
    axe_clean(admin)
    dialog.get_by_role("link", name="I have copied it").click()
    axe_clean(admin)  # the keys with their use
    page.get_by_role("link", name="Rotate prod").click()
    axe_clean(admin)
    dialog.get_by_role("button", name="Cancel").click()
    page.get_by_role("link", name="Revoke prod").click()
    axe_clean(admin)
    dialog.get_by_role("button", name="Cancel").click()
    admin.go(f"{o}/api-keys")
    axe_clean(admin)  # with one account

    clock.advance(minutes=16)
    admin.go(f"{o}/team")
    page.locator("tr", has_text=clara.email).get_by_role("link", name="change roles of").first.click()
    dialog.get_by_role("button", name="Save roles").click()
    expect(dialog.get_by_role("heading", name="Confirm it is you")).to_be_visible()
    axe_clean(admin)  # the prompt in the dialog
    dialog.get_by_label("Your password").fill("wrong")
    dialog.get_by_role("button", name="Confirm").click()
    expect(page.get_by_role("alert")).to_be_visible()
    axe_clean(admin)  # the prompt as a page, with its error
    page.get_by_label("Your password").fill(PASSWORD)
    page.get_by_role("button", name="Confirm").click()
    axe_clean(admin)  # confirmed: Continue
    admin.screenshot(f"accessibility-identity-{size[0]}")
    assert not admin.errors, admin.errors
