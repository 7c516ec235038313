"""API tokens: created once in plaintext, stored as a sha256 hash, checked on every request."""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from typing import Any

from redline.errors import RedlineError
from redline.services.chains import record_audit
from redline.store import (
    TOKEN_ROLES,
    ApiTokenRow,
    Store,
    add_api_token,
    get_api_token,
    list_api_tokens,
    save_api_token,
)

__all__ = [
    "TOKEN_PREFIX",
    "ApiToken",
    "Role",
    "TokenError",
    "TokenNotFoundError",
    "authenticate",
    "create_token",
    "get_token",
    "hash_token",
    "list_tokens",
    "revoke_token",
]

TOKEN_PREFIX = "rl_"
#: ``last_used_at`` is refreshed at most this often, so reads do not all become writes.
TOUCH_EVERY = timedelta(seconds=60)
_SECRET_BYTES = 32


class Role(StrEnum):
    """What a token may do: viewers read, responders act on incidents, admins manage."""

    VIEWER = "viewer"
    RESPONDER = "responder"
    ADMIN = "admin"

    def allows(self, needed: Role) -> bool:
        """True when this role is at least ``needed``."""
        return TOKEN_ROLES.index(self.value) >= TOKEN_ROLES.index(needed.value)


class TokenError(RedlineError):
    """A token request is refused: a blank name, an unknown role."""


class TokenNotFoundError(TokenError):
    """No token has this id."""


@dataclass(frozen=True, slots=True)
class ApiToken:
    """A token as people see it: never the secret, only who it is for and its role."""

    id: int
    name: str
    role: Role
    created_at: datetime
    last_used_at: datetime | None
    revoked_at: datetime | None

    @property
    def active(self) -> bool:
        """True until the token is revoked."""
        return self.revoked_at is None

    @classmethod
    def from_row(cls, row: ApiTokenRow) -> ApiToken:
        """The view of a stored token."""
        return cls(
            row.id, row.name, Role(row.role), row.created_at, row.last_used_at, row.revoked_at
        )

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready copy (times in ISO 8601)."""
        at = {"created_at": self.created_at, "last_used_at": self.last_used_at}
        at["revoked_at"] = self.revoked_at
        times = {k: None if v is None else v.isoformat() for k, v in at.items()}
        return {"id": self.id, "name": self.name, "role": self.role.value, **times}


def hash_token(plaintext: str) -> str:
    """The hex sha256 the store keeps of a token."""
    return hashlib.sha256(plaintext.encode()).hexdigest()


def _role(role: Role | str) -> Role:
    try:
        return Role(role)
    except ValueError:
        choices = ", ".join(r.value for r in Role)
        raise TokenError(f"unknown role {role!r}; choose one of {choices}") from None


def create_token(
    store: Store, *, name: str, role: Role | str, actor: str = "system", now: datetime | None = None
) -> tuple[str, ApiToken]:
    """Create a token; returns its plaintext (shown once, never stored) and its record."""
    chosen, at = _role(role), now or datetime.now(UTC)
    if not name.strip():
        raise TokenError("a token needs a name saying who or what uses it")
    plaintext = TOKEN_PREFIX + secrets.token_urlsafe(_SECRET_BYTES)
    with store.session() as session:
        row = add_api_token(
            session,
            name=name.strip(),
            role=chosen.value,
            token_hash=hash_token(plaintext),
            created_at=at,
        )
        details = {"id": row.id, "name": row.name, "role": row.role}
        record_audit(
            session,
            at=at,
            actor=actor,
            action="token_created",
            target=f"token:{row.id}",
            details=details,
        )
        return plaintext, ApiToken.from_row(row)


def get_token(store: Store, *, token_id: int) -> ApiToken:
    """One token by id (revoked ones too); raises TokenNotFoundError."""
    with store.reading() as session:
        row = get_api_token(session, token_id=token_id)
        if row is None:
            raise TokenNotFoundError(f"no token {token_id}; `redline tokens list` shows them")
        return ApiToken.from_row(row)


def list_tokens(store: Store, *, include_revoked: bool = True) -> list[ApiToken]:
    """Every token, oldest first (revoked ones too unless told otherwise)."""
    with store.reading() as session:
        rows = list_api_tokens(session, include_revoked=include_revoked)
        return [ApiToken.from_row(row) for row in rows]


def revoke_token(
    store: Store, *, token_id: int, actor: str, now: datetime | None = None
) -> ApiToken:
    """Revoke a token for good; revoking it again changes nothing."""
    at = now or datetime.now(UTC)
    with store.session() as session:
        row = get_api_token(session, token_id=token_id)
        if row is None:
            raise TokenNotFoundError(f"no token {token_id}; `redline tokens list` shows them")
        if row.revoked_at is None:
            save_api_token(session, token_id=row.id, revoked_at=at)
            details = {"id": row.id, "name": row.name, "role": row.role}
            record_audit(
                session,
                at=at,
                actor=actor,
                action="token_revoked",
                target=f"token:{row.id}",
                details=details,
            )
        return ApiToken.from_row(row)


def _stale(last_used_at: datetime | None, at: datetime) -> bool:
    return last_used_at is None or at - last_used_at >= TOUCH_EVERY


def authenticate(store: Store, token: str, *, now: datetime | None = None) -> ApiToken | None:
    """The active token whose plaintext is ``token``, or None (unknown, malformed, revoked)."""
    if not token.startswith(TOKEN_PREFIX) or len(token) > 200:
        return None
    at = now or datetime.now(UTC)
    # Every request reads; only a stale last_used_at is written, in a transaction of its own
    # that waits its turn on SQLite instead of upgrading this read to a write.
    with store.reading() as session:
        row = get_api_token(session, token_hash=hash_token(token))
        if row is None or row.revoked_at is not None:
            return None
        found = ApiToken.from_row(row)
    if not _stale(found.last_used_at, at):
        return found
    with store.session() as session:
        row = get_api_token(session, token_id=found.id)
        if row is None or row.revoked_at is not None:  # revoked in between
            return None
        if _stale(row.last_used_at, at):  # unless a concurrent request touched it
            save_api_token(session, token_id=row.id, last_used_at=at)
    return replace(found, last_used_at=at)
