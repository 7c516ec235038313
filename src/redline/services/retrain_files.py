"""The files a retrain job receives: the incident as JSON and the labelled rows as Parquet or CSV."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pandas as pd

from redline.profiles.arrow import require_arrow
from redline.store import LabelledPrediction

__all__ = ["LABEL_COLUMNS", "write_handoff"]

LABEL_COLUMNS = ("request_id", "prediction", "route", "label", "window_id")
_SCALARS = (str, int, float, bool)


def _column(values: Sequence[Any]) -> list[Any]:
    """Scalars stay as they are; anything else (lists, dicts, mixed types) becomes JSON text."""
    kinds = {type(v) for v in values if v is not None}
    if len(kinds) <= 1 and all(issubclass(k, _SCALARS) for k in kinds):
        return list(values)
    return [None if v is None else json.dumps(v, sort_keys=True, default=str) for v in values]


def _frame(rows: Sequence[LabelledPrediction]) -> pd.DataFrame:
    data = {
        "request_id": [r.request_id for r in rows],
        "prediction": _column([r.value for r in rows]),
        "route": [r.route for r in rows],
        "label": _column([r.label for r in rows]),
        "window_id": [r.window_id for r in rows],
    }
    return pd.DataFrame(data, columns=list(LABEL_COLUMNS))


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def write_handoff(
    directory: Path,
    *,
    incident: dict[str, Any],
    snapshot_id: str | None,
    rows: Sequence[LabelledPrediction],
    fmt: str,
) -> dict[str, Any]:
    """Write incident.json, labels.<fmt> and manifest.json into ``directory``; the manifest."""
    directory.mkdir(parents=True, exist_ok=True)
    incident_path = directory / "incident.json"
    incident_path.write_text(json.dumps(incident, indent=2, sort_keys=True, default=str), "utf-8")
    labels_path = directory / f"labels.{fmt}"
    for stale in directory.glob("labels.*"):  # an earlier hand-off in another format
        stale.unlink()
    frame = _frame(rows)
    if fmt == "parquet":
        require_arrow("writing the retraining set as Parquet")
        frame.to_parquet(labels_path, index=False)
    else:
        frame.to_csv(labels_path, index=False)
    manifest = {
        "schema": "redline.retrain/1",
        "incident": incident["key"],
        "snapshot_id": snapshot_id,
        "labels": {"path": labels_path.name, "format": fmt, "rows": len(rows)},
        "files": {p.name: _sha256(p) for p in (incident_path, labels_path)},
    }
    (directory / "manifest.json").write_text(
        json.dumps(manifest, indent=2, sort_keys=True), "utf-8"
    )
    return manifest
