"""Data blame: when an incident's shift began, what it touched, the data versions involved, and
the decisions the suspect version served in the impact window (counted and exported)."""

from __future__ import annotations

import csv
import json
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any, Literal

from redline.errors import DataError
from redline.forensics.blame import locate_shift
from redline.profiles.arrow import require_arrow
from redline.services.triage_reports import incident_windows, stored_reference
from redline.services.view_types import View
from redline.services.views import require_incident
from redline.store import (
    IncidentRow,
    Session,
    Store,
    WindowRow,
    count_predictions,
    get_latest_reference,
    get_latest_window,
    get_model_version,
    list_deployments,
    list_predictions,
)

__all__ = ["EXPORT_FORMATS", "BlameView", "blame", "export_impacted_decisions"]

EXPORT_FORMATS = ("csv", "parquet")
#: Decisions of the primary route: the model under suspicion, not its fallback or reviewers.
SUSPECT_ROUTE = "primary"
_COLUMNS = ("request_id", "served_at", "route", "value", "window_id", "model", "incident")


@dataclass(frozen=True)
class BlameView(View):
    """When the shift began, what it touched, the data versions, and the decisions served."""

    incident: str
    model: str
    impact_start: datetime | None
    impact_end: datetime | None
    suspect_version: str | None
    decisions_served: int
    data_versions: dict[str, Any]
    shift: dict[str, Any]


def _last_window(session: Session, incident: IncidentRow) -> WindowRow | None:
    return get_latest_window(session, model=incident.model, until=incident.resolved_at)


def _version_at(session: Session, model: str, at: datetime | None) -> str | None:
    rows = list_deployments(session, model=model, alias="production")
    before = [r for r in rows if at is None or r.at <= at]
    return before[-1].version if before else None


def _training_data(session: Session, model: str, version: str | None) -> str | None:
    row = None if version is None else get_model_version(session, model=model, version=version)
    return None if row is None else row.training_data_version


def _data_versions(
    session: Session, incident: IncidentRow, suspect: str | None, windows_hash: str | None
) -> dict[str, Any]:
    now = _version_at(session, incident.model, None)
    reference = get_latest_reference(session, model=incident.model)
    at_training = _training_data(session, incident.model, suspect)
    current = _training_data(session, incident.model, now)
    return {
        "suspect_version": suspect,
        "suspect_training_data": at_training,
        "current_version": now,
        "current_training_data": current,
        "training_data_changed": at_training != current,
        "stored_reference_hash": None if reference is None else reference.content_hash,
        "windows_reference_hash": windows_hash,
    }


def _impact(
    incident: IncidentRow, shift: dict[str, Any], last: WindowRow
) -> tuple[datetime, datetime]:
    series = shift.get("series") or []
    onset = shift.get("onset")
    start = incident.first_signal_at or last.start
    if onset is not None and series[onset]["start"]:
        start = datetime.fromisoformat(series[onset]["start"])
    return start, incident.resolved_at or last.end


def _blame_in(session: Session, key: str) -> BlameView:
    incident = require_incident(session, key=key)
    last = _last_window(session, incident)
    if last is None:
        raise DataError(f"incident {key!r} has no stored window to blame")
    windows, _ = incident_windows(session, incident=incident, until=last)
    windows_hash = windows[-1].reference_hash
    reference = stored_reference(session, model=incident.model, reference_hash=windows_hash)
    shift = locate_shift(reference, windows)
    start, end = _impact(incident, shift, last)
    suspect = _version_at(session, incident.model, start)
    served = count_predictions(
        session, model=incident.model, start=start, end=end, route=SUSPECT_ROUTE
    )
    return BlameView(
        incident=incident.key,
        model=incident.model,
        impact_start=start,
        impact_end=end,
        suspect_version=suspect,
        decisions_served=served,
        data_versions=_data_versions(session, incident, suspect, windows_hash),
        shift=shift,
    )


def blame(store: Store, *, key: str) -> BlameView:
    """Data blame of incident ``key``: the change point, the first affected window, features,
    sources and segments, data versions, and how many decisions the suspect version served."""
    with store.reading() as session:
        return _blame_in(session, key)


def _records(store: Store, found: BlameView) -> list[dict[str, Any]]:
    if found.impact_start is None or found.impact_end is None:
        return []
    with store.reading() as session:
        rows = list_predictions(
            session,
            model=found.model,
            start=found.impact_start,
            end=found.impact_end,
            route=SUSPECT_ROUTE,
        )
        return [
            {
                "request_id": r.request_id,
                "served_at": r.served_at.isoformat(),
                "route": r.route,
                "value": json.dumps(r.value),
                "window_id": r.window_id,
                "model": r.model,
                "incident": found.incident,
            }
            for r in rows
        ]


def export_impacted_decisions(
    store: Store, *, key: str, path: str | Path, format: Literal["csv", "parquet"] = "csv"
) -> int:
    """Write the decisions the suspect version served in the impact window (CSV or Parquet,
    values as JSON text) for remediation; returns how many."""
    if format not in EXPORT_FORMATS:
        raise DataError(f"export format must be one of {', '.join(EXPORT_FORMATS)}, not {format!r}")
    records = _records(store, blame(store, key=key))
    target = Path(path)
    if format == "csv":
        with target.open("w", newline="", encoding="utf-8") as handle:
            writer = csv.DictWriter(handle, fieldnames=list(_COLUMNS))
            writer.writeheader()
            writer.writerows(records)
    else:
        pa = require_arrow("exporting decisions as Parquet")
        import pyarrow.parquet as pq

        table = pa.table({c: pa.array([r[c] for r in records], pa.string()) for c in _COLUMNS})
        pq.write_table(table, target)
    return len(records)
