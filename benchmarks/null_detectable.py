"""How large a drop the label service can confirm within two labelled windows, per real set,
beside the drop a collapse to no skill makes (``faults``: predictions drawn from those served on
the reference). Nothing is downloaded.

    .venv/bin/python benchmarks/null_detectable.py [--labels 250] [--trials 1000] [--seed 0]

Per metric (accuracy, each class's recall): the baseline, the collapse's value on the whole
pool, the labels a window holds, and the smallest drop (half the windows reach it) that makes
each verdict at those counts: a warning in one window (``alpha`` 1e-3 shared by the metrics,
and the floor), an alarm at once (1e-6 shared), an alarm in window 2 (the window alone at 1e-3
and the two windows pooled at 1e-3, and the floor); then the labels per window the statistics
alone (no floor) need to confirm the collapse's drop by window 2, and the share of simulated
collapses confirmed by window 2 with the service's defaults.
"""

from __future__ import annotations

import argparse
import json
from typing import Any

import numpy as np

import faults
import null_streams as ns
from redline.profiles.degradation import performance_drops
from redline.profiles.performance import performance_metrics
from redline.profiles.proportions import critical_count

SETS = ["flights", "fertility", "insteval", "cps1988"]
ALPHA, AT_ONCE = 1e-3, 1e-6
FLOORS = {"accuracy": 0.05, "recall": 0.1}
GRID = [250, 500, 1_000, 2_000, 4_000, 8_000, 16_000, 32_000]


def _counts(metrics: dict[str, Any]) -> dict[str, tuple[float, int]]:
    """(rate, labels) per metric name: ``accuracy`` and ``recall:<class>``."""
    out = {"accuracy": (float(metrics["accuracy"]), int(metrics["n"]))}
    for name, stats in metrics["per_class"].items():
        if stats["recall"] is not None:
            out[f"recall:{name}"] = (float(stats["recall"]), int(stats["support"]))
    return out


def needed_drop(rate: float, n_base: int, n: int, level: float, floor: float) -> float:
    """The smallest drop below ``rate`` that is significant at ``level`` on ``n`` labels."""
    critical = critical_count(max(n, 1), round(rate * n_base), n_base, level)
    significant = rate - (critical + 1) / max(n, 1)
    return max(significant, floor)


def by_window_2(rate: float, n_base: int, n: int, level: float, floor: float) -> float:
    """The smallest drop confirmed in window 2: alone at ``level``, and pooled with window 1."""
    alone = needed_drop(rate, n_base, n, level, floor)
    return max(alone, needed_drop(rate, n_base, 2 * n, level, floor))


def labels_for(rate: float, n_base: int, drop: float, level: float, share: float) -> Any:
    """Labels per window (of all classes) that confirm ``drop`` by window 2, floors aside."""
    if drop <= 0:
        return None
    for labels in GRID:
        if by_window_2(rate, n_base, round(labels * share), level, 0.0) <= drop:
            return labels
    return f"> {GRID[-1]:,}"


def simulate(real: ns.RealSet, base: dict[str, Any], labels: int, trials: int, seed: int) -> float:
    """Share of collapses confirmed (an alarm) in labelled window 1 or 2."""
    make, rng = faults.window_of("collapse", real), np.random.default_rng(seed)
    target, hits = real.table.target, 0
    for _ in range(trials):
        previous = None
        for _window in range(2):
            frame = make(rng).iloc[:labels]
            now = performance_metrics(
                frame[target].to_numpy(), frame[ns.PREDICTION].to_numpy(), task="classification"
            )
            assert now is not None
            if any(d.confirmed for d in performance_drops(base, now, previous=previous)):
                hits += 1
                break
            previous = now
    return hits / trials


def one_set(name: str, labels: int, trials: int, seed: int) -> dict[str, Any]:
    """Every metric's detectable drops and the collapse's, and the simulated confirmations."""
    real = ns.load(name, seed)
    target, pred = real.table.target, ns.PREDICTION
    base = performance_metrics(
        real.reference[target].to_numpy(), real.reference[pred].to_numpy(), task="classification"
    )
    assert base is not None
    served = real.reference[pred].to_numpy()
    collapsed = served[np.random.default_rng(seed).choice(served.size, size=len(real.pool))]
    after = performance_metrics(real.pool[target].to_numpy(), collapsed, task="classification")
    assert after is not None
    now, tests = _counts(after), len(_counts(base))
    rows = []
    for metric, (rate, n_base) in _counts(base).items():
        share = n_base / base["n"]
        n = round(labels * share)
        floor = FLOORS[metric.split(":")[0]]
        drop = rate - now.get(metric, (rate, 0))[0]
        rows.append(
            {
                "metric": metric,
                "baseline": round(rate, 3),
                "collapse": round(rate - drop, 3),
                "drop": round(drop, 3),
                "labels_per_window": n,
                "warning_1": round(needed_drop(rate, n_base, n, ALPHA / tests, floor), 3),
                "alarm_at_once": round(needed_drop(rate, n_base, n, AT_ONCE / tests, floor), 3),
                "alarm_by_2": round(by_window_2(rate, n_base, n, ALPHA / tests, floor), 3),
                "floor": floor,
                "labels_needed": labels_for(rate, n_base, drop, ALPHA / tests, share),
            }
        )
    confirmed = simulate(real, base, labels, trials, seed)
    return {"set": name, "labels": labels, "metrics": rows, "confirmed_by_2": confirmed}


def render(results: list[dict[str, Any]]) -> str:
    """A Markdown table, one row per set and metric."""
    head = (
        "| set | metric | baseline | collapse | drop | floor | labels/window | drop needed: "
        "warning (1 window) | alarm at once | alarm by window 2 | labels/window to confirm "
        "the collapse's drop by window 2 (no floor) | collapses confirmed by window 2 |\n"
        "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |"
    )
    lines = [head]
    for result in results:
        for i, m in enumerate(result["metrics"]):
            share = f"{result['confirmed_by_2']:.0%}" if i == 0 else ""
            needed = m["labels_needed"] if m["labels_needed"] is not None else "–"
            lines.append(
                f"| {result['set'] if i == 0 else ''} | {m['metric']} | {m['baseline']} | "
                f"{m['collapse']} | {m['drop']} | {m['floor']} | {m['labels_per_window']} | "
                f"{m['warning_1']} | {m['alarm_at_once']} | {m['alarm_by_2']} | {needed} | "
                f"{share} |"
            )
    return "\n".join(lines)


def main() -> None:
    """Print a RESULT line and the table."""
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument("--sets", default=",".join(SETS))
    p.add_argument("--labels", type=int, default=250, help="labels per window")
    p.add_argument("--trials", type=int, default=1_000, help="simulated collapses per set")
    p.add_argument("--seed", type=int, default=0)
    args = p.parse_args()
    results = [one_set(n, args.labels, args.trials, args.seed) for n in args.sets.split(",")]
    print("RESULT " + json.dumps(results))
    print(render(results))


if __name__ == "__main__":
    main()
