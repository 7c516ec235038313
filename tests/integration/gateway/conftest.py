"""The gateway served by uvicorn on 127.0.0.1, in front of local OpenAI-compatible upstreams."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

from redline.api.server import ApiServer
from redline.gateway import Gateway, create_gateway_app, parse_gateway_config
from redline.llm import fit_llm_reference
from rltest.llm import reference_calls

openai = pytest.importorskip("openai")

#: Scanners that load at once (PII's pattern engine takes seconds, and is tested elsewhere).
FAST_SCANNERS = "[injection, decode, secrets, canary]"


@pytest.fixture(scope="session")
def reference_path(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A saved LLM reference of known-good calls."""
    path = tmp_path_factory.mktemp("reference") / "support.json"
    fit_llm_reference(reference_calls(), window_sizes=[50]).save(path)
    return path


@contextmanager
def _serving(config_yaml: str, base: Path, **guard_options: Any) -> Iterator[tuple[Gateway, str]]:
    """The gateway of ``config_yaml`` on a free port: (gateway, its ``/v1`` base URL)."""
    config = parse_gateway_config(config_yaml).resolved(base)
    with Gateway(config, **guard_options) as gateway:
        server = ApiServer(
            create_gateway_app(gateway), host="127.0.0.1", port=0, log_level="warning"
        ).start()
        try:
            yield gateway, f"{server.url}/v1"
        finally:
            server.stop()


@pytest.fixture
def client_for() -> Iterator[Callable[..., Any]]:
    """Real openai clients on a base URL (closed after the test)."""
    clients: list[Any] = []

    def make(base_url: str, api_key: str = "unused") -> Any:
        client = openai.OpenAI(base_url=base_url, api_key=api_key, max_retries=0, timeout=30)
        clients.append(client)
        return client

    yield make
    for client in clients:
        client.close()


@pytest.fixture
def serving() -> Callable[..., Any]:
    """``with serving(yaml, base, **guard_options) as (gateway, url)``: a gateway on a free port."""
    return _serving


@pytest.fixture
def gateway_yaml(reference_path: Path) -> Callable[..., str]:
    """A gateway file serving model ``support`` (``tiny`` at upstream ``local``)."""

    def make(upstream_url: str, *, extra: str = "", scanners: str = "") -> str:
        return f"""
upstreams:
  local: {{base_url: "{upstream_url}"}}
models:
  support:
    upstream: local
    upstream_model: tiny
    reference: {reference_path}
    scanners: {{use: {FAST_SCANNERS}{scanners}}}
{extra}
"""

    return make
