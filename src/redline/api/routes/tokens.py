"""API tokens: who am I, and (admins) create, list and revoke tokens."""

from __future__ import annotations

from fastapi import APIRouter, status

from redline.api.auth import Admin, Viewer, actor_of
from redline.api.context import StoreDep
from redline.api.errors import ERROR_RESPONSES
from redline.api.params import IdPath
from redline.api.schemas import TokenCreate
from redline.api.schemas_read import TokenCreatedRead, TokenRead
from redline.services.tokens import TokenError, create_token, list_tokens, revoke_token

__all__ = ["router"]

router = APIRouter(tags=["tokens"], responses=ERROR_RESPONSES)


@router.get("/tokens/me", response_model=TokenRead)
def whoami(token: Viewer) -> TokenRead:
    """The token this request was made with."""
    return TokenRead.model_validate(token.to_dict())


@router.get("/tokens", response_model=list[TokenRead])
def list_tokens_route(store: StoreDep, _: Admin) -> list[TokenRead]:
    """Every token, revoked ones too, oldest first."""
    return [TokenRead.model_validate(t.to_dict()) for t in list_tokens(store)]


@router.post("/tokens", response_model=TokenCreatedRead, status_code=status.HTTP_201_CREATED)
def create_token_route(body: TokenCreate, store: StoreDep, token: Admin) -> TokenCreatedRead:
    """Create a token; its secret is in this answer only."""
    plaintext, record = create_token(store, name=body.name, role=body.role, actor=actor_of(token))
    return TokenCreatedRead(token=plaintext, record=TokenRead.model_validate(record.to_dict()))


@router.delete("/tokens/{token_id}", response_model=TokenRead)
def revoke_token_route(token_id: IdPath, store: StoreDep, token: Admin) -> TokenRead:
    """Revoke a token for good (not the one making this request)."""
    if token_id == token.id:
        raise TokenError("a token cannot revoke itself; use another admin token")
    return TokenRead.model_validate(
        revoke_token(store, token_id=token_id, actor=actor_of(token)).to_dict()
    )
