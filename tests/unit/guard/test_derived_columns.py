"""Requests served outside ``predict``: ``record`` with raw fields, columns derived on the window
thread, signals from the deriver, and answers held for review after serving."""

from __future__ import annotations

import numpy as np
import pytest

import redline
from redline.domain import Level, Signal
from redline.guard.derived import DerivedColumns
from redline.guard.guard import GuardEngine
from redline.guard.sinks import MemorySink
from redline.profiles.reference import Reference
from redline.profiles.tabular import Columns
from redline.profiles.window import WindowProfile


@pytest.fixture(scope="module")
def reference() -> Reference:
    rng = np.random.default_rng(5)
    return redline.fit_reference({"length": rng.integers(1, 40, 2_000).astype(float)})


class TextLength:
    """Records the text; derives its length; one signal per window naming long texts."""

    names = ("request_id", "text")

    def __init__(self) -> None:
        self.threads: set[str] = set()
        self.long: list[str] = []

    def derive(self, columns: Columns) -> Columns:
        import threading

        self.threads.add(threading.current_thread().name)
        lengths = [len(t) for t in columns["text"]]
        self.long += [r for r, n in zip(columns["request_id"], lengths, strict=True) if n > 100]
        return {"length": np.asarray(lengths, dtype=float)}

    def signals(self, model: str, window: WindowProfile) -> list[Signal]:
        long, self.long = self.long, []
        if not long:
            return []
        return [
            Signal(
                monitor="long_text",
                kind="long_text",
                column="length",
                statistic="rows",
                value=float(len(long)),
                threshold=0.0,
                level=Level.WARNING,
                window_start=window.start,
                window_end=window.end,
                n_rows=window.n_rows,
                model=model,
                evidence={"request_ids": long},
            )
        ]


def serve(engine: GuardEngine, text: str) -> str:
    request_id = engine.new_request_id()
    engine.record(
        {"request_id": request_id, "text": text},
        value=text.upper(),
        output=text,
        route="primary",
        source="k1",
        latency_ms=1.0,
        request_id=request_id,
    )
    return request_id


def test_recorded_rows_are_derived_on_the_window_thread(reference: Reference) -> None:
    derived = TextLength()
    assert isinstance(derived, DerivedColumns)
    with GuardEngine(
        model="m",
        predict=lambda row: row,
        reference=reference,
        sink=MemorySink(),
        window_s=3600,
        derived=derived,
        record_served=True,
    ) as engine:
        short = serve(engine, "x" * 10)
        long = serve(engine, "y" * 500)
        engine.flush()
        sink = engine.sink
    assert isinstance(sink, MemorySink)
    (window,) = sink.windows
    assert window.n_rows == 2
    assert window.columns["length"].to_dict()["total"] == 510.0  # type: ignore[attr-defined]
    assert not window.unknown
    assert derived.threads == {"redline-guard-m"}
    (signal,) = [s for s in sink.signals if s.kind == "long_text"]
    assert signal.evidence["request_ids"] == [long]
    assert [r for r, _, _ in sink.served] == [short, long]
    assert sink.served[0][1] == "X" * 10  # what the caller got


def test_a_failing_deriver_costs_its_signals_not_the_window(reference: Reference) -> None:
    class Broken(TextLength):
        def signals(self, model: str, window: WindowProfile) -> list[Signal]:
            raise RuntimeError("boom")

    with GuardEngine(
        model="m",
        predict=lambda row: row,
        reference=reference,
        sink=MemorySink(),
        window_s=3600,
        derived=Broken(),
    ) as engine:
        serve(engine, "hello")
        engine.flush()
        sink = engine.sink
    assert isinstance(sink, MemorySink)
    assert [w.n_rows for w in sink.windows] == [1]


def test_answers_held_after_serving_reach_the_sink(reference: Reference) -> None:
    with GuardEngine(
        model="m", predict=lambda row: row, reference=reference, sink=MemorySink(), window_s=3600
    ) as engine:
        first, second = engine.new_request_id(), engine.new_request_id()
        engine.predict({"length": 3.0})
        engine.hold_for_review({"request_id": first, "reason": "output scanners"})
        engine.flush()
        sink = engine.sink
        plan = engine.plan
    assert isinstance(sink, MemorySink)
    assert first != second
    assert sink.reviews == [{"request_id": first, "reason": "output scanners"}]
    assert plan.state is engine.route
