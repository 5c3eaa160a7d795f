"""The identity pages in a real browser (Debian's Chromium, driven by Playwright), on a live server that
runs on the test's clock: TOTP codes are computed for `clock.now()`.

Each test ends with a screenshot of its final page under test-artifacts/screenshots/.
"""

from __future__ import annotations

import re
import urllib.error
import urllib.request

from playwright.sync_api import expect
from web_helpers import NEW_PASSWORD, PASSWORD, enrol_totp, latest_email, lock_out, set_policy

from caregate.identity import totp
from caregate.store import repo

FIREFOX_ON_WINDOWS = "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:128.0) Gecko/20100101 Firefox/128.0"


def api_status(url: str, key: str) -> int:
    """Call the live server's API with an API key, as another system would."""
    request = urllib.request.Request(url, headers={"Authorization": f"Bearer {key}"})
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return int(response.status)
    except urllib.error.HTTPError as exc:
        return int(exc.code)


def row(console, text: str):  # type: ignore[no-untyped-def]
    return console.page.locator("tr", has=console.page.get_by_text(text, exact=True))


def submit_password(console, email: str, password: str = PASSWORD) -> None:  # type: ignore[no-untyped-def]
    console.page.get_by_label("Email").fill(email)
    console.page.get_by_label("Password").fill(password)
    console.page.get_by_role("button", name="Sign in").click()


def test_sign_in_with_an_authenticator_code(console, world, services, clock):
    org_id, owner = world.org("Harbour Health")
    secret, _ = enrol_totp(services, clock, owner.token)
    page = console.page
    console.go(f"/o/{org_id}/roles")
    expect(page).to_have_url(re.compile(r"/login\?next="))
    submit_password(console, owner.email)
    expect(page).to_have_url(re.compile(r"/login/step\?next="))
    expect(page.get_by_role("heading", name="Two-step verification")).to_be_visible()
    console.go(f"/o/{org_id}/team")  # any page sends back to the step, not to sign-in
    expect(page).to_have_url(re.compile(r"/login/step\?next="))
    page.get_by_label("Code from your authenticator app").fill("000000")
    page.get_by_role("button", name="Verify").click()
    expect(page.get_by_role("alert")).to_contain_text("That code is not right")
    console.screenshot("sign-in-2fa-step")
    page.get_by_label("Code from your authenticator app").fill(totp.code_at(secret, clock.now()))
    page.get_by_role("button", name="Verify").click()
    expect(page).to_have_url(re.compile(f"/o/{org_id}/team$"))
    expect(page.get_by_role("heading", name="Team", level=1)).to_be_visible()
    console.screenshot("sign-in-2fa-done")
    assert not console.errors, console.errors


def test_forced_enrolment_for_a_role_that_requires_2fa(console_factory, world, services, clock):
    org_id, _ = world.org("Harbour Health")
    clara = world.member(org_id, "clara@example.org", roles=("clinician",))
    set_policy(services, org_id, mfa={"required_roles": ["clinician"]})
    console = console_factory(permissions=["clipboard-read", "clipboard-write"])
    page = console.page
    console.sign_in(clara.email, PASSWORD)
    expect(page.get_by_role("heading", name="Set up two-step verification")).to_be_visible()
    page.get_by_role("button", name="Set up my authenticator app").click()
    expect(page.locator(".qr svg")).to_be_visible()
    secret = page.locator("#totp-secret").get_attribute("data-value")
    assert secret and re.fullmatch(r"[A-Z2-7]{32}", secret)
    console.screenshot("enrolment-qr")
    page.get_by_label("Code the app shows now").fill("000000")  # a typo: the QR code stays
    page.get_by_role("button", name="Turn on two-step verification").click()
    expect(page.get_by_role("alert")).to_contain_text("does not match")
    expect(page.locator(".qr svg")).to_be_visible()
    page.get_by_label("Code the app shows now").fill(totp.code_at(secret, clock.now()))
    page.get_by_role("button", name="Turn on two-step verification").click()
    expect(page.get_by_role("heading", name="Save your recovery codes")).to_be_visible()
    codes = page.locator("#recovery-codes li")
    expect(codes).to_have_count(10)
    page.get_by_role("button", name="Copy the codes").click()
    expect(page.locator("#recovery-codes-copied")).to_have_text("Copied.")
    copied = page.evaluate("navigator.clipboard.readText()")
    assert copied.split("\n") == [c.strip() for c in codes.all_inner_texts()]
    console.screenshot("enrolment-codes")
    page.get_by_role("button", name="Continue").click()  # not before ticking the box
    expect(page).to_have_url(re.compile("/login/step"))
    page.get_by_label("I have saved my recovery codes somewhere safe").check()
    page.get_by_role("button", name="Continue").click()
    expect(page).to_have_url(re.compile(f"/o/{org_id}/team$"))
    console.screenshot("enrolment-done")
    assert not console.errors, console.errors


def test_an_expired_password_is_changed_at_sign_in(console, world, services, clock):
    org_id, _ = world.org("Harbour Health")
    clara = world.member(org_id, "clara@example.org")
    set_policy(services, org_id, password={"max_age_days": 90})
    clock.advance(days=91)
    page = console.page
    console.sign_in(clara.email, PASSWORD)
    expect(page.get_by_role("heading", name="Your password has expired")).to_be_visible()
    page.get_by_label("Current password").fill(PASSWORD)
    page.get_by_label("New password", exact=True).fill(PASSWORD)
    page.get_by_label("New password again").fill(PASSWORD)
    page.get_by_role("button", name="Change my password").click()
    expect(page.get_by_role("alert")).to_contain_text("Choose a password different from the current one")
    page.get_by_label("Current password").fill(PASSWORD)
    page.get_by_label("New password", exact=True).fill(NEW_PASSWORD)
    page.get_by_label("New password again").fill(NEW_PASSWORD)
    page.get_by_role("button", name="Change my password").click()
    expect(page).to_have_url(re.compile(f"/o/{org_id}/team$"))
    again = console.__class__(console.base, console.page.context.browser.new_page(), services, [])
    try:  # and the new password is the one that works now
        again.sign_in(clara.email, NEW_PASSWORD)
        expect(again.page).to_have_url(re.compile(f"/o/{org_id}/team$"))
    finally:
        again.page.context.close()
    console.screenshot("expired-password-changed")
    assert not console.errors, console.errors


def test_forgot_password_then_reset_by_the_emailed_link_then_sign_in(console, world, services):
    org_id, _ = world.org("Harbour Health")
    clara = world.member(org_id, "clara@example.org")
    page = console.page
    console.go("/login")
    page.get_by_role("link", name="Forgot your password?").click()
    page.get_by_label("Email").fill(clara.email)
    page.get_by_role("button", name="Email me a link").click()
    expect(page.locator("#forgot-sent")).to_contain_text("a link to set a new password is on its way")
    link = latest_email(services, clara.email, r"https?://\S+/reset\?token=\S+")
    assert link.startswith(console.base + "/reset?token=cgr_")
    page.goto(link)
    page.get_by_label("New password", exact=True).fill("too short")
    page.get_by_label("New password again").fill("too short")
    page.get_by_role("button", name="Set my new password").click()
    expect(page.get_by_role("alert")).to_contain_text("use at least 12 characters")
    page.get_by_label("New password", exact=True).fill(NEW_PASSWORD)
    page.get_by_label("New password again").fill(NEW_PASSWORD)
    page.get_by_role("button", name="Set my new password").click()
    expect(page.get_by_role("status")).to_contain_text("Your new password is set")
    submit_password(console, clara.email, NEW_PASSWORD)
    expect(page).to_have_url(re.compile(f"/o/{org_id}/team$"))
    console.screenshot("password-reset")
    assert not console.errors, console.errors


def test_unlock_a_locked_account_from_the_team_page(console_factory, world, services):
    org_id, owner = world.org("Harbour Health")
    clara = world.member(org_id, "clara@example.org")
    lock_out(services, clara.email)
    member = console_factory()
    member.sign_in(clara.email, PASSWORD)
    expect(member.page.get_by_role("alert")).to_contain_text("the email or password is not right")
    admin = console_factory()
    admin.sign_in(owner.email, PASSWORD)
    clara_row = row(admin, clara.email)
    expect(clara_row.get_by_text("Locked", exact=True)).to_be_visible()
    clara_row.get_by_text("Actions").click()
    clara_row.get_by_role("button", name="Unlock account").click()
    expect(admin.page.locator("#flash")).to_contain_text("is unlocked and can sign in again")
    expect(row(admin, clara.email).get_by_text("Locked", exact=True)).to_have_count(0)
    member.sign_in(clara.email, PASSWORD)
    expect(member.page).to_have_url(re.compile(f"/o/{org_id}/team$"))
    admin.screenshot("unlocked")
    assert not admin.errors, admin.errors


def test_security_policy_shows_its_validation_and_the_lock_yourself_out_refusal(console, world, services):
    org_id, owner = world.org("Harbour Health")
    console.sign_in(owner.email, PASSWORD)
    page = console.page
    page.get_by_role("link", name="Settings").click()
    page.get_by_role("link", name="Open the security policy").click()
    expect(page.get_by_role("heading", name="Security policy", level=1)).to_be_visible()
    page.get_by_label("Networks for Front Desk").fill("not-a-network")
    page.get_by_label("Require 2FA for Administrator").check()
    page.get_by_role("button", name="Save security policy").click()
    alert = page.get_by_role("alert")
    expect(alert).to_contain_text("The security policy was not saved")
    expect(alert).to_contain_text("'not-a-network' is not a network such as 10.0.0.0/8")
    expect(page.get_by_label("Require 2FA for Administrator")).to_be_checked()  # what was typed stays
    page.get_by_label("Networks for Front Desk").fill("")
    page.get_by_label("Organisation allowlist").fill("10.9.0.0/16")
    page.get_by_role("button", name="Save security policy").click()
    expect(page.locator("#lockout-refusal")).to_contain_text("would lock you out")
    expect(page.locator("#lockout-refusal")).to_contain_text("127.0.0.1")
    console.screenshot("security-policy-refused")
    page.get_by_label("Organisation allowlist").fill("10.9.0.0/16\n127.0.0.1/32")
    page.get_by_label("Idle timeout for Clinician").fill("10")
    page.get_by_role("button", name="Save security policy").click()
    expect(page.locator("#flash")).to_contain_text("The security policy is saved")
    with services.unit(write=False) as uow:
        org = repo.get_org(uow.session, org_id=org_id)
        saved = org.settings["security"]  # type: ignore[union-attr]
    assert saved["ip_allowlist"] == ["10.9.0.0/16", "127.0.0.1/32"]
    assert saved["mfa"]["required_roles"] == ["administrator"]
    assert saved["sessions"]["role_idle_minutes"] == {"clinician": 10}
    console.screenshot("security-policy")
    assert not console.errors, console.errors


def test_my_sessions_and_signing_out_another_device(console_factory, world):
    org_id, owner = world.org("Harbour Health")
    laptop = console_factory()
    other = console_factory(user_agent=FIREFOX_ON_WINDOWS)
    laptop.sign_in(owner.email, PASSWORD)
    other.sign_in(owner.email, PASSWORD)
    page = laptop.page
    page.locator("details.user-menu summary").click()
    page.get_by_role("link", name="My account").click()
    sessions = page.locator("#session-list tbody tr")
    expect(sessions).to_have_count(3)  # this one, the other browser, and the test's own login
    expect(page.locator("#session-list tr.current")).to_contain_text("This device")
    firefox = page.locator("#session-list tr", has_text="Firefox on Windows")
    expect(firefox).to_have_count(1)
    firefox.get_by_role("button", name=re.compile("^Sign out")).click()
    expect(page.locator("#flash")).to_contain_text("Signed out on Firefox on Windows")
    expect(sessions).to_have_count(2)
    other.page.reload()
    expect(other.page).to_have_url(re.compile("/login"))
    expect(other.page.get_by_role("heading", name="Sign in")).to_be_visible()
    laptop.screenshot("my-account")
    page.get_by_role("button", name="Sign out everywhere").click()
    expect(page.get_by_role("status")).to_contain_text("You are signed out everywhere")
    laptop.go(f"/o/{org_id}/account")
    expect(page).to_have_url(re.compile("/login"))
    assert not laptop.errors + other.errors, laptop.errors + other.errors


def test_service_account_and_key_secret_once_then_used_and_counted(console, world, services):
    org_id, owner = world.org("Harbour Health")
    console.sign_in(owner.email, PASSWORD)
    page = console.page
    page.get_by_role("link", name="API keys").click()
    page.get_by_role("link", name="Create service account").click()
    dialog = page.locator("dialog#dialog")
    dialog.get_by_label("Name").fill("Scribe integration")
    dialog.get_by_label("Manager", exact=True).check()
    dialog.get_by_role("button", name="Create service account").click()
    expect(page.locator("#flash")).to_contain_text("The service account Scribe integration is created")
    page.get_by_role("link", name="Create API key").click()
    dialog.get_by_label("Key name").fill("Production")
    dialog.get_by_label("Only what I tick below").check()
    dialog.locator("summary", has_text="Members").click()
    dialog.get_by_label("Read members").check()
    dialog.get_by_role("button", name="Create key").click()
    expect(dialog.get_by_text("it is shown only once")).to_be_visible()
    secret = dialog.locator("#new-key-secret").get_attribute("data-value")
    assert secret and secret.startswith("cgk_")
    console.screenshot("api-key-secret")
    members_url = f"{console.base}/v1/orgs/{org_id}/members"
    assert api_status(members_url, secret) == api_status(members_url, secret) == 200
    dialog.get_by_role("link", name="I have copied it").click()
    key_row = page.locator("#keys tbody tr", has_text="Production")
    expect(key_row).to_contain_text("members:read")
    expect(key_row.locator(".usage-total")).to_have_text("2")
    expect(key_row.locator(".last-used")).not_to_contain_text("never")
    assert secret not in page.content()  # shown once only

    key_row.get_by_role("link", name=re.compile("^Rotate")).click()
    dialog.get_by_label("The old key keeps working for").select_option("1")
    dialog.get_by_role("button", name="Rotate the key").click()
    expect(dialog.get_by_text("keeps working until")).to_be_visible()
    rotated = dialog.locator("#new-key-secret").get_attribute("data-value")
    assert rotated and rotated != secret
    for key in (secret, rotated):  # both work during the grace hour
        assert api_status(members_url, key) == 200
    dialog.get_by_role("link", name="I have copied it").click()
    expect(page.locator("#keys tbody tr", has_text="Rotating out")).to_have_count(1)
    console.screenshot("api-keys")
    assert not console.errors, console.errors


def test_a_role_change_after_the_window_asks_to_confirm_it_is_you(console, world, services, clock):
    org_id, owner = world.org("Harbour Health")
    clara = world.member(org_id, "clara@example.org")
    console.sign_in(owner.email, PASSWORD)
    clock.advance(minutes=20)  # the re-authentication window is 15 minutes; the idle timeout 30
    page = console.page
    console.go(f"/o/{org_id}/team")
    row(console, clara.email).get_by_role("link", name=re.compile("change roles of")).first.click()
    dialog = page.locator("dialog#dialog")
    dialog.get_by_label("Administrator", exact=True).check()
    dialog.get_by_role("button", name="Save roles").click()
    expect(dialog.get_by_role("heading", name="Confirm it is you")).to_be_visible()
    dialog.get_by_label("Your password").fill("not my password")
    dialog.get_by_role("button", name="Confirm").click()
    expect(page.get_by_role("alert")).to_contain_text("That password is not right")
    page.get_by_label("Your password").fill(PASSWORD)
    page.get_by_role("button", name="Confirm").click()
    expect(page.get_by_role("heading", name="Thank you, it is you")).to_be_visible()
    with services.unit(write=False) as uow:  # nothing changed yet
        assert [r.role_key for r in repo.roles_of(uow.session, member_ids=[clara.member_id])[clara.member_id]] \
            == ["clinician"]
    console.screenshot("reauthentication")
    page.get_by_role("button", name="Continue").click()
    expect(page.locator("#flash")).to_contain_text("now holds")
    expect(row(console, clara.email)).to_contain_text("Administrator")
    console.screenshot("reauthentication-done")
    assert not console.errors, console.errors
