"""Hostile values in every field a token holder can write, rendered on every dashboard page in
real headless Chromium: no script runs, nothing trips the Content-Security-Policy, the text
shows as text."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import quote

import httpx
import pytest
from dashboard_support import (
    MODEL,
    Dashboard,
    browser_fixture,
    dashboard_fixture,
    log_in,
    shot,
)
from playwright.sync_api import Browser, Page

from redline.api.dashboard.headers import DASHBOARD_CSP
from redline.services.review import queue_for_review
from redline.services.tokens import create_token
from rltest.credit import credit_guard, fit_reference

pytestmark = pytest.mark.slow

#: Breaks out of a double-quoted attribute, a single-quoted one, an element, and a script.
HOSTILE = (
    '"\' autofocus onfocus="alert(\'attr\')" x="'
    "<img src=x onerror=alert('img')><svg onload=alert('svg')>"
    "</code></td><script>alert('script')</script>"
)

#: Records what the Content-Security-Policy refused; runs before any page script.
WATCH_CSP = """
window.__refused = [];
document.addEventListener('securitypolicyviolation',
  (e) => window.__refused.push(e.violatedDirective + ' ' + e.blockedURI));
"""


def _plant(served: Dashboard) -> None:
    """A responder token named HOSTILE writes HOSTILE wherever the API lets it; a remote Guard's
    windows carry it as a category, a source and a review item."""
    secret, _ = create_token(served.store, name=HOSTILE, role="responder")
    headers = {"Authorization": f"Bearer {secret}"}
    key = quote(served.key, safe="")
    until = (datetime.now(UTC) + timedelta(hours=1)).isoformat()
    with httpx.Client(base_url=f"{served.url}/api/v1", headers=headers, timeout=30) as api:
        writes = [
            api.post(f"/incidents/{key}/notes", json={"text": HOSTILE}),
            api.post(f"/incidents/{key}/acknowledge"),
            api.post("/snoozes", json={"pattern": HOSTILE, "until": until, "reason": HOSTILE}),
            api.post(f"/incidents/{key}/postmortem"),
        ]
        version = writes[-1].json()["version"]
        body = {"markdown": f"# {HOSTILE}\n\n{HOSTILE}", "reason": HOSTILE, "version": version}
        writes.append(api.put(f"/incidents/{key}/postmortem", json=body))
    assert [w.status_code for w in writes] == [201, 200, 201, 200, 200], [w.text for w in writes]
    with credit_guard(served.store, fit_reference()) as guard:
        for i in range(300):
            guard.predict({"x": i / 300, "region": HOSTILE}, source=HOSTILE)
        guard.flush()
    item = {
        "request_id": HOSTILE,
        "reason": HOSTILE,
        "input": {HOSTILE: HOSTILE},
        "output": HOSTILE,
        "confidence": 0.1,
        "threshold": 0.5,
    }
    queue_for_review(served.store, model=MODEL, items=[item])


dashboard = dashboard_fixture("hostile", prepare=_plant)

browser = browser_fixture()


def _pages(served: Dashboard) -> list[str]:
    key, hostile = quote(served.key, safe=""), quote(HOSTILE, safe="")
    return [
        f"/?notice={hostile}&error={hostile}",
        f"/incidents?model={hostile}&status={hostile}",
        "/incidents",
        f"/incidents/{key}?notice={hostile}",
        f"/incidents/{key}/blame",
        f"/incidents/{key}/postmortem.html",
        f"/models/{quote(MODEL)}",
        f"/models/{hostile}",
        f"/review?error={hostile}",
        f"/{hostile}",
    ]


def _visit(page: Page, url: str) -> list[str]:
    """Open ``url``, focus every element once; return what the CSP refused."""
    page.goto(url)
    page.wait_for_load_state("load")
    for element in page.locator("a, button, input, code, span, td").all()[:400]:
        element.focus()
    refused: list[str] = page.evaluate("window.__refused")
    return refused


def test_no_hostile_value_runs_anywhere(
    browser: Browser, dashboard: Dashboard, tmp_path: Path
) -> None:
    page = log_in(browser, dashboard, "responder")
    page.add_init_script(WATCH_CSP)
    alerts: list[str] = []
    page.on("dialog", lambda dialog: (alerts.append(dialog.message), dialog.dismiss()))
    refused = {path: _visit(page, f"{dashboard.url}{path}") for path in _pages(dashboard)}
    shot(page, tmp_path, "hostile-last-page")
    assert alerts == []
    assert {path: r for path, r in refused.items() if r} == {}


def test_hostile_values_show_as_text(browser: Browser, dashboard: Dashboard) -> None:
    page = log_in(browser, dashboard, "viewer")
    page.goto(f"{dashboard.url}/incidents/{quote(dashboard.key, safe='')}")
    assert HOSTILE in page.inner_text("#timeline")
    assert page.locator("#timeline script, #timeline img, #timeline svg").count() == 0
    note = page.locator("#timeline code.details").filter(has_text="alert('img')").first
    assert json.loads(note.get_attribute("title") or "{}") == {"text": HOSTILE}


def test_every_dashboard_response_carries_the_policy(dashboard: Dashboard) -> None:
    with dashboard.login("viewer") as client:
        answers = [
            client.get("/", headers={"Accept": "text/html"}),
            client.get(f"/incidents/{quote(dashboard.key, safe='')}"),
            client.get("/static/dashboard/dashboard.js"),
        ]
    assert [a.headers.get("content-security-policy") for a in answers] == [DASHBOARD_CSP] * 3
    assert {a.headers.get("x-content-type-options") for a in answers} == {"nosniff"}
    assert {a.headers.get("x-frame-options") for a in answers} == {"DENY"}


def test_a_login_posted_from_another_site_is_refused(dashboard: Dashboard) -> None:
    token = {"token": dashboard.tokens["viewer"]}
    own = dashboard.url.removeprefix("http://")
    with httpx.Client(base_url=dashboard.url, timeout=30) as client:
        refused = [
            client.post("/login", data=token, headers={"Origin": "https://evil.example"}),
            client.post("/login", data=token, headers={"Sec-Fetch-Site": "cross-site"}),
        ]
        allowed = client.post("/login", data=token, headers={"Origin": f"https://{own}"})
    assert [r.status_code for r in refused] == [403, 403]
    assert all("set-cookie" not in r.headers for r in refused)
    assert allowed.status_code == 303
