"""Forensics of an incident: its latest triage report and its data blame (viewers may read)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from fastapi import APIRouter
from pydantic import BaseModel

from redline.api.auth import Viewer
from redline.api.context import StoreDep
from redline.api.errors import ERROR_RESPONSES
from redline.api.params import KeyPath
from redline.services.data_blame import blame
from redline.services.triage_reports import get_triage_report

__all__ = ["BlameRead", "TriageReportRead", "router"]

router = APIRouter(tags=["forensics"], responses=ERROR_RESPONSES)


class TriageReportRead(BaseModel):
    """The newest triage report of an incident; ``report`` holds every section and its basis."""

    incident: str
    model: str
    likely_cause: str
    confidence: float
    window_id: str | None
    created_at: datetime
    reports: int
    report: dict[str, Any]


class BlameRead(BaseModel):
    """When the shift began, what it touched, data versions, and decisions served meanwhile."""

    incident: str
    model: str
    impact_start: datetime | None
    impact_end: datetime | None
    suspect_version: str | None
    decisions_served: int
    data_versions: dict[str, Any]
    shift: dict[str, Any]


@router.get("/incidents/{key}/triage", response_model=TriageReportRead)
def get_triage_route(key: KeyPath, store: StoreDep, _: Viewer) -> TriageReportRead:
    """The incident's latest triage report (404 until one is attached)."""
    return TriageReportRead.model_validate(get_triage_report(store, key=key).to_dict())


@router.get("/incidents/{key}/blame", response_model=BlameRead)
def get_blame_route(key: KeyPath, store: StoreDep, _: Viewer) -> BlameRead:
    """The incident's data blame, computed from the stored windows and predictions."""
    return BlameRead.model_validate(blame(store, key=key).to_dict())
