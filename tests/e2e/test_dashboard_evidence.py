"""Evidence in real headless Chromium: the post-mortem's evidence as tables of words and numbers
(no raw JSON), its data timeline chart with a time axis, a legend and the incident's phases,
hostile values as text, nothing past the page at desktop widths; the snapshot table usable at
phone width; times in the viewer's zone with UTC on hover."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import quote

import pytest
from dashboard_support import MODEL, Dashboard, browser_fixture, dashboard_fixture, log_in, shot
from playwright.sync_api import Browser, Page

from redline.forensics.postmortem import build_postmortem, render_markdown
from redline.forensics.postmortem_facts import collect_incident
from redline.forensics.postmortem_html import render_postmortem_html
from redline.services.postmortems import generate_postmortem
from redline.services.review import queue_for_review
from redline.store import get_incident

pytestmark = pytest.mark.slow

HOSTILE = "<img src=x onerror=alert('img')></td><script>alert('script')</script>"


def _draft(served: Dashboard) -> None:
    generate_postmortem(served.store, key=served.key, actor="person:e2e")
    held = {"request_id": "r-old", "reason": "low confidence", "input": {}, "output": 1}
    two_days_ago = datetime.now(UTC) - timedelta(days=2)  # past the default SLA of a day
    queue_for_review(served.store, model=MODEL, items=[held], now=two_days_ago)


dashboard = dashboard_fixture("evidence", prepare=_draft)

browser = browser_fixture()


def _page(browser: Browser, dashboard: Dashboard, width: int) -> Page:
    page = log_in(browser, dashboard, "viewer")
    page.set_viewport_size({"width": width, "height": 900})
    page.goto(f"{dashboard.url}/incidents/{quote(dashboard.key)}/postmortem.html")
    return page


def _cells(page: Page, section: str) -> list[str]:
    """The text of every table cell in the section under the heading ``section``."""
    script = """(title) => {
      const out = [];
      let el = [...document.querySelectorAll('h2')].find((h) => h.textContent === title);
      for (el = el && el.nextElementSibling; el && el.tagName !== 'H2'; el = el.nextElementSibling) {
        el.querySelectorAll('td').forEach((td) => out.push(td.textContent));
      }
      return out;
    }"""
    cells: list[str] = page.evaluate(script, section)
    return cells


@pytest.mark.parametrize("width", [1280, 1440, 1920])
def test_the_postmortem_fits_desktop_widths(
    browser: Browser, dashboard: Dashboard, width: int
) -> None:
    page = _page(browser, dashboard, width)
    over = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
    assert over <= 0, f"the post-mortem is {over} px wider than {width} px"


def test_evidence_reads_as_tables_not_json(
    browser: Browser, dashboard: Dashboard, tmp_path: Path
) -> None:
    page = _page(browser, dashboard, 1280)
    shot(page, tmp_path, "postmortem")
    for section in ("Detection", "Containment", "Timeline"):
        cells = _cells(page, section)
        assert cells, section
        assert not [c for c in cells if '{"' in c or '":' in c], (section, cells)
    detection = _cells(page, "Detection")
    assert any("→" in c for c in detection), detection  # the bins that moved, before → after
    headers = page.locator("h2:text('Detection') ~ table").first.locator("th").all_inner_texts()
    assert headers[:3] == ["signal", "column", "peak"]
    assert {"first seen", "last seen"} <= set(headers)


def test_the_data_timeline_has_a_time_axis_a_legend_and_the_phases(
    browser: Browser, dashboard: Dashboard
) -> None:
    page = _page(browser, dashboard, 1440)
    chart = page.locator("svg:has(g.legend)").first
    ticks = chart.locator("text.tick").all_text_contents()
    assert len(ticks) >= 3
    assert all(len(t) == 5 and t[2] == ":" for t in ticks), ticks  # HH:MM
    assert ticks == sorted(ticks)
    legend = chart.locator("g.legend text").all_text_contents()
    assert "threshold" in legend
    phases = [t.split(" ")[0] for t in chart.locator("line.phase title").all_text_contents()]
    assert phases[:2] == ["detected", "declared"]  # as far as the incident got, in order
    assert set(phases) <= set(legend), legend
    assert "time (UTC)" in (chart.text_content() or "")


def test_hostile_evidence_shows_as_text(browser: Browser, dashboard: Dashboard) -> None:
    with dashboard.store.reading() as session:
        incident = get_incident(session, key=dashboard.key)
        assert incident is not None
        record = collect_incident(session, incident=incident)
    record.signals[0]["column"] = HOSTILE
    record.signals[0]["evidence"] = {
        "top_moves": [{"bin": HOSTILE, "reference": 0.1, "current": 0.9}],
        HOSTILE: HOSTILE,
    }
    record.timeline[0]["details"] = {"note": HOSTILE}
    content = build_postmortem(record, now=datetime.now(UTC))
    content["chart"]["column"] = HOSTILE
    html = render_postmortem_html(render_markdown(content), content)
    page = log_in(browser, dashboard, "viewer")
    alerts: list[str] = []
    page.on("dialog", lambda dialog: (alerts.append(dialog.message), dialog.dismiss()))
    page.set_content(html)
    assert alerts == []
    assert page.locator("script").count() == 0
    assert page.locator("main img").count() == 0
    assert any(HOSTILE in c for c in _cells(page, "Detection"))
    assert any(HOSTILE in c for c in _cells(page, "Timeline"))
    assert HOSTILE[:20] in (page.locator("svg g.legend").text_content() or "")


def test_the_snapshot_table_stacks_into_labelled_rows_at_phone_width(
    browser: Browser, dashboard: Dashboard, tmp_path: Path
) -> None:
    page = log_in(browser, dashboard, "responder")
    page.set_viewport_size({"width": 390, "height": 844})
    page.goto(f"{dashboard.url}/incidents/{quote(dashboard.key)}")
    table = page.locator("#snapshots")
    table.scroll_into_view_if_needed()
    shot(page, tmp_path, "snapshots-390")
    box = table.bounding_box()
    assert box is not None
    assert 0 <= box["x"] <= box["x"] + box["width"] <= 390, box
    assert page.evaluate("document.querySelector('#snapshots').scrollWidth") <= box["width"] + 1
    cells = table.locator("tbody tr").first.locator("td")
    labels = [
        page.evaluate("(td) => getComputedStyle(td, '::before').content", c.element_handle())
        for c in cells.all()
    ]
    assert labels[:5] == ['"Id"', '"Reason"', '"Taken"', '"Files"', '"Size"'], labels
    verify = table.locator("button.verify").first
    verify_box = verify.bounding_box()
    assert verify_box is not None
    assert verify_box["x"] + verify_box["width"] <= 390


def test_times_show_in_the_viewers_zone_with_utc_on_hover(
    browser: Browser, dashboard: Dashboard
) -> None:
    context = browser.new_context(timezone_id="Asia/Tokyo", locale="en-GB")
    page = context.new_page()
    page.goto(f"{dashboard.url}/login")
    page.fill("#token", dashboard.tokens["viewer"])
    page.click("button[type=submit]")
    page.wait_for_url(f"{dashboard.url}/")
    page.goto(f"{dashboard.url}/incidents/{quote(dashboard.key)}")
    times = page.locator("time[datetime]")
    assert times.count() > 0
    first = times.first
    title = first.get_attribute("title") or ""
    assert title.endswith(" UTC"), title
    utc_hour = int(title[11:13])
    shown = first.inner_text()
    assert "UTC" not in shown
    assert shown != title
    assert f"{(utc_hour + 9) % 24:02d}:" in shown, (shown, title)  # Tokyo is UTC+9
    context.close()


def test_a_review_waiting_past_its_sla_shows_on_the_overview(
    browser: Browser, dashboard: Dashboard
) -> None:
    page = log_in(browser, dashboard, "viewer")
    overdue = page.locator("#models a.status", has_text="review overdue")
    assert overdue.count() == 1
    assert "waited 2 days (limit 24 h)" in overdue.inner_text()
    assert overdue.get_attribute("href") == f"/review?model={MODEL}"
