"""The default pipeline: every built-in scanner, plus PII, toxicity and similarity when their extra is installed."""

from __future__ import annotations

import importlib
from collections.abc import Mapping

from redline.errors import MissingExtraError
from redline.scanners.base import Action, FailMode, Scanner, ScannerPipeline
from redline.scanners.canary import CanaryScanner
from redline.scanners.decode import DecodeScanner
from redline.scanners.injection import InjectionScanner, RuleMatcher
from redline.scanners.leakage import LeakageScanner
from redline.scanners.normalize import NormalizeScanner
from redline.scanners.secrets import SecretsScanner

__all__ = ["DEFAULT_THRESHOLDS", "OPTIONAL_SCANNERS", "available_scanners", "default_pipeline"]

DEFAULT_THRESHOLDS: Mapping[str, tuple[float, Action]] = {
    "normalize": (0.9, Action.REVIEW),  # hidden tag text; what it says is judged by decode
    "injection": (0.5, Action.BLOCK),
    "decode": (0.5, Action.BLOCK),
    "secrets": (0.7, Action.REDACT),
    "canary": (0.5, Action.BLOCK),
    "leakage": (0.5, Action.BLOCK),
    "pii": (0.4, Action.REDACT),  # Presidio scores a valid phone number 0.4
    "toxicity": (0.8, Action.REVIEW),
    "similarity": (0.9, Action.REVIEW),  # resemblance to known attacks, no span: a human decides
}
# name -> (module, class): scanners whose libraries come with the `llm` (or `embed`) extra.
OPTIONAL_SCANNERS: Mapping[str, tuple[str, str]] = {
    "pii": ("redline.scanners.pii", "PiiScanner"),
    "toxicity": ("redline.scanners.toxicity", "ToxicityScanner"),
    "similarity": ("redline.scanners.similarity", "SimilarityScanner"),
}


def _optional(name: str) -> Scanner | None:
    module_name, class_name = OPTIONAL_SCANNERS[name]
    try:
        module = importlib.import_module(module_name)
        scanner: Scanner = getattr(module, class_name)()
    # The scanner's module or its library is missing: that layer is simply not available.
    except (ImportError, AttributeError, MissingExtraError):
        return None
    return scanner


def available_scanners(*, optional: bool = True) -> list[Scanner]:
    """Instances of every built-in scanner, plus the optional ones that can be loaded."""
    matcher = RuleMatcher()
    scanners: list[Scanner] = [
        NormalizeScanner(),
        InjectionScanner(matcher=matcher),
        DecodeScanner(matcher),
        SecretsScanner(),
        CanaryScanner(),
        LeakageScanner(),
    ]
    if optional:
        scanners += [s for name in OPTIONAL_SCANNERS if (s := _optional(name)) is not None]
    return scanners


def default_pipeline(
    *,
    fail: FailMode = "open",
    thresholds: Mapping[str, tuple[float, Action]] | None = None,
    optional: bool = True,
) -> ScannerPipeline:
    """A pipeline of `available_scanners()` with `DEFAULT_THRESHOLDS` (overridable by name)."""
    merged = {**DEFAULT_THRESHOLDS, **(thresholds or {})}
    return ScannerPipeline(available_scanners(optional=optional), merged, fail)
