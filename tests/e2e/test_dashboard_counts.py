"""Counts and health the dashboard shows are true, and it says when it has lost the server."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import httpx
import pytest
from dashboard_support import MODEL, Dashboard, browser_fixture, dashboard_fixture, log_in
from playwright.sync_api import Browser

import redline
from redline.api.dashboard.review import QUEUE_LIMIT
from redline.services.review import decide_review, list_review_page, queue_for_review
from rltest.credit import fit_reference, primary, send_traffic

pytestmark = pytest.mark.slow

QUEUED = QUEUE_LIMIT + 7


#: A model whose Guard last sent a window an hour ago.
SILENT = "credit-gone-quiet"


def _queue_more_than_a_page(served: Dashboard) -> None:
    an_hour_ago = datetime.now(UTC) - timedelta(hours=1)
    with redline.Guard(
        model=SILENT,
        predict=primary,
        reference=fit_reference(),
        store=served.store,
        window_s=3600,
        clock=lambda: an_hour_ago,
    ) as guard:
        send_traffic(guard, 200, shift=0.0, seed=4)
    items = [
        {"request_id": f"req-{i}", "reason": "low_confidence", "input": {"x": i}, "output": 1}
        for i in range(QUEUED)
    ]
    queue_for_review(served.store, model=MODEL, items=items)


dashboard = dashboard_fixture("counts", prepare=_queue_more_than_a_page)

browser = browser_fixture()


def test_the_review_page_counts_every_pending_item_and_says_how_many_it_lists(
    browser: Browser, dashboard: Dashboard
) -> None:
    page = log_in(browser, dashboard, "responder")
    page.goto(f"{dashboard.url}/review")
    assert page.inner_text("#pending-count") == f"{QUEUED} pending"
    assert page.locator("#review tbody tr[data-id]").count() == QUEUE_LIMIT
    assert f"oldest {QUEUE_LIMIT} of {QUEUED} pending" in page.inner_text("#review-shown")

    first = list_review_page(dashboard.store, model=MODEL, limit=1).items[0]
    decide_review(dashboard.store, item_id=first.id, decision="accept", reviewer="test")
    # The live refresh swaps the count in place.
    page.wait_for_function(
        "n => document.getElementById('pending-count').textContent === n + ' pending'",
        arg=QUEUED - 1,
        timeout=15_000,
    )


def test_the_overview_says_ok_only_for_a_healthy_model(
    browser: Browser, dashboard: Dashboard
) -> None:
    page = log_in(browser, dashboard, "viewer")
    rows = {
        page.inner_text(f"#models tbody tr:nth-child({i}) td:first-child"): page.inner_text(
            f"#models tbody tr:nth-child({i}) td.health"
        )
        for i in range(1, page.locator("#models tbody tr").count() + 1)
    }
    assert "silent: no window for 60 min" in rows[SILENT]
    assert "ok" not in rows[SILENT].split()
    assert "open" in rows[MODEL]  # its SEV2 incident
    assert "ok" not in rows[MODEL].split()
    page.goto(f"{dashboard.url}/models/{SILENT}")
    assert "silent: no window for 60 min" in page.inner_text("#model-attention")


def test_the_api_and_the_service_give_the_exact_total(dashboard: Dashboard) -> None:
    queue = list_review_page(dashboard.store, status="pending", model=MODEL, limit=10)
    pending = queue.total
    assert (len(queue.items), queue.truncated) == (10, True)
    assert pending >= QUEUED - 1
    response = httpx.get(
        f"{dashboard.url}/api/v1/reviews",
        params={"limit": 3},
        headers={"Authorization": f"Bearer {dashboard.tokens['viewer']}"},
        timeout=30.0,
    )
    assert response.status_code == 200, response.text
    assert len(response.json()) == 3
    assert response.headers["X-Total-Count"] == str(pending)


def test_the_live_badge_and_a_banner_say_when_the_server_is_gone(
    browser: Browser, dashboard: Dashboard
) -> None:
    page = log_in(browser, dashboard, "viewer")
    assert page.inner_text("#live").lower().endswith("live")
    assert page.locator("#lost").is_hidden()
    dashboard.server.stop()  # the last test of the module: nothing serves after this
    page.wait_for_function(
        "() => document.getElementById('live').textContent.includes('offline')",
        timeout=20_000,
    )
    assert page.locator("#lost").is_visible()
    assert "lost the server" in page.inner_text("#lost")
