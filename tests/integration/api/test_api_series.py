"""``GET /models/{model}/series`` and the model page's charts read the values stored per window."""

from __future__ import annotations

import threading
from collections import OrderedDict
from datetime import timedelta
from typing import Any

import numpy as np
import pytest
from api_support import MODEL, START, Api, drift_signal, fit_reference, window_payload
from sqlalchemy import event, update

from redline.profiles.reference import Reference
from redline.profiles.sketches import LogHistogram
from redline.profiles.specs import Role
from redline.profiles.states import NumericState
from redline.profiles.window import WindowProfile
from redline.services import timeseries
from redline.services.catalog import reference_in, save_reference
from redline.services.timeseries import SeriesSet, get_series_set
from redline.services.views import get_model_activity
from redline.services.window_points import point_of, point_of_summary
from redline.store import (
    Store,
    WindowRow,
    add_window,
    list_window_ids,
    list_window_parts,
    list_window_summaries,
    mark_window_evaluated,
    save_window_results,
)

SERIES = f"/api/v1/models/{MODEL}/series"
N = 12
SOURCES = ("alpha", "beta")


def _payload(reference: Reference, i: int) -> dict[str, Any]:
    payload = window_payload(
        reference,
        index=i,
        seed=i,
        shift=0.3 * (i % 4),
        n=200 + 10 * i,
        route=("primary", "fallback")[i % 2],
    )
    latency = np.random.default_rng(i).lognormal(2.0 + 0.1 * i, 0.5, 300)
    payload["latency_ms"] = LogHistogram().add(latency).to_dict()
    counts = {SOURCES[0]: 100 + i, SOURCES[1]: 50 + 2 * i}
    payload["sources"] = {
        "capacity": 64,
        "counts": counts,
        "error": 0,
        "total": sum(counts.values()),
    }
    return payload


@pytest.fixture
def stored(api: Api) -> tuple[Api, list[dict[str, Any]]]:
    """N one-minute windows of MODEL (every third with a stored alarm on x), and their payloads."""
    reference = fit_reference()
    payloads = [_payload(reference, i) for i in range(N)]
    items = [
        {"window": p, "signals": [drift_signal()] if i % 3 == 0 else []}
        for i, p in enumerate(payloads)
    ]
    with api.client("admin") as client:
        client.put(f"/api/v1/models/{MODEL}/reference", json=reference.to_dict()).raise_for_status()
        client.post(f"/api/v1/models/{MODEL}/windows", json={"windows": items}).raise_for_status()
    return api, payloads


def _get(api: Api, role: str | None = "viewer", **params: Any) -> Any:
    with api.client(role) as client:
        return client.get(SERIES, params=params)


def _iso(minutes: float) -> str:
    return (START + timedelta(minutes=minutes)).isoformat()


def test_each_bucket_of_one_window_holds_its_stored_values(
    stored: tuple[Api, list[dict[str, Any]]],
) -> None:
    api, payloads = stored
    metrics = [
        "rows",
        "drift:x",
        "drift:region",
        "prediction_mean",
        "latency_p50",
        "latency_p99",
        "route:primary",
        "source:alpha",
    ]
    response = _get(api, metric=metrics, **{"from": _iso(0), "to": _iso(N)}, buckets=N)
    assert response.status_code == 200, response.text
    body = response.json()
    series = {s["metric"]: s for s in body["series"]}
    activity = get_model_activity(api.store, model=MODEL, windows=N)
    windows = [WindowProfile.from_dict(p) for p in payloads]
    for metric, oracle in {
        "rows": [float(w.n_rows) for w in windows],
        "drift:x": [r.column("x").value for r in activity.results if r is not None],  # type: ignore[union-attr]
        "drift:region": [r.column("region").value for r in activity.results if r is not None],  # type: ignore[union-attr]
        "prediction_mean": [_mean(w) for w in windows],
        "latency_p50": [w.latency_ms.quantile(0.5) for w in windows],
        "latency_p99": [w.latency_ms.quantile(0.99) for w in windows],
        "route:primary": [float(w.n_rows) for w in windows if "primary" in w.routes],
        "source:alpha": [100.0 + i for i in range(N)],
    }.items():
        buckets = series[metric]["buckets"]
        assert [b["mean"] for b in buckets] == pytest.approx(oracle, rel=1e-12), metric
        assert all(b["n_windows"] == 1 and b["low"] == b["high"] == b["mean"] for b in buckets)
    # Each bucket opens its own window; the flagged ones are those stored with an alarm on x.
    drift = series["drift:x"]["buckets"]
    assert [b["window_id"] for b in drift] == [f"w-{i}" for i in range(N)]
    assert [b["flagged"] for b in drift] == [i % 3 == 0 for i in range(N)]
    stored_x = activity.results[-1].column("x")  # type: ignore[union-attr]
    assert series["drift:x"]["threshold"] == stored_x.threshold  # type: ignore[union-attr]


def _mean(window: WindowProfile) -> float:
    state = window.columns["score"]
    assert isinstance(state, NumericState)
    return state.mean


def test_buckets_keep_min_max_and_mean_of_their_windows(
    stored: tuple[Api, list[dict[str, Any]]],
) -> None:
    api, _ = stored
    one = _get(api, metric=["drift:x"], **{"from": _iso(0), "to": _iso(N)}, buckets=N).json()
    values = np.array([b["mean"] for b in one["series"][0]["buckets"]])
    three = _get(api, metric=["drift:x"], **{"from": _iso(0), "to": _iso(N)}, buckets=3).json()
    buckets = three["series"][0]["buckets"]
    assert [b["n_windows"] for b in buckets] == [4, 4, 4]
    for k, bucket in enumerate(buckets):
        part = values[4 * k : 4 * k + 4]
        assert (bucket["low"], bucket["high"]) == (part.min(), part.max())
        assert bucket["mean"] == pytest.approx(part.mean(), rel=1e-12)
        assert bucket["window_id"] == f"w-{4 * k + int(part.argmax())}"


def test_prediction_quantiles_are_ordered_within_the_stored_extremes(
    stored: tuple[Api, list[dict[str, Any]]],
) -> None:
    api, payloads = stored
    metrics = ["prediction_p10", "prediction_p50", "prediction_p90"]
    body = _get(api, metric=metrics, **{"from": _iso(0), "to": _iso(N)}, buckets=N).json()
    p10, p50, p90 = ([b["mean"] for b in s["buckets"]] for s in body["series"])
    for i, payload in enumerate(payloads):
        score = payload["columns"]["score"]
        assert score["min"] <= p10[i] <= p50[i] <= p90[i] <= score["max"]


def test_the_range_selects_windows_by_start(stored: tuple[Api, list[dict[str, Any]]]) -> None:
    api, _ = stored
    # [from, to): windows 2, 3 and 4 start inside; 5 starts exactly at `to` and is left out.
    body = _get(api, metric=["rows"], **{"from": _iso(2), "to": _iso(5)}, buckets=30).json()
    assert body["series"][0]["n_windows"] == 3
    assert [b["window_id"] for b in body["series"][0]["buckets"]] == ["w-2", "w-3", "w-4"]
    # A named range ends with the last window and spans that long before it.
    hour = _get(api, metric=["rows"], range="hour").json()
    last_end = START + timedelta(minutes=N - 1, seconds=59)
    assert hour["last_window"] == last_end.isoformat().replace("+00:00", "Z")
    assert hour["end"] == hour["last_window"]
    assert hour["series"][0]["n_windows"] == N
    assert "drift:x" in hour["available"]
    assert "source:beta" in hour["available"]
    # Before the first window: nothing.
    early = _get(api, metric=["rows"], **{"from": _iso(-60), "to": _iso(0)}).json()
    assert early["series"][0]["n_windows"] == 0
    assert early["series"][0]["buckets"] == []


@pytest.mark.parametrize(
    ("params", "status"),
    [
        ({"metric": ["rows"], "from": _iso(5), "to": _iso(5)}, 400),
        ({"metric": ["rows"], "from": "2026-11-02T09:00:00"}, 422),
        ({"metric": ["nothing"]}, 400),
        ({"metric": ["drift:"]}, 400),
        ({"metric": [f"source:{'s' * 700}"]}, 400),
        ({"metric": ["rows"], "to": "0001-01-01T00:00:00Z"}, 400),
        ({"metric": ["rows"], "from": "0001-01-01T00:00:00+14:00"}, 400),
        ({"metric": ["rows"], "buckets": 5_000}, 422),
        ({"metric": ["rows"], "range": "year"}, 422),
        ({}, 422),
    ],
)
def test_bad_requests_are_refused_in_words(
    stored: tuple[Api, list[dict[str, Any]]], params: dict[str, Any], status: int
) -> None:
    api, _ = stored
    response = _get(api, **params)
    assert response.status_code == status, response.text
    assert response.json()["detail"]


def test_the_series_need_a_token(stored: tuple[Api, list[dict[str, Any]]]) -> None:
    api, _ = stored
    assert _get(api, None, metric=["rows"]).status_code == 401


def test_a_model_without_windows_has_empty_series(api: Api) -> None:
    body = _get(api, metric=["rows"]).json()
    assert [(s["metric"], s["buckets"]) for s in body["series"]] == [("rows", [])]
    assert body["first_window"] is None


def test_a_window_evaluated_after_it_was_charted_shows_its_results(
    store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    reference = fit_reference()
    save_reference(store, model=MODEL, body=reference.to_dict(), actor="test")
    payload = window_payload(reference, index=0)
    with store.session() as session:
        add_window(
            session,
            window_id="w-0",
            model=MODEL,
            start=START,
            end=START + timedelta(seconds=59),
            n_rows=400,
            payload=payload,
        )
    one = {"model": MODEL, "metrics": ["drift:x", "rows"], "last": timedelta(hours=1)}
    before = get_series_set(store, **one)  # type: ignore[arg-type]
    assert [len(s.buckets) for s in before.series] == [0, 1]  # stored, not yet judged
    result = {
        "column": "x",
        "monitor": "drift",
        "statistic": "psi",
        "value": 0.7,
        "threshold": 0.2,
        "level": "alarm",
        "n_rows": 400,
    }
    document = {"version": 1, "reference_hash": reference.content_hash, "columns": [result]}
    with store.session() as session:
        save_window_results(session, window_id="w-0", results=document)
        mark_window_evaluated(session, window_id="w-0", at=START + timedelta(minutes=1))
    # Until the recheck delay has passed the kept point is served; after it, the stored result.
    monkeypatch.setattr(timeseries, "_RECHECK_S", 0.0)
    (drift, _) = get_series_set(store, **one).series  # type: ignore[arg-type]
    assert [(b.mean, b.flagged) for b in drift.buckets] == [(0.7, True)]
    assert drift.threshold == 0.2


def _week(store: Store) -> SeriesSet:
    return get_series_set(store, model=MODEL, start=START, end=START + timedelta(minutes=N))


def test_stored_summaries_give_what_the_payloads_give(
    stored: tuple[Api, list[dict[str, Any]]],
) -> None:
    api, _ = stored
    with api.store.reading() as session:
        reference = reference_in(session, model=MODEL)
        assert reference is not None
        ids = list_window_ids(session, model=MODEL, start=START, end=START + timedelta(hours=1))
        summaries = list_window_summaries(session, window_ids=ids)
        named = [reference.column_named(r) for r in (Role.PREDICTION, Role.CONFIDENCE)]
        columns = [n for n in named if n is not None]
        parts = {p.id: p for p in list_window_parts(session, window_ids=ids, columns=columns)}
    assert len(summaries) == N
    assert all(s.summary is not None and "drift" in s.summary for s in summaries)
    for summary in summaries:
        oracle = point_of(parts[summary.id], reference)
        assert oracle.drift  # the summary's drift against the stored results
        assert point_of_summary(summary, reference.content_hash) == oracle
        assert {"prediction_p50", "latency_p99", "errors"} <= set(oracle.values)
        assert {"route:primary", "source:alpha"} & set(oracle.counts)
        # Read against another reference, the summary is not used: the payload is.
        assert point_of_summary(summary, "another reference") is None


def test_the_first_series_of_summarised_windows_reads_no_payload(
    stored: tuple[Api, list[dict[str, Any]]], monkeypatch: pytest.MonkeyPatch
) -> None:
    api, _ = stored
    monkeypatch.setattr(timeseries, "_POINTS", OrderedDict())  # nothing kept from before
    statements: list[str] = []

    def seen(*args: Any) -> None:
        if threading.get_ident() == reader:  # not the server's own threads
            statements.append(str(args[2]))

    reader = threading.get_ident()

    event.listen(api.store.engine, "before_cursor_execute", seen)
    try:
        series = _week(api.store)
    finally:
        event.remove(api.store.engine, "before_cursor_execute", seen)
    rows = series.get("rows")
    assert rows is not None
    assert rows.n_windows == N
    assert any("summary" in s for s in statements)
    assert not [s for s in statements if "payload" in s and "windows" in s]


def test_windows_without_a_summary_chart_as_those_with_one(
    stored: tuple[Api, list[dict[str, Any]]], monkeypatch: pytest.MonkeyPatch
) -> None:
    api, _ = stored
    monkeypatch.setattr(timeseries, "_POINTS", OrderedDict())
    summarised = _week(api.store)
    bogus = {"version": 1, "reference_hash": "another", "values": {"errors": 1e6}, "counts": {}}
    with api.store.session() as session:
        old = [f"w-{i}" for i in range(0, N, 2)]
        session.execute(update(WindowRow).where(WindowRow.id.in_(old)).values(summary=None))
        # A summary read against another reference is not this reference's: the payload is read.
        session.execute(update(WindowRow).where(WindowRow.id == "w-1").values(summary=bogus))
        # Results stored after the window (by a worker): its summary has no drift.
        row = session.get(WindowRow, "w-3")
        assert row is not None
        assert row.summary is not None
        row.summary = {k: v for k, v in row.summary.items() if k != "drift"}
    monkeypatch.setattr(timeseries, "_POINTS", OrderedDict())
    mixed = _week(api.store)
    assert mixed == summarised
    assert len(mixed.series) > 10
    assert all(s.n_windows for s in mixed.series)
