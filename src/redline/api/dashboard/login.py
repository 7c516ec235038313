"""Logging in with an API token (a signed session cookie) and logging out."""

from __future__ import annotations

from typing import Annotated
from urllib.parse import urlsplit

from fastapi import APIRouter, Form, Request, status
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from redline.api.context import get_context
from redline.api.dashboard.web import VisitorDep, render
from redline.api.sessions import CSRF_FIELD, SESSION_COOKIE, check_csrf, cookie_options
from redline.services.sessions import end_session, start_session
from redline.services.tokens import authenticate

__all__ = ["cross_site", "router"]

router = APIRouter(include_in_schema=False)


@router.get("/login", response_class=HTMLResponse)
def login_form(request: Request) -> Response:
    """The login form: one field, an API token."""
    return render(request, "login.html", None)


def cross_site(request: Request) -> bool:
    """True when a browser says the form was posted from another site.

    Hosts are compared without the scheme: a proxy that ends TLS still forwards the Host header.
    """
    if request.headers.get("sec-fetch-site", "") == "cross-site":
        return True
    origin = request.headers.get("origin")
    if origin is None:
        return False
    return urlsplit(origin).netloc.lower() != request.headers.get("host", "").lower()


@router.post("/login", response_class=HTMLResponse)
def login(request: Request, token: Annotated[str, Form(max_length=200)] = "") -> Response:
    """Check the token; on success set the session cookie and go to the overview."""
    if cross_site(request):
        # Login CSRF: another site must not log a browser in under its attacker's token.
        message = "Log in from the dashboard's own login page."
        return render(request, "login.html", None, status_code=403, error=message)
    context = get_context(request)
    found = authenticate(context.store, token.strip(), touch=context.touches)
    if found is None:
        message = "That token is unknown or revoked."
        return render(request, "login.html", None, status_code=401, error=message)
    max_age_s = context.settings.api.session_max_age_s
    cookie = start_session(context.store, token=found, max_age_s=max_age_s)
    response = RedirectResponse("/", status_code=status.HTTP_303_SEE_OTHER)
    options = cookie_options(max_age_s=max_age_s, secure=request.url.scheme == "https")
    response.set_cookie(SESSION_COOKIE, cookie, **options)
    return response


@router.post("/logout")
def logout(
    request: Request,
    visitor: VisitorDep,
    csrf_token: Annotated[str, Form(alias=CSRF_FIELD, max_length=200)] = "",
) -> Response:
    """End the session in the store (the cookie stops working everywhere) and return to login."""
    if not check_csrf(visitor.cookie, csrf_token):
        return render(request, "error.html", visitor, status_code=403, error="Bad CSRF token.")
    end_session(get_context(request).store, visitor.cookie)
    response = RedirectResponse("/login", status_code=status.HTTP_303_SEE_OTHER)
    response.delete_cookie(SESSION_COOKIE)
    return response
