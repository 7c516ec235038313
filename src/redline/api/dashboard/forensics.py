"""The incident page's forensics: snapshots (take, verify), the stored triage report, data blame
loaded on demand, the decisions it counts as CSV, and the regulatory exports as JSON."""

from __future__ import annotations

import os
import tempfile
from typing import Annotated, Any

from fastapi import APIRouter, Form, Path, Request
from fastapi.responses import FileResponse, HTMLResponse, JSONResponse, Response
from starlette.background import BackgroundTask

from redline.api.auth import actor_of
from redline.api.context import get_context
from redline.api.dashboard.web import Csrf, VisitorDep, back_to, refusal, render
from redline.errors import RedlineError
from redline.forensics.manifest import Verification
from redline.services.data_blame import blame, export_impacted_decisions
from redline.services.incidents import IncidentNotFoundError
from redline.services.postmortem_exports import export_incident
from redline.services.snapshots import SnapshotNotFoundError, take_snapshot, verify_snapshot

__all__ = ["EXPORTS", "router", "verification_message"]

router = APIRouter(include_in_schema=False)

#: The sharing documents the page links to, by export kind (each a sealed JSON document).
EXPORTS = {
    "art73": "EU AI Act Art. 73",
    "nist": "NIST AI 600-1",
    "aiid": "AI Incident Database",
    "assessment": "Reportability assessment",
}
SnapshotId = Annotated[str, Path(min_length=8, max_length=64, pattern=r"^[0-9a-fA-F]+$")]
#: How many files a failed verification names in its message before "and N more".
NAMED_PROBLEMS = 3


def verification_message(result: Verification) -> tuple[bool, str]:
    """Whether the snapshot verified, and one line saying so or naming what does not match."""
    short = result.snapshot_id[:12]
    if result.ok:
        files = len(result.files)
        return True, f"snapshot {short} verified: the manifest and all {files} files match"
    bad = [f"{f.name} {f.status}" for f in result.files if f.status != "ok"]
    if result.snapshot_id != result.recomputed_id:
        bad.insert(0, "the manifest no longer hashes to its id")
    more = len(bad) - NAMED_PROBLEMS
    named = "; ".join(bad[:NAMED_PROBLEMS]) + (f"; and {more} more" if more > 0 else "")
    return False, f"snapshot {short} does NOT verify ({len(bad)} mismatches): {named}"


@router.post("/incidents/{key}/snapshots")
def take_snapshot_form(
    key: str,
    request: Request,
    visitor: VisitorDep,
    csrf_token: Csrf = "",
    model: Annotated[str, Form(max_length=200)] = "",
) -> Response:
    """Take an on-demand snapshot of the incident's model (the service checks the pair)."""
    refused = refusal(request, visitor, csrf_token)
    if refused is not None:
        return refused
    store = get_context(request).store
    try:
        view = take_snapshot(store, model=model, incident_key=key, actor=actor_of(visitor.token))
    except RedlineError as exc:
        return back_to(key, error=f"the snapshot was refused: {exc}")
    return back_to(key, notice=f"snapshot {view.id[:12]} taken ({view.files} files)")


@router.post("/incidents/{key}/snapshots/{snapshot_id}/verify")
def verify_snapshot_form(
    key: str, snapshot_id: SnapshotId, request: Request, visitor: VisitorDep, csrf_token: Csrf = ""
) -> Response:
    """Recompute the snapshot's hashes from the stored bytes; the answer comes back as a message."""
    refused = refusal(request, visitor, csrf_token)
    if refused is not None:
        return refused
    try:
        result = verify_snapshot(get_context(request).store, snapshot_id=snapshot_id)
    except SnapshotNotFoundError as exc:
        return back_to(key, error=str(exc))
    ok, message = verification_message(result)
    return back_to(key, notice=message) if ok else back_to(key, error=message)


@router.get("/incidents/{key}/blame", response_class=HTMLResponse)
def blame_page(key: str, request: Request, visitor: VisitorDep) -> Response:
    """Data blame, computed from the stored windows on request (the incident page loads it lazily)."""
    try:
        found = blame(get_context(request).store, key=key)
    except IncidentNotFoundError as exc:
        return render(request, "error.html", visitor, status_code=404, error=str(exc))
    except RedlineError as exc:
        return render(request, "blame.html", visitor, key=key, blame=None, problem=str(exc))
    return render(request, "blame.html", visitor, key=key, blame=found, problem="")


def _removed(path: str) -> None:
    os.unlink(path)


@router.get("/incidents/{key}/blame/decisions.csv")
def decisions_csv(key: str, request: Request, visitor: VisitorDep) -> Response:
    """The decisions the suspect version served in the impact window, as CSV for remediation."""
    handle, path = tempfile.mkstemp(prefix="redline-decisions-", suffix=".csv")
    os.close(handle)
    try:
        export_impacted_decisions(get_context(request).store, key=key, path=path, format="csv")
    except IncidentNotFoundError as exc:
        _removed(path)
        return render(request, "error.html", visitor, status_code=404, error=str(exc))
    except RedlineError as exc:
        _removed(path)
        return back_to(key, error=f"the decisions could not be exported: {exc}")
    return FileResponse(
        path,
        media_type="text/csv; charset=utf-8",
        filename=f"{key}-decisions.csv",
        background=BackgroundTask(_removed, path),
    )


@router.get("/incidents/{key}/exports/{kind}.json")
def export_json(key: str, kind: str, request: Request, visitor: VisitorDep) -> Response:
    """One sealed export (schema_version, payload, sha256) as a JSON download; not legal advice."""
    if kind not in EXPORTS:
        return render(request, "error.html", visitor, status_code=404, error=f"no export {kind!r}")
    try:
        document: dict[str, Any] = export_incident(get_context(request).store, key=key, kind=kind)
    except IncidentNotFoundError as exc:
        return render(request, "error.html", visitor, status_code=404, error=str(exc))
    except RedlineError as exc:
        return back_to(key, error=f"the {kind} export failed: {exc}")
    disposition = f'attachment; filename="{key}-{kind}.json"'
    return JSONResponse(document, headers={"Content-Disposition": disposition})
