"""``GET /audit/verify``: check every incident timeline and the audit log against their hashes."""

from __future__ import annotations

from fastapi import APIRouter

from redline.api.auth import Viewer
from redline.api.context import StoreDep
from redline.api.errors import ERROR_RESPONSES
from redline.api.schemas_incidents import ChainReportRead
from redline.services.integrity import verify_chains

__all__ = ["router"]

router = APIRouter(tags=["audit"], responses=ERROR_RESPONSES)


@router.get("/audit/verify", response_model=ChainReportRead)
def verify_route(store: StoreDep, _: Viewer) -> ChainReportRead:
    """Read both hash chains; ``intact`` is false with the first break of each broken one."""
    return ChainReportRead.model_validate(verify_chains(store).to_dict())
