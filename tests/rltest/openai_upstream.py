"""A local OpenAI-compatible upstream over real HTTP on 127.0.0.1, for LLM guard and gateway tests.

``POST /v1/chat/completions`` answers whole or as server-sent events (``stream``), with
``usage`` (also as the last chunk under ``stream_options.include_usage``), ``logprobs`` when
asked, and ``max_tokens`` cutting the answer with finish reason ``length``; ``GET /v1/models``
lists the model. The answer is scripted: a fixed text, or a function of the messages.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Self

__all__ = ["OpenAIUpstream"]

Script = Callable[[list[dict[str, Any]]], str]


def _logprobs(words: list[str]) -> dict[str, Any]:
    """Two alternatives per token, the sampled one at probability e^-0.5."""
    return {
        "content": [
            {
                "token": w,
                "logprob": -0.5,
                "bytes": None,
                "top_logprobs": [
                    {"token": w, "logprob": -0.5, "bytes": None},
                    {"token": "…", "logprob": -1.5, "bytes": None},
                ],
            }
            for w in words
        ]
    }


class OpenAIUpstream:
    """Serves scripted chat completions until stopped; ``requests`` keeps every request body."""

    def __init__(
        self, answer: str | Script = "Hello from the upstream.", model: str = "tiny"
    ) -> None:
        self.script: Script = answer if callable(answer) else (lambda _messages: answer)
        self.model = model
        self.requests: list[dict[str, Any]] = []
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        """The base URL to give an OpenAI client (``.../v1``)."""
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}/v1"

    def __enter__(self) -> Self:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(5)

    def completion(self, body: dict[str, Any]) -> tuple[list[str], str, dict[str, int]]:
        """The answer's pieces (one per word, spaces kept), finish reason and usage."""
        text = self.script(body.get("messages", []))
        pieces = [w + " " for w in text.split(" ")]
        pieces[-1] = pieces[-1][:-1]
        reason = "stop"
        limit = body.get("max_tokens") or body.get("max_completion_tokens")
        if isinstance(limit, int) and len(pieces) > limit:
            pieces, reason = pieces[:limit], "length"
            pieces[-1] = pieces[-1].rstrip(" ")
        prompt_words = sum(len(str(m.get("content", "")).split()) for m in body["messages"])
        usage = {
            "prompt_tokens": prompt_words,
            "completion_tokens": len(pieces),
            "total_tokens": prompt_words + len(pieces),
        }
        return pieces, reason, usage

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        upstream = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, format: str, *args: Any) -> None:
                pass  # keep test output quiet

            def do_GET(self) -> None:
                if self.path.rstrip("/") != "/v1/models":
                    self.send_error(404)
                    return
                self._json({"object": "list", "data": [_model(upstream.model)]})

            def do_POST(self) -> None:
                if self.path != "/v1/chat/completions":
                    self.send_error(404)
                    return
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                upstream.requests.append(body)
                pieces, reason, usage = upstream.completion(body)
                if body.get("stream"):
                    self._sse(body, pieces, reason, usage)
                    return
                choice = {
                    "index": 0,
                    "message": {"role": "assistant", "content": "".join(pieces)},
                    "finish_reason": reason,
                    "logprobs": _logprobs(pieces) if body.get("logprobs") else None,
                }
                self._json(
                    {
                        **_head(upstream.model, "chat.completion"),
                        "choices": [choice],
                        "usage": usage,
                    }
                )

            def _json(self, payload: dict[str, Any]) -> None:
                data = json.dumps(payload).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def _sse(
                self, body: dict[str, Any], pieces: list[str], reason: str, usage: dict[str, int]
            ) -> None:
                self.send_response(200)
                self.send_header("Content-Type", "text/event-stream")
                self.send_header("Cache-Control", "no-cache")
                self.end_headers()
                for event in _events(upstream.model, body, pieces, reason, usage):
                    self.wfile.write(f"data: {event}\n\n".encode())
                    self.wfile.flush()
                self.wfile.write(b"data: [DONE]\n\n")
                self.wfile.flush()

        return Handler


def _head(model: str, kind: str) -> dict[str, Any]:
    return {"id": "chatcmpl-rltest", "object": kind, "created": int(time.time()), "model": model}


def _model(name: str) -> dict[str, Any]:
    return {"id": name, "object": "model", "created": 0, "owned_by": "rltest"}


def _events(
    model: str, body: dict[str, Any], pieces: list[str], reason: str, usage: dict[str, int]
) -> Iterator[str]:
    """The JSON of each chunk: one per piece, the finish reason, then usage if asked."""
    head = _head(model, "chat.completion.chunk")
    for piece in pieces:
        choice = {
            "index": 0,
            "delta": {"role": "assistant", "content": piece},
            "finish_reason": None,
            "logprobs": _logprobs([piece]) if body.get("logprobs") else None,
        }
        yield json.dumps({**head, "choices": [choice]})
    yield json.dumps({**head, "choices": [{"index": 0, "delta": {}, "finish_reason": reason}]})
    if (body.get("stream_options") or {}).get("include_usage"):
        yield json.dumps({**head, "choices": [], "usage": usage})
