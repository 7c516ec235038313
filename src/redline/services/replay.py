"""Replay a snapshot: its model on its recorded inputs, against its recorded outputs and runtime."""

from __future__ import annotations

import hashlib
import json
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from redline.errors import RedlineError
from redline.forensics.divergence import Divergence, ReplayRow, compare_outputs, recorded_rows
from redline.forensics.environment import (
    EnvironmentChange,
    capture_environment,
    diff_environments,
)
from redline.profiles.reference import Reference
from redline.profiles.specs import Role
from redline.services.artifacts import Predictor, is_reference, load_artifact
from redline.services.snapshot_views import require_snapshot_in, snapshot_contents_in
from redline.store import Session, Store, get_blob

__all__ = ["ReplayError", "ReplayReport", "replay_snapshot"]


class ReplayError(RedlineError):
    """A snapshot cannot be replayed: no artifact copy, a damaged file, or nothing to rerun."""


@dataclass(frozen=True)
class ReplayReport:
    """What a replay found: output divergence and how the runtime changed since the snapshot."""

    snapshot_id: str
    model: str
    version: str | None
    artifact: str
    divergence: Divergence
    environment_changes: tuple[EnvironmentChange, ...]
    notes: tuple[str, ...] = field(default=())

    @property
    def reproduced(self) -> bool | None:
        """True when every recorded output came out the same; None when none was recorded."""
        if self.divergence.compared == 0:
            return None
        return self.divergence.diverged == 0

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        return {
            "snapshot_id": self.snapshot_id,
            "model": self.model,
            "version": self.version,
            "artifact": self.artifact,
            "reproduced": self.reproduced,
            "divergence": self.divergence.to_dict(),
            "environment_changes": [c.to_dict() for c in self.environment_changes],
            "notes": list(self.notes),
        }


def _files(session: Session, manifest: Mapping[str, Any]) -> dict[str, bytes]:
    """Every file of the manifest by name, each checked against its sha256."""
    out = {}
    for entry in manifest.get("files", []):
        blob = get_blob(session, sha256=str(entry["sha256"]))
        if blob is None or hashlib.sha256(blob.content).hexdigest() != entry["sha256"]:
            raise ReplayError(
                f"{entry['name']} is missing or damaged; `redline snapshot verify` says more"
            )
        out[str(entry["name"])] = bytes(blob.content)
    return out


def _predictor(model: Mapping[str, Any], files: Mapping[str, bytes], trust: bool) -> Predictor:
    if model.get("status") != "recorded":
        raise ReplayError("the snapshot names no registered model version to replay")
    copy = model.get("artifact") or {}
    if copy.get("status") == "copied":
        with tempfile.TemporaryDirectory(prefix="redline-replay-") as directory:
            path = Path(directory) / Path(str(copy["file"])).name
            path.write_bytes(files[str(copy["file"])])
            return load_artifact(path, sha256=str(copy["sha256"]), trust=trust)
    uri = str(model.get("artifact_uri"))
    if is_reference(uri) or Path(uri).is_file():
        # No copy: the registered artifact, which must still match its registered hash.
        return load_artifact(uri, sha256=str(model.get("artifact_sha256")), trust=trust)
    raise ReplayError(
        "the snapshot holds no copy of the artifact and it is gone from "
        f"{uri} (set REDLINE_FORENSICS__COPY_ARTIFACTS=true for future snapshots)"
    )


def _described(model: Mapping[str, Any]) -> str:
    copy = model.get("artifact") or {}
    if copy.get("status") == "copied":
        return f"snapshot copy {copy.get('file')} (sha256 {copy.get('sha256')})"
    return str(model.get("artifact_uri"))


def _rows(
    manifest: Mapping[str, Any], files: Mapping[str, bytes], prediction: str | None
) -> tuple[list[ReplayRow], str]:
    data = manifest.get("data") or {}
    reference_file = str(data.get("reference_file"))
    exclude: list[str] = []
    if reference_file in files:
        reference = Reference.from_dict(json.loads(files[reference_file]))
        prediction = prediction or reference.column_named(Role.PREDICTION)
        exclude = [
            c for c in (reference.column_named(r) for r in (Role.CONFIDENCE, Role.TARGET)) if c
        ]
    windows = [
        json.loads(files[w["file"]])
        for w in (manifest.get("observations") or {}).get("windows", [])
    ]
    rows = recorded_rows(windows, prediction=prediction, exclude=exclude)
    note = (
        f"recorded outputs are the '{prediction}' column of the sampled rows (rows the primary "
        "served; others have none)"
        if prediction
        else "no stored reference names a prediction column, so no recorded outputs are known: "
        "the inputs were rerun and nothing compared (name the column with --prediction)"
    )
    return rows, note


def replay_snapshot(
    store: Store,
    snapshot_id: str,
    *,
    trust_artifacts: bool = False,
    environment: Mapping[str, Any] | None = None,
    prediction: str | None = None,
) -> ReplayReport:
    """Rerun the snapshot's sampled and flagged inputs through its artifact and compare.

    ``trust_artifacts`` allows pickle/joblib artifacts (they run code when loaded);
    ``environment`` stands for the current runtime (default: captured now); ``prediction``
    names the column holding the recorded outputs when the snapshot has no stored reference.
    """
    with store.session() as session:
        row = require_snapshot_in(session, snapshot_id=snapshot_id)
        manifest = snapshot_contents_in(session, row)
        files = _files(session, manifest)
    model = manifest.get("model_version") or {}
    predictor = _predictor(model, files, trust_artifacts)
    rows, note = _rows(manifest, files, prediction)
    notes = [note]
    if not rows:
        notes.append("the snapshot's windows hold no sampled rows")
    replayed = predictor.batch([r.inputs for r in rows]) if rows else []
    env_file = (manifest.get("environment") or {}).get("file")
    then = json.loads(files[env_file]) if env_file in files else {}
    now = environment if environment is not None else capture_environment()
    return ReplayReport(
        snapshot_id=row.id,
        model=row.model,
        version=model.get("version"),
        artifact=_described(model),
        divergence=compare_outputs(rows, replayed),
        environment_changes=tuple(diff_environments(then, now)),
        notes=tuple(notes),
    )
