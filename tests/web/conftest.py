"""Console fixtures: a real uvicorn server on a free port, Debian's Chromium driven by Playwright, axe-core.

The server runs in a thread of the test process on the `services` of the test (so the `database`
fixture's SQLite and PostgreSQL backends both get it, and the test reads the same database, e.g. the
email outbox). The browser is /usr/bin/chromium, installed by scripts/system-deps.sh from Debian;
`playwright install` is never run. Each browser test saves a screenshot of its final page under
test-artifacts/screenshots/.
"""

from __future__ import annotations

import json
import os
import re
import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import uvicorn
from fastapi.testclient import TestClient

from caregate.api.app import create_app
from caregate.config import Settings
from caregate.service.context import Services
from caregate.store import repo

ROOT = Path(__file__).resolve().parents[2]
SCREENSHOTS = ROOT / "test-artifacts" / "screenshots"
AXE = ROOT / "node_modules" / "axe-core" / "axe.min.js"
CHROMIUM = os.environ.get("CAREGATE_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]
# refusals the tests provoke on purpose; a 404 (a missing script or style) still counts as an error
EXPECTED = re.compile(r"Failed to load resource: the server responded with a status of (401|403|409|422)")
MISSING = "run scripts/system-deps.sh (Debian's chromium and the pinned axe-core) or `make test`"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


@pytest.fixture
def port() -> int:
    return _free_port()


@pytest.fixture
def settings(tmp_path: Path, port: int) -> Settings:
    """The shared settings, with the live server's address (invitation links) and cookies over http."""
    return Settings(sqlite_path=tmp_path / "unused.db", public_url=f"http://127.0.0.1:{port}", smtp_url="",
                    argon2_time_cost=1, argon2_memory_kib=1024, cookie_secure=False)


@pytest.fixture
def web(services: Services) -> Iterator[TestClient]:
    """An in-process client for the console (no browser): headers, cookies, CSRF, refusals."""
    with TestClient(create_app(services), base_url=services.settings.public_url, follow_redirects=False,
                    raise_server_exceptions=False) as client:
        yield client


@pytest.fixture
def live_server(services: Services, port: int) -> Iterator[str]:
    app = create_app(services)
    # FastAPI builds its routes' parameter models lazily, on the first request that reaches them, under a
    # warnings.catch_warnings() that is not thread-safe: built in the server thread while pytest's thread
    # swaps the warning filters, pydantic's UnsupportedFieldAttributeWarning escaped as an error (a 500).
    # One request that matches nothing, made here before the server thread starts, builds them all.
    TestClient(app).get("/__build-routes__")
    config = uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning",
                            lifespan="off", ws="none", access_log=False)
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, name="caregate-live", daemon=True)
    thread.start()
    deadline = time.monotonic() + 15
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("the test server did not start")
        time.sleep(0.02)
    yield f"http://127.0.0.1:{port}"
    server.should_exit = True
    thread.join(timeout=10)


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    if os.environ.get("CAREGATE_SKIP_BROWSER") == "1":
        pytest.skip("CAREGATE_SKIP_BROWSER=1")
    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing: {MISSING}")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@dataclass
class Console:
    """One browser (its own cookies) pointed at the live server."""

    base: str
    page: Any
    services: Services
    errors: list[str]

    def go(self, path: str) -> Any:
        return self.page.goto(self.base + path)

    def sign_in(self, email: str, password: str) -> None:
        self.go("/login")
        self.page.get_by_label("Email").fill(email)
        self.page.get_by_label("Password").fill(password)
        self.page.get_by_role("button", name="Sign in").click()
        self.page.wait_for_load_state()

    def org_path(self) -> str:
        match = re.search(r"/o/[A-Za-z0-9_]+", self.page.url)
        assert match, f"not on an organisation page: {self.page.url}"
        return match.group(0)

    def screenshot(self, name: str) -> Path:
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        path = SCREENSHOTS / f"{name}-{self.services.db.dialect}.png"
        self.page.screenshot(path=str(path), full_page=True)
        return path

    def axe(self) -> list[dict[str, Any]]:
        """Run axe-core on the current page; return its serious and critical violations."""
        if not AXE.exists():
            pytest.fail(f"{AXE} is missing: {MISSING}")
        # evaluate, not a <script> tag: the console's CSP rightly refuses inline scripts
        self.page.evaluate(AXE.read_text(encoding="utf-8"))
        result = self.page.evaluate("""async () => {
            const r = await axe.run(document, {runOnly: {type: 'tag',
                values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'wcag22aa', 'best-practice']}});
            return r.violations.map(v => ({id: v.id, impact: v.impact, help: v.help,
                nodes: v.nodes.slice(0, 5).map(n => n.target.join(' ') + ': ' + n.failureSummary)}));
        }""")
        return [v for v in result if v["impact"] in ("serious", "critical")]


@pytest.fixture
def console_factory(browser: Any, live_server: str, services: Services) -> Iterator[Any]:
    """Make consoles: one per person, each a separate browser context (its own cookies)."""
    contexts: list[Any] = []

    def make(width: int = 1280, height: int = 860, **options: Any) -> Console:
        context = browser.new_context(viewport={"width": width, "height": height}, **options)
        context.set_default_timeout(10_000)
        contexts.append(context)
        page = context.new_page()
        errors: list[str] = []
        page.on("pageerror", lambda exc: errors.append(str(exc)))
        page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" and not EXPECTED.search(
            msg.text) else None)
        return Console(live_server, page, services, errors)

    yield make
    for context in contexts:
        context.close()


@pytest.fixture
def console(console_factory: Any) -> Console:
    made: Console = console_factory()
    return made


@pytest.fixture
def invitation_link(services: Services) -> Any:
    """The activation link of the latest email to an address, read from the outbox (no SMTP in tests)."""

    def find(email: str) -> str:
        with services.unit(write=False) as uow:
            messages = repo.outbox(uow.session, to_address=email)
            assert messages, f"no email to {email}"
            body = messages[0].body
        match = re.search(r"https?://\S+/accept\?token=\S+", body)
        assert match, body
        return match.group(0)

    return find


@pytest.fixture
def axe_clean() -> Any:
    """Assert a console page has no serious or critical accessibility violations."""

    def check(console: Console) -> None:
        violations = console.axe()
        assert not violations, f"{console.page.url}:\n{json.dumps(violations, indent=1)}"

    return check
