"""What a demo run found, read back from the store: per scenario and for the whole run."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

__all__ = ["NOT_DETECTED", "ActionOutcome", "DemoOutcome", "ScenarioOutcome"]

#: The status of a scenario no incident was opened for.
NOT_DETECTED = "not detected"


@dataclass(frozen=True, slots=True)
class ActionOutcome:
    """One containment action of the incident and how far it got."""

    type: str
    status: str

    def to_dict(self) -> dict[str, str]:
        """``{"type", "status"}``."""
        return {"type": self.type, "status": self.status}


@dataclass(frozen=True)
class ScenarioOutcome:
    """A scenario's incident as stored, or ``status == "not detected"`` when there is none.

    ``detected_after_windows`` counts injected windows closed until the incident existed (1:
    at the close of the first); ``warmup_incidents`` counts incidents opened before the
    injection, which would be false alarms; ``forensics`` holds the incident's snapshot, triage
    report, post-mortem draft and export digests (see ``redline.demo.forensics``); ``review``
    what the model's review queue holds (pending items, their reasons, incidents, thresholds).
    """

    name: str
    model: str
    expected: str
    incident: str | None
    severity: str | None
    detected_after_windows: int | None
    actions: tuple[ActionOutcome, ...]
    status: str
    signals: tuple[str, ...] = ()
    windows: int = 0
    warmup_incidents: int = 0
    seconds: float = 0.0
    forensics: dict[str, Any] = field(default_factory=dict)
    review: dict[str, Any] = field(default_factory=dict)

    @property
    def detected(self) -> bool:
        """Whether an incident was opened after the injection."""
        return self.incident is not None

    def to_dict(self) -> dict[str, Any]:
        """The scenario as JSON-ready data."""
        return {
            "name": self.name,
            "model": self.model,
            "incident": self.incident,
            "severity": self.severity,
            "detected_after_windows": self.detected_after_windows,
            "actions": [a.to_dict() for a in self.actions],
            "status": self.status,
            "signals": list(self.signals),
            "expected": self.expected,
            "windows": self.windows,
            "warmup_incidents": self.warmup_incidents,
            "seconds": round(self.seconds, 2),
            "forensics": self.forensics,
            "review": self.review,
        }


@dataclass(frozen=True)
class DemoOutcome:
    """The whole run: every scenario, the store it wrote to, the registered versions."""

    scenarios: tuple[ScenarioOutcome, ...]
    store: str
    model_versions: tuple[dict[str, Any], ...] = ()
    seconds: float = 0.0
    timings: dict[str, float] = field(default_factory=dict)

    @property
    def all_detected(self) -> bool:
        """Whether every scenario opened an incident."""
        return all(s.detected for s in self.scenarios)

    def to_dict(self) -> dict[str, Any]:
        """The run as one JSON-ready object."""
        return {
            "scenarios": [s.to_dict() for s in self.scenarios],
            "store": self.store,
            "model_versions": list(self.model_versions),
            "seconds": round(self.seconds, 2),
            "timings": {k: round(v, 2) for k, v in self.timings.items()},
        }
