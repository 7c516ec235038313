"""Store-only ingest (``api.evaluate = worker``): the request stores windows and nothing more;
the worker that responds judges each window's clean columns, once, and keeps the results."""

from __future__ import annotations

import gzip
import json
from collections.abc import Callable

from api_support import MODEL, Api, drift_signal, fit_reference, window_payload

from redline.domain import Signal
from redline.guard.sinks import ClosedWindow
from redline.profiles.window import WindowProfile
from redline.services.ingest import respond_to_windows
from redline.services.response import ResponsePlan
from redline.services.views import get_model_activity
from redline.services.window_results import results_of
from redline.store import get_window, list_signals

URL = f"/api/v1/models/{MODEL}/windows"


def test_the_worker_judges_what_store_only_ingest_left(api_with: Callable[..., Api]) -> None:
    api = api_with(evaluate="worker")
    reference = fit_reference()
    items = [
        {"window": window_payload(reference, index=0), "signals": [drift_signal()]},
        {"window": window_payload(reference, index=1, shift=0.3, seed=4)},
    ]
    body = gzip.compress(json.dumps({"windows": items}).encode())
    headers = {"Content-Type": "application/json", "Content-Encoding": "gzip"}
    with api.client("admin") as client:
        client.put(f"/api/v1/models/{MODEL}/reference", json=reference.to_dict()).raise_for_status()
        client.post(URL, content=body, headers=headers).raise_for_status()
    with api.store.reading() as session:
        rows = [get_window(session, window_id=f"w-{i}") for i in (0, 1)]
        assert [(r.results, r.evaluated_at) for r in rows if r is not None] == [(None, None)] * 2
    assert sorted(respond_to_windows(api.store, plan=ResponsePlan())) == ["w-0", "w-1"]
    stored = get_model_activity(api.store, model=MODEL, windows=5).results
    for item, results in zip(items, stored, strict=True):
        window = WindowProfile.from_dict(item["window"])
        oracle = results_of(ClosedWindow(MODEL, window, _signals(api, window)), reference)
        assert results == oracle
    first = stored[0]
    assert first is not None
    x = first.column("x")
    assert x is not None
    assert (x.level, x.value) == ("alarm", 0.8)  # the signal's own numbers, not re-judged
    assert len(first.columns) == 3  # x, region and score all have a result
    assert respond_to_windows(api.store, plan=ResponsePlan()) == []  # responded to once


def _signals(api: Api, window: WindowProfile) -> list[Signal]:
    with api.store.reading() as session:
        rows = list_signals(session, model=MODEL)
        return [r.to_signal() for r in rows if r.window_id == window.window_id]
