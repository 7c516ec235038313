"""``GET /metrics``: Prometheus text, read from the store at scrape time."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request, Response
from fastapi.security import HTTPAuthorizationCredentials
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from redline.api.auth import bearer, require
from redline.api.context import get_context
from redline.api.errors import ERROR_RESPONSES
from redline.services.tokens import Role

__all__ = ["router"]

router = APIRouter(tags=["metrics"])


def metrics_access(
    request: Request,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)],
) -> None:
    """Anyone when ``api.metrics_public`` is set; otherwise a viewer token."""
    if not get_context(request).settings.api.metrics_public:
        require(Role.VIEWER)(request, credentials)


@router.get(
    "/metrics",
    response_class=Response,
    dependencies=[Depends(metrics_access)],
    responses={
        200: {"content": {"text/plain": {}}, "description": "Prometheus text format."},
        **{code: ERROR_RESPONSES[code] for code in (401, 403, 503)},
    },
)
def metrics(request: Request) -> Response:
    """Every redline metric, read from the store now."""
    body = generate_latest(get_context(request).metrics)
    return Response(content=body, media_type=CONTENT_TYPE_LATEST)
