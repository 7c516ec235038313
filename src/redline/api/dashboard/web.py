"""What every dashboard page shares: templates, the session signer and the logged-in visitor."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import quote, urlencode

from fastapi import Depends, Form, HTTPException, Request, status
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.templating import Jinja2Templates
from jinja2 import Environment, FileSystemLoader
from markupsafe import Markup

from redline.api.context import get_context
from redline.api.sessions import CSRF_FIELD, SESSION_COOKIE, check_csrf
from redline.services.sessions import DashboardSession, csrf_token, read_session
from redline.services.tokens import ApiToken, Role

__all__ = [
    "FRAGMENT_HEADER",
    "STATIC_DIR",
    "Csrf",
    "Visitor",
    "VisitorDep",
    "age",
    "as_json",
    "back_to",
    "brief",
    "get_visitor",
    "redirect_to",
    "refusal",
    "render",
]

#: The header live refresh sends to get a page's content without its frame.
FRAGMENT_HEADER = "X-Redline-Fragment"
HERE = Path(__file__).parent
STATIC_DIR = HERE / "static"


def age(moment: datetime | None, *, now: datetime | None = None) -> str:
    """How long ago ``moment`` was, shortly: ``42s``, ``5m``, ``3h``, ``2d``."""
    if moment is None:
        return "—"
    seconds = max(((now or datetime.now(UTC)) - moment).total_seconds(), 0.0)
    for unit, size in (("d", 86_400), ("h", 3_600), ("m", 60)):
        if seconds >= size:
            return f"{int(seconds // size)}{unit}"
    return f"{int(seconds)}s"


def utc(moment: datetime | None) -> str:
    """A time as people read it in an operations room: UTC, to the second (for attributes)."""
    return "—" if moment is None else moment.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S UTC")


def when(moment: datetime | None) -> Markup | str:
    """A ``<time>`` in UTC that the page's script shows in the viewer's zone, UTC on hover."""
    if moment is None:
        return "—"
    shown = utc(moment)
    return Markup('<time datetime="{}" title="{}">{}</time>').format(
        moment.astimezone(UTC).isoformat(), shown, shown
    )


def brief(details: Mapping[str, Any], *, width: int = 90) -> str:
    """A timeline event's details on a line or two: scalars in full, long values cut short."""
    parts = []
    for name, value in details.items():
        shown = value if isinstance(value, str) else json.dumps(value, default=str)
        if len(shown) > width:
            shown = shown[: width - 1] + "…"
        parts.append(f"{name}={shown}")
    return "  ".join(parts)


def as_json(value: Any) -> str:
    """A value as JSON text, escaped by the template like any other text.

    Jinja's own ``tojson`` returns markup that keeps ``"`` as is (it is meant for ``<script>``),
    so in a double-quoted attribute a stored value could close the attribute and add a handler.
    """
    return json.dumps(value, default=str, ensure_ascii=False)


def _environment() -> Environment:
    env = Environment(loader=FileSystemLoader(HERE / "templates"), autoescape=True)
    env.filters["tojson"] = as_json
    env.filters["age"] = age
    env.filters["when"] = when
    env.filters["utc"] = utc
    env.filters["brief"] = brief
    return env


templates = Jinja2Templates(env=_environment())


@dataclass(frozen=True, slots=True)
class Visitor:
    """A logged-in person: their session (re-read on every request), its cookie and CSRF token."""

    session: DashboardSession
    cookie: str
    csrf: str

    @property
    def token(self) -> ApiToken:
        """The API token the session stands for, as it is now."""
        return self.session.token

    @property
    def can_act(self) -> bool:
        """True when the role may contain and resolve incidents (responder or admin)."""
        return self.token.role.allows(Role.RESPONDER)

    @property
    def is_admin(self) -> bool:
        """True for an admin: may approve post-mortems or send them back."""
        return self.token.role.allows(Role.ADMIN)


def _login_redirect(request: Request) -> HTTPException:
    # Browsers go to the login form; API clients and scripts get a plain 401.
    if "text/html" in request.headers.get("accept", ""):
        return HTTPException(status.HTTP_303_SEE_OTHER, headers={"Location": "/login"})
    return HTTPException(status.HTTP_401_UNAUTHORIZED, detail="log in at /login first")


def get_visitor(request: Request) -> Visitor:
    """The visitor of an open session whose token is still active; else to the login form."""
    cookie = request.cookies.get(SESSION_COOKIE)
    session = read_session(get_context(request).store, cookie)
    if session is None or cookie is None:
        raise _login_redirect(request)
    return Visitor(session, cookie, csrf_token(cookie))


VisitorDep = Annotated[Visitor, Depends(get_visitor)]


def render(
    request: Request,
    name: str,
    visitor: Visitor | None,
    *,
    status_code: int = 200,
    **values: Any,
) -> HTMLResponse:
    """A page from ``templates/name`` with the visitor and the query's notice or error."""
    values.setdefault("notice", request.query_params.get("notice", "")[:300])
    values.setdefault("error", request.query_params.get("error", "")[:300])
    # Live refresh asks for the page's content only; it swaps the parts marked data-live.
    values.setdefault("fragment", request.headers.get(FRAGMENT_HEADER) == "1")
    context = {"visitor": visitor, **values}
    return templates.TemplateResponse(request, name, context, status_code=status_code)


Csrf = Annotated[str, Form(alias=CSRF_FIELD, max_length=200)]


def refusal(
    request: Request, visitor: Visitor, submitted: str, *, needed: Role = Role.RESPONDER
) -> Response | None:
    """A 403 page when the CSRF token is wrong or the role is below ``needed``; None if allowed."""
    if not check_csrf(visitor.cookie, submitted or None):
        message = "The form's CSRF token is missing or wrong: reload the page and try again."
        return render(request, "error.html", visitor, status_code=403, error=message)
    if not visitor.token.role.allows(needed):
        wanted = "an admin" if needed == Role.ADMIN else "a responder or admin"
        role = visitor.token.role.value
        message = f"This needs {wanted}; {visitor.token.name!r} is a {role}."
        return render(request, "error.html", visitor, status_code=403, error=message)
    return None


def redirect_to(path: str, name: str, **message: str) -> RedirectResponse:
    """A redirect to ``path/name`` (the name quoted), carrying a notice or an error."""
    query = f"?{urlencode(message)}" if message else ""
    target = f"{path}/{quote(name, safe='')}{query}"
    return RedirectResponse(target, status_code=status.HTTP_303_SEE_OTHER)


def back_to(key: str, **message: str) -> RedirectResponse:
    """A redirect to the incident page, carrying a notice or an error."""
    return redirect_to("/incidents", key, **message)
