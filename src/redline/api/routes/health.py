"""``GET /healthz``: the service answers and its store is reachable (no token needed)."""

from __future__ import annotations

from fastapi import APIRouter

from redline.api.context import StoreDep
from redline.api.errors import ERROR_RESPONSES
from redline.api.schemas_read import HealthRead
from redline.services.views import get_schema_status

__all__ = ["router"]

router = APIRouter(tags=["health"])


@router.get("/healthz", response_model=HealthRead, responses={503: ERROR_RESPONSES[503]})
def healthz(store: StoreDep) -> HealthRead:
    """Check that the store answers; 503 when it does not."""
    status = get_schema_status(store)
    return HealthRead(status="ok", store_revision=status.revision)
