"""What the responder should do next on an incident, in words, from the status machine's options."""

from __future__ import annotations

from redline.domain import IncidentEvent, IncidentStatus
from redline.services.view_types import IncidentDetail

__all__ = ["next_step"]

S, E = IncidentStatus, IncidentEvent

#: What each status asks of a person once someone owns the incident.
_BY_STATUS: dict[IncidentStatus, str] = {
    S.TRIAGE: (
        "Read the signals and the triage report below, then declare it an incident or "
        "dismiss it as noise."
    ),
    S.DECLARED: (
        "Contain it: fall back, switch the model off, roll back, filter inputs or block a "
        "source below. A containment counts once a clean window verifies it. Without one, "
        "monitor it and say why."
    ),
    S.CONTAINED: "The containment is verified. Move it to monitoring and watch the next windows.",
    S.POSTMORTEM: "Get the post-mortem approved (below), then close the incident.",
    S.DISMISSED: "Nothing: it was dismissed as noise.",
    S.CLOSED: "Nothing: it is closed. Reopen it if the problem comes back.",
}


def _monitoring(detail: IncidentDetail, degraded: bool) -> str:
    resolve = next((o for o in detail.options if o.event is E.RESOLVE), None)
    if resolve is None or resolve.allowed:
        return "The exit criteria hold and the primary serves: resolve it."
    if resolve.needs:
        return (
            "Restore the primary route (the system does once the exit criteria hold), or "
            "resolve it and keep the containment, saying why."
            if degraded
            else "Resolve it, saying why."
        )
    return f"Wait: {resolve.refusal}."


def _resolved(detail: IncidentDetail) -> str:
    if detail.postmortem_required:
        return "Write the post-mortem below: generate a draft, complete it, submit it for review."
    return "No post-mortem is required: close it, or write one anyway."


def next_step(detail: IncidentDetail, *, degraded: bool) -> str:
    """The responder's next move on ``detail``, given whether its model is off the primary."""
    status = detail.incident.status
    final = status in (S.DISMISSED, S.CLOSED)
    if detail.incident.acknowledged_at is None and not final:
        return "Acknowledge it: say you own it (the runbook's acknowledgement clock is running)."
    if status is S.MONITORING:
        return _monitoring(detail, degraded)
    if status is S.RESOLVED:
        return _resolved(detail)
    return _BY_STATUS[status]
