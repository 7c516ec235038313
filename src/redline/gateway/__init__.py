"""``redline gateway``: an OpenAI-compatible proxy serving each chat model through its LLM Guard."""

from __future__ import annotations

from redline.gateway.app import create_gateway_app
from redline.gateway.config import GatewayConfig
from redline.gateway.gateway import Gateway
from redline.gateway.loader import GatewayConfigError, load_gateway_config, parse_gateway_config

__all__ = [
    "Gateway",
    "GatewayConfig",
    "GatewayConfigError",
    "create_gateway_app",
    "load_gateway_config",
    "parse_gateway_config",
]
