"""Judgements a post-mortem proposes: likely cause, retrain versus patch, response against SLAs.

Every judgement carries its reasons, and none is final: a person confirms or overrides it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from redline.domain.kinds import PIPELINE_KINDS
from redline.forensics.postmortem_facts import IncidentRecord

__all__ = [
    "MIN_LABELS_TO_RETRAIN",
    "Recommendation",
    "infer_cause",
    "recommend",
    "response_times",
]

#: Labelled rows from the impact window below which retraining is guesswork.
MIN_LABELS_TO_RETRAIN = 100
#: Signal kind → the cause it points to when no triage report names one.
_KIND_CAUSE = {
    "source_share": "adversarial_or_ood_traffic",
    "performance_drop": "concept_drift",
    "latency": "infrastructure",
    "canary_failure": "bad_release",
    "feature_drift": "covariate_drift",
    "prediction_drift": "covariate_drift",
    "confidence_drop": "covariate_drift",
}
#: Default SLAs (INCIDENTS.md runbooks) in seconds: (acknowledge within, contain within).
DEFAULT_SLAS_S: dict[str, tuple[float | None, float | None]] = {
    "SEV1": (15 * 60.0, 3_600.0),
    "SEV2": (3_600.0, 4 * 3_600.0),
    "SEV3": (None, None),
}


@dataclass(frozen=True, slots=True)
class Recommendation:
    """Retrain, patch or harden, with the reasons and the cause it rests on."""

    decision: str
    cause: str
    cause_source: str
    reasons: tuple[str, ...]

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict."""
        return {
            "decision": self.decision,
            "cause": self.cause,
            "cause_source": self.cause_source,
            "reasons": list(self.reasons),
        }


def infer_cause(record: IncidentRecord) -> tuple[str, str]:
    """The likely cause and where it came from: the triage report, else the signal kinds."""
    if record.triage is not None:
        return str(record.triage["likely_cause"]), "triage report"
    kinds = [s["kind"] for s in record.signals]
    if any(k in PIPELINE_KINDS for k in kinds):
        return "pipeline_bug", "signal kinds"
    for kind in ("source_share", "performance_drop", "latency", "canary_failure"):
        if kind in kinds:
            return _KIND_CAUSE[kind], "signal kinds"
    found = next((_KIND_CAUSE[k] for k in kinds if k in _KIND_CAUSE), None)
    return (found, "signal kinds") if found else ("undetermined", "nothing stored names one")


def _drift_advice(cause: str, labels: int) -> tuple[str, list[str]]:
    if labels >= MIN_LABELS_TO_RETRAIN:
        return "retrain", [
            f"{labels} labelled rows arrived since the impact began: enough to retrain on the "
            "new distribution and evaluate on held-out labels",
            "keep the fallback serving until the retrained model passes the canaries",
        ]
    return "collect labels, then retrain", [
        f"only {labels} labelled rows since the impact began (fewer than "
        f"{MIN_LABELS_TO_RETRAIN}): retraining now would fit noise",
        "route low-confidence rows to human review to gather labels; keep the fallback",
    ]


def _breached(record: IncidentRecord) -> str:
    """The pipeline signals' kinds and columns, as text."""
    found = sorted(
        {(s["kind"], s["column"] or "-") for s in record.signals if s["kind"] in PIPELINE_KINDS}
    )
    named = ", ".join(f"{kind} in {column}" for kind, column in found[:6])
    return named or "see the triage report's pipeline checks"


def recommend(record: IncidentRecord) -> Recommendation:
    """Retrain versus patch, from the likely cause and the labels that arrived."""
    cause, source = infer_cause(record)
    labels = record.labelled_rows
    reasons: list[str]
    if cause in {"covariate_drift", "concept_drift"}:
        decision, reasons = _drift_advice(cause, labels)
        reasons.insert(0, f"{cause.replace('_', ' ')}: the world changed, not the code")
    elif cause == "pipeline_bug":
        decision = "fix the pipeline"
        reasons = [
            f"the model is sound; its inputs were broken upstream ({_breached(record)})",
            "do not retrain or collect labels on these inputs: the model would learn the bug",
            "keep the fallback until the fixed pipeline's windows pass the integrity checks",
            "after the fix, replay the decisions served in the impact window",
        ]
    elif cause == "adversarial_or_ood_traffic":
        decision = "keep the block, harden inputs"
        reasons = [
            "the shift comes from traffic aimed at the model, not from the world",
            "retraining on attacked traffic would learn the attack; keep the source blocked",
            "add input validation or rate limits for the attacking sources",
        ]
    elif cause == "bad_release":
        decision = "keep the rollback, fix the release"
        reasons = [
            "the model version answers its golden inputs wrongly: the release is at fault, "
            "not the data",
            "retraining would not help; find what changed in the artifact, its code or its "
            "environment (replay the snapshot and compare environments)",
            "add the failing canaries to the release checks before deploying again",
        ]
    elif cause == "infrastructure":
        decision = "patch the infrastructure"
        reasons = ["serving, latency or canary failures point at the environment, not the model"]
    else:
        decision = "decide after the root cause is confirmed"
        reasons = ["no stored evidence names a cause; a person must establish it first"]
    return Recommendation(decision, cause, source, tuple(reasons))


def _seconds(start: datetime | None, end: datetime | None) -> float | None:
    return None if start is None or end is None else (end - start).total_seconds()


def response_times(
    record: IncidentRecord, slas_s: Mapping[str, tuple[float | None, float | None]] | None = None
) -> list[dict[str, Any]]:
    """Time to detect, acknowledge and contain, each against its SLA (when one applies)."""
    row = record.incident
    ack_sla, contain_sla = (slas_s or DEFAULT_SLAS_S).get(row.severity, (None, None))
    detected = row.detected_at
    measures = [
        ("detect", _seconds(record.impact_start, detected), None),
        ("acknowledge", _seconds(detected, row.acknowledged_at), ack_sla),
        ("contain", _seconds(detected, row.contained_at), contain_sla),
    ]
    return [
        {
            "measure": name,
            "seconds": seconds,
            "sla_s": sla,
            "met": None if seconds is None or sla is None else seconds <= sla,
        }
        for name, seconds, sla in measures
    ]
