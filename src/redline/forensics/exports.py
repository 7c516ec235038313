"""Regulatory and sharing exports of one incident, each schema-versioned and sealed by sha256.

A document is ``{"schema_version", "payload", "sha256"}`` where ``sha256`` is taken over the
payload's canonical JSON (sorted keys, no spaces), so anyone can re-check it. Every document
validates against its own JSON Schema in ``forensics/schemas/``.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from datetime import datetime
from functools import cache
from importlib import resources
from typing import Any

import jsonschema

from redline.domain.timeline import canonical_json
from redline.errors import RedlineError
from redline.forensics.assessment import NOT_LEGAL_ADVICE, UNKNOWN, assess_reportability
from redline.forensics.postmortem_advice import infer_cause
from redline.forensics.postmortem_facts import IncidentRecord

__all__ = [
    "EXPORT_KINDS",
    "ExportSchemaError",
    "build_aiid",
    "build_art73",
    "build_assessment",
    "build_nist",
    "load_schema",
    "payload_sha256",
    "seal",
    "validate_export",
]

#: Export kind → (schema version, schema file).
EXPORT_KINDS = {
    "art73": ("redline.eu-ai-act.art73/1", "art73.schema.json"),
    "nist": ("redline.nist-ai-600-1/1", "nist.schema.json"),
    "aiid": ("redline.aiid/1", "aiid.schema.json"),
    "assessment": ("redline.reportability/1", "assessment.schema.json"),
}


class ExportSchemaError(RedlineError):
    """An export does not match its JSON Schema (a bug, or a hand-edited document)."""


def payload_sha256(payload: Mapping[str, Any]) -> str:
    """The sha256 of a payload's canonical JSON."""
    return hashlib.sha256(canonical_json(payload).encode("utf-8")).hexdigest()


def seal(kind: str, payload: Mapping[str, Any]) -> dict[str, Any]:
    """Wrap a payload with its schema version and sha256 (JSON-ready)."""
    plain: dict[str, Any] = json.loads(canonical_json(payload))
    return {
        "schema_version": EXPORT_KINDS[kind][0],
        "payload": plain,
        "sha256": payload_sha256(plain),
    }


@cache
def load_schema(kind: str) -> dict[str, Any]:
    """The JSON Schema of an export kind, shipped with the package."""
    text = (
        resources.files("redline.forensics")
        .joinpath("schemas", EXPORT_KINDS[kind][1])
        .read_text("utf-8")
    )
    schema: dict[str, Any] = json.loads(text)
    return schema


def validate_export(kind: str, document: Mapping[str, Any]) -> None:
    """Check a document against its schema and its sha256; ExportSchemaError names the fault."""
    try:
        jsonschema.validate(document, load_schema(kind))
    except jsonschema.ValidationError as exc:
        where = "/".join(str(p) for p in exc.absolute_path) or "the document"
        raise ExportSchemaError(f"{kind} export: {where}: {exc.message}") from None
    if payload_sha256(document["payload"]) != document["sha256"]:
        raise ExportSchemaError(f"{kind} export: the payload does not match its sha256")


def _time(at: datetime | None) -> str | None:
    return None if at is None else at.isoformat()


def _incident(record: IncidentRecord) -> dict[str, Any]:
    row = record.incident
    return {
        "key": row.key,
        "title": row.title,
        "category": row.category,
        "severity": row.severity,
        "status": row.status,
        "model": row.model,
        "detected_at": _time(row.detected_at),
        "aware_at": _time(row.aware_at),
        "causal_link_at": _time(row.causal_link_at),
        "impact_start": _time(record.impact_start),
        "impact_end": _time(record.impact_end),
        "decisions_served": record.decisions_served,
    }


def _actions(record: IncidentRecord) -> list[dict[str, Any]]:
    return [
        {
            "type": a["type"],
            "status": a["status"],
            "trigger": a["trigger"],
            "requested_at": _time(a["requested_at"]),
            "applied_at": _time(a["applied_at"]),
            "verified_at": _time(a["verified_at"]),
        }
        for a in record.actions
    ]


def _evidence(record: IncidentRecord) -> dict[str, Any]:
    return {
        "snapshots": [s["id"] for s in record.snapshots],
        "timeline_events": len(record.timeline),
        "timeline_head_hash": record.timeline[-1]["hash"] if record.timeline else None,
        "timeline_chain_intact": record.chain_intact,
    }


def _sign_off(postmortem: Mapping[str, Any] | None) -> dict[str, Any]:
    if postmortem is None:
        return {"postmortem_status": None, "approved_by": None, "approved_at": None}
    at = postmortem.get("approved_at")
    return {
        "postmortem_status": postmortem.get("status"),
        "approved_by": postmortem.get("approved_by"),
        "approved_at": at.isoformat() if isinstance(at, datetime) else at,
    }


def build_art73(
    record: IncidentRecord,
    *,
    regulatory: Mapping[str, Any] | None,
    postmortem: Mapping[str, Any] | None,
    now: datetime,
) -> dict[str, Any]:
    """An EU AI Act Art. 73-style serious-incident report (an initial report is allowed)."""
    reg = dict(regulatory or {})
    cause, source = infer_cause(record)
    payload = {
        "generated_at": now.isoformat(),
        "report_type": "initial" if (postmortem or {}).get("status") != "approved" else "final",
        "not_legal_advice": NOT_LEGAL_ADVICE,
        "reporter": {
            "provider": reg.get("provider") or UNKNOWN,
            "contact": reg.get("contact") or UNKNOWN,
        },
        "ai_system": {
            "name": reg.get("system_name") or record.incident.model,
            "model": record.incident.model,
            "risk_class": reg.get("risk_class") or UNKNOWN,
            "versions": [d["version"] for d in record.deployments],
        },
        "incident": _incident(record),
        "assessment": assess_reportability(record, regulatory=regulatory, now=now),
        "causal_analysis": {"likely_cause": cause, "source": source, "confirmed_by_person": False},
        "actions": _actions(record),
        "evidence": _evidence(record),
        "sign_off": _sign_off(postmortem),
    }
    return seal("art73", payload)


def build_nist(
    record: IncidentRecord, *, postmortem: Mapping[str, Any] | None, now: datetime
) -> dict[str, Any]:
    """A NIST AI 600-1 (GV-4.3-002) incident record: what happened, harms, response, lessons."""
    cause, _ = infer_cause(record)
    row = record.incident
    payload = {
        "generated_at": now.isoformat(),
        "framework": {"document": "NIST AI 600-1", "actions": ["GV-4.3-002", "MG-4.3"]},
        "incident": _incident(record),
        "description": row.title,
        "detection": sorted({f"{s['source']}:{s['kind']}" for s in record.signals}),
        "harms": UNKNOWN,
        "root_cause": {"likely_cause": cause, "confirmed_by_person": False},
        "response": _actions(record),
        "evidence": _evidence(record),
        "status": row.status,
        "sign_off": _sign_off(postmortem),
    }
    return seal("nist", payload)


def build_aiid(
    record: IncidentRecord, *, regulatory: Mapping[str, Any] | None, now: datetime
) -> dict[str, Any]:
    """An AI Incident Database-style record for sharing: no internal ids beyond the key."""
    reg = dict(regulatory or {})
    cause, _ = infer_cause(record)
    row = record.incident
    payload = {
        "generated_at": now.isoformat(),
        "title": row.title,
        "date": row.detected_at.date().isoformat(),
        "description": f"{row.severity} {row.category} incident on model {row.model}: {row.title}. "
        f"Likely cause (unconfirmed): {cause.replace('_', ' ')}.",
        "alleged_deployer_of_ai_system": [reg.get("provider") or UNKNOWN],
        "alleged_developer_of_ai_system": [reg.get("provider") or UNKNOWN],
        "alleged_harmed_or_nearly_harmed_parties": [UNKNOWN],
        "classifications": {
            "severity": row.severity,
            "category": row.category,
            "likely_cause": cause,
        },
        "source_reference": row.key,
    }
    return seal("aiid", payload)


def build_assessment(
    record: IncidentRecord, *, regulatory: Mapping[str, Any] | None, now: datetime
) -> dict[str, Any]:
    """The reportability assessment on its own, sealed like the other exports."""
    return seal("assessment", assess_reportability(record, regulatory=regulatory, now=now))
