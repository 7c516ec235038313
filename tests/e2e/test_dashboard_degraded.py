"""A model off its primary route reads as degraded on the overview and its page, incident or
not; responders revert what keeps it there (confirmed, CSRF-checked), viewers only look."""

from __future__ import annotations

import re
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

from redline.domain import ActionType, Route
from redline.services import apply_action
from redline.services.views import get_route_view, list_in_force_views

pytestmark = pytest.mark.slow

#: A model a person switched to its fallback by hand: no incident, still degraded.
QUIET = "pricing"


def switch_off_quiet_model(dashboard: Dashboard) -> None:
    apply_action(dashboard.store, model=QUIET, type=ActionType.KILL_SWITCH, trigger="person:bob")


dashboard = dashboard_fixture("degraded", prepare=switch_off_quiet_model)

browser = browser_fixture()


def overview_health(page_text: str, model: str) -> str:
    found = re.search(rf"^{model}\t(.*?)\t", page_text, flags=re.MULTILINE)
    assert found is not None, page_text
    return found.group(1)


def test_a_viewer_sees_degraded_models_but_no_revert_and_a_forged_post_is_refused(
    browser: Browser, dashboard: Dashboard, tmp_path: Path
) -> None:
    page = log_in(browser, dashboard, "viewer")
    models = page.inner_text("#models")
    assert "degraded: fallback" in overview_health(models, QUIET)
    assert "degraded: fallback" in overview_health(models, MODEL)
    page.goto(f"{dashboard.url}/models/{QUIET}")
    assert page.inner_text("#model-health") == "degraded: fallback"
    assert "person:bob" in page.inner_text("#in-force")
    assert page.locator("button[id^=btn-revert-]").count() == 0
    shot(page, tmp_path, "model-degraded-viewer")

    (kill,) = list_in_force_views(dashboard.store, model=QUIET)
    with dashboard.login("viewer") as client:
        forged = client.post(
            f"/models/{QUIET}/actions/{kill.id}/revert",
            data={"csrf_token": dashboard.csrf(client)},
        )
    assert forged.status_code == 403
    assert get_route_view(dashboard.store, model=QUIET).state.mode is Route.FALLBACK


def test_a_responder_reverts_a_model_back_to_its_primary(
    browser: Browser, dashboard: Dashboard, tmp_path: Path
) -> None:
    with dashboard.login("responder") as client:
        (kill,) = list_in_force_views(dashboard.store, model=QUIET)
        no_token = client.post(f"/models/{QUIET}/actions/{kill.id}/revert", data={})
    assert no_token.status_code == 403  # no CSRF token, no change

    page = log_in(browser, dashboard, "responder")
    page.goto(f"{dashboard.url}/models/{QUIET}")
    dialogs = accept_dialogs(page)
    with page.expect_navigation():
        page.click(f"#btn-revert-{kill.id}")
    assert f"Revert action {kill.id} (kill_switch) on model {QUIET}?" in dialogs[-1]
    assert f"action {kill.id} (kill_switch) reverted" in page.inner_text("[role=status]")
    assert page.inner_text("#model-health") == "on its primary route"
    assert page.locator("#in-force").count() == 0
    route = get_route_view(dashboard.store, model=QUIET)
    assert (route.state.mode, route.degraded) == (Route.PRIMARY, False)
    shot(page, tmp_path, "model-reverted")

    page.goto(f"{dashboard.url}/")
    models = page.inner_text("#models")
    assert overview_health(models, QUIET).strip() == "ok"
    assert "degraded: fallback" in overview_health(models, MODEL)  # its incident's fallback
