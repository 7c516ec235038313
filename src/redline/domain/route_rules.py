"""Per-request rules a RouteState carries: input filters, source blocks, output patches and
generation limits for language models."""

from __future__ import annotations

import ipaddress
import math
import operator
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal, get_args

__all__ = [
    "FILTER_ACTIONS",
    "FILTER_OPS",
    "FilterAction",
    "FilterOp",
    "GenerationLimits",
    "InputFilter",
    "OutputPatch",
    "source_blocked",
]

FilterOp = Literal["eq", "ne", "gt", "lt", "in", "contains", "regex"]
FilterAction = Literal["block", "review", "fallback"]
FILTER_ACTIONS: tuple[str, ...] = get_args(FilterAction)


def _contains(observed: Any, expected: Any) -> bool:
    return isinstance(observed, str | list | tuple | dict) and expected in observed


def _regex(observed: Any, expected: Any) -> bool:
    return isinstance(observed, str) and re.search(expected, observed) is not None


#: What each operator asks of the observed field value (left) and the filter's value (right).
FILTER_OPS: dict[str, Callable[[Any, Any], bool]] = {
    "eq": operator.eq,
    "ne": operator.ne,
    "gt": operator.gt,
    "lt": operator.lt,
    "in": lambda observed, expected: observed in expected,
    "contains": _contains,
    "regex": _regex,
}


@dataclass(frozen=True, slots=True)
class InputFilter:
    """When ``field`` of a request satisfies ``op value``, take ``action`` instead of the model."""

    field: str
    op: FilterOp
    value: Any
    action: FilterAction = "block"

    def __post_init__(self) -> None:
        if not self.field:
            raise ValueError("an input filter needs a field name")
        if self.op not in FILTER_OPS:
            raise ValueError(f"unknown filter op {self.op!r}; use one of {sorted(FILTER_OPS)}")
        if self.action not in FILTER_ACTIONS:
            raise ValueError(f"unknown filter action {self.action!r}; use one of {FILTER_ACTIONS}")
        if self.op == "in":
            if not isinstance(self.value, list | tuple | frozenset | set):
                raise ValueError("op 'in' needs a list of values")
            object.__setattr__(self, "value", tuple(self.value))
        if self.op == "regex":
            try:
                re.compile(self.value)
            except (re.error, TypeError) as exc:
                raise ValueError(f"invalid regex {self.value!r}: {exc}") from exc

    def matches(self, row: Mapping[str, Any]) -> bool:
        """True when the row has the field and it satisfies the operator (type clashes: False)."""
        if self.field not in row:
            return False
        try:
            return bool(FILTER_OPS[self.op](row[self.field], self.value))
        except TypeError:
            return False

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready copy."""
        value = list(self.value) if isinstance(self.value, tuple) else self.value
        return {"field": self.field, "op": self.op, "value": value, "action": self.action}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> InputFilter:
        """Inverse of :meth:`to_dict`."""
        return cls(data["field"], data["op"], data["value"], data.get("action", "block"))


@dataclass(frozen=True, slots=True)
class OutputPatch:
    """A stop-gap fix on the model's output: shift scores, rename classes (labels as strings)."""

    score_offset: float = 0.0
    class_remap: dict[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if not math.isfinite(self.score_offset):
            raise ValueError("score_offset must be a finite number")
        object.__setattr__(
            self, "class_remap", {str(k): str(v) for k, v in self.class_remap.items()}
        )

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready copy."""
        return {"score_offset": self.score_offset, "class_remap": dict(self.class_remap)}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> OutputPatch:
        """Inverse of :meth:`to_dict`."""
        return cls(float(data.get("score_offset", 0.0)), dict(data.get("class_remap") or {}))


#: The highest sampling temperature a limit may set (the OpenAI API's own upper bound).
MAX_TEMPERATURE = 2.0


@dataclass(frozen=True, slots=True)
class GenerationLimits:
    """Caps on what a language model may generate per request: tokens, and sampling temperature.

    A cap only ever lowers what the caller asked for: ``limit(params)`` returns the request's
    parameters with ``max_tokens`` and ``temperature`` at most the caps.
    """

    max_tokens: int | None = None
    temperature: float | None = None

    def __post_init__(self) -> None:
        if self.max_tokens is None and self.temperature is None:
            raise ValueError("a generation limit needs max_tokens and/or temperature")
        if self.max_tokens is not None and (
            isinstance(self.max_tokens, bool)
            or not isinstance(self.max_tokens, int)
            or self.max_tokens < 1
        ):
            raise ValueError(f"max_tokens must be a whole number ≥ 1, got {self.max_tokens!r}")
        t = self.temperature
        if t is not None and not (math.isfinite(t) and 0.0 <= t <= MAX_TEMPERATURE):
            raise ValueError(f"temperature must be between 0 and {MAX_TEMPERATURE}, got {t!r}")

    def limit(self, params: Mapping[str, Any]) -> dict[str, Any]:
        """``params`` (a chat request's keywords) with the caps applied; other keys unchanged."""
        out = dict(params)
        for name, cap in (("max_tokens", self.max_tokens), ("temperature", self.temperature)):
            if cap is None:
                continue
            asked = out.get(name)
            out[name] = cap if not isinstance(asked, int | float) else min(asked, cap)
        return out

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready copy."""
        return {"max_tokens": self.max_tokens, "temperature": self.temperature}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> GenerationLimits:
        """Inverse of :meth:`to_dict`."""
        tokens, temperature = data.get("max_tokens"), data.get("temperature")
        return cls(
            int(tokens) if isinstance(tokens, float) and tokens.is_integer() else tokens,
            float(temperature) if temperature is not None else None,
        )


def source_blocked(source: str | None, blocked: tuple[str, ...]) -> bool:
    """True when ``source`` equals a blocked entry or is an IP inside a blocked network prefix."""
    if not source or not blocked:
        return False
    if source in blocked:
        return True
    try:
        address = ipaddress.ip_address(source)
    except ValueError:
        return False
    for entry in blocked:
        try:
            if address in ipaddress.ip_network(entry, strict=False):
                return True
        except ValueError:
            continue
    return False
