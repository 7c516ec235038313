"""Bearer-token authentication and role checks: ``Depends(require(Role.RESPONDER))``."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated

from fastapi import Depends, HTTPException, Request, status
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from redline.api.context import get_context
from redline.services.tokens import ApiToken, Role, authenticate

__all__ = ["Admin", "Principal", "Responder", "Viewer", "actor_of", "require"]

bearer = HTTPBearer(
    auto_error=False,
    description="An API token (`redline tokens create NAME --role ROLE`) as a Bearer token.",
)

#: The caller's token after authentication.
Principal = ApiToken


def _unauthorized(detail: str) -> HTTPException:
    return HTTPException(
        status_code=status.HTTP_401_UNAUTHORIZED,
        detail=detail,
        headers={"WWW-Authenticate": "Bearer"},
    )


def require(role: Role) -> Callable[..., ApiToken]:
    """A dependency that admits a valid token whose role is at least ``role``."""

    def dependency(
        request: Request,
        credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)],
    ) -> ApiToken:
        if credentials is None:
            raise _unauthorized(
                "this needs an API token: send 'Authorization: Bearer rl_...' "
                "(create one with `redline tokens create NAME --role ROLE`)"
            )
        context = get_context(request)
        token = authenticate(context.store, credentials.credentials, touch=context.touches)
        if token is None:
            raise _unauthorized("the API token is unknown or revoked")
        if not token.role.allows(role):
            raise HTTPException(
                status_code=status.HTTP_403_FORBIDDEN,
                detail=f"this needs the {role.value} role; token {token.name!r} is "
                f"a {token.role.value}",
            )
        return token

    dependency.__name__ = f"require_{role.value}"
    return dependency


def actor_of(token: ApiToken) -> str:
    """How the timeline and audit log name a token's holder."""
    return f"token:{token.name}"


Viewer = Annotated[ApiToken, Depends(require(Role.VIEWER))]
Responder = Annotated[ApiToken, Depends(require(Role.RESPONDER))]
Admin = Annotated[ApiToken, Depends(require(Role.ADMIN))]
