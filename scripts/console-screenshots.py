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
from pathlib import Path

import uvicorn
from playwright.sync_api import sync_playwright

from caregate.api.app import create_app
from caregate.config import Settings
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
    settings = Settings(sqlite_path=tmp / "demo.db", public_url=f"http://127.0.0.1:{port}", cookie_secure=False)
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
            browser.close()
    finally:
        server.should_exit = True
    print(f"screenshots in {out}")


if __name__ == "__main__":
    main(Path(sys.argv[1] if len(sys.argv) > 1 else "docs/img"))
