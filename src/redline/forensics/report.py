"""The triage report: input isolation, pipeline checks, statistical forensics and the likely
cause, computed from stored windows, the reference (when stored) and the incident's signals."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass
from typing import Any

from redline.domain import Signal
from redline.forensics.attribution import (
    Baseline,
    baseline_of,
    column_counts,
    feature_shares,
)
from redline.forensics.cause import Verdict, classify_cause
from redline.forensics.checks import confidence_shift, ood_rates, pipeline_checks, unit_changes
from redline.forensics.isolation import (
    ISOLATION_BASIS,
    segments_isolation,
    sources_isolation,
)
from redline.profiles.reference import Reference
from redline.profiles.window import WindowProfile

__all__ = ["REPORT_VERSION", "TriageReport", "build_triage_report", "isolate"]

REPORT_VERSION = 2
_SCHEMA_KINDS = ("missing_column", "type_violation")
_INFRA_KINDS = ("latency",)
_OUTPUT_KINDS = ("prediction_drift", "confidence_drop")
#: Share of errored requests in a window that counts as an infrastructure symptom.
ERROR_SHARE = 0.05


@dataclass(frozen=True)
class TriageReport:
    """A triage report: the verdict, the facts it used, and the evidence sections."""

    verdict: Verdict
    facts: dict[str, float]
    sections: dict[str, Any]

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form (stored in ``triage_reports.report``)."""
        return {
            "version": REPORT_VERSION,
            "likely_cause": self.verdict.to_dict(),
            "facts": self.facts,
            **self.sections,
        }


def isolate(
    reference: Reference | None,
    baseline: Baseline,
    window: WindowProfile,
    earlier: Sequence[WindowProfile],
) -> dict[str, Any]:
    """Features by share of the drift; sources and segments by how much it shrinks without them."""
    current = column_counts(window, list(baseline.counts))
    features = feature_shares(baseline, current)
    sources = sources_isolation(baseline, window, current, earlier)
    segments = segments_isolation(baseline, reference, current) if reference else []
    return {
        "basis": f"window {window.window_id} ({window.n_rows} rows) against {baseline.basis}",
        "statistic": "Jensen-Shannon distance (base 2) on the reference's bins, less noise",
        "drift": sum(f.excess for f in features),
        "features": [asdict(f) for f in features[:20]],
        "sources": [asdict(s) for s in sources[:10]],
        "segments": [asdict(s) for s in segments[:10]],
        "leave_one_out_basis": ISOLATION_BASIS,
    }


def _top(items: list[dict[str, Any]], key: str) -> float:
    return float(items[0][key]) if items else 0.0


def _facts(
    inputs: dict[str, Any],
    pipeline: dict[str, Any],
    ood: dict[str, Any],
    window: WindowProfile,
    signals: Sequence[Signal],
) -> dict[str, float]:
    kinds = [s.kind for s in signals]
    sources: list[dict[str, Any]] = inputs["sources"]
    top_jump = sources[0]["share"] - sources[0]["usual_share"] if sources else 0.0
    errors = window.errors / window.n_rows if window.n_rows else 0.0
    breaches = float(pipeline["pipeline_breaches"])
    return {
        "input_drift": round(float(inputs["drift"]), 6),
        "drift_signals": float(kinds.count("feature_drift")),
        "top_source_shrinkage": round(_top(sources, "shrinkage"), 6),
        "top_source_share_jump": round(float(top_jump), 6),
        "top_segment_shrinkage": round(_top(inputs["segments"], "shrinkage"), 6),
        "ood_excess_rate": round(float(ood["excess_rate"]), 6),
        "pipeline_breaches": breaches + len(pipeline["unit_changes"]),
        "integrity_breaches": breaches - kinds.count("out_of_range"),
        "out_of_range_share": round(float(pipeline["out_of_range_share"]), 6),
        "unit_changes": float(len(pipeline["unit_changes"])),
        "range_breaches": float(pipeline["breaches"] - pipeline["pipeline_breaches"]),
        "mapping_errors": float(len(pipeline["mapping_errors"])),
        "schema_breaches": float(sum(kinds.count(k) for k in _SCHEMA_KINDS)),
        "performance_drops": float(kinds.count("performance_drop")),
        "canary_failures": float(kinds.count("canary_failure")),
        "infrastructure_signals": float(
            sum(kinds.count(k) for k in _INFRA_KINDS) + (errors >= ERROR_SHARE)
        ),
    }


def build_triage_report(
    *,
    reference: Reference | None,
    window: WindowProfile,
    earlier: Sequence[WindowProfile],
    signals: Sequence[Signal],
) -> TriageReport:
    """Triage ``window`` (the incident's latest) given the windows before it and its signals."""
    baseline = baseline_of(reference, earlier[:3])
    if reference is None:  # no roles known: leave out the outputs the monitors named
        outputs = {s.column for s in signals if s.kind in _OUTPUT_KINDS}
        counts = {k: v for k, v in baseline.counts.items() if k not in outputs}
        baseline = Baseline(counts, baseline.n_rows, baseline.basis)
    inputs = isolate(reference, baseline, window, earlier)
    pipeline = {
        **pipeline_checks(signals),
        "unit_changes": unit_changes(reference, window, earlier),
    }
    ood = ood_rates(reference, baseline, column_counts(window, list(baseline.counts)))
    confidence = confidence_shift(reference, window, signals)
    facts = _facts(inputs, pipeline, ood, window, signals)
    verdict = classify_cause(facts)
    sections = {
        "window_id": window.window_id,
        "input_isolation": inputs,
        "pipeline_checks": pipeline,
        "statistical_forensics": {"out_of_distribution": ood, "confidence": confidence},
        "signals": sorted({s.kind for s in signals}),
    }
    return TriageReport(verdict, facts, sections)
