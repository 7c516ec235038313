"""Text scanners for LLM apps: pure functions of text and context that return scored findings."""

from __future__ import annotations

from redline.scanners.base import (
    DEFAULT_THRESHOLD,
    Action,
    Evidence,
    Finding,
    ScanContext,
    Scanner,
    ScannerPipeline,
    Verdict,
    most_severe,
)
from redline.scanners.defaults import default_pipeline

__all__ = [
    "DEFAULT_THRESHOLD",
    "Action",
    "Evidence",
    "Finding",
    "ScanContext",
    "Scanner",
    "ScannerPipeline",
    "Verdict",
    "default_pipeline",
    "most_severe",
]
