"""The web dashboard: server-rendered pages over the services, logged in with an API token."""

from __future__ import annotations

from fastapi import APIRouter
from starlette.routing import Mount, Router
from starlette.staticfiles import StaticFiles

from redline.api.dashboard import (
    forensics,
    incidents,
    login,
    pages,
    postmortems,
    review,
    series_pages,
)
from redline.api.dashboard.headers import SecurityHeaders
from redline.api.dashboard.web import STATIC_DIR

__all__ = ["ROUTES", "STATIC_DIR", "STATIC_PATH", "mount", "router"]

#: Where the stylesheet is served.
STATIC_PATH = "/static/dashboard"

#: Every page and form (plain routes: a mount needs them, not lazily included routers).
ROUTES = [
    *login.router.routes,
    *pages.router.routes,
    *series_pages.router.routes,
    *incidents.router.routes,
    *forensics.router.routes,
    *postmortems.router.routes,
    *review.router.routes,
]
router = APIRouter(routes=ROUTES, include_in_schema=False)


def mount() -> Mount:
    """The dashboard's pages and static files under ``/``, behind every API route.

    A mount rather than included routes: the API's route table (and its bearer-token tests)
    stays the API's; the pages authenticate with a session cookie instead. Every response
    carries the dashboard's security headers (a CSP without inline script among them).
    """
    static = Mount(STATIC_PATH, app=StaticFiles(directory=STATIC_DIR), name="dashboard-static")
    pages = Router(routes=[static, *ROUTES])
    return Mount("/", app=SecurityHeaders(pages), name="dashboard")
