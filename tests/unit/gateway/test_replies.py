"""Upstream failures map to OpenAI errors; a caller's source is the first one known."""

from __future__ import annotations

import json

import pytest

from redline.gateway.callers import Caller, Callers
from redline.gateway.config import GatewayConfig
from redline.gateway.replies import GatewayError, upstream_failure
from redline.gateway.upstream import UpstreamError


@pytest.mark.parametrize(
    ("error", "status", "code"),
    [
        (UpstreamError(0, b"", "gone", timeout=True), 504, "upstream_timeout"),
        (UpstreamError(0, b"", "refused"), 502, "upstream_error"),
        (UpstreamError(503, b'{"error": {}}', "busy"), 502, "upstream_error"),
        (UpstreamError(400, b"", "bad"), 400, None),
    ],
)
def test_upstream_failures_become_openai_errors(
    error: UpstreamError, status: int, code: str | None
) -> None:
    answered, body = upstream_failure(error)
    assert answered == status
    assert json.loads(body)["error"]["code"] == code


def test_a_429_passes_through_as_the_upstream_sent_it() -> None:
    body = b'{"error": {"message": "slow down", "code": "rate_limit"}}'
    assert upstream_failure(UpstreamError(429, body, "limited")) == (429, body)


def _callers(source: list[str], keys: list[dict[str, str]] | None = None) -> Callers:
    config = GatewayConfig.model_validate(
        {
            "upstreams": {"u": {"base_url": "http://127.0.0.1:9/v1"}},
            "models": {"m": {"upstream": "u", "reference": "m.json"}},
            "api_keys": keys or [],
            "source": source,
        }
    )
    return Callers(config)


def test_the_source_is_the_first_known_of_the_configured_order() -> None:
    headers = {"x-tenant": "acme"}
    callers = _callers(["header:X-Tenant", "user", "ip"])
    assert callers.source_of(Caller(None, "u1", "10.0.0.1", headers)) == "acme"
    assert callers.source_of(Caller(None, "u1", "10.0.0.1", {})) == "u1"
    assert callers.source_of(Caller(None, None, "10.0.0.1", {})) == "10.0.0.1"
    assert _callers(["key"]).source_of(Caller(None, "u1", "10.0.0.1", {})) is None


def test_gateway_keys_are_checked_by_digest() -> None:
    digest = "2bb80d537b1da3e38bd30361aa855686bde0eacd7162fef6a25fe97bf527a25b"  # "secret"
    callers = _callers(["key"], [{"name": "ops", "sha256": digest}])
    assert callers.key_name("Bearer secret") == "ops"
    with pytest.raises(GatewayError) as refused:
        callers.key_name("Bearer guess")
    assert refused.value.status == 401
