"""The gateway's data plane: one `redline.LLMGuard` per served model, callers and upstreams."""

from __future__ import annotations

import logging
from typing import Any, Self

from redline.errors import DataError
from redline.gateway.callers import Callers
from redline.gateway.config import GatewayConfig, ScannersConfig, ServedModelConfig
from redline.gateway.replies import GatewayError
from redline.gateway.upstream import UpstreamClient
from redline.llm import LLMGuard
from redline.scanners.base import ScannerPipeline
from redline.scanners.defaults import DEFAULT_THRESHOLDS, available_scanners

__all__ = ["Gateway", "pipeline_of"]

log = logging.getLogger("redline.gateway")


def pipeline_of(config: ScannersConfig) -> ScannerPipeline | None:
    """The scanner pipeline a served model's ``scanners`` section asks for (None: no scans)."""
    if config.use == "none":
        return None
    scanners = available_scanners()
    if config.use != "default":
        found = {s.name: s for s in scanners}
        missing = [name for name in config.use if name not in found]
        if missing:
            raise DataError(
                f"scanners {', '.join(missing)} are not available: use some of "
                f"{', '.join(found)} (pii and toxicity need the llm extra)",
            )
        scanners = [found[name] for name in config.use]
    thresholds = {**DEFAULT_THRESHOLDS, **config.thresholds}
    return ScannerPipeline(scanners, thresholds, config.fail)


class Gateway:
    """Served models, their guards and upstreams, and the gateway's own API keys."""

    def __init__(self, config: GatewayConfig, **guard_options: Any) -> None:
        self.config = config
        self.upstreams = {name: UpstreamClient(name, up) for name, up in config.upstreams.items()}
        self.callers = Callers(config)
        options: dict[str, Any] = {"route_poll_s": config.route_poll_s}
        for name in ("store", "server", "token", "playbook", "window_s"):
            if getattr(config, name) is not None:
                options[name] = getattr(config, name)
        options.update(guard_options)
        self.guards: dict[str, LLMGuard] = {}
        try:
            for name, served in config.models.items():
                self.guards[name] = self._guard(name, served, options)
        except BaseException:
            self.close()
            raise

    def _guard(self, name: str, served: ServedModelConfig, options: dict[str, Any]) -> LLMGuard:
        fallback = served.fallback
        return LLMGuard(
            model=served.watch_as or name,
            chat=self.upstreams[served.upstream],
            llm_model=served.upstream_model or name,
            reference=served.reference,
            fallback=self.upstreams[fallback.upstream] if fallback else None,
            fallback_model=fallback.model if fallback else None,
            scanners=pipeline_of(served.scanners),
            stream_scan=served.scanners.stream_scan,
            prices=served.prices,
            safe_response=served.safe_response,
            refusal=served.refusal,
            held_response=served.held_response,
            leak_canaries=served.leak_canaries,
            on_error=served.on_error,
            **options,
        )

    def guard_for(self, model: Any) -> LLMGuard:
        """The guard serving a requested model name; 404 when the gateway serves no such model."""
        guard = self.guards.get(model) if isinstance(model, str) else None
        if guard is None and self.config.default_model is not None:
            guard = self.guards[self.config.default_model]
        if guard is None:
            raise GatewayError(404, f"the model '{model}' does not exist", "model_not_found")
        return guard

    def passthrough_for(self, model: Any) -> tuple[UpstreamClient, str]:
        """The upstream (and its model name) an unguarded request (embeddings) goes to."""
        if isinstance(model, str) and model in self.config.passthrough:
            return self.upstreams[self.config.passthrough[model]], model
        if isinstance(model, str) and model in self.config.models:
            served = self.config.models[model]
            return self.upstreams[served.upstream], served.upstream_model or model
        raise GatewayError(404, f"the model '{model}' does not exist", "model_not_found")

    def models(self) -> list[str]:
        """Every model name clients may ask for."""
        return [*self.config.models, *self.config.passthrough]

    async def aclose_upstreams(self) -> None:
        """Close the upstreams' connection pools (at the end of serving)."""
        for upstream in self.upstreams.values():
            await upstream.aclose()

    def close(self) -> None:
        """Flush every guard's open window and stop their threads."""
        for guard in self.guards.values():
            try:
                guard.close()
            except Exception:  # one guard failing to flush must not keep the others open
                log.exception("redline could not close the guard of %s", guard.guard.model)

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
