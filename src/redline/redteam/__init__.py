"""Red teaming: probes against a target, detectors, per-family success rates, a CI gate."""

from __future__ import annotations

from redline.redteam.attempts import Attempt, JsonlSink, read_attempts
from redline.redteam.detectors import Detection, DetectionContext
from redline.redteam.probes import (
    BUILTIN_FAMILIES,
    Probe,
    builtin_probes,
    load_probes,
    merge_probes,
    select_families,
)
from redline.redteam.runner import RunSettings, default_system_prompt, run_probes
from redline.redteam.summary import FamilySummary, GateOn, RunSummary, summarize
from redline.redteam.targets import (
    CallableTarget,
    HttpTarget,
    OpenAITarget,
    Target,
    TargetError,
    TransientTargetError,
)

__all__ = [
    "BUILTIN_FAMILIES",
    "Attempt",
    "CallableTarget",
    "Detection",
    "DetectionContext",
    "FamilySummary",
    "GateOn",
    "HttpTarget",
    "JsonlSink",
    "OpenAITarget",
    "Probe",
    "RunSettings",
    "RunSummary",
    "Target",
    "TargetError",
    "TransientTargetError",
    "builtin_probes",
    "default_system_prompt",
    "load_probes",
    "merge_probes",
    "read_attempts",
    "run_probes",
    "select_families",
    "summarize",
]
