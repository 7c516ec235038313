"""Who is calling: the gateway's own API keys, and the request's `source` for routing and windows."""

from __future__ import annotations

import hashlib
import hmac
import os
from collections.abc import Mapping
from dataclasses import dataclass

from redline.errors import DataError
from redline.gateway.config import GatewayConfig
from redline.gateway.replies import GatewayError

__all__ = ["Caller", "Callers"]


@dataclass(frozen=True, slots=True)
class Caller:
    """Who sent a request, as far as the gateway can tell."""

    key_name: str | None
    user: str | None
    ip: str | None
    headers: Mapping[str, str]


class Callers:
    """Checks the key a caller presents and names the caller as ``source:`` says."""

    def __init__(self, config: GatewayConfig) -> None:
        self.order = tuple(config.source)
        self.keys = _keys_of(config)

    def key_name(self, authorization: str | None) -> str | None:
        """The name of the gateway key presented; 401 when keys are set and this is none."""
        if not self.keys:
            return None
        token = (authorization or "").removeprefix("Bearer ").strip()
        digest = hashlib.sha256(token.encode()).hexdigest()
        for known, name in self.keys.items():
            if hmac.compare_digest(known, digest):
                return name
        raise GatewayError(401, "Incorrect API key provided.", "invalid_api_key")

    def source_of(self, caller: Caller) -> str | None:
        """The request's source for routing and windows: the first of ``source`` that is known."""
        for item in self.order:
            if item == "key":
                value = caller.key_name
            elif item == "user":
                value = caller.user
            elif item == "ip":
                value = caller.ip
            else:
                value = caller.headers.get(item.removeprefix("header:").lower())
            if value:
                return value
        return None


def _keys_of(config: GatewayConfig) -> dict[str, str]:
    """sha256 digest of each key → its name (keys given by env var are read now)."""
    keys: dict[str, str] = {}
    for key in config.api_keys:
        if key.sha256 is not None:
            keys[key.sha256] = key.name
            continue
        value = os.environ.get(str(key.env))
        if not value:
            raise DataError(f"api key '{key.name}': ${key.env} is not set; export it first")
        keys[hashlib.sha256(value.encode()).hexdigest()] = key.name
    return keys
