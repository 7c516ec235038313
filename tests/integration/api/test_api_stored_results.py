"""Windows keep their monitors' per-column results; the model page and /metrics show those."""

from __future__ import annotations

import math
import re
from typing import Any

import httpx
import pytest
from api_support import MODEL, Api, drift_signal, fit_reference, window_payload
from prometheus_client.parser import text_string_to_metric_families

from redline.monitors.columns import DEFAULT_FLOORS, judge_column
from redline.profiles.reference import Reference
from redline.profiles.window import WindowProfile
from redline.services.result_types import NOT_TESTED, OK
from redline.services.views import get_model_activity

WINDOWS = f"/api/v1/models/{MODEL}/windows"


def _post(api: Api, reference: Reference, *items: dict[str, Any]) -> None:
    with api.client("admin") as client:
        client.put(f"/api/v1/models/{MODEL}/reference", json=reference.to_dict()).raise_for_status()
        client.post(WINDOWS, json={"windows": list(items)}).raise_for_status()


def _calm_window_with_a_stored_alarm_on_x(reference: Reference) -> dict[str, Any]:
    """A window the reference's calibration calls clean, sent with an alarm on ``x``."""
    signal = {**drift_signal(), "value": 0.05, "threshold": 0.01}
    return {"window": window_payload(reference, shift=0.0), "signals": [signal]}


def test_a_stored_window_keeps_each_columns_result(api: Api) -> None:
    reference = fit_reference()
    small = window_payload(reference, index=1, n=40, seed=2)
    first_window = {"window": window_payload(reference), "signals": [drift_signal()]}
    _post(api, reference, first_window, {"window": small})
    activity = get_model_activity(api.store, model=MODEL, windows=5)
    first, second = activity.results
    assert first is not None
    assert second is not None
    assert first.reference_hash == reference.content_hash
    # A column that raised a signal keeps the signal's numbers and level, as the monitor said.
    x = first.column("x")
    assert x is not None
    assert (x.statistic, x.value, x.threshold, x.level, x.flagged) == (
        "wasserstein_norm",
        0.8,
        0.1,
        "alarm",
        True,
    )
    # The others were judged once, when stored, exactly as the drift monitors judge them.
    window = WindowProfile.from_dict(window_payload(reference))
    for name, monitor in (("region", "categorical_drift"), ("score", "prediction_drift")):
        stored = first.column(name)
        assert stored is not None
        oracle = judge_column(
            reference.columns[name],
            window.columns[name],
            window_sizes=reference.window_sizes,
            floors=DEFAULT_FLOORS,
        )
        assert not oracle.drifted
        assert (stored.monitor, stored.level, stored.flagged) == (monitor, OK, False)
        assert stored.statistic == oracle.statistic
        assert stored.value == pytest.approx(oracle.value)
        assert stored.threshold == pytest.approx(oracle.threshold)
        assert math.isfinite(stored.value or math.nan)
    # 40 rows are too few to test: stored as "not tested", never as clean.
    assert {c.column: c.level for c in second.columns} == dict.fromkeys(
        ("x", "region", "score"), NOT_TESTED
    )


def _features_row(page: str, column: str) -> str:
    found = re.search(
        rf'<tr class="([^"]*)">\s*<td><strong>{column}</strong>(.*?)</tr>', page, re.S
    )
    assert found is not None, page
    return f"{found.group(1)}|{found.group(2)}"


def test_the_model_page_shows_the_stored_verdict_not_a_recomputed_one(api: Api) -> None:
    reference = fit_reference()
    _post(api, reference, _calm_window_with_a_stored_alarm_on_x(reference))
    window = WindowProfile.from_dict(window_payload(reference, shift=0.0))
    recomputed = judge_column(
        reference.columns["x"],
        window.columns["x"],
        window_sizes=reference.window_sizes,
        floors=DEFAULT_FLOORS,
    )
    assert not recomputed.drifted  # the calibration alone would call x clean
    with httpx.Client(base_url=api.url, timeout=30.0) as browser:
        login = browser.post("/login", data={"token": api.tokens["viewer"]})
        assert login.status_code == 303
        page = browser.get(f"/models/{MODEL}", headers={"Accept": "text/html"}).text
    x_row, region_row = _features_row(page, "x"), _features_row(page, "region")
    assert x_row.startswith("drifted|")
    assert ">drift</span>" in x_row
    assert not region_row.startswith("drifted|")
    # The latest window's table: x at the stored alarm with the stored numbers, region ok.
    drift_table = page.split('id="drift"', 1)[1]
    assert re.search(r"<td>x</td><td>wasserstein_norm</td>\s*<td[^>]*>0.05</td>", drift_table)
    assert 'class="level level-alarm">alarm<' in drift_table
    assert 'class="level level-ok">ok<' in drift_table


def test_metrics_report_the_stored_statistic_threshold_and_verdict(api: Api) -> None:
    reference = fit_reference()
    _post(api, reference, _calm_window_with_a_stored_alarm_on_x(reference))
    with api.client("viewer") as client:
        text = client.get("/metrics").text
    samples = {
        (s.name, s.labels.get("column")): s.value
        for family in text_string_to_metric_families(text)
        for s in family.samples
        if s.labels.get("model") == MODEL
    }
    assert samples[("redline_drift_statistic", "x")] == 0.05
    assert samples[("redline_drift_threshold", "x")] == 0.01
    assert samples[("redline_drift_flagged", "x")] == 1
    assert samples[("redline_drift_flagged", "region")] == 0
