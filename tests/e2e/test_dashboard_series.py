"""The model page's time charts in headless Chromium: ranges, a click into one window, hostile
feature, source and window names shown as text, and widths from phone to desktop."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import quote

import httpx
import numpy as np
import pytest
from dashboard_support import Dashboard, browser_fixture, dashboard_fixture, log_in, shot
from playwright.sync_api import Browser, Page

import redline
from redline.profiles.window import WindowProfile

pytestmark = pytest.mark.slow

HOSTILE = "\"'><img src=x onerror=alert('img')><script>alert('s')</script>"
CHARTED = "charted model"
FEATURE = f"x {HOSTILE}"
START = datetime(2026, 5, 4, 8, 0, tzinfo=UTC)
#: Three hours of one-minute windows; a drift in the last twenty minutes.
N = 180
WATCH_CSP = """
window.__refused = [];
document.addEventListener('securitypolicyviolation', (e) => window.__refused.push(e.violatedDirective));
"""


def _plant(served: Dashboard) -> None:
    """A model whose feature, source and window names are hostile, with N windows."""
    rng = np.random.default_rng(3)
    x = rng.normal(size=4_000)
    reference = redline.fit_reference(
        {FEATURE: x, "score": 1 / (1 + np.exp(-x))}, prediction="score", window_sizes=[200]
    )
    items = []
    for i in range(N):
        values = rng.normal(1.5 if i >= N - 20 else 0.0, 1.0, 200)
        start = START + timedelta(minutes=i)
        window = WindowProfile.of(
            reference,
            {FEATURE: values, "score": 1 / (1 + np.exp(-values))},
            start=start,
            end=start + timedelta(seconds=59),
            window_id=f"w{i}-{HOSTILE}",
        )
        window.routes = {"primary": 200}
        window.sources.add_counts({HOSTILE: 150, "batch-job": 50})
        # The Guard's drift monitor would raise these; the stored result keeps their level.
        alarm = {
            "monitor": "drift",
            "kind": "feature_drift",
            "column": FEATURE,
            "statistic": "wasserstein_norm",
            "value": 0.8,
            "threshold": 0.1,
            "level": "alarm",
            "window_start": start.isoformat(),
            "window_end": (start + timedelta(seconds=59)).isoformat(),
            "n_rows": 200,
            "evidence": {},
        }
        items.append({"window": window.to_dict(), "signals": [alarm] if i >= N - 20 else []})
    headers = {"Authorization": f"Bearer {served.tokens['admin']}"}
    base = f"{served.url}/api/v1/models/{quote(CHARTED, safe='')}"
    with httpx.Client(headers=headers, timeout=60) as api:
        api.put(f"{base}/reference", json=reference.to_dict()).raise_for_status()
        for k in range(0, N, 60):
            api.post(f"{base}/windows", json={"windows": items[k : k + 60]}).raise_for_status()


dashboard = dashboard_fixture("series", roles=("viewer", "responder", "admin"), prepare=_plant)

browser = browser_fixture()


def _model_page(browser: Browser, dashboard: Dashboard, query: str, width: int = 1360) -> Page:
    page = log_in(browser, dashboard, "viewer")
    page.set_viewport_size({"width": width, "height": 900})
    page.add_init_script(WATCH_CSP)
    page.goto(f"{dashboard.url}/models/{quote(CHARTED, safe='')}?{query}")
    return page


def _caption_windows(page: Page, chart: str) -> int:
    return int(page.inner_text(f"{chart} figcaption .muted").split()[0])


def test_ranges_choose_the_windows_charted(
    browser: Browser, dashboard: Dashboard, tmp_path: Path
) -> None:
    page = _model_page(browser, dashboard, "range=hour")
    assert page.locator("#range a[aria-current]").inner_text() == "last hour"
    assert _caption_windows(page, "#chart-drift-0") == 60
    page.click("#range a:has-text('last day')")
    assert _caption_windows(page, "#chart-drift-0") == N
    # Custom, in UTC: [09:00, 09:30) holds windows 60 to 89.
    page.fill("#range-from", "2026-05-04T09:00")
    page.fill("#range-to", "2026-05-04T09:30")
    page.click("#range-apply")
    page.wait_for_url("**range=custom**")
    assert _caption_windows(page, "#chart-drift-0") == 30
    assert _caption_windows(page, "#chart-rows") == 30
    shot(page, tmp_path, "series-custom")
    page.goto(page.url.replace("09%3A30", "08%3A00"))
    assert "from must be before to" in page.inner_text("#range-error")


def test_a_point_opens_its_window_against_the_reference(
    browser: Browser, dashboard: Dashboard, tmp_path: Path
) -> None:
    page = _model_page(browser, dashboard, "range=day")
    drift = page.locator("#chart-drift-0")
    assert drift.locator("line.limit").count() == 1  # the stored threshold
    flagged = drift.locator("a.hit.flagged")
    assert flagged.count() >= 1  # the drifted windows, as their monitors stored them
    flagged.last.click()
    page.wait_for_url("**/windows/**")
    assert "w1" in page.inner_text("h1")
    assert HOSTILE in page.inner_text("h1")
    # The feature, then the prediction, each against the reference.
    rows = page.locator("#window-features tbody tr")
    assert [rows.nth(i).locator("strong").inner_text() for i in range(rows.count())] == [
        FEATURE,
        "score",
    ]
    assert "alarm" in rows.first.inner_text()
    assert page.locator("#window-features svg.dist rect.cur").count() > 1
    assert HOSTILE in page.inner_text("#window-sources")
    shot(page, tmp_path, "series-window")


def test_hostile_names_show_as_text_and_run_nothing(browser: Browser, dashboard: Dashboard) -> None:
    page = _model_page(browser, dashboard, "range=day")
    alerts: list[str] = []
    page.on("dialog", lambda dialog: (alerts.append(dialog.message), dialog.dismiss()))
    page.reload()
    assert FEATURE in page.inner_text("#chart-drift-0 figcaption")
    assert HOSTILE in page.inner_text("#breakdown-source")
    assert HOSTILE in page.inner_text("#chart-sources .legend")
    assert page.locator("#timecharts-live img, #timecharts-live script").count() == 0
    page.locator("#chart-drift-0 a.hit").first.focus()
    assert page.evaluate("window.__refused") == []
    assert alerts == []


@pytest.mark.parametrize("width", [390, 1280, 1920])
def test_charts_fit_the_width(
    browser: Browser, dashboard: Dashboard, tmp_path: Path, width: int
) -> None:
    page = _model_page(browser, dashboard, "range=day", width=width)
    overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
    shot(page, tmp_path, f"series-{width}")
    assert overflow <= 0
    box = page.locator("#chart-drift-0").bounding_box()
    assert box is not None
    assert box["x"] >= 0
    assert box["x"] + box["width"] <= width
    # The range controls stay on screen and usable at every width.
    apply = page.locator("#range-apply").bounding_box()
    assert apply is not None
    assert apply["x"] + apply["width"] <= width
