"""A live dashboard for the browser tests: a store with a real SEV2 incident, tokens, a server."""

from __future__ import annotations

import re
import shutil
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from playwright.sync_api import Browser, Dialog, Page, sync_playwright

import redline
from redline.api import create_app
from redline.api.server import ApiServer
from redline.services import open_store
from redline.services.catalog import save_reference
from redline.services.tokens import create_token
from redline.services.views import list_incident_views
from redline.settings import Settings, StoreSettings
from redline.store import Store
from rltest.credit import MODEL, credit_guard, fit_reference, send_traffic
from rltest.policy import drift_fallback_playbook

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


def find_chromium() -> str | None:
    """Debian's chromium, or one on the PATH."""
    return CHROMIUM if Path(CHROMIUM).exists() else shutil.which("chromium")


def seed_incident(url: str) -> redline.Reference:
    """Run a real Guard on drifted traffic: the store gets windows, signals and a SEV2 incident,
    contained by the fallback (the playbook opts into rerouting confirmed drift)."""
    reference = fit_reference()
    playbook = drift_fallback_playbook()
    with credit_guard(url, reference, route_poll_s=0.05, playbook=playbook) as guard:
        send_traffic(guard, 1_000, shift=1.5, seed=1)
    return reference


@dataclass
class Dashboard:
    """A live app serving the dashboard, its store, a token per role and the seeded incident."""

    server: ApiServer
    store: Store
    tokens: dict[str, str]
    key: str

    @property
    def url(self) -> str:
        """Base URL of the server."""
        return self.server.url

    @contextmanager
    def login(self, role: str) -> Iterator[httpx.Client]:
        """An HTTP client holding a session cookie of ``role`` (no redirects followed)."""
        with httpx.Client(base_url=self.url, timeout=30.0) as client:
            response = client.post("/login", data={"token": self.tokens[role]})
            assert response.status_code == 303, response.text
            yield client

    def csrf(self, client: httpx.Client) -> str:
        """The CSRF token the incident page gives this client's session."""
        page = client.get(f"/incidents/{self.key}", headers={"Accept": "text/html"}).text
        found = re.search(r'name="csrf_token" value="([0-9a-f]+)"', page)
        assert found is not None, page
        return found.group(1)


@contextmanager
def serve_dashboard(
    directory: Path, *, roles: tuple[str, ...] = ("viewer", "responder")
) -> Iterator[Dashboard]:
    """Seed a SQLite store under ``directory`` and serve the app on 127.0.0.1 (port 0), with a
    token per role in ``roles``."""
    url = f"sqlite:///{directory / 'redline.db'}"
    reference = seed_incident(url)
    store = open_store(url)
    # The model page charts windows against the stored reference, as `redline serve` keeps it.
    save_reference(store, model=MODEL, body=reference.to_dict(), actor="test:e2e")
    app = create_app(Settings(store=StoreSettings(url=url)), store=store)
    server = ApiServer(app, host="127.0.0.1", port=0, log_level="warning").start()
    tokens = {role: create_token(store, name=f"{role}-e2e", role=role)[0] for role in roles}
    (incident,) = list_incident_views(store, model=MODEL)
    try:
        yield Dashboard(server, store, tokens, incident.key)
    finally:
        server.stop()
        store.dispose()


@contextmanager
def launch_browser() -> Iterator[Browser]:
    """Headless Chromium (Debian's); skips the calling tests only when it is not installed."""
    executable = find_chromium()
    if executable is None:
        pytest.skip("chromium is not installed (.ci/run installs it: apt-get install chromium)")
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS)
        try:
            yield launched
        finally:
            launched.close()


def dashboard_fixture(
    directory: str,
    *,
    roles: tuple[str, ...] = ("viewer", "responder"),
    prepare: Callable[[Dashboard], None] | None = None,
) -> Any:
    """A module-scoped ``dashboard`` fixture: a live dashboard under a fresh ``directory``,
    ``prepare``d before the first test (assign it to a module-level ``dashboard``)."""

    @pytest.fixture(scope="module", name="dashboard")
    def dashboard(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Dashboard]:
        with serve_dashboard(tmp_path_factory.mktemp(directory), roles=roles) as served:
            if prepare is not None:
                prepare(served)
            yield served

    return dashboard


def browser_fixture() -> Any:
    """A module-scoped ``browser`` fixture, headless Chromium (assign it to ``browser``)."""

    @pytest.fixture(scope="module", name="browser")
    def browser() -> Iterator[Browser]:
        with launch_browser() as launched:
            yield launched

    return browser


def log_in(browser: Browser, dashboard: Dashboard, role: str) -> Page:
    """A fresh browser page logged in as ``role``, on the overview."""
    page = browser.new_context(viewport={"width": 1360, "height": 900}).new_page()
    page.goto(f"{dashboard.url}/login")
    page.fill("#token", dashboard.tokens[role])
    page.click("button[type=submit]")
    page.wait_for_url(f"{dashboard.url}/")
    return page


def shot(page: Page, directory: Path, name: str) -> None:
    """Keep a full-page screenshot as a test artifact (its path is printed)."""
    path = directory / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    print(f"screenshot: {path}")


def accept_dialogs(page: Page) -> list[str]:
    """Accept every confirmation the page asks for; the list collects their messages."""
    seen: list[str] = []

    def accept(dialog: Dialog) -> None:
        seen.append(dialog.message)
        dialog.accept()

    page.on("dialog", accept)
    return seen
