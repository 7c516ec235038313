"""The route's generation limits on every upstream call: ``max_tokens`` and ``temperature``.

A ``limit_generation`` action (a loop, a token or cost spike) caps what each call may generate;
a cap only ever lowers what the caller asked for. An OpenAI-compatible client gets the caps as
keyword options of ``create``; a plain ``fn(messages)`` gets them only when it accepts
``max_tokens``/``temperature`` keywords (or ``**kwargs``). Otherwise the cap cannot apply: it
is logged once per upstream and counted in ``LimitedOptions.uncapped``.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

from redline.domain.route_rules import GenerationLimits
from redline.llm.turn import Turn
from redline.llm.upstream import Upstream

__all__ = ["LimitedOptions", "capped_options"]

log = logging.getLogger("redline.llm")

#: The newer OpenAI name of the completion-token budget; capped instead when the caller uses it.
_NEW_BUDGET = "max_completion_tokens"


def capped_options(options: Mapping[str, Any], limits: GenerationLimits | None) -> dict[str, Any]:
    """``options`` with the route's caps applied (unchanged without limits).

    >>> capped_options({"max_tokens": 900, "top_p": 1}, GenerationLimits(max_tokens=256))
    {'max_tokens': 256, 'top_p': 1}
    >>> capped_options({"max_completion_tokens": 90}, GenerationLimits(max_tokens=256))
    {'max_completion_tokens': 90}
    """
    if limits is None:
        return dict(options)
    out = limits.limit(options)
    if _NEW_BUDGET in options and limits.max_tokens is not None:
        asked = options[_NEW_BUDGET]
        cap = limits.max_tokens
        out[_NEW_BUDGET] = min(asked, cap) if isinstance(asked, int | float) else cap
        if "max_tokens" not in options:  # a request may not carry both budgets
            del out["max_tokens"]
    return out


class LimitedOptions:
    """Makes each upstream call with the route's generation limits, as far as it can take them."""

    def __init__(self) -> None:
        self.uncapped = 0
        self._warned: set[str] = set()

    def invoke(
        self, upstream: Upstream, turn: Turn, options: Mapping[str, Any], *, stream: bool
    ) -> Any:
        """Start the call with capped options (see `Upstream.invoke`)."""
        limits = turn.plan.state.generation_limits
        if limits is not None and not upstream.takes_limits:
            self._cannot_cap(upstream)
        return upstream.invoke(
            turn.messages, stream=stream, options=capped_options(options, limits)
        )

    def _cannot_cap(self, upstream: Upstream) -> None:
        self.uncapped += 1
        if upstream.name not in self._warned:
            self._warned.add(upstream.name)
            log.warning(
                "redline cannot cap generation for %s: fn(messages) takes no max_tokens or "
                "temperature keywords; the route's generation limits do not apply to it",
                upstream.name,
            )
