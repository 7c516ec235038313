"""What the Guard returns for each prediction, and the routing state it obeys."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Any, NamedTuple

__all__ = ["Decision", "Route", "RouteState"]


class Route(StrEnum):
    """Which path served a request."""

    PRIMARY = "primary"
    FALLBACK = "fallback"
    SHADOW = "shadow"
    REVIEW = "review"
    BLOCK = "block"


class Decision(NamedTuple):
    """One served prediction: the value and how it was obtained."""

    value: Any
    request_id: str
    route: Route
    model_version: str | None
    latency_ms: float
    error: str | None = None


@dataclass(frozen=True, slots=True)
class RouteState:
    """The routing record a Guard obeys; a new revision replaces it whole."""

    mode: Route = Route.PRIMARY
    revision: int = 0
    model_version: str | None = None
