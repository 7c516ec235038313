"""The incident page's shadow and threshold buttons, confirmed, and a viewer who may not act."""

from __future__ import annotations

from pathlib import Path

import pytest
from dashboard_support import (
    MODEL,
    Dashboard,
    accept_dialogs,
    browser_fixture,
    dashboard_fixture,
    log_in,
    shot,
)
from playwright.sync_api import Browser

from redline.api.dashboard.incidents import action_params
from redline.domain import ActionType
from redline.errors import DataError
from redline.services.views import get_route_view

pytestmark = pytest.mark.slow


dashboard = dashboard_fixture("controls")

browser = browser_fixture()


def test_shadow_and_threshold_are_confirmed_and_change_the_route(
    browser: Browser, dashboard: Dashboard, tmp_path: Path
) -> None:
    page = log_in(browser, dashboard, "responder")
    page.goto(f"{dashboard.url}/incidents/{dashboard.key}")
    before = get_route_view(dashboard.store, model=MODEL).revision

    # A dismissed confirmation sends nothing.
    page.once("dialog", lambda dialog: dialog.dismiss())
    page.fill("#threshold-value", "0.8")
    page.click("#btn-threshold_change")
    page.wait_for_timeout(300)
    assert get_route_view(dashboard.store, model=MODEL).revision == before

    dialogs = accept_dialogs(page)
    page.fill("#shadow-baseline", "v1")
    page.fill("#shadow-version", "v2")
    with page.expect_navigation():
        page.click("#btn-shadow")
    assert "Shadow on model credit" in dialogs[-1]
    assert "baseline = v1" in dialogs[-1]
    assert "shadow applied" in page.inner_text("[role=status]")
    assert page.inner_text("#route-shadow") == "v2"
    assert page.inner_text("#route-version") == "v1"

    page.fill("#threshold-value", "0.75")
    page.select_option("#threshold-mode", "pending")
    with page.expect_navigation():
        page.click("#btn-threshold_change")
    assert "threshold = 0.75" in dialogs[-1]
    assert "threshold_change applied" in page.inner_text("[role=status]")
    assert page.inner_text("#route-threshold") == "0.75"
    route = get_route_view(dashboard.store, model=MODEL)
    assert (route.revision, route.state.confidence_threshold) == (before + 2, 0.75)
    assert route.state.review_mode == "pending"
    assert "threshold_change" in page.inner_text("#actions")
    shot(page, tmp_path, "incident-after-shadow-and-threshold")

    # Bad input comes back as a message and changes nothing.
    page.fill("#threshold-value", "lots")
    with page.expect_navigation():
        page.click("#btn-threshold_change")
    assert "threshold must be a number" in page.inner_text("[role=alert]")
    assert get_route_view(dashboard.store, model=MODEL).revision == before + 2


def test_a_viewer_sees_no_buttons_and_a_forged_post_is_refused(
    browser: Browser, dashboard: Dashboard, tmp_path: Path
) -> None:
    page = log_in(browser, dashboard, "viewer")
    page.goto(f"{dashboard.url}/incidents/{dashboard.key}")
    assert page.locator("#controls button, #controls form").count() == 0
    assert "Read-only" in page.inner_text("#controls")
    page.goto(f"{dashboard.url}/review")
    assert page.locator("#decide").count() == 0
    shot(page, tmp_path, "review-as-viewer")

    before = get_route_view(dashboard.store, model=MODEL).revision
    cookies = {c["name"]: c["value"] for c in page.context.cookies()}
    with dashboard.login("responder") as responder:
        forged_csrf = dashboard.csrf(responder)  # a real token, but of another session
    with dashboard.login("viewer") as client:
        client.cookies.clear()
        client.cookies.update(cookies)
        own_csrf = page.get_attribute("input[name=csrf_token]", "value") or ""
        forms = [
            ("actions", {"type": "shadow", "baseline": "v1", "version": "v2"}),
            ("actions", {"type": "threshold_change", "threshold": "0.1"}),
            ("transitions", {"event": "resolve"}),
        ]
        for path, data in forms:
            for csrf in (own_csrf, forged_csrf):
                response = client.post(
                    f"/incidents/{dashboard.key}/{path}", data={**data, "csrf_token": csrf}
                )
                assert response.status_code == 403, (path, data)
        response = client.post(
            "/review/decide", data={"csrf_token": own_csrf, "item_id": "1", "decision": "accept"}
        )
        assert response.status_code == 403
        assert "viewer" in response.text
    assert get_route_view(dashboard.store, model=MODEL).revision == before


def test_action_params_take_only_their_own_fields() -> None:
    form = {"threshold": " 0.5 ", "review_mode": "pending", "baseline": "v1", "version": ""}
    assert action_params(ActionType.THRESHOLD_CHANGE, form) == {
        "threshold": 0.5,
        "review_mode": "pending",
    }
    assert action_params(ActionType.SHADOW, form) == {"baseline": "v1"}
    assert action_params(ActionType.KILL_SWITCH, form) == {}
    for bad in ({"threshold": "nan"}, {"threshold": "x"}, {"threshold": "1", "review_mode": "?"}):
        with pytest.raises(DataError):
            action_params(ActionType.THRESHOLD_CHANGE, bad)
