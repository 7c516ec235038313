"""After a scenario: the evidence its incident holds, read and checked as a responder would.

Per incident: its snapshot (a SEV3 incident has none until someone takes one, so the demo
takes one on demand, as a responder would) and whether it verifies; the latest triage report's
likely cause against the cause the scenario injected; a drafted post-mortem; and the
regulatory and sharing exports, each checked against its schema.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from redline.services.postmortem_exports import export_incident
from redline.services.postmortems import generate_postmortem
from redline.services.review import list_review_page
from redline.services.snapshot_completion import complete_pending_snapshots, deferring_copies
from redline.services.snapshot_views import list_snapshot_views
from redline.services.snapshots import take_snapshot, verify_snapshot
from redline.services.triage_reports import TriageReportNotFoundError, get_triage_report
from redline.store import Store

__all__ = ["DEMO_ACTOR", "EXPORTS", "collect_forensics", "read_review_queue"]

#: Who the demo acts as when it does what a responder would.
DEMO_ACTOR = "person:demo"
#: The exports written for every incident.
EXPORTS = ("assessment", "art73", "nist", "aiid")


def _snapshot(store: Store, *, model: str, key: str, now: datetime) -> dict[str, Any]:
    taken = list_snapshot_views(store, incident_key=key, limit=1)
    if taken:
        snapshot = taken[0]
    else:  # its bytes are copied here, so their completion is dated on the demo's clock too
        with deferring_copies() as deferred:
            snapshot = take_snapshot(
                store, model=model, incident_key=key, actor=DEMO_ACTOR, now=now
            )
        complete_pending_snapshots(store, first=deferred, now=now)
    check = verify_snapshot(store, snapshot_id=snapshot.id)
    return {
        "id": snapshot.id,
        "reason": snapshot.reason,
        "files": snapshot.files,
        "verified": check.ok,
    }


def _triage(store: Store, *, key: str, expected: str) -> dict[str, Any]:
    try:
        report = get_triage_report(store, key=key)
    except TriageReportNotFoundError:
        return {"likely_cause": None, "confidence": None, "expected": expected, "named": False}
    return {
        "likely_cause": report.likely_cause,
        "confidence": round(report.confidence, 3),
        "expected": expected,
        "named": report.likely_cause == expected,
    }


def _postmortem(store: Store, *, key: str, now: datetime) -> dict[str, Any]:
    view = generate_postmortem(store, key=key, actor=DEMO_ACTOR, now=now)
    headings = [line for line in view.markdown.splitlines() if line.startswith("## ")]
    return {
        "status": view.status,
        "version": view.version,
        "sections": len(headings),
        "recommendation": view.content.get("recommendation", {}).get("decision"),
    }


def collect_forensics(
    store: Store, *, model: str, key: str, cause: str, now: datetime
) -> dict[str, Any]:
    """The incident's snapshot, triage report, post-mortem draft and export digests, each
    recorded at ``now`` (the demo's clock)."""
    exports = {
        kind: export_incident(store, key=key, kind=kind, now=now)["sha256"] for kind in EXPORTS
    }
    return {
        "snapshot": _snapshot(store, model=model, key=key, now=now),
        "triage": _triage(store, key=key, expected=cause),
        "postmortem": _postmortem(store, key=key, now=now),
        "exports": exports,
    }


def read_review_queue(store: Store, *, model: str, limit: int = 1_000) -> dict[str, Any]:
    """What the review queue of ``model`` shows people: how many wait, why, and how sure."""
    page = list_review_page(store, status="pending", model=model, limit=limit)
    scores = [i.confidence for i in page.items if i.confidence is not None]
    return {
        "pending": page.total,
        "reasons": sorted({i.reason for i in page.items}),
        "incidents": sorted({i.incident for i in page.items if i.incident is not None}),
        "thresholds": sorted({i.threshold for i in page.items if i.threshold is not None}),
        "max_confidence": round(max(scores), 4) if scores else None,
    }
