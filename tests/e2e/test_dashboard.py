"""The dashboard in real headless Chromium: log in, open an incident, press the kill switch."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from dashboard_support import CHROMIUM_ARGS, MODEL, Dashboard, find_chromium, serve_dashboard
from playwright.sync_api import Browser, Dialog, Page, sync_playwright

from redline.api.dashboard.pages import feature_drift
from redline.api.dashboard.web import age, brief

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def dashboard(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Dashboard]:
    """One live dashboard on a store with a real SEV2 incident, shared by this module."""
    with serve_dashboard(tmp_path_factory.mktemp("dashboard")) as served:
        yield served


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    """Headless Chromium (Debian's); the tests skip only when it is not installed."""
    executable = find_chromium()
    if executable is None:
        pytest.skip("chromium is not installed (.ci/run installs it: apt-get install chromium)")
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS)
        yield launched
        launched.close()


def _log_in(browser: Browser, dashboard: Dashboard, role: str) -> Page:
    page = browser.new_context(viewport={"width": 1360, "height": 900}).new_page()
    page.goto(f"{dashboard.url}/incidents/{dashboard.key}")
    assert page.url.endswith("/login")  # no session: to the login form first
    page.fill("#token", dashboard.tokens[role])
    page.click("button[type=submit]")
    page.wait_for_url(f"{dashboard.url}/")
    return page


def _shot(page: Page, directory: Path, name: str) -> None:
    path = directory / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    print(f"screenshot: {path}")


def test_a_responder_presses_the_kill_switch(
    browser: Browser, dashboard: Dashboard, tmp_path: Path
) -> None:
    page = _log_in(browser, dashboard, "responder")
    assert "SEV2" in page.inner_text("#incidents")
    assert MODEL in page.inner_text("#models")
    _shot(page, tmp_path, "overview")

    page.click(f"#incidents a:text('{dashboard.key}')")
    page.wait_for_url(f"**/incidents/{dashboard.key}")
    assert "chain verified" in page.inner_text("h2:has-text('Timeline')")
    applied_before = page.locator("#timeline td.kind:text-is('action_applied')").count()
    assert "kill_switch" not in page.inner_text("#actions")

    dialogs: list[str] = []

    def accept(dialog: Dialog) -> None:
        dialogs.append(dialog.message)
        dialog.accept()

    page.on("dialog", accept)
    with page.expect_navigation():
        page.click("#btn-kill_switch")
    assert dialogs
    assert "Kill switch" in dialogs[0]
    assert "kill_switch applied" in page.inner_text("[role=status]")
    assert "kill_switch" in page.inner_text("#actions")
    after = page.locator("#timeline td.kind:text-is('action_applied')").count()
    assert after == applied_before + 1
    assert "fallback" in page.inner_text("#route")
    assert "chain verified" in page.inner_text("h2:has-text('Timeline')")
    _shot(page, tmp_path, "incident-after-kill-switch")

    page.click(f"#route >> xpath=ancestor::dl//a[text()='{MODEL}']")
    page.wait_for_url(f"**/models/{MODEL}")
    assert "fallback" in page.inner_text("#route")
    assert "x" in page.inner_text("#drift")
    assert page.locator("#windows tbody tr").count() >= 1
    _shot(page, tmp_path, "model")


def test_a_viewer_sees_no_buttons_and_is_refused(
    browser: Browser, dashboard: Dashboard, tmp_path: Path
) -> None:
    page = _log_in(browser, dashboard, "viewer")
    page.goto(f"{dashboard.url}/incidents/{dashboard.key}")
    for button in ("#btn-kill_switch", "#btn-rollback", "#btn-resolve"):
        assert page.locator(button).count() == 0, button  # viewers get no buttons at all
    _shot(page, tmp_path, "incident-as-viewer")
    cookies = {c["name"]: c["value"] for c in page.context.cookies()}
    csrf = page.get_attribute("input[name=csrf_token]", "value")
    with dashboard.login("viewer") as client:
        client.cookies.clear()
        client.cookies.update(cookies)
        response = client.post(
            f"/incidents/{dashboard.key}/actions",
            data={"csrf_token": csrf or "", "type": "kill_switch"},
        )
    assert response.status_code == 403
    assert "viewer" in response.text


def test_a_post_without_the_csrf_token_is_refused(dashboard: Dashboard) -> None:
    with dashboard.login("responder") as client:
        for data in ({"type": "kill_switch"}, {"type": "kill_switch", "csrf_token": "0" * 64}):
            response = client.post(f"/incidents/{dashboard.key}/actions", data=data)
            assert response.status_code == 403
            assert "CSRF" in response.text
        response = client.post(f"/incidents/{dashboard.key}/transitions", data={"event": "resolve"})
        assert response.status_code == 403


def test_a_refused_transition_is_a_message_not_a_500(dashboard: Dashboard) -> None:
    with dashboard.login("responder") as client:
        data = {"csrf_token": dashboard.csrf(client), "event": "close"}
        response = client.post(f"/incidents/{dashboard.key}/transitions", data=data)
        assert response.status_code == 303
        page = client.get(response.headers["location"])
        assert page.status_code == 200
        assert 'role="alert"' in page.text
        assert "close was refused" in page.text
        data["event"] = "no-such-event"
        response = client.post(f"/incidents/{dashboard.key}/transitions", data=data)
        assert "error=" in response.headers["location"]


def test_pages_need_a_session(dashboard: Dashboard) -> None:
    with dashboard.login("viewer") as client:
        assert client.get("/").status_code == 200
        assert client.get("/models/nope").status_code == 404
        assert client.get("/incidents/RL-0000-0000").status_code == 404
        client.cookies.clear()
        response = client.get("/", headers={"Accept": "text/html"})
        assert (response.status_code, response.headers["location"]) == (303, "/login")
        assert client.get("/").status_code == 401
        assert client.post("/login", data={"token": "rl_wrong"}).status_code == 401
        assert client.get("/static/dashboard/dashboard.css").status_code == 200


def test_the_page_helpers() -> None:
    now = datetime(2026, 11, 2, 12, 0, tzinfo=UTC)
    assert [age(now - timedelta(seconds=s), now=now) for s in (5, 300, 7_200, 200_000)] == [
        "5s",
        "5m",
        "2h",
        "2d",
    ]
    assert brief({"to": "fallback", "signals": list(range(100))}, width=12).startswith(
        "to=fallback"
    )
    assert brief({"signals": list(range(100))}, width=12).endswith("…")
    drift = feature_drift(["x", "region"], None)
    assert [(f.column, f.level, f.ratio, f.flagged) for f in drift] == [
        ("region", "no result", 0.0, False),
        ("x", "no result", 0.0, False),
    ]
