"""Signals per kind on null windows, counted the way the false-alarm benchmark reports them."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import numpy as np

import null_streams as ns
import redline
from redline.domain import Level, Signal
from redline.monitors.registry import MonitorSuite
from redline.profiles.performance import performance_metrics
from redline.profiles.reference import Reference
from redline.profiles.window import WindowProfile
from redline.services.response import ResponsePlan

try:  # where the label service's verdict lives moved between versions
    from redline.profiles.degradation import performance_drops
except ImportError:
    from redline.profiles.performance import performance_drops  # type: ignore[attr-defined,no-redef]

T0 = datetime(2026, 1, 5, tzinfo=UTC)
WINDOW_STEP = timedelta(minutes=1)
#: The service's defaults for a performance verdict (``services.labels``).
MIN_LABELS = 50


def signal_key(signal: Signal) -> str:
    """What the tables count by: the monitor for feature drift, the kind otherwise."""
    return signal.monitor if signal.kind == "feature_drift" else signal.kind


def level_of(signal: Signal) -> str:
    """``warning`` or ``alarm`` (alarm and critical together)."""
    return "warning" if signal.level is Level.WARNING else "alarm"


@dataclass
class Tally:
    """Windows seen, and how many of them raised each kind (and column) at each level."""

    windows: int = 0
    kinds: Counter[tuple[str, str]] = field(default_factory=Counter)
    columns: Counter[tuple[str, str, str]] = field(default_factory=Counter)
    any_level: Counter[str] = field(default_factory=Counter)
    severities: Counter[str] = field(default_factory=Counter)

    def add(self, signals: list[Signal], severity: str | None) -> None:
        """Count one window's signals (each kind and level once per window)."""
        self.windows += 1
        self.kinds.update({(signal_key(s), level_of(s)) for s in signals})
        self.columns.update({(signal_key(s), str(s.column), level_of(s)) for s in signals})
        self.any_level.update({level_of(s) for s in signals})
        self.severities[severity or "none"] += 1

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready counts."""
        return {
            "windows": self.windows,
            "kinds": {f"{k}|{lv}": n for (k, lv), n in sorted(self.kinds.items())},
            "columns": {f"{k}|{c}|{lv}": n for (k, c, lv), n in sorted(self.columns.items())},
            "any": dict(self.any_level),
            "severities": dict(self.severities),
        }


def severity(signals: Iterable[Signal]) -> str | None:
    """The severity the default policy (as a Guard's store applies it) gives these signals."""
    from redline.domain.severity import classify

    decision = classify(ResponsePlan().policy, list(signals))
    return None if decision is None else decision.severity.value


class LabelVerdict:
    """The label service's verdict window after window: a drop is confirmed (an alarm) at once
    or when it stands again pooled with the window before, as ``services.labels`` judges it."""

    def __init__(self, ref: Reference, model: str) -> None:
        self.ref, self.model = ref, model
        self.previous: dict[str, Any] | None = None

    def signals(self, labels: Any, predictions: Any) -> list[Signal]:
        """What the label service raises for this window (its defaults are the function's own)."""
        base = self.ref.performance
        if base is None or base.get("task") != "classification":
            return []
        current = performance_metrics(labels, predictions, task=base["task"])
        if current is None or current["n"] < MIN_LABELS:
            self.previous = None
            return []
        previous, self.previous = self.previous, current
        return [
            Signal(
                monitor="performance",
                kind="performance_drop",
                column=d.column,
                statistic=d.statistic,
                value=d.current,
                threshold=d.threshold,
                level=Level.ALARM if getattr(d, "confirmed", True) else Level.WARNING,
                model=self.model,
            )
            for d in _drops(base, current, previous)
        ]


def _drops(base: dict[str, Any], current: dict[str, Any], previous: Any) -> list[Any]:
    """``performance_drops`` with the window before where the version takes it."""
    try:
        return list(performance_drops(base, current, previous=previous))
    except TypeError:  # a version that judges each window alone: every drop an alarm
        return list(performance_drops(base, current))


def fit(real: ns.RealSet, *, confidence: bool = True) -> Reference:
    """The reference of a real set: its features, target, prediction (and confidence)."""
    conf = ns.CONFIDENCE if confidence and real.classifier else None
    cols = [*real.table.features, real.table.target, ns.PREDICTION, *([conf] if conf else [])]
    return redline.fit_reference(
        real.reference[cols], target=real.table.target, prediction=ns.PREDICTION, confidence=conf
    )


def profile(
    ref: Reference, columns: dict[str, Any], index: int, latency: Any, sources: list[str]
) -> WindowProfile:
    """The window profile a Guard would close for these rows."""
    start = T0 + index * WINDOW_STEP
    window = WindowProfile.empty(ref, start=start, end=start + WINDOW_STEP)
    return window.fold(ref, columns, latency_ms=latency, sources=sources)


def real_tally(real: ns.RealSet, n_windows: int, seed: int) -> tuple[Tally, int]:
    """Signals of ``n_windows`` null windows of a real set, in sequence through one suite."""
    ref = fit(real)
    suite = MonitorSuite(ref, model=real.name)
    rng = np.random.default_rng(seed)
    size = min(real.table.window, len(real.pool) // 2)
    cols = [c for c in real.columns() if c != real.table.target]
    tally, labels = Tally(), LabelVerdict(ref, real.name)
    for i in range(n_windows):
        frame = ns.draw(real.pool, size, rng)
        columns = {c: frame[c].to_numpy() for c in cols}
        window = profile(
            ref, columns, i, ns.latencies(size, rng), ns.sources(frame, real.table, rng)
        )
        signals = suite.evaluate(window)
        signals += labels.signals(
            frame[real.table.target].to_numpy(), frame[ns.PREDICTION].to_numpy()
        )
        tally.add(signals, severity(signals))
    return tally, size


def synthetic_tally(size: int, n_windows: int, seed: int) -> tuple[Tally, int]:
    """Signals of null windows of ``size`` rows against a synthetic reference of ≥10× that."""
    rng = np.random.default_rng(seed)
    n_ref = max(10 * size, 50_000)
    ref = redline.fit_reference(
        ns.synthetic(n_ref, rng),
        target="target",
        prediction=ns.PREDICTION,
        confidence=ns.CONFIDENCE,
        seed=seed,
    )
    suite = MonitorSuite(ref, model="synthetic")
    tally, verdict = Tally(), LabelVerdict(ref, "synthetic")
    for i in range(n_windows):
        cols = ns.synthetic(size, rng)
        labels = cols.pop("target")
        window = profile(ref, cols, i, ns.latencies(size, rng), ns.synthetic_sources(size, rng))
        signals = suite.evaluate(window)
        signals += verdict.signals(labels, cols[ns.PREDICTION])
        tally.add(signals, severity(signals))
    return tally, n_ref
