"""The incident page offers exactly what the status machine allows now, and says what is next."""

from __future__ import annotations

from pathlib import Path

import pytest
from dashboard_support import (
    Dashboard,
    accept_dialogs,
    browser_fixture,
    dashboard_fixture,
    log_in,
    shot,
)
from playwright.sync_api import Browser, Page

from redline.api.dashboard.incidents import BUTTON_EVENTS
from redline.api.dashboard.signal_story import group_signals
from redline.services.views import get_incident_view

pytestmark = pytest.mark.slow

dashboard = dashboard_fixture("next-action")

browser = browser_fixture()


def _assert_buttons_follow_the_rule_table(page: Page, dashboard: Dashboard) -> None:
    detail = get_incident_view(dashboard.store, key=dashboard.key)
    offered = {o.event: o for o in detail.options if o.event in BUTTON_EVENTS}
    for event in BUTTON_EVENTS:
        button = page.locator(f"#btn-{event.value}")
        option = offered.get(event)
        if option is None:
            assert button.count() == 0, f"{event} is not defined from {detail.incident.status}"
        elif option.allowed or option.needs:
            assert button.is_enabled(), event
        else:
            assert button.is_disabled(), event
            assert page.inner_text(f"#why-{event.value}") == f"not yet: {option.refusal}"


def test_a_responder_acknowledges_then_moves_the_incident_as_the_table_allows(
    browser: Browser, dashboard: Dashboard, tmp_path: Path
) -> None:
    page = log_in(browser, dashboard, "responder")
    dialogs = accept_dialogs(page)
    page.goto(f"{dashboard.url}/incidents/{dashboard.key}")
    assert page.inner_text("#incident-owner") == "nobody has acknowledged it"
    assert page.inner_text("#next-step").startswith("Next: Acknowledge it")
    _assert_buttons_follow_the_rule_table(page, dashboard)

    with page.expect_navigation():
        page.click("#btn-acknowledge")
    assert "Acknowledge" in dialogs[-1]
    assert "owns" in page.inner_text("[role=status]")
    assert page.inner_text("#incident-owner").startswith("token:responder-e2e since")
    assert page.locator("#btn-acknowledge").count() == 0
    assert not page.inner_text("#next-step").startswith("Next: Acknowledge")

    status = get_incident_view(dashboard.store, key=dashboard.key).incident.status.value
    assert status in ("declared", "contained")
    if status == "declared":  # the fallback waits for its verification: monitor, saying why
        page.fill("#reason-monitor", "the fallback holds")
    with page.expect_navigation():
        page.click("#btn-monitor")
    assert "now monitoring" in page.inner_text("[role=status]")
    _assert_buttons_follow_the_rule_table(page, dashboard)
    # Resolving waits on the exit criteria; the page says so in words, and no resolve is sent.
    assert page.locator("#btn-resolve").is_disabled()
    assert "exit criteria held for" in page.inner_text("#why-resolve")
    assert page.inner_text("#next-step").startswith("Next: Wait: exit criteria")
    shot(page, tmp_path, "incident-monitoring-next-step")


def test_a_viewer_gets_no_acknowledge_button_and_a_forged_one_is_refused(
    browser: Browser, dashboard: Dashboard
) -> None:
    page = log_in(browser, dashboard, "viewer")
    page.goto(f"{dashboard.url}/incidents/{dashboard.key}")
    assert page.locator("#btn-acknowledge, #controls form").count() == 0
    signals = get_incident_view(dashboard.store, key=dashboard.key).signals
    findings = group_signals(signals)
    assert page.locator("#signals tr.signal-group").count() == len(findings)
    assert page.text_content("#signals-count") == f"{len(signals)} in {len(findings)} findings"
    with dashboard.login("viewer") as client:
        data = {"csrf_token": dashboard.csrf(client)}
        response = client.post(f"/incidents/{dashboard.key}/acknowledge", data=data)
    assert response.status_code == 403
