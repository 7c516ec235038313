"""The model page's charts, and live refresh bringing a new incident without a reload."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np
import pytest
from dashboard_support import MODEL, Dashboard, launch_browser, log_in, serve_dashboard, shot
from playwright.sync_api import Browser

from redline.api.dashboard.charts import Series, bin_labels, feature_charts
from redline.domain import IncidentStatus, Severity
from redline.profiles.window import WindowProfile
from redline.services.views import get_model_activity
from redline.store import add_incident, add_window

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def dashboard(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Dashboard]:
    """One live dashboard on a store with a real SEV2 incident, shared by this module."""
    with serve_dashboard(tmp_path_factory.mktemp("model")) as served:
        yield served


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    """Headless Chromium for this module."""
    with launch_browser() as launched:
        yield launched


def test_the_model_page_shows_distributions_and_charts(
    browser: Browser, dashboard: Dashboard, tmp_path: Path
) -> None:
    page = log_in(browser, dashboard, "viewer")
    page.goto(f"{dashboard.url}/models/{MODEL}")
    features = page.locator("#features tbody tr")
    assert features.count() == 2  # x and region: the reference's features
    drifted = page.locator("#features tr.drifted")
    assert drifted.count() == 1
    assert "x" in drifted.inner_text()
    # Each feature: reference and current bars for every bin, and a drift line.
    bars = page.locator("#features tr.drifted svg.dist")
    assert bars.locator("rect.ref").count() == bars.locator("rect.cur").count() > 10
    assert page.locator("#features svg.spark polyline").count() == 2
    region_bars = page.locator("#features tr:not(.drifted) svg.dist rect.cur")
    assert region_bars.count() == 3  # n, s and "other"
    labels = [page.text_content(f"#series .multiple:nth-child({i}) .label") for i in (1, 2, 4)]
    assert labels == ["rows", "mean score", "latency p50"]
    assert page.inner_text("#series .multiple:nth-child(1) .value") == "1000"
    assert "primary" in page.inner_text("#route") or "fallback" in page.inner_text("#route")
    shot(page, tmp_path, "model-charts")


def test_live_refresh_shows_a_new_incident_without_a_reload(
    browser: Browser, dashboard: Dashboard, tmp_path: Path
) -> None:
    page = log_in(browser, dashboard, "responder")
    page.evaluate("window.__sameDocument = true")
    page.evaluate("window.scrollTo(0, 200)")
    assert "payments" not in page.inner_text("#incidents")
    with dashboard.store.session() as session:
        row = add_incident(
            session,
            model="payments",
            title="Latency spike on payments",
            category="latency",
            severity=Severity.SEV1,
            status=IncidentStatus.TRIAGE,
            policy_version="test",
            detected_at=datetime.now(UTC),
        )
        key = row.key
    page.wait_for_selector(f"#incidents a:text('{key}')", timeout=15_000)
    assert page.evaluate("window.__sameDocument") is True  # swapped in place, not reloaded
    assert page.locator("#incidents tr.sevrow-sev1").count() == 1
    assert "SEV1" in page.inner_text("#models")  # payments is now unhealthy too
    assert page.inner_text(".tile-sev1 .count") == "1"
    shot(page, tmp_path, "overview-live")


def test_live_refresh_keeps_a_half_filled_form(browser: Browser, dashboard: Dashboard) -> None:
    page = log_in(browser, dashboard, "responder")
    page.goto(f"{dashboard.url}/incidents?model=cre")
    page.fill("input[name=model]", "credit-half-typed")
    page.evaluate("window.redline.refresh()")
    page.wait_for_timeout(500)
    assert page.input_value("input[name=model]") == "credit-half-typed"


def test_chart_helpers(dashboard: Dashboard) -> None:
    activity = get_model_activity(dashboard.store, model=MODEL, windows=5)
    assert activity.reference is not None
    assert activity.latest is not None
    assert len(activity.windows) == 1
    charts = feature_charts(activity.reference, activity.windows, activity.results)
    region = next(c for c in charts if c.column == "region")
    assert [b.label for b in region.bars] == bin_labels(activity.reference.columns["region"])
    assert sum(b.current for b in region.bars) == pytest.approx(1.0)
    # The charts show the monitors' results stored with each window, never judge one.
    stored = activity.results[-1]
    assert stored is not None
    for chart in charts:
        result = stored.column(chart.column)
        assert result is not None
        assert chart.drift.last == result.value
        assert chart.drift.threshold == result.threshold
        assert (chart.drifted, chart.level) == (result.flagged, result.level)
    line = Series("s", (1.0, None, 3.0), threshold=2.0, flagged=True)
    assert line.over
    assert not Series("s", (3.0,), threshold=2.0).over  # a value over a line is no verdict
    assert line.points(100, 10).count(",") == 2
    assert Series("empty", ()).points() == ""
    assert not Series("empty", ()).over


def test_model_activity_reads_exactly_the_newest_windows(dashboard: Dashboard) -> None:
    reference = get_model_activity(dashboard.store, model=MODEL).reference
    assert reference is not None
    payload = WindowProfile.empty(reference).to_dict()
    rng = np.random.default_rng(5)
    # Irregular gaps, a long pause, and replicas reporting the same minute twice.
    offsets = np.cumsum(rng.choice([60, 60, 60, 300, 7_200], size=300)).tolist()
    offsets += offsets[-10:]
    start = datetime(2026, 1, 1, tzinfo=UTC)
    with dashboard.store.session() as session:
        for i, offset in enumerate(offsets):
            begins = start + timedelta(seconds=offset)
            add_window(
                session,
                window_id=f"gappy-{i}",
                model="gappy",
                start=begins,
                end=begins + timedelta(seconds=59),
                n_rows=0,
                payload=payload | {"window_id": f"gappy-{i}", "n_rows": 0},
            )
        for i in range(3):
            begins = start + timedelta(hours=i)
            add_window(
                session,
                window_id=f"sparse-{i}",
                model="sparse",
                start=begins,
                end=begins + timedelta(seconds=59),
                n_rows=0,
                payload=payload | {"window_id": f"sparse-{i}", "n_rows": 0},
            )
    newest = sorted(range(len(offsets)), key=lambda i: (offsets[i], f"gappy-{i}"))[-40:]
    got = get_model_activity(dashboard.store, model="gappy", windows=40).windows
    assert sorted(w.window_id for w in got) == sorted(f"gappy-{i}" for i in newest)
    assert [w.window_id for w in get_model_activity(dashboard.store, model="sparse").windows] == [
        "sparse-0",
        "sparse-1",
        "sparse-2",
    ]


def test_live_refresh_pauses_while_the_tab_is_hidden(
    browser: Browser, dashboard: Dashboard
) -> None:
    page = log_in(browser, dashboard, "viewer")
    fetched: list[str] = []
    page.on(
        "request", lambda r: fetched.append(r.url) if r.headers.get("x-redline-fragment") else None
    )
    page.evaluate("Object.defineProperty(document, 'hidden', {value: true, configurable: true})")
    page.evaluate("window.redline.refresh()")
    page.wait_for_timeout(300)
    assert fetched == []
    page.evaluate("Object.defineProperty(document, 'hidden', {value: false, configurable: true})")
    page.evaluate("document.dispatchEvent(new Event('visibilitychange'))")  # back: catch up at once
    page.wait_for_timeout(1_000)
    assert fetched == [f"{dashboard.url}/"]
    assert page.inner_text("#models")  # the regions are still there after the swap
    assert "SEV2" in page.inner_text("#models")  # credit's health: its open SEV2
