"""Every page fits common desktop widths without sideways scrolling, and works at phone width."""

from __future__ import annotations

from pathlib import Path

import pytest
from dashboard_support import MODEL, Dashboard, browser_fixture, dashboard_fixture, shot
from playwright.sync_api import Browser, Page

pytestmark = pytest.mark.slow

dashboard = dashboard_fixture("widths")

browser = browser_fixture()


def _pages(dashboard: Dashboard) -> list[str]:
    return ["/", "/incidents", f"/incidents/{dashboard.key}", f"/models/{MODEL}", "/review"]


def _logged_in(browser: Browser, dashboard: Dashboard, width: int) -> Page:
    page = browser.new_context(viewport={"width": width, "height": 900}).new_page()
    page.goto(f"{dashboard.url}/login")
    page.fill("#token", dashboard.tokens["responder"])
    page.click("button[type=submit]")
    page.wait_for_url(f"{dashboard.url}/")
    return page


def _overflow_px(page: Page) -> int:
    return int(page.evaluate("document.documentElement.scrollWidth - window.innerWidth"))


#: The outermost elements that reach past the viewport's right edge, to name in a failure.
_WIDE_ELEMENTS = """() => {
  const out = [];
  for (const el of document.querySelectorAll("body *")) {
    if (el.getBoundingClientRect().right <= window.innerWidth + 0.5) continue;
    if (el.parentElement && el.parentElement.getBoundingClientRect().right > window.innerWidth + 0.5) continue;
    let scrolls = false;  // inside an element that scrolls sideways on its own: it fits
    for (let up = el.parentElement; up && !scrolls; up = up.parentElement) {
      scrolls = ["auto", "scroll"].includes(getComputedStyle(up).overflowX);
    }
    if (scrolls) continue;
    out.push(el.tagName.toLowerCase() + (el.id ? "#" + el.id : "") + (el.className && typeof el.className === "string" ? "." + el.className.split(" ").join(".") : ""));
  }
  return out.slice(0, 5);
}"""


def _too_wide(page: Page) -> str:
    """How far the page reaches past the viewport and which elements do, or '' if it fits."""
    over = _overflow_px(page)
    return f"{over} px: {page.evaluate(_WIDE_ELEMENTS)}" if over > 0 else ""


@pytest.mark.parametrize("width", [1280, 1440, 1920])
def test_no_page_scrolls_sideways_on_a_desktop(
    browser: Browser, dashboard: Dashboard, width: int
) -> None:
    page = _logged_in(browser, dashboard, width)
    wide = {}
    for path in _pages(dashboard):
        page.goto(f"{dashboard.url}{path}")
        if _too_wide(page):
            wide[path] = _too_wide(page)
    assert wide == {}, f"pages wider than {width} px, by px: {wide}"


def test_at_phone_width_the_pages_fit_and_log_out_is_reachable(
    browser: Browser, dashboard: Dashboard, tmp_path: Path
) -> None:
    page = _logged_in(browser, dashboard, 390)
    wide = {}
    for path in _pages(dashboard):
        page.goto(f"{dashboard.url}{path}")
        box = page.locator("header button:text('Log out')").bounding_box()
        assert box is not None, path
        assert box["x"] + box["width"] <= 390, f"Log out off-screen on {path}: {box}"
        if _too_wide(page):
            wide[path] = _too_wide(page)
        if path.startswith("/incidents/"):
            shot(page, tmp_path, "incident-at-390px")
    assert wide == {}, f"pages wider than 390 px, by px: {wide}"
