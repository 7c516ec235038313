"""The review queue decided from the keyboard in real headless Chromium."""

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

from redline.api.dashboard.review import parse_output
from redline.services.review import list_review_page, queue_for_review

pytestmark = pytest.mark.slow


def _queue_five(served: Dashboard) -> None:
    """Five low-confidence predictions waiting in the review queue."""
    items = [
        {
            "request_id": f"req-{i}",
            "reason": "low_confidence",
            "input": {"x": i / 10, "region": "n"},
            "output": 1,
            "confidence": 0.4 + i / 100,
            "threshold": 0.6,
        }
        for i in range(5)
    ]
    queue_for_review(served.store, model=MODEL, items=items)


dashboard = dashboard_fixture("review", prepare=_queue_five)

browser = browser_fixture()


def _decided(dashboard: Dashboard) -> dict[str, tuple[str | None, object]]:
    return {
        r.request_id: (r.decision, r.final_output)
        for r in list_review_page(dashboard.store, status="decided").items
    }


def test_the_queue_is_decided_with_the_keyboard(
    browser: Browser, dashboard: Dashboard, tmp_path: Path
) -> None:
    page = log_in(browser, dashboard, "responder")
    page.goto(f"{dashboard.url}/review")
    assert page.locator("#review tbody tr[data-id]").count() == 5
    assert page.get_attribute("#review tr.selected", "data-request") == "req-0"
    page.keyboard.press("j")
    page.keyboard.press("j")
    page.keyboard.press("k")
    assert page.get_attribute("#review tr.selected", "data-request") == "req-1"
    shot(page, tmp_path, "review-queue")

    # A dismissed confirmation decides nothing.
    page.once("dialog", lambda dialog: dialog.dismiss())
    page.keyboard.press("a")
    assert _decided(dashboard) == {}

    dialogs = accept_dialogs(page)
    with page.expect_navigation():
        page.keyboard.press("a")
    assert "accept review item" in dialogs[-1]
    assert "(req-1): accept" in page.inner_text("[role=status]")
    # The next item takes the decided one's place under the cursor.
    assert page.get_attribute("#review tr.selected", "data-request") == "req-2"

    page.keyboard.press("o")
    page.keyboard.type('"deny"')
    shot(page, tmp_path, "review-override")
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert 'with output "deny"' in dialogs[-1]

    with page.expect_navigation():
        page.keyboard.press("r")
    page.keyboard.press("k")
    with page.expect_navigation():
        page.keyboard.press("e")
    assert _decided(dashboard) == {
        "req-1": ("accept", 1),
        "req-2": ("override", "deny"),
        "req-3": ("reject", None),
        "req-0": ("escalate", None),
    }
    assert page.locator("#review tbody tr[data-id]").count() == 1
    assert page.inner_text("#pending-count") == "1 pending"


def test_a_bad_decision_is_a_message(dashboard: Dashboard) -> None:
    with dashboard.login("responder") as client:
        csrf = dashboard.csrf(client)
        response = client.post(
            "/review/decide", data={"csrf_token": csrf, "item_id": "999", "decision": "accept"}
        )
        assert response.status_code == 303
        assert "no+review+item+999" in response.headers["location"]
        response = client.post(
            "/review/decide", data={"csrf_token": csrf, "item_id": "5", "decision": "override"}
        )
        assert "needs+the+correct+output" in response.headers["location"]


def test_parse_output() -> None:
    assert [parse_output(t) for t in ("1", ' "a" ', "[0, 1]", "deny", "")] == [
        1,
        "a",
        [0, 1],
        "deny",
        None,
    ]
