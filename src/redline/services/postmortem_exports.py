"""Export use cases: the reportability assessment, Art. 73, NIST AI 600-1 and AIID documents."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from redline.errors import RedlineError
from redline.forensics.exports import (
    EXPORT_KINDS,
    build_aiid,
    build_art73,
    build_assessment,
    build_nist,
    validate_export,
)
from redline.forensics.exports_render import render_art73_html, render_art73_markdown
from redline.forensics.postmortem_facts import collect_incident
from redline.services.postmortems import incident_by_key
from redline.store import Store, get_postmortem

__all__ = ["EXPORT_FORMATS", "UnknownExportError", "export_incident", "render_export"]

#: Formats each kind can be written in; JSON is the sealed document itself.
EXPORT_FORMATS = {
    "art73": ("json", "md", "html"),
    "nist": ("json",),
    "aiid": ("json",),
    "assessment": ("json",),
}


class UnknownExportError(RedlineError):
    """An export kind or format redline does not produce."""


def export_incident(
    store: Store,
    *,
    key: str,
    kind: str,
    regulatory: Mapping[str, Any] | None = None,
    now: datetime | None = None,
) -> dict[str, Any]:
    """Build one export of the incident; it is checked against its schema before it is returned."""
    if kind not in EXPORT_KINDS:
        raise UnknownExportError(f"no export {kind!r}; choose one of {', '.join(EXPORT_KINDS)}")
    at = now or datetime.now(UTC)
    with store.session() as session:
        row = incident_by_key(session, key)
        record = collect_incident(session, incident=row)
        found = get_postmortem(session, incident_id=row.id)
        postmortem = (
            None
            if found is None
            else {
                "status": found.status,
                "approved_by": found.approved_by,
                "approved_at": found.approved_at,
            }
        )
        if kind == "art73":
            document = build_art73(record, regulatory=regulatory, postmortem=postmortem, now=at)
        elif kind == "nist":
            document = build_nist(record, postmortem=postmortem, now=at)
        elif kind == "aiid":
            document = build_aiid(record, regulatory=regulatory, now=at)
        else:
            document = build_assessment(record, regulatory=regulatory, now=at)
    validate_export(kind, document)
    return document


def render_export(document: Mapping[str, Any], *, kind: str, fmt: str) -> str | None:
    """The document as Markdown or HTML (Art. 73 only); None means: write the JSON."""
    allowed = EXPORT_FORMATS.get(kind, ("json",))
    if fmt not in allowed:
        raise UnknownExportError(f"the {kind} export comes as {', '.join(allowed)}, not {fmt!r}")
    if fmt == "md":
        return render_art73_markdown(document)
    if fmt == "html":
        return render_art73_html(document)
    return None
