"""The Guard's request path, fallback, routing, buffering and windows (MemorySink)."""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pytest

import redline
from redline.domain import Route, RouteState
from redline.guard.guard import GuardEngine as Guard
from redline.guard.sinks import MemorySink
from redline.profiles.reference import Reference


@pytest.fixture(scope="module")
def reference() -> Reference:
    rng = np.random.default_rng(1)
    n = 20_000
    return redline.fit_reference(
        {
            "x": rng.normal(size=n),
            "region": rng.choice(["north", "south", "east"], n),
            "prediction": rng.normal(size=n) * 2,
        },
        prediction="prediction",
        window_sizes=[100, 1_000, 10_000],
    )


def model(row: dict[str, Any]) -> float:
    return float(row["x"]) * 2


def make(reference: Reference, **kwargs: Any) -> Guard:
    kwargs.setdefault("window_s", 3600)
    return Guard(model="m", predict=model, reference=reference, sink=MemorySink(), **kwargs)


def rows(n: int, shift: float = 0.0, seed: int = 2) -> list[dict[str, Any]]:
    rng = np.random.default_rng(seed)
    xs = rng.normal(shift, 1.0, n)
    regions = rng.choice(["north", "south", "east"], n)
    return [{"x": float(x), "region": str(r)} for x, r in zip(xs, regions, strict=True)]


def sink_of(guard: Guard) -> MemorySink:
    assert isinstance(guard.sink, MemorySink)
    return guard.sink


def test_decision_carries_value_id_route_and_latency(reference: Reference) -> None:
    with make(reference, model_version="v3") as guard:
        first = guard.predict({"x": 1.5, "region": "north"})
        second = guard.predict({"x": 2.0, "region": "south"})
    assert first.value == 3.0
    assert first.route is Route.PRIMARY
    assert first.model_version == "v3"
    assert first.latency_ms >= 0
    assert first.request_id != second.request_id


def test_fallback_serves_when_the_model_raises(reference: Reference) -> None:
    def broken(row: dict[str, Any]) -> float:
        raise RuntimeError("model down")

    with Guard(
        model="m", predict=broken, reference=reference, fallback=lambda r: -1.0, sink=MemorySink()
    ) as guard:
        decision = guard.predict({"x": 1.0, "region": "north"})
        guard.flush()
        assert decision.value == -1.0
        assert decision.route is Route.FALLBACK
        assert decision.error == "RuntimeError: model down"
        assert sink_of(guard).windows[0].routes == {"fallback": 1}


def test_model_error_propagates_without_fallback(reference: Reference) -> None:
    def broken(row: dict[str, Any]) -> float:
        raise KeyError("boom")

    with Guard(model="m", predict=broken, reference=reference, sink=MemorySink()) as guard:
        with pytest.raises(KeyError):
            guard.predict({"x": 1.0})
        guard.flush()
        assert sink_of(guard).windows[0].errors == 1


def test_route_state_switches_to_the_fallback(reference: Reference) -> None:
    with make(reference, fallback=lambda r: 0.0) as guard:
        guard.set_route(RouteState(mode=Route.FALLBACK, revision=1))
        assert guard.predict({"x": 5.0, "region": "east"}).route is Route.FALLBACK
        guard.set_route(RouteState(mode=Route.PRIMARY, revision=1))  # not newer: ignored
        assert guard.route.mode is Route.FALLBACK
        guard.set_route(RouteState(mode=Route.PRIMARY, revision=2))
        assert guard.predict({"x": 5.0, "region": "east"}).value == 10.0


def test_every_row_reaches_the_window_across_buffer_rotations(reference: Reference) -> None:
    with make(reference, buffer_rows=16) as guard:
        for row in rows(1_000):
            guard.predict(row, source="10.0.0.0/24")
        guard.flush()
        window = sink_of(guard).windows[0]
    assert window.n_rows == 1_000
    assert window.columns["x"].n == 1_000
    assert window.columns["prediction"].n == 1_000
    assert window.latency_ms.n == 1_000
    assert window.sources.counts == {"10.0.0.0/24": 1_000}
    assert window.routes == {"primary": 1_000}


def test_a_shifted_stream_raises_drift_signals(reference: Reference) -> None:
    with make(reference) as guard:
        for row in rows(2_000, shift=1.0):
            guard.predict(row)
        guard.flush()
        signals = sink_of(guard).signals
    drifted = {(s.kind, s.column) for s in signals}
    assert ("feature_drift", "x") in drifted
    assert ("prediction_drift", "prediction") in drifted
    assert all(s.model == "m" for s in signals)


def test_no_signal_without_drift(reference: Reference) -> None:
    with make(reference) as guard:
        for row in rows(2_000, seed=9):
            guard.predict(row)
        guard.flush()
        assert sink_of(guard).signals == []


def test_bad_rows_are_counted_not_raised(reference: Reference) -> None:
    def tolerant(row: Any) -> float:
        return 0.0

    bad: list[Any] = [
        {"x": math.nan, "region": "north"},
        {"x": math.inf, "region": None},
        {"x": "seven", "region": "north"},
        {"region": "west"},
        {"x": 1.0, "region": "north", "extra": 1},
        None,
    ]
    with Guard(model="m", predict=tolerant, reference=reference, sink=MemorySink()) as guard:
        for row in bad:
            guard.predict(row)
        guard.flush()
        window = sink_of(guard).windows[0]
    x = window.columns["x"]
    assert window.n_rows == len(bad)
    assert (x.n_nonfinite, x.n_invalid, x.n) == (1, 1, 1)
    assert x.n_null == 3  # NaN, the missing key, the row that is not a mapping
    assert window.unknown == {"extra": 1, "<not a mapping>": 1}
    assert window.columns["region"].unseen.counts == {"west": 1}


def test_feedback_reaches_the_sink(reference: Reference) -> None:
    with make(reference) as guard:
        decision = guard.predict({"x": 0.1, "region": "north"})
        guard.feedback(decision.request_id, 1)
        guard.flush()
        feedback = sink_of(guard).feedback
    assert [(f.request_id, f.label) for f in feedback] == [(decision.request_id, 1)]


def test_predict_batch_folds_the_whole_batch(reference: Reference) -> None:
    rng = np.random.default_rng(5)
    columns = {"x": rng.normal(size=5_000), "region": np.array(["north"] * 5_000, dtype=object)}
    with make(reference, predict_batch=lambda data: data["x"] * 2) as guard:
        values = guard.predict_batch(columns)
        guard.flush()
        window = sink_of(guard).windows[0]
    np.testing.assert_allclose(values, columns["x"] * 2)
    assert window.n_rows == 5_000
    assert window.routes == {"primary": 5_000}


def test_predict_batch_without_a_batch_function_calls_the_model_per_row(
    reference: Reference,
) -> None:
    with make(reference) as guard:
        values = guard.predict_batch([{"x": 1.0, "region": "north"}, {"x": 2.0, "region": "east"}])
    assert values == [2.0, 4.0]


def test_a_failing_sink_never_reaches_the_caller(reference: Reference) -> None:
    class Broken(MemorySink):
        def write(self, *args: Any) -> None:
            raise OSError("disk full")

    with Guard(model="m", predict=model, reference=reference, sink=Broken()) as guard:
        assert guard.predict({"x": 1.0, "region": "north"}).value == 2.0
        guard.flush()
        assert guard.predict({"x": 1.0, "region": "north"}).value == 2.0


def test_window_length_must_be_positive(reference: Reference) -> None:
    with pytest.raises(ValueError, match="window_s"):
        Guard(model="m", predict=model, reference=reference, window_s=0)


def test_confidence_is_recorded_and_a_drop_is_signalled() -> None:
    rng = np.random.default_rng(6)
    n = 20_000
    ref = redline.fit_reference(
        {"x": rng.normal(size=n), "confidence": rng.beta(8, 2, n)},
        confidence="confidence",
        window_sizes=[100, 1_000],
    )

    def predict(row: dict[str, Any]) -> dict[str, float]:
        return {"label": 1.0, "p": 0.55}

    with Guard(
        model="m", predict=predict, reference=ref, sink=MemorySink(), confidence=lambda v: v["p"]
    ) as guard:
        for x in rng.normal(size=500):
            guard.predict({"x": float(x)})
        guard.flush()
        signals = sink_of(guard).signals
        window = sink_of(guard).windows[0]
    assert window.columns["confidence"].n == 500
    assert [s.kind for s in signals] == ["confidence_drop"]
