"""Windows judge the model on the primary's own answers: a fallback's constant, a reviewer's
route or a filter's detour never reaches the prediction or confidence columns, and a review
threshold does not censor the primary's low-confidence answers out of them."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

import redline
from redline.domain import InputFilter, Route, RouteState
from redline.guard.guard import GuardEngine as Guard
from redline.guard.sinks import MemorySink
from redline.profiles.reference import Reference
from redline.profiles.states import NumericState

ROWS = 1_000


@pytest.fixture(scope="module")
def reference() -> Reference:
    rng = np.random.default_rng(31)
    x = rng.normal(size=20_000)
    return redline.fit_reference(
        {"x": x, "score": 2 * x, "confidence": np.abs(2 * x)},
        prediction="score",
        confidence="confidence",
        window_sizes=[300, 1_000, 10_000],
    )


def primary(row: dict[str, Any]) -> float:
    return 2 * float(row["x"])


def constant(row: dict[str, Any]) -> float:
    return 0.0


def served_windows(reference: Reference, state: RouteState, windows: int = 3) -> MemorySink:
    """One window on the primary, then ``windows`` more under ``state``, all on the same inputs."""
    sink = MemorySink()
    with Guard(
        model="credit",
        predict=primary,
        fallback=constant,
        confidence=abs,
        reference=reference,
        sink=sink,
        window_s=3600,
    ) as guard:
        for seed in range(windows + 1):
            if seed == 1:
                guard.set_route(state)
            for x in np.random.default_rng(seed).normal(size=ROWS):
                guard.predict({"x": float(x)})
            guard.flush()
    return sink


def output_kinds(sink: MemorySink) -> set[str]:
    return {s.kind for s in sink.signals if s.kind in {"prediction_drift", "confidence_drop"}}


def column_n(window: Any, name: str) -> int:
    state = window.columns[name]
    assert isinstance(state, NumericState)
    return state.n


def test_a_constant_fallback_raises_no_prediction_drift(reference: Reference) -> None:
    sink = served_windows(reference, RouteState(mode=Route.FALLBACK, revision=1))
    assert output_kinds(sink) == set()
    for window in sink.windows[1:]:
        assert window.routes == {"fallback": ROWS}  # still counted per route
        assert (column_n(window, "score"), column_n(window, "confidence")) == (0, 0)


def test_review_routing_keeps_every_primary_answer_in_the_columns(reference: Reference) -> None:
    sink = served_windows(reference, RouteState(revision=1, confidence_threshold=1.0))
    assert output_kinds(sink) == set()  # no self-inflicted drift from censored answers
    for window in sink.windows[1:]:
        assert window.routes["review"] > ROWS // 4
        assert window.routes["primary"] + window.routes["review"] == ROWS
        assert column_n(window, "score") == ROWS
    assert len(sink.reviews) == sum(w.routes.get("review", 0) for w in sink.windows)


def test_rows_a_filter_sends_to_the_fallback_leave_the_columns(reference: Reference) -> None:
    detour = InputFilter("x", "gt", 1.0, action="fallback")
    sink = served_windows(reference, RouteState(revision=1, input_filters=(detour,)), windows=1)
    window = sink.windows[1]
    assert 0 < window.routes["fallback"] < ROWS
    assert column_n(window, "score") == window.routes["primary"]
