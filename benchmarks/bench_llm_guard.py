"""LLM Guard overhead: a chat call through ``redline.LLMGuard`` against the same call made directly.

    .venv/bin/python benchmarks/bench_llm_guard.py [--calls 2000] [--rounds 5]

Prints one ``RESULT {json}`` line and a markdown table; writes nothing. The upstream is an
in-process function returning an OpenAI-style dict (no network), so the difference is what the
guard adds on the caller's thread: routing, recording, and with ``scanners`` the scans
(redline's built-in layers, no PII model; ``stream_scan`` scans each chunk with the answer's
end). ``redline.Guard.predict`` on a one-column tabular model runs alongside for scale.
Streams: 50 chunks per answer, overhead per chunk. Rounds are interleaved across the variants
so load spikes hit them alike; medians of per-round means.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from collections.abc import Callable, Iterator
from typing import Any

import numpy as np

from redline import Guard, fit_reference
from redline.guard.sinks import MemorySink
from redline.llm import LLMGuard, fit_llm_reference
from redline.scanners import default_pipeline

MESSAGES = [
    {"role": "system", "content": "You are a support assistant for Acme Bank."},
    {"role": "user", "content": "Where is my refund for order 1234? It has been a week."},
]
ANSWER = "Your refund for order 1234 was sent on Monday and should arrive within two days."
PIECES = [f"w{i} " for i in range(50)]
ROW = {"x": 3.0}


def chat(messages: list[dict[str, Any]]) -> dict[str, Any]:
    choice = {"message": {"content": ANSWER}, "finish_reason": "stop"}
    return {"choices": [choice], "usage": {"prompt_tokens": 30, "completion_tokens": 18}}


def stream(messages: list[dict[str, Any]]) -> Iterator[dict[str, Any]]:
    for piece in PIECES:
        yield {"choices": [{"delta": {"content": piece}, "finish_reason": None}]}


def reference_calls(n: int = 500) -> list[dict[str, Any]]:
    return [
        {"prompt": MESSAGES[-1]["content"], "answer": ANSWER, "latency_ms": 100.0 + i % 9}
        for i in range(n)
    ]


def per_call_us(fn: Callable[[], Any], calls: int) -> float:
    start = time.perf_counter()
    for _ in range(calls):
        fn()
    return (time.perf_counter() - start) / calls * 1e6


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--calls", type=int, default=2000)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    reference = fit_llm_reference(reference_calls(), language=False)
    options: dict[str, Any] = {"sink": MemorySink(), "window_s": 3600, "language": False}
    bare = LLMGuard(model="bare", chat=chat, reference=reference, **options)
    options["sink"] = MemorySink()
    scanned = LLMGuard(
        model="scanned",
        chat=chat,
        reference=reference,
        scanners=default_pipeline(optional=False),
        **options,
    )
    options["sink"] = MemorySink()
    streamed = LLMGuard(model="streamed", chat=stream, reference=reference, **options)
    options["sink"] = MemorySink()
    stream_scanned = LLMGuard(
        model="stream_scanned",
        chat=stream,
        reference=reference,
        scanners=default_pipeline(optional=False),
        stream_scan=True,
        **options,
    )
    tabular = Guard(
        model="tabular",
        predict=lambda row: 1.0,
        reference=fit_reference({"x": np.arange(1000.0)}),
        sink=MemorySink(),
        window_s=3600,
    )
    variants: dict[str, Callable[[], Any]] = {
        "direct call": lambda: chat(MESSAGES),
        "redline.Guard.predict (one numeric column, for scale)": lambda: tabular.predict(ROW),
        "LLMGuard.chat": lambda: bare.chat(MESSAGES),
        "LLMGuard.chat + built-in scanners": lambda: scanned.chat(MESSAGES),
        "direct stream (50 chunks)": lambda: list(stream(MESSAGES)),
        "LLMGuard.stream (50 chunks)": lambda: list(streamed.stream(MESSAGES)),
        "LLMGuard.stream + stream_scan (50 chunks)": lambda: list(stream_scanned.stream(MESSAGES)),
    }
    rounds: dict[str, list[float]] = {name: [] for name in variants}
    for _ in range(args.rounds):
        for name, fn in variants.items():
            rounds[name].append(per_call_us(fn, args.calls))
    for guard in (bare, scanned, streamed, stream_scanned, tabular):
        guard.close()
    median = {name: statistics.median(values) for name, values in rounds.items()}
    overhead = {
        "chat_us": median["LLMGuard.chat"] - median["direct call"],
        "chat_scanned_us": median["LLMGuard.chat + built-in scanners"] - median["direct call"],
        "stream_per_chunk_us": (
            median["LLMGuard.stream (50 chunks)"] - median["direct stream (50 chunks)"]
        )
        / len(PIECES),
        "stream_scan_per_chunk_us": (
            median["LLMGuard.stream + stream_scan (50 chunks)"]
            - median["LLMGuard.stream (50 chunks)"]
        )
        / len(PIECES),
    }
    sys.stdout.write("| variant | µs per call (median of rounds) |\n|---|---:|\n")
    for name, value in median.items():
        sys.stdout.write(f"| {name} | {value:.1f} |\n")
    sys.stdout.write("\n" + "\n".join(f"{k}: {v:.1f}" for k, v in overhead.items()) + "\n")
    result = {"median_us": median, "overhead_us": overhead, "calls": args.calls}
    sys.stdout.write("RESULT " + json.dumps(result) + "\n")


if __name__ == "__main__":
    main()
