"""Detection quality and latency of redline's LLM scanners, side by side with peers in one run.

Tables (each skipped with a message when its input is absent):

1. PII precision/recall per entity type on generated labelled sentences: presidio-evaluator's
   sentence templates (read from where that package is installed, never copied here) filled by
   Faker with a fixed seed; redline's `pii` scanner next to Presidio's default pattern
   recognizers without an NLP model (`NoOpNlpEngine`), on the same sentences.
2. Injection: true-positive rate at 1% false-positive rate on the held-out split of redline's
   corpus, and on prompts built from promptfoo's jailbreak templates (read from the installed
   npm package) against the same held-out benign prompts; LLM Guard's offline scanners beside
   them when a Python with `llm-guard` is given.
3. Latency per short text (median, p99) of the `pii` and `toxicity` scanners, per long text
   too when promptfoo is given, and their cold start (import + build) in a fresh interpreter.

    .venv/bin/python benchmarks/bench_detection.py
    .venv/bin/python benchmarks/bench_detection.py --pii-templates PATH/templates.txt \
        --promptfoo /tmp/promptfoo/node_modules/promptfoo --llm-guard-python /tmp/lg/bin/python

Inputs: ``--pii-templates`` / ``REDLINE_PII_TEMPLATES`` (default: presidio_evaluator's
``data_generator/raw_data/templates.txt`` when importable here, else the few templates below);
``--promptfoo`` / ``REDLINE_PROMPTFOO_DIR`` (the installed ``promptfoo`` package directory);
``--llm-guard-python`` / ``REDLINE_LLM_GUARD_PYTHON``. Results:
``benchmarks/results/detection-<stamp>.json`` and ``.md``. Needs ``faker`` (dev extra).
Inputs are built in ``detection_data.py``, the tables in ``detection_report.py``.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import platform
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

# Presidio's default email check calls tldextract's shared extractor, which would try to
# download the public suffix list; an empty URL list makes it read its bundled snapshot.
os.environ.setdefault("TLDEXTRACT_PUBLIC_SUFFIX_LIST_URLS", "")

import numpy as np

import detection_data as data
from detection_report import render

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "benchmarks" / "results"

Span = tuple[str, int, int]
Detector = Callable[[str], list[Span]]


# ---------------------------------------------------------------- PII


def redline_pii(entities: Sequence[str] | None = None) -> Detector:
    """redline's `pii` scanner (default settings, or the given entities)."""
    from redline.scanners.pii import DEFAULT_ENTITIES, PiiScanner, PiiSettings

    scanner = PiiScanner(PiiSettings(entities=tuple(entities or DEFAULT_ENTITIES)))
    scanner.warm_up()
    return lambda text: [(r.entity_type, r.start, r.end) for r in scanner.analyze(text)]


def presidio_default() -> Detector:
    """Presidio's predefined recognizers for English with no NLP model, default threshold."""
    from presidio_analyzer import AnalyzerEngine, RecognizerRegistry
    from presidio_analyzer.nlp_engine import NoOpNlpEngine

    engine = NoOpNlpEngine(models=[{"lang_code": "en", "model_name": "none"}])
    engine.load()
    registry = RecognizerRegistry(supported_languages=["en"])
    registry.load_predefined_recognizers(nlp_engine=engine, languages=["en"])
    analyzer = AnalyzerEngine(registry=registry, nlp_engine=engine)
    return lambda text: [
        (r.entity_type, r.start, r.end) for r in analyzer.analyze(text, language="en")
    ]


class Timer:
    """Wall and thread-CPU nanoseconds per call; CPU time moves less with other people's load."""

    def __init__(self) -> None:
        self.wall_ns: list[int] = []
        self.cpu_ns: list[int] = []

    def call(self, fn: Callable[[str], Any], text: str) -> Any:
        """Run `fn(text)` and record how long it took."""
        wall, cpu = time.perf_counter_ns(), time.thread_time_ns()
        result = fn(text)
        self.cpu_ns.append(time.thread_time_ns() - cpu)
        self.wall_ns.append(time.perf_counter_ns() - wall)
        return result

    def summary(self) -> dict[str, float]:
        """Median and p99 in milliseconds, wall and CPU."""
        return {
            f"{kind}_{stat}_ms": float(np.percentile(values, q)) / 1e6
            for kind, values in (("wall", self.wall_ns), ("cpu", self.cpu_ns))
            for stat, q in (("median", 50), ("p99", 99))
        }


def score_pii(samples: list[data.Labelled], detect: Detector) -> dict[str, Any]:
    """Per-entity TP/FP/FN (same type, overlapping half the labelled span), and timing."""
    counts = {e: [0, 0, 0] for e in data.PII_ENTITIES}
    other_types: dict[str, int] = {}
    timer = Timer()
    for sample in samples:
        found = timer.call(detect, sample.text)
        gold = [g for g in sample.spans if g[0] in counts]
        matched: set[int] = set()
        for kind, s, e in found:
            if kind not in counts:
                other_types[kind] = other_types.get(kind, 0) + 1
                continue
            hit = next(
                (i for i, g in enumerate(gold) if i not in matched and _same(g, (kind, s, e))), None
            )
            if hit is None:
                counts[kind][1] += 1
            else:
                matched.add(hit)
                counts[kind][0] += 1
        for i, g in enumerate(gold):
            if i not in matched:
                counts[g[0]][2] += 1
    return {
        "per_entity": {e: _prf(*c) for e, c in counts.items()},
        "other_types": dict(sorted(other_types.items(), key=lambda kv: -kv[1])),
        **timer.summary(),
    }


def _same(gold: Span, found: Span) -> bool:
    overlap = min(gold[2], found[2]) - max(gold[1], found[1])
    return gold[0] == found[0] and overlap >= (gold[2] - gold[1]) / 2


def _prf(tp: int, fp: int, fn: int) -> dict[str, Any]:
    precision = tp / (tp + fp) if tp + fp else None
    recall = tp / (tp + fn) if tp + fn else None
    return {"tp": tp, "fp": fp, "fn": fn, "precision": precision, "recall": recall}


def micro(per_entity: dict[str, dict[str, Any]], entities: Sequence[str]) -> dict[str, Any]:
    """Pooled precision/recall over `entities`."""
    tp, fp, fn = (sum(per_entity[e][k] for e in entities) for k in ("tp", "fp", "fn"))
    return _prf(tp, fp, fn)


def run_pii(samples: list[data.Labelled], source: str) -> dict[str, Any]:
    """Score every detector on the same labelled sentences."""
    from redline.scanners.pii import DEFAULT_ENTITIES

    detectors = {
        "redline pii (defaults)": redline_pii(),
        "redline pii (+URL)": redline_pii((*DEFAULT_ENTITIES, "URL")),
        "Presidio defaults, no NLP": presidio_default(),
    }
    results = {name: score_pii(samples, detect) for name, detect in detectors.items()}
    for result in results.values():
        per_entity = result["per_entity"]
        result["overall_without_url"] = micro(per_entity, [e for e in per_entity if e != "URL"])
    return {
        "templates": source,
        "sentences": len(samples),
        "labelled": data.count_labels(samples),
        "valid_us_phone_share": data.valid_phone_share(samples),
        "results": results,
    }


# ---------------------------------------------------------------- injection


def tpr_at_fpr(
    attack: Sequence[float], benign: Sequence[float], fpr: float = 0.01
) -> dict[str, Any]:
    """TPR at the strictest threshold whose false-positive rate on `benign` is at most `fpr`.

    With fewer than 100 benign prompts no false positive is allowed, so the threshold sits
    just above the highest benign score.

    Examples
    --------
    >>> tpr_at_fpr([0.9, 0.8, 0.2], [0.1, 0.3])["tpr"]
    0.6666666666666666
    """
    ordered = sorted(benign, reverse=True)
    allowed = int(fpr * len(ordered))
    threshold = ordered[allowed] if allowed < len(ordered) else float("-inf")
    caught = sum(score > threshold for score in attack)
    return {
        "tpr": caught / len(attack) if attack else None,
        "threshold": threshold,
        "false_positives": sum(score > threshold for score in benign),
        "attacks": len(attack),
        "benign": len(benign),
    }


def at_threshold(attack: Sequence[float], benign: Sequence[float], cut: float) -> dict[str, Any]:
    """TPR and FPR when flagging scores at or above `cut` (the shipped default)."""
    return {
        "tpr": sum(s >= cut for s in attack) / len(attack) if attack else None,
        "fpr": sum(s >= cut for s in benign) / len(benign) if benign else None,
    }


def run_injection(args: argparse.Namespace) -> dict[str, Any]:
    """Score the held-out corpus and the promptfoo prompts with each detector."""
    try:
        from redline.scanners.defaults import DEFAULT_THRESHOLDS, default_pipeline
        from redline.scanners.injection import InjectionScanner
    except ImportError as exc:
        return {"skipped": f"redline's injection scanner is not importable: {exc}"}
    from redline.scanners.base import ScanContext

    prompt = ScanContext(direction="prompt")
    injection, pipeline = InjectionScanner(), default_pipeline(optional=False)
    detectors: dict[str, Callable[[str], float]] = {
        "redline injection scanner": lambda t: injection.scan(t, prompt).score,
        "redline default pipeline (no llm extra)": lambda t: pipeline.scan(t, prompt).score,
    }
    corpus = data.injection_sets(args.promptfoo)
    scores = {
        name: {k: [f(t) for t in texts] for k, texts in corpus.sets.items()}
        for name, f in detectors.items()
    }
    if args.llm_guard_python:
        peer = data.llm_guard_scores(args.llm_guard_python, corpus.sets)
        notes = peer.pop("_notes", {})
        corpus.notes += [f"LLM Guard {name} offline: {note}" for name, note in notes.items()]
        scores.update(peer)
    else:
        corpus.notes.append("LLM Guard skipped: pass --llm-guard-python (a venv with llm-guard)")
    cut = DEFAULT_THRESHOLDS["injection"][0]
    tables: dict[str, Any] = {}
    for name, by_set in scores.items():
        if "error" in by_set:
            tables[name] = by_set
            continue
        benign = by_set["benign (held-out)"]
        from_train = tpr_at_fpr([], by_set["benign (train)"])["threshold"]
        tables[name] = {
            attack_set: {
                "at_1pct_fpr": tpr_at_fpr(by_set[attack_set], benign),
                "train_threshold": from_train,
                "at_train_threshold": at_threshold(
                    by_set[attack_set], benign, math.nextafter(from_train, math.inf)
                ),
                "at_default_0.5": at_threshold(by_set[attack_set], benign, cut),
            }
            for attack_set in corpus.attack_sets
        }
    return {
        "sets": {k: len(v) for k, v in corpus.sets.items()},
        "notes": corpus.notes,
        "results": tables,
    }


# ---------------------------------------------------------------- latency


def run_latency(args: argparse.Namespace, texts: dict[str, Sequence[str]]) -> dict[str, Any]:
    """Median and p99 per text for `pii` and `toxicity`, warm, per text set; cold start apart."""
    from redline.scanners.base import ScanContext
    from redline.scanners.pii import PiiScanner
    from redline.scanners.toxicity import ToxicityScanner

    context = ScanContext(direction="output")
    rows: dict[str, Any] = {}
    for scanner in (PiiScanner(), ToxicityScanner()):
        scanner.warm_up()
        rows[scanner.name] = {"cold_start_s": _cold_start(scanner.name), "sets": {}}
        for set_name, chosen in texts.items():
            timer = Timer()
            for _ in range(args.latency_rounds):
                for text in chosen:
                    timer.call(lambda t, s=scanner: s.scan(t, context), text)
            rows[scanner.name]["sets"][set_name] = {
                "texts": len(chosen),
                "median_chars": float(np.median([len(t) for t in chosen])),
                "calls": len(timer.wall_ns),
                **timer.summary(),
            }
    return rows


_COLD = {
    "pii": "from redline.scanners.pii import PiiScanner as S",
    "toxicity": "from redline.scanners.toxicity import ToxicityScanner as S",
}


def _cold_start(name: str) -> dict[str, float]:
    code = (
        "import time, json, resource; t = time.perf_counter(); c = time.process_time();"
        f"{_COLD[name]}; S().warm_up();"
        "print(json.dumps({'wall_s': time.perf_counter() - t, 'cpu_s': time.process_time() - c,"
        "'max_rss_mb': resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    result: dict[str, float] = json.loads(out.stdout.strip().splitlines()[-1])
    return result


def main() -> None:
    args = _parse()
    started = time.strftime("%Y%m%d-%H%M%S", time.gmtime())
    load_before = os.getloadavg()[0]
    templates, source = data.pii_templates(args.pii_templates)
    samples = data.pii_sentences(templates, per_entity=args.pii_per_entity, seed=args.seed)
    pii = run_pii(samples, source)
    injection = run_injection(args)
    everything = [s.text for s in samples] + data.corpus_texts()
    latency_sets = {"short (≤ 300 characters)": [t for t in everything if len(t) <= 300]}
    long_texts = data.promptfoo_templates(args.promptfoo) if args.promptfoo else None
    if long_texts:
        latency_sets["long (promptfoo's templates)"] = long_texts
    latency = run_latency(args, latency_sets)
    record = {
        "stamp": started,
        "command": " ".join(["python", *sys.argv]),
        "host": {"cpus": os.cpu_count(), "python": platform.python_version()},
        "load_1min_before": load_before,
        "load_1min_after": os.getloadavg()[0],
        "versions": data.versions(),
        "pii": pii,
        "injection": injection,
        "latency": latency,
    }
    RESULTS.mkdir(parents=True, exist_ok=True)
    base = RESULTS / f"detection-{started}"
    base.with_suffix(".json").write_text(json.dumps(record, indent=2) + "\n")
    base.with_suffix(".md").write_text(render(record))
    print(base.with_suffix(".md").read_text())


def _parse() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    env = os.environ.get
    parser.add_argument("--pii-templates", default=env("REDLINE_PII_TEMPLATES"))
    parser.add_argument("--promptfoo", default=env("REDLINE_PROMPTFOO_DIR"))
    parser.add_argument("--llm-guard-python", default=env("REDLINE_LLM_GUARD_PYTHON"))
    parser.add_argument("--pii-per-entity", type=int, default=200)
    parser.add_argument("--latency-rounds", type=int, default=3)
    parser.add_argument("--seed", type=int, default=20261207)
    return parser.parse_args()


if __name__ == "__main__":
    main()
