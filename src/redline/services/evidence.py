"""What a forensic snapshot records before the change: hashes, ids, route, known environment.

Everything here is cheap (store reads, a stat, small JSON documents); what costs time — the
artifact's bytes, the reference and window bodies, git and DVC, an environment not captured
yet — is named in the manifest's ``deferred`` list and copied after the change commits
(``services.snapshot_completion``).
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from pydantic import BaseModel

from redline.domain.timeline import canonical_json
from redline.forensics.environment import local_environment, unavailable
from redline.forensics.manifest import ManifestBuilder
from redline.forensics.redact import redact, scrub, secrets_in_environ
from redline.playbook import PlaybookError, load_playbook
from redline.services.routes import current_route
from redline.settings import ForensicsSettings, get_settings
from redline.store import (
    IncidentRow,
    Session,
    WindowRow,
    get_current_deployment,
    get_latest_reference,
    get_model_environment,
    get_model_version,
    list_model_environments,
    list_windows,
)

__all__ = [
    "OCTET_STREAM",
    "SnapshotConfig",
    "collect_in",
    "payload_sha256",
    "summarise_environment",
]

OCTET_STREAM = "application/octet-stream"
LOOKBACK = timedelta(days=7)
MAX_WINDOWS_DURING = 50
#: A section or file whose content is captured after the change commits.
PENDING = {"status": "pending"}


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


def payload_sha256(payload: Mapping[str, Any]) -> str:
    """The sha256 of a stored JSON body's canonical form (a reference's is its content hash)."""
    return hashlib.sha256(canonical_json(payload).encode("utf-8")).hexdigest()


def _serving_version(session: Session, model: str) -> str | None:
    version = current_route(session, model=model).model_version
    if version is None:
        deployment = get_current_deployment(session, model=model)
        version = deployment.version if deployment is not None else None
    return version


def _model(
    session: Session, model: str, config: SnapshotConfig, deferred: list[dict[str, Any]]
) -> Any:
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
    elif (size := path.stat().st_size) > config.max_artifact_bytes:
        out["artifact"] = unavailable("the artifact is larger than the configured maximum")
    else:
        name = f"model/artifact{path.suffix.lower()}"
        # The registered hash is what the copy must match: hashing the bytes waits until after.
        deferred.append(
            {"name": name, "kind": "artifact", "source": str(path), "sha256": row.sha256}
        )
        out["artifact"] = {**PENDING, "file": name, "sha256": row.sha256, "size": size}
    return out


def _environment(
    session: Session, b: ManifestBuilder, model: str, env: Mapping[str, str], secrets: list[str]
) -> dict[str, Any]:
    """The model server's fingerprint if its Guard sent one, else this process's if known."""
    sent = get_model_environment(session, model=model)
    if sent is not None:
        instances = len(list_model_environments(session, model=model))
        document = scrub(dict(sent.fingerprint), secrets=secrets)
        source = {
            "source": "guard",
            "instance": sent.instance,
            "received_at": sent.received_at.isoformat(),
            "instances": instances,
            "fingerprint_sha256": sent.sha256,
            "note": "the environment the model's Guard reported for its own process",
        }
    else:
        local = local_environment(env, wait=False)
        if local is None:
            return {**PENDING, "source": "local"}
        document = scrub(local, secrets=secrets)
        source = {
            "source": "local",
            "note": "no Guard sent its environment: this is the process that took the snapshot, "
            "not necessarily the model server",
        }
    entry = b.add_json("environment.json", document)
    return {**source, **summarise_environment(document), "file": entry.name}


def summarise_environment(document: Mapping[str, Any]) -> dict[str, Any]:
    """The manifest's short form of an environment document."""
    return {
        "status": "recorded",
        "python": document.get("python"),
        "os": (document.get("os") or {}).get("platform"),
        "distributions": len(document.get("distributions") or {}),
        "gpu": (document.get("gpu") or {}).get("status"),
    }


def _playbook(config: SnapshotConfig, secrets: list[str]) -> Any:
    """The playbook in force, redacted; None if none is configured."""
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
    windows: list[tuple[str, WindowRow]], deferred: list[dict[str, Any]]
) -> dict[str, Any]:
    listed, samples, flagged = [], 0, 0
    for phase, row in windows:
        payload = row.payload
        digest = payload_sha256(payload)
        name = f"windows/{row.id}.json"
        deferred.append({"name": name, "kind": "window", "source": row.id, "content": digest})
        samples += len((payload.get("sample") or {}).get("items", []))
        flagged += len((payload.get("flagged") or {}).get("items", []))
        listed.append(
            {
                "id": row.id,
                "phase": phase,
                "start": row.start.isoformat(),
                "end": row.end.isoformat(),
                "n_rows": row.n_rows,
                "payload_sha256": digest,
                "file": name,
            }
        )
    return {"windows": listed, "sample_rows": samples, "flagged_rows": flagged}


def _data(
    session: Session,
    model: str,
    windows: list[tuple[str, WindowRow]],
    config: SnapshotConfig,
    deferred: list[dict[str, Any]],
) -> dict[str, Any]:
    reference = get_latest_reference(session, model=model)
    deferred.append({"kind": "data", "path": config.data_path, "declared": config.data_version})
    data: dict[str, Any] = {**PENDING}
    data["reference_hash"] = reference.content_hash if reference is not None else None
    # The hashes the windows were profiled on: a reference swapped mid-incident shows here.
    data["window_reference_hashes"] = sorted(
        {str(w.payload.get("reference_hash")) for _, w in windows}
    )
    if reference is not None:
        name = "reference.json"
        deferred.append(
            {
                "name": name,
                "kind": "reference",
                "content": reference.content_hash,
            }
        )
        data["reference_file"] = name
    return data


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
    """The files and manifest sections of a snapshot of ``model`` at ``now``, bytes deferred."""
    env = os.environ if environ is None else environ
    secrets = secrets_in_environ(env)
    b = ManifestBuilder()
    deferred: list[dict[str, Any]] = [{"kind": "code", "path": config.code_path}]
    windows = _windows(session, model, incident, now, config.windows_before)
    environment = _environment(session, b, model, env, secrets)
    if environment["status"] == "pending":
        deferred.append({"kind": "environment"})
    sections: dict[str, Any] = {
        "model_version": _model(session, model, config, deferred),
        "code": {**PENDING, "path": config.code_path},
        "environment": environment,
        "data": _data(session, model, windows, config, deferred),
        "config": _config(session, b, model, config, secrets),
        "observations": _observations(windows, deferred),
    }
    sections["deferred"] = deferred
    return b, sections
