"""What a forensic snapshot holds, gathered from the store, the registry and the running process."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from pydantic import BaseModel

from redline.forensics.environment import capture_environment, unavailable
from redline.forensics.manifest import ManifestBuilder
from redline.forensics.redact import redact, scrub, secrets_in_environ
from redline.forensics.versions import capture_code, capture_data
from redline.playbook import PlaybookError, load_playbook
from redline.services.routes import current_route
from redline.settings import ForensicsSettings, get_settings
from redline.store import (
    IncidentRow,
    Session,
    WindowRow,
    get_current_deployment,
    get_latest_reference,
    get_model_version,
    list_windows,
)

__all__ = ["SnapshotConfig", "collect_in"]

OCTET_STREAM = "application/octet-stream"
LOOKBACK = timedelta(days=7)
MAX_WINDOWS_DURING = 50


@dataclass(frozen=True)
class SnapshotConfig:
    """What to capture beyond the store; by default from ``REDLINE_FORENSICS__*`` settings."""

    copy_artifacts: bool = True
    max_artifact_bytes: int = 200 * 1024 * 1024
    code_path: str | None = None
    data_path: str | None = None
    data_version: str | None = None
    playbook: BaseModel | str | None = None
    windows_before: int = 3

    @classmethod
    def from_settings(cls, settings: ForensicsSettings | None = None) -> SnapshotConfig:
        """The configuration the environment sets."""
        s = settings if settings is not None else get_settings().forensics
        return cls(
            copy_artifacts=s.copy_artifacts,
            max_artifact_bytes=int(s.max_artifact_mb * 1024 * 1024),
            code_path=s.code_path,
            data_path=s.data_path,
            data_version=s.data_version,
            playbook=s.playbook,
            windows_before=s.windows_before,
        )


def _serving_version(session: Session, model: str) -> str | None:
    version = current_route(session, model=model).model_version
    if version is None:
        deployment = get_current_deployment(session, model=model)
        version = deployment.version if deployment is not None else None
    return version


def _model(session: Session, b: ManifestBuilder, model: str, config: SnapshotConfig) -> Any:
    version = _serving_version(session, model)
    row = get_model_version(session, model=model, version=version) if version else None
    if row is None:
        return unavailable("no registered model version serves this model")
    out: dict[str, Any] = {
        "status": "recorded",
        "version": row.version,
        "artifact_uri": row.artifact_uri,
        "artifact_sha256": row.sha256,
        "training_data_version": row.training_data_version,
    }
    path = Path(row.artifact_uri)
    if not config.copy_artifacts:
        out["artifact"] = unavailable("copying artifacts is switched off")
    elif not path.is_file():
        out["artifact"] = unavailable("the artifact is a code reference or no longer on disk")
    elif path.stat().st_size > config.max_artifact_bytes:
        out["artifact"] = unavailable("the artifact is larger than the configured maximum")
    else:
        entry = b.add_bytes(f"model/artifact{path.suffix.lower()}", path.read_bytes(), OCTET_STREAM)
        # A file that no longer matches its registered hash is itself evidence.
        out["artifact"] = {"status": "copied", "file": entry.name, "sha256": entry.sha256}
        out["artifact_changed_since_registration"] = entry.sha256 != row.sha256
    return out


def _playbook(config: SnapshotConfig, secrets: list[str]) -> Any:
    source = config.playbook
    if source is None:
        return None
    if isinstance(source, str):
        try:
            source = load_playbook(source)
        except PlaybookError as exc:
            return unavailable(f"the playbook could not be loaded: {len(exc.problems)} problem(s)")
    return redact(source.model_dump(mode="json"), secrets=secrets)


def _windows(
    session: Session, model: str, incident: IncidentRow | None, now: datetime, n: int
) -> Any:
    """The windows before the incident began (``n`` of them) and during it, oldest first."""
    began = (incident.first_signal_at or incident.detected_at) if incident is not None else now
    rows = list_windows(session, model=model, since=began - LOOKBACK, limit=5000)
    before = [w for w in rows if w.end < began][-n:] if n else []
    during = [w for w in rows if w.end >= began][:MAX_WINDOWS_DURING]
    if incident is None:  # on demand: the latest windows stand for "now"
        before, during = [w for w in rows if w.end <= now][-(n + 1) :], []
    return [("before", w) for w in before] + [("during", w) for w in during]


def _observations(
    b: ManifestBuilder, windows: list[tuple[str, WindowRow]], secrets: list[str]
) -> dict[str, Any]:
    listed, samples, flagged = [], 0, 0
    for phase, row in windows:
        payload = scrub(dict(row.payload), secrets=secrets)
        entry = b.add_json(f"windows/{row.id}.json", payload)
        samples += len((payload.get("sample") or {}).get("items", []))
        flagged += len((payload.get("flagged") or {}).get("items", []))
        listed.append(
            {
                "id": row.id,
                "phase": phase,
                "start": row.start.isoformat(),
                "end": row.end.isoformat(),
                "n_rows": row.n_rows,
                "file": entry.name,
            }
        )
    return {"windows": listed, "sample_rows": samples, "flagged_rows": flagged}


def _data(
    session: Session,
    b: ManifestBuilder,
    model: str,
    windows: list[tuple[str, WindowRow]],
    config: SnapshotConfig,
    secrets: list[str],
) -> dict[str, Any]:
    reference = get_latest_reference(session, model=model)
    data = capture_data(config.data_path, declared=config.data_version)
    data["reference_hash"] = reference.content_hash if reference is not None else None
    # The hashes the windows were profiled on: a reference swapped mid-incident shows here.
    data["window_reference_hashes"] = sorted(
        {str(w.payload.get("reference_hash")) for _, w in windows}
    )
    if reference is not None:
        payload = scrub(reference.payload, secrets=secrets)
        data["reference_file"] = b.add_json("reference.json", payload).name
    return dict(scrub(data, secrets=secrets))


def _config(
    session: Session, b: ManifestBuilder, model: str, config: SnapshotConfig, secrets: list[str]
) -> dict[str, Any]:
    route = redact(current_route(session, model=model).to_dict(), secrets=secrets)
    playbook = _playbook(config, secrets)
    return {
        "route_state": b.add_json("config/route_state.json", route).name,
        "playbook": b.add_json("config/playbook.json", playbook).name
        if isinstance(playbook, dict) and playbook.get("status") != "unavailable"
        else playbook or unavailable("no playbook given (REDLINE_FORENSICS__PLAYBOOK)"),
    }


def collect_in(
    session: Session,
    *,
    model: str,
    incident: IncidentRow | None,
    now: datetime,
    config: SnapshotConfig,
    environ: Mapping[str, str] | None = None,
) -> tuple[ManifestBuilder, dict[str, Any]]:
    """Gather every file and manifest section of a snapshot of ``model`` at ``now``."""
    env = os.environ if environ is None else environ
    secrets = secrets_in_environ(env)
    b = ManifestBuilder()
    environment = scrub(capture_environment(env), secrets=secrets)
    env_file = b.add_json("environment.json", environment)
    windows = _windows(session, model, incident, now, config.windows_before)
    sections: dict[str, Any] = {
        "model_version": _model(session, b, model, config),
        "code": scrub(capture_code(config.code_path), secrets=secrets),
        "environment": {
            "python": environment["python"],
            "os": environment["os"]["platform"],
            "distributions": len(environment["distributions"]),
            "gpu": environment["gpu"].get("status"),
            "file": env_file.name,
        },
        "data": _data(session, b, model, windows, config, secrets),
        "config": _config(session, b, model, config, secrets),
        "observations": _observations(b, windows, secrets),
    }
    return b, sections
