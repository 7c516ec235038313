"""redline: incident response for AI systems in production.

>>> import redline
>>> sorted(redline.__all__)[:3]
['DriftReport', 'Guard', 'LLMGuard']
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

__all__ = [
    "DriftReport",
    "Guard",
    "LLMGuard",
    "Reference",
    "WindowProfile",
    "__version__",
    "check",
    "fit_llm_reference",
    "fit_reference",
    "load_reference",
]

_LAZY = {
    "DriftReport": "redline.monitors.report",
    "check": "redline.monitors.report",
    "Guard": "redline.services.embedded",
    "LLMGuard": "redline.llm.guard",
    "fit_llm_reference": "redline.llm.reference",
    "Reference": "redline.profiles.reference",
    "load_reference": "redline.profiles.reference",
    "fit_reference": "redline.profiles.fit",
    "WindowProfile": "redline.profiles.window",
}

if TYPE_CHECKING:
    from redline.llm.guard import LLMGuard
    from redline.llm.reference import fit_llm_reference
    from redline.monitors.report import DriftReport, check
    from redline.profiles.fit import fit_reference
    from redline.profiles.reference import Reference, load_reference
    from redline.profiles.window import WindowProfile
    from redline.services.embedded import Guard


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'redline' has no attribute {name!r}")
    import importlib

    return getattr(importlib.import_module(module), name)
