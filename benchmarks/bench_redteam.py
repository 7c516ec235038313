"""Red-team runner throughput: attempts per second, and the runner's cost over calling directly.

    .venv/bin/python benchmarks/bench_redteam.py [--repeat 4] [--rounds 3]

Prints one ``RESULT {json}`` line and a markdown table; writes nothing. The corpus is
redline's own (every family, ``--repeat`` copies, so ``46 × repeat`` attempts and one target
call per turn). Targets, side by side in each round:

- ``callable``: an in-process function that refuses (what the runner itself costs: a fresh
  canary per attempt, the system prompt, the detectors — PII with presidio included);
- ``openai-http``: the real ``openai`` client against ``tests/rltest/openai_upstream.py``
  over HTTP on 127.0.0.1, at concurrency 1 and 4;
- ``direct-http``: the same requests sent by a plain loop with the same client, no runner:
  the floor the runner is compared with (ratio = runner attempts/s ÷ direct requests/s,
  with one request per turn on both sides).

Rounds interleave the variants so load spikes hit them alike; the table shows medians.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))

from redline.redteam import (
    CallableTarget,
    OpenAITarget,
    Probe,
    RunSettings,
    builtin_probes,
    default_system_prompt,
    run_probes,
)
from rltest.openai_upstream import OpenAIUpstream

REFUSE = "I'm sorry, I can't help with that."


def corpus(repeat: int) -> list[Probe]:
    base = builtin_probes()
    return [
        Probe(f"{p.id}#{i}", p.family, p.turns, p.detector, p.expected, p.marker, p.document)
        for i in range(repeat)
        for p in base
    ]


def runner_rate(probes: list[Probe], target: Any, concurrency: int) -> float:
    start = time.perf_counter()
    attempts = run_probes(probes, target, settings=RunSettings(concurrency=concurrency))
    elapsed = time.perf_counter() - start
    assert all(a.status == "ok" for a in attempts)
    return len(attempts) / elapsed


def direct_rate(probes: list[Probe], target: OpenAITarget) -> float:
    system = {"role": "system", "content": default_system_prompt()}
    start = time.perf_counter()
    for probe in probes:
        messages = [system]
        for turn in probe.turns:
            messages.append({"role": "user", "content": turn})
            messages.append({"role": "assistant", "content": target(messages)})
    return len(probes) / (time.perf_counter() - start)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=4)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    probes = corpus(args.repeat)
    with OpenAIUpstream(REFUSE, model="victim") as upstream:
        http = OpenAITarget(base_url=upstream.url, model="victim", timeout_s=30)
        local = CallableTarget(lambda messages: REFUSE)
        variants: dict[str, Callable[[], float]] = {
            "callable c=1": lambda: runner_rate(probes, local, 1),
            "callable c=4": lambda: runner_rate(probes, local, 4),
            "openai-http c=1": lambda: runner_rate(probes, http, 1),
            "openai-http c=4": lambda: runner_rate(probes, http, 4),
            "direct-http (no runner)": lambda: direct_rate(probes, http),
        }
        runner_rate(probes[:46], local, 1)  # warm up: presidio's analyzer, imports
        rates: dict[str, list[float]] = {name: [] for name in variants}
        for _ in range(args.rounds):
            for name, run in variants.items():
                rates[name].append(run())
    medians = {name: statistics.median(values) for name, values in rates.items()}
    direct = medians["direct-http (no runner)"]
    result = {
        "attempts_per_round": len(probes),
        "rounds": args.rounds,
        "attempts_per_s": {k: round(v, 1) for k, v in medians.items()},
        "ratio_to_direct": {k: round(v / direct, 2) for k, v in medians.items() if "http" in k},
    }
    print("RESULT " + json.dumps(result))
    print(f"\n{len(probes)} attempts per round, median of {args.rounds} rounds\n")
    print("| variant | attempts/s | ÷ direct-http |\n| --- | ---: | ---: |")
    for name, value in medians.items():
        ratio = f"{value / direct:.2f}" if "http" in name else "—"
        print(f"| {name} | {value:.1f} | {ratio} |")


if __name__ == "__main__":
    main()
