"""False alarms of the latency, confidence and source-share monitors on seeded null streams.

    .venv/bin/python benchmarks/bench_monitor_floors.py [--windows 1000]

Latency runs the real ``LatencyMonitor`` on folded windows; confidence compares window means
drawn from the raw distribution with the normal bound and with the monitor's bound; source
share replays the monitor's rule (×3 the smoothed share, at least 0.2) on multinomial windows.
"""

from __future__ import annotations

import argparse
import math
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import numpy as np
from scipy.special import ndtri

import redline
from redline.monitors.confidence import drop_quantile_sd
from redline.monitors.latency import LatencyMonitor
from redline.profiles.specs import NumericSpec
from redline.profiles.window import WindowProfile

Draw = Callable[[int], np.ndarray[Any, Any]]
T0 = datetime(2026, 1, 1, tzinfo=UTC)


def latency(windows: int) -> None:
    rng = np.random.default_rng(0)
    ref = redline.fit_reference({"x": rng.normal(size=2_000)}, window_sizes=[100])
    for n in (100, 1_000):
        for usual, sd in ((0.004, 0.5), (10.0, 0.5), (10.0, 1.0)):
            fired = {"default": 0, "factor only": 0}
            for name, monitor in (
                ("default", LatencyMonitor(ref)),
                ("factor only", LatencyMonitor(ref, min_increase_ms=0.0, min_tail_rows=0)),
            ):
                for i in range(windows):
                    start = T0 + timedelta(minutes=i)
                    empty = WindowProfile.empty(ref, start=start, end=start + timedelta(minutes=1))
                    lat = rng.lognormal(np.log(usual), sd, n)
                    window = empty.fold(ref, {"x": rng.normal(size=n)}, latency_ms=lat)
                    fired[name] += bool(monitor.update(window).signals) and i >= 3
            rates = ", ".join(f"{k} {v / (windows - 3):.4f}" for k, v in fired.items())
            print(f"latency null {usual} ms σ {sd}, {n} rows: warnings per window {rates}")


def confidence(windows: int) -> None:
    rng = np.random.default_rng(0)
    draws: dict[str, Draw] = {
        "Beta(8,2)": lambda n: rng.beta(8, 2, n),
        "Beta(20,1)": lambda n: rng.beta(20, 1, n),
        "3% at 0.2": lambda n: np.where(rng.random(n) < 0.03, 0.2, rng.uniform(0.95, 1.0, n)),
        "1% at 0.1": lambda n: np.where(rng.random(n) < 0.01, 0.1, rng.uniform(0.98, 1.0, n)),
    }
    for name, draw in draws.items():
        ref = redline.fit_reference({"conf": draw(20_000)}, confidence="conf", window_sizes=[100])
        spec = ref.columns["conf"]
        assert isinstance(spec, NumericSpec)
        for w in (100, 300):
            normal = max(float(ndtri(0.999)) * math.sqrt(1 / w + 1 / spec.n), 0.25)
            bound = max(normal, drop_quantile_sd(spec, w, 0.001))
            drop = (spec.mean - draw(windows * w).reshape(-1, w).mean(axis=1)) / spec.std
            print(
                f"confidence null {name}, {w} rows: normal bound {np.mean(drop > normal):.5f}, "
                f"with the bin bound {np.mean(drop > bound):.5f}"
            )


def source_share(windows: int) -> None:
    rng = np.random.default_rng(1)
    cases = {
        "20 equal": np.ones(20),
        "Zipf over 50": 1 / np.arange(1, 51),
        "one at 7%, 93 at 1%": np.r_[0.07, np.full(93, 0.01)],
    }
    for name, weights in cases.items():
        shares = weights / weights.sum()
        for n in (50, 200, 1_000):
            counts = rng.multinomial(n, shares, size=windows)
            base, fired = counts[0] / n, 0
            for row in counts[1:]:
                now = row / n
                flag = now > np.maximum(0.2, 3 * base)
                fired += bool(flag.any())
                base = np.where(flag, base, 0.8 * base + 0.2 * now)
            print(f"source share null {name}, {n} rows: {fired / (windows - 1):.4f} per window")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--windows", type=int, default=1_000)
    args = parser.parse_args()
    latency(args.windows)
    confidence(args.windows * 200)
    source_share(args.windows * 20)


if __name__ == "__main__":
    main()
