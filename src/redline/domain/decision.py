"""What the Guard returns for each prediction, and the routing state it obeys."""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, fields, replace
from enum import StrEnum
from typing import Any, Literal, NamedTuple, get_args

from redline.domain.route_rules import (
    GenerationLimits,
    InputFilter,
    OutputPatch,
    source_blocked,
)

__all__ = ["REVIEW_MODES", "Decision", "ReviewMode", "Route", "RouteState"]

#: While a prediction waits for a person: serve the fallback meanwhile, or answer "pending".
ReviewMode = Literal["fallback", "pending"]
REVIEW_MODES: tuple[str, ...] = get_args(ReviewMode)


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
    model: str = ""
    fallback_version: str | None = None
    confidence_threshold: float | None = None
    review_mode: ReviewMode = "fallback"
    blocked_sources: tuple[str, ...] = ()
    input_filters: tuple[InputFilter, ...] = ()
    shadow_version: str | None = None
    output_patch: OutputPatch | None = None
    generation_limits: GenerationLimits | None = None

    def __post_init__(self) -> None:
        # Coerce JSON-ish inputs (str mode, lists) so every RouteState is canonical and immutable.
        object.__setattr__(self, "mode", Route(self.mode))
        object.__setattr__(self, "blocked_sources", tuple(self.blocked_sources))
        object.__setattr__(self, "input_filters", tuple(self.input_filters))
        if self.revision < 0:
            raise ValueError("revision cannot be negative")
        if self.review_mode not in REVIEW_MODES:
            raise ValueError(f"review_mode must be one of {REVIEW_MODES}, got {self.review_mode!r}")
        threshold = self.confidence_threshold
        if threshold is not None and not math.isfinite(threshold):
            raise ValueError("confidence_threshold must be a finite number")
        if any(not s for s in self.blocked_sources):
            raise ValueError("blocked sources must be non-empty strings")

    def with_changes(self, **changes: Any) -> RouteState:
        """A copy with ``changes`` applied and the revision incremented by one."""
        if "revision" in changes:
            raise ValueError("revision is managed by with_changes; it always increments by one")
        return replace(self, revision=self.revision + 1, **changes)

    def blocks(self, source: str | None) -> bool:
        """True when requests from ``source`` (tenant, key or IP) are blocked."""
        return source_blocked(source, self.blocked_sources)

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready copy."""
        data = {f.name: getattr(self, f.name) for f in fields(self)}
        data["mode"] = self.mode.value
        data["blocked_sources"] = list(self.blocked_sources)
        data["input_filters"] = [f.to_dict() for f in self.input_filters]
        data["output_patch"] = self.output_patch.to_dict() if self.output_patch else None
        limits = self.generation_limits
        data["generation_limits"] = limits.to_dict() if limits else None
        return data

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> RouteState:
        """Inverse of :meth:`to_dict`; unknown keys (from a newer redline) are ignored."""
        known = {f.name for f in fields(cls)}
        values = {k: v for k, v in data.items() if k in known}
        values["input_filters"] = tuple(
            InputFilter.from_dict(f) for f in values.get("input_filters") or ()
        )
        patch = values.get("output_patch")
        values["output_patch"] = OutputPatch.from_dict(patch) if patch is not None else None
        limits = values.get("generation_limits")
        values["generation_limits"] = (
            GenerationLimits.from_dict(limits) if limits is not None else None
        )
        return cls(**values)
