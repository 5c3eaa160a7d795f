"""Take the screenshots of docs/console.md: the demo clinic in Debian's Chromium, at laptop size.

    .venv/bin/python scripts/console-screenshots.py [out_dir]   (default docs/img)

Needs what the browser tests need (scripts/system-deps.sh). Uses a throw-away SQLite file.
"""

from __future__ import annotations

import socket
import sys
import tempfile
import threading
import time
import urllib.request
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import uvicorn
from playwright.sync_api import sync_playwright

from caregate.api.app import create_app
from caregate.config import Settings
from caregate.identity import totp
from caregate.service import demo
from caregate.service.context import Services
from caregate.store import migrate
from caregate.store.db import Database

ARGS = ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync"]


def main(out: Path) -> None:
    out.mkdir(parents=True, exist_ok=True)
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    tmp = Path(tempfile.mkdtemp())
    settings = Settings(sqlite_path=tmp / "demo.db", public_url=f"http://127.0.0.1:{port}", cookie_secure=False,
                        secret_key_file=tmp / "secret.key")
    db = Database(settings.resolved_database_url())
    migrate.upgrade(db)
    services = Services(db, settings)
    org = demo.load(services)
    server = uvicorn.Server(uvicorn.Config(create_app(services), host="127.0.0.1", port=port, log_level="warning",
                                          lifespan="off", ws="none"))
    threading.Thread(target=server.run, daemon=True).start()
    while not server.started:
        time.sleep(0.05)
    base, o = f"http://127.0.0.1:{port}", f"/o/{org.id}"
    try:
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=ARGS)
            page = browser.new_context(viewport={"width": 1280, "height": 800}).new_page()
            page.goto(base + "/login")
            page.screenshot(path=str(out / "console-sign-in.png"))
            page.get_by_label("Email").fill(f"owner@{demo.DEMO_DOMAIN}")
            page.get_by_label("Password").fill(demo.DEMO_PASSWORD)
            page.get_by_role("button", name="Sign in").click()
            page.wait_for_url("**/team")
            page.screenshot(path=str(out / "console-team.png"))
            page.get_by_role("link", name="Add team member").click()
            dialog = page.locator("dialog#dialog")
            dialog.get_by_label("Email").fill("new.clinician@example.org")
            dialog.get_by_label("Name (optional)").fill("Noor Clinician")
            dialog.get_by_label("Provider", exact=True).check()  # the demo preset calls Clinicians so
            dialog.get_by_role("button", name="Review seat and price").click()
            dialog.locator("#seat-quote").scroll_into_view_if_needed()
            page.screenshot(path=str(out / "console-add-member.png"))
            page.goto(base + o + "/roles")
            page.screenshot(path=str(out / "console-roles.png"))
            page.goto(base + o + "/roles/new?parent=billing")
            page.screenshot(path=str(out / "console-role-editor.png"))
            page.goto(base + o + "/settings")
            page.screenshot(path=str(out / "console-settings.png"))
            page.goto(base + o + "/seats")
            page.screenshot(path=str(out / "console-seats.png"))
            audit_page(page, base, o, out)
            identity_pages(browser, page, base, o, out)
            sessions_pages(browser, base, o, out)
            browser.close()
    finally:
        server.should_exit = True
    print(f"screenshots in {out}")


def audit_page(page: Any, base: str, o: str, out: Path) -> None:
    """The audit log, with the chain verified."""
    page.goto(base + o + "/audit")
    page.get_by_role("button", name="Verify the chain").click()
    page.locator("#chain-intact").wait_for()
    page.screenshot(path=str(out / "console-audit.png"))


def identity_pages(browser: Any, page: Any, base: str, o: str, out: Path) -> None:
    """Security policy, API keys, My account with 2FA set up, then signing in with the 2FA step."""
    page.goto(base + o + "/settings/security")
    page.screenshot(path=str(out / "console-security.png"), full_page=True)
    page.goto(base + o + "/api-keys")
    page.get_by_role("link", name="Create service account").click()
    dialog = page.locator("dialog#dialog")
    dialog.get_by_label("Name").fill("Scribe integration")
    dialog.get_by_label("Front Desk", exact=True).check()
    dialog.get_by_role("button", name="Create service account").click()
    page.get_by_role("link", name="Create API key").click()
    dialog.get_by_label("Key name").fill("Production scribe server")
    dialog.get_by_role("button", name="Create key").click()
    secret = dialog.locator("#new-key-secret").get_attribute("data-value")
    page.screenshot(path=str(out / "console-api-key-secret.png"))
    for _ in range(7):  # the scribe calls the API: its use shows on the page
        request = urllib.request.Request(f"{base}/v1{o.replace('/o/', '/orgs/')}/members",  # noqa: S310
                                         headers={"Authorization": f"Bearer {secret}"})
        urllib.request.urlopen(request, timeout=10).close()  # noqa: S310 -- the local demo server
    dialog.get_by_role("link", name="I have copied it").click()
    page.screenshot(path=str(out / "console-api-keys.png"))

    page.goto(base + o + "/account")
    page.get_by_role("button", name="Set up an authenticator app").click()
    page.screenshot(path=str(out / "console-enrolment.png"), full_page=True)
    key = page.locator("#totp-secret").get_attribute("data-value")
    page.get_by_label("Code the app shows now").fill(totp.code_at(key, datetime.now(UTC)))
    page.get_by_role("button", name="Turn on two-step verification").click()
    page.screenshot(path=str(out / "console-recovery-codes.png"))
    page.get_by_label("I have saved my recovery codes somewhere safe").check()
    page.get_by_role("button", name="Continue").click()
    page.screenshot(path=str(out / "console-my-account.png"), full_page=True)

    second = browser.new_context(viewport={"width": 1280, "height": 800}).new_page()
    second.goto(base + "/login")
    second.get_by_label("Email").fill(f"owner@{demo.DEMO_DOMAIN}")
    second.get_by_label("Password").fill(demo.DEMO_PASSWORD)
    second.get_by_role("button", name="Sign in").click()
    second.get_by_label("Code from your authenticator app").wait_for()
    second.screenshot(path=str(out / "console-sign-in-2fa.png"))


def _signed_in(browser: Any, base: str, who: str) -> Any:
    """A fresh laptop-sized page signed in as a demo member (no second factor)."""
    page = browser.new_context(viewport={"width": 1280, "height": 800}).new_page()
    page.goto(base + "/login")
    page.get_by_label("Email").fill(f"{who}@{demo.DEMO_DOMAIN}")
    page.get_by_label("Password").fill(demo.DEMO_PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url("**/team")
    return page


def sessions_pages(browser: Any, base: str, o: str, out: Path) -> None:
    """Clara's sessions, the Share dialog with a colleague found, then Dana's bell and notifications."""
    page = _signed_in(browser, base, "clinician")
    page.goto(base + o + "/sessions")
    page.screenshot(path=str(out / "console-sessions.png"))
    page.get_by_role("link", name="Asthma review").click()
    page.get_by_role("link", name="Share").click()
    dialog = page.locator("dialog#dialog")
    dialog.get_by_label("Search a colleague by name or email").fill("dana")
    dialog.locator("#share-targets").get_by_text("Adam Administrator").wait_for(state="detached")  # filtered
    dialog.get_by_label("Dana Lead (Clinician + Administrator) lead@demo.caregate.test").check()
    dialog.get_by_role("button", name="Share", exact=True).click()
    dialog.locator("#share-message").wait_for()
    page.screenshot(path=str(out / "console-session-share.png"))
    lead = _signed_in(browser, base, "lead")
    lead.goto(base + o + "/notifications")
    lead.screenshot(path=str(out / "console-notifications.png"))


if __name__ == "__main__":
    main(Path(sys.argv[1] if len(sys.argv) > 1 else "docs/img"))
