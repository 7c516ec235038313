"""Text scanners: latency per short prompt for each layer and the pipeline, and detection
(TPR at 1% FPR) on redline's own corpus with weights tuned on the train split only.

    .venv/bin/python benchmarks/bench_scanners.py [--rounds 20] [--output FILE.md]

Prints one ``RESULT {json}`` line and markdown tables; writes nothing unless ``--output``.
Latency: every corpus text (median 63 characters) scanned ``--rounds`` times per scanner,
rounds interleaved across scanners so load spikes hit them alike; ns per call, median and p99.
Detection: the rule weights are re-estimated on the train split (a rule's precision there,
shrunk toward its hand-set weight), the threshold is the lowest score that keeps the train
benign false-positive rate at or under 1%, and both are then applied to the test split.
"""

from __future__ import annotations

import argparse
import json
import re
import statistics
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from redline.scanners import ScanContext, Scanner
from redline.scanners.corpus import CorpusItem, load_corpus
from redline.scanners.decode import DecodeScanner
from redline.scanners.defaults import available_scanners, default_pipeline
from redline.scanners.engine import re2_available
from redline.scanners.injection import InjectionScanner, RuleMatcher
from redline.scanners.injection_rules import BUILTIN_RULES

PROMPT = ScanContext("prompt", system_prompt="You are a helpful assistant for Acme Bank.")
OUTPUT = ScanContext("output", system_prompt=PROMPT.system_prompt)
MAX_FPR = 0.01
PRIOR_STRENGTH = 2.0  # pseudo-counts of the hand-set weight when re-estimating on train


def python_re_matcher() -> RuleMatcher:
    """The built-in rules compiled with Python `re`, as without the llm extra."""
    matcher = RuleMatcher()
    matcher.rules = tuple((rule, re.compile(rule.pattern)) for rule in BUILTIN_RULES)
    return matcher


def latency_targets() -> dict[str, Callable[[str], Any]]:
    """Name -> one call on a text: every layer alone, then the pipelines."""
    targets: dict[str, Callable[[str], Any]] = {}
    for scanner in available_scanners():
        context = OUTPUT if scanner.name == "leakage" else PROMPT
        targets[scanner.name] = lambda text, s=scanner, c=context: s.scan(text, c)
    slow = python_re_matcher()
    targets["injection (Python re)"] = lambda t: InjectionScanner(matcher=slow).scan(t, PROMPT)
    targets["decode (Python re)"] = lambda t: DecodeScanner(slow).scan(t, PROMPT)
    lean, full = default_pipeline(optional=False), default_pipeline()
    lean_noblock = type(lean)(lean.scanners, lean.thresholds, stop_on_block=False)
    targets["pipeline, built-in layers"] = lambda t: lean_noblock.scan(t, OUTPUT)
    targets["pipeline, all available"] = lambda t: full.scan(t, OUTPUT)
    return targets


def measure_latency(texts: Sequence[str], rounds: int) -> dict[str, dict[str, float]]:
    """Median and p99 µs per call for each scanner and pipeline, rounds interleaved."""
    return time_targets(latency_targets(), texts, rounds)


def time_targets(
    targets: dict[str, Callable[[str], Any]], texts: Sequence[str], rounds: int
) -> dict[str, dict[str, float]]:
    """Median and p99 µs per call for each target, rounds interleaved across targets."""
    samples: dict[str, list[int]] = {name: [] for name in targets}
    for call in targets.values():  # warm caches and lazy imports outside the timing
        for text in texts[:20]:
            call(text)
    for _ in range(rounds):
        for name, call in targets.items():
            for text in texts:
                began = time.perf_counter_ns()
                call(text)
                samples[name].append(time.perf_counter_ns() - began)
    return {
        name: {
            "median_us": statistics.median(values) / 1000,
            "p99_us": statistics.quantiles(values, n=100)[98] / 1000,
        }
        for name, values in samples.items()
    }


def tuned_weights(train: Sequence[CorpusItem]) -> dict[str, float]:
    """Each rule's precision on train, shrunk toward its hand weight by PRIOR_STRENGTH."""
    matcher = RuleMatcher()
    counts = {rule.name: [0, 0] for rule in BUILTIN_RULES}
    for item in train:
        for hit in {h.rule.name for h in matcher.hits(_normal(item.text))}:
            counts[hit][0 if item.is_attack else 1] += 1
    weights = {}
    for rule in BUILTIN_RULES:
        tp, fp = counts[rule.name]
        weights[rule.name] = (tp + PRIOR_STRENGTH * rule.weight) / (tp + fp + PRIOR_STRENGTH)
    return weights


def _normal(text: str) -> str:
    from redline.scanners.normalize import normalize

    return normalize(text).text


def detector_scores(
    items: Sequence[CorpusItem], weights: dict[str, float] | None
) -> dict[str, list[float]]:
    """Scores of the injection layer alone and of injection + decode + normalize (max)."""
    matcher = RuleMatcher()
    layers: list[Scanner] = [
        InjectionScanner(matcher=matcher, weights=weights),
        DecodeScanner(matcher),
    ]
    injection = [layers[0].scan(i.text, PROMPT).score for i in items]
    combined = [max(s.scan(i.text, PROMPT).score for s in layers) for i in items]
    return {"injection": injection, "injection + decode": combined}


def threshold_at_fpr(benign_scores: Sequence[float], max_fpr: float) -> float:
    """Lowest threshold whose share of benign scores at or above it is at most `max_fpr`."""
    candidates = sorted({*benign_scores, 1.0 + 1e-9})
    for threshold in candidates:
        if sum(s >= threshold for s in benign_scores) / len(benign_scores) <= max_fpr:
            return threshold if threshold > 0 else 1e-9
    return 1.0 + 1e-9


def detection(train: Sequence[CorpusItem], test: Sequence[CorpusItem]) -> list[dict[str, Any]]:
    """Threshold chosen on train benign at 1% FPR, then TPR and FPR on the held-out test split
    and on its blind part (written after the rules were frozen)."""
    rows = []
    for label, weights in (("hand-set", None), ("tuned on train", tuned_weights(train))):
        train_scores, test_scores = detector_scores(train, weights), detector_scores(test, weights)
        for layer in train_scores:
            benign = [s for s, i in zip(train_scores[layer], train, strict=True) if not i.is_attack]
            threshold = threshold_at_fpr(benign, MAX_FPR)
            scored = list(zip(test_scores[layer], test, strict=True))
            blind = [pair for pair in scored if pair[1].blind]
            for subset, pairs in (("test", scored), ("test, blind part", blind)):
                flags = [(score >= threshold, item.is_attack) for score, item in pairs]
                row = {"weights": label, "layers": layer, "split": subset, "threshold": threshold}
                rows.append(row | rates(flags))
    return rows


def rates(flags: Sequence[tuple[bool, bool]]) -> dict[str, Any]:
    """TPR and FPR of (flagged, is_attack) pairs, with the counts they rest on."""
    attacks = sum(is_attack for _, is_attack in flags)
    benign = len(flags) - attacks
    return {
        "tpr": sum(f and a for f, a in flags) / attacks,
        "fpr": sum(f and not a for f, a in flags) / benign,
        "attacks": attacks,
        "benign": benign,
    }


def markdown(latency: dict[str, dict[str, float]], rows: list[dict[str, Any]]) -> str:
    """Both tables as markdown."""
    lines = ["| scanner | median µs | p99 µs |", "| --- | ---: | ---: |"]
    lines += [f"| {n} | {v['median_us']:.1f} | {v['p99_us']:.1f} |" for n, v in latency.items()]
    lines += ["", "| weights | layers | threshold (train, ≤1% FPR) | scored on | TPR | FPR |"]
    lines += ["| --- | --- | ---: | --- | ---: | ---: |"]
    lines += [
        f"| {r['weights']} | {r['layers']} | {r['threshold']:.3f} | {r['split']} | {r['tpr']:.1%} "
        f"({r['attacks']} attacks) | {r['fpr']:.1%} ({r['benign']} benign) |"
        for r in rows
    ]
    return "\n".join(lines) + "\n"


def main() -> None:
    """Measure, print the RESULT line and the tables, write them to --output if given."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=20)
    parser.add_argument("--output", type=Path)
    args = parser.parse_args()
    corpus = load_corpus()
    texts = [item.text for item in corpus]
    latency = measure_latency(texts, args.rounds)
    rows = detection(load_corpus("train"), load_corpus("test"))
    result = {
        "re2": re2_available(),
        "texts": len(texts),
        "median_chars": statistics.median(len(t) for t in texts),
        "latency": latency,
        "detection": rows,
    }
    print("RESULT " + json.dumps(result))
    table = markdown(latency, rows)
    print(table)
    if args.output:
        args.output.write_text(table, encoding="utf-8")


if __name__ == "__main__":
    main()
