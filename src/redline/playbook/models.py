"""The playbook as pydantic models: models watched, severity policy, runbooks, channels."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Annotated, Any, ClassVar, Literal

from pydantic import AfterValidator, Field, ValidationInfo, field_validator

from redline.domain import Severity
from redline.playbook.channels import Channel
from redline.playbook.fields import Duration, SeverityName, Strict, Target
from redline.playbook.monitoring import MonitorsConfig
from redline.playbook.policy import (
    DEFAULT_RUNBOOKS,
    ActionStep,
    Runbook,
    SeverityConfig,
    SeverityRule,
)
from redline.playbook.problems import problem_error
from redline.playbook.redteam import RedteamConfig
from redline.playbook.retrain import RetrainConfig

__all__ = [
    "Canary",
    "ModelConfig",
    "ModelReview",
    "Playbook",
    "RegulatoryConfig",
    "ReviewConfig",
    "default_runbooks",
]

_NAME = re.compile(r"[A-Za-z0-9][\w.\-]*")


def _check_name(value: str) -> str:
    if not _NAME.fullmatch(value):
        raise problem_error(
            f"'{value}' is not a usable model name",
            "use letters, digits, '_', '-' or '.', starting with a letter or digit",
        )
    return value


class Canary(Strict):
    """A golden input, its expected output and tolerance, run on a schedule through the route."""

    unknown_key: ClassVar[str] = "unknown canary key '{name}'"
    name: str = Field(min_length=1)
    input: dict[str, Any]
    expected: Any
    tolerance: float = Field(default=0.0, ge=0)
    every_s: Duration = Field(default=300, gt=0)


class ModelReview(Strict):
    """One model's review queue: how long its held predictions may wait for a person."""

    unknown_key: ClassVar[str] = "unknown model review key '{name}'"
    decide_within: Duration = Field(gt=0)


class ModelConfig(Strict):
    """One model: its reference, what serves it and what it falls back to, and what watches it."""

    unknown_key: ClassVar[str] = "unknown model key '{name}'"
    reference: Path
    primary: Target
    fallback: Target | None = None
    versions: list[str] = Field(default_factory=list)
    window_s: Duration = Field(default=60, gt=0)
    monitors: MonitorsConfig = Field(default_factory=MonitorsConfig)
    canaries: list[Canary] = Field(default_factory=list)
    fail_mode: Literal["open", "closed"] = "open"
    #: Overrides the top-level ``review.decide_within`` for this model.
    review: ModelReview | None = None

    @field_validator("fallback")
    @classmethod
    def _not_primary(cls, fallback: str | None, info: ValidationInfo) -> str | None:
        if fallback is not None and fallback == info.data.get("primary"):
            raise problem_error(
                "the fallback is the primary itself",
                "name a different model version or a rule-based 'module:function'",
            )
        return fallback

    @field_validator("canaries")
    @classmethod
    def _unique_canaries(cls, canaries: list[Canary]) -> list[Canary]:
        seen: set[str] = set()
        for index, canary in enumerate(canaries):
            if canary.name in seen:
                raise problem_error(
                    f"two canaries are named '{canary.name}'",
                    "give each canary its own name",
                    at=(index, "name"),
                )
            seen.add(canary.name)
        return canaries


class ReviewConfig(Strict):
    """The human review queue: who waits for a person, what they are served meanwhile."""

    unknown_key: ClassVar[str] = "unknown review key '{name}'"
    threshold: float | None = Field(default=None, ge=0, le=1)
    serve: Literal["fallback", "pending"] = "fallback"
    decide_within: Duration = 86_400
    max_queue: int = Field(default=10_000, gt=0)


class RegulatoryConfig(Strict):
    """The AI system's identity for regulatory clocks (EU AI Act Art. 73); not legal advice."""

    unknown_key: ClassVar[str] = "unknown regulatory key '{name}'"
    system_name: str
    provider: str
    risk_class: Literal["high", "limited", "minimal"] = "high"
    eu_ai_act: bool = True
    contact: str | None = None


def default_runbooks() -> dict[Severity, Runbook]:
    """The INCIDENTS.md runbooks, one per severity."""
    return {sev: Runbook.model_validate(book) for sev, book in DEFAULT_RUNBOOKS.items()}


def _merge(default: dict[str, Any], given: dict[str, Any]) -> dict[str, Any]:
    merged = {**default, **given}
    if "page" in given and "actions" not in given:
        merged["actions"] = [a for a in default["actions"] if a != "page"]
    return merged


class Playbook(Strict):
    """A whole playbook (``redline.yaml``); defaults make a five-line file complete."""

    unknown_key: ClassVar[str] = "unknown top-level key '{name}'"
    version: int = 1
    models: dict[Annotated[str, AfterValidator(_check_name)], ModelConfig]
    severity: SeverityConfig = Field(default_factory=SeverityConfig)
    runbooks: dict[SeverityName, Runbook] = Field(default_factory=default_runbooks)
    notifications: dict[str, Channel] = Field(default_factory=dict)
    review: ReviewConfig = Field(default_factory=ReviewConfig)
    regulatory: RegulatoryConfig | None = None
    retrain: RetrainConfig | None = None
    redteam: RedteamConfig | None = None
    #: Canary tokens planted in prompts, documents or training data → where each one is
    #: (``redline canary new``); a leaked one names its place in the ``canary_leak`` evidence.
    leak_canaries: dict[
        Annotated[str, Field(min_length=8)], Annotated[str, Field(min_length=1)]
    ] = Field(default_factory=dict)

    @field_validator("version")
    @classmethod
    def _known_version(cls, version: int) -> int:
        if version != 1:
            raise problem_error(
                f"playbook version {version} is not supported",
                "this redline reads 'version: 1'",
            )
        return version

    @field_validator("models")
    @classmethod
    def _some_models(cls, models: dict[str, ModelConfig]) -> dict[str, ModelConfig]:
        if not models:
            raise problem_error(
                "no models are declared",
                "add a model under 'models:' with at least 'reference' and 'primary'",
            )
        return models

    @field_validator("runbooks", mode="before")
    @classmethod
    def _with_defaults(cls, value: Any) -> Any:
        # Severities left out keep their defaults, and so do keys left out of a runbook.
        if not isinstance(value, dict):
            return value
        named = {str(key).upper(): key for key in value}
        merged = dict(value)
        for sev, default in DEFAULT_RUNBOOKS.items():
            key = named.get(sev.value)
            given = value.get(key) if key is not None else {}
            if key is None or isinstance(given, dict | None):
                merged[key if key is not None else sev.value] = _merge(default, given or {})
        return merged

    def runbook(self, severity: Severity) -> Runbook:
        """The runbook that runs at ``severity``."""
        return self.runbooks[severity]

    def actions(self, rule: SeverityRule) -> list[ActionStep]:
        """The actions to run for a signal matched by ``rule``: its own, or its runbook's."""
        return rule.steps(self.runbook(rule.severity))

    def paged_channels(self, severity: Severity) -> dict[str, Channel]:
        """The channels a page at ``severity`` goes to."""
        return {n: c for n, c in self.notifications.items() if severity in c.severities}
