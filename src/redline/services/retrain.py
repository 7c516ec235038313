"""The retrain trigger: hand an incident, its snapshot and the labelled rows to a command or webhook.

redline does not retrain; it prepares the evidence and the labels, hands them off as the
playbook says, and records the outcome (exit code or HTTP status) on the incident's timeline.
"""

from __future__ import annotations

import os
import subprocess
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx

from redline.errors import RedlineError
from redline.forensics.postmortem_advice import recommend
from redline.forensics.postmortem_facts import IncidentRecord, collect_incident
from redline.playbook import RetrainConfig
from redline.services.chains import record_audit, record_event
from redline.services.postmortems import incident_by_key
from redline.services.retrain_files import write_handoff
from redline.store import Store, list_labelled_predictions

__all__ = ["RetrainRefusedError", "RetrainResult", "trigger_retrain"]

_TAIL_CHARS = 2_000


class RetrainRefusedError(RedlineError):
    """The retrain hand-off was refused before anything ran."""


@dataclass(frozen=True)
class RetrainResult:
    """What the hand-off did: where the files are and what the target answered."""

    key: str
    target: str
    ok: bool
    exit_code: int | None
    http_status: int | None
    directory: Path
    labelled_rows: int
    snapshot_id: str | None
    detail: str

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict (also what the timeline records)."""
        return {
            "target": self.target,
            "ok": self.ok,
            "exit_code": self.exit_code,
            "http_status": self.http_status,
            "directory": str(self.directory),
            "labelled_rows": self.labelled_rows,
            "snapshot_id": self.snapshot_id,
            "detail": self.detail,
        }


def _incident_json(record: IncidentRecord) -> dict[str, Any]:
    row = record.incident
    return {
        "key": row.key,
        "model": row.model,
        "title": row.title,
        "severity": row.severity,
        "status": row.status,
        "category": row.category,
        "detected_at": row.detected_at.isoformat(),
        "impact_start": record.impact_start.isoformat(),
        "impact_end": record.impact_end.isoformat(),
        "recommendation": recommend(record).to_dict(),
        "snapshots": [s["id"] for s in record.snapshots],
    }


def _run_command(
    config: RetrainConfig, directory: Path, key: str, snapshot: str | None
) -> tuple[int | None, str]:
    assert config.command is not None
    fill = {"{dir}": str(directory), "{incident}": key, "{snapshot}": snapshot or ""}
    argv = [fill.get(part, part) for part in config.command]
    env = {
        **os.environ,
        "REDLINE_RETRAIN_DIR": str(directory),
        "REDLINE_INCIDENT": key,
        "REDLINE_SNAPSHOT_ID": snapshot or "",
    }
    try:
        done = subprocess.run(
            argv,
            cwd=directory,
            env=env,
            capture_output=True,
            text=True,
            timeout=config.timeout_s,
            check=False,
        )
    except subprocess.TimeoutExpired:
        return None, f"timed out after {config.timeout_s} s"
    except OSError as exc:
        return None, f"could not start {argv[0]!r}: {exc.strerror or exc}"
    return done.returncode, (done.stderr or done.stdout)[-_TAIL_CHARS:]


def _post_webhook(
    config: RetrainConfig, directory: Path, manifest: dict[str, Any], client: httpx.Client | None
) -> tuple[int | None, str]:
    assert config.webhook is not None
    url = config.webhook.get_secret_value()
    headers = {k: v.get_secret_value() for k, v in config.headers.items()}
    names = ("incident.json", manifest["labels"]["path"], "manifest.json")
    own = client is None
    http = client or httpx.Client()
    try:
        files = {name: (name, (directory / name).read_bytes()) for name in names}
        answer = http.post(url, files=files, headers=headers, timeout=float(config.timeout_s))
        return answer.status_code, answer.text[-_TAIL_CHARS:]
    except httpx.HTTPError as exc:
        return None, f"{type(exc).__name__} talking to {urlsplit(url).hostname}"
    finally:
        if own:
            http.close()


def trigger_retrain(
    store: Store,
    *,
    key: str,
    config: RetrainConfig,
    actor: str,
    client: httpx.Client | None = None,
    now: datetime | None = None,
) -> RetrainResult:
    """Write the hand-off files, run the command or call the webhook, record the outcome."""
    at = now or datetime.now(UTC)
    with store.session() as session:
        row = incident_by_key(session, key)
        record = collect_incident(session, incident=row)
        if row.evidence_hold and not record.snapshots:
            raise RetrainRefusedError(
                f"{key} is under evidence hold and has no forensic snapshot: take one before "
                "handing the model off for retraining (EU AI Act Art. 73(6))"
            )
        rows = list_labelled_predictions(session, model=row.model)
        incident = _incident_json(record)
    snapshot = record.snapshots[0]["id"] if record.snapshots else None
    directory = (config.directory / key).resolve()
    manifest = write_handoff(
        directory, incident=incident, snapshot_id=snapshot, rows=rows, fmt=config.format
    )
    if config.command is not None:
        code, detail = _run_command(config, directory, key, snapshot)
        status, target, ok = None, f"command {config.command[0]}", code == 0
    else:
        status, detail = _post_webhook(config, directory, manifest, client)
        code, ok = None, status is not None and 200 <= status < 300
        target = f"webhook {urlsplit(config.webhook.get_secret_value() if config.webhook else '').hostname}"
    result = RetrainResult(key, target, ok, code, status, directory, len(rows), snapshot, detail)
    with store.session() as session:
        row = incident_by_key(session, key)
        details = result.to_dict()
        record_event(
            session,
            incident_id=row.id,
            at=at,
            actor=actor,
            kind="retrain_triggered",
            details=details,
        )
        record_audit(
            session, at=at, actor=actor, action="retrain.trigger", target=key, details=details
        )
    return result
