"""Gateway overhead: the real ``openai`` client → ``redline gateway`` → a local upstream, against
the same client calling the upstream directly, per request and per streamed chunk.

    .venv/bin/python benchmarks/bench_gateway.py [--requests 300] [--rounds 5]

Three processes: the upstream (``tests/rltest/openai_upstream.py``, scripted answers over real
HTTP, kept alive between whole answers as real upstreams do), ``redline gateway`` (a child process, as a user runs it, windows to a scratch SQLite
store), and this one, the client. The gateway serves two models on the same upstream: ``plain``
(routing and recording only) and ``scanned`` (redline's built-in scanner layers without PII,
with ``stream_scan`` on streams). Rounds interleave the variants so load spikes hit them alike.
Prints one ``RESULT {json}`` line and a markdown table: p50 and p99 per request in ms, the
p50 added over the direct call, for streams (50 chunks) the added p50 per chunk, and the CPU
time per request of the process that served it (from /proc; the gateway, or for the direct
calls the upstream: what a bare Python HTTP server costs on the same machine at the same load). Writes nothing else.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler
from pathlib import Path
from typing import Any

import numpy as np
import openai

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))

from redline.llm import fit_llm_reference  # noqa: E402
from rltest.llm import reference_calls  # noqa: E402
from rltest.openai_upstream import OpenAIUpstream  # noqa: E402

MESSAGES = [
    {"role": "system", "content": "You are a support assistant for Acme Bank."},
    {"role": "user", "content": "Where is my refund for order 1234? It has been a week."},
]
ANSWER = "Your refund for order 1234 was sent on Monday and should arrive within two days."
STREAM_WORDS = 50
LONG_ANSWER = " ".join(f"word{i}" for i in range(STREAM_WORDS))


def serve_upstream() -> None:
    """Child mode: serve the scripted upstream until stdin closes."""

    def script(messages: list[dict[str, Any]]) -> str:
        return LONG_ANSWER if "stream" in str(messages[-1].get("content")) else ANSWER

    with KeepAliveUpstream(script, model="tiny") as upstream:
        print(upstream.url, flush=True)
        sys.stdin.read()


class KeepAliveUpstream(OpenAIUpstream):
    """The test upstream on HTTP/1.1 keep-alive, as real upstreams are (a stream, whose
    length is not sent, still ends by closing its connection)."""

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        base: Any = super()._handler()
        upstream = self

        class Handler(base):  # type: ignore[misc]
            protocol_version = "HTTP/1.1"
            disable_nagle_algorithm = True  # headers and body go in two writes

            def do_POST(self) -> None:  # noqa: N802 (the http.server name)
                super().do_POST()
                if upstream.requests and upstream.requests[-1].get("stream"):
                    self.close_connection = True

        return Handler


def _gateway_yaml(folder: Path, upstream_url: str) -> Path:
    fit_llm_reference(reference_calls(), window_sizes=[50]).save(folder / "ref.json")
    layers = "[normalize, injection, decode, secrets, canary, leakage]"
    path = folder / "gateway.yaml"
    path.write_text(
        f"""
upstreams:
  local: {{base_url: "{upstream_url}"}}
models:
  plain: {{upstream: local, upstream_model: tiny, reference: ref.json, scanners: {{use: none}}}}
  scanned:
    upstream: local
    upstream_model: tiny
    reference: ref.json
    scanners: {{use: {layers}, stream_scan: true}}
window_s: 3600
"""
    )
    return path


def _start(command: list[str], pattern: str) -> tuple[subprocess.Popen[str], str]:
    process = subprocess.Popen(
        command, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, cwd=ROOT
    )
    assert process.stdout is not None
    line = process.stdout.readline()
    found = re.search(pattern, line)
    if found is None:
        process.kill()
        raise SystemExit(f"could not start {command[:3]}: {line!r}")
    return process, found.group(1)


def _cpu_ms(pid: int) -> float:
    """CPU time (user + system, all threads) a process has used so far, ms."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) * 1000.0 / os.sysconf("SC_CLK_TCK")


def _timed(fn: Callable[[], Any], n: int) -> list[float]:
    out = []
    for _ in range(n):
        start = time.perf_counter()
        fn()
        out.append((time.perf_counter() - start) * 1000.0)
    return out


def _variants(direct: openai.OpenAI, gateway: openai.OpenAI) -> dict[str, Callable[[], Any]]:
    ask = [MESSAGES[0], {"role": "user", "content": MESSAGES[1]["content"]}]
    streamed = [MESSAGES[0], {"role": "user", "content": "please stream the answer"}]

    def chat(client: openai.OpenAI, model: str) -> Callable[[], Any]:
        return lambda: client.chat.completions.create(model=model, messages=ask)

    def stream(client: openai.OpenAI, model: str) -> Callable[[], Any]:
        def run() -> None:
            chunks = client.chat.completions.create(model=model, messages=streamed, stream=True)
            texts = [c for c in chunks if c.choices and c.choices[0].delta.content]
            assert len(texts) == STREAM_WORDS, len(texts)

        return run

    return {
        "direct": chat(direct, "tiny"),
        "gateway plain": chat(gateway, "plain"),
        "gateway scanned": chat(gateway, "scanned"),
        "direct stream": stream(direct, "tiny"),
        "gateway plain stream": stream(gateway, "plain"),
        "gateway scanned stream": stream(gateway, "scanned"),
    }


def _table(
    times: dict[str, list[float]], server_cpu_ms: dict[str, float]
) -> tuple[dict[str, Any], str]:
    result: dict[str, Any] = {}
    lines = [
        "| variant | p50 ms | p99 ms | added p50 ms | added p50 per chunk ms | server CPU ms |",
        "|---|---:|---:|---:|---:|---:|",
    ]
    for name, values in times.items():
        base = times["direct stream" if "stream" in name else "direct"]
        p50, p99 = float(np.percentile(values, 50)), float(np.percentile(values, 99))
        added = p50 - float(np.percentile(base, 50))
        per_chunk = added / STREAM_WORDS if "stream" in name else None
        result[name] = {
            "p50_ms": p50,
            "p99_ms": p99,
            "added_p50_ms": added,
            "server_cpu_ms_per_request": server_cpu_ms[name],
            "added_per_chunk_ms": per_chunk,
        }
        chunk = f"{per_chunk:.3f}" if per_chunk is not None else ""
        cpu = f"{server_cpu_ms[name]:.2f}"
        lines.append(f"| {name} | {p50:.2f} | {p99:.2f} | {added:.2f} | {chunk} | {cpu} |")
    return result, "\n".join(lines)


def main() -> None:
    """Run the comparison and print the RESULT line and table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=300, help="requests per variant per round")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--upstream", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.upstream:
        serve_upstream()
        return
    with tempfile.TemporaryDirectory() as scratch:
        folder = Path(scratch)
        upstream, upstream_url = _start([sys.executable, __file__, "--upstream"], r"(http://\S+)")
        redline = str(Path(sys.executable).parent / "redline")
        store = f"sqlite:///{folder / 'bench.db'}"
        config = str(_gateway_yaml(folder, upstream_url))
        command = [redline, "gateway", "--config", config, "--port", "0", "--store", store]
        gateway, gateway_url = _start(command, r"on (http://\S+/v1) ")
        try:
            direct = openai.OpenAI(base_url=upstream_url, api_key="x", max_retries=0)
            via = openai.OpenAI(base_url=gateway_url, api_key="x", max_retries=0)
            variants = _variants(direct, via)
            for fn in variants.values():  # warm up connections, imports and caches
                _timed(fn, 20)
            times: dict[str, list[float]] = {name: [] for name in variants}
            cpu = dict.fromkeys(variants, 0.0)
            for _ in range(args.rounds):
                for name, fn in variants.items():
                    # The upstream's CPU for a direct call: what a bare HTTP server costs here.
                    pid = gateway.pid if name.startswith("gateway") else upstream.pid
                    before = _cpu_ms(pid)
                    times[name] += _timed(fn, args.requests)
                    cpu[name] += _cpu_ms(pid) - before
        finally:
            gateway.terminate()
            gateway.wait(60)
            assert upstream.stdin is not None
            upstream.stdin.close()
            upstream.wait(10)
    per_request = {name: cpu[name] / (args.rounds * args.requests) for name in variants}
    result, table = _table(times, per_request)
    meta = {"requests": args.requests, "rounds": args.rounds, "load": os.getloadavg()[0]}
    print("RESULT " + json.dumps({**meta, "variants": result}))
    print(table)


if __name__ == "__main__":
    main()
