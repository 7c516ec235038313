"""The post-mortem on the incident page: its rendered HTML, and the review steps by role
(responders draft and submit; admins approve or send it back)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, Response

from redline.api.auth import actor_of
from redline.api.context import ApiContext, get_context
from redline.api.dashboard.web import Csrf, Visitor, VisitorDep, back_to, refusal, render
from redline.errors import RedlineError
from redline.services.incidents import IncidentNotFoundError
from redline.services.postmortem_review import (
    approve_postmortem,
    request_postmortem_changes,
    submit_postmortem,
)
from redline.services.postmortems import (
    PostmortemNotFoundError,
    PostmortemView,
    generate_postmortem,
    render_postmortem,
)
from redline.services.tokens import Role

__all__ = ["POSTMORTEM_CSP", "STEPS", "Step", "StepForm", "router"]

router = APIRouter(include_in_schema=False)

#: The rendered post-mortem is one self-contained page: inline styles and SVG, nothing else,
#: sandboxed so text a person edited can never run as this origin.
POSTMORTEM_CSP = "sandbox; default-src 'none'; style-src 'unsafe-inline'; img-src data:"


@dataclass(frozen=True, slots=True)
class StepForm:
    """What a review step's form sent besides its CSRF token."""

    key: str
    actor: str
    by: str
    reason: str


@dataclass(frozen=True, slots=True)
class Step:
    """A review step: its button, what it did, who may press it, where it is offered, its call."""

    label: str
    done: str
    needed: Role
    offered_from: tuple[str, ...]
    run: Callable[[ApiContext, StepForm], PostmortemView]

    def offered(self, status: str | None, visitor: Visitor) -> bool:
        """True when the button shows: the post-mortem's status fits and the role may press it."""
        return (status or "none") in self.offered_from and visitor.token.role.allows(self.needed)


#: The steps in the order the page shows them; "none" is an incident with no post-mortem yet.
#: The services hold the real rules (draft → in_review → approved); this only hides buttons.
STEPS: dict[str, Step] = {
    "generate": Step(
        "Generate draft",
        "drafted",
        Role.RESPONDER,
        ("none", "draft"),
        lambda c, f: generate_postmortem(c.store, key=f.key, actor=f.actor),
    ),
    "submit": Step(
        "Submit for review",
        "submitted for review",
        Role.RESPONDER,
        ("draft",),
        lambda c, f: submit_postmortem(c.store, key=f.key, actor=f.actor),
    ),
    "approve": Step(
        "Approve",
        "approved",
        Role.ADMIN,
        ("in_review",),
        lambda c, f: approve_postmortem(c.store, key=f.key, by=f.by, actor=f.actor),
    ),
    "request_changes": Step(
        "Request changes",
        "sent back for changes",
        Role.ADMIN,
        ("in_review",),
        lambda c, f: request_postmortem_changes(c.store, key=f.key, actor=f.actor, reason=f.reason),
    ),
}


@router.get("/incidents/{key}/postmortem.html", response_class=HTMLResponse)
def postmortem_html(key: str, request: Request, visitor: VisitorDep) -> Response:
    """The post-mortem as one self-contained HTML page, charts inline."""
    try:
        html = render_postmortem(get_context(request).store, key=key, fmt="html")
    except IncidentNotFoundError as exc:  # no incident, or no post-mortem yet
        return render(request, "error.html", visitor, status_code=404, error=str(exc))
    return HTMLResponse(html, headers={"Content-Security-Policy": POSTMORTEM_CSP})


@router.post("/incidents/{key}/postmortem/{step}")
def postmortem_step(
    key: str,
    step: str,
    request: Request,
    visitor: VisitorDep,
    csrf_token: Csrf = "",
    by: Annotated[str, Form(max_length=200)] = "",
    reason: Annotated[str, Form(max_length=10_000)] = "",
) -> Response:
    """Draft, submit, approve or send back the post-mortem; refused (403) below the step's role."""
    chosen = STEPS.get(step)
    needed = Role.RESPONDER if chosen is None else chosen.needed
    refused = refusal(request, visitor, csrf_token, needed=needed)
    if refused is not None:
        return refused
    if chosen is None:
        return back_to(key, error=f"{step!r} is not a post-mortem step")
    form = StepForm(key=key, actor=actor_of(visitor.token), by=by, reason=reason)
    try:
        view = chosen.run(get_context(request), form)
    except PostmortemNotFoundError as exc:
        return back_to(key, error=str(exc))
    except IncidentNotFoundError as exc:
        return render(request, "error.html", visitor, status_code=404, error=str(exc))
    except RedlineError as exc:
        return back_to(key, error=f"{chosen.label} was refused: {exc}")
    status = view.status.replace("_", " ")
    return back_to(key, notice=f"post-mortem {chosen.done}: now {status}, version {view.version}")
