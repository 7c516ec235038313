"""The gateway's configuration: upstreams, served models, callers' keys, where windows go.

Validated with pydantic; a file is read by `loader.load_gateway_config`, which reports every
problem at its line and column.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any, Literal, Self

from pydantic import BaseModel, ConfigDict, Field, model_validator

from redline.playbook.problems import problem_error
from redline.scanners.base import Action

__all__ = [
    "ApiKeyConfig",
    "FallbackConfig",
    "GatewayConfig",
    "ScannersConfig",
    "ServedModelConfig",
    "UpstreamConfig",
]

#: Where a caller's identity (the request's `source`) may come from, tried in the given order.
_SOURCE = re.compile(r"^(key|user|ip|header:[A-Za-z0-9-]+)$")
_SHA256 = re.compile(r"^[0-9a-f]{64}$")


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class UpstreamConfig(_Strict):
    """One OpenAI-compatible server the gateway forwards to."""

    base_url: str = Field(min_length=1, pattern=r"^https?://")
    api_key_env: str | None = Field(default=None, pattern=r"^[A-Za-z_][A-Za-z0-9_]*$")
    timeout_s: float = Field(default=60.0, gt=0)
    connect_timeout_s: float = Field(default=5.0, gt=0)
    headers: dict[str, str] = Field(default_factory=dict)


class FallbackConfig(_Strict):
    """The model that answers under the kill switch, or when the primary fails to answer."""

    upstream: str
    model: str = Field(min_length=1)


class ScannersConfig(_Strict):
    """Which `redline.scanners` run on prompts and answers, and at which thresholds."""

    use: Literal["default", "none"] | list[str] = "default"
    thresholds: dict[str, tuple[float, Action]] = Field(default_factory=dict)
    fail: Literal["open", "closed"] = "open"
    stream_scan: bool = False


class ServedModelConfig(_Strict):
    """A model name clients ask for: where it is served from and how it is watched."""

    upstream: str
    upstream_model: str | None = None  # the name at the upstream; default: the served name
    watch_as: str | None = None  # the model name in redline; default: the served name
    reference: Path
    fallback: FallbackConfig | None = None
    safe_response: str | None = "Sorry, this assistant is unavailable right now."
    refusal: str = "Sorry, I can't help with that."
    held_response: str = "Your request needs a human review; we will get back to you."
    scanners: ScannersConfig = Field(default_factory=ScannersConfig)
    prices: dict[str, tuple[float, float]] | None = None
    leak_canaries: list[str] = Field(default_factory=list)
    on_error: Literal["fallback", "raise"] = "fallback"


class ApiKeyConfig(_Strict):
    """A key callers of the gateway present (``Authorization: Bearer ...``), named."""

    name: str = Field(min_length=1)
    env: str | None = Field(default=None, pattern=r"^[A-Za-z_][A-Za-z0-9_]*$")
    sha256: str | None = None

    @model_validator(mode="after")
    def _one_secret(self) -> Self:
        if (self.env is None) == (self.sha256 is None):
            raise problem_error(
                f"api key '{self.name}' needs exactly one of 'env' and 'sha256'",
                "write 'env: VAR' (the key is read from $VAR) or 'sha256: <hex digest>'",
            )
        if self.sha256 is not None and not _SHA256.match(self.sha256):
            raise problem_error(
                "sha256 must be 64 lowercase hex digits",
                "python -c \"import hashlib;print(hashlib.sha256(b'KEY').hexdigest())\"",
                at=("sha256",),
            )
        return self


class GatewayConfig(_Strict):
    """The whole gateway: what ``redline gateway --config FILE`` reads."""

    upstreams: dict[str, UpstreamConfig] = Field(min_length=1)
    models: dict[str, ServedModelConfig] = Field(min_length=1)
    default_model: str | None = None  # serves model names not listed in `models`
    passthrough: dict[str, str] = Field(default_factory=dict)  # model → upstream, not guarded
    api_keys: list[ApiKeyConfig] = Field(default_factory=list)
    source: list[str] = Field(default_factory=lambda: ["key", "user", "ip"])
    host: str = "127.0.0.1"
    port: int = Field(default=8080, ge=0, le=65535)
    max_body_bytes: int = Field(default=4 * 1024 * 1024, gt=0)
    store: str | None = None
    server: str | None = None
    token: str | None = None
    playbook: Path | None = None
    window_s: float | None = Field(default=None, gt=0)
    route_poll_s: float = Field(default=0.2, gt=0)

    @model_validator(mode="after")
    def _names_exist(self) -> Self:
        known = list(self.upstreams)
        for name, served in self.models.items():
            _check_upstream(served.upstream, known, ("models", name, "upstream"))
            if served.fallback is not None:
                at = ("models", name, "fallback", "upstream")
                _check_upstream(served.fallback.upstream, known, at)
        for name, upstream in self.passthrough.items():
            _check_upstream(upstream, known, ("passthrough", name))
        if self.default_model is not None and self.default_model not in self.models:
            raise problem_error(
                f"default_model '{self.default_model}' is not one of the models",
                f"use one of: {', '.join(self.models)}",
                at=("default_model",),
            )
        for i, item in enumerate(self.source):
            if not _SOURCE.match(item):
                raise problem_error(
                    f"unknown source '{item}'",
                    "use key, user, ip or header:<Header-Name>",
                    at=("source", i),
                )
        if (self.server is None) != (self.token is None):
            raise problem_error(
                "'server' and 'token' go together", "give both (token: ${REDLINE_TOKEN}) or neither"
            )
        return self

    def resolved(self, base: Path) -> GatewayConfig:
        """The configuration with relative paths (references, playbook) under ``base``."""
        models = {
            name: served.model_copy(update={"reference": base / served.reference})
            for name, served in self.models.items()
        }
        update: dict[str, Any] = {"models": models}
        if self.playbook is not None:
            update["playbook"] = base / self.playbook
        return self.model_copy(update=update)


def _check_upstream(name: str, known: list[str], at: tuple[str, ...]) -> None:
    if name not in known:
        raise problem_error(f"unknown upstream '{name}'", f"use one of: {', '.join(known)}", at=at)
